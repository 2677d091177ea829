/**
 * What NDIS does with each step of an object's state machine: a legal step is traced (as a
 * `state` event, when someone listens) and wakes whoever waits on the object; a driver event in
 * the wrong state is reported under the rule the machine names; an NDIS event in the wrong state
 * is a bug in ndis-ts and throws.
 */
import type { StepListener } from "../../state/machine.js";
import { currentFrame } from "./context.js";
import type { DriverRecord } from "./records.js";

export function reportSteps<S extends string, E extends string>(
  driver: DriverRecord,
  /** `adapter eth0`, `binding tcpip → eth0`. */
  label: string,
  wake: () => void,
): StepListener<S, E> {
  const runtime = driver.runtime;
  return (event, result) => {
    if (result.ok) {
      if (runtime.recorded && result.from !== result.to) {
        runtime.emit({
          kind: "state",
          phase: "call",
          depth: currentFrame().depth + 1,
          name: event,
          driver: driver.name,
          detail: `${label}: ${result.from} → ${result.to}`,
        });
      }
      wake();
      return;
    }
    if (result.by === "ndis") {
      throw new Error(
        `ndis-ts internal error: NDIS fired ${event} on ${label} in state ${result.from}`,
      );
    }
    runtime.violate(
      result.rule,
      `${event} on ${label} in state ${result.from}: nothing is pending`,
      driver,
    );
  };
}
