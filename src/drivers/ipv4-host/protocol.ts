/**
 * ipv4-host, protocol edge: binding to adapters, their parameters, pause/restart, link state.
 *
 * Bind: NdisOpenAdapterEx → read the binding's parameters (NdisOpenConfigurationEx with the
 * binding handle) → allocate the send pool and the two timers → set OID_GEN_CURRENT_PACKET_FILTER
 * (DIRECTED | BROADCAST | MULTICAST) with NdisOidRequest, as tcpip does. Any step may pend; the
 * bind then ends with NdisCompleteBindAdapterEx. A bind without a usable IPAddress (or with a
 * malformed parameter, or whose filter the adapter refuses) is refused: the adapter is closed again
 * and the bind fails with NDIS_STATUS_INVALID_PARAMETER (IPAddress missing), NDIS_STATUS_INVALID_DATA
 * (a value malformed) or the failing status; `ipv4HostRefusals` says why.
 */
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  makeNblQueue,
  makeOidRequest,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_TIMER_FUNCTION,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseAdapterEx,
  NdisCloseConfiguration,
  NdisCompleteBindAdapterEx,
  NdisCompleteUnbindAdapterEx,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisFreeTimerObject,
  NdisMedium802_3,
  NdisOidRequest,
  NdisOpenAdapterEx,
  NdisRequestSetInformation,
  NdisSetTimerObject,
  NetEventPause,
  NetEventRestart,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OID_REQUEST_COMPLETE,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";
import { inSubnet, parseIPv4 } from "../../net/ipv4.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import { allocateFramePool, contextBackFill, dataBackFill } from "../shared/frames.js";
import {
  ARP_CACHE_LIFE_DEFAULT,
  type IF,
  type IfParameters,
  type Ipv4HostGlobals,
  newCounters,
  REFUSALS_KEPT,
} from "./globals.js";
import { PingTimerFunction, StampTimerFunction } from "./stack.js";

/** 'I4sd' */
const POOL_TAG = 0x64733449;
/** 'I4tm' */
const TIMER_TAG = 0x6d743449;
const PACKET_FILTER =
  NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;

function forget(ifc: IF): void {
  const list = ifc.Globals.Interfaces;
  const at = list.indexOf(ifc);
  if (at >= 0) list.splice(at, 1);
}

/** Ends a bind: through NdisCompleteBindAdapterEx when the handler returned PENDING. */
function completeBind(ifc: IF, status: NDIS_STATUS): void {
  const context = ifc.BindContext;
  ifc.BindContext = undefined;
  if (ifc.BindPended && context !== undefined) NdisCompleteBindAdapterEx(context, status);
}

