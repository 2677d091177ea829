/**
 * `ndis verify`: the conformance suite for an NDIS intermediate driver. Each scenario runs on its
 * own host (simulated scheduler, verifier strict) with the suite's lower miniport and upper
 * protocol around the driver under test — first in the plain order (what a plain test sees), then
 * under the explorer's schedules — and passes only when no run finds a violation, a stopped
 * driver, something left allocated or a check of the scenario broken. A failure comes with the
 * token that replays it and its shrunk choice list. See docs/verify.md.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type ChoiceRecord,
  type DriverModule,
  importModuleFile,
  NDIS_STATUS_SUCCESS,
  type TraceEvent,
  type Violation,
} from "../index.js";
import {
  type ExploreOptions,
  explore,
  type ObjectState,
  parseToken,
  reportFailure,
  runOnce,
  type SampleRange,
  sampleRange,
  sampleSpec,
  specToken,
} from "./explore.js";
import { runInWorkers } from "./pool.js";
import { resultOf } from "./result.js";
import { type DriverKind, Rig, type VerifyConfig } from "./rig.js";
import { DEFAULT_KINDS, SCENARIOS, type Scenario } from "./scenarios.js";

export {
  defineScenario,
  ScenarioContext,
  type ScenarioDefinition,
} from "./define.js";
export {
  decodePicks,
  type Exploration,
  type ExploreOptions,
  encodePicks,
  explore,
  FAULT_SITES,
  type ObjectState,
  parseToken,
  type RunOutcome,
  type RunSpec,
  runOnce,
  type StrategyName,
  shrink,
  specToken,
} from "./explore.js";
export { formatDetails, formatJUnit, formatScenarioLine, formatSummary } from "./report.js";
export type { DriverKind, VerifyConfig } from "./rig.js";

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly contract: string;
  readonly status: "pass" | "fail";
  /**
   * Wall-clock milliseconds the scenario took (all its runs, shrinking included). On worker
   * threads (`jobs`): the time workers spent on its runs, added up — what one thread would take,
   * not the span from its first run to its last (the workers ran other scenarios meanwhile).
   */
  readonly durationMs: number;
  /** Why it failed: the first violation's report, or the suite's check, or what threw. */
  readonly failure: string | null;
  /** The rule of the first violation, if one made it fail. */
  readonly rule: string | null;
  /** Runs made (the plain one included). */
  readonly runs?: number;
  /** Scheduler steps over those runs. */
  readonly steps?: number;
  /** The token that replays the reported (shrunk) failing run: `ndis verify DRIVER --replay TOKEN`. */
  readonly replay?: string | null;
  /** The token of the failing run as the explorer found it (its seed). */
  readonly found?: string | null;
  /** The shrunk choice list of the reported run. */
  readonly choices?: readonly number[];
  /** What each of those choices decided, labelled (which task ran, which fault, which mode). */
  readonly decisions?: readonly ChoiceRecord[];
  /** The DDI trace of the reported run (for the HTML report). */
  readonly events?: readonly TraceEvent[];
  /** The states of NDIS's objects when the reported run ended. */
  readonly states?: readonly ObjectState[];
  /** Every violation the verifier reported against the driver under test (reported run). */
  readonly violations: readonly Violation[];
  /**
   * For a single run (`--replay`, `--plain`): set when the driver refused bring-up under an
   * injected fault — a correct answer; the run then tore down what had started.
   */
  readonly refused?: string | null;
  /**
   * How much of the scenario's schedule space the runs covered: `complete` only when an
   * exhaustive search enumerated every schedule within its bound; otherwise the count of
   * schedules run, a sample.
   */
  readonly coverage?: { readonly complete: boolean; readonly schedules: number };
  /**
   * For a failure: runs (the plain one included) and wall-clock ms to the first failing run (on
   * worker threads, the time workers spent on the runs up to it, added up).
   */
  readonly firstBug?: { readonly runs: number; readonly ms: number } | null;
  /** Set when the scenario does not apply to the driver's kind: why (it was not run). */
  readonly skipped?: string;
  /** The kind of driver it ran against. */
  readonly kind?: DriverKind;
}

export interface ConformanceReport {
  readonly driver: string;
  /** The kind of driver the suite found (and placed it as). */
  readonly kind?: DriverKind;
  /** Scenarios that do not apply to that kind, each with why; never counted as failed. */
  readonly skipped?: readonly { readonly name: string; readonly reason: string }[];
  readonly results: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
}

