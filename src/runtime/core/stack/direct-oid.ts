/**
 * NDIS 6.1's direct OID request path ("Direct OID Request Interface in NDIS 6.1", "Miniport
 * Adapter Direct OID Requests", "Filter Module Direct OID Requests"): NdisDirectOidRequest from a
 * binding or NdisFDirectOidRequest from a filter module crosses the modules that have a
 * FilterDirectOidRequest (the others are skipped, as for ordinary requests) down to
 * MiniportDirectOidRequest. What differs from the ordinary path (oid.ts):
 * - No serialization: NDIS holds no queue for them — a direct request reaches the miniport while
 *   another direct or ordinary request is pending there, and during a reset.
 * - Handlers run at the caller's IRQL, which may be DISPATCH_LEVEL.
 * - Only the OIDs NDIS supports on this path (each OID's page says so) may be issued.
 * - Completions go to ProtocolDirectOidRequestComplete / FilterDirectOidRequestComplete, by
 *   NdisMDirectOidRequestComplete / NdisFDirectOidRequestComplete, each exactly once, and only for
 *   a request the handler returned NDIS_STATUS_PENDING for.
 */
import type { NDIS_OID_REQUEST } from "../../../ndis/oid.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_ADAPTER_NOT_READY,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
} from "../../../ndis/status.js";
import { callDriver, callHandler, currentFrame } from "../objects/context.js";
import type { Binding, FilterModule, MiniportAdapter } from "../objects/records.js";
import { edgeBelow } from "./crossing.js";

/** Who issued a direct request down a stack. */
export type DirectOidIssuer = Binding | FilterModule;

/** The direct requests each miniport adapter has pended, with who issued them. */
const atMiniport = new WeakMap<MiniportAdapter, Map<NDIS_OID_REQUEST, DirectOidIssuer>>();
/** The direct requests each filter module's FilterDirectOidRequest has, with who issued them. */
const atFilter = new WeakMap<FilterModule, Map<NDIS_OID_REQUEST, DirectOidIssuer>>();
/** Direct requests issued and not yet completed to their issuer. */
const inFlight = new WeakSet<NDIS_OID_REQUEST>();
/** How many direct requests each issuer has out (an unbind or detach waits for none). */
const outstanding = new WeakMap<DirectOidIssuer, number>();

export function isDirectInFlight(request: NDIS_OID_REQUEST): boolean {
  return inFlight.has(request);
}

/** How many direct requests `issuer` has issued that have not completed to it. */
export function directOidsOutstanding(issuer: DirectOidIssuer): number {
  return outstanding.get(issuer) ?? 0;
}

/** How many direct requests the miniport of `adapter` has pended and not completed. */
export function directOidsAtMiniport(adapter: MiniportAdapter): number {
  return atMiniport.get(adapter)?.size ?? 0;
}

function held<K extends object>(
  maps: WeakMap<K, Map<NDIS_OID_REQUEST, DirectOidIssuer>>,
  key: K,
): Map<NDIS_OID_REQUEST, DirectOidIssuer> {
  let map = maps.get(key);
  if (map === undefined) {
    map = new Map();
    maps.set(key, map);
  }
  return map;
}

function count(issuer: DirectOidIssuer, by: number): void {
  outstanding.set(issuer, (outstanding.get(issuer) ?? 0) + by);
}

/**
 * Issues a direct request from `issuer` to the next edge below that takes them: a filter module's
 * FilterDirectOidRequest, or MiniportDirectOidRequest at once, whatever else the miniport has.
 * Returns the handler's status; PENDING means the issuer's completion handler will be called.
 */
export function issueDirectOid(issuer: DirectOidIssuer, request: NDIS_OID_REQUEST): NDIS_STATUS {
  const adapter = issuer.adapter;
  const from = issuer.kind === "filter-module" ? issuer : null;
  const below = adapter.filters.length === 0 ? null : edgeBelow(adapter, from, "directOid");
  inFlight.add(request);
  count(issuer, 1);
  const status =
    below !== null ? toFilter(below, issuer, request) : toMiniport(adapter, issuer, request);
  if (status !== NDIS_STATUS_PENDING) {
    inFlight.delete(request);
    count(issuer, -1);
  }
  return status;
}

