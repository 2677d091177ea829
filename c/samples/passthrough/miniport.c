/*
 * cpassthru, miniport (upper) edge: the virtual miniport (VELAN) over each binding. It reports
 * the attributes of the adapter below it; sends and receives are in datapath.c, OIDs in oid.c.
 */
#include "passthrough.h"

/*
 * MiniportInitializeEx: NDIS starts the VELAN a binding asked for (PASSIVE_LEVEL). Registration
 * attributes with NO_HALT_ON_SUSPEND, as IM virtual miniports must; general attributes copied
 * from the lower adapter.
 */
_Use_decl_annotations_
NDIS_STATUS MPInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                         PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters) {
  PADAPT adapt = (PADAPT)MiniportInitParameters->IMDeviceInstanceContext;
  NDIS_MINIPORT_ADAPTER_ATTRIBUTES attributes;
  PVELAN velan;
  NDIS_STATUS status;
  UCHAR minor = (UCHAR)(NdisGetVersion() & 0xFF);

  UNREFERENCED_PARAMETER(MiniportDriverContext);
  if (adapt == NULL) return NDIS_STATUS_FAILURE;
  velan = (PVELAN)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(VELAN), PT_TAG_ADAPT,
                                                    NormalPoolPriority);
  if (velan == NULL) return NDIS_STATUS_RESOURCES;
  NdisZeroMemory(velan, sizeof(VELAN));
  velan->Adapt = adapt;
  velan->MiniportAdapterHandle = MiniportAdapterHandle;
  velan->Paused = TRUE;

  NdisZeroMemory(&attributes, sizeof(attributes));
  attributes.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
  attributes.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
  attributes.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
  attributes.RegistrationAttributes.MiniportAdapterContext = velan;
  attributes.RegistrationAttributes.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
  attributes.RegistrationAttributes.InterfaceType = NdisInterfaceInternal;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
  if (status != NDIS_STATUS_SUCCESS) goto fail;

  NdisZeroMemory(&attributes, sizeof(attributes));
  attributes.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
  if (minor >= 20) {
    attributes.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    attributes.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
  } else {
    attributes.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    attributes.GeneralAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
  }
  attributes.GeneralAttributes.MediaType = adapt->MediaType;
  attributes.GeneralAttributes.PhysicalMediumType = adapt->PhysicalMediumType;
  attributes.GeneralAttributes.MtuSize = adapt->MtuSize;
  attributes.GeneralAttributes.MaxXmitLinkSpeed = adapt->MaxXmitLinkSpeed;
  attributes.GeneralAttributes.XmitLinkSpeed = adapt->XmitLinkSpeed;
  attributes.GeneralAttributes.MaxRcvLinkSpeed = adapt->MaxRcvLinkSpeed;
  attributes.GeneralAttributes.RcvLinkSpeed = adapt->RcvLinkSpeed;
  attributes.GeneralAttributes.MediaConnectState = adapt->MediaConnectState;
  attributes.GeneralAttributes.MediaDuplexState = adapt->MediaDuplexState;
  attributes.GeneralAttributes.LookaheadSize = adapt->LookaheadSize;
  attributes.GeneralAttributes.SupportedPacketFilters = adapt->SupportedPacketFilters;
  attributes.GeneralAttributes.MaxMulticastListSize = adapt->MaxMulticastListSize;
  attributes.GeneralAttributes.MacAddressLength = adapt->MacAddressLength;
  NdisMoveMemory(attributes.GeneralAttributes.PermanentMacAddress, adapt->CurrentMacAddress,
                 NDIS_MAX_PHYS_ADDRESS_LENGTH);
  NdisMoveMemory(attributes.GeneralAttributes.CurrentMacAddress, adapt->CurrentMacAddress,
                 NDIS_MAX_PHYS_ADDRESS_LENGTH);
  attributes.GeneralAttributes.AccessType = adapt->AccessType;
  attributes.GeneralAttributes.DirectionType = adapt->DirectionType;
  attributes.GeneralAttributes.ConnectionType = adapt->ConnectionType;
  attributes.GeneralAttributes.IfType = adapt->IfType;
  attributes.GeneralAttributes.IfConnectorPresent = FALSE;
  /* Sends go down as they came: the room the drivers below want in front of the data is what the
     protocols above should leave; in the context area, that plus ours. */
  attributes.GeneralAttributes.DataBackFillSize = adapt->DataBackFillSize;
  attributes.GeneralAttributes.ContextBackFillSize = adapt->ContextBackFillSize + PT_CONTEXT_SIZE;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attributes);
  if (status != NDIS_STATUS_SUCCESS) goto fail;
  adapt->Velan = velan;
  return NDIS_STATUS_SUCCESS;

fail:
  NdisFreeMemory(velan, 0, 0);
  return status;
}

/*
 * MiniportHaltEx: from Paused with nothing outstanding (PASSIVE_LEVEL). Unlinks the VELAN from
 * its binding; an unbind waiting for this halt then closes the binding and completes.
 */
_Use_decl_annotations_
void MPHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction) {
  PVELAN velan = (PVELAN)MiniportAdapterContext;
  PADAPT adapt = velan->Adapt;
  UNREFERENCED_PARAMETER(HaltAction);
  adapt->Velan = NULL;
  NdisFreeMemory(velan, 0, 0);
  if (adapt->UnbindContext != NULL) PtCloseLower(adapt, TRUE);
}

/* MiniportDriverUnload: the protocol edge first, then the miniport edge. */
_Use_decl_annotations_
void MPDriverUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  if (Globals.ProtocolHandle != NULL) NdisDeregisterProtocolDriver(Globals.ProtocolHandle);
  if (Globals.MiniportDriverHandle != NULL) NdisMDeregisterMiniportDriver(Globals.MiniportDriverHandle);
  NdisFreeSpinLock(&Globals.Lock);
}

/*
 * MiniportPause: stop forwarding; PENDING until every send forwarded down has completed and
 * every receive indicated up has come back (then NdisMPauseComplete). Never fails.
 */
_Use_decl_annotations_
NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters) {
  PVELAN velan = (PVELAN)MiniportAdapterContext;
  UNREFERENCED_PARAMETER(PauseParameters);
  velan->Paused = TRUE;
#ifdef PT_BUG_PAUSE_SUCCESS
  /* The deliberate bug of the broken copy (-DPT_BUG_PAUSE_SUCCESS): a pause that does not wait
     for the sends and receives still out, as in Microsoft's MUX sample. */
  return NDIS_STATUS_SUCCESS;
#endif
  if (velan->SendsOutstanding == 0 && velan->ReceivesOutstanding == 0) return NDIS_STATUS_SUCCESS;
  velan->PausePending = TRUE;
  return NDIS_STATUS_PENDING;
}

_Use_decl_annotations_
NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters) {
  UNREFERENCED_PARAMETER(RestartParameters);
  ((PVELAN)MiniportAdapterContext)->Paused = FALSE;
  return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
void MPDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

/* A virtual miniport has no hardware to quiesce. */
_Use_decl_annotations_
void MPShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(ShutdownAction);
}
