/**
 * The parts of an Ethernet miniport that do not depend on its wire, shared by the miniports whose
 * wire is real (vxlan: a UDP socket; tap: a macvtap device): frame kinds and the counters
 * NDIS_STATISTICS_INFO reports, the packet filter, the link-state indication, the receive path
 * from a checked frame to an indicated NBL with interrupt moderation, pause and return handling,
 * and the OID requests such a NIC answers.
 *
 * Interrupt moderation: a NIC raises one interrupt for many frames and its DPC indicates them as
 * one chain. A wire here calls `indicateFrame` for each frame of one wakeup of its I/O (the
 * interrupt), and a `setImmediate` after that wakeup is the DPC: the frames go up in one
 * NdisMIndicateReceiveNetBufferLists (at most MAX_RECEIVE_BATCH), in the order they came, so that
 * NDIS, the drivers above and their sends back down pay their per-call costs once per batch. With
 * moderation off, each frame is indicated as it arrives.
 */
import {
  type DRIVER_OBJECT,
  type MDL,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type NBL_COUNTED_QUEUE,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_LINK_STATE_REVISION_1,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAdvanceNetBufferDataStart,
  NdisAllocateNetBufferList,
  NdisAppendSingleNblToNblCountedQueue,
  NdisFreeNetBufferList,
  NdisInterruptModerationDisabled,
  NdisInterruptModerationEnabled,
  NdisMDeregisterMiniportDriver,
  NdisMediaStateConnected,
  NdisMediaStateDisconnected,
  NdisMIndicateReceiveNetBufferLists,
  NdisMIndicateStatusEx,
  NdisMPauseComplete,
  NdisMRegisterMiniportDriver,
  NdisPopAllFromNblCountedQueue,
  NdisPopFirstNblFromNblCountedQueue,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  ndisInterruptModerationParametersBytes,
  ndisInterruptModerationParametersFromBytes,
  ndisStatisticsInfoBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAC_ADDRESS,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_RCV_OK,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_STATISTICS,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_OK,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
  type Out,
} from "../../ddi.js";
import { macEqualsAt } from "../../net/ethernet.js";
import {
  ALL_ETHERNET_STATISTICS,
  answerBytes,
  answerCounter,
  ETHERNET_PACKET_FILTERS,
  MAX_MULTICAST_LIST,
  queryReceiveFilter,
  setReceiveFilter,
  ulong,
} from "./oid.js";
import { miniportCharacteristicsHeader, targetVersion } from "./revisions.js";

// ---------------------------------------------------------------------------- counters, kinds

/** The traffic counters every Ethernet miniport here keeps (frames and bytes are whole frames). */
export interface EthernetCounters {
  /**
   * Frames accepted for indication up (NdisMIndicateReceiveNetBufferLists), counted when they
   * pass the checks; one dropped from the receive batch by a pause is taken back out.
   */
  framesReceived: number;
  bytesReceived: number;
  rxUnicast: number;
  rxMulticast: number;
  rxBroadcast: number;
  rxUnicastBytes: number;
  rxMulticastBytes: number;
  rxBroadcastBytes: number;
  /** Frames handed to the wire and reported sent. */
  framesSent: number;
  bytesSent: number;
  txUnicast: number;
  txMulticast: number;
  txBroadcast: number;
  txUnicastBytes: number;
  txMulticastBytes: number;
  txBroadcastBytes: number;
  /** Frames the wire failed to send. */
  sendErrors: number;
  /** Frames not sent: link down, too long, adapter paused. */
  sendDiscards: number;
}

export function newEthernetCounters(): EthernetCounters {
  return {
    framesReceived: 0,
    bytesReceived: 0,
    rxUnicast: 0,
    rxMulticast: 0,
    rxBroadcast: 0,
    rxUnicastBytes: 0,
    rxMulticastBytes: 0,
    rxBroadcastBytes: 0,
    framesSent: 0,
    bytesSent: 0,
    txUnicast: 0,
    txMulticast: 0,
    txBroadcast: 0,
    txUnicastBytes: 0,
    txMulticastBytes: 0,
    txBroadcastBytes: 0,
    sendErrors: 0,
    sendDiscards: 0,
  };
}

