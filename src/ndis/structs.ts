/**
 * Parameter structures passed between NDIS and driver handlers (init, pause, restart, bind, PnP
 * events, status indications). Only the fields the runtime uses today are declared; each grows as
 * the runtime learns to fill more (field names are NDIS's).
 */
import type { NDIS_PNP_CAPABILITIES, NDIS_RECEIVE_SCALE_CAPABILITIES } from "./adapter.js";
import type { NDIS_OBJECT_HEADER } from "./object-header.js";

/** NDIS_HALT_ACTION: why MiniportHaltEx is called. */
export type NDIS_HALT_ACTION = number;
export const NdisHaltDeviceDisabled: NDIS_HALT_ACTION = 0;
export const NdisHaltDeviceInstanceDeInitialized: NDIS_HALT_ACTION = 1;
export const NdisHaltDevicePoweredDown: NDIS_HALT_ACTION = 2;
export const NdisHaltDeviceSurpriseRemoved: NDIS_HALT_ACTION = 3;
export const NdisHaltDeviceFailed: NDIS_HALT_ACTION = 4;
export const NdisHaltDeviceInitializationFailed: NDIS_HALT_ACTION = 5;
export const NdisHaltDeviceStopped: NDIS_HALT_ACTION = 6;

/** NDIS_SHUTDOWN_ACTION: why MiniportShutdownEx is called. */
export type NDIS_SHUTDOWN_ACTION = number;
export const NdisShutdownPowerOff: NDIS_SHUTDOWN_ACTION = 0;
export const NdisShutdownBugCheck: NDIS_SHUTDOWN_ACTION = 1;

/** NDIS_MINIPORT_INIT_PARAMETERS (Type 0x81). */
export interface NDIS_MINIPORT_INIT_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly Flags: number;
  /** Hardware resources; NULL for software and IM miniports. */
  readonly AllocatedResources: null;
  /** The DeviceContext the IM driver gave to NdisIMInitializeDeviceInstanceEx (NULL otherwise). */
  readonly IMDeviceInstanceContext: unknown;
  readonly MiniportAddDeviceContext: unknown;
  /** The NDIS interface index of the adapter. */
  readonly IfIndex: number;
  /** NET_LUID (a ULONG64). */
  readonly NetLuid: bigint;
}

/** NDIS_MINIPORT_PAUSE_PARAMETERS (Type NDIS_OBJECT_TYPE_DEFAULT). */
export interface NDIS_MINIPORT_PAUSE_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly Flags: number;
  /** NDIS_PAUSE_* bits: why the adapter is paused. */
  readonly PauseReason: number;
}

/** NDIS_MINIPORT_RESTART_PARAMETERS (Type NDIS_OBJECT_TYPE_DEFAULT). */
export interface NDIS_MINIPORT_RESTART_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly Flags: number;
  /**
   * The restart attributes list (see NDIS_RESTART_ATTRIBUTES): its first entry is the adapter's
   * NDIS_RESTART_GENERAL_ATTRIBUTES, which the miniport may change before it returns; NULL when
   * NDIS offers none (then the driver changes and reports nothing).
   */
  readonly RestartAttributes: NDIS_RESTART_ATTRIBUTES | null;
}

export const NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 = 1;

/**
 * NDIS_RESTART_ATTRIBUTES: one entry of the list of restart attributes NDIS passes up a driver
 * stack when it restarts it — to MiniportRestart, then to FilterRestart of each filter module
 * and to the protocols' NetEventRestart (NDIS_PROTOCOL_RESTART_PARAMETERS), so that what a lower
 * driver changed reaches the drivers above. `Data` is the OID's structure: for
 * OID_GEN_MINIPORT_RESTART_ATTRIBUTES an NDIS_RESTART_GENERAL_ATTRIBUTES; `DataLength` its size.
 */
export interface NDIS_RESTART_ATTRIBUTES {
  Next: NDIS_RESTART_ATTRIBUTES | null;
  Oid: number;
  DataLength: number;
  Data: unknown;
}

export const NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1 = 1;
/** NDIS 6.20: adds MaxLookaheadSizeAccessed. */
export const NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 = 2;
/** [DERIVED] x64, through SupportedOidListLength (Rev 1) and MaxLookaheadSizeAccessed (Rev 2). */
export const NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1 = 84;
export const NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 = 88;

/**
 * NDIS_RESTART_GENERAL_ATTRIBUTES (Type NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES): the
 * adapter's general attributes as they stand at a restart, fields in the documented order. A
 * driver that changes one (a new MTU, MAC options) writes it here before its restart returns.
 */
