/*
 * cpassthru, protocol (lower) edge. Bind: open the adapter, then ask NDIS for the virtual
 * miniport over it (NdisIMInitializeDeviceInstanceEx). Unbind: cancel that request if the
 * miniport has not started, otherwise de-initialize it and finish the unbind from MiniportHaltEx.
 */
#include "passthrough.h"

static void PtStartVelan(PADAPT Adapt) {
  /* NOT_ACCEPTED (already wanted) is fine; any other failure leaves the binding without a VELAN. */
  NdisIMInitializeDeviceInstanceEx(Globals.MiniportDriverHandle, &Adapt->DeviceInstance, Adapt);
}

static void PtForget(PADAPT Adapt) {
  NdisAcquireSpinLock(&Globals.Lock);
  RemoveEntryList(&Adapt->Link);
  NdisReleaseSpinLock(&Globals.Lock);
  NdisFreeMemory(Adapt, 0, 0);
}

/* The VELAN's instance name: the lower adapter's name and "-pt". */
static void PtSetDeviceInstance(PADAPT Adapt, PNDIS_STRING AdapterName) {
  USHORT chars = AdapterName->Length / sizeof(WCHAR);
  USHORT i;
  static const WCHAR suffix[] = L"-pt";
  if (chars > PT_INSTANCE_CHARS - 4) chars = PT_INSTANCE_CHARS - 4;
  for (i = 0; i < chars; i++) Adapt->DeviceInstanceBuffer[i] = AdapterName->Buffer[i];
  for (i = 0; i < 3; i++) Adapt->DeviceInstanceBuffer[chars + i] = suffix[i];
  Adapt->DeviceInstance.Buffer = Adapt->DeviceInstanceBuffer;
  Adapt->DeviceInstance.Length = (USHORT)((chars + 3) * sizeof(WCHAR));
  Adapt->DeviceInstance.MaximumLength = sizeof(Adapt->DeviceInstanceBuffer);
}

/*
 * ProtocolBindAdapterEx (PASSIVE_LEVEL): opens the adapter and asks for the virtual miniport.
 * Returns the open's failure, SUCCESS, or PENDING when NDIS pended the open (the bind then
 * completes from ProtocolOpenAdapterCompleteEx).
 */
_Use_decl_annotations_
NDIS_STATUS PtBindAdapter(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                          PNDIS_BIND_PARAMETERS BindParameters) {
  PADAPT adapt;
  NDIS_OPEN_PARAMETERS open;
  NDIS_MEDIUM medium = NdisMedium802_3;
  UINT selected = 0;
  NDIS_STATUS status;

  UNREFERENCED_PARAMETER(ProtocolDriverContext);
  adapt = (PADAPT)NdisAllocateMemoryWithTagPriority(Globals.ProtocolHandle, sizeof(ADAPT), PT_TAG_ADAPT,
                                                    NormalPoolPriority);
  if (adapt == NULL) return NDIS_STATUS_RESOURCES;
  NdisZeroMemory(adapt, sizeof(ADAPT));
  adapt->BindContext = BindContext;
  adapt->MediaType = BindParameters->MediaType;
  adapt->PhysicalMediumType = BindParameters->PhysicalMediumType;
  adapt->MtuSize = BindParameters->MtuSize;
  adapt->MaxXmitLinkSpeed = BindParameters->MaxXmitLinkSpeed;
  adapt->XmitLinkSpeed = BindParameters->XmitLinkSpeed;
  adapt->MaxRcvLinkSpeed = BindParameters->MaxRcvLinkSpeed;
  adapt->RcvLinkSpeed = BindParameters->RcvLinkSpeed;
  adapt->MediaConnectState = BindParameters->MediaConnectState;
  adapt->MediaDuplexState = BindParameters->MediaDuplexState;
  adapt->LookaheadSize = BindParameters->LookaheadSize;
  adapt->SupportedPacketFilters = BindParameters->SupportedPacketFilters;
  adapt->MaxMulticastListSize = BindParameters->MaxMulticastListSize;
  adapt->MacAddressLength = BindParameters->MacAddressLength;
  NdisMoveMemory(adapt->CurrentMacAddress, BindParameters->CurrentMacAddress, NDIS_MAX_PHYS_ADDRESS_LENGTH);
  adapt->AccessType = BindParameters->AccessType;
  adapt->DirectionType = BindParameters->DirectionType;
  adapt->ConnectionType = BindParameters->ConnectionType;
  adapt->IfType = BindParameters->IfType;
  adapt->DataBackFillSize = BindParameters->DataBackFillSize;
  adapt->ContextBackFillSize = BindParameters->ContextBackFillSize;
  PtSetDeviceInstance(adapt, BindParameters->AdapterName);

  NdisZeroMemory(&open, sizeof(open));
  open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
  open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
  open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
  open.AdapterName = BindParameters->AdapterName;
  open.MediumArray = &medium;
  open.MediumArraySize = 1;
  open.SelectedMediumIndex = &selected;
  status = NdisOpenAdapterEx(Globals.ProtocolHandle, adapt, &open, BindContext, &adapt->BindingHandle);
  if (status != NDIS_STATUS_SUCCESS && status != NDIS_STATUS_PENDING) {
    NdisFreeMemory(adapt, 0, 0);
    return status;
  }
  NdisAcquireSpinLock(&Globals.Lock);
  InsertTailList(&Globals.Adapters, &adapt->Link);
  NdisReleaseSpinLock(&Globals.Lock);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  adapt->BindContext = NULL;
  PtStartVelan(adapt);
  return NDIS_STATUS_SUCCESS;
}

