/**
 * A trace as a Mermaid sequence diagram: NDIS and each driver are participants, handler calls
 * are arrows from NDIS to the driver, DDI calls arrows from the driver to NDIS, returns with a
 * status dashed arrows back, state changes and violations notes.
 */
import { ndisStatusToString, type TraceEvent } from "../index.js";

export interface MermaidOptions {
  /** Trace events drawn at most (default 400); a note says how many more were left out. */
  readonly maxEvents?: number;
}

export const DEFAULT_MAX_EVENTS = 400;

const ENTITIES: Readonly<Record<string, string>> = {
  "#": "#35;",
  ";": "#59;",
  "%": "#37;",
  "<": "#60;",
  ">": "#62;",
  '"': "#34;",
  "{": "#123;",
  "}": "#125;",
};

/** Text safe inside a Mermaid message or note: characters Mermaid reads as syntax become entity codes. */
export function escapeMermaid(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ").replace(/[#;%<>"{}]/g, (c) => ENTITIES[c] ?? c);
}

/** Words Mermaid's sequence grammar keeps for itself, so never a participant's id. */
const RESERVED = new Set([
  "participant",
  "actor",
  "as",
  "note",
  "over",
  "left",
  "right",
  "of",
  "loop",
  "alt",
  "else",
  "opt",
  "par",
  "and",
  "rect",
  "end",
  "critical",
  "break",
  "activate",
  "deactivate",
  "autonumber",
  "box",
  "create",
  "destroy",
  "title",
  "links",
  "link",
  "properties",
  "details",
  "ndis",
]);

/** Mermaid ids for the drivers: the name when it is a plain identifier, else a made-safe one. */
function aliases(drivers: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set(["NDIS"]);
  for (const driver of drivers) {
    let base = driver.replace(/[^A-Za-z0-9_]/g, "_");
    if (base === "" || /^[0-9]/.test(base) || RESERVED.has(base.toLowerCase()))
      base = `drv_${base}`;
    let alias = base;
    for (let n = 2; used.has(alias); n++) alias = `${base}_${n}`;
    used.add(alias);
    out.set(driver, alias);
  }
  return out;
}

/** Renders a trace as Mermaid `sequenceDiagram` text (ending in a newline). Never throws. */
export function toMermaidSequence(
  events: readonly TraceEvent[],
  options: MermaidOptions = {},
): string {
  const requested = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const max = Number.isFinite(requested) ? Math.max(0, Math.floor(requested)) : DEFAULT_MAX_EVENTS;
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  const shown = ordered.slice(0, max);
  const drivers: string[] = [];
  for (const event of shown)
    if (event.driver !== null && !drivers.includes(event.driver)) drivers.push(event.driver);
  const ids = aliases(drivers);
  const idOf = (driver: string | null) => (driver === null ? "NDIS" : (ids.get(driver) ?? "NDIS"));

  const lines = ["sequenceDiagram", "  participant NDIS"];
  for (const driver of drivers) {
    const id = idOf(driver);
    lines.push(
      id === driver ? `  participant ${id}` : `  participant ${id} as ${escapeMermaid(driver)}`,
    );
  }
  for (const event of shown) {
    const who = idOf(event.driver);
    const detail = event.detail === undefined ? "" : ` (${event.detail})`;
    // A known status by its name alone; an unknown one as ndisStatusToString's hex.
    const status =
      event.status === undefined
        ? undefined
        : ndisStatusToString(event.status).replace(/^(NDIS_\w+) \(0x[0-9A-F]+\)$/, "$1");
    switch (event.kind) {
      case "state":
        lines.push(`  Note over ${who}: ${escapeMermaid(event.detail ?? event.name)}`);
        break;
      case "violation":
        lines.push(`  Note over ${who}: ${escapeMermaid(`VIOLATION ${event.name}${detail}`)}`);
        break;
      case "handler":
      case "ddi": {
        const [from, to] = event.kind === "handler" ? ["NDIS", who] : [who, "NDIS"];
        if (event.phase === "call") {
          lines.push(`  ${from}->>${to}: ${escapeMermaid(`${event.name}${detail}`)}`);
        } else if (status !== undefined) {
          lines.push(`  ${to}-->>${from}: ${escapeMermaid(`${event.name} = ${status}${detail}`)}`);
        }
        break;
      }
    }
  }
  const left = ordered.length - shown.length;
  if (left > 0) {
    const over = drivers.length === 0 ? "NDIS" : `NDIS,${idOf(drivers.at(-1) ?? null)}`;
    lines.push(`  Note over ${over}: ${left} more trace events left out (maxEvents ${max})`);
  }
  return `${lines.join("\n")}\n`;
}
