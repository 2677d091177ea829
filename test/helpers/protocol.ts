/**
 * A scriptable protocol driver for binding tests: by default it opens the adapter inside
 * ProtocolBindAdapterEx and closes it inside ProtocolUnbindAdapterEx; any step can be replaced.
 */
import {
  type DRIVER_OBJECT,
  type DriverModule,
  makeOidRequest,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  type NDIS_STATUS,
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisCloseAdapterEx,
  NdisCompleteUnbindAdapterEx,
  NdisDeregisterProtocolDriver,
  NdisMedium802_3,
  NdisOidRequest,
  NdisOpenAdapterEx,
  NdisRegisterProtocolDriver,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  type NET_BUFFER_LIST,
  type NET_PNP_EVENT_NOTIFICATION,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
} from "../../src/index.js";
import { protocolChars } from "./drivers.js";

/** One binding as the protocol sees it (its ProtocolBindingContext). */
export interface ProtocolBinding {
  readonly adapter: string;
  handle: NDIS_HANDLE | undefined;
  readonly params: NDIS_BIND_PARAMETERS;
}

export interface ProtocolScript {
  name?: string;
  minor?: number;
  /** More characteristics (ProtocolDirectOidRequestComplete…). */
  chars?: Record<string, unknown>;
  /** Replaces the bind; the default opens with `open()` and returns its status. */
  bind?: (b: ProtocolBinding, bindContext: NDIS_HANDLE, open: () => NDIS_STATUS) => unknown;
  /** Replaces the unbind; the default closes and returns SUCCESS (PENDING if the close pends). */
  unbind?: (b: ProtocolBinding, unbindContext: NDIS_HANDLE) => unknown;
  pnp?: (b: ProtocolBinding, event: NET_PNP_EVENT_NOTIFICATION) => unknown;
  /**
   * The packet filter set (OID_GEN_CURRENT_PACKET_FILTER) once the adapter is open;
   * NDIS_PACKET_TYPE_PROMISCUOUS unless told; 0 sets none (the binding then receives nothing).
   */
  packetFilter?: number;
  openComplete?: (b: ProtocolBinding, status: NDIS_STATUS) => void;
  closeComplete?: (b: ProtocolBinding) => void;
  /** The adapter name the protocol opens (the one in its bind parameters unless told). */
  openName?: string;
  /** The media the protocol opens with. */
  media?: readonly number[];
  /** ProtocolReceiveNetBufferLists; the default records and returns at once (unless RESOURCES). */
  receive?: (
    b: ProtocolBinding,
    nbls: NET_BUFFER_LIST,
    port: number,
    count: number,
    flags: number,
  ) => void;
  /** ProtocolOidRequestComplete; the default only records (see `oidCompletions`). */
  oidComplete?: (b: ProtocolBinding, request: NDIS_OID_REQUEST, status: number) => void;
  /** ProtocolStatusEx; the default only records (see `statuses`). */
  status?: (b: ProtocolBinding, indication: NDIS_STATUS_INDICATION) => void;
  /** ProtocolSendNetBufferListsComplete; the default only records (see `completed`). */
  sendComplete?: (b: ProtocolBinding, nbls: NET_BUFFER_LIST, flags: number) => void;
}

export interface ScriptedProtocol {
  readonly module: DriverModule;
  readonly calls: string[];
  readonly bindings: ProtocolBinding[];
  protocolHandle(): NDIS_HANDLE | undefined;
  /** Every OID request completed to the protocol, with its status. */
  readonly oidCompletions: { request: NDIS_OID_REQUEST; status: number }[];
  /** Every status indication delivered to the protocol, in order. */
  readonly statuses: NDIS_STATUS_INDICATION[];
  /** Every NBL indicated to the protocol, in order. */
  readonly received: NET_BUFFER_LIST[];
  /** Every NBL whose send was completed to the protocol, with its Status then. */
  readonly completed: { nbl: NET_BUFFER_LIST; status: number }[];
}

