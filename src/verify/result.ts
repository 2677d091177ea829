/**
 * A scenario's result from what its runs came to: the same whether the runs were made in this
 * thread or split between workers (pool.ts).
 */
import type { ChoiceRecord, TraceEvent, Violation } from "../index.js";
import type { ExploreOptions, ObjectState, RunOutcome, RunSpec } from "./explore.js";
import { specToken } from "./explore.js";
import type { DriverKind } from "./rig.js";
import type { Scenario } from "./scenarios.js";

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

/** `found` is the failing run as the explorer first made it; `reported`, its shrunk, traced replay. */
export function resultOf(
  scenario: Scenario,
  started: number,
  runs: number,
  steps: number,
  reported: RunOutcome | null,
  found: { readonly spec: RunSpec } | null,
  complete = false,
  firstBug: { runs: number; ms: number } | null = null,
): ScenarioResult {
  return {
    coverage: { complete, schedules: runs },
    firstBug,
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
