/**
 * The hub's data path. A send is copied onto the hub at once and completed with SUCCESS (or
 * NDIS_STATUS_MEDIA_DISCONNECTED while the sender's link is down, NDIS_STATUS_PAUSED while it is
 * paused — the statuses the contract lists for those cases). Each other adapter whose link is up
 * and whose packet filter accepts the frame queues a copy and sets its DPC (an NDIS timer with
 * DueTime 0): the DPC indicates the queue in order, so a send never recurses into a receive and a
 * long exchange never grows the stack.
 */
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  NDIS_LINK_STATE_REVISION_1,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisMIndicateReceiveNetBufferLists,
  NdisMIndicateStatusEx,
  NdisMPauseComplete,
  NdisMSendNetBufferListsComplete,
  type NET_BUFFER_LIST,
} from "../../ddi.js";
import { isBroadcastMac, isMulticastMac, macEquals } from "../../net/ethernet.js";
import { copyFrame, frameNbl } from "../shared/frames.js";
import { type CastCounters, type HubAdapter, QUEUE_LIMIT, queueDpc } from "./globals.js";

export const LINK_SPEED = 1_000_000_000n;

/** Would `adapter`'s packet filter pass a frame sent to `dst`? */
export function accepts(adapter: HubAdapter, dst: Uint8Array): boolean {
  const filter = adapter.PacketFilter;
  if ((filter & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0) return true;
  if (isBroadcastMac(dst)) return (filter & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if (isMulticastMac(dst)) {
    if ((filter & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
    return (
      (filter & NDIS_PACKET_TYPE_MULTICAST) !== 0 &&
      adapter.MulticastList.some((m) => macEquals(m, dst))
    );
  }
  return (filter & NDIS_PACKET_TYPE_DIRECTED) !== 0 && macEquals(dst, adapter.CurrentAddress);
}

/** Counts a frame by its destination: broadcast, multicast or directed. */
function countCast(c: CastCounters, frame: Uint8Array): void {
  const dst = frame.subarray(0, 6);
  if (isBroadcastMac(dst)) {
    c.bcastPkts++;
    c.bcastOctets += frame.length;
  } else if (isMulticastMac(dst)) {
    c.mcastPkts++;
    c.mcastOctets += frame.length;
  } else {
    c.ucastPkts++;
    c.ucastOctets += frame.length;
  }
}

/** What became of a frame that reached an adapter from the wire. */
export type Arrival =
  | "queued"
  | "discarded: not running or link down"
  | "filtered"
  | "discarded: queue full";

/**
 * A frame (at least an Ethernet header) reaches `to` from the wire: queued for its DPC, or
 * counted as filtered or discarded.
 */
export function arrive(to: HubAdapter, frame: Uint8Array): Arrival {
  if (to.State !== "running" || !to.LinkUp) {
    to.Counters.receiveDiscards++;
    return "discarded: not running or link down";
  }
  if (!accepts(to, frame.subarray(0, 6))) {
    to.Counters.framesFiltered++;
    return "filtered";
  }
  if (to.Queue.length >= QUEUE_LIMIT) {
    to.Counters.receiveDiscards++;
    return "discarded: queue full";
  }
  to.Queue.push(frame);
  queueDpc(to);
  return "queued";
}

/** Puts a copy of `frame` on the hub for every other adapter that takes it. */
function broadcastOnHub(from: HubAdapter, frame: Uint8Array): void {
  for (const to of from.Hub.Adapters) if (to !== from) arrive(to, frame);
}

/** MiniportSendNetBufferLists (≤ DISPATCH_LEVEL). */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  _PortNumber,
  SendFlags,
) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  const c = adapter.Counters;
  for (let nbl: NET_BUFFER_LIST | null = NetBufferList; nbl !== null; nbl = nbl.Next) {
    if (adapter.State !== "running" || !adapter.LinkUp) {
      nbl.Status =
        adapter.State !== "running" ? NDIS_STATUS_PAUSED : NDIS_STATUS_MEDIA_DISCONNECTED;
      for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) c.sendsFailed++;
      continue;
    }
    nbl.Status = NDIS_STATUS_SUCCESS;
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      const frame = copyFrame(nb);
      if (frame === null) continue;
      if (frame.length < 14) {
        c.runtsDropped++; // not even an Ethernet header: nobody's filter can say yes
        continue;
      }
      c.framesSent++;
      c.bytesSent += frame.length;
      countCast(adapter.Out, frame);
      broadcastOnHub(adapter, frame);
    }
  }
  NdisMSendNetBufferListsComplete(
    adapter.MiniportAdapterHandle,
    NetBufferList,
    (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
      : 0,
  );
};

/** Indicates NDIS_STATUS_LINK_STATE for the adapter's current link. */
function indicateLink(adapter: HubAdapter): void {
  adapter.LinkReported = adapter.LinkUp;
  NdisMIndicateStatusEx(adapter.MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
      Revision: NDIS_STATUS_INDICATION_REVISION_1,
      Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
    },
    SourceHandle: adapter.MiniportAdapterHandle,
    PortNumber: 0,
    StatusCode: NDIS_STATUS_LINK_STATE,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: {
      Header: {
        Type: NDIS_OBJECT_TYPE_DEFAULT,
        Revision: NDIS_LINK_STATE_REVISION_1,
        Size: NDIS_SIZEOF_LINK_STATE_REVISION_1,
      },
      MediaConnectState: adapter.LinkUp
        ? MediaConnectStateConnected
        : MediaConnectStateDisconnected,
      MediaDuplexState: MediaDuplexStateFull,
      XmitLinkSpeed: LINK_SPEED,
      RcvLinkSpeed: LINK_SPEED,
      PauseFunctions: 0,
      AutoNegotiationFlags: 0,
    },
    StatusBufferSize: NDIS_SIZEOF_LINK_STATE_REVISION_1,
  });
}

