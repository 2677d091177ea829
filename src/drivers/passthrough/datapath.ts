/**
 * Passthrough driver, data path. The driver forwards the very NBLs it is given, as an IM may:
 *
 * - Send: MiniportSendNetBufferLists saves each NBL's SourceHandle in a context allocation of its
 *   own (the protocols bound to the VELAN each send with their own handle), sets it to the lower
 *   binding handle and sends the chain down; ProtocolSendNetBufferListsComplete restores
 *   SourceHandle, frees the context and completes the NBLs on the VELAN.
 * - Receive: ProtocolReceiveNetBufferLists saves the lower adapter's handle once per binding
 *   (every NBL indicated on a binding carries it), sets each NBL's SourceHandle to the VELAN's
 *   adapter handle and indicates up; MiniportReturnNetBufferLists (or the indication's return,
 *   under NDIS_RECEIVE_FLAGS_RESOURCES) puts the saved handle back and returns them down.
 * - Cancel: MiniportCancelSend passes NdisCancelSendNetBufferLists down the binding.
 * - Pause: the VELAN's MiniportPause pends until every send it forwarded has completed and every
 *   receive it indicated has come back; the lower binding's NetEventPause pends until its sends
 *   have completed.
 *
 * Nothing here allocates per packet: a chain goes on as it came (relinked only around NBLs that
 * go straight back), a send's saved handle lives in the NBL's context area, a receive's in the
 * ADAPT.
 */
import {
  MEMORY_ALLOCATION_ALIGNMENT,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  type NDIS_HANDLE,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferListContext,
  NdisCancelSendNetBufferLists,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferListContext,
  NdisMIndicateReceiveNetBufferLists,
  NdisMPauseComplete,
  NdisMSendNetBufferListsComplete,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT_DATA_START,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
} from "../../ddi.js";
import type { ADAPT, VELAN } from "./globals.js";

/** One context allocation per NBL: the SourceHandle the driver replaced. */
export const CONTEXT_SIZE = MEMORY_ALLOCATION_ALIGNMENT;
/** 'Ptps' */
const CONTEXT_TAG = 0x73707450;

/** Saves SourceHandle and puts `handle` in its place; false when no context could be had. */
function stamp(nbl: NET_BUFFER_LIST, handle: NDIS_HANDLE): boolean {
  if (NdisAllocateNetBufferListContext(nbl, CONTEXT_SIZE, 0, CONTEXT_TAG) !== NDIS_STATUS_SUCCESS)
    return false;
  (nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>).ContextData[
    NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)
  ] = nbl.SourceHandle;
  nbl.SourceHandle = handle;
  return true;
}

/** Puts the saved SourceHandle back and frees the context. */
function unstamp(nbl: NET_BUFFER_LIST): void {
  const context = nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>;
  const at = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
  nbl.SourceHandle = context.ContextData[at] as NDIS_HANDLE;
  context.ContextData[at] = undefined;
  NdisFreeNetBufferListContext(nbl, CONTEXT_SIZE);
}

/** Completes the VELAN's pending pause once nothing it forwarded is out. */
export function maybeCompletePause(velan: VELAN): void {
  if (!velan.PausePending || velan.SendsOutstanding > 0 || velan.ReceivesOutstanding > 0) return;
  velan.PausePending = false;
  NdisMPauseComplete(velan.MiniportAdapterHandle);
}

/** Completes the lower binding's pending NetEventPause once its sends are back. */
export function maybeCompleteBindingPause(adapt: ADAPT): void {
  const pending = adapt.PendingPause;
  if (pending === null || adapt.SendsOutstanding > 0) return;
  adapt.PendingPause = null;
  NdisCompleteNetPnPEvent(adapt.BindingHandle as NDIS_HANDLE, pending, NDIS_STATUS_SUCCESS);
}

