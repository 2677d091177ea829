/**
 * Data-path benchmark: sends (NdisSendNetBufferLists → MiniportSendNetBufferLists →
 * NdisMSendNetBufferListsComplete → ProtocolSendNetBufferListsComplete) and receives
 * (NdisMIndicateReceiveNetBufferLists → ProtocolReceiveNetBufferLists → NdisReturnNetBufferLists
 * → MiniportReturnNetBufferLists) at batches of 1, 16 and 64 NBLs, through these cells:
 *
 *   direct     protocol → miniport through NDIS, verifier off
 *   IM         protocol → passthrough → miniport, verifier off
 *   IM strict  the same, verifier strict
 *   IM ×2      protocol → passthrough → passthrough → miniport, verifier off
 *   model      the same per-packet work in plain JavaScript (bench/datapath-model.ts), for
 *              direct and for one IM: what NDIS's bookkeeping would cost with nothing else
 *
 * Time is the process's CPU time (user + system) while a cell runs, not wall time (see cpuTimeNs()).
 *
 * Pairing: every cell of a batch size and direction runs in every round, one after the other,
 * the order reversed every other round, so that each round's cells see the same load; ratios are
 * taken per round and the median (with the range) is reported. Absolute figures are context.
 *
 * Allocation: after the rounds, each cell runs ALLOC_PACKETS more packets (twice; the fewer
 * bytes count) between two readings of V8's used heap, adding what any collection in between
 * freed (test/helpers/alloc.ts); the GC counts come from v8.GCProfiler, which records collections synchronously, so none is missed by
 * stopping early. A planted cell (the model allocating one small object per packet) must show
 * its allocation, or the benchmark fails: a harness that cannot see allocation proves nothing.
 *
 * Processes: each batch size and direction runs in a child process of its own (the same script,
 * DATAPATH_GROUP set), so that what V8 compiled for one group cannot slow another; ONE_PROCESS=1
 * runs them all in one process, one after the other.
 *
 * Run: npm run bench:datapath  (ROUNDS, ROUND_PACKETS, ALLOC_PACKETS, SIZES, ONE_PROCESS override
 * defaults)
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { bytesPerPacket } from "../test/helpers/alloc.js";
import { dataPathStack } from "../test/helpers/datapath-rig.js";
import { modelStack } from "./datapath-model.js";
import { cpuTimeNs, median } from "./paired.js";

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const ROUND_PACKETS = Number(process.env.ROUND_PACKETS ?? 96_000);
const ALLOC_PACKETS = Number(process.env.ALLOC_PACKETS ?? 640_000);
const SIZES = (process.env.SIZES ?? "1,16,64").split(",").map(Number);
/** ONE_PROCESS=1: every group in this process, one after the other (as before session 7). */
const ONE_PROCESS = process.env.ONE_PROCESS === "1";
const DIRECTIONS = ["send", "receive"] as const;
type Direction = (typeof DIRECTIONS)[number];

interface Cell {
  readonly name: string;
  /** Moves one batch. */
  readonly step: () => void;
  /** Nanoseconds per packet, one per round. */
  readonly ns: number[];
  gcs: number;
  bytesPerPacket: number;
}

const CELL_NAMES = ["direct", "IM", "IM strict", "IM ×2", "model direct", "model IM"] as const;

