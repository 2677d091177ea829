/**
 * NDIS_MUTEX (a KMUTEX wrapper) with NDIS_INIT_MUTEX, NDIS_WAIT_FOR_MUTEX and NDIS_RELEASE_MUTEX,
 * as their DDI pages describe them: initialised signaled (free) at any IRQL; a wait at
 * PASSIVE_LEVEL takes it or blocks until it is released; the holding thread may take it again
 * and then releases it as many times; only the holder releases it, and releasing a free mutex is
 * a bug check on Windows. Holding it does not raise the IRQL.
 *
 * [MODEL] A "thread" is the outermost handler NDIS called, followed across its awaits: code it
 * calls (NDIS calling another handler within it) runs on the same thread, as on Windows. A wait
 * that blocks returns a promise (`await NDIS_WAIT_FOR_MUTEX(M)` in an `async` PASSIVE_LEVEL
 * handler); waiters take the mutex in the order they asked, each woken as NDIS deferred work.
 */
import { irqlToString, PASSIVE_LEVEL } from "../../ndis/irql.js";
import { STATUS_SUCCESS } from "../../ndis/status.js";
import type { NDIS_MUTEX } from "../../ndis/types.js";
import { currentFrame, type Frame } from "../core/objects/context.js";
import { enter } from "./trace.js";

interface Waiter {
  readonly thread: Frame;
  readonly wake: () => void;
}

interface MutexState {
  owner: Frame | null;
  /** Acquisitions by the owner not yet released (recursion). */
  count: number;
  readonly waiters: Waiter[];
}

const mutexes = new WeakMap<NDIS_MUTEX, MutexState>();

/** The thread the current code runs on: its outermost handler frame. */
function threadOf(frame: Frame): Frame {
  let f = frame;
  while (f.parent !== null && f.parent.parent !== null) f = f.parent;
  return f;
}

function violate(rule: "Irql_Synch_Function" | "NdisMutex", message: string): void {
  const frame = currentFrame();
  frame.runtime?.violate(rule, message, frame.driver, frame.depth);
}

function stateOf(M: NDIS_MUTEX, macro: string): MutexState {
  let state = mutexes.get(M);
  if (state === undefined) {
    violate("NdisMutex", `${macro} on an NDIS_MUTEX that NDIS_INIT_MUTEX did not initialise`);
    state = { owner: null, count: 0, waiters: [] };
    mutexes.set(M, state);
  }
  return state;
}

/** NDIS_INIT_MUTEX: the caller-allocated mutex (`{}`) starts signaled (free). Any IRQL. */
export function NDIS_INIT_MUTEX(M: NDIS_MUTEX): void {
  mutexes.set(M, { owner: null, count: 0, waiters: [] });
}

/**
 * NDIS_WAIT_FOR_MUTEX: takes the mutex, waiting while another thread holds it; resolves with
 * STATUS_SUCCESS once it is the caller's. PASSIVE_LEVEL: above it, Irql_Synch_Function and no wait.
 */
export function NDIS_WAIT_FOR_MUTEX(M: NDIS_MUTEX): Promise<number> {
  const frame = currentFrame();
  const done =
    frame.runtime === null ? null : enter(frame.runtime, "NDIS_WAIT_FOR_MUTEX", frame.driver);
  const state = stateOf(M, "NDIS_WAIT_FOR_MUTEX");
  const thread = threadOf(frame);
  if (frame.irql > PASSIVE_LEVEL) {
    violate(
      "Irql_Synch_Function",
      `NDIS_WAIT_FOR_MUTEX called at ${irqlToString(frame.irql)}: it waits, so only at PASSIVE_LEVEL`,
    );
  }
  if (state.owner === null || state.owner === thread) {
    state.owner = thread;
    state.count++;
    done?.(undefined, state.count > 1 ? `taken again (${state.count})` : "taken");
    return Promise.resolve(STATUS_SUCCESS);
  }
  const runtime = frame.runtime;
  if (frame.irql > PASSIVE_LEVEL || runtime === null) {
    done?.(undefined, "not waited");
    return Promise.resolve(STATUS_SUCCESS);
  }
  done?.(undefined, "waits");
  return new Promise((resolve) => {
    state.waiters.push({
      thread,
      wake: () =>
        runtime.defer(
          () => resolve(STATUS_SUCCESS),
          `${frame.driver?.name ?? "caller"}: NDIS_WAIT_FOR_MUTEX wakes`,
        ),
    });
  });
}

/**
 * NDIS_RELEASE_MUTEX: one release by the holding thread; returns 0 when the mutex is signaled
 * (free) again, nonzero while the holder still owns it or it went on to the next waiter.
 */
export function NDIS_RELEASE_MUTEX(M: NDIS_MUTEX): number {
  const frame = currentFrame();
  if (frame.runtime !== null) enter(frame.runtime, "NDIS_RELEASE_MUTEX", frame.driver)(undefined);
  if (frame.irql > PASSIVE_LEVEL) {
    violate(
      "Irql_Synch_Function",
      `NDIS_RELEASE_MUTEX called at ${irqlToString(frame.irql)}: only at PASSIVE_LEVEL`,
    );
  }
  const state = stateOf(M, "NDIS_RELEASE_MUTEX");
  if (state.owner === null) {
    violate(
      "NdisMutex",
      "NDIS_RELEASE_MUTEX on a mutex nobody holds (it is signaled): on Windows this bug-checks",
    );
    return 0;
  }
  if (state.owner !== threadOf(frame)) {
    violate(
      "NdisMutex",
      "NDIS_RELEASE_MUTEX by a thread that does not hold the mutex: only the holder releases it",
    );
    return 1;
  }
  state.count--;
  if (state.count > 0) return 1;
  const next = state.waiters.shift();
  if (next === undefined) {
    state.owner = null;
    return 0;
  }
  state.owner = next.thread;
  state.count = 1;
  next.wake();
  return 1;
}

/**
 * Whether NDIS_WAIT_FOR_MUTEX would block the caller now: another thread holds the mutex and the
 * caller runs at PASSIVE_LEVEL (for the C bridge, which must know before it unwinds the module).
 */
export function ndisMutexWouldBlock(M: NDIS_MUTEX): boolean {
  const frame = currentFrame();
  const owner = mutexes.get(M)?.owner ?? null;
  return (
    frame.irql <= PASSIVE_LEVEL &&
    frame.runtime !== null &&
    owner !== null &&
    owner !== threadOf(frame)
  );
}
