/**
 * Importing a driver module a user names by path: a compiled `.js` file imports as it is; a
 * TypeScript file (`my-driver.ts`) needs a loader, which Node 20 does not have — so when Node
 * refuses the extension and `tsx` is installed (it is a development dependency of this package,
 * and of most TypeScript projects), its loader is registered once and the import retried.
 */

import { fileURLToPath } from "node:url";

/**
 * Loaders for driver files that are not JavaScript modules (a `.wasm` C driver): the package root
 * registers them, so that the host needs no knowledge of what they are.
 */
export type DriverFileLoader = (path: string) => Promise<unknown>;
const fileLoaders = new Map<string, DriverFileLoader>();

/** Registers `load` for driver files whose name ends with `suffix` (".wasm"). */
export function registerDriverFileLoader(suffix: string, load: DriverFileLoader): void {
  fileLoaders.set(suffix, load);
}

/** The loader for `path`, if a registered suffix matches. */
export function driverFileLoader(path: string): DriverFileLoader | null {
  for (const [suffix, load] of fileLoaders) if (path.endsWith(suffix)) return load;
  return null;
}

let tsxLoader: Promise<boolean> | null = null;

/** Registers tsx's ESM loader once; false when tsx is not installed. */
function registerTsx(): Promise<boolean> {
  tsxLoader ??= import("tsx/esm/api").then(
    (api: { register: () => unknown }) => {
      api.register();
      return true;
    },
    () => false,
  );
  return tsxLoader;
}

function isUnknownExtension(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === "ERR_UNKNOWN_FILE_EXTENSION"
  );
}

/**
 * `import(target)`, with TypeScript files loaded through tsx when Node cannot load them itself.
 * Rethrows Node's error, with what to do about it, when tsx is not there.
 */
export async function importModuleFile(target: string): Promise<unknown> {
  const load = driverFileLoader(target);
  if (load !== null) return await load(target.startsWith("file:") ? fileURLToPath(target) : target);
  try {
    return await import(target);
  } catch (error) {
    if (!isUnknownExtension(error) || !/\.[cm]?tsx?$/.test(target)) throw error;
    if (!(await registerTsx())) {
      throw new Error(
        `${target} is TypeScript and Node cannot load it: install tsx (npm install --save-dev tsx) or name the compiled .js file`,
        { cause: error },
      );
    }
    // Node keeps the failed load of `target` in its module map: ask again under another URL.
    return await import(`${target}${target.includes("?") ? "&" : "?"}loader=tsx`);
  }
}