async function cellsFor(size: number, direction: Direction): Promise<Cell[]> {
  const make = async (name: string): Promise<Cell> => {
    let step: () => void;
    let moved: () => number;
    if (name.startsWith("model")) {
      const m = modelStack(name === "model IM" ? 1 : 0, size);
      step = direction === "send" ? m.send : m.indicate;
      moved = () => (direction === "send" ? m.counts().completed : m.counts().returned);
    } else {
      const layers = name === "direct" ? 0 : name === "IM ×2" ? 2 : 1;
      const s = await dataPathStack({
        layers,
        verifier: name === "IM strict" ? "strict" : "off",
        batch: size,
      });
      step = direction === "send" ? s.send : s.indicate;
      moved = () => (direction === "send" ? s.counts().completed : s.counts().returned);
      const violations = () => s.host.violations.length;
      const before = moved();
      step();
      if (moved() !== before + size || violations() > 0)
        throw new Error(`${name}: a batch did not come back (${s.host.violations[0]?.message})`);
    }
    return { name, step, ns: [], gcs: 0, bytesPerPacket: Number.NaN };
  };
  const cells: Cell[] = [];
  for (const name of CELL_NAMES) cells.push(await make(name));
  return cells;
}

const fixed = (x: number, d = 2) => x.toFixed(d);

interface Ratio {
  readonly label: string;
  readonly target: string;
  readonly per: (c: Map<string, number>) => number;
}

const RATIOS: Ratio[] = [
  { label: "IM / direct", target: "≤ 2.0 at 64", per: (c) => at(c, "IM") / at(c, "direct") },
  {
    label: "(IM ×2 − IM) / direct",
    target: "≤ 1.0",
    per: (c) => (at(c, "IM ×2") - at(c, "IM")) / at(c, "direct"),
  },
  { label: "IM strict / IM", target: "≤ 1.2", per: (c) => at(c, "IM strict") / at(c, "IM") },
  { label: "IM / model IM", target: "≤ 1.3", per: (c) => at(c, "IM") / at(c, "model IM") },
  {
    label: "direct / model direct",
    target: "context",
    per: (c) => at(c, "direct") / at(c, "model direct"),
  },
  {
    // What IM / direct would be if NDIS cost exactly the model's work: the IM's own per-packet
    // work (the SourceHandle save and restore) over the end drivers' near-empty handlers.
    label: "model IM / model direct",
    target: "context",
    per: (c) => at(c, "model IM") / at(c, "model direct"),
  },
];

function at(c: Map<string, number>, name: string): number {
  const v = c.get(name);
  if (v === undefined) throw new Error(`no cell ${name}`);
  return v;
}

const report: string[] = [];
const out = (line: string) => {
  report.push(line);
  console.log(line);
};

/**
 * The harness must see allocation when there is some: the model with one object planted per
 * packet. Every process that measures checks it.
 */
function harnessCheck(): string {
  const planted = modelStack(1, 16, true);
  cpuTimeNs(planted.send, 20_000);
  const seen = bytesPerPacket(planted.send, ALLOC_PACKETS / 16, 16);
  const clean = modelStack(1, 16, false);
  cpuTimeNs(clean.send, 20_000);
  const none = bytesPerPacket(clean.send, ALLOC_PACKETS / 16, 16);
  if (!(seen >= 16))
    throw new Error("the allocation measurement does not see a planted allocation");
  return `\nHarness check: the model with one small object planted per packet measures ${fixed(seen, 1)} B/packet, without it ${fixed(none, 2)} B/packet`;
}

interface GroupResult {
  readonly mpps: string;
  readonly alloc: string;
  readonly ratios: string[];
}