/* ProtocolOpenAdapterCompleteEx: finishes a bind whose open NDIS pended. */
_Use_decl_annotations_
void PtOpenAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  NDIS_HANDLE bindContext = adapt->BindContext;
  adapt->BindContext = NULL;
  if (Status == NDIS_STATUS_SUCCESS)
    PtStartVelan(adapt);
  else
    PtForget(adapt);
  NdisCompleteBindAdapterEx(bindContext, Status);
}

/*
 * ProtocolUnbindAdapterEx: on a Paused binding; cannot fail. SUCCESS when nothing was started
 * above, PENDING while the virtual miniport is torn down (completed from MiniportHaltEx, or from
 * ProtocolCloseAdapterCompleteEx if NDIS pends the close).
 */
_Use_decl_annotations_
NDIS_STATUS PtUnbindAdapter(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  adapt->UnbindContext = UnbindContext;
  if (adapt->Velan == NULL) {
    /* Not started yet (or it failed): withdraw the request. If it is too late but the VELAN
       still does not exist, its initialization failed: there is nothing to wait for either. */
    NdisIMCancelInitializeDeviceInstance(Globals.MiniportDriverHandle, &adapt->DeviceInstance);
  }
  if (adapt->Velan == NULL) return PtCloseLower(adapt, FALSE);
  NdisIMDeInitializeDeviceInstance(adapt->Velan->MiniportAdapterHandle);
  return NDIS_STATUS_PENDING;
}

/* Closes the lower binding once nothing above depends on it; `Pended`: the unbind returned PENDING. */
NDIS_STATUS PtCloseLower(PADAPT Adapt, BOOLEAN Pended) {
  NDIS_HANDLE unbindContext = Adapt->UnbindContext;
  NDIS_STATUS status = NdisCloseAdapterEx(Adapt->BindingHandle);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING; /* ProtocolCloseAdapterCompleteEx finishes */
  PtForget(Adapt);
  if (Pended) NdisCompleteUnbindAdapterEx(unbindContext);
  return NDIS_STATUS_SUCCESS;
}

/* ProtocolCloseAdapterCompleteEx: a close NDIS pended is done; so is the unbind. */
_Use_decl_annotations_
void PtCloseAdapterComplete(NDIS_HANDLE ProtocolBindingContext) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  NDIS_HANDLE unbindContext = adapt->UnbindContext;
  PtForget(adapt);
  NdisCompleteUnbindAdapterEx(unbindContext);
}

static BOOLEAN PtSameName(PNDIS_STRING A, PNDIS_STRING B) {
  return (BOOLEAN)(A->Length == B->Length && NdisEqualMemory(A->Buffer, B->Buffer, A->Length));
}

