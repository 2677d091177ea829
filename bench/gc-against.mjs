/**
 * Whether a finished explored run's objects die young: this tree's dist/ against another build,
 * paired in one process (order swapped every other round). Each cell explores bench-traffic
 * (bench/explore.bench.ts) through the passthrough IM driver for RUNS runs and reads, per run:
 * bytes promoted to the old generation by scavenges (v8.GCProfiler: the old spaces' growth across
 * each scavenge), the number of scavenges and mark-compacts, and CPU time of the whole process
 * (process.cpuUsage: every thread, so V8's GC helper threads too). Both builds must make the same
 * runs and steps, or it stops.
 *
 *   git worktree add /tmp/base main && (cd /tmp/base && ln -s "$PWD/node_modules" . && npx tsc -p tsconfig.build.json)
 *   npm run build && AGAINST=/tmp/base/dist node --expose-gc bench/gc-against.mjs
 *
 * AGAINST=dist compares this build with itself: the harness's floor. ROUNDS (default 7), RUNS
 * (default 2000 per cell), WHAT=suite: the 19 scenarios of bench:verify-jobs instead, RUNS shared among them.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { traffic } from "./traffic-scenario.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const RUNS = Number(process.env.RUNS ?? 2000);
const against = process.env.AGAINST;
/** The scenarios of bench/verify-jobs.bench.ts (those passthrough, an IM driver, is run with). */
const SUITE = [
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
/** `traffic` (bench-traffic) or `suite` (the 19 scenarios of bench:verify-jobs, RUNS shared). */
const WHAT = process.env.WHAT ?? "traffic";
if (against === undefined) throw new Error("set AGAINST to another build's dist/ directory");

async function load(dir) {
  const base = pathToFileURL(resolve(dir)).href;
  const verify = await import(`${base}/verify/index.js`);
  return {
    explore: verify.explore,
    passthrough: await import(`${base}/drivers/passthrough/index.js`),
    scenarios: verify.conformanceScenarios().filter((s) => SUITE.includes(s.name)),
  };
}

const OLD_SPACES = new Set([
  "old_space",
  "code_space",
  "map_space",
  "large_object_space",
  "code_large_object_space",
  "shared_space",
  "trusted_space",
]);

function oldUsed(stats) {
  let sum = 0;
  for (const s of stats) if (OLD_SPACES.has(s.spaceName)) sum += s.spaceUsedSize;
  return sum;
}

async function cell(build, runs) {
  globalThis.gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const start = process.cpuUsage();
  const result = { runs: 0, steps: 0 };
  for (const sc of WHAT === "traffic" ? [traffic] : build.scenarios) {
    const r = await build.explore(sc, build.passthrough, {
      runs: WHAT === "traffic" ? runs : Math.ceil(runs / build.scenarios.length),
    });
    if (r.found !== null) throw new Error(`${sc.name} failed: ${r.found.failure}`);
    result.runs += r.runs;
    result.steps += r.steps;
  }
  const used = process.cpuUsage(start);
  const { statistics } = profiler.stop();
  let promoted = 0;
  let scavenges = 0;
  let markCompacts = 0;
  for (const gc of statistics) {
    if (gc.gcType === "Scavenge") {
      scavenges++;
      promoted +=
        oldUsed(gc.afterGC.heapSpaceStatistics) - oldUsed(gc.beforeGC.heapSpaceStatistics);
    } else if (gc.gcType === "MarkSweepCompact") markCompacts++;
  }
  return {
    runs: result.runs,
    steps: result.steps,
    cpuUsPerRun: (used.user + used.system) / result.runs,
    promotedPerRun: promoted / result.runs,
    scavenges,
    markCompacts,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const other = await load(against);
const here = await load(new URL("../dist", import.meta.url).pathname);
await cell(other, 300); // warm-up
await cell(here, 300);
console.log(
  `## bench-traffic through passthrough, ${RUNS} runs per cell: ${against} (that) against this tree's dist/ (this)\n`,
);
console.log(
  "| round | promoted B/run that / this | CPU µs/run that / this | scavenges that / this | mark-compacts that / this | CPU ratio that/this |",
);
console.log("| ---: | --- | --- | --- | --- | ---: |");
const cpuRatios = [];
const promotedThat = [];
const promotedThis = [];
for (let round = 0; round < ROUNDS; round++) {
  const cells = new Map();
  for (const build of round % 2 === 0 ? [other, here] : [here, other])
    cells.set(build, await cell(build, RUNS));
  const a = cells.get(other);
  const b = cells.get(here);
  if (a.runs !== b.runs || a.steps !== b.steps)
    throw new Error(
      `the builds ran different schedules (${a.runs} runs, ${a.steps} steps against ${b.runs}, ${b.steps})`,
    );
  cpuRatios.push(a.cpuUsPerRun / b.cpuUsPerRun);
  promotedThat.push(a.promotedPerRun);
  promotedThis.push(b.promotedPerRun);
  console.log(
    `| ${round + 1} | ${Math.round(a.promotedPerRun)} / ${Math.round(b.promotedPerRun)} | ${a.cpuUsPerRun.toFixed(0)} / ${b.cpuUsPerRun.toFixed(0)} | ${a.scavenges} / ${b.scavenges} | ${a.markCompacts} / ${b.markCompacts} | ${(a.cpuUsPerRun / b.cpuUsPerRun).toFixed(3)} |`,
  );
}
console.log(
  `\nmedian promoted B/run: that ${Math.round(median(promotedThat))}, this ${Math.round(median(promotedThis))}; median CPU ratio that/this ${median(cpuRatios).toFixed(3)}`,
);
