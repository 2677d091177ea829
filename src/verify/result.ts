/**
 * A scenario's result from what its runs came to: the same whether the runs were made in this
 * thread or split between workers (pool.ts).
 */
import type { RunOutcome, RunSpec } from "./explore.js";
import { specToken } from "./explore.js";
import type { ScenarioResult } from "./index.js";
import type { Scenario } from "./scenarios.js";

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