/** MiniportSendNetBufferLists: forward down the lower binding (≤ DISPATCH_LEVEL). */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  PortNumber,
  SendFlags,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const adapt = velan.Adapt;
  const binding = adapt.BindingHandle;
  const completeFlags =
    (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
      : 0;
  if (binding === undefined || velan.Paused || adapt.ResetInProgress) {
    // Paused, unbound, or the lower adapter resetting: the whole chain goes straight back.
    const status =
      binding === undefined || velan.Paused ? NDIS_STATUS_PAUSED : NDIS_STATUS_RESET_IN_PROGRESS;
    for (let nbl: NET_BUFFER_LIST | null = NetBufferList; nbl !== null; nbl = nbl.Next)
      nbl.Status = status;
    NdisMSendNetBufferListsComplete(velan.MiniportAdapterHandle, NetBufferList, completeFlags);
    return;
  }
  // The chain goes down as it came; an NBL that gets no context space is unlinked from it and
  // completed with NDIS_STATUS_RESOURCES.
  let sendFirst: NET_BUFFER_LIST | null = NetBufferList;
  let kept: NET_BUFFER_LIST | null = null;
  let failFirst: NET_BUFFER_LIST | null = null;
  let failLast: NET_BUFFER_LIST | null = null;
  let count = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    if (stamp(nbl, binding)) {
      kept = nbl;
      count++;
    } else {
      if (kept === null) sendFirst = next;
      else kept.Next = next;
      nbl.Next = null;
      nbl.Status = NDIS_STATUS_RESOURCES;
      if (failLast === null) failFirst = nbl;
      else failLast.Next = nbl;
      failLast = nbl;
    }
    nbl = next;
  }
  if (failFirst !== null)
    NdisMSendNetBufferListsComplete(velan.MiniportAdapterHandle, failFirst, completeFlags);
  if (sendFirst !== null) {
    velan.SendsOutstanding += count;
    adapt.SendsOutstanding += count;
    NdisSendNetBufferLists(binding, sendFirst, PortNumber, SendFlags);
  }
};

/** ProtocolSendNetBufferListsComplete: restore and complete on the VELAN. */
export const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext,
  NetBufferList,
  SendCompleteFlags,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const velan = adapt.Velan as VELAN;
  let count = 0;
  for (let nbl: NET_BUFFER_LIST | null = NetBufferList; nbl !== null; nbl = nbl.Next) {
    unstamp(nbl);
    count++;
  }
  NdisMSendNetBufferListsComplete(velan.MiniportAdapterHandle, NetBufferList, SendCompleteFlags);
  velan.SendsOutstanding -= count;
  adapt.SendsOutstanding -= count;
  maybeCompletePause(velan);
  maybeCompleteBindingPause(adapt);
};

/** Sets SourceHandle on every NBL of a received `chain`; how many there are. */
function setReceiveSource(chain: NET_BUFFER_LIST | null, handle: NDIS_HANDLE | null): number {
  let count = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) {
    nbl.SourceHandle = handle;
    count++;
  }
  return count;
}

/** ProtocolReceiveNetBufferLists: indicate up on the VELAN (≤ DISPATCH_LEVEL). */
export const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext,
  NetBufferLists,
  PortNumber,
  _NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const velan = adapt.Velan;
  const resources = (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const returnFlags =
    (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0 ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
  if (velan === null || velan.Paused) {
    // Nobody above to take them: give them straight back (under RESOURCES they already are).
    if (!resources)
      NdisReturnNetBufferLists(adapt.BindingHandle as NDIS_HANDLE, NetBufferLists, returnFlags);
    return;
  }
  adapt.LowerSourceHandle = NetBufferLists.SourceHandle;
  const handle = velan.MiniportAdapterHandle;
  const count = setReceiveSource(NetBufferLists, handle);
  if (!resources) velan.ReceivesOutstanding += count;
  NdisMIndicateReceiveNetBufferLists(handle, NetBufferLists, PortNumber, count, ReceiveFlags);
  // Under RESOURCES they are ours again as soon as the indication returns.
  if (resources) setReceiveSource(NetBufferLists, adapt.LowerSourceHandle);
};

/** MiniportReturnNetBufferLists: restore and return down the lower binding. */
export const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
  ReturnFlags,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const adapt = velan.Adapt;
  const count = setReceiveSource(NetBufferLists, adapt.LowerSourceHandle);
  NdisReturnNetBufferLists(adapt.BindingHandle as NDIS_HANDLE, NetBufferLists, ReturnFlags);
  velan.ReceivesOutstanding -= count;
  maybeCompletePause(velan);
};

/**
 * MiniportCancelSend: the passthrough driver holds no sends itself; it passes the cancel down,
 * and the NBLs the miniport below aborts come back through the usual completion.
 */
export const MPCancelSend: MINIPORT_CANCEL_SEND = (MiniportAdapterContext, CancelId) => {
  const binding = (MiniportAdapterContext as VELAN).Adapt.BindingHandle;
  if (binding !== undefined) NdisCancelSendNetBufferLists(binding, CancelId);
};
