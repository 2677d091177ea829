/**
 * Miniport adapters: NDIS's side of each device a miniport driver drives (NDIS_MINIPORT_BLOCK).
 * Every handler NDIS calls for an adapter goes through the adapter's state machine, so a call in
 * the wrong state is impossible by construction and a driver completion in the wrong state is a
 * named violation.
 */

import {
  NDIS_PAUSE_LOW_POWER,
  NDIS_PAUSE_MINIPORT_DEVICE_REMOVE,
  NDIS_PAUSE_NDIS_INTERNAL,
  NdisDevicePnPEventPowerProfileChanged,
} from "../../../ndis/adapter.js";
import { NdisError } from "../../../ndis/errors.js";
import { type KIRQL, PASSIVE_LEVEL } from "../../../ndis/irql.js";
import {
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS,
} from "../../../ndis/object-header.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_ACCEPTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NT_SUCCESS,
  ndisStatusToString,
} from "../../../ndis/status.js";
import type {
  NDIS_HALT_ACTION,
  NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_MINIPORT_PAUSE_PARAMETERS,
  NDIS_MINIPORT_RESTART_PARAMETERS,
  NDIS_SHUTDOWN_ACTION,
  NET_DEVICE_PNP_EVENT,
} from "../../../ndis/structs.js";
import { NdisHaltDeviceInitializationFailed } from "../../../ndis/structs.js";
import type { NDIS_HANDLE } from "../../../ndis/types.js";
import { ADAPTER_MACHINE, type AdapterState } from "../../state/adapter-machine.js";
import { isPromiseLike, StateMachine } from "../../state/machine.js";
import type { EntryPoint } from "../base/characteristics.js";
import { callDriver } from "../objects/context.js";
import { mintHandle, revokeHandle } from "../objects/handles.js";
import { reportSteps } from "../objects/machine-reporter.js";
import type { MiniportAdapter, MiniportDriverBlock } from "../objects/records.js";
import { reclaimOwnedBy } from "../objects/resources.js";
import { untilHandlerReturned } from "./blocked.js";
import { checkAdapterQuiet } from "./datapath.js";
import { newCounters } from "./observe.js";
import { startCheckForHang, stopCheckForHang } from "./reset.js";
import { restartAttributesForMiniport } from "./restart-attributes.js";

const header = (Type: number, Revision = 1, Size = 0) => Object.freeze({ Type, Revision, Size });

/** Creates the adapter (Halted) and its handle. It is not initialized yet. */
export function createAdapter(block: MiniportDriverBlock, name: string): MiniportAdapter {
  const runtime = block.driver.runtime;
  const ifIndex = runtime.nextIfIndex();
  const adapter = {
    kind: "miniport-adapter",
    runtime,
    block,
    driver: block.driver,
    name,
    blockedIn: [],
    ifIndex,
    netLuid: (6n << 48n) | BigInt(ifIndex), // IF_TYPE_ETHERNET_CSMACD in the NetLuid's type bits
    context: undefined,
    registration: null,
    general: null,
    otherAttributes: new Set<number>(),
    surpriseRemoved: false,
    removing: false,
    waiters: new Set<() => void>(),
    bindings: [],
    filters: [],
    routeEpoch: -1,
    sendEntry: null,
    receiveEntry: null,
    sendExit: null,
    receiveExit: null,
    sendsOutstanding: 0,
    sendCompletions: 0,
    receivesOutstanding: 0,
    oidPending: null,
    oidQueue: [],
    resetting: false,
    lowPower: false,
    addressing: new Map<number, Uint8Array>(),
    counters: newCounters(),
  } as Omit<MiniportAdapter, "handle" | "machine"> as MiniportAdapter;
  (adapter as { machine: MiniportAdapter["machine"] }).machine = new StateMachine(
    ADAPTER_MACHINE,
    reportSteps(block.driver, `adapter ${name}`, () => {
      if (adapter.machine.state === "Paused") checkAdapterQuiet(adapter);
      for (const wake of [...adapter.waiters]) wake();
    }),
  );
  (adapter as { handle: NDIS_HANDLE }).handle = mintHandle(`miniport adapter ${name}`, adapter);
  runtime.watchdog.ensureRunning();
  block.adapters.push(adapter);
  runtime.adapters.set(name, adapter);
  return adapter;
}

