/**
 * Miniport adapter vocabulary: the attribute structures a miniport gives NdisMSetMiniportAttributes
 * in MiniportInitializeEx, the media and link values they carry, pause reasons and device PnP
 * events.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";

export const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 = 1;
/** NDIS 6.30. */
export const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 = 2;
/* x64, through InterfaceType: header 4 + pad 4 + context 8 + three ULONGs; Rev 2 adds no field. */
export const NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 = 28;
export const NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 = 28;

export const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 = 1;
/** NDIS 6.20: adds PowerManagementCapabilitiesEx, required of 6.20+ drivers. */
export const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 = 2;
/* x64, through AutoNegotiationFlags (Rev 1) and PowerManagementCapabilitiesEx (Rev 2). */
export const NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 = 216;
export const NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 = 224;

export const NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE = 0x00000001;
export const NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM = 0x00000002;
export const NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK = 0x00000004;
export const NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS = 0x00000008;
export const NDIS_MINIPORT_ATTRIBUTES_DO_NOT_BIND_TO_ALL_CO = 0x00000010;
export const NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND = 0x00000020;
export const NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER = 0x00000040;
export const NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT = 0x00000080;
export const NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND = 0x00000100;
export const NDIS_MINIPORT_ATTRIBUTES_NO_OID_INTERCEPT_ON_NONDEFAULT_PORTS = 0x00000200;
export const NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK = 0x00000400;

/** NDIS_INTERFACE_TYPE: the bus; an IM or software miniport uses NdisInterfaceInternal. */
export const NdisInterfaceInternal = 0;

/** NDIS_MEDIUM. */
export const NdisMedium802_3 = 0;
/** NDIS_PHYSICAL_MEDIUM. */
export const NdisPhysicalMediumUnspecified = 0;
export const NdisPhysicalMedium802_3 = 14;

/** NDIS_MEDIA_CONNECT_STATE. */
export const MediaConnectStateUnknown = 0;
export const MediaConnectStateConnected = 1;
export const MediaConnectStateDisconnected = 2;

/** NDIS_MEDIA_STATE: the ULONG OID_GEN_MEDIA_CONNECT_STATUS answers (the NDIS 5 view of the link). */
export const NdisMediaStateConnected = 0;
export const NdisMediaStateDisconnected = 1;
/** NDIS_MEDIA_DUPLEX_STATE. */
export const MediaDuplexStateUnknown = 0;
export const MediaDuplexStateHalf = 1;
export const MediaDuplexStateFull = 2;
/** An unknown link speed: all ones in the ULONG64 bits-per-second fields. */
export const NDIS_LINK_SPEED_UNKNOWN = 0xffffffffffffffffn;

/** NET_IF_ACCESS_TYPE, NET_IF_DIRECTION_TYPE, NET_IF_CONNECTION_TYPE, IFTYPE values used by Ethernet. */
export const NET_IF_ACCESS_BROADCAST = 2;
export const NET_IF_DIRECTION_SENDRECEIVE = 0;
export const NET_IF_CONNECTION_DEDICATED = 1;
export const IF_TYPE_ETHERNET_CSMACD = 6;

/** NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES (Type 0x9E): the first attributes InitializeEx sets. */
export interface NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
  Header: NDIS_OBJECT_HEADER;
  /** The driver's per-adapter context, passed back to every MiniportXxx handler. */
  MiniportAdapterContext: unknown;
  AttributeFlags: number;
  CheckForHangTimeInSeconds?: number;
  InterfaceType: number;
}

/** NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES (Type 0x9F): what the adapter is. */
export interface NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
  // ULONG64 fields (link speeds in bits per second) are bigints.
  Header: NDIS_OBJECT_HEADER;
  Flags?: number;
  MediaType: number;
  PhysicalMediumType: number;
  MtuSize: number;
  MaxXmitLinkSpeed: bigint;
  XmitLinkSpeed: bigint;
  MaxRcvLinkSpeed: bigint;
  RcvLinkSpeed: bigint;
  MediaConnectState: number;
  MediaDuplexState: number;
  LookaheadSize: number;
  MacOptions?: number;
  SupportedPacketFilters: number;
  MaxMulticastListSize: number;
  MacAddressLength: number;
  PermanentMacAddress: Uint8Array;
  CurrentMacAddress: Uint8Array;
  AccessType: number;
  DirectionType: number;
  ConnectionType: number;
  IfType: number;
  IfConnectorPresent: boolean;
  SupportedStatistics?: number;
  SupportedPauseFunctions?: number;
  DataBackFillSize?: number;
  ContextBackFillSize?: number;
  SupportedOidList?: readonly number[];
  AutoNegotiationFlags?: number;
  /** Revision 2 (NDIS 6.20+); NULL means not PM-aware. */
  PowerManagementCapabilitiesEx?: object | null;
}

/** NDIS_MINIPORT_ADAPTER_ATTRIBUTES: either attribute structure, told apart by Header.Type. */
export type NDIS_MINIPORT_ADAPTER_ATTRIBUTES =
  | NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES
  | NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;

/** Pause reasons (NDIS_MINIPORT_PAUSE_PARAMETERS.PauseReason, protocol pause parameters). */
export const NDIS_PAUSE_NDIS_INTERNAL = 0x00000001;
export const NDIS_PAUSE_LOW_POWER = 0x00000002;
export const NDIS_PAUSE_BIND_PROTOCOL = 0x00000004;
export const NDIS_PAUSE_UNBIND_PROTOCOL = 0x00000008;
export const NDIS_PAUSE_ATTACH_FILTER = 0x00000010;
export const NDIS_PAUSE_DETACH_FILTER = 0x00000020;
export const NDIS_PAUSE_FILTER_RESTART_STACK = 0x00000040;
export const NDIS_PAUSE_MINIPORT_DEVICE_REMOVE = 0x00000080;

/** NDIS_DEVICE_PNP_EVENT, in NET_DEVICE_PNP_EVENT.DevicePnPEvent. */
export const NdisDevicePnPEventQueryRemoved = 0;
export const NdisDevicePnPEventRemoved = 1;
export const NdisDevicePnPEventSurpriseRemoved = 2;
export const NdisDevicePnPEventQueryStopped = 3;
export const NdisDevicePnPEventStopped = 4;
export const NdisDevicePnPEventPowerProfileChanged = 5;

/** NDIS_POWER_PROFILE: the ULONG in the buffer of NdisDevicePnPEventPowerProfileChanged. */
export const NdisPowerProfileBattery = 0;
export const NdisPowerProfileAcOnLine = 1;

// NDIS_DEVICE_POWER_STATE: the payload of OID_PNP_SET_POWER / OID_PNP_QUERY_POWER and of the
// NetEventSetPower / NetEventQueryPower buffers.
export const NdisDeviceStateUnspecified = 0;
export const NdisDeviceStateD0 = 1;
export const NdisDeviceStateD1 = 2;
export const NdisDeviceStateD2 = 3;
export const NdisDeviceStateD3 = 4;