/** One batch size in one direction: its six cells, paired per round. */
async function measureGroup(direction: Direction, size: number): Promise<GroupResult> {
  const cells = await cellsFor(size, direction);
  const batches = Math.max(1, Math.round(ROUND_PACKETS / size));
  for (const cell of cells) cpuTimeNs(cell.step, Math.max(batches, Math.round(40_000 / size))); // warm-up
  const perRound: Map<string, number>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? cells : [...cells].reverse();
    const times = new Map<string, number>();
    for (const cell of order) {
      const profiler = new v8.GCProfiler();
      profiler.start();
      const ns = cpuTimeNs(cell.step, batches) / (batches * size);
      cell.gcs += profiler.stop().statistics.length;
      cell.ns.push(ns);
      times.set(cell.name, ns);
    }
    perRound.push(times);
  }
  // The fewer of two readings: V8 may still compile something once; a data-path allocation
  // shows in both.
  for (const cell of cells) {
    const calls = Math.max(1, Math.round(ALLOC_PACKETS / size));
    cell.bytesPerPacket = Math.min(
      bytesPerPacket(cell.step, calls, size),
      bytesPerPacket(cell.step, calls, size),
    );
  }
  return {
    mpps: `| ${direction} | ${size} | ${cells.map((c) => fixed(1000 / median(c.ns))).join(" | ")} |`,
    alloc: `| ${direction} | ${size} | ${cells.map((c) => `${fixed(c.bytesPerPacket)} (${c.gcs})`).join(" | ")} |`,
    ratios: RATIOS.map((ratio) => {
      const values = perRound.map(ratio.per);
      return `| ${direction} | ${size} | ${ratio.label} | ${fixed(median(values))} | ${fixed(Math.min(...values))}–${fixed(Math.max(...values))} | ${ratio.target} |`;
    }),
  };
}

/**
 * One group in a process of its own. Under tsx, V8 compiled the IM's send path differently in a
 * process that had run the 1-NBL rounds first: IM send at 64 ran at about half the speed of the
 * same cells in a fresh process (IM / direct 5.0 against 3.3, load ~13), while the compiled
 * package showed no such effect (57.7 against 59.8 ns per packet after 200,000 one-NBL sends).
 * A group's cells still share one process and are paired per round.
 */
function measureGroupInChild(direction: Direction, size: number): GroupResult {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, DATAPATH_GROUP: `${direction}:${size}` },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.split("\n").find((l) => l.startsWith(GROUP_MARK));
  if (child.status !== 0 || line === undefined)
    throw new Error(`the ${direction} ${size} group failed (exit ${String(child.status)})`);
  return JSON.parse(line.slice(GROUP_MARK.length)) as GroupResult;
}

const GROUP_MARK = "datapath-group ";
const group = process.env.DATAPATH_GROUP;

if (group !== undefined) {
  // A child: one group, its result as one line for the parent.
  const [direction, size] = group.split(":");
  harnessCheck();
  const result = await measureGroup(direction as Direction, Number(size));
  console.log(`${GROUP_MARK}${JSON.stringify(result)}`);
  process.exit(0);
}

out(
  `Node ${process.version}, ${ROUNDS} rounds of ${ROUND_PACKETS} packets per cell (CPU time), ${ALLOC_PACKETS} packets per allocation reading, ${ONE_PROCESS ? "every group in this one process" : "each batch size and direction in a process of its own"}`,
);
out(harnessCheck());

const allRatios: string[] = [];
const mpps: string[] = [];
const allocs: string[] = [];
for (const direction of DIRECTIONS) {
  for (const size of SIZES) {
    const result = ONE_PROCESS
      ? await measureGroup(direction, size)
      : measureGroupInChild(direction, size);
    mpps.push(result.mpps);
    allocs.push(result.alloc);
    allRatios.push(...result.ratios);
  }
}

out(
  "\nMillion packets per second, median of the rounds (context: absolute figures move between runs)\n",
);
out(`| direction | batch | ${CELL_NAMES.join(" | ")} |`);
out(`| --- | ---: | ${CELL_NAMES.map(() => "---:").join(" | ")} |`);
for (const line of mpps) out(line);
out("\nRatios of time per packet, per round: median and range over the rounds\n");
out("| direction | batch | ratio | median | range | target |");
out("| --- | ---: | --- | ---: | ---: | --- |");
for (const line of allRatios) out(line);
out(
  "\nBytes allocated per packet in steady state (GC runs during the timed rounds in parentheses)\n",
);
out(`| direction | batch | ${CELL_NAMES.join(" | ")} |`);
out(`| --- | ---: | ${CELL_NAMES.map(() => "---:").join(" | ")} |`);
for (const line of allocs) out(line);
