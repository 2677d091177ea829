/**
 * raw: a protocol driver like ndisprot or Npcap's NPF — it binds to adapters and lets Node send
 * whole Ethernet frames and read every frame the adapter indicates, copied. Node's side is the
 * "device handle" a user-mode program opens on such a driver:
 *
 *   const raw = openRaw(driverObject, "hubC");
 *   const status = await raw.send(frame);          // resolves when NDIS completes the send
 *   for await (const frame of raw.frames()) { … }  // ends at close() or when the binding goes
 *
 * A send enters NDIS from Node as a write IRP enters ndisprot: at PASSIVE_LEVEL, on the binding
 * handle, with an NBL of the driver's own pool (SourceHandle = the binding handle).
 *
 * Registry (per binding): `PacketFilter` — "promiscuous", "normal" (DIRECTED | BROADCAST |
 * MULTICAST, the default) or an integer of NDIS_PACKET_TYPE_* bits.
 */
import {
  type DRIVER_OBJECT,
  MediaConnectStateConnected,
  makeOidRequest,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  type NDIS_IO_WORKITEM_ROUTINE,
  type NDIS_LINK_STATE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  type NDIS_STATUS,
  NDIS_STATUS_ADAPTER_NOT_OPEN,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAllocateIoWorkItem,
  NdisCloseAdapterEx,
  NdisCloseConfiguration,
  NdisCompleteBindAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisDeregisterProtocolDriver,
  NdisFreeIoWorkItem,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisMedium802_3,
  NdisOidRequest,
  NdisOpenAdapterEx,
  NdisQueueIoWorkItem,
  NdisRegisterProtocolDriver,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  NetEventRestart,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OID_REQUEST_COMPLETE,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";
import { formatMac } from "../../net/ethernet.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import {
  allocateFramePool,
  copyFrame,
  frameNbl,
  MAX_FRAME_LENGTH,
  sendFlagsHere,
} from "../shared/frames.js";
import { protocolCharacteristicsHeader, targetVersion } from "../shared/revisions.js";

/** 'Raws' */
const POOL_TAG = 0x73776152;
const NORMAL_FILTER =
  NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;
/** Frames one open handle keeps unread before it drops what arrives. */
export const RAW_QUEUE_LIMIT = 4096;

interface RawGlobals {
  ProtocolHandle: NDIS_HANDLE | undefined;
  readonly Bindings: RawBinding[];
}

export interface RawCounters {
  /** Frames indicated to the binding while it ran. */
  framesReceived: number;
  /** Frames handed to NdisSendNetBufferLists. */
  framesSent: number;
  /** Sends completed with a failure, or refused before NDIS (paused, bad length, no NBL). */
  sendFailures: number;
  /** Received frames an open handle had no room for. */
  framesDropped: number;
}

type RawPhase = "binding" | "paused" | "running" | "refusing" | "unbinding";

interface RawBinding {
  readonly Globals: RawGlobals;
  readonly BindParameters: NDIS_BIND_PARAMETERS;
  Phase: RawPhase;
  BindContext: NDIS_HANDLE | undefined;
  BindPended: boolean;
  RefuseStatus: NDIS_STATUS;
  BindingHandle: NDIS_HANDLE | undefined;
  UnbindContext: NDIS_HANDLE | undefined;
  PacketFilter: number;
  FilterRequest: NDIS_OID_REQUEST | null;
  SendPool: NDIS_HANDLE | null;
  SendsOutstanding: number;
  PendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /** Completes a pended pause at PASSIVE_LEVEL (allocated when the binding opens). */
  PauseWorkItem: NDIS_HANDLE | null;
  PauseQueued: boolean;
  LinkUp: boolean;
  readonly Opens: Set<RawOpen>;
  readonly Counters: RawCounters;
}

/** One open handle: its unread frames and the reader waiting for the next. */
interface RawOpen {
  readonly Binding: RawBinding;
  readonly Queue: Uint8Array[];
  Waiter: (() => void) | null;
  Closed: boolean;
}

const globalsByDriver = new WeakMap<DRIVER_OBJECT, RawGlobals>();

