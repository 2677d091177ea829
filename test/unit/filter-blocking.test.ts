/**
 * Filter handlers that block. NDIS calls FilterAttach, FilterDetach, FilterPause, FilterRestart,
 * FilterSetModuleOptions and FilterNetPnPEvent at PASSIVE_LEVEL, and real filters wait in them
 * (a FilterDetach that waits until its own work has drained). A handler that blocks returns a
 * promise here; NDIS's next step for the module waits until it settles, the host goes on
 * meanwhile, and one that never returns is reported by the watchdog, naming the handler.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ManualClock,
  type NDIS_EVENT,
  NDIS_FILTER_ATTRIBUTES_REVISION_1,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisError,
  NdisFPauseComplete,
  NdisFreeNetBufferListPool,
  NdisFSetAttributes,
  NdisHost,
  NdisInitializeEvent,
  NdisMSleep,
  NdisSetEvent,
  NdisWaitEvent,
} from "../../src/index.js";
import { buildSample, cSkipReason } from "../helpers/cdriver.js";
import { type FilterModuleCtx, type FilterScript, scriptedFilter } from "../helpers/filter.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
const drainAll = async (n = 6) => {
  for (let i = 0; i < n; i++) await drain();
};
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

function event(): NDIS_EVENT {
  const e: NDIS_EVENT = {};
  NdisInitializeEvent(e);
  return e;
}

/** A miniport (eth0) under filter `flt` scripted by `script`, a protocol above, on a ManualClock. */
async function stack(
  script: FilterScript,
  verifier: "record" | "strict" = "record",
  addAdapter = true,
) {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier });
  const mp = scriptedMiniport();
  const flt = scriptedFilter("flt", script);
  const proto = scriptedProtocol();
  const order: string[] = [];
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.loadDriver({ name: "flt", module: flt.module });
  await host.loadDriver({ name: "p", module: proto.module });
  if (addAdapter) await host.addAdapter({ driver: "mp", name: "eth0" });
  return { clock, host, mp, flt, proto, order };
}

const attributes = {
  Header: {
    Type: NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
    Revision: NDIS_FILTER_ATTRIBUTES_REVISION_1,
    Size: 8,
  },
  Flags: 0,
};

