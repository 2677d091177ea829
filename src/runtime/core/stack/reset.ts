/**
 * Check-for-hang and hardware reset of a physical miniport's adapter (learn.microsoft.com:
 * "Miniport Adapter Check-for-Hang and Reset Operations", "Miniport Driver Hardware Reset", the
 * MINIPORT_CHECK_FOR_HANG, MINIPORT_RESET, NdisMResetComplete and NDIS_STATUS_RESET_START pages).
 *
 * - NDIS calls MiniportCheckForHangEx on its own timer, every CheckForHangTimeInSeconds of the
 *   registration attributes (2 s when 0), from initialization to halt. TRUE starts a reset; so
 *   does an OID request the miniport has not completed across two successive checks, and
 *   NdisMResetMiniport. An intermediate driver's virtual miniport is never checked nor reset.
 * - A reset: NDIS indicates NDIS_STATUS_RESET_START up the stack (filter modules' FilterStatus,
 *   then ProtocolStatusEx), calls MiniportResetEx, and from then until the reset ends delivers no
 *   OID request (they wait in NDIS's queue) and accepts no send (completed at once with
 *   NDIS_STATUS_RESET_IN_PROGRESS) — [MODEL] the ProtocolStatusEx page says only that NDIS does
 *   not accept them; requests the miniport already has are not aborted.
 * - The end (MiniportResetEx's return, or NdisMResetComplete after PENDING): with AddressingReset
 *   TRUE NDIS sets again, first in the queue, the packet filter and multicast list the miniport
 *   last accepted; then it indicates NDIS_STATUS_RESET_END and delivers the queued requests.
 */
import { PASSIVE_LEVEL } from "../../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_STATUS_INDICATION } from "../../../ndis/object-header.js";
import {
  makeOidRequest,
  NdisRequestSetInformation,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../../ndis/oid.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NT_SUCCESS,
} from "../../../ndis/status.js";
import {
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_INDICATION_REVISION_1,
} from "../../../ndis/structs.js";
import type { Out } from "../../../ndis/types.js";
import { callDriver, isPromiseLike } from "../objects/context.js";
import type { MiniportAdapter, OidEntry } from "../objects/records.js";
import { issueNdisOid, resumeOids } from "./oid.js";
import { deliverStatus } from "./status.js";

/** NDIS's default check-for-hang period when CheckForHangTimeInSeconds is 0. */
export const DEFAULT_CHECK_FOR_HANG_SECONDS = 2;

interface HangWatch {
  cancel: () => void;
  /** The OID request pending at the miniport at the previous check. */
  oid: OidEntry | null;
}

const watches = new WeakMap<MiniportAdapter, HangWatch>();
/** Adapters whose MiniportResetEx returned PENDING: since when (host clock, ns). */
const pendingResets = new WeakMap<MiniportAdapter, bigint>();

const INITIALIZED = new Set(["Paused", "Restarting", "Running", "Pausing"]);

/** Whether NDIS resets this adapter at all: a physical miniport with MiniportResetEx. */
function resettable(adapter: MiniportAdapter): boolean {
  const chars = adapter.block.chars;
  return !chars.isIntermediate && chars.handlers.ResetHandlerEx !== undefined;
}

/** The check-for-hang period of `adapter`, in ms. */
export function checkForHangMs(adapter: MiniportAdapter): number {
  const seconds = adapter.registration?.CheckForHangTimeInSeconds ?? 0;
  return 1000 * (seconds > 0 ? seconds : DEFAULT_CHECK_FOR_HANG_SECONDS);
}

/** Starts NDIS's check-for-hang timer for a freshly initialized adapter (if it is resettable). */
export function startCheckForHang(adapter: MiniportAdapter): void {
  if (!resettable(adapter) || watches.has(adapter)) return;
  const watch: HangWatch = { cancel: () => {}, oid: null };
  watches.set(adapter, watch);
  arm(adapter, watch);
}

/** Stops the timer (the adapter is halted or its driver stopped). */
export function stopCheckForHang(adapter: MiniportAdapter): void {
  watches.get(adapter)?.cancel();
  watches.delete(adapter);
  pendingResets.delete(adapter);
}

function arm(adapter: MiniportAdapter, watch: HangWatch): void {
  watch.cancel = adapter.runtime.clock.schedule(
    checkForHangMs(adapter),
    () => check(adapter, watch),
    true,
    `NDIS: MiniportCheckForHangEx(${adapter.name})`,
  );
}