function forget(b: RawBinding): void {
  const list = b.Globals.Bindings;
  const at = list.indexOf(b);
  if (at >= 0) list.splice(at, 1);
}

function completeBind(b: RawBinding, status: NDIS_STATUS): void {
  const context = b.BindContext;
  b.BindContext = undefined;
  if (b.BindPended && context !== undefined) NdisCompleteBindAdapterEx(context, status);
}

/** Ends every open handle of the binding: readers finish, later sends fail. */
function closeOpens(b: RawBinding): void {
  for (const open of b.Opens) closeOpen(open);
}

function closeOpen(open: RawOpen): void {
  open.Closed = true;
  open.Binding.Opens.delete(open);
  const waiter = open.Waiter;
  open.Waiter = null;
  waiter?.();
}

function refuse(b: RawBinding, status: NDIS_STATUS): NDIS_STATUS {
  if (b.SendPool !== null) NdisFreeNetBufferListPool(b.SendPool);
  b.SendPool = null;
  if (b.PauseWorkItem !== null) NdisFreeIoWorkItem(b.PauseWorkItem);
  b.PauseWorkItem = null;
  b.Phase = "refusing";
  b.RefuseStatus = status;
  if (NdisCloseAdapterEx(b.BindingHandle as NDIS_HANDLE) === NDIS_STATUS_PENDING)
    return NDIS_STATUS_PENDING;
  forget(b);
  return status;
}

function readFilter(b: RawBinding): number | null {
  const opened = openConfiguration(b.BindingHandle as NDIS_HANDLE);
  if ("status" in opened) return NORMAL_FILTER;
  try {
    const text = readString(opened.handle, "PacketFilter")?.trim().toLowerCase();
    if (text === "promiscuous") return NDIS_PACKET_TYPE_PROMISCUOUS;
    if (text === "normal" || text === "") return NORMAL_FILTER;
    const bits = readInteger(opened.handle, "PacketFilter", NORMAL_FILTER, 0, 0x1ffff);
    return typeof bits === "number" ? bits : null;
  } finally {
    NdisCloseConfiguration(opened.handle);
  }
}

function afterOpen(b: RawBinding): NDIS_STATUS {
  const filter = readFilter(b);
  if (filter === null) return refuse(b, NDIS_STATUS_INVALID_DATA);
  b.PacketFilter = filter;
  b.SendPool = allocateFramePool(b.Globals.ProtocolHandle as NDIS_HANDLE, POOL_TAG);
  if (b.SendPool === null) return refuse(b, NDIS_STATUS_RESOURCES);
  // Allocated now: a pause waiting for sends must be able to complete at the last one back.
  b.PauseWorkItem = NdisAllocateIoWorkItem(b.BindingHandle as NDIS_HANDLE);
  if (b.PauseWorkItem === null) return refuse(b, NDIS_STATUS_RESOURCES);
  const buffer = new Uint8Array(4);
  new DataView(buffer.buffer).setUint32(0, filter, true);
  const request = makeOidRequest({
    RequestType: NdisRequestSetInformation,
    Oid: OID_GEN_CURRENT_PACKET_FILTER,
    InformationBuffer: buffer,
  });
  b.FilterRequest = request;
  const status = NdisOidRequest(b.BindingHandle as NDIS_HANDLE, request);
  if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  b.FilterRequest = null;
  return afterFilter(b, status);
}

function afterFilter(b: RawBinding, status: NDIS_STATUS): NDIS_STATUS {
  if (status !== NDIS_STATUS_SUCCESS) return refuse(b, status);
  b.Phase = "paused";
  return NDIS_STATUS_SUCCESS;
}