export type FrameKind = 0 | 1 | 2;
export const UNICAST: FrameKind = 0;
export const MULTICAST: FrameKind = 1;
export const BROADCAST: FrameKind = 2;

/** Unicast, multicast or broadcast, by the destination MAC at `offset` (`first` its first byte). */
export function kindOf(first: number, frame: Uint8Array, offset: number): FrameKind {
  if ((first & 1) === 0) return UNICAST;
  for (let i = 0; i < 6; i++) if (frame[offset + i] !== 0xff) return MULTICAST;
  return BROADCAST;
}

export function countSent(c: EthernetCounters, kind: FrameKind, bytes: number): void {
  c.framesSent++;
  c.bytesSent += bytes;
  if (kind === UNICAST) {
    c.txUnicast++;
    c.txUnicastBytes += bytes;
  } else if (kind === MULTICAST) {
    c.txMulticast++;
    c.txMulticastBytes += bytes;
  } else {
    c.txBroadcast++;
    c.txBroadcastBytes += bytes;
  }
}

/** Adds (`sign` 1) or takes back (-1) one received frame in the receive counters. */
export function countReceived(
  c: EthernetCounters,
  kind: FrameKind,
  frameLength: number,
  sign: 1 | -1,
): void {
  const bytes = sign * frameLength;
  c.framesReceived += sign;
  c.bytesReceived += bytes;
  if (kind === UNICAST) {
    c.rxUnicast += sign;
    c.rxUnicastBytes += bytes;
  } else if (kind === MULTICAST) {
    c.rxMulticast += sign;
    c.rxMulticastBytes += bytes;
  } else {
    c.rxBroadcast += sign;
    c.rxBroadcastBytes += bytes;
  }
}

// ------------------------------------------------------------------------------------ globals

/** A miniport driver's globals, one per DRIVER_OBJECT (its MiniportDriverContext). */
export interface MiniportGlobals<A> {
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  readonly Adapters: Set<A>;
  /** Why MiniportInitializeEx failed, most recent last. */
  readonly InitErrors: string[];
}

/** Where a driver keeps its globals by DRIVER_OBJECT: made at DriverEntry, dropped at unload. */
export function globalsTable<A>(): {
  create(DriverObject: DRIVER_OBJECT): MiniportGlobals<A>;
  of(DriverObject: DRIVER_OBJECT): MiniportGlobals<A> | undefined;
  forget(DriverObject: DRIVER_OBJECT): void;
} {
  const byDriver = new WeakMap<DRIVER_OBJECT, MiniportGlobals<A>>();
  return {
    create(DriverObject) {
      const globals: MiniportGlobals<A> = {
        MiniportDriverHandle: undefined,
        Adapters: new Set(),
        InitErrors: [],
      };
      byDriver.set(DriverObject, globals);
      return globals;
    },
    of: (DriverObject) => byDriver.get(DriverObject),
    forget: (DriverObject) => {
      byDriver.delete(DriverObject);
    },
  };
}

/** One zero counter per drop reason. */
export function newDropCounts<R extends string>(reasons: readonly R[]): Record<R, number> {
  const drops = {} as Record<R, number>;
  for (const reason of reasons) drops[reason] = 0;
  return drops;
}

/** A copy of the drop counters and their sum, for an adapter's snapshot. */
export function dropsSnapshot<R extends string>(
  reasons: readonly R[],
  counts: Readonly<Record<R, number>>,
): { drops: Record<R, number>; dropped: number } {
  const drops = { ...counts };
  let dropped = 0;
  for (const reason of reasons) dropped += drops[reason];
  return { drops, dropped };
}

/** A MAC address as the snapshots show it: 02-56-58-00-00-01. */
export function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("-");
}