/** Reads the binding's parameters; a failing status and reason when they are unusable. */
function readParameters(
  ifc: IF,
): { params: IfParameters } | { status: NDIS_STATUS; reason: string } {
  const opened = openConfiguration(ifc.BindingHandle as NDIS_HANDLE);
  if ("status" in opened)
    return { status: opened.status, reason: "NdisOpenConfigurationEx failed" };
  const config = opened.handle;
  try {
    const text = readString(config, "IPAddress");
    if (text === null) return { status: NDIS_STATUS_INVALID_PARAMETER, reason: "no IPAddress" };
    const Address = parseIPv4(text);
    if (Address === null)
      return {
        status: NDIS_STATUS_INVALID_DATA,
        reason: `IPAddress "${text}" is not an IPv4 address`,
      };
    const PrefixLength = readInteger(config, "PrefixLength", 24, 0, 32);
    const UdpEchoPort = readInteger(config, "UdpEchoPort", 0, 1, 65535);
    const PingCount = readInteger(config, "PingCount", 0, 0, 0xffffffff);
    const PingIntervalMs = readInteger(config, "PingIntervalMs", 1000, 1, 3_600_000);
    const ArpCacheLife = readInteger(config, "ArpCacheLife", ARP_CACHE_LIFE_DEFAULT, 1, 86_400);
    for (const value of [PrefixLength, UdpEchoPort, PingCount, PingIntervalMs, ArpCacheLife]) {
      if (typeof value !== "number") return { status: NDIS_STATUS_INVALID_DATA, reason: value.bad };
    }
    const targetText = readString(config, "PingTarget");
    const PingTarget = targetText === null ? null : parseIPv4(targetText);
    if (targetText !== null && PingTarget === null)
      return {
        status: NDIS_STATUS_INVALID_DATA,
        reason: `PingTarget "${targetText}" is not an IPv4 address`,
      };
    // No routing here: a target off the interface's prefix could only be reached by a gateway.
    if (PingTarget !== null && !inSubnet(PingTarget, Address, PrefixLength as number))
      return {
        status: NDIS_STATUS_INVALID_DATA,
        reason: `PingTarget ${targetText} is not on-link for ${text}/${PrefixLength}`,
      };
    return {
      params: {
        Address,
        PrefixLength: PrefixLength as number,
        UdpEchoPort: UdpEchoPort === 0 ? null : (UdpEchoPort as number),
        PingTarget,
        PingCount: PingCount as number,
        PingIntervalMs: PingIntervalMs as number,
        ArpCacheLife: ArpCacheLife as number,
      },
    };
  } finally {
    NdisCloseConfiguration(config);
  }
}

function allocateTimer(ifc: IF, TimerFunction: NDIS_TIMER_FUNCTION): NDIS_HANDLE | null {
  const out: Out<NDIS_HANDLE> = {};
  const status = NdisAllocateTimerObject(
    ifc.BindingHandle as NDIS_HANDLE,
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
        Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
      },
      AllocationTag: TIMER_TAG,
      TimerFunction,
      FunctionContext: ifc,
    },
    out,
  );
  return status === NDIS_STATUS_SUCCESS ? (out.value ?? null) : null;
}

/** Gives back the pool and timers (nothing is outstanding: the binding is paused or never ran). */
function freeResources(ifc: IF): void {
  for (const timer of [ifc.PingTimer, ifc.StampTimer]) {
    if (timer === null) continue;
    NdisCancelTimerObject(timer);
    NdisFreeTimerObject(timer);
  }
  ifc.PingTimer = null;
  ifc.StampTimer = null;
  for (let nbl = ifc.SendFree.pop(); nbl !== undefined; nbl = ifc.SendFree.pop())
    NdisFreeNetBufferList(nbl);
  if (ifc.SendPool !== null) NdisFreeNetBufferListPool(ifc.SendPool);
  ifc.SendPool = null;
}

/** Refuses the bind: frees what it took and closes the adapter. SUCCESS never; PENDING maybe. */
function refuse(ifc: IF, status: NDIS_STATUS, reason: string): NDIS_STATUS {
  const refusals = ifc.Globals.Refusals;
  refusals.push({ adapterName: ifc.BindParameters.AdapterName, status, reason });
  if (refusals.length > REFUSALS_KEPT) refusals.shift();
  freeResources(ifc);
  ifc.Phase = "refusing";
  ifc.RefuseStatus = status;
  if (NdisCloseAdapterEx(ifc.BindingHandle as NDIS_HANDLE) === NDIS_STATUS_PENDING)
    return NDIS_STATUS_PENDING; // PtCloseAdapterComplete completes the bind
  forget(ifc);
  return status;
}

