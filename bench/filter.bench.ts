/**
 * What a filter module costs on the data path, as ratios of cells paired in the same rounds of
 * one run, verifier off: a protocol sending to a miniport (send + completion) and a miniport
 * indicating to a protocol (receive + return), through
 *
 *   direct:  no filter;
 *   filter:  a running filter-passthrough module;
 *   bypass:  filter-passthrough registered without send/receive handlers (NDIS bypasses it).
 *
 * Time is the process's CPU time (user + system) while a cell runs (process.cpuUsage), as in
 * bench/datapath.bench.ts: on a shared machine wall time charges a descheduled time slice to
 * whichever cell was running. Cells last 15 ms or more, since the kernel may account CPU time in
 * ticks of a few milliseconds. Every round measures every cell once, the order reversed every other
 * round; a ratio is the median of the per-round ratios (with the range over the rounds).
 *
 * Allocation: bytes per packet of each cell after the rounds, from V8's used heap around the loop
 * plus what every collection in between freed (test/helpers/alloc.ts), the fewer of two readings.
 *
 * Run: npm run bench:filter (ROUNDS, WARMUP_ROUNDS, ROUND_PACKETS, ALLOC_PACKETS, SIZES override
 * the defaults; PER_ROUND=1 prints every round's nanoseconds per packet of every cell).
 */
import { bytesPerPacket } from "../test/helpers/alloc.js";
import { type DataPathStack, dataPathStack } from "../test/helpers/datapath-rig.js";
import { cpuTimeNs, median } from "./paired.js";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
/** Packets per cell per round at 64-NBL batches (a quarter of it at smaller batches). */
const ROUND_PACKETS = Number(process.env.ROUND_PACKETS ?? 960_000);
const ALLOC_PACKETS = Number(process.env.ALLOC_PACKETS ?? 640_000);
const SIZES = (process.env.SIZES ?? "64,1").split(",").map(Number);
/** Rounds run before the recorded ones (every cell, both orders), so that V8's code has settled. */
const WARMUP_ROUNDS = Number(process.env.WARMUP_ROUNDS ?? 4);

const NAMES = ["direct", "filter", "bypass"] as const;
type Name = (typeof NAMES)[number];
const DIRECTIONS = ["send", "indicate"] as const;

const run = cpuTimeNs;

const fixed = (x: number, d = 2) => x.toFixed(d);

console.log(
  `Node ${process.version}, ${ROUNDS} rounds of ${ROUND_PACKETS} packets per cell (CPU time), ${ALLOC_PACKETS} packets per allocation reading`,
);
const table: string[] = [];
const ratios: string[] = [];
const allocs: string[] = [];
for (const size of SIZES) {
  const stacks: Record<Name, DataPathStack> = {
    direct: await dataPathStack({ layers: 0, verifier: "off", batch: size }),
    filter: await dataPathStack({ layers: 0, verifier: "off", batch: size, filter: "running" }),
    bypass: await dataPathStack({ layers: 0, verifier: "off", batch: size, filter: "bypass" }),
  };
  // Cells of 15 ms or more: the kernel may account CPU time in 4 ms ticks.
  const packets = size >= 64 ? ROUND_PACKETS : ROUND_PACKETS / 4;
  const batches = Math.max(1, Math.round(packets / size));
  for (const dir of DIRECTIONS) {
    const ns = new Map<Name, number[]>(NAMES.map((n) => [n, []]));
    // Warm-up: whole rounds, both orders, not recorded. One pass of each cell is not enough: the
    // filter cell's first run deoptimizes code the direct cell shares (NdisSendNetBufferLists,
    // sendFast: another adapter's map), and the first recorded direct cell then ran at a third of
    // its speed while V8 optimized it again (session 8's low ends of the ranges, 0.4-1.3).
    for (let round = 0; round < WARMUP_ROUNDS; round++)
      for (const name of round % 2 === 0 ? NAMES : [...NAMES].reverse())
        run(stacks[name][dir], batches);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? NAMES : [...NAMES].reverse();
      for (const name of order)
        ns.get(name)?.push(run(stacks[name][dir], batches) / (batches * size));
    }
    const per = (name: Name) => {
      const d = ns.get("direct") as number[];
      const x = ns.get(name) as number[];
      return x.map((v, i) => v / (d[i] as number));
    };
    const label = dir === "send" ? "send+complete" : "receive+return";
    if (process.env.PER_ROUND)
      console.log(
        `${label} ${size}: ${NAMES.map((n) => `${n} ${(ns.get(n) as number[]).map((v) => fixed(v)).join(" ")}`).join("\n  ")}`,
      );
    table.push(
      `| ${label} | ${size} | ${NAMES.map((n) => fixed(1000 / median(ns.get(n) as number[]))).join(" | ")} |`,
    );
    for (const [name, target] of [
      ["filter", "≤ 2.0"],
      ["bypass", "≤ 1.1"],
    ] as const) {
      const r = per(name);
      ratios.push(
        `| ${label} | ${size} | ${name} / direct | ${fixed(median(r))} | ${fixed(Math.min(...r))}–${fixed(Math.max(...r))} | ${size === 64 ? target : "context"} |`,
      );
    }
    const calls = Math.max(1, Math.round(ALLOC_PACKETS / size));
    allocs.push(
      `| ${label} | ${size} | ${NAMES.map((n) => {
        const step = stacks[n][dir];
        return fixed(
          Math.min(bytesPerPacket(step, calls, size), bytesPerPacket(step, calls, size)),
        );
      }).join(" | ")} |`,
    );
  }
  for (const name of NAMES) {
    const c = stacks[name].counts();
    if (c.completed === 0 || c.returned === 0) throw new Error(`${name}: nothing moved`);
    if (stacks[name].host.violations.length > 0)
      throw new Error(`${name}: ${stacks[name].host.violations[0]?.message}`);
  }
}
console.log("\nMillion packets per second, median of the rounds (context)\n");
console.log(`| direction | batch | ${NAMES.join(" | ")} |`);
console.log(`| --- | ---: | ${NAMES.map(() => "---:").join(" | ")} |`);
for (const line of table) console.log(line);
console.log("\nRatios of CPU time per packet, per round: median and range over the rounds\n");
console.log("| direction | batch | ratio | median | range | target |");
console.log("| --- | ---: | --- | ---: | ---: | --- |");
for (const line of ratios) console.log(line);
console.log("\nBytes allocated per packet in steady state (target 0)\n");
console.log(`| direction | batch | ${NAMES.join(" | ")} |`);
console.log(`| --- | ---: | ${NAMES.map(() => "---:").join(" | ")} |`);
for (const line of allocs) console.log(line);