const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = (
  ProtocolDriverContext,
  BindContext,
  BindParameters,
) => {
  const globals = ProtocolDriverContext as RawGlobals;
  const b: RawBinding = {
    Globals: globals,
    BindParameters,
    Phase: "binding",
    BindContext,
    BindPended: false,
    RefuseStatus: NDIS_STATUS_SUCCESS,
    BindingHandle: undefined,
    UnbindContext: undefined,
    PacketFilter: 0,
    FilterRequest: null,
    SendPool: null,
    SendsOutstanding: 0,
    PendingPause: null,
    PauseWorkItem: null,
    PauseQueued: false,
    LinkUp: BindParameters.MediaConnectState === MediaConnectStateConnected,
    Opens: new Set(),
    Counters: { framesReceived: 0, framesSent: 0, sendFailures: 0, framesDropped: 0 },
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisOpenAdapterEx(
    globals.ProtocolHandle as NDIS_HANDLE,
    b,
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
  b.BindingHandle = handle.value;
  globals.Bindings.push(b);
  const result = status === NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : afterOpen(b);
  if (result === NDIS_STATUS_PENDING) b.BindPended = true;
  else b.BindContext = undefined;
  return result;
};

const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
  Status,
) => {
  const b = ProtocolBindingContext as RawBinding;
  if (Status !== NDIS_STATUS_SUCCESS) {
    forget(b);
    completeBind(b, Status);
    return;
  }
  const status = afterOpen(b);
  if (status !== NDIS_STATUS_PENDING) completeBind(b, status);
};

const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext,
  OidRequest,
  Status,
) => {
  const b = ProtocolBindingContext as RawBinding;
  if (OidRequest !== b.FilterRequest) return;
  b.FilterRequest = null;
  const status = afterFilter(b, Status);
  if (status !== NDIS_STATUS_PENDING) completeBind(b, status);
};

const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = (UnbindContext, ProtocolBindingContext) => {
  const b = ProtocolBindingContext as RawBinding;
  b.Phase = "unbinding";
  b.UnbindContext = UnbindContext;
  closeOpens(b);
  if (b.SendPool !== null) NdisFreeNetBufferListPool(b.SendPool);
  b.SendPool = null;
  if (b.PauseWorkItem !== null) NdisFreeIoWorkItem(b.PauseWorkItem);
  b.PauseWorkItem = null;
  if (NdisCloseAdapterEx(b.BindingHandle as NDIS_HANDLE) === NDIS_STATUS_PENDING)
    return NDIS_STATUS_PENDING;
  forget(b);
  return NDIS_STATUS_SUCCESS;
};

const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (ProtocolBindingContext) => {
  const b = ProtocolBindingContext as RawBinding;
  forget(b);
  if (b.Phase === "refusing") completeBind(b, b.RefuseStatus);
  else if (b.UnbindContext !== undefined) NdisCompleteUnbindAdapterEx(b.UnbindContext);
};

/**
 * Once the last send of a pausing binding is back, its pause completes — from a work item: the
 * last completion may come at DISPATCH_LEVEL (a filter below releasing a delayed send from a
 * timer, say), and NdisCompleteNetPnPEvent is a PASSIVE_LEVEL call.
 */
function maybeCompletePause(b: RawBinding): void {
  if (b.PendingPause === null || b.SendsOutstanding > 0 || b.BindingHandle === undefined) return;
  if (b.PauseQueued || b.PauseWorkItem === null) return;
  b.PauseQueued = true;
  NdisQueueIoWorkItem(b.PauseWorkItem, completePause, b);
}

/** The work item's routine (PASSIVE_LEVEL): NdisCompleteNetPnPEvent for the pended pause. */
const completePause: NDIS_IO_WORKITEM_ROUTINE = (WorkItemContext) => {
  const b = WorkItemContext as RawBinding;
  b.PauseQueued = false;
  const pending = b.PendingPause;
  if (pending === null || b.BindingHandle === undefined) return;
  b.PendingPause = null;
  NdisCompleteNetPnPEvent(b.BindingHandle, pending, NDIS_STATUS_SUCCESS);
};

