/**
 * NDIS's OID request path: what NDIS answers itself from the adapter's attributes, the one-at-a-
 * time delivery of the rest to MiniportOidRequest with a queue behind it, completion to
 * ProtocolOidRequestComplete, and cancellation.
 */
import {
  NdisMedium802_3,
  NdisPhysicalMedium802_3,
  NdisPhysicalMediumUnspecified,
} from "../../../ndis/adapter.js";
import {
  makeOidRequest,
  type NDIS_OID_REQUEST,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_LOOKAHEAD,
  OID_GEN_MEDIA_IN_USE,
  OID_GEN_MEDIA_SUPPORTED,
  OID_GEN_PHYSICAL_MEDIUM,
  OID_GEN_PHYSICAL_MEDIUM_EX,
  OID_GEN_SUPPORTED_LIST,
} from "../../../ndis/oid.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
} from "../../../ndis/status.js";
import { callDriver, callHandler, currentFrame, isPromiseLike } from "../objects/context.js";
import type {
  Binding,
  FilterModule,
  MiniportAdapter,
  NdisOidIssuer,
  OidEntry,
} from "../objects/records.js";
import { edgeBelow } from "./crossing.js";
import { combinedFilter, mergedSetting, noteSetCompleted } from "./receive-filter.js";

/** Who issues a request down a stack: a protocol binding or a filter module. */
export type OidIssuer = Binding | FilterModule;

/** Requests NDIS has handed out and not yet seen complete. */
const inFlight = new WeakSet<NDIS_OID_REQUEST>();

export function isInFlight(request: NDIS_OID_REQUEST): boolean {
  return inFlight.has(request);
}

/** Writes ULONGs into a query's buffer, or says how many bytes it needs. */
function answerUlongs(request: NDIS_OID_REQUEST, values: readonly number[]): NDIS_STATUS {
  const q = request.DATA.QUERY_INFORMATION;
  const needed = 4 * values.length;
  if (q.InformationBufferLength < needed || q.InformationBuffer === null) {
    q.BytesWritten = 0;
    q.BytesNeeded = needed;
    return NDIS_STATUS_BUFFER_TOO_SHORT;
  }
  const view = new DataView(q.InformationBuffer.buffer, q.InformationBuffer.byteOffset, needed);
  for (let i = 0; i < values.length; i++) view.setUint32(4 * i, (values[i] as number) >>> 0, true);
  q.BytesWritten = needed;
  q.BytesNeeded = 0;
  return NDIS_STATUS_SUCCESS;
}

/** A statistics OID: its class byte (the second byte) is 0x02 (ntddndis.h's numbering). */
const isStatisticsOid = (oid: number): boolean => ((oid >>> 16) & 0xff) === 0x02;

/**
 * The queries NDIS answers for an NDIS 6 miniport from the general attributes it cached at
 * initialization — exactly those whose OID pages say NDIS 6 miniports do not receive them:
 * OID_GEN_SUPPORTED_LIST (without the statistics OIDs, which NDIS filters out for protocols),
 * OID_GEN_MEDIA_SUPPORTED, OID_GEN_MEDIA_IN_USE, OID_GEN_MAXIMUM_FRAME_SIZE,
 * OID_GEN_MAXIMUM_LOOKAHEAD, OID_GEN_PHYSICAL_MEDIUM (802.3 reported as Unspecified, as that page
 * says) and OID_GEN_PHYSICAL_MEDIUM_EX. Null for everything else: it reaches the miniport.
 */
export function answerFromNdis(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
): NDIS_STATUS | null {
  const general = adapter.general;
  if (general === null) return null;
  if (
    request.RequestType !== NdisRequestQueryInformation &&
    request.RequestType !== NdisRequestQueryStatistics
  )
    return null;
  switch (request.DATA.QUERY_INFORMATION.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
      // "For a query, NDIS returns the binding filters that are combined using the OR operator."
      return answerUlongs(request, [combinedFilter(adapter)]);
    case OID_GEN_SUPPORTED_LIST:
      return answerUlongs(
        request,
        general.SupportedOidList.filter((oid) => !isStatisticsOid(oid)),
      );
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE:
      return answerUlongs(request, [general.MediaType]);
    case OID_GEN_MAXIMUM_FRAME_SIZE:
      return answerUlongs(request, [general.MtuSize]);
    case OID_GEN_MAXIMUM_LOOKAHEAD:
      return answerUlongs(request, [general.LookaheadSize]);
    case OID_GEN_PHYSICAL_MEDIUM:
      return answerUlongs(request, [
        general.PhysicalMediumType === NdisPhysicalMedium802_3
          ? NdisPhysicalMediumUnspecified
          : general.PhysicalMediumType,
      ]);
    case OID_GEN_PHYSICAL_MEDIUM_EX:
      return answerUlongs(request, [general.PhysicalMediumType]);
    default:
      return null;
  }
}

