/**
 * C drivers leaning on the kernel's own services (test/c/kmini, built unchanged with `ndis
 * build`): several handlers of one module blocked in KeWaitForSingleObject / NdisMSleep at the
 * same time, each on a shadow-stack region of its own, resumed in whatever order their waits end;
 * kernel timers and DPCs (KeSetTimerEx, KeInsertQueueDpc…) on the host clock at DISPATCH_LEVEL,
 * and a timer left set at unload named. Skipped without clang and lld, naming the packages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DISPATCH_LEVEL,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
} from "../../src/index.js";
import { buildSample, cSkipReason } from "../helpers/cdriver.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const skip = cSkipReason() ?? false;
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

const KMINI = ["test/c/kmini/kmini.c"];
const OID_KMINI_WAIT = 0xff00a001;
const OID_KMINI_OPEN = 0xff00a002;
const OID_KMINI_TICK = 0xff00a003;
const OID_KMINI_KICK = 0xff00a004;
const OID_KMINI_STATS = 0xff00a005;

async function kminiHost(adapters: number, cflags: readonly string[] = []) {
  const path = await buildSample(`kmini${cflags.join("")}`, KMINI, cflags);
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier: "strict" });
  const completed: { adapter: string; status: number; request: NDIS_OID_REQUEST }[] = [];
  const protocol = scriptedProtocol({
    oidComplete: (b, request, status) => completed.push({ adapter: b.adapter, status, request }),
  });
  await host.loadDriver({ name: "kmini", module: path });
  await host.loadDriver({ name: "p", module: protocol.module });
  for (let i = 0; i < adapters; i++) await host.addAdapter({ driver: "kmini", name: `k${i}` });
  const binding = (adapter: string) => {
    const b = protocol.bindings.find((x) => x.adapter === adapter);
    assert.ok(b !== undefined, adapter);
    return b.handle as NDIS_HANDLE;
  };
  /**
   * Opens adapter `index`'s gate through an OID on the last adapter, which blocks in none (NDIS
   * gives a miniport one OID request at a time per adapter).
   */
  const open = (index: number) => {
    const via = `k${adapters - 1}`;
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setUint32(0, index, true);
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_KMINI_OPEN,
      InformationBuffer: buffer,
    });
    assert.equal(NdisOidRequest(binding(via), request), NDIS_STATUS_SUCCESS);
  };
  /** Starts a blocking OID on `adapter` with `seed`: it pends. */
  const wait = (adapter: string, seed: number) => {
    const buffer = new Uint8Array(16);
    new DataView(buffer.buffer).setUint32(0, seed, true);
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_KMINI_WAIT,
      InformationBuffer: buffer,
    });
    assert.equal(NdisOidRequest(binding(adapter), request), NDIS_STATUS_PENDING);
    return buffer;
  };
  /** A set OID answered at once on `adapter`, the buffer holding `words`. */
  const set = (adapter: string, oid: number, words: readonly number[]) => {
    const buffer = new Uint8Array(4 * words.length);
    const v = new DataView(buffer.buffer);
    words.forEach((w, i) => {
      v.setUint32(4 * i, w, true);
    });
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: oid,
      InformationBuffer: buffer,
    });
    assert.equal(NdisOidRequest(binding(adapter), request), NDIS_STATUS_SUCCESS);
  };
  /** The adapter's KMINI_STATS. */
  const stats = (adapter: string) => {
    const buffer = new Uint8Array(32);
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_KMINI_STATS,
      InformationBuffer: buffer,
    });
    assert.equal(NdisOidRequest(binding(adapter), request), NDIS_STATUS_SUCCESS);
    const v = new DataView(buffer.buffer);
    const [Ticks, TickIrql, TimerSignaled, Kicks, KickArgument, Inserts, Removed, WatchdogRuns] = [
      0, 1, 2, 3, 4, 5, 6, 7,
    ].map((i) => v.getUint32(4 * i, true));
    return {
      Ticks,
      TickIrql,
      TimerSignaled,
      Kicks,
      KickArgument,
      Inserts,
      Removed,
      WatchdogRuns,
    };
  };
  /** Removes the adapters (each halt sleeps 1 ms) and unloads the driver. */
  const teardown = async (names: readonly string[]) => {
    for (const adapter of names) {
      const going = host.removeAdapter(adapter);
      for (let i = 0; i < 5; i++) await drain();
      clock.advance(1);
      await going;
    }
    await host.unloadDriver("kmini");
  };
  return { host, clock, completed, open, wait, set, stats, teardown };
}

/** The answer of OID_KMINI_WAIT: the adapter's index, its place among wakes, the two sums. */
function answer(buffer: Uint8Array) {
  const v = new DataView(buffer.buffer, buffer.byteOffset, 16);
  return {
    index: v.getUint32(0, true),
    woke: v.getUint32(4, true),
    before: v.getUint32(8, true),
    after: v.getUint32(12, true),
  };
}

