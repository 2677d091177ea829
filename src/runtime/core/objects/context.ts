/**
 * The call context: which NDIS is running driver code right now, for which driver, in which
 * handler, and at which IRQL. Node runs one call at a time, so a stack of frames is the whole
 * "current processor" state. DDI functions without a handle (NdisRegisterProtocolDriver,
 * NdisGetVersion, spin locks) find their NDIS here.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { irqlToString, type KIRQL, PASSIVE_LEVEL } from "../../../ndis/irql.js";
import type { VerifierRuleId } from "../../../verifier/rules.js";
import { NdisBugCheckError } from "../../../verifier/violation.js";
import { isPromiseLike } from "../../state/machine.js";
import { describeThrown, thrownStack } from "../base/trace.js";
import type { DriverRecord, NdisRuntime } from "./records.js";

/** How a thrown value reads in a report (kept here too: the DDI families take it from the context). */
export { describeThrown, isPromiseLike };

export interface Frame {
  readonly runtime: NdisRuntime | null;
  readonly driver: DriverRecord | null;
  /** NDIS's name for the handler running in this frame (`DriverEntry`, `MiniportSetOptions`). */
  readonly handler: string | null;
  /** The current IRQL; spin locks raise and restore it. */
  irql: KIRQL;
  readonly depth: number;
  readonly parent: Frame | null;
  /**
   * False once the handler has returned. A PASSIVE_LEVEL handler that blocks (returns a promise)
   * stays live until the promise settles, and its code resumed after a wait finds this frame.
   */
  live: boolean;
}

const root: Frame = {
  runtime: null,
  driver: null,
  handler: null,
  irql: PASSIVE_LEVEL,
  depth: 0,
  parent: null,
  live: true,
};
let top: Frame = root;

/**
 * The frame of a PASSIVE_LEVEL handler, carried across its awaits: a blocked handler's code
 * resumes in a later turn of the event loop, when the synchronous stack (`top`) is empty.
 */
const resumed = new AsyncLocalStorage<Frame>();

/**
 * PASSIVE_LEVEL handlers blocked now (returned a promise that has not settled). Only their code
 * can find a live frame in `resumed`; while there are none, an empty synchronous stack is the
 * root, without asking the AsyncLocalStorage (a lookup on every outermost DDI call otherwise).
 */
let blocked = 0;

export function currentFrame(): Frame {
  if (top !== root) return top;
  if (blocked === 0) return root;
  const frame = resumed.getStore();
  return frame?.live === true ? frame : root;
}

/** True when some frame on the call stack is running code of `driver`. */
export function driverOnStack(driver: DriverRecord): boolean {
  for (let frame: Frame | null = currentFrame(); frame !== null; frame = frame.parent) {
    if (frame.driver === driver) return true;
  }
  return false;
}

/** `instanceof NdisBugCheckError` that a hostile thrown value (a Proxy) cannot make throw. */
function isBugCheck(thrown: unknown): thrown is NdisBugCheckError {
  try {
    return thrown instanceof NdisBugCheckError;
  } catch {
    return false;
  }
}

/**
 * Calls driver code as NDIS calls handler `name`: in a new frame at `irql`, traced. If the driver
 * throws, the DriverException rule is reported and `onThrow` supplies the result NDIS goes on
 * with; `subject` names the object the call is about, for the trace. If the handler returns holding a spin lock, the SpinLock rule is reported and the IRQL is
 * restored.
 */