/**
 * Issues a request to the adapter's miniport: at once if it has none, else behind the pending
 * one (the issuer gets PENDING). Returns what NdisOidRequest returns.
 */
export function issueOid(binding: OidIssuer, request: NDIS_OID_REQUEST): NDIS_STATUS {
  if (binding.kind === "filter-module") {
    binding.oidsPending++;
    const status = issueDown(binding, request);
    if (status !== NDIS_STATUS_PENDING) binding.oidsPending--;
    return status;
  }
  if (isAddressingSet(binding, request)) return issueAddressingSet(binding, request);
  const status = issueDown(binding, request);
  // Through filter modules the miniport never sees the binding's own request: NDIS notes what a
  // binding set (its packet filter…) when the answer reaches the binding.
  if (status === NDIS_STATUS_SUCCESS && binding.adapter.filters.length > 0)
    noteSetCompleted(binding, request);
  return status;
}

/** A protocol's set of its packet filter or multicast list on an Ethernet adapter. */
function isAddressingSet(binding: Binding, request: NDIS_OID_REQUEST): boolean {
  if (request.RequestType !== NdisRequestSetInformation) return false;
  const oid = request.DATA.SET_INFORMATION.Oid;
  return (
    (oid === OID_GEN_CURRENT_PACKET_FILTER || oid === OID_802_3_MULTICAST_LIST) &&
    binding.adapter.general?.MediaType === NdisMedium802_3 &&
    request.DATA.SET_INFORMATION.InformationBuffer !== null
  );
}

/**
 * A binding sets its packet filter or multicast list: NDIS keeps it as the binding's and tells
 * the miniport (through the filter modules that take OID requests) the OR of all the bindings'
 * filters or the union of their lists (the OID_GEN_CURRENT_PACKET_FILTER and
 * OID_802_3_MULTICAST_LIST pages). The binding's own request completes with the status of that
 * merged request; on success the binding receives by its own filter from then on.
 */
