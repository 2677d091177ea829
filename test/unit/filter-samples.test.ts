/**
 * The sample filters together, on a ManualClock: ping works through capture + netem (loss 0) +
 * the passthrough IM over the hub (examples/filter-netem-ping.yaml), and the capture it writes is
 * read by tshark with every frame's direction; netem's loss shows up as missing echoes, exactly
 * as many as its seed decides; the capture filter's ring keeps what it can and counts the rest.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { captureBytes, captureOf } from "../../src/drivers/capture/index.js";
import { type NetemConfig, netemDecision } from "../../src/drivers/netem/index.js";
import { openRaw } from "../../src/drivers/raw/index.js";
import { ManualClock } from "../../src/index.js";
import { readCapture } from "../../src/pcap/pcapng.js";
import {
  durationMs,
  parseStack,
  type Stack,
  startStack,
  stopStack,
} from "../../src/stack/index.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/filter-netem-ping.yaml", import.meta.url));
const work = mkdtempSync(join(tmpdir(), `ndis-samplefilters-${process.pid}-`));
after(() => rmSync(work, { recursive: true, force: true }));

const tsharkMissing = (() => {
  const r = spawnSync("tshark", ["--version"], { encoding: "utf8" });
  return r.error === undefined && r.status === 0 ? false : "tshark is not installed";
})();

/** tshark's fields for every frame of `file`, one array per frame. */
function tshark(file: string, fields: readonly string[]): string[][] {
  const r = spawnSync("tshark", ["-r", file, "-T", "fields", ...fields.flatMap((f) => ["-e", f])], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

/** Runs `stack` for its duration; the reports, then tears down and checks nothing is left. */
async function runStack(stack: Stack) {
  const clock = new ManualClock();
  const running = await startStack(stack, { clock, verifier: "strict" });
  assert.deepEqual(running.problems, []);
  const ms = durationMs(stack.spec.run?.duration ?? "1s");
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await running.host.settle();
  }
  const reports = running.reports();
  const { liveObjects, problems } = await stopStack(running);
  assert.deepEqual(problems, []);
  assert.deepEqual(liveObjects, [], "nothing left after teardown");
  assert.deepEqual(running.host.violations, [], "the verifier is clean");
  assert.equal(clock.pending, 0, "no timer left set");
  return { reports, running };
}

interface PingCounters {
  echoRequestsSent: number;
  echoRepliesReceived: number;
  echoRequestsAnswered: number;
}

function pingOf(
  reports: readonly { driver: string; data: object }[],
  driver: string,
): PingCounters {
  const data = reports.find((r) => r.driver === driver)?.data as
    | { interfaces: { counters: PingCounters }[] }
    | undefined;
  const c = data?.interfaces[0]?.counters;
  assert.ok(c, `a report from ${driver}`);
  return c;
}

/** The example stack, copied into the scratch folder (its capture lands there), with edits. */
async function example(edit: (yaml: string) => string = (y) => y): Promise<Stack> {
  const dir = mkdtempSync(join(work, "stack-"));
  copyFileSync(EXAMPLE, join(dir, "stack.yaml"));
  const text = edit(readFileSync(join(dir, "stack.yaml"), "utf8"));
  return parseStack(text, join(dir, "stack.yaml"));
}

describe("sample filters together", () => {
  test("ping works through capture + netem (loss 0) + the passthrough IM over the hub", async (t) => {
    const stack = await example();
    const { reports } = await runStack(stack);
    for (const host of ["host-a", "host-b"]) {
      const c = pingOf(reports, host);
      assert.equal(c.echoRequestsSent, 4);
      assert.equal(c.echoRepliesReceived, 4, `${host} got every answer`);
    }
    const netem = reports.find((r) => r.driver === "netem")?.data as {
      modules: {
        adapter: string;
        counters: { frames: number; delayed: number; dropped: number };
      }[];
    };
    assert.equal(netem.modules[0]?.adapter, "eth0");
    assert.equal(netem.modules[0]?.counters.dropped, 0);
    assert.ok((netem.modules[0]?.counters.delayed ?? 0) >= 18, "every frame waited DelayMs");
    const cap = reports.find((r) => r.driver === "capture")?.data as {
      file: string;
      written: number;
      dropped: number;
    };
    assert.equal(cap.dropped, 0);
    const file = join(stack.baseDir, "filter-netem-ping.pcapng");
    assert.equal(cap.file, file);
    const frames = readCapture(new Uint8Array(readFileSync(file)));
    assert.equal(frames.length, cap.written);
    assert.ok(
      frames.every((f) => f.data.length <= 128),
      "cut to SnapLength",
    );
    if (tsharkMissing) {
      t.skip(tsharkMissing);
      return;
    }
    const rows = tshark(file, [
      "frame.interface_name",
      "frame.packet_flags_direction",
      "icmp.type",
      "frame.len",
      "frame.cap_len",
    ]);
    assert.equal(rows.length, frames.length, "tshark reads every frame");
    const count = (iface: string, dir: string, icmpType: string) =>
      rows.filter(([i, d, type]) => i === iface && Number(d) === Number(dir) && type === icmpType)
        .length;
    // 0x1 inbound, 0x2 outbound (the EPB flags word); ICMP 8 request, 0 reply.
    for (const iface of ["eth0", "eth1-pt"]) {
      assert.equal(count(iface, "2", "8"), 4, `${iface}: 4 echo requests out`);
      assert.equal(count(iface, "1", "0"), 4, `${iface}: 4 replies in`);
      assert.equal(count(iface, "1", "8"), 4, `${iface}: 4 requests from the peer in`);
      assert.equal(count(iface, "2", "0"), 4, `${iface}: 4 replies out`);
    }
  });

  test("netem's loss shows up as missing echoes, as many as the seed decides", async () => {
    const loss = 30;
    const cfg = (seed: number): NetemConfig => ({
      lossPercent: loss,
      duplicatePercent: 0,
      corruptPercent: 0,
      reorderPercent: 0,
      delayMs: 0,
      seed,
      direction: "send",
    });
    // host-a sends, through netem on eth0, an ARP request (frame 0) and then 10 echo requests
    // (frames 1…10); host-b answers from what the request taught it. The first seed that keeps
    // the ARP request and loses at least one echo request:
    const pings = 10;
    let seed = 1;
    const lost = (s: number) =>
      Array.from({ length: pings }, (_, i) => netemDecision(cfg(s), i + 1).drop).filter(Boolean)
        .length;
    while (netemDecision(cfg(seed), 0).drop || lost(seed) === 0) seed++;
    const expectedLost = lost(seed);
    const stack = await example((yaml) =>
      yaml
        .replace(
          "{ LossPercent: 0, DelayMs: 20, Seed: 7 }",
          `{ LossPercent: ${loss}, Seed: ${seed}, Direction: send }`,
        )
        .replace(/PingTarget: 198\.51\.100\.1\n\s+PingCount: 4\n\s+PingIntervalMs: 500\n/, "")
        .replace("PingCount: 4", `PingCount: ${pings}`)
        .replace("duration: 4s", "duration: 7s"),
    );
    const { reports } = await runStack(stack);
    const a = pingOf(reports, "host-a");
    const b = pingOf(reports, "host-b");
    assert.equal(a.echoRequestsSent, pings);
    assert.equal(b.echoRequestsAnswered, pings - expectedLost, "host-b never saw the lost ones");
    assert.equal(a.echoRepliesReceived, pings - expectedLost, `${expectedLost} echoes missing`);
    const netem = reports.find((r) => r.driver === "netem")?.data as {
      modules: { counters: { frames: number; dropped: number } }[];
    };
    assert.deepEqual(netem.modules[0]?.counters.dropped, expectedLost);
    assert.equal(netem.modules[0]?.counters.frames, pings + 1, "the ARP request and the echoes");
  });

  test("the capture ring keeps what it can hold and counts what it could not", async () => {
    const yaml = `ndis: { version: "6.89", verifier: strict }
drivers:
  - { name: capture, module: capture, registry: { RingSize: 4, SnapLength: 20 }, filter: { type: monitoring, adapters: [eth0] } }
  - { name: raw, module: raw }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: raw, adapter: eth0 }
  - { protocol: raw, adapter: eth1 }
`;
    const clock = new ManualClock();
    const running = await startStack(parseStack(yaml, join(work, "ring.yaml")), {
      clock,
      verifier: "strict",
    });
    assert.deepEqual(running.problems, []);
    const rawDriver = running.drivers.find((d) => d.name === "raw")?.driverObject;
    const capDriver = running.drivers.find((d) => d.name === "capture")?.driverObject;
    assert.ok(rawDriver && capDriver);
    const a = openRaw(rawDriver, "eth0");
    assert.ok(a);
    const sent: Uint8Array[] = [];
    const sends = [];
    for (let i = 0; i < 10; i++) {
      const f = new Uint8Array(60).fill(0xff);
      f[20] = i;
      sent.push(f);
      // Ten sends in one go: the work item that drains the ring cannot run in between.
      sends.push(a.send(f));
    }
    clock.advance(1);
    await running.host.settle();
    await Promise.all(sends);
    // Then ten more, one at a time, each drained before the next.
    for (let i = 10; i < 20; i++) {
      const f = new Uint8Array(60).fill(0xff);
      f[20] = i;
      const s = a.send(f);
      clock.advance(1);
      await running.host.settle();
      await s;
    }
    const report = captureOf(capDriver);
    assert.equal(report?.modules[0]?.outbound, 4 + 10);
    assert.equal(report?.modules[0]?.dropped, 6, "the ring held 4 of the first 10");
    assert.equal(report?.written, 14);
    const bytes = captureBytes(capDriver);
    assert.ok(bytes);
    const frames = readCapture(bytes);
    assert.equal(frames.length, 14);
    assert.ok(frames.every((f) => f.data.length === 20 && f.originalLength === 60));
    // The frames went on unmodified: the capture filter only copies.
    a.close();
    const { liveObjects, problems } = await stopStack(running);
    assert.deepEqual(problems, []);
    assert.deepEqual(liveObjects, []);
    assert.deepEqual(running.host.violations, []);
  });

  test("a capture file that cannot be written fails DriverEntry", async () => {
    const yaml = `drivers:
  - { name: capture, module: capture, registry: { CaptureFile: ${JSON.stringify(join(work, "no", "such", "dir", "x.pcapng"))} } }
adapters: []
`;
    const running = await startStack(parseStack(yaml, join(work, "bad.yaml")), {
      clock: new ManualClock(),
    });
    assert.equal(running.problems.length, 1);
    assert.match(
      running.problems[0] ?? "",
      /driver capture: DriverEntry returned NDIS_STATUS_FAILURE/,
    );
    await stopStack(running);
  });
});
