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
 * Each round ends with a check of the machine: a pure arithmetic loop (no allocation, nothing
 * left to compile after its first milliseconds) on 1 and on 2 worker threads, and the ratio of
 * loops per second. On two free cores it reads about 2.0; when it reads less, the machine did not
 * give the cells two cores in that round either, and no code change can show 2-core scaling there.
 *
 * Environment: ROUNDS (default 3), RUNS (explored runs per scenario, default 100 — the CLI's
 * default budget; RUNS=1000 shows the steady state, where starting the workers matters less),
 * FROM (dist or src, default dist).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

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

/** Loops per second of a pure arithmetic loop on `threads` worker threads at once. */
async function loops(threads: number): Promise<number> {
  const code = `const { parentPort } = require("node:worker_threads"); let x = 0; for (let i = 0; i < 3e8; i++) x = (x * 31 + i) | 0; parentPort.postMessage(x);`;
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(code, { eval: true });
          w.once("message", () => {
            void w.terminate();
            resolve();
          });
          w.once("error", reject);
        }),
    ),
  );
  return threads / ((performance.now() - started) / 1000);
}

const ratios: number[] = [];
const machine: number[] = [];
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
  const check = (await loops(2)) / (await loops(1));
  machine.push(check);
  process.stdout.write(
    `round ${round}: 1 job ${one.runsPerSecond.toFixed(1)} runs/s (${one.cpuPerRun.toFixed(2)} ms CPU/run, load ${one.load}), ` +
      `2 jobs ${two.runsPerSecond.toFixed(1)} runs/s (${two.cpuPerRun.toFixed(2)} ms CPU/run, load ${two.load}), ` +
      `ratio ${(two.runsPerSecond / one.runsPerSecond).toFixed(2)}; machine check (pure loop, 2 threads / 1): ${check.toFixed(2)}\n`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1] ?? 0;
process.stdout.write(
  `median ratio 2 jobs / 1 job: ${median(ratios).toFixed(2)} (machine check ${median(machine).toFixed(2)})\n`,
);
