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
  type TraceEvent,
  type Violation,
} from "../index.js";
import {
  type ExploreOptions,
  explore,
  type ObjectState,
  parseToken,
  type RunOutcome,
  runOnce,
  specToken,
} from "./explore.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

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

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly contract: string;
  readonly status: "pass" | "fail";
  /** Wall-clock milliseconds the scenario took (all its runs, shrinking included). */
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
}

export interface ConformanceReport {
  readonly driver: string;
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
}

/** The scenarios, in the order they run. */
export function conformanceScenarios(): readonly Scenario[] {
  return SCENARIOS;
}

export { ENVIRONMENT_FAULTS, type EnvironmentFault } from "./scenarios.js";
export type { Scenario };

function resultOf(
  scenario: Scenario,
  started: number,
  runs: number,
  steps: number,
  reported: RunOutcome | null,
  found: RunOutcome | null,
): ScenarioResult {
  return {
    name: scenario.name,
    description: scenario.description,
    contract: scenario.contract,
    status: reported === null ? "pass" : "fail",
    durationMs: performance.now() - started,
    failure: reported?.failure ?? null,
    rule: reported?.rule ?? null,
    runs,
    steps,
    replay: reported === null ? null : specToken(scenario.name, reported.spec),
    found: found === null ? null : specToken(scenario.name, found.spec),
    choices: reported?.picks ?? [],
    decisions: reported?.decisions ?? [],
    events: reported?.events ?? [],
    states: reported?.states ?? [],
    violations: reported?.violations ?? [],
  };
}

/** Runs `scenario`: the plain run, then (unless `plain`) the explorer's runs. */
export async function runScenario(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions = {},
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
  );
}

/** Replays one run from its token (`scenario:random:SEED`, `scenario:picks:LIST`, …), traced. */
export async function replayRun(
  token: string,
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult> {
  const { scenario: name, spec } = parseToken(token);
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined)
    throw new Error(
      `replay token "${token}": no scenario named ${name}; the scenarios are ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  const started = performance.now();
  const driver = typeof module === "string" ? await importDriver(module) : module;
  const run = await runOnce(scenario, driver, spec, { ...options, trace: true });
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

/** Runs the suite (or `options.only`) against an IM driver module or module path. */
export async function runConformance(
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const started = performance.now();
  const only = options.only;
  if (only !== undefined) {
    const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
    if (unknown.length > 0)
      throw new Error(
        `no scenario named ${unknown.join(", ")}; the scenarios are ${SCENARIOS.map((s) => s.name).join(", ")}`,
      );
  }
  const driver = typeof module === "string" ? await importDriver(module) : module;
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    options.onScenarioStart?.(scenario);
    const result = await runScenario(scenario, driver, options);
    options.onScenarioEnd?.(result);
    results.push(result);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  return {
    driver: typeof module === "string" ? module : "(module)",
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
