/**
 * Protocol bindings (§2.8, §3.2, §7): bind and open, restart bottom up, pause top down, unbind
 * and close, with every PENDING path and the violations a protocol can commit on the way.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_PAUSE_BIND_PROTOCOL,
  NDIS_PAUSE_NDIS_INTERNAL,
  NDIS_PAUSE_UNBIND_PROTOCOL,
  NDIS_STATUS_ADAPTER_NOT_FOUND,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_UNSUPPORTED_MEDIA,
  NdisCloseAdapterEx,
  NdisCompleteBindAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisHost,
  type NdisHostOptions,
  NdisMSetMiniportAttributes,
  NetEventBindsComplete,
  NetEventPause,
  NetEventRestart,
  type TraceEvent,
} from "../../src/index.js";
import {
  generalAttributes,
  registrationAttributes,
  scriptedMiniport,
} from "../helpers/miniport.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const PAUSE = (reason: number) => `ProtocolNetPnPEvent(${NetEventPause}, ${reason})`;
const RESTART = `ProtocolNetPnPEvent(${NetEventRestart})`;

/** Host with a miniport driver "mp" loaded and a handler-call log. */
async function setup(options: NdisHostOptions = { verifier: "record" }) {
  const host = new NdisHost(options);
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.kind === "handler" && e.phase === "call" && e.name !== "DriverEntry") log.push(e.name);
  });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  return { host, log, mp };
}

async function withProtocol(script: ProtocolScript = {}, options?: NdisHostOptions) {
  const s = await setup(options);
  const proto = scriptedProtocol(script);
  await s.host.loadDriver({ name: script.name ?? "proto", module: proto.module });
  // Loading ends with NetEventBindsComplete (asserted in "bring-up"); the tests start after it.
  s.log.length = 0;
  proto.calls.length = 0;
  return { ...s, proto };
}

