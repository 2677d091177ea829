/* vnet: registration, adapters, the data path and OIDs. */
#include "vnet.h"

static NDIS_HANDLE MiniportDriverHandle;
static LONG AdapterCount;

static NDIS_OID SupportedOids[] = {
    OID_GEN_SUPPORTED_LIST,        OID_GEN_HARDWARE_STATUS,      OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,          OID_GEN_MAXIMUM_FRAME_SIZE,   OID_GEN_LINK_SPEED,
    OID_GEN_TRANSMIT_BLOCK_SIZE,   OID_GEN_RECEIVE_BLOCK_SIZE,   OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION,    OID_GEN_VENDOR_DRIVER_VERSION, OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_CURRENT_LOOKAHEAD,     OID_GEN_MAXIMUM_TOTAL_SIZE,   OID_GEN_STATISTICS,
    OID_GEN_INTERRUPT_MODERATION,  OID_802_3_PERMANENT_ADDRESS,  OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,      OID_802_3_MAXIMUM_LIST_SIZE,
};

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
  NDIS_STATUS status;

  HubInitialize();
  NdisZeroMemory(&chars, sizeof(chars));
  chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
#if NDIS_SUPPORT_NDIS61
  chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
  chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
#else
  chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
  chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
#endif
  chars.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
  chars.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
  chars.MajorDriverVersion = 1;
  chars.MinorDriverVersion = 2;
  chars.SetOptionsHandler = VnetSetOptions;
  chars.InitializeHandlerEx = VnetInitialize;
  chars.HaltHandlerEx = VnetHalt;
  chars.UnloadHandler = VnetUnload;
  chars.PauseHandler = VnetPause;
  chars.RestartHandler = VnetRestart;
  chars.OidRequestHandler = VnetOidRequest;
  chars.SendNetBufferListsHandler = VnetSendNetBufferLists;
  chars.ReturnNetBufferListsHandler = VnetReturnNetBufferLists;
  chars.CancelSendHandler = VnetCancelSend;
  chars.DevicePnPEventNotifyHandler = VnetDevicePnPEventNotify;
  chars.ShutdownHandlerEx = VnetShutdown;
  chars.CancelOidRequestHandler = VnetCancelOidRequest;
  status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &MiniportDriverHandle);
  if (status != NDIS_STATUS_SUCCESS) HubFree();
  return status;
}

_Use_decl_annotations_
VOID VnetUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  PAGED_CODE();
  NdisMDeregisterMiniportDriver(MiniportDriverHandle);
  HubFree();
}

_Use_decl_annotations_
NDIS_STATUS VnetSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext) {
  UNREFERENCED_PARAMETER(NdisDriverHandle);
  UNREFERENCED_PARAMETER(DriverContext);
  return NDIS_STATUS_SUCCESS;
}

static VOID FreeAdapter(PVNET_ADAPTER adapter) {
  ULONG i;
  if (adapter->Rcbs != NULL) {
    for (i = 0; i < adapter->RcbCount; i++) {
      PVNET_RCB rcb = &adapter->Rcbs[i];
      if (rcb->Nbl != NULL) NdisFreeNetBufferList(rcb->Nbl);
      if (rcb->Mdl != NULL) NdisFreeMdl(rcb->Mdl);
      if (rcb->Data != NULL) NdisFreeMemory(rcb->Data, VNET_MAX_FRAME, 0);
    }
    NdisFreeMemory(adapter->Rcbs, 0, 0);
  }
  if (adapter->Queue != NULL) NdisFreeMemory(adapter->Queue, 0, 0);
  if (adapter->RecvPool != NULL) NdisFreeNetBufferListPool(adapter->RecvPool);
  if (adapter->RecvTimer != NULL) NdisFreeTimerObject(adapter->RecvTimer);
  NdisFreeSpinLock(&adapter->Lock);
  NdisFreeMemory(adapter->AllocatedBlock, 0, 0);
}

