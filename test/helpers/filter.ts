/**
 * A scripted filter driver for tests: every FilterXxx handler logs its call and, unless the script
 * replaces it, does what a plain pass-through filter does (NdisFSetAttributes in attach, pass
 * traffic on, complete and return what comes back).
 */
import {
  type DRIVER_OBJECT,
  type DriverModule,
  NDIS_FILTER_ATTRIBUTES_REVISION_1,
  type NDIS_FILTER_DRIVER_CHARACTERISTICS,
  type NDIS_FILTER_RESTART_PARAMETERS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
  type NDIS_OID_REQUEST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_SUCCESS,
  NdisFDeregisterFilterDriver,
  NdisFIndicateReceiveNetBufferLists,
  NdisFIndicateStatus,
  NdisFOidRequest,
  NdisFOidRequestComplete,
  NdisFRegisterFilterDriver,
  NdisFReturnNetBufferLists,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisFSetAttributes,
  type NET_BUFFER_LIST,
  type Out,
} from "../../src/index.js";

export interface FilterModuleCtx {
  readonly handle: NDIS_HANDLE;
  readonly adapter: string;
}

export interface FilterScript {
  /** No send / receive handlers: NDIS bypasses the modules on the data path. */
  bypass?: boolean;
  attach?: (handle: NDIS_HANDLE, adapter: string) => unknown;
  pause?: (m: FilterModuleCtx) => unknown;
  restart?: (m: FilterModuleCtx, params: NDIS_FILTER_RESTART_PARAMETERS) => unknown;
  send?: (m: FilterModuleCtx, nbls: NET_BUFFER_LIST, port: number, flags: number) => void;
  sendComplete?: (m: FilterModuleCtx, nbls: NET_BUFFER_LIST, flags: number) => void;
  receive?: (
    m: FilterModuleCtx,
    nbls: NET_BUFFER_LIST,
    port: number,
    count: number,
    flags: number,
  ) => void;
  returnNbls?: (m: FilterModuleCtx, nbls: NET_BUFFER_LIST, flags: number) => void;
  oid?: (m: FilterModuleCtx, request: NDIS_OID_REQUEST) => unknown;
  oidComplete?: (m: FilterModuleCtx, request: NDIS_OID_REQUEST, status: number) => void;
  status?: (m: FilterModuleCtx, indication: NDIS_STATUS_INDICATION) => void;
  /** Characteristics laid over the default table. */
  chars?: Partial<Record<keyof NDIS_FILTER_DRIVER_CHARACTERISTICS, unknown>>;
  unique?: string;
}

export interface ScriptedFilter {
  readonly module: DriverModule;
  /** `FilterAttach(eth0)`, `FilterSendNetBufferLists(eth0)`, … in call order. */
  readonly calls: string[];
  readonly modules: FilterModuleCtx[];
  status(): number;
}

let guid = 0;

