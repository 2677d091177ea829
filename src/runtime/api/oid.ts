/**
 * The OID request DDI: NdisOidRequest (a protocol asks the adapter below), NdisMOidRequestComplete
 * (a miniport completes one it pended), NdisCancelOidRequest, and NdisAllocateCloneOidRequest /
 * NdisFreeCloneOidRequest (an IM forwarding a request down); and NDIS 6.1's direct path:
 * NdisDirectOidRequest, NdisMDirectOidRequestComplete, NdisCancelDirectOidRequest.
 */

import { DISPATCH_LEVEL } from "../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_OID_REQUEST } from "../../ndis/object-header.js";
import {
  NDIS_DIRECT_OIDS,
  type NDIS_OID_REQUEST,
  type NDIS_OID_REQUEST_DATA,
  NDIS_OID_REQUEST_REVISION_1,
  NDIS_OID_REQUEST_REVISION_2,
  NdisRequestMethod,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  ndisOidToString,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
} from "../../ndis/oid.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import { resolveHandle } from "../core/objects/handles.js";
import type { CloneRecord, FilterModule } from "../core/objects/records.js";
import { resourceLabel, resourceOwnerOf } from "../core/objects/resources.js";
import {
  cancelDirectOid,
  completeDirectOidAtMiniport,
  type DirectOidIssuer,
  isDirectInFlight,
  issueDirectOid,
} from "../core/stack/direct-oid.js";
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
export function requestProblem(request: unknown): string | null {
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
  const oid = OidRequest.DATA.QUERY_INFORMATION.Oid >>> 0;
  if (
    (oid === OID_PNP_SET_POWER || oid === OID_PNP_QUERY_POWER) &&
    binding.driver.miniportDrivers.some((block) => block.chars.isIntermediate)
  ) {
    runtime.violate(
      "IM_PowerOidPropagated",
      `${binding.protocol.chars.Name} issued ${ndisOidToString(oid)} on its binding to ${binding.adapter.name}: an IM driver answers the power OIDs on its virtual miniport and never passes them down`,
      currentFrame().driver ?? binding.driver,
    );
  }
  if (binding.adapter.lowPower) {
    runtime.violate(
      "NdisOidRequest_LowPower",
      `NdisOidRequest on ${binding.protocol.chars.Name} → ${binding.adapter.name} (OID ${ndisOidToString(OidRequest.DATA.QUERY_INFORMATION.Oid)}) while the adapter is in a low-power state; NDIS holds it until the adapter is back in D0`,
      currentFrame().driver ?? binding.driver,
    );
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

/**
 * What NdisDirectOidRequest and NdisFDirectOidRequest share ("Direct OID Request Interface in
 * NDIS 6.1" and the two DDI pages): ≤ DISPATCH_LEVEL; a well-formed request not already in flight
 * on either path; an issuer that registered its direct completion handler; an OID NDIS supports on
 * the direct path. Then the request goes down, unserialized. Returns the status with its reason.
 */
export function issueDirect(
  issuer: DirectOidIssuer,
  functionName: string,
  request: NDIS_OID_REQUEST,
): [NDIS_STATUS, string | undefined] {
  const { runtime, driver } = issuer;
  const filter = issuer.kind === "filter-module";
  checkIrql(
    runtime,
    driver,
    functionName,
    DISPATCH_LEVEL,
    filter ? "Irql_Filter_Driver_Function" : "Irql_Protocol_Driver_Function",
  );
  const problem = requestProblem(request);
  if (problem !== null) return [NDIS_STATUS_INVALID_PARAMETER, problem];
  const where = filter
    ? (issuer as FilterModule).name
    : `${issuer.protocol.chars.Name} → ${issuer.adapter.name}`;
  if (isDirectInFlight(request) || isInFlight(request)) {
    runtime.violate(
      "DirectOidRequest_InFlight",
      `${functionName} on ${where}: the request is still in flight`,
      driver,
    );
    return [NDIS_STATUS_FAILURE, "request already in flight"];
  }
  const complete = filter
    ? (issuer as FilterModule).block.chars.handlers.DirectOidRequestCompleteHandler
    : issuer.protocol.chars.handlers.DirectOidRequestCompleteHandler;
  if (complete === undefined) {
    const handler = filter ? "FilterDirectOidRequestComplete" : "ProtocolDirectOidRequestComplete";
    runtime.violate(
      "DirectOidRequest_NoCompleteHandler",
      `${functionName} on ${where}: the driver registered no ${handler} (characteristics revision 2, NDIS 6.1 or later)`,
      driver,
    );
    return [NDIS_STATUS_NOT_SUPPORTED, `no ${handler} registered`];
  }
  const oid = request.DATA.QUERY_INFORMATION.Oid >>> 0;
  if (!NDIS_DIRECT_OIDS.has(oid)) {
    const hex = `0x${oid.toString(16).padStart(8, "0")}`;
    runtime.violate(
      "DirectOidRequest_NotDirectOid",
      `${functionName} on ${where} with OID ${hex}, which NDIS does not support on the direct OID path; a general request goes through ${filter ? "NdisFOidRequest" : "NdisOidRequest"}`,
      driver,
    );
    return [NDIS_STATUS_INVALID_OID, `${hex} is not a direct OID`];
  }
  return [issueDirectOid(issuer, request), ndisOidToString(oid)];
}

/**
 * NdisDirectOidRequest (NDIS 6.1, ≤ DISPATCH_LEVEL): a protocol's direct request to the adapter
 * below its binding, through the filter modules with a FilterDirectOidRequest, to
 * MiniportDirectOidRequest — not serialized with other requests, ordinary or direct. Returns the
 * result, or PENDING (then ProtocolDirectOidRequestComplete gets it); INVALID_PARAMETER for a
 * malformed request, INVALID_OID for an OID the direct path does not carry, NOT_SUPPORTED when the
 * protocol registered no ProtocolDirectOidRequestComplete or the miniport has no direct path.
 */
export function NdisDirectOidRequest(
  NdisBindingHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const binding = openBindingOf("NdisDirectOidRequest", NdisBindingHandle);
  if (binding === null) return NDIS_STATUS_INVALID_PARAMETER;
  const runtime = binding.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisDirectOidRequest", binding.driver);
  const [status, why] = issueDirect(binding, "NdisDirectOidRequest", OidRequest);
  return done(status, why);
}

/**
 * NdisMDirectOidRequestComplete (≤ DISPATCH_LEVEL): completes a direct request
 * MiniportDirectOidRequest returned PENDING for; the result goes back up to the issuer's
 * ProtocolDirectOidRequestComplete or FilterDirectOidRequestComplete.
 */
export function NdisMDirectOidRequestComplete(
  MiniportAdapterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
): void {
  const adapter = miniportAdapterOf("NdisMDirectOidRequestComplete", MiniportAdapterHandle);
  if (adapter === null) return;
  adapter.runtime.assertAlive();
  const done = enter(adapter.runtime, "NdisMDirectOidRequestComplete", adapter.driver);
  checkIrql(
    adapter.runtime,
    adapter.driver,
    "NdisMDirectOidRequestComplete",
    DISPATCH_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  completeDirectOidAtMiniport(adapter, OidRequest, Status);
  done(undefined);
}

/**
 * NdisCancelDirectOidRequest (≤ DISPATCH_LEVEL): cancels the binding's direct request with
 * `RequestId` — FilterCancelDirectOidRequest of the next module that takes direct requests, or
 * MiniportCancelDirectOidRequest.
 */
export function NdisCancelDirectOidRequest(
  NdisBindingHandle: NDIS_HANDLE,
  RequestId: unknown,
): void {
  const binding = openBindingOf("NdisCancelDirectOidRequest", NdisBindingHandle);
  if (binding === null) return;
  binding.runtime.assertAlive();
  const done = enter(binding.runtime, "NdisCancelDirectOidRequest", binding.driver);
  cancelDirectOid(binding, RequestId);
  done(undefined);
}
