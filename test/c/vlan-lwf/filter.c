/*
 * vlanlwf: registration, attach/detach, pause/restart, OIDs, status, timer and work item.
 * (The data path is in datapath.c, the control device in device.c.)
 */
#include "precomp.h"

#pragma NDIS_INIT_FUNCTION(DriverEntry)

#ifdef ALLOC_PRAGMA
#pragma alloc_text(PAGE, FilterUnload)
#pragma alloc_text(PAGE, FilterAttach)
#pragma alloc_text(PAGE, FilterDetach)
#endif

NDIS_HANDLE FilterDriverHandle;
NDIS_HANDLE FilterDriverObject;
PNDIS_RW_LOCK_EX FilterListLock;
LIST_ENTRY FilterModuleList;

static ULONG ReadUlongParameter(NDIS_HANDLE Config, PCWSTR Name, ULONG Default) {
  NDIS_STATUS status;
  PNDIS_CONFIGURATION_PARAMETER value = NULL;
  NDIS_STRING keyword;
  NdisInitUnicodeString(&keyword, Name);
  NdisReadConfiguration(&status, &value, Config, &keyword, NdisParameterInteger);
  if (status != NDIS_STATUS_SUCCESS || value == NULL) return Default;
  return value->ParameterData.IntegerData;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_STATUS status;
  NDIS_FILTER_DRIVER_CHARACTERISTICS fChars;
  NDIS_STRING serviceName = RTL_CONSTANT_STRING(FILTER_SERVICE_NAME);
  NDIS_STRING uniqueName = RTL_CONSTANT_STRING(FILTER_UNIQUE_NAME);
  NDIS_STRING friendlyName = RTL_CONSTANT_STRING(FILTER_FRIENDLY_NAME);

  UNREFERENCED_PARAMETER(RegistryPath);
  DEBUGP(DPFLTR_TRACE_LEVEL, "===>DriverEntry\n");
  FilterDriverObject = DriverObject;

  NdisZeroMemory(&fChars, sizeof(NDIS_FILTER_DRIVER_CHARACTERISTICS));
  fChars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
  fChars.Header.Size = sizeof(NDIS_FILTER_DRIVER_CHARACTERISTICS);
#if NDIS_SUPPORT_NDIS61
  fChars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
#else
  fChars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_1;
#endif
  fChars.MajorNdisVersion = NDIS_FILTER_MAJOR_VERSION;
  fChars.MinorNdisVersion = NDIS_FILTER_MINOR_VERSION;
  fChars.MajorDriverVersion = 1;
  fChars.MinorDriverVersion = 0;
  fChars.Flags = 0;
  fChars.FriendlyName = friendlyName;
  fChars.UniqueName = uniqueName;
  fChars.ServiceName = serviceName;
  fChars.SetOptionsHandler = FilterRegisterOptions;
  fChars.SetFilterModuleOptionsHandler = FilterSetModuleOptions;
  fChars.AttachHandler = FilterAttach;
  fChars.DetachHandler = FilterDetach;
  fChars.RestartHandler = FilterRestart;
  fChars.PauseHandler = FilterPause;
  fChars.OidRequestHandler = FilterOidRequest;
  fChars.OidRequestCompleteHandler = FilterOidRequestComplete;
  fChars.CancelOidRequestHandler = FilterCancelOidRequest;
  fChars.StatusHandler = FilterStatus;
  fChars.NetPnPEventHandler = FilterNetPnPEvent;
  fChars.DevicePnPEventNotifyHandler = FilterDevicePnPEventNotify;
  fChars.SendNetBufferListsHandler = FilterSendNetBufferLists;
  fChars.SendNetBufferListsCompleteHandler = FilterSendNetBufferListsComplete;
  fChars.CancelSendNetBufferListsHandler = FilterCancelSendNetBufferLists;
  fChars.ReceiveNetBufferListsHandler = FilterReceiveNetBufferLists;
  fChars.ReturnNetBufferListsHandler = FilterReturnNetBufferLists;

  DriverObject->DriverUnload = FilterUnload;
  InitializeListHead(&FilterModuleList);

  status = NdisFRegisterFilterDriver(DriverObject, (NDIS_HANDLE)FilterDriverObject, &fChars, &FilterDriverHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    DEBUGP(DPFLTR_ERROR_LEVEL, "Register filter driver failed: %x\n", status);
    return status;
  }
  FilterListLock = NdisAllocateRWLock(FilterDriverHandle);
  if (FilterListLock == NULL) {
    NdisFDeregisterFilterDriver(FilterDriverHandle);
    return NDIS_STATUS_RESOURCES;
  }
  status = FilterRegisterDevice();
  if (status != NDIS_STATUS_SUCCESS) {
    NdisFreeRWLock(FilterListLock);
    NdisFDeregisterFilterDriver(FilterDriverHandle);
    return status;
  }
  DEBUGP(DPFLTR_TRACE_LEVEL, "<===DriverEntry, Status = %8x\n", status);
  return status;
}