/** A filter driver whose handlers follow `script`. Load it under the service name `service`. */
export function scriptedFilter(service: string, script: FilterScript = {}): ScriptedFilter {
  const calls: string[] = [];
  const modules: FilterModuleCtx[] = [];
  let registered = -1;
  guid += 1;
  const unique =
    script.unique ?? `{00000000-0000-4000-8000-${guid.toString(16).padStart(12, "0")}}`;
  const log = (what: string, m: FilterModuleCtx) => calls.push(`${what}(${m.adapter})`);
  const dataPath = script.bypass
    ? {}
    : {
        SendNetBufferListsHandler: (
          m: FilterModuleCtx,
          n: NET_BUFFER_LIST,
          p: number,
          f: number,
        ) => {
          log("FilterSendNetBufferLists", m);
          if (script.send) script.send(m, n, p, f);
          else NdisFSendNetBufferLists(m.handle, n, p, f);
        },
        SendNetBufferListsCompleteHandler: (m: FilterModuleCtx, n: NET_BUFFER_LIST, f: number) => {
          log("FilterSendNetBufferListsComplete", m);
          if (script.sendComplete) script.sendComplete(m, n, f);
          else NdisFSendNetBufferListsComplete(m.handle, n, f);
        },
        ReceiveNetBufferListsHandler: (
          m: FilterModuleCtx,
          n: NET_BUFFER_LIST,
          p: number,
          c: number,
          f: number,
        ) => {
          log("FilterReceiveNetBufferLists", m);
          if (script.receive) script.receive(m, n, p, c, f);
          else NdisFIndicateReceiveNetBufferLists(m.handle, n, p, c, f);
        },
        ReturnNetBufferListsHandler: (m: FilterModuleCtx, n: NET_BUFFER_LIST, f: number) => {
          log("FilterReturnNetBufferLists", m);
          if (script.returnNbls) script.returnNbls(m, n, f);
          else NdisFReturnNetBufferLists(m.handle, n, f);
        },
      };
  const chars = {
    Header: { Type: 0x8b, Revision: 2, Size: 224 },
    MajorNdisVersion: 6,
    MinorNdisVersion: 20,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: 0,
    FriendlyName: `scripted filter ${service}`,
    UniqueName: unique,
    ServiceName: service,
    AttachHandler: (handle: NDIS_HANDLE, _ctx: unknown, params: { BaseMiniportName: string }) => {
      calls.push(`FilterAttach(${params.BaseMiniportName})`);
      if (script.attach) return script.attach(handle, params.BaseMiniportName);
      const m: FilterModuleCtx = { handle, adapter: params.BaseMiniportName };
      modules.push(m);
      return NdisFSetAttributes(handle, m, {
        Header: {
          Type: NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
          Revision: NDIS_FILTER_ATTRIBUTES_REVISION_1,
          Size: 8,
        },
        Flags: 0,
      });
    },
    DetachHandler: (m: FilterModuleCtx) => log("FilterDetach", m),
    RestartHandler: (m: FilterModuleCtx, p: NDIS_FILTER_RESTART_PARAMETERS) => {
      log("FilterRestart", m);
      return script.restart ? script.restart(m, p) : NDIS_STATUS_SUCCESS;
    },
    PauseHandler: (m: FilterModuleCtx) => {
      log("FilterPause", m);
      return script.pause ? script.pause(m) : NDIS_STATUS_SUCCESS;
    },
    SetFilterModuleOptionsHandler: (m: FilterModuleCtx) => {
      log("FilterSetModuleOptions", m);
      return NDIS_STATUS_SUCCESS;
    },
    ...dataPath,
    OidRequestHandler: (m: FilterModuleCtx, r: NDIS_OID_REQUEST) => {
      log("FilterOidRequest", m);
      return script.oid ? script.oid(m, r) : NdisFOidRequest(m.handle, r);
    },
    OidRequestCompleteHandler: (m: FilterModuleCtx, r: NDIS_OID_REQUEST, s: number) => {
      log("FilterOidRequestComplete", m);
      if (script.oidComplete) script.oidComplete(m, r, s);
      else NdisFOidRequestComplete(m.handle, r, s);
    },
    StatusHandler: (m: FilterModuleCtx, s: NDIS_STATUS_INDICATION) => {
      log("FilterStatus", m);
      if (script.status) script.status(m, s);
      else NdisFIndicateStatus(m.handle, s);
    },
    ...script.chars,
  };
  const module: DriverModule = {
    DriverEntry: (DriverObject: DRIVER_OBJECT) => {
      const out: Out<NDIS_HANDLE> = {};
      registered = NdisFRegisterFilterDriver(DriverObject, null, chars as never, out);
      if (registered !== NDIS_STATUS_SUCCESS) return registered;
      const handle = out.value as NDIS_HANDLE;
      DriverObject.DriverUnload = () => {
        calls.push("FilterDriverUnload");
        NdisFDeregisterFilterDriver(handle);
      };
      return NDIS_STATUS_SUCCESS;
    },
  };
  return { module, calls, modules, status: () => registered };
}

export { NDIS_RECEIVE_FLAGS_RESOURCES };