/** The handlers in which the miniports differ; DriverEntry adds the shared ones. */
export type EthernetMiniportHandlers = Pick<
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  | "InitializeHandlerEx"
  | "HaltHandlerEx"
  | "OidRequestHandler"
  | "SendNetBufferListsHandler"
  | "CancelSendHandler"
  | "ShutdownHandlerEx"
>;

/**
 * DriverEntry of such a miniport: registers the miniport edge as the running NDIS version (at
 * most 6.89) with `handlers` and the shared pause, restart, return and cancel-OID handlers, and an
 * unload that deregisters it and forgets the globals.
 */
export function registerEthernetMiniport<A>(
  table: ReturnType<typeof globalsTable<A>>,
  DriverObject: DRIVER_OBJECT,
  RegistryPath: string,
  handlers: EthernetMiniportHandlers,
): NDIS_STATUS {
  const version = targetVersion();
  const globals = table.create(DriverObject);
  const chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    ...handlers,
    UnloadHandler: (Driver: DRIVER_OBJECT) => {
      const handle = table.of(Driver)?.MiniportDriverHandle;
      if (handle !== undefined) NdisMDeregisterMiniportDriver(handle);
      table.forget(Driver);
    },
    PauseHandler: pauseAdapter,
    RestartHandler: restartAdapter,
    ReturnNetBufferListsHandler: returnNetBufferLists,
    DevicePnPEventNotifyHandler: () => {},
    CancelOidRequestHandler: cancelOidRequest,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, globals, chars, handle);
  if (status === NDIS_STATUS_SUCCESS) globals.MiniportDriverHandle = handle.value;
  else table.forget(DriverObject);
  return status;
}

// ------------------------------------------------------------------------------------ adapter

/** The drop reasons every such miniport has, after its wire's own. */
export type CommonDropReason = "notRunning" | "filtered" | "noBuffer";

/** What the shared code needs of a miniport's adapter context (MP_ADAPTER). */
export interface EthernetAdapter {
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  readonly CurrentAddress: Uint8Array;
  /** MTU + 18: the longest frame sent or accepted (an Ethernet header and one 802.1Q tag). */
  readonly MaxFrameSize: number;
  readonly Config: { readonly MTU: number; readonly ReceiveBuffers: number };
  /**
   * The receive NBL pool: one NET_BUFFER per NBL, and data for ReceiveDataOffset bytes and a
   * frame of MaxFrameSize.
   */
  ReceivePool: NDIS_HANDLE | null;
  /** Where a frame starts in a receive NBL's buffer: room the wire keeps in front (tap: its header). */
  readonly ReceiveDataOffset: number;
  /**
   * Receive NBLs the stack returned, kept for the next frames (a NIC's receive ring) rather than
   * freed and allocated again per frame; the miniport's, not counted in ReceivesOutstanding.
   * freeReceiveNbls gives them back to the pool (halt).
   */
  readonly ReceiveFree: NET_BUFFER_LIST[];
  LinkUp: boolean;
  /** MiniportRestart done, MiniportPause not yet called. */
  Running: boolean;
  /** MiniportPause returned PENDING: NdisMPauseComplete once nothing is outstanding. */
  PausePending: boolean;
  /** Cleared by MiniportHaltEx. */
  Live: boolean;
  /** NBLs sent down to us and not yet completed. */
  SendsOutstanding: number;
  /** NBLs indicated up, or waiting in the receive batch, and not yet returned. */
  ReceivesOutstanding: number;
  /** Interrupt moderation (OID_GEN_INTERRUPT_MODERATION): receives go up in batches. */
  Moderation: boolean;
  /** The receive batch: checked frames in receive NBLs, not yet indicated (oldest first). */
  readonly ReceiveBatch: NBL_COUNTED_QUEUE;
  /** The batch's indication is scheduled (setImmediate: after the wire's wakeup). */
  BatchScheduled: boolean;
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  readonly Counters: EthernetCounters;
  /** One count per drop reason: the wire's own and the common ones. */
  readonly Drops: Record<CommonDropReason, number>;
}

