/*
 * cloop: a small NDIS 6 miniport driver in C, written for ndis-ts in the style of a WDK driver.
 *
 * Each adapter is an Ethernet NIC whose wire loops back: every frame sent on it is received on it
 * again (the way a loopback plug would), then the send completes. Receives come from a fixed set
 * of receive control blocks (RCBs), each a NET_BUFFER_LIST over its own frame buffer, allocated
 * at initialize and recycled when the protocols return them, so the data path allocates nothing.
 * Pause waits for every indicated receive to come back before it completes. Halt frees everything;
 * unload deregisters.
 *
 * Build:  ndis build samples/loopback-miniport/miniport.c -o cloop.wasm
 */
#include <ndis.h>

#define CLOOP_TAG 'pooL'              /* 'Loop' in pool-tag dumps */
#define CLOOP_RCB_COUNT 64
#define CLOOP_FRAME_MAX 1514
#define CLOOP_MTU 1500

typedef struct _RCB {
  PNET_BUFFER_LIST Nbl;
  PMDL Mdl;
  PUCHAR Buffer;
  struct _RCB *Next;
} RCB, *PRCB;

typedef struct _CLOOP_ADAPTER {
  NDIS_HANDLE MiniportAdapterHandle;
  NDIS_HANDLE RecvPoolHandle;
  NDIS_SPIN_LOCK Lock;
  RCB Rcbs[CLOOP_RCB_COUNT];
  PRCB FreeRcbs;
  LONG OutstandingReceives;
  BOOLEAN Paused;
  BOOLEAN PausePending;
  ULONG PacketFilter;
  ULONG64 FramesLooped;
  ULONG64 FramesDropped;
  UCHAR MacAddress[6];
} CLOOP_ADAPTER, *PCLOOP_ADAPTER;

static NDIS_HANDLE GlobalDriverHandle;

DRIVER_INITIALIZE DriverEntry;
MINIPORT_INITIALIZE CloopInitialize;
MINIPORT_HALT CloopHalt;
MINIPORT_UNLOAD CloopUnload;
MINIPORT_PAUSE CloopPause;
MINIPORT_RESTART CloopRestart;
MINIPORT_OID_REQUEST CloopOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS CloopSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS CloopReturnNetBufferLists;
MINIPORT_CANCEL_SEND CloopCancelSend;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY CloopDevicePnPEventNotify;
MINIPORT_SHUTDOWN CloopShutdown;
MINIPORT_CANCEL_OID_REQUEST CloopCancelOidRequest;

static const NDIS_OID CloopSupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,       OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,   OID_GEN_VENDOR_DESCRIPTION,    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,    OID_802_3_MULTICAST_LIST,      OID_802_3_MAXIMUM_LIST_SIZE,
};

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
  UINT version = NdisGetVersion();
  UCHAR minor = (UCHAR)(version & 0xFF);
  NDIS_STATUS status;

  NdisZeroMemory(&chars, sizeof(chars));
  chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
  if (minor >= 80) {
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
  } else if (minor >= 1) {
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
  } else {
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
  }
  chars.MajorNdisVersion = 6;
  chars.MinorNdisVersion = minor;
  chars.MajorDriverVersion = 1;
  chars.MinorDriverVersion = 0;
  chars.InitializeHandlerEx = CloopInitialize;
  chars.HaltHandlerEx = CloopHalt;
  chars.UnloadHandler = CloopUnload;
  chars.PauseHandler = CloopPause;
  chars.RestartHandler = CloopRestart;
  chars.OidRequestHandler = CloopOidRequest;
  chars.SendNetBufferListsHandler = CloopSendNetBufferLists;
  chars.ReturnNetBufferListsHandler = CloopReturnNetBufferLists;
  chars.CancelSendHandler = CloopCancelSend;
  chars.DevicePnPEventNotifyHandler = CloopDevicePnPEventNotify;
  chars.ShutdownHandlerEx = CloopShutdown;
  chars.CancelOidRequestHandler = CloopCancelOidRequest;

  status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &GlobalDriverHandle);
  return status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : status;
}