/** The bind after a successful open. SUCCESS, PENDING (ends later) or the refusal's status. */
function afterOpen(ifc: IF): NDIS_STATUS {
  const read = readParameters(ifc);
  if ("status" in read) return refuse(ifc, read.status, read.reason);
  ifc.Params = read.params;
  ifc.SendPool = allocateFramePool(
    ifc.Globals.ProtocolHandle as NDIS_HANDLE,
    POOL_TAG,
    0,
    ifc.DataBackFill,
  );
  ifc.PingTimer = allocateTimer(ifc, PingTimerFunction);
  ifc.StampTimer = allocateTimer(ifc, StampTimerFunction);
  if (ifc.SendPool === null || ifc.PingTimer === null || ifc.StampTimer === null)
    return refuse(ifc, NDIS_STATUS_RESOURCES, "no memory for the send pool or the timers");
  const buffer = new Uint8Array(4);
  new DataView(buffer.buffer).setUint32(0, PACKET_FILTER, true);
  const request = makeOidRequest({
    RequestType: NdisRequestSetInformation,
    Oid: OID_GEN_CURRENT_PACKET_FILTER,
    InformationBuffer: buffer,
  });
  ifc.FilterRequest = request;
  const status = NdisOidRequest(ifc.BindingHandle as NDIS_HANDLE, request);
  if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING; // PtOidRequestComplete goes on
  ifc.FilterRequest = null;
  return afterFilter(ifc, status);
}

function afterFilter(ifc: IF, status: NDIS_STATUS): NDIS_STATUS {
  if (status !== NDIS_STATUS_SUCCESS)
    return refuse(ifc, status, "the adapter refused OID_GEN_CURRENT_PACKET_FILTER");
  ifc.Phase = "paused";
  return NDIS_STATUS_SUCCESS;
}

/** ProtocolBindAdapterEx (PASSIVE_LEVEL). */
export const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = (
  ProtocolDriverContext: unknown,
  BindContext: NDIS_HANDLE,
  BindParameters: NDIS_BIND_PARAMETERS,
): NDIS_STATUS => {
  const globals = ProtocolDriverContext as Ipv4HostGlobals;
  const ifc: IF = {
    Globals: globals,
    BindParameters,
    Mac: BindParameters.CurrentMacAddress.slice(0, 6),
    DataBackFill: dataBackFill(BindParameters.DataBackFillSize),
    ContextBackFill: contextBackFill(BindParameters.ContextBackFillSize),
    Phase: "binding",
    BindContext,
    BindPended: false,
    RefuseStatus: NDIS_STATUS_SUCCESS,
    BindingHandle: undefined,
    UnbindContext: undefined,
    Params: null,
    SendPool: null,
    SendFree: [],
    PingTimer: null,
    StampTimer: null,
    FilterRequest: null,
    SendsOutstanding: 0,
    Answering: false,
    Answers: makeNblQueue(),
    PendingPause: null,
    LinkUp: BindParameters.MediaConnectState !== MediaConnectStateDisconnected,
    ArpCache: new Map(),
    IpIdentification: 0,
    PingIdentifier: 0x4900 | (BindParameters.BoundIfIndex & 0xff),
    PingSequence: 0,
    PingOutstanding: new Map(),
    LastPingSequence: null,
    Unanswered: 0,
    ToStamp: [],
    RttsMs: [],
    Counters: newCounters(),
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisOpenAdapterEx(
    globals.ProtocolHandle as NDIS_HANDLE,
    ifc,
    {
      Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
      AdapterName: BindParameters.AdapterName,
      MediumArray: [NdisMedium802_3],
      MediumArraySize: 1,
      SelectedMediumIndex: {},
    },
    BindContext,
    handle,
  );
  if (status !== NDIS_STATUS_SUCCESS && status !== NDIS_STATUS_PENDING) return status;
  ifc.BindingHandle = handle.value;
  globals.Interfaces.push(ifc);
  const result = status === NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : afterOpen(ifc);
  if (result === NDIS_STATUS_PENDING) ifc.BindPended = true;
  else ifc.BindContext = undefined;
  return result;
};

/** ProtocolOpenAdapterCompleteEx: the open NDIS pended is done; the bind goes on. */
export const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
  Status,
) => {
  const ifc = ProtocolBindingContext as IF;
  if (Status !== NDIS_STATUS_SUCCESS) {
    forget(ifc);
    completeBind(ifc, Status);
    return;
  }
  const status = afterOpen(ifc);
  if (status !== NDIS_STATUS_PENDING) completeBind(ifc, status);
};

