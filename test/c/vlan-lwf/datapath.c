/*
 * vlanlwf's data path: 802.1Q tags put in on the way down and taken out when the send completes;
 * receives of DropEtherType dropped; everything else passed on.
 */
#include "precomp.h"

VOID FilterCheckPauseComplete(PLWF_FILTER pFilter, BOOLEAN DispatchLevel);

/* The NBL context every send gets while it is below the filter. */
typedef struct _VLANLWF_SEND_CONTEXT {
  ULONG Magic;
  BOOLEAN Tagged;
  UCHAR Reserved[11];
} VLANLWF_SEND_CONTEXT, *PVLANLWF_SEND_CONTEXT;
#define VLANLWF_SEND_MAGIC 'dSlV'
C_ASSERT(sizeof(VLANLWF_SEND_CONTEXT) % MEMORY_ALLOCATION_ALIGNMENT == 0);

static ULONG CountNbls(PNET_BUFFER_LIST Nbls) {
  ULONG n = 0;
  for (; Nbls != NULL; Nbls = NET_BUFFER_LIST_NEXT_NBL(Nbls)) n++;
  return n;
}

/* Copies Length bytes at Offset of the NET_BUFFER's data to (ToNb FALSE) or from (TRUE) Buffer. */
static BOOLEAN CopyNetBuffer(PNET_BUFFER Nb, ULONG Offset, PUCHAR Buffer, ULONG Length, BOOLEAN ToNb) {
  PMDL mdl = NET_BUFFER_CURRENT_MDL(Nb);
  ULONG mdlOffset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb) + Offset;
  ULONG done = 0;
  if (Offset + Length > NET_BUFFER_DATA_LENGTH(Nb)) return FALSE;
  while (mdl != NULL && done < Length) {
    PUCHAR va = NULL;
    ULONG mdlLength = 0;
    NdisQueryMdl(mdl, &va, &mdlLength, NormalPagePriority | MdlMappingNoExecute);
    if (va == NULL) return FALSE;
    if (mdlOffset >= mdlLength) {
      mdlOffset -= mdlLength;
    } else {
      ULONG take = min(mdlLength - mdlOffset, Length - done);
      if (ToNb) NdisMoveMemory(va + mdlOffset, Buffer + done, take);
      else NdisMoveMemory(Buffer + done, va + mdlOffset, take);
      done += take;
      mdlOffset = 0;
    }
    NdisGetNextMdl(mdl, &mdl);
  }
  return (BOOLEAN)(done == Length);
}

static USHORT EtherTypeOf(PNET_BUFFER_LIST Nbl) {
  ETH_HEADER storage;
  PETH_HEADER eth;
  PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
  if (nb == NULL) return 0;
  eth = (PETH_HEADER)NdisGetDataBuffer(nb, sizeof(ETH_HEADER), &storage, 1, 0);
  return eth == NULL ? 0 : RtlUshortByteSwap(eth->EthType);
}

/* dst, src | 0x8100, TCI | the original EtherType and payload. */
static NDIS_STATUS InsertTag(PLWF_FILTER pFilter, PNET_BUFFER Nb) {
  UCHAR header[sizeof(ETH_HEADER) + VLANLWF_TAG_BYTES - 2];
  USHORT tpid = RtlUshortByteSwap(ETH_TYPE_8021Q);
  USHORT tci = RtlUshortByteSwap(pFilter->VlanId);
  NDIS_STATUS status = NdisRetreatNetBufferDataStart(Nb, VLANLWF_TAG_BYTES, 0, NULL);
  if (status != NDIS_STATUS_SUCCESS) return status;
  if (!CopyNetBuffer(Nb, VLANLWF_TAG_BYTES, header, 2 * ETH_LENGTH_OF_ADDRESS, FALSE)) {
    NdisAdvanceNetBufferDataStart(Nb, VLANLWF_TAG_BYTES, TRUE, NULL);
    return NDIS_STATUS_INVALID_PACKET;
  }
  NdisMoveMemory(header + 12, &tpid, sizeof(tpid));
  NdisMoveMemory(header + 14, &tci, sizeof(tci));
  CopyNetBuffer(Nb, 0, header, sizeof(header), TRUE);
  return NDIS_STATUS_SUCCESS;
}

static VOID RemoveTag(PNET_BUFFER Nb) {
  UCHAR macs[2 * ETH_LENGTH_OF_ADDRESS];
  if (CopyNetBuffer(Nb, 0, macs, sizeof(macs), FALSE))
    CopyNetBuffer(Nb, VLANLWF_TAG_BYTES, macs, sizeof(macs), TRUE);
  NdisAdvanceNetBufferDataStart(Nb, VLANLWF_TAG_BYTES, TRUE, NULL);
}

