/**
 * The netem filter on a ManualClock: two hub ports with a raw protocol on each; netem on one
 * port drops, delays, duplicates, reorders and corrupts what crosses it as its seed decides
 * (`netemDecision`), the same seed replays the same pattern, a different seed another; a pause
 * or a detach with frames held flushes them; nothing leaks and the strict verifier stays clean.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type NetemConfig, netemDecision, netemOf } from "../../src/drivers/netem/index.js";
import { openRaw } from "../../src/drivers/raw/index.js";
import { ManualClock, NDIS_STATUS_SUCCESS } from "../../src/index.js";
import { parseStack, startStack, stopStack } from "../../src/stack/index.js";
import { rawReader } from "../helpers/raw.js";

const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function frame(seq: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set(BROADCAST, 0);
  f.set([0x02, 0, 0, 0, 0, 0x0a], 6);
  f.set([0x88, 0xb5], 12); // local experimental EtherType
  // The number twice: a bit flip in one copy cannot pass for another frame.
  new DataView(f.buffer).setUint32(14, seq);
  new DataView(f.buffer).setUint32(18, seq);
  return f;
}

function labYaml(registry: Record<string, number | string>, adapter: "eth0" | "eth1"): string {
  const reg = Object.entries(registry)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : v}`)
    .join(", ");
  return `ndis: { version: "6.89", verifier: strict }
drivers:
  - { name: netem, module: netem, registry: { ${reg} }, filter: { adapters: [${adapter}] } }
  - { name: raw, module: raw }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: raw, adapter: eth0, registry: { PacketFilter: promiscuous } }
  - { protocol: raw, adapter: eth1, registry: { PacketFilter: promiscuous } }
`;
}

interface Arrival {
  readonly seq: number;
  readonly atMs: number;
  readonly corrupted: boolean;
}

/**
 * Sends `count` frames from eth0 to eth1 at t = 0 (netem on `on`, configured by `registry`), then
 * lets `delayMs` + 10 ms pass; what eth1 received and when, and the module's counters.
 */
async function run(registry: Record<string, number | string>, on: "eth0" | "eth1", count = 64) {
  const clock = new ManualClock();
  const running = await startStack(parseStack(labYaml(registry, on), "netem-lab.yaml"), {
    clock,
    verifier: "strict",
  });
  assert.deepEqual(running.problems, []);
  const host = running.host;
  const rawDriver = running.drivers.find((d) => d.name === "raw")?.driverObject;
  const netemDriver = running.drivers.find((d) => d.name === "netem")?.driverObject;
  assert.ok(rawDriver && netemDriver);
  const a = openRaw(rawDriver, "eth0");
  const b = openRaw(rawDriver, "eth1");
  assert.ok(a && b);
  const reader = rawReader(b);
  const arrivals: Arrival[] = [];
  const collect = async () => {
    for (const f of await reader.drain()) {
      const view = new DataView(f.buffer, f.byteOffset);
      const seq = view.getUint32(14);
      const clean = frame(seq);
      const corrupted =
        seq !== view.getUint32(18) || f.length !== clean.length || f.some((x, i) => x !== clean[i]);
      arrivals.push({
        seq: corrupted ? -1 : seq,
        atMs: Number(clock.now() / 1_000_000n),
        corrupted,
      });
    }
  };
  const sends = [];
  for (let i = 0; i < count; i++) sends.push(a.send(frame(i)));
  // The hub delivers in a DPC: let what is due now run.
  clock.advance(0);
  await host.settle();
  await collect();
  const delay = Number(registry.DelayMs ?? 0);
  for (let t = 0; t < delay + 10; t += 5) {
    clock.advance(5);
    await host.settle();
    await collect();
  }
  const statuses = await Promise.all(sends);
  const counters = netemOf(netemDriver).modules[0]?.counters;
  a.close();
  b.close();
  const { liveObjects, problems } = await stopStack(running);
  assert.deepEqual(problems, []);
  assert.deepEqual(liveObjects, [], "nothing leaks");
  assert.deepEqual(host.violations, [], "the verifier is clean");
  assert.equal(clock.pending, 0, "no timer left set");
  return { arrivals, statuses, counters };
}

function config(registry: Record<string, number | string>): NetemConfig {
  return {
    lossPercent: Number(registry.LossPercent ?? 0),
    duplicatePercent: Number(registry.DuplicatePercent ?? 0),
    corruptPercent: Number(registry.CorruptPercent ?? 0),
    reorderPercent: Number(registry.ReorderPercent ?? 0),
    delayMs: Number(registry.DelayMs ?? 0),
    seed: Number(registry.Seed ?? 1),
    direction: "both",
  };
}