export function callDriver<T>(
  runtime: NdisRuntime,
  driver: DriverRecord,
  name: string,
  irql: KIRQL,
  fn: () => T,
  onThrow: () => T,
  subject?: string,
): T {
  // A driver the verifier stopped is never called again; NDIS goes on as if the call failed.
  if (driver.crashed !== null) return onThrow();
  const outer = top;
  const parent = currentFrame();
  const frame: Frame = {
    runtime,
    driver,
    handler: name,
    irql,
    depth: parent.depth + 1,
    parent,
    live: true,
  };
  if (runtime.recorded) {
    const detail = subject === undefined ? {} : { detail: subject };
    runtime.emit({
      kind: "handler",
      phase: "call",
      depth: frame.depth,
      name,
      driver: driver.name,
      ...detail,
    });
  }
  top = frame;
  let result: T;
  try {
    // A PASSIVE_LEVEL handler may block: its frame follows its code across its awaits.
    result = irql === PASSIVE_LEVEL ? resumed.run(frame, fn) : fn();
  } catch (thrown) {
    top = outer;
    frame.live = false;
    if (isBugCheck(thrown)) {
      // A stopped driver's code unwinds to the outermost NDIS call into it; that call fails.
      if (driver.crashed === null || thrown.violation !== driver.crashed || driverOnStack(driver))
        throw thrown;
      return onThrow();
    }
    runtime.violate(
      "DriverException",
      `${name} threw ${describeThrown(thrown)}${thrownStack(thrown)}`,
      driver,
      frame.depth,
    );
    result = onThrow();
  } finally {
    top = outer;
  }
  if (irql === PASSIVE_LEVEL && isPromiseLike(result)) {
    return settleBlocked(runtime, driver, name, irql, frame, result, onThrow) as T;
  }
  frame.live = false;
  handlerReturned(runtime, driver, name, irql, frame, result);
  return result;
}

/**
 * A PASSIVE_LEVEL handler that blocked (returned a promise): NDIS treats it as running until the
 * promise settles. The settled value is its return; a rejection is a thrown handler.
 */
function settleBlocked<T>(
  runtime: NdisRuntime,
  driver: DriverRecord,
  name: string,
  irql: KIRQL,
  frame: Frame,
  pending: PromiseLike<unknown>,
  onThrow: () => T,
): Promise<T> {
  blocked++;
  return Promise.resolve(pending).then(
    (value) => {
      frame.live = false;
      blocked--;
      handlerReturned(runtime, driver, name, irql, frame, value);
      return value as T;
    },
    (thrown: unknown) => {
      frame.live = false;
      blocked--;
      // A bug check raised in resumed code has already stopped the driver (or the host).
      if (!isBugCheck(thrown) && driver.crashed === null) {
        try {
          runtime.violate(
            "DriverException",
            `${name} threw ${describeThrown(thrown)}${thrownStack(thrown)}`,
            driver,
            frame.depth,
          );
        } catch (bugCheck) {
          if (!isBugCheck(bugCheck)) throw bugCheck;
        }
      }
      return onThrow();
    },
  );
}

