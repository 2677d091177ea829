/**
 * Protocol bindings: one protocol's open of one adapter (NDIS's open block). Every handler NDIS
 * calls for a binding — ProtocolBindAdapterEx, ProtocolNetPnPEvent(NetEventPause/Restart),
 * ProtocolUnbindAdapterEx — runs through the binding state machine.
 */

import { NdisError } from "../../../ndis/errors.js";
import { PASSIVE_LEVEL } from "../../../ndis/irql.js";
import {
  NDIS_OBJECT_TYPE_BIND_PARAMETERS,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS,
} from "../../../ndis/object-header.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  ndisStatusToString,
} from "../../../ndis/status.js";
import {
  type NDIS_BIND_PARAMETERS,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  NetEventRestart,
} from "../../../ndis/structs.js";
import type { NDIS_HANDLE } from "../../../ndis/types.js";
import { BINDING_MACHINE, type BindingState } from "../../state/binding-machine.js";
import { isPromiseLike, StateMachine } from "../../state/machine.js";
import { callDriver } from "../objects/context.js";
import { mintHandle, revokeHandle } from "../objects/handles.js";
import { reportSteps } from "../objects/machine-reporter.js";
import type { Binding, MiniportAdapter, ProtocolDriverBlock } from "../objects/records.js";
import { reclaimOwnedBy } from "../objects/resources.js";
import { checkBindingQuiet } from "./datapath.js";
import { newCounters } from "./observe.js";
import { restartAttributesAbove } from "./restart-attributes.js";

const header = (Type: number, Revision = 1) => Object.freeze({ Type, Revision, Size: 0 });

function wake(binding: Binding): void {
  for (const w of [...binding.waiters]) w();
}

export function createBinding(protocol: ProtocolDriverBlock, adapter: MiniportAdapter): Binding {
  const runtime = adapter.runtime;
  const name = `${protocol.chars.Name} → ${adapter.name}`;
  const binding = {
    kind: "binding",
    runtime,
    driver: protocol.driver,
    protocol,
    adapter,
    handle: null,
    context: undefined,
    open: "closed",
    unbindContext: null,
    unbindRequested: false,
    waiters: new Set<() => void>(),
    pendingEvents: new Map(),
    sendsOutstanding: 0,
    receivesHeld: 0,
    completeFirst: null,
    completeLast: null,
    counters: newCounters(),
  } as unknown as Binding;
  (binding as { machine: Binding["machine"] }).machine = new StateMachine(
    BINDING_MACHINE,
    reportSteps(protocol.driver, `binding ${name}`, () => {
      if (binding.machine.state === "Paused") checkBindingQuiet(binding);
      wake(binding);
    }),
  );
  (binding as { bindContext: NDIS_HANDLE }).bindContext = mintHandle(
    `bind context ${name}`,
    binding,
  );
  runtime.bindings.add(binding);
  adapter.bindings.push(binding);
  return binding;
}

/** The bindings of one adapter, in the order they were made. */
export function bindingsOf(adapter: MiniportAdapter): Binding[] {
  return [...adapter.bindings];
}

/** Forgets a binding: every handle of it is revoked. */
export function retireBinding(binding: Binding, checked = true): void {
  if (checked)
    reclaimOwnedBy(
      binding,
      `the unbind of ${binding.protocol.chars.Name} from ${binding.adapter.name} completed`,
    );
  binding.runtime.bindings.delete(binding);
  const list = binding.adapter.bindings;
  const index = list.indexOf(binding);
  if (index >= 0) list.splice(index, 1);
  revokeHandle(binding.bindContext);
  if (binding.handle !== null) revokeHandle(binding.handle);
  if (binding.unbindContext !== null) revokeHandle(binding.unbindContext);
  wake(binding);
}

/**
 * Resolves once `done(state)` holds (at once if it already does). Rejects with NDIS_ERR_TIMEOUT
 * when the watchdog gives up on the operation the binding is stuck in; meanwhile it keeps the
 * process alive.
 */