/** Forgets an adapter: its handle is revoked and it leaves every list. */
export function retireAdapter(adapter: MiniportAdapter, ending: string | null): void {
  // `ending` names the driver call after which the adapter's resources were due back
  // (MiniportHaltEx returned, MiniportInitializeEx failed). Null when the driver owed nothing:
  // a shutdown, a stopped driver's containment, an adapter never halted.
  if (ending !== null) reclaimOwnedBy(adapter, ending);
  stopCheckForHang(adapter);
  const list = adapter.block.adapters;
  const index = list.indexOf(adapter);
  if (index >= 0) list.splice(index, 1);
  if (adapter.runtime.adapters.get(adapter.name) === adapter)
    adapter.runtime.adapters.delete(adapter.name);
  revokeHandle(adapter.handle);
  for (const wake of [...adapter.waiters]) wake();
}

/**
 * Resolves once `done(state)` holds (at once if it already does). Rejects with NDIS_ERR_TIMEOUT
 * when the watchdog gives up on the operation the adapter is stuck in; meanwhile it keeps the
 * process alive.
 */
export function waitForState(
  adapter: MiniportAdapter,
  done: (state: AdapterState) => boolean,
): Promise<AdapterState> {
  return new Promise((resolve, reject) => {
    let release: (() => void) | null = null;
    const end = () => {
      adapter.waiters.delete(check);
      release?.();
    };
    const check = () => {
      if (done(adapter.machine.state) || adapter.runtime.adapters.get(adapter.name) !== adapter) {
        end();
        resolve(adapter.machine.state);
        return;
      }
      const stuck = adapter.runtime.watchdog.stuck(adapter);
      if (stuck !== null) {
        end();
        reject(new NdisError("NDIS_ERR_TIMEOUT", `NDIS gave up waiting: ${stuck}`));
      }
    };
    adapter.waiters.add(check);
    check();
    if (adapter.waiters.has(check)) release = adapter.runtime.watchdog.hold();
  });
}

/**
 * A MiniportInitializeEx or MiniportHaltEx of `adapter` that blocked: NDIS's next step (`then`)
 * waits for it (untilHandlerReturned); the adapter is gone once it is no longer the runtime's.
 */
function untilReturned<R>(
  adapter: MiniportAdapter,
  handlerName: string,
  running: PromiseLike<unknown>,
  then: () => R,
  gone: R,
): Promise<R> {
  return untilHandlerReturned(
    adapter,
    handlerName,
    running,
    () => then(),
    gone,
    () => adapter.runtime.adapters.get(adapter.name) !== adapter,
  );
}

function handler(adapter: MiniportAdapter, name: string): EntryPoint {
  const entry = adapter.block.chars.handlers[name as keyof typeof adapter.block.chars.handlers];
  if (entry === undefined)
    throw new Error(`ndis-ts internal error: ${name} missing from a validated table`);
  return entry;
}

function describeValue(value: unknown): string {
  return isNdisStatusValue(value)
    ? ndisStatusToString(value)
    : typeof value === "object"
      ? "an object"
      : String(value);
}

/**
 * NDIS calls MiniportInitializeEx (PASSIVE_LEVEL). Returns the status NDIS settles on: the
 * driver's, or FAILURE for a return that is not a status or a success without attributes. A
 * success without attributes is undone with MiniportHaltEx(NdisHaltDeviceInitializationFailed).
 * After a success NDIS tells the adapter the power profile (MiniportDevicePnPEventNotify).
 */
