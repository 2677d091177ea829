/**
 * A violation report and the verifier modes.
 *
 * Modes: `strict` — an error-severity violation stops the offending driver's stack (a simulated
 * bug check confined to that stack: the driver is never called again and what depends on it is
 * torn down; one no driver can be blamed for stops the whole host); `record` — every violation is
 * collected and the host goes on; `off` — nothing is checked or collected.
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
  /**
   * The control-path calls that led there, oldest first (handlers NDIS called, DDI calls drivers
   * made, state changes), from the verifier's flight recorder.
   */
  readonly recent: readonly string[];
}

export function makeViolation(
  rule: VerifierRuleId,
  message: string,
  driver: string | null,
  recent: readonly string[] = [],
): Violation {
  const entry = VERIFIER_RULES[rule];
  return Object.freeze({
    rule,
    ndis: entry.ndis,
    severity: entry.severity,
    message,
    driver,
    recent: Object.freeze([...recent]),
  });
}

/** `[error] SpinLock (driver passthrough): …  — SDV rule SpinLock` */
export function formatViolation(v: Violation): string {
  const who = v.driver === null ? "" : ` (driver ${v.driver})`;
  return `[${v.severity}] ${v.rule}${who}: ${v.message} — ${v.ndis}`;
}

/** The one-line form followed by the calls that led there, one per line. */
export function formatViolationReport(v: Violation): string {
  if (v.recent.length === 0) return formatViolation(v);
  return [
    formatViolation(v),
    "  the calls that led there:",
    ...v.recent.map((r) => `    ${r}`),
  ].join("\n");
}

/**
 * Thrown out of the DDI call that violated an error rule in strict mode, to unwind the offending
 * driver's code; NDIS ends the call into that driver there (it never reaches the host's caller).
 * It reaches the host's caller only when the whole host stopped.
 */
export class NdisBugCheckError extends NdisError {
  readonly violation: Violation;

  constructor(violation: Violation) {
    super("NDIS_ERR_BUGCHECK", `verifier stopped the host: ${formatViolation(violation)}`);
    this.violation = violation;
  }
}
