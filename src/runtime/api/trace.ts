/** Tracing of DDI calls, shared by every entry point. */
import type { NDIS_STATUS } from "../../ndis/status.js";
import { currentFrame } from "../core/objects/context.js";
import type { DriverRecord, NdisRuntime } from "../core/objects/records.js";

/** Traces a DDI call; the returned function traces its return and hands back the status. */
export function enter(
  runtime: NdisRuntime,
  name: string,
  driver: DriverRecord | null,
  detail?: string,
) {
  const depth = currentFrame().depth + 1;
  const who = driver?.name ?? null;
  if (runtime.recorded) {
    runtime.emit({
      kind: "ddi",
      phase: "call",
      depth,
      name,
      driver: who,
      ...(detail === undefined ? {} : { detail }),
    });
  }
  return <S extends NDIS_STATUS | undefined>(status: S, why?: string): S => {
    if (runtime.recorded) {
      runtime.emit({
        kind: "ddi",
        phase: "return",
        depth,
        name,
        driver: who,
        ...(status === undefined ? {} : { status }),
        ...(why === undefined ? {} : { detail: why }),
      });
    }
    return status;
  };
}

/**
 * A message of a driver's own tracing (WPP, from C) in the DDI trace: a call of its trace function
 * (`TraceEvents`) with the message as its detail. `text` is made only when the trace is recorded.
 */
export function traceDriverMessage(name: string, text: () => string): void {
  const frame = currentFrame();
  const runtime = frame.runtime;
  if (runtime === null || !runtime.recorded) return;
  enter(runtime, name, frame.driver, text())(undefined);
}