const PtNetPnPEvent: PROTOCOL_NET_PNP_EVENT = (ProtocolBindingContext, NetPnPEventNotification) => {
  const b = ProtocolBindingContext as RawBinding | null;
  if (b === null) return NDIS_STATUS_SUCCESS;
  const event = NetPnPEventNotification.NetPnPEvent.NetEvent;
  if (event === NetEventRestart) b.Phase = "running";
  if (event !== NetEventPause) return NDIS_STATUS_SUCCESS;
  b.Phase = "paused";
  if (b.SendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
  b.PendingPause = NetPnPEventNotification;
  return NDIS_STATUS_PENDING;
};

const PtStatus: PROTOCOL_STATUS_EX = (ProtocolBindingContext, StatusIndication) => {
  const b = ProtocolBindingContext as RawBinding;
  if (StatusIndication.StatusCode !== NDIS_STATUS_LINK_STATE) return;
  const state = StatusIndication.StatusBuffer as NDIS_LINK_STATE | null;
  if (state !== null && typeof state === "object")
    b.LinkUp = state.MediaConnectState === MediaConnectStateConnected;
};

const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext,
  NetBufferLists,
  _PortNumber,
  _NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const b = ProtocolBindingContext as RawBinding;
  for (let nbl: NET_BUFFER_LIST | null = NetBufferLists; nbl !== null; nbl = nbl.Next) {
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      if (b.Phase !== "running") continue;
      b.Counters.framesReceived++;
      if (b.Opens.size === 0) continue;
      const frame = copyFrame(nb);
      if (frame === null) continue;
      let copies = 0;
      for (const open of b.Opens) {
        if (open.Queue.length >= RAW_QUEUE_LIMIT) {
          b.Counters.framesDropped++;
          continue;
        }
        // Every handle gets its own copy: a reader may keep or change what it was given.
        open.Queue.push(copies++ === 0 ? frame : frame.slice());
        const waiter = open.Waiter;
        open.Waiter = null;
        waiter?.();
      }
    }
  }
  if ((ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0 || b.BindingHandle === undefined) return;
  NdisReturnNetBufferLists(
    b.BindingHandle,
    NetBufferLists,
    (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0 ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0,
  );
};

const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext,
  NetBufferList,
) => {
  const b = ProtocolBindingContext as RawBinding;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    const status = nbl.Status;
    const resolve = nbl.ProtocolReserved[0] as ((s: NDIS_STATUS) => void) | undefined;
    nbl.ProtocolReserved[0] = undefined;
    if (status !== NDIS_STATUS_SUCCESS) b.Counters.sendFailures++;
    NdisFreeNetBufferList(nbl);
    b.SendsOutstanding--;
    resolve?.(status);
    nbl = next;
  }
  maybeCompletePause(b);
};

/** A raw handle on one binding (see the module comment). */
export interface RawHandle {
  readonly adapterName: string;
  /** The adapter's MAC, "02-00-00-00-00-01". */
  readonly mac: string;
  /**
   * Sends one whole Ethernet frame (copied). Resolves with the NBL's completion status; or at
   * once with NDIS_STATUS_PAUSED (binding not running), NDIS_STATUS_INVALID_LENGTH (empty or longer
   * than 1518 bytes), NDIS_STATUS_RESOURCES (no NBL), NDIS_STATUS_ADAPTER_NOT_OPEN (closed).
   */
  send(frame: Uint8Array): Promise<NDIS_STATUS>;
  /** The frames received from now on, copied, in order; ends at close() or unbind. */
  frames(): AsyncIterable<Uint8Array>;
  /** Stops reading; frames() ends. Idempotent. */
  close(): void;
}

function send(open: RawOpen, frame: Uint8Array): Promise<NDIS_STATUS> {
  const b = open.Binding;
  const fail = (status: NDIS_STATUS): Promise<NDIS_STATUS> => {
    b.Counters.sendFailures++;
    return Promise.resolve(status);
  };
  if (open.Closed) return Promise.resolve(NDIS_STATUS_ADAPTER_NOT_OPEN);
  if (b.Phase !== "running" || b.SendPool === null || b.BindingHandle === undefined)
    return fail(NDIS_STATUS_PAUSED);
  if (frame.length === 0 || frame.length > MAX_FRAME_LENGTH)
    return fail(NDIS_STATUS_INVALID_LENGTH);
  const nbl = frameNbl(b.SendPool, frame);
  if (nbl === null) return fail(NDIS_STATUS_RESOURCES);
  nbl.SourceHandle = b.BindingHandle;
  b.SendsOutstanding++;
  b.Counters.framesSent++;
  return new Promise<NDIS_STATUS>((resolve) => {
    nbl.ProtocolReserved[0] = resolve;
    NdisSendNetBufferLists(b.BindingHandle as NDIS_HANDLE, nbl, 0, sendFlagsHere());
  });
}