export interface ConformanceOptions extends ExploreOptions {
  /** Run only these scenarios (by name). */
  readonly only?: readonly string[];
  /** Only the plain run of each scenario (no exploration). */
  readonly plain?: boolean;
  /** Told before and after each scenario (progress). */
  readonly onScenarioStart?: (scenario: Scenario) => void;
  readonly onScenarioEnd?: (result: ScenarioResult) => void;
  /**
   * Run the scenarios on this many worker threads (`--jobs`; the driver must be given as a path
   * or specifier). Without it, everything runs in this thread.
   */
  readonly jobs?: number;
  /** With `jobs`: real-time ms a worker may go without finishing a run before it is stopped. Default 30 000. */
  readonly runTimeoutMs?: number;
  /** Only the K-th of N shares of the scenarios (1-based): scenario i when i mod N = K − 1. */
  readonly shard?: { readonly index: number; readonly count: number };
  /**
   * Run these scenarios (`defineScenario`) instead of the suite's. They run in this thread
   * (a script is code, not something a worker can be sent).
   */
  readonly scenarios?: readonly Scenario[];
}

/** The scenarios, in the order they run. */
export function conformanceScenarios(): readonly Scenario[] {
  return SCENARIOS;
}

export { ENVIRONMENT_FAULTS, type EnvironmentFault } from "./scenarios.js";
export type { Scenario };

/** A driver under test called process.exit: thrown in its call instead, so it cannot end a run as a pass. */
export class DriverExit extends Error {
  override name = "DriverExit";
}

/** Runs `work` with process.exit turned into a DriverExit thrown at the caller (the driver). */
async function guardExit<T>(work: () => Promise<T>): Promise<T> {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new DriverExit(
      `the driver called process.exit(${code ?? ""}); a driver never ends the process`,
    );
  }) as typeof process.exit;
  try {
    return await work();
  } finally {
    process.exit = exit;
  }
}