/* The adapter's registry: its address (NetworkAddress) and how many receive buffers it keeps. */
static VOID ReadRegistry(PVNET_ADAPTER adapter) {
  NDIS_CONFIGURATION_OBJECT configObject;
  NDIS_HANDLE config = NULL;
  NDIS_STATUS status;
  PVOID address = NULL;
  UINT length = 0;
  PNDIS_CONFIGURATION_PARAMETER value = NULL;
  NDIS_STRING receiveBuffers = NDIS_STRING_CONST("*ReceiveBuffers");
  NDIS_STRING permanentKey = NDIS_STRING_CONST("PermanentAddress");
  NDIS_CONFIGURATION_PARAMETER saved;

  adapter->RcbCount = VNET_DEFAULT_RECEIVE_BUFFERS;
  NdisZeroMemory(&configObject, sizeof(configObject));
  configObject.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
  configObject.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
  configObject.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
  configObject.NdisHandle = adapter->AdapterHandle;
  if (NdisOpenConfigurationEx(&configObject, &config) != NDIS_STATUS_SUCCESS) return;
  /* The permanent address this adapter made up the first time it started, saved in its key as
     netvmini saves it (NdisWriteConfiguration), so that it keeps it across restarts. */
  NdisReadConfiguration(&status, &value, config, &permanentKey, NdisParameterBinary);
  if (status == NDIS_STATUS_SUCCESS && value->ParameterData.BinaryData.Length == ETH_LENGTH_OF_ADDRESS) {
    ETH_COPY_NETWORK_ADDRESS(adapter->PermanentAddress, value->ParameterData.BinaryData.Buffer);
  } else {
    saved.ParameterType = NdisParameterBinary;
    saved.ParameterData.BinaryData.Length = ETH_LENGTH_OF_ADDRESS;
    saved.ParameterData.BinaryData.Buffer = adapter->PermanentAddress;
    NdisWriteConfiguration(&status, config, &permanentKey, &saved);
  }
  ETH_COPY_NETWORK_ADDRESS(adapter->CurrentAddress, adapter->PermanentAddress);
  NdisReadNetworkAddress(&status, &address, &length, config);
  if (status == NDIS_STATUS_SUCCESS && length == ETH_LENGTH_OF_ADDRESS && !ETH_IS_MULTICAST(address) &&
      ETH_IS_LOCALLY_ADMINISTERED(address))
    ETH_COPY_NETWORK_ADDRESS(adapter->CurrentAddress, address);
  NdisReadConfiguration(&status, &value, config, &receiveBuffers, NdisParameterInteger);
  if (status == NDIS_STATUS_SUCCESS && value->ParameterData.IntegerData >= 1 &&
      value->ParameterData.IntegerData <= 64)
    adapter->RcbCount = value->ParameterData.IntegerData;
  NdisCloseConfiguration(config);
}

