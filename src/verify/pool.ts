/**
 * Scenarios on worker threads (`ndis verify --jobs N`): N workers each import the driver under
 * test and take scenarios from one queue. A scenario's result does not depend on where or when it
 * ran (its runs are seeded), so the verdicts and replay tokens are the same whatever N. The
 * driver runs where it can be stopped: a worker that posts nothing for `runTimeoutMs` of real
 * time (no run finished — a driver in an endless loop) is terminated and its scenario fails; a
 * worker that ends without a result (the driver called process.exit) fails its scenario too,
 * never passes it. Either way a fresh worker takes the next scenario.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ConformanceOptions, ScenarioResult } from "./index.js";
import type { Scenario } from "./scenarios.js";
import type { WorkerSetup } from "./worker.js";

/** The driver under test never answered (or ended its thread) while loading: a failure, not bad usage. */
export class DriverHung extends Error {
  override name = "DriverHung";
}

/** The worker's file: the .ts beside this one under tsx, the .js in dist/. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/pool\.(ts|js)$/, (_m, ext: string) => `worker.${ext}`);
}

/**
 * A worker on worker.ts/.js. Under tsx (this file is .ts), a worker does not inherit the TypeScript
 * loader: a two-line bootstrap registers it first.
 */
function spawnWorker(setup: WorkerSetup): Worker {
  const file = workerFile();
  if (!file.endsWith(".ts")) return new Worker(file, { workerData: setup });
  const api = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

/** The options a worker can be sent (callbacks stay here). */
function portable(options: ConformanceOptions): ConformanceOptions {
  const {
    onRun: _onRun,
    onScenarioStart: _start,
    onScenarioEnd: _end,
    only: _only,
    jobs: _jobs,
    ...rest
  } = options;
  return rest;
}

function failed(scenario: Scenario, started: number, failure: string): ScenarioResult {
  return {
    name: scenario.name,
    description: scenario.description,
    contract: scenario.contract,
    status: "fail",
    durationMs: performance.now() - started,
    failure,
    rule: null,
    runs: 0,
    steps: 0,
    replay: null,
    found: null,
    violations: [],
  };
}

/**
 * Runs `scenarios` for the driver at `driver` (a path or specifier) on `jobs` workers; the results
 * come back in the order of `scenarios`. `onStart`/`onEnd` are told as each scenario starts and
 * ends (in completion order).
 */
export async function runInWorkers(
  driver: string,
  scenarios: readonly Scenario[],
  options: ConformanceOptions,
  jobs: number,
): Promise<ScenarioResult[]> {
  const runTimeoutMs = options.runTimeoutMs ?? 30_000;
  // Starting a worker (and a TypeScript loader) on a busy machine takes seconds of its own.
  const loadTimeoutMs = runTimeoutMs + 30_000;
  const setup: WorkerSetup = { driver, options: portable(options) };
  const results = new Map<string, ScenarioResult>();
  // The longest first, so no worker is left with a long one at the end; results keep suite order.
  const queue = [...scenarios].sort((a, b) => (b.cost ?? 1) - (a.cost ?? 1));
  let fatal: Error | null = null;

  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    let ready: Promise<void> | null = null;
    const start = (): void => {
      const w = spawnWorker(setup);
      worker = w;
      ready = new Promise<void>((resolve, reject) => {
        // Importing and loading the driver must finish within the run limit too.
        const timer = setTimeout(() => {
          void w.terminate();
          reject(
            new DriverHung(
              `${driver}: loading the driver did not return for ${loadTimeoutMs / 1000} s of real time (an endless loop in its module or DriverEntry?); it was stopped`,
            ),
          );
        }, loadTimeoutMs);
        const onMessage = (message: { type: string; message?: string; kind?: string }) => {
          if (message.type === "ready") {
            clearTimeout(timer);
            w.off("message", onMessage);
            resolve();
          } else if (message.type === "error") {
            clearTimeout(timer);
            w.off("message", onMessage);
            const error = new Error(message.message ?? "the worker could not start");
            error.name = message.kind ?? "Error";
            reject(error);
          }
        };
        w.on("message", onMessage);
        w.once("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        w.once("exit", (code) => {
          clearTimeout(timer);
          reject(
            new DriverHung(
              `${driver}: loading the driver ended the worker (process.exit(${code})); a driver never ends the process`,
            ),
          );
        });
      });
      // A rejection nobody awaits yet must not end the process.
      ready.catch(() => {});
    };
    for (;;) {
      if (fatal !== null) break;
      const scenario = queue.shift();
      if (scenario === undefined) break;
      if (worker === null) start();
      try {
        await ready;
      } catch (err) {
        fatal = err instanceof Error ? err : new Error(String(err));
        break;
      }
      const w = worker as unknown as Worker;
      options.onScenarioStart?.(scenario);
      const started = performance.now();
      const result = await new Promise<ScenarioResult>((resolve) => {
        let timer: NodeJS.Timeout;
        const settle = (r: ScenarioResult) => {
          clearTimeout(timer);
          w.off("message", onMessage);
          w.off("exit", onExit);
          w.off("error", onError);
          resolve(r);
        };
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            settle(
              failed(
                scenario,
                started,
                `the driver under test did not return for ${runTimeoutMs / 1000} s of real time (an endless loop?): its worker thread was stopped`,
              ),
            );
            void w.terminate();
            worker = null;
          }, runTimeoutMs);
        };
        const onMessage = (message: {
          type: string;
          runs?: number;
          budget?: number;
          result?: ScenarioResult;
          message?: string;
        }) => {
          if (message.type === "run") {
            arm();
            options.onRun?.(message.runs ?? 0, message.budget ?? 0);
          } else if (message.type === "result" && message.result !== undefined)
            settle(message.result);
          else if (message.type === "error")
            settle(failed(scenario, started, message.message ?? "the scenario threw"));
        };
        const onExit = (code: number) => {
          worker = null;
          settle(
            failed(
              scenario,
              started,
              `the driver under test ended the process (process.exit(${code})) during the scenario; that is not a pass`,
            ),
          );
        };
        const onError = (err: Error) => {
          worker = null;
          settle(failed(scenario, started, `the scenario's worker failed: ${err.message}`));
        };
        w.on("message", onMessage);
        w.once("exit", onExit);
        w.once("error", onError);
        arm();
        w.postMessage(scenario.name);
      });
      results.set(scenario.name, result);
      options.onScenarioEnd?.(result);
    }
    const w = worker as Worker | null;
    if (w !== null) await w.terminate();
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, scenarios.length)) }, lane));
  if (fatal !== null) throw fatal;
  return scenarios.map((s) => results.get(s.name) as ScenarioResult);
}