describe("a filter handler that blocks", () => {
  test("FilterDetach waiting for its work to drain: the module is not retired, nor the driver unloaded, until it returns", async () => {
    const drained = event();
    const pools = new Map<string, NDIS_HANDLE>();
    let modulesAtReturn = -1;
    let host: NdisHost | null = null;
    const s = await stack({
      attach: (handle, adapter) => {
        const m: FilterModuleCtx = { handle, adapter };
        // Owned by the module: due back when FilterDetach returns, not before.
        pools.set(adapter, nblPool(handle));
        return NdisFSetAttributes(handle, m, attributes);
      },
      chars: {
        DetachHandler: async (m: FilterModuleCtx) => {
          s.order.push("FilterDetach waits");
          await NdisWaitEvent(drained, 0);
          s.order.push("FilterDetach wakes");
          modulesAtReturn = host?.filterModules("eth0").length ?? -1;
          NdisFreeNetBufferListPool(pools.get(m.adapter) as NDIS_HANDLE);
        },
      },
    });
    host = s.host;
    // The work the filter waits for drains 50 ms later, on the host clock.
    s.clock.schedule(50, () => {
      s.order.push("work drained");
      NdisSetEvent(drained);
    });
    let unloaded = false;
    const unloading = s.host.unloadDriver("flt").then(() => {
      unloaded = true;
    });
    await drainAll();
    assert.deepEqual(s.order, ["FilterDetach waits"]);
    assert.equal(unloaded, false, "unload waits for FilterDetach");
    assert.equal(s.host.filterModules("eth0").length, 1, "the module is still in the stack");
    assert.ok(!s.flt.calls.includes("FilterDriverUnload"));
    s.clock.advance(49);
    await drainAll();
    assert.equal(unloaded, false);
    s.clock.advance(1);
    await unloading;
    assert.deepEqual(s.order, ["FilterDetach waits", "work drained", "FilterDetach wakes"]);
    assert.equal(modulesAtReturn, 1, "still attached while FilterDetach ran");
    assert.equal(s.host.filterModules("eth0").length, 0);
    assert.equal(s.flt.calls.at(-1), "FilterDriverUnload");
    // The pool freed after the wait was the module's still: neither a leak nor a stale handle.
    assert.deepEqual(rules(s.host), []);
    // The stack went on around it: the adapter runs again with its protocol.
    assert.equal(s.host.adapter("eth0")?.state, "Running");
    assert.equal(s.host.bindings[0]?.state, "Running");
  });

  test("FilterDetach polling with NdisMSleep (as Npcap's does) holds a removal until it returns; MiniportHaltEx comes after", async () => {
    let outstanding = 3;
    const s = await stack({
      chars: {
        DetachHandler: async () => {
          while (outstanding > 0) {
            s.order.push(`FilterDetach sleeps (${outstanding})`);
            await NdisMSleep(10_000);
            outstanding--;
          }
          s.order.push("FilterDetach returns");
        },
      },
    });
    let removed = false;
    const removing = s.host.removeAdapter("eth0").then(() => {
      removed = true;
    });
    await drainAll();
    assert.equal(removed, false);
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportHaltEx")), "no halt under a detach");
    for (let i = 0; i < 2; i++) {
      s.clock.advance(10);
      await drainAll();
    }
    assert.equal(removed, false);
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
    s.clock.advance(10);
    await removing;
    assert.equal(s.order.at(-1), "FilterDetach returns");
    assert.ok(s.mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
    assert.deepEqual(rules(s.host), []);
  });

  test("FilterPause blocking before it returns SUCCESS: the module stays Pausing and the miniport is not paused until it returns", async () => {
    const ready = event();
    const s = await stack({
      pause: async () => {
        s.order.push("FilterPause waits");
        await NdisWaitEvent(ready, 0);
        s.order.push("FilterPause returns");
        return NDIS_STATUS_SUCCESS;
      },
    });
    s.clock.schedule(20, () => NdisSetEvent(ready));
    let paused = false;
    const pausing = s.host.pauseStack("eth0").then(() => {
      paused = true;
    });
    await drainAll();
    assert.equal(paused, false);
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Pausing");
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportPause")));
    s.clock.advance(20);
    await pausing;
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Paused");
    assert.ok(s.mp.calls.some((c) => c.startsWith("MiniportPause")));
    assert.deepEqual(rules(s.host), []);
  });

  test("FilterPause blocking, then returning PENDING: the module is Paused only at NdisFPauseComplete", async () => {
    const ready = event();
    let handle: NDIS_HANDLE | null = null;
    const s = await stack({
      pause: async (m) => {
        handle = m.handle;
        await NdisWaitEvent(ready, 0);
        return NDIS_STATUS_PENDING;
      },
    });
    s.clock.schedule(20, () => NdisSetEvent(ready));
    s.clock.schedule(40, () => NdisFPauseComplete(handle as NDIS_HANDLE));
    let paused = false;
    const pausing = s.host.pauseStack("eth0").then(() => {
      paused = true;
    });
    await drainAll();
    s.clock.advance(20);
    await drainAll();
    assert.equal(paused, false);
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Pausing");
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportPause")));
    s.clock.advance(20);
    await pausing;
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Paused");
    assert.deepEqual(rules(s.host), []);
  });

  test("FilterAttach blocking before NdisFSetAttributes: the module is Attaching and no protocol binds until it returns", async () => {
    const ready = event();
    const s = await stack(
      {
        attach: async (handle, adapter) => {
          s.order.push("FilterAttach waits");
          await NdisWaitEvent(ready, 0);
          // Still inside FilterAttach: NdisFSetAttributes is legal.
          return NdisFSetAttributes(handle, { handle, adapter }, attributes);
        },
      },
      "record",
      false,
    );
    s.clock.schedule(30, () => NdisSetEvent(ready));
    let added = false;
    const adding = s.host.addAdapter({ driver: "mp", name: "eth0" }).then(() => {
      added = true;
    });
    await drainAll();
    assert.equal(added, false);
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Attaching");
    assert.equal(s.host.bindings.length, 0, "protocols bind after the filters attach");
    s.clock.advance(30);
    await adding;
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Running");
    assert.equal(s.host.bindings[0]?.state, "Running");
    assert.deepEqual(rules(s.host), []);
  });

  test("FilterSetModuleOptions and FilterRestart blocking: the restart waits for each", async () => {
    const optionsReady = event();
    const restartReady = event();
    const s = await stack(
      {
        restart: async () => {
          s.order.push("FilterRestart waits");
          await NdisWaitEvent(restartReady, 0);
          return NDIS_STATUS_SUCCESS;
        },
        chars: {
          SetFilterModuleOptionsHandler: async () => {
            s.order.push("FilterSetModuleOptions waits");
            await NdisWaitEvent(optionsReady, 0);
            return NDIS_STATUS_SUCCESS;
          },
        },
      },
      "record",
      false,
    );
    s.clock.schedule(10, () => NdisSetEvent(optionsReady));
    s.clock.schedule(20, () => NdisSetEvent(restartReady));
    let added = false;
    const adding = s.host.addAdapter({ driver: "mp", name: "eth0" }).then(() => {
      added = true;
    });
    await drainAll();
    assert.deepEqual(s.order, ["FilterSetModuleOptions waits"]);
    s.clock.advance(10);
    await drainAll();
    assert.deepEqual(s.order, ["FilterSetModuleOptions waits", "FilterRestart waits"]);
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Restarting");
    assert.equal(added, false);
    s.clock.advance(10);
    await adding;
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Running");
    assert.deepEqual(rules(s.host), []);
  });

  test("a FilterDetach that never returns is reported by the watchdog naming it, and the unload fails with NDIS_ERR_TIMEOUT", async () => {
    const never = event();
    const s = await stack({
      chars: {
        DetachHandler: async () => {
          await NdisWaitEvent(never, 0);
        },
      },
    });
    const unloading = s.host.unloadDriver("flt");
    const failed = assert.rejects(
      unloading,
      (err: unknown) =>
        err instanceof NdisError &&
        err.code === "NDIS_ERR_TIMEOUT" &&
        /FilterDetach of filter module flt on eth0 has not returned/.test(err.message),
    );
    await drainAll();
    s.clock.advance(9_000);
    await drainAll();
    assert.deepEqual(rules(s.host), [], "not before the limit");
    s.clock.advance(2_000);
    await failed;
    const report = s.host.violations.find((v) => v.rule === "NdisTimedBindComplete");
    assert.match(report?.message ?? "", /FilterDetach of filter module flt on eth0/);
    assert.equal(report?.driver, "flt");
    // It returns at last: NDIS retires the module then.
    NdisSetEvent(never);
    await drainAll();
    assert.equal(s.host.filterModules("eth0").length, 0);
  });

  test("strict mode: the filter stuck in FilterDetach is stopped and the removal goes on without it", async () => {
    const never = event();
    const s = await stack(
      {
        chars: {
          DetachHandler: async () => {
            await NdisWaitEvent(never, 0);
          },
        },
      },
      "strict",
    );
    const removing = s.host.removeAdapter("eth0");
    await drainAll();
    s.clock.advance(11_000);
    await removing.catch(() => undefined);
    assert.ok(rules(s.host).includes("NdisTimedBindComplete"), rules(s.host).join(", "));
    assert.equal(s.host.adapter("eth0"), undefined);
    assert.ok(s.mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
  });
});

describe("a C filter whose FilterDetach waits (test/fixtures/c/detach-wait.c, Asyncify)", {
  skip: cSkipReason() ?? false,
}, () => {
  test("its FilterDetach waits on an event its timer sets 25 ms later: the unload waits, and what it frees after the wait is still its own", async () => {
    const path = await buildSample("detach-wait", ["test/fixtures/c/detach-wait.c"]);
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "strict" });
    const handlers: string[] = [];
    host.onTrace((e) => {
      if (e.kind === "handler" && e.phase === "call") handlers.push(e.name);
    });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "dwait", module: path });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(host.filterModules("eth0")[0]?.state, "Running");
    let unloaded = false;
    const unloading = host.unloadDriver("dwait").then(() => {
      unloaded = true;
    });
    await drainAll();
    assert.ok(handlers.includes("FilterDetach"));
    assert.equal(unloaded, false, "the unload waits for FilterDetach");
    assert.equal(host.filterModules("eth0").length, 1, "the module stays while FilterDetach runs");
    clock.advance(24);
    await drainAll();
    assert.equal(unloaded, false);
    clock.advance(1);
    await unloading;
    assert.equal(host.filterModules("eth0").length, 0);
    // Strict mode: a leak reclaimed at a too-early retire, or a freed handle, would have thrown.
    assert.deepEqual(rules(host), []);
    assert.equal(host.adapter("eth0")?.state, "Running");
  });
});
