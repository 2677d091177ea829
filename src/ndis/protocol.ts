/**
 * The protocol edge's registration vocabulary: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, the
 * PROTOCOL_XXX handler types, revisions and sizes.
 */

import type { HandlerSlot } from "./miniport.js";
import type { NET_BUFFER_LIST } from "./nbl.js";
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_OID_REQUEST } from "./oid.js";
import type { NDIS_STATUS } from "./status.js";
import type {
  NDIS_BIND_PARAMETERS,
  NDIS_STATUS_INDICATION,
  NET_PNP_EVENT_NOTIFICATION,
} from "./structs.js";
import type { Blocking, NDIS_HANDLE, NDIS_STRING } from "./types.js";

export const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 = 1;
/** NDIS 6.1: adds DirectOidRequestCompleteHandler. */
export const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 = 2;

/* x64 byte sizes: header, four UCHARs and Flags (12 bytes, padded to 16), Name as a 16-byte
 * UNICODE_STRING, then one 8-byte pointer per handler: 11 in Rev 1, 12 in Rev 2. */
export const NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 = 120;
export const NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 = 128;

/** PROTOCOL_SET_OPTIONS: ProtocolSetOptions, the characteristics' SetOptionsHandler. */
export type PROTOCOL_SET_OPTIONS = (
  NdisDriverHandle: NDIS_HANDLE,
  DriverContext: unknown,
) => NDIS_STATUS;
/** The handler-pointer name of the characteristics' SetOptionsHandler field. */
export type SET_OPTIONS_HANDLER = PROTOCOL_SET_OPTIONS;
export type PROTOCOL_BIND_ADAPTER_EX = (
  ProtocolDriverContext: unknown,
  BindContext: NDIS_HANDLE,
  BindParameters: NDIS_BIND_PARAMETERS,
) => Blocking<NDIS_STATUS>;
export type PROTOCOL_UNBIND_ADAPTER_EX = (
  UnbindContext: NDIS_HANDLE,
  ProtocolBindingContext: unknown,
) => Blocking<NDIS_STATUS>;
export type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext: unknown,
  Status: NDIS_STATUS,
) => void;
export type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (ProtocolBindingContext: unknown) => void;
export type PROTOCOL_NET_PNP_EVENT = (
  ProtocolBindingContext: unknown,
  NetPnPEventNotification: NET_PNP_EVENT_NOTIFICATION,
) => Blocking<NDIS_STATUS>;
export type PROTOCOL_UNINSTALL = () => void;
export type PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
) => void;
export type PROTOCOL_STATUS_EX = (
  ProtocolBindingContext: unknown,
  StatusIndication: NDIS_STATUS_INDICATION,
) => void;
export type PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext: unknown,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
) => void;
export type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext: unknown,
  NetBufferList: NET_BUFFER_LIST,
  SendCompleteFlags: number,
) => void;
export type PROTOCOL_DIRECT_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext: unknown,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
) => void;

/** NDIS_PROTOCOL_DRIVER_CHARACTERISTICS. A field left out (or null) is a NULL entry point. */
export interface NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
  Header: NDIS_OBJECT_HEADER;
  MajorNdisVersion: number;
  MinorNdisVersion: number;
  MajorDriverVersion?: number;
  MinorDriverVersion?: number;
  Flags?: number;
  /** The protocol's name; NDIS expects the driver's service name (the MUX sample uses "MUXP"). */
  Name: NDIS_STRING;
  SetOptionsHandler?: SET_OPTIONS_HANDLER | null;
  BindAdapterHandlerEx?: PROTOCOL_BIND_ADAPTER_EX | null;
  UnbindAdapterHandlerEx?: PROTOCOL_UNBIND_ADAPTER_EX | null;
  OpenAdapterCompleteHandlerEx?: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX | null;
  CloseAdapterCompleteHandlerEx?: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX | null;
  NetPnPEventHandler?: PROTOCOL_NET_PNP_EVENT | null;
  UninstallHandler?: PROTOCOL_UNINSTALL | null;
  OidRequestCompleteHandler?: PROTOCOL_OID_REQUEST_COMPLETE | null;
  StatusHandlerEx?: PROTOCOL_STATUS_EX | null;
  ReceiveNetBufferListsHandler?: PROTOCOL_RECEIVE_NET_BUFFER_LISTS | null;
  SendNetBufferListsCompleteHandler?: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE | null;
  /** Revision 2 and later. */
  DirectOidRequestCompleteHandler?: PROTOCOL_DIRECT_OID_REQUEST_COMPLETE | null;
}

/** Names of the handler slots of NDIS_PROTOCOL_DRIVER_CHARACTERISTICS. */
export type ProtocolHandlerName = Exclude<
  keyof NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  | "Header"
  | "MajorNdisVersion"
  | "MinorNdisVersion"
  | "MajorDriverVersion"
  | "MinorDriverVersion"
  | "Flags"
  | "Name"
>;

/** The handler slots in declaration order, with the DDI page's required set. */
export const PROTOCOL_HANDLER_SLOTS: readonly HandlerSlot<ProtocolHandlerName>[] = Object.freeze([
  { name: "SetOptionsHandler", revision: 1, required: false, irql: 0 },
  { name: "BindAdapterHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "UnbindAdapterHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "OpenAdapterCompleteHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "CloseAdapterCompleteHandlerEx", revision: 1, required: true, irql: 0 },
  { name: "NetPnPEventHandler", revision: 1, required: true, irql: 0 },
  { name: "UninstallHandler", revision: 1, required: false, irql: 0 },
  { name: "OidRequestCompleteHandler", revision: 1, required: true, irql: 2 },
  { name: "StatusHandlerEx", revision: 1, required: true, irql: 2 },
  { name: "ReceiveNetBufferListsHandler", revision: 1, required: true, irql: 2 },
  { name: "SendNetBufferListsCompleteHandler", revision: 1, required: true, irql: 2 },
  { name: "DirectOidRequestCompleteHandler", revision: 2, required: false, irql: 2 },
] as const);

/** Byte size of each revision, indexed by revision. */
export const PROTOCOL_CHARACTERISTICS_SIZES: Readonly<Record<1 | 2, number>> = Object.freeze({
  1: NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1,
  2: NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
});