function issueAddressingSet(binding: Binding, request: NDIS_OID_REQUEST): NDIS_STATUS {
  const adapter = binding.adapter;
  const d = request.DATA.SET_INFORMATION;
  const bytes = (d.InformationBuffer as Uint8Array).subarray(
    0,
    Math.min(d.InformationBufferLength, (d.InformationBuffer as Uint8Array).length),
  );
  // A filter is a ULONG; a multicast list whole 6-byte addresses.
  const short = d.Oid === OID_GEN_CURRENT_PACKET_FILTER ? bytes.length < 4 : bytes.length % 6 !== 0;
  if (short) {
    d.BytesRead = 0;
    d.BytesNeeded =
      d.Oid === OID_GEN_CURRENT_PACKET_FILTER ? 4 : bytes.length - (bytes.length % 6) + 6;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  const merged = makeOidRequest({
    RequestType: NdisRequestSetInformation,
    Oid: d.Oid,
    InformationBuffer: mergedSetting(adapter, binding, d.Oid, bytes),
    PortNumber: request.PortNumber,
  });
  inFlight.add(request);
  let returned = false;
  let result: NDIS_STATUS = NDIS_STATUS_PENDING;
  const done = (status: NDIS_STATUS) => {
    inFlight.delete(request);
    if (status === NDIS_STATUS_SUCCESS) {
      d.BytesRead = bytes.length;
      noteSetCompleted(binding, request);
    } else d.BytesNeeded = merged.DATA.SET_INFORMATION.BytesNeeded;
    if (returned) completeToIssuer(binding, request, status);
    else result = status;
  };
  const below = adapter.filters.length === 0 ? null : edgeBelow(adapter, null, "oid");
  if (below !== null) {
    const status = deliverToFilter(below, { kind: "ndis", adapter, onComplete: done }, merged);
    if (status !== NDIS_STATUS_PENDING) done(status);
  } else {
    const entry: OidEntry = {
      binding: null,
      request: merged,
      queued: true,
      onComplete: done,
      onBehalfOf: binding,
    };
    inFlight.add(merged);
    if (held(adapter)) adapter.oidQueue.push(entry);
    else deliver(adapter, entry);
  }
  returned = true;
  return result;
}

/**
 * The crossing of an OID request from `issuer` to the next edge below that takes requests: a
 * filter module's FilterOidRequest (filters without one are skipped), or the miniport's queue.
 */
function issueDown(binding: OidIssuer, request: NDIS_OID_REQUEST): NDIS_STATUS {
  const adapter = binding.adapter;
  const below =
    adapter.filters.length === 0
      ? null
      : edgeBelow(adapter, binding.kind === "filter-module" ? binding : null, "oid");
  if (below !== null) return deliverToFilter(below, binding, request);
  const entry: OidEntry = { binding, request, queued: false };
  inFlight.add(request);
  // One request at a time; none at all while the adapter is being reset or in low power.
  if (held(adapter)) {
    entry.queued = true;
    adapter.oidQueue.push(entry);
    return NDIS_STATUS_PENDING;
  }
  return deliver(adapter, entry);
}

/**
 * A request NDIS issues itself (OID_PNP_SET_POWER around sleep…), through the same one-at-a-time
 * path; resolves with the miniport's answer. `at` puts it at that place in the queue (the
 * settings NDIS restores after a reset go first) instead of at its end.
 */
export function issueNdisOid(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
  at = -1,
  /** NDIS's own power request, or a setting it restores on wake: delivered in low power too. */
  power = false,
): Promise<NDIS_STATUS> {
  return new Promise((resolve) => {
    const entry: OidEntry = { binding: null, request, queued: true, onComplete: resolve };
    inFlight.add(request);
    if (power) powerRequests.add(request);
    if (adapter.oidPending !== null || adapter.resetting || (adapter.lowPower && !power)) {
      if (at < 0) adapter.oidQueue.push(entry);
      else adapter.oidQueue.splice(at, 0, entry);
    } else deliver(adapter, entry);
  });
}

/** The addressing settings NDIS restores after a reset with AddressingReset TRUE. */
const ADDRESSING_OIDS = new Set([OID_GEN_CURRENT_PACKET_FILTER, OID_802_3_MULTICAST_LIST]);

/** Keeps a copy of an addressing setting the miniport accepted. */
function noteAddressing(adapter: MiniportAdapter, request: NDIS_OID_REQUEST): void {
  if (request.RequestType !== NdisRequestSetInformation) return;
  const d = request.DATA.SET_INFORMATION;
  if (!ADDRESSING_OIDS.has(d.Oid) || d.InformationBuffer === null) return;
  const length = Math.min(d.InformationBufferLength, d.InformationBuffer.length);
  adapter.addressing.set(d.Oid, d.InformationBuffer.slice(0, length));
}

/** Delivers the next queued request, if the miniport has none and no reset is in progress. */
export function resumeOids(adapter: MiniportAdapter): void {
  if (adapter.oidQueue.length > 0)
    adapter.runtime.defer(() => next(adapter), "NDIS: next queued OID request");
}

/**
 * A request NDIS issues at the top of the adapter's stack, as it does for a query from user mode
 * (the host's `oidRequest`): NDIS answers what it knows from the adapter's attributes; the rest
 * goes through the filter modules that take OID requests, top down, to the miniport's queue.
 * Resolves with the final status (REQUEST_ABORTED if the miniport is stopped meanwhile).
 */
export function issueNdisOidFromTop(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
): Promise<NDIS_STATUS> {
  const answered = answerFromNdis(adapter, request);
  if (answered !== null) return Promise.resolve(answered);
  const below = adapter.filters.length === 0 ? null : edgeBelow(adapter, null, "oid");
  if (below === null) return issueNdisOid(adapter, request);
  return new Promise((resolve) => {
    const issuer: NdisOidIssuer = { kind: "ndis", adapter, onComplete: resolve };
    const status = deliverToFilter(below, issuer, request);
    if (status !== NDIS_STATUS_PENDING) resolve(status);
  });
}

function deliver(adapter: MiniportAdapter, entry: OidEntry): NDIS_STATUS {
  const { runtime, driver } = adapter;
  adapter.oidPending = entry;
  const handler = adapter.block.chars.handlers.OidRequestHandler as (
    c: unknown,
    r: unknown,
  ) => unknown;
  const returned = callDriver(
    runtime,
    driver,
    "MiniportOidRequest",
    currentFrame().irql,
    () => handler(adapter.context, entry.request),
    () => NDIS_STATUS_FAILURE,
    adapter.name,
  );
  if (isPromiseLike(returned)) {
    // A handler that blocks: the issuer is told PENDING and hears the settled status through
    // its completion handler, as if the miniport had pended and completed the request.
    entry.queued = true;
    void Promise.resolve(returned).then((value) => oidReturned(adapter, entry, value));
    return NDIS_STATUS_PENDING;
  }
  return oidReturned(adapter, entry, returned);
}

/** What NDIS does with MiniportOidRequest's return. */
function oidReturned(adapter: MiniportAdapter, entry: OidEntry, returned: unknown): NDIS_STATUS {
  const { runtime, driver } = adapter;
  if (returned === NDIS_STATUS_PENDING) {
    // Pending (or already completed from inside the handler): the issuer hears through its
    // ProtocolOidRequestComplete.
    entry.queued = true;
    return NDIS_STATUS_PENDING;
  }
  let status = isNdisStatusValue(returned) ? returned : NDIS_STATUS_FAILURE;
  if (!isNdisStatusValue(returned)) {
    runtime.violate(
      "Callback_InvalidReturn",
      `MiniportOidRequest of adapter ${adapter.name} returned ${typeof returned}, not an NDIS_STATUS`,
      driver,
    );
  }
  if (adapter.oidPending !== entry) {
    runtime.violate(
      "NdisMOidRequestComplete_NotPending",
      `MiniportOidRequest of adapter ${adapter.name} completed the request with NdisMOidRequestComplete and then returned ${status.toString(16)} instead of PENDING`,
      driver,
    );
    return NDIS_STATUS_PENDING;
  }
  status = checkBytes(adapter, entry.request, status);
  finish(adapter, entry, status);
  return entry.queued ? NDIS_STATUS_PENDING : status;
}

/** Reports (and clamps) a BytesWritten beyond the buffer. */
function checkBytes(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): NDIS_STATUS {
  const d = request.DATA.QUERY_INFORMATION;
  if (d.BytesWritten > d.InformationBufferLength) {
    adapter.runtime.violate(
      "OidRequest_BytesWrittenTooLarge",
      `adapter ${adapter.name}: BytesWritten ${d.BytesWritten} exceeds InformationBufferLength ${d.InformationBufferLength}`,
      adapter.driver,
    );
    d.BytesWritten = d.InformationBufferLength;
    return NDIS_STATUS_FAILURE;
  }
  return status;
}

/** Ends the pending request: to the issuer if it was told PENDING; then the next one. */
function finish(adapter: MiniportAdapter, entry: OidEntry, status: NDIS_STATUS): void {
  adapter.oidPending = null;
  inFlight.delete(entry.request);
  if (status === NDIS_STATUS_SUCCESS) noteAddressing(adapter, entry.request);
  if (entry.binding?.kind === "binding" && status === NDIS_STATUS_SUCCESS)
    noteSetCompleted(entry.binding, entry.request);
  if (entry.binding === null) entry.onComplete?.(status);
  else if (entry.queued) completeToIssuer(entry.binding, entry.request, status);
  if (adapter.oidQueue.length > 0)
    adapter.runtime.defer(() => next(adapter), "NDIS: next queued OID request");
  // A halt waits until the miniport has no request left ("Halting a Miniport Adapter").
  for (const wake of [...adapter.waiters]) wake();
}

/**
 * True while the miniport holds, or has queued, an OID request that NDIS itself or a filter module
 * issued. (A protocol's own requests are its unbind's to wait for: closing with them outstanding
 * is NdisCloseAdapterEx_RequestsOutstanding.)
 */
export function oidsOutstanding(adapter: MiniportAdapter): boolean {
  const owed = (entry: OidEntry | null) =>
    entry !== null &&
    (entry.binding === null ? entry.onBehalfOf === undefined : entry.binding.kind !== "binding");
  return owed(adapter.oidPending) || adapter.oidQueue.some(owed);
}

/** True while NDIS gives the miniport no OID request: one is pending, a reset, low power. */
function held(adapter: MiniportAdapter): boolean {
  return adapter.oidPending !== null || adapter.resetting || adapter.lowPower;
}

/** NDIS's own requests that reach a miniport in low power (issueNdisOid's `power`). */
const powerRequests = new WeakSet<NDIS_OID_REQUEST>();

function next(adapter: MiniportAdapter): void {
  if (adapter.oidPending !== null || adapter.resetting) return;
  const head = adapter.oidQueue[0];
  if (adapter.lowPower && (head === undefined || !powerRequests.has(head.request))) return;
  const entry = adapter.oidQueue.shift();
  if (entry === undefined) return;
  deliver(adapter, entry);
}

/**
 * FilterOidRequest of `module` with a request from `issuer`. A PENDING answer is completed later
 * by NdisFOidRequestComplete; any other goes back to the issuer as the call's return.
 */
function deliverToFilter(
  module: FilterModule,
  issuer: OidIssuer | NdisOidIssuer,
  request: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const { runtime, driver } = module;
  module.oidsHeld.set(request, issuer);
  const handler = module.block.chars.handlers.OidRequestHandler as (
    c: unknown,
    r: unknown,
  ) => unknown;
  const returned = callDriver(
    runtime,
    driver,
    "FilterOidRequest",
    currentFrame().irql,
    () => handler(module.context, request),
    () => NDIS_STATUS_FAILURE,
    module.name,
  );
  if (returned === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  if (!module.oidsHeld.has(request)) {
    runtime.violate(
      "NdisFOidRequestComplete_NotPending",
      `FilterOidRequest of ${module.name} completed the request with NdisFOidRequestComplete and then returned ${String(returned)} instead of PENDING`,
      driver,
    );
    return NDIS_STATUS_PENDING;
  }
  module.oidsHeld.delete(request);
  if (!isNdisStatusValue(returned)) {
    runtime.violate(
      "Callback_InvalidReturn",
      `FilterOidRequest of ${module.name} returned ${typeof returned}, not an NDIS_STATUS`,
      driver,
    );
    return NDIS_STATUS_FAILURE;
  }
  return returned;
}

/**
 * NdisFOidRequestComplete: `module` completes a request its FilterOidRequest pended; the result
 * goes on up to the request's issuer.
 */
export function completeOidAtFilter(
  module: FilterModule,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): void {
  const issuer = module.oidsHeld.get(request);
  if (issuer === undefined) {
    module.runtime.violate(
      "NdisFOidRequestComplete_NotPending",
      `NdisFOidRequestComplete on ${module.name} for a request NDIS did not give its FilterOidRequest, or one completed already`,
      module.driver,
    );
    return;
  }
  module.oidsHeld.delete(request);
  let final = status;
  if (!isNdisStatusValue(status) || status === NDIS_STATUS_PENDING) {
    module.runtime.violate(
      "NdisFOidRequestComplete_NotPending",
      `NdisFOidRequestComplete on ${module.name} with status ${String(status)}; a completion is never PENDING`,
      module.driver,
    );
    final = NDIS_STATUS_FAILURE;
  }
  // Completed from inside FilterOidRequest: the return (which must be PENDING) tells the issuer
  // nothing; the result goes to its completion handler, as for a miniport.
  completeToIssuer(issuer, request, final);
}

/**
 * `module` leaves its stack (its driver stopped by the verifier, detached or unloaded): NDIS
 * completes every request its FilterOidRequest pended and it never completed to that request's
 * issuer with NDIS_STATUS_REQUEST_ABORTED, as for a stopped miniport's requests, so no protocol,
 * module above or host query waits forever. A late NdisFOidRequestComplete for one of them finds
 * nothing held (its handle is revoked as well) and is reported, never completed twice.
 */
export function abortHeldOids(module: FilterModule): void {
  if (module.oidsHeld.size === 0) return;
  const held = [...module.oidsHeld];
  module.oidsHeld.clear();
  for (const [request, issuer] of held)
    completeToIssuer(issuer, request, NDIS_STATUS_REQUEST_ABORTED);
}

/** NdisFCancelOidRequest: the cancellation goes on down from `module`. */
export function cancelOidFromFilter(module: FilterModule, requestId: unknown): void {
  cancelOid(module, requestId);
}

function completeToIssuer(
  binding: OidIssuer | NdisOidIssuer,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): void {
  if (binding.kind === "ndis") {
    binding.onComplete(status);
    return;
  }
  if (binding.kind === "filter-module") {
    binding.oidsPending--;
    const complete = binding.block.chars.handlers.OidRequestCompleteHandler as
      | ((c: unknown, r: unknown, s: unknown) => void)
      | undefined;
    if (complete === undefined) return;
    callHandler(
      binding.runtime,
      binding.driver,
      "FilterOidRequestComplete",
      currentFrame().irql,
      complete,
      binding.context,
      request,
      status,
    );
    return;
  }
  if (status === NDIS_STATUS_SUCCESS && binding.adapter.filters.length > 0)
    noteSetCompleted(binding, request);
  const handler = binding.protocol.chars.handlers.OidRequestCompleteHandler as
    | ((c: unknown, r: unknown, s: unknown) => void)
    | undefined;
  if (handler === undefined) return;
  callHandler(
    binding.runtime,
    binding.driver,
    "ProtocolOidRequestComplete",
    currentFrame().irql,
    handler,
    binding.context,
    request,
    status,
  );
}

/** NdisMOidRequestComplete after its handle was checked. */
export function completeOid(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): void {
  const entry = adapter.oidPending;
  const runtime = adapter.runtime;
  if (entry === null || entry.request !== request) {
    runtime.violate(
      "NdisMOidRequestComplete_NotPending",
      `NdisMOidRequestComplete on adapter ${adapter.name} for a request that is not pending there`,
      currentFrame().driver,
    );
    return;
  }
  let final = status;
  if (!isNdisStatusValue(status) || status === NDIS_STATUS_PENDING) {
    runtime.violate(
      "NdisMOidRequestComplete_NotPending",
      `NdisMOidRequestComplete on adapter ${adapter.name} with status ${String(status)}; a completion is never PENDING`,
      currentFrame().driver,
    );
    final = NDIS_STATUS_FAILURE;
  }
  final = checkBytes(adapter, request, final);
  // A completion from inside MiniportOidRequest: the issuer has not been told PENDING yet, but
  // will be (the handler must return PENDING), so the result goes to its completion handler.
  entry.queued = true;
  finish(adapter, entry, final);
}

/**
 * NdisCancelOidRequest after its handle was checked: a request still queued is completed by NDIS
 * with NDIS_STATUS_REQUEST_ABORTED; the one the miniport has is cancelled through
 * MiniportCancelOidRequest.
 */
export function cancelOid(binding: OidIssuer, requestId: unknown): void {
  const adapter = binding.adapter;
  const below =
    adapter.filters.length === 0
      ? null
      : edgeBelow(adapter, binding.kind === "filter-module" ? binding : null, "oid");
  if (below !== null) {
    // The request went to a filter module: it is that module's to cancel (and pass on down).
    const cancelHandler = below.block.chars.handlers.CancelOidRequestHandler as
      | ((c: unknown, id: unknown) => void)
      | undefined;
    if (cancelHandler === undefined) return;
    callHandler(
      adapter.runtime,
      below.driver,
      "FilterCancelOidRequest",
      currentFrame().irql,
      cancelHandler,
      below.context,
      requestId,
    );
    return;
  }
  for (const entry of [...adapter.oidQueue]) {
    if (entry.binding === binding && entry.request.RequestId === requestId) {
      adapter.oidQueue.splice(adapter.oidQueue.indexOf(entry), 1);
      inFlight.delete(entry.request);
      completeToIssuer(binding, entry.request, NDIS_STATUS_REQUEST_ABORTED);
    }
  }
  const pending = adapter.oidPending;
  if (pending === null || pending.binding !== binding || pending.request.RequestId !== requestId)
    return;
  const cancel = adapter.block.chars.handlers.CancelOidRequestHandler as
    | ((c: unknown, id: unknown) => void)
    | undefined;
  if (cancel === undefined) return;
  callHandler(
    adapter.runtime,
    adapter.driver,
    "MiniportCancelOidRequest",
    currentFrame().irql,
    cancel,
    adapter.context,
    requestId,
  );
}

/**
 * The adapter's miniport was stopped by the verifier: NDIS completes the request it held and those
 * queued behind it with NDIS_STATUS_REQUEST_ABORTED, so no issuer waits forever.
 */
export function abortOids(adapter: MiniportAdapter): void {
  const entries = adapter.oidPending === null ? [] : [adapter.oidPending];
  entries.push(...adapter.oidQueue.splice(0));
  adapter.oidPending = null;
  for (const entry of entries) {
    inFlight.delete(entry.request);
    if (entry.binding === null) entry.onComplete?.(NDIS_STATUS_REQUEST_ABORTED);
    else if (entry.queued)
      completeToIssuer(entry.binding, entry.request, NDIS_STATUS_REQUEST_ABORTED);
  }
}
