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
export type NDIS_MEDIUM = number;
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
  /**
   * Bytes of SupportedOidList (4 per OID). [MODEL] Left out, NDIS takes the whole array; given,
   * NDIS reads that many bytes of it — a length past the array's end, or not a multiple of 4, is
   * refused with NDIS_STATUS_INVALID_PARAMETER.
   */
  SupportedOidListLength?: number;
  AutoNegotiationFlags?: number;
  /**
   * The NDIS 6.0/6.1 power management capabilities (what OID_PNP_CAPABILITIES reports), or NULL.
   * NDIS 6.20 and later drivers use PowerManagementCapabilitiesEx instead.
   */
  PowerManagementCapabilities?: NDIS_PNP_CAPABILITIES | null;
  /** The adapter's receive side scaling capabilities, or NULL when it has none. */
  RecvScaleCapabilities?: NDIS_RECEIVE_SCALE_CAPABILITIES | null;
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
export type NDIS_DEVICE_POWER_STATE = number;
export const NdisDeviceStateUnspecified = 0;
export const NdisDeviceStateD0 = 1;
export const NdisDeviceStateD1 = 2;
export const NdisDeviceStateD2 = 3;
export const NdisDeviceStateD3 = 4;
export const NdisDeviceStateMaximum = 5;

/** NDIS_HARDWARE_STATUS: the answer to OID_GEN_HARDWARE_STATUS. */
export type NDIS_HARDWARE_STATUS = number;
export const NdisHardwareStatusReady = 0;
export const NdisHardwareStatusInitializing = 1;
export const NdisHardwareStatusReset = 2;
export const NdisHardwareStatusClosing = 3;
export const NdisHardwareStatusNotReady = 4;

/** NDIS_PORT_NUMBER: a port of an adapter (NDIS_DEFAULT_PORT_NUMBER is 0). */
export type NDIS_PORT_NUMBER = number;
/** NET_IFINDEX: an NDIS interface index. */
export type NET_IFINDEX = number;

// NDIS_MAC_OPTION_*: the bits of OID_GEN_MAC_OPTIONS and of the general attributes' MacOptions
// (the OID_GEN_MAC_OPTIONS page).
export const NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA = 0x00000001;
export const NDIS_MAC_OPTION_RECEIVE_SERIALIZED = 0x00000002;
export const NDIS_MAC_OPTION_TRANSFERS_NOT_PEND = 0x00000004;
export const NDIS_MAC_OPTION_NO_LOOPBACK = 0x00000008;
/** Deprecated; ignored by NDIS 5.0 and later. */
export const NDIS_MAC_OPTION_FULL_DUPLEX = 0x00000010;
/** Obsolete. */
export const NDIS_MAC_OPTION_EOTX_INDICATION = 0x00000020;
/** 802.1p priority; NDIS 6.0 and later miniport drivers must set it. */
export const NDIS_MAC_OPTION_8021P_PRIORITY = 0x00000040;
/** NDIS sets it when the miniport calls NdisReadNetworkAddress. */
export const NDIS_MAC_OPTION_SUPPORTS_MAC_ADDRESS_OVERWRITE = 0x00000080;
/** Obsolete. */
export const NDIS_MAC_OPTION_RECEIVE_AT_DPC = 0x00000100;
/** The miniport inserts and strips 802.1Q VLAN tags itself. */
export const NDIS_MAC_OPTION_8021Q_VLAN = 0x00000200;
export const NDIS_MAC_OPTION_RESERVED = 0x80000000;

/**
 * NDIS_PM_WAKE_UP_CAPABILITIES: the lowest device power state from which the adapter can signal
 * each wake-up event (NdisDeviceStateUnspecified: it cannot).
 */
export interface NDIS_PM_WAKE_UP_CAPABILITIES {
  MinMagicPacketWakeUp: NDIS_DEVICE_POWER_STATE;
  MinPatternWakeUp: NDIS_DEVICE_POWER_STATE;
  MinLinkChangeWakeUp: NDIS_DEVICE_POWER_STATE;
}

/** NDIS_PNP_CAPABILITIES: what OID_PNP_CAPABILITIES answers (NDIS 6.0/6.1 power management). */
export interface NDIS_PNP_CAPABILITIES {
  /** NDIS_DEVICE_* flags; 0 for none. */
  Flags: number;
  WakeUpCapabilities: NDIS_PM_WAKE_UP_CAPABILITIES;
}

/** [DERIVED] x64: Flags and three enums. */
export const NDIS_SIZEOF_PNP_CAPABILITIES = 16;

/** The 16 bytes OID_PNP_CAPABILITIES carries: Flags, then the three wake-up states, little-endian. */
export function ndisPnpCapabilitiesBytes(caps: NDIS_PNP_CAPABILITIES): Uint8Array {
  const bytes = new Uint8Array(NDIS_SIZEOF_PNP_CAPABILITIES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, caps.Flags >>> 0, true);
  view.setUint32(4, caps.WakeUpCapabilities.MinMagicPacketWakeUp >>> 0, true);
  view.setUint32(8, caps.WakeUpCapabilities.MinPatternWakeUp >>> 0, true);
  view.setUint32(12, caps.WakeUpCapabilities.MinLinkChangeWakeUp >>> 0, true);
  return bytes;
}

/** Reads an OID_PNP_CAPABILITIES buffer; null when it is shorter than the structure. */
export function ndisPnpCapabilitiesFromBytes(bytes: Uint8Array): NDIS_PNP_CAPABILITIES | null {
  if (bytes.length < NDIS_SIZEOF_PNP_CAPABILITIES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    Flags: view.getUint32(0, true),
    WakeUpCapabilities: {
      MinMagicPacketWakeUp: view.getUint32(4, true),
      MinPatternWakeUp: view.getUint32(8, true),
      MinLinkChangeWakeUp: view.getUint32(12, true),
    },
  };
}

export const NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_1 = 1;
/** [DERIVED] x64: Header, CapabilitiesFlags, NumberOfInterruptMessages, NumberOfReceiveQueues. */
export const NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1 = 16;

/** NDIS_RECEIVE_SCALE_CAPABILITIES (Type NDIS_OBJECT_TYPE_RSS_CAPABILITIES): RSS support. */
export interface NDIS_RECEIVE_SCALE_CAPABILITIES {
  Header: NDIS_OBJECT_HEADER;
  /** NDIS_RSS_CAPS_* flags; 0 when the adapter does not do RSS. */
  CapabilitiesFlags: number;
  NumberOfInterruptMessages: number;
  NumberOfReceiveQueues: number;
}
