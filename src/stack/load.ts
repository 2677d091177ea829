/**
 * Reading a stack file: YAML (or JSON, which YAML reads too) parsed with positions kept, checked
 * against the schema, then against itself (names that must refer to something). Every problem is
 * reported as `file:line:col: what was expected`, all of them at once.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
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
  /**
   * Where a path of the document is written (`["bindings", 1, "protocol"]`; a map key's own
   * position for a path ending in one), for problems found after loading. Absent for stacks
   * built in code.
   */
  readonly locate?: (
    path: readonly PathKey[],
    key?: boolean,
  ) => { readonly line: number; readonly col: number };
}

export type PathKey = string | number;

/**
 * `file:line:col: path: message`, the form of every stack-file problem; `key` points at the map
 * key the path ends in rather than its value (a misspelt registry value name).
 */
export function formatProblem(
  stack: Stack,
  path: readonly PathKey[],
  message: string,
  key = false,
): string {
  const at = stack.locate?.(path, key);
  const where = at === undefined ? stack.file : `${stack.file}:${at.line}:${at.col}`;
  return `${where}: ${path.length === 0 ? "" : `${formatPath(path)}: `}${message}`;
}

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
      doc.errors.map((e) =>
        problem(
          e.pos[0],
          [],
          /call stack/i.test(e.message)
            ? `nested too deep for a stack file (deeper than ${MAX_DEPTH} levels)`
            : `YAML syntax: ${e.message.split("\n")[0]}`,
        ),
      ),
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

  // What YAML allows but a stack file must not hold: nesting past any real stack's depth,
  // aliases to nothing or expanding without bound, `__proto__` keys, registry names twice.
  const shape = checkShape(doc.contents as Node | null, problem);
  if (shape.length > 0) throw new StackFileError(shape);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new StackFileError([
      problem(
        firstAliasOffset(doc.contents as Node | null),
        [],
        `YAML aliases: ${err instanceof Error ? err.message : String(err)} (at most ${MAX_ALIAS_COUNT} alias expansions)`,
      ),
    ]);
  }
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
  const locate = (path: readonly PathKey[], key = false) => {
    const last = path.at(-1);
    const parent = path.slice(0, -1);
    const offset =
      key && typeof last === "string" && isMap(doc.getIn(parent, true))
        ? keyOffset(parent, last)
        : offsetOf(path);
    return at(offset);
  };
  return { file: fileName, baseDir, spec, locate };
}

/** Deeper than any real stack file (the deepest path is run.events[i].link.adapter: 5). */
const MAX_DEPTH = 32;
/** Alias expansions allowed in one file (an alias bomb multiplies them). */
const MAX_ALIAS_COUNT = 100;
/** Maps whose keys are registry value names, by the path of their parent. */
const REGISTRY_OWNERS = new Set(["drivers", "adapters", "bindings"]);

/** The offset of the first alias in the document (where an alias error is reported). */
function firstAliasOffset(root: Node | null): number {
  const stack: Node[] = root === null ? [] : [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (isAlias(node)) return node.range?.[0] ?? 0;
    if (isCollection(node))
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          if (item.value !== null && typeof item.value === "object") stack.push(item.value as Node);
        } else if (item !== null && typeof item === "object") stack.push(item as Node);
      }
  }
  return 0;
}

/**
 * Walks the document without recursion: nesting deeper than MAX_DEPTH, aliases whose anchor does
 * not exist, `__proto__` keys (JavaScript objects cannot keep them as values), and registry value
 * names that repeat another one of the same map but for case (registry names are
 * case-insensitive on Windows, so the second would silently replace the first).
 */
function checkShape(
  root: Node | null,
  problem: (offset: number, path: readonly PathKey[], message: string) => StackProblem,
): StackProblem[] {
  const problems: StackProblem[] = [];
  const anchors = new Set<string>();
  const stack: { node: Node; path: PathKey[] }[] = root === null ? [] : [{ node: root, path: [] }];
  while (stack.length > 0 && problems.length < 20) {
    const { node, path } = stack.pop() as { node: Node; path: PathKey[] };
    const offset = node.range?.[0] ?? 0;
    if (path.length > MAX_DEPTH) {
      problems.push(
        problem(
          offset,
          path.slice(0, 4),
          `nested deeper than ${MAX_DEPTH} levels: expected a stack file`,
        ),
      );
      break;
    }
    if (node.anchor !== undefined && node.anchor !== null) anchors.add(node.anchor);
    if (isAlias(node)) {
      if (!anchors.has(node.source))
        problems.push(
          problem(
            offset,
            path,
            `alias *${node.source} refers to no anchor &${node.source} before it`,
          ),
        );
      continue;
    }
    if (!isCollection(node)) continue;
    const registry =
      isMap(node) &&
      ((path.length === 3 && REGISTRY_OWNERS.has(String(path[0])) && path[2] === "registry") ||
        (path.length === 2 && path[0] === "devices"));
    const seen = new Map<string, string>();
    const children: { node: Node; path: PathKey[] }[] = [];
    node.items.forEach((item: unknown, index: number) => {
      if (isPair(item)) {
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const keyOffset = (item.key as Node | null)?.range?.[0] ?? offset;
        if (key === "__proto__")
          problems.push(
            problem(
              keyOffset,
              [...path, key],
              "__proto__ cannot be a key here: expected another name",
            ),
          );
        else if (registry) {
          const folded = key.toLowerCase();
          const first = seen.get(folded);
          if (first !== undefined)
            problems.push(
              problem(
                keyOffset,
                [...path, key],
                `registry value ${JSON.stringify(key)} repeats ${JSON.stringify(first)}: registry names are case-insensitive, so one would replace the other`,
              ),
            );
          else seen.set(folded, key);
        }
        if (item.value !== null && typeof item.value === "object")
          children.push({ node: item.value as Node, path: [...path, key] });
      } else if (item !== null && typeof item === "object") {
        children.push({ node: item as Node, path: [...path, index] });
      }
    });
    // Depth first, in document order (so anchors are seen before later aliases).
    for (let i = children.length - 1; i >= 0; i--)
      stack.push(children[i] as { node: Node; path: PathKey[] });
  }
  return problems;
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
    const why =
      (cause as NodeJS.ErrnoException).code === "ENOENT"
        ? `no such file (looked for ${resolve(path)}); expected a stack file (YAML or JSON)`
        : String(cause);
    throw new StackFileError([
      { file: path, line: 1, col: 1, path: "", message: `cannot read the stack file: ${why}` },
    ]);
  }
  return parseStack(text, path);
}
