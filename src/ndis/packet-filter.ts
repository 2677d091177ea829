/**
 * Packet filter bits (NDIS_PACKET_TYPE_*, ntddndis.h): the ULONG of OID_GEN_CURRENT_PACKET_FILTER
 * and of a miniport's SupportedPacketFilters (contract §6, notes under the OID table).
 */
export const NDIS_PACKET_TYPE_DIRECTED = 0x00000001;
export const NDIS_PACKET_TYPE_MULTICAST = 0x00000002;
export const NDIS_PACKET_TYPE_ALL_MULTICAST = 0x00000004;
export const NDIS_PACKET_TYPE_BROADCAST = 0x00000008;
export const NDIS_PACKET_TYPE_SOURCE_ROUTING = 0x00000010;
export const NDIS_PACKET_TYPE_PROMISCUOUS = 0x00000020;
export const NDIS_PACKET_TYPE_SMT = 0x00000040;
export const NDIS_PACKET_TYPE_ALL_LOCAL = 0x00000080;
export const NDIS_PACKET_TYPE_GROUP = 0x00001000;
export const NDIS_PACKET_TYPE_ALL_FUNCTIONAL = 0x00002000;
export const NDIS_PACKET_TYPE_FUNCTIONAL = 0x00004000;
export const NDIS_PACKET_TYPE_MAC_FRAME = 0x00008000;
/** Windows 8+: no loopback copies of the binding's own sends. */
export const NDIS_PACKET_TYPE_NO_LOCAL = 0x00010000;