_Use_decl_annotations_
VOID FilterUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  PAGED_CODE();
  FilterDeregisterDevice();
  ASSERT(IsListEmpty(&FilterModuleList));
  NdisFreeRWLock(FilterListLock);
  NdisFDeregisterFilterDriver(FilterDriverHandle);
}

/* NDIS calls it inside NdisFRegisterFilterDriver, with the handle it has given the caller already. */
_Use_decl_annotations_
NDIS_STATUS FilterRegisterOptions(NDIS_HANDLE NdisFilterDriverHandle, NDIS_HANDLE FilterDriverContext) {
  if (NdisFilterDriverHandle != FilterDriverHandle || FilterDriverContext != (NDIS_HANDLE)FilterDriverObject)
    return NDIS_STATUS_INVALID_PARAMETER;
  return NDIS_STATUS_SUCCESS;
}

/* Before the module first restarts: a module configured to bypass receives takes itself off that path. */
_Use_decl_annotations_
NDIS_STATUS FilterSetModuleOptions(NDIS_HANDLE FilterModuleContext) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NDIS_FILTER_PARTIAL_CHARACTERISTICS optional;
  if (!pFilter->BypassReceives) return NDIS_STATUS_SUCCESS;
  NdisZeroMemory(&optional, sizeof(optional));
  optional.Header.Type = NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS;
  optional.Header.Revision = NDIS_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1;
  optional.Header.Size = NDIS_SIZEOF_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1;
  optional.SendNetBufferListsHandler = FilterSendNetBufferLists;
  optional.SendNetBufferListsCompleteHandler = FilterSendNetBufferListsComplete;
  optional.CancelSendNetBufferListsHandler = FilterCancelSendNetBufferLists;
  optional.ReceiveNetBufferListsHandler = NULL;
  optional.ReturnNetBufferListsHandler = NULL;
  return NdisSetOptionalHandlers(pFilter->FilterHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&optional);
}