/** Runs `scenario`: the plain run, then (unless `plain`) the explorer's runs. */
export function runScenario(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult> {
  const skipped = notFor(scenario, options.kind ?? "im");
  if (skipped !== null)
    return Promise.resolve({
      ...resultOf(scenario, performance.now(), 0, 0, null, null),
      skipped,
    });
  const kind = options.kind ?? "im";
  return guardExit(() => scenarioRuns(scenario, module, options)).then((r) => ({ ...r, kind }));
}

/**
 * `--jobs`: the sampled runs `from` … `to` − 1 of `scenario` (`sampleSpec`; -1 is the plain
 * run), stopping at the first failing one. pool.ts splits a scenario's runs into such stretches
 * and puts the result together as `explore` would have.
 */
export function runSamples(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
  from: number,
  to: number,
  onRun?: (runs: number) => void,
): Promise<SampleRange> {
  return guardExit(() => sampleRange(scenario, module, from, to, options, onRun));
}

/**
 * `--jobs`: the result of a scenario whose first failing run is the sample at `found.index`
 * (the lowest failing index over all stretches — the run a single thread would have stopped
 * at), after `found.runs` runs and `found.steps` steps: that run made again, shrunk and traced.
 */
export function failedScenario(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
  found: {
    readonly index: number;
    readonly runs: number;
    readonly steps: number;
    readonly ms: number;
  },
): Promise<ScenarioResult> {
  const kind = options.kind ?? "im";
  return guardExit(async () => {
    const started = performance.now();
    const spec = sampleSpec(found.index, options);
    const first = await runOnce(scenario, module, spec, options);
    const firstBug = { runs: found.runs, ms: found.ms };
    if (first.passed) {
      // Only a driver whose runs depend on more than their schedule (state kept from one run
      // to the next) gets here: say so rather than report a pass or a failure that won't replay.
      const result = resultOf(
        scenario,
        started,
        found.runs,
        found.steps,
        null,
        { spec },
        false,
        firstBug,
      );
      return {
        ...result,
        kind,
        status: "fail",
        failure: `${specToken(scenario.name, spec)} failed on one worker thread and passed when made again on another: the driver's runs depend on more than their schedule (state kept from one run to the next?)`,
      };
    }
    const reported = await reportFailure(scenario, module, first, options);
    return {
      ...resultOf(
        scenario,
        started,
        found.runs,
        found.steps,
        reported.failure,
        first,
        false,
        firstBug,
      ),
      kind,
    };
  });
}

const KIND_NAMES: Record<DriverKind, string> = {
  im: "an intermediate driver",
  filter: "a filter driver",
  miniport: "a miniport driver",
  protocol: "a protocol driver",
};

/** Why `scenario` does not apply to a driver of `kind`, or null when it does. */
export function notFor(scenario: Scenario, kind: DriverKind): string | null {
  const kinds = scenario.kinds ?? DEFAULT_KINDS;
  if (kinds.includes(kind)) return null;
  return `not for ${KIND_NAMES[kind]} (it checks ${kinds.map((k) => KIND_NAMES[k]).join(" or ")})`;
}

async function scenarioRuns(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
): Promise<ScenarioResult> {
  const started = performance.now();
  if (options.plain === true) {
    const run = await runOnce(scenario, module, { kind: "fifo" }, { ...options, trace: true });
    return resultOf(
      scenario,
      started,
      1,
      run.steps,
      run.passed ? null : run,
      run.passed ? null : run,
      false,
      run.passed ? null : { runs: 1, ms: performance.now() - started },
    );
  }
  const exploration = await explore(scenario, module, options);
  return resultOf(
    scenario,
    started,
    exploration.runs,
    exploration.steps,
    exploration.failure,
    exploration.found,
    exploration.complete,
    exploration.runsToBug === null
      ? null
      : { runs: exploration.runsToBug, ms: exploration.msToBug ?? 0 },
  );
}

/** Replays one run from its token (`scenario:random:SEED`, `scenario:picks:LIST`, …), traced. */
export async function replayRun(
  token: string,
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult> {
  const { scenario: name, spec } = parseToken(token);
  const suite = options.scenarios ?? SCENARIOS;
  const scenario = suite.find((s) => s.name === name);
  if (scenario === undefined)
    throw new Error(
      `replay token "${token}": no scenario named ${name}; the scenarios are ${suite.map((s) => s.name).join(", ")}`,
    );
  const started = performance.now();
  const driver = typeof module === "string" ? await importDriver(module) : module;
  const kind =
    options.kind ??
    (await checkDriverKind(
      driver,
      options.service ?? "imtest",
      typeof module === "string" ? module : "the module",
      options.config,
    ));
  assertCovered(kind, typeof module === "string" ? module : "the module");
  const skipped = notFor(scenario, kind);
  if (skipped !== null) throw new Error(`replay token "${token}": ${scenario.name} is ${skipped}`);
  const run = await runOnce(scenario, driver, spec, { ...options, kind, trace: true });
  const result = resultOf(scenario, started, 1, run.steps, run.passed ? null : run, null);
  return {
    ...result,
    replay: specToken(scenario.name, spec),
    choices: run.picks,
    decisions: run.decisions,
    events: run.events,
    states: run.states,
    refused: run.refused,
  };
}

/**
 * Imports a driver module from a file path (relative to the working directory) or a package
 * specifier, once, so every scenario loads the same module without waiting on the file system.
 */
export async function importDriver(specifier: string): Promise<DriverModule> {
  const target = existsSync(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
  const module = (await importModuleFile(target)) as Partial<DriverModule>;
  if (typeof module.DriverEntry !== "function")
    throw new Error(`${specifier} does not export a DriverEntry function`);
  return module as DriverModule;
}

/**
 * The scenarios `only` names (all when absent), in suite order, and of those the `shard`'s share:
 * the K-th of N takes every N-th from the K-th on, so the shards together are exactly the whole.
 */
export function selectScenarios(
  only: readonly string[] | undefined,
  shard?: { readonly index: number; readonly count: number },
  suite: readonly Scenario[] = SCENARIOS,
): Scenario[] {
  const chosen = suite.filter((s) => only === undefined || only.includes(s.name));
  if (shard === undefined) return chosen;
  if (
    !Number.isInteger(shard.count) ||
    !Number.isInteger(shard.index) ||
    shard.count < 1 ||
    shard.index < 1 ||
    shard.index > shard.count
  )
    throw new Error(`shard ${shard.index}/${shard.count}: expected K/N with 1 ≤ K ≤ N`);
  return chosen.filter((_, i) => i % shard.count === shard.index - 1);
}

/** The module is not a driver the suite can verify: one clear error instead of a failure per scenario. */
export class NotAnImDriver extends Error {
  override name = "NotAnImDriver";
}

/**
 * Loads the driver once on a plain host and tells what kind it is from what its DriverEntry
 * registered: a filter driver (NdisFRegisterFilterDriver), an intermediate driver (an
 * intermediate miniport edge and a protocol edge), a miniport driver alone, or a protocol driver
 * alone. A DriverEntry that fails or registers nothing is one clear error (NotAnImDriver).
 */
export async function checkDriverKind(
  driver: DriverModule,
  service: string,
  what: string,
  config?: VerifyConfig,
): Promise<DriverKind> {
  const rig = new Rig({ module: driver, service });
  let problem: string | null = null;
  let kind: DriverKind | null = null;
  try {
    const result = await guardExit(() =>
      rig.drive(
        `loading ${service}`,
        rig.host.loadDriver({
          name: service,
          module: driver,
          ...(config?.driver === undefined ? {} : { registry: config.driver }),
        }),
      ),
    );
    const info = rig.host.driver(service);
    const miniports = info?.miniportDrivers ?? [];
    const protocols = info?.protocolDrivers ?? [];
    const filters = info?.filterDrivers ?? [];
    if (result.status !== NDIS_STATUS_SUCCESS) {
      const violation = rig.host.violations[0];
      problem = `its DriverEntry returned 0x${(result.status >>> 0).toString(16)}${violation === undefined ? "" : ` (${violation.rule}: ${violation.message})`}`;
    } else if (filters.length > 0) kind = "filter";
    else if (miniports.some((m) => m.intermediate) && protocols.length > 0) kind = "im";
    else if (miniports.some((m) => m.intermediate))
      problem = "its DriverEntry registered an intermediate miniport edge but no protocol edge";
    else if (miniports.length > 0 && protocols.length === 0) kind = "miniport";
    else if (protocols.length > 0 && miniports.length === 0) kind = "protocol";
    else if (miniports.length > 0)
      problem =
        "its DriverEntry registered a miniport that is not intermediate and a protocol (an IM driver's miniport edge needs NDIS_INTERMEDIATE_DRIVER)";
    else problem = "its DriverEntry registered nothing";
    if (rig.host.driver(service) !== undefined)
      await rig.drive(`unloading ${service}`, rig.host.unloadDriver(service)).catch(() => {});
  } catch (err) {
    problem = `loading it failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (problem !== null || kind === null)
    throw new NotAnImDriver(
      `${what} is not an NDIS driver ndis verify can check: ${problem ?? "unknown"}. The suite needs a DriverEntry that registers a filter driver (NdisFRegisterFilterDriver), an intermediate driver (NdisMRegisterMiniportDriver with NDIS_INTERMEDIATE_DRIVER and NdisRegisterProtocolDriver), a miniport driver or a protocol driver; see docs/verify.md`,
    );
  return kind;
}

/**
 * Throws NotAnImDriver when no scenario of the suite applies to `kind`: a driver the suite
 * cannot check is one clear error, never an empty pass.
 */
export function assertCovered(kind: DriverKind, what: string): void {
  if (SCENARIOS.some((s) => notFor(s, kind) === null)) return;
  throw new NotAnImDriver(
    `${what} is ${KIND_NAMES[kind]}: ndis verify has no scenarios for ${KIND_NAMES[kind]} alone yet (it checks filter drivers and intermediate drivers); see docs/verify.md`,
  );
}

/** Runs the suite (or `options.only`) against an IM driver module or module path. */
export async function runConformance(
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const started = performance.now();
  const only = options.only;
  const suite = options.scenarios ?? SCENARIOS;
  if (only !== undefined) {
    const unknown = only.filter((name) => !suite.some((s) => s.name === name));
    if (unknown.length > 0)
      throw new Error(
        `no scenario named ${unknown.join(", ")}; the scenarios are ${suite.map((s) => s.name).join(", ")}`,
      );
  }
  const names = suite.map((s) => s.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`two scenarios are named ${twice}`);
  const selected = selectScenarios(only, options.shard, suite);
  let results: ScenarioResult[] = [];
  let kind: DriverKind | undefined = options.kind;
  if (options.jobs !== undefined && typeof module === "string" && options.scenarios === undefined) {
    // The driver is imported and checked in the workers only, where an endless loop (even in
    // its module's top level or DriverEntry) can be stopped.
    results = await runInWorkers(module, selected, options, options.jobs);
  } else {
    const driver = typeof module === "string" ? await importDriver(module) : module;
    const found = await checkDriverKind(
      driver,
      options.service ?? "imtest",
      typeof module === "string" ? module : "the module",
      options.config,
    );
    kind ??= found;
    assertCovered(kind, typeof module === "string" ? module : "the module");
    for (const scenario of selected) {
      const skips = notFor(scenario, kind) !== null;
      if (!skips) options.onScenarioStart?.(scenario);
      const result = await runScenario(scenario, driver, { ...options, kind });
      if (!skips) options.onScenarioEnd?.(result);
      results.push(result);
    }
  }
  const skipped = results.flatMap((r) =>
    r.skipped === undefined ? [] : [{ name: r.name, reason: r.skipped }],
  );
  kind ??= results.find((r) => r.kind !== undefined)?.kind;
  results = results.filter((r) => r.skipped === undefined);
  const failed = results.filter((r) => r.status === "fail").length;
  return {
    driver: typeof module === "string" ? module : "(module)",
    ...(kind === undefined ? {} : { kind }),
    ...(skipped.length === 0 ? {} : { skipped }),
    results,
    passed: results.length - failed,
    failed,
    durationMs: performance.now() - started,
  };
}

export {
  type HtmlFailure,
  type HtmlObjectState,
  type HtmlReportInput,
  type HtmlScenario,
  renderHtmlReport,
} from "./html.js";
