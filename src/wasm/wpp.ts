/**
 * WPP software tracing for C drivers. A driver that traces with WPP includes a `.tmh` file per
 * source file, which the WPP preprocessor writes from the driver's configuration block
 * (`// begin_wpp config` … `// end_wpp`: FUNC, USEPREFIX, USESUFFIX, CUSTOM_TYPE) and its
 * WPP_CONTROL_GUIDS. `ndis build` writes those `.tmh` files itself (wppTmh) into its temporary
 * include folder, so the driver compiles unchanged: each trace function becomes a macro that
 * checks the driver's own WPP_<conditions>_ENABLED macro (when it defines one) and hands the
 * message, its conditions, file, line and function, and its arguments (a C variadic call) to the
 * runtime, which formats it (formatWpp) into the DDI trace (`ndis trace`). Written from the
 * documented meaning of WPP's configuration and format strings ("WPP Preprocessor", "What are
 * the WPP extended format specification strings?").
 */
import * as ddi from "../ddi.js";

/** One trace function of a configuration block: `FUNC Name{K=V,…}(P1, …, MSG, ...)`. */
export interface WppFunction {
  readonly name: string;
  /** Conditions fixed by the braces, in order: [name, value]. */
  readonly fixed: readonly (readonly [string, string])[];
  /** The parenthesised parameters, MSG and `...` included. */
  readonly params: readonly string[];
}

/** A prefix or suffix a configuration block adds to one function's messages. */
interface Affix {
  readonly format: string;
  readonly args: readonly string[];
}

export interface WppConfig {
  readonly functions: readonly WppFunction[];
  readonly prefixes: ReadonlyMap<string, Affix>;
  readonly suffixes: ReadonlyMap<string, Affix>;
}

/** `#include "x.tmh"` lines of a C source: the .tmh paths it includes. */
export function tmhIncludes(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^[ \t]*#[ \t]*include[ \t]*["<]([^">]+\.tmh)[">]/gim)) {
    found.push(m[1] as string);
  }
  return found;
}

/** Splits on top-level commas (not inside parentheses, braces or string literals). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      current += ch;
      if (ch === "\\") current += text[++i] ?? "";
      else if (ch === '"') quote = false;
      continue;
    }
    if (ch === '"') quote = true;
    else if (ch === "(" || ch === "{") depth++;
    else if (ch === ")" || ch === "}") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts;
}

/**
 * The configuration blocks of `texts` (the driver's sources and headers): every line between
 * `begin_wpp config` and `end_wpp`, comment markers taken off.
 */
export function parseWppConfig(texts: readonly string[]): WppConfig {
  const functions = new Map<string, WppFunction>();
  const prefixes = new Map<string, Affix>();
  const suffixes = new Map<string, Affix>();
  for (const text of texts) {
    let inside = false;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw
        .replace(/^\s*(\/\/+|\/\*+|\*+)?\s*/, "")
        .replace(/\*\/\s*$/, "")
        .trim();
      if (/^begin_wpp\s+config\b/.test(line)) {
        inside = true;
        continue;
      }
      if (/^end_wpp\b/.test(line)) {
        inside = false;
        continue;
      }
      if (!inside) continue;
      const func = /^FUNC\s+([A-Za-z_]\w*)\s*(?:\{([^}]*)\})?\s*\(([^)]*)\)\s*;?/.exec(line);
      if (func !== null) {
        const name = func[1] as string;
        const fixed = splitTop(func[2] ?? "").map((kv): readonly [string, string] => {
          const at = kv.indexOf("=");
          return at < 0 ? [kv, ""] : [kv.slice(0, at).trim(), kv.slice(at + 1).trim()];
        });
        const params = splitTop(func[3] ?? "").map((p) => p.replace(/\s+/g, ""));
        functions.set(name, { name, fixed, params });
        continue;
      }
      const affix = /^(USEPREFIX|USESUFFIX)\s*\((.*)\)\s*;?$/.exec(line);
      if (affix !== null) {
        const [fn, format, ...args] = splitTop(affix[2] as string);
        if (fn === undefined || format === undefined || !/^".*"$/.test(format)) continue;
        // %!STDPREFIX! is the default prefix (processor, process, thread, time, provider): none here.
        const literal = format === '"%!STDPREFIX!"' ? '""' : format;
        (affix[1] === "USEPREFIX" ? prefixes : suffixes).set(fn, { format: literal, args });
      }
    }
  }
  return { functions: [...functions.values()], prefixes, suffixes };
}