_Use_decl_annotations_
NDIS_STATUS FilterAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                         PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters) {
  PLWF_FILTER pFilter = NULL;
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  NDIS_FILTER_ATTRIBUTES filterAttributes;
  NDIS_CONFIGURATION_OBJECT configObject;
  NDIS_HANDLE config = NULL;
  NET_BUFFER_LIST_POOL_PARAMETERS poolParameters;
  NDIS_TIMER_CHARACTERISTICS timerChars;
  LOCK_STATE_EX lockState;
  ULONG size;
  BOOLEAN bFalse = FALSE;

  PAGED_CODE();
  do {
    ASSERT(FilterDriverContext == (NDIS_HANDLE)FilterDriverObject);
    if (FilterDriverContext != (NDIS_HANDLE)FilterDriverObject) {
      status = NDIS_STATUS_INVALID_PARAMETER;
      break;
    }
    if (AttachParameters->MiniportMediaType != NdisMedium802_3) {
      status = NDIS_STATUS_INVALID_PARAMETER;
      break;
    }
    size = sizeof(LWF_FILTER) + AttachParameters->BaseMiniportInstanceName->Length;
    pFilter = (PLWF_FILTER)FILTER_ALLOC_MEM(NdisFilterHandle, size);
    if (pFilter == NULL) {
      status = NDIS_STATUS_RESOURCES;
      break;
    }
    NdisZeroMemory(pFilter, sizeof(LWF_FILTER));
    pFilter->FilterModuleName.Length = pFilter->FilterModuleName.MaximumLength =
        AttachParameters->BaseMiniportInstanceName->Length;
    pFilter->FilterModuleName.Buffer = (PWSTR)((PUCHAR)pFilter + sizeof(LWF_FILTER));
    NdisMoveMemory(pFilter->FilterModuleName.Buffer, AttachParameters->BaseMiniportInstanceName->Buffer,
                   pFilter->FilterModuleName.Length);
    pFilter->MiniportIfIndex = AttachParameters->BaseMiniportIfIndex;
    pFilter->FilterHandle = NdisFilterHandle;
    FILTER_INIT_LOCK(&pFilter->Lock);
    NdisInitializeEvent(&pFilter->PauseDone);

    /* The module's parameters: which frames to tag, with which VLAN, and which to drop. */
    NdisZeroMemory(&configObject, sizeof(configObject));
    configObject.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    configObject.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    configObject.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    configObject.NdisHandle = NdisFilterHandle;
    configObject.Flags = 0;
    status = NdisOpenConfigurationEx(&configObject, &config);
    if (status != NDIS_STATUS_SUCCESS) break;
    pFilter->VlanId = (USHORT)(ReadUlongParameter(config, L"VlanId", 5) & 0x0fff);
    pFilter->TagEtherType = (USHORT)ReadUlongParameter(config, L"TagEtherType", 0x88b5);
    pFilter->DropEtherType = (USHORT)ReadUlongParameter(config, L"DropEtherType", 0x88b6);
    pFilter->ReflectEtherType = (USHORT)ReadUlongParameter(config, L"ReflectEtherType", 0x88b8);
    pFilter->BypassReceives = ReadUlongParameter(config, L"BypassReceives", 0) != 0;
    NdisCloseConfiguration(config);
    pFilter->Stats.VlanId = pFilter->VlanId;
    pFilter->Stats.TagEtherType = pFilter->TagEtherType;
    pFilter->Stats.DropEtherType = pFilter->DropEtherType;
    pFilter->Stats.ReflectEtherType = pFilter->ReflectEtherType;

    NdisZeroMemory(&poolParameters, sizeof(poolParameters));
    poolParameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    poolParameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    poolParameters.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    poolParameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    poolParameters.fAllocateNetBuffer = TRUE;
    poolParameters.ContextSize = 0;
    poolParameters.PoolTag = FILTER_POOL_TAG;
    poolParameters.DataSize = 0;
    pFilter->NblPool = NdisAllocateNetBufferListPool(NdisFilterHandle, &poolParameters);
    if (pFilter->NblPool == NULL) {
      status = NDIS_STATUS_RESOURCES;
      break;
    }

    NdisZeroMemory(&timerChars, sizeof(timerChars));
    timerChars.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    timerChars.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    timerChars.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    timerChars.AllocationTag = FILTER_ALLOC_TAG;
    timerChars.TimerFunction = FilterStatsTimer;
    timerChars.FunctionContext = pFilter;
    status = NdisAllocateTimerObject(NdisFilterHandle, &timerChars, &pFilter->Timer);
    if (status != NDIS_STATUS_SUCCESS) break;

    pFilter->WorkItem = NdisAllocateIoWorkItem(NdisFilterHandle);
    if (pFilter->WorkItem == NULL) {
      status = NDIS_STATUS_RESOURCES;
      break;
    }

    NdisZeroMemory(&filterAttributes, sizeof(NDIS_FILTER_ATTRIBUTES));
    filterAttributes.Header.Revision = NDIS_FILTER_ATTRIBUTES_REVISION_1;
    filterAttributes.Header.Size = sizeof(NDIS_FILTER_ATTRIBUTES);
    filterAttributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
    filterAttributes.Flags = 0;
    status = NdisFSetAttributes(NdisFilterHandle, pFilter, &filterAttributes);
    if (status != NDIS_STATUS_SUCCESS) break;

    pFilter->State = FilterPaused;
    FILTER_LIST_WRITE(&lockState);
    InsertHeadList(&FilterModuleList, &pFilter->FilterModuleLink);
    FILTER_LIST_RELEASE(&lockState);
  } while (bFalse);

  if (status != NDIS_STATUS_SUCCESS && pFilter != NULL) {
    if (pFilter->WorkItem != NULL) NdisFreeIoWorkItem(pFilter->WorkItem);
    if (pFilter->Timer != NULL) NdisFreeTimerObject(pFilter->Timer);
    if (pFilter->NblPool != NULL) NdisFreeNetBufferListPool(pFilter->NblPool);
    FILTER_FREE_LOCK(&pFilter->Lock);
    FILTER_FREE_MEM(pFilter);
  }
  return status;
}

_Use_decl_annotations_
VOID FilterDetach(NDIS_HANDLE FilterModuleContext) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  LOCK_STATE_EX lockState;
  PAGED_CODE();
  ASSERT(pFilter->State == FilterPaused);
  FILTER_LIST_WRITE(&lockState);
  RemoveEntryList(&pFilter->FilterModuleLink);
  FILTER_LIST_RELEASE(&lockState);
  NdisCancelTimerObject(pFilter->Timer);
  NdisFreeTimerObject(pFilter->Timer);
  NdisFreeIoWorkItem(pFilter->WorkItem);
  NdisFreeNetBufferListPool(pFilter->NblPool);
  FILTER_FREE_LOCK(&pFilter->Lock);
  FILTER_FREE_MEM(pFilter);
}

