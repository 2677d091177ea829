/**
 * The filter edge's vocabulary: NDIS_FILTER_DRIVER_CHARACTERISTICS and its FILTER_XXX handler
 * types, revisions and sizes, the attach / pause / restart parameters NDIS hands a filter module,
 * NDIS_FILTER_ATTRIBUTES, and the filter classes of a filter's INF (FilterType, FilterRunType).
 */

import type { HandlerSlot } from "./miniport.js";
import type { NET_BUFFER_LIST } from "./nbl.js";
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_OID_REQUEST } from "./oid.js";
import type { NDIS_STATUS } from "./status.js";
import type {
  NDIS_RESTART_ATTRIBUTES,
  NDIS_STATUS_INDICATION,
  NET_DEVICE_PNP_EVENT,
  NET_PNP_EVENT_NOTIFICATION,
} from "./structs.js";
import type { NDIS_HANDLE, NDIS_STRING } from "./types.js";

export const NDIS_FILTER_CHARACTERISTICS_REVISION_1 = 1;
/** NDIS 6.1: adds the direct OID handlers. */
export const NDIS_FILTER_CHARACTERISTICS_REVISION_2 = 2;
/** NDIS 6.81: adds the synchronous OID handlers. */
export const NDIS_FILTER_CHARACTERISTICS_REVISION_3 = 3;

/* [MODEL] x64 byte sizes through the revision's last field: header, four UCHARs and Flags (12
 * bytes, padded to 16), FriendlyName, UniqueName and ServiceName as 16-byte UNICODE_STRINGs, then
 * one 8-byte pointer per handler: 17 in Rev 1, 20 in Rev 2, 22 in Rev 3. */
export const NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 = 200;
export const NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 = 224;
export const NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 = 240;

export const NDIS_FILTER_ATTRIBUTES_REVISION_1 = 1;
/** [MODEL] x64: the header and a ULONG Flags. */
export const NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1 = 8;

export const NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1 = 1;
export const NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1 = 1;
export const NDIS_FILTER_RESTART_PARAMETERS_REVISION_1 = 1;
export const NDIS_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 = 1;

/** INF FilterType: a monitoring filter watches and may not change what crosses it. */
export const NDIS_FILTER_TYPE_MONITORING = 1;
/** INF FilterType: a modifying filter may drop, change, delay and inject. */
export const NDIS_FILTER_TYPE_MODIFYING = 2;
/** INF FilterRunType: NDIS does not start the stack without it. */
export const NDIS_FILTER_RUNTYPE_MANDATORY = 1;
/** INF FilterRunType: NDIS skips it when it fails to attach. */
export const NDIS_FILTER_RUNTYPE_OPTIONAL = 2;

export type FILTER_SET_OPTIONS = (
  NdisDriverHandle: NDIS_HANDLE,
  DriverContext: unknown,
) => NDIS_STATUS;
export type FILTER_SET_MODULE_OPTIONS = (FilterModuleContext: unknown) => NDIS_STATUS;
export type FILTER_ATTACH = (
  NdisFilterHandle: NDIS_HANDLE,
  FilterDriverContext: unknown,
  AttachParameters: NDIS_FILTER_ATTACH_PARAMETERS,
) => NDIS_STATUS | Promise<NDIS_STATUS>;
export type FILTER_DETACH = (FilterModuleContext: unknown) => void;
export type FILTER_RESTART = (
  FilterModuleContext: unknown,
  RestartParameters: NDIS_FILTER_RESTART_PARAMETERS,
) => NDIS_STATUS;
export type FILTER_PAUSE = (
  FilterModuleContext: unknown,
  PauseParameters: NDIS_FILTER_PAUSE_PARAMETERS,
) => NDIS_STATUS;
export type FILTER_SEND_NET_BUFFER_LISTS = (
  FilterModuleContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
) => void;
export type FILTER_SEND_NET_BUFFER_LISTS_COMPLETE = (
  FilterModuleContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  SendCompleteFlags: number,
) => void;
export type FILTER_CANCEL_SEND_NET_BUFFER_LISTS = (
  FilterModuleContext: unknown,
  CancelId: unknown,
) => void;
export type FILTER_RECEIVE_NET_BUFFER_LISTS = (
  FilterModuleContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
) => void;
export type FILTER_RETURN_NET_BUFFER_LISTS = (
  FilterModuleContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
) => void;
export type FILTER_OID_REQUEST = (
  FilterModuleContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
) => NDIS_STATUS;
export type FILTER_OID_REQUEST_COMPLETE = (
  FilterModuleContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
) => void;
export type FILTER_CANCEL_OID_REQUEST = (FilterModuleContext: unknown, RequestId: unknown) => void;
export type FILTER_DEVICE_PNP_EVENT_NOTIFY = (
  FilterModuleContext: unknown,
  NetDevicePnPEvent: NET_DEVICE_PNP_EVENT,
) => void;
export type FILTER_NET_PNP_EVENT = (
  FilterModuleContext: unknown,
  NetPnPEventNotification: NET_PNP_EVENT_NOTIFICATION,
) => NDIS_STATUS | Promise<NDIS_STATUS>;
export type FILTER_STATUS = (
  FilterModuleContext: unknown,
  StatusIndication: NDIS_STATUS_INDICATION,
) => void;

