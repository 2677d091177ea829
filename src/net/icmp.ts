/**
 * ICMP echo request and reply (RFC 792), with the ICMP checksum over the whole message.
 * Parsing never throws: a short message, a bad checksum or another ICMP type is `null`.
 */
import { get16, set16 } from "./bytes.js";
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

/**
 * The type of the ICMP echo message in `bytes[start, end)` — ICMP_ECHO_REQUEST or
 * ICMP_ECHO_REPLY, 8 bytes or more, its checksum holding — else -1. Read in place.
 */
export function icmpEchoType(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (end - start < ICMP_ECHO_HEADER_LENGTH) return -1;
  const type = bytes[start] as number;
  if (type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY) return -1;
  return internetChecksum(bytes, start, end) === 0 ? type : -1;
}

/** Parses an echo request or reply (the IPv4 payload); `null` otherwise or on a bad checksum. */
export function parseIcmpEcho(bytes: Uint8Array): IcmpEcho | null {
  const type = icmpEchoType(bytes);
  if (type < 0) return null;
  return {
    type,
    code: bytes[1] as number,
    identifier: get16(bytes, 4),
    sequence: get16(bytes, 6),
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
  bytes[0] = echo.type & 0xff;
  bytes[1] = (echo.code ?? 0) & 0xff;
  set16(bytes, 4, echo.identifier & 0xffff);
  set16(bytes, 6, echo.sequence & 0xffff);
  bytes.set(echo.data, ICMP_ECHO_HEADER_LENGTH);
  set16(bytes, 2, internetChecksum(bytes));
  return bytes;
}