_Use_decl_annotations_
NDIS_STATUS FilterRestart(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_RESTART_PARAMETERS RestartParameters) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  LARGE_INTEGER dueTime;
  UNREFERENCED_PARAMETER(RestartParameters);
  ASSERT(pFilter->State == FilterPaused);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, FALSE);
  pFilter->State = FilterRunning;
  FILTER_RELEASE_LOCK(&pFilter->Lock, FALSE);
  dueTime.QuadPart = -10000000LL; /* 1 s from now, then every second */
  NdisSetTimerObject(pFilter->Timer, dueTime, 1000, NULL);
  return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_
NDIS_STATUS FilterPause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(PauseParameters);
  NdisCancelTimerObject(pFilter->Timer);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, FALSE);
  /* A work item the timer queued must have run before the pause completes: FilterDetach frees
     it, and a queued work item may not be freed (IoFreeWorkItem). */
  if (pFilter->OutstandingSends == 0 && pFilter->OutstandingReceives == 0 && !pFilter->WorkItemQueued) {
    pFilter->State = FilterPaused;
    status = NDIS_STATUS_SUCCESS;
  } else {
    pFilter->State = FilterPausing;
    status = NDIS_STATUS_PENDING;
  }
  FILTER_RELEASE_LOCK(&pFilter->Lock, FALSE);
  return status;
}

/* Called with the module's lock not held, after an outstanding count dropped. */
VOID FilterCheckPauseComplete(PLWF_FILTER pFilter, BOOLEAN DispatchLevel) {
  BOOLEAN complete = FALSE;
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, DispatchLevel);
  if (pFilter->State == FilterPausing && pFilter->OutstandingSends == 0 && pFilter->OutstandingReceives == 0 &&
      !pFilter->WorkItemQueued) {
    pFilter->State = FilterPaused;
    complete = TRUE;
  }
  FILTER_RELEASE_LOCK(&pFilter->Lock, DispatchLevel);
  if (complete) NdisFPauseComplete(pFilter->FilterHandle);
}

/* The original request rides in the clone's SourceReserved. */
#define CLONE_ORIGINAL(_Clone) (*(PNDIS_OID_REQUEST *)((_Clone)->SourceReserved))

_Use_decl_annotations_
NDIS_STATUS FilterOidRequest(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST Request) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST clonedRequest = NULL;
  NDIS_STATUS status;

  status = NdisAllocateCloneOidRequest(pFilter->FilterHandle, Request, FILTER_CLONE_TAG, &clonedRequest);
  if (status != NDIS_STATUS_SUCCESS) return status;
  CLONE_ORIGINAL(clonedRequest) = Request;
  clonedRequest->RequestId = Request->RequestId;
  InterlockedIncrement((LONG volatile *)&pFilter->Stats.OidsForwarded);
  status = NdisFOidRequest(pFilter->FilterHandle, clonedRequest);
  if (status != NDIS_STATUS_PENDING) {
    FilterOidRequestComplete(pFilter, clonedRequest, status);
    status = NDIS_STATUS_PENDING;
  }
  return status;
}

_Use_decl_annotations_
VOID FilterOidRequestComplete(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST Request, NDIS_STATUS Status) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST originalRequest = CLONE_ORIGINAL(Request);

  if (originalRequest == NULL) return;
  switch (Request->RequestType) {
    case NdisRequestMethod:
      originalRequest->DATA.METHOD_INFORMATION.OutputBufferLength = Request->DATA.METHOD_INFORMATION.OutputBufferLength;
      originalRequest->DATA.METHOD_INFORMATION.BytesRead = Request->DATA.METHOD_INFORMATION.BytesRead;
      originalRequest->DATA.METHOD_INFORMATION.BytesNeeded = Request->DATA.METHOD_INFORMATION.BytesNeeded;
      originalRequest->DATA.METHOD_INFORMATION.BytesWritten = Request->DATA.METHOD_INFORMATION.BytesWritten;
      break;
    case NdisRequestSetInformation:
      originalRequest->DATA.SET_INFORMATION.BytesRead = Request->DATA.SET_INFORMATION.BytesRead;
      originalRequest->DATA.SET_INFORMATION.BytesNeeded = Request->DATA.SET_INFORMATION.BytesNeeded;
      break;
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
    default:
      originalRequest->DATA.QUERY_INFORMATION.BytesWritten = Request->DATA.QUERY_INFORMATION.BytesWritten;
      originalRequest->DATA.QUERY_INFORMATION.BytesNeeded = Request->DATA.QUERY_INFORMATION.BytesNeeded;
      break;
  }
  CLONE_ORIGINAL(Request) = NULL;
  NdisFreeCloneOidRequest(pFilter->FilterHandle, Request);
  NdisFOidRequestComplete(pFilter->FilterHandle, originalRequest, Status);
}

