/**
 * OID codes (ntddndis.h) of the contract's OID table (§6.1), and the NDIS_OID_REQUEST a protocol or
 * NDIS hands a miniport. The table itself lives in the contract; the test of this module checks
 * each value against it.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_HANDLE } from "./types.js";

/** NDIS_OID: a 32-bit object identifier. */
export type NDIS_OID = number;

export const OID_GEN_SUPPORTED_LIST: NDIS_OID = 0x00010101;
export const OID_GEN_HARDWARE_STATUS: NDIS_OID = 0x00010102;
export const OID_GEN_MEDIA_SUPPORTED: NDIS_OID = 0x00010103;
export const OID_GEN_MEDIA_IN_USE: NDIS_OID = 0x00010104;
export const OID_GEN_MAXIMUM_LOOKAHEAD: NDIS_OID = 0x00010105;
export const OID_GEN_MAXIMUM_FRAME_SIZE: NDIS_OID = 0x00010106;
export const OID_GEN_LINK_SPEED: NDIS_OID = 0x00010107;
export const OID_GEN_TRANSMIT_BUFFER_SPACE: NDIS_OID = 0x00010108;
export const OID_GEN_RECEIVE_BUFFER_SPACE: NDIS_OID = 0x00010109;
export const OID_GEN_TRANSMIT_BLOCK_SIZE: NDIS_OID = 0x0001010a;
export const OID_GEN_RECEIVE_BLOCK_SIZE: NDIS_OID = 0x0001010b;
export const OID_GEN_VENDOR_ID: NDIS_OID = 0x0001010c;
export const OID_GEN_VENDOR_DESCRIPTION: NDIS_OID = 0x0001010d;
export const OID_GEN_CURRENT_PACKET_FILTER: NDIS_OID = 0x0001010e;
export const OID_GEN_CURRENT_LOOKAHEAD: NDIS_OID = 0x0001010f;
export const OID_GEN_DRIVER_VERSION: NDIS_OID = 0x00010110;
export const OID_GEN_MAXIMUM_TOTAL_SIZE: NDIS_OID = 0x00010111;
export const OID_GEN_PROTOCOL_OPTIONS: NDIS_OID = 0x00010112;
export const OID_GEN_MAC_OPTIONS: NDIS_OID = 0x00010113;
export const OID_GEN_MEDIA_CONNECT_STATUS: NDIS_OID = 0x00010114;
export const OID_GEN_MAXIMUM_SEND_PACKETS: NDIS_OID = 0x00010115;
export const OID_GEN_VENDOR_DRIVER_VERSION: NDIS_OID = 0x00010116;
export const OID_GEN_SUPPORTED_GUIDS: NDIS_OID = 0x00010117;
export const OID_GEN_NETWORK_LAYER_ADDRESSES: NDIS_OID = 0x00010118;
export const OID_GEN_PHYSICAL_MEDIUM: NDIS_OID = 0x00010202;
export const OID_GEN_PHYSICAL_MEDIUM_EX: NDIS_OID = 0x00010213;
export const OID_GEN_RECEIVE_SCALE_CAPABILITIES: NDIS_OID = 0x00010203;
export const OID_GEN_RECEIVE_SCALE_PARAMETERS: NDIS_OID = 0x00010204;
export const OID_GEN_MAC_ADDRESS: NDIS_OID = 0x00010205;
export const OID_GEN_MAX_LINK_SPEED: NDIS_OID = 0x00010206;
export const OID_GEN_LINK_STATE: NDIS_OID = 0x00010207;
export const OID_GEN_LINK_PARAMETERS: NDIS_OID = 0x00010208;
export const OID_GEN_INTERRUPT_MODERATION: NDIS_OID = 0x00010209;
export const OID_GEN_ENUMERATE_PORTS: NDIS_OID = 0x0001020d;
export const OID_GEN_PORT_STATE: NDIS_OID = 0x0001020e;
export const OID_GEN_VLAN_ID: NDIS_OID = 0x0001021c;
export const OID_GEN_MINIPORT_RESTART_ATTRIBUTES: NDIS_OID = 0x0001021d;
export const OID_GEN_RECEIVE_HASH: NDIS_OID = 0x0001021f;
export const OID_GEN_MEDIA_CONNECT_STATUS_EX: NDIS_OID = 0x0001028a;
export const OID_GEN_LINK_SPEED_EX: NDIS_OID = 0x0001028b;
export const OID_GEN_MEDIA_DUPLEX_STATE: NDIS_OID = 0x0001028c;
export const OID_GEN_XMIT_OK: NDIS_OID = 0x00020101;
export const OID_GEN_RCV_OK: NDIS_OID = 0x00020102;
export const OID_GEN_XMIT_ERROR: NDIS_OID = 0x00020103;
export const OID_GEN_RCV_ERROR: NDIS_OID = 0x00020104;
export const OID_GEN_RCV_NO_BUFFER: NDIS_OID = 0x00020105;
export const OID_GEN_STATISTICS: NDIS_OID = 0x00020106;
export const OID_GEN_BYTES_RCV: NDIS_OID = 0x00020219;
export const OID_GEN_BYTES_XMIT: NDIS_OID = 0x0002021a;
export const OID_GEN_RCV_DISCARDS: NDIS_OID = 0x0002021b;
export const OID_GEN_XMIT_DISCARDS: NDIS_OID = 0x0002021c;
export const OID_GEN_RCV_CRC_ERROR: NDIS_OID = 0x0002020d;
export const OID_GEN_TRANSMIT_QUEUE_LENGTH: NDIS_OID = 0x0002020e;
export const OID_802_3_PERMANENT_ADDRESS: NDIS_OID = 0x01010101;
export const OID_802_3_CURRENT_ADDRESS: NDIS_OID = 0x01010102;
export const OID_802_3_MULTICAST_LIST: NDIS_OID = 0x01010103;
export const OID_802_3_MAXIMUM_LIST_SIZE: NDIS_OID = 0x01010104;
export const OID_802_3_ADD_MULTICAST_ADDRESS: NDIS_OID = 0x01010208;
export const OID_802_3_DELETE_MULTICAST_ADDRESS: NDIS_OID = 0x01010209;
// Ethernet statistics (the 802.3 statistic OIDs).
export const OID_802_3_RCV_ERROR_ALIGNMENT: NDIS_OID = 0x01020101;
export const OID_802_3_XMIT_ONE_COLLISION: NDIS_OID = 0x01020102;
export const OID_802_3_XMIT_MORE_COLLISIONS: NDIS_OID = 0x01020103;
export const OID_802_3_XMIT_DEFERRED: NDIS_OID = 0x01020201;
export const OID_802_3_XMIT_MAX_COLLISIONS: NDIS_OID = 0x01020202;
export const OID_802_3_RCV_OVERRUN: NDIS_OID = 0x01020203;
export const OID_802_3_XMIT_UNDERRUN: NDIS_OID = 0x01020204;
export const OID_802_3_XMIT_HEARTBEAT_FAILURE: NDIS_OID = 0x01020205;
export const OID_802_3_XMIT_TIMES_CRS_LOST: NDIS_OID = 0x01020206;
export const OID_802_3_XMIT_LATE_COLLISIONS: NDIS_OID = 0x01020207;
export const OID_PNP_CAPABILITIES: NDIS_OID = 0xfd010100;
export const OID_PNP_SET_POWER: NDIS_OID = 0xfd010101;
export const OID_PNP_QUERY_POWER: NDIS_OID = 0xfd010102;
export const OID_PNP_ADD_WAKE_UP_PATTERN: NDIS_OID = 0xfd010103;
export const OID_PNP_REMOVE_WAKE_UP_PATTERN: NDIS_OID = 0xfd010104;
export const OID_PNP_WAKE_UP_PATTERN_LIST: NDIS_OID = 0xfd010105;
export const OID_PNP_ENABLE_WAKE_UP: NDIS_OID = 0xfd010106;
export const OID_PNP_WAKE_UP_OK: NDIS_OID = 0xfd020200;
export const OID_PNP_WAKE_UP_ERROR: NDIS_OID = 0xfd020201;
export const OID_TCP_OFFLOAD_CURRENT_CONFIG: NDIS_OID = 0xfc01020b;
/** NDIS 6.1: the IPsec task offload version 2 OIDs, carried on the direct OID path. */
export const OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA: NDIS_OID = 0xfc030202;
export const OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA: NDIS_OID = 0xfc030203;
export const OID_TCP_TASK_IPSEC_OFFLOAD_V2_UPDATE_SA: NDIS_OID = 0xfc030204;
/** NDIS 6.30. */
export const OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA_EX: NDIS_OID = 0xfc030205;
/** NDIS 6.20: the tunnel interface OIDs, carried on the direct OID path. */
export const OID_TUNNEL_INTERFACE_SET_OID: NDIS_OID = 0x0f010106;
export const OID_TUNNEL_INTERFACE_RELEASE_OID: NDIS_OID = 0x0f010107;

