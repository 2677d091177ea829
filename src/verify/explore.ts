/**
 * The explorer: runs a scenario many times on the simulated scheduler, each time under another
 * schedule (a seeded random walk, PCT, or every choice list up to a bound), with faults as
 * choices; stops at the first failing run, shrinks its choice list to the shortest that still
 * fails the same way, and replays that once more with the DDI trace on for the report. Every run
 * is named by a token — `scenario:random:SEED`, `scenario:pct3:SEED`, `scenario:picks:LIST` —
 * that `ndis verify --replay` runs again, exactly.
 */
import {
  type ChoiceRecord,
  type DriverModule,
  fifoStrategy,
  formatViolationReport,
  NdisError,
  pctStrategy,
  randomStrategy,
  replayStrategy,
  SimScheduler,
  type Strategy,
  type TraceEvent,
  type Violation,
} from "../index.js";
import {
  CheckFailed,
  type DriverKind,
  FaultRefused,
  Rig,
  StepLimit,
  type VerifyConfig,
} from "./rig.js";
import { ENVIRONMENT_FAULTS, type Scenario } from "./scenarios.js";

/** How one run chooses. */
export type RunSpec =
  | { readonly kind: "fifo" }
  | { readonly kind: "random"; readonly seed: number }
  | { readonly kind: "pct"; readonly seed: number; readonly depth: number }
  | { readonly kind: "picks"; readonly picks: readonly number[] };

/** Allocation and pending faults the explorer may inject into the driver under test. */
export const FAULT_SITES: readonly string[] = [
  "NdisAllocateNetBufferListContext",
  "NdisAllocateCloneOidRequest",
  "NdisAllocateNetBufferList",
  "NdisAllocateNetBufferAndNetBufferList",
  "NdisAllocateNetBufferListPool",
  "NdisAllocateTimerObject",
  "NdisAllocateIoWorkItem",
  // Memory, and what a send or receive path may allocate besides NBLs: a driver's failure paths
  // there are as likely to leak or double-free as its NBL allocations'.
  "NdisAllocateMemoryWithTagPriority",
  "NdisAllocateNetBuffer",
  "NdisAllocateMdl",
  "NdisRetreatNetBufferDataStart",
  "NdisOpenAdapterEx",
  "NdisCloseAdapterEx",
];

// ———————————————————————————————————————————————————————————————— tokens

/** Picks as text: runs of zeros as `zN`, trailing zeros dropped — `z3.2.1.z2.1`. */
export function encodePicks(picks: readonly number[]): string {
  const trimmed = trimZeros(picks);
  const parts: string[] = [];
  let zeros = 0;
  for (const p of trimmed) {
    if (p === 0) {
      zeros++;
      continue;
    }
    if (zeros > 0) parts.push(zeros === 1 ? "0" : `z${zeros}`);
    zeros = 0;
    parts.push(String(p));
  }
  return parts.length === 0 ? "-" : parts.join(".");
}

export function decodePicks(text: string): number[] {
  if (text === "-" || text === "") return [];
  const picks: number[] = [];
  for (const part of text.split(".")) {
    if (/^z\d+$/.test(part)) {
      const n = Number(part.slice(1));
      if (n > 1_000_000) throw new Error(`choice list: a run of ${n} zeros is too long`);
      for (let i = 0; i < n; i++) picks.push(0);
    } else if (/^\d+$/.test(part)) picks.push(Number(part));
    else throw new Error(`choice list: "${part}" is neither a number nor zN`);
  }
  return picks;
}

function trimZeros(picks: readonly number[]): number[] {
  let end = picks.length;
  while (end > 0 && picks[end - 1] === 0) end--;
  return picks.slice(0, end);
}

export function specToken(scenario: string, spec: RunSpec): string {
  switch (spec.kind) {
    case "fifo":
      return `${scenario}:fifo`;
    case "random":
      return `${scenario}:random:${spec.seed}`;
    case "pct":
      return `${scenario}:pct${spec.depth}:${spec.seed}`;
    case "picks":
      return `${scenario}:picks:${encodePicks(spec.picks)}`;
  }
}

