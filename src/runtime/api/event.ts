/**
 * Blocking waits: NDIS events (NDIS_EVENT, a notification event: once set it stays signaled and
 * releases every waiter until reset), NdisMSleep and KeWaitForSingleObject.
 *
 * The model of a blocked thread: a PASSIVE_LEVEL handler that waits returns a promise (an
 * `async` handler awaiting `NdisWaitEvent`), and NDIS treats it as still running until the
 * promise settles. Meanwhile the rest of the host goes on. The waiter wakes through the host's
 * scheduler (a task the explorer orders) when the event is set, and a timeout runs on the host
 * clock (a ManualClock or the explorer's virtual time moves it). Waiting above PASSIVE_LEVEL —
 * at DISPATCH_LEVEL or while holding a spin lock — is the Irql_Wait_Function violation: on
 * Windows it bug-checks.
 */
import { irqlToString, PASSIVE_LEVEL } from "../../ndis/irql.js";
import { STATUS_SUCCESS, STATUS_TIMEOUT } from "../../ndis/status.js";
import type { KEVENT, LARGE_INTEGER, NDIS_EVENT } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";
import type { NdisRuntime } from "../core/objects/records.js";
import { enter } from "./trace.js";

interface Waiter {
  readonly runtime: NdisRuntime | null;
  readonly wake: (signaled: boolean) => void;
}

interface EventState {
  signaled: boolean;
  readonly waiters: Set<Waiter>;
  /** A synchronization event: a set releases one waiter, and a satisfied wait resets it. */
  readonly synchronization?: boolean;
}

/** The signal, taken: a synchronization event that satisfies a wait goes back to not signaled. */
function take(state: EventState): boolean {
  const signaled = state.signaled;
  if (signaled && state.synchronization === true) state.signaled = false;
  return signaled;
}

const events = new WeakMap<KEVENT, EventState>();

function stateOf(event: KEVENT): EventState {
  let state = events.get(event);
  if (state === undefined) {
    state = { signaled: false, waiters: new Set() };
    events.set(event, state);
  }
  return state;
}

/** Reports Irql_Wait_Function when the caller cannot block; true when it may. */
function mayBlock(functionName: string): boolean {
  const frame = currentFrame();
  if (frame.irql <= PASSIVE_LEVEL) return true;
  frame.runtime?.violate(
    "Irql_Wait_Function",
    `${functionName} called at ${irqlToString(frame.irql)}${frame.handler === null ? "" : ` in ${frame.handler}`}: a driver blocks only at PASSIVE_LEVEL, never at DISPATCH_LEVEL nor holding a spin lock`,
    frame.driver,
    frame.depth,
  );
  return false;
}

/**
 * Blocks the caller until `event` is signaled or `ms` (> 0) pass on the host clock (0 or null:
 * no timeout). Resolves with true when signaled. The wake-up is NDIS's deferred work, so the
 * explorer decides when the waiter runs again.
 */
function block(event: KEVENT, ms: number | null, label: string): Promise<boolean> {
  const state = stateOf(event);
  if (take(state)) return Promise.resolve(true);
  const runtime = currentFrame().runtime;
  if (runtime === null) {
    // Outside any NDIS (a Node caller): nothing schedules for it but the event itself.
    return new Promise((resolve) => {
      const waiter: Waiter = {
        runtime: null,
        wake: (signaled) => {
          state.waiters.delete(waiter);
          resolve(signaled);
        },
      };
      state.waiters.add(waiter);
    });
  }
  return new Promise<boolean>((resolve) => {
    let cancelTimeout: (() => void) | null = null;
    const waiter: Waiter = {
      runtime,
      wake: (signaled) => {
        if (!state.waiters.delete(waiter)) return;
        cancelTimeout?.();
        runtime.defer(() => resolve(signaled), `${label} wakes`);
      },
    };
    state.waiters.add(waiter);
    if (ms !== null && ms > 0) {
      cancelTimeout = runtime.clock.schedule(
        ms,
        () => waiter.wake(false),
        false,
        `${label} times out`,
      );
    }
  });
}

/** NdisInitializeEvent: the caller-allocated event starts not signaled. PASSIVE_LEVEL. */
export function NdisInitializeEvent(Event: NDIS_EVENT): void {
  const kevent: KEVENT = {};
  Event.Event = kevent;
  events.set(kevent, { signaled: false, waiters: new Set() });
}

function keventOf(Event: NDIS_EVENT): KEVENT {
  if (Event.Event === undefined) NdisInitializeEvent(Event);
  return Event.Event as KEVENT;
}

/**
 * KeSetEvent's core: signals and releases every waiter (a notification event), or the first
 * waiter, which takes the signal (a synchronization event).
 */
function signal(event: KEVENT): void {
  const state = stateOf(event);
  state.signaled = true;
  if (state.synchronization === true) {
    const first = state.waiters.values().next();
    if (first.done !== true) {
      state.signaled = false;
      first.value.wake(true);
    }
    return;
  }
  for (const waiter of [...state.waiters]) waiter.wake(true);
}

/** NdisSetEvent: signals the event; every thread waiting on it wakes. ≤ DISPATCH_LEVEL. */
export function NdisSetEvent(Event: NDIS_EVENT): void {
  const frame = currentFrame();
  if (frame.runtime !== null) {
    enter(frame.runtime, "NdisSetEvent", frame.driver)(undefined);
  }
  signal(keventOf(Event));
}

/** NdisResetEvent: back to not signaled. ≤ DISPATCH_LEVEL. */
export function NdisResetEvent(Event: NDIS_EVENT): void {
  stateOf(keventOf(Event)).signaled = false;
}