export function waitForBinding(
  binding: Binding,
  done: (state: BindingState) => boolean,
): Promise<BindingState> {
  return new Promise((resolve, reject) => {
    let release: (() => void) | null = null;
    const end = () => {
      binding.waiters.delete(check);
      release?.();
    };
    const check = () => {
      if (done(binding.machine.state) || !binding.runtime.bindings.has(binding)) {
        end();
        resolve(binding.machine.state);
        return;
      }
      const stuck = binding.runtime.watchdog.stuck(binding);
      if (stuck !== null) {
        end();
        reject(new NdisError("NDIS_ERR_TIMEOUT", `NDIS gave up waiting: ${stuck}`));
      }
    };
    binding.waiters.add(check);
    check();
    if (binding.waiters.has(check)) release = binding.runtime.watchdog.hold();
  });
}

/** Mints the NdisBindingHandle once NdisOpenAdapterEx succeeds. */
export function openBinding(binding: Binding, context: unknown): NDIS_HANDLE {
  binding.context = context;
  binding.open = "open";
  binding.handle = mintHandle(
    `binding ${binding.protocol.chars.Name} → ${binding.adapter.name}`,
    binding,
  );
  return binding.handle;
}

function describe(value: unknown): string {
  return isNdisStatusValue(value) ? ndisStatusToString(value) : String(value);
}

function bindParameters(binding: Binding): NDIS_BIND_PARAMETERS {
  const { adapter, protocol } = binding;
  const g = adapter.general;
  const minor = protocol.version.minor;
  const revision = minor === 0 ? 1 : minor === 1 ? 2 : minor < 30 ? 3 : 4;
  return Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_BIND_PARAMETERS, revision),
    ProtocolSection: protocol.chars.Name,
    AdapterName: adapter.name,
    PhysicalDeviceObject: null,
    MediaType: g?.MediaType ?? 0,
    MtuSize: g?.MtuSize ?? 0,
    MaxXmitLinkSpeed: g?.MaxXmitLinkSpeed ?? 0n,
    XmitLinkSpeed: g?.XmitLinkSpeed ?? 0n,
    MaxRcvLinkSpeed: g?.MaxRcvLinkSpeed ?? 0n,
    RcvLinkSpeed: g?.RcvLinkSpeed ?? 0n,
    MediaConnectState: g?.MediaConnectState ?? 0,
    MediaDuplexState: g?.MediaDuplexState ?? 0,
    LookaheadSize: g?.LookaheadSize ?? 0,
    SupportedPacketFilters: g?.SupportedPacketFilters ?? 0,
    MaxMulticastListSize: g?.MaxMulticastListSize ?? 0,
    MacAddressLength: g?.MacAddressLength ?? 0,
    CurrentMacAddress: Uint8Array.from(g?.CurrentMacAddress ?? []),
    PhysicalMediumType: g?.PhysicalMediumType ?? 0,
    BoundIfIndex: adapter.ifIndex,
    BoundIfNetluid: adapter.netLuid,
    LowestIfIndex: adapter.ifIndex,
    LowestIfNetluid: adapter.netLuid,
    AccessType: g?.AccessType ?? 0,
    DirectionType: g?.DirectionType ?? 0,
    ConnectionType: g?.ConnectionType ?? 0,
    IfType: g?.IfType ?? 0,
    IfConnectorPresent: g?.IfConnectorPresent ?? false,
    DataBackFillSize: g?.DataBackFillSize ?? 0,
    ContextBackFillSize: g?.ContextBackFillSize ?? 0,
    SupportedOidList: g?.SupportedOidList ?? [],
    SupportedOidListLength: (g?.SupportedOidList.length ?? 0) * 4,
    PowerManagementCapabilities: g?.PowerManagementCapabilities ?? null,
    RcvScaleCapabilities: g?.RecvScaleCapabilities ?? null,
    MacOptions: g?.MacOptions ?? 0,
  });
}

function handler(binding: Binding, name: string): (...args: unknown[]) => unknown {
  const entry =
    binding.protocol.chars.handlers[name as keyof typeof binding.protocol.chars.handlers];
  if (entry === undefined)
    throw new Error(`ndis-ts internal error: ${name} missing from a validated table`);
  return entry as (...args: unknown[]) => unknown;
}

/**
 * NDIS binds a protocol to an adapter: ProtocolBindAdapterEx (PASSIVE_LEVEL). Resolves with true
 * when the binding ends up Paused (bound), false when the bind failed (the binding is gone).
 */
