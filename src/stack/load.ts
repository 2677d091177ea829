/**
 * Reading a stack file: YAML (or JSON, which YAML reads too) parsed with positions kept, checked
 * against the schema, then against itself (names that must refer to something). Every problem is
 * reported as `file:line:col: what was expected`, all of them at once.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { builtinDriver, builtinDriverIds, isModulePath } from "./builtins.js";
import { StackFile } from "./schema.js";

/** One thing wrong with a stack file, at a 1-based line and column. */
export interface StackProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The path in the document (`drivers[1].module`), empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** A stack file that cannot be used; `message` lists every problem as `file:line:col: …`. */
export class StackFileError extends Error {
  readonly problems: readonly StackProblem[];
  constructor(problems: readonly StackProblem[]) {
    super(
      problems
        .map(
          (p) => `${p.file}:${p.line}:${p.col}: ${p.path === "" ? "" : `${p.path}: `}${p.message}`,
        )
        .join("\n"),
    );
    this.name = "StackFileError";
    this.problems = problems;
  }
}

/** A checked stack file. */
export interface Stack {
  /** The file name it was read from (as given), for messages. */
  readonly file: string;
  /** Relative driver module paths and file-valued registry values resolve against this. */
  readonly baseDir: string;
  readonly spec: StackFile;
}

type PathKey = string | number;

function formatPath(path: readonly PathKey[]): string {
  let text = "";
  for (const key of path)
    text += typeof key === "number" ? `[${key}]` : text === "" ? key : `.${key}`;
  return text;
}

/** Parses and checks a stack file's text. Throws StackFileError naming every problem. */
export function parseStack(
  text: string,
  fileName: string,
  baseDir = dirname(resolve(fileName)),
): Stack {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(Math.max(0, Math.min(offset, text.length)));
  const problem = (offset: number, path: readonly PathKey[], message: string): StackProblem => {
    const { line, col } = at(offset);
    return { file: fileName, line, col, path: formatPath(path), message };
  };

  if (doc.errors.length > 0) {
    throw new StackFileError(
      doc.errors.map((e) => problem(e.pos[0], [], `YAML syntax: ${e.message.split("\n")[0]}`)),
    );
  }
  if (doc.contents === null)
    throw new StackFileError([
      problem(0, [], "the file is empty: expected a stack (ndis, drivers, adapters…)"),
    ]);

  /** The deepest node along `path` and how far down it is. */
  const nodeAt = (path: readonly PathKey[]): { node: Node | null; depth: number } => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (node !== undefined && node !== null && typeof node === "object" && "range" in node)
        return { node: node as Node, depth };
    }
    return { node: null, depth: 0 };
  };
  const offsetOf = (path: readonly PathKey[]): number => nodeAt(path).node?.range?.[0] ?? 0;
  /** Where key `key` of the map at `path` is written. */
  const keyOffset = (path: readonly PathKey[], key: string): number => {
    const map = doc.getIn(path, true);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === key)
          return pair.key.range?.[0] ?? offsetOf(path);
      }
    }
    return offsetOf(path);
  };

  const data: unknown = doc.toJS();
  const parsed = StackFile.safeParse(data);
  if (!parsed.success) {
    throw new StackFileError(
      parsed.error.issues.map((issue) => describeIssue(issue, data, offsetOf, keyOffset, problem)),
    );
  }
  const spec = parsed.data;

  // What the schema cannot say: names must refer to something, and be unique.
  const problems: StackProblem[] = [];
  const driverNames = new Set<string>();
  spec.drivers.forEach((d, i) => {
    if (driverNames.has(d.name))
      problems.push(
        problem(
          offsetOf(["drivers", i, "name"]),
          ["drivers", i, "name"],
          `driver ${d.name} is listed twice: expected unique service names`,
        ),
      );
    driverNames.add(d.name);
    if (!isModulePath(d.module) && builtinDriver(d.module) === undefined)
      problems.push(
        problem(
          offsetOf(["drivers", i, "module"]),
          ["drivers", i, "module"],
          `unknown driver ${JSON.stringify(d.module)}: expected a built-in driver (${builtinDriverIds().join(", ")}) or a path to a driver module (./my-driver.ts)`,
        ),
      );
  });
  const adapterNames = new Set<string>();
  spec.adapters.forEach((a, i) => {
    if (adapterNames.has(a.name))
      problems.push(
        problem(
          offsetOf(["adapters", i, "name"]),
          ["adapters", i, "name"],
          `adapter ${a.name} is listed twice: expected unique device names`,
        ),
      );
    adapterNames.add(a.name);
    if (!driverNames.has(a.driver))
      problems.push(
        problem(
          offsetOf(["adapters", i, "driver"]),
          ["adapters", i, "driver"],
          `no driver named ${JSON.stringify(a.driver)}: expected one of the drivers listed (${[...driverNames].join(", ")})`,
        ),
      );
  });
  (spec.run?.events ?? []).forEach((e, i) => {
    const path = ["run", "events", i, "link", "adapter"];
    if (!adapterNames.has(e.link.adapter))
      problems.push(
        problem(
          offsetOf(path),
          path,
          `no adapter named ${JSON.stringify(e.link.adapter)}: expected one of the adapters listed`,
        ),
      );
  });
  if (problems.length > 0) throw new StackFileError(problems);
  return { file: fileName, baseDir, spec };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  data: unknown,
  offsetOf: (path: readonly PathKey[]) => number,
  keyOffset: (path: readonly PathKey[], key: string) => number,
  problem: (offset: number, path: readonly PathKey[], message: string) => StackProblem,
): StackProblem {
  const path = issue.path.filter((k): k is PathKey => typeof k !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const [first] = issue.keys;
    const known = knownKeys(path);
    return problem(
      first === undefined ? offsetOf(path) : keyOffset(path, first),
      first === undefined ? path : [...path, first],
      `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}${known === "" ? "" : `: expected ${known}`}`,
    );
  }
  if (issue.code === "invalid_type" && valueAt(data, path) === undefined) {
    const parent = path.slice(0, -1);
    const key = path.at(-1);
    return problem(offsetOf(parent), parent, `missing ${JSON.stringify(key)}: ${issue.message}`);
  }
  return problem(offsetOf(path), path, issue.message);
}

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PathKey, unknown>)[key];
  }
  return value;
}

/** The keys the schema allows at a path (for "unknown key" messages). */
function knownKeys(path: readonly PathKey[]): string {
  const names = path.filter((k): k is string => typeof k === "string");
  const where = names.at(-1);
  const keys: Record<string, readonly string[]> = {
    "": ["ndis", "drivers", "adapters", "bindings", "devices", "run", "capture"],
    ndis: ["version", "verifier"],
    drivers: ["name", "module", "registry"],
    adapters: ["name", "driver", "registry"],
    bindings: ["protocol", "adapter", "registry"],
    run: ["duration", "events"],
    events: ["at", "link"],
    link: ["adapter", "up"],
    capture: ["file", "adapters"],
  };
  const list = keys[where ?? ""];
  return list === undefined ? "" : `one of ${list.join(", ")}`;
}

/** Reads and checks a stack file. Throws StackFileError (also for a file that cannot be read). */
export async function loadStackFile(path: string): Promise<Stack> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(cause);
    throw new StackFileError([
      { file: path, line: 1, col: 1, path: "", message: `cannot read the stack file: ${why}` },
    ]);
  }
  return parseStack(text, path);
}
