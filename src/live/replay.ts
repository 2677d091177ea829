/** A recorded trace as the live view shows it: its violations, read back from their events. */
import type { TraceEvent } from "../index.js";
import type { ViolationView } from "./feed.js";

/**
 * The violations a trace recorded: each `violation` event's detail is the report's one-line
 * form (`[error] Rule (driver d): message — NDIS text`).
 */
export function violationsOfTrace(events: readonly TraceEvent[]): ViolationView[] {
  return events
    .filter((e) => e.kind === "violation")
    .map((e) => ({
      rule: e.name,
      severity: /^\[(\w+)\]/.exec(e.detail ?? "")?.[1] ?? "error",
      driver: e.driver,
      report: e.detail ?? e.name,
    }));
}