export async function bindProtocol(binding: Binding): Promise<boolean> {
  const { runtime, driver } = binding;
  const bind = handler(binding, "BindAdapterHandlerEx");
  const params = bindParameters(binding);
  binding.machine.invoke(
    "ProtocolBindAdapterEx",
    () =>
      callDriver(
        runtime,
        driver,
        "ProtocolBindAdapterEx",
        PASSIVE_LEVEL,
        () => bind(binding.protocol.context, binding.bindContext, params),
        () => NDIS_STATUS_FAILURE,
        `${binding.protocol.chars.Name} → ${binding.adapter.name}`,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "ProtocolBindAdapterEx:PENDING";
      if (returned === NDIS_STATUS_SUCCESS) {
        if (binding.open === "open") return "ProtocolBindAdapterEx:SUCCESS";
        runtime.violate(
          "ProtocolBindAdapterEx_SuccessWithoutOpen",
          `ProtocolBindAdapterEx for ${binding.adapter.name} returned SUCCESS with the binding ${binding.open === "opening" ? "still opening" : "not opened"}`,
          driver,
        );
        return "ProtocolBindAdapterEx:FAILURE";
      }
      if (!isNdisStatusValue(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `ProtocolBindAdapterEx returned ${describe(returned)}`,
          driver,
        );
      }
      return "ProtocolBindAdapterEx:FAILURE";
    },
  );
  const state = await waitForBinding(binding, (s) => s !== "Opening");
  if (state === "Paused") return true;
  if (binding.open !== "closed" && binding.runtime.bindings.has(binding)) {
    runtime.violate(
      "ProtocolBindAdapterEx_FailedWithoutClose",
      `the bind of ${binding.protocol.chars.Name} to ${binding.adapter.name} failed but left the adapter open; NDIS closed it`,
      driver,
    );
  }
  retireBinding(binding);
  return false;
}

/** Completion of a bind the protocol pended (NdisCompleteBindAdapterEx). */
export function completeBind(binding: Binding, status: NDIS_STATUS): void {
  if (
    status === NDIS_STATUS_SUCCESS &&
    binding.open !== "open" &&
    binding.machine.state === "Opening"
  ) {
    binding.runtime.violate(
      "ProtocolBindAdapterEx_SuccessWithoutOpen",
      `NdisCompleteBindAdapterEx(SUCCESS) for ${binding.adapter.name} with the binding not open`,
      binding.driver,
    );
    binding.machine.fire("NdisCompleteBindAdapterEx:FAILURE");
    return;
  }
  binding.machine.fire(
    status === NDIS_STATUS_SUCCESS
      ? "NdisCompleteBindAdapterEx:SUCCESS"
      : "NdisCompleteBindAdapterEx:FAILURE",
  );
}

function pnpEvent(code: number, buffer: object): NET_PNP_EVENT_NOTIFICATION {
  return Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_DEFAULT),
    PortNumber: 0,
    NetPnPEvent: Object.freeze({ NetEvent: code, Buffer: buffer, BufferLength: 0 }),
  });
}

/** NDIS pauses a Running binding: ProtocolNetPnPEvent(NetEventPause); resolves once Paused. */
export async function pauseBinding(binding: Binding, reason: number): Promise<void> {
  const { runtime, driver } = binding;
  const pnp = handler(binding, "NetPnPEventHandler");
  const event = pnpEvent(
    NetEventPause,
    Object.freeze({ Header: header(NDIS_OBJECT_TYPE_DEFAULT), Flags: 0, PauseReason: reason }),
  );
  binding.machine.invoke(
    "NetEventPause",
    () =>
      callDriver(
        runtime,
        driver,
        "ProtocolNetPnPEvent",
        PASSIVE_LEVEL,
        () => pnp(binding.context, event),
        () => NDIS_STATUS_SUCCESS,
        `${binding.protocol.chars.Name} → ${binding.adapter.name}: NetEventPause`,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "NetEventPause:PENDING";
      if (returned !== NDIS_STATUS_SUCCESS) {
        runtime.violate(
          "Callback_InvalidReturn",
          `ProtocolNetPnPEvent(NetEventPause) returned ${describe(returned)}; a pause cannot fail, NDIS takes it as SUCCESS`,
          driver,
        );
      }
      return "NetEventPause:SUCCESS";
    },
  );
  await waitForBinding(binding, (s) => s !== "Pausing");
}

