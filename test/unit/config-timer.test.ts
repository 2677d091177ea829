/**
 * Registry access (NdisOpenConfigurationEx and friends), NDIS timer objects on the host clock, and
 * the host's view of the data path (counters, frames): what drivers that reach real networks read
 * their settings with, pace themselves with, and are watched through.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DISPATCH_LEVEL,
  KeGetCurrentIrql,
  ManualClock,
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_SPIN_LOCK,
  type NDIS_STATUS,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  NdisAcquireSpinLock,
  NdisAllocateIoWorkItem,
  NdisAllocateSpinLock,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseConfiguration,
  NdisFreeIoWorkItem,
  NdisFreeTimerObject,
  NdisGetCurrentSystemTime,
  NdisHost,
  NdisMSetMiniportAttributes,
  NdisOpenConfigurationEx,
  NdisParameterBinary,
  NdisParameterHexInteger,
  NdisParameterInteger,
  NdisParameterMultiString,
  NdisParameterString,
  NdisQueueIoWorkItem,
  NdisReadConfiguration,
  NdisReadNetworkAddress,
  NdisReleaseSpinLock,
  NdisSendNetBufferLists,
  NdisSetTimerObject,
  NdisShutdownBugCheck,
  type NET_BUFFER_LIST,
  type Out,
} from "../../src/index.js";
import {
  generalAttributes,
  registrationAttributes,
  scriptedMiniport,
} from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

function openConfig(handle: unknown): { status: NDIS_STATUS; config: NDIS_HANDLE | undefined } {
  const out: Out<NDIS_HANDLE> = {};
  const status = NdisOpenConfigurationEx(
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
        Revision: NDIS_CONFIGURATION_OBJECT_REVISION_1,
        Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
      },
      NdisHandle: handle as NDIS_HANDLE,
      Flags: 0,
    },
    out,
  );
  return { status, config: out.value };
}

function read(
  config: NDIS_HANDLE,
  keyword: string,
  type: number,
): { status: NDIS_STATUS | undefined; value: NDIS_CONFIGURATION_PARAMETER | null | undefined } {
  const status: Out<NDIS_STATUS> = {};
  const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
  NdisReadConfiguration(status, value, config, keyword, type);
  return { status: status.value, value: value.value };
}

/** A miniport whose InitializeEx runs `during(handle)` before setting its attributes. */
function miniportWith(during: (handle: NDIS_HANDLE) => void) {
  return scriptedMiniport({
    initialize: (handle) => {
      during(handle);
      const context = { handle, index: 0 };
      NdisMSetAttributes(handle, context);
      return NDIS_STATUS_SUCCESS;
    },
  });
}

function NdisMSetAttributes(handle: NDIS_HANDLE, context: unknown): void {
  assert.equal(
    NdisMSetMiniportAttributes(handle, registrationAttributes(context)),
    NDIS_STATUS_SUCCESS,
  );
  assert.equal(NdisMSetMiniportAttributes(handle, generalAttributes()), NDIS_STATUS_SUCCESS);
}

