/**
 * A violation report and the verifier modes.
 *
 * Modes: `strict` — an error-severity violation stops the host (a simulated bug check: the host
 * refuses further work, the process lives on); `record` — every violation is collected and the
 * host goes on; `off` — nothing is checked or collected.
 */
import { NdisError } from "../ndis/errors.js";
import { type Severity, VERIFIER_RULES, type VerifierRuleId } from "./rules.js";

export type VerifierMode = "strict" | "record" | "off";
export const VERIFIER_MODES: readonly VerifierMode[] = ["strict", "record", "off"];

export interface Violation {
  readonly rule: VerifierRuleId;
  readonly ndis: string;
  readonly severity: Severity;
  /** What happened, naming the call and the object. */
  readonly message: string;
  /** The service name of the driver at fault, when known. */
  readonly driver: string | null;
}

export function makeViolation(
  rule: VerifierRuleId,
  message: string,
  driver: string | null,
): Violation {
  const entry = VERIFIER_RULES[rule];
  return Object.freeze({ rule, ndis: entry.ndis, severity: entry.severity, message, driver });
}

/** `[error] SpinLock (driver passthrough): …  — SDV rule SpinLock` */
export function formatViolation(v: Violation): string {
  const who = v.driver === null ? "" : ` (driver ${v.driver})`;
  return `[${v.severity}] ${v.rule}${who}: ${v.message} — ${v.ndis}`;
}

/** Thrown out of the DDI call that violated an error rule in strict mode. */
export class NdisBugCheckError extends NdisError {
  readonly violation: Violation;

  constructor(violation: Violation) {
    super("NDIS_ERR_BUGCHECK", `verifier stopped the host: ${formatViolation(violation)}`);
    this.violation = violation;
  }
}
