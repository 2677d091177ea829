/**
 * The explorer of `ndis verify` (src/verify/explore.ts, src/runtime/core/base/scheduler.ts):
 *
 *  1. Virtual time never waits: the same conformance scenarios, passthrough under the plain
 *     schedule, on the simulated scheduler's virtual time and on the same scheduler keeping
 *     wall-clock time (`time: "real"`, where every timer and watchdog is really waited for).
 *  2. Scheduler steps per second: the scheduler alone (tasks that post tasks, a seeded random
 *     strategy choosing among them); a small traffic scenario explored 200 times (64 one-NBL sends
 *     and 64 one-NBL receives racing through passthrough, the miniport below completing now, later
 *     or one by one, the protocol above returning now or later: most of a run is scheduler steps);
 *     and every race scenario of the suite explored 100 times (short races: a run is mostly the
 *     stack's bring-up and teardown, which are not scheduler steps).
 *
 * Run: npm run bench:explore. Figures are ratios within one run; record them in BENCHMARKS.md.
 */
import * as passthrough from "../src/drivers/passthrough/index.js";
import { randomStrategy, SimScheduler } from "../src/index.js";
import { conformanceScenarios, explore, runOnce, type Scenario } from "../src/verify/index.js";

const ONE_NBL = { nbs: 1, mdls: 1, size: 60 } as const;

/** 64 one-NBL sends and 64 one-NBL receives, posted as racing acts; everything must come back. */
const traffic: Scenario = {
  name: "bench-traffic",
  description: "64 sends and 64 receives of one NBL racing through the IM driver",
  contract: "the send and receive paths under any completion order",
  run: async (rig) => {
    await rig.up();
    const up = rig.upperOver("lower0");
    const down = rig.lowerAdapter("lower0");
    for (let i = 0; i < 64; i++) {
      rig.clock.post(() => rig.upper.send(up, 1, ONE_NBL, rig.tags(1)), "vfyupper: send 1 NBL");
      rig.clock.post(
        () => rig.lower.indicate(down, 1, ONE_NBL, rig.tags(1)),
        "vfylower: indicate 1 NBL",
      );
    }
    await rig.settle();
    if (up.outstanding.size !== 0 || down.indicated.size !== 0)
      throw new Error("bench-traffic: an NBL did not come back");
    await rig.down();
  },
};

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
console.log("\n## Scheduler steps per second\n");
console.log("| what | runs | steps | wall | steps/s | runs/s |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
const row = (what: string, runs: number, steps: number, ms: number) =>
  console.log(
    `| ${what} | ${runs === 0 ? "—" : fmt(runs)} | ${fmt(steps)} | ${fmt(ms)} ms | ${fmt((steps / ms) * 1000)} | ${runs === 0 ? "—" : fmt((runs / ms) * 1000)} |`,
  );

/** The scheduler alone: 8 actors, each task posts the actor's next until 1 M steps have run. */
function schedulerAlone(): { steps: number; ms: number } {
  const total = 1_000_000;
  const s = new SimScheduler(randomStrategy(1), { record: false });
  let left = total;
  const next = (actor: string) => () => {
    if (--left > 8) s.post(next(actor), `${actor}: step`);
  };
  for (let a = 0; a < 8; a++) s.post(next(`a${a}`), `a${a}: step`);
  const start = performance.now();
  while (s.step()) {}
  return { steps: s.steps, ms: performance.now() - start };
}

schedulerAlone(); // warm-up
await explore(traffic, passthrough, { runs: 20 }); // warm-up
// Paired: the two cells alternate for ROUNDS rounds; the ratio is the median of the rounds'.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const shares: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const alone = schedulerAlone();
  row("the scheduler alone (random strategy, 8 actors)", 0, alone.steps, alone.ms);
  const start = performance.now();
  const result = await explore(traffic, passthrough, { runs: 200 });
  const ms = performance.now() - start;
  if (result.found !== null) throw new Error(`bench-traffic failed: ${result.found.failure}`);
  row("bench-traffic (64 + 64 racing NBLs), explored: random + PCT", result.runs, result.steps, ms);
  shares.push(result.steps / ms / (alone.steps / alone.ms));
}
shares.sort((a, b) => a - b);
console.log(
  `\nbench-traffic steps/s as a share of the scheduler alone, per round: ${shares.map((x) => `${(x * 100).toFixed(1)} %`).join(", ")}; median ${((shares[shares.length >> 1] as number) * 100).toFixed(1)} %\n`,
);

let raceRuns = 0;
let raceSteps = 0;
let raceMs = 0;
for (const sc of conformanceScenarios().filter((s) => s.name.startsWith("race-"))) {
  const start = performance.now();
  const result = await explore(sc, passthrough, { runs: 100 });
  const ms = performance.now() - start;
  if (result.found !== null) throw new Error(`${sc.name} failed: ${result.found.failure}`);
  row(`${sc.name}, explored`, result.runs, result.steps, ms);
  raceRuns += result.runs;
  raceSteps += result.steps;
  raceMs += ms;
}
row("every race scenario, together", raceRuns, raceSteps, raceMs);
