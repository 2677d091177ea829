/**
 * The capture reader streams (issue 22, reliability item 10): it holds one block at a time, so a
 * file of any size reads in flat memory (reading a 512 MB file of empty records whole aborted V8).
 * Read in pieces of any size it gives exactly what reading the bytes at once gives, errors and
 * their offsets included; the pcap miniport replays through it, reading as it goes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type CapturedFrame,
  CaptureFormatError,
  CaptureReader,
  pcapFile,
  pcapngFile,
  readCapture,
  scanCaptureFile,
} from "../../src/pcap/pcapng.js";

/** A reader over `bytes` whose source gives at most `piece` bytes per call. */
function piecewise(bytes: Uint8Array, piece: number): CaptureReader {
  return new CaptureReader((into, position) => {
    const n = Math.max(0, Math.min(piece, into.length, bytes.length - position));
    into.set(bytes.subarray(position, position + n));
    return n;
  });
}

function all(reader: CaptureReader): CapturedFrame[] | string {
  try {
    return [...reader];
  } catch (err) {
    if (err instanceof CaptureFormatError) return err.message;
    throw err;
  }
}

function whole(bytes: Uint8Array): CapturedFrame[] | string {
  try {
    return readCapture(bytes);
  } catch (err) {
    if (err instanceof CaptureFormatError) return err.message;
    throw err;
  }
}

/** A classic pcap of `count` empty records, generated as it is read (never in memory whole). */
function emptyRecords(count: number): CaptureReader {
  const header = pcapFile([]);
  const size = header.length + 16 * count;
  return new CaptureReader((into, position) => {
    const n = Math.max(0, Math.min(into.length, size - position));
    for (let i = 0; i < n; i++) {
      const at = position + i;
      into[i] = at < header.length ? (header[at] as number) : 0;
    }
    return n;
  });
}

const frames = fc.array(
  fc.record({
    timeNs: fc.bigInt({ min: 0n, max: 4_000_000_000_000_000_000n }),
    data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    iface: fc.integer({ min: 0, max: 1 }),
  }),
  { maxLength: 12 },
);

describe("CaptureReader: a capture read a piece at a time", () => {
  test("any piece size gives what the whole bytes give — frames, or the same error at the same offset", () => {
    fc.assert(
      fc.property(
        frames,
        fc.boolean(),
        fc.integer({ min: 1, max: 97 }),
        fc.option(fc.integer({ min: 0, max: 2000 })),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
        (packets, ng, piece, cut, flip) => {
          let bytes = ng
            ? pcapngFile(["a", "b"], packets)
            : pcapFile(packets.map(({ timeNs, data }) => ({ timeNs: timeNs % 2n ** 62n, data })));
          if (cut !== null) bytes = bytes.slice(0, Math.min(cut, bytes.length));
          if (flip !== null && bytes.length > 0) {
            bytes = bytes.slice();
            bytes[flip[0] % bytes.length] = flip[1];
          }
          assert.deepEqual(all(piecewise(bytes, piece)), whole(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("1,000,000 empty records read in flat memory (reading them whole does not)", () => {
    const count = 1_000_000;
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let read = 0;
    const reader = emptyRecords(count);
    for (let f = reader.next(); f !== null; f = reader.next()) {
      read++;
      if ((read & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    assert.equal(read, count);
    const streamed = peak - before;
    assert.ok(streamed < 48 * 2 ** 20, `streaming grew the heap by ${streamed >> 20} MiB`);
    // The control: the same records kept as a list — what reading the file whole did.
    const kept: CapturedFrame[] = [];
    const again = emptyRecords(count);
    for (let f = again.next(); f !== null; f = again.next()) kept.push(f);
    const held = process.memoryUsage().heapUsed - before;
    assert.equal(kept.length, count);
    assert.ok(held > 2 * streamed, `holding every frame needs more (${held >> 20} MiB)`);
  });

  test("rewind starts again at the first frame; a file is scanned in one pass", () => {
    const bytes = pcapFile([
      { timeNs: 1n, data: Uint8Array.of(1) },
      { timeNs: 2n, data: Uint8Array.of(2, 2, 2) },
    ]);
    const reader = CaptureReader.fromBytes(bytes);
    assert.equal(reader.next()?.data.length, 1);
    reader.rewind();
    assert.deepEqual(
      [...reader].map((f) => f.data.length),
      [1, 3],
    );
    assert.equal(reader.next(), null, "at the end it stays at the end");
    const dir = mkdtempSync(join(tmpdir(), "ndis-stream-"));
    const path = join(dir, "two.pcap");
    writeFileSync(path, bytes);
    assert.deepEqual(scanCaptureFile(path), { frames: 2, largest: 3 });
    writeFileSync(path, bytes.slice(0, bytes.length - 1));
    assert.throws(() => scanCaptureFile(path), /record of 3 bytes runs past the end of the file/);
  });
});