export interface NDIS_RESTART_GENERAL_ATTRIBUTES {
  Header: NDIS_OBJECT_HEADER;
  MtuSize: number;
  MaxXmitLinkSpeed: bigint;
  MaxRcvLinkSpeed: bigint;
  LookaheadSize: number;
  MacOptions: number;
  SupportedPacketFilters: number;
  MaxMulticastListSize: number;
  /** The adapter's RSS capabilities; all zeros when it does not do RSS (never NULL). */
  RecvScaleCapabilities: NDIS_RECEIVE_SCALE_CAPABILITIES;
  AccessType: number;
  /** Reserved. */
  Flags: number;
  ConnectionType: number;
  /** NDIS_STATISTICS_*_SUPPORTED bits. */
  SupportedStatistics: number;
  DataBackFillSize: number;
  ContextBackFillSize: number;
  SupportedOidList: number[];
  /** Bytes of SupportedOidList. */
  SupportedOidListLength: number;
  /** Revision 2. */
  MaxLookaheadSizeAccessed?: number;
}

/** NET_DEVICE_PNP_EVENT (Type NDIS_OBJECT_TYPE_DEFAULT), given to MiniportDevicePnPEventNotify. */
export interface NET_DEVICE_PNP_EVENT {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly PortNumber: number;
  /** NDIS_DEVICE_PNP_EVENT: NdisDevicePnPEventSurpriseRemoved, …PowerProfileChanged… */
  readonly DevicePnPEvent: number;
  readonly InformationBuffer: Uint8Array | null;
  readonly InformationBufferLength: number;
}

export const NDIS_BIND_PARAMETERS_REVISION_1 = 1;
/** NDIS 6.1. */
export const NDIS_BIND_PARAMETERS_REVISION_2 = 2;
/** NDIS 6.20: adds PowerManagementCapabilitiesEx and friends. */
export const NDIS_BIND_PARAMETERS_REVISION_3 = 3;
/** NDIS 6.30. */
export const NDIS_BIND_PARAMETERS_REVISION_4 = 4;

/**
 * NDIS_BIND_PARAMETERS (Type 0x86), given to ProtocolBindAdapterEx, filled from the adapter's
 * general attributes. Its revision is the one the protocol's NDIS version defines (Rev 1 for
 * 6.0 … Rev 4 for 6.30+); a driver checks Header.Revision before reading later fields.
 * [MODEL] Header.Size is 0: the byte layout of this NDIS-supplied structure is not derived yet.
 */
export interface NDIS_BIND_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly ProtocolSection: string;
  /** The adapter to open, as NdisOpenAdapterEx's OpenParameters.AdapterName. */
  readonly AdapterName: string;
  readonly PhysicalDeviceObject: null;
  readonly MediaType: number;
  readonly MtuSize: number;
  readonly MaxXmitLinkSpeed: bigint;
  readonly XmitLinkSpeed: bigint;
  readonly MaxRcvLinkSpeed: bigint;
  readonly RcvLinkSpeed: bigint;
  readonly MediaConnectState: number;
  readonly MediaDuplexState: number;
  readonly LookaheadSize: number;
  readonly SupportedPacketFilters: number;
  readonly MaxMulticastListSize: number;
  readonly MacAddressLength: number;
  readonly CurrentMacAddress: Uint8Array;
  readonly PhysicalMediumType: number;
  readonly BoundIfIndex: number;
  readonly BoundIfNetluid: bigint;
  readonly LowestIfIndex: number;
  readonly LowestIfNetluid: bigint;
  readonly AccessType: number;
  readonly DirectionType: number;
  readonly ConnectionType: number;
  readonly IfType: number;
  readonly IfConnectorPresent: boolean;
  /**
   * Bytes of unused space the adapter (and the drivers below it) would like in front of the data
   * of every NET_BUFFER sent to it, so that a header can be put there with
   * NdisRetreatNetBufferDataStart and no new MDL (its general attributes' DataBackFillSize).
   */
  readonly DataBackFillSize: number;
  /** The same for the NBL context area (its ContextBackFillSize). */
  readonly ContextBackFillSize: number;
  readonly SupportedOidList: readonly number[];
  readonly SupportedOidListLength: number;
  /** The adapter's NDIS_PNP_CAPABILITIES (NDIS 6.0/6.1 power management), or NULL. */
  readonly PowerManagementCapabilities: NDIS_PNP_CAPABILITIES | null;
  /** The adapter's RSS capabilities, or NULL when it reported none. */
  readonly RcvScaleCapabilities: NDIS_RECEIVE_SCALE_CAPABILITIES | null;
  /** The adapter's MAC options (NDIS_MAC_OPTION_* bits, OID_GEN_MAC_OPTIONS). */
  readonly MacOptions: number;
}

export const NDIS_OPEN_PARAMETERS_REVISION_1 = 1;

