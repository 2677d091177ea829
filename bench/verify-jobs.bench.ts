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
 * Each round ends with two checks of the machine, each a loop on 1 and on 2 worker threads and
 * the ratio of loops per second: a pure arithmetic loop (no allocation, nothing left to compile
 * after its first milliseconds), and a loop that allocates small objects and looks them up in a
 * Map (what an explored run does most: its young generation is collected every few ms, by V8's
 * helper threads too). On two free cores the first reads about 2.0; when it reads less, the
 * machine did not give the cells two cores in that round either, and no code change can show
 * 2-core scaling there. The second says what two cores give a JavaScript workload that allocates.
 *
 * Each cell's CPU time is also split by thread (Linux: /proc/self/task, sampled every 50 ms):
 * the worker threads, V8's background threads (concurrent compiler, GC helpers: the threads that
 * existed before the cell started, the main thread aside) and the main thread. From that, "CPU
 * bound" = 2 × (1 job's worker CPU) / (2 jobs' CPU of all threads): the ratio 2 jobs could reach
 * if they kept both cores busy and 1 job took no longer than its worker's CPU — what the cells'
 * work allows whatever the load.
 *
 * Environment: ROUNDS (default 3), RUNS (explored runs per scenario, default 100 — the CLI's
 * default budget; RUNS=1000 shows the steady state, where starting the workers matters less),
 * FROM (dist or src, default dist).
 */
import { readdirSync, readFileSync } from "node:fs";
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
  /** CPU ms of the whole cell by thread: worker threads, V8's background threads, main thread. */
  readonly threads: {
    readonly workers: number;
    readonly background: number;
    readonly main: number;
  };
  readonly load: string;
}

const load = (): string => loadavg()[0]?.toFixed(1) ?? "?";

/** CPU ms of each thread of this process, by thread id (Linux; empty elsewhere). */
function threadCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime, in clock ticks (100 per second on Linux).
      cpu.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return cpu;
}

async function cell(jobs: number): Promise<Cell> {
  const before = load();
  const start = threadCpu();
  // A worker thread's figures are gone once it ends: keep the last ones read.
  const last = new Map(start);
  const sampler = setInterval(() => {
    for (const [tid, ms] of threadCpu()) last.set(tid, ms);
  }, 50);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await runConformance(DRIVER, { only: ONLY, runs: RUNS, jobs });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  for (const [tid, ms] of threadCpu()) last.set(tid, ms);
  const threads = { workers: 0, background: 0, main: 0 };
  for (const [tid, ms] of last) {
    const spent = ms - (start.get(tid) ?? 0);
    if (tid === String(process.pid)) threads.main += spent;
    else if (start.has(tid)) threads.background += spent;
    else threads.workers += spent;
  }
  const runs = report.results.reduce((n, r) => n + (r.runs ?? 0), 0);
  if (report.failed > 0) throw new Error("passthrough failed a scenario");
  return {
    runsPerSecond: runs / seconds,
    cpuPerRun: (used.user + used.system) / 1000 / runs,
    threads,
    load: `${before}→${load()}`,
  };
}

/** A pure arithmetic loop: nothing to allocate or collect. */
const ARITHMETIC = "let x = 0; for (let i = 0; i < 3e8; i++) x = (x * 31 + i) | 0;";
/** Small objects made and looked up in a Map: the young generation is collected every few ms. */
const OBJECTS =
  "const m = new Map(); let x = 0; for (let i = 0; i < 1e7; i++) { const k = i % 50000; let o = m.get(k); if (o === undefined) { o = { n: 0, l: [] }; m.set(k, o); } o.n++; if (o.l.length < 8) o.l.push({ i }); else o.l = []; x = (x + o.n) | 0; }";

/** Loops per second of `loop` on `threads` worker threads at once. */
async function loops(loop: string, threads: number): Promise<number> {
  const code = `const { parentPort } = require("node:worker_threads"); ${loop} parentPort.postMessage(x);`;
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
const allocating: number[] = [];
const bounds: number[] = [];
const split = (c: Cell): string =>
  `workers ${(c.threads.workers / 1000).toFixed(1)} s, V8 background ${(c.threads.background / 1000).toFixed(1)} s, main ${(c.threads.main / 1000).toFixed(1)} s`;
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
  const check = (await loops(ARITHMETIC, 2)) / (await loops(ARITHMETIC, 1));
  machine.push(check);
  const objects = (await loops(OBJECTS, 2)) / (await loops(OBJECTS, 1));
  allocating.push(objects);
  const all = two.threads.workers + two.threads.background + two.threads.main;
  const bound = all > 0 ? (2 * one.threads.workers) / all : Number.NaN;
  bounds.push(bound);
  process.stdout.write(
    `round ${round}: 1 job ${one.runsPerSecond.toFixed(1)} runs/s (${one.cpuPerRun.toFixed(2)} ms CPU/run: ${split(one)}; load ${one.load}), ` +
      `2 jobs ${two.runsPerSecond.toFixed(1)} runs/s (${two.cpuPerRun.toFixed(2)} ms CPU/run: ${split(two)}; load ${two.load}), ` +
      `ratio ${(two.runsPerSecond / one.runsPerSecond).toFixed(2)}, CPU bound ${bound.toFixed(2)}; ` +
      `machine checks (2 threads / 1): pure loop ${check.toFixed(2)}, allocating loop ${objects.toFixed(2)}\n`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1] ?? 0;
process.stdout.write(
  `median ratio 2 jobs / 1 job: ${median(ratios).toFixed(2)} (CPU bound ${median(bounds).toFixed(2)}; machine checks: pure loop ${median(machine).toFixed(2)}, allocating loop ${median(allocating).toFixed(2)})\n`,
);
