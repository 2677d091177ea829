/**
 * What the interop tests against Linux share: ping's summary line, a full garbage collection for
 * heap comparisons, whether tshark is here, its fields of a capture, and the pcapng bytes of the
 * frames a test saw.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { FrameEvent } from "../../src/index.js";
import { concat, PcapngWriter } from "../../src/pcap/pcapng.js";

/** `ping` output → transmitted, received. */
export function pingSummary(stdout: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  assert.ok(m, `ping output: ${stdout}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

/** A full collection, so that heap figures compare live objects (works without --expose-gc). */
export function collect(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

export function tsharkAvailable(): boolean {
  try {
    execFileSync("tshark", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * tshark's `fields` of every frame of `file` that `displayFilter` keeps, one row per frame, with
 * IPv4 and UDP checksum verification on (it always verifies ICMP's). tshark's warning on stderr
 * when run as root is ignored.
 */
export function tsharkFields(
  file: string,
  displayFilter: string,
  fields: readonly string[],
): string[][] {
  const out = execFileSync(
    "tshark",
    [
      "-r",
      file,
      "-o",
      "ip.check_checksum:TRUE",
      "-o",
      "udp.check_checksum:TRUE",
      "-Y",
      displayFilter,
      "-T",
      "fields",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  return out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

/**
 * Asserts what tshark reads in `file` (frames `displayFilter` keeps): `echoes` ICMP echo requests
 * and as many replies, `udp` UDP datagrams, and good IPv4, ICMP and UDP checksums on all of them.
 */
export function assertEchoCapture(
  file: string,
  displayFilter: string,
  expected: { readonly echoes: number; readonly udp: number },
): void {
  const rows = tsharkFields(file, `(icmp || udp) && (${displayFilter})`, [
    "ip.proto",
    "icmp.type",
    "ip.checksum.status",
    "icmp.checksum.status",
    "udp.checksum.status",
  ]);
  const text = rows.map((r) => r.join(" ")).join("\n");
  assert.equal(rows.filter((r) => r[1] === "8").length, expected.echoes, text);
  assert.equal(rows.filter((r) => r[1] === "0").length, expected.echoes, text);
  assert.equal(rows.filter((r) => r[0] === "17").length, expected.udp, text);
  for (const r of rows) {
    assert.equal(r[2], "1", `IPv4 checksum good: ${r.join(" ")}`);
    if (r[0] === "1") assert.equal(r[3], "1", `ICMP checksum good: ${r.join(" ")}`);
    if (r[0] === "17") assert.equal(r[4], "1", `UDP checksum good: ${r.join(" ")}`);
  }
}

/**
 * A pcapng file of `events`, one interface per adapter edge (sorted by name), each frame at
 * `clockOrigin` + its host time, commented with its direction.
 */
export function capturePcapng(events: readonly FrameEvent[], clockOrigin: bigint): Uint8Array {
  const writer = new PcapngWriter();
  const names = [...new Set(events.map((e) => e.adapter))].sort();
  const parts = [writer.header(), ...names.map((n) => writer.addInterface(n))];
  for (const e of events)
    parts.push(
      writer.packet(names.indexOf(e.adapter), clockOrigin + e.timeNs, e.data, e.direction),
    );
  return concat(parts);
}
