/**
 * The kernel's own DPCs and timers (wdm.h): KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc,
 * KeFlushQueuedDpcs, KeInitializeTimer(Ex), KeSetTimer(Ex), KeCancelTimer, KeReadStateTimer.
 *
 * KTIMER and KDPC are caller-allocated (`{}`, then KeInitializeTimer / KeInitializeDpc); their
 * state is the kernel's, kept here. A DPC routine runs at DISPATCH_LEVEL through NDIS's handler
 * frame, as an NDIS timer's function does: a queued DPC runs as NDIS's deferred work (after the
 * current call unwinds, in the order the host's scheduler — or the explorer — picks); a timer
 * expires on the host clock, is signaled, and runs its DPC then. A timer still set or a DPC still
 * queued when its driver unloads is KeTimer_PendingAtUnload (Windows bug-checks: 0xCE).
 *
 * [MODEL] One processor: KeFlushQueuedDpcs runs every DPC queued at the time, in queue order,
 * before it returns (it does not block). Waiting on a timer object (KeWaitForSingleObject) is
 * not modelled; KeReadStateTimer reads its state.
 */
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { KDEFERRED_ROUTINE, KDPC, KTIMER, LARGE_INTEGER } from "../../ndis/types.js";
import { callDriver, checkIrql, currentFrame } from "../core/objects/context.js";
import type { DriverRecord, KernelPending, NdisRuntime } from "../core/objects/records.js";
import { enter } from "./trace.js";

/** KeInitializeTimerEx's Type: a notification timer stays signaled until set again. */
export const NotificationTimer = 0;
/** KeInitializeTimerEx's Type: a synchronization timer releases one waiter and resets. */
export const SynchronizationTimer = 1;

interface DpcState {
  readonly routine: KDEFERRED_ROUTINE;
  readonly context: unknown;
  /** The queueing now pending (KeInsertQueueDpc), or null when the DPC is not queued. */
  queued: (KernelPending & { readonly driver: DriverRecord; run(): void }) | null;
}

interface TimerState {
  readonly type: number;
  signaled: boolean;
  /** The expiry now pending on the host clock, or null when the timer is not set. */
  set: (KernelPending & { readonly driver: DriverRecord }) | null;
}

const dpcs = new WeakMap<KDPC, DpcState>();
const timers = new WeakMap<KTIMER, TimerState>();
/** DPCs queued now, per runtime, in queue order (KeFlushQueuedDpcs runs them). */
const queues = new WeakMap<NdisRuntime, Set<KDPC>>();

/** The driver whose code calls `name` now: a Ke timer or DPC belongs to it. */
function callerDriver(name: string): DriverRecord {
  const driver = currentFrame().driver;
  if (driver === null) {
    throw new Error(
      `${name} called outside any driver's code: a kernel timer or DPC runs on the runtime of the driver that sets it`,
    );
  }
  return driver;
}

function dpcState(name: string, Dpc: KDPC | null): DpcState {
  const state = Dpc === null ? undefined : dpcs.get(Dpc);
  if (state === undefined) {
    throw new Error(`${name} got a KDPC that KeInitializeDpc did not initialize`);
  }
  return state;
}

function timerState(name: string, Timer: KTIMER): TimerState {
  const state = timers.get(Timer);
  if (state === undefined) {
    throw new Error(`${name} got a KTIMER that KeInitializeTimer(Ex) did not initialize`);
  }
  return state;
}

/** `CustomTimerDpc KminiTick`, or the routine's role when it has no name. */
function routineName(state: DpcState): string {
  return state.routine.name === "" ? "a DPC routine" : state.routine.name;
}

/** Runs the DPC routine now at DISPATCH_LEVEL, in `driver`'s frame. */
function runDpc(
  driver: DriverRecord,
  Dpc: KDPC,
  state: DpcState,
  handler: "CustomDpc" | "CustomTimerDpc",
  SystemArgument1: unknown,
  SystemArgument2: unknown,
): void {
  callDriver(
    driver.runtime,
    driver,
    handler,
    DISPATCH_LEVEL,
    () => state.routine(Dpc, state.context, SystemArgument1, SystemArgument2),
    () => undefined,
    `${routineName(state)} of ${driver.name}`,
  );
}