/** Reads a replay token back; throws a message that says what a token looks like. */
export function parseToken(token: string): { scenario: string; spec: RunSpec } {
  const [scenario, kind, value, ...rest] = token.split(":");
  const bad = () =>
    new Error(
      `replay token "${token}": expected SCENARIO:fifo, SCENARIO:random:SEED, SCENARIO:pctD:SEED or SCENARIO:picks:LIST`,
    );
  if (scenario === undefined || scenario === "" || kind === undefined || rest.length > 0)
    throw bad();
  const seed = (): number => {
    if (value === undefined || !/^\d+$/.test(value)) throw bad();
    return Number(value) >>> 0;
  };
  if (kind === "fifo" && value === undefined) return { scenario, spec: { kind: "fifo" } };
  if (kind === "random") return { scenario, spec: { kind: "random", seed: seed() } };
  const pct = /^pct(\d+)$/.exec(kind);
  if (pct !== null) return { scenario, spec: { kind: "pct", seed: seed(), depth: Number(pct[1]) } };
  if (kind === "picks" && value !== undefined)
    return { scenario, spec: { kind: "picks", picks: decodePicks(value) } };
  throw bad();
}

function strategyFor(spec: RunSpec): Strategy {
  switch (spec.kind) {
    case "fifo":
      return fifoStrategy();
    case "random":
      return randomStrategy(spec.seed);
    case "pct":
      return pctStrategy(spec.seed, spec.depth);
    case "picks":
      return replayStrategy(spec.picks);
  }
}

// ———————————————————————————————————————————————————————————————— one run

/** The state of an object NDIS holds at the end of a run. */
export interface ObjectState {
  readonly kind: "adapter" | "binding";
  readonly name: string;
  readonly state: string;
}

export interface RunOutcome {
  readonly spec: RunSpec;
  readonly passed: boolean;
  /** What failed: a violation report, the suite's check, what threw. */
  readonly failure: string | null;
  /** The first violation's rule, if one made it fail. */
  readonly rule: string | null;
  /** Same signature, same failure: the rule, or the first line of the check. */
  readonly signature: string | null;
  readonly picks: readonly number[];
  /** How many ways each choice point could go. */
  readonly widths: readonly number[];
  readonly decisions: readonly ChoiceRecord[];
  readonly steps: number;
  /** Virtual milliseconds the run lasted. */
  readonly virtualMs: number;
  /** The DDI trace, when asked for. */
  readonly events: readonly TraceEvent[];
  /** The violations the verifier reported against the driver under test. */
  readonly violations: readonly Violation[];
  readonly states: readonly ObjectState[];
  /**
   * Set when the driver under test refused bring-up under an injected fault (and the run then
   * tore down what had started): the scenario's own checks did not run.
   */
  readonly refused: string | null;
}

export interface RunOptions {
  readonly service?: string;
  /** The kind of the driver under test (found by `detectDriverKind`). Default "im". */
  readonly kind?: DriverKind;
  /** Its registry values and placement (`--stack`, `--registry`). */
  readonly config?: VerifyConfig;
  /**
   * Record the DDI trace, and keep the verifier's flight recorder so a violation report names the
   * calls before it (slower; for the final replay). Without it, a report names no recent calls.
   */
  readonly trace?: boolean;
  /**
   * Inject faults (FAULT_SITES, into the driver under test only) in scenarios whose checks allow
   * for them. Default true.
   */
  readonly faults?: boolean;
  /** Give up on a run after this many scheduler steps. */
  readonly maxSteps?: number;
  /**
   * `virtual` (default) or `real`: the same run on wall-clock time, where every timer and watchdog
   * is really waited for (the baseline of bench/explore.bench.ts).
   */
  readonly time?: "virtual" | "real";
}

