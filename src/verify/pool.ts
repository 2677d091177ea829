/**
 * Scenarios on worker threads (`ndis verify --jobs N`): N workers each import the driver under
 * test and take work from one queue. A scenario explored by sampling (random, PCT) is split into
 * stretches of runs — run i is the same run wherever it is made (`sampleSpec`: its seed is the
 * scenario's seed + i) — so the workers share a long scenario as well as the suite. Its result is
 * put together as one thread would have made it: the first failing run is the lowest failing
 * index over all stretches (a stretch past it is not waited for), its runs and steps are those up
 * to and including it, and one worker then makes that run again, shrinks and traces it. So the
 * verdicts and replay tokens are the same whatever N. An exhaustive search (each run depends on
 * the ones before) and a plain run go to one worker whole.
 *
 * A worker posts one message per piece of work and a heartbeat at most every 100 ms, not one per
 * run. The driver runs where it can be stopped: a worker that posts nothing for `runTimeoutMs` of
 * real time (no run finished — a driver in an endless loop) is terminated and its scenario fails;
 * a worker that ends without a result (the driver called process.exit) fails its scenario too,
 * never passes it. Either way a fresh worker takes the next piece of work.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { sampleCount, samples } from "./explore.js";
import type { ConformanceOptions, ScenarioResult } from "./result.js";
import { resultOf } from "./result.js";
import type { DriverKind } from "./rig.js";
import type { Scenario } from "./scenarios.js";
import type { WorkerSetup, WorkItem } from "./worker.js";

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

/** What a worker says when it has loaded the driver. */
interface Ready {
  readonly kind: DriverKind;
  /** Scenarios that do not apply to that kind, each with why. */
  readonly skips: Readonly<Record<string, string>>;
}

/** A stretch of sampled runs as a worker reports it. */
interface Stretch {
  readonly runs: number;
  readonly steps: number;
  readonly failed: number | null;
  /** Real ms the worker spent on it. */
  readonly ms: number;
}

/** A scenario and how far its work has gone. */
interface Task {
  readonly scenario: Scenario;
  /** Set for a scenario split into stretches of sampled runs. */
  readonly sampled: Sampled | null;
  /** For a whole scenario: handed to a worker. */
  handed: boolean;
  started: number | null;
  done: boolean;
}

interface Sampled {
  /** Sampled runs after the plain one (indices -1 … end − 1). */
  readonly end: number;
  /** Runs per stretch. */
  readonly size: number;
  /** The next index to hand out. */
  next: number;
  /** The starts of the stretches handed out, in order. */
  readonly handed: number[];
  /** Each returned stretch, by its start. */
  readonly stretches: Map<number, Stretch>;
  /** Runs made so far in stretches still running, by start (progress only). */
  readonly running: Map<number, number>;
  /** The lowest failing index reported so far. */
  failAt: number;
  /** Its report has been asked for. */
  reporting: boolean;
  /** Real ms workers spent on the stretches that count (up to the failing run). */
  spent: number;
}

/** Runs in a worker's first stretch of each scenario (see `take`). */
const WARM_RUNS = 8;