static void CloopFreeRcbs(PCLOOP_ADAPTER Adapter) {
  ULONG i;
  for (i = 0; i < CLOOP_RCB_COUNT; i++) {
    PRCB rcb = &Adapter->Rcbs[i];
    if (rcb->Nbl != NULL) NdisFreeNetBufferList(rcb->Nbl);
    if (rcb->Mdl != NULL) NdisFreeMdl(rcb->Mdl);
    if (rcb->Buffer != NULL) NdisFreeMemory(rcb->Buffer, 0, 0);
    rcb->Nbl = NULL;
    rcb->Mdl = NULL;
    rcb->Buffer = NULL;
  }
  if (Adapter->RecvPoolHandle != NULL) NdisFreeNetBufferListPool(Adapter->RecvPoolHandle);
  Adapter->RecvPoolHandle = NULL;
}

_Use_decl_annotations_
NDIS_STATUS CloopInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                            PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters) {
  PCLOOP_ADAPTER adapter;
  NDIS_MINIPORT_ADAPTER_ATTRIBUTES attributes;
  NET_BUFFER_LIST_POOL_PARAMETERS poolParameters;
  NDIS_STATUS status;
  ULONG i;
  UINT version = NdisGetVersion();

  UNREFERENCED_PARAMETER(MiniportDriverContext);

  adapter = (PCLOOP_ADAPTER)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(CLOOP_ADAPTER),
                                                               CLOOP_TAG, NormalPoolPriority);
  if (adapter == NULL) return NDIS_STATUS_RESOURCES;
  NdisZeroMemory(adapter, sizeof(CLOOP_ADAPTER));
  adapter->MiniportAdapterHandle = MiniportAdapterHandle;
  adapter->Paused = TRUE;
  NdisAllocateSpinLock(&adapter->Lock);
  /* A locally administered address: 02-00-4C-4F-00-<IfIndex>. */
  adapter->MacAddress[0] = 0x02;
  adapter->MacAddress[2] = 0x4C;
  adapter->MacAddress[3] = 0x4F;
  adapter->MacAddress[5] = (UCHAR)MiniportInitParameters->IfIndex;

  NdisZeroMemory(&attributes, sizeof(attributes));
  attributes.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
  attributes.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
  attributes.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
  attributes.RegistrationAttributes.MiniportAdapterContext = adapter;
  attributes.RegistrationAttributes.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM;
  attributes.RegistrationAttributes.InterfaceType = NdisInterfaceInternal;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
  if (status != NDIS_STATUS_SUCCESS) goto fail;

  NdisZeroMemory(&attributes, sizeof(attributes));
  attributes.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
  if ((version & 0xFF) >= 20) {
    attributes.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    attributes.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
  } else {
    attributes.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    attributes.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
  }
  attributes.GeneralAttributes.MediaType = NdisMedium802_3;
  attributes.GeneralAttributes.PhysicalMediumType = NdisPhysicalMedium802_3;
  attributes.GeneralAttributes.MtuSize = CLOOP_MTU;
  attributes.GeneralAttributes.MaxXmitLinkSpeed = 1000000000ULL;
  attributes.GeneralAttributes.XmitLinkSpeed = 1000000000ULL;
  attributes.GeneralAttributes.MaxRcvLinkSpeed = 1000000000ULL;
  attributes.GeneralAttributes.RcvLinkSpeed = 1000000000ULL;
  attributes.GeneralAttributes.MediaConnectState = MediaConnectStateConnected;
  attributes.GeneralAttributes.MediaDuplexState = MediaDuplexStateFull;
  attributes.GeneralAttributes.LookaheadSize = CLOOP_MTU;
  attributes.GeneralAttributes.MacOptions = 0;
  attributes.GeneralAttributes.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED |
                                                        NDIS_PACKET_TYPE_MULTICAST |
                                                        NDIS_PACKET_TYPE_BROADCAST |
                                                        NDIS_PACKET_TYPE_PROMISCUOUS;
  attributes.GeneralAttributes.MaxMulticastListSize = 32;
  attributes.GeneralAttributes.MacAddressLength = 6;
  NdisMoveMemory(attributes.GeneralAttributes.PermanentMacAddress, adapter->MacAddress, 6);
  NdisMoveMemory(attributes.GeneralAttributes.CurrentMacAddress, adapter->MacAddress, 6);
  attributes.GeneralAttributes.AccessType = NET_IF_ACCESS_BROADCAST;
  attributes.GeneralAttributes.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
  attributes.GeneralAttributes.ConnectionType = NET_IF_CONNECTION_DEDICATED;
  attributes.GeneralAttributes.IfType = IF_TYPE_ETHERNET_CSMACD;
  attributes.GeneralAttributes.IfConnectorPresent = TRUE;
  attributes.GeneralAttributes.SupportedOidList = (PNDIS_OID)CloopSupportedOids;
  attributes.GeneralAttributes.SupportedOidListLength = sizeof(CloopSupportedOids);
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
  if (status != NDIS_STATUS_SUCCESS) goto fail;

  NdisZeroMemory(&poolParameters, sizeof(poolParameters));
  poolParameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
  poolParameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
  poolParameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
  poolParameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
  poolParameters.fAllocateNetBuffer = TRUE;
  poolParameters.PoolTag = CLOOP_TAG;
  adapter->RecvPoolHandle = NdisAllocateNetBufferListPool(MiniportAdapterHandle, &poolParameters);
  if (adapter->RecvPoolHandle == NULL) {
    status = NDIS_STATUS_RESOURCES;
    goto fail;
  }

  for (i = 0; i < CLOOP_RCB_COUNT; i++) {
    PRCB rcb = &adapter->Rcbs[i];
    rcb->Buffer = (PUCHAR)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, CLOOP_FRAME_MAX, CLOOP_TAG,
                                                            NormalPoolPriority);
    if (rcb->Buffer == NULL) break;
    rcb->Mdl = NdisAllocateMdl(MiniportAdapterHandle, rcb->Buffer, CLOOP_FRAME_MAX);
    if (rcb->Mdl == NULL) break;
    rcb->Nbl = NdisAllocateNetBufferAndNetBufferList(adapter->RecvPoolHandle, 0, 0, rcb->Mdl, 0, 0);
    if (rcb->Nbl == NULL) break;
    rcb->Nbl->MiniportReserved[0] = rcb;
    rcb->Next = adapter->FreeRcbs;
    adapter->FreeRcbs = rcb;
  }
  if (i < CLOOP_RCB_COUNT) {
    status = NDIS_STATUS_RESOURCES;
    goto fail;
  }
  return NDIS_STATUS_SUCCESS;