/**
 * The adapter's DPC (DISPATCH_LEVEL): reports a link change, then indicates every queued frame
 * its filter still accepts, in one chain, in arrival order.
 */
export function HubDpc(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  _SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const adapter = FunctionContext as HubAdapter;
  if (adapter.State === "halted") return;
  if (adapter.LinkReported !== adapter.LinkUp) indicateLink(adapter);
  const frames = adapter.Queue.splice(0, adapter.Queue.length);
  const c = adapter.Counters;
  if (adapter.State !== "running" || !adapter.LinkUp) {
    c.receiveDiscards += frames.length;
    return;
  }
  let first: NET_BUFFER_LIST | null = null;
  let last: NET_BUFFER_LIST | null = null;
  let count = 0;
  for (const frame of frames) {
    if (!accepts(adapter, frame.subarray(0, 6))) {
      c.framesFiltered++;
      continue;
    }
    const nbl = frameNbl(adapter.ReceivePool, frame);
    if (nbl === null) {
      c.receiveDiscards++;
      continue;
    }
    nbl.SourceHandle = adapter.MiniportAdapterHandle;
    if (last === null) first = nbl;
    else last.Next = nbl;
    last = nbl;
    count++;
    c.framesReceived++;
    c.bytesReceived += frame.length;
    countCast(adapter.In, frame);
  }
  if (first === null) return;
  adapter.ReceivesOutstanding += count;
  NdisMIndicateReceiveNetBufferLists(
    adapter.MiniportAdapterHandle,
    first,
    0,
    count,
    NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  );
}

/** MiniportReturnNetBufferLists: the receive NBLs go back to the pool. */
export const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    NdisFreeNetBufferList(nbl);
    adapter.ReceivesOutstanding--;
    nbl = next;
  }
  maybeCompletePause(adapter);
};

export function maybeCompletePause(adapter: HubAdapter): void {
  if (!adapter.PausePending || adapter.ReceivesOutstanding > 0) return;
  adapter.PausePending = false;
  NdisMPauseComplete(adapter.MiniportAdapterHandle);
}

/** MiniportCancelSend: sends complete at once, so there is never anything to cancel. */
export const MPCancelSend: MINIPORT_CANCEL_SEND = () => {};