/** NDIS_FILTER_DRIVER_CHARACTERISTICS. A field left out (or null) is a NULL entry point. */
export interface NDIS_FILTER_DRIVER_CHARACTERISTICS {
  Header: NDIS_OBJECT_HEADER;
  MajorNdisVersion: number;
  MinorNdisVersion: number;
  MajorDriverVersion?: number;
  MinorDriverVersion?: number;
  Flags?: number;
  /** Shown to users (the INF's description). */
  FriendlyName: NDIS_STRING;
  /** The filter's GUID in braces: the INF's NetCfgInstanceId. */
  UniqueName: NDIS_STRING;
  /** The service name of the filter driver (the INF's service). */
  ServiceName: NDIS_STRING;
  SetOptionsHandler?: FILTER_SET_OPTIONS | null;
  SetFilterModuleOptionsHandler?: FILTER_SET_MODULE_OPTIONS | null;
  AttachHandler: FILTER_ATTACH;
  DetachHandler: FILTER_DETACH;
  RestartHandler: FILTER_RESTART;
  PauseHandler: FILTER_PAUSE;
  SendNetBufferListsHandler?: FILTER_SEND_NET_BUFFER_LISTS | null;
  SendNetBufferListsCompleteHandler?: FILTER_SEND_NET_BUFFER_LISTS_COMPLETE | null;
  CancelSendNetBufferListsHandler?: FILTER_CANCEL_SEND_NET_BUFFER_LISTS | null;
  ReceiveNetBufferListsHandler?: FILTER_RECEIVE_NET_BUFFER_LISTS | null;
  ReturnNetBufferListsHandler?: FILTER_RETURN_NET_BUFFER_LISTS | null;
  OidRequestHandler?: FILTER_OID_REQUEST | null;
  OidRequestCompleteHandler?: FILTER_OID_REQUEST_COMPLETE | null;
  CancelOidRequestHandler?: FILTER_CANCEL_OID_REQUEST | null;
  DevicePnPEventNotifyHandler?: FILTER_DEVICE_PNP_EVENT_NOTIFY | null;
  NetPnPEventHandler?: FILTER_NET_PNP_EVENT | null;
  StatusHandler?: FILTER_STATUS | null;
  DirectOidRequestHandler?: FILTER_OID_REQUEST | null;
  DirectOidRequestCompleteHandler?: FILTER_OID_REQUEST_COMPLETE | null;
  CancelDirectOidRequestHandler?: FILTER_CANCEL_OID_REQUEST | null;
  SynchronousOidRequestHandler?: ((...args: never[]) => unknown) | null;
  SynchronousOidRequestCompleteHandler?: ((...args: never[]) => unknown) | null;
}

export type FilterHandlerName =
  | "SetOptionsHandler"
  | "SetFilterModuleOptionsHandler"
  | "AttachHandler"
  | "DetachHandler"
  | "RestartHandler"
  | "PauseHandler"
  | "SendNetBufferListsHandler"
  | "SendNetBufferListsCompleteHandler"
  | "CancelSendNetBufferListsHandler"
  | "ReceiveNetBufferListsHandler"
  | "ReturnNetBufferListsHandler"
  | "OidRequestHandler"
  | "OidRequestCompleteHandler"
  | "CancelOidRequestHandler"
  | "DevicePnPEventNotifyHandler"
  | "NetPnPEventHandler"
  | "StatusHandler"
  | "DirectOidRequestHandler"
  | "DirectOidRequestCompleteHandler"
  | "CancelDirectOidRequestHandler"
  | "SynchronousOidRequestHandler"
  | "SynchronousOidRequestCompleteHandler";