/** MiniportDirectOidRequest, or NDIS's own answer when the miniport cannot take one. */
function toMiniport(
  adapter: MiniportAdapter,
  issuer: DirectOidIssuer,
  request: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const { driver } = adapter;
  const handler = adapter.block.chars.handlers.DirectOidRequestHandler as
    | ((c: unknown, r: unknown) => unknown)
    | undefined;
  // [MODEL] A miniport without the direct path: NDIS answers NOT_SUPPORTED itself.
  if (handler === undefined) return NDIS_STATUS_NOT_SUPPORTED;
  const state = adapter.machine.state;
  // Between MiniportInitializeEx and MiniportHaltEx only, and not in a low-power state.
  if (
    state === "Halted" ||
    state === "Initializing" ||
    state === "Shutdown" ||
    adapter.lowPower ||
    driver.crashed !== null
  )
    return NDIS_STATUS_ADAPTER_NOT_READY;
  return callDirectHandler(
    adapter,
    "MiniportDirectOidRequest",
    "NdisMDirectOidRequestComplete",
    `adapter ${adapter.name}`,
    held(atMiniport, adapter),
    issuer,
    request,
    () => handler(adapter.context, request),
  );
}

/** FilterDirectOidRequest of `module`. */
function toFilter(
  module: FilterModule,
  issuer: DirectOidIssuer,
  request: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const handler = module.block.chars.handlers.DirectOidRequestHandler as (
    c: unknown,
    r: unknown,
  ) => unknown;
  return callDirectHandler(
    module,
    "FilterDirectOidRequest",
    "NdisFDirectOidRequestComplete",
    module.name,
    held(atFilter, module),
    issuer,
    request,
    () => handler(module.context, request),
  );
}

/**
 * Calls a driver's direct OID handler with `request` held as pended by it; the handler's return:
 * PENDING, or its final status (a completion it made and then returned non-PENDING is a
 * violation, as is a return that is no NDIS_STATUS).
 */
