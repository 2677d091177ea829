/**
 * Systematic mutation of the shipped drivers: operators that each plant one bug of a class NDIS
 * drivers really have, applied mechanically at every place of a driver's source where they fit,
 * so the planted sets (test/fixtures/planted-*.ts, broken-im.ts) are not the only measure of what
 * `ndis verify` finds. bench/mutation.bench.ts runs `ndis verify` on every generated mutant;
 * test/unit/mutation.test.ts holds a few of them to being found.
 *
 * A mutant is one edit of one file: a span of the original text and what it becomes. TypeScript
 * mutants become `Mutant`s of test/helpers/mutants.ts (a copy of the driver's folder beside it,
 * gitignored); C mutants are the driver's sources with the edit, written to a folder the caller
 * names and built with `ndis build`'s builder.
 *
 * The operators read the text, not a syntax tree: a call statement is a DDI name at the start of
 * a statement (after `{`, `;`, `)`, `else`, `await`, `void` or a line start) up to its matching
 * `)` and `;`; a condition is what an `if (` encloses. What they cannot parse they leave alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Mutant } from "./mutants.js";

const ROOT = resolve(import.meta.dirname, "../..");

export type Language = "ts" | "c";

/** A driver the generator mutates. */
export interface Target {
  /** Short id: the src/drivers folder for TypeScript, `c-<folder>` for C. */
  readonly id: string;
  readonly language: Language;
  /** Folder of its sources, relative to the repository root. */
  readonly dir: string;
  /** For C: the .c files to build (relative to `dir`), the defines, the service name. */
  readonly sources?: readonly string[];
  readonly cflags?: readonly string[];
  readonly service?: string;
  /** NDIS driver kind, for the report. */
  readonly kind: "im" | "filter" | "miniport" | "protocol";
}

export const TARGETS: readonly Target[] = [
  { id: "passthrough", language: "ts", dir: "src/drivers/passthrough", kind: "im" },
  { id: "vlan-mux", language: "ts", dir: "src/drivers/vlan-mux", kind: "im" },
  { id: "team", language: "ts", dir: "src/drivers/team", kind: "im" },
  {
    id: "filter-passthrough",
    language: "ts",
    dir: "src/drivers/filter-passthrough",
    kind: "filter",
  },
  { id: "capture", language: "ts", dir: "src/drivers/capture", kind: "filter" },
  { id: "hub", language: "ts", dir: "src/drivers/hub", kind: "miniport" },
  { id: "test-miniport", language: "ts", dir: "src/drivers/test-miniport", kind: "miniport" },
  {
    id: "c-passthrough",
    language: "c",
    dir: "c/samples/passthrough",
    sources: ["driver.c", "protocol.c", "miniport.c", "datapath.c", "oid.c"],
    kind: "im",
  },
  {
    id: "c-filter-passthrough",
    language: "c",
    dir: "c/samples/filter-passthrough",
    sources: ["filter.c"],
    kind: "filter",
  },
  {
    id: "c-loopback-miniport",
    language: "c",
    dir: "c/samples/loopback-miniport",
    sources: ["miniport.c"],
    kind: "miniport",
  },
  {
    id: "c-vlan-lwf",
    language: "c",
    dir: "test/c/vlan-lwf",
    sources: ["filter.c", "datapath.c", "device.c"],
    cflags: ["-DNDIS630=1"],
    service: "vlanlwf",
    kind: "filter",
  },
  {
    id: "c-rawproto",
    language: "c",
    dir: "test/c/rawproto",
    sources: ["rawproto.c"],
    cflags: ["-DNDIS620=1"],
    service: "rawproto",
    kind: "protocol",
  },
  {
    id: "c-vnet",
    language: "c",
    dir: "test/c/vnet",
    sources: ["vnet.c", "hub.c"],
    cflags: ["-DNDIS630=1"],
    service: "vnet",
    kind: "miniport",
  },
];