describe("configuration", () => {
  test("an adapter reads its own parameters as NDIS converts them; absent and unreadable keywords fail", async () => {
    const host = new NdisHost();
    const seen: Record<string, unknown> = {};
    const mp = miniportWith((handle) => {
      const { status, config } = openConfig(handle);
      assert.equal(status, NDIS_STATUS_SUCCESS);
      assert.ok(config !== undefined);
      const get = (k: string, t: number) => {
        const r = read(config, k, t);
        return r.status === NDIS_STATUS_SUCCESS ? r.value?.ParameterData : r.status;
      };
      seen.dword = get("VNI", NdisParameterInteger);
      seen.decimalString = get("mtu", NdisParameterInteger); // keywords ignore case
      seen.hexString = get("Mask", NdisParameterHexInteger);
      seen.string = get("RemoteAddress", NdisParameterString);
      seen.multi = get("Peers", NdisParameterMultiString);
      seen.binary = get("Key", NdisParameterBinary);
      seen.absent = get("Nothing", NdisParameterInteger);
      seen.notANumber = get("RemoteAddress", NdisParameterInteger);
      seen.dwordAsString = get("VNI", NdisParameterString);
      const s: Out<NDIS_STATUS> = {};
      const mac: Out<Uint8Array | null> = {};
      const len: Out<number> = {};
      NdisReadNetworkAddress(s, mac, len, config);
      seen.mac = [s.value, mac.value && [...mac.value], len.value];
      NdisCloseConfiguration(config);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({
      driver: "mp",
      name: "vx0",
      registry: {
        VNI: 42,
        MTU: "1450",
        Mask: "0xff00",
        RemoteAddress: "169.254.77.1",
        Peers: ["a", "b"],
        Key: Uint8Array.of(1, 2, 3),
        NetworkAddress: "02-11-22-33-44-55",
      },
    });
    const data = (x: unknown) => x as NDIS_CONFIGURATION_PARAMETER["ParameterData"];
    assert.equal(data(seen.dword).IntegerData, 42);
    assert.equal(data(seen.decimalString).IntegerData, 1450);
    assert.equal(data(seen.hexString).IntegerData, 0xff00);
    assert.equal(data(seen.string).StringData, "169.254.77.1");
    assert.equal(data(seen.multi).StringData, "a\u0000b");
    assert.deepEqual([...data(seen.binary).BinaryData], [1, 2, 3]);
    assert.equal(seen.absent, NDIS_STATUS_FAILURE);
    assert.equal(seen.notANumber, NDIS_STATUS_FAILURE);
    assert.equal(seen.dwordAsString, NDIS_STATUS_FAILURE);
    assert.deepEqual(seen.mac, [NDIS_STATUS_SUCCESS, [2, 0x11, 0x22, 0x33, 0x44, 0x55], 6]);
    assert.deepEqual(host.violations, []);
    await host.removeAdapter("vx0");
    await host.unloadDriver("mp");
    assert.deepEqual(host.liveObjects(), []);
  });

  test("[MODEL] an adapter configured without NetCfgInstanceId reads a braced GUID of its own, stable per adapter; a configured one wins", async () => {
    const host = new NdisHost();
    const ids: unknown[] = [];
    const mp = miniportWith((handle) => {
      const { config } = openConfig(handle);
      const r = read(config as NDIS_HANDLE, "NetCfgInstanceId", NdisParameterString);
      ids.push(r.status === NDIS_STATUS_SUCCESS ? r.value?.ParameterData.StringData : r.status);
      NdisCloseConfiguration(config as NDIS_HANDLE);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "tap0" });
    await host.addAdapter({ driver: "mp", name: "tap1" });
    await host.removeAdapter("tap0");
    await host.addAdapter({ driver: "mp", name: "tap0" });
    const guid = /^\{[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-8[0-9A-F]{3}-[0-9A-F]{12}\}$/;
    assert.match(String(ids[0]), guid);
    assert.match(String(ids[1]), guid);
    assert.notEqual(ids[0], ids[1], "two adapters, two ids");
    assert.equal(ids[2], ids[0], "the same adapter, the same id");
    await host.addAdapter({
      driver: "mp",
      name: "tap2",
      registry: { NetCfgInstanceId: "{410EB49D-2381-4FE7-9B36-498E22619DF0}" },
    });
    assert.equal(ids[3], "{410EB49D-2381-4FE7-9B36-498E22619DF0}");
    assert.deepEqual(host.violations, []);
  });

  test("a multicast NetworkAddress is refused: the driver keeps its permanent address", async () => {
    const host = new NdisHost();
    let status: NDIS_STATUS | undefined;
    const mp = miniportWith((handle) => {
      const { config } = openConfig(handle);
      assert.ok(config !== undefined);
      const s: Out<NDIS_STATUS> = {};
      NdisReadNetworkAddress(s, {}, {}, config);
      status = s.value;
      NdisCloseConfiguration(config);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({
      driver: "mp",
      name: "e0",
      registry: { NetworkAddress: "01:00:5e:00:00:01" },
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
  });

  test("a protocol reads its per-adapter parameters through the binding handle, its own through its driver handle", async () => {
    const values: unknown[] = [];
    const proto = scriptedProtocol({
      name: "ip",
      bind: (b, _ctx, open) => {
        const status = open();
        for (const handle of [b.handle, proto.protocolHandle()]) {
          const { config } = openConfig(handle);
          assert.ok(config !== undefined);
          values.push(
            read(config, "IPAddress", NdisParameterString).value?.ParameterData.StringData ?? null,
          );
          NdisCloseConfiguration(config);
        }
        return status;
      },
    });
    const host = new NdisHost({
      bindings: [{ protocol: "ip", adapter: "eth0", registry: { IPAddress: "198.51.100.2" } }],
    });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({
      name: "ip",
      module: proto.module,
      registry: { IPAddress: "driver-wide" },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(values, ["198.51.100.2", "driver-wide"]);
    assert.deepEqual(host.violations, []);
  });

  test("a configuration handle left open when HaltEx returns is named and closed by NDIS", async () => {
    const host = new NdisHost({ verifier: "record" });
    let config: NDIS_HANDLE | undefined;
    const mp = miniportWith((handle) => {
      config = openConfig(handle).config;
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    assert.ok(host.liveObjects().some((o) => o.kind === "configuration"));
    await host.removeAdapter("e0");
    assert.deepEqual(rules(host), ["NdisOpenConfigurationEx"]);
    assert.ok(!host.liveObjects().some((o) => o.kind === "configuration"));
    // The handle is dead now: using it is a bad handle, not a read.
    const r = read(config as NDIS_HANDLE, "X", NdisParameterInteger);
    assert.equal(r.status, NDIS_STATUS_FAILURE);
    assert.equal(rules(host).at(-1), "InvalidNdisHandle");
  });

  test("a malformed configuration object gets INVALID_PARAMETER and a named violation", async () => {
    const host = new NdisHost({ verifier: "record" });
    let status: NDIS_STATUS | undefined;
    const mp = miniportWith((handle) => {
      const out: Out<NDIS_HANDLE> = {};
      status = NdisOpenConfigurationEx(
        { Header: { Type: 0x80, Revision: 1, Size: 24 }, NdisHandle: handle, Flags: 0 },
        out,
      );
      assert.equal(out.value, undefined);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
    assert.deepEqual(rules(host), ["NdisOpenConfigurationEx_BadArgument"]);
  });
});

describe("timers", () => {
  const characteristics = (fn: (ctx: unknown) => void, context: unknown = null) => ({
    Header: {
      Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
      Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
      Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
    },
    AllocationTag: 0x726d6974,
    TimerFunction: (_s1: unknown, ctx: unknown) => fn(ctx),
    FunctionContext: context,
  });

  async function withTimer(fn: (ctx: unknown) => void, verifier: "strict" | "record" = "strict") {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier });
    let timer: NDIS_HANDLE | undefined;
    const mp = miniportWith((handle) => {
      const out: Out<NDIS_HANDLE> = {};
      assert.equal(
        NdisAllocateTimerObject(handle, characteristics(fn, "ctx0"), out),
        NDIS_STATUS_SUCCESS,
      );
      timer = out.value;
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    assert.ok(timer !== undefined);
    return { host, clock, timer, mp };
  }

  test("a one-shot timer runs once at its due time, at DISPATCH_LEVEL, with its context", async () => {
    const runs: { at: bigint; irql: number; ctx: unknown }[] = [];
    let clockRef: ManualClock | null = null;
    const t = await withTimer((ctx) =>
      runs.push({ at: clockRef?.now() ?? -1n, irql: KeGetCurrentIrql(), ctx }),
    );
    clockRef = t.clock;
    assert.equal(NdisSetTimerObject(t.timer, -10_000n * 50n), false); // 50 ms, relative
    t.clock.advance(49);
    assert.equal(runs.length, 0);
    t.clock.advance(1);
    assert.deepEqual(runs, [{ at: 50_000_000n, irql: DISPATCH_LEVEL, ctx: "ctx0" }]);
    t.clock.advance(1000);
    assert.equal(runs.length, 1);
    NdisFreeTimerObject(t.timer);
    assert.deepEqual(t.host.violations, []);
  });

  test("NdisGetCurrentSystemTime is the clock in 100 ns units, the scale of an absolute DueTime", async () => {
    const seen: bigint[] = [];
    const t = await withTimer(() => {
      const now: Out<bigint> = {};
      NdisGetCurrentSystemTime(now);
      seen.push(now.value ?? -1n);
    });
    t.clock.advance(7);
    // Absolute DueTime 20 ms on the same scale: the timer runs at 20 ms and reads 200_000.
    assert.equal(NdisSetTimerObject(t.timer, 200_000n), false);
    t.clock.advance(12);
    assert.deepEqual(seen, []);
    t.clock.advance(1);
    assert.deepEqual(seen, [200_000n]);
    NdisFreeTimerObject(t.timer);
    assert.deepEqual(t.host.violations, []);
  });

  test("a periodic timer runs every period until cancelled; set and cancel say whether it was set", async () => {
    let runs = 0;
    const t = await withTimer(() => runs++);
    assert.equal(NdisSetTimerObject(t.timer, -10_000n * 10n, 100, "ctx1"), false);
    assert.equal(NdisSetTimerObject(t.timer, -10_000n * 10n, 100), true); // re-set while set
    t.clock.advance(10 + 100 * 3);
    assert.equal(runs, 4);
    assert.equal(NdisCancelTimerObject(t.timer), true);
    t.clock.advance(1000);
    assert.equal(runs, 4);
    assert.equal(NdisCancelTimerObject(t.timer), false);
    NdisFreeTimerObject(t.timer);
    assert.equal(t.clock.pending, 0);
  });

  test("a timer left set at halt is cancelled by NDIS and named; one never freed is named at unload", async () => {
    let runs = 0;
    const t = await withTimer(() => runs++, "record");
    NdisSetTimerObject(t.timer, -10_000n * 10n, 10);
    await t.host.removeAdapter("e0");
    assert.deepEqual(rules(t.host), ["CancelTimerObject"]);
    t.clock.advance(100);
    assert.equal(runs, 0);
    assert.ok(t.host.liveObjects().some((o) => o.kind === "timer"));
    await t.host.unloadDriver("mp");
    assert.deepEqual(rules(t.host), ["CancelTimerObject", "Timer_LeakedAtUnload"]);
    assert.deepEqual(t.host.liveObjects(), []);
  });

  test("freeing a timer that is still set is CancelTimerObject; bad characteristics are refused", async () => {
    const t = await withTimer(() => {}, "record");
    NdisSetTimerObject(t.timer, -1n);
    NdisFreeTimerObject(t.timer);
    assert.deepEqual(rules(t.host), ["CancelTimerObject"]);
    assert.equal(t.clock.pending, 0);
    const out: Out<NDIS_HANDLE> = {};
    const handle = t.mp.driverHandle() as NDIS_HANDLE;
    const bad = { ...characteristics(() => {}), TimerFunction: null };
    assert.equal(
      NdisAllocateTimerObject(handle, bad as never, out),
      NDIS_STATUS_BAD_CHARACTERISTICS,
    );
    assert.equal(out.value, undefined);
    assert.equal(rules(t.host).at(-1), "NdisAllocateTimerObject_BadArgument");
  });
});

describe("observing the data path", () => {
  test("counters and frames follow what crosses an adapter edge, and cost nothing until asked for", async () => {
    const host = new NdisHost();
    const mp = scriptedMiniport();
    const proto = scriptedProtocol({ name: "p" });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
    const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
    const send = (n: number) => {
      const nbls = allocateNbls(pool, n, binding);
      (nbls[0] as NET_BUFFER_LIST).FirstNetBuffer?.MdlChain?.MappedSystemVa.fill(0xab);
      NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    };
    send(2);
    assert.equal(host.statistics().adapters[0]?.sentPackets, 0);
    const frames: { adapter: string; direction: string; first: number; length: number }[] = [];
    const stop = host.onFrame((f) =>
      frames.push({
        adapter: f.adapter,
        direction: f.direction,
        first: f.data[0] ?? -1,
        length: f.data.length,
      }),
    );
    send(3);
    stop();
    send(1);
    const stats = host.statistics();
    assert.deepEqual(
      { sent: stats.adapters[0]?.sentPackets, bytes: stats.adapters[0]?.sentBytes },
      { sent: 4, bytes: 240 },
    );
    assert.equal(stats.bindings[0]?.sentPackets, 4);
    assert.equal(frames.length, 3);
    assert.deepEqual(frames[0], { adapter: "eth0", direction: "send", first: 0xab, length: 60 });
    await host.pauseStack("eth0");
    send(2);
    assert.equal(host.statistics().bindings[0]?.sendsRefused, 2);
  });
});

describe("IRQL", () => {
  test("NdisOpenConfigurationEx at DISPATCH_LEVEL (under a spin lock) breaks Irql_Miscellaneous_Function", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = miniportWith((handle) => {
      const lock = { OldIrql: 0 } as NDIS_SPIN_LOCK;
      NdisAllocateSpinLock(lock);
      NdisAcquireSpinLock(lock);
      const { config } = openConfig(handle);
      NdisReleaseSpinLock(lock);
      if (config !== undefined) NdisCloseConfiguration(config);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    assert.deepEqual(rules(host), ["Irql_Miscellaneous_Function"]);
  });

  test("a timer set from MiniportShutdownEx at HIGH_LEVEL (a bug-check shutdown) breaks Irql_Timer_Function", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    let timer: NDIS_HANDLE | undefined;
    const mp = scriptedMiniport({
      initialize: (handle) => {
        const out: Out<NDIS_HANDLE> = {};
        NdisAllocateTimerObject(
          handle,
          {
            Header: {
              Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
              Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
              Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
            },
            AllocationTag: 0,
            TimerFunction: () => {},
            FunctionContext: null,
          },
          out,
        );
        timer = out.value;
        NdisMSetAttributes(handle, { handle, index: 0 });
        return NDIS_STATUS_SUCCESS;
      },
      shutdown: () => {
        NdisSetTimerObject(timer as NDIS_HANDLE, -1n);
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    await host.shutdown(NdisShutdownBugCheck);
    assert.ok(rules(host).includes("Irql_Timer_Function"), rules(host).join(", "));
  });
});

describe("I/O work items", () => {
  async function withItem(verifier: "strict" | "record" = "strict") {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier });
    let item: NDIS_HANDLE | null = null;
    const mp = miniportWith((handle) => {
      item = NdisAllocateIoWorkItem(handle);
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "e0" });
    assert.ok(item !== null);
    return { host, clock, item: item as NDIS_HANDLE };
  }

  test("a work item queued at DISPATCH_LEVEL runs later at PASSIVE_LEVEL with its context", async () => {
    const w = await withItem();
    const runs: { irql: number; ctx: unknown; handle: unknown }[] = [];
    const lock = { OldIrql: 0 } as NDIS_SPIN_LOCK;
    NdisAllocateSpinLock(lock);
    NdisAcquireSpinLock(lock); // as from a DPC
    NdisQueueIoWorkItem(
      w.item,
      (ctx, handle) => runs.push({ irql: KeGetCurrentIrql(), ctx, handle }),
      "ctx",
    );
    NdisReleaseSpinLock(lock);
    assert.equal(runs.length, 0);
    w.clock.advance(0);
    assert.deepEqual([...runs], [{ irql: 0, ctx: "ctx", handle: w.item }]);
    NdisQueueIoWorkItem(
      w.item,
      (ctx, handle) => runs.push({ irql: KeGetCurrentIrql(), ctx, handle }),
      "again",
    );
    w.clock.advance(0);
    assert.equal(runs.length, 2);
    NdisFreeIoWorkItem(w.item);
    assert.deepEqual(w.host.violations, []);
  });

  test("queueing twice, freeing while queued and forgetting to free at halt are each named", async () => {
    const w = await withItem("record");
    let runs = 0;
    NdisQueueIoWorkItem(w.item, () => runs++, null);
    NdisQueueIoWorkItem(w.item, () => runs++, null);
    assert.deepEqual(rules(w.host), ["NdisQueueIoWorkItem_Queued"]);
    w.clock.advance(0);
    assert.equal(runs, 1);
    await w.host.removeAdapter("e0");
    assert.deepEqual(rules(w.host), ["NdisQueueIoWorkItem_Queued", "Init_NdisAllocateIoWorkItem"]);
    assert.ok(!w.host.liveObjects().some((o) => o.kind === "work item"));
    const v = await withItem("record");
    NdisQueueIoWorkItem(v.item, () => runs++, null);
    NdisFreeIoWorkItem(v.item);
    v.clock.advance(0);
    assert.equal(runs, 1);
    assert.deepEqual(rules(v.host), ["NdisQueueIoWorkItem_Queued"]);
  });
});

test("a work item queued from MiniportShutdownEx at HIGH_LEVEL breaks Irql_WorkItem_Function", async () => {
  const host = new NdisHost({ clock: new ManualClock(), verifier: "record" });
  let item: NDIS_HANDLE | null = null;
  const mp = scriptedMiniport({
    initialize: (handle) => {
      item = NdisAllocateIoWorkItem(handle);
      NdisMSetAttributes(handle, { handle, index: 0 });
      return NDIS_STATUS_SUCCESS;
    },
    shutdown: () => NdisQueueIoWorkItem(item as NDIS_HANDLE, () => {}, null),
  });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "e0" });
  await host.shutdown(NdisShutdownBugCheck);
  assert.ok(rules(host).includes("Irql_WorkItem_Function"), rules(host).join(", "));
});

test("a pool allocated for an adapter and not freed when its HaltEx returns is named and released", async () => {
  const host = new NdisHost({ verifier: "record" });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "e0" });
  const adapterPool = nblPool(mp.adapters[0]?.handle as NDIS_HANDLE);
  allocateNbls(adapterPool, 2, mp.adapters[0]?.handle as NDIS_HANDLE);
  await host.removeAdapter("e0");
  assert.deepEqual(rules(host), ["Pool_LeakedAtHalt"]);
  assert.match(host.violations[0]?.message ?? "", /2 still allocated/);
  assert.equal(host.liveObjects().filter((o) => o.kind === "pool").length, 0);
  await host.unloadDriver("mp");
  assert.deepEqual(host.liveObjects(), []);
});

test("at shutdown nothing is halted, so a pool, a timer or a configuration still held is not a leak", async () => {
  const host = new NdisHost({ clock: new ManualClock() });
  let timer: NDIS_HANDLE | undefined;
  const mp = miniportWith((handle) => {
    openConfig(handle);
    const out: Out<NDIS_HANDLE> = {};
    NdisAllocateTimerObject(
      handle,
      {
        Header: {
          Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
          Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
          Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
        },
        AllocationTag: 0,
        TimerFunction: () => {},
        FunctionContext: null,
      },
      out,
    );
    timer = out.value;
    nblPool(handle);
  });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "e0" });
  NdisSetTimerObject(timer as NDIS_HANDLE, -10_000n * 100n, 100);
  await host.shutdown();
  assert.deepEqual(host.violations, []);
  assert.deepEqual(host.liveObjects(), []);
});
