/**
 * The miniport edge's registration vocabulary: NDIS_MINIPORT_DRIVER_CHARACTERISTICS, the
 * MINIPORT_XXX handler types, their revisions and sizes, and the driver flags.
 */

import type { KIRQL } from "./irql.js";
import type { NET_BUFFER_LIST } from "./nbl.js";
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_OID_REQUEST } from "./oid.js";
import type { NDIS_STATUS } from "./status.js";
import type {
  NDIS_HALT_ACTION,
  NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_MINIPORT_PAUSE_PARAMETERS,
  NDIS_MINIPORT_RESTART_PARAMETERS,
  NDIS_SHUTDOWN_ACTION,
  NET_DEVICE_PNP_EVENT,
} from "./structs.js";
import type { Blocking, DRIVER_OBJECT, NDIS_HANDLE, Out } from "./types.js";

export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 = 1;
/** NDIS 6.1: adds the direct OID handlers. */
export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 = 2;
/** NDIS 6.80: adds SynchronousOidRequestHandler. */
export const NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 = 3;

/* x64 byte sizes: a 16-byte head (header, four UCHARs, Flags, padding) then one 8-byte pointer per
 * handler: 15 handlers in Rev 1, 17 in Rev 2, 18 in Rev 3. Only "Size >= the claimed revision's
 * size" is ever checked. */
export const NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 = 136;
export const NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 = 152;
export const NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 = 160;

/** The driver's adapters are IM virtual miniports, created by NdisIMInitializeDeviceInstanceEx. */
export const NDIS_INTERMEDIATE_DRIVER = 0x00000001;
/** The driver has a WDM lower edge (no NDIS hardware resources). */
export const NDIS_WDM_DRIVER = 0x00000002;
/** Reserved. */
export const NDIS_DRIVER_FLAGS_RESERVED = 0x00000008;

export type MINIPORT_SET_OPTIONS = (
  NdisDriverHandle: NDIS_HANDLE,
  DriverContext: unknown,
) => NDIS_STATUS;
export type MINIPORT_INITIALIZE = (
  NdisMiniportHandle: NDIS_HANDLE,
  MiniportDriverContext: unknown,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
) => Blocking<NDIS_STATUS>;
/** (An `async` halt that awaits NdisWaitEvent or NdisMSleep fits too: NDIS waits for it.) */
export type MINIPORT_HALT = (MiniportAdapterContext: unknown, HaltAction: NDIS_HALT_ACTION) => void;
/** MINIPORT_UNLOAD: MiniportDriverUnload, the characteristics' UnloadHandler. */
export type MINIPORT_UNLOAD = (DriverObject: DRIVER_OBJECT) => void;
/** The name ndis.h gives a pointer to a MINIPORT_UNLOAD. */
export type MINIPORT_DRIVER_UNLOAD = MINIPORT_UNLOAD;
export type MINIPORT_PAUSE = (
  MiniportAdapterContext: unknown,
  PauseParameters: NDIS_MINIPORT_PAUSE_PARAMETERS,
) => Blocking<NDIS_STATUS>;
export type MINIPORT_RESTART = (
  MiniportAdapterContext: unknown,
  RestartParameters: NDIS_MINIPORT_RESTART_PARAMETERS,
) => Blocking<NDIS_STATUS>;
export type MINIPORT_OID_REQUEST = (
  MiniportAdapterContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
) => Blocking<NDIS_STATUS>;
export type MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext: unknown,
  NetBufferList: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
) => void;
export type MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
) => void;
export type MINIPORT_CANCEL_SEND = (MiniportAdapterContext: unknown, CancelId: unknown) => void;
export type MINIPORT_CHECK_FOR_HANG = (MiniportAdapterContext: unknown) => boolean;
export type MINIPORT_RESET = (
  MiniportAdapterContext: unknown,
  AddressingReset: Out<boolean>,
) => NDIS_STATUS;
export type MINIPORT_DEVICE_PNP_EVENT_NOTIFY = (
  MiniportAdapterContext: unknown,
  NetDevicePnPEvent: NET_DEVICE_PNP_EVENT,
) => void;
export type MINIPORT_SHUTDOWN = (
  MiniportAdapterContext: unknown,
  ShutdownAction: NDIS_SHUTDOWN_ACTION,
) => void;
export type MINIPORT_CANCEL_OID_REQUEST = (
  MiniportAdapterContext: unknown,
  RequestId: unknown,
) => void;
export type MINIPORT_DIRECT_OID_REQUEST = (
  MiniportAdapterContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
) => NDIS_STATUS;
export type MINIPORT_CANCEL_DIRECT_OID_REQUEST = (
  MiniportAdapterContext: unknown,
  RequestId: unknown,
) => void;
export type MINIPORT_SYNCHRONOUS_OID_REQUEST = (
  MiniportAdapterContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
) => NDIS_STATUS;