_Use_decl_annotations_
VOID FilterCancelOidRequest(NDIS_HANDLE FilterModuleContext, PVOID RequestId) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NdisFCancelOidRequest(pFilter->FilterHandle, RequestId);
}

_Use_decl_annotations_
VOID FilterStatus(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NdisFIndicateStatus(pFilter->FilterHandle, StatusIndication);
}

_Use_decl_annotations_
NDIS_STATUS FilterNetPnPEvent(NDIS_HANDLE FilterModuleContext, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  InterlockedIncrement((LONG volatile *)&pFilter->Stats.PnpEvents);
  return NdisFNetPnPEvent(pFilter->FilterHandle, NetPnPEventNotification);
}

_Use_decl_annotations_
VOID FilterDevicePnPEventNotify(NDIS_HANDLE FilterModuleContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FilterModuleContext;
  NdisFDevicePnPEventNotify(pFilter->FilterHandle, NetDevicePnPEvent);
}

/* Every second (DISPATCH_LEVEL): count the tick; every third one, queue the passive work. */
_Use_decl_annotations_
VOID FilterStatsTimer(PVOID SystemSpecific1, PVOID FunctionContext, PVOID SystemSpecific2, PVOID SystemSpecific3) {
  PLWF_FILTER pFilter = (PLWF_FILTER)FunctionContext;
  BOOLEAN queue = FALSE;
  LARGE_INTEGER now;
  UNREFERENCED_PARAMETER(SystemSpecific1);
  UNREFERENCED_PARAMETER(SystemSpecific2);
  UNREFERENCED_PARAMETER(SystemSpecific3);
  ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
  NdisGetCurrentSystemTime(&now);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, TRUE);
  pFilter->Stats.TimerTicks++;
  pFilter->Stats.LastTickTime = (ULONG)(now.QuadPart / 10000); /* ms */
  /* Only while running: NdisCancelTimerObject in FilterPause does not stop a tick already due,
     and a work item queued after the pause completed would still be queued at FilterDetach. */
#ifdef VLANLWF_BUG_LATE_WORK_ITEM
  if (pFilter->Stats.TimerTicks % 3 == 0 && !pFilter->WorkItemQueued) {
#else
  if (pFilter->State == FilterRunning && pFilter->Stats.TimerTicks % 3 == 0 && !pFilter->WorkItemQueued) {
#endif
    pFilter->WorkItemQueued = TRUE;
    queue = TRUE;
  }
  FILTER_RELEASE_LOCK(&pFilter->Lock, TRUE);
  if (queue) NdisQueueIoWorkItem(pFilter->WorkItem, FilterStatsWorkItem, pFilter);
}

_Use_decl_annotations_
VOID FilterStatsWorkItem(PVOID WorkItemContext, NDIS_HANDLE NdisIoWorkItemHandle) {
  PLWF_FILTER pFilter = (PLWF_FILTER)WorkItemContext;
  PVLANLWF_STATS snapshot;
  UNREFERENCED_PARAMETER(NdisIoWorkItemHandle);
  PAGED_CODE();
  ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
  /* Kernel pool for a snapshot, as a driver logging its counters would take. */
  snapshot = (PVLANLWF_STATS)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*snapshot), FILTER_KPOOL_TAG);
  FILTER_ACQUIRE_LOCK(&pFilter->Lock, FALSE);
  pFilter->Stats.WorkItemRuns++;
  pFilter->WorkItemQueued = FALSE;
  if (snapshot != NULL) RtlCopyMemory(snapshot, &pFilter->Stats, sizeof(*snapshot));
  FILTER_RELEASE_LOCK(&pFilter->Lock, FALSE);
  if (snapshot != NULL) {
    DEBUGP(DPFLTR_INFO_LEVEL, "vlanlwf: %u tagged, %u dropped\n", snapshot->SentTagged, snapshot->ReceivesDropped);
    ExFreePoolWithTag(snapshot, FILTER_KPOOL_TAG);
  }
  /* Last: a pause that waited for this work item completes now, and the module may then go. */
  FilterCheckPauseComplete(pFilter, FALSE);
}