fail:
  CloopFreeRcbs(adapter);
  NdisFreeSpinLock(&adapter->Lock);
  NdisFreeMemory(adapter, 0, 0);
  return status;
}

_Use_decl_annotations_
void CloopHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  UNREFERENCED_PARAMETER(HaltAction);
  CloopFreeRcbs(adapter);
  NdisFreeSpinLock(&adapter->Lock);
  NdisFreeMemory(adapter, 0, 0);
}

_Use_decl_annotations_
void CloopUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  NdisMDeregisterMiniportDriver(GlobalDriverHandle);
}

_Use_decl_annotations_
NDIS_STATUS CloopPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  UNREFERENCED_PARAMETER(PauseParameters);
  NdisAcquireSpinLock(&adapter->Lock);
  adapter->Paused = TRUE;
  if (adapter->OutstandingReceives > 0) {
    /* Receives are still up the stack: the pause completes when the last comes back. */
    adapter->PausePending = TRUE;
    status = NDIS_STATUS_PENDING;
  }
  NdisReleaseSpinLock(&adapter->Lock);
  return status;
}

_Use_decl_annotations_
NDIS_STATUS CloopRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  PNDIS_RESTART_ATTRIBUTES attributes = RestartParameters->RestartAttributes;
  /* NDIS passes the adapter's general attributes (OID_GEN_MINIPORT_RESTART_ATTRIBUTES first in the
     list); a miniport may change them here and the drivers above see the change. This one changes
     nothing, unless built with CLOOP_RESTART_MAC_OPTIONS (a test of the propagation). */
  if (attributes != NULL && attributes->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
    PNDIS_RESTART_GENERAL_ATTRIBUTES general = (PNDIS_RESTART_GENERAL_ATTRIBUTES)attributes->Data;
#ifdef CLOOP_RESTART_MAC_OPTIONS
    if (general->MtuSize == CLOOP_MTU) general->MacOptions |= CLOOP_RESTART_MAC_OPTIONS;
#else
    UNREFERENCED_PARAMETER(general);
#endif
  }
  adapter->Paused = FALSE;
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS CloopQuery(PCLOOP_ADAPTER Adapter, PNDIS_OID_REQUEST Request) {
  struct _QUERY *query = &Request->DATA.QUERY_INFORMATION;
  static const char vendor[] = "ndis-ts C loopback miniport";
  ULONG value = 0;
  const void *source = &value;
  ULONG length = sizeof(ULONG);

  switch (query->Oid) {
  case OID_GEN_SUPPORTED_LIST:
    source = CloopSupportedOids;
    length = sizeof(CloopSupportedOids);
    break;
  case OID_GEN_CURRENT_PACKET_FILTER:
    value = Adapter->PacketFilter;
    break;
  case OID_GEN_CURRENT_LOOKAHEAD:
  case OID_GEN_MAXIMUM_FRAME_SIZE:
    value = CLOOP_MTU;
    break;
  case OID_802_3_MAXIMUM_LIST_SIZE:
    value = 32;
    break;
  case OID_GEN_VENDOR_DESCRIPTION:
    source = vendor;
    length = sizeof(vendor);
    break;
  case OID_802_3_PERMANENT_ADDRESS:
  case OID_802_3_CURRENT_ADDRESS:
    source = Adapter->MacAddress;
    length = 6;
    break;
  default:
    return NDIS_STATUS_NOT_SUPPORTED;
  }
  if (query->InformationBufferLength < length) {
    query->BytesNeeded = length;
    return NDIS_STATUS_BUFFER_TOO_SHORT;
  }
  NdisMoveMemory(query->InformationBuffer, source, length);
  query->BytesWritten = length;
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS CloopSet(PCLOOP_ADAPTER Adapter, PNDIS_OID_REQUEST Request) {
  struct _SET *set = &Request->DATA.SET_INFORMATION;
  switch (set->Oid) {
  case OID_GEN_CURRENT_PACKET_FILTER:
    if (set->InformationBufferLength < sizeof(ULONG)) {
      set->BytesNeeded = sizeof(ULONG);
      return NDIS_STATUS_INVALID_LENGTH;
    }
    Adapter->PacketFilter = *(ULONG *)set->InformationBuffer;
    set->BytesRead = sizeof(ULONG);
    return NDIS_STATUS_SUCCESS;
  case OID_GEN_CURRENT_LOOKAHEAD:
  case OID_802_3_MULTICAST_LIST:
    set->BytesRead = set->InformationBufferLength;
    return NDIS_STATUS_SUCCESS;
  default:
    return NDIS_STATUS_NOT_SUPPORTED;
  }
}

_Use_decl_annotations_
NDIS_STATUS CloopOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  switch (OidRequest->RequestType) {
  case NdisRequestQueryInformation:
  case NdisRequestQueryStatistics:
    return CloopQuery(adapter, OidRequest);
  case NdisRequestSetInformation:
    return CloopSet(adapter, OidRequest);
  default:
    return NDIS_STATUS_NOT_SUPPORTED;
  }
}

