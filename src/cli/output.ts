/**
 * Everything the CLI prints goes through here: trace lines, driver summaries, violations — as
 * text for people (coloured on a terminal) or as JSON lines for machines.
 */
import pc from "picocolors";
import {
  type AdapterInfo,
  type BindingInfo,
  type DriverInfo,
  formatViolation,
  type HostStatistics,
  NDIS_STATUS_SUCCESS,
  ndisStatusToString,
  type TraceEvent,
  type Violation,
} from "../index.js";
import type { AdapterCounters, RunStatistics } from "../stack/index.js";

export interface Output {
  line(text: string): void;
  trace(event: TraceEvent): void;
  driver(info: DriverInfo): void;
  adapters(adapters: readonly AdapterInfo[], bindings: readonly BindingInfo[]): void;
  violations(list: readonly Violation[]): void;
  /** Machine-readable record (JSON mode only). */
  record(type: string, data: object): void;
  /**
   * The data-path counters at `elapsedMs`: on a terminal (`live`) a table redrawn in place, else
   * one line per adapter and binding; `final` prints the closing table.
   */
  counters(stats: CounterStatistics, elapsedMs: number, final?: boolean): void;
  /** A problem worth a colour: a failed adapter, a teardown that did not go as planned. */
  problem(text: string): void;
  /**
   * A line that may carry a verdict: a leading ✔ is green, ✖ red, as are "N passed, M failed"
   * totals. Plain when colour is off (NO_COLOR, not a terminal).
   */
  verdict(text: string): void;
  /** Erases the live table (a terminal), so the final one is not printed below an identical one. */
  endLive(): void;
}

/** Colours a verdict line's mark (✔ green, ✖ red) and its totals. */
export function colourVerdict(text: string): string {
  return text
    .replace(/^(\S*\s*)✔/, (_, lead: string) => `${lead}${pc.green("✔")}`)
    .replace(/^(\S*\s*)✖/, (_, lead: string) => `${lead}${pc.red("✖")}`)
    .replace(/\b(\d+) passed\b/, (m: string) => pc.green(m))
    .replace(/\b([1-9]\d*) failed\b/, (m: string) => pc.red(m));
}

export interface OutputOptions {
  /** JSON lines instead of text. */
  readonly json?: boolean;
  /** Redraw the live counters in place (a terminal); otherwise they are printed as lines. */
  readonly live?: boolean;
}

/**
 * The table's input: NDIS's counts (HostStatistics), or `ndis run`'s — adapters as their drivers
 * answered OID_GEN_STATISTICS (RunStatistics), with the extra counters and where each row's
 * numbers come from.
 */
export type CounterStatistics = HostStatistics | RunStatistics;

type Row =
  | (HostStatistics["adapters"][number] &
      Partial<Omit<AdapterCounters, keyof HostStatistics["adapters"][number]>>)
  | HostStatistics["bindings"][number]
  | NonNullable<HostStatistics["filters"]>[number];

function rowName(row: Row): string {
  if ("protocol" in row) return `${row.protocol} → ${row.adapter}`;
  // A filter module: indented under the adapters, named `filter <driver> on <adapter>`.
  if ("adapter" in row) return `filter ${row.driver} on ${row.adapter}`;
  return row.name;
}

const COLUMNS = ["state", "rx pkts", "rx bytes", "tx pkts", "tx bytes", "drops", "errors"] as const;

function drops(row: Row): number {
  return row.receiveDrops + ("sendDrops" in row ? (row.sendDrops ?? 0) : 0);
}

function errors(row: Row): number {
  return (
    row.sendErrors + row.sendsRefused + ("receiveErrors" in row ? (row.receiveErrors ?? 0) : 0)
  );
}

/** Who counted a row: the driver (its OID_GEN_STATISTICS answer) or NDIS at the edge. */
function source(row: Row): string {
  return "source" in row && row.source === "OID_GEN_STATISTICS" ? "driver" : "NDIS";
}

