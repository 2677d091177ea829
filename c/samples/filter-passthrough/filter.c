/*
 * cfilter: an NDIS 6 lightweight filter in C that passes everything through — the C twin of
 * src/drivers/filter-passthrough, written here in WDK style from the docs' description of each
 * FilterXxx function (no sample code). Every handler a modifying filter needs is present and does
 * the minimum a correct filter must do:
 * - DriverEntry registers the FilterXxx table with NdisFRegisterFilterDriver (revision 2 from NDIS
 *   6.1 on); FilterDriverUnload deregisters it.
 * - FilterAttach allocates the module context and names it with NdisFSetAttributes; FilterDetach
 *   frees it.
 * - FilterPause stops new traffic and completes (at once, or later with NdisFPauseComplete) when
 *   every NBL the module passed down or up has come back; FilterRestart lets traffic flow again.
 * - Sends go down with NdisFSendNetBufferLists and their completions up with
 *   NdisFSendNetBufferListsComplete; receives up with NdisFIndicateReceiveNetBufferLists and their
 *   returns down with NdisFReturnNetBufferLists. While not Running, sends complete with
 *   NDIS_STATUS_PAUSED and receives go straight back.
 * - OID requests go down as clones and complete the original; cancellations and status
 *   indications are passed on. From NDIS 6.1 on (characteristics revision 2) direct OID requests
 *   go the same way through FilterDirectOidRequest, NdisFDirectOidRequest,
 *   FilterDirectOidRequestComplete and NdisFDirectOidRequestComplete — unserialized and possibly
 *   at DISPATCH_LEVEL, so nothing in them waits or takes a lock the ordinary path holds.
 * Nothing on the data path allocates: the very NBLs are passed on.
 * Built with -DFILTER_PAUSE_AT_ONCE its FilterPause returns SUCCESS at once, without waiting for
 * what it passed on: "Pausing a Filter Module" has a filter wait only for what it originated (this
 * one originates nothing), and the drivers that made the NBLs wait for them in their own pause.
 */
#include <ndis.h>

#define FILTER_TAG_MODULE 0x6d746643u /* 'Cftm' */
#define FILTER_TAG_CLONE 0x63746643u  /* 'Cftc' */

typedef enum _FILTER_STATE { FilterPaused, FilterRunning, FilterPausing } FILTER_STATE;

/* The module context: one per attached module. */
typedef struct _MS_FILTER {
  NDIS_HANDLE FilterHandle;
  FILTER_STATE State;
  LONG OutstandingSends;
  LONG OutstandingReceives;
  ULONG SentNbls;
  ULONG ReceivedNbls;
} MS_FILTER, *PMS_FILTER;

static NDIS_HANDLE FilterDriverHandle;
static NDIS_STRING FriendlyName = RTL_CONSTANT_STRING(L"ndis-ts passthrough filter in C");
static NDIS_STRING UniqueName = RTL_CONSTANT_STRING(L"{6b2f3c1d-5e4a-4f0b-8c7d-2a9e1b3c4d5f}");

DRIVER_INITIALIZE DriverEntry;
static FILTER_ATTACH FilterAttach;
static FILTER_DETACH FilterDetach;
static FILTER_RESTART FilterRestart;
static FILTER_PAUSE FilterPause;
static FILTER_SEND_NET_BUFFER_LISTS FilterSendNetBufferLists;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE FilterSendNetBufferListsComplete;
static FILTER_CANCEL_SEND_NET_BUFFER_LISTS FilterCancelSendNetBufferLists;
static FILTER_RECEIVE_NET_BUFFER_LISTS FilterReceiveNetBufferLists;
static FILTER_RETURN_NET_BUFFER_LISTS FilterReturnNetBufferLists;
static FILTER_OID_REQUEST FilterOidRequest;
static FILTER_OID_REQUEST_COMPLETE FilterOidRequestComplete;
static FILTER_CANCEL_OID_REQUEST FilterCancelOidRequest;
static FILTER_DIRECT_OID_REQUEST FilterDirectOidRequest;
static FILTER_DIRECT_OID_REQUEST_COMPLETE FilterDirectOidRequestComplete;
static FILTER_CANCEL_DIRECT_OID_REQUEST FilterCancelDirectOidRequest;
static FILTER_STATUS FilterStatus;

static ULONG CountNbls(PNET_BUFFER_LIST Nbls) {
  ULONG n = 0;
  for (; Nbls != NULL; Nbls = NET_BUFFER_LIST_NEXT_NBL(Nbls)) n++;
  return n;
}