_Use_decl_annotations_
NDIS_STATUS VnetInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                           PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters) {
  PVNET_ADAPTER adapter;
  NDIS_MINIPORT_ADAPTER_ATTRIBUTES attributes;
  NDIS_OFFLOAD offload;
  NDIS_PNP_CAPABILITIES pnp;
  NET_BUFFER_LIST_POOL_PARAMETERS poolParameters;
  NDIS_TIMER_CHARACTERISTICS timerChars;
  NDIS_STATUS status;
  ULONG i, index;
  PVOID block;
  UNREFERENCED_PARAMETER(MiniportDriverContext);

  /* Hardware resources, as netvmini walks them: a virtual adapter has none. */
  if (MiniportInitParameters->AllocatedResources != NULL) {
    for (i = 0; i < MiniportInitParameters->AllocatedResources->Count; i++) {
      PCM_PARTIAL_RESOURCE_DESCRIPTOR resource = &MiniportInitParameters->AllocatedResources->PartialDescriptors[i];
      if (resource->Type == CmResourceTypeMemory || resource->Type == CmResourceTypePort)
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    }
  }
  /* The adapter on a cache line of its own (NdisGetSharedDataAlignment), as netvmini places it. */
  block = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(VNET_ADAPTER) + NdisGetSharedDataAlignment(),
                                            VNET_TAG, NormalPoolPriority);
  if (block == NULL) return NDIS_STATUS_RESOURCES;
  adapter = (PVNET_ADAPTER)ALIGN_UP_POINTER_BY(block, NdisGetSharedDataAlignment());
  NdisZeroMemory(adapter, sizeof(VNET_ADAPTER));
  adapter->AllocatedBlock = block;
  adapter->AdapterHandle = MiniportAdapterHandle;
  KeInitializeSpinLock(&adapter->SendPathLock);
  /* A virtual miniport has no device stack under it: NDIS gives NULL for each. */
  NdisMGetDeviceProperty(MiniportAdapterHandle, &adapter->Pdo, &adapter->Fdo, &adapter->NextDeviceObject, NULL, NULL);
  NdisAllocateSpinLock(&adapter->Lock);
  InitializeListHead(&adapter->FreeRcbs);
  adapter->State = VnetPaused;
  adapter->Lookahead = VNET_MAX_FRAME - 14;
  index = (ULONG)InterlockedIncrement(&AdapterCount);
  adapter->PermanentAddress[0] = 0x02;
  adapter->PermanentAddress[1] = 0x56;
  adapter->PermanentAddress[2] = 0x4e;
  adapter->PermanentAddress[3] = 0x45;
  adapter->PermanentAddress[4] = (UCHAR)(index >> 8);
  adapter->PermanentAddress[5] = (UCHAR)index;
  ETH_COPY_NETWORK_ADDRESS(adapter->CurrentAddress, adapter->PermanentAddress);
  ReadRegistry(adapter);
  if (((ULONG_PTR)adapter % NdisGetSharedDataAlignment()) != 0 || adapter->Pdo != NULL || adapter->Fdo != NULL ||
      adapter->NextDeviceObject != NULL) {
    FreeAdapter(adapter);
    return NDIS_STATUS_FAILURE;
  }

  do {
    NdisZeroMemory(&attributes, sizeof(attributes));
    attributes.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    attributes.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    attributes.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    attributes.RegistrationAttributes.MiniportAdapterContext = adapter;
    attributes.RegistrationAttributes.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM;
    attributes.RegistrationAttributes.CheckForHangTimeInSeconds = 0;
    attributes.RegistrationAttributes.InterfaceType = NdisInterfaceInternal;
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
    if (status != NDIS_STATUS_SUCCESS) break;

    NdisZeroMemory(&pnp, sizeof(pnp));
    NdisZeroMemory(&attributes, sizeof(attributes));
    attributes.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    attributes.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    attributes.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    attributes.GeneralAttributes.MediaType = NdisMedium802_3;
    attributes.GeneralAttributes.PhysicalMediumType = NdisPhysicalMedium802_3;
    attributes.GeneralAttributes.MtuSize = VNET_MTU;
    attributes.GeneralAttributes.MaxXmitLinkSpeed = VNET_LINK_SPEED;
    attributes.GeneralAttributes.XmitLinkSpeed = VNET_LINK_SPEED;
    attributes.GeneralAttributes.MaxRcvLinkSpeed = VNET_LINK_SPEED;
    attributes.GeneralAttributes.RcvLinkSpeed = VNET_LINK_SPEED;
    attributes.GeneralAttributes.MediaConnectState = MediaConnectStateConnected;
    attributes.GeneralAttributes.MediaDuplexState = MediaDuplexStateFull;
    attributes.GeneralAttributes.LookaheadSize = adapter->Lookahead;
    attributes.GeneralAttributes.PowerManagementCapabilities = &pnp;
    attributes.GeneralAttributes.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA |
                                              NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | NDIS_MAC_OPTION_NO_LOOPBACK;
    attributes.GeneralAttributes.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                                          NDIS_PACKET_TYPE_ALL_MULTICAST |
                                                          NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS;
    attributes.GeneralAttributes.MaxMulticastListSize = VNET_MAX_MULTICAST;
    attributes.GeneralAttributes.MacAddressLength = ETH_LENGTH_OF_ADDRESS;
    ETH_COPY_NETWORK_ADDRESS(attributes.GeneralAttributes.PermanentMacAddress, adapter->PermanentAddress);
    ETH_COPY_NETWORK_ADDRESS(attributes.GeneralAttributes.CurrentMacAddress, adapter->CurrentAddress);
    attributes.GeneralAttributes.RecvScaleCapabilities = NULL;
    attributes.GeneralAttributes.AccessType = NET_IF_ACCESS_BROADCAST;
    attributes.GeneralAttributes.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    attributes.GeneralAttributes.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    attributes.GeneralAttributes.IfType = IF_TYPE_ETHERNET_CSMACD;
    attributes.GeneralAttributes.IfConnectorPresent = TRUE;
    attributes.GeneralAttributes.SupportedStatistics = NDIS_STATISTICS_XMIT_OK_SUPPORTED |
                                                       NDIS_STATISTICS_RCV_OK_SUPPORTED |
                                                       NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED;
    attributes.GeneralAttributes.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    attributes.GeneralAttributes.AutoNegotiationFlags = NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
    attributes.GeneralAttributes.SupportedOidList = SupportedOids;
    attributes.GeneralAttributes.SupportedOidListLength = sizeof(SupportedOids);
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
    if (status != NDIS_STATUS_SUCCESS) break;

    /* No task offload: say so, as a miniport that does none does. */
    NdisZeroMemory(&offload, sizeof(offload));
    offload.Header.Type = NDIS_OBJECT_TYPE_OFFLOAD;
    offload.Header.Revision = NDIS_OFFLOAD_REVISION_1;
    offload.Header.Size = NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1;
    offload.Checksum.IPv4Transmit.Encapsulation = NDIS_ENCAPSULATION_NOT_SUPPORTED;
    offload.Checksum.IPv4Receive.Encapsulation = NDIS_ENCAPSULATION_NOT_SUPPORTED;
    NdisZeroMemory(&attributes, sizeof(attributes));
    attributes.OffloadAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES;
    attributes.OffloadAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1;
    attributes.OffloadAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1;
    attributes.OffloadAttributes.DefaultOffloadConfiguration = &offload;
    attributes.OffloadAttributes.HardwareOffloadCapabilities = &offload;
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
    if (status != NDIS_STATUS_SUCCESS) break;

    NdisZeroMemory(&poolParameters, sizeof(poolParameters));
    poolParameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    poolParameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    poolParameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    poolParameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    poolParameters.fAllocateNetBuffer = TRUE;
    poolParameters.PoolTag = VNET_TAG;
    /* With the miniport driver's handle, as netvmini allocates its receive pool. */
    adapter->RecvPool = NdisAllocateNetBufferListPool(MiniportDriverHandle, &poolParameters);
    adapter->Rcbs = (PVNET_RCB)NdisAllocateMemoryWithTagPriority(
        MiniportAdapterHandle, adapter->RcbCount * sizeof(VNET_RCB), VNET_TAG, NormalPoolPriority);
    adapter->Queue = (PVNET_FRAME)NdisAllocateMemoryWithTagPriority(
        MiniportAdapterHandle, VNET_HUB_QUEUE * sizeof(VNET_FRAME), VNET_TAG, NormalPoolPriority);
    if (adapter->RecvPool == NULL || adapter->Rcbs == NULL || adapter->Queue == NULL) {
      status = NDIS_STATUS_RESOURCES;
      break;
    }
    NdisZeroMemory(adapter->Rcbs, adapter->RcbCount * sizeof(VNET_RCB));
    for (i = 0; i < adapter->RcbCount; i++) {
      PVNET_RCB rcb = &adapter->Rcbs[i];
      rcb->Data = (PUCHAR)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, VNET_MAX_FRAME, VNET_TAG,
                                                            NormalPoolPriority);
      if (rcb->Data == NULL) break;
      rcb->Mdl = NdisAllocateMdl(MiniportAdapterHandle, rcb->Data, VNET_MAX_FRAME);
      if (rcb->Mdl == NULL) break;
      rcb->Nbl = NdisAllocateNetBufferAndNetBufferList(adapter->RecvPool, 0, 0, rcb->Mdl, 0, 0);
      if (rcb->Nbl == NULL) break;
      rcb->Nbl->SourceHandle = MiniportAdapterHandle;
      NET_BUFFER_LIST_MINIPORT_RESERVED(rcb->Nbl)[0] = rcb;
      InsertTailList(&adapter->FreeRcbs, &rcb->Link);
    }
    if (i < adapter->RcbCount) {
      status = NDIS_STATUS_RESOURCES;
      break;
    }

    NdisZeroMemory(&timerChars, sizeof(timerChars));
    timerChars.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    timerChars.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    timerChars.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    timerChars.AllocationTag = VNET_TAG;
    timerChars.TimerFunction = VnetReceiveDpc;
    timerChars.FunctionContext = adapter;
    status = NdisAllocateTimerObject(MiniportAdapterHandle, &timerChars, &adapter->RecvTimer);
    if (status != NDIS_STATUS_SUCCESS) break;

    adapter->Stats.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    adapter->Stats.Header.Revision = NDIS_STATISTICS_INFO_REVISION_1;
    adapter->Stats.Header.Size = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
    adapter->Stats.SupportedStatistics = NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV |
                                         NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV |
                                         NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT |
                                         NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT |
                                         NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS;
    HubAttach(adapter);
    return NDIS_STATUS_SUCCESS;
  } while (FALSE);
  FreeAdapter(adapter);
  return status;
}

