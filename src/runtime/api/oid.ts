/**
 * The OID request DDI: NdisOidRequest (a protocol asks the adapter below), NdisMOidRequestComplete
 * (a miniport completes one it pended), NdisCancelOidRequest, and NdisAllocateCloneOidRequest /
 * NdisFreeCloneOidRequest (an IM forwarding a request down).
 */

import { NDIS_OBJECT_TYPE_OID_REQUEST } from "../../ndis/object-header.js";
import {
  type NDIS_OID_REQUEST,
  type NDIS_OID_REQUEST_DATA,
  NDIS_OID_REQUEST_REVISION_1,
  NDIS_OID_REQUEST_REVISION_2,
  NdisRequestMethod,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
} from "../../ndis/oid.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";
import { resolveHandle } from "../core/objects/handles.js";
import type { CloneRecord } from "../core/objects/records.js";
import { resourceLabel, resourceOwnerOf } from "../core/objects/resources.js";
import { answerFromNdis, cancelOid, completeOid, isInFlight, issueOid } from "../core/stack/oid.js";
import { miniportAdapterOf, openBindingOf, reportBadHandle } from "./lookup.js";
import { enter } from "./trace.js";

const REQUEST_TYPES = new Set([
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisRequestQueryStatistics,
  NdisRequestMethod,
]);

/** Why a request is malformed (header, type, buffer), or null. */
function requestProblem(request: unknown): string | null {
  if (request === null || typeof request !== "object") return "OidRequest is NULL";
  const r = request as Partial<NDIS_OID_REQUEST>;
  if (r.Header?.Type !== NDIS_OBJECT_TYPE_OID_REQUEST)
    return "Header.Type is not NDIS_OBJECT_TYPE_OID_REQUEST";
  if (
    r.Header.Revision !== NDIS_OID_REQUEST_REVISION_1 &&
    r.Header.Revision !== NDIS_OID_REQUEST_REVISION_2
  )
    return `Header.Revision ${String(r.Header.Revision)} is not 1 or 2`;
  if (!REQUEST_TYPES.has(r.RequestType as number))
    return `RequestType ${String(r.RequestType)} is not one NDIS delivers`;
  const d = r.DATA?.QUERY_INFORMATION as Partial<NDIS_OID_REQUEST_DATA> | undefined;
  if (d === undefined || typeof d.Oid !== "number") return "DATA carries no Oid";
  const length = d.InformationBufferLength;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 0)
    return "InformationBufferLength is not a ULONG";
  if (length > 0 && !(d.InformationBuffer instanceof Uint8Array))
    return `InformationBufferLength is ${length} but InformationBuffer is NULL`;
  if (d.InformationBuffer instanceof Uint8Array && length > d.InformationBuffer.length)
    return `InformationBufferLength ${length} exceeds the ${d.InformationBuffer.length}-byte InformationBuffer`;
  return null;
}

/**
 * NdisOidRequest (≤ DISPATCH_LEVEL): queries, sets or calls a method on the adapter below a
 * binding. NDIS answers what it knows from the adapter's attributes; the rest goes to
 * MiniportOidRequest, one request at a time per adapter. Returns the result, or PENDING (then
 * ProtocolOidRequestComplete gets it). A malformed request: NDIS_STATUS_INVALID_PARAMETER.
 */
export function NdisOidRequest(
  NdisBindingHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const binding = openBindingOf("NdisOidRequest", NdisBindingHandle);
  if (binding === null) return NDIS_STATUS_INVALID_PARAMETER;
  const runtime = binding.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisOidRequest", binding.driver);
  const problem = requestProblem(OidRequest);
  if (problem !== null) return done(NDIS_STATUS_INVALID_PARAMETER, problem);
  if (isInFlight(OidRequest)) {
    runtime.violate(
      "NdisOidRequest_InFlight",
      `NdisOidRequest on ${binding.protocol.chars.Name} → ${binding.adapter.name}: the request is still in flight`,
      currentFrame().driver,
    );
    return done(NDIS_STATUS_FAILURE, "request already in flight");
  }
  const answered = answerFromNdis(binding.adapter, OidRequest);
  if (answered !== null) return done(answered, "answered by NDIS from the adapter's attributes");
  return done(issueOid(binding, OidRequest));
}