function handlerReturned(
  runtime: NdisRuntime,
  driver: DriverRecord,
  name: string,
  irql: KIRQL,
  frame: Frame,
  result: unknown,
): void {
  if (frame.irql !== irql) {
    runtime.violate(
      "SpinLock",
      `${name} returned at ${irqlToString(frame.irql)} instead of ${irqlToString(irql)}: a spin lock it acquired is still held`,
      driver,
      frame.depth,
    );
  }
  if (runtime.recorded) {
    const status = typeof result === "number" ? { status: result } : {};
    runtime.emit({
      kind: "handler",
      phase: "return",
      depth: frame.depth,
      name,
      driver: driver.name,
      ...status,
    });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a data-path handler of any of NDIS's shapes
type DataHandler = (...args: any[]) => void;

/**
 * The frames callHandler runs data-path handlers in: one per depth, reused. A data-path handler
 * is synchronous, so the frame at a depth is free again when its call returns, and nothing keeps
 * a frame past its call (currentFrame()'s users read it at once). callDriver's frames stay
 * objects of their own.
 */
class HandlerFrame implements Frame {
  runtime: NdisRuntime | null = null;
  driver: DriverRecord | null = null;
  handler: string | null = null;
  irql: KIRQL = PASSIVE_LEVEL;
  readonly depth: number;
  parent: Frame | null = null;
  live = true;
  constructor(depth: number) {
    this.depth = depth;
  }
}
const handlerFrames: HandlerFrame[] = [];

function handlerFrame(depth: number): HandlerFrame {
  let frame = handlerFrames[depth];
  if (frame === undefined) {
    frame = new HandlerFrame(depth);
    handlerFrames[depth] = frame;
  }
  return frame;
}

/**
 * callDriver for the data path: calls a void handler with two to five arguments in a reused
 * frame, without building a closure, so that a steady data path allocates nothing. Same rules as
 * callDriver: a stopped driver is not called, a throw is DriverException, a held spin lock is
 * SpinLock (reported by handlerEnded, outside this function, so that its messages' strings are
 * built only when something is wrong).
 */
export function callHandler(
  runtime: NdisRuntime,
  driver: DriverRecord,
  name: string,
  irql: KIRQL,
  handler: DataHandler,
  a: unknown,
  b: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
): void {
  if (driver.crashed !== null) return;
  const outer = top;
  // (Code of a blocked handler resumed after a wait runs with an empty synchronous stack.)
  const parent = outer === root ? currentFrame() : outer;
  const frame = handlerFrame(parent.depth + 1);
  frame.runtime = runtime;
  frame.driver = driver;
  frame.handler = name;
  frame.irql = irql;
  frame.parent = parent;
  if (runtime.tracing) traceHandler(runtime, frame, "call");
  top = frame;
  try {
    handler(a, b, c, d, e);
  } catch (thrown) {
    top = outer;
    handlerThrew(runtime, driver, frame, thrown);
  } finally {
    top = outer;
  }
  if (frame.irql !== irql) handlerHeldLock(runtime, driver, frame, irql);
  if (runtime.tracing) traceHandler(runtime, frame, "return");
  // Drop the references, so that a reused frame keeps no driver or runtime alive.
  frame.runtime = null;
  frame.driver = null;
  frame.parent = null;
}

function traceHandler(runtime: NdisRuntime, frame: Frame, phase: "call" | "return"): void {
  runtime.emit({
    kind: "handler",
    phase,
    depth: frame.depth,
    name: frame.handler as string,
    driver: (frame.driver as DriverRecord).name,
  });
}

/** callHandler's catch: a stopped driver's unwinding ends here; anything else is DriverException. */
function handlerThrew(
  runtime: NdisRuntime,
  driver: DriverRecord,
  frame: Frame,
  thrown: unknown,
): void {
  if (isBugCheck(thrown)) {
    if (driver.crashed === null || thrown.violation !== driver.crashed || driverOnStack(driver))
      throw thrown;
    return;
  }
  runtime.violate(
    "DriverException",
    `${frame.handler} threw ${describeThrown(thrown)}${thrownStack(thrown)}`,
    driver,
    frame.depth,
  );
}

function handlerHeldLock(
  runtime: NdisRuntime,
  driver: DriverRecord,
  frame: Frame,
  irql: KIRQL,
): void {
  runtime.violate(
    "SpinLock",
    `${frame.handler} returned at ${irqlToString(frame.irql)} instead of ${irqlToString(irql)}: a spin lock it acquired is still held`,
    driver,
    frame.depth,
  );
}

/** Reports `rule` when the current IRQL is above `max`. */
export function checkIrql(
  runtime: NdisRuntime,
  driver: DriverRecord | null,
  functionName: string,
  max: KIRQL,
  rule: VerifierRuleId,
): void {
  const frame = currentFrame();
  const irql = frame.irql;
  if (irql <= max) return;
  const limit = max === PASSIVE_LEVEL ? "PASSIVE_LEVEL" : `${irqlToString(max)} or lower`;
  runtime.violate(
    rule,
    `${functionName} called at ${irqlToString(irql)}; it requires ${limit}`,
    driver,
    frame.depth,
  );
}
