/**
 * pcap and pcapng files, written and read without dependencies — what a capture of the frames
 * crossing a stack's edges and the replay of a recorded trace need, in the little-endian,
 * nanosecond-resolution form tshark and Wireshark open.
 *
 * Writer: one Section Header Block, one Interface Description Block per interface (LINKTYPE
 * Ethernet, `if_name`, `if_tsresol` = 9), one Enhanced Packet Block per frame with an optional
 * comment. Reader: classic pcap (µs or ns magic, either byte order) and pcapng (SHB, IDB, EPB,
 * SPB; other blocks skipped), Ethernet only. A malformed file is rejected with an error that names
 * the byte offset.
 */

import { closeSync, openSync, readSync } from "node:fs";

export const LINKTYPE_ETHERNET = 1;
const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const SNAPLEN = 262144;

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = new TextEncoder();

function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  const view = new DataView(out.buffer);
  view.setUint16(0, code, true);
  view.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

function block(type: number, parts: readonly Uint8Array[]): Uint8Array {
  const body = parts.reduce((n, p) => n + p.length, 0);
  const length = 12 + body;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, length, true);
  let offset = 8;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  view.setUint32(length - 4, length, true);
  return out;
}

const END_OF_OPTIONS = new Uint8Array(4);

/** The direction bits of an EPB's epb_flags option (1 inbound, 2 outbound). */
export type PacketDirection = "inbound" | "outbound";

/**
 * A pcapng stream being written: `header(interfaces)` first, then `packet(...)` for each frame.
 * Each call returns the bytes to append, so the caller chooses a file, a stream or memory.
 */
export class PcapngWriter {
  readonly #interfaces: string[] = [];

  /** The Section Header Block and one Interface Description Block per interface name. */
  header(application = "ndis-ts"): Uint8Array {
    const shb = new Uint8Array(16);
    const view = new DataView(shb.buffer);
    view.setUint32(0, BYTE_ORDER_MAGIC, true);
    view.setUint16(4, 1, true);
    view.setUint16(6, 0, true);
    view.setBigInt64(8, -1n, true);
    return block(SHB, [shb, option(4, utf8.encode(application)), END_OF_OPTIONS]);
  }

  /**
   * An Interface Description Block; returns its bytes. Its index is the order of the calls.
   * `snapLength`: the most bytes of a packet the capture keeps.
   */
  addInterface(name: string, description?: string, snapLength = SNAPLEN): Uint8Array {
    this.#interfaces.push(name);
    const idb = new Uint8Array(8);
    const view = new DataView(idb.buffer);
    view.setUint16(0, LINKTYPE_ETHERNET, true);
    view.setUint32(4, snapLength, true);
    const options = [option(2, utf8.encode(name))];
    if (description !== undefined) options.push(option(3, utf8.encode(description)));
    options.push(option(9, Uint8Array.of(9)), END_OF_OPTIONS);
    return block(IDB, [idb, ...options]);
  }

  /** The index of an interface added earlier, or -1. */
  interfaceIndex(name: string): number {
    return this.#interfaces.indexOf(name);
  }

  /**
   * An Enhanced Packet Block: `data` seen on interface `iface` at `timeNs` (since the epoch).
   * `extra.originalLength`: the packet's length on the wire when `data` was cut to the snap
   * length; `extra.direction`: the epb_flags inbound/outbound bits.
   */
  packet(
    iface: number,
    timeNs: bigint,
    data: Uint8Array,
    comment?: string,
    extra: { readonly originalLength?: number; readonly direction?: PacketDirection } = {},
  ): Uint8Array {
    const header = new Uint8Array(20);
    const view = new DataView(header.buffer);
    view.setUint32(0, iface, true);
    view.setUint32(4, Number((timeNs >> 32n) & 0xffffffffn), true);
    view.setUint32(8, Number(timeNs & 0xffffffffn), true);
    view.setUint32(12, data.length, true);
    view.setUint32(16, Math.max(data.length, extra.originalLength ?? 0), true);
    const padded = new Uint8Array(pad4(data.length));
    padded.set(data);
    const options: Uint8Array[] = [];
    if (comment !== undefined) options.push(option(1, utf8.encode(comment)));
    if (extra.direction !== undefined) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, extra.direction === "inbound" ? 1 : 2, true);
      options.push(option(2, flags));
    }
    if (options.length > 0) options.push(END_OF_OPTIONS);
    return block(EPB, [header, padded, ...options]);
  }
}