function callDirectHandler(
  owner: MiniportAdapter | FilterModule,
  handlerName: "MiniportDirectOidRequest" | "FilterDirectOidRequest",
  completeName: "NdisMDirectOidRequestComplete" | "NdisFDirectOidRequestComplete",
  who: string,
  pending: Map<NDIS_OID_REQUEST, DirectOidIssuer>,
  issuer: DirectOidIssuer,
  request: NDIS_OID_REQUEST,
  call: () => unknown,
): NDIS_STATUS {
  const { runtime, driver } = owner;
  pending.set(request, issuer);
  const returned = callDriver(
    runtime,
    driver,
    handlerName,
    currentFrame().irql,
    call,
    () => NDIS_STATUS_FAILURE,
    owner.name,
  );
  if (returned === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  if (!pending.has(request)) {
    runtime.violate(
      `${completeName}_NotPending`,
      `${handlerName} of ${who} completed the request with ${completeName} and then returned ${String(returned)} instead of PENDING`,
      driver,
    );
    return NDIS_STATUS_PENDING;
  }
  pending.delete(request);
  if (!isNdisStatusValue(returned)) {
    runtime.violate(
      "Callback_InvalidReturn",
      `${handlerName} of ${who} returned ${typeof returned}, not an NDIS_STATUS`,
      driver,
    );
    return NDIS_STATUS_FAILURE;
  }
  return returned;
}

/** A completion's status: never PENDING, always an NDIS_STATUS. */
function finalStatus(status: NDIS_STATUS, report: (why: string) => void): NDIS_STATUS {
  if (isNdisStatusValue(status) && status !== NDIS_STATUS_PENDING) return status;
  report(`with status ${String(status)}; a completion is never PENDING`);
  return NDIS_STATUS_FAILURE;
}

/**
 * NdisMDirectOidRequestComplete after its handle was checked. False (and reported) when the
 * request is not one the miniport pended, or was completed already.
 */
export function completeDirectOidAtMiniport(
  adapter: MiniportAdapter,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): boolean {
  const runtime = adapter.runtime;
  const driver = currentFrame().driver ?? adapter.driver;
  const pending = atMiniport.get(adapter);
  const issuer = pending?.get(request);
  if (pending === undefined || issuer === undefined) {
    runtime.violate(
      "NdisMDirectOidRequestComplete_NotPending",
      `NdisMDirectOidRequestComplete on adapter ${adapter.name} for a request its MiniportDirectOidRequest was not given, or one completed already`,
      driver,
    );
    return false;
  }
  pending.delete(request);
  const final = finalStatus(status, (why) =>
    runtime.violate(
      "NdisMDirectOidRequestComplete_NotPending",
      `NdisMDirectOidRequestComplete on adapter ${adapter.name} ${why}`,
      driver,
    ),
  );
  completeToIssuer(issuer, request, final);
  return true;
}

/** NdisFDirectOidRequestComplete after its handle was checked. */
export function completeDirectOidAtFilter(
  module: FilterModule,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): boolean {
  const runtime = module.runtime;
  const pending = atFilter.get(module);
  const issuer = pending?.get(request);
  if (pending === undefined || issuer === undefined) {
    runtime.violate(
      "NdisFDirectOidRequestComplete_NotPending",
      `NdisFDirectOidRequestComplete on ${module.name} for a request its FilterDirectOidRequest was not given, or one completed already`,
      module.driver,
    );
    return false;
  }
  pending.delete(request);
  const final = finalStatus(status, (why) =>
    runtime.violate(
      "NdisFDirectOidRequestComplete_NotPending",
      `NdisFDirectOidRequestComplete on ${module.name} ${why}`,
      module.driver,
    ),
  );
  completeToIssuer(issuer, request, final);
  return true;
}

/** The issuer's ProtocolDirectOidRequestComplete or FilterDirectOidRequestComplete. */
function completeToIssuer(
  issuer: DirectOidIssuer,
  request: NDIS_OID_REQUEST,
  status: NDIS_STATUS,
): void {
  if (!inFlight.has(request)) return;
  inFlight.delete(request);
  count(issuer, -1);
  const irql = currentFrame().irql;
  if (issuer.kind === "filter-module") {
    const complete = issuer.block.chars.handlers.DirectOidRequestCompleteHandler as
      | ((c: unknown, r: unknown, s: unknown) => void)
      | undefined;
    if (complete === undefined) return;
    callHandler(
      issuer.runtime,
      issuer.driver,
      "FilterDirectOidRequestComplete",
      irql,
      complete,
      issuer.context,
      request,
      status,
    );
    return;
  }
  const complete = issuer.protocol.chars.handlers.DirectOidRequestCompleteHandler as
    | ((c: unknown, r: unknown, s: unknown) => void)
    | undefined;
  if (complete === undefined) return;
  callHandler(
    issuer.runtime,
    issuer.driver,
    "ProtocolDirectOidRequestComplete",
    irql,
    complete,
    issuer.context,
    request,
    status,
  );
}

/**
 * NdisCancelDirectOidRequest / NdisFCancelDirectOidRequest: the cancellation goes to the next
 * edge below `from` that takes direct requests — FilterCancelDirectOidRequest, or
 * MiniportCancelDirectOidRequest when the miniport has a request with that RequestId from this
 * stack. (No queue to take it from: direct requests are never queued.)
 */
export function cancelDirectOid(issuer: DirectOidIssuer, requestId: unknown): void {
  const adapter = issuer.adapter;
  const from = issuer.kind === "filter-module" ? issuer : null;
  const below = adapter.filters.length === 0 ? null : edgeBelow(adapter, from, "directOid");
  const irql = currentFrame().irql;
  if (below !== null) {
    const cancel = below.block.chars.handlers.CancelDirectOidRequestHandler as
      | ((c: unknown, id: unknown) => void)
      | undefined;
    if (cancel === undefined) return;
    callHandler(
      adapter.runtime,
      below.driver,
      "FilterCancelDirectOidRequest",
      irql,
      cancel,
      below.context,
      requestId,
    );
    return;
  }
  const pending = atMiniport.get(adapter);
  if (pending === undefined || ![...pending.keys()].some((r) => r.RequestId === requestId)) return;
  const cancel = adapter.block.chars.handlers.CancelDirectOidRequestHandler as
    | ((c: unknown, id: unknown) => void)
    | undefined;
  if (cancel === undefined) return;
  callHandler(
    adapter.runtime,
    adapter.driver,
    "MiniportCancelDirectOidRequest",
    irql,
    cancel,
    adapter.context,
    requestId,
  );
}

/**
 * The edge `holder` leaves its stack without completing what it pended (its driver stopped, the
 * module detached, the adapter halted): NDIS completes each such direct request to its issuer
 * with NDIS_STATUS_REQUEST_ABORTED, so no issuer waits forever; a late completion finds nothing.
 */
export function abortDirectOids(holder: MiniportAdapter | FilterModule): void {
  const pending = holder.kind === "filter-module" ? atFilter.get(holder) : atMiniport.get(holder);
  if (pending === undefined || pending.size === 0) return;
  const entries = [...pending];
  pending.clear();
  for (const [request, issuer] of entries)
    completeToIssuer(issuer, request, NDIS_STATUS_REQUEST_ABORTED);
}
