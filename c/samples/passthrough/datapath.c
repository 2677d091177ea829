/*
 * cpassthru, data path. The driver forwards the very NBLs it is given:
 * - Send: MiniportSendNetBufferLists saves each NBL's SourceHandle in a context allocation of its
 *   own, sets it to the lower binding handle and sends the chain down;
 *   ProtocolSendNetBufferListsComplete restores it, frees the context and completes on the VELAN.
 * - Receive: ProtocolReceiveNetBufferLists saves the lower adapter's handle (every NBL indicated
 *   on a binding carries it), sets each NBL's SourceHandle to the VELAN's and indicates up;
 *   MiniportReturnNetBufferLists puts the saved handle back and returns them down.
 * - Pause: the VELAN's pause pends until its sends and receives are back; the binding's
 *   NetEventPause until its sends are back.
 * Nothing here allocates per packet: chains are relinked in place.
 */
#include "passthrough.h"

/* Saves SourceHandle in our context area and puts Handle in its place; FALSE without room. */
static BOOLEAN PtStamp(PNET_BUFFER_LIST Nbl, NDIS_HANDLE Handle) {
  if (NdisAllocateNetBufferListContext(Nbl, PT_CONTEXT_SIZE, 0, PT_TAG_CONTEXT) != NDIS_STATUS_SUCCESS)
    return FALSE;
  *(NDIS_HANDLE *)NET_BUFFER_LIST_CONTEXT_DATA_START(Nbl) = Nbl->SourceHandle;
  Nbl->SourceHandle = Handle;
  return TRUE;
}

/* Puts the saved SourceHandle back and frees the context. */
static void PtUnstamp(PNET_BUFFER_LIST Nbl) {
  Nbl->SourceHandle = *(NDIS_HANDLE *)NET_BUFFER_LIST_CONTEXT_DATA_START(Nbl);
#ifndef PT_BUG_CONTEXT_LEAK /* deliberate bug of a broken copy: the context is never freed */
  NdisFreeNetBufferListContext(Nbl, PT_CONTEXT_SIZE);
#endif
#ifdef PT_BUG_CONTEXT_DOUBLE_FREE /* deliberate bug of a broken copy: freed twice */
  NdisFreeNetBufferListContext(Nbl, PT_CONTEXT_SIZE);
#endif
}

void PtMaybeCompletePause(PVELAN Velan) {
  if (!Velan->PausePending || Velan->SendsOutstanding > 0 || Velan->ReceivesOutstanding > 0) return;
  Velan->PausePending = FALSE;
  NdisMPauseComplete(Velan->MiniportAdapterHandle);
}

void PtMaybeCompleteBindingPause(PADAPT Adapt) {
  PNET_PNP_EVENT_NOTIFICATION pending = Adapt->PendingPause;
  if (pending == NULL || Adapt->SendsOutstanding > 0) return;
  Adapt->PendingPause = NULL;
  NdisCompleteNetPnPEvent(Adapt->BindingHandle, pending, NDIS_STATUS_SUCCESS);
}

/* MiniportSendNetBufferLists: forward down the lower binding (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
void MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
                          NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PVELAN velan = (PVELAN)MiniportAdapterContext;
  PADAPT adapt = velan->Adapt;
  NDIS_HANDLE binding = adapt->BindingHandle;
  PNET_BUFFER_LIST sendFirst = NULL, *sendTail = &sendFirst;
  PNET_BUFFER_LIST failFirst = NULL, *failTail = &failFirst;
  PNET_BUFFER_LIST nbl = NetBufferList, next;
  LONG count = 0;

  while (nbl != NULL) {
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
#ifdef PT_BUG_CONTEXT_FREE_FOREIGN /* deliberate bug of a broken copy: frees what a driver above allocated */
    NdisFreeNetBufferListContext(nbl, PT_CONTEXT_SIZE);