export function initializeAdapter(
  adapter: MiniportAdapter,
  imDeviceContext: unknown,
): NDIS_STATUS | Promise<NDIS_STATUS> {
  const { runtime, driver } = adapter;
  const params: NDIS_MINIPORT_INIT_PARAMETERS = Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS),
    Flags: 0,
    AllocatedResources: null,
    IMDeviceInstanceContext: imDeviceContext ?? null,
    MiniportAddDeviceContext: null,
    IfIndex: adapter.ifIndex,
    NetLuid: adapter.netLuid,
  });
  const init = handler(adapter, "InitializeHandlerEx") as (
    h: NDIS_HANDLE,
    c: unknown,
    p: unknown,
  ) => unknown;
  let status: NDIS_STATUS = NDIS_STATUS_FAILURE;
  const running = adapter.machine.invoke(
    "MiniportInitializeEx",
    () =>
      callDriver(
        runtime,
        driver,
        "MiniportInitializeEx",
        PASSIVE_LEVEL,
        () => init(adapter.handle, adapter.block.context, params),
        () => NDIS_STATUS_FAILURE,
        adapter.name,
      ),
    (returned) => {
      const allowed = [
        NDIS_STATUS_SUCCESS,
        NDIS_STATUS_NOT_ACCEPTED,
        NDIS_STATUS_RESOURCES,
        NDIS_STATUS_FAILURE,
      ];
      if (
        !isNdisStatusValue(returned) ||
        returned === NDIS_STATUS_PENDING ||
        (NT_SUCCESS(returned) && !allowed.includes(returned))
      ) {
        runtime.violate(
          "Callback_InvalidReturn",
          `MiniportInitializeEx of adapter ${adapter.name} returned ${describeValue(returned)}`,
          driver,
        );
        status = NDIS_STATUS_FAILURE;
      } else {
        status = returned;
      }
      return status === NDIS_STATUS_SUCCESS
        ? "MiniportInitializeEx:SUCCESS"
        : "MiniportInitializeEx:FAILURE";
    },
  );
  // A MiniportInitializeEx that blocks (waits on an event) has returned when its promise settles.
  // One stopped meanwhile (strict mode, the watchdog) failed; its adapter is gone.
  if (isPromiseLike(running))
    return untilReturned(
      adapter,
      "MiniportInitializeEx",
      running,
      () =>
        adapter.runtime.adapters.get(adapter.name) === adapter
          ? initialized(adapter, status)
          : NDIS_STATUS_FAILURE,
      NDIS_STATUS_FAILURE,
    );
  return initialized(adapter, status);
}

/** What NDIS does once MiniportInitializeEx has returned `status`. */
function initialized(adapter: MiniportAdapter, status: NDIS_STATUS): NDIS_STATUS {
  const { runtime, driver } = adapter;
  if (
    status === NDIS_STATUS_SUCCESS &&
    (adapter.registration === null || adapter.general === null)
  ) {
    const missing =
      adapter.registration === null ? "registration attributes" : "general attributes";
    runtime.violate(
      "MiniportInitialize_MissingAttributes",
      `MiniportInitializeEx of adapter ${adapter.name} returned success without setting ${missing}`,
      driver,
    );
    // (A halt that blocks here finishes on its own; NDIS does not wait for it to report FAILURE.
    // One that never returns is reported by the watchdog.)
    haltAdapter(adapter, NdisHaltDeviceInitializationFailed)?.catch(() => undefined);
    return NDIS_STATUS_FAILURE;
  }
  if (status === NDIS_STATUS_SUCCESS) {
    notifyPowerProfile(adapter);
    startCheckForHang(adapter);
  }
  return status;
}

/** NDIS tells a freshly initialized adapter (and one back in D0) the system's power profile. */
export function notifyPowerProfile(adapter: MiniportAdapter): void {
  const buffer = new Uint8Array(4);
  new DataView(buffer.buffer).setUint32(0, adapter.runtime.powerProfile, true);
  notifyDevicePnPEvent(adapter, NdisDevicePnPEventPowerProfileChanged, buffer);
}

