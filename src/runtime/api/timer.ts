/**
 * NDIS timer objects. A set timer expires on the host's clock; NDIS then calls the driver's
 * TimerFunction at DISPATCH_LEVEL (as a DPC), once, or every MillisecondsPeriod for a periodic
 * timer until it is cancelled. ≤ DISPATCH_LEVEL for every call.
 */
import { DISPATCH_LEVEL } from "../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS } from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import {
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_TIMER_CHARACTERISTICS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
} from "../../ndis/timer.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { callDriver, checkIrql, currentFrame } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleDriver,
  handleRuntime,
  mintHandle,
  resolveHandle,
} from "../core/objects/handles.js";
import type { TimerRecord } from "../core/objects/records.js";
import { freeTimer, resourceLabel, resourceOwnerOf, stopTimer } from "../core/objects/resources.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

function timerOf(functionName: string, handle: unknown): TimerRecord | null {
  const target = resolveHandle(handle);
  if (target?.kind === "timer") return target;
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a timer object from NdisAllocateTimerObject`,
    handleDriver(handle),
  );
  return null;
}

/**
 * NdisAllocateTimerObject: a timer object for the driver behind `NdisHandle` (a miniport adapter
 * handle, a binding handle, or a miniport or protocol driver handle). SUCCESS with the handle in
 * `pTimerObject`; BAD_CHARACTERISTICS for a malformed NDIS_TIMER_CHARACTERISTICS; RESOURCES when
 * memory runs out; FAILURE for a handle NDIS did not give.
 */
export function NdisAllocateTimerObject(
  NdisHandle: NDIS_HANDLE,
  TimerCharacteristics: NDIS_TIMER_CHARACTERISTICS,
  pTimerObject: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  pTimerObject.value = undefined;
  const resolved = resourceOwnerOf(NdisHandle);
  if (resolved === null) {
    reportAtCaller(
      handleRuntime(NdisHandle),
      "InvalidNdisHandle",
      `NdisAllocateTimerObject got ${describeHandleArgument(NdisHandle)}; it needs a miniport adapter, binding or driver handle`,
      handleDriver(NdisHandle),
    );
    return NDIS_STATUS_FAILURE;
  }
  const { driver, owner } = resolved;
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisAllocateTimerObject", driver);
  checkIrql(runtime, driver, "NdisAllocateTimerObject", DISPATCH_LEVEL, "Irql_Timer_Function");
  const c = TimerCharacteristics as Partial<NDIS_TIMER_CHARACTERISTICS> | null | undefined;
  const h = c?.Header;
  let why: string | null = null;
  if (c === null || typeof c !== "object") why = "TimerCharacteristics is NULL";
  else if (h?.Type !== NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS)
    why = "Header.Type is not NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS";
  else if (h.Revision !== NDIS_TIMER_CHARACTERISTICS_REVISION_1)
    why = `Header.Revision ${String(h.Revision)} is not NDIS_TIMER_CHARACTERISTICS_REVISION_1`;
  else if (typeof h.Size !== "number" || h.Size < NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1)
    why = `Header.Size ${String(h.Size)} is below NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 (${NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1})`;
  else if (typeof c.TimerFunction !== "function") why = "TimerFunction is NULL";
  if (why !== null || c === null || c === undefined || typeof c.TimerFunction !== "function") {
    const message = why ?? "TimerFunction is NULL";
    reportAtCaller(
      runtime,
      "NdisAllocateTimerObject_BadArgument",
      `NdisAllocateTimerObject: ${message}`,
    );
    return done(NDIS_STATUS_BAD_CHARACTERISTICS, message);
  }
  if (runtime.takeAllocationFailure("NdisAllocateTimerObject"))
    return done(NDIS_STATUS_RESOURCES, "out of memory");
  const timer: TimerRecord = {
    kind: "timer",
    driver,
    owner,
    label: resourceLabel("timer", driver, owner),
    handle: null as unknown as NDIS_HANDLE,
    TimerFunction: c.TimerFunction,
    context: c.FunctionContext,
    cancel: null,
    periodMs: 0,
    fired: 0,
  };
  timer.handle = mintHandle(timer.label, timer);
  driver.timers.add(timer);
  pTimerObject.value = timer.handle;
  return done(NDIS_STATUS_SUCCESS);
}

/** Arms `timer` to expire after `delayMs` on the host clock. */
function arm(timer: TimerRecord, delayMs: number): void {
  const runtime = timer.driver.runtime;
  timer.cancel = runtime.clock.schedule(
    delayMs,
    () => {
      timer.cancel = null;
      if (timer.periodMs > 0) arm(timer, timer.periodMs);
      timer.fired += 1;
      const now = runtime.clock.now();
      callDriver(
        runtime,
        timer.driver,
        "TimerFunction",
        DISPATCH_LEVEL,
        () => timer.TimerFunction(null, timer.context, now / 100n, null),
        () => undefined,
        timer.label,
      );
    },
    false,
    `${timer.driver.name}: ${timer.label}`,
  );
}

/**
 * NdisSetTimerObject: (re)sets the timer. `DueTime` is a LARGE_INTEGER in 100 ns units: negative
 * is relative to now, positive an absolute system time (here: the host clock's time). A non-zero
 * `MillisecondsPeriod` makes it periodic. `FunctionContext`, when given, replaces the context of
 * the characteristics. Returns TRUE when the timer was already set (it is re-set).
 */
export function NdisSetTimerObject(
  TimerObject: NDIS_HANDLE,
  DueTime: bigint,
  MillisecondsPeriod = 0,
  FunctionContext?: unknown,
): boolean {
  const timer = timerOf("NdisSetTimerObject", TimerObject);
  if (timer === null) return false;
  const runtime = timer.driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisSetTimerObject", timer.driver, timer.label);
  checkIrql(runtime, timer.driver, "NdisSetTimerObject", DISPATCH_LEVEL, "Irql_Timer_Function");
  if (
    typeof DueTime !== "bigint" ||
    !Number.isInteger(MillisecondsPeriod) ||
    MillisecondsPeriod < 0 ||
    MillisecondsPeriod > 0xffffffff
  ) {
    reportAtCaller(
      runtime,
      "NdisAllocateTimerObject_BadArgument",
      `NdisSetTimerObject: DueTime ${String(DueTime)} must be a bigint in 100 ns units and MillisecondsPeriod ${String(MillisecondsPeriod)} a ULONG`,
    );
    done(undefined, "bad argument");
    return false;
  }
  const wasSet = stopTimer(timer);
  if (FunctionContext !== undefined) timer.context = FunctionContext;
  timer.periodMs = MillisecondsPeriod;
  const delay100ns =
    DueTime < 0n
      ? -DueTime
      : DueTime - runtime.clock.now() / 100n > 0n
        ? DueTime - runtime.clock.now() / 100n
        : 0n;
  arm(timer, Number(delay100ns) / 10_000);
  done(undefined, wasSet ? "was set" : undefined);
  return wasSet;
}

/**
 * NdisCancelTimerObject: takes the timer out of the queue. TRUE when it was set (its function will
 * not run for this expiry); FALSE when it was not set or its function is already running.
 */
export function NdisCancelTimerObject(TimerObject: NDIS_HANDLE): boolean {
  const timer = timerOf("NdisCancelTimerObject", TimerObject);
  if (timer === null) return false;
  const runtime = timer.driver.runtime;
  const done = enter(runtime, "NdisCancelTimerObject", timer.driver, timer.label);
  checkIrql(runtime, timer.driver, "NdisCancelTimerObject", DISPATCH_LEVEL, "Irql_Timer_Function");
  const wasSet = stopTimer(timer);
  timer.periodMs = 0;
  done(undefined, wasSet ? "cancelled" : "was not set");
  return wasSet;
}

/** NdisFreeTimerObject: frees the timer. Freeing a timer that is still set is CancelTimerObject. */
export function NdisFreeTimerObject(TimerObject: NDIS_HANDLE): void {
  const timer = timerOf("NdisFreeTimerObject", TimerObject);
  if (timer === null) return;
  const runtime = timer.driver.runtime;
  const done = enter(runtime, "NdisFreeTimerObject", timer.driver, timer.label);
  checkIrql(runtime, timer.driver, "NdisFreeTimerObject", DISPATCH_LEVEL, "Irql_Timer_Function");
  if (timer.cancel !== null) {
    reportAtCaller(
      runtime,
      "CancelTimerObject",
      `NdisFreeTimerObject on ${timer.label} while it is still set; cancel it first`,
    );
  }
  freeTimer(timer);
  done(undefined);
}

/**
 * NdisGetCurrentSystemTime: the system time in 100 ns units, on the same scale as an absolute
 * DueTime of NdisSetTimerObject. [MODEL] The origin is the host clock's (0 on a ManualClock; the
 * real clock's monotonic origin), not 1601-01-01. Any IRQL.
 */
export function NdisGetCurrentSystemTime(SystemTime: Out<bigint>): void {
  const runtime = currentFrame().runtime;
  SystemTime.value = runtime === null ? 0n : runtime.clock.now() / 100n;
}
