/**
 * UDP (RFC 768) over IPv4. The checksum covers the IPv4 pseudo-header (source, destination, zero,
 * protocol 17, UDP length); 0 on the wire means "not computed" and is accepted, a computed 0 is
 * sent as 0xffff. Parsing never throws: a short datagram, a bad length or a wrong non-zero
 * checksum is `null`.
 */
import { finishChecksum, sumWords } from "./checksum.js";
import { IPPROTO_UDP } from "./ipv4.js";

export const UDP_HEADER_LENGTH = 8;

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  /** The UDP length field (header + payload). */
  readonly length: number;
  /** As on the wire; 0 = none. */
  readonly checksum: number;
  readonly payload: Uint8Array;
}

function udpChecksum(segment: Uint8Array, src: number, dst: number): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  sum += IPPROTO_UDP + segment.length;
  return finishChecksum(sumWords(segment, 0, segment.length, sum));
}

/**
 * Parses a UDP datagram (the IPv4 payload) sent from `src` to `dst` (needed for the
 * pseudo-header). Bytes beyond the UDP length are ignored.
 */
export function parseUdp(bytes: Uint8Array, src: number, dst: number): UdpDatagram | null {
  if (bytes.length < UDP_HEADER_LENGTH) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(4);
  if (length < UDP_HEADER_LENGTH || length > bytes.length) return null;
  const segment = bytes.subarray(0, length);
  const checksum = view.getUint16(6);
  if (checksum !== 0 && udpChecksum(segment, src >>> 0, dst >>> 0) !== 0) return null;
  return {
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    length,
    checksum,
    payload: segment.subarray(UDP_HEADER_LENGTH),
  };
}

export interface UdpFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/**
 * Builds a UDP datagram (a new buffer). With `withChecksum` false the checksum field is 0 (legal
 * over IPv4); otherwise it is computed over the pseudo-header of `src` → `dst`.
 */
export function buildUdp(
  fields: UdpFields,
  src: number,
  dst: number,
  withChecksum = true,
): Uint8Array {
  const length = UDP_HEADER_LENGTH + fields.payload.length;
  if (length > 0xffff) throw new RangeError("buildUdp: datagram longer than 65535");
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, fields.srcPort & 0xffff);
  view.setUint16(2, fields.dstPort & 0xffff);
  view.setUint16(4, length);
  bytes.set(fields.payload, UDP_HEADER_LENGTH);
  if (withChecksum) {
    const checksum = udpChecksum(bytes, src >>> 0, dst >>> 0);
    view.setUint16(6, checksum === 0 ? 0xffff : checksum);
  }
  return bytes;
}