/** The handler slots in declaration order: the revision that added each, mandatory or not. */
export const FILTER_HANDLER_SLOTS: readonly HandlerSlot<FilterHandlerName>[] = Object.freeze([
  { name: "SetOptionsHandler", revision: 1, required: false, irql: 0 },
  { name: "SetFilterModuleOptionsHandler", revision: 1, required: false, irql: 0 },
  { name: "AttachHandler", revision: 1, required: true, irql: 0 },
  { name: "DetachHandler", revision: 1, required: true, irql: 0 },
  { name: "RestartHandler", revision: 1, required: true, irql: 0 },
  { name: "PauseHandler", revision: 1, required: true, irql: 0 },
  { name: "SendNetBufferListsHandler", revision: 1, required: false, irql: 2 },
  { name: "SendNetBufferListsCompleteHandler", revision: 1, required: false, irql: 2 },
  { name: "CancelSendNetBufferListsHandler", revision: 1, required: false, irql: 2 },
  { name: "ReceiveNetBufferListsHandler", revision: 1, required: false, irql: 2 },
  { name: "ReturnNetBufferListsHandler", revision: 1, required: false, irql: 2 },
  { name: "OidRequestHandler", revision: 1, required: false, irql: 2 },
  { name: "OidRequestCompleteHandler", revision: 1, required: false, irql: 2 },
  { name: "CancelOidRequestHandler", revision: 1, required: false, irql: 2 },
  { name: "DevicePnPEventNotifyHandler", revision: 1, required: false, irql: 0 },
  { name: "NetPnPEventHandler", revision: 1, required: false, irql: 0 },
  { name: "StatusHandler", revision: 1, required: false, irql: 2 },
  { name: "DirectOidRequestHandler", revision: 2, required: false, irql: 2 },
  { name: "DirectOidRequestCompleteHandler", revision: 2, required: false, irql: 2 },
  { name: "CancelDirectOidRequestHandler", revision: 2, required: false, irql: 2 },
  { name: "SynchronousOidRequestHandler", revision: 3, required: false, irql: 2 },
  { name: "SynchronousOidRequestCompleteHandler", revision: 3, required: false, irql: 2 },
] as const);

/** Byte size of each revision, indexed by revision. */
export const FILTER_CHARACTERISTICS_SIZES: Readonly<Record<1 | 2 | 3, number>> = Object.freeze({
  1: NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1,
  2: NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2,
  3: NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3,
});

/** NDIS_FILTER_ATTACH_PARAMETERS: what NDIS tells FilterAttach about the stack below. */
export interface NDIS_FILTER_ATTACH_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly IfIndex: number;
  readonly NetLuid: bigint;
  /** The adapter's device instance name (`\DEVICE\{GUID}` on Windows). */
  readonly FilterModuleGuidName: string;
  readonly LowerIfIndex: number;
  readonly LowerIfNetLuid: bigint;
  readonly Flags: number;
  readonly CurrentMacAddress: Uint8Array;
  readonly MacAddressLength: number;
  readonly MtuSize: number;
  readonly MaxXmitLinkSpeed: bigint;
  readonly MaxRcvLinkSpeed: bigint;
  readonly MediaConnectState: number;
  readonly MediaDuplexState: number;
  readonly MiniportMediaType: number;
  readonly MiniportPhysicalMediaType: number;
  /** The adapter's base miniport name (its device instance here). */
  readonly BaseMiniportName: string;
  readonly BaseMiniportInstanceName: string;
  readonly BaseMiniportIfIndex: number;
}

/** NDIS_FILTER_PAUSE_PARAMETERS. */
export interface NDIS_FILTER_PAUSE_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly Flags: number;
  /** NDIS_PAUSE_* bits: why NDIS pauses (NDIS_PAUSE_ATTACH_FILTER, …). */
  readonly PauseReason: number;
}

/** NDIS_FILTER_RESTART_PARAMETERS. */
export interface NDIS_FILTER_RESTART_PARAMETERS {
  readonly Header: NDIS_OBJECT_HEADER;
  readonly MiniportMediaType: number;
  readonly MiniportPhysicalMediaType: number;
  /** The restart attributes as the layers below left them (NDIS_RESTART_ATTRIBUTES); a filter may edit them. */
  readonly RestartAttributes: NDIS_RESTART_ATTRIBUTES | null;
  readonly LowerIfIndex: number;
  readonly LowerIfNetLuid: bigint;
  readonly Flags: number;
}

/** NDIS_FILTER_ATTRIBUTES: what FilterAttach passes to NdisFSetAttributes. */
export interface NDIS_FILTER_ATTRIBUTES {
  Header: NDIS_OBJECT_HEADER;
  /** Reserved: 0. */
  Flags: number;
}

/** NDIS_FILTER_PARTIAL_CHARACTERISTICS: FilterSetModuleOptions changes the data-path handlers. */
export interface NDIS_FILTER_PARTIAL_CHARACTERISTICS {
  Header: NDIS_OBJECT_HEADER;
  Flags: number;
  SendNetBufferListsHandler?: FILTER_SEND_NET_BUFFER_LISTS | null;
  SendNetBufferListsCompleteHandler?: FILTER_SEND_NET_BUFFER_LISTS_COMPLETE | null;
  CancelSendNetBufferListsHandler?: FILTER_CANCEL_SEND_NET_BUFFER_LISTS | null;
  ReceiveNetBufferListsHandler?: FILTER_RECEIVE_NET_BUFFER_LISTS | null;
  ReturnNetBufferListsHandler?: FILTER_RETURN_NET_BUFFER_LISTS | null;
}
