/**
 * ARP (RFC 826) for Ethernet and IPv4 only: hardware type 1, protocol type 0x0800, address
 * lengths 6 and 4, a 28-byte body. Parsing never throws; anything else is `null`.
 */

export const ARP_LENGTH = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  /** ARP_REQUEST or ARP_REPLY. */
  readonly op: number;
  readonly senderMac: Uint8Array;
  /** IPv4 addresses as unsigned 32-bit numbers (see `parseIPv4`). */
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

/** Parses an Ethernet/IPv4 ARP request or reply (trailing padding ignored); `null` otherwise. */
export function parseArp(bytes: Uint8Array): ArpPacket | null {
  if (bytes.length < ARP_LENGTH) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 1 || view.getUint16(2) !== 0x0800) return null;
  if (bytes[4] !== 6 || bytes[5] !== 4) return null;
  const op = view.getUint16(6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    op,
    senderMac: bytes.slice(8, 14),
    senderIp: view.getUint32(14),
    targetMac: bytes.slice(18, 24),
    targetIp: view.getUint32(24),
  };
}

/** Builds the 28-byte ARP body (the Ethernet header is the caller's). */
export function buildArp(packet: ArpPacket): Uint8Array {
  if (packet.senderMac.length !== 6 || packet.targetMac.length !== 6) {
    throw new RangeError("buildArp: a MAC address is 6 bytes");
  }
  const bytes = new Uint8Array(ARP_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 1);
  view.setUint16(2, 0x0800);
  bytes[4] = 6;
  bytes[5] = 4;
  view.setUint16(6, packet.op);
  bytes.set(packet.senderMac, 8);
  view.setUint32(14, packet.senderIp >>> 0);
  bytes.set(packet.targetMac, 18);
  view.setUint32(24, packet.targetIp >>> 0);
  return bytes;
}
