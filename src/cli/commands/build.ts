/**
 * `ndis build <file.c…> -o driver.wasm`: compiles a C driver written against the WDK's ndis.h
 * into a WebAssembly module ndis-ts loads like any driver (docs/c-drivers.md). clang's messages
 * go to stderr as clang printed them; exit 1 when the build fails, 2 when the toolchain is
 * missing (the message names the Debian packages). `ndis build --headers <dir>` writes the
 * include folder for use with an editor or another build.
 */
import { buildDriver, ToolchainMissing, writeHeaders } from "../../index.js";

export interface BuildCommandOptions {
  readonly sources: readonly string[];
  readonly output?: string;
  readonly define?: readonly string[];
  readonly include?: readonly string[];
  readonly headers?: string;
  /** WPP mode: true/false forces it; undefined generates .tmh files when a source includes one. */
  readonly wpp?: boolean;
  /** Trace functions declared outside the sources (`--wpp-func 'DEBUGP(LEVEL,MSG,...)'`). */
  readonly wppFunctions?: readonly string[];
}

/** Runs the build; returns the exit code. `err` gets the diagnostics, `out` the summary. */
export async function build(
  options: BuildCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  if (options.headers !== undefined) {
    writeHeaders(options.headers);
    out(`wrote ndis.h and its headers to ${options.headers}\n`);
    if (options.sources.length === 0) return 0;
  }
  if (options.sources.length === 0) {
    err("ndis build: name at least one C source file\n");
    return 2;
  }
  const output = options.output ?? "driver.wasm";
  const cflags = [
    ...(options.define ?? []).map((d) => `-D${d}`),
    ...(options.include ?? []).flatMap((dir) => ["-I", dir]),
  ];
  try {
    const result = await buildDriver({
      sources: options.sources,
      output,
      cflags,
      ...(options.wpp === undefined ? {} : { wpp: options.wpp }),
      ...(options.wppFunctions === undefined ? {} : { wppFunctions: options.wppFunctions }),
    });
    if (result.diagnostics !== "") err(result.diagnostics);
    if (!result.ok) return 1;
    out(`built ${output}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ToolchainMissing) {
      err(`ndis build: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