_Use_decl_annotations_
VOID VnetHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  UNREFERENCED_PARAMETER(HaltAction);
  HubDetach(adapter);
  NdisCancelTimerObject(adapter->RecvTimer);
  ASSERT(adapter->RcbsOutstanding == 0);
  FreeAdapter(adapter);
}

_Use_decl_annotations_
NDIS_STATUS VnetPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(PauseParameters);
  NdisCancelTimerObject(adapter->RecvTimer);
  NdisAcquireSpinLock(&adapter->Lock);
  adapter->QueueCount = 0; /* what had not been indicated yet is dropped */
  if (adapter->RcbsOutstanding == 0) {
    adapter->State = VnetPaused;
    status = NDIS_STATUS_SUCCESS;
  } else {
    adapter->State = VnetPausing;
    status = NDIS_STATUS_PENDING;
  }
  NdisReleaseSpinLock(&adapter->Lock);
  return status;
}

_Use_decl_annotations_
NDIS_STATUS VnetRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  NDIS_STATUS_INDICATION indication;
  NDIS_LINK_STATE linkState;
  UNREFERENCED_PARAMETER(RestartParameters);
  NdisAcquireSpinLock(&adapter->Lock);
  adapter->State = VnetRunning;
  NdisReleaseSpinLock(&adapter->Lock);

  NdisZeroMemory(&linkState, sizeof(linkState));
  linkState.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
  linkState.Header.Revision = NDIS_LINK_STATE_REVISION_1;
  linkState.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
  linkState.MediaConnectState = MediaConnectStateConnected;
  linkState.MediaDuplexState = MediaDuplexStateFull;
  linkState.XmitLinkSpeed = linkState.RcvLinkSpeed = VNET_LINK_SPEED;
  linkState.PauseFunctions = NdisPauseFunctionsUnsupported;
  NdisZeroMemory(&indication, sizeof(indication));
  indication.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
  indication.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
  indication.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
  indication.SourceHandle = adapter->AdapterHandle;
  indication.StatusCode = NDIS_STATUS_LINK_STATE;
  indication.StatusBuffer = &linkState;
  indication.StatusBufferSize = sizeof(linkState);
  NdisMIndicateStatusEx(adapter->AdapterHandle, &indication);
  return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID VnetSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  BOOLEAN dispatchLevel = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags);
  PNET_BUFFER_LIST nbl;
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  KIRQL oldIrql = PASSIVE_LEVEL;
  UNREFERENCED_PARAMETER(PortNumber);

  /* netvmini's send path: at DISPATCH_LEVEL (raised by hand if need be), try the send path's own
     lock and count the sends that found it busy. */
  if (!dispatchLevel) KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
  if (KeTryToAcquireSpinLockAtDpcLevel(&adapter->SendPathLock)) {
    if (KeTryToAcquireSpinLockAtDpcLevel(&adapter->SendPathLock)) adapter->SendPathBusy++; /* never: held */
    KeReleaseSpinLockFromDpcLevel(&adapter->SendPathLock);
  } else {
    adapter->SendPathBusy++;
  }
  if (!dispatchLevel) KeLowerIrql(oldIrql);
  if (adapter->SendPathBusy != 0) {
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
      NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_RESOURCES;
    NdisMSendNetBufferListsComplete(adapter->AdapterHandle, NetBufferLists,
                                    dispatchLevel ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
    return;
  }

  if (dispatchLevel) NdisDprAcquireSpinLock(&adapter->Lock);
  else NdisAcquireSpinLock(&adapter->Lock);
  if (adapter->State != VnetRunning) status = NDIS_STATUS_PAUSED;
  if (dispatchLevel) NdisDprReleaseSpinLock(&adapter->Lock);
  else NdisReleaseSpinLock(&adapter->Lock);

  for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    PNET_BUFFER nb;
    if (status == NDIS_STATUS_SUCCESS) {
      for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
        HubTransmit(adapter, nb, dispatchLevel);
        adapter->Stats.ifHCOutUcastPkts++;
        adapter->Stats.ifHCOutOctets += NET_BUFFER_DATA_LENGTH(nb);
      }
    }
    NET_BUFFER_LIST_STATUS(nbl) = status;
  }
  NdisMSendNetBufferListsComplete(adapter->AdapterHandle, NetBufferLists,
                                  dispatchLevel ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}

