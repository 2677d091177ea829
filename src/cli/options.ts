/**
 * What the command line checks before any verb's module loads: the choices of its options, as
 * plain lists (the runtime's own lists, VERIFIER_MODES and TRACE_FORMATS, would load the runtime;
 * a test keeps them equal).
 */
import type { VerifierMode } from "../index.js";
import type { TraceFormat } from "./commands/trace.js";

/** The verifier modes (VERIFIER_MODES). */
export const VERIFIER_MODE_CHOICES: readonly VerifierMode[] = ["strict", "record", "off"];
/** The trace export formats (TRACE_FORMATS). */
export const TRACE_FORMAT_CHOICES: readonly TraceFormat[] = ["chrome", "mermaid"];
/** The shortest `--interval`: a faster redraw shows nothing more and floods a pipe. */
export const MIN_INTERVAL_MS = 100;