/* Passes a binding event up to the VELAN's protocols; for the query-remove their answer is the answer. */
static NDIS_STATUS PtPropagate(PVELAN Velan, PNET_PNP_EVENT_NOTIFICATION Notification) {
  NET_PNP_EVENT_CODE code = Notification->NetPnPEvent.NetEvent;
  NDIS_STATUS status = NdisMNetPnPEvent(Velan->MiniportAdapterHandle, Notification);
  return code == NetEventQueryRemoveDevice ? status : NDIS_STATUS_SUCCESS;
}

/*
 * ProtocolNetPnPEvent (PASSIVE_LEVEL).
 * - NetEventIMReEnableDevice (no binding context, the instance name in the buffer): ask again.
 * - A pause of the binding pends until the sends forwarded down it have completed.
 * - Query-remove and reconfigure events go up to the protocols above the VELAN with
 *   NdisMNetPnPEvent; for the query their answer is the binding's. Power events do not: NDIS
 *   sends them to the VELAN's protocols itself as the VELAN sleeps and wakes. While the VELAN has
 *   OID requests pended below, the event pends and goes up when the last completes.
 */
_Use_decl_annotations_
NDIS_STATUS PtNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  PNET_PNP_EVENT event = &NetPnPEventNotification->NetPnPEvent;

  if (event->NetEvent == NetEventIMReEnableDevice) {
    PLIST_ENTRY link;
    for (link = Globals.Adapters.Flink; link != &Globals.Adapters; link = link->Flink) {
      PADAPT candidate = CONTAINING_RECORD(link, ADAPT, Link);
      if (PtSameName(&candidate->DeviceInstance, (PNDIS_STRING)event->Buffer)) {
        PtStartVelan(candidate);
        break;
      }
    }
    return NDIS_STATUS_SUCCESS;
  }
  if (adapt != NULL && event->NetEvent == NetEventPause && adapt->SendsOutstanding > 0) {
    adapt->PendingPause = NetPnPEventNotification;
    return NDIS_STATUS_PENDING;
  }
  if (adapt != NULL && adapt->Velan != NULL &&
      (event->NetEvent == NetEventQueryRemoveDevice || event->NetEvent == NetEventCancelRemoveDevice ||
       event->NetEvent == NetEventReconfigure)) {
    if (adapt->Velan->OidsOutstanding > 0) {
      /* NdisMNetPnPEvent may not be called while the VELAN has an OID request pended: passed up
         once the last one completes (PtOidRequestComplete). */
      adapt->DeferredEvent = NetPnPEventNotification;
      return NDIS_STATUS_PENDING;
    }
    return PtPropagate(adapt->Velan, NetPnPEventNotification);
  }
  return NDIS_STATUS_SUCCESS;
}

/* The VELAN's last pended OID request completed: pass up the event that waited for it. */
void PtPropagateDeferred(PVELAN Velan) {
  PADAPT adapt = Velan->Adapt;
  PNET_PNP_EVENT_NOTIFICATION notification = adapt->DeferredEvent;
  NDIS_STATUS status;
  if (notification == NULL || Velan->OidsOutstanding > 0) return;
  adapt->DeferredEvent = NULL;
  status = PtPropagate(Velan, notification);
  NdisCompleteNetPnPEvent(adapt->BindingHandle, notification, status);
}

/*
 * ProtocolStatusEx: re-indicates the lower adapter's link state on the VELAN (only
 * NDIS_STATUS_LINK_STATE goes up). <= DISPATCH_LEVEL.
 */
_Use_decl_annotations_
void PtStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  NDIS_STATUS_INDICATION up;
  if (StatusIndication->StatusCode != NDIS_STATUS_LINK_STATE || adapt->Velan == NULL) return;
  up = *StatusIndication;
  up.SourceHandle = adapt->Velan->MiniportAdapterHandle;
  up.DestinationHandle = NULL;
  up.RequestId = NULL;
  NdisMIndicateStatusEx(adapt->Velan->MiniportAdapterHandle, &up);
}