function rowCells(row: Row): string[] {
  return [
    row.state,
    String(row.receivedPackets),
    String(row.receivedBytes),
    String(row.sentPackets),
    String(row.sentBytes),
    String(drops(row)),
    String(errors(row)),
  ];
}

/**
 * The counters as an aligned table: adapters, then bindings. With `ndis run`'s statistics a last
 * column says who counted each row: "driver" (its OID_GEN_STATISTICS) or "NDIS" (at the edge —
 * bindings always, an adapter whose driver did not answer).
 */
export function countersTable(stats: CounterStatistics): string[] {
  const filters = stats.filters ?? [];
  const sourced = stats.adapters.some((a) => "source" in a);
  const rows: string[][] = [
    [
      filters.length > 0 ? "adapter / filter / binding" : "adapter / binding",
      ...COLUMNS,
      ...(sourced ? ["counted by"] : []),
    ],
    ...stats.adapters.map((a) => [rowName(a), ...rowCells(a), ...(sourced ? [source(a)] : [])]),
    ...filters.map((f) => [rowName(f), ...rowCells(f), ...(sourced ? [source(f)] : [])]),
    ...stats.bindings.map((b) => [rowName(b), ...rowCells(b), ...(sourced ? [source(b)] : [])]),
  ];
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((r) => [...(r[i] ?? "")].length)),
  );
  return rows.map((r, index) => {
    const line = r
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - [...cell].length);
        if (i > COLUMNS.length) return cell; // the last column, left-aligned: no trailing pad
        return i <= 1 ? cell + pad : pad + cell;
      })
      .join("  ");
    return index === 0 ? pc.dim(line) : line;
  });
}

/** One line per adapter and binding, prefixed with the elapsed time. */
function counterLines(stats: CounterStatistics, elapsedMs: number): string[] {
  const at = `[${(elapsedMs / 1000).toFixed(1)}s]`;
  return [...stats.adapters, ...(stats.filters ?? []), ...stats.bindings].map(
    (r) =>
      `${pc.dim(at)} ${rowName(r)} ${r.state}: rx ${r.receivedPackets} pkts ${r.receivedBytes} B, tx ${r.sentPackets} pkts ${r.sentBytes} B, drops ${drops(r)}, errors ${errors(r)}`,
  );
}

function statusText(status: number): string {
  const text = ndisStatusToString(status);
  return status === NDIS_STATUS_SUCCESS ? pc.green(text) : pc.red(text);
}

function traceLine(event: TraceEvent): string {
  const indent = "  ".repeat(Math.max(0, event.depth - 1));
  if (event.kind === "violation")
    return `${indent}${pc.red("✖ verifier")} ${event.detail ?? event.name}`;
  if (event.kind === "state")
    return `${indent}${pc.dim(`· ${event.detail ?? event.name} (${event.name})`)}`;
  const name = event.kind === "handler" ? pc.cyan(event.name) : pc.bold(event.name);
  const arrow = event.phase === "call" ? "→" : "←";
  const driver =
    event.phase === "call" && event.kind === "handler" && event.driver !== null
      ? pc.dim(` [${event.driver}]`)
      : "";
  const status = event.status === undefined ? "" : ` = ${statusText(event.status)}`;
  const detail = event.detail === undefined ? "" : pc.dim(`  ${event.detail}`);
  return `${indent}${arrow} ${name}${driver}${status}${detail}`;
}

