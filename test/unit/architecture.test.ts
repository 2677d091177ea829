/**
 * The layering of docs/architecture.md, enforced: every relative import in src/ points the
 * allowed way. The checker is tested on made-up edges too, so it can fail.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/**
 * The layer of a file under src/: its first folder, with runtime split into api, state and core,
 * and core split into its sub-layers (base, objects, stack, policy; runtime.ts is core itself).
 */
export function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  if (rel.length === 1) return rel[0] === "ddi.ts" ? "ddi" : "entry";
  if (rel[0] === "runtime") {
    if (rel[1] === "core" && rel.length > 3) return `runtime/core/${rel[2]}`;
    return `runtime/${rel[1]}`;
  }
  return rel[0] as string;
}

/** Which layers each layer may import (itself always allowed). Mirrors docs/architecture.md. */
const CORE = [
  "runtime/core/base",
  "runtime/core/objects",
  "runtime/core/stack",
  "runtime/core/policy",
  "runtime/core",
];
const ALLOWED: Record<string, readonly string[]> = {
  ndis: [],
  verifier: ["ndis"],
  "runtime/state": ["ndis", "verifier"],
  // core, bottom-up: base → objects → stack → policy → the runtime that composes them
  "runtime/core/base": ["ndis", "verifier"],
  "runtime/core/objects": ["ndis", "verifier", "runtime/state", "runtime/core/base"],
  "runtime/core/stack": [
    "ndis",
    "verifier",
    "runtime/state",
    "runtime/core/base",
    "runtime/core/objects",
  ],
  "runtime/core/policy": [
    "ndis",
    "verifier",
    "runtime/state",
    "runtime/core/base",
    "runtime/core/objects",
    "runtime/core/stack",
  ],
  "runtime/core": ["ndis", "verifier", "runtime/state", ...CORE.slice(0, 4)],
  "runtime/api": ["ndis", "verifier", "runtime/state", ...CORE],
  ddi: ["ndis", "runtime/api"],
  host: ["ndis", "verifier", ...CORE],
  net: [],
  pcap: [],
  drivers: ["ddi", "net", "pcap"],
  wasm: ["ddi"],
  entry: ["ddi", "ndis", "verifier", "host", ...CORE, "wasm"],
  stack: ["entry", "drivers", "net", "pcap"],
  trace: ["entry"],
  verify: ["entry", "drivers", "stack", "trace", "net"],
  live: ["entry", "stack", "trace", "pcap"],
  cli: ["entry", "drivers", "stack", "trace", "verify", "live", "net", "pcap"],
};

export function checkEdge(fromFile: string, toFile: string): string | null {
  const from = layerOf(fromFile);
  const to = layerOf(toFile);
  if (from === to) return null;
  const allowed = ALLOWED[from];
  if (allowed === undefined)
    return `${relative(SRC, fromFile)}: layer "${from}" is not in the layering table`;
  return allowed.includes(to)
    ? null
    : `${relative(SRC, fromFile)} imports ${relative(SRC, toFile)} (${from} → ${to})`;
}