/* The receive "DPC": what the hub queued goes up in the adapter's own NBLs. */
_Use_decl_annotations_
VOID VnetReceiveDpc(PVOID SystemSpecific1, PVOID FunctionContext, PVOID SystemSpecific2, PVOID SystemSpecific3) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)FunctionContext;
  PNET_BUFFER_LIST head = NULL, *tail = &head;
  ULONG count = 0;
  UNREFERENCED_PARAMETER(SystemSpecific1);
  UNREFERENCED_PARAMETER(SystemSpecific2);
  UNREFERENCED_PARAMETER(SystemSpecific3);

  NdisDprAcquireSpinLock(&adapter->Lock);
  while (adapter->State == VnetRunning && adapter->QueueCount > 0) {
    PVNET_FRAME frame = &adapter->Queue[adapter->QueueHead];
    PVNET_RCB rcb;
    if (IsListEmpty(&adapter->FreeRcbs)) {
      adapter->Stats.ifInDiscards++;
    } else {
      rcb = CONTAINING_RECORD(RemoveHeadList(&adapter->FreeRcbs), VNET_RCB, Link);
      NdisMoveMemory(rcb->Data, frame->Data, frame->Length);
      NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(rcb->Nbl)) = frame->Length;
      NET_BUFFER_LIST_NEXT_NBL(rcb->Nbl) = NULL;
      *tail = rcb->Nbl;
      tail = &NET_BUFFER_LIST_NEXT_NBL(rcb->Nbl);
      count++;
      adapter->RcbsOutstanding++;
      adapter->Stats.ifHCInUcastPkts++;
      adapter->Stats.ifHCInOctets += frame->Length;
    }
    adapter->QueueHead = (adapter->QueueHead + 1) % VNET_HUB_QUEUE;
    adapter->QueueCount--;
  }
  NdisDprReleaseSpinLock(&adapter->Lock);
  if (head != NULL)
    NdisMIndicateReceiveNetBufferLists(adapter->AdapterHandle, head, NDIS_DEFAULT_PORT_NUMBER, count,
                                       NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
}