function describeError(err: unknown): string {
  if (err instanceof CheckFailed || err instanceof StepLimit) return err.message;
  // NDIS's own refusals (an adapter gone, a driver stopped) read as what happened, not as a
  // stack's error class.
  if (NdisError.is(err)) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return String(err);
  } catch {
    return "a value that cannot be printed";
  }
}

/** Runs `scenario` once under `spec` and judges it. */
export async function runOnce(
  scenario: Scenario,
  module: DriverModule | string,
  spec: RunSpec,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const service = options.service ?? "imtest";
  const faults = options.faults !== false && scenario.faults === true;
  const scheduler = new SimScheduler(strategyFor(spec), {
    // Faults of the driver under test's calls, and of the environment (at most one of each).
    faultSites: faults ? FAULT_SITES : [],
    faultDrivers: [service],
    environmentSites: faults ? ENVIRONMENT_FAULTS : [],
    record: options.trace === true,
    ...(options.time === undefined ? {} : { time: options.time }),
  });
  const rig = new Rig({
    module,
    service,
    scheduler,
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.config === undefined ? {} : { config: options.config }),
    // The flight recorder's events serve only a violation report's text: a run the explorer only
    // judges builds none; the replay it reports (traced) keeps them.
    flightRecorder: options.trace === true,
    ...(scenario.rig ?? {}),
  });
  const events: TraceEvent[] = [];
  const stopTrace = options.trace === true ? rig.host.onTrace((e) => events.push(e)) : null;
  let thrown: unknown = null;
  let refused: string | null = null;
  try {
    await scenario.run(rig);
  } catch (err) {
    thrown = err;
  }
  if (thrown instanceof FaultRefused) {
    // The driver refused bring-up under an injected fault: correct, if it also tears down
    // cleanly — what did start is removed, and the run is judged on what that leaves.
    refused = thrown.message;
    thrown = null;
    try {
      await rig.down();
    } catch (err) {
      thrown = err;
    }
  }
  const states: ObjectState[] = [
    ...rig.host.adapters.map((a) => ({ kind: "adapter" as const, name: a.name, state: a.state })),
    ...rig.host.bindings.map((b) => ({
      kind: "binding" as const,
      name: `${b.protocol} → ${b.adapter}`,
      state: b.state,
    })),
  ];
  stopTrace?.();
  const violations = rig.violations();
  const problems: string[] = [];
  let rule: string | null = null;
  let signature: string | null = null;
  const first = violations[0];
  if (first !== undefined) {
    rule = first.rule;
    signature = first.rule;
    problems.push(formatViolationReport(first));
    if (violations.length > 1) problems.push(`(${violations.length - 1} more violation(s))`);
  }
  const stopped = rig.host.stoppedDrivers;
  // After a violation or a stopped driver, what the scenario could not do next is a consequence:
  // one line that says so, not a second failure that could mislead.
  const consequence = first !== undefined || stopped.length > 0;
  if (thrown !== null) {
    const text = describeError(thrown);
    signature ??= text.split("\n")[0]?.replace(/\d+/g, "#") ?? text;
    problems.push(consequence ? `then the scenario could not go on: ${text.split("\n")[0]}` : text);
  }
  for (const u of consequence ? [] : scheduler.uncaught) {
    const text = `${u.label} threw: ${describeError(u.error)}`;
    signature ??= text.replace(/\d+/g, "#");
    problems.push(text);
  }
  if (first === undefined && stopped.length > 0) {
    const text = `stopped drivers: ${stopped.map((v) => v.driver ?? "?").join(", ")}`;
    signature ??= text;
    problems.push(text);
  }
  if (problems.length === 0 && scenario.checkLeaks !== false) {
    const live = rig.host.liveObjects();
    if (live.length > 0) {
      signature = "leak";
      problems.push(
        `NDIS still holds ${live.length} object(s) at the end: ${live
          .slice(0, 5)
          .map((o) => `${o.kind} ${o.name} (${o.driver})`)
          .join(", ")}${live.length > 5 ? ", …" : ""}`,
      );
    }
  }
  return {
    spec,
    passed: problems.length === 0,
    failure: problems.length === 0 ? null : problems.join("\n"),
    rule,
    signature,
    picks: scheduler.picks,
    widths: scheduler.widths,
    decisions: scheduler.decisions,
    steps: scheduler.steps,
    virtualMs: scheduler.nowMs,
    events,
    states,
    violations: violations.filter((v) => v.driver === service),
    refused,
  };
}

