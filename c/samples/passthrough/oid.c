/*
 * cpassthru, OID requests. The VELAN describes the adapter below it, so requests are forwarded
 * down the binding (a clone per request) and the answer copied back. Answered here only what
 * must never go down: OID_PNP_QUERY_POWER and OID_PNP_SET_POWER succeed (the IM power rules),
 * OID_GEN_SUPPORTED_GUIDS is not supported. A cancel is passed down with the same RequestId.
 */
#include "passthrough.h"

static void PtCopyBack(PNDIS_OID_REQUEST Clone, PNDIS_OID_REQUEST Original) {
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

/* MiniportOidRequest (<= DISPATCH_LEVEL). */
_Use_decl_annotations_
NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest) {
  PVELAN velan = (PVELAN)MiniportAdapterContext;
  NDIS_HANDLE binding = velan->Adapt->BindingHandle;
  NDIS_OID oid = OidRequest->DATA.QUERY_INFORMATION.Oid;
  PNDIS_OID_REQUEST clone = NULL;
  NDIS_STATUS status;

  if (oid == OID_PNP_QUERY_POWER || oid == OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (oid == OID_GEN_SUPPORTED_GUIDS) return NDIS_STATUS_NOT_SUPPORTED;
  if (binding == NULL) return NDIS_STATUS_FAILURE;
  status = NdisAllocateCloneOidRequest(binding, OidRequest, PT_TAG_CLONE, &clone);
  if (status != NDIS_STATUS_SUCCESS || clone == NULL) return status;
  ((PVOID *)clone->SourceReserved)[0] = OidRequest;
  ((PVOID *)clone->SourceReserved)[1] = velan;
  status = NdisOidRequest(binding, clone);
  if (status == NDIS_STATUS_PENDING) {
    velan->OidsOutstanding++;
    return NDIS_STATUS_PENDING;
  }
  PtCopyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(binding, clone);
  return status;
}

/* ProtocolOidRequestComplete: a forwarded clone came back; complete the original. */
_Use_decl_annotations_
void PtOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status) {
  PADAPT adapt = (PADAPT)ProtocolBindingContext;
  PNDIS_OID_REQUEST original = (PNDIS_OID_REQUEST)((PVOID *)OidRequest->SourceReserved)[0];
  PVELAN velan = (PVELAN)((PVOID *)OidRequest->SourceReserved)[1];
  PtCopyBack(OidRequest, original);
  NdisFreeCloneOidRequest(adapt->BindingHandle, OidRequest);
  NdisMOidRequestComplete(velan->MiniportAdapterHandle, original, Status);
  velan->OidsOutstanding--;
  PtPropagateDeferred(velan);
}

/* MiniportCancelOidRequest: pass the cancel down; the clone comes back REQUEST_ABORTED. */
_Use_decl_annotations_
void MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId) {
  NDIS_HANDLE binding = ((PVELAN)MiniportAdapterContext)->Adapt->BindingHandle;
  if (binding != NULL) NdisCancelOidRequest(binding, RequestId);
}