_Use_decl_annotations_
VOID VnetReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  BOOLEAN dispatchLevel = NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(ReturnFlags);
  PNET_BUFFER_LIST nbl, next;
  BOOLEAN paused = FALSE;

  if (dispatchLevel) NdisDprAcquireSpinLock(&adapter->Lock);
  else NdisAcquireSpinLock(&adapter->Lock);
  for (nbl = NetBufferLists; nbl != NULL; nbl = next) {
    PVNET_RCB rcb = (PVNET_RCB)NET_BUFFER_LIST_MINIPORT_RESERVED(nbl)[0];
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
    NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
    InsertTailList(&adapter->FreeRcbs, &rcb->Link);
    adapter->RcbsOutstanding--;
  }
  if (adapter->State == VnetPausing && adapter->RcbsOutstanding == 0) {
    adapter->State = VnetPaused;
    paused = TRUE;
  }
  if (dispatchLevel) NdisDprReleaseSpinLock(&adapter->Lock);
  else NdisReleaseSpinLock(&adapter->Lock);
  if (paused) NdisMPauseComplete(adapter->AdapterHandle);
}

_Use_decl_annotations_
VOID VnetCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(CancelId); /* sends complete at once: nothing is ever queued */
}

_Use_decl_annotations_
VOID VnetDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

_Use_decl_annotations_
VOID VnetShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(ShutdownAction);
}

_Use_decl_annotations_
VOID VnetCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(RequestId); /* every request is answered at once */
}

