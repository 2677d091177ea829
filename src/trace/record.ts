/**
 * The recording format of a run's trace: JSON lines, one TraceEvent per line, in the order the
 * host emitted them. `ndis run --trace-file` writes it; `ndis trace` reads it back.
 */
import type { TraceEvent } from "../index.js";

/** A recorded trace that is not one; the message names the line (1-based) and what is wrong. */
export class TraceFileError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "TraceFileError";
    this.line = line;
  }
}

const KINDS: ReadonlySet<string> = new Set(["ddi", "handler", "state", "violation"]);
const PHASES: ReadonlySet<string> = new Set(["call", "return"]);

/** One event as one line of the recording (no trailing newline). */
export function formatTraceLine(event: TraceEvent): string {
  const { seq, time, depth, kind, phase, name, driver, status, detail } = event;
  return JSON.stringify({ seq, time, depth, kind, phase, name, driver, status, detail });
}

/** A whole trace as JSON lines, each ended by a newline. */
export function writeTraceFile(events: readonly TraceEvent[]): string {
  return events.map((e) => `${formatTraceLine(e)}\n`).join("");
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** Checks one parsed line; returns what is wrong with it, or the event. */
function toEvent(value: unknown): TraceEvent | string {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "expected a JSON object (one trace event)";
  const v = value as Record<string, unknown>;
  if (!isInteger(v.seq)) return '"seq" must be an integer';
  if (typeof v.time !== "number" || !Number.isFinite(v.time))
    return '"time" must be a finite number (milliseconds)';
  if (!isInteger(v.depth) || v.depth < 0) return '"depth" must be an integer ≥ 0';
  if (typeof v.kind !== "string" || !KINDS.has(v.kind))
    return '"kind" must be one of ddi, handler, state, violation';
  if (typeof v.phase !== "string" || !PHASES.has(v.phase)) return '"phase" must be call or return';
  if (typeof v.name !== "string" || v.name === "") return '"name" must be a non-empty string';
  if (v.driver !== null && typeof v.driver !== "string") return '"driver" must be a string or null';
  if (v.status !== undefined && !isInteger(v.status)) return '"status" must be an integer';
  if (v.detail !== undefined && typeof v.detail !== "string") return '"detail" must be a string';
  const event: TraceEvent = {
    seq: v.seq,
    time: v.time,
    depth: v.depth,
    kind: v.kind as TraceEvent["kind"],
    phase: v.phase as TraceEvent["phase"],
    name: v.name,
    driver: v.driver,
    ...(v.status === undefined ? {} : { status: v.status }),
    ...(v.detail === undefined ? {} : { detail: v.detail }),
  };
  return event;
}

/**
 * Reads a recorded trace. Blank lines are skipped; any other line must be one valid TraceEvent,
 * else TraceFileError names the first bad line.
 */
export function readTraceFile(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new TraceFileError(i + 1, `not JSON (${(err as Error).message})`);
    }
    const event = toEvent(parsed);
    if (typeof event === "string") throw new TraceFileError(i + 1, event);
    events.push(event);
  }
  return events;
}