async function* read(open: RawOpen): AsyncGenerator<Uint8Array> {
  for (;;) {
    const frame = open.Queue.shift();
    if (frame !== undefined) {
      yield frame;
      continue;
    }
    if (open.Closed) return;
    await new Promise<void>((resolve) => {
      open.Waiter = resolve;
    });
  }
}

/**
 * Opens a raw handle on the raw driver's binding to `adapterName`; null when the driver is not
 * loaded or not bound there.
 */
export function openRaw(driverObject: DRIVER_OBJECT, adapterName: string): RawHandle | null {
  const b = globalsByDriver
    .get(driverObject)
    ?.Bindings.find((x) => x.BindParameters.AdapterName === adapterName && x.Phase !== "unbinding");
  if (b === undefined) return null;
  const open: RawOpen = { Binding: b, Queue: [], Waiter: null, Closed: false };
  b.Opens.add(open);
  return {
    adapterName,
    mac: formatMac(b.BindParameters.CurrentMacAddress),
    send: (frame) => send(open, frame),
    frames: () => read(open),
    close: () => {
      if (!open.Closed) closeOpen(open);
    },
  };
}

/**
 * The hook `ndis verify` makes a protocol send with (docs/verify.md, "A protocol that sends"):
 * one frame on the binding to `adapterName`, as a write on a raw handle opened for it and closed
 * at once (the send still completes). Resolves as RawHandle.send does;
 * NDIS_STATUS_ADAPTER_NOT_OPEN when the driver is not bound there.
 */
export function verifySend(
  driverObject: DRIVER_OBJECT,
  adapterName: string,
  frame: Uint8Array,
): Promise<NDIS_STATUS> {
  const handle = openRaw(driverObject, adapterName);
  if (handle === null) return Promise.resolve(NDIS_STATUS_ADAPTER_NOT_OPEN);
  const sent = handle.send(frame);
  handle.close();
  return sent;
}

/** What Node sees of one raw binding (a snapshot). */
export interface RawBindingInfo {
  readonly adapterName: string;
  readonly state: RawPhase;
  readonly linkUp: boolean;
  /** NDIS_PACKET_TYPE_* bits it set. */
  readonly packetFilter: number;
  readonly openHandles: number;
  readonly counters: Readonly<RawCounters>;
}

export function rawBindings(driverObject: DRIVER_OBJECT): readonly RawBindingInfo[] {
  return (globalsByDriver.get(driverObject)?.Bindings ?? []).map((b) => ({
    adapterName: b.BindParameters.AdapterName,
    state: b.Phase,
    linkUp: b.LinkUp,
    packetFilter: b.PacketFilter,
    openHandles: b.Opens.size,
    counters: { ...b.Counters },
  }));
}

function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "raw";
}

function DriverUnload(DriverObject: DRIVER_OBJECT): void {
  const globals = globalsByDriver.get(DriverObject);
  if (globals?.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
  globalsByDriver.delete(DriverObject);
}

/** DriverEntry: registers the protocol edge as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const version = targetVersion();
  const globals: RawGlobals = { ProtocolHandle: undefined, Bindings: [] };
  const chars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
    Header: protocolCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Name: serviceName(RegistryPath),
    BindAdapterHandlerEx: PtBindAdapter,
    UnbindAdapterHandlerEx: PtUnbindAdapter,
    OpenAdapterCompleteHandlerEx: PtOpenAdapterComplete,
    CloseAdapterCompleteHandlerEx: PtCloseAdapterComplete,
    NetPnPEventHandler: PtNetPnPEvent,
    OidRequestCompleteHandler: PtOidRequestComplete,
    StatusHandlerEx: PtStatus,
    ReceiveNetBufferListsHandler: PtReceiveNetBufferLists,
    SendNetBufferListsCompleteHandler: PtSendNetBufferListsComplete,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisRegisterProtocolDriver(globals, chars, handle);
  if (status !== NDIS_STATUS_SUCCESS || handle.value === undefined) return status;
  globals.ProtocolHandle = handle.value;
  globalsByDriver.set(DriverObject, globals);
  DriverObject.DriverUnload = DriverUnload;
  return NDIS_STATUS_SUCCESS;
}
