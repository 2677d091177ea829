/**
 * IPv4 (RFC 791): header parse (with checksum validation) and build (with checksum), and the
 * address helpers. Addresses are unsigned 32-bit numbers ("198.51.100.1" ↔ 0xc6336401).
 * Parsing never throws: a bad version, header length, total length or checksum is `null`.
 */
import { get16, get32, set16, set32 } from "./bytes.js";
import { internetChecksum } from "./checksum.js";

export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;
export const IPV4_MIN_HEADER_LENGTH = 20;

export interface Ipv4Packet {
  /** Header length in bytes (IHL × 4). */
  readonly headerLength: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly identification: number;
  /** The three flag bits (bit 1 = DF, bit 0 = MF). */
  readonly flags: number;
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly src: number;
  readonly dst: number;
  readonly options: Uint8Array;
  /** The payload, trimmed to totalLength (Ethernet padding dropped). */
  readonly payload: Uint8Array;
}

/**
 * The header length of the IPv4 packet that starts at `bytes[start]` and may run to `end`:
 * version 4, IHL of 5 or more, a total length that fits, a header checksum that holds — else 0.
 * Read in place, so a receive path can check a packet without a view of it.
 */
export function ipv4HeaderLength(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (end - start < IPV4_MIN_HEADER_LENGTH) return 0;
  const first = bytes[start] as number;
  const headerLength = (first & 0x0f) * 4;
  if (first >>> 4 !== 4 || headerLength < IPV4_MIN_HEADER_LENGTH) return 0;
  const totalLength = get16(bytes, start + 2);
  if (totalLength < headerLength || totalLength > end - start) return 0;
  if (internetChecksum(bytes, start, start + headerLength) !== 0) return 0;
  return headerLength;
}

/** Parses an IPv4 packet; `null` when malformed or its header checksum is wrong. */
export function parseIpv4Packet(bytes: Uint8Array): Ipv4Packet | null {
  const headerLength = ipv4HeaderLength(bytes);
  if (headerLength === 0) return null;
  const totalLength = get16(bytes, 2);
  const fragment = get16(bytes, 6);
  return {
    headerLength,
    tos: bytes[1] as number,
    totalLength,
    identification: get16(bytes, 4),
    flags: fragment >>> 13,
    fragmentOffset: fragment & 0x1fff,
    ttl: bytes[8] as number,
    protocol: bytes[9] as number,
    checksum: get16(bytes, 10),
    src: get32(bytes, 12),
    dst: get32(bytes, 16),
    options: bytes.subarray(IPV4_MIN_HEADER_LENGTH, headerLength),
    payload: bytes.subarray(headerLength, totalLength),
  };
}

export interface Ipv4Fields {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly ttl?: number | undefined;
  readonly tos?: number | undefined;
  readonly identification?: number | undefined;
  /** Default 0b010 (DF). */
  readonly flags?: number | undefined;
  readonly fragmentOffset?: number | undefined;
  /** A multiple of 4 bytes, at most 40. */
  readonly options?: Uint8Array | undefined;
}

/** Builds an IPv4 packet (a new buffer) with a correct header checksum. */
export function buildIpv4Packet(fields: Ipv4Fields): Uint8Array {
  const options = fields.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) {
    throw new RangeError("buildIpv4Packet: options are a multiple of 4 bytes, at most 40");
  }
  const headerLength = IPV4_MIN_HEADER_LENGTH + options.length;
  const totalLength = headerLength + fields.payload.length;
  if (totalLength > 0xffff) throw new RangeError("buildIpv4Packet: packet longer than 65535");
  const bytes = new Uint8Array(totalLength);
  bytes[0] = 0x40 | (headerLength / 4);
  bytes[1] = (fields.tos ?? 0) & 0xff;
  set16(bytes, 2, totalLength);
  set16(bytes, 4, (fields.identification ?? 0) & 0xffff);
  set16(bytes, 6, (((fields.flags ?? 0b010) & 7) << 13) | ((fields.fragmentOffset ?? 0) & 0x1fff));
  bytes[8] = (fields.ttl ?? 64) & 0xff;
  bytes[9] = fields.protocol & 0xff;
  set32(bytes, 12, fields.src >>> 0);
  set32(bytes, 16, fields.dst >>> 0);
  bytes.set(options, IPV4_MIN_HEADER_LENGTH);
  set16(bytes, 10, internetChecksum(bytes, 0, headerLength));
  bytes.set(fields.payload, headerLength);
  return bytes;
}

/** "198.51.100.1" → 0xc6336401; `null` for anything that is not four decimal octets. */
export function parseIPv4(text: string): number | null {
  const parts = text.trim().split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

/** 0xc6336401 → "198.51.100.1". */
export function formatIPv4(address: number): string {
  const a = address >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** The address as 4 network-order bytes. */
export function ipv4ToBytes(address: number): Uint8Array {
  const bytes = new Uint8Array(4);
  set32(bytes, 0, address >>> 0);
  return bytes;
}

/** 4 network-order bytes (from `offset`) → the address; `null` when fewer than 4 bytes remain. */
export function ipv4FromBytes(bytes: Uint8Array, offset = 0): number | null {
  if (offset < 0 || bytes.length - offset < 4) return null;
  return get32(bytes, offset);
}

/** The netmask of a prefix length 0..32 as a number (24 → 0xffffff00). */
export function prefixMask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`prefixMask: prefix length ${prefixLength} is not 0..32`);
  }
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** True when `address` lies in `network`/`prefixLength`. */
export function inSubnet(address: number, network: number, prefixLength: number): boolean {
  const mask = prefixMask(prefixLength);
  return (address & mask) >>> 0 === (network & mask) >>> 0;
}
