/* vnet's hub: the adapters of the driver, under one spin lock. */
#include "vnet.h"

static LIST_ENTRY HubAdapters;
static NDIS_SPIN_LOCK HubLock;

VOID HubInitialize(VOID) {
  InitializeListHead(&HubAdapters);
  NdisAllocateSpinLock(&HubLock);
}

VOID HubFree(VOID) { NdisFreeSpinLock(&HubLock); }

VOID HubAttach(PVNET_ADAPTER Adapter) { NdisInterlockedInsertTailList(&HubAdapters, &Adapter->HubLink, &HubLock); }

VOID HubDetach(PVNET_ADAPTER Adapter) {
  NdisAcquireSpinLock(&HubLock);
  RemoveEntryList(&Adapter->HubLink);
  NdisReleaseSpinLock(&HubLock);
}

/* Whether `To`'s packet filter takes a frame for `Destination` (called under To->Lock). */
static BOOLEAN Accepts(PVNET_ADAPTER To, PUCHAR Destination) {
  ULONG filter = To->PacketFilter, i;
  if (filter & NDIS_PACKET_TYPE_PROMISCUOUS) return TRUE;
  if (ETH_IS_BROADCAST(Destination)) return (filter & NDIS_PACKET_TYPE_BROADCAST) != 0;
  if (ETH_IS_MULTICAST(Destination)) {
    if (filter & NDIS_PACKET_TYPE_ALL_MULTICAST) return TRUE;
    if (!(filter & NDIS_PACKET_TYPE_MULTICAST)) return FALSE;
    for (i = 0; i < To->MulticastCount; i++)
      if (NdisEqualMemory(To->MulticastList[i], Destination, ETH_LENGTH_OF_ADDRESS)) return TRUE;
    return FALSE;
  }
  return (filter & NDIS_PACKET_TYPE_DIRECTED) != 0 &&
         NdisEqualMemory(To->CurrentAddress, Destination, ETH_LENGTH_OF_ADDRESS);
}

VOID HubTransmit(PVNET_ADAPTER From, PNET_BUFFER Nb, BOOLEAN DispatchLevel) {
  PLIST_ENTRY link;
  ULONG length = NET_BUFFER_DATA_LENGTH(Nb);
  UCHAR header[ETH_LENGTH_OF_ADDRESS];
  PUCHAR destination;
  LARGE_INTEGER due;

  if (length < 14 || length > VNET_MAX_FRAME) return;
  destination = (PUCHAR)NdisGetDataBuffer(Nb, ETH_LENGTH_OF_ADDRESS, header, 1, 0);
  if (destination == NULL) return;
  if (DispatchLevel) NdisDprAcquireSpinLock(&HubLock);
  else NdisAcquireSpinLock(&HubLock);
  for (link = HubAdapters.Flink; link != &HubAdapters; link = link->Flink) {
    PVNET_ADAPTER to = CONTAINING_RECORD(link, VNET_ADAPTER, HubLink);
    BOOLEAN queued = FALSE;
    if (to == From) continue;
    NdisDprAcquireSpinLock(&to->Lock);
    if (to->State == VnetRunning && Accepts(to, destination)) {
      if (to->QueueCount < VNET_HUB_QUEUE) {
        PVNET_FRAME frame = &to->Queue[(to->QueueHead + to->QueueCount) % VNET_HUB_QUEUE];
        PVOID data = NdisGetDataBuffer(Nb, length, frame->Data, 1, 0);
        if (data != NULL) {
          if (data != frame->Data) NdisMoveMemory(frame->Data, data, length);
          frame->Length = length;
          to->QueueCount++;
          queued = TRUE;
        }
      } else {
        to->Stats.ifInDiscards++;
      }
    }
    NdisDprReleaseSpinLock(&to->Lock);
    if (queued) {
      due.QuadPart = -1; /* as soon as the clock moves: the receive "DPC" */
      NdisSetTimerObject(to->RecvTimer, due, 0, NULL);
    }
  }
  if (DispatchLevel) NdisDprReleaseSpinLock(&HubLock);
  else NdisReleaseSpinLock(&HubLock);
}