/** Every OID this package names, by name. */
export const NDIS_OIDS: Readonly<Record<string, NDIS_OID>> = Object.freeze({
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_MEDIA_SUPPORTED,
  OID_GEN_MEDIA_IN_USE,
  OID_GEN_MAXIMUM_LOOKAHEAD,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_LINK_SPEED,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_VENDOR_ID,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_DRIVER_VERSION,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_PROTOCOL_OPTIONS,
  OID_GEN_MAC_OPTIONS,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_MAXIMUM_SEND_PACKETS,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_SUPPORTED_GUIDS,
  OID_GEN_NETWORK_LAYER_ADDRESSES,
  OID_GEN_PHYSICAL_MEDIUM,
  OID_GEN_PHYSICAL_MEDIUM_EX,
  OID_GEN_RECEIVE_SCALE_CAPABILITIES,
  OID_GEN_RECEIVE_SCALE_PARAMETERS,
  OID_GEN_MAC_ADDRESS,
  OID_GEN_MAX_LINK_SPEED,
  OID_GEN_LINK_STATE,
  OID_GEN_LINK_PARAMETERS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_ENUMERATE_PORTS,
  OID_GEN_PORT_STATE,
  OID_GEN_VLAN_ID,
  OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
  OID_GEN_RECEIVE_HASH,
  OID_GEN_MEDIA_CONNECT_STATUS_EX,
  OID_GEN_LINK_SPEED_EX,
  OID_GEN_MEDIA_DUPLEX_STATE,
  OID_GEN_XMIT_OK,
  OID_GEN_RCV_OK,
  OID_GEN_XMIT_ERROR,
  OID_GEN_RCV_ERROR,
  OID_GEN_RCV_NO_BUFFER,
  OID_GEN_STATISTICS,
  OID_GEN_BYTES_RCV,
  OID_GEN_BYTES_XMIT,
  OID_GEN_RCV_DISCARDS,
  OID_GEN_XMIT_DISCARDS,
  OID_GEN_RCV_CRC_ERROR,
  OID_GEN_TRANSMIT_QUEUE_LENGTH,
  OID_802_3_PERMANENT_ADDRESS,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_ADD_MULTICAST_ADDRESS,
  OID_802_3_DELETE_MULTICAST_ADDRESS,
  OID_802_3_RCV_ERROR_ALIGNMENT,
  OID_802_3_XMIT_ONE_COLLISION,
  OID_802_3_XMIT_MORE_COLLISIONS,
  OID_802_3_XMIT_DEFERRED,
  OID_802_3_XMIT_MAX_COLLISIONS,
  OID_802_3_RCV_OVERRUN,
  OID_802_3_XMIT_UNDERRUN,
  OID_802_3_XMIT_HEARTBEAT_FAILURE,
  OID_802_3_XMIT_TIMES_CRS_LOST,
  OID_802_3_XMIT_LATE_COLLISIONS,
  OID_PNP_CAPABILITIES,
  OID_PNP_SET_POWER,
  OID_PNP_QUERY_POWER,
  OID_PNP_ADD_WAKE_UP_PATTERN,
  OID_PNP_REMOVE_WAKE_UP_PATTERN,
  OID_PNP_WAKE_UP_PATTERN_LIST,
  OID_PNP_ENABLE_WAKE_UP,
  OID_PNP_WAKE_UP_OK,
  OID_PNP_WAKE_UP_ERROR,
  OID_TCP_OFFLOAD_CURRENT_CONFIG,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_UPDATE_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA_EX,
  OID_TUNNEL_INTERFACE_SET_OID,
  OID_TUNNEL_INTERFACE_RELEASE_OID,
});

