/**
 * One worker thread of `ndis verify --jobs`: imports the driver under test once, then runs the
 * scenarios it is sent, one at a time, posting a heartbeat after every run and the result at the
 * end. The main thread (pool.ts) stops a worker whose driver stops answering (an endless loop) and
 * reports a worker that ends without a result (a driver calling process.exit) as a failure.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  assertCovered,
  type ConformanceOptions,
  checkDriverKind,
  importDriver,
  runScenario,
} from "./index.js";
import { SCENARIOS } from "./scenarios.js";

/** What the main thread sends: the driver's path and the options, then scenario names. */
export interface WorkerSetup {
  readonly driver: string;
  readonly options: ConformanceOptions;
}

const port = parentPort;
if (port === null) throw new Error("src/verify/worker.ts runs as a worker thread only");
const setup = workerData as WorkerSetup;
try {
  const module = await importDriver(setup.driver);
  const kind = await checkDriverKind(
    module,
    setup.options.service ?? "imtest",
    setup.driver,
    setup.options.config,
  );
  assertCovered(setup.options.kind ?? kind, setup.driver);
  port.on("message", (name: string) => {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (scenario === undefined) {
      port.postMessage({ type: "error", message: `no scenario named ${name}` });
      return;
    }
    runScenario(scenario, module, {
      ...setup.options,
      kind: setup.options.kind ?? kind,
      onRun: (runs, budget) => port.postMessage({ type: "run", runs, budget }),
    }).then(
      (result) => port.postMessage({ type: "result", result }),
      (err: unknown) =>
        port.postMessage({
          type: "error",
          message: err instanceof Error ? err.message : String(err),
        }),
    );
  });
  port.postMessage({ type: "ready" });
} catch (err) {
  port.postMessage({
    type: "error",
    message: err instanceof Error ? err.message : String(err),
    kind: err instanceof Error ? err.name : "Error",
  });
}
