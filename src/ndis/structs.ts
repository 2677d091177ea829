/**
 * Parameter structures that NDIS hands to driver handlers. Only the fields the runtime fills
 * today are declared; each grows as the runtime learns to fill more (field names are NDIS's).
 */
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
  /** NDIS_RESTART_ATTRIBUTES chain the driver may update; NULL when NDIS has none to offer. */
  readonly RestartAttributes: null;
}

/** NDIS_OID_REQUEST (Type 0x96). */
export interface NDIS_OID_REQUEST {
  Header: NDIS_OBJECT_HEADER;
  RequestId: unknown;
}

/** NET_BUFFER_LIST: a chain of send or receive data. */
export interface NET_BUFFER_LIST {
  Next: NET_BUFFER_LIST | null;
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

/** NDIS_BIND_PARAMETERS (Type 0x86), given to ProtocolBindAdapterEx. */
export interface NDIS_BIND_PARAMETERS {
  Header: NDIS_OBJECT_HEADER;
  AdapterName: string;
}

/** NET_PNP_EVENT_NOTIFICATION, given to ProtocolNetPnPEvent. */
export interface NET_PNP_EVENT_NOTIFICATION {
  Header: NDIS_OBJECT_HEADER;
  PortNumber: number;
  NetPnPEvent: { NetEvent: number };
}

/** NDIS_STATUS_INDICATION (Type 0x98), given to ProtocolStatusEx. */
export interface NDIS_STATUS_INDICATION {
  Header: NDIS_OBJECT_HEADER;
  StatusCode: number;
}