static VOID CompleteSends(PLWF_FILTER pFilter, PNET_BUFFER_LIST Nbls, NDIS_STATUS Status, BOOLEAN DispatchLevel) {
  PNET_BUFFER_LIST nbl;
  for (nbl = Nbls; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) NET_BUFFER_LIST_STATUS(nbl) = Status;
  NdisFSendNetBufferListsComplete(pFilter->FilterHandle, Nbls,
                                  DispatchLevel ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

_Use_decl_annotations_
VOID FilterSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                              NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  BOOLEAN dispatchLevel = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags);
  PNET_BUFFER_LIST nbl, next, sendHead = NULL, *sendTail = &sendHead, failHead = NULL, *failTail = &failHead;
  ULONG tagged = 0, passed = 0, count = 0;

  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  if (pFilter->State != FilterRunning) {
    FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);
    CompleteSends(pFilter, NetBufferLists, NDIS_STATUS_PAUSED, dispatchLevel);
    return;
  }
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);

  for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
    NDIS_STATUS status;
    PVLANLWF_SEND_CONTEXT context;
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    status = NdisAllocateNetBufferListContext(nbl, sizeof(VLANLWF_SEND_CONTEXT), 0, FILTER_ALLOC_TAG);
    if (status == NDIS_STATUS_SUCCESS) {
      context = (PVLANLWF_SEND_CONTEXT)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
      context->Magic = VLANLWF_SEND_MAGIC;
      context->Tagged = FALSE;
      if (EtherTypeOf(nbl) == pFilter->TagEtherType) {
        PNET_BUFFER nb, undo;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
          status = InsertTag(pFilter, nb);
          if (status != NDIS_STATUS_SUCCESS) break;
        }
        if (status == NDIS_STATUS_SUCCESS) {
          context->Tagged = TRUE;
          tagged++;
        } else {
          for (undo = NET_BUFFER_LIST_FIRST_NB(nbl); undo != nb; undo = NET_BUFFER_NEXT_NB(undo)) RemoveTag(undo);
          NdisFreeNetBufferListContext(nbl, sizeof(VLANLWF_SEND_CONTEXT));
        }
      } else {
        passed++;
      }
    }
    if (status == NDIS_STATUS_SUCCESS) {
      *sendTail = nbl;
      sendTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
      count++;
    } else {
      NET_BUFFER_LIST_STATUS(nbl) = status;
      *failTail = nbl;
      failTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
  }

  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  pFilter->OutstandingSends += count;
  pFilter->Stats.SentTagged += tagged;
  pFilter->Stats.SentPassed += passed;
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);

  if (failHead != NULL)
    NdisFSendNetBufferListsComplete(pFilter->FilterHandle, failHead,
                                    dispatchLevel ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
  if (sendHead != NULL) NdisFSendNetBufferLists(pFilter->FilterHandle, sendHead, PortNumber, SendFlags);
}

_Use_decl_annotations_
VOID FilterSendNetBufferListsComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                      ULONG SendCompleteFlags) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  BOOLEAN dispatchLevel = NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(SendCompleteFlags);
  PNET_BUFFER_LIST nbl, next, upHead = NULL, *upTail = &upHead;
  ULONG count = 0, reflected = 0;

  /* The filter's own clones (its pool) end here: free each, give back its original. */
  for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    if (NdisGetPoolFromNetBufferList(nbl) == pFilter->NblPool) {
      PNET_BUFFER_LIST original = (PNET_BUFFER_LIST)REFLECT_ORIGINAL(nbl);
      NdisFreeCloneNetBufferList(nbl, 0);
      NdisFReturnNetBufferLists(pFilter->FilterHandle, original,
                                dispatchLevel ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
      reflected++;
    } else {
      *upTail = nbl;
      upTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
    }
  }
  if (reflected != 0) {
    FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
    pFilter->OutstandingSends -= reflected;
    pFilter->OutstandingReceives -= reflected;
    FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);
  }
  NetBufferLists = upHead;

  for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    PVLANLWF_SEND_CONTEXT context = (PVLANLWF_SEND_CONTEXT)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
    ASSERT(context->Magic == VLANLWF_SEND_MAGIC);
    if (context->Tagged) {
      PNET_BUFFER nb;
      for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) RemoveTag(nb);
    }
    context->Magic = 0;
    NdisFreeNetBufferListContext(nbl, sizeof(VLANLWF_SEND_CONTEXT));
    count++;
  }
  if (NetBufferLists != NULL)
    NdisFSendNetBufferListsComplete(pFilter->FilterHandle, NetBufferLists, SendCompleteFlags);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  pFilter->OutstandingSends -= count;
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);
  FilterCheckPauseComplete(pFilter, dispatchLevel);
}