/** The operators, each a class of bug. */
export const OPERATORS = {
  "delete-complete":
    "a call that completes, returns or frees something (NdisMSendNetBufferListsComplete, NdisReturnNetBufferLists, NdisFreeNetBufferListContext, NdisFreeCloneOidRequest, NdisMPauseComplete, NdisMOidRequestComplete…) deleted",
  "duplicate-complete": "such a call made twice",
  "pending-to-success": "NDIS_STATUS_PENDING returned or set where the code pends: SUCCESS instead",
  "success-to-pending":
    "NDIS_STATUS_SUCCESS returned from a handler: PENDING instead, and nothing completes it",
  "skip-wait":
    "a test for outstanding/pending I/O (count > 0, count == 0) made as if nothing were outstanding",
  "drop-state-check": "a test of a paused/running state made never to hold",
  "drop-alloc-check":
    "the test of an allocation's result (NULL, a failure status) made never to hold",
  "source-handle": "an assignment of an NBL's SourceHandle (a save or a restore) deleted",
  "bad-status":
    "a completion made with NDIS_STATUS_PENDING, outside the documented set (an NBL's Status, an OID's, a PnP event's)",
  "skip-release": "a spin lock or read-write lock release deleted",
  "release-twice": "a spin lock or read-write lock released twice",
} as const;

export type Operator = keyof typeof OPERATORS;

/** One generated mutant: one edit of one file of a target. */
export interface GeneratedMutant {
  /** `<target>:<file>:<line>:<operator>[#n]`, stable while the source is. */
  readonly id: string;
  readonly target: Target;
  readonly operator: Operator;
  readonly file: string;
  /** 1-based line of the edit's start. */
  readonly line: number;
  /** The span of the original file that is replaced, and its replacement. */
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
  /** The original text of the span (for the report). */
  readonly original: string;
}

/** DDI calls that hand something back or finish something: deleting one leaks or hangs. */
const COMPLETE_CALLS = [
  "NdisMSendNetBufferListsComplete",
  "NdisFSendNetBufferListsComplete",
  "NdisReturnNetBufferLists",
  "NdisFReturnNetBufferLists",
  "NdisMIndicateReceiveNetBufferLists",
  "NdisFIndicateReceiveNetBufferLists",
  "NdisSendNetBufferLists",
  "NdisFSendNetBufferLists",
  "NdisFreeNetBufferListContext",
  "NdisFreeCloneOidRequest",
  "NdisFreeCloneNetBufferList",
  "NdisFreeNetBufferList",
  "NdisFreeNetBufferListPool",
  "NdisFreeNetBuffer",
  "NdisFreeNetBufferPool",
  "NdisFreeMdl",
  "NdisFreeMemory",
  "NdisFreeMemoryWithTagPriority",
  "NdisFreeIoWorkItem",
  "NdisFreeTimerObject",
  "NdisFreeSpinLock",
  "NdisCloseConfiguration",
  "NdisMPauseComplete",
  "NdisFPauseComplete",
  "NdisMRestartComplete",
  "NdisFRestartComplete",
  "NdisMOidRequestComplete",
  "NdisFOidRequestComplete",
  "NdisMResetComplete",
  "NdisCompleteNetPnPEvent",
  "NdisCompleteBindAdapterEx",
  "NdisCompleteUnbindAdapterEx",
  "NdisIMDeInitializeDeviceInstance",
  "NdisCloseAdapterEx",
  "NdisFDetachComplete",
  "NdisMDeregisterMiniportDriver",
  "NdisDeregisterProtocolDriver",
  "NdisFDeregisterFilterDriver",
  "NdisMDeregisterInterrupt",
  "NdisDeregisterDeviceEx",
  "NdisSetEvent",
  "NdisCancelTimerObject",
];

/** Calls whose repetition is no bug: duplicating them would only make equivalent mutants. */
const IDEMPOTENT = new Set(["NdisSetEvent", "NdisCancelTimerObject"]);

const RELEASE_CALLS = [
  "NdisReleaseSpinLock",
  "NdisDprReleaseSpinLock",
  "NdisReleaseRWLock",
  "NdisReleaseReadWriteLock",
  "NdisDprReleaseReadWriteLock",
];

/** Every .ts or .c/.h file of a target's folder (no dot-folders), relative, sorted. */
export function targetFiles(target: Target): string[] {
  const dir = join(ROOT, target.dir);
  const wanted = target.language === "ts" ? [".ts"] : [".c"];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => p.split("\\").join("/"))
    .filter(
      (p) => wanted.some((e) => p.endsWith(e)) && !p.split("/").some((s) => s.startsWith(".")),
    )
    .sort();
}