/* Copies one frame into a free RCB; NULL when none is free (the frame is dropped). */
static PRCB CloopTakeFrame(PCLOOP_ADAPTER Adapter, PNET_BUFFER NetBuffer) {
  PRCB rcb;
  PMDL mdl = NET_BUFFER_CURRENT_MDL(NetBuffer);
  ULONG offset = NET_BUFFER_CURRENT_MDL_OFFSET(NetBuffer);
  ULONG remaining = NET_BUFFER_DATA_LENGTH(NetBuffer);
  ULONG copied = 0;

  if (remaining > CLOOP_FRAME_MAX) return NULL;
  /* MiniportSendNetBufferListsEx and MiniportReturnNetBufferLists run at IRQL <= DISPATCH_LEVEL:
     NdisAcquireSpinLock raises the IRQL itself (NdisDpr* would be called below DISPATCH_LEVEL). */
  NdisAcquireSpinLock(&Adapter->Lock);
  rcb = Adapter->FreeRcbs;
  if (rcb != NULL) {
    Adapter->FreeRcbs = rcb->Next;
    Adapter->OutstandingReceives++;
  }
  NdisReleaseSpinLock(&Adapter->Lock);
  if (rcb == NULL) return NULL;

  while (mdl != NULL && remaining > 0) {
    PUCHAR va;
    ULONG length;
    NdisQueryMdl(mdl, &va, &length, NormalPagePriority);
    length -= offset;
    if (length > remaining) length = remaining;
    NdisMoveMemory(rcb->Buffer + copied, va + offset, length);
    copied += length;
    remaining -= length;
    offset = 0;
    mdl = mdl->Next;
  }
  NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(rcb->Nbl)) = copied;
  NET_BUFFER_LIST_NEXT_NBL(rcb->Nbl) = NULL;
  rcb->Nbl->SourceHandle = Adapter->MiniportAdapterHandle;
  return rcb;
}

