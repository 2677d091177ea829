/**
 * Passthrough driver, OID requests. The VELAN describes the adapter below it, so the driver
 * forwards requests down its binding (a clone per request, as MUX does) and copies the answer
 * back. It answers locally only what must never go down: OID_PNP_QUERY_POWER and
 * OID_PNP_SET_POWER succeed here (the IM power rules), and OID_GEN_SUPPORTED_GUIDS is not
 * supported. A cancel is passed down with the same RequestId.
 */
import {
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAllocateCloneOidRequest,
  NdisCancelOidRequest,
  NdisFreeCloneOidRequest,
  NdisMOidRequestComplete,
  NdisOidRequest,
  OID_GEN_SUPPORTED_GUIDS,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
  type Out,
  type PROTOCOL_OID_REQUEST_COMPLETE,
} from "../../ddi.js";
import type { ADAPT, VELAN } from "./globals.js";
import { propagateDeferred } from "./protocol.js";

/** 'Ptoi' */
const CLONE_TAG = 0x696f7450;

/** Copies what the lower adapter reported back into the request the VELAN was given. */
function copyBack(clone: NDIS_OID_REQUEST, original: NDIS_OID_REQUEST): void {
  const from = clone.DATA.QUERY_INFORMATION;
  const to = original.DATA.QUERY_INFORMATION;
  to.BytesWritten = from.BytesWritten;
  to.BytesRead = from.BytesRead;
  to.BytesNeeded = from.BytesNeeded;
  original.SupportedRevision = clone.SupportedRevision;
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL). */
export const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const velan = MiniportAdapterContext as VELAN;
  const oid = OidRequest.DATA.QUERY_INFORMATION.Oid;
  if (oid === OID_PNP_QUERY_POWER || oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (oid === OID_GEN_SUPPORTED_GUIDS) return NDIS_STATUS_NOT_SUPPORTED;
  const binding = velan.Adapt.BindingHandle;
  if (binding === undefined) return NDIS_STATUS_FAILURE;
  const out: Out<NDIS_OID_REQUEST> = {};
  const status = NdisAllocateCloneOidRequest(binding, OidRequest, CLONE_TAG, out);
  if (status !== NDIS_STATUS_SUCCESS || out.value === undefined) return status;
  const clone = out.value;
  clone.SourceReserved[0] = OidRequest;
  clone.SourceReserved[1] = velan;
  const result = NdisOidRequest(binding, clone);
  if (result === NDIS_STATUS_PENDING) {
    velan.OidsOutstanding++;
    return NDIS_STATUS_PENDING;
  }
  copyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(binding, clone);
  return result;
};

/** ProtocolOidRequestComplete: a forwarded clone came back; complete the original. */
export const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext,
  OidRequest,
  Status,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const original = OidRequest.SourceReserved[0] as NDIS_OID_REQUEST;
  const velan = OidRequest.SourceReserved[1] as VELAN;
  copyBack(OidRequest, original);
  NdisFreeCloneOidRequest(adapt.BindingHandle as NDIS_HANDLE, OidRequest);
  NdisMOidRequestComplete(velan.MiniportAdapterHandle, original, Status);
  velan.OidsOutstanding--;
  propagateDeferred(velan);
};

/** MiniportCancelOidRequest: pass the cancel down; the clone comes back REQUEST_ABORTED. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = (
  MiniportAdapterContext,
  RequestId,
) => {
  const binding = (MiniportAdapterContext as VELAN).Adapt.BindingHandle;
  if (binding !== undefined) NdisCancelOidRequest(binding, RequestId);
};
