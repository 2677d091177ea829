/**
 * One worker thread of `ndis verify --jobs`: imports the driver under test once, then does the
 * work it is sent, one item at a time — a whole scenario, a stretch of a scenario's sampled runs,
 * or the report of a scenario's first failing run (shrunk and traced) — and posts one message with
 * what it came to. While it works it posts a heartbeat at most every HEARTBEAT_MS of real time
 * (not one message per run: relaying those cost the main thread a share of a core). The main
 * thread (pool.ts) stops a worker whose driver stops answering (an endless loop) and reports a
 * worker that ends without a result (a driver calling process.exit) as a failure.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  assertCovered,
  checkBringUp,
  checkDriverKind,
  failedScenario,
  importDriver,
  notFor,
  runSamples,
  runScenario,
} from "./conformance.js";
import type { ConformanceOptions } from "./result.js";
import { SCENARIOS } from "./scenarios.js";

/** What the main thread sends first: the driver's path and the options. */
export interface WorkerSetup {
  readonly driver: string;
  readonly options: ConformanceOptions;
}

/** Work for a worker. */
export type WorkItem =
  /** A whole scenario (an exhaustive search, or the plain run alone). */
  | { readonly type: "scenario"; readonly name: string }
  /** The sampled runs `from` … `to` − 1 (`sampleSpec`; -1 is the plain run). */
  | { readonly type: "samples"; readonly name: string; readonly from: number; readonly to: number }
  /** The report of the first failing run, the sample at `index`. */
  | {
      readonly type: "failure";
      readonly name: string;
      readonly index: number;
      readonly runs: number;
      readonly steps: number;
      readonly ms: number;
    };

/** A heartbeat at most this often (real time). */
export const HEARTBEAT_MS = 100;

const port = parentPort;
if (port === null) throw new Error("src/verify/worker.ts runs as a worker thread only");
const setup = workerData as WorkerSetup;
try {
  const module = await importDriver(setup.driver);
  const found = await checkDriverKind(
    module,
    setup.options.service ?? "imtest",
    setup.driver,
    setup.options.config,
  );
  const kind = setup.options.kind ?? found;
  assertCovered(kind, setup.driver);
  await checkBringUp(
    module,
    setup.options.service ?? "imtest",
    kind,
    setup.driver,
    setup.options.config,
  );
  const options: ConformanceOptions = { ...setup.options, kind };
  let last = performance.now();
  const heartbeat = (runs: number, budget?: number) => {
    const now = performance.now();
    if (now - last < HEARTBEAT_MS) return;
    last = now;
    port.postMessage({ type: "run", runs, budget });
  };
  const work = async (item: WorkItem): Promise<unknown> => {
    const scenario = SCENARIOS.find((s) => s.name === item.name);
    if (scenario === undefined) throw new Error(`no scenario named ${item.name}`);
    last = performance.now();
    switch (item.type) {
      case "scenario":
        return {
          type: "result",
          result: await runScenario(scenario, module, { ...options, onRun: heartbeat }),
        };
      case "samples": {
        // Only what the main thread needs: the failing run is made again for its report.
        const started = performance.now();
        const range = await runSamples(scenario, module, options, item.from, item.to, heartbeat);
        const ms = performance.now() - started;
        return { type: "samples", runs: range.runs, steps: range.steps, failed: range.failed, ms };
      }
      case "failure":
        return { type: "result", result: await failedScenario(scenario, module, options, item) };
    }
  };
  port.on("message", (item: WorkItem) => {
    work(item).then(
      (message) => port.postMessage(message),
      (err: unknown) =>
        port.postMessage({
          type: "error",
          message: err instanceof Error ? err.message : String(err),
        }),
    );
  });
  // The scenarios that do not apply to this kind of driver, each with why: never run, never failed.
  const skips = Object.fromEntries(
    SCENARIOS.flatMap((s) => {
      const why = notFor(s, kind);
      return why === null ? [] : [[s.name, why]];
    }),
  );
  port.postMessage({ type: "ready", kind, skips });
} catch (err) {
  port.postMessage({
    type: "error",
    message: err instanceof Error ? err.message : String(err),
    kind: err instanceof Error ? err.name : "Error",
  });
}
