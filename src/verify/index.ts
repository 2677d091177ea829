/**
 * `ndis verify`: the conformance suite for an NDIS intermediate driver. Each scenario runs on its
 * own host (simulated scheduler, verifier strict) with the suite's lower miniport and upper
 * protocol around the driver under test — first in the plain order (what a plain test sees), then
 * under the explorer's schedules — and passes only when no run finds a violation, a stopped
 * driver, something left allocated or a check of the scenario broken. A failure comes with the
 * token that replays it and its shrunk choice list. See docs/verify.md. The pieces live below:
 * result.ts (what a scenario came to), conformance.ts (running one scenario, in this thread or
 * on a worker), pool.ts and worker.ts (`--jobs`); this file composes them.
 */
import type { DriverModule } from "../index.js";
import {
  assertCovered,
  checkBringUp,
  checkDriverKind,
  importDriver,
  notFor,
  runScenario,
  selectScenarios,
} from "./conformance.js";
import { runInWorkers } from "./pool.js";
import type { ConformanceOptions, ConformanceReport, ScenarioResult } from "./result.js";
import type { DriverKind } from "./rig.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

export {
  assertCovered,
  checkBringUp,
  checkDriverKind,
  conformanceScenarios,
  DriverExit,
  DriverNotUp,
  failedScenario,
  importDriver,
  NotAnImDriver,
  notFor,
  replayRun,
  runSamples,
  runScenario,
  selectScenarios,
} from "./conformance.js";
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

export type { ConformanceOptions, ConformanceReport, ScenarioResult } from "./result.js";
export type { DriverKind, VerifyConfig } from "./rig.js";
export { ENVIRONMENT_FAULTS, type EnvironmentFault } from "./scenarios.js";
export type { Scenario };

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
    if (options.scenarios === undefined)
      await checkBringUp(
        driver,
        options.service ?? "imtest",
        kind,
        typeof module === "string" ? module : "the module",
        options.config,
      );
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