/**
 * The OIDs NDIS supports on the direct OID request path (NdisDirectOidRequest,
 * NdisFDirectOidRequest): each OID page's note says so. General requests go the ordinary way.
 */
export const NDIS_DIRECT_OIDS: ReadonlySet<NDIS_OID> = new Set([
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_UPDATE_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA_EX,
  OID_TUNNEL_INTERFACE_SET_OID,
  OID_TUNNEL_INTERFACE_RELEASE_OID,
]);

const oidNames = new Map<number, string>(Object.entries(NDIS_OIDS).map(([n, v]) => [v, n]));

/** `OID_GEN_MAXIMUM_FRAME_SIZE (0x00010106)`, or the hex for an OID this package does not name. */
export function ndisOidToString(oid: NDIS_OID): string {
  const hex = `0x${(oid >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
  const name = oidNames.get(oid >>> 0);
  return name === undefined ? hex : `${name} (${hex})`;
}

// NDIS_REQUEST_TYPE
/** NDIS_REQUEST_TYPE. */
export type NDIS_REQUEST_TYPE = number;
export const NdisRequestQueryInformation = 0;
export const NdisRequestSetInformation = 1;
export const NdisRequestQueryStatistics = 2;
export const NdisRequestMethod = 12;

export const NDIS_OID_REQUEST_REVISION_1 = 1;
/** NDIS 6.50: adds SwitchId, VPortId and Flags. */
export const NDIS_OID_REQUEST_REVISION_2 = 2;

/**
 * The DATA union of NDIS_OID_REQUEST. [MODEL] One object carries the fields of all three views
 * (QUERY_INFORMATION, SET_INFORMATION, METHOD_INFORMATION), and the three names refer to it, so
 * `Request.DATA.QUERY_INFORMATION.Oid` reads as in C. `InformationBuffer` is a byte array.
 */
export interface NDIS_OID_REQUEST_DATA {
  Oid: NDIS_OID;
  InformationBuffer: Uint8Array | null;
  InformationBufferLength: number;
  /** METHOD_INFORMATION only. */
  InputBufferLength?: number;
  OutputBufferLength?: number;
  MethodId?: number;
  BytesWritten: number;
  BytesRead: number;
  BytesNeeded: number;
}

/** NDIS_OID_REQUEST (Type NDIS_OBJECT_TYPE_OID_REQUEST). */
export interface NDIS_OID_REQUEST {
  Header: NDIS_OBJECT_HEADER;
  /** NDIS_REQUEST_TYPE: NdisRequestQueryInformation, …SetInformation, …QueryStatistics, …Method. */
  RequestType: number;
  PortNumber: number;
  /** Seconds. */
  Timeout: number;
  /** The issuer's id: NdisCancelOidRequest names it. */
  RequestId: unknown;
  RequestHandle: NDIS_HANDLE | null;
  readonly DATA: {
    readonly QUERY_INFORMATION: NDIS_OID_REQUEST_DATA;
    readonly SET_INFORMATION: NDIS_OID_REQUEST_DATA;
    readonly METHOD_INFORMATION: NDIS_OID_REQUEST_DATA;
  };
  /** Scratch for the miniport handling the request. */
  readonly MiniportReserved: unknown[];
  /** Scratch for the issuer (an IM keeps the original request of a clone here). */
  readonly SourceReserved: unknown[];
  SupportedRevision: number;
}

/** Builds an NDIS_OID_REQUEST with its DATA union (every view the same object). */
export function makeOidRequest(fields: {
  RequestType: number;
  Oid: NDIS_OID;
  InformationBuffer?: Uint8Array | null;
  InformationBufferLength?: number;
  RequestId?: unknown;
  PortNumber?: number;
  Timeout?: number;
}): NDIS_OID_REQUEST {
  const buffer = fields.InformationBuffer ?? null;
  const data: NDIS_OID_REQUEST_DATA = {
    Oid: fields.Oid,
    InformationBuffer: buffer,
    InformationBufferLength: fields.InformationBufferLength ?? buffer?.length ?? 0,
    BytesWritten: 0,
    BytesRead: 0,
    BytesNeeded: 0,
  };
  return {
    // [MODEL] Size 0: the byte layout of NDIS_OID_REQUEST is not derived yet; NDIS checks Type and Revision.
    Header: { Type: 0x96, Revision: NDIS_OID_REQUEST_REVISION_1, Size: 0 },
    RequestType: fields.RequestType,
    PortNumber: fields.PortNumber ?? 0,
    Timeout: fields.Timeout ?? 0,
    RequestId: fields.RequestId ?? null,
    RequestHandle: null,
    DATA: { QUERY_INFORMATION: data, SET_INFORMATION: data, METHOD_INFORMATION: data },
    MiniportReserved: [null, null],
    SourceReserved: [null, null],
    SupportedRevision: 0,
  };
}
