/**
 * The VXLAN header (RFC 7348): 8 bytes — flags (0x08, the I bit: the VNI is valid), 24 reserved
 * bits, the 24-bit VNI, 8 reserved bits — followed by the inner Ethernet frame. UDP port 4789.
 * Parsing never throws: a buffer shorter than 8 bytes or without the I bit is `null`.
 */

export const VXLAN_HEADER_LENGTH = 8;
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_UDP_PORT = 4789;

export interface VxlanPacket {
  readonly vni: number;
  /** The inner Ethernet frame. */
  readonly payload: Uint8Array;
}

export function parseVxlan(bytes: Uint8Array): VxlanPacket | null {
  if (bytes.length < VXLAN_HEADER_LENGTH) return null;
  if (((bytes[0] as number) & VXLAN_FLAG_I) === 0) return null;
  const vni = ((bytes[4] as number) << 16) | ((bytes[5] as number) << 8) | (bytes[6] as number);
  return { vni, payload: bytes.subarray(VXLAN_HEADER_LENGTH) };
}

/** Builds header + inner frame (a new buffer). Throws on a VNI outside 0..0xffffff. */
export function buildVxlan(vni: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) {
    throw new RangeError(`buildVxlan: VNI ${vni} is not 0..16777215`);
  }
  const bytes = new Uint8Array(VXLAN_HEADER_LENGTH + payload.length);
  bytes[0] = VXLAN_FLAG_I;
  bytes[4] = vni >>> 16;
  bytes[5] = (vni >>> 8) & 0xff;
  bytes[6] = vni & 0xff;
  bytes.set(payload, VXLAN_HEADER_LENGTH);
  return bytes;
}