/** NDIS_OPEN_PARAMETERS (Type 0x87), given by a protocol to NdisOpenAdapterEx. */
export interface NDIS_OPEN_PARAMETERS {
  Header: NDIS_OBJECT_HEADER;
  AdapterName: string;
  /** The media the protocol can use (NdisMedium802_3…). */
  MediumArray: readonly number[];
  MediumArraySize: number;
  /** Out: NDIS writes the index in MediumArray of the adapter's medium. */
  SelectedMediumIndex: { value?: number | undefined };
  /** EtherTypes the protocol wants; NULL/empty for all. */
  FrameTypeArray?: readonly number[] | null;
  FrameTypeArraySize?: number;
}

/** NET_PNP_EVENT_CODE. */
export const NetEventSetPower = 0;
export const NetEventQueryPower = 1;
export const NetEventQueryRemoveDevice = 2;
export const NetEventCancelRemoveDevice = 3;
export const NetEventReconfigure = 4;
export const NetEventBindList = 5;
export const NetEventBindsComplete = 6;
export const NetEventPnPCapabilities = 7;
export const NetEventPause = 8;
export const NetEventRestart = 9;
export const NetEventPortActivation = 10;
export const NetEventPortDeactivation = 11;
export const NetEventIMReEnableDevice = 12;

/** NET_PNP_EVENT: the event and its data. */
export interface NET_PNP_EVENT {
  readonly NetEvent: number;
  /** NDIS_PROTOCOL_PAUSE_PARAMETERS for NetEventPause, NDIS_PROTOCOL_RESTART_PARAMETERS for NetEventRestart. */
  readonly Buffer: unknown;
  readonly BufferLength: number;
}

/** NET_PNP_EVENT_NOTIFICATION (Type NDIS_OBJECT_TYPE_DEFAULT), given to ProtocolNetPnPEvent. */
export interface NET_PNP_EVENT_NOTIFICATION {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly PortNumber: number;
  readonly NetPnPEvent: NET_PNP_EVENT;
}

/** NDIS_PROTOCOL_PAUSE_PARAMETERS, the Buffer of NetEventPause. */
export interface NDIS_PROTOCOL_PAUSE_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly Flags: number;
  /** NDIS_PAUSE_* bits. */
  readonly PauseReason: number;
}

/** NDIS_PROTOCOL_RESTART_PARAMETERS (Type 0xA3), the Buffer of NetEventRestart. */
export interface NDIS_PROTOCOL_RESTART_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly FilterModuleNameBuffer: null;
  readonly FilterModuleNameBufferLength: number;
  readonly BoundIfIndex: number;
  readonly BoundIfNetluid: bigint;
  /** The restart attributes as they came up the stack (see NDIS_RESTART_ATTRIBUTES), or NULL. */
  readonly RestartAttributes: NDIS_RESTART_ATTRIBUTES | null;
}

export const NDIS_STATUS_INDICATION_REVISION_1 = 1;
/** [DERIVED] x64 size of the structure (through NdisReserved[4]). */
export const NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 = 112;

/**
 * NDIS_STATUS_INDICATION (Type 0x98), given to NdisMIndicateStatusEx and passed to
 * ProtocolStatusEx of the bindings above.
 */
export interface NDIS_STATUS_INDICATION {
  Header: NDIS_OBJECT_HEADER;
  /** The indicating adapter's MiniportAdapterHandle (an IM re-indicating puts its VELAN's). */
  SourceHandle: unknown;
  PortNumber: number;
  /** An NDIS_STATUS_* indication code (NDIS_STATUS_LINK_STATE…). */
  StatusCode: number;
  Flags: number;
  /** NULL: every binding; else the binding handle the indication is for (with RequestId). */
  DestinationHandle: unknown;
  RequestId: unknown;
  /** The status-specific payload (an NDIS_LINK_STATE…), or NULL. */
  StatusBuffer: unknown;
  StatusBufferSize: number;
  Guid?: string | null;
}

export const NDIS_LINK_STATE_REVISION_1 = 1;
/** [DERIVED] x64 size: Header, two enums, two ULONG64 speeds, two more enums/flags. */
export const NDIS_SIZEOF_LINK_STATE_REVISION_1 = 40;

/** NDIS_LINK_STATE (Type NDIS_OBJECT_TYPE_DEFAULT): the payload of NDIS_STATUS_LINK_STATE. */
export interface NDIS_LINK_STATE {
  Header: NDIS_OBJECT_HEADER;
  /** MediaConnectStateUnknown / Connected / Disconnected. */
  MediaConnectState: number;
  MediaDuplexState: number;
  XmitLinkSpeed: bigint;
  RcvLinkSpeed: bigint;
  /** NDIS_SUPPORTED_PAUSE_FUNCTIONS. */
  PauseFunctions: number;
  AutoNegotiationFlags: number;
}
