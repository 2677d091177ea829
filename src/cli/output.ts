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
  NDIS_STATUS_SUCCESS,
  ndisStatusToString,
  type TraceEvent,
  type Violation,
} from "../index.js";

export interface Output {
  line(text: string): void;
  trace(event: TraceEvent): void;
  driver(info: DriverInfo): void;
  adapters(adapters: readonly AdapterInfo[], bindings: readonly BindingInfo[]): void;
  violations(list: readonly Violation[]): void;
  /** Machine-readable record (JSON mode only). */
  record(type: string, data: object): void;
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

export function createOutput(write: (text: string) => void, json: boolean): Output {
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
    };
  }
  return {
    line: (text) => write(`${text}\n`),
    trace: (event) => write(`${traceLine(event)}\n`),
    driver: (info) => {
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
      for (const a of adapters) {
        const kind = a.intermediate ? "virtual miniport" : "adapter";
        write(
          `${kind} ${pc.bold(a.name)} [${a.driver}] ${a.state}, IfIndex ${a.ifIndex}, MAC ${a.macAddress ?? "?"}, MTU ${a.mtu ?? "?"}, ${a.mediaConnectState ?? "?"}\n`,
        );
      }
      for (const b of bindings) write(`binding ${b.protocol} → ${b.adapter}: ${b.state}\n`);
    },
    violations: (list) => {
      if (list.length === 0) {
        write(`${pc.green("verifier: no violations")}\n`);
        return;
      }
      write(`${pc.red(`verifier: ${list.length} violation${list.length > 1 ? "s" : ""}`)}\n`);
      for (const v of list) write(`  ${formatViolation(v)}\n`);
    },
    record: () => {},
  };
}
