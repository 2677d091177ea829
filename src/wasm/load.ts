/**
 * Loading a `.wasm` driver file: compile it (a broken file is a clear error naming it) and make
 * the DriverModule of the bridge. The package root registers this for the host's loadDriver.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { CDriverModule as DriverModule } from "./bridge.js";
import { wasmDriverModule } from "./bridge.js";

/** Compiles the C driver at `path` into a DriverModule. */
export async function loadWasmDriverFile(path: string, _name?: string): Promise<DriverModule> {
  const label = basename(path);
  const bytes = await readFile(path);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (cause) {
    throw new Error(`${label} is not a valid WebAssembly module: ${(cause as Error).message}`, {
      cause,
    });
  }
  return wasmDriverModule(module, label);
}