export function createOutput(
  write: (text: string) => void,
  options: OutputOptions | boolean = {},
): Output {
  const { json = false, live = false } = typeof options === "boolean" ? { json: options } : options;
  if (json) {
    const record = (type: string, data: object) => write(`${JSON.stringify({ type, ...data })}\n`);
    return {
      line: () => {},
      trace: (event) => record("trace", event),
      driver: (info) => record("driver", info),
      adapters: (adapters, bindings) => {
        for (const a of adapters) record("adapter", a);
        for (const b of bindings) record("binding", b);
      },
      violations: (list) => {
        for (const v of list) record("violation", v);
      },
      record,
      counters: (stats, elapsedMs, final = false) =>
        record("counters", { elapsedMs: Math.round(elapsedMs), final, ...stats }),
      problem: (text) => record("problem", { message: text }),
      verdict: () => {},
      endLive: () => {},
    };
  }
  /** Lines of the live table on screen, to redraw over; any other output keeps them. */
  let drawn = 0;
  const emit = (text: string) => {
    drawn = 0;
    write(text);
  };
  return {
    line: (text) => emit(`${text}\n`),
    problem: (text) => emit(`${pc.red("✖")} ${text}\n`),
    verdict: (text) => emit(`${colourVerdict(text)}\n`),
    endLive: () => {
      if (drawn > 0) write(`\x1b[${drawn}A\x1b[0J`);
      drawn = 0;
    },
    counters: (stats, elapsedMs, final = false) => {
      if (final) {
        emit(`${countersTable(stats).join("\n")}\n`);
        return;
      }
      if (!live) {
        emit(`${counterLines(stats, elapsedMs).join("\n")}\n`);
        return;
      }
      const lines = [
        pc.dim(`running ${(elapsedMs / 1000).toFixed(1)}s — Ctrl-C stops the stack`),
        ...countersTable(stats),
      ];
      write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : ""}${lines.join("\n")}\n`);
      drawn = lines.length;
    },
    trace: (event) => emit(`${traceLine(event)}\n`),
    driver: (info) => {
      drawn = 0;
      write(`${pc.bold(info.name)}  ${pc.dim(info.driverName)}  (${info.state})\n`);
      for (const m of info.miniportDrivers) {
        const kind = m.intermediate ? "intermediate miniport edge" : "miniport edge";
        write(`  ${kind}: NDIS ${m.ndisVersion}, revision ${m.revision}, header ${m.headerType}\n`);
        write(`    entry points: ${m.handlers.join(", ")}\n`);
        if (m.ignoredHandlers.length > 0)
          write(`    ignored by NDIS: ${m.ignoredHandlers.join(", ")}\n`);
        if (m.optionalHandlers.length > 0)
          write(`    optional tables: ${m.optionalHandlers.join(", ")}\n`);
        write(`    associated protocol edge: ${m.associatedProtocol ?? pc.yellow("none")}\n`);
      }
      for (const p of info.protocolDrivers) {
        write(
          `  protocol edge "${p.name}": NDIS ${p.ndisVersion}, revision ${p.revision}, header ${p.headerType}\n`,
        );
        write(`    entry points: ${p.handlers.join(", ")}\n`);
      }
    },
    adapters: (adapters, bindings) => {
      drawn = 0;
      for (const a of adapters) {
        const kind = a.intermediate ? "virtual miniport" : "adapter";
        write(
          `${kind} ${pc.bold(a.name)} [${a.driver}] ${a.state}, IfIndex ${a.ifIndex}, MAC ${a.macAddress ?? "?"}, MTU ${a.mtu ?? "?"}, ${a.mediaConnectState ?? "?"}\n`,
        );
      }
      for (const b of bindings) write(`binding ${b.protocol} → ${b.adapter}: ${b.state}\n`);
    },
    violations: (list) => {
      drawn = 0;
      if (list.length === 0) {
        write(`${pc.green("verifier: no violations")}\n`);
        return;
      }
      write(`${pc.red(`verifier: ${list.length} violation${list.length > 1 ? "s" : ""}`)}\n`);
      // Each with the calls that led there (the verifier's flight recorder), indented below it.
      for (const v of list) {
        write(`  ${formatViolation(v)}\n`);
        if (v.recent.length > 0) {
          write(`${pc.dim("    the calls that led there:")}\n`);
          for (const line of v.recent) write(`${pc.dim(`      ${line}`)}\n`);
        }
      }
    },
    record: () => {},
  };
}
