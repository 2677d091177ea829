/**
 * Ethernet II frames (IEEE 802.3 with an EtherType), with awareness of one 802.1Q tag. Parsing
 * never throws: a frame too short to hold its header is `null`. Building pads to the 60-byte
 * minimum (64 on the wire with the FCS, which neither side carries here).
 */
import { get16, set16 } from "./bytes.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
/** The smallest frame without its FCS; shorter ones are padded with zeros. */
export const ETHERNET_MIN_FRAME_LENGTH = 60;
export const MAC_LENGTH = 6;

export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** An 802.1Q tag: priority code point, drop eligible indicator, VLAN id. */
export interface VlanTag {
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
}

export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** The EtherType of the payload (after the 802.1Q tag when there is one). */
  readonly ethertype: number;
  readonly vlan?: VlanTag | undefined;
  /** Everything after the header, padding included: upper layers trim by their own lengths. */
  readonly payload: Uint8Array;
}

/** Parses an Ethernet II frame; `null` when it is shorter than its header. Views, not copies. */
export function parseEthernet(frame: Uint8Array): EthernetFrame | null {
  if (frame.length < ETHERNET_HEADER_LENGTH) return null;
  const dst = frame.subarray(0, 6);
  const src = frame.subarray(6, 12);
  const type = get16(frame, 12);
  if (type !== ETHERTYPE_VLAN) {
    return { dst, src, ethertype: type, payload: frame.subarray(ETHERNET_HEADER_LENGTH) };
  }
  if (frame.length < ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH) return null;
  const tci = get16(frame, 14);
  return {
    dst,
    src,
    ethertype: get16(frame, 16),
    vlan: { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff },
    payload: frame.subarray(ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH),
  };
}

export interface EthernetFields {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly ethertype: number;
  readonly vlan?: VlanTag | undefined;
  readonly payload: Uint8Array;
}

/** Builds a frame (a new buffer), zero-padded to 60 bytes. Throws on a MAC that is not 6 bytes. */
export function buildEthernet(fields: EthernetFields): Uint8Array {
  if (fields.dst.length !== MAC_LENGTH || fields.src.length !== MAC_LENGTH) {
    throw new RangeError("buildEthernet: a MAC address is 6 bytes");
  }
  const header = ETHERNET_HEADER_LENGTH + (fields.vlan ? VLAN_TAG_LENGTH : 0);
  const frame = new Uint8Array(Math.max(ETHERNET_MIN_FRAME_LENGTH, header + fields.payload.length));
  frame.set(fields.dst, 0);
  frame.set(fields.src, 6);
  if (fields.vlan) {
    const { pcp, dei, vid } = fields.vlan;
    set16(frame, 12, ETHERTYPE_VLAN);
    set16(frame, 14, ((pcp & 7) << 13) | (dei ? 0x1000 : 0) | (vid & 0x0fff));
  }
  set16(frame, header - 2, fields.ethertype & 0xffff);
  frame.set(fields.payload, header);
  return frame;
}

/** True for the all-ones address. */
export function isBroadcastMac(mac: Uint8Array): boolean {
  return mac.length === MAC_LENGTH && isBroadcastMacAt(mac, 0);
}

/** True when the 6 bytes of `bytes` at `at` are the all-ones address (read in place). */
export function isBroadcastMacAt(bytes: Uint8Array, at: number): boolean {
  if (at + MAC_LENGTH > bytes.length) return false;
  for (let i = 0; i < MAC_LENGTH; i++) if (bytes[at + i] !== 0xff) return false;
  return true;
}

/** True when the 6 bytes of `bytes` at `at` are `mac` (read in place). */
export function macEqualsAt(bytes: Uint8Array, at: number, mac: Uint8Array): boolean {
  if (mac.length !== MAC_LENGTH || at + MAC_LENGTH > bytes.length) return false;
  for (let i = 0; i < MAC_LENGTH; i++) if (bytes[at + i] !== mac[i]) return false;
  return true;
}

/** True for a group address (the I/G bit), broadcast included. */
export function isMulticastMac(mac: Uint8Array): boolean {
  return mac.length > 0 && ((mac[0] as number) & 1) === 1;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** "02-00-00-00-00-01" (the Windows spelling). */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("-");
}

/** Parses "02-00-00-00-00-01", "02:00:00:00:00:01" or "020000000001"; `null` otherwise. */
export function parseMac(text: string): Uint8Array | null {
  const hex = text.trim().replace(/[-:]/g, "");
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return null;
  const mac = new Uint8Array(MAC_LENGTH);
  for (let i = 0; i < MAC_LENGTH; i++) mac[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return mac;
}
