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

/** The layer of a file under src/: its first folder, with runtime split into api and core. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  if (rel.length === 1) return rel[0] === "ddi.ts" ? "ddi" : "entry";
  if (rel[0] === "runtime") return `runtime/${rel[1]}`;
  return rel[0] as string;
}

/** Which layers each layer may import (itself always allowed). Mirrors docs/architecture.md. */
const ALLOWED: Record<string, readonly string[]> = {
  ndis: [],
  verifier: ["ndis"],
  "runtime/state": ["ndis", "verifier"],
  "runtime/core": ["ndis", "verifier", "runtime/state"],
  "runtime/api": ["ndis", "verifier", "runtime/core", "runtime/state"],
  ddi: ["ndis", "runtime/api"],
  host: ["ndis", "verifier", "runtime/core"],
  net: [],
  pcap: [],
  drivers: ["ddi", "net", "pcap"],
  entry: ["ddi", "ndis", "verifier", "host", "runtime/core"],
  stack: ["entry", "drivers", "net", "pcap"],
  trace: ["entry"],
  verify: ["entry", "drivers", "stack", "trace", "net"],
  cli: ["entry", "drivers", "stack", "trace", "verify", "net", "pcap"],
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
    assert.notEqual(checkEdge(f("cli/main.ts"), f("runtime/core/context.ts")), null);
    assert.notEqual(checkEdge(f("verifier/rules.ts"), f("host/host.ts")), null);
    assert.notEqual(checkEdge(f("runtime/state/machine.ts"), f("runtime/core/runtime.ts")), null);
    assert.equal(checkEdge(f("drivers/passthrough/index.ts"), f("ddi.ts")), null);
    assert.equal(checkEdge(f("runtime/api/sync.ts"), f("runtime/core/context.ts")), null);
  });
});
