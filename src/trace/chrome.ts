/**
 * A trace as Chrome trace-event JSON (the "JSON Object Format"), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: one process for the host, one thread per track —
 * NDIS itself and each driver (a filter driver's track named "<driver> (filter)": its modules'
 * FilterXxx calls) — handler calls as slices on the called driver's track, DDI calls as
 * slices on the NDIS track, state changes and violations as instant events, and flow arrows from
 * a call to the calls made inside it on another track.
 */
import { ndisStatusToString, type TraceEvent } from "../index.js";

export interface ChromeTraceOptions {
  /**
   * The smallest gap, in µs, between two consecutive events on the timeline (default 1). See
   * `timestampsUs`.
   */
  readonly spreadUs?: number;
  /** Flow arrows from a call to the calls made inside it on another track (default true). */
  readonly flows?: boolean;
  /** The process's name (default "ndis-ts host"). */
  readonly processName?: string;
}

/** One entry of `traceEvents`. */
export interface ChromeTraceEvent {
  readonly name: string;
  readonly ph: "X" | "i" | "M" | "s" | "f";
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly s?: "g" | "p" | "t";
  readonly id?: number;
  readonly bp?: "e";
  readonly args?: Readonly<Record<string, string | number>>;
}

export interface ChromeTrace {
  readonly traceEvents: ChromeTraceEvent[];
  readonly displayTimeUnit: "ms";
}

export const PID = 1;
/** The NDIS track's thread id; drivers get 2, 3… in the order they first appear. */
export const NDIS_TID = 1;

/**
 * Timestamps in µs for events in order. An event's time is its host-clock time, except that
 * each event is at least `spreadUs` after the one before: on a ManualClock a whole bring-up
 * happens at one instant, and without the spread every slice would have zero width and the
 * nesting would be invisible. The timeline therefore stays in order and keeps real gaps, but an
 * instant crowded with more than 1000/spreadUs events pushes what follows it later by the
 * overflow (on a real clock, events closer than `spreadUs` are pushed apart by at most that).
 */
export function timestampsUs(events: readonly TraceEvent[], spreadUs = 1): number[] {
  const out: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    const time = Number.isFinite(event.time) ? event.time * 1000 : 0;
    const ts = Math.max(time, previous + spreadUs);
    out.push(ts);
    previous = ts;
  }
  return out;
}

interface Frame {
  readonly event: TraceEvent;
  readonly tid: number;
  readonly ts: number;
  /** Index of its slice in traceEvents, filled in when it closes. */
  readonly index: number;
}

function argsOf(event: TraceEvent, extra: Record<string, string | number> = {}) {
  const args: Record<string, string | number> = { seq: event.seq };
  if (event.driver !== null) args.driver = event.driver;
  if (event.detail !== undefined) args.detail = event.detail;
  if (event.status !== undefined) args.status = ndisStatusToString(event.status);
  return { ...args, ...extra };
}

/**
 * Converts a trace to Chrome trace-event JSON. Calls and returns are paired on a stack of open
 * calls: a return closes the innermost open call of its kind, name, driver and depth (depth alone
 * is not enough: NDIS calls a handler from inside a DDI call at the same depth, e.g.
 * NdisOidRequest → MiniportOidRequest). It never throws on a malformed trace: a call with no
 * return is closed by the next event shallower than it, by the return of a call it is inside, or
 * at the end (with `unmatched` in its args), and a return with no call becomes a zero-length slice.
 */