describe("netem filter", () => {
  const sendFaults = {
    LossPercent: 20,
    DuplicatePercent: 15,
    ReorderPercent: 25,
    DelayMs: 30,
    Seed: 4242,
    Direction: "send",
  };

  test("sends: drops, duplicates, delays and reorders exactly as the seed decides", async () => {
    const { arrivals, statuses, counters } = await run(sendFaults, "eth0");
    const cfg = config(sendFaults);
    const expected: Arrival[] = [];
    for (let i = 0; i < 64; i++) {
      const d = netemDecision(cfg, i);
      if (d.drop) continue;
      const atMs = d.reorder ? 0 : cfg.delayMs;
      expected.push({ seq: i, atMs, corrupted: false });
      if (d.duplicate) expected.push({ seq: i, atMs, corrupted: false });
    }
    const order = (x: Arrival, y: Arrival) => x.atMs - y.atMs || x.seq - y.seq;
    assert.deepEqual([...arrivals].sort(order), expected.sort(order));
    // Frames held for the delay arrive in the order they were sent; reordered ones overtook them.
    const late = arrivals.filter((x) => x.atMs > 0).map((x) => x.seq);
    assert.deepEqual(
      late,
      [...late].sort((x, y) => x - y),
    );
    assert.ok(
      arrivals.some((x) => x.atMs === 0),
      "some frames overtook the delayed ones",
    );
    assert.ok(
      counters && counters.dropped > 0 && counters.duplicated > 0 && counters.reordered > 0,
    );
    assert.equal(counters?.frames, 64);
    // Every send completes exactly once, dropped ones included (lost on the wire: SUCCESS).
    assert.deepEqual(new Set(statuses), new Set([0]));
  });

  test("the same seed replays the same pattern; another seed gives another", async () => {
    const first = await run(sendFaults, "eth0");
    const again = await run(sendFaults, "eth0");
    const other = await run({ ...sendFaults, Seed: 4243 }, "eth0");
    assert.deepEqual(again.arrivals, first.arrivals);
    assert.deepEqual(again.counters, first.counters);
    assert.notDeepEqual(other.arrivals, first.arrivals);
  });

  test("receives: corrupted copies differ in one bit, duplicates and delays as decided", async () => {
    const faults = {
      LossPercent: 10,
      CorruptPercent: 30,
      DuplicatePercent: 20,
      DelayMs: 15,
      Seed: 99,
      Direction: "receive",
    };
    const { arrivals, counters } = await run(faults, "eth1");
    const cfg = config(faults);
    let corrupted = 0;
    let clean = 0;
    for (let i = 0; i < 64; i++) {
      const d = netemDecision(cfg, i);
      if (d.drop) continue;
      if (d.corrupt) corrupted++;
      else clean++;
      if (d.duplicate) clean++;
    }
    assert.equal(arrivals.filter((x) => x.corrupted).length, corrupted);
    assert.equal(arrivals.filter((x) => !x.corrupted).length, clean);
    assert.ok(
      arrivals.every((x) => x.atMs === cfg.delayMs),
      "every frame waited DelayMs",
    );
    assert.equal(counters?.corrupted, corrupted);
    assert.ok(corrupted > 0);
  });

  test("a detach with received frames held flushes them: freed, never indicated, nothing leaks", async () => {
    const clock = new ManualClock();
    const running = await startStack(
      parseStack(labYaml({ DelayMs: 1000, Seed: 1, Direction: "receive" }, "eth0"), "p.yaml"),
      { clock, verifier: "strict" },
    );
    const rawDriver = running.drivers.find((d) => d.name === "raw")?.driverObject;
    const netemDriver = running.drivers.find((d) => d.name === "netem")?.driverObject;
    assert.ok(rawDriver && netemDriver);
    const a = openRaw(rawDriver, "eth0");
    const b = openRaw(rawDriver, "eth1");
    assert.ok(a && b);
    const reader = rawReader(a);
    const sends = [b.send(frame(1)), b.send(frame(2))];
    clock.advance(10);
    await running.host.settle();
    assert.equal(netemOf(netemDriver).modules[0]?.held, 2, "two received copies held");
    let flushed = -1;
    running.host.onTrace((e) => {
      if (e.kind === "handler" && e.phase === "call" && e.name === "FilterDetach")
        flushed = netemOf(netemDriver).modules[0]?.counters.flushed ?? -1;
    });
    let detached = false;
    const detach = running.host.detachFilter("netem", "eth0").then(() => {
      detached = true;
    });
    for (let i = 0; i < 100 && !detached; i++) {
      clock.advance(1);
      await running.host.settle();
    }
    await detach;
    assert.ok(detached, "the pause did not wait for the delay");
    assert.ok(Number(clock.now() / 1_000_000n) < 1000);
    assert.equal(flushed, 2, "the pause flushed both held copies");
    assert.deepEqual(await reader.drain(), [], "nothing held was indicated");
    assert.deepEqual(await Promise.all(sends), [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS]);
    assert.equal(netemOf(netemDriver).modules.length, 0, "the module is gone");
    a.close();
    b.close();
    const { liveObjects, problems } = await stopStack(running);
    assert.deepEqual(problems, []);
    assert.deepEqual(liveObjects, []);
    assert.deepEqual(running.host.violations, []);
  });

  test("a bad registry value fails the module's attach, naming the value", async () => {
    const running = await startStack(parseStack(labYaml({ LossPercent: 101 }, "eth0"), "b.yaml"), {
      clock: new ManualClock(),
      verifier: "record",
    });
    const netemDriver = running.drivers.find((d) => d.name === "netem")?.driverObject;
    assert.ok(netemDriver);
    assert.deepEqual(netemOf(netemDriver).problems, ["eth0: LossPercent 101 is not in 0..100"]);
    assert.deepEqual(running.host.filterModules("eth0"), [], "an optional filter is skipped");
    await stopStack(running);
  });
});