function check(adapter: MiniportAdapter, watch: HangWatch): void {
  const { runtime, driver } = adapter;
  if (watches.get(adapter) !== watch) return;
  if (
    runtime.bugCheck !== null ||
    driver.crashed !== null ||
    !INITIALIZED.has(adapter.machine.state)
  ) {
    stopCheckForHang(adapter);
    return;
  }
  if (!adapter.resetting) {
    let hung = false;
    const cfh = adapter.block.chars.handlers.CheckForHangHandlerEx as
      | ((context: unknown) => unknown)
      | undefined;
    if (cfh !== undefined) {
      hung =
        callDriver(
          runtime,
          driver,
          "MiniportCheckForHangEx",
          PASSIVE_LEVEL,
          () => cfh(adapter.context),
          () => false,
          adapter.name,
        ) === true;
    }
    // A request the miniport has held since the previous check: NDIS may reset it.
    const oid = adapter.oidPending;
    if (oid !== null && oid === watch.oid) hung = true;
    watch.oid = oid;
    if (hung && watches.get(adapter) === watch) startReset(adapter);
  }
  if (watches.get(adapter) === watch) arm(adapter, watch);
}

function resetIndication(adapter: MiniportAdapter, code: NDIS_STATUS): NDIS_STATUS_INDICATION {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
      Revision: NDIS_STATUS_INDICATION_REVISION_1,
      Size: 0,
    },
    SourceHandle: adapter.handle,
    PortNumber: 0,
    StatusCode: code,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: null,
    StatusBufferSize: 0,
  };
}

/**
 * Resets `adapter` (check-for-hang, a stalled OID request, NdisMResetMiniport). Returns false if
 * NDIS does not reset it now (an IM's virtual miniport, no MiniportResetEx, a reset already in
 * progress, an adapter not initialized).
 */
export function startReset(adapter: MiniportAdapter): boolean {
  const { runtime, driver } = adapter;
  if (
    !resettable(adapter) ||
    adapter.resetting ||
    driver.crashed !== null ||
    !INITIALIZED.has(adapter.machine.state)
  )
    return false;
  adapter.resetting = true;
  const watch = watches.get(adapter);
  if (watch !== undefined) watch.oid = null;
  deliverStatus(adapter, null, resetIndication(adapter, NDIS_STATUS_RESET_START));
  const reset = adapter.block.chars.handlers.ResetHandlerEx as (
    context: unknown,
    addressingReset: Out<boolean>,
  ) => unknown;
  const addressing: Out<boolean> = {};
  const returned = callDriver(
    runtime,
    driver,
    "MiniportResetEx",
    PASSIVE_LEVEL,
    () => reset(adapter.context, addressing),
    () => NDIS_STATUS_FAILURE,
    adapter.name,
  );
  const settle = (value: unknown) => {
    if (value === NDIS_STATUS_PENDING) {
      // NdisMResetComplete may already have ended it from inside the handler.
      if (adapter.resetting && !pendingResets.has(adapter))
        pendingResets.set(adapter, runtime.clock.now());
      return;
    }
    if (!adapter.resetting) return;
    if (!isNdisStatusValue(value)) {
      runtime.violate(
        "Callback_InvalidReturn",
        `MiniportResetEx of adapter ${adapter.name} returned ${typeof value}, not an NDIS_STATUS`,
        driver,
      );
    }
    endReset(
      adapter,
      isNdisStatusValue(value) ? value : NDIS_STATUS_FAILURE,
      addressing.value === true,
    );
  };
  if (isPromiseLike(returned)) void Promise.resolve(returned).then(settle);
  else settle(returned);
  return true;
}

/** True while MiniportResetEx has returned PENDING and NdisMResetComplete has not come. */
export function resetPendingSince(adapter: MiniportAdapter): bigint | null {
  return pendingResets.get(adapter) ?? null;
}

/**
 * NdisMResetComplete: false when no reset is in progress on the adapter (the caller reports it).
 * A completion from inside MiniportResetEx (before it returned PENDING) is accepted.
 */
export function completeReset(
  adapter: MiniportAdapter,
  status: NDIS_STATUS,
  addressingReset: boolean,
): boolean {
  if (!adapter.resetting) return false;
  endReset(adapter, status, addressingReset);
  return true;
}

function endReset(adapter: MiniportAdapter, status: NDIS_STATUS, addressingReset: boolean): void {
  pendingResets.delete(adapter);
  const restores: Promise<NDIS_STATUS>[] = [];
  if (addressingReset && NT_SUCCESS(status)) {
    // Still resetting: the settings are queued first, in this order (the packet filter, then the
    // multicast list), ahead of the requests that waited for the reset.
    const settings = [...adapter.addressing].sort(
      ([a], [b]) =>
        Number(b === OID_GEN_CURRENT_PACKET_FILTER) - Number(a === OID_GEN_CURRENT_PACKET_FILTER),
    );
    for (const [oid, bytes] of settings) {
      const request = makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: oid,
        InformationBuffer: bytes.slice(),
      });
      restores.push(issueNdisOid(adapter, request, restores.length));
    }
  }
  adapter.resetting = false;
  const end = () => {
    if (adapter.driver.crashed !== null) return;
    deliverStatus(adapter, null, resetIndication(adapter, NDIS_STATUS_RESET_END));
    resumeOids(adapter);
  };
  if (restores.length === 0) end();
  else {
    resumeOids(adapter);
    void Promise.all(restores).then(end);
  }
}