/** A C string literal of `text`. */
function cString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The macro one trace function becomes. */
function functionMacro(f: WppFunction, config: WppConfig): string {
  const params = f.params.filter((p) => p !== "");
  const conditions: [string, string][] = [
    ...f.fixed.map(([k, v]): [string, string] => [k, v]),
    ...params.filter((p) => p !== "MSG" && p !== "...").map((p): [string, string] => [p, p]),
  ];
  const macroParams = params.join(", ");
  const condNames = conditions.map(([k]) => k);
  const enabledName = `WPP_${condNames.join("_")}_ENABLED`;
  const ownEnabled = `NDIS_TS_WPP_ENABLED_${f.name}`;
  const condArgs = conditions.map(([, v]) => v).join(", ");
  // The text of each condition, as the driver wrote it (a flag is a bare name, not a value).
  const described = conditions.map(([k, v]) =>
    f.fixed.some(([fk]) => fk === k) ? `${cString(`${k}=${v}`)} "\\x1f"` : `"${k}=" #${v} "\\x1f"`,
  );
  const prefix = config.prefixes.get(f.name);
  const suffix = config.suffixes.get(f.name);
  const format = [prefix?.format, params.includes("MSG") ? "MSG" : undefined, suffix?.format]
    .filter((x) => x !== undefined)
    .join(" ");
  const args = [
    ...(prefix?.args ?? []).map((a) => `, ${a}`),
    params.includes("...") ? ", ##__VA_ARGS__" : "",
    ...(suffix?.args ?? []).map((a) => `, ${a}`),
  ].join("");
  return [
    `#ifdef ${enabledName}`,
    `#define ${ownEnabled}(${condNames.length === 0 ? "" : conditions.map((_, i) => `_c${i}`).join(", ")}) ${enabledName}(${conditions.map((_, i) => `_c${i}`).join(", ")})`,
    "#else",
    `#define ${ownEnabled}(${conditions.map((_, i) => `_c${i}`).join(", ")}) 1`,
    "#endif",
    `#define ${f.name}(${macroParams}) \\`,
    "  do { \\",
    `    if (${ownEnabled}(${condArgs})) \\`,
    `      __ndis_wpp_message(${cString(f.name)}, ${described.length === 0 ? '""' : described.join(" ")}, __FILE__, __LINE__, __func__, ${format === "" ? '""' : format}${args}); \\`,
    "  } while (0)",
  ].join("\n");
}

/**
 * The text of every `.tmh` file of a driver built with WPP: the project's WPP support
 * (<ndis/wpp.h>: WPP_BIT_<flag>, WPP_CONTROL, WPP_INIT_TRACING…) and a macro per trace
 * function of `config`, DoTraceMessage(FLAG, MSG, ...) among them unless the driver defines it.
 */
export function wppTmh(config: WppConfig): string {
  const lines = [
    "/* Generated by ndis build (WPP mode) from the driver's WPP configuration: its trace",
    "   functions go to the runtime's trace (docs/c-drivers.md, WPP). */",
    "#ifndef NDIS_TS_WPP_TMH",
    "#define NDIS_TS_WPP_TMH",
    "#include <ndis/wpp.h>",
  ];
  const functions = [...config.functions];
  if (!functions.some((f) => f.name === "DoTraceMessage")) {
    // The default trace function: its one condition is a flag (WPP_LEVEL_ENABLED(flag)).
    lines.push(
      "#define DoTraceMessage(FLAG, MSG, ...) \\",
      "  do { \\",
      "    if (WPP_LEVEL_ENABLED(FLAG)) \\",
      '      __ndis_wpp_message("DoTraceMessage", "FLAGS=" #FLAG "\\x1f", __FILE__, __LINE__, __func__, MSG, ##__VA_ARGS__); \\',
      "  } while (0)",
    );
  }
  for (const f of functions) lines.push(functionMacro(f, config));
  lines.push("#endif", "");
  return lines.join("\n");
}

// ---- the runtime side: formatting a message ----

/** Reads a C variadic argument list in the module's memory (wasm32: each aligned to its size). */
export interface VaReader {
  i32(): number;
  i64(): bigint;
  f64(): number;
}

/** What formatWpp needs of the module: its memory, to read strings and GUIDs. */
export interface WppMemory {
  u8(p: number): number;
  u16(p: number): number;
  u32(p: number): number;
  unicodeString(p: number): string;
}

/** Where the message comes from (for %!FILE!, %!LINE!, %!FUNC!, %!LEVEL!, %!FLAGS!). */
export interface WppSite {
  readonly file: string;
  readonly line: number;
  readonly func: string;
  readonly level: string;
  readonly flags: string;
  readonly component: string;
}

const LEVEL_NAMES = [
  "TRACE_LEVEL_NONE",
  "TRACE_LEVEL_CRITICAL",
  "TRACE_LEVEL_ERROR",
  "TRACE_LEVEL_WARNING",
  "TRACE_LEVEL_INFORMATION",
  "TRACE_LEVEL_VERBOSE",
];

