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

/** Reads a pcap or pcapng file (Ethernet); throws CaptureFormatError naming the bad offset. */
export function readCapture(bytes: Uint8Array): CapturedFrame[] {
  if (bytes.length < 4) throw new CaptureFormatError(0, "too short to be a pcap or pcapng file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(0, true) === SHB ? readPcapng(bytes, view) : readPcap(bytes, view);
}

function readPcap(bytes: Uint8Array, view: DataView): CapturedFrame[] {
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  let little: boolean;
  let nanos: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    little = true;
    nanos = magicLe === 0xa1b23c4d;
  } else if (magicBe === 0xa1b2c3d4 || magicBe === 0xa1b23c4d) {
    little = false;
    nanos = magicBe === 0xa1b23c4d;
  } else {
    throw new CaptureFormatError(0, "neither a pcap nor a pcapng magic number");
  }
  if (bytes.length < 24) throw new CaptureFormatError(0, "pcap header cut short");
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (linkType !== LINKTYPE_ETHERNET)
    throw new CaptureFormatError(20, `link type ${linkType} is not Ethernet (1)`);
  const frames: CapturedFrame[] = [];
  let offset = 24;
  while (offset < bytes.length) {
    if (offset + 16 > bytes.length) throw new CaptureFormatError(offset, "record header cut short");
    const seconds = BigInt(view.getUint32(offset, little));
    const fraction = BigInt(view.getUint32(offset + 4, little));
    const captured = view.getUint32(offset + 8, little);
    const original = view.getUint32(offset + 12, little);
    if (captured > SNAPLEN)
      throw new CaptureFormatError(
        offset + 8,
        `record length ${captured} is larger than ${SNAPLEN}`,
      );
    if (offset + 16 + captured > bytes.length)
      throw new CaptureFormatError(
        offset,
        `record of ${captured} bytes runs past the end of the file`,
      );
    frames.push({
      timeNs: seconds * 1_000_000_000n + (nanos ? fraction : fraction * 1000n),
      iface: 0,
      data: bytes.slice(offset + 16, offset + 16 + captured),
      originalLength: original,
    });
    offset += 16 + captured;
  }
  return frames;
}

function readPcapng(bytes: Uint8Array, view: DataView): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  /** Per interface: nanoseconds per timestamp unit, as a multiplier and divisor. */
  let units: { mul: bigint; div: bigint }[] = [];
  let little = true;
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new CaptureFormatError(offset, "block header cut short");
    const type = view.getUint32(offset, little);
    if (type === SHB) {
      const magic = view.getUint32(offset + 8, true);
      if (magic === BYTE_ORDER_MAGIC) little = true;
      else if (view.getUint32(offset + 8, false) === BYTE_ORDER_MAGIC) little = false;
      else throw new CaptureFormatError(offset + 8, "bad byte-order magic in section header");
      units = [];
    }
    const length = view.getUint32(offset + 4, little);
    if (length < 12 || length % 4 !== 0 || offset + length > bytes.length)
      throw new CaptureFormatError(offset + 4, `block length ${length} is not valid here`);
    if (view.getUint32(offset + length - 4, little) !== length)
      throw new CaptureFormatError(offset + length - 4, "trailing block length does not match");
    const body = offset + 8;
    if (type === IDB) {
      const linkType = view.getUint16(body, little);
      if (linkType !== LINKTYPE_ETHERNET)
        throw new CaptureFormatError(body, `interface link type ${linkType} is not Ethernet (1)`);
      let resolution = { mul: 1000n, div: 1n }; // default: microseconds
      let o = body + 8;
      while (o + 4 <= offset + length - 4) {
        const code = view.getUint16(o, little);
        const size = view.getUint16(o + 2, little);
        if (code === 0) break;
        if (code === 9 && size >= 1) {
          const r = bytes[o + 4] ?? 6;
          const exp = BigInt(r & 0x7f);
          if ((r & 0x80) === 0) {
            resolution =
              exp <= 9n ? { mul: 10n ** (9n - exp), div: 1n } : { mul: 1n, div: 10n ** (exp - 9n) };
          } else {
            resolution = { mul: 1_000_000_000n, div: 2n ** exp };
          }
        }
        o += 4 + pad4(size);
      }
      units.push(resolution);
    } else if (type === EPB) {
      if (length < 32) throw new CaptureFormatError(offset, "enhanced packet block too short");
      const iface = view.getUint32(body, little);
      const unit = units[iface];
      if (unit === undefined)
        throw new CaptureFormatError(
          body,
          `packet on interface ${iface}, which was never described`,
        );
      const stamp =
        (BigInt(view.getUint32(body + 4, little)) << 32n) |
        BigInt(view.getUint32(body + 8, little));
      const captured = view.getUint32(body + 12, little);
      const original = view.getUint32(body + 16, little);
      if (body + 20 + captured > offset + length - 4)
        throw new CaptureFormatError(body + 12, `packet of ${captured} bytes runs past its block`);
      frames.push({
        timeNs: (stamp * unit.mul) / unit.div,
        iface,
        data: bytes.slice(body + 20, body + 20 + captured),
        originalLength: original,
      });
    } else if (type === SPB) {
      const original = view.getUint32(body, little);
      const captured = Math.min(original, length - 16);
      frames.push({
        timeNs: 0n,
        iface: 0,
        data: bytes.slice(body + 4, body + 4 + captured),
        originalLength: original,
      });
    }
    offset += length;
  }
  return frames;
}