/** NDIS restarts a Paused binding: ProtocolNetPnPEvent(NetEventRestart); resolves when it ends. */
export async function restartBinding(binding: Binding): Promise<void> {
  const { runtime, driver, adapter } = binding;
  const pnp = handler(binding, "NetPnPEventHandler");
  const event = pnpEvent(
    NetEventRestart,
    Object.freeze({
      Header: header(NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS),
      FilterModuleNameBuffer: null,
      FilterModuleNameBufferLength: 0,
      BoundIfIndex: adapter.ifIndex,
      BoundIfNetluid: adapter.netLuid,
      RestartAttributes: restartAttributesAbove(adapter),
    }),
  );
  binding.machine.invoke(
    "NetEventRestart",
    () =>
      callDriver(
        runtime,
        driver,
        "ProtocolNetPnPEvent",
        PASSIVE_LEVEL,
        () => pnp(binding.context, event),
        () => NDIS_STATUS_FAILURE,
        `${binding.protocol.chars.Name} → ${binding.adapter.name}: NetEventRestart`,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "NetEventRestart:PENDING";
      if (returned === NDIS_STATUS_SUCCESS) return "NetEventRestart:SUCCESS";
      if (!isNdisStatusValue(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `ProtocolNetPnPEvent(NetEventRestart) returned ${describe(returned)}`,
          driver,
        );
      }
      return "NetEventRestart:FAILURE";
    },
  );
  await waitForBinding(binding, (s) => s !== "Restarting");
}

/** NDIS unbinds a Paused binding: ProtocolUnbindAdapterEx; resolves once it is gone. */
export async function unbindProtocol(binding: Binding): Promise<void> {
  const { runtime, driver } = binding;
  const unbind = handler(binding, "UnbindAdapterHandlerEx");
  binding.unbindContext = mintHandle(
    `unbind context ${binding.protocol.chars.Name} → ${binding.adapter.name}`,
    binding,
  );
  const token = binding.unbindContext;
  binding.machine.invoke(
    "ProtocolUnbindAdapterEx",
    () =>
      callDriver(
        runtime,
        driver,
        "ProtocolUnbindAdapterEx",
        PASSIVE_LEVEL,
        () => unbind(token, binding.context),
        () => NDIS_STATUS_SUCCESS,
        `${binding.protocol.chars.Name} → ${binding.adapter.name}`,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "ProtocolUnbindAdapterEx:PENDING";
      if (returned !== NDIS_STATUS_SUCCESS) {
        runtime.violate(
          "Callback_InvalidReturn",
          `ProtocolUnbindAdapterEx returned ${describe(returned)}; an unbind cannot fail`,
          driver,
        );
      }
      return "ProtocolUnbindAdapterEx:SUCCESS";
    },
  );
  await waitForBinding(binding, (s) => s !== "Closing");
  if (binding.open !== "closed" && runtime.bindings.has(binding)) {
    runtime.violate(
      "ProtocolUnbindAdapterEx_WithoutClose",
      `the unbind of ${binding.protocol.chars.Name} from ${binding.adapter.name} completed without NdisCloseAdapterEx; NDIS closed it`,
      driver,
    );
  }
  retireBinding(binding);
}

/** Calls ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx for an operation NDIS pended. */
export function completeOpenOrClose(
  binding: Binding,
  which: "open" | "close",
  status: NDIS_STATUS,
): void {
  const { runtime, driver } = binding;
  if (!runtime.bindings.has(binding)) return;
  const name =
    which === "open" ? "ProtocolOpenAdapterCompleteEx" : "ProtocolCloseAdapterCompleteEx";
  const complete = handler(
    binding,
    which === "open" ? "OpenAdapterCompleteHandlerEx" : "CloseAdapterCompleteHandlerEx",
  );
  if (which === "open") binding.open = status === NDIS_STATUS_SUCCESS ? "open" : "closed";
  else binding.open = "closed";
  callDriver(
    runtime,
    driver,
    name,
    PASSIVE_LEVEL,
    () => (which === "open" ? complete(binding.context, status) : complete(binding.context)),
    () => undefined,
    `${binding.protocol.chars.Name} → ${binding.adapter.name}`,
  );
  wake(binding);
}