/* A pausing module whose last NBL came back completes its pause. */
static void FilterMaybeCompletePause(PMS_FILTER Filter) {
  if (Filter->State != FilterPausing || Filter->OutstandingSends > 0 || Filter->OutstandingReceives > 0) return;
  Filter->State = FilterPaused;
  NdisFPauseComplete(Filter->FilterHandle);
}

/* FilterAttach (PASSIVE_LEVEL). */
_Use_decl_annotations_
static NDIS_STATUS FilterAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters) {
  NDIS_FILTER_ATTRIBUTES attributes;
  PMS_FILTER filter;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(FilterDriverContext);
  if (AttachParameters->MiniportMediaType != NdisMedium802_3) return NDIS_STATUS_INVALID_PARAMETER;
  filter = (PMS_FILTER)NdisAllocateMemoryWithTagPriority(FilterDriverHandle, sizeof(MS_FILTER),
                                                         FILTER_TAG_MODULE, NormalPoolPriority);
  if (filter == NULL) return NDIS_STATUS_RESOURCES;
  NdisZeroMemory(filter, sizeof(MS_FILTER));
  filter->FilterHandle = NdisFilterHandle;
  filter->State = FilterPaused;
  NdisZeroMemory(&attributes, sizeof(attributes));
  attributes.Header.Type = NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES;
  attributes.Header.Revision = NDIS_FILTER_ATTRIBUTES_REVISION_1;
  attributes.Header.Size = NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1;
  status = NdisFSetAttributes(NdisFilterHandle, filter, &attributes);
  if (status != NDIS_STATUS_SUCCESS) {
    NdisFreeMemory(filter, 0, 0);
    return status;
  }
  return NDIS_STATUS_SUCCESS;
}

/* FilterDetach (PASSIVE_LEVEL): the module is paused and has nothing out. */
_Use_decl_annotations_
static void FilterDetach(NDIS_HANDLE FilterModuleContext) {
  NdisFreeMemory(FilterModuleContext, 0, 0);
}

/* FilterRestart (PASSIVE_LEVEL). */
_Use_decl_annotations_
static NDIS_STATUS FilterRestart(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_RESTART_PARAMETERS RestartParameters) {
  PNDIS_RESTART_ATTRIBUTES attributes = RestartParameters->RestartAttributes;
  /* NDIS passes the attributes as the drivers below left them (OID_GEN_MINIPORT_RESTART_ATTRIBUTES
     first); a filter that changes what the adapter offers changes them here for the drivers above.
     This one passes them on as they are, unless built with FILTER_RESTART_MTU_SHRINK (a filter
     that adds that many header bytes to every frame, as a tagging filter does). */
  if (attributes != NULL && attributes->Oid == OID_GEN_MINIPORT_RESTART_ATTRIBUTES) {
    PNDIS_RESTART_GENERAL_ATTRIBUTES general = (PNDIS_RESTART_GENERAL_ATTRIBUTES)attributes->Data;
#ifdef FILTER_RESTART_MTU_SHRINK
    if (general->Header.Type == NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES) general->MtuSize -= FILTER_RESTART_MTU_SHRINK;
#else
    UNREFERENCED_PARAMETER(general);
#endif
  }
  ((PMS_FILTER)FilterModuleContext)->State = FilterRunning;
  return NDIS_STATUS_SUCCESS;
}

/* FilterPause (PASSIVE_LEVEL): no new traffic; done when what was passed on is back. */
_Use_decl_annotations_
static NDIS_STATUS FilterPause(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  UNREFERENCED_PARAMETER(PauseParameters);
#ifdef FILTER_PAUSE_AT_ONCE
  /* Paused at once: what is still out was passed on, and its originator waits for it. */
  filter->State = FilterPaused;
  return NDIS_STATUS_SUCCESS;
#endif
  if (filter->OutstandingSends == 0 && filter->OutstandingReceives == 0) {
    filter->State = FilterPaused;
    return NDIS_STATUS_SUCCESS;
  }
  filter->State = FilterPausing;
  return NDIS_STATUS_PENDING;
}

