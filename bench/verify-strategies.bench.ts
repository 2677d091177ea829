/**
 * Strategies of `ndis verify` on the project's planted bugs (test/fixtures/racy-im.ts,
 * planted-im.ts, planted-alt.ts): for each bug and each strategy, explore its scenario from seed 1 (no shrinking)
 * up to BUDGET runs and record the runs (the plain one included) and wall-clock ms to the first
 * failing run, or "not found". `npm run bench:verify-strategies`; the table goes to BENCHMARKS.md.
 *
 * Environment: BUDGET (default 300), ONLY (comma-separated bug names).
 */
import { explore, importDriver, type StrategyName } from "../src/verify/index.js";
import { SCENARIOS } from "../src/verify/scenarios.js";
import { plantedAlt } from "../test/fixtures/planted-alt.js";
import { plantedIm } from "../test/fixtures/planted-im.js";
import { racyIm } from "../test/fixtures/racy-im.js";
import { materialize } from "../test/helpers/mutants.js";

const BUDGET = Number(process.env.BUDGET ?? 300);
const ONLY = process.env.ONLY?.split(",");
const bugs = [
  ...Object.values(racyIm),
  ...Object.values(plantedIm),
  ...Object.values(plantedAlt),
].filter((b) => ONLY === undefined || ONLY.includes(b.name));
const mixes: { name: string; strategies: StrategyName[] }[] = [
  { name: "random", strategies: ["random"] },
  { name: "pct", strategies: ["pct"] },
  { name: "random+pct", strategies: ["random", "pct"] },
  { name: "exhaustive (bound 2)", strategies: ["exhaustive"] },
];

const rows: string[] = [];
const totals = new Map<string, { found: number; runs: number[] }>();
for (const bug of bugs) {
  const scenario = SCENARIOS.find((s) => s.name === bug.scenario);
  if (scenario === undefined) throw new Error(`no scenario ${bug.scenario}`);
  const module = await importDriver(materialize(bug));
  const cells: string[] = [];
  for (const mix of mixes) {
    const result = await explore(scenario, module, {
      strategies: mix.strategies,
      runs: BUDGET,
      shrink: false,
      bound: 2,
    });
    const total = totals.get(mix.name) ?? { found: 0, runs: [] };
    totals.set(mix.name, total);
    if (result.runsToBug === null) cells.push(`not found (${result.runs})`);
    else {
      total.found++;
      total.runs.push(result.runsToBug);
      cells.push(`${result.runsToBug} runs, ${Math.round(result.msToBug ?? 0)} ms`);
    }
  }
  const row = `| \`${bug.name}\` | \`${bug.scenario}\` | ${cells.join(" | ")} |`;
  rows.push(row);
  process.stderr.write(`${row}\n`);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1] as number);
};
process.stdout.write(
  [
    `| planted bug | scenario | ${mixes.map((m) => m.name).join(" | ")} |`,
    `| --- | --- | ${mixes.map(() => "---").join(" | ")} |`,
    ...rows,
    `| **found** (median runs to first bug) | | ${mixes
      .map((m) => {
        const t = totals.get(m.name);
        return `${t?.found ?? 0}/${bugs.length} (${median(t?.runs ?? [])})`;
      })
      .join(" | ")} |`,
    "",
  ].join("\n"),
);
