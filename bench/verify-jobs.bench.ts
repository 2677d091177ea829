/**
 * `ndis verify --jobs`: explored runs per second of real time with 1 and with 2 worker threads,
 * each the same scenarios with the same seeds against passthrough, start to end (starting the
 * workers included: that is what a user waits for). The two cells are paired in rounds — each
 * round runs both, 1 then 2 in odd rounds and 2 then 1 in even ones, so a machine getting busier
 * or quieter during a round does not favour one cell — and the figure is the median over rounds
 * of the per-round ratio 2 jobs / 1 job. Nothing is shared between cells: each starts its own
 * workers. The ratio is not bounded below by 1: with small run counts or a busy machine it has
 * read 0.8 (BENCHMARKS.md).
 *
 * Also printed per cell: the CPU time of the whole process (all threads — the workers, V8's
 * compiler and GC threads, the main thread) per run, which says how much work the cell did
 * whatever the load; and the load average before and after it. On a shared machine the ratio
 * says as much about the other load as about the threads: report the load average with it.
 *
 * It measures the built code in dist/ — what `ndis verify` runs — so each worker loads plain
 * JavaScript; the npm script builds dist/ first. FROM=src measures src/ instead, where every
 * worker also starts the TypeScript loader (about 0.4 s more CPU per worker).
 *
 * Environment: ROUNDS (default 3), RUNS (explored runs per scenario, default 100 — the CLI's
 * default budget; RUNS=1000 shows the steady state, where starting the workers matters less),
 * FROM (dist or src, default dist).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RUNS = Number(process.env.RUNS ?? 100);
const FROM = process.env.FROM === "src" ? "src" : "dist";
const at = (path: string) => new URL(`../${FROM}/${path}`, import.meta.url);
const { runConformance } = (await import(
  at(`verify/index.${FROM === "src" ? "ts" : "js"}`).href
)) as typeof import("../src/verify/index.js");
const DRIVER = fileURLToPath(at(`drivers/passthrough/index.${FROM === "src" ? "ts" : "js"}`));
// Every scenario but the matrix (whose one long scenario would bound the 2-job time by itself).
const ONLY = [
  "bring-up-adapter-first",
  "bring-up-im-first",
  "surprise-removal",
  "pause-restart-under-traffic",
  "send-cancel",
  "receive-resources",
  "oid-requests",
  "surprise-removal-under-traffic",
  "shutdown",
  "power",
  "link-status",
  "race-pause-traffic",
  "race-vm-pause-receives",
  "race-oid-cancel",
  "race-send-cancel",
  "race-surprise-removal",
  "race-receive-resources",
  "race-unbind-receives",
  "race-disable-vm",
];

interface Cell {
  readonly runsPerSecond: number;
  /** Process CPU ms (all threads) per run. */
  readonly cpuPerRun: number;
  readonly load: string;
}

const load = (): string => loadavg()[0]?.toFixed(1) ?? "?";

async function cell(jobs: number): Promise<Cell> {
  const before = load();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await runConformance(DRIVER, { only: ONLY, runs: RUNS, jobs });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const runs = report.results.reduce((n, r) => n + (r.runs ?? 0), 0);
  if (report.failed > 0) throw new Error("passthrough failed a scenario");
  return {
    runsPerSecond: runs / seconds,
    cpuPerRun: (used.user + used.system) / 1000 / runs,
    load: `${before}→${load()}`,
  };
}

const ratios: number[] = [];
process.stdout.write(
  `RUNS=${RUNS} per scenario, ${ONLY.length} scenarios, code from ${FROM}/; load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}\n`,
);
for (let round = 1; round <= ROUNDS; round++) {
  let one: Cell;
  let two: Cell;
  if (round % 2 === 1) {
    one = await cell(1);
    two = await cell(2);
  } else {
    two = await cell(2);
    one = await cell(1);
  }
  ratios.push(two.runsPerSecond / one.runsPerSecond);
  process.stdout.write(
    `round ${round}: 1 job ${one.runsPerSecond.toFixed(1)} runs/s (${one.cpuPerRun.toFixed(2)} ms CPU/run, load ${one.load}), ` +
      `2 jobs ${two.runsPerSecond.toFixed(1)} runs/s (${two.cpuPerRun.toFixed(2)} ms CPU/run, load ${two.load}), ` +
      `ratio ${(two.runsPerSecond / one.runsPerSecond).toFixed(2)}\n`,
  );
}
const sorted = [...ratios].sort((a, b) => a - b);
process.stdout.write(
  `median ratio 2 jobs / 1 job: ${(sorted[(sorted.length - 1) >> 1] ?? 0).toFixed(2)}\n`,
);