/** ProtocolOidRequestComplete: the packet filter set of a bind came back. */
export const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext,
  OidRequest,
  Status,
) => {
  const ifc = ProtocolBindingContext as IF;
  if (OidRequest !== ifc.FilterRequest) return;
  ifc.FilterRequest = null;
  const status = afterFilter(ifc, Status);
  if (status !== NDIS_STATUS_PENDING) completeBind(ifc, status);
};

/**
 * ProtocolUnbindAdapterEx (PASSIVE_LEVEL, binding Paused: no sends outstanding, timers stopped):
 * frees the timers and the pool and closes the adapter. SUCCESS, or PENDING while NDIS closes.
 */
export const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = (
  UnbindContext,
  ProtocolBindingContext,
) => {
  const ifc = ProtocolBindingContext as IF;
  ifc.Phase = "unbinding";
  ifc.UnbindContext = UnbindContext;
  freeResources(ifc);
  if (NdisCloseAdapterEx(ifc.BindingHandle as NDIS_HANDLE) === NDIS_STATUS_PENDING)
    return NDIS_STATUS_PENDING;
  forget(ifc);
  return NDIS_STATUS_SUCCESS;
};

/** ProtocolCloseAdapterCompleteEx: a close NDIS pended ends the refused bind or the unbind. */
export const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
) => {
  const ifc = ProtocolBindingContext as IF;
  forget(ifc);
  if (ifc.Phase === "refusing") {
    completeBind(ifc, ifc.RefuseStatus);
    return;
  }
  if (ifc.UnbindContext !== undefined) NdisCompleteUnbindAdapterEx(ifc.UnbindContext);
};

/**
 * ProtocolNetPnPEvent (PASSIVE_LEVEL). NetEventRestart: start answering and pinging.
 * NetEventPause: stop the timers, send nothing more, and pend until the sends in flight are back.
 * Everything else is acknowledged.
 */
export const PtNetPnPEvent: PROTOCOL_NET_PNP_EVENT = (
  ProtocolBindingContext,
  NetPnPEventNotification,
) => {
  const ifc = ProtocolBindingContext as IF | null;
  if (ifc === null) return NDIS_STATUS_SUCCESS;
  const event = NetPnPEventNotification.NetPnPEvent.NetEvent;
  if (event === NetEventRestart) {
    ifc.Phase = "running";
    const params = ifc.Params;
    if (params !== null && params.PingTarget !== null && ifc.PingTimer !== null) {
      const interval = params.PingIntervalMs;
      NdisSetTimerObject(ifc.PingTimer, -10_000n * BigInt(interval), interval);
    }
    return NDIS_STATUS_SUCCESS;
  }
  if (event === NetEventPause) {
    ifc.Phase = "paused";
    if (ifc.PingTimer !== null) NdisCancelTimerObject(ifc.PingTimer);
    // Replies not yet stamped lose their RTT (they stay counted as received).
    if (ifc.StampTimer !== null) NdisCancelTimerObject(ifc.StampTimer);
    ifc.ToStamp.length = 0;
    if (ifc.SendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
    ifc.PendingPause = NetPnPEventNotification; // PtSendNetBufferListsComplete completes it
    return NDIS_STATUS_PENDING;
  }
  return NDIS_STATUS_SUCCESS;
};

/** ProtocolStatusEx: follows NDIS_STATUS_LINK_STATE; everything else is ignored. */
export const PtStatus: PROTOCOL_STATUS_EX = (ProtocolBindingContext, StatusIndication) => {
  const ifc = ProtocolBindingContext as IF;
  if (StatusIndication.StatusCode !== NDIS_STATUS_LINK_STATE) return;
  const state = StatusIndication.StatusBuffer as NDIS_LINK_STATE | null;
  if (state === null || typeof state !== "object") return;
  ifc.Counters.linkChanges++;
  ifc.LinkUp = state.MediaConnectState === MediaConnectStateConnected;
};
