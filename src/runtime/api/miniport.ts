/**
 * Miniport-edge DDI for adapters: NdisMSetMiniportAttributes (from MiniportInitializeEx),
 * NdisMPauseComplete and NdisMRestartComplete (completing a pause or restart that returned
 * NDIS_STATUS_PENDING), NdisMResetComplete and NdisMResetMiniport (the reset path, see
 * core/stack/reset.ts), NdisMNetPnPEvent, NdisMRemoveMiniport.
 */

import {
  type NDIS_MINIPORT_ADAPTER_ATTRIBUTES,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
} from "../../ndis/adapter.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import {
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  ndisObjectTypeToString,
} from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import {
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventBindsComplete,
  NetEventPause,
  NetEventRestart,
} from "../../ndis/structs.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import { checkGeneralAttributes, checkRegistrationAttributes } from "../core/base/attributes.js";
import { checkIrql, currentFrame, describeThrown, type Frame } from "../core/objects/context.js";
import { describeHandleArgument, handleRuntime, resolveHandle } from "../core/objects/handles.js";
import type { DriverRecord, MiniportAdapter, NdisRuntime } from "../core/objects/records.js";
import { netPnPUp } from "../core/stack/net-pnp.js";
import { completeReset, startReset } from "../core/stack/reset.js";
import { reportPendingCompletion } from "./lookup.js";
import { enter } from "./trace.js";

