/**
 * NDIS_STATISTICS_INFO (ntddndis.h): the answer to OID_GEN_STATISTICS, which every NDIS 6
 * miniport must give (contract §6.1), and the NDIS_STATISTICS_FLAGS_VALID_* bits that say which of
 * its counters are kept (also a miniport's `SupportedStatistics` general attribute).
 *
 * [MODEL] An OID's InformationBuffer is bytes, so the structure travels in its x64 layout:
 * Header (4), SupportedStatistics (ULONG), then 18 ULONG64 counters, little-endian.
 */

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
/** [DERIVED] x64: Header 4, SupportedStatistics 4, 18 × ULONG64. */
export const NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 = 152;

/** The 18 counters of NDIS_STATISTICS_INFO, in structure order. */
export const NDIS_STATISTICS_INFO_COUNTERS = [
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

export type NdisStatisticsCounter = (typeof NDIS_STATISTICS_INFO_COUNTERS)[number];

/** NDIS_STATISTICS_INFO (Header Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1); counters are ULONG64. */
export type NDIS_STATISTICS_INFO = {
  readonly SupportedStatistics: number;
} & { readonly [K in NdisStatisticsCounter]: bigint };

/** The structure's bytes (Header Type DEFAULT 0x80, Revision 1, Size 152). */
export function ndisStatisticsInfoBytes(info: NDIS_STATISTICS_INFO): Uint8Array {
  const bytes = new Uint8Array(NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x80;
  bytes[1] = NDIS_STATISTICS_INFO_REVISION_1;
  view.setUint16(2, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1, true);
  view.setUint32(4, info.SupportedStatistics >>> 0, true);
  NDIS_STATISTICS_INFO_COUNTERS.forEach((name, i) => {
    view.setBigUint64(8 + 8 * i, BigInt.asUintN(64, info[name]), true);
  });
  return bytes;
}

/** Reads the structure back from at least 152 bytes; null when shorter or not Revision 1. */
export function ndisStatisticsInfoFromBytes(bytes: Uint8Array): NDIS_STATISTICS_INFO | null {
  if (bytes.length < NDIS_SIZEOF_STATISTICS_INFO_REVISION_1) return null;
  if (bytes[1] !== NDIS_STATISTICS_INFO_REVISION_1) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counters = Object.fromEntries(
    NDIS_STATISTICS_INFO_COUNTERS.map((name, i) => [name, view.getBigUint64(8 + 8 * i, true)]),
  ) as { [K in NdisStatisticsCounter]: bigint };
  return { SupportedStatistics: view.getUint32(4, true), ...counters };
}

// NDIS_STATISTICS_*_SUPPORTED: the bits of the general attributes' (and the restart general
// attributes') SupportedStatistics — which statistics OIDs the adapter answers (the
// NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES page; not the NDIS_STATISTICS_FLAGS_VALID_* bits of
// NDIS_STATISTICS_INFO).
export const NDIS_STATISTICS_XMIT_OK_SUPPORTED = 0x00000001;
export const NDIS_STATISTICS_RCV_OK_SUPPORTED = 0x00000002;
export const NDIS_STATISTICS_XMIT_ERROR_SUPPORTED = 0x00000004;
export const NDIS_STATISTICS_RCV_ERROR_SUPPORTED = 0x00000008;
export const NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED = 0x00000010;
export const NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED = 0x00000020;
export const NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED = 0x00000040;
export const NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED = 0x00000080;
export const NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED = 0x00000100;
export const NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED = 0x00000200;
export const NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED = 0x00000400;
export const NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED = 0x00000800;
export const NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED = 0x00001000;
export const NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED = 0x00002000;
export const NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED = 0x00004000;
export const NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED = 0x00008000;
export const NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED = 0x00010000;
export const NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED = 0x00020000;
export const NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED = 0x00040000;
export const NDIS_STATISTICS_BYTES_RCV_SUPPORTED = 0x00080000;
export const NDIS_STATISTICS_BYTES_XMIT_SUPPORTED = 0x00100000;
export const NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED = 0x00200000;
export const NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED = 0x00400000;
export const NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED = 0x08000000;