/** KeInitializeDpc: makes `Dpc` call `DeferredRoutine(Dpc, DeferredContext, arg1, arg2)`. */
export function KeInitializeDpc(
  Dpc: KDPC,
  DeferredRoutine: KDEFERRED_ROUTINE,
  DeferredContext: unknown,
): void {
  if (typeof DeferredRoutine !== "function") {
    throw new Error("KeInitializeDpc: DeferredRoutine is NULL");
  }
  dpcs.set(Dpc, { routine: DeferredRoutine, context: DeferredContext, queued: null });
}

/**
 * KeInsertQueueDpc: queues the DPC; its routine runs at DISPATCH_LEVEL once the current call
 * unwinds. FALSE (and nothing queued) when it is queued already. Any IRQL.
 */
export function KeInsertQueueDpc(
  Dpc: KDPC,
  SystemArgument1: unknown,
  SystemArgument2: unknown,
): boolean {
  const state = dpcState("KeInsertQueueDpc", Dpc);
  const driver = callerDriver("KeInsertQueueDpc");
  const runtime = driver.runtime;
  const done = enter(runtime, "KeInsertQueueDpc", driver, routineName(state));
  if (state.queued !== null) {
    done(undefined, "already queued");
    return false;
  }
  let queue = queues.get(runtime);
  if (queue === undefined) {
    queue = new Set();
    queues.set(runtime, queue);
  }
  const q = queue;
  const pending = {
    driver,
    label: `DPC ${routineName(state)} of ${driver.name} (queued)`,
    stop: () => {
      if (state.queued !== pending) return;
      state.queued = null;
      q.delete(Dpc);
      driver.kernelPending.delete(pending);
    },
    run: () => {
      if (state.queued !== pending) return;
      pending.stop();
      runDpc(driver, Dpc, state, "CustomDpc", SystemArgument1, SystemArgument2);
    },
  };
  state.queued = pending;
  q.add(Dpc);
  driver.kernelPending.add(pending);
  runtime.defer(pending.run, `${driver.name}: DPC ${routineName(state)}`);
  done(undefined);
  return true;
}

/** KeRemoveQueueDpc: takes a queued DPC off the queue (its routine will not run). TRUE when it was queued. */
export function KeRemoveQueueDpc(Dpc: KDPC): boolean {
  const state = dpcState("KeRemoveQueueDpc", Dpc);
  const queued = state.queued;
  if (queued === null) return false;
  const done = enter(queued.driver.runtime, "KeRemoveQueueDpc", queued.driver, routineName(state));
  queued.stop();
  done(undefined, "removed");
  return true;
}

/**
 * KeFlushQueuedDpcs: returns once every DPC queued now has run. PASSIVE_LEVEL (at DISPATCH_LEVEL
 * it is Irql_Wait_Function and runs nothing). [MODEL] It runs them itself, in queue order.
 */
export function KeFlushQueuedDpcs(): void {
  const driver = callerDriver("KeFlushQueuedDpcs");
  const runtime = driver.runtime;
  const done = enter(runtime, "KeFlushQueuedDpcs", driver);
  if (currentFrame().irql > PASSIVE_LEVEL) {
    checkIrql(runtime, driver, "KeFlushQueuedDpcs", PASSIVE_LEVEL, "Irql_Wait_Function");
    done(undefined, "not at PASSIVE_LEVEL");
    return;
  }
  const queue = queues.get(runtime);
  const now = queue === undefined ? [] : [...queue];
  for (const Dpc of now) dpcs.get(Dpc)?.queued?.run();
  done(undefined, `${now.length} run`);
}

/** KeInitializeTimer: a notification timer, not set, not signaled. */
export function KeInitializeTimer(Timer: KTIMER): void {
  KeInitializeTimerEx(Timer, NotificationTimer);
}