/** The adapter behind a miniport adapter handle, or null after reporting InvalidNdisHandle. */
function adapterOf(
  functionName: string,
  handle: unknown,
): { runtime: NdisRuntime; adapter: MiniportAdapter | null } | null {
  const target = resolveHandle(handle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(handle) ?? frame.runtime;
  if (runtime === null) return null;
  runtime.assertAlive();
  if (target?.kind === "miniport-adapter") return { runtime, adapter: target };
  runtime.violate(
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a live miniport adapter handle`,
    frame.driver,
  );
  return { runtime, adapter: null };
}

/**
 * NdisMSetMiniportAttributes: the adapter's registration attributes (first), general attributes
 * (second), then any others.
 *
 * Called by: MiniportInitializeEx, at PASSIVE_LEVEL. Returns SUCCESS; BAD_VERSION for a revision
 * this NDIS does not support, one older than the driver's version requires, or a Size too small
 * for it; INVALID_PARAMETER for a field that cannot be what it claims; FAILURE (with a violation)
 * out of order or outside InitializeEx.
 */
export function NdisMSetMiniportAttributes(
  NdisMiniportAdapterHandle: NDIS_HANDLE,
  MiniportAttributes: NDIS_MINIPORT_ADAPTER_ATTRIBUTES,
): NDIS_STATUS {
  const found = adapterOf("NdisMSetMiniportAttributes", NdisMiniportAdapterHandle);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, adapter } = found;
  const driver = adapter?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMSetMiniportAttributes", driver);
  checkIrql(
    runtime,
    driver,
    "NdisMSetMiniportAttributes",
    PASSIVE_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  if (adapter === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  if (adapter.machine.state !== "Initializing" || !adapter.machine.inHandler) {
    runtime.violate(
      "NdisMSetMiniportAttributes_OutsideInitialize",
      `NdisMSetMiniportAttributes for adapter ${adapter.name} in state ${adapter.machine.state}, outside MiniportInitializeEx`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "not inside MiniportInitializeEx");
  }
  let type: unknown;
  let header: { Revision: unknown; Size: unknown };
  try {
    const h = (MiniportAttributes as { Header?: unknown } | null | undefined)?.Header as
      | Record<string, unknown>
      | undefined;
    type = h?.Type;
    header = { Revision: h?.Revision, Size: h?.Size };
  } catch (thrown) {
    return done(
      NDIS_STATUS_INVALID_PARAMETER,
      `MiniportAttributes cannot be read: ${describeThrown(thrown)}`,
    );
  }
  if (typeof type !== "number")
    return done(NDIS_STATUS_INVALID_PARAMETER, "MiniportAttributes has no Header.Type");
  const outOfOrder = (message: string): NDIS_STATUS => {
    runtime.violate(
      "NdisMSetMiniportAttributes_Order",
      `adapter ${adapter.name}: ${message}`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, message);
  };
  if (type === NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES) {
    if (adapter.registration !== null) return outOfOrder("registration attributes set twice");
    const checked = checkRegistrationAttributes(MiniportAttributes, header, runtime.version);
    if (!checked.ok) return done(checked.status, checked.reason);
    adapter.registration = checked.value;
    adapter.context = checked.value.MiniportAdapterContext;
    if (
      adapter.block.chars.isIntermediate &&
      (checked.value.AttributeFlags & NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND) === 0
    ) {
      runtime.violate(
        "IMMiniport_NoHaltOnSuspend",
        `virtual miniport ${adapter.name}: its registration attributes lack NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND, so NDIS halts it for every sleep`,
        driver,
      );
    }
    return done(NDIS_STATUS_SUCCESS, `registration attributes, revision ${checked.value.Revision}`);
  }
  if (adapter.registration === null)
    return outOfOrder(`${ndisObjectTypeToString(type)} before the registration attributes`);
  if (type === NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) {
    if (adapter.general !== null) return outOfOrder("general attributes set twice");
    const checked = checkGeneralAttributes(
      MiniportAttributes,
      header,
      runtime.version,
      adapter.block.version,
    );
    if (!checked.ok) return done(checked.status, checked.reason);
    adapter.general = checked.value;
    return done(
      NDIS_STATUS_SUCCESS,
      `general attributes, revision ${checked.value.Revision}, MTU ${checked.value.MtuSize}`,
    );
  }
  if (adapter.general === null)
    return outOfOrder(`${ndisObjectTypeToString(type)} before the general attributes`);
  adapter.otherAttributes.add(type);
  return done(NDIS_STATUS_SUCCESS, ndisObjectTypeToString(type));
}

/**
 * NdisMPauseComplete: ends a MiniportPause that returned NDIS_STATUS_PENDING.
 *
 * Called by: the miniport driver, at IRQL <= DISPATCH_LEVEL, exactly once per pending pause.
 */
export function NdisMPauseComplete(MiniportAdapterHandle: NDIS_HANDLE): void {
  const found = adapterOf("NdisMPauseComplete", MiniportAdapterHandle);
  if (found === null) return;
  const { runtime, adapter } = found;
  const done = enter(runtime, "NdisMPauseComplete", adapter?.driver ?? currentFrame().driver);
  checkIrql(
    runtime,
    adapter?.driver ?? null,
    "NdisMPauseComplete",
    DISPATCH_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  adapter?.machine.fire("NdisMPauseComplete");
  done(undefined, adapter === null ? "invalid handle" : `adapter ${adapter.name}`);
}

/**
 * NdisMRestartComplete: ends a MiniportRestart that returned NDIS_STATUS_PENDING, with the
 * restart's status (SUCCESS, or a failure that leaves the adapter Paused).
 *
 * Called by: the miniport driver, at IRQL <= DISPATCH_LEVEL, exactly once per pending restart.
 */
export function NdisMRestartComplete(
  MiniportAdapterHandle: NDIS_HANDLE,
  Status: NDIS_STATUS,
): void {
  const found = adapterOf("NdisMRestartComplete", MiniportAdapterHandle);
  if (found === null) return;
  const { runtime, adapter } = found;
  const done = enter(runtime, "NdisMRestartComplete", adapter?.driver ?? currentFrame().driver);
  checkIrql(
    runtime,
    adapter?.driver ?? null,
    "NdisMRestartComplete",
    DISPATCH_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  // PENDING is reported and, as any status but SUCCESS, fails the restart.
  reportPendingCompletion(
    runtime,
    "NdisMRestartComplete",
    Status,
    `on adapter ${adapter?.name ?? "(invalid handle)"}`,
    adapter?.driver ?? null,
  );
  adapter?.machine.fire(
    Status === NDIS_STATUS_SUCCESS
      ? "NdisMRestartComplete:SUCCESS"
      : "NdisMRestartComplete:FAILURE",
  );
  done(undefined, adapter === null ? "invalid handle" : `adapter ${adapter.name}`);
}

/** Events NDIS generates itself for the stack above a virtual miniport; an IM never propagates them. */
const NOT_PROPAGATED = new Map<number, string>([
  [NetEventBindsComplete, "NetEventBindsComplete"],
  [NetEventPause, "NetEventPause"],
  [NetEventRestart, "NetEventRestart"],
]);

/**
 * NdisMNetPnPEvent: an IM driver passes a PnP event it received on its protocol edge up to the
 * protocols bound to one of its virtual miniports. NDIS calls their ProtocolNetPnPEvent and
 * returns — for NetEventQueryPower and NetEventQueryRemoveDevice — the first refusal, otherwise
 * SUCCESS. PASSIVE_LEVEL, from within ProtocolNetPnPEvent.
 *
 * Returns SUCCESS, INVALID_PARAMETER (an event NDIS generates itself; a violation), NOT_SUPPORTED
 * (not a virtual miniport of an IM driver) or FAILURE (invalid handle).
 * [MODEL] NDIS blocks in this call until every protocol has answered. ndis-ts cannot block: a
 * protocol that pends a propagated event counts as agreeing, and NDIS awaits its
 * NdisCompleteNetPnPEvent on its own.
 */
export function NdisMNetPnPEvent(
  MiniportAdapterHandle: NDIS_HANDLE,
  NetPnPEventNotification: NET_PNP_EVENT_NOTIFICATION,
): NDIS_STATUS {
  const found = adapterOf("NdisMNetPnPEvent", MiniportAdapterHandle);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, adapter } = found;
  const driver = adapter?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMNetPnPEvent", driver);
  checkIrql(runtime, driver, "NdisMNetPnPEvent", PASSIVE_LEVEL, "Irql_Protocol_Driver_Function");
  if (adapter === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  if (!adapter.block.chars.isIntermediate) {
    return done(
      NDIS_STATUS_NOT_SUPPORTED,
      "only an intermediate driver's virtual miniport propagates PnP events",
    );
  }
  let code: unknown;
  try {
    code = NetPnPEventNotification.NetPnPEvent.NetEvent;
  } catch (thrown) {
    return done(
      NDIS_STATUS_INVALID_PARAMETER,
      `NetPnPEventNotification cannot be read: ${describeThrown(thrown)}`,
    );
  }
  if (typeof code !== "number")
    return done(NDIS_STATUS_INVALID_PARAMETER, "NetPnPEventNotification has no NetEvent");
  const forbidden = NOT_PROPAGATED.get(code);
  if (forbidden !== undefined) {
    runtime.violate(
      "NdisMNetPnPEvent_NotPropagatable",
      `NdisMNetPnPEvent(${forbidden}) on ${adapter.name}: NDIS generates that event for the stack above itself`,
      driver,
    );
    return done(NDIS_STATUS_INVALID_PARAMETER, `${forbidden} is not propagated`);
  }
  const inOid = frameInHandler("MiniportOidRequest", driver);
  if (inOid || adapter.oidPending !== null) {
    // SDV NdisMNetPnPEventInOIDRequest: on Windows this deadlocks; NDIS here refuses the call.
    runtime.violate(
      "NdisMNetPnPEventInOIDRequest",
      `NdisMNetPnPEvent on ${adapter.name} ${inOid ? "from inside MiniportOidRequest" : "while an OID request the driver pended is outstanding"}`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "called inside an OID request");
  }
  // Up the stack: through the filter modules that take net PnP events, to the protocols.
  const status = netPnPUp(adapter, null, NetPnPEventNotification);
  if (typeof status === "number" && status !== NDIS_STATUS_SUCCESS)
    return done(status, "refused above");
  return done(NDIS_STATUS_SUCCESS, `NetEvent ${code} to the stack above ${adapter.name}`);
}

/** True when some frame on the stack runs `handler` of `driver`. */
function frameInHandler(handler: string, driver: DriverRecord | null): boolean {
  for (let frame: Frame | null = currentFrame(); frame !== null; frame = frame.parent) {
    if (frame.handler === handler && frame.driver === driver) return true;
  }
  return false;
}

/**
 * NdisMRemoveMiniport: a miniport driver found its adapter unrecoverable (the NdisMRemoveMiniport
 * DDI page). ≤ DISPATCH_LEVEL. NDIS returns at once, then removes the adapter as PnP does —
 * protocols paused, miniport paused, protocols unbound — and halts it with NdisHaltDeviceFailed
 * (the MiniportHaltEx page names this call as a cause of that action). Returns SUCCESS, or
 * FAILURE for a handle that is not a live adapter or an adapter already on its way out.
 */
export function NdisMRemoveMiniport(MiniportAdapterHandle: NDIS_HANDLE): NDIS_STATUS {
  const found = adapterOf("NdisMRemoveMiniport", MiniportAdapterHandle);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, adapter } = found;
  const driver = adapter?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMRemoveMiniport", driver);
  checkIrql(
    runtime,
    driver,
    "NdisMRemoveMiniport",
    DISPATCH_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  if (adapter === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  const state = adapter.machine.state;
  if (state === "Halted" || state === "Shutdown" || state === "Initializing" || adapter.removing)
    return done(NDIS_STATUS_FAILURE, `adapter ${adapter.name} is ${state}`);
  adapter.removing = true;
  runtime.pnp?.removeMiniport(adapter);
  return done(NDIS_STATUS_SUCCESS, `${adapter.name} will be removed (NdisHaltDeviceFailed)`);
}

/**
 * NdisMResetComplete: ends a MiniportResetEx that returned NDIS_STATUS_PENDING, with the reset's
 * final status and whether NDIS must set the packet filter and multicast list again
 * (AddressingReset; the NdisMResetComplete and "Miniport Driver Hardware Reset" pages).
 *
 * Called by: the miniport driver, at IRQL <= DISPATCH_LEVEL, once per pending reset. A call with
 * no reset in progress is reported (NdisMResetComplete_NotPending) and ignored.
 */
export function NdisMResetComplete(
  MiniportAdapterHandle: NDIS_HANDLE,
  Status: NDIS_STATUS,
  AddressingReset: boolean,
): void {
  const found = adapterOf("NdisMResetComplete", MiniportAdapterHandle);
  if (found === null) return;
  const { runtime, adapter } = found;
  const driver = adapter?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMResetComplete", driver);
  checkIrql(runtime, driver, "NdisMResetComplete", DISPATCH_LEVEL, "Irql_Miniport_Driver_Function");
  if (adapter === null) {
    done(undefined, "invalid handle");
    return;
  }
  const final = reportPendingCompletion(
    runtime,
    "NdisMResetComplete",
    Status,
    `on adapter ${adapter.name}`,
    driver,
  )
    ? NDIS_STATUS_FAILURE
    : Status;
  if (!completeReset(adapter, final, AddressingReset === true)) {
    runtime.violate(
      "NdisMResetComplete_NotPending",
      `NdisMResetComplete on adapter ${adapter.name}: no reset is in progress`,
      driver,
    );
    done(undefined, `adapter ${adapter.name}: no reset in progress`);
    return;
  }
  done(undefined, `adapter ${adapter.name}`);
}

/**
 * NdisMResetMiniport (NDIS 6.30): the miniport asks NDIS to reset its adapter later; NDIS calls
 * MiniportResetEx from a work item (the NdisMResetMiniport page). ≤ DISPATCH_LEVEL. Nothing
 * happens for an adapter NDIS does not reset (no MiniportResetEx, an IM's virtual miniport) or one
 * already being reset.
 */
export function NdisMResetMiniport(MiniportAdapterHandle: NDIS_HANDLE): void {
  const found = adapterOf("NdisMResetMiniport", MiniportAdapterHandle);
  if (found === null) return;
  const { runtime, adapter } = found;
  const driver = adapter?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMResetMiniport", driver);
  checkIrql(runtime, driver, "NdisMResetMiniport", DISPATCH_LEVEL, "Irql_Miniport_Driver_Function");
  if (adapter === null) {
    done(undefined, "invalid handle");
    return;
  }
  runtime.defer(() => {
    startReset(adapter);
  }, `NDIS: MiniportResetEx(${adapter.name})`);
  done(undefined, `adapter ${adapter.name}: reset scheduled`);
}
