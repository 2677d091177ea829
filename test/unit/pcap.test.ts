/**
 * pcap and pcapng files: what we write reads back frame for frame, tshark (when installed) opens
 * it, and a malformed file is refused with the offset of what is wrong.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CaptureFormatError,
  concat,
  PcapngWriter,
  pcapFile,
  pcapngFile,
  readCapture,
} from "../../src/pcap/pcapng.js";

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("pcapng and pcap", () => {
  test("frames written to pcapng read back with their interface, time and bytes", () => {
    const packets = [
      { iface: 0, timeNs: 1_764_000_000_000_000_001n, data: frame(60, 1) },
      { iface: 1, timeNs: 1_764_000_000_500_000_000n, data: frame(61, 2), comment: "NBL #1" },
      { iface: 0, timeNs: 1_764_000_001_000_000_000n, data: frame(1514, 3) },
    ];
    const read = readCapture(pcapngFile(["eth0", "eth0-pt"], packets));
    assert.deepEqual(
      read.map((f) => [f.iface, f.timeNs, f.data.length, f.data[0]]),
      packets.map((p) => [p.iface, p.timeNs, p.data.length, p.data[0]]),
    );
  });

  test("classic pcap (nanosecond magic) reads back too", () => {
    const read = readCapture(pcapFile([{ timeNs: 5_000_000_123n, data: frame(64, 7) }]));
    assert.deepEqual(
      read.map((f) => [f.timeNs, f.data.length]),
      [[5_000_000_123n, 64]],
    );
  });

  test("a streamed capture (header, interfaces, packets appended) is one valid file", () => {
    const w = new PcapngWriter();
    const parts = [w.header(), w.addInterface("a"), w.addInterface("b", "edge b")];
    parts.push(w.packet(w.interfaceIndex("b"), 1n, frame(42, 9)));
    assert.equal(w.interfaceIndex("zzz"), -1);
    const read = readCapture(concat(parts));
    assert.deepEqual(
      read.map((f) => [f.iface, f.data.length]),
      [[1, 42]],
    );
  });

  test("truncated and corrupted files are refused with the offset, never misread", () => {
    const good = pcapngFile(["eth0"], [{ iface: 0, timeNs: 1n, data: frame(60, 1) }]);
    assert.throws(() => readCapture(good.subarray(0, good.length - 3)), CaptureFormatError);
    const bad = good.slice();
    bad[bad.length - 4] = 0xff; // trailing length of the packet block
    assert.throws(() => readCapture(bad), /byte \d+: trailing block length/);
    assert.throws(() => readCapture(Uint8Array.of(1, 2, 3, 4, 5)), /neither a pcap nor a pcapng/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          readCapture(bytes);
        } catch (e) {
          assert.ok(e instanceof CaptureFormatError);
        }
      }),
    );
  });

  test("tshark opens what we write, with both interfaces named", (t) => {
    const probe = spawnSync("tshark", ["--version"], { encoding: "utf8" });
    if (probe.status !== 0) {
      t.skip("tshark is not installed (CI installs it: apt-get install tshark)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "ndis-pcap-"));
    try {
      const file = join(dir, "two.pcapng");
      writeFileSync(
        file,
        pcapngFile(
          ["eth0", "eth0-pt"],
          [
            { iface: 0, timeNs: 1n, data: frame(60, 0xff) },
            { iface: 1, timeNs: 2n, data: frame(60, 0xff) },
          ],
        ),
      );
      const out = spawnSync("tshark", ["-r", file, "-T", "fields", "-e", "frame.interface_name"], {
        encoding: "utf8",
      });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(out.stdout.trim().split("\n"), ["eth0", "eth0-pt"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
