/**
 * What a miniport reports about its own traffic and link: NDIS_STATISTICS_INFO for
 * OID_GEN_STATISTICS and the NDIS_MEDIA_STATE of OID_GEN_MEDIA_CONNECT_STATUS [HDR ntddndis.h].
 * (The packet filter bits are in `packet-filter.ts`.)
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";

/** NDIS_MEDIA_STATE: the ULONG OID_GEN_MEDIA_CONNECT_STATUS answers. */
export const NdisMediaStateConnected = 0;
export const NdisMediaStateDisconnected = 1;

// NDIS_STATISTICS_FLAGS_VALID_*: which counters of NDIS_STATISTICS_INFO are meaningful.
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV = 0x00000001;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV = 0x00000002;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV = 0x00000004;
export const NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV = 0x00000008;
export const NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS = 0x00000010;
export const NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR = 0x00000020;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT = 0x00000040;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT = 0x00000080;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT = 0x00000100;
export const NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT = 0x00000200;
export const NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR = 0x00000400;
export const NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS = 0x00008000;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV = 0x00010000;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV = 0x00020000;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV = 0x00040000;
export const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT = 0x00080000;
export const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT = 0x00100000;
export const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT = 0x00200000;

export const NDIS_STATISTICS_INFO_REVISION_1 = 1;
/** [DERIVED] x64: Header 4, SupportedStatistics 4, eighteen ULONG64 counters. */
export const NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 = 152;

/**
 * NDIS_STATISTICS_INFO (Header Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1): the answer to
 * OID_GEN_STATISTICS. ULONG64 counters are bigints. On the wire of an OID request it is laid out
 * as in C (little-endian, `writeStatisticsInfo`).
 */
export interface NDIS_STATISTICS_INFO {
  Header: NDIS_OBJECT_HEADER;
  SupportedStatistics: number;
  ifInDiscards: bigint;
  ifInErrors: bigint;
  ifHCInOctets: bigint;
  ifHCInUcastPkts: bigint;
  ifHCInMulticastPkts: bigint;
  ifHCInBroadcastPkts: bigint;
  ifHCOutOctets: bigint;
  ifHCOutUcastPkts: bigint;
  ifHCOutMulticastPkts: bigint;
  ifHCOutBroadcastPkts: bigint;
  ifOutErrors: bigint;
  ifOutDiscards: bigint;
  ifHCInUcastOctets: bigint;
  ifHCInMulticastOctets: bigint;
  ifHCInBroadcastOctets: bigint;
  ifHCOutUcastOctets: bigint;
  ifHCOutMulticastOctets: bigint;
  ifHCOutBroadcastOctets: bigint;
}

/** The ULONG64 members of NDIS_STATISTICS_INFO, in their C order (offsets 8, 16, …). */
const COUNTERS = [
  "ifInDiscards",
  "ifInErrors",
  "ifHCInOctets",
  "ifHCInUcastPkts",
  "ifHCInMulticastPkts",
  "ifHCInBroadcastPkts",
  "ifHCOutOctets",
  "ifHCOutUcastPkts",
  "ifHCOutMulticastPkts",
  "ifHCOutBroadcastPkts",
  "ifOutErrors",
  "ifOutDiscards",
  "ifHCInUcastOctets",
  "ifHCInMulticastOctets",
  "ifHCInBroadcastOctets",
  "ifHCOutUcastOctets",
  "ifHCOutMulticastOctets",
  "ifHCOutBroadcastOctets",
] as const;

/**
 * [MODEL] Writes `info` into `buffer` with the C layout (at least
 * NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 bytes), as a miniport copies its structure into an OID's
 * InformationBuffer.
 */
export function writeStatisticsInfo(buffer: Uint8Array, info: NDIS_STATISTICS_INFO): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint8(0, info.Header.Type);
  view.setUint8(1, info.Header.Revision);
  view.setUint16(2, info.Header.Size, true);
  view.setUint32(4, info.SupportedStatistics >>> 0, true);
  for (let i = 0; i < COUNTERS.length; i++)
    view.setBigUint64(8 + 8 * i, info[COUNTERS[i] as (typeof COUNTERS)[number]], true);
}

/** [MODEL] Reads an NDIS_STATISTICS_INFO written with the C layout (an OID's answer). */
export function readStatisticsInfo(buffer: Uint8Array): NDIS_STATISTICS_INFO {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const info: Record<string, unknown> = {
    Header: { Type: view.getUint8(0), Revision: view.getUint8(1), Size: view.getUint16(2, true) },
    SupportedStatistics: view.getUint32(4, true),
  };
  for (let i = 0; i < COUNTERS.length; i++)
    info[COUNTERS[i] as string] = view.getBigUint64(8 + 8 * i, true);
  return info as unknown as NDIS_STATISTICS_INFO;
}