describe("bring-up", () => {
  test("adapter arrival with a protocol loaded: initialize, bind, restart the miniport, then the binding", async () => {
    const { host, log, proto } = await withProtocol();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(log, [
      "MiniportInitializeEx",
      "MiniportDevicePnPEventNotify",
      "ProtocolBindAdapterEx",
      "MiniportOidRequest", // the protocol sets its packet filter
      "MiniportRestart",
      "ProtocolNetPnPEvent",
    ]);
    assert.deepEqual(proto.calls, ["ProtocolBindAdapterEx(eth0)", RESTART]);
    assert.deepEqual(host.bindings, [{ protocol: "proto", adapter: "eth0", state: "Running" }]);
    assert.deepEqual(host.violations, []);
  });

  test("a protocol loaded onto a running adapter: the stack is paused, the protocol bound, the stack restarted", async () => {
    const { host, log } = await setup();
    const first = scriptedProtocol({ name: "first" });
    await host.loadDriver({ name: "first", module: first.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    const second = scriptedProtocol({ name: "second" });
    await host.loadDriver({ name: "second", module: second.module });
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent", // first: NetEventPause (NDIS_PAUSE_BIND_PROTOCOL)
      "MiniportPause",
      "ProtocolBindAdapterEx", // second
      "MiniportOidRequest", // second sets its packet filter
      "MiniportRestart",
      "ProtocolNetPnPEvent", // first: NetEventRestart
      "ProtocolNetPnPEvent", // second: NetEventRestart
      "ProtocolNetPnPEvent", // second: NetEventBindsComplete
    ]);
    assert.deepEqual(first.calls.slice(-2), [PAUSE(NDIS_PAUSE_BIND_PROTOCOL), RESTART]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.state}`),
      ["first:Running", "second:Running"],
    );
  });

  // NET_PNP_EVENT structure / ProtocolNetPnPEvent pages: NetEventBindsComplete, binding context
  // NULL, once the protocol has bound to the adapters present when it registered.
  test("a protocol loaded onto existing adapters binds to each, then hears NetEventBindsComplete (NULL context)", async () => {
    const { host } = await setup();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    const contexts: unknown[] = [];
    const proto = scriptedProtocol({
      name: "late",
      pnp: (b, e) => {
        if (e.NetPnPEvent.NetEvent === NetEventBindsComplete) contexts.push(b);
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "late", module: proto.module });
    const binds = proto.calls.filter((c) => c.startsWith("ProtocolBindAdapterEx"));
    assert.deepEqual(binds, ["ProtocolBindAdapterEx(eth0)", "ProtocolBindAdapterEx(eth1)"]);
    assert.equal(proto.calls.at(-1), `ProtocolNetPnPEvent(${NetEventBindsComplete})`);
    assert.deepEqual(contexts, [null]);
    // A later adapter is bound as it arrives; BindsComplete is not repeated.
    await host.addAdapter({ driver: "mp", name: "eth2" });
    assert.deepEqual(contexts, [null]);
    assert.deepEqual(host.violations, []);
  });

  test("NDIS_BIND_PARAMETERS carry the adapter's attributes in the protocol's revision", async () => {
    for (const [minor, revision] of [
      [0, 1],
      [20, 3],
      [89, 4],
    ] as const) {
      const { host, proto } = await withProtocol({ minor });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      const params = proto.bindings[0]?.params;
      assert.equal(params?.Header.Type, 0x86);
      assert.equal(params?.Header.Revision, revision, `NDIS 6.${minor}`);
      assert.equal(params?.AdapterName, "eth0");
      assert.equal(params?.MtuSize, 1500);
      assert.deepEqual([...(params?.CurrentMacAddress ?? [])], [2, 0, 0, 0, 0, 0x42]);
      assert.equal(params?.BoundIfIndex, 1);
    }
  });

  test("DataBackFillSize and ContextBackFillSize reach the bind parameters; 0 when not set; a non-ULONG fails the attributes", async () => {
    const { host, proto } = await withProtocol(
      {},
      {
        verifier: "record",
        bindings: [
          { protocol: "proto", adapter: "eth0" },
          { protocol: "proto", adapter: "eth1" },
        ],
      },
    );
    const roomy = scriptedMiniport({ general: { DataBackFillSize: 24, ContextBackFillSize: 32 } });
    await host.loadDriver({ name: "roomy", module: roomy.module });
    await host.addAdapter({ driver: "roomy", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    const params = (name: string) => proto.bindings.find((b) => b.adapter === name)?.params;
    assert.equal(params("eth0")?.DataBackFillSize, 24);
    assert.equal(params("eth0")?.ContextBackFillSize, 32);
    assert.equal(params("eth1")?.DataBackFillSize, 0);
    assert.equal(params("eth1")?.ContextBackFillSize, 0);
    let status: number | undefined;
    const bad = scriptedMiniport({
      initialize: (handle) => {
        NdisMSetMiniportAttributes(handle, registrationAttributes({ handle, index: 0 }));
        status = NdisMSetMiniportAttributes(handle, generalAttributes({ DataBackFillSize: -8 }));
        return status;
      },
    });
    await host.loadDriver({ name: "bad", module: bad.module });
    await host.addAdapter({ driver: "bad", name: "eth2" });
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
  });

  test("binding paths: only the named pairs bind", async () => {
    const { host, proto } = await withProtocol(
      {},
      { verifier: "record", bindings: [{ protocol: "proto", adapter: "eth1" }] },
    );
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    assert.deepEqual(
      proto.bindings.map((b) => b.adapter),
      ["eth1"],
    );
  });
});

describe("opening inside the bind", () => {
  for (const [what, script, expected] of [
    ["a medium the adapter lacks", { media: [9] }, NDIS_STATUS_UNSUPPORTED_MEDIA],
    ["another adapter's name", { openName: "eth9" }, NDIS_STATUS_ADAPTER_NOT_FOUND],
  ] as const) {
    test(`opening with ${what}: NDIS's status, the bind fails, the adapter runs without the protocol`, async () => {
      const statuses: number[] = [];
      const { host } = await withProtocol({
        ...script,
        bind: (_b, _c, open) => {
          const status = open();
          statuses.push(status);
          return status;
        },
      });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      assert.deepEqual(statuses, [expected]);
      assert.deepEqual(host.bindings, []);
      assert.deepEqual(host.violations, []);
      assert.equal(host.adapter("eth0")?.state, "Running");
    });
  }

  test("a bind that returns SUCCESS without opening is reported and counts as failed", async () => {
    const { host } = await withProtocol({ bind: () => NDIS_STATUS_SUCCESS });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(rules(host), ["ProtocolBindAdapterEx_SuccessWithoutOpen"]);
    assert.deepEqual(host.bindings, []);
  });

  test("a bind that fails after opening without closing is reported; NDIS closes it", async () => {
    const { host } = await withProtocol({
      bind: (_b, _c, open) => {
        open();
        return NDIS_STATUS_FAILURE;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(rules(host), ["ProtocolBindAdapterEx_FailedWithoutClose"]);
    assert.deepEqual(
      host.liveObjects().filter((o) => o.kind === "binding"),
      [],
    );
  });

  test("a bind that backs out with NdisCloseAdapterEx fails cleanly", async () => {
    const { host } = await withProtocol({
      bind: (b, _c, open) => {
        open();
        NdisCloseAdapterEx(b.handle as NDIS_HANDLE);
        return NDIS_STATUS_FAILURE;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(host.violations, []);
    assert.deepEqual(host.bindings, []);
  });

  test("NdisOpenAdapterEx outside a bind: FAILURE and NdisOpenAdapterEx_OutsideBind", async () => {
    let again = -1;
    let context: NDIS_HANDLE | undefined;
    let reopen: (() => number) | undefined;
    const { host } = await withProtocol({
      bind: (_b, c, open) => {
        context = c;
        reopen = open;
        return open();
      },
      pnp: () => {
        again = reopen?.() ?? -1;
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.notEqual(context, undefined);
    assert.equal(again, NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(host), ["NdisOpenAdapterEx_OutsideBind"]);
  });

  test("a bind pended until the open NDIS pended completes: ProtocolOpenAdapterCompleteEx, then NdisCompleteBindAdapterEx", async () => {
    const contexts = new Map<string, NDIS_HANDLE>();
    const { host, proto } = await withProtocol({
      bind: (b, c, open) => {
        contexts.set(b.adapter, c);
        const status = open();
        return status === NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : status;
      },
      openComplete: (b, status) =>
        NdisCompleteBindAdapterEx(contexts.get(b.adapter) as NDIS_HANDLE, status),
    });
    host.pendOperations("NdisOpenAdapterEx");
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(proto.calls, [
      "ProtocolBindAdapterEx(eth0)",
      "ProtocolOpenAdapterCompleteEx(eth0)",
      RESTART,
    ]);
    assert.deepEqual(host.bindings, [{ protocol: "proto", adapter: "eth0", state: "Running" }]);
    assert.deepEqual(host.violations, []);
  });

  test("completing a bind that returned SUCCESS is NdisCompleteBindAdapterEx_NotPending", async () => {
    const { host } = await withProtocol({
      bind: (_b, c, open) => {
        const status = open();
        NdisCompleteBindAdapterEx(c, NDIS_STATUS_SUCCESS);
        return status;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(rules(host), ["NdisCompleteBindAdapterEx_NotPending"]);
  });
});

describe("pause, restart and teardown", () => {
  test("pauseStack goes top down, restartStack bottom up", async () => {
    const { host, log } = await withProtocol();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.pauseStack("eth0");
    await host.restartStack("eth0");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent",
      "MiniportPause",
      "MiniportRestart",
      "ProtocolNetPnPEvent",
    ]);
    assert.deepEqual(host.bindings[0]?.state, "Running");
  });

  test("a pended NetEventPause holds the stack until NdisCompleteNetPnPEvent; a second completion is a violation", async () => {
    let pend = false;
    const { host, proto, log } = await withProtocol({
      pnp: () => (pend ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS),
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    pend = true;
    log.length = 0;
    const pausing = host.pauseStack("eth0");
    await drain();
    assert.deepEqual(
      log,
      ["ProtocolNetPnPEvent"],
      "the miniport is not paused while the protocol pauses",
    );
    const handle = proto.bindings[0]?.handle as NDIS_HANDLE;
    NdisCompleteNetPnPEvent(handle, {} as never, NDIS_STATUS_SUCCESS);
    await pausing;
    assert.deepEqual(log, ["ProtocolNetPnPEvent", "MiniportPause"]);
    NdisCompleteNetPnPEvent(handle, {} as never, NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(host), ["NdisCompleteNetPnPEvent_NotPending"]);
  });

  // "Removing a NIC", step 10-11: protocols paused, then the miniport, then unbound; then halt.
  test("orderly removal: NetEventPause, MiniportPause, unbind with close, then MiniportHaltEx", async () => {
    const { host, log, proto } = await withProtocol();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.removeAdapter("eth0");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent",
      "MiniportPause",
      "ProtocolUnbindAdapterEx",
      "MiniportHaltEx",
    ]);
    assert.deepEqual(proto.calls.slice(-2), [
      PAUSE(NDIS_PAUSE_NDIS_INTERNAL),
      "ProtocolUnbindAdapterEx(eth0)",
    ]);
    await host.unloadDriver("proto");
    await host.unloadDriver("mp");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });

  test("a pended unbind waiting on a pended close: both complete, nothing is left", async () => {
    const unbinds = new Map<string, NDIS_HANDLE>();
    const { host, proto } = await withProtocol({
      unbind: (b, u) => {
        unbinds.set(b.adapter, u);
        return NdisCloseAdapterEx(b.handle as NDIS_HANDLE) === NDIS_STATUS_PENDING
          ? NDIS_STATUS_PENDING
          : NDIS_STATUS_SUCCESS;
      },
      closeComplete: (b) => NdisCompleteUnbindAdapterEx(unbinds.get(b.adapter) as NDIS_HANDLE),
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    host.pendOperations("NdisCloseAdapterEx");
    await host.removeAdapter("eth0");
    assert.deepEqual(proto.calls.slice(-2), [
      "ProtocolUnbindAdapterEx(eth0)",
      "ProtocolCloseAdapterCompleteEx(eth0)",
    ]);
    assert.deepEqual(host.bindings, []);
    assert.deepEqual(host.violations, []);
  });

  test("an unbind that does not close is reported, and NDIS drops the binding anyway", async () => {
    const { host } = await withProtocol({ unbind: () => NDIS_STATUS_SUCCESS });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.removeAdapter("eth0");
    assert.deepEqual(rules(host), ["ProtocolUnbindAdapterEx_WithoutClose"]);
    assert.deepEqual(
      host
        .liveObjects()
        .filter((o) => o.kind !== "miniport driver" && o.kind !== "protocol driver"),
      [],
    );
  });

  test("NdisCloseAdapterEx outside an unbind is refused and reported", async () => {
    let status = -1;
    const { host, proto } = await withProtocol({
      pnp: (b) => {
        if (b === null) return NDIS_STATUS_SUCCESS; // NetEventBindsComplete at load
        status = NdisCloseAdapterEx(b.handle as NDIS_HANDLE);
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(host), ["NdisCloseAdapterEx_OutsideUnbind"]);
    assert.equal(proto.bindings.length, 1);
  });

  test("unloading the protocol unbinds it first (NDIS_PAUSE_UNBIND_PROTOCOL), then runs its unload", async () => {
    const { host, proto } = await withProtocol();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.unloadDriver("proto");
    assert.deepEqual(proto.calls.slice(-3), [
      PAUSE(NDIS_PAUSE_UNBIND_PROTOCOL),
      "ProtocolUnbindAdapterEx(eth0)",
      "DriverUnload",
    ]);
    assert.equal(host.adapter("eth0")?.state, "Running", "the adapter keeps running");
    assert.deepEqual(host.violations, []);
  });

  test("shutdown releases bindings without calling the protocol", async () => {
    const { host, proto } = await withProtocol();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const before = proto.calls.length;
    await host.shutdown();
    assert.equal(proto.calls.length, before);
    assert.deepEqual(host.liveObjects(), []);
  });
});
