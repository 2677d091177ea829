/**
 * `ndis verify`: the conformance suite for an NDIS intermediate driver. Each scenario runs on its
 * own host (ManualClock, verifier strict) with the suite's lower miniport and upper protocol
 * around the driver under test, and passes only with no violation, no stopped driver, nothing
 * left allocated at the end and every check of the scenario met. See docs/verify.md.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type DriverModule,
  formatViolationReport,
  importModuleFile,
  type Violation,
} from "../index.js";
import { CheckFailed, Rig } from "./rig.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

export { formatDetails, formatJUnit, formatScenarioLine, formatSummary } from "./report.js";

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly contract: string;
  readonly status: "pass" | "fail";
  /** Wall-clock milliseconds the scenario took. */
  readonly durationMs: number;
  /** Why it failed: the first violation's report, or the suite's check, or what threw. */
  readonly failure: string | null;
  /** The rule of the first violation, if one made it fail. */
  readonly rule: string | null;
  /** Every violation the verifier reported against the driver under test. */
  readonly violations: readonly Violation[];
}

export interface ConformanceReport {
  readonly driver: string;
  readonly results: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
}

export interface ConformanceOptions {
  /** The service name the driver loads under. Default "imtest". */
  readonly service?: string;
  /** Run only these scenarios (by name). */
  readonly only?: readonly string[];
  /** Told before and after each scenario (progress). */
  readonly onScenarioStart?: (scenario: Scenario) => void;
  readonly onScenarioEnd?: (result: ScenarioResult) => void;
}

/** The scenarios, in the order they run. */
export function conformanceScenarios(): readonly Scenario[] {
  return SCENARIOS;
}

export type { Scenario };

function describeError(err: unknown): string {
  if (err instanceof CheckFailed) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export async function runScenario(
  scenario: Scenario,
  module: DriverModule | string,
  service = "imtest",
): Promise<ScenarioResult> {
  const started = performance.now();
  const rig = new Rig({ module, service, ...(scenario.rig ?? {}) });
  let thrown: unknown = null;
  try {
    await scenario.run(rig);
  } catch (err) {
    thrown = err;
  }
  const violations = rig.violations();
  const mine = violations.filter((v) => v.driver === service);
  const problems: string[] = [];
  let rule: string | null = null;
  const first = violations[0];
  if (first !== undefined) {
    rule = first.rule;
    problems.push(formatViolationReport(first));
    if (violations.length > 1) problems.push(`(${violations.length - 1} more violation(s))`);
  }
  if (thrown !== null) problems.push(describeError(thrown));
  const stopped = rig.host.stoppedDrivers;
  if (first === undefined && stopped.length > 0)
    problems.push(`stopped drivers: ${stopped.map((v) => v.driver ?? "?").join(", ")}`);
  if (problems.length === 0 && scenario.checkLeaks !== false) {
    const live = rig.host.liveObjects();
    if (live.length > 0)
      problems.push(
        `NDIS still holds ${live.length} object(s) at the end: ${live
          .slice(0, 5)
          .map((o) => `${o.kind} ${o.name} (${o.driver})`)
          .join(", ")}${live.length > 5 ? ", …" : ""}`,
      );
  }
  return {
    name: scenario.name,
    description: scenario.description,
    contract: scenario.contract,
    status: problems.length === 0 ? "pass" : "fail",
    durationMs: performance.now() - started,
    failure: problems.length === 0 ? null : problems.join("\n"),
    rule,
    violations: mine,
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
    const result = await runScenario(scenario, driver, options.service);
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