/**
 * A LEVEL as the driver wrote it (`TRACE_LEVEL_INFORMATION`, or a flag where the trace function's
 * LEVEL is one, as DoTraceMessage's is), a number turned into its TRACE_LEVEL_ name.
 */
export function wppLevelName(text: string): string {
  return /^\d+$/.test(text) ? (LEVEL_NAMES[Number(text)] ?? text) : text;
}

const MAX_STRING = 4096;

function cText(m: WppMemory, p: number, max = MAX_STRING): string {
  if (p === 0) return "NULL";
  let text = "";
  for (let i = 0; i < max; i++) {
    const c = m.u8(p + i);
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text;
}

/** A WCHAR string (WCHAR is 32 bits here). */
function wideText(m: WppMemory, p: number, max = MAX_STRING): string {
  if (p === 0) return "NULL";
  let text = "";
  for (let i = 0; i < max; i++) {
    const c = m.u32(p + 4 * i);
    if (c === 0) break;
    text += String.fromCodePoint(c > 0x10ffff ? 0xfffd : c);
  }
  return text;
}

function hex(v: number | bigint, digits: number, upper = false): string {
  const text = v.toString(16).padStart(digits, "0");
  return upper ? text.toUpperCase() : text;
}

function guidText(m: WppMemory, p: number): string {
  if (p === 0) return "NULL";
  const bytes = Array.from({ length: 8 }, (_, i) => hex(m.u8(p + 8 + i), 2));
  return `${hex(m.u32(p), 8)}-${hex(m.u16(p + 4), 4)}-${hex(m.u16(p + 6), 4)}-${bytes.slice(0, 2).join("")}-${bytes.slice(2).join("")}`;
}

/** `1~02:03:04.005` for a LONGLONG of milliseconds (WPP's day~h:m:s). */
function dayTime(ms: bigint): string {
  const neg = ms < 0n;
  let v = neg ? -ms : ms;
  const millis = v % 1000n;
  v /= 1000n;
  const s = v % 60n;
  v /= 60n;
  const min = v % 60n;
  v /= 60n;
  const h = v % 24n;
  const d = v / 24n;
  const two = (x: bigint) => x.toString().padStart(2, "0");
  return `${neg ? "-" : ""}${d}~${two(h)}:${two(min)}:${two(s)}.${millis.toString().padStart(3, "0")}`;
}

/** Pads `body` to `width` as printf's flags say. */
function pad(body: string, width: number, left: boolean, zero: boolean, sign = ""): string {
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  if (left) return sign + body + " ".repeat(width - len);
  if (zero) return sign + "0".repeat(width - len) + body;
  return " ".repeat(width - len) + sign + body;
}

/**
 * The message of a WPP format string: printf's conversions (flags, width, precision, the
 * lengths h, hh, l, ll, I, I32, I64, w, z; %s %S %ws %ls %Z %wZ %c %C %d %i %u %x %X %o %p %e %f
 * %g and %%) and WPP's extended %!NAME! strings (FILE, LINE, FUNC, LEVEL, FLAGS, COMPNAME, STATUS,
 * NDIS_STATUS, HRESULT, WINERROR, bool, BOOLEAN, irql, IPADDR, PORT, GUID, delta, WAITTIME, due,
 * TIMESTAMP, datetime, TIME). An extended string it does not know is printed as it is, taking
 * one 32-bit argument.
 */
export function formatWpp(format: string, va: VaReader, m: WppMemory, site: WppSite): string {
  let out = "";
  let i = 0;
  while (i < format.length) {
    const ch = format[i] as string;
    if (ch !== "%") {
      out += ch;
      i++;
      continue;
    }
    if (format[i + 1] === "%") {
      out += "%";
      i += 2;
      continue;
    }
    const ext = /^%!([A-Za-z_][\w]*)!/.exec(format.slice(i));
    if (ext !== null) {
      out += extended(ext[1] as string, va, m, site) ?? (ext[0] as string);
      i += ext[0].length;
      continue;
    }
    const spec =
      /^%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|I64|I32|I|w|z|j|t|L)?([diuxXocCsSpZeEfgGn])/.exec(
        format.slice(i),
      );
    if (spec === null) {
      out += ch;
      i++;
      continue;
    }
    i += spec[0].length;
    const flags = spec[1] ?? "";
    const width = spec[2] === "*" ? va.i32() : Number(spec[2] ?? 0);
    const precision = spec[3] === undefined ? -1 : spec[3] === "*" ? va.i32() : Number(spec[3]);
    const length = spec[4] ?? "";
    const conv = spec[5] as string;
    const left = flags.includes("-") || width < 0;
    const w = Math.abs(width);
    const zero = flags.includes("0") && !left;
    const wide64 = length === "ll" || length === "I64" || length === "j";
    switch (conv) {
      case "d":
      case "i": {
        let v: bigint = wide64 ? va.i64() : BigInt(va.i32() | 0);
        if (length === "h") v = BigInt.asIntN(16, v);
        if (length === "hh") v = BigInt.asIntN(8, v);
        const neg = v < 0n;
        let body = (neg ? -v : v).toString();
        if (precision >= 0) body = body.padStart(precision, "0");
        const sign = neg ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
        out += pad(body, w, left, zero && precision < 0, sign);
        break;
      }
      case "u":
      case "x":
      case "X":
      case "o": {
        let v: bigint = wide64 ? BigInt.asUintN(64, va.i64()) : BigInt(va.i32() >>> 0);
        if (length === "h") v = BigInt.asUintN(16, v);
        if (length === "hh") v = BigInt.asUintN(8, v);
        const radix = conv === "u" ? 10 : conv === "o" ? 8 : 16;
        let body = v.toString(radix);
        if (conv === "X") body = body.toUpperCase();
        if (precision >= 0) body = body.padStart(precision, "0");
        const prefix =
          flags.includes("#") && v !== 0n && radix !== 10
            ? radix === 8
              ? "0"
              : conv === "X"
                ? "0X"
                : "0x"
            : "";
        out += pad(body, w, left, zero && precision < 0, prefix);
        break;
      }
      case "p":
        out += pad(hex(va.i32() >>> 0, 8, true), w, left, false);
        break;
      case "c":
      case "C": {
        const v = va.i32();
        const wideChar = conv === "C" || length === "w" || length === "l";
        out += pad(String.fromCodePoint(wideChar ? v >>> 0 : v & 0xff), w, left, false);
        break;
      }
      case "s":
      case "S": {
        const p = va.i32() >>> 0;
        const max = precision >= 0 ? precision : MAX_STRING;
        const wideString = conv === "S" || length === "w" || length === "l";
        out += pad(wideString ? wideText(m, p, max) : cText(m, p, max), w, left, false);
        break;
      }
      case "Z": {
        // %Z: an ANSI_STRING*; %wZ: a UNICODE_STRING* (counted, not NUL-terminated).
        const p = va.i32() >>> 0;
        let text = "NULL";
        if (p !== 0 && length === "w") text = m.unicodeString(p);
        else if (p !== 0) text = cText(m, m.u32(p + 4), m.u16(p));
        out += pad(text, w, left, false);
        break;
      }
      case "e":
      case "E":
      case "f":
      case "g":
      case "G": {
        const v = va.f64();
        const digits = precision < 0 ? 6 : precision;
        let body =
          conv === "f"
            ? Math.abs(v).toFixed(digits)
            : conv === "e" || conv === "E"
              ? Math.abs(v)
                  .toExponential(digits)
                  .replace(/e([+-])(\d)$/, "e$10$2")
              : String(Number(Math.abs(v).toPrecision(digits === 0 ? 1 : digits)));
        if (conv === "E" || conv === "G") body = body.toUpperCase();
        const sign = v < 0 ? "-" : flags.includes("+") ? "+" : "";
        out += pad(body, w, left, zero, sign);
        break;
      }
      case "n":
        va.i32();
        break;
    }
  }
  return out;
}

