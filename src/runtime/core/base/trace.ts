/** The DDI call trace: every call a driver makes into NDIS and every handler NDIS calls. */
import { type NDIS_STATUS, ndisStatusToString } from "../../../ndis/status.js";

export interface TraceEvent {
  /** Increases by one per event of a host. */
  readonly seq: number;
  /** The host clock's time of the event, in milliseconds (fractional; a ManualClock's virtual time). */
  readonly time: number;
  /** Nesting depth: a handler NDIS calls from inside a DDI call is one deeper. */
  readonly depth: number;
  /**
   * `ddi`: a driver called NDIS; `handler`: NDIS called a driver; `state`: an object changed state
   * (`detail` says which, from and to); `violation`: the verifier spoke.
   */
  readonly kind: "ddi" | "handler" | "state" | "violation";
  readonly phase: "call" | "return";
  /** NDIS's name for the function or handler (`NdisMRegisterMiniportDriver`, `MiniportSetOptions`). */
  readonly name: string;
  /** Service name of the driver involved, if any. */
  readonly driver: string | null;
  /** The returned status, for calls that return one. */
  readonly status?: NDIS_STATUS;
  /** What the call did or why it failed. */
  readonly detail?: string;
}

export type TraceListener = (event: TraceEvent) => void;

/** One line for a violation report: `→ MiniportPause [mp] eth0`, `← NdisOpenAdapterEx = NDIS_STATUS_SUCCESS`. */
export function describeEvent(event: TraceEvent): string {
  const indent = "  ".repeat(Math.max(0, Math.min(event.depth - 1, 6)));
  const who = event.driver === null ? "" : ` [${event.driver}]`;
  const status = event.status === undefined ? "" : ` = ${ndisStatusToString(event.status)}`;
  const detail = event.detail === undefined ? "" : ` ${event.detail}`;
  if (event.kind === "state") return `${indent}· ${event.name}${detail}`;
  return `${indent}${event.phase === "call" ? "→" : "←"} ${event.name}${who}${detail}${status}`;
}

/** One property of a thrown value, or undefined when reading it throws (a getter, a Proxy). */
function readSafely(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `String(value)`, or null when that throws (no toString, a throwing one, a revoked Proxy). */
function stringSafely(value: unknown): string | null {
  try {
    return String(value);
  } catch {
    return null;
  }
}

/**
 * `TypeError: boom` or a short rendering of a thrown non-error. Never throws, whatever was thrown:
 * `Object.create(null)`, an object whose toString throws, a Proxy whose every trap throws.
 */
/**
 * The JavaScript stack of a thrown Error, cut where NDIS called the driver: the driver's own frames
 * (file:line:column), one per line, or "" when there is none to show.
 */
export function thrownStack(value: unknown): string {
  let stack: unknown;
  try {
    stack = value instanceof Error ? readSafely(value, "stack") : undefined;
  } catch {
    return "";
  }
  if (typeof stack !== "string") return "";
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    const text = line.trim();
    if (!text.startsWith("at ")) continue;
    // NDIS's own frames begin where it called into the driver.
    if (
      /[\\/]src[\\/]runtime[\\/]core[\\/]/.test(text) ||
      /[\\/]dist[\\/]runtime[\\/]core[\\/]/.test(text)
    )
      break;
    frames.push(text);
    if (frames.length === 8) break;
  }
  return frames.length === 0 ? "" : `\n    ${frames.join("\n    ")}`;
}

export function describeThrown(value: unknown): string {
  let isError = false;
  try {
    isError = value instanceof Error;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not an Error we can read.
  }
  if (isError) {
    const name = readSafely(value as object, "name");
    const message = readSafely(value as object, "message");
    return `${typeof name === "string" ? name : "Error"}: ${typeof message === "string" ? message : "(unreadable message)"}`;
  }
  const text = stringSafely(value);
  return `a thrown ${typeof value}${text === null ? " that cannot be turned into a string" : ` (${text})`}`;
}