// ———————————————————————————————————————————————————————————————— exploring

export type StrategyName = "random" | "pct" | "exhaustive";

export interface ExploreOptions extends RunOptions {
  /** Runs per scenario after the plain one. Default 100. */
  readonly runs?: number;
  /**
   * Strategies, taken in turn. Default random alone: on the project's planted bugs it found every
   * one, each as soon as or within 4 runs of any other mix (BENCHMARKS.md), where PCT missed one
   * in 200 runs and alternating the two halved random's share of the budget.
   */
  readonly strategies?: readonly StrategyName[];
  /** The first seed; run i uses seed + i. Default 1. */
  readonly seed?: number;
  /** PCT's depth (bugs of depth d need d − 1 priority changes). Default 3. */
  readonly depth?: number;
  /** For exhaustive: at most this many non-plain choices per run. Default 2. */
  readonly bound?: number;
  /** Shrink a failing run's choice list. Default true. */
  readonly shrink?: boolean;
  /** Replays the shrinker may spend. Default 200. */
  readonly shrinkBudget?: number;
  /** Told after every run (progress): runs made so far, and the budget. */
  readonly onRun?: (runs: number, budget: number) => void;
}

export interface Exploration {
  /** Runs made (the plain one included; shrinking replays not counted). */
  readonly runs: number;
  /** Scheduler steps over those runs. */
  readonly steps: number;
  /** The first failing run as found, if any. */
  readonly found: RunOutcome | null;
  /** Its shrunk replay, traced (what is reported), if any. */
  readonly failure: RunOutcome | null;
  /** Replays spent shrinking. */
  readonly shrinkRuns: number;
  /** True when an exhaustive search enumerated every choice list within its bound. */
  readonly complete: boolean;
  /** Runs made up to and including the first failing one (the figure of merit), if any. */
  readonly runsToBug: number | null;
  /** Wall-clock milliseconds from the start of the exploration to the first failing run. */
  readonly msToBug: number | null;
}

/**
 * The run at `index` of a sampled exploration: -1 is the plain run (FIFO); run i ≥ 0 takes the
 * strategies in turn, with seed `seed + i`. The same index is the same run wherever it is made,
 * which is what lets `--jobs` split a scenario's runs between threads.
 */
export function sampleSpec(index: number, options: ExploreOptions = {}): RunSpec {
  if (index < 0) return { kind: "fifo" };
  const sampling = (options.strategies ?? ["random"]).filter((s) => s !== "exhaustive");
  const which = sampling[index % Math.max(1, sampling.length)] ?? "random";
  const seed = ((options.seed ?? 1) + index) >>> 0;
  return which === "pct"
    ? { kind: "pct", seed, depth: options.depth ?? 3 }
    : { kind: "random", seed };
}

/** True when a scenario's runs are independent samples (`sampleSpec`), not an exhaustive search. */
export function samples(options: ExploreOptions = {}): boolean {
  return !(options.strategies ?? ["random"]).includes("exhaustive");
}

/** How many sampled runs follow the plain one: the budget, or none when no strategy samples. */
export function sampleCount(options: ExploreOptions = {}): number {
  const sampling = (options.strategies ?? ["random"]).filter((s) => s !== "exhaustive");
  return sampling.length === 0 ? 0 : (options.runs ?? 100);
}