/**
 * NdisWaitEvent: blocks until the event is signaled or `MsToWait` milliseconds pass (0: no
 * timeout). PASSIVE_LEVEL. In TypeScript it returns a promise of the BOOLEAN: `await` it in an
 * `async` handler. TRUE when the event is signaled.
 */
export function NdisWaitEvent(Event: NDIS_EVENT, MsToWait: number): Promise<boolean> {
  const kevent = keventOf(Event);
  const frame = currentFrame();
  const done = frame.runtime === null ? null : enter(frame.runtime, "NdisWaitEvent", frame.driver);
  if (!mayBlock("NdisWaitEvent")) {
    done?.(undefined, "not waited: above PASSIVE_LEVEL");
    return Promise.resolve(stateOf(kevent).signaled);
  }
  done?.(undefined, MsToWait === 0 ? "no timeout" : `up to ${MsToWait} ms`);
  return block(kevent, MsToWait, `${frame.driver?.name ?? "caller"}: NdisWaitEvent`);
}

/**
 * NdisMSleep: blocks the caller for `MicrosecondsToSleep` on the host clock. PASSIVE_LEVEL.
 * Returns a promise to `await`.
 */
export function NdisMSleep(MicrosecondsToSleep: number): Promise<void> {
  const frame = currentFrame();
  const done = frame.runtime === null ? null : enter(frame.runtime, "NdisMSleep", frame.driver);
  if (!mayBlock("NdisMSleep") || frame.runtime === null) {
    done?.(undefined);
    return Promise.resolve();
  }
  done?.(undefined, `${MicrosecondsToSleep} µs`);
  const runtime = frame.runtime;
  return new Promise((resolve) => {
    runtime.clock.schedule(
      Math.max(0, MicrosecondsToSleep) / 1000,
      () => runtime.defer(resolve, `${frame.driver?.name ?? "caller"}: NdisMSleep wakes`),
      false,
      `${frame.driver?.name ?? "caller"}: NdisMSleep`,
    );
  });
}

/** KWAIT_REASON `Executive`, the reason drivers pass. */
export const Executive = 0;
/** KPROCESSOR_MODE `KernelMode`. */
export const KernelMode = 0;

/**
 * KeWaitForSingleObject on an event (the `Event` of an NDIS_EVENT, or a KEVENT the driver
 * keeps): resolves with STATUS_SUCCESS when signaled, STATUS_TIMEOUT when `Timeout` passes.
 * `Timeout` is a LARGE_INTEGER in 100 ns units, negative for relative, positive for absolute
 * host time; 0 polls (allowed at DISPATCH_LEVEL); null waits forever.
 */
export function KeWaitForSingleObject(
  // biome-ignore lint/suspicious/noShadowRestrictedNames: the DDI's own parameter name
  Object: KEVENT,
  _WaitReason: number,
  _WaitMode: number,
  _Alertable: boolean,
  Timeout: LARGE_INTEGER | null,
): Promise<number> {
  const state = stateOf(Object);
  if (Timeout === 0n) return Promise.resolve(take(state) ? STATUS_SUCCESS : STATUS_TIMEOUT);
  const frame = currentFrame();
  const done =
    frame.runtime === null ? null : enter(frame.runtime, "KeWaitForSingleObject", frame.driver);
  if (!mayBlock("KeWaitForSingleObject")) {
    done?.(undefined, "not waited: above PASSIVE_LEVEL");
    return Promise.resolve(take(state) ? STATUS_SUCCESS : STATUS_TIMEOUT);
  }
  done?.(undefined);
  let ms: number | null = null;
  if (Timeout !== null) {
    const units = Timeout < 0n ? -Timeout : Timeout - (frame.runtime?.clock.now() ?? 0n) / 100n;
    ms = Math.max(Number(units) / 10_000, Number.MIN_VALUE);
  }
  return block(Object, ms, `${frame.driver?.name ?? "caller"}: KeWaitForSingleObject`).then(
    (signaled) => (signaled ? STATUS_SUCCESS : STATUS_TIMEOUT),
  );
}

/** EVENT_TYPE NotificationEvent: set, it releases every waiter and stays set until cleared. */
export const NotificationEvent = 0;
/** EVENT_TYPE SynchronizationEvent: set, it releases one waiter and goes back to not signaled. */
export const SynchronizationEvent = 1;

/**
 * KeInitializeEvent for a driver's own KEVENT: a NotificationEvent or a SynchronizationEvent,
 * `State` the initial one.
 */
export function KeInitializeEvent(Event: KEVENT, Type: number, State: boolean): void {
  events.set(Event, {
    signaled: State,
    waiters: new Set(),
    ...(Type === SynchronizationEvent ? { synchronization: true } : {}),
  });
}

/** KeSetEvent: signals; returns the previous state (0 or 1). */
export function KeSetEvent(Event: KEVENT, _Increment: number, _Wait: boolean): number {
  const previous = stateOf(Event).signaled ? 1 : 0;
  signal(Event);
  return previous;
}

/** KeClearEvent: back to not signaled. */
export function KeClearEvent(Event: KEVENT): void {
  stateOf(Event).signaled = false;
}

/** KeResetEvent: back to not signaled; returns the previous state (0 or 1). */
export function KeResetEvent(Event: KEVENT): number {
  const state = stateOf(Event);
  const previous = state.signaled ? 1 : 0;
  state.signaled = false;
  return previous;
}

/** KeReadStateEvent: the event's state, 1 signaled or 0 not (any IRQL). */
export function KeReadStateEvent(Event: KEVENT): number {
  return stateOf(Event).signaled ? 1 : 0;
}