/** NDIS calls MiniportRestart (PASSIVE_LEVEL); resolves with the status the restart ended with. */
export async function restartAdapter(adapter: MiniportAdapter): Promise<NDIS_STATUS> {
  const { runtime, driver } = adapter;
  const params: NDIS_MINIPORT_RESTART_PARAMETERS = Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_DEFAULT),
    Flags: 0,
    RestartAttributes: restartAttributesForMiniport(adapter),
  });
  const restart = handler(adapter, "RestartHandler") as (c: unknown, p: unknown) => unknown;
  adapter.machine.invoke(
    "MiniportRestart",
    () =>
      callDriver(
        runtime,
        driver,
        "MiniportRestart",
        PASSIVE_LEVEL,
        () => restart(adapter.context, params),
        () => NDIS_STATUS_FAILURE,
        adapter.name,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_SUCCESS) return "MiniportRestart:SUCCESS";
      if (returned === NDIS_STATUS_PENDING) return "MiniportRestart:PENDING";
      if (!isNdisStatusValue(returned) || NT_SUCCESS(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `MiniportRestart of adapter ${adapter.name} returned ${describeValue(returned)}; it returns SUCCESS, PENDING, RESOURCES or FAILURE`,
          driver,
        );
      }
      return "MiniportRestart:FAILURE";
    },
  );
  const state = await waitForState(adapter, (s) => s !== "Restarting");
  return state === "Running" ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

/** NDIS calls MiniportPause (PASSIVE_LEVEL); resolves once the adapter is Paused. */
export async function pauseAdapter(
  adapter: MiniportAdapter,
  removing: boolean,
  lowPower = false,
  /** A reason of its own (a filter attached, detached or restarted above), if any. */
  given?: number,
): Promise<void> {
  const { runtime, driver } = adapter;
  // The device-remove reason exists for NDIS 6.40+ drivers only (Windows 10 1903+).
  const reason =
    given !== undefined
      ? given
      : lowPower
        ? NDIS_PAUSE_LOW_POWER
        : removing && adapter.block.version.minor >= 40
          ? NDIS_PAUSE_MINIPORT_DEVICE_REMOVE
          : NDIS_PAUSE_NDIS_INTERNAL;
  const params: NDIS_MINIPORT_PAUSE_PARAMETERS = Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_DEFAULT),
    Flags: 0,
    PauseReason: reason,
  });
  const pause = handler(adapter, "PauseHandler") as (c: unknown, p: unknown) => unknown;
  adapter.machine.invoke(
    "MiniportPause",
    () =>
      callDriver(
        runtime,
        driver,
        "MiniportPause",
        PASSIVE_LEVEL,
        () => pause(adapter.context, params),
        () => NDIS_STATUS_SUCCESS,
        adapter.name,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "MiniportPause:PENDING";
      if (returned !== NDIS_STATUS_SUCCESS) {
        runtime.violate(
          "MiniportPause_Return",
          `MiniportPause of adapter ${adapter.name} returned ${describeValue(returned)}; NDIS takes it as SUCCESS`,
          driver,
        );
      }
      return "MiniportPause:SUCCESS";
    },
  );
  await waitForState(adapter, (s) => s !== "Pausing");
}

/** NDIS calls MiniportHaltEx (PASSIVE_LEVEL) on a Paused adapter, then forgets the adapter. */
export function haltAdapter(
  adapter: MiniportAdapter,
  action: NDIS_HALT_ACTION,
): Promise<void> | undefined {
  const { runtime, driver } = adapter;
  const halt = handler(adapter, "HaltHandlerEx") as (c: unknown, a: number) => unknown;
  const retire = () => {
    // (Unless its driver was stopped while the halt was blocked: its containment retired it.)
    if (adapter.block.adapters.includes(adapter))
      retireAdapter(adapter, `MiniportHaltEx of ${adapter.name} returned`);
  };
  let running: unknown;
  try {
    running = adapter.machine.invoke(
      "MiniportHaltEx",
      () =>
        callDriver(
          runtime,
          driver,
          "MiniportHaltEx",
          PASSIVE_LEVEL,
          () => halt(adapter.context, action),
          () => undefined,
          adapter.name,
        ),
      () => null,
    );
  } catch (thrown) {
    retire();
    throw thrown;
  }
  // A MiniportHaltEx that blocks (NdisMSleep polling, NdisWaitEvent) has returned when it settles.
  if (isPromiseLike(running))
    return untilReturned(adapter, "MiniportHaltEx", running, retire, undefined);
  retire();
  return undefined;
}