/** A whole pcapng file in memory: one interface per name, each packet on one of them. */
export function pcapngFile(
  interfaces: readonly string[],
  packets: readonly {
    readonly iface: number;
    readonly timeNs: bigint;
    readonly data: Uint8Array;
    readonly comment?: string;
  }[],
): Uint8Array {
  const writer = new PcapngWriter();
  const parts = [writer.header(), ...interfaces.map((name) => writer.addInterface(name))];
  for (const p of packets) parts.push(writer.packet(p.iface, p.timeNs, p.data, p.comment));
  return concat(parts);
}

/** A classic pcap file (nanosecond magic, LINKTYPE Ethernet). */
export function pcapFile(
  packets: readonly { readonly timeNs: bigint; readonly data: Uint8Array }[],
): Uint8Array {
  const out = new Uint8Array(24 + packets.reduce((n, p) => n + 16 + p.data.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b23c4d, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  let offset = 24;
  for (const p of packets) {
    view.setUint32(offset, Number(p.timeNs / 1_000_000_000n), true);
    view.setUint32(offset + 4, Number(p.timeNs % 1_000_000_000n), true);
    view.setUint32(offset + 8, p.data.length, true);
    view.setUint32(offset + 12, p.data.length, true);
    out.set(p.data, offset + 16);
    offset += 16 + p.data.length;
  }
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** One frame read from a capture file. */
export interface CapturedFrame {
  /** Nanoseconds since the epoch. */
  readonly timeNs: bigint;
  /** The interface index (pcapng), 0 for pcap. */
  readonly iface: number;
  readonly data: Uint8Array;
  /** The length on the wire (more than `data.length` when the capture was cut short). */
  readonly originalLength: number;
}

export class CaptureFormatError extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(`capture file, byte ${offset}: ${message}`);
    this.name = "CaptureFormatError";
    this.offset = offset;
  }
}

/**
 * Fills `into` with the source's bytes from byte `position` on; returns how many it gave (0 at the
 * end). A file descriptor read with `readSync`, or an array in memory.
 */
export type CaptureSource = (into: Uint8Array, position: number) => number;

/** The largest block or record a reader buffers (a frame is at most SNAPLEN bytes). */
const MAX_BLOCK = 16 * 2 ** 20;
const CHUNK = 1 << 16;

/**
 * Reads a pcap or pcapng capture (Ethernet) one frame at a time from a source, holding only the
 * block being read: memory stays flat whatever the file's size. `next()` gives the next frame, or
 * null at the end; a malformed file throws CaptureFormatError naming the byte offset. `rewind()`
 * starts again from the first byte (a replay's loop).
 */
export class CaptureReader implements Iterable<CapturedFrame> {
  readonly #source: CaptureSource;
  readonly #close: () => void;
  #buf = new Uint8Array(CHUNK);
  /** Source position of #buf[0]. */
  #base = 0;
  #start = 0;
  #end = 0;
  #eof = false;
  #format: "pcap" | "pcapng" | null = null;
  #little = true;
  #nanos = false;
  /** pcapng, per interface: nanoseconds per timestamp unit as a multiplier and divisor. */
  #units: { mul: bigint; div: bigint }[] = [];

  constructor(source: CaptureSource, close: () => void = () => {}) {
    this.#source = source;
    this.#close = close;
  }

  /** A reader of bytes in memory. */
  static fromBytes(bytes: Uint8Array): CaptureReader {
    return new CaptureReader((into, position) => {
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return n;
    });
  }

  /** A reader of a file, read as it goes; `close()` closes it. */
  static openFile(path: string): CaptureReader {
    const fd = openSync(path, "r");
    return new CaptureReader(
      (into, position) => readSync(fd, into, 0, into.length, position),
      () => closeSync(fd),
    );
  }

  /** Byte offset in the source of the next unread byte. */
  get offset(): number {
    return this.#base + this.#start;
  }

  close(): void {
    this.#close();
  }

  rewind(): void {
    this.#base = 0;
    this.#start = 0;
    this.#end = 0;
    this.#eof = false;
    this.#format = null;
    this.#units = [];
  }

  *[Symbol.iterator](): Iterator<CapturedFrame> {
    for (let frame = this.next(); frame !== null; frame = this.next()) yield frame;
  }

  /** Makes `n` bytes from the current position available; false when the source ends first. */
  #ensure(n: number): boolean {
    if (this.#end - this.#start >= n) return true;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#base += this.#start;
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (n > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.#buf.length * 2));
      bigger.set(this.#buf.subarray(0, this.#end));
      this.#buf = bigger;
    }
    while (this.#end < n && !this.#eof) {
      const got = this.#source(this.#buf.subarray(this.#end), this.#base + this.#end);
      if (got <= 0) this.#eof = true;
      else this.#end += got;
    }
    return this.#end - this.#start >= n;
  }

  #view(): DataView {
    return new DataView(
      this.#buf.buffer,
      this.#buf.byteOffset + this.#start,
      this.#end - this.#start,
    );
  }

  #error(relative: number, message: string): CaptureFormatError {
    return new CaptureFormatError(this.offset + relative, message);
  }

  next(): CapturedFrame | null {
    if (this.#format === null) {
      if (!this.#ensure(4)) {
        if (this.offset === 0)
          throw new CaptureFormatError(0, "too short to be a pcap or pcapng file");
        return null;
      }
      if (this.#view().getUint32(0, true) === SHB) this.#format = "pcapng";
      else this.#readPcapHeader();
    }
    return this.#format === "pcap" ? this.#nextPcap() : this.#nextPcapng();
  }

  #readPcapHeader(): void {
    const view = this.#view();
    const magicLe = view.getUint32(0, true);
    const magicBe = view.getUint32(0, false);
    if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
      this.#little = true;
      this.#nanos = magicLe === 0xa1b23c4d;
    } else if (magicBe === 0xa1b2c3d4 || magicBe === 0xa1b23c4d) {
      this.#little = false;
      this.#nanos = magicBe === 0xa1b23c4d;
    } else {
      throw this.#error(0, "neither a pcap nor a pcapng magic number");
    }
    if (!this.#ensure(24)) throw this.#error(0, "pcap header cut short");
    const linkType = this.#view().getUint32(20, this.#little) & 0x0fffffff;
    if (linkType !== LINKTYPE_ETHERNET)
      throw this.#error(20, `link type ${linkType} is not Ethernet (1)`);
    this.#start += 24;
    this.#format = "pcap";
  }

  #nextPcap(): CapturedFrame | null {
    if (!this.#ensure(1)) return null;
    if (!this.#ensure(16)) throw this.#error(0, "record header cut short");
    let view = this.#view();
    const little = this.#little;
    const seconds = BigInt(view.getUint32(0, little));
    const fraction = BigInt(view.getUint32(4, little));
    const captured = view.getUint32(8, little);
    const original = view.getUint32(12, little);
    if (captured > SNAPLEN)
      throw this.#error(8, `record length ${captured} is larger than ${SNAPLEN}`);
    if (!this.#ensure(16 + captured))
      throw this.#error(0, `record of ${captured} bytes runs past the end of the file`);
    view = this.#view();
    const at = this.#start + 16;
    const frame: CapturedFrame = {
      timeNs: seconds * 1_000_000_000n + (this.#nanos ? fraction : fraction * 1000n),
      iface: 0,
      data: this.#buf.slice(at, at + captured),
      originalLength: original,
    };
    this.#start += 16 + captured;
    return frame;
  }

  #nextPcapng(): CapturedFrame | null {
    for (;;) {
      if (!this.#ensure(1)) return null;
      if (!this.#ensure(12)) throw this.#error(0, "block header cut short");
      let view = this.#view();
      const type = view.getUint32(0, this.#little);
      if (type === SHB) {
        if (view.getUint32(8, true) === BYTE_ORDER_MAGIC) this.#little = true;
        else if (view.getUint32(8, false) === BYTE_ORDER_MAGIC) this.#little = false;
        else throw this.#error(8, "bad byte-order magic in section header");
        this.#units = [];
      }
      const little = this.#little;
      const length = view.getUint32(4, little);
      if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK || !this.#ensure(length))
        throw this.#error(4, `block length ${length} is not valid here`);
      view = this.#view();
      if (view.getUint32(length - 4, little) !== length)
        throw this.#error(length - 4, "trailing block length does not match");
      const body = 8;
      const bytes = this.#buf.subarray(this.#start, this.#start + length);
      let frame: CapturedFrame | null = null;
      if (type === IDB) {
        const linkType = view.getUint16(body, little);
        if (linkType !== LINKTYPE_ETHERNET)
          throw this.#error(body, `interface link type ${linkType} is not Ethernet (1)`);
        let resolution = { mul: 1000n, div: 1n }; // default: microseconds
        let o = body + 8;
        while (o + 4 <= length - 4) {
          const code = view.getUint16(o, little);
          const size = view.getUint16(o + 2, little);
          if (code === 0) break;
          if (code === 9 && size >= 1) {
            const r = bytes[o + 4] ?? 6;
            const exp = BigInt(r & 0x7f);
            if ((r & 0x80) === 0) {
              resolution =
                exp <= 9n
                  ? { mul: 10n ** (9n - exp), div: 1n }
                  : { mul: 1n, div: 10n ** (exp - 9n) };
            } else {
              resolution = { mul: 1_000_000_000n, div: 2n ** exp };
            }
          }
          o += 4 + pad4(size);
        }
        this.#units.push(resolution);
      } else if (type === EPB) {
        if (length < 32) throw this.#error(0, "enhanced packet block too short");
        const iface = view.getUint32(body, little);
        const unit = this.#units[iface];
        if (unit === undefined)
          throw this.#error(body, `packet on interface ${iface}, which was never described`);
        const stamp =
          (BigInt(view.getUint32(body + 4, little)) << 32n) |
          BigInt(view.getUint32(body + 8, little));
        const captured = view.getUint32(body + 12, little);
        const original = view.getUint32(body + 16, little);
        if (body + 20 + captured > length - 4)
          throw this.#error(body + 12, `packet of ${captured} bytes runs past its block`);
        frame = {
          timeNs: (stamp * unit.mul) / unit.div,
          iface,
          data: bytes.slice(body + 20, body + 20 + captured),
          originalLength: original,
        };
      } else if (type === SPB) {
        const original = view.getUint32(body, little);
        const captured = Math.min(original, length - 16);
        frame = {
          timeNs: 0n,
          iface: 0,
          data: bytes.slice(body + 4, body + 4 + captured),
          originalLength: original,
        };
      }
      this.#start += length;
      if (frame !== null) return frame;
    }
  }
}

/** Reads a pcap or pcapng capture in memory (Ethernet); throws CaptureFormatError naming the bad offset. */
export function readCapture(bytes: Uint8Array): CapturedFrame[] {
  return [...CaptureReader.fromBytes(bytes)];
}

/**
 * Reads a capture file through once, frame by frame, in constant memory: how many frames it has
 * and the largest. Throws CaptureFormatError for a malformed file (or an fs error).
 */
export function scanCaptureFile(path: string): {
  readonly frames: number;
  readonly largest: number;
} {
  const reader = CaptureReader.openFile(path);
  try {
    let frames = 0;
    let largest = 0;
    for (let f = reader.next(); f !== null; f = reader.next()) {
      frames++;
      if (f.data.length > largest) largest = f.data.length;
    }
    return { frames, largest };
  } finally {
    reader.close();
  }
}
