/**
 * Protocol-edge DDI for bindings: NdisOpenAdapterEx (inside ProtocolBindAdapterEx),
 * NdisCloseAdapterEx (inside ProtocolUnbindAdapterEx, or a failing bind), and the completions of
 * pended binds, unbinds and PnP events.
 */
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_OPEN_PARAMETERS } from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_ADAPTER_NOT_FOUND,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_UNSUPPORTED_MEDIA,
} from "../../ndis/status.js";
import type { NDIS_OPEN_PARAMETERS, NET_PNP_EVENT_NOTIFICATION } from "../../ndis/structs.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { checkIrql, currentFrame, describeThrown } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleRuntime,
  resolveHandle,
  revokeHandle,
} from "../core/objects/handles.js";
import type { Binding, NdisRuntime } from "../core/objects/records.js";
import {
  completeBind,
  completeOpenOrClose,
  completePnPEvent,
  openBinding,
} from "../core/stack/binding.js";
import { directOidsOutstanding } from "../core/stack/direct-oid.js";
import { reportPendingCompletion } from "./lookup.js";
import { enter } from "./trace.js";

type Token = "bindContext" | "handle" | "unbindContext";

/** The binding `handle` is the given token of, or null after reporting InvalidNdisHandle. */
function bindingOf(
  functionName: string,
  handle: unknown,
  token: Token,
): { runtime: NdisRuntime; binding: Binding | null } | null {
  const target = resolveHandle(handle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(handle) ?? frame.runtime;
  if (runtime === null) return null;
  runtime.assertAlive();
  if (target?.kind === "binding" && target[token] === handle) return { runtime, binding: target };
  const wanted = {
    bindContext: "BindContext",
    handle: "NdisBindingHandle",
    unbindContext: "UnbindContext",
  }[token];
  runtime.violate(
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a live ${wanted}`,
    frame.driver,
  );
  return { runtime, binding: null };
}

/**
 * NdisOpenAdapterEx: opens the adapter a bind is about, creating the binding handle.
 *
 * Called by: ProtocolBindAdapterEx (or while that bind is pended), PASSIVE_LEVEL. Returns SUCCESS
 * (handle in NdisBindingHandle.value, the adapter's medium index in SelectedMediumIndex), PENDING
 * (ProtocolOpenAdapterCompleteEx follows), ADAPTER_NOT_FOUND, UNSUPPORTED_MEDIA or FAILURE.
 */
export function NdisOpenAdapterEx(
  NdisProtocolHandle: NDIS_HANDLE,
  ProtocolBindingContext: unknown,
  OpenParameters: NDIS_OPEN_PARAMETERS,
  BindContext: NDIS_HANDLE,
  NdisBindingHandle: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  const target = resolveHandle(BindContext);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(BindContext) ?? frame.runtime;
  if (runtime === null) return NDIS_STATUS_FAILURE;
  runtime.assertAlive();
  const driver = frame.driver ?? target?.driver ?? null;
  const done = enter(runtime, "NdisOpenAdapterEx", driver);
  checkIrql(runtime, driver, "NdisOpenAdapterEx", PASSIVE_LEVEL, "Irql_Protocol_Driver_Function");
  const binding = target?.kind === "binding" && target.bindContext === BindContext ? target : null;
  if (binding === null || binding.machine.state !== "Opening" || binding.open !== "closed") {
    const why =
      binding === null
        ? `BindContext ${describeHandleArgument(BindContext)} is not a bind in progress`
        : binding.open !== "closed"
          ? "the adapter is already opened for this bind"
          : `the bind is over (binding ${binding.machine.state})`;
    runtime.violate("NdisOpenAdapterEx_OutsideBind", `NdisOpenAdapterEx: ${why}`, driver);
    return done(NDIS_STATUS_FAILURE, why);
  }
  if (NdisProtocolHandle !== binding.protocol.handle) {
    runtime.violate(
      "InvalidNdisHandle",
      `NdisOpenAdapterEx got ${describeHandleArgument(NdisProtocolHandle)}; it needs the handle of protocol ${binding.protocol.chars.Name}`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "wrong protocol handle");
  }
  if (
    typeof NdisBindingHandle !== "object" ||
    NdisBindingHandle === null ||
    Object.isFrozen(NdisBindingHandle)
  ) {
    return done(NDIS_STATUS_FAILURE, "NdisBindingHandle is not a writable Out<NDIS_HANDLE>");
  }
  let medium: number;
  try {
    const p = OpenParameters as Partial<NDIS_OPEN_PARAMETERS> | null;
    if (p?.Header?.Type !== NDIS_OBJECT_TYPE_OPEN_PARAMETERS) {
      return done(
        NDIS_STATUS_FAILURE,
        "OpenParameters.Header.Type is not NDIS_OBJECT_TYPE_OPEN_PARAMETERS (0x87)",
      );
    }
    if (p.AdapterName !== binding.adapter.name) {
      return done(
        NDIS_STATUS_ADAPTER_NOT_FOUND,
        `OpenParameters.AdapterName ${JSON.stringify(p.AdapterName)} is not the adapter being bound`,
      );
    }
    const media = Array.isArray(p.MediumArray)
      ? p.MediumArray.slice(0, p.MediumArraySize ?? p.MediumArray.length)
      : [];
    medium = media.indexOf(binding.adapter.general?.MediaType ?? -1);
    if (medium < 0)
      return done(NDIS_STATUS_UNSUPPORTED_MEDIA, "MediumArray does not hold the adapter's medium");
    if (typeof p.SelectedMediumIndex !== "object" || p.SelectedMediumIndex === null) {
      return done(NDIS_STATUS_FAILURE, "OpenParameters.SelectedMediumIndex is not an Out<number>");
    }
    p.SelectedMediumIndex.value = medium;
  } catch (thrown) {
    return done(NDIS_STATUS_FAILURE, `OpenParameters cannot be read: ${describeThrown(thrown)}`);
  }
  NdisBindingHandle.value = openBinding(binding, ProtocolBindingContext);
  if (runtime.takePending("NdisOpenAdapterEx")) {
    binding.open = "opening";
    runtime.defer(
      () => completeOpenOrClose(binding, "open", NDIS_STATUS_SUCCESS),
      "NDIS: complete NdisOpenAdapterEx",
    );
    return done(
      NDIS_STATUS_PENDING,
      `${binding.adapter.name}: ProtocolOpenAdapterCompleteEx follows`,
    );
  }
  return done(NDIS_STATUS_SUCCESS, `${binding.protocol.chars.Name} opened ${binding.adapter.name}`);
}

/**
 * NdisCloseAdapterEx: closes a binding. Called by ProtocolUnbindAdapterEx (or a bind backing out
 * after its open succeeded), PASSIVE_LEVEL. Returns SUCCESS or PENDING
 * (ProtocolCloseAdapterCompleteEx follows). The binding handle is dead afterwards.
 */
export function NdisCloseAdapterEx(NdisBindingHandle: NDIS_HANDLE): NDIS_STATUS {
  const found = bindingOf("NdisCloseAdapterEx", NdisBindingHandle, "handle");
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, binding } = found;
  const driver = binding?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisCloseAdapterEx", driver);
  checkIrql(runtime, driver, "NdisCloseAdapterEx", PASSIVE_LEVEL, "Irql_Protocol_Driver_Function");
  if (binding === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  const state = binding.machine.state;
  if ((state !== "Closing" && state !== "Opening") || binding.open !== "open") {
    runtime.violate(
      "NdisCloseAdapterEx_OutsideUnbind",
      `NdisCloseAdapterEx on binding ${binding.protocol.chars.Name} → ${binding.adapter.name} in state ${state}${binding.open !== "open" ? ` (${binding.open})` : ""}`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "not inside an unbind or a failing bind");
  }
  const adapter = binding.adapter;
  let requests = adapter.oidPending?.binding === binding ? 1 : 0;
  for (const entry of adapter.oidQueue) if (entry.binding === binding) requests++;
  // Direct requests (NdisDirectOidRequest) count as well: they are the protocol's until completed.
  requests += directOidsOutstanding(binding);
  if (requests > 0 || binding.sendsOutstanding > 0) {
    runtime.violate(
      "NdisCloseAdapterEx_RequestsOutstanding",
      `${binding.protocol.chars.Name} closed its binding to ${adapter.name} with ${[
        requests > 0 ? `${requests} OID request(s)` : "",
        binding.sendsOutstanding > 0 ? `${binding.sendsOutstanding} send(s)` : "",
      ]
        .filter((s) => s !== "")
        .join(" and ")} it made still out`,
      driver,
    );
  }
  revokeHandle(NdisBindingHandle);
  if (runtime.takePending("NdisCloseAdapterEx")) {
    binding.open = "closing";
    runtime.defer(
      () => completeOpenOrClose(binding, "close", NDIS_STATUS_SUCCESS),
      "NDIS: complete NdisCloseAdapterEx",
    );
    return done(NDIS_STATUS_PENDING, "ProtocolCloseAdapterCompleteEx follows");
  }
  binding.open = "closed";
  return done(NDIS_STATUS_SUCCESS, `${binding.protocol.chars.Name} closed ${binding.adapter.name}`);
}

/** NdisCompleteBindAdapterEx: ends a ProtocolBindAdapterEx that returned PENDING. */
export function NdisCompleteBindAdapterEx(
  BindAdapterContext: NDIS_HANDLE,
  Status: NDIS_STATUS,
): void {
  const found = bindingOf("NdisCompleteBindAdapterEx", BindAdapterContext, "bindContext");
  if (found === null) return;
  const { runtime, binding } = found;
  const done = enter(
    runtime,
    "NdisCompleteBindAdapterEx",
    binding?.driver ?? currentFrame().driver,
  );
  // ≤ DISPATCH_LEVEL (the NdisCompleteBindAdapterEx DDI page).
  checkIrql(
    runtime,
    binding?.driver ?? null,
    "NdisCompleteBindAdapterEx",
    DISPATCH_LEVEL,
    "Irql_Protocol_Driver_Function",
  );
  const final = reportPendingCompletion(
    runtime,
    "NdisCompleteBindAdapterEx",
    Status,
    `for ${binding?.adapter.name ?? "a bind"}`,
    binding?.driver ?? null,
  )
    ? NDIS_STATUS_FAILURE
    : Status;
  if (binding !== null) completeBind(binding, final);
  done(undefined);
}

/** NdisCompleteUnbindAdapterEx: ends a ProtocolUnbindAdapterEx that returned PENDING. */
export function NdisCompleteUnbindAdapterEx(UnbindContext: NDIS_HANDLE): void {
  const found = bindingOf("NdisCompleteUnbindAdapterEx", UnbindContext, "unbindContext");
  if (found === null) return;
  const { runtime, binding } = found;
  const done = enter(
    runtime,
    "NdisCompleteUnbindAdapterEx",
    binding?.driver ?? currentFrame().driver,
  );
  // ≤ DISPATCH_LEVEL (the NdisCompleteUnbindAdapterEx DDI page).
  checkIrql(
    runtime,
    binding?.driver ?? null,
    "NdisCompleteUnbindAdapterEx",
    DISPATCH_LEVEL,
    "Irql_Protocol_Driver_Function",
  );
  binding?.machine.fire("NdisCompleteUnbindAdapterEx");
  done(undefined);
}

/** NdisCompleteNetPnPEvent: ends a ProtocolNetPnPEvent that returned PENDING, with its status. */
export function NdisCompleteNetPnPEvent(
  NdisBindingHandle: NDIS_HANDLE,
  NetPnPEventNotification: NET_PNP_EVENT_NOTIFICATION,
  Status: NDIS_STATUS,
): void {
  const found = bindingOf("NdisCompleteNetPnPEvent", NdisBindingHandle, "handle");
  if (found === null) return;
  const { runtime, binding } = found;
  const done = enter(runtime, "NdisCompleteNetPnPEvent", binding?.driver ?? currentFrame().driver);
  checkIrql(
    runtime,
    binding?.driver ?? null,
    "NdisCompleteNetPnPEvent",
    PASSIVE_LEVEL,
    "Irql_Protocol_Driver_Function",
  );
  const final = reportPendingCompletion(
    runtime,
    "NdisCompleteNetPnPEvent",
    Status,
    `of ${binding === null ? "an event" : `${binding.protocol.chars.Name} → ${binding.adapter.name}`}`,
    binding?.driver ?? null,
  )
    ? NDIS_STATUS_FAILURE
    : Status;
  // A pended power, query-remove or reconfigure event is known by its notification; anything
  // else completes the binding's pause or restart.
  if (binding !== null && !completePnPEvent(binding, NetPnPEventNotification, final)) {
    binding.machine.fire(
      final === NDIS_STATUS_SUCCESS
        ? "NdisCompleteNetPnPEvent:SUCCESS"
        : "NdisCompleteNetPnPEvent:FAILURE",
    );
  }
  done(undefined);
}

/**
 * NdisUnbindAdapter: a protocol asks NDIS to close one of its bindings (the NdisUnbindAdapter DDI
 * page). ≤ DISPATCH_LEVEL, outside ProtocolBindAdapterEx and ProtocolUnbindAdapterEx. NDIS
 * returns at once and later pauses the binding (NDIS_PAUSE_UNBIND_PROTOCOL) and calls
 * ProtocolUnbindAdapterEx. Returns SUCCESS (also when the binding is already being bound or
 * unbound: NDIS then does not call ProtocolUnbindAdapterEx for this request, as the page allows)
 * or FAILURE for a handle that is not a live binding handle.
 */
export function NdisUnbindAdapter(NdisBindingHandle: NDIS_HANDLE): NDIS_STATUS {
  const found = bindingOf("NdisUnbindAdapter", NdisBindingHandle, "handle");
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, binding } = found;
  const driver = binding?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisUnbindAdapter", driver);
  checkIrql(runtime, driver, "NdisUnbindAdapter", DISPATCH_LEVEL, "Irql_Protocol_Driver_Function");
  if (binding === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  const state = binding.machine.state;
  if (state === "Opening" || state === "Closing" || binding.unbindRequested)
    return done(NDIS_STATUS_SUCCESS, `the binding is ${state}; nothing more to do`);
  binding.unbindRequested = true;
  runtime.pnp?.unbindAdapter(binding);
  return done(NDIS_STATUS_SUCCESS, "ProtocolUnbindAdapterEx follows from a work item");
}

/**
 * The friendly name of a binding's adapter (NdisQueryAdapterInstanceName,
 * NdisQueryBindInstanceName). [MODEL] An adapter here has one name (`host.addAdapter`'s `name`),
 * which is also its friendly name. Windows allocates the string and the caller frees it with
 * NdisFreeMemory; a TypeScript caller gets the string (the C bridge allocates the C copy from the
 * driver's tracked pool).
 */
function instanceName(
  functionName: string,
  out: Out<string | null>,
  handle: NDIS_HANDLE,
  token: Token,
): NDIS_STATUS {
  if (out !== null && typeof out === "object") out.value = null;
  const found = bindingOf(functionName, handle, token);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, binding } = found;
  const driver = binding?.driver ?? currentFrame().driver;
  const done = enter(runtime, functionName, driver);
  checkIrql(runtime, driver, functionName, PASSIVE_LEVEL, "Irql_Protocol_Driver_Function");
  if (binding === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  if (out === null || typeof out !== "object") return done(NDIS_STATUS_FAILURE, "no out parameter");
  out.value = binding.adapter.name;
  return done(NDIS_STATUS_SUCCESS, binding.adapter.name);
}

/**
 * NdisQueryAdapterInstanceName: the friendly name of the adapter a binding (NdisBindingHandle)
 * is open on. PASSIVE_LEVEL. Returns SUCCESS or NDIS_STATUS_RESOURCES.
 */
export function NdisQueryAdapterInstanceName(
  pAdapterInstanceName: Out<string | null>,
  NdisBindingHandle: NDIS_HANDLE,
): NDIS_STATUS {
  return instanceName(
    "NdisQueryAdapterInstanceName",
    pAdapterInstanceName,
    NdisBindingHandle,
    "handle",
  );
}

/**
 * NdisQueryBindInstanceName: the friendly name of the adapter a bind is about (the BindContext
 * of ProtocolBindAdapterEx), before the protocol opens it. PASSIVE_LEVEL.
 */
export function NdisQueryBindInstanceName(
  pAdapterInstanceName: Out<string | null>,
  BindingContext: NDIS_HANDLE,
): NDIS_STATUS {
  return instanceName(
    "NdisQueryBindInstanceName",
    pAdapterInstanceName,
    BindingContext,
    "bindContext",
  );
}
