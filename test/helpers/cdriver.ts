/**
 * C drivers for tests: builds a sample (or a test's own C source) with `ndis build`'s builder
 * into a temporary folder, once per process and source set. Without clang and lld the tests
 * skip, saying which packages to install.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDriver, ToolchainMissing, toolchain } from "../../src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const out = mkdtempSync(join(tmpdir(), `ndis-c-${process.pid}-`));
const built = new Map<string, string>();

/** Why C tests cannot run here (the packages to install), or null when they can. */
export function cSkipReason(): string | null {
  try {
    toolchain();
    return null;
  } catch (error) {
    if (error instanceof ToolchainMissing) return error.message;
    throw error;
  }
}

/** Builds `sources` (paths from the repository root) into a .wasm and returns its path. */
export async function buildSample(
  name: string,
  sources: readonly string[],
  cflags: readonly string[] = [],
  options: { readonly checkImports?: boolean } = {},
): Promise<string> {
  const key = `${name}:${sources.join(",")}:${cflags.join(" ")}:${options.checkImports !== false}`;
  const done = built.get(key);
  if (done !== undefined) return done;
  const output = join(out, `${name}.wasm`);
  const result = await buildDriver({
    sources: sources.map((s) => join(ROOT, s)),
    output,
    cflags,
    ...(options.checkImports === false ? { checkImports: false } : {}),
  });
  if (!result.ok) throw new Error(`building ${name} failed:\n${result.diagnostics}`);
  built.set(key, output);
  return output;
}

/** Builds C source text (a test's own driver) into a .wasm. */
export async function buildSource(
  name: string,
  text: string,
): Promise<{ path: string; ok: boolean; diagnostics: string }> {
  const source = join(out, `${name}.c`);
  writeFileSync(source, text);
  const output = join(out, `${name}.wasm`);
  const result = await buildDriver({ sources: [source], output });
  return { path: output, ok: result.ok, diagnostics: result.diagnostics };
}

export const LOOPBACK_MINIPORT = ["c/samples/loopback-miniport/miniport.c"];

export const PASSTHROUGH = ["driver.c", "protocol.c", "miniport.c", "datapath.c", "oid.c"].map(
  (f) => `c/samples/passthrough/${f}`,
);

export const FILTER_PASSTHROUGH = ["c/samples/filter-passthrough/filter.c"];
