/**
 * filter-passthrough: a modifying NDIS 6 lightweight filter that passes everything through — the
 * shape of the WDK's "NDIS 6.0 Filter Driver" sample, written here from the docs' description of
 * each FilterXxx function (no sample code). It is the starting point for a filter of your own:
 * every handler is present and does the minimum a correct filter must do.
 *
 * - DriverEntry registers the FilterXxx table with NdisFRegisterFilterDriver; the unload routine
 *   deregisters it.
 * - FilterAttach allocates the module's context and names it with NdisFSetAttributes.
 * - FilterPause stops new traffic and completes (at once, or later with NdisFPauseComplete) only
 *   when every receive it passed up has come back; FilterRestart lets traffic flow again. The
 *   sends it passes down it does not count or wait for: it originates and queues none, and the
 *   docs ("Pausing a Filter Module") have a filter wait only for the sends it originated — NDIS
 *   pauses a stack top-down, and each driver above waited for its own sends before the pause
 *   reached this module.
 * - Sends go down with NdisFSendNetBufferLists and their completions up with
 *   NdisFSendNetBufferListsComplete; receives go up with NdisFIndicateReceiveNetBufferLists and
 *   their returns down with NdisFReturnNetBufferLists. While not Running, sends are completed
 *   with NDIS_STATUS_PAUSED and receives returned at once.
 * - OID requests go down as clones (NdisAllocateCloneOidRequest, NdisFOidRequest) and complete
 *   the original (NdisFOidRequestComplete); cancellations, status indications, device PnP events
 *   (down) and network PnP and power events (up, NdisFNetPnPEvent) are passed on.
 *
 * `filterDriverEntry({ bypass: true })` registers the same filter without send and receive
 * handlers: NDIS then bypasses its modules on the data path (and it still sees OIDs and status).
 */
import {
  type DRIVER_OBJECT,
  type FILTER_ATTACH,
  type FILTER_CANCEL_OID_REQUEST,
  type FILTER_CANCEL_SEND_NET_BUFFER_LISTS,
  type FILTER_DETACH,
  type FILTER_DEVICE_PNP_EVENT_NOTIFY,
  type FILTER_NET_PNP_EVENT,
  type FILTER_OID_REQUEST,
  type FILTER_OID_REQUEST_COMPLETE,
  type FILTER_PAUSE,
  type FILTER_RECEIVE_NET_BUFFER_LISTS,
  type FILTER_RESTART,
  type FILTER_RETURN_NET_BUFFER_LISTS,
  type FILTER_SEND_NET_BUFFER_LISTS,
  type FILTER_SEND_NET_BUFFER_LISTS_COMPLETE,
  type FILTER_STATUS,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  type NDIS_STATUS,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAllocateCloneOidRequest,
  NdisFCancelOidRequest,
  NdisFCancelSendNetBufferLists,
  NdisFDeregisterFilterDriver,
  NdisFDevicePnPEventNotify,
  NdisFIndicateStatus,
  NdisFNetPnPEvent,
  NdisFOidRequest,
  NdisFOidRequestComplete,
  NdisFreeCloneOidRequest,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisFSetAttributes,
  type Out,
} from "../../ddi.js";
import {
  countNbls,
  filterAttributes,
  type PausableModule,
  passReceivesUp,
  passReturnsDown,
  pauseModule,
  refusedReceives,
  refusedSends,
  registerFilter,
  restartModule,
} from "../shared/filter.js";

/** The filter's NetCfgInstanceId (its INF's), as the docs' sample INF has one of its own. */
export const FILTER_PASSTHROUGH_GUID = "{3f4c9a52-7d1e-4c1b-9a53-5e0b6f0d8a21}";
const FRIENDLY_NAME = "ndis-ts passthrough filter";
/** 'Fpto' */
const CLONE_TAG = 0x6f747046;

/**
 * The module context (the sample's MS_FILTER): one per attached module. Its state and the receives
 * it has out are what the pause rule of src/drivers/shared/filter.ts looks at (OutstandingSends
 * stays 0: it originates no sends).
 */
export interface FilterModuleContext extends PausableModule {
  readonly MiniportName: string;
  /** Frames seen each way, for anyone curious. */
  SentNbls: number;
  ReceivedNbls: number;
}

interface DriverGlobals {
  FilterDriverHandle: NDIS_HANDLE | undefined;
  readonly Modules: Set<FilterModuleContext>;
}

const drivers = new WeakMap<DRIVER_OBJECT, DriverGlobals>();

/** FilterAttach (PASSIVE_LEVEL): allocate the module context and hand it to NDIS. */
const FilterAttach: FILTER_ATTACH = (NdisFilterHandle, FilterDriverContext, AttachParameters) => {
  const globals = FilterDriverContext as DriverGlobals;
  const m: FilterModuleContext = {
    FilterHandle: NdisFilterHandle,
    MiniportName: AttachParameters.BaseMiniportName,
    State: "Paused",
    OutstandingSends: 0,
    OutstandingReceives: 0,
    SentNbls: 0,
    ReceivedNbls: 0,
  };
  const status = NdisFSetAttributes(NdisFilterHandle, m, filterAttributes());
  if (status !== NDIS_STATUS_SUCCESS) return status;
  globals.Modules.add(m);
  return NDIS_STATUS_SUCCESS;
};

