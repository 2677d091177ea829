/**
 * Loading a `.wasm` driver file: compile it (a broken file is a clear error naming it) and make
 * the DriverModule of the bridge. The package root registers this for the host's loadDriver.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { CDriverModule as DriverModule } from "./bridge.js";
import { DEFAULT_STEP_BUDGET, wasmDriverModule } from "./bridge.js";
import { addStepBudget } from "./fuel.js";

export interface WasmLoadOptions {
  /**
   * Steps (loop iterations and calls) one call from NDIS may take before the driver is stopped
   * as looping (default DEFAULT_STEP_BUDGET); null loads the module as it is, without the count
   * (a handler that never returns then hangs the host).
   */
  readonly stepBudget?: number | null;
}

/** Compiles the C driver at `path` into a DriverModule, with the step budget built in (fuel.ts). */
export async function loadWasmDriverFile(
  path: string,
  _name?: string,
  options: WasmLoadOptions = {},
): Promise<DriverModule> {
  const label = basename(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== "ENOENT") throw cause;
    throw new Error(
      `${path} does not exist: build the C driver first (npx ndis build <file.c…> -o ${path})`,
      { cause },
    );
  }
  const budget = options.stepBudget === undefined ? DEFAULT_STEP_BUDGET : options.stepBudget;
  // A module that does not validate goes to the compiler as it is, for the compiler's message.
  const counted =
    budget === null || !WebAssembly.validate(bytes) ? bytes : addStepBudget(bytes, label);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(counted);
  } catch (cause) {
    throw new Error(`${label} is not a valid WebAssembly module: ${(cause as Error).message}`, {
      cause,
    });
  }
  return wasmDriverModule(module, label, budget ?? DEFAULT_STEP_BUDGET);
}
