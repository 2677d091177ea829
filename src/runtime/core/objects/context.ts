/**
 * The call context: which NDIS is running driver code right now, for which driver, in which
 * handler, and at which IRQL. Node runs one call at a time, so a stack of frames is the whole
 * "current processor" state. DDI functions without a handle (NdisRegisterProtocolDriver,
 * NdisGetVersion, spin locks) find their NDIS here.
 */
import { irqlToString, type KIRQL, PASSIVE_LEVEL } from "../../../ndis/irql.js";
import type { VerifierRuleId } from "../../../verifier/rules.js";
import { NdisBugCheckError } from "../../../verifier/violation.js";
import { describeThrown } from "../base/trace.js";
import type { DriverRecord, NdisRuntime } from "./records.js";

/** How a thrown value reads in a report (kept here too: the DDI families take it from the context). */
export { describeThrown };

export interface Frame {
  readonly runtime: NdisRuntime | null;
  readonly driver: DriverRecord | null;
  /** NDIS's name for the handler running in this frame (`DriverEntry`, `MiniportSetOptions`). */
  readonly handler: string | null;
  /** The current IRQL; spin locks raise and restore it. */
  irql: KIRQL;
  readonly depth: number;
  readonly parent: Frame | null;
}

const root: Frame = {
  runtime: null,
  driver: null,
  handler: null,
  irql: PASSIVE_LEVEL,
  depth: 0,
  parent: null,
};
let top: Frame = root;

export function currentFrame(): Frame {
  return top;
}

/** True when some frame on the call stack is running code of `driver`. */
export function driverOnStack(driver: DriverRecord): boolean {
  for (let frame: Frame | null = top; frame !== null; frame = frame.parent) {
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
  const frame: Frame = { runtime, driver, handler: name, irql, depth: top.depth + 1, parent: top };
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
    result = fn();
  } catch (thrown) {
    top = frame.parent ?? root;
    if (isBugCheck(thrown)) {
      // A stopped driver's code unwinds to the outermost NDIS call into it; that call fails.
      if (driver.crashed === null || thrown.violation !== driver.crashed || driverOnStack(driver))
        throw thrown;
      return onThrow();
    }
    runtime.violate(
      "DriverException",
      `${name} threw ${describeThrown(thrown)}`,
      driver,
      frame.depth,
    );
    result = onThrow();
  } finally {
    top = frame.parent ?? root;
  }
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
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: a data-path handler of any of NDIS's shapes
type DataHandler = (...args: any[]) => void;

/**
 * callDriver for the data path: calls a void handler with two to five arguments without building
 * a closure, so that a steady data path allocates nothing but the frame. Same rules as
 * callDriver: a stopped driver is not called, a throw is DriverException, a held spin lock is
 * SpinLock.
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
  const frame: Frame = { runtime, driver, handler: name, irql, depth: top.depth + 1, parent: top };
  if (runtime.tracing) {
    runtime.emit({ kind: "handler", phase: "call", depth: frame.depth, name, driver: driver.name });
  }
  top = frame;
  try {
    handler(a, b, c, d, e);
  } catch (thrown) {
    top = frame.parent ?? root;
    if (isBugCheck(thrown)) {
      if (driver.crashed === null || thrown.violation !== driver.crashed || driverOnStack(driver))
        throw thrown;
      return;
    }
    runtime.violate(
      "DriverException",
      `${name} threw ${describeThrown(thrown)}`,
      driver,
      frame.depth,
    );
  } finally {
    top = frame.parent ?? root;
  }
  if (frame.irql !== irql) {
    runtime.violate(
      "SpinLock",
      `${name} returned at ${irqlToString(frame.irql)} instead of ${irqlToString(irql)}: a spin lock it acquired is still held`,
      driver,
      frame.depth,
    );
  }
  if (runtime.tracing) {
    runtime.emit({
      kind: "handler",
      phase: "return",
      depth: frame.depth,
      name,
      driver: driver.name,
    });
  }
}

/** Reports `rule` when the current IRQL is above `max`. */
export function checkIrql(
  runtime: NdisRuntime,
  driver: DriverRecord | null,
  functionName: string,
  max: KIRQL,
  rule: VerifierRuleId,
): void {
  const irql = top.irql;
  if (irql <= max) return;
  const limit = max === PASSIVE_LEVEL ? "PASSIVE_LEVEL" : `${irqlToString(max)} or lower`;
  runtime.violate(
    rule,
    `${functionName} called at ${irqlToString(irql)}; it requires ${limit}`,
    driver,
    top.depth,
  );
}
