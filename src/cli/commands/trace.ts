/**
 * `ndis trace <input>`: exports a run's trace as Chrome trace-event JSON (Perfetto,
 * chrome://tracing) or as a Mermaid sequence diagram. The input is a recording of
 * `ndis run --trace-file` (JSON lines, `.ndjson` / `.jsonl`) or a stack file (`.yaml` / `.yml` /
 * `.json`), which is run to completion on a ManualClock — its `run.duration` (default 3 s) of
 * virtual time, then the teardown — while its trace is recorded.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import { ManualClock, type TraceEvent } from "../../index.js";
import { durationMs, loadStackFile, startStack, stopStack } from "../../stack/index.js";
import {
  type ChromeTrace,
  readTraceFile,
  TraceFileError,
  toChromeTrace,
  toMermaidSequence,
} from "../../trace/index.js";

export const TRACE_FORMATS = ["chrome", "mermaid"] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Bad input to `ndis trace` (exit code 2): what is wrong, naming the file. */
export class TraceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TraceInputError";
  }
}

export interface TraceOptions {
  /** A recorded trace (.ndjson, .jsonl) or a stack file (.yaml, .yml, .json). */
  readonly input: string;
  /** Default chrome. */
  readonly format?: TraceFormat;
  /** A file to write to; stdout (through `write`) when absent. */
  readonly output?: string;
  /** Mermaid: events drawn at most. */
  readonly maxEvents?: number;
}

/** How long a stack file runs when it names no run.duration. */
export const DEFAULT_TRACE_DURATION = "3s";
/** Virtual time between two settles of the host while a stack file runs. */
const STEP_MS = 10;
/** Virtual time a stack file's teardown may take (past every watchdog limit) before giving up. */
const TEARDOWN_LIMIT_MS = 120_000;

/**
 * Bounds of a virtual-time run. A stack whose work never lets virtual time pass (a pcap replay
 * with `Loop: 1` and `Timing: asap` indicates again as soon as its NBLs come back) would
 * otherwise run forever inside one step, its trace growing without end.
 */
export interface VirtualRunLimits {
  /** Timer callbacks that may fall due at one instant of virtual time. Default 10,000. */
  readonly instantCallbacks?: number;
  /** Trace events recorded at most; the run stops when there are more. Default 1,000,000. */
  readonly events?: number;
}

export const DEFAULT_VIRTUAL_RUN_LIMITS = { instantCallbacks: 10_000, events: 1_000_000 } as const;

/**
 * Runs a stack file on a ManualClock, recording its trace; `clean` is false on any trouble. A run
 * that hits a bound of `limits` stops there (then tears down as usual) with `stopped` saying why.
 */
export async function traceStackFile(
  path: string,
  limits: VirtualRunLimits = {},
): Promise<{
  readonly events: TraceEvent[];
  readonly clean: boolean;
  readonly stopped: string | null;
}> {
  const stack = await loadStackFile(path);
  const maxEvents = limits.events ?? DEFAULT_VIRTUAL_RUN_LIMITS.events;
  const events: TraceEvent[] = [];
  let dropped = 0;
  const clock = new ManualClock({
    instantLimit: limits.instantCallbacks ?? DEFAULT_VIRTUAL_RUN_LIMITS.instantCallbacks,
  });
  const running = await startStack(stack, {
    clock,
    setup: (host) =>
      host.onTrace((event) => {
        if (events.length < maxEvents) events.push(event);
        else dropped++;
      }),
  });
  const cancel = running.scheduleEvents();
  const runMs = durationMs(stack.spec.run?.duration ?? DEFAULT_TRACE_DURATION);
  let stopped: string | null = null;
  for (let t = 0; t < runMs && stopped === null; t += STEP_MS) {
    clock.advance(Math.min(STEP_MS, runMs - t));
    await running.host.settle();
    const stall = clock.stalled;
    if (stall !== null)
      stopped = `stopped at ${formatMs(stall.atNs)} of virtual time: ${stall.callbacks} timer callbacks fell due at that one instant and kept scheduling more without letting time pass (a replay looping "as fast as possible"? pace it with Timing: original or RatePps)`;
    else if (dropped > 0)
      stopped = `stopped at ${formatMs(clock.now())} of virtual time: the trace reached ${maxEvents} events`;
  }
  cancel();
  // A teardown that waits for a driver needs virtual time to pass (the watchdogs end a stuck one).
  let finished = false;
  const stopping = stopStack(running).finally(() => {
    finished = true;
  });
  for (let waited = 0; !finished && waited < TEARDOWN_LIMIT_MS; waited += STEP_MS) {
    for (let i = 0; i < 10 && !finished; i++) await new Promise((r) => setImmediate(r));
    if (!finished) clock.advance(STEP_MS);
  }
  if (!finished)
    throw new TraceInputError(
      `${path}: the teardown did not finish within ${TEARDOWN_LIMIT_MS / 1000} s of virtual time`,
    );
  const teardown = await stopping;
  const errors = running.host.violations.filter((v) => v.severity === "error").length;
  const clean =
    stopped === null &&
    running.problems.length === 0 &&
    teardown.problems.length === 0 &&
    teardown.liveObjects.length === 0 &&
    errors === 0;
  return { events, clean, stopped };
}

function formatMs(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(1)} ms`;
}

/** Chrome trace JSON with one trace event per line, so a diff or a grep reads it. */
export function formatChromeTrace(trace: ChromeTrace): string {
  const lines = trace.traceEvents.map((e) => JSON.stringify(e));
  return `{"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},"traceEvents":[\n${lines.join(",\n")}\n]}\n`;
}

async function readInput(input: string): Promise<{
  readonly events: TraceEvent[];
  readonly clean: boolean;
  readonly stopped?: string | null;
}> {
  const ext = extname(input).toLowerCase();
  if (ext === ".ndjson" || ext === ".jsonl") {
    let text: string;
    try {
      text = readFileSync(input, "utf8");
    } catch (err) {
      throw new TraceInputError(`cannot read ${input}: ${(err as Error).message}`);
    }
    try {
      return { events: readTraceFile(text), clean: true };
    } catch (err) {
      if (err instanceof TraceFileError)
        throw new TraceInputError(`${input} is not a recorded trace: ${err.message}`);
      throw err;
    }
  }
  if (ext === ".yaml" || ext === ".yml" || ext === ".json") return traceStackFile(input);
  throw new TraceInputError(
    `${input}: expected a recorded trace (.ndjson, .jsonl) or a stack file (.yaml, .yml, .json)`,
  );
}

/**
 * Exports `options.input`'s trace; resolves with the exit code: 0, or 1 when a stack file it ran
 * failed, leaked or broke an error-severity rule (the trace is written all the same). Bad input
 * rejects with TraceInputError or StackFileError.
 */
export async function trace(
  options: TraceOptions,
  write: (text: string) => void,
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const { events, clean, stopped } = await readInput(options.input);
  if (stopped !== null && stopped !== undefined) warn(`ndis trace: ${options.input}: ${stopped}\n`);
  const format = options.format ?? "chrome";
  const text =
    format === "chrome"
      ? formatChromeTrace(toChromeTrace(events))
      : toMermaidSequence(
          events,
          options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents },
        );
  if (options.output === undefined) write(text);
  else {
    writeFileSync(options.output, text);
    write(`${events.length} trace events written to ${options.output} (${format})\n`);
  }
  return clean ? 0 : 1;
}