/** Builds the NET_PNP_EVENT_NOTIFICATION NDIS hands a protocol. */
export function netPnPNotification(
  code: number,
  buffer: unknown,
  length: number,
): NET_PNP_EVENT_NOTIFICATION {
  return Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_DEFAULT),
    PortNumber: 0,
    NetPnPEvent: Object.freeze({ NetEvent: code, Buffer: buffer, BufferLength: length }),
  });
}

/**
 * Calls ProtocolNetPnPEvent for an event that does not change the binding's state (power,
 * query-remove, reconfigure…). Returns the protocol's status, or a promise of it when the
 * protocol pended the event (NdisCompleteNetPnPEvent resolves it).
 */
export function deliverPnPEvent(
  binding: Binding,
  notification: NET_PNP_EVENT_NOTIFICATION,
): NDIS_STATUS | Promise<NDIS_STATUS> {
  const { runtime, driver } = binding;
  const pnp = handler(binding, "NetPnPEventHandler");
  let resolve: ((status: NDIS_STATUS) => void) | undefined;
  const completion = new Promise<NDIS_STATUS>((r) => {
    resolve = r;
  });
  binding.pendingEvents.set(notification, resolve as (status: NDIS_STATUS) => void);
  const returned = callDriver(
    runtime,
    driver,
    "ProtocolNetPnPEvent",
    PASSIVE_LEVEL,
    () => pnp(binding.context, notification),
    () => NDIS_STATUS_FAILURE,
    `${binding.protocol.chars.Name} → ${binding.adapter.name}: NetEvent ${notification.NetPnPEvent.NetEvent}`,
  );
  if (isPromiseLike(returned)) {
    // A handler that blocks: its settled status is the answer (PENDING: NdisCompleteNetPnPEvent).
    return Promise.resolve(returned).then((value) =>
      pnpReturned(binding, notification, value, completion),
    );
  }
  return pnpReturned(binding, notification, returned, completion);
}

function pnpReturned(
  binding: Binding,
  notification: NET_PNP_EVENT_NOTIFICATION,
  returned: unknown,
  completion: Promise<NDIS_STATUS>,
): NDIS_STATUS | Promise<NDIS_STATUS> {
  const { runtime, driver } = binding;
  if (returned === NDIS_STATUS_PENDING && binding.pendingEvents.has(notification))
    return untilCompleted(binding, notification, completion);
  binding.pendingEvents.delete(notification);
  if (returned === NDIS_STATUS_PENDING) return completion; // completed inside the handler
  if (!isNdisStatusValue(returned)) {
    runtime.violate(
      "Callback_InvalidReturn",
      `ProtocolNetPnPEvent returned ${describe(returned)}`,
      driver,
    );
    return NDIS_STATUS_FAILURE;
  }
  return returned;
}

/**
 * A pended NetPnPEvent's completion, or NDIS_ERR_TIMEOUT once the watchdog gives up on it (the
 * event is then forgotten: a late NdisCompleteNetPnPEvent is reported as not pending).
 */
function untilCompleted(
  binding: Binding,
  notification: NET_PNP_EVENT_NOTIFICATION,
  completion: Promise<NDIS_STATUS>,
): Promise<NDIS_STATUS> {
  return new Promise((resolve, reject) => {
    const release = binding.runtime.watchdog.hold();
    const check = () => {
      const stuck = binding.runtime.watchdog.stuck(binding);
      if (stuck === null || !binding.pendingEvents.has(notification)) return;
      binding.waiters.delete(check);
      binding.pendingEvents.delete(notification);
      release();
      reject(new NdisError("NDIS_ERR_TIMEOUT", `NDIS gave up waiting: ${stuck}`));
    };
    binding.waiters.add(check);
    void completion.then((status) => {
      binding.waiters.delete(check);
      release();
      resolve(status);
    });
  });
}

/** NdisCompleteNetPnPEvent for a pended event of deliverPnPEvent; false if none matches. */
export function completePnPEvent(
  binding: Binding,
  notification: NET_PNP_EVENT_NOTIFICATION,
  status: NDIS_STATUS,
): boolean {
  const resolve = binding.pendingEvents.get(notification);
  if (resolve === undefined) return false;
  binding.pendingEvents.delete(notification);
  resolve(status);
  return true;
}