#endif
    if (binding != NULL && !velan->Paused && PtStamp(nbl, binding)) {
      *sendTail = nbl;
      sendTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
      count++;
    } else {
      /* Paused, unbound, or out of context space: this one goes straight back. */
      NET_BUFFER_LIST_STATUS(nbl) = (velan->Paused || binding == NULL) ? NDIS_STATUS_PAUSED : NDIS_STATUS_RESOURCES;
      *failTail = nbl;
      failTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
    nbl = next;
  }
  if (failFirst != NULL) {
    NdisMSendNetBufferListsComplete(velan->MiniportAdapterHandle, failFirst,
                                    NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags)
                                        ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                        : 0);
  }
  if (sendFirst != NULL) {
    velan->SendsOutstanding += count;
    adapt->SendsOutstanding += count;
    NdisSendNetBufferLists(binding, sendFirst, PortNumber, SendFlags);
  }
}

/* ProtocolSendNetBufferListsComplete: restore and complete on the VELAN. */
_Use_decl_annotations_
void PtSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
                                  ULONG SendCompleteFlags) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  PVELAN velan = adapt->Velan;
  PNET_BUFFER_LIST nbl;
  LONG count = 0;
  for (nbl = NetBufferList; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    PtUnstamp(nbl);
    count++;
  }
  NdisMSendNetBufferListsComplete(velan->MiniportAdapterHandle, NetBufferList, SendCompleteFlags);
  velan->SendsOutstanding -= count;
  adapt->SendsOutstanding -= count;
  PtMaybeCompletePause(velan);
  PtMaybeCompleteBindingPause(adapt);
}

static ULONG PtSetReceiveSource(PNET_BUFFER_LIST Chain, NDIS_HANDLE Handle) {
  ULONG count = 0;
  PNET_BUFFER_LIST nbl;
  for (nbl = Chain; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    nbl->SourceHandle = Handle;
    count++;
  }
  return count;
}

/* ProtocolReceiveNetBufferLists: indicate up on the VELAN (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
void PtReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                             NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  PVELAN velan = adapt->Velan;
  BOOLEAN resources = NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags);
  ULONG returnFlags = NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
  ULONG count;

  UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
  if (velan == NULL || velan->Paused) {
    /* Nobody above to take them: give them straight back (under RESOURCES they already are). */
    if (!resources) NdisReturnNetBufferLists(adapt->BindingHandle, NetBufferLists, returnFlags);
    return;
  }
  adapt->LowerSourceHandle = NetBufferLists->SourceHandle;
  count = PtSetReceiveSource(NetBufferLists, velan->MiniportAdapterHandle);
  if (!resources) velan->ReceivesOutstanding += (LONG)count;
  NdisMIndicateReceiveNetBufferLists(velan->MiniportAdapterHandle, NetBufferLists, PortNumber, count,
                                     ReceiveFlags);
  /* Under RESOURCES they are ours again as soon as the indication returns. */
  if (resources) PtSetReceiveSource(NetBufferLists, adapt->LowerSourceHandle);
}

/* MiniportReturnNetBufferLists: restore and return down the lower binding. */
_Use_decl_annotations_
void MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags) {
  PVELAN velan = (PVELAN)MiniportAdapterContext;
  PADAPT adapt = velan->Adapt;
  ULONG count = PtSetReceiveSource(NetBufferLists, adapt->LowerSourceHandle);
  NdisReturnNetBufferLists(adapt->BindingHandle, NetBufferLists, ReturnFlags);
  velan->ReceivesOutstanding -= (LONG)count;
  PtMaybeCompletePause(velan);
}

/* MiniportCancelSend: the driver holds no sends itself; it passes the cancel down. */
_Use_decl_annotations_
void MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId) {
  NDIS_HANDLE binding = ((PVELAN)MiniportAdapterContext)->Adapt->BindingHandle;
  if (binding != NULL) NdisCancelSendNetBufferLists(binding, CancelId);
}
