/**
 * Virtual-time runs end (issue 22, reliability item 9): a stack whose work never lets virtual time
 * pass — a pcap replay with `Loop: 1` and `Timing: asap` — used to keep `ndis trace` inside one
 * ManualClock.advance forever, its trace growing ~35 MB/s. The clock now stops at a bound of
 * callbacks per instant and says so; `ndis trace` stops the run there, tears down, writes what it
 * recorded, names the cause and exits 1. The trace is bounded in events too.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { trace, traceStackFile } from "../../src/cli/commands/trace.js";
import { ManualClock } from "../../src/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** examples/pcap-replay.yaml with the replay looping as fast as it can. */
function loopingStack(): string {
  const dir = mkdtempSync(join(tmpdir(), "ndis-loop-"));
  copyFileSync(join(ROOT, "examples/peer-pings.pcap"), join(dir, "peer-pings.pcap"));
  const yaml = readFileSync(join(ROOT, "examples/pcap-replay.yaml"), "utf8").replace(
    "Timing: original",
    "Timing: asap\n      Loop: 1",
  );
  assert.match(yaml, /Loop: 1/);
  const path = join(dir, "loop.yaml");
  writeFileSync(path, yaml);
  return path;
}

describe("ManualClock: work that never lets time pass", () => {
  test("advance stops after instantLimit callbacks at one instant and says when", () => {
    const clock = new ManualClock({ instantLimit: 100 });
    let runs = 0;
    const again = () => {
      runs++;
      clock.schedule(0, again);
    };
    clock.schedule(5, again);
    clock.advance(10);
    assert.equal(runs, 100);
    assert.deepEqual(clock.stalled, { atNs: 5_000_000n, callbacks: 100 });
    assert.equal(clock.now(), 5_000_000n, "time stays where it stalled");
    assert.equal(clock.pending, 1, "the next one is still queued");
  });

  test("without the limit ordinary timers run as before; a bad limit is refused", () => {
    const clock = new ManualClock({ instantLimit: 3 });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) clock.schedule(1, () => seen.push(i));
    clock.schedule(2, () => seen.push(9));
    clock.advance(5);
    assert.deepEqual(seen, [0, 1, 2, 9]);
    assert.equal(clock.stalled, null);
    assert.equal(clock.now(), 5_000_000n);
    assert.throws(() => new ManualClock({ instantLimit: 0 }), /instantLimit 0 is not ≥ 1/);
  });
});

describe("ndis trace on a stack that loops without time passing", () => {
  test("ends with a clear message, a torn-down stack and a bounded trace", async () => {
    const path = loopingStack();
    const result = await traceStackFile(path, { instantCallbacks: 500 });
    assert.match(result.stopped ?? "", /^stopped at 0\.0 ms of virtual time: 500 timer callbacks/);
    assert.match(result.stopped ?? "", /Timing: original or RatePps/);
    assert.equal(result.clean, false);
    const kinds = new Set(result.events.map((e) => e.name));
    assert.ok(kinds.has("MiniportHaltEx"), "the teardown ran to the halt");

    const bounded = await traceStackFile(path, { instantCallbacks: 500, events: 2000 });
    assert.equal(bounded.events.length, 2000);
    assert.match(
      bounded.stopped ?? "",
      /stopped at .* the trace reached 2000 events|500 timer callbacks/,
    );
  });

  test("the command writes the trace, warns with the cause, exits 1", async () => {
    const path = loopingStack();
    const out = join(mkdtempSync(join(tmpdir(), "ndis-loop-out-")), "t.json");
    let warned = "";
    let written = "";
    const code = await trace(
      { input: path, output: out },
      (t) => {
        written += t;
      },
      (t) => {
        warned += t;
      },
    );
    assert.equal(code, 1);
    assert.match(warned, /loop\.yaml: stopped at 0\.0 ms of virtual time/);
    assert.match(written, /trace events written to/);
    const parsed = JSON.parse(readFileSync(out, "utf8")) as { traceEvents: unknown[] };
    assert.ok(parsed.traceEvents.length > 0);
  });

  test("a stack that lets time pass is not affected", async () => {
    const result = await traceStackFile(join(ROOT, "examples/pcap-replay.yaml"));
    assert.equal(result.stopped, null);
    assert.equal(result.clean, true);
  });
});