/** NdisMPauseComplete once a pended pause has nothing left outstanding. */
export function maybeCompletePause(a: EthernetAdapter): void {
  if (a.PausePending && a.SendsOutstanding === 0 && a.ReceivesOutstanding === 0) {
    a.PausePending = false;
    NdisMPauseComplete(a.MiniportAdapterHandle);
  }
}

/** The NDIS_STATUS_LINK_STATE indication for `connected` at `speed` bit/s. */
function linkStateIndication(a: EthernetAdapter, connected: boolean, speed: bigint) {
  const state: NDIS_LINK_STATE = {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NDIS_LINK_STATE_REVISION_1,
      Size: NDIS_SIZEOF_LINK_STATE_REVISION_1,
    },
    MediaConnectState: connected ? MediaConnectStateConnected : MediaConnectStateDisconnected,
    MediaDuplexState: MediaDuplexStateFull,
    XmitLinkSpeed: speed,
    RcvLinkSpeed: speed,
    PauseFunctions: 0,
    AutoNegotiationFlags: 0,
  };
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
      Revision: 1,
      Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
    },
    SourceHandle: a.MiniportAdapterHandle,
    PortNumber: 0,
    StatusCode: NDIS_STATUS_LINK_STATE,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: state,
    StatusBufferSize: NDIS_SIZEOF_LINK_STATE_REVISION_1,
  };
}

/** The link changed: tell NDIS (NDIS_STATUS_LINK_STATE), unless the adapter is halted. */
export function setLink(a: EthernetAdapter, up: boolean, speed: bigint): void {
  if (a.LinkUp === up) return;
  a.LinkUp = up;
  if (a.Live) NdisMIndicateStatusEx(a.MiniportAdapterHandle, linkStateIndication(a, up, speed));
}

/** MiniportPause: no new sends or receive indications; PENDING until all is back. */
export const pauseAdapter: MINIPORT_PAUSE = (MiniportAdapterContext) => {
  const a = MiniportAdapterContext as EthernetAdapter;
  a.Running = false;
  discardBatch(a);
  if (a.SendsOutstanding === 0 && a.ReceivesOutstanding === 0) return NDIS_STATUS_SUCCESS;
  a.PausePending = true;
  return NDIS_STATUS_PENDING;
};

/** MiniportRestart: sends and receives flow again. */
export const restartAdapter: MINIPORT_RESTART = (MiniportAdapterContext) => {
  const a = MiniportAdapterContext as EthernetAdapter;
  a.Running = true;
  maybeCompletePause(a);
  return NDIS_STATUS_SUCCESS;
};

// ------------------------------------------------------------------------------------ receive