export function toChromeTrace(
  events: readonly TraceEvent[],
  options: ChromeTraceOptions = {},
): ChromeTrace {
  const spread = options.spreadUs ?? 1;
  const flows = options.flows ?? true;
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  const times = timestampsUs(ordered, spread > 0 ? spread : 1);

  const tids = new Map<string, number>();
  const tidOf = (driver: string | null): number => {
    if (driver === null) return NDIS_TID;
    let tid = tids.get(driver);
    if (tid === undefined) {
      tid = tids.size + 2;
      tids.set(driver, tid);
    }
    return tid;
  };
  // Every driver named anywhere gets its track, in order of first appearance.
  for (const event of ordered) tidOf(event.driver);
  const trackOf = (event: TraceEvent) =>
    event.kind === "handler" ? tidOf(event.driver) : NDIS_TID;

  const slices: ChromeTraceEvent[] = [];
  const extras: ChromeTraceEvent[] = [];
  const open: Frame[] = [];
  let flowId = 0;

  const close = (frame: Frame, ts: number, returned: TraceEvent | null) => {
    const extra: Record<string, string | number> = {};
    if (returned === null) extra.unmatched = "no return in the trace";
    else {
      if (returned.status !== undefined) extra.status = ndisStatusToString(returned.status);
      if (returned.detail !== undefined)
        extra[frame.event.detail === undefined ? "detail" : "returned"] = returned.detail;
    }
    slices[frame.index] = {
      name: frame.event.name,
      cat: frame.event.kind,
      ph: "X",
      pid: PID,
      tid: frame.tid,
      ts: frame.ts,
      dur: Math.max(0, ts - frame.ts),
      args: argsOf(frame.event, extra),
    };
  };
  /** Closes, unmatched, every open call deeper than `depth` (or at it, when `inclusive`). */
  const unwind = (depth: number, inclusive: boolean, ts: number) => {
    for (;;) {
      const top = open.at(-1);
      if (top === undefined || top.event.depth < depth || (!inclusive && top.event.depth === depth))
        return;
      open.pop();
      close(top, ts, null);
    }
  };

  ordered.forEach((event, i) => {
    const ts = times[i] ?? 0;
    if (event.kind === "state" || event.kind === "violation") {
      const violation = event.kind === "violation";
      extras.push({
        name: violation ? `violation ${event.name}` : event.name,
        cat: event.kind,
        ph: "i",
        s: violation ? "g" : "t",
        pid: PID,
        tid: violation ? tidOf(event.driver) : NDIS_TID,
        ts,
        args: argsOf(event, violation ? { rule: event.name } : {}),
      });
      return;
    }
    const tid = trackOf(event);
    if (event.phase === "call") {
      // What is open deeper than this call never returned (it cannot be this call's caller).
      unwind(event.depth, false, ts);
      const parent = open.at(-1);
      const frame: Frame = { event, tid, ts, index: slices.length };
      slices.push({ name: event.name, ph: "X", pid: PID, tid, ts, dur: 0 });
      open.push(frame);
      if (flows && parent !== undefined && parent.tid !== tid) {
        const id = ++flowId;
        const name = `${parent.event.name} → ${event.name}`;
        extras.push({ name, cat: "flow", ph: "s", id, pid: PID, tid: parent.tid, ts });
        extras.push({ name, cat: "flow", ph: "f", bp: "e", id, pid: PID, tid, ts });
      }
      return;
    }
    // A return closes the innermost open call of its kind, name, driver and depth, and, unmatched,
    // whatever was opened inside that call and never returned.
    unwind(event.depth, false, ts);
    let at = open.length - 1;
    while (at >= 0) {
      const frame = open[at];
      if (
        frame !== undefined &&
        frame.event.depth === event.depth &&
        frame.event.kind === event.kind &&
        frame.event.name === event.name &&
        frame.event.driver === event.driver
      )
        break;
      at--;
    }
    const match = open[at];
    if (match !== undefined) {
      while (open.length > at + 1) {
        const inner = open.pop();
        if (inner !== undefined) close(inner, ts, null);
      }
      open.pop();
      close(match, ts, event);
      return;
    }
    slices.push({
      name: event.name,
      cat: event.kind,
      ph: "X",
      pid: PID,
      tid,
      ts,
      dur: 0,
      args: argsOf(event, { unmatched: "return without a call in the trace" }),
    });
  });
  const end = times.at(-1) ?? 0;
  unwind(0, true, end);

  const metadata: ChromeTraceEvent[] = [
    {
      name: "process_name",
      ph: "M",
      pid: PID,
      tid: 0,
      args: { name: options.processName ?? "ndis-ts host" },
    },
    { name: "thread_name", ph: "M", pid: PID, tid: NDIS_TID, args: { name: "NDIS" } },
    { name: "thread_sort_index", ph: "M", pid: PID, tid: NDIS_TID, args: { sort_index: 0 } },
  ];
  // A filter driver's track says so: its modules' FilterXxx calls are on it.
  const filters = new Set<string>();
  for (const event of ordered)
    if (event.kind === "handler" && event.driver !== null && event.name.startsWith("Filter"))
      filters.add(event.driver);
  for (const [driver, tid] of tids) {
    const name = filters.has(driver) ? `${driver} (filter)` : driver;
    metadata.push(
      { name: "thread_name", ph: "M", pid: PID, tid, args: { name } },
      { name: "thread_sort_index", ph: "M", pid: PID, tid, args: { sort_index: tid } },
    );
  }
  return { traceEvents: [...metadata, ...slices, ...extras], displayTimeUnit: "ms" };
}