/**
 * The .ts files of the source tree. Dot-folders are not part of it: `src/drivers/.mutant-*` holds
 * patched copies of passthrough that test/helpers/mutants.ts writes (gitignored, never built).
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith(".") ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(
      /(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    ),
  ];
  return specifiers
    .map((m) => m[1] ?? m[2] ?? "")
    .filter((s) => s.startsWith("."))
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

/**
 * The import circles of `graph` (file → the files it imports): every strongly connected group of
 * more than one file, and every file that imports itself (Tarjan's algorithm).
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe("import direction", () => {
  test("every import in src/ points the allowed way", () => {
    const problems: string[] = [];
    const files = sourceFiles(SRC);
    assert.ok(files.length > 20, "the scan sees the source tree");
    for (const file of files) {
      for (const target of importsOf(file)) {
        const problem = checkEdge(file, target);
        if (problem !== null) problems.push(problem);
      }
    }
    assert.deepEqual(problems, []);
  });

  test("the checker rejects the edges the architecture forbids", () => {
    const f = (p: string) => join(SRC, p);
    assert.notEqual(
      checkEdge(f("drivers/passthrough/index.ts"), f("runtime/core/runtime.ts")),
      null,
    );
    assert.notEqual(checkEdge(f("drivers/passthrough/index.ts"), f("host/host.ts")), null);
    assert.notEqual(checkEdge(f("ndis/status.ts"), f("runtime/api/registration.ts")), null);
    assert.notEqual(
      checkEdge(f("runtime/core/runtime.ts"), f("runtime/api/registration.ts")),
      null,
    );
    assert.notEqual(checkEdge(f("cli/main.ts"), f("runtime/core/objects/context.ts")), null);
    assert.notEqual(checkEdge(f("verifier/rules.ts"), f("host/host.ts")), null);
    assert.notEqual(checkEdge(f("runtime/state/machine.ts"), f("runtime/core/runtime.ts")), null);
    assert.equal(checkEdge(f("drivers/passthrough/index.ts"), f("ddi.ts")), null);
    assert.equal(checkEdge(f("runtime/api/sync.ts"), f("runtime/core/objects/context.ts")), null);
  });

  test("core's sub-layers point down only: base → objects → stack → policy → runtime", () => {
    const f = (p: string) => join(SRC, p);
    assert.equal(layerOf(f("runtime/core/runtime.ts")), "runtime/core");
    assert.equal(layerOf(f("runtime/core/stack/adapter.ts")), "runtime/core/stack");
    // upward edges, each one layer or more
    const up: [string, string][] = [
      ["runtime/core/base/trace.ts", "runtime/core/objects/context.ts"],
      ["runtime/core/base/clock.ts", "runtime/state/machine.ts"],
      ["runtime/core/objects/handles.ts", "runtime/core/stack/adapter.ts"],
      ["runtime/core/objects/records.ts", "runtime/core/runtime.ts"],
      ["runtime/core/stack/datapath.ts", "runtime/core/policy/watchdog.ts"],
      ["runtime/core/stack/adapter.ts", "runtime/core/runtime.ts"],
      ["runtime/core/policy/watchdog.ts", "runtime/core/runtime.ts"],
      ["runtime/state/machine.ts", "runtime/core/base/trace.ts"],
      ["runtime/core/stack/oid.ts", "runtime/api/oid.ts"],
    ];
    for (const [from, to] of up)
      assert.notEqual(checkEdge(f(from), f(to)), null, `${from} → ${to}`);
    const down: [string, string][] = [
      ["runtime/core/objects/context.ts", "runtime/core/base/trace.ts"],
      ["runtime/core/objects/records.ts", "runtime/state/machine.ts"],
      ["runtime/core/stack/adapter.ts", "runtime/core/objects/records.ts"],
      ["runtime/core/policy/watchdog.ts", "runtime/core/stack/datapath.ts"],
      ["runtime/core/runtime.ts", "runtime/core/policy/watchdog.ts"],
      ["host/stacks.ts", "runtime/core/stack/adapter.ts"],
    ];
    for (const [from, to] of down) assert.equal(checkEdge(f(from), f(to)), null, `${from} → ${to}`);
  });
});

describe("import circles", () => {
  test("no two files of src/runtime import each other, directly or around a circle", () => {
    const runtime = join(SRC, "runtime");
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(runtime)) graph.set(file, importsOf(file));
    assert.ok(graph.size > 30, "the scan sees src/runtime");
    const cycles = findCycles(graph).map((c) => c.map((file) => relative(SRC, file)));
    assert.deepEqual(cycles, []);
  });

  test("nor do the files of src/verify (result → conformance → worker → pool → index)", () => {
    const verify = join(SRC, "verify");
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(verify)) graph.set(file, importsOf(file));
    assert.ok(graph.size > 10, "the scan sees src/verify");
    const cycles = findCycles(graph).map((c) => c.map((file) => relative(SRC, file)));
    assert.deepEqual(cycles, []);
  });

  test("the circle finder finds made-up circles, and only those", () => {
    const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
    assert.deepEqual(findCycles(g({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] })), [["a", "b", "c"]]);
    assert.deepEqual(findCycles(g({ a: ["a"], b: [] })), [["a"]]);
    assert.deepEqual(findCycles(g({ a: ["b", "c"], b: ["c"], c: [] })), []);
    assert.deepEqual(findCycles(g({ a: ["b"], b: ["a"], c: ["d"], d: ["c"] })).sort(), [
      ["a", "b"],
      ["c", "d"],
    ]);
  });
});