/** Runs per stretch: enough stretches to keep `jobs` workers even at the end, at most 64 runs. */
function stretchSize(runs: number, jobs: number): number {
  return Math.max(1, Math.min(64, Math.ceil(runs / (4 * jobs))));
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
  const lanes = Math.max(1, jobs);
  const results = new Map<string, ScenarioResult>();
  const split = options.plain !== true && samples(options);
  // The longest first, so no worker is left with a long one at the end; results keep suite order.
  const tasks: Task[] = [...scenarios]
    .sort((a, b) => (b.cost ?? 1) - (a.cost ?? 1))
    .map((scenario) => {
      const end = sampleCount(options);
      return {
        scenario,
        sampled: split
          ? {
              end,
              size: stretchSize(end + 1, lanes),
              next: -1,
              handed: [],
              stretches: new Map(),
              running: new Map(),
              failAt: Number.POSITIVE_INFINITY,
              reporting: false,
              spent: 0,
            }
          : null,
        handed: false,
        started: null,
        done: false,
      };
    });
  /** Failing scenarios whose report a worker is to make next. */
  const reports: { task: Task; item: WorkItem }[] = [];
  let known: Ready | null = null;
  let fatal: Error | null = null;
  let waiting: (() => void)[] = [];
  const wake = (): void => {
    const all = waiting;
    waiting = [];
    for (const resolve of all) resolve();
  };
  const allDone = (): boolean => tasks.every((t) => t.done);

  const finish = (task: Task, result: ScenarioResult): void => {
    if (task.done) return;
    task.done = true;
    results.set(task.scenario.name, result);
    options.onScenarioEnd?.(result);
    wake();
  };

  const begin = (task: Task): void => {
    if (task.started !== null) return;
    task.started = performance.now();
    options.onScenarioStart?.(task.scenario);
  };

  const progress = (sampled: Sampled): void => {
    let runs = 0;
    for (const s of sampled.stretches.values()) runs += s.runs;
    for (const n of sampled.running.values()) runs += n;
    options.onRun?.(runs, sampled.end + 1);
  };

  /** After a stretch came back: is the scenario's outcome known? */
  const settle = (task: Task, sampled: Sampled): void => {
    if (task.done || sampled.reporting) return;
    const started = task.started ?? performance.now();
    if (sampled.failAt === Number.POSITIVE_INFINITY) {
      if (sampled.next < sampled.end || sampled.stretches.size < sampled.handed.length) return;
      let runs = 0;
      let steps = 0;
      let spent = 0;
      for (const s of sampled.stretches.values()) {
        runs += s.runs;
        steps += s.steps;
        spent += s.ms;
      }
      const kind = known?.kind;
      // Its duration is the time workers spent on its runs (they also ran others meanwhile).
      finish(task, {
        ...resultOf(task.scenario, started, runs, steps, null, null),
        durationMs: spent,
        ...(kind === undefined ? {} : { kind }),
      });
      return;
    }
    // Every stretch up to the failing run must be in: one of them may fail earlier.
    const before = sampled.handed.filter((from) => from <= sampled.failAt);
    if (!before.every((from) => sampled.stretches.has(from))) return;
    let runs = 0;
    let steps = 0;
    for (const from of before) {
      const s = sampled.stretches.get(from) as Stretch;
      runs += s.runs;
      steps += s.steps;
      sampled.spent += s.ms;
    }
    sampled.reporting = true;
    reports.push({
      task,
      item: {
        type: "failure",
        name: task.scenario.name,
        index: sampled.failAt,
        runs,
        steps,
        // Time to the first bug as one thread would have taken: the workers' time on the runs up
        // to and including the failing one (the failing stretch stopped at it).
        ms: sampled.spent,
      },
    });
    wake();
  };

  /** Hands out the sampled runs `from` … `to` − 1 of `task`. */
  const stretch = (task: Task, sampled: Sampled, size: number): { task: Task; item: WorkItem } => {
    const from = sampled.next;
    const to = Math.min(sampled.end, from + size);
    sampled.next = to;
    sampled.handed.push(from);
    sampled.running.set(from, 0);
    begin(task);
    return { task, item: { type: "samples", name: task.scenario.name, from, to } };
  };

  /**
   * The next piece of work for a worker that has made runs of the scenarios in `seen`, or null
   * when none can be handed out now. A worker first gets a short stretch of every scenario it has
   * not seen: V8 then optimizes the shared code for all of them early, instead of throwing that
   * code away (deoptimizing) and compiling it again at each scenario it meets later — on the
   * project's suite that made about a fifth fewer compilations and a fifth less CPU on V8's
   * compiler threads, which compete with the workers for the cores.
   */
  const take = (seen: Set<string>): { task: Task; item: WorkItem } | null => {
    const report = reports.shift();
    if (report !== undefined) return report;
    for (const task of tasks) {
      const sampled = task.sampled;
      if (task.done || sampled === null || seen.has(task.scenario.name)) continue;
      if (known?.skips[task.scenario.name] !== undefined) continue;
      if (sampled.failAt !== Number.POSITIVE_INFINITY || sampled.next >= sampled.end) continue;
      seen.add(task.scenario.name);
      return stretch(task, sampled, WARM_RUNS);
    }
    for (const task of tasks) {
      if (task.done) continue;
      const why = known?.skips[task.scenario.name];
      if (why !== undefined) {
        finish(task, {
          ...resultOf(task.scenario, performance.now(), 0, 0, null, null),
          skipped: why,
        });
        continue;
      }
      const sampled = task.sampled;
      if (sampled === null) {
        if (task.handed) continue;
        task.handed = true;
        begin(task);
        return { task, item: { type: "scenario", name: task.scenario.name } };
      }
      if (sampled.failAt !== Number.POSITIVE_INFINITY || sampled.next >= sampled.end) continue;
      return stretch(task, sampled, sampled.size);
    }
    return null;
  };

  /** True when `take` would hand something out (without handing it). */
  const workLeft = (): boolean =>
    reports.length > 0 ||
    tasks.some(
      (t) =>
        !t.done &&
        (t.sampled === null
          ? !t.handed
          : t.sampled.failAt === Number.POSITIVE_INFINITY && t.sampled.next < t.sampled.end),
    );

  /** A piece of work could not finish (a hung driver, an ended worker, a throw). */
  const broke = (task: Task, item: WorkItem, why: string): void => {
    const sampled = task.sampled;
    if (item.type === "samples" && sampled !== null) {
      sampled.running.delete(item.from);
      // A stretch past a known failing run does not count.
      if (item.from > sampled.failAt) return;
    }
    finish(task, failed(task.scenario, task.started ?? performance.now(), why));
  };

  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    let ready: Promise<Ready> | null = null;
    /** The scenarios this lane's worker has made runs of. */
    let seen = new Set<string>();
    const start = (): void => {
      const w = spawnWorker(setup);
      worker = w;
      seen = new Set();
      ready = new Promise<Ready>((resolve, reject) => {
        // Importing and loading the driver must finish within the run limit too.
        const timer = setTimeout(() => {
          void w.terminate();
          reject(
            new DriverHung(
              `${driver}: loading the driver did not return for ${loadTimeoutMs / 1000} s of real time (an endless loop in its module or DriverEntry?); it was stopped`,
            ),
          );
        }, loadTimeoutMs);
        const onMessage = (message: {
          type: string;
          message?: string;
          kind?: string;
          skips?: Record<string, string>;
        }) => {
          if (message.type === "ready") {
            clearTimeout(timer);
            w.off("message", onMessage);
            resolve({ kind: message.kind as DriverKind, skips: message.skips ?? {} });
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
      if (fatal !== null || allDone()) break;
      if (!workLeft()) {
        // Nothing to hand out now; a stretch still running elsewhere may yet ask for a report.
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      if (worker === null) start();
      try {
        // Every new worker is waited for (its first message is "ready"), not only the first.
        const info = await (ready as unknown as Promise<Ready>);
        known ??= info;
      } catch (err) {
        fatal = err instanceof Error ? err : new Error(String(err));
        wake();
        break;
      }
      const next = take(seen);
      if (next === null) continue;
      const { task, item } = next;
      const w = worker as unknown as Worker;
      const outcome = await new Promise<{ message: Record<string, unknown> } | { broke: string }>(
        (resolve) => {
          let timer: NodeJS.Timeout;
          const settle = (r: { message: Record<string, unknown> } | { broke: string }) => {
            clearTimeout(timer);
            w.off("message", onMessage);
            w.off("exit", onExit);
            w.off("error", onError);
            resolve(r);
          };
          const arm = () => {
            clearTimeout(timer);
            timer = setTimeout(() => {
              settle({
                broke: `the driver under test did not return for ${runTimeoutMs / 1000} s of real time (an endless loop?): its worker thread was stopped`,
              });
              void w.terminate();
              worker = null;
            }, runTimeoutMs);
          };
          const onMessage = (message: Record<string, unknown>) => {
            if (message.type === "run") {
              arm();
              const runs = Number(message.runs ?? 0);
              if (item.type === "samples" && task.sampled !== null && !task.done) {
                task.sampled.running.set(item.from, runs);
                progress(task.sampled);
              } else if (item.type === "scenario")
                options.onRun?.(runs, Number(message.budget ?? 0));
            } else if (message.type === "error")
              settle({ broke: String(message.message ?? "the scenario threw") });
            else settle({ message });
          };
          const onExit = (code: number) => {
            worker = null;
            settle({
              broke: `the driver under test ended the process (process.exit(${code})) during the scenario; that is not a pass`,
            });
          };
          const onError = (err: Error) => {
            worker = null;
            settle({ broke: `the scenario's worker failed: ${err.message}` });
          };
          w.on("message", onMessage);
          w.once("exit", onExit);
          w.once("error", onError);
          arm();
          w.postMessage(item);
        },
      );
      if ("broke" in outcome) {
        broke(task, item, outcome.broke);
        continue;
      }
      const message = outcome.message;
      if (message.type === "result") {
        const result = message.result as ScenarioResult;
        // A report's duration adds the time workers spent on the runs up to the failing one.
        finish(
          task,
          item.type === "failure" && task.sampled !== null
            ? { ...result, durationMs: result.durationMs + task.sampled.spent }
            : result,
        );
      } else if (message.type === "samples" && item.type === "samples" && task.sampled !== null) {
        const sampled = task.sampled;
        const stretch: Stretch = {
          runs: Number(message.runs),
          steps: Number(message.steps),
          failed: message.failed === null ? null : Number(message.failed),
          ms: Number(message.ms ?? 0),
        };
        sampled.running.delete(item.from);
        sampled.stretches.set(item.from, stretch);
        if (stretch.failed !== null && stretch.failed < sampled.failAt)
          sampled.failAt = stretch.failed;
        if (!task.done) progress(sampled);
        settle(task, sampled);
      }
    }
    const w = worker as Worker | null;
    if (w !== null) await w.terminate();
  };

  await Promise.all(Array.from({ length: lanes }, lane));
  if (fatal !== null) throw fatal;
  return scenarios.map((s) => results.get(s.name) as ScenarioResult);
}