/** KeInitializeTimerEx: a timer of `Type` (NotificationTimer or SynchronizationTimer), not set. */
export function KeInitializeTimerEx(Timer: KTIMER, Type: number): void {
  if (Type !== NotificationTimer && Type !== SynchronizationTimer) {
    throw new Error(
      `KeInitializeTimerEx: Type ${Type} is neither NotificationTimer (0) nor SynchronizationTimer (1)`,
    );
  }
  timers.get(Timer)?.set?.stop();
  timers.set(Timer, { type: Type, signaled: false, set: null });
}

/** KeSetTimer: KeSetTimerEx without a period. */
export function KeSetTimer(Timer: KTIMER, DueTime: LARGE_INTEGER, Dpc: KDPC | null): boolean {
  return KeSetTimerEx(Timer, DueTime, 0, Dpc, "KeSetTimer");
}

/**
 * KeSetTimerEx: sets the timer to expire at `DueTime` (100 ns units: negative relative to now,
 * positive an absolute system time on the host clock's scale, as NdisSetTimerObject's), then
 * every `Period` ms when it is not 0; clears its signal. At each expiry the timer is signaled
 * and `Dpc`'s routine (if any) runs at DISPATCH_LEVEL. TRUE when the timer was set already (that
 * expiry is cancelled).
 */
export function KeSetTimerEx(
  Timer: KTIMER,
  DueTime: LARGE_INTEGER,
  Period: number,
  Dpc: KDPC | null,
  name = "KeSetTimerEx",
): boolean {
  const state = timerState(name, Timer);
  const dpc = Dpc === null ? null : dpcState(name, Dpc);
  const driver = callerDriver(name);
  const runtime = driver.runtime;
  if (typeof DueTime !== "bigint" || !Number.isInteger(Period) || Period < 0) {
    throw new Error(
      `${name}: DueTime ${String(DueTime)} must be a LARGE_INTEGER (bigint, 100 ns units) and Period ${String(Period)} a LONG ≥ 0`,
    );
  }
  const label = `kernel timer of ${driver.name}${dpc === null ? "" : ` with DPC ${routineName(dpc)}`}`;
  const done = enter(runtime, name, driver, label);
  const wasSet = state.set !== null;
  state.set?.stop();
  state.signaled = false;
  const now100ns = runtime.clock.now() / 100n;
  const delay100ns = DueTime < 0n ? -DueTime : DueTime > now100ns ? DueTime - now100ns : 0n;
  let cancel: (() => void) | null = null;
  const pending = {
    driver,
    label: `${label} (set)`,
    stop: () => {
      if (state.set !== pending) return;
      state.set = null;
      cancel?.();
      driver.kernelPending.delete(pending);
    },
  };
  const arm = (ms: number) => {
    cancel = runtime.clock.schedule(
      ms,
      () => {
        if (state.set !== pending) return;
        if (Period > 0) arm(Period);
        else {
          state.set = null;
          driver.kernelPending.delete(pending);
        }
        state.signaled = true;
        // A DPC queued already (KeInsertQueueDpc) runs once, from the queue.
        if (Dpc !== null && dpc !== null && dpc.queued === null) {
          runDpc(driver, Dpc, dpc, "CustomTimerDpc", undefined, undefined);
        }
      },
      false,
      `${driver.name}: ${label}`,
    );
  };
  state.set = pending;
  driver.kernelPending.add(pending);
  arm(Number(delay100ns) / 10_000);
  done(undefined, wasSet ? "was set" : undefined);
  return wasSet;
}

/** KeCancelTimer: takes a set timer off the queue (its DPC will not run). TRUE when it was set. */
export function KeCancelTimer(Timer: KTIMER): boolean {
  const state = timerState("KeCancelTimer", Timer);
  const set = state.set;
  if (set === null) return false;
  const done = enter(set.driver.runtime, "KeCancelTimer", set.driver, set.label);
  set.stop();
  done(undefined, "cancelled");
  return true;
}

/** KeReadStateTimer: TRUE when the timer has expired since it was last set (signaled). */
export function KeReadStateTimer(Timer: KTIMER): boolean {
  return timerState("KeReadStateTimer", Timer).signaled;
}