/**
 * NDIS halts an adapter for sleep (MiniportHaltEx with NdisHaltDevicePoweredDown) and keeps it:
 * "Handling a Set Power Request" — NDIS halts a miniport that does not stay powered over a sleep
 * without asking the protocols bound to it (an IM driver's protocol edge among them) to unbind;
 * "Power Management for Old Miniport Drivers" — on wake NDIS calls MiniportInitializeEx again and
 * restores the settings the protocols made. So the adapter keeps its handle, its bindings and
 * filter modules (paused) and its place in the stack; what the driver owed back at the halt is
 * taken back as for any halt, and the attributes it set are forgotten until it initializes again.
 */
export function haltAdapterForPower(
  adapter: MiniportAdapter,
  action: NDIS_HALT_ACTION,
): Promise<void> | undefined {
  const { runtime, driver } = adapter;
  const halt = handler(adapter, "HaltHandlerEx") as (c: unknown, a: number) => unknown;
  const halted = () => {
    reclaimOwnedBy(adapter, `MiniportHaltEx of ${adapter.name} returned`);
    stopCheckForHang(adapter);
    adapter.registration = null;
    adapter.general = null;
    adapter.otherAttributes.clear();
    for (const wake of [...adapter.waiters]) wake();
  };
  const running = adapter.machine.invoke(
    "MiniportHaltEx",
    () =>
      callDriver(
        runtime,
        driver,
        "MiniportHaltEx",
        PASSIVE_LEVEL,
        () => halt(adapter.context, action),
        () => undefined,
        adapter.name,
      ),
    () => null,
  );
  if (isPromiseLike(running))
    return untilReturned(
      adapter,
      "MiniportHaltEx",
      running,
      () => {
        if (adapter.block.adapters.includes(adapter)) halted();
      },
      undefined,
    );
  halted();
  return undefined;
}

/** NDIS calls MiniportShutdownEx; after it nothing else is called for the adapter. */
export function shutdownAdapter(
  adapter: MiniportAdapter,
  action: NDIS_SHUTDOWN_ACTION,
  irql: KIRQL,
): void {
  const { runtime, driver } = adapter;
  const shutdown = handler(adapter, "ShutdownHandlerEx") as (c: unknown, a: number) => unknown;
  adapter.machine.invoke(
    "MiniportShutdownEx",
    () =>
      callDriver(
        runtime,
        driver,
        "MiniportShutdownEx",
        irql,
        () => shutdown(adapter.context, action),
        () => undefined,
        adapter.name,
      ),
    () => null,
  );
}

/** NDIS calls MiniportDevicePnPEventNotify (PASSIVE_LEVEL). No state changes. */
export function notifyDevicePnPEvent(
  adapter: MiniportAdapter,
  event: number,
  information: Uint8Array | null = null,
): void {
  const { runtime, driver } = adapter;
  const notify = handler(adapter, "DevicePnPEventNotifyHandler") as (
    c: unknown,
    e: NET_DEVICE_PNP_EVENT,
  ) => unknown;
  const pnp: NET_DEVICE_PNP_EVENT = Object.freeze({
    Header: header(NDIS_OBJECT_TYPE_DEFAULT),
    PortNumber: 0,
    DevicePnPEvent: event,
    InformationBuffer: information,
    InformationBufferLength: information?.length ?? 0,
  });
  callDriver(
    runtime,
    driver,
    "MiniportDevicePnPEventNotify",
    PASSIVE_LEVEL,
    () => notify(adapter.context, pnp),
    () => undefined,
    adapter.name,
  );
}