static NDIS_STATUS QueryInformation(PVNET_ADAPTER adapter, PNDIS_OID_REQUEST request) {
  PVOID buffer = request->DATA.QUERY_INFORMATION.InformationBuffer;
  ULONG bufferLength = request->DATA.QUERY_INFORMATION.InformationBufferLength;
  PVOID source = NULL;
  ULONG length = sizeof(ULONG), ulong = 0;
  NDIS_INTERRUPT_MODERATION_PARAMETERS moderation;
  NDIS_STATISTICS_INFO stats;

  switch (request->DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_SUPPORTED_LIST:
      source = SupportedOids;
      length = sizeof(SupportedOids);
      break;
    case OID_GEN_VENDOR_DRIVER_VERSION:
      ulong = VNET_VENDOR_DRIVER_VERSION;
      break;
    case OID_GEN_CURRENT_PACKET_FILTER:
      ulong = adapter->PacketFilter;
      break;
    case OID_GEN_CURRENT_LOOKAHEAD:
      ulong = adapter->Lookahead;
      break;
    case OID_802_3_PERMANENT_ADDRESS:
      source = adapter->PermanentAddress;
      length = ETH_LENGTH_OF_ADDRESS;
      break;
    case OID_802_3_CURRENT_ADDRESS:
      source = adapter->CurrentAddress;
      length = ETH_LENGTH_OF_ADDRESS;
      break;
    case OID_802_3_MAXIMUM_LIST_SIZE:
      ulong = VNET_MAX_MULTICAST;
      break;
    case OID_GEN_INTERRUPT_MODERATION:
      NdisZeroMemory(&moderation, sizeof(moderation));
      moderation.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
      moderation.Header.Revision = NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
      moderation.Header.Size = NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
      moderation.InterruptModeration = NdisInterruptModerationNotSupported;
      source = &moderation;
      length = sizeof(moderation);
      break;
    case OID_GEN_STATISTICS:
      NdisAcquireSpinLock(&adapter->Lock);
      stats = adapter->Stats;
      NdisReleaseSpinLock(&adapter->Lock);
      source = &stats;
      length = sizeof(stats);
      break;
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
  if (source == NULL) source = &ulong;
  if (bufferLength < length) {
    request->DATA.QUERY_INFORMATION.BytesNeeded = length;
    return NDIS_STATUS_BUFFER_TOO_SHORT;
  }
  NdisMoveMemory(buffer, source, length);
  request->DATA.QUERY_INFORMATION.BytesWritten = length;
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS SetInformation(PVNET_ADAPTER adapter, PNDIS_OID_REQUEST request) {
  PVOID buffer = request->DATA.SET_INFORMATION.InformationBuffer;
  ULONG length = request->DATA.SET_INFORMATION.InformationBufferLength;
  switch (request->DATA.SET_INFORMATION.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
      if (length < sizeof(ULONG)) {
        request->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
        return NDIS_STATUS_INVALID_LENGTH;
      }
      NdisAcquireSpinLock(&adapter->Lock);
      adapter->PacketFilter = *(PULONG)buffer;
      NdisReleaseSpinLock(&adapter->Lock);
      request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
      return NDIS_STATUS_SUCCESS;
    case OID_GEN_CURRENT_LOOKAHEAD:
      if (length < sizeof(ULONG)) return NDIS_STATUS_INVALID_LENGTH;
      adapter->Lookahead = *(PULONG)buffer;
      request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
      return NDIS_STATUS_SUCCESS;
    case OID_802_3_MULTICAST_LIST:
      if (length % ETH_LENGTH_OF_ADDRESS != 0) return NDIS_STATUS_INVALID_LENGTH;
      if (length / ETH_LENGTH_OF_ADDRESS > VNET_MAX_MULTICAST) return NDIS_STATUS_MULTICAST_FULL;
      {
        ULONG a;
        for (a = 0; a < length; a += ETH_LENGTH_OF_ADDRESS)
          if (!ETH_IS_MULTICAST((PUCHAR)buffer + a)) return NDIS_STATUS_INVALID_ADDRESS;
      }
      NdisAcquireSpinLock(&adapter->Lock);
      NdisMoveMemory(adapter->MulticastList, buffer, length);
      adapter->MulticastCount = length / ETH_LENGTH_OF_ADDRESS;
      NdisReleaseSpinLock(&adapter->Lock);
      request->DATA.SET_INFORMATION.BytesRead = length;
      return NDIS_STATUS_SUCCESS;
    case OID_GEN_INTERRUPT_MODERATION:
      return NDIS_STATUS_INVALID_DATA;
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

_Use_decl_annotations_
NDIS_STATUS VnetOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST NdisRequest) {
  PVNET_ADAPTER adapter = (PVNET_ADAPTER)MiniportAdapterContext;
  switch (NdisRequest->RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
      return QueryInformation(adapter, NdisRequest);
    case NdisRequestSetInformation:
      return SetInformation(adapter, NdisRequest);
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}