_Use_decl_annotations_
VOID FilterCancelSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PVOID CancelId) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NdisFCancelSendNetBufferLists(pFilter->FilterHandle, CancelId);
}

#define VLANLWF_MAX_RESOURCES_CHAIN 64

_Use_decl_annotations_
VOID FilterReceiveNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                 NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  BOOLEAN dispatchLevel = NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags);
  BOOLEAN canPend = NDIS_TEST_RECEIVE_CAN_PEND(ReceiveFlags);
  ULONG returnFlags = dispatchLevel ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
  PNET_BUFFER_LIST original[VLANLWF_MAX_RESOURCES_CHAIN];
  PNET_BUFFER_LIST nbl, next, passHead = NULL, *passTail = &passHead, dropHead = NULL, *dropTail = &dropHead;
  PNET_BUFFER_LIST reflectHead = NULL, *reflectTail = &reflectHead;
  ULONG passCount = 0, dropCount = 0, reflectCount = 0, i, n = 0;
  USHORT etherType;

  UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  if (pFilter->State != FilterRunning) {
    FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);
    if (canPend) NdisFReturnNetBufferLists(pFilter->FilterHandle, NetBufferLists, returnFlags);
    return;
  }
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);

  /* Under NDIS_RECEIVE_FLAGS_RESOURCES the chain goes back as it came: keep its order. */
  if (!canPend && CountNbls(NetBufferLists) > VLANLWF_MAX_RESOURCES_CHAIN) {
    NdisFIndicateReceiveNetBufferLists(pFilter->FilterHandle, NetBufferLists, PortNumber,
                                       CountNbls(NetBufferLists), ReceiveFlags);
    return;
  }
  for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    if (!canPend) original[n++] = nbl;
    etherType = EtherTypeOf(nbl);
    if (canPend && etherType == pFilter->ReflectEtherType) {
      /* Sent back down as a clone; the original stays with the filter until the clone is done. */
      PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(nbl, pFilter->NblPool, NULL, 0);
      if (clone != NULL) {
        REFLECT_ORIGINAL(clone) = nbl;
        clone->SourceHandle = pFilter->FilterHandle;
        *reflectTail = clone;
        reflectTail = &NET_BUFFER_LIST_NEXT_NBL(clone);
        reflectCount++;
        continue;
      }
    }
    if (etherType == pFilter->DropEtherType) {
      *dropTail = nbl;
      dropTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
      dropCount++;
    } else {
      *passTail = nbl;
      passTail = &NET_BUFFER_LIST_NEXT_NBL(nbl);
      passCount++;
    }
  }

  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  pFilter->Stats.ReceivesDropped += dropCount;
  pFilter->Stats.ReceivesPassed += passCount;
  pFilter->Stats.Reflected += reflectCount;
  if (canPend) pFilter->OutstandingReceives += passCount + reflectCount;
  pFilter->OutstandingSends += reflectCount;
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);

  if (reflectHead != NULL)
    NdisFSendNetBufferLists(pFilter->FilterHandle, reflectHead, PortNumber,
                            dispatchLevel ? NDIS_SEND_FLAGS_DISPATCH_LEVEL : 0);

  if (passHead != NULL)
    NdisFIndicateReceiveNetBufferLists(pFilter->FilterHandle, passHead, PortNumber, passCount, ReceiveFlags);
  if (canPend) {
    if (dropHead != NULL) {
      NdisFReturnNetBufferLists(pFilter->FilterHandle, dropHead, returnFlags);
#ifdef VLANLWF_BUG_RETURN_TWICE
      NdisFReturnNetBufferLists(pFilter->FilterHandle, dropHead, returnFlags);
#endif
    }
  } else {
    for (i = 0; i + 1 < n; i++) NET_BUFFER_LIST_NEXT_NBL(original[i]) = original[i + 1];
    if (n > 0) NET_BUFFER_LIST_NEXT_NBL(original[n - 1]) = NULL;
  }
}

_Use_decl_annotations_
VOID FilterReturnNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  BOOLEAN dispatchLevel = NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(ReturnFlags);
  ULONG count = CountNbls(NetBufferLists);
  NdisFReturnNetBufferLists(pFilter->FilterHandle, NetBufferLists, ReturnFlags);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, dispatchLevel);
  pFilter->OutstandingReceives -= count;
  FILTER_RELEASE_LOCK(&pFilter->Lock, dispatchLevel);
  FilterCheckPauseComplete(pFilter, dispatchLevel);
}