_Use_decl_annotations_
void CloopSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  PNET_BUFFER_LIST nbl;
  PNET_BUFFER_LIST receiveHead = NULL, *receiveTail = &receiveHead;
  ULONG receiveCount = 0;
  ULONG completeFlags = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
  ULONG receiveFlags = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0;

  UNREFERENCED_PARAMETER(PortNumber);
  for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    PNET_BUFFER nb;
    if (adapter->Paused) {
      NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_PAUSED;
      continue;
    }
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
    for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
      PRCB rcb = CloopTakeFrame(adapter, nb);
      if (rcb == NULL) {
        adapter->FramesDropped++;
        continue;
      }
      adapter->FramesLooped++;
      *receiveTail = rcb->Nbl;
      receiveTail = &NET_BUFFER_LIST_NEXT_NBL(rcb->Nbl);
      receiveCount++;
    }
  }
  if (receiveHead != NULL) {
    NdisMIndicateReceiveNetBufferLists(adapter->MiniportAdapterHandle, receiveHead, NDIS_DEFAULT_PORT_NUMBER,
                                       receiveCount, receiveFlags);
  }
  NdisMSendNetBufferListsComplete(adapter->MiniportAdapterHandle, NetBufferLists, completeFlags);
}

_Use_decl_annotations_
void CloopReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                               ULONG ReturnFlags) {
  PCLOOP_ADAPTER adapter = (PCLOOP_ADAPTER)MiniportAdapterContext;
  PNET_BUFFER_LIST nbl, next;
  BOOLEAN completePause = FALSE;
  UNREFERENCED_PARAMETER(ReturnFlags);

  NdisAcquireSpinLock(&adapter->Lock);
  for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
    PRCB rcb = (PRCB)nbl->MiniportReserved[0];
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    rcb->Next = adapter->FreeRcbs;
    adapter->FreeRcbs = rcb;
    adapter->OutstandingReceives--;
  }
  if (adapter->PausePending && adapter->OutstandingReceives == 0) {
    adapter->PausePending = FALSE;
    completePause = TRUE;
  }
  NdisReleaseSpinLock(&adapter->Lock);
  if (completePause) NdisMPauseComplete(adapter->MiniportAdapterHandle);
}

_Use_decl_annotations_
void CloopCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId) {
  /* Sends complete inside CloopSendNetBufferLists: nothing is ever queued to cancel. */
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(CancelId);
}

_Use_decl_annotations_
void CloopDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

_Use_decl_annotations_
void CloopShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(ShutdownAction);
}

_Use_decl_annotations_
void CloopCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId) {
  /* Requests are answered inside CloopOidRequest: none is ever pending. */
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(RequestId);
}