/** Offsets of comments and string literals, to skip matches inside them. */
function maskedText(text: string): string {
  // Replace comment and string contents with spaces (same length), so offsets carry over.
  let out = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (two === "//") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (text[i] === '"' || text[i] === "'" || text[i] === "`") {
      const quote = text[i] as string;
      let j = i + 1;
      while (j < text.length && text[j] !== quote) j += text[j] === "\\" ? 2 : 1;
      out += quote + text.slice(i + 1, j).replace(/[^\n]/g, " ") + quote;
      i = j + 1;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The offset just after the `)` matching the `(` at `open`, or -1. */
function matchParen(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (text[i] === "\n") line++;
  return line;
}

/** Call statements of `names` in `masked`: [start, end) covering `[await ]Name(…);`. */
function callStatements(
  masked: string,
  names: readonly string[],
): { start: number; end: number; name: string }[] {
  const found: { start: number; end: number; name: string }[] = [];
  const re = new RegExp(`\\b(${names.join("|")})\\s*\\(`, "g");
  for (const m of masked.matchAll(re)) {
    const name = m[1] as string;
    let start = m.index;
    // What comes before must end a statement or open a body.
    let before = masked.slice(0, start).replace(/\s+$/, "");
    for (const prefix of ["await", "void", "(VOID)", "(void)"]) {
      if (before.endsWith(prefix)) {
        const cut = before.length - prefix.length;
        const ch = before[cut - 1];
        if (cut === 0 || ch === undefined || /[\s;{})]/.test(ch)) {
          before = before.slice(0, cut).replace(/\s+$/, "");
          start = before.length;
          while (start < m.index && /\s/.test(masked[start] as string)) start++;
        }
      }
    }
    const last = before[before.length - 1];
    const okBefore =
      last === undefined ||
      last === ";" ||
      last === "{" ||
      last === "}" ||
      last === ")" ||
      /\belse$/.test(before) ||
      /:$/.test(before);
    if (!okBefore) continue;
    // `)` before is an `if (…)`, `for (…)` or `while (…)` head, not a cast or call.
    if (last === ")") {
      const open = openerOf(masked, before.length - 1);
      if (open < 0) continue;
      const head = masked.slice(0, open).replace(/\s+$/, "");
      if (!/\b(if|for|while)$/.test(head) && !/\((VOID|void)$/.test(masked.slice(0, open + 5)))
        continue;
    }
    if (last === ":" && /\?[^;]*$/.test(before)) continue; // a ternary
    const open = masked.indexOf("(", m.index + name.length);
    const close = matchParen(masked, open);
    if (close < 0) continue;
    let end = close;
    while (end < masked.length && /[ \t]/.test(masked[end] as string)) end++;
    if (masked[end] !== ";") continue;
    found.push({ start, end: end + 1, name });
  }
  return found;
}

/** The `(` matching the `)` at `close`, or -1. */
function openerOf(masked: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = masked[i];
    if (c === ")") depth++;
    else if (c === "(") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** `if (…)` conditions: [start, end) of what the parentheses enclose. */
function conditions(masked: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of masked.matchAll(/\bif\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchParen(masked, open);
    if (close < 0) continue;
    out.push({ start: open + 1, end: close - 1 });
  }
  return out;
}

const OUTSTANDING =
  /((?:[A-Za-z_][\w]*(?:\.|->))*[A-Za-z_]*(?:Outstanding|InFlight|Pending|Held|Count|outstanding|inFlight|pending|held|count)[\w]*(?:\.length|\.size)?)\s*(>|!==|!=|===|==)\s*0\b(?!x)/g;
const STATE_FLAG =
  /(!\s*)?((?:[A-Za-z_][\w]*(?:\.|->))*[A-Za-z_]*(?:Paused|Pausing|Running|Restarting|paused|pausing|running|restarting)\b(?!\s*(?:\(|=|!|<|>|\.|->)))/g;
const STATE_COMPARE =
  /((?:[A-Za-z_][\w]*(?:\.|->))*[A-Za-z_]*(?:State|state)\s*(?:!==|===|!=|==)\s*(?:[A-Za-z_][\w.]*)?(?:Paus|Running|Restart|paus|running|restart)[\w]*)/g;

/** Every mutant of `target`. */
export function generate(target: Target): GeneratedMutant[] {
  const all: GeneratedMutant[] = [];
  for (const file of targetFiles(target)) {
    const text = readFileSync(join(ROOT, target.dir, file), "utf8");
    all.push(...generateFile(target, file, text));
  }
  return all;
}

/** The mutants of one file's `text`. */
export function generateFile(target: Target, file: string, text: string): GeneratedMutant[] {
  const c = target.language === "c";
  const masked = maskedText(text);
  const FALSE = c ? "0" : "false";
  const TRUE = c ? "1" : "true";
  const PENDING = c || /\bNDIS_STATUS_PENDING\b/.test(masked) ? "NDIS_STATUS_PENDING" : "0x103";
  const SUCCESS = c || /\bNDIS_STATUS_SUCCESS\b/.test(masked) ? "NDIS_STATUS_SUCCESS" : "0";
  const out: GeneratedMutant[] = [];
  const seen = new Map<string, number>();
  const add = (operator: Operator, start: number, end: number, replacement: string) => {
    const line = lineOf(text, start);
    const base = `${target.id}:${file}:${line}:${operator}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({
      id: n === 0 ? base : `${base}#${n + 1}`,
      target,
      operator,
      file,
      line,
      start,
      end,
      replacement,
      original: text.slice(start, end),
    });
  };
  // Skip a file's own definitions (a driver never defines DDI calls, but a helper may wrap one).
  for (const call of callStatements(masked, COMPLETE_CALLS)) {
    const statement = text.slice(call.start, call.end);
    add("delete-complete", call.start, call.end, `{ /* mutant: deleted ${call.name} */ }`);
    // Setting an event or cancelling a timer twice does what doing it once does.
    if (!IDEMPOTENT.has(call.name))
      add("duplicate-complete", call.start, call.end, `{ ${statement} ${statement} }`);
  }
  for (const call of callStatements(masked, RELEASE_CALLS)) {
    const statement = text.slice(call.start, call.end);
    add("skip-release", call.start, call.end, `{ /* mutant: deleted ${call.name} */ }`);
    add("release-twice", call.start, call.end, `{ ${statement} ${statement} }`);
  }
  for (const m of masked.matchAll(/\bNDIS_STATUS_PENDING\b/g)) {
    // Returned or assigned (not compared: `status === NDIS_STATUS_PENDING` is a test).
    const before = masked.slice(Math.max(0, m.index - 40), m.index);
    if (/(?:return|[^=!<>]=)\s*$/.test(before))
      add("pending-to-success", m.index, m.index + m[0].length, SUCCESS);
  }
  for (const m of masked.matchAll(/\breturn\s+NDIS_STATUS_SUCCESS\b/g)) {
    const at = m.index + m[0].length - "NDIS_STATUS_SUCCESS".length;
    add("success-to-pending", at, at + "NDIS_STATUS_SUCCESS".length, PENDING);
  }
  for (const cond of conditions(masked)) {
    const inner = masked.slice(cond.start, cond.end);
    for (const m of inner.matchAll(OUTSTANDING)) {
      const op = m[2] as string;
      const value = op === ">" || op.startsWith("!") ? FALSE : TRUE;
      add("skip-wait", cond.start + m.index, cond.start + m.index + m[0].length, value);
    }
    for (const m of inner.matchAll(STATE_FLAG)) {
      add("drop-state-check", cond.start + m.index, cond.start + m.index + m[0].length, FALSE);
    }
    for (const m of inner.matchAll(STATE_COMPARE)) {
      add("drop-state-check", cond.start + m.index, cond.start + m.index + m[0].length, FALSE);
    }
    const lineStart = masked.lastIndexOf("\n", cond.start);
    const context = masked.slice(Math.max(0, nthLineBefore(masked, lineStart, 3)), cond.end);
    const checksResult =
      /(===?\s*(?:null|NULL|undefined)\b|!==?\s*NDIS_STATUS_SUCCESS|!NT_SUCCESS|^\s*!\s*[\w.>-]+\s*$)/.test(
        inner,
      );
    if (checksResult && /Allocate|Alloc\w*\(|Clone/.test(context))
      add("drop-alloc-check", cond.start, cond.end, FALSE);
  }
  for (const m of masked.matchAll(
    /(?:^|[;{}\n])[ \t]*((?:[A-Za-z_][\w]*(?:\.|->)|\(\s*\w+\s*\)|\))*SourceHandle\s*=[^=;][^;]*;)/g,
  )) {
    const stmt = m[1] as string;
    const start = m.index + m[0].length - stmt.length;
    add("source-handle", start, start + stmt.length, "{ /* mutant: deleted */ }");
  }
  // Completions with a status outside the documented set.
  for (const m of masked.matchAll(
    /(?:\.Status|NET_BUFFER_LIST_STATUS\s*\([^)]*\))\s*=\s*([^=;][^;]*);/g,
  )) {
    const value = m[1] as string;
    if (/PENDING/.test(value)) continue;
    const at = m.index + m[0].length - 1 - value.length;
    add("bad-status", at, at + value.length, PENDING);
  }
  for (const call of callStatements(masked, [
    "NdisMOidRequestComplete",
    "NdisFOidRequestComplete",
    "NdisCompleteNetPnPEvent",
    "NdisMResetComplete",
    "NdisCompleteBindAdapterEx",
    "NdisCompleteUnbindAdapterEx",
  ])) {
    const stmt = masked.slice(call.start, call.end);
    const close = stmt.lastIndexOf(")");
    const comma = lastTopLevelComma(stmt, close);
    if (comma < 0) continue;
    const argStart = call.start + comma + 1;
    const argEnd = call.start + close;
    const arg = text.slice(argStart, argEnd);
    if (/PENDING/.test(arg) || /^\s*(TRUE|FALSE|true|false)\s*$/.test(arg)) continue;
    add("bad-status", argStart, argEnd, ` ${PENDING}`);
  }
  return out.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

function nthLineBefore(text: string, from: number, n: number): number {
  let at = from;
  for (let i = 0; i < n && at > 0; i++) at = text.lastIndexOf("\n", at - 1);
  return Math.max(0, at);
}

function lastTopLevelComma(stmt: string, close: number): number {
  let depth = 0;
  for (let i = close - 1; i >= 0; i--) {
    const ch = stmt[i];
    if (ch === ")") depth++;
    else if (ch === "(") {
      if (depth === 0) return -1;
      depth--;
    } else if (ch === "," && depth === 0) return i;
  }
  return -1;
}

/** The text of `mutant`'s file with its edit. */
export function mutatedText(mutant: GeneratedMutant): string {
  const text = readFileSync(join(ROOT, mutant.target.dir, mutant.file), "utf8");
  return text.slice(0, mutant.start) + mutant.replacement + text.slice(mutant.end);
}

/** A folder name for `mutant`: lowercase words joined by `-`. */
export function mutantName(mutant: GeneratedMutant): string {
  return `gen-${mutant.id}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/**
 * A TypeScript mutant as test/helpers/mutants.ts takes it: one patch whose `find` is the edited
 * span widened to whole lines, and further lines around until it occurs once in the file.
 */
export function asMutant(mutant: GeneratedMutant): Mutant {
  if (mutant.target.language !== "ts") throw new Error(`${mutant.id}: not a TypeScript mutant`);
  const text = readFileSync(join(ROOT, mutant.target.dir, mutant.file), "utf8");
  let from = text.lastIndexOf("\n", mutant.start - 1) + 1;
  let to = text.indexOf("\n", mutant.end);
  if (to < 0) to = text.length;
  const count = (s: string) => text.split(s).length - 1;
  while (count(text.slice(from, to)) !== 1) {
    if (from > 0) from = text.lastIndexOf("\n", from - 2) + 1;
    const next = text.indexOf("\n", to + 1);
    to = next < 0 ? text.length : next;
  }
  const find = text.slice(from, to);
  const replace = text.slice(from, mutant.start) + mutant.replacement + text.slice(mutant.end, to);
  return {
    name: mutantName(mutant),
    bug: `${OPERATORS[mutant.operator]} — ${mutant.id}: \`${mutant.original.replace(/\s+/g, " ").trim()}\` → \`${mutant.replacement}\``,
    patches: [{ file: mutant.file, find, replace }],
    base: mutant.target.id,
  };
}

/** The C sources of `mutant`'s target with its edit, by file name (headers included). */
export function cSources(mutant: GeneratedMutant): Map<string, string> {
  const dir = join(ROOT, mutant.target.dir);
  const files = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    if (!/\.(c|h)$/.test(f)) continue;
    files.set(f, readFileSync(join(dir, f), "utf8"));
  }
  files.set(mutant.file, mutatedText(mutant));
  return files;
}