/** One extended %!NAME!, or null when WPP does not define it (printed as written). */
function extended(name: string, va: VaReader, m: WppMemory, site: WppSite): string | null {
  switch (name) {
    case "FILE":
      return site.file;
    case "LINE":
      return String(site.line);
    case "FUNC":
      return site.func;
    case "LEVEL":
      return site.level;
    case "FLAGS":
      return site.flags;
    case "COMPNAME":
      return site.component;
    case "STATUS":
    case "NDIS_STATUS":
      return ddi.ndisStatusToString(va.i32() >>> 0);
    case "HRESULT":
    case "WINERROR":
      return `0x${hex(va.i32() >>> 0, 8, true)}`;
    case "bool":
    case "BOOLEAN":
      return va.i32() !== 0 ? "TRUE" : "FALSE";
    case "irql":
      return ddi.irqlToString(va.i32() & 0xff);
    case "IPADDR": {
      // A ULONG holding the address in network byte order (its bytes in memory order).
      const v = va.i32() >>> 0;
      return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24].join(".");
    }
    case "PORT": {
      // A USHORT in network byte order.
      const v = va.i32() & 0xffff;
      return String(((v & 0xff) << 8) | (v >>> 8));
    }
    case "GUID":
    case "CLSID":
    case "IID":
    case "LIBID":
      return guidText(m, va.i32() >>> 0);
    case "delta":
    case "WAITTIME":
    case "due":
      return dayTime(va.i64());
    case "TIMESTAMP":
    case "datetime":
    case "TIME":
      // A system time in 100 ns units; here the host clock's scale (NdisGetCurrentSystemTime).
      return `${(Number(va.i64()) / 10_000).toFixed(3)} ms`;
    default:
      va.i32();
      return null;
  }
}