function detachFor(globals: DriverGlobals): FILTER_DETACH {
  return (FilterModuleContext) => {
    globals.Modules.delete(FilterModuleContext as FilterModuleContext);
  };
}

/** FilterRestart (PASSIVE_LEVEL): traffic may flow again. */
const FilterRestart: FILTER_RESTART = (FilterModuleContext) =>
  restartModule(FilterModuleContext as FilterModuleContext);

/**
 * FilterPause (PASSIVE_LEVEL): no new traffic from here on; the pause completes when what the
 * module passed on has come back.
 */
const FilterPause: FILTER_PAUSE = (FilterModuleContext) =>
  pauseModule(FilterModuleContext as FilterModuleContext);

/**
 * FilterSendNetBufferLists (≤ DISPATCH_LEVEL): pass the sends down (counted in SentNbls), or
 * refuse them while paused.
 */
const FilterSendNetBufferLists: FILTER_SEND_NET_BUFFER_LISTS = (
  FilterModuleContext,
  NetBufferLists,
  PortNumber,
  SendFlags,
) => {
  const m = FilterModuleContext as FilterModuleContext;
  if (refusedSends(m, NetBufferLists, SendFlags)) return;
  m.SentNbls += countNbls(NetBufferLists);
  NdisFSendNetBufferLists(m.FilterHandle, NetBufferLists, PortNumber, SendFlags);
};

/**
 * FilterSendNetBufferListsComplete (≤ DISPATCH_LEVEL): the sends it passed down came back; pass
 * the completion up. (Nothing to count: the pause does not wait for sends it only passed on.)
 */
const FilterSendNetBufferListsComplete: FILTER_SEND_NET_BUFFER_LISTS_COMPLETE = (
  FilterModuleContext,
  NetBufferLists,
  SendCompleteFlags,
) => {
  NdisFSendNetBufferListsComplete(
    (FilterModuleContext as FilterModuleContext).FilterHandle,
    NetBufferLists,
    SendCompleteFlags,
  );
};

/** FilterCancelSendNetBufferLists: pass the cancellation down. */
const FilterCancelSendNetBufferLists: FILTER_CANCEL_SEND_NET_BUFFER_LISTS = (
  FilterModuleContext,
  CancelId,
) => {
  NdisFCancelSendNetBufferLists(
    (FilterModuleContext as FilterModuleContext).FilterHandle,
    CancelId,
  );
};

/**
 * FilterReceiveNetBufferLists (≤ DISPATCH_LEVEL): pass the indication up; while not Running, give
 * it straight back (unless it came under NDIS_RECEIVE_FLAGS_RESOURCES, which NDIS takes back).
 */
const FilterReceiveNetBufferLists: FILTER_RECEIVE_NET_BUFFER_LISTS = (
  FilterModuleContext,
  NetBufferLists,
  PortNumber,
  NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const m = FilterModuleContext as FilterModuleContext;
  if (refusedReceives(m, NetBufferLists, ReceiveFlags)) return;
  m.ReceivedNbls += NumberOfNetBufferLists;
  passReceivesUp(m, NetBufferLists, PortNumber, NumberOfNetBufferLists, ReceiveFlags);
};

/**
 * FilterReturnNetBufferLists (≤ DISPATCH_LEVEL): count the returns back, pass them down, and end
 * a pause that was waiting for them.
 */
const FilterReturnNetBufferLists: FILTER_RETURN_NET_BUFFER_LISTS = (
  FilterModuleContext,
  NetBufferLists,
  ReturnFlags,
) => passReturnsDown(FilterModuleContext as FilterModuleContext, NetBufferLists, ReturnFlags);

/** Copies what the layers below reported back into the request this module was given. */
function copyBack(clone: NDIS_OID_REQUEST, original: NDIS_OID_REQUEST): void {
  const from = clone.DATA.QUERY_INFORMATION;
  const to = original.DATA.QUERY_INFORMATION;
  to.BytesWritten = from.BytesWritten;
  to.BytesRead = from.BytesRead;
  to.BytesNeeded = from.BytesNeeded;
  original.SupportedRevision = clone.SupportedRevision;
}

