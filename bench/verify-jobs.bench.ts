/**
 * `ndis verify --jobs`: explored runs per second of real time with 1 and with 2 worker threads,
 * in paired rounds (1 then 2, ROUNDS times), each the same scenarios with the same seeds against
 * passthrough. Prints each round's runs/s and the ratio 2 jobs / 1 job per round, then the median
 * ratio. `npm run bench:verify-jobs`. On a shared machine the ratio says as much about the other
 * load as about the threads: report the load average with it.
 *
 * Environment: ROUNDS (default 3), RUNS (explored runs per scenario, default 20).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { runConformance } from "../src/verify/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RUNS = Number(process.env.RUNS ?? 20);
const DRIVER = fileURLToPath(new URL("../src/drivers/passthrough/index.ts", import.meta.url));
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

async function runsPerSecond(jobs: number): Promise<number> {
  const started = performance.now();
  const report = await runConformance(DRIVER, { only: ONLY, runs: RUNS, jobs });
  const seconds = (performance.now() - started) / 1000;
  const runs = report.results.reduce((n, r) => n + (r.runs ?? 0), 0);
  if (report.failed > 0) throw new Error("passthrough failed a scenario");
  return runs / seconds;
}

const ratios: number[] = [];
process.stdout.write(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}\n`,
);
for (let round = 1; round <= ROUNDS; round++) {
  const one = await runsPerSecond(1);
  const two = await runsPerSecond(2);
  ratios.push(two / one);
  process.stdout.write(
    `round ${round}: 1 job ${one.toFixed(1)} runs/s, 2 jobs ${two.toFixed(1)} runs/s, ratio ${(two / one).toFixed(2)} (load ${loadavg()[0]?.toFixed(1)})\n`,
  );
}
const sorted = [...ratios].sort((a, b) => a - b);
process.stdout.write(
  `median ratio 2 jobs / 1 job: ${(sorted[(sorted.length - 1) >> 1] ?? 0).toFixed(2)}\n`,
);
