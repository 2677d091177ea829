/**
 * The `run` command as a function: a ManualClock for time, a stand-in for the process's signals,
 * output captured — deterministic, no sleeping. And the two ways output.ts shows live counters.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { run } from "../../src/cli/commands/run.js";
import { countersTable, createOutput } from "../../src/cli/output.js";
import { type HostStatistics, ManualClock } from "../../src/index.js";
import { readCapture } from "../../src/pcap/pcapng.js";
import { DEFAULT_STACK_YAML } from "../../src/stack/index.js";

type JsonRecord = { type: string; [k: string]: unknown };

const ESC = "\u001b";
const COLOUR = new RegExp(`${ESC}\\[\\d+m`, "g");
const CURSOR_UP = new RegExp(`${ESC}\\[\\d+A`);

function capture() {
  let text = "";
  const out = createOutput(
    (t) => {
      text += t;
    },
    { json: true },
  );
  const records = () =>
    text
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as JsonRecord);
  return { out, records };
}

/** Lets the bring-up's promise chains run until `check` holds (bounded). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (check()) return;
    await turn();
  }
  assert.fail(`never saw ${what}`);
}

describe("run(): injected clock and signals", () => {
  test("the default stack runs its 3 s on the manual clock and ends clean", async () => {
    const clock = new ManualClock();
    const signals = new EventEmitter();
    const { out, records } = capture();
    const done = run({ interval: "1m" }, out, { clock, signals });
    await until(() => records().some((r) => r.type === "up"), "the stack come up");
    for (let t = 0; t < 3000; t += 50) {
      clock.advance(50);
      await turn();
    }
    assert.equal(await done, 0);
    const all = records();
    const hostB = all.find((r) => r.type === "report" && r.driver === "host-b") as unknown as {
      interfaces: { counters: { echoRequestsSent: number; echoRepliesReceived: number } }[];
    };
    assert.deepEqual(hostB.interfaces[0]?.counters.echoRequestsSent, 4);
    assert.deepEqual(hostB.interfaces[0]?.counters.echoRepliesReceived, 4);
    assert.deepEqual(
      all.find((r) => r.type === "stopped"),
      {
        type: "stopped",
        reason: "duration",
        elapsedMs: 3000,
      },
    );
    assert.deepEqual(all.at(-1), {
      type: "summary",
      stack: "default",
      reason: "duration",
      problems: 0,
      violations: 0,
      errors: 0,
      leaked: 0,
    });
    assert.equal(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM"), 0);
    assert.equal(clock.pending, 0, "nothing left scheduled on the clock");
  });

  test("a signal ends a run that has no duration; the listeners are gone afterwards", async () => {
    const clock = new ManualClock();
    const signals = new EventEmitter();
    const { out, records } = capture();
    const done = run({ stack: "examples/passthrough.yaml", duration: "1h", interval: "1m" }, out, {
      clock,
      signals,
    });
    await until(() => records().some((r) => r.type === "up"), "the stack come up");
    clock.advance(1234);
    signals.emit("SIGTERM");
    assert.equal(await done, 0);
    assert.deepEqual(
      records().find((r) => r.type === "stopped"),
      {
        type: "stopped",
        reason: "SIGTERM",
        elapsedMs: 1234,
      },
    );
    assert.equal(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM"), 0);
    assert.equal(clock.pending, 0, "the duration's timer was cancelled");
  });
});

describe("run(): capture from the stack file", () => {
  test("capture.adapters keeps only those edges; timestamps are wall time plus the host clock", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-run-"));
    const out = join(dir, "eth0.pcapng");
    const stack = join(dir, "hub.yaml");
    writeFileSync(
      stack,
      DEFAULT_STACK_YAML.replace(
        "run:\n  duration: 3s\n",
        `run:\n  duration: 3s\ncapture:\n  file: ${JSON.stringify(out)}\n  adapters: [eth0]\n`,
      ),
    );
    const clock = new ManualClock();
    const { out: output, records } = capture();
    const epoch = 1_767_225_600_000_000_000n;
    const done = run({ stack, interval: "1m" }, output, {
      clock,
      signals: new EventEmitter(),
      epochNs: () => epoch,
    });
    await until(() => records().some((r) => r.type === "up"), "the stack come up");
    for (let t = 0; t < 3000; t += 50) {
      clock.advance(50);
      await turn();
    }
    assert.equal(await done, 0);
    const frames = readCapture(new Uint8Array(readFileSync(out)));
    const final = records().find((r) => r.type === "counters" && r.final === true) as unknown as {
      adapters: { name: string; sentPackets: number; receivedPackets: number }[];
    };
    const eth0 = final.adapters.find((a) => a.name === "eth0");
    assert.equal(frames.length, (eth0?.sentPackets ?? 0) + (eth0?.receivedPackets ?? 0));
    assert.ok(frames.length >= 18, "ARP and 8 echoes each way");
    assert.ok(
      frames.every((f) => f.iface === 0),
      "one interface: eth0",
    );
    assert.ok(
      frames.every((f) => f.timeNs >= epoch && f.timeNs <= epoch + 3_000_000_000n),
      "inside the 3 s of the run",
    );
    assert.deepEqual(
      records().find((r) => r.type === "capture"),
      {
        type: "capture",
        file: out,
        frames: frames.length,
      },
    );
  });
});

describe("output: live counters", () => {
  const stats: HostStatistics = {
    adapters: [
      {
        name: "eth0",
        driver: "hub",
        state: "Running",
        sentPackets: 3,
        sentBytes: 194,
        sendErrors: 1,
        sendsRefused: 1,
        receivedPackets: 2,
        receivedBytes: 120,
        receiveDrops: 5,
        sendsOutstanding: 0,
        receivesOutstanding: 0,
      },
    ],
    bindings: [
      {
        protocol: "host-a",
        adapter: "eth0",
        state: "Paused",
        sentPackets: 0,
        sentBytes: 0,
        sendErrors: 0,
        sendsRefused: 0,
        receivedPackets: 0,
        receivedBytes: 0,
        receiveDrops: 0,
        sendsOutstanding: 0,
      },
    ],
  };

  test("the table: one row per adapter and binding, numbers right-aligned", () => {
    const lines = countersTable(stats).map((l) => l.replace(COLOUR, ""));
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /^adapter \/ binding\s+state\s+rx pkts\s+rx bytes/);
    assert.match(lines[1] ?? "", /^eth0\s+Running\s+2\s+120\s+3\s+194\s+5\s+2$/);
    assert.match(lines[2] ?? "", /^host-a → eth0\s+Paused(\s+0){6}$/);
    const widths = new Set(lines.map((l) => [...l].length));
    assert.equal(widths.size, 1, "aligned columns");
  });

  test("on a terminal the table is redrawn in place; any other line keeps it", () => {
    let text = "";
    const out = createOutput(
      (t) => {
        text += t;
      },
      { live: true },
    );
    out.counters(stats, 1000);
    assert.doesNotMatch(text, CURSOR_UP);
    const first = text.length;
    out.counters(stats, 2000);
    assert.ok(
      text.slice(first).startsWith(`${ESC}[4A${ESC}[0J`),
      "up over the 4 lines drawn, then clear",
    );
    out.line("link eth0 down");
    const before = text.length;
    out.counters(stats, 3000);
    assert.doesNotMatch(text.slice(before), CURSOR_UP, "never erases a line printed since");
  });

  test("piped, each tick is one line per adapter and binding", () => {
    let text = "";
    const out = createOutput(
      (t) => {
        text += t;
      },
      { live: false },
    );
    out.counters(stats, 1500);
    const lines = text.replace(COLOUR, "").trim().split("\n");
    assert.deepEqual(lines, [
      "[1.5s] eth0 Running: rx 2 pkts 120 B, tx 3 pkts 194 B, drops 5, errors 2",
      "[1.5s] host-a → eth0 Paused: rx 0 pkts 0 B, tx 0 pkts 0 B, drops 0, errors 0",
    ]);
  });
});