/** What a stretch of sampled runs came to. */
export interface SampleRange {
  /** Runs made: all of the stretch, or up to and including the first failing one. */
  readonly runs: number;
  /** Scheduler steps over those runs. */
  readonly steps: number;
  /** The index (`sampleSpec`) of the first failing run, if one failed. */
  readonly failed: number | null;
  /** That run's outcome. */
  readonly outcome: RunOutcome | null;
}

/**
 * Makes the sampled runs `from` … `to` − 1 (index -1 is the plain run) in order, stopping at the
 * first failing one. `onRun` is told after each run with the count so far in this stretch.
 */
export async function sampleRange(
  scenario: Scenario,
  module: DriverModule | string,
  from: number,
  to: number,
  options: ExploreOptions = {},
  onRun?: (runs: number) => void,
): Promise<SampleRange> {
  let runs = 0;
  let steps = 0;
  for (let index = from; index < to; index++) {
    const outcome = await runOnce(scenario, module, sampleSpec(index, options), options);
    runs++;
    steps += outcome.steps;
    onRun?.(runs);
    if (!outcome.passed) return { runs, steps, failed: index, outcome };
  }
  return { runs, steps, failed: null, outcome: null };
}

/**
 * What is reported for a failing run: its choice list shrunk (unless `shrink` is false) and
 * replayed once more with the DDI trace on.
 */
export async function reportFailure(
  scenario: Scenario,
  module: DriverModule | string,
  first: RunOutcome,
  options: ExploreOptions = {},
): Promise<{ failure: RunOutcome; shrinkRuns: number }> {
  const shrunk =
    options.shrink === false
      ? { outcome: first, replays: 0 }
      : await shrink(scenario, module, first, options);
  const failure = await runOnce(
    scenario,
    module,
    { kind: "picks", picks: trimZeros(shrunk.outcome.picks) },
    { ...options, trace: true },
  );
  // The traced replay is the report; should it not fail (it must), report the shrunk run.
  return { failure: failure.passed ? shrunk.outcome : failure, shrinkRuns: shrunk.replays };
}

/**
 * Explores `scenario`: the plain run first (FIFO, no faults: what a plain test sees), then
 * `runs` more under the strategies in turn, stopping at the first failure.
 */
export async function explore(
  scenario: Scenario,
  module: DriverModule | string,
  options: ExploreOptions = {},
): Promise<Exploration> {
  const budget = options.runs ?? 100;
  let runs = 0;
  let steps = 0;
  let found: RunOutcome | null = null;
  let complete = false;
  const started = performance.now();
  let runsToBug: number | null = null;
  let msToBug: number | null = null;
  if (samples(options)) {
    // The plain run and the samples: one stretch, as `--jobs` splits it (sampleRange).
    const range = await sampleRange(scenario, module, -1, sampleCount(options), options, (n) =>
      options.onRun?.(n, budget + 1),
    );
    runs = range.runs;
    steps = range.steps;
    if (range.outcome !== null) {
      found = range.outcome;
      runsToBug = runs;
      msToBug = performance.now() - started;
    }
  } else {
    const attempt = async (spec: RunSpec): Promise<RunOutcome> => {
      const outcome = await runOnce(scenario, module, spec, options);
      runs++;
      steps += outcome.steps;
      options.onRun?.(runs, budget + 1);
      if (!outcome.passed && found === null) {
        found = outcome;
        runsToBug = runs;
        msToBug = performance.now() - started;
      }
      return outcome;
    };
    const plain = await attempt({ kind: "fifo" });
    if (found === null) complete = await enumerate(plain, options.bound ?? 2, budget, attempt);
  }
  const first = found as RunOutcome | null;
  if (first === null)
    return {
      runs,
      steps,
      found: null,
      failure: null,
      shrinkRuns: 0,
      complete,
      runsToBug: null,
      msToBug: null,
    };
  const reported = await reportFailure(scenario, module, first, options);
  return {
    runs,
    steps,
    found: first,
    failure: reported.failure,
    shrinkRuns: reported.shrinkRuns,
    complete,
    runsToBug,
    msToBug,
  };
}

