/**
 * ICMP echo request and reply (RFC 792), with the ICMP checksum over the whole message.
 * Parsing never throws: a short message, a bad checksum or another ICMP type is `null`.
 */
import { internetChecksum } from "./checksum.js";

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_HEADER_LENGTH = 8;

export interface IcmpEcho {
  /** ICMP_ECHO_REQUEST or ICMP_ECHO_REPLY. */
  readonly type: number;
  readonly code: number;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
}

/** Parses an echo request or reply (the IPv4 payload); `null` otherwise or on a bad checksum. */
export function parseIcmpEcho(bytes: Uint8Array): IcmpEcho | null {
  if (bytes.length < ICMP_ECHO_HEADER_LENGTH) return null;
  const type = bytes[0] as number;
  if (type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY) return null;
  if (internetChecksum(bytes) !== 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    type,
    code: bytes[1] as number,
    identifier: view.getUint16(4),
    sequence: view.getUint16(6),
    data: bytes.subarray(ICMP_ECHO_HEADER_LENGTH),
  };
}

/** Builds an echo message (a new buffer) with its checksum. `code` defaults to 0. */
export function buildIcmpEcho(echo: {
  readonly type: number;
  readonly code?: number | undefined;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
}): Uint8Array {
  const bytes = new Uint8Array(ICMP_ECHO_HEADER_LENGTH + echo.data.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = echo.type & 0xff;
  bytes[1] = (echo.code ?? 0) & 0xff;
  view.setUint16(4, echo.identifier & 0xffff);
  view.setUint16(6, echo.sequence & 0xffff);
  bytes.set(echo.data, ICMP_ECHO_HEADER_LENGTH);
  view.setUint16(2, internetChecksum(bytes));
  return bytes;
}
