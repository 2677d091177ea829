/**
 * NdisMIndicateStatusEx: a miniport reports a status change (link state, …) to the protocols
 * bound to its adapter, through their ProtocolStatusEx.
 */
import { NDIS_OBJECT_TYPE_STATUS_INDICATION } from "../../ndis/object-header.js";
import { NDIS_STATUS_LINK_STATE } from "../../ndis/status.js";
import {
  type NDIS_LINK_STATE,
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_INDICATION_REVISION_1,
} from "../../ndis/structs.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";
import type { MiniportAdapter } from "../core/objects/records.js";
import { deliverStatus } from "../core/stack/status.js";
import { miniportAdapterOf } from "./lookup.js";

/**
 * NDIS keeps the link state it reports current from NDIS_STATUS_LINK_STATE indications (contract
 * §6.1 notes): later bind parameters and the host's view carry the new connect state, duplex and
 * speeds. A payload that is not an NDIS_LINK_STATE changes nothing.
 */
function trackLinkState(adapter: MiniportAdapter, buffer: unknown): void {
  const general = adapter.general;
  const state = buffer as Partial<NDIS_LINK_STATE> | null | undefined;
  if (general === null || state === null || typeof state !== "object") return;
  const { MediaConnectState, MediaDuplexState, XmitLinkSpeed, RcvLinkSpeed } = state;
  if (typeof MediaConnectState !== "number" || typeof MediaDuplexState !== "number") return;
  adapter.general = {
    ...general,
    MediaConnectState,
    MediaDuplexState,
    XmitLinkSpeed: typeof XmitLinkSpeed === "bigint" ? XmitLinkSpeed : general.XmitLinkSpeed,
    RcvLinkSpeed: typeof RcvLinkSpeed === "bigint" ? RcvLinkSpeed : general.RcvLinkSpeed,
  };
}

/** Adapter states in which a miniport may indicate status (initialized, not halted). */
const INDICATING_STATES = new Set(["Paused", "Restarting", "Running", "Pausing"]);

/**
 * NdisMIndicateStatusEx (≤ DISPATCH_LEVEL): delivers `StatusIndication` to ProtocolStatusEx of
 * every open binding of the adapter, or only to the binding named by DestinationHandle. A
 * malformed indication, one with another adapter's SourceHandle, or one outside the adapter's
 * initialized life is reported (NdisMIndicateStatusEx_Invalid) and not delivered.
 */
export function NdisMIndicateStatusEx(
  MiniportAdapterHandle: NDIS_HANDLE,
  StatusIndication: NDIS_STATUS_INDICATION,
): void {
  const adapter = miniportAdapterOf("NdisMIndicateStatusEx", MiniportAdapterHandle);
  if (adapter === null) return;
  const runtime = adapter.runtime;
  runtime.assertAlive();
  const frame = currentFrame();
  const s = StatusIndication as Partial<NDIS_STATUS_INDICATION> | null | undefined;
  let why: string | null = null;
  if (s === null || typeof s !== "object") why = "StatusIndication is NULL";
  else if (s.Header?.Type !== NDIS_OBJECT_TYPE_STATUS_INDICATION)
    why = "Header.Type is not NDIS_OBJECT_TYPE_STATUS_INDICATION";
  else if (s.Header.Revision !== NDIS_STATUS_INDICATION_REVISION_1)
    why = `Header.Revision ${String(s.Header.Revision)} is not NDIS_STATUS_INDICATION_REVISION_1`;
  else if (s.SourceHandle !== MiniportAdapterHandle)
    why = "SourceHandle is not the indicating adapter's handle";
  else if (typeof s.StatusCode !== "number") why = "StatusCode is not an NDIS_STATUS";
  else if (!INDICATING_STATES.has(adapter.machine.state))
    why = `the adapter is ${adapter.machine.state}`;
  const destination = s?.DestinationHandle ?? null;
  const only =
    destination === null ? null : (adapter.bindings.find((b) => b.handle === destination) ?? null);
  if (why === null && destination !== null && only === null)
    why = "DestinationHandle is not a binding handle of this adapter";
  if (why !== null) {
    runtime.violate(
      "NdisMIndicateStatusEx_Invalid",
      `NdisMIndicateStatusEx on adapter ${adapter.name}: ${why}; NDIS delivered nothing`,
      frame.driver,
      frame.depth,
    );
    return;
  }
  if (s?.StatusCode === NDIS_STATUS_LINK_STATE) trackLinkState(adapter, s.StatusBuffer);
  deliverStatus(adapter, null, StatusIndication, only);
}

export { deliverStatus };