/** NdisMOidRequestComplete: completes the request MiniportOidRequest returned PENDING for. */
export function NdisMOidRequestComplete(
  MiniportAdapterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
): void {
  const adapter = miniportAdapterOf("NdisMOidRequestComplete", MiniportAdapterHandle);
  if (adapter === null) return;
  adapter.runtime.assertAlive();
  const done = enter(adapter.runtime, "NdisMOidRequestComplete", adapter.driver);
  completeOid(adapter, OidRequest, Status);
  done(undefined);
}

/**
 * NdisCancelOidRequest: cancels the binding's request(s) with `RequestId`: one still queued in
 * NDIS completes with NDIS_STATUS_REQUEST_ABORTED; the one the miniport has goes to
 * MiniportCancelOidRequest.
 */
export function NdisCancelOidRequest(NdisBindingHandle: NDIS_HANDLE, RequestId: unknown): void {
  const binding = openBindingOf("NdisCancelOidRequest", NdisBindingHandle);
  if (binding === null) return;
  binding.runtime.assertAlive();
  cancelOid(binding, RequestId);
}

/** Every clone not yet freed, to its record in its driver's `clones`. */
const clones = new WeakMap<NDIS_OID_REQUEST, CloneRecord>();

/**
 * NdisAllocateCloneOidRequest: a copy of `OidRequest` for forwarding down `SourceHandle` (the IM's
 * binding handle). The copy shares the original's InformationBuffer; its counters start at 0.
 * SUCCESS or RESOURCES.
 */
export function NdisAllocateCloneOidRequest(
  SourceHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
  _PoolTag: number,
  CloneOidRequest: Out<NDIS_OID_REQUEST>,
): NDIS_STATUS {
  const target = resolveHandle(SourceHandle);
  if (target === null) {
    reportBadHandle("NdisAllocateCloneOidRequest", SourceHandle, "NDIS handle");
    return NDIS_STATUS_FAILURE;
  }
  const problem = requestProblem(OidRequest);
  if (problem !== null) return NDIS_STATUS_INVALID_PARAMETER;
  if (target.driver.runtime.takeAllocationFailure("NdisAllocateCloneOidRequest"))
    return NDIS_STATUS_RESOURCES;
  const d = OidRequest.DATA.QUERY_INFORMATION;
  const data: NDIS_OID_REQUEST_DATA = { ...d, BytesWritten: 0, BytesRead: 0, BytesNeeded: 0 };
  const clone: NDIS_OID_REQUEST = {
    Header: { ...OidRequest.Header },
    RequestType: OidRequest.RequestType,
    PortNumber: OidRequest.PortNumber,
    Timeout: OidRequest.Timeout,
    RequestId: OidRequest.RequestId,
    RequestHandle: null,
    DATA: { QUERY_INFORMATION: data, SET_INFORMATION: data, METHOD_INFORMATION: data },
    MiniportReserved: [null, null],
    SourceReserved: [null, null],
    SupportedRevision: 0,
  };
  const owner = resourceOwnerOf(SourceHandle);
  const driver = owner?.driver ?? target.driver;
  const record: CloneRecord = {
    kind: "oid-clone",
    driver,
    owner: owner?.owner ?? null,
    label: resourceLabel(
      `clone of OID 0x${(d.Oid >>> 0).toString(16).padStart(8, "0")}`,
      driver,
      owner?.owner ?? null,
    ),
    request: clone,
  };
  driver.clones.add(record);
  clones.set(clone, record);
  CloneOidRequest.value = clone;
  return NDIS_STATUS_SUCCESS;
}

/** NdisFreeCloneOidRequest: frees a clone once it has completed. */
export function NdisFreeCloneOidRequest(
  _SourceHandle: NDIS_HANDLE,
  CloneOidRequest: NDIS_OID_REQUEST,
): void {
  const record = clones.get(CloneOidRequest);
  if (record === undefined) {
    // Freed already, or never a clone: on Windows the pool block goes back twice.
    const frame = currentFrame();
    frame.runtime?.violate(
      "NdisFreeCloneOidRequest_NotAllocated",
      `NdisFreeCloneOidRequest of a request for OID 0x${(CloneOidRequest.DATA.QUERY_INFORMATION.Oid >>> 0).toString(16).padStart(8, "0")}: not a request NdisAllocateCloneOidRequest returned, or freed already`,
      frame.driver,
      frame.depth,
    );
    return;
  }
  clones.delete(CloneOidRequest);
  record.driver.clones.delete(record);
}