/**
 * NDIS_MINIPORT_DRIVER_CHARACTERISTICS. A field left out (or null) is a NULL entry point.
 * Declaration order is NDIS's; it is what the revision sizes count.
 */
export interface NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
  Header: NDIS_OBJECT_HEADER;
  MajorNdisVersion: number;
  MinorNdisVersion: number;
  MajorDriverVersion?: number;
  MinorDriverVersion?: number;
  Flags?: number;
  SetOptionsHandler?: MINIPORT_SET_OPTIONS | null;
  InitializeHandlerEx?: MINIPORT_INITIALIZE | null;
  HaltHandlerEx?: MINIPORT_HALT | null;
  UnloadHandler?: MINIPORT_UNLOAD | null;
  PauseHandler?: MINIPORT_PAUSE | null;
  RestartHandler?: MINIPORT_RESTART | null;
  OidRequestHandler?: MINIPORT_OID_REQUEST | null;
  SendNetBufferListsHandler?: MINIPORT_SEND_NET_BUFFER_LISTS | null;
  ReturnNetBufferListsHandler?: MINIPORT_RETURN_NET_BUFFER_LISTS | null;
  CancelSendHandler?: MINIPORT_CANCEL_SEND | null;
  CheckForHangHandlerEx?: MINIPORT_CHECK_FOR_HANG | null;
  ResetHandlerEx?: MINIPORT_RESET | null;
  DevicePnPEventNotifyHandler?: MINIPORT_DEVICE_PNP_EVENT_NOTIFY | null;
  ShutdownHandlerEx?: MINIPORT_SHUTDOWN | null;
  CancelOidRequestHandler?: MINIPORT_CANCEL_OID_REQUEST | null;
  /** Revision 2 and later. */
  DirectOidRequestHandler?: MINIPORT_DIRECT_OID_REQUEST | null;
  /** Revision 2 and later. */
  CancelDirectOidRequestHandler?: MINIPORT_CANCEL_DIRECT_OID_REQUEST | null;
  /** Revision 3 and later. */
  SynchronousOidRequestHandler?: MINIPORT_SYNCHRONOUS_OID_REQUEST | null;
}

/** Names of the handler slots of NDIS_MINIPORT_DRIVER_CHARACTERISTICS. */
export type MiniportHandlerName = Exclude<
  keyof NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  | "Header"
  | "MajorNdisVersion"
  | "MinorNdisVersion"
  | "MajorDriverVersion"
  | "MinorDriverVersion"
  | "Flags"
>;

/** One handler slot: the revision that introduced it and whether NDIS requires it. */
export interface HandlerSlot<Name extends string> {
  readonly name: Name;
  readonly revision: 1 | 2 | 3;
  readonly required: boolean;
  /** The IRQL NDIS calls the handler at (the highest, for handlers called at <= DISPATCH). */
  readonly irql: KIRQL;
}

/**
 * The handler slots in declaration order. "required" is the set the seed page and the DDI page
 * call required: every Rev 1 entry point but SetOptions, CheckForHang and Reset.
 */
export const MINIPORT_HANDLER_SLOTS: readonly HandlerSlot<MiniportHandlerName>[] = Object.freeze([
  { name: "SetOptionsHandler", revision: 1, required: false, irql: 0 },
  { name: "InitializeHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "HaltHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "UnloadHandler", revision: 1, required: true, irql: 0 },
  { name: "PauseHandler", revision: 1, required: true, irql: 0 },
  { name: "RestartHandler", revision: 1, required: true, irql: 0 },
  { name: "OidRequestHandler", revision: 1, required: true, irql: 0 },
  { name: "SendNetBufferListsHandler", revision: 1, required: true, irql: 2 },
  { name: "ReturnNetBufferListsHandler", revision: 1, required: true, irql: 2 },
  { name: "CancelSendHandler", revision: 1, required: true, irql: 2 },
  { name: "CheckForHangHandlerEx", revision: 1, required: false, irql: 0 },
  { name: "ResetHandlerEx", revision: 1, required: false, irql: 2 },
  { name: "DevicePnPEventNotifyHandler", revision: 1, required: true, irql: 0 },
  { name: "ShutdownHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "CancelOidRequestHandler", revision: 1, required: true, irql: 2 },
  { name: "DirectOidRequestHandler", revision: 2, required: false, irql: 2 },
  { name: "CancelDirectOidRequestHandler", revision: 2, required: false, irql: 2 },
  { name: "SynchronousOidRequestHandler", revision: 3, required: false, irql: 2 },
] as const);

/** Byte size of each revision, indexed by revision. */
export const MINIPORT_CHARACTERISTICS_SIZES: Readonly<Record<1 | 2 | 3, number>> = Object.freeze({
  1: NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1,
  2: NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
  3: NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
});