/**
 * Exhaustive search, bounded like CHESS's preemption bound: every choice list with at most
 * `bound` non-plain picks, breadth first from the plain run, until `budget` runs. True when it
 * enumerated them all.
 */
async function enumerate(
  plain: RunOutcome,
  bound: number,
  budget: number,
  attempt: (spec: RunSpec) => Promise<RunOutcome>,
): Promise<boolean> {
  // Each item: a prefix to force, the run it came from (for the widths past the prefix).
  const queue: { prefix: number[]; from: RunOutcome }[] = [{ prefix: [], from: plain }];
  let spent = 0;
  while (queue.length > 0) {
    const item = queue.shift() as { prefix: number[]; from: RunOutcome };
    const nonzero = item.prefix.filter((p) => p !== 0).length;
    if (nonzero >= bound) continue;
    const widths = item.from.widths;
    for (let j = item.prefix.length; j < widths.length; j++) {
      for (let v = 1; v < (widths[j] ?? 1); v++) {
        if (spent >= budget) return false;
        const picks = [...item.prefix, ...new Array<number>(j - item.prefix.length).fill(0), v];
        const outcome = await attempt({ kind: "picks", picks });
        spent++;
        if (!outcome.passed) return false;
        queue.push({ prefix: picks, from: outcome });
      }
    }
  }
  return true;
}

/**
 * Shrinks a failing run's choice list (delta debugging): zero out, then drop, ever smaller
 * chunks, then lower each pick, keeping every change after which the run still fails with the
 * same signature. The result has as few non-plain choices as that finds, trailing ones dropped.
 */
export async function shrink(
  scenario: Scenario,
  module: DriverModule | string,
  failing: RunOutcome,
  options: ExploreOptions = {},
): Promise<{ outcome: RunOutcome; replays: number }> {
  const budget = options.shrinkBudget ?? 200;
  let best = failing;
  let picks = trimZeros(failing.picks);
  let replays = 0;
  const sameFailure = async (candidate: number[]): Promise<boolean> => {
    if (replays >= budget) return false;
    replays++;
    const outcome = await runOnce(scenario, module, { kind: "picks", picks: candidate }, options);
    if (outcome.passed || outcome.signature !== failing.signature) return false;
    best = outcome;
    picks = trimZeros(outcome.picks);
    return true;
  };
  // The choice list as found may be replaced by the one the replay actually made.
  if (failing.spec.kind !== "picks") await sameFailure(picks);
  for (let improved = true; improved && replays < budget; ) {
    improved = false;
    for (let size = Math.max(1, picks.length >> 1); size >= 1; size >>= 1) {
      for (let at = 0; at < picks.length; at += size) {
        const chunk = picks.slice(at, at + size);
        if (chunk.every((p) => p === 0)) continue;
        const zeroed = [...picks.slice(0, at), ...chunk.map(() => 0), ...picks.slice(at + size)];
        if (await sameFailure(trimZeros(zeroed))) {
          improved = true;
          continue;
        }
        const dropped = [...picks.slice(0, at), ...picks.slice(at + size)];
        if (await sameFailure(trimZeros(dropped))) improved = true;
      }
      if (size === 1) break;
    }
    // Lower each pick to every smaller non-plain value, smallest first: an order pick is an
    // index into the ready tasks, so a smaller one often names the same task once earlier
    // choices were zeroed.
    for (let i = 0; i < picks.length; i++) {
      for (let v = 1; v < (picks[i] ?? 0); v++) {
        const lower = [...picks];
        lower[i] = v;
        if (await sameFailure(trimZeros(lower))) {
          improved = true;
          break;
        }
      }
    }
  }
  return { outcome: best, replays };
}