/** Whether the packet filter and multicast list pass a frame whose destination is at `offset`. */
function passes(a: EthernetAdapter, frame: Uint8Array, offset: number, kind: FrameKind): boolean {
  const filter = a.PacketFilter;
  if ((filter & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0) return true;
  if (kind === UNICAST)
    return (
      (filter & NDIS_PACKET_TYPE_DIRECTED) !== 0 && macEqualsAt(frame, offset, a.CurrentAddress)
    );
  if (kind === BROADCAST) return (filter & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if ((filter & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
  if ((filter & NDIS_PACKET_TYPE_MULTICAST) === 0) return false;
  for (const group of a.MulticastList) if (macEqualsAt(frame, offset, group)) return true;
  return false;
}

/** The most receive NBLs indicated in one call; a fuller batch goes up at once. */
export const MAX_RECEIVE_BATCH = 64;

/** Indicates the receive batch up as one chain (nothing when it is empty). */
function indicateBatch(a: EthernetAdapter): void {
  const count = a.ReceiveBatch.NblCount;
  const head = NdisPopAllFromNblCountedQueue(a.ReceiveBatch);
  if (head === null) return;
  NdisMIndicateReceiveNetBufferLists(a.MiniportAdapterHandle, head, 0, count, 0);
}

/**
 * The "DPC": the wire's wakeup is over; what it delivered goes up (a wire that calls
 * `indicateFrame` with `dpcLater` false calls this itself at the end of its wakeup).
 */
export function batchDue(a: EthernetAdapter): void {
  a.BatchScheduled = false;
  if (a.Running) indicateBatch(a);
  else {
    // Not reached while MiniportPause drops the batch itself; kept so that no path strands it.
    discardBatch(a);
    maybeCompletePause(a);
  }
}

/**
 * Frees the frames waiting in the receive batch, each counted as a notRunning drop instead of a
 * received frame (MiniportPause, MiniportShutdownEx, MiniportHaltEx: nothing more goes up).
 */
export function discardBatch(a: EthernetAdapter): void {
  for (
    let nbl = NdisPopFirstNblFromNblCountedQueue(a.ReceiveBatch);
    nbl !== null;
    nbl = NdisPopFirstNblFromNblCountedQueue(a.ReceiveBatch)
  ) {
    const nb = nbl.FirstNetBuffer;
    const data = nb?.MdlChain?.MappedSystemVa;
    if (nb !== null && data !== undefined)
      countReceived(a.Counters, kindOf(data[0] as number, data, 0), nb.DataLength, -1);
    a.Drops.notRunning++;
    NdisFreeNetBufferList(nbl);
    a.ReceivesOutstanding--;
  }
}

/**
 * A free receive NBL for the wire to put a frame in — one the stack returned, else a new one from
 * the pool — its NET_BUFFER's data at ReceiveDataOffset; null when every one is taken (those
 * waiting in the receive batch go up first, as a NIC whose ring fills runs its DPC, and the stack
 * may return them at once) or NDIS has none. The NBL is the miniport's until it goes up through
 * `indicateReceiveNbl` or back to ReceiveFree; it is not counted in ReceivesOutstanding meanwhile.
 */
export function takeReceiveNbl(a: EthernetAdapter): NET_BUFFER_LIST | null {
  if (a.ReceivesOutstanding >= a.Config.ReceiveBuffers && a.ReceiveBatch.NblCount > 0)
    indicateBatch(a);
  if (a.ReceivesOutstanding >= a.Config.ReceiveBuffers) return null;
  const kept = a.ReceiveFree.pop();
  // Whoever held it put its data start back (NDIS requires it); one that did not is not reused.
  if (kept !== undefined && kept.FirstNetBuffer?.DataOffset === a.ReceiveDataOffset) return kept;
  if (kept !== undefined) NdisFreeNetBufferList(kept);
  const pool = a.ReceivePool;
  if (pool === null) return null;
  const nbl = NdisAllocateNetBufferList(pool, 0, 0);
  if (nbl === null) return null;
  const nb = nbl.FirstNetBuffer;
  if (nb === null || nb.MdlChain === null) {
    NdisFreeNetBufferList(nbl);
    return null;
  }
  if (a.ReceiveDataOffset > 0) NdisAdvanceNetBufferDataStart(nb, a.ReceiveDataOffset, false, null);
  return nbl;
}

/** Gives the kept receive NBLs back to the pool (before NdisFreeNetBufferListPool). */
export function freeReceiveNbls(a: EthernetAdapter): void {
  for (let nbl = a.ReceiveFree.pop(); nbl !== undefined; nbl = a.ReceiveFree.pop())
    NdisFreeNetBufferList(nbl);
}

/** Which checks a frame in `data` at `offset` fails before it may go up, or null. */
function refusal(
  a: EthernetAdapter,
  data: Uint8Array,
  offset: number,
  kind: FrameKind,
): CommonDropReason | null {
  if (!a.Running) return "notRunning";
  if (!passes(a, data, offset, kind)) return "filtered";
  return null;
}

/** Counts a checked frame in its receive NBL and puts it in the batch (or up, see indicateFrame). */
function enqueue(
  a: EthernetAdapter,
  nbl: NET_BUFFER_LIST,
  kind: FrameKind,
  length: number,
  dpcLater: boolean,
): void {
  nbl.SourceHandle = a.MiniportAdapterHandle;
  countReceived(a.Counters, kind, length, 1);
  a.ReceivesOutstanding++;
  // Into the batch (behind any frame still waiting there, so that order is kept).
  NdisAppendSingleNblToNblCountedQueue(a.ReceiveBatch, nbl);
  if (!a.Moderation || a.ReceiveBatch.NblCount >= MAX_RECEIVE_BATCH) indicateBatch(a);
  else if (dpcLater && !a.BatchScheduled) {
    a.BatchScheduled = true;
    setImmediate(batchDue, a);
  }
}

/**
 * A frame the wire checked (`length` bytes of `data` from `offset`, at most MaxFrameSize): unless
 * the adapter is not running, the packet filter refuses it or no receive NBL is free, it is
 * copied into a receive NBL and indicated — into the receive batch under moderation, else at
 * once. The batch goes up from a `setImmediate` after the wire's wakeup, or, with `dpcLater`
 * false, when the wire calls `batchDue` at the end of its wakeup. Returns the reason it was
 * dropped, or null.
 */
export function indicateFrame(
  a: EthernetAdapter,
  data: Uint8Array,
  offset: number,
  length: number,
  dpcLater = true,
): CommonDropReason | null {
  const kind = kindOf(data[offset] as number, data, offset);
  const refused = refusal(a, data, offset, kind);
  if (refused !== null) return refused;
  const nbl = takeReceiveNbl(a);
  if (nbl === null) return "noBuffer";
  const nb = nbl.FirstNetBuffer as NET_BUFFER;
  (nb.MdlChain as MDL).MappedSystemVa.set(data.subarray(offset, offset + length), nb.DataOffset);
  nb.DataLength = length;
  enqueue(a, nbl, kind, length, dpcLater);
  return null;
}

/**
 * A frame the wire put straight into a receive NBL from `takeReceiveNbl`: its NET_BUFFER's used
 * data already is the frame (DataOffset and DataLength set, at most MaxFrameSize). Unless the
 * adapter is not running or the packet filter refuses it, it goes up as `indicateFrame`'s do and
 * null is returned; else the reason, and the NBL stays the caller's (to fill again or free).
 */
export function indicateReceiveNbl(
  a: EthernetAdapter,
  nbl: NET_BUFFER_LIST,
  dpcLater = true,
): CommonDropReason | null {
  const nb = nbl.FirstNetBuffer as NET_BUFFER;
  const data = (nb.MdlChain as MDL).MappedSystemVa;
  const offset = nb.DataOffset;
  const kind = kindOf(data[offset] as number, data, offset);
  const refused = refusal(a, data, offset, kind);
  if (refused !== null) return refused;
  enqueue(a, nbl, kind, nb.DataLength, dpcLater);
  return null;
}

/** MiniportReturnNetBufferLists: the receive NBLs are kept for the next frames (ReceiveFree). */
export const returnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
) => {
  const a = MiniportAdapterContext as EthernetAdapter;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    a.ReceiveFree.push(nbl);
    a.ReceivesOutstanding--;
    nbl = next;
  }
  maybeCompletePause(a);
};

// ---------------------------------------------------------------------------------------- OIDs

export { MAX_MULTICAST_LIST };
export const SUPPORTED_FILTERS = ETHERNET_PACKET_FILTERS;
export const SUPPORTED_STATISTICS = ALL_ETHERNET_STATISTICS;

/** The OIDs these miniports answer (their general attributes' SupportedOidList). */
export const SUPPORTED_OIDS: readonly number[] = [
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_LINK_SPEED,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_VENDOR_ID,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_MAC_ADDRESS,
  OID_GEN_XMIT_OK,
  OID_GEN_RCV_OK,
  OID_GEN_STATISTICS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_802_3_PERMANENT_ADDRESS,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
];

type Data = NDIS_OID_REQUEST["DATA"]["QUERY_INFORMATION"];

/**
 * NDIS_STATISTICS_INFO from the adapter's counters, in its 152-byte layout: ifInDiscards is every
 * drop, ifInErrors those for what the frame holds (all but notRunning, filtered and noBuffer).
 */
function statistics(a: EthernetAdapter): Uint8Array {
  let drops = 0;
  for (const n of Object.values(a.Drops) as number[]) drops += n;
  return statisticsInfoBytes(
    a.Counters,
    drops,
    drops - a.Drops.notRunning - a.Drops.filtered - a.Drops.noBuffer,
  );
}

/**
 * NDIS_STATISTICS_INFO (152 bytes) of an Ethernet miniport's counters, with `inDiscards` and
 * `inErrors` as the miniport counts them.
 */
export function statisticsInfoBytes(
  c: EthernetCounters,
  inDiscards: number,
  inErrors: number,
): Uint8Array {
  const n = (v: number) => BigInt(v);
  return ndisStatisticsInfoBytes({
    SupportedStatistics: SUPPORTED_STATISTICS,
    ifInDiscards: n(inDiscards),
    ifInErrors: n(inErrors),
    ifHCInOctets: n(c.bytesReceived),
    ifHCInUcastPkts: n(c.rxUnicast),
    ifHCInMulticastPkts: n(c.rxMulticast),
    ifHCInBroadcastPkts: n(c.rxBroadcast),
    ifHCOutOctets: n(c.bytesSent),
    ifHCOutUcastPkts: n(c.txUnicast),
    ifHCOutMulticastPkts: n(c.txMulticast),
    ifHCOutBroadcastPkts: n(c.txBroadcast),
    ifOutErrors: n(c.sendErrors),
    ifOutDiscards: n(c.sendDiscards),
    ifHCInUcastOctets: n(c.rxUnicastBytes),
    ifHCInMulticastOctets: n(c.rxMulticastBytes),
    ifHCInBroadcastOctets: n(c.rxBroadcastBytes),
    ifHCOutUcastOctets: n(c.txUnicastBytes),
    ifHCOutMulticastOctets: n(c.txMulticastBytes),
    ifHCOutBroadcastOctets: n(c.txBroadcastBytes),
  });
}

/** What differs between the miniports in their OID answers. */
export interface EthernetOidAnswers<A extends EthernetAdapter> {
  /** OID_GEN_VENDOR_DESCRIPTION (without the terminating NUL). */
  readonly description: string;
  /** The link speed, in bit/s. */
  linkSpeed(a: A): bigint;
}

function query<A extends EthernetAdapter>(
  a: A,
  q: Data,
  answers: EthernetOidAnswers<A>,
): NDIS_STATUS {
  const mtu = a.Config.MTU;
  switch (q.Oid) {
    case OID_GEN_HARDWARE_STATUS:
      return answerBytes(q, ulong(0)); // NdisHardwareStatusReady
    case OID_GEN_MAXIMUM_FRAME_SIZE:
      return answerBytes(q, ulong(mtu));
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
      return answerBytes(q, ulong(mtu + 14));
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
      return answerBytes(q, ulong(a.MaxFrameSize));
    case OID_GEN_TRANSMIT_BUFFER_SPACE:
    case OID_GEN_RECEIVE_BUFFER_SPACE:
      return answerBytes(q, ulong(a.MaxFrameSize * a.Config.ReceiveBuffers));
    case OID_GEN_LINK_SPEED:
      // Units of 100 bit/s.
      return answerBytes(q, ulong(Number(answers.linkSpeed(a) / 100n)));
    case OID_GEN_MEDIA_CONNECT_STATUS:
      return answerBytes(q, ulong(a.LinkUp ? NdisMediaStateConnected : NdisMediaStateDisconnected));
    case OID_GEN_VENDOR_ID:
      // The first three bytes are an IEEE OUI; 0xFFFFFF is "none". The low byte: this NIC's id.
      return answerBytes(q, ulong(0x00ffffff));
    case OID_GEN_VENDOR_DESCRIPTION:
      return answerBytes(q, new TextEncoder().encode(`${answers.description}\0`));
    case OID_GEN_VENDOR_DRIVER_VERSION:
      return answerBytes(q, ulong(0x00010000));
    case OID_GEN_MAC_ADDRESS:
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(q, a.CurrentAddress);
    case OID_GEN_XMIT_OK:
      return answerCounter(q, a.Counters.framesSent);
    case OID_GEN_RCV_OK:
      return answerCounter(q, a.Counters.framesReceived);
    case OID_GEN_STATISTICS:
      return answerBytes(q, statistics(a));
    case OID_GEN_INTERRUPT_MODERATION:
      // Flags 0: a change takes effect at once, no reset or reinitialize.
      return answerBytes(
        q,
        ndisInterruptModerationParametersBytes({
          Flags: 0,
          InterruptModeration: a.Moderation
            ? NdisInterruptModerationEnabled
            : NdisInterruptModerationDisabled,
        }),
      );
    case OID_PNP_QUERY_POWER:
      return NDIS_STATUS_SUCCESS;
    default:
      return queryReceiveFilter(a, q) ?? NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(a: EthernetAdapter, s: Data): NDIS_STATUS {
  switch (s.Oid) {
    case OID_GEN_INTERRUPT_MODERATION: {
      const size = NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
      if (s.InformationBuffer === null || s.InformationBufferLength < size) {
        s.BytesRead = 0;
        s.BytesNeeded = size;
        return NDIS_STATUS_INVALID_LENGTH;
      }
      const p = ndisInterruptModerationParametersFromBytes(
        s.InformationBuffer.subarray(0, s.InformationBufferLength),
      );
      // Enabled or Disabled; Unknown and NotSupported are answers, never requests.
      if (
        p === null ||
        (p.InterruptModeration !== NdisInterruptModerationEnabled &&
          p.InterruptModeration !== NdisInterruptModerationDisabled)
      ) {
        s.BytesRead = 0;
        return NDIS_STATUS_INVALID_DATA;
      }
      a.Moderation = p.InterruptModeration === NdisInterruptModerationEnabled;
      s.BytesRead = size;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_PNP_SET_POWER:
      // Must not fail. The wire stays open across low power: nothing to do.
      s.BytesRead = s.InformationBufferLength;
      return NDIS_STATUS_SUCCESS;
    default:
      return setReceiveFilter(a, s, a.MaxFrameSize) ?? NDIS_STATUS_NOT_SUPPORTED;
  }
}

/**
 * A MiniportOidRequest (≤ DISPATCH_LEVEL) answering at once, never PENDING, from the adapter's
 * state: sets of the packet filter, multicast list (≤ 32), lookahead, interrupt moderation and
 * power; queries of those, the statistics, MAC address, sizes, speed, media state, vendor and
 * buffer answers. Anything else is NDIS_STATUS_NOT_SUPPORTED.
 */
export function ethernetOidRequest<A extends EthernetAdapter>(
  answers: EthernetOidAnswers<A>,
): MINIPORT_OID_REQUEST {
  return (MiniportAdapterContext, OidRequest) => {
    const a = MiniportAdapterContext as A;
    const data = OidRequest.DATA.QUERY_INFORMATION;
    switch (OidRequest.RequestType) {
      case NdisRequestQueryInformation:
      case NdisRequestQueryStatistics:
        return query(a, data, answers);
      case NdisRequestSetInformation:
        return set(a, data);
      default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
  };
}

/** MiniportCancelOidRequest: every request is answered at once, none is ever pending. */
export const cancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = () => {};