/* FilterSendNetBufferLists (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
static void FilterSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                     NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  PNET_BUFFER_LIST nbl;
  ULONG n;
  if (filter->State != FilterRunning) {
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
      NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_PAUSED;
    NdisFSendNetBufferListsComplete(filter->FilterHandle, NetBufferLists,
                                    NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags)
                                        ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                        : 0);
    return;
  }
  n = CountNbls(NetBufferLists);
  filter->OutstandingSends += (LONG)n;
  filter->SentNbls += n;
  NdisFSendNetBufferLists(filter->FilterHandle, NetBufferLists, PortNumber, SendFlags);
}

/* FilterSendNetBufferListsComplete (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
static void FilterSendNetBufferListsComplete(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                             ULONG SendCompleteFlags) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  filter->OutstandingSends -= (LONG)CountNbls(NetBufferLists);
  NdisFSendNetBufferListsComplete(filter->FilterHandle, NetBufferLists, SendCompleteFlags);
  FilterMaybeCompletePause(filter);
}

_Use_decl_annotations_
static void FilterCancelSendNetBufferLists(NDIS_HANDLE FilterModuleContext, PVOID CancelId) {
  NdisFCancelSendNetBufferLists(((PMS_FILTER)FilterModuleContext)->FilterHandle, CancelId);
}

/* FilterReceiveNetBufferLists (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
static void FilterReceiveNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  BOOLEAN resources = NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags);
  if (filter->State != FilterRunning) {
    /* Under RESOURCES NDIS takes them back itself when this returns. */
    if (!resources)
      NdisFReturnNetBufferLists(filter->FilterHandle, NetBufferLists,
                                NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags)
                                    ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                    : 0);
    return;
  }
  if (!resources) filter->OutstandingReceives += (LONG)NumberOfNetBufferLists;
  filter->ReceivedNbls += NumberOfNetBufferLists;
  NdisFIndicateReceiveNetBufferLists(filter->FilterHandle, NetBufferLists, PortNumber, NumberOfNetBufferLists,
                                     ReceiveFlags);
}

/* FilterReturnNetBufferLists (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
static void FilterReturnNetBufferLists(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                       ULONG ReturnFlags) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  filter->OutstandingReceives -= (LONG)CountNbls(NetBufferLists);
  NdisFReturnNetBufferLists(filter->FilterHandle, NetBufferLists, ReturnFlags);
  FilterMaybeCompletePause(filter);
}

/* What the layers below reported, copied into the request this module was given. */
static void FilterCopyBack(PNDIS_OID_REQUEST Clone, PNDIS_OID_REQUEST Original) {
  switch (Original->RequestType) {
  case NdisRequestMethod:
    Original->DATA.METHOD_INFORMATION.BytesWritten = Clone->DATA.METHOD_INFORMATION.BytesWritten;
    Original->DATA.METHOD_INFORMATION.BytesRead = Clone->DATA.METHOD_INFORMATION.BytesRead;
    Original->DATA.METHOD_INFORMATION.BytesNeeded = Clone->DATA.METHOD_INFORMATION.BytesNeeded;
    break;
  case NdisRequestSetInformation:
    Original->DATA.SET_INFORMATION.BytesRead = Clone->DATA.SET_INFORMATION.BytesRead;
    Original->DATA.SET_INFORMATION.BytesNeeded = Clone->DATA.SET_INFORMATION.BytesNeeded;
    break;
  default:
    Original->DATA.QUERY_INFORMATION.BytesWritten = Clone->DATA.QUERY_INFORMATION.BytesWritten;
    Original->DATA.QUERY_INFORMATION.BytesNeeded = Clone->DATA.QUERY_INFORMATION.BytesNeeded;
    break;
  }
  Original->SupportedRevision = Clone->SupportedRevision;
}

/* FilterOidRequest (<= DISPATCH_LEVEL): a clone goes down; the original completes with its answer. */
_Use_decl_annotations_
static NDIS_STATUS FilterOidRequest(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST clone = NULL;
  NDIS_STATUS status = NdisAllocateCloneOidRequest(filter->FilterHandle, OidRequest, FILTER_TAG_CLONE, &clone);
  if (status != NDIS_STATUS_SUCCESS || clone == NULL) return status;
  ((PVOID *)clone->SourceReserved)[0] = OidRequest;
  status = NdisFOidRequest(filter->FilterHandle, clone);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  FilterCopyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(filter->FilterHandle, clone);
  return status;
}

/* FilterOidRequestComplete: a clone came back; complete the original. */
_Use_decl_annotations_
static void FilterOidRequestComplete(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                     NDIS_STATUS Status) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST original = (PNDIS_OID_REQUEST)((PVOID *)OidRequest->SourceReserved)[0];
  FilterCopyBack(OidRequest, original);
  NdisFreeCloneOidRequest(filter->FilterHandle, OidRequest);
  NdisFOidRequestComplete(filter->FilterHandle, original, Status);
}

_Use_decl_annotations_
static void FilterCancelOidRequest(NDIS_HANDLE FilterModuleContext, PVOID RequestId) {
  NdisFCancelOidRequest(((PMS_FILTER)FilterModuleContext)->FilterHandle, RequestId);
}