/** FilterOidRequest (≤ DISPATCH_LEVEL): pass a clone down; complete the original with its result. */
const FilterOidRequest: FILTER_OID_REQUEST = (FilterModuleContext, OidRequest) => {
  const m = FilterModuleContext as FilterModuleContext;
  const out: Out<NDIS_OID_REQUEST> = {};
  const status = NdisAllocateCloneOidRequest(m.FilterHandle, OidRequest, CLONE_TAG, out);
  if (status !== NDIS_STATUS_SUCCESS || out.value === undefined) return status;
  const clone = out.value;
  clone.SourceReserved[0] = OidRequest;
  const result: NDIS_STATUS = NdisFOidRequest(m.FilterHandle, clone);
  if (result === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  copyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(m.FilterHandle, clone);
  return result;
};

/** FilterOidRequestComplete: a clone came back; complete the original. */
const FilterOidRequestComplete: FILTER_OID_REQUEST_COMPLETE = (
  FilterModuleContext,
  OidRequest,
  Status,
) => {
  const m = FilterModuleContext as FilterModuleContext;
  const original = OidRequest.SourceReserved[0] as NDIS_OID_REQUEST | undefined;
  if (original === undefined) return;
  copyBack(OidRequest, original);
  NdisFreeCloneOidRequest(m.FilterHandle, OidRequest);
  NdisFOidRequestComplete(m.FilterHandle, original, Status);
};

/** FilterCancelOidRequest: pass the cancellation down; the clone comes back REQUEST_ABORTED. */
const FilterCancelOidRequest: FILTER_CANCEL_OID_REQUEST = (FilterModuleContext, RequestId) => {
  NdisFCancelOidRequest((FilterModuleContext as FilterModuleContext).FilterHandle, RequestId);
};

/** FilterStatus: pass the indication up. */
const FilterStatus: FILTER_STATUS = (FilterModuleContext, StatusIndication) => {
  NdisFIndicateStatus((FilterModuleContext as FilterModuleContext).FilterHandle, StatusIndication);
};

/** FilterNetPnPEvent: pass the event up; the answer from above is this module's answer. */
const FilterNetPnPEvent: FILTER_NET_PNP_EVENT = (FilterModuleContext, NetPnPEventNotification) =>
  NdisFNetPnPEvent(
    (FilterModuleContext as FilterModuleContext).FilterHandle,
    NetPnPEventNotification,
  );

/** FilterDevicePnPEventNotify: pass the event down. */
const FilterDevicePnPEventNotify: FILTER_DEVICE_PNP_EVENT_NOTIFY = (FilterModuleContext, Event) => {
  NdisFDevicePnPEventNotify((FilterModuleContext as FilterModuleContext).FilterHandle, Event);
};

export interface FilterPassthroughOptions {
  /** Register without send and receive handlers: NDIS bypasses the modules on the data path. */
  readonly bypass?: boolean;
}

/** A DriverEntry for the filter with `options`. */
export function filterDriverEntry(options: FilterPassthroughOptions = {}) {
  return (DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS => {
    const globals: DriverGlobals = { FilterDriverHandle: undefined, Modules: new Set() };
    const dataPath = options.bypass
      ? {}
      : {
          SendNetBufferListsHandler: FilterSendNetBufferLists,
          SendNetBufferListsCompleteHandler: FilterSendNetBufferListsComplete,
          CancelSendNetBufferListsHandler: FilterCancelSendNetBufferLists,
          ReceiveNetBufferListsHandler: FilterReceiveNetBufferLists,
          ReturnNetBufferListsHandler: FilterReturnNetBufferLists,
        };
    const registered = registerFilter(DriverObject, RegistryPath, globals, {
      FriendlyName: FRIENDLY_NAME,
      UniqueName: FILTER_PASSTHROUGH_GUID,
      AttachHandler: FilterAttach,
      DetachHandler: detachFor(globals),
      RestartHandler: FilterRestart,
      PauseHandler: FilterPause,
      ...dataPath,
      OidRequestHandler: FilterOidRequest,
      OidRequestCompleteHandler: FilterOidRequestComplete,
      CancelOidRequestHandler: FilterCancelOidRequest,
      DevicePnPEventNotifyHandler: FilterDevicePnPEventNotify,
      NetPnPEventHandler: FilterNetPnPEvent,
      StatusHandler: FilterStatus,
    });
    if (registered.handle === undefined) return registered.status;
    globals.FilterDriverHandle = registered.handle;
    drivers.set(DriverObject, globals);
    // FilterDriverUnload: deregister (NDIS has detached every module before it calls this).
    DriverObject.DriverUnload = (d: DRIVER_OBJECT) => {
      const g = drivers.get(d);
      if (g?.FilterDriverHandle !== undefined) NdisFDeregisterFilterDriver(g.FilterDriverHandle);
      drivers.delete(d);
    };
    return NDIS_STATUS_SUCCESS;
  };
}

/** The modules of the filter driver loaded as `driverObject`: adapter and NBLs seen each way. */
export function filterModulesOf(
  driverObject: DRIVER_OBJECT,
): { adapter: string; state: string; sent: number; received: number }[] {
  const globals = drivers.get(driverObject);
  if (globals === undefined) return [];
  return [...globals.Modules].map((m) => ({
    adapter: m.MiniportName,
    state: m.State,
    sent: m.SentNbls,
    received: m.ReceivedNbls,
  }));
}

/** DriverEntry of the passthrough filter (send and receive handlers present). */
export const DriverEntry = filterDriverEntry();