describe("several handlers of one C driver blocked at once (test/c/kmini)", { skip }, () => {
  test("three OID handlers block deep in helpers, are woken in another order, and each finds its own stack intact", async () => {
    const { host, completed, open, wait } = await kminiHost(4);
    const buffers = [wait("k0", 11), wait("k1", 22), wait("k2", 33)];
    for (let i = 0; i < 5; i++) await drain();
    assert.equal(completed.length, 0, "all three are blocked");
    // Woken last-blocked-first-but-one: k1, then k2, then k0 (neither LIFO nor FIFO).
    for (const index of [1, 2, 0]) {
      open(index);
      for (let i = 0; i < 5; i++) await drain();
    }
    assert.deepEqual(
      completed.map((c) => [c.adapter, c.status]),
      [
        ["k1", NDIS_STATUS_SUCCESS],
        ["k2", NDIS_STATUS_SUCCESS],
        ["k0", NDIS_STATUS_SUCCESS],
      ],
    );
    const answers = buffers.map(answer);
    assert.deepEqual(
      answers.map((a) => [a.index, a.woke]),
      [
        [0, 3],
        [1, 1],
        [2, 2],
      ],
    );
    for (const a of answers) assert.equal(a.after, a.before, `adapter ${a.index}'s locals`);
    assert.equal(new Set(answers.map((a) => a.before)).size, 3, "each had locals of its own");
    assert.deepEqual(rules(host), []);
  });

  test("a halt that sleeps while other handlers of the driver are blocked, and the same blocked handlers again", async () => {
    const { host, clock, completed, open, wait, teardown } = await kminiHost(4);
    const first = [wait("k0", 5), wait("k1", 6)];
    for (let i = 0; i < 5; i++) await drain();
    // k2 goes away meanwhile: its MiniportHaltEx sleeps 1 ms (a third blocked handler).
    let removed = false;
    const removing = host.removeAdapter("k2").then(() => {
      removed = true;
    });
    for (let i = 0; i < 5; i++) await drain();
    assert.equal(removed, false, "the halt is asleep");
    open(1);
    for (let i = 0; i < 5; i++) await drain();
    assert.deepEqual(
      completed.map((c) => c.adapter),
      ["k1"],
    );
    clock.advance(1);
    await removing;
    // k1 blocks again (on a region a finished handler gave back), then k0 is woken, then k1.
    const again = wait("k1", 7);
    for (let i = 0; i < 5; i++) await drain();
    open(0);
    for (let i = 0; i < 5; i++) await drain();
    open(1);
    for (let i = 0; i < 5; i++) await drain();
    assert.deepEqual(
      completed.map((c) => c.adapter),
      ["k1", "k0", "k1"],
    );
    for (const a of [...first, again].map(answer)) assert.equal(a.after, a.before);
    assert.deepEqual(rules(host), []);
    await teardown(["k0", "k1", "k3"]);
    assert.deepEqual(rules(host), []);
  });
});

describe("kernel DPCs and timers from C (test/c/kmini)", { skip }, () => {
  test("a periodic KeSetTimerEx runs its DPC at DISPATCH_LEVEL each period of host time until the DPC cancels it; KeInsertQueueDpc runs once, after the call", async () => {
    const { host, clock, set, stats, teardown } = await kminiHost(1);
    // Every 10 ms, 3 ticks.
    set("k0", OID_KMINI_TICK, [10, 3]);
    assert.equal(stats("k0").Ticks, 0);
    clock.advance(9);
    assert.equal(stats("k0").Ticks, 0, "9 ms of a 10 ms period");
    clock.advance(1);
    assert.deepEqual(
      (({ Ticks, TickIrql, TimerSignaled }) => ({ Ticks, TickIrql, TimerSignaled }))(stats("k0")),
      { Ticks: 1, TickIrql: DISPATCH_LEVEL, TimerSignaled: 1 },
    );
    clock.advance(25);
    assert.equal(stats("k0").Ticks, 3, "the DPC cancelled its timer at the third tick");
    clock.advance(100);
    assert.equal(stats("k0").Ticks, 3);

    // Queued twice: the second insert finds it queued (FALSE); it runs once, after the OID.
    set("k0", OID_KMINI_KICK, [0]);
    let s = stats("k0");
    assert.deepEqual([s.Inserts, s.Kicks], [0b01, 0]);
    await drain();
    s = stats("k0");
    assert.deepEqual([s.Kicks, s.KickArgument], [1, 7]);
    // Queued, then taken off the queue: it never runs.
    set("k0", OID_KMINI_KICK, [1]);
    await drain();
    s = stats("k0");
    assert.deepEqual([s.Inserts, s.Removed, s.Kicks], [0b01, 1, 1]);

    // The driver's watchdog (set in DriverEntry, every second) ran on the same clock.
    assert.equal(s.WatchdogRuns, 0);
    clock.advance(1000 - 135);
    assert.equal(stats("k0").WatchdogRuns, 1);
    await teardown(["k0"]);
    assert.deepEqual(rules(host), []);
  });

  test("a timer the driver leaves set at unload is KeTimer_PendingAtUnload, naming its DPC routine", async () => {
    const { host, clock, stats, teardown } = await kminiHost(1, ["-DKMINI_LEAK_TIMER"]);
    clock.advance(2000);
    assert.equal(stats("k0").WatchdogRuns, 2);
    await teardown(["k0"]);
    assert.deepEqual(rules(host), ["KeTimer_PendingAtUnload"]);
    assert.match(
      host.violations[0]?.message ?? "",
      /kernel timer of kmini with DPC KminiWatchdogDpc \(set\) still pending/,
    );
    // NDIS cancelled it: no DPC runs into the unloaded module.
    clock.advance(5000);
    assert.equal(host.violations.length, 1);
  });
});