/* FilterDirectOidRequest (<= DISPATCH_LEVEL, not serialized): a clone goes down the direct path. */
_Use_decl_annotations_
static NDIS_STATUS FilterDirectOidRequest(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST clone = NULL;
  NDIS_STATUS status = NdisAllocateCloneOidRequest(filter->FilterHandle, OidRequest, FILTER_TAG_CLONE, &clone);
  if (status != NDIS_STATUS_SUCCESS || clone == NULL) return status;
  ((PVOID *)clone->SourceReserved)[0] = OidRequest;
  status = NdisFDirectOidRequest(filter->FilterHandle, clone);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  FilterCopyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(filter->FilterHandle, clone);
  return status;
}

/* FilterDirectOidRequestComplete: a direct clone came back; complete the original. */
_Use_decl_annotations_
static void FilterDirectOidRequestComplete(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                           NDIS_STATUS Status) {
  PMS_FILTER filter = (PMS_FILTER)FilterModuleContext;
  PNDIS_OID_REQUEST original = (PNDIS_OID_REQUEST)((PVOID *)OidRequest->SourceReserved)[0];
  FilterCopyBack(OidRequest, original);
  NdisFreeCloneOidRequest(filter->FilterHandle, OidRequest);
  NdisFDirectOidRequestComplete(filter->FilterHandle, original, Status);
}

_Use_decl_annotations_
static void FilterCancelDirectOidRequest(NDIS_HANDLE FilterModuleContext, PVOID RequestId) {
  NdisFCancelDirectOidRequest(((PMS_FILTER)FilterModuleContext)->FilterHandle, RequestId);
}

_Use_decl_annotations_
static void FilterStatus(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication) {
  NdisFIndicateStatus(((PMS_FILTER)FilterModuleContext)->FilterHandle, StatusIndication);
}

/* FilterDriverUnload: NDIS detached every module before it calls this. */
static void FilterUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  NdisFDeregisterFilterDriver(FilterDriverHandle);
}

/* The last part of RegistryPath: the service name, which the filter registers under. */
static void FilterServiceName(PUNICODE_STRING RegistryPath, PNDIS_STRING Name) {
  USHORT chars = RegistryPath->Length / sizeof(WCHAR);
  USHORT start = 0;
  USHORT i;
  for (i = 0; i < chars; i++)
    if (RegistryPath->Buffer[i] == L'\\') start = (USHORT)(i + 1);
  Name->Buffer = RegistryPath->Buffer + start;
  Name->Length = (USHORT)((chars - start) * sizeof(WCHAR));
  Name->MaximumLength = Name->Length;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_FILTER_DRIVER_CHARACTERISTICS chars;
  NDIS_STATUS status;
  UINT version = NdisGetVersion();
  UCHAR minor = (UCHAR)(version & 0xFF);

  if ((version >> 16) > 6 || minor > 89) minor = 89;
  NdisZeroMemory(&chars, sizeof(chars));
  chars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
  if (minor >= 1) {
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
  } else {
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1;
  }
  chars.MajorNdisVersion = 6;
  chars.MinorNdisVersion = minor;
  chars.MajorDriverVersion = 1;
  chars.MinorDriverVersion = 0;
  chars.FriendlyName = FriendlyName;
  chars.UniqueName = UniqueName;
  FilterServiceName(RegistryPath, &chars.ServiceName);
  chars.AttachHandler = FilterAttach;
  chars.DetachHandler = FilterDetach;
  chars.RestartHandler = FilterRestart;
  chars.PauseHandler = FilterPause;
  chars.SendNetBufferListsHandler = FilterSendNetBufferLists;
  chars.SendNetBufferListsCompleteHandler = FilterSendNetBufferListsComplete;
  chars.CancelSendNetBufferListsHandler = FilterCancelSendNetBufferLists;
  chars.ReceiveNetBufferListsHandler = FilterReceiveNetBufferLists;
  chars.ReturnNetBufferListsHandler = FilterReturnNetBufferLists;
  chars.OidRequestHandler = FilterOidRequest;
  chars.OidRequestCompleteHandler = FilterOidRequestComplete;
  chars.CancelOidRequestHandler = FilterCancelOidRequest;
  chars.StatusHandler = FilterStatus;
  if (minor >= 1) {
    /* Revision 2 fields: an NDIS 6.0 table ends before them. */
    chars.DirectOidRequestHandler = FilterDirectOidRequest;
    chars.DirectOidRequestCompleteHandler = FilterDirectOidRequestComplete;
    chars.CancelDirectOidRequestHandler = FilterCancelDirectOidRequest;
  }

  DriverObject->DriverUnload = FilterUnload;
  status = NdisFRegisterFilterDriver(DriverObject, NULL, &chars, &FilterDriverHandle);
  return status;
}
