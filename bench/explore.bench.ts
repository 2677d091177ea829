/**
 * The explorer of `ndis verify` (src/verify/explore.ts, src/runtime/core/base/scheduler.ts):
 *
 *  1. Virtual time never waits: the same conformance scenarios, passthrough under the plain
 *     schedule, on the simulated scheduler's virtual time and on the same scheduler keeping
 *     wall-clock time (`time: "real"`, where every timer and watchdog is really waited for).
 *  2. Scheduler steps per second: the scheduler alone (tasks that post tasks, a seeded random
 *     strategy choosing among them) and a small traffic scenario explored as `ndis verify` explores
 *     by default (the plain run, then 200 seeded random runs: 64 one-NBL sends
 *     and 64 one-NBL receives racing through passthrough, the miniport below completing now, later
 *     or one by one, the protocol above returning now or later: most of a run is scheduler steps);
 *     and every race scenario of the suite explored 100 times (short races: a run is mostly the
 *     stack's bring-up and teardown, which are not scheduler steps). The first two are paired:
 *     both run in every round (ROUNDS, default 5, order swapped every other round), each timed
 *     in CPU time after a full GC, and the share is the median of the rounds' ratios.
 *
 * Run: npm run bench:explore. Figures are ratios within one run; record them in BENCHMARKS.md.
 */
import * as passthrough from "../src/drivers/passthrough/index.js";
import { randomStrategy, SimScheduler } from "../src/index.js";
import { conformanceScenarios, explore, runOnce, type Scenario } from "../src/verify/index.js";
import { median } from "./paired.js";
import { traffic } from "./traffic-scenario.mjs";

const scenario = (name: string): Scenario => {
  const found = conformanceScenarios().find((s) => s.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
};

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

// ————————————————————————————————————————————————— 1. virtual time against real time
console.log("## Virtual time against real time (passthrough, plain schedule)\n");
console.log("| scenario | host time | wall, virtual | wall, real time | real / virtual |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const name of ["pause-restart-under-traffic", "oid-requests", "race-pause-traffic"]) {
  const sc = scenario(name);
  await runOnce(sc, passthrough, { kind: "fifo" }); // warm-up
  const wall: Record<string, number> = {};
  let hostMs = 0;
  for (const time of ["virtual", "real"] as const) {
    const start = performance.now();
    const outcome = await runOnce(sc, passthrough, { kind: "fifo" }, { time });
    wall[time] = performance.now() - start;
    if (!outcome.passed) throw new Error(`${name} (${time}) failed: ${outcome.failure}`);
    if (time === "virtual") hostMs = outcome.virtualMs;
  }
  const virtualMs = wall.virtual as number;
  const realMs = wall.real as number;
  console.log(
    `| ${name} | ${fmt(hostMs)} ms | ${fmt(virtualMs, 1)} ms | ${fmt(realMs, 1)} ms | ${fmt(realMs / virtualMs, 0)}× |`,
  );
}

// ————————————————————————————————————————————————— 2. steps per second
// Each cell's time is the process's CPU time (user + system, process.cpuUsage), not wall time: on
// the shared machine the process is descheduled for whole time slices inside a cell, and wall
// time would charge them to whichever cell was running. Both cells count the same thing — the
// scheduler's `steps` (tasks and timers run) — on a SimScheduler keeping no decision record.
console.log("\n## Scheduler steps per second\n");
console.log("| what | runs | steps | CPU | wall | steps per CPU s | runs per CPU s |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
const row = (what: string, runs: number, steps: number, cpuMs: number, wallMs: number) =>
  console.log(
    `| ${what} | ${runs === 0 ? "—" : fmt(runs)} | ${fmt(steps)} | ${fmt(cpuMs)} ms | ${fmt(wallMs)} ms | ${fmt((steps / cpuMs) * 1000)} | ${runs === 0 ? "—" : fmt((runs / cpuMs) * 1000)} |`,
  );

/** CPU and wall milliseconds of `work`, after a full GC (when exposed) so no cell pays for another's garbage. */
async function measured<T>(
  work: () => T | Promise<T>,
): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

/** The scheduler alone: 8 actors, each task posts the actor's next until 1 M steps have run. */
function schedulerAlone(): number {
  const total = 1_000_000;
  const s = new SimScheduler(randomStrategy(1), { record: false });
  let left = total;
  const next = (actor: string) => () => {
    if (--left > 8) s.post(next(actor), `${actor}: step`);
  };
  for (let a = 0; a < 8; a++) s.post(next(`a${a}`), `a${a}: step`);
  while (s.step()) {}
  return s.steps;
}

/** bench-traffic explored as `ndis verify` explores by default (the plain run, then random). */
async function trafficExplored(runs: number) {
  const result = await explore(traffic, passthrough, { runs });
  if (result.found !== null) throw new Error(`bench-traffic failed: ${result.found.failure}`);
  return result;
}

schedulerAlone(); // warm-up
await trafficExplored(20); // warm-up
// Paired: both cells run in every round, their order swapped every other round; the share is
// the median of the rounds' (each a ratio of steps per CPU second within one round).
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const shares: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let alone = { value: 0, cpuMs: 0, wallMs: 0 };
  let explored = { value: { runs: 0, steps: 0 }, cpuMs: 0, wallMs: 0 };
  for (const cell of round % 2 === 0 ? ["alone", "traffic"] : ["traffic", "alone"]) {
    if (cell === "alone") alone = await measured(schedulerAlone);
    else explored = await measured(() => trafficExplored(200));
  }
  row("the scheduler alone (random strategy, 8 actors)", 0, alone.value, alone.cpuMs, alone.wallMs);
  row(
    "bench-traffic (64 + 64 racing NBLs), explored: plain + 200 random",
    explored.value.runs,
    explored.value.steps,
    explored.cpuMs,
    explored.wallMs,
  );
  shares.push(explored.value.steps / explored.cpuMs / (alone.value / alone.cpuMs));
}
console.log(
  `\nbench-traffic steps per CPU second as a share of the scheduler alone, per round: ${shares.map((x) => `${(x * 100).toFixed(1)} %`).join(", ")}; median ${(median(shares) * 100).toFixed(1)} %\n`,
);

let raceRuns = 0;
let raceSteps = 0;
let raceMs = 0;
let raceWall = 0;
for (const sc of conformanceScenarios().filter((s) => s.name.startsWith("race-"))) {
  const {
    value: result,
    cpuMs,
    wallMs,
  } = await measured(() => explore(sc, passthrough, { runs: 100 }));
  if (result.found !== null) throw new Error(`${sc.name} failed: ${result.found.failure}`);
  row(`${sc.name}, explored`, result.runs, result.steps, cpuMs, wallMs);
  raceRuns += result.runs;
  raceSteps += result.steps;
  raceMs += cpuMs;
  raceWall += wallMs;
}
row("every race scenario, together", raceRuns, raceSteps, raceMs, raceWall);