export function scriptedProtocol(script: ProtocolScript = {}): ScriptedProtocol {
  const calls: string[] = [];
  const bindings: ProtocolBinding[] = [];
  let protocolHandle: NDIS_HANDLE | undefined;
  const pendingUnbinds = new Map<ProtocolBinding, NDIS_HANDLE>();
  const statuses: NDIS_STATUS_INDICATION[] = [];
  const oidCompletions: { request: NDIS_OID_REQUEST; status: number }[] = [];
  const received: NET_BUFFER_LIST[] = [];
  const completed: { nbl: NET_BUFFER_LIST; status: number }[] = [];
  const open = (b: ProtocolBinding, bindContext: NDIS_HANDLE): NDIS_STATUS => {
    const out: Out<NDIS_HANDLE> = {};
    const status = NdisOpenAdapterEx(
      protocolHandle as NDIS_HANDLE,
      b,
      {
        Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
        AdapterName: script.openName ?? b.params.AdapterName,
        MediumArray: script.media ?? [NdisMedium802_3],
        MediumArraySize: (script.media ?? [NdisMedium802_3]).length,
        SelectedMediumIndex: {},
      },
      bindContext,
      out,
    );
    b.handle = out.value;
    if (status === NDIS_STATUS_SUCCESS) setFilter(b);
    return status;
  };
  // Like every protocol, it tells NDIS what to receive: until it does, NDIS indicates nothing.
  const setFilter = (b: ProtocolBinding): void => {
    const filter = script.packetFilter ?? NDIS_PACKET_TYPE_PROMISCUOUS;
    if (filter === 0 || b.handle === undefined) return;
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setUint32(0, filter, true);
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: buffer,
    });
    filterRequests.add(request);
    NdisOidRequest(b.handle, request);
  };
  const filterRequests = new WeakSet<NDIS_OID_REQUEST>();
  const chars = protocolChars({
    Name: script.name ?? "proto",
    MinorNdisVersion: script.minor ?? 89,
    ...(script.minor === 0 ? { Header: { Type: 0x95, Revision: 1, Size: 120 } } : {}),
    BindAdapterHandlerEx: (
      _ctx: unknown,
      bindContext: NDIS_HANDLE,
      params: NDIS_BIND_PARAMETERS,
    ) => {
      calls.push(`ProtocolBindAdapterEx(${params.AdapterName})`);
      const b: ProtocolBinding = { adapter: params.AdapterName, handle: undefined, params };
      bindings.push(b);
      const doOpen = () => open(b, bindContext);
      return script.bind === undefined ? doOpen() : script.bind(b, bindContext, doOpen);
    },
    UnbindAdapterHandlerEx: (unbindContext: NDIS_HANDLE, b: ProtocolBinding) => {
      calls.push(`ProtocolUnbindAdapterEx(${b.adapter})`);
      if (script.unbind !== undefined) return script.unbind(b, unbindContext);
      // A close NDIS pends ends the unbind from ProtocolCloseAdapterCompleteEx.
      pendingUnbinds.set(b, unbindContext);
      const status = NdisCloseAdapterEx(b.handle as NDIS_HANDLE);
      return status === NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS;
    },
    NetPnPEventHandler: (b: ProtocolBinding, e: NET_PNP_EVENT_NOTIFICATION) => {
      const reason = (e.NetPnPEvent.Buffer as { PauseReason?: number } | null)?.PauseReason;
      calls.push(
        `ProtocolNetPnPEvent(${e.NetPnPEvent.NetEvent}${reason === undefined ? "" : `, ${reason}`})`,
      );
      return script.pnp === undefined ? NDIS_STATUS_SUCCESS : script.pnp(b, e);
    },
    OpenAdapterCompleteHandlerEx: (b: ProtocolBinding, status: NDIS_STATUS) => {
      calls.push(`ProtocolOpenAdapterCompleteEx(${b.adapter})`);
      if (status === NDIS_STATUS_SUCCESS) setFilter(b);
      script.openComplete?.(b, status);
    },
    OidRequestCompleteHandler: (b: ProtocolBinding, request: NDIS_OID_REQUEST, status: number) => {
      if (filterRequests.has(request)) return;
      oidCompletions.push({ request, status });
      script.oidComplete?.(b, request, status);
    },
    StatusHandlerEx: (b: ProtocolBinding, indication: NDIS_STATUS_INDICATION) => {
      statuses.push(indication);
      script.status?.(b, indication);
    },
    ReceiveNetBufferListsHandler: (
      b: ProtocolBinding,
      nbls: NET_BUFFER_LIST,
      port: number,
      count: number,
      flags: number,
    ) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) received.push(n);
      if (script.receive !== undefined) return script.receive(b, nbls, port, count, flags);
      if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0)
        NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
    },
    SendNetBufferListsCompleteHandler: (
      b: ProtocolBinding,
      nbls: NET_BUFFER_LIST,
      flags: number,
    ) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next)
        completed.push({ nbl: n, status: n.Status });
      script.sendComplete?.(b, nbls, flags);
    },
    CloseAdapterCompleteHandlerEx: (b: ProtocolBinding) => {
      calls.push(`ProtocolCloseAdapterCompleteEx(${b.adapter})`);
      if (script.closeComplete !== undefined) script.closeComplete(b);
      else if (pendingUnbinds.has(b))
        NdisCompleteUnbindAdapterEx(pendingUnbinds.get(b) as NDIS_HANDLE);
    },
    ...script.chars,
  });
  const module: DriverModule = {
    DriverEntry: (DriverObject: DRIVER_OBJECT) => {
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisRegisterProtocolDriver(undefined, chars, out);
      protocolHandle = out.value;
      DriverObject.DriverUnload = () => {
        calls.push("DriverUnload");
        if (protocolHandle !== undefined) NdisDeregisterProtocolDriver(protocolHandle);
      };
      return status;
    },
  };
  return {
    module,
    calls,
    bindings,
    protocolHandle: () => protocolHandle,
    received,
    completed,
    statuses,
    oidCompletions,
  };
}
