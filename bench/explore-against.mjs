/**
 * The explorer of `ndis verify` against another build of it: bench-traffic (bench/explore.bench.ts)
 * and every race scenario, explored from seed 1 by each build's explorer, paired in one process
 * (order swapped every other round, CPU time — process.cpuUsage — after a full GC); the speed-up is
 * the median of the rounds' CPU-time ratios. Both builds must make the same runs and steps (same
 * seeds, same schedules), or it stops.
 *
 * Plain JavaScript run by plain node, on two tsc builds, because that is how `ndis verify` runs:
 * the same two builds compared in a process started with tsx's loader (`--import tsx`, as the .ts
 * benchmarks are) read ~20 % further apart.
 *
 *   git worktree add /tmp/base main && (cd /tmp/base && ln -s "$PWD/node_modules" . && npx tsc -p tsconfig.build.json)
 *   npm run build && AGAINST=/tmp/base/dist npm run bench:explore-against
 *
 * AGAINST=dist compares this build with itself: the harness's floor. ROUNDS (default 7).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { traffic } from "./traffic-scenario.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const against = process.env.AGAINST;
if (against === undefined) throw new Error("set AGAINST to another build's dist/ directory");

async function load(dir) {
  const base = pathToFileURL(resolve(dir)).href;
  const verify = await import(`${base}/verify/index.js`);
  return {
    explore: verify.explore,
    passthrough: await import(`${base}/drivers/passthrough/index.js`),
    races: verify.conformanceScenarios().filter((s) => s.name.startsWith("race-")),
  };
}

async function cell(build, what) {
  let runs = 0;
  let steps = 0;
  for (const sc of what === "traffic" ? [traffic] : build.races) {
    const result = await build.explore(sc, build.passthrough, {
      runs: what === "traffic" ? 200 : 30,
    });
    if (result.found !== null) throw new Error(`${sc.name} failed: ${result.found.failure}`);
    runs += result.runs;
    steps += result.steps;
  }
  return { runs, steps };
}

async function measured(work) {
  globalThis.gc?.();
  const start = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(start);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const other = await load(against);
const here = await load(new URL("../dist", import.meta.url).pathname);
console.log(`## Explored runs: this tree's dist/ against ${against}\n`);
console.log("| what | runs | steps | rounds | CPU, that build / this one, per round | median |");
console.log("| --- | ---: | ---: | ---: | --- | ---: |");
for (const what of ["traffic", "races"]) {
  await cell(other, what); // warm-up
  await cell(here, what);
  const ratios = [];
  let shape = { runs: 0, steps: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const times = new Map();
    for (const build of round % 2 === 0 ? [other, here] : [here, other])
      times.set(build, await measured(() => cell(build, what)));
    const a = times.get(other);
    const b = times.get(here);
    if (a.value.runs !== b.value.runs || a.value.steps !== b.value.steps)
      throw new Error(
        `${what}: the builds ran different schedules (${a.value.runs} runs, ${a.value.steps} steps against ${b.value.runs}, ${b.value.steps})`,
      );
    shape = b.value;
    ratios.push(a.cpuMs / b.cpuMs);
  }
  console.log(
    `| ${what === "traffic" ? "bench-traffic, plain + 200 random" : "every race scenario, plain + 30 random each"} | ${shape.runs} | ${shape.steps} | ${ROUNDS} | ${ratios.map((r) => r.toFixed(2)).join(", ")} | ${median(ratios).toFixed(2)}× |`,
  );
}
