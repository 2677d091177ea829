/**
 * C driver benchmark: the data path through the C passthrough IM driver (c/samples/passthrough,
 * built with `ndis build`, running as WebAssembly behind the bridge) against the TypeScript
 * passthrough, each between the same TypeScript miniport and protocol (test/helpers/datapath-rig),
 * verifier off, at batches of 1, 16 and 64 NBLs, sends and receives. A third cell runs the same
 * module loaded without the step budget (src/wasm/fuel.ts), for what the budget's count costs;
 * with VIA_NDIS=1 a fourth, the module built with -DNDIS_TS_CONTEXT_VIA_NDIS (every
 * NdisAllocate/FreeNetBufferListContext a call to NDIS, as before they ran in the module), for
 * what that saves. (Off by default: the headline cells stay those of earlier sessions' runs.)
 *
 * Pairing and time as in bench/datapath.bench.ts: every cell runs in every round, the order
 * reversed every other round; the ratio C / TS is taken per round, the median and range
 * reported; time is CPU time. Allocation: after the rounds, each cell runs ALLOC_PACKETS more
 * packets between two readings of the used heap (test/helpers/alloc.ts), the fewer of two
 * readings kept; a planted cell (the TS stack plus one small object per packet) must show its
 * allocation or the benchmark fails.
 *
 * Each cell runs in a process of its own (a child of this one, which holds the cell's one stack
 * and runs a round when told to), so that one cell's driver cannot change the code V8 runs for
 * another. In one process (ONE_PROCESS=1, as before session 9) the runtime's shared fast paths
 * (sendToMiniportFast, callSend, completeToBindingFast, deliverReceive, returnToMiniportFast,
 * NdisReturnNetBufferLists) saw the TS stack's and the C stack's objects, were deoptimized on
 * "wrong map" and compiled again for both, and the TS cell ran at one of two speeds depending on
 * what the process had run before (send at 64: ~19 or ~31 Mpps, against ~38 with no C cell in
 * the process). WARMUP_ROUNDS whole rounds, both orders, run before any is recorded; the
 * per-round Mpps of the TS and C cells are printed under the table.
 *
 * Run: npm run bench:cdriver  (ROUNDS, WARMUP_ROUNDS, ROUND_PACKETS, ALLOC_PACKETS, SIZES,
 * ONE_PROCESS override defaults; VIA_NDIS=1 adds the fourth cell)
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDriver, loadWasmDriverFile } from "../src/index.js";
import { bytesPerPacket } from "../test/helpers/alloc.js";
import { PASSTHROUGH } from "../test/helpers/cdriver.js";
import { dataPathStack } from "../test/helpers/datapath-rig.js";
import { cpuTimeNs, median } from "./paired.js";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const WARMUP_ROUNDS = Number(process.env.WARMUP_ROUNDS ?? 4);
const ROUND_PACKETS = Number(process.env.ROUND_PACKETS ?? 64_000);
const ALLOC_PACKETS = Number(process.env.ALLOC_PACKETS ?? 256_000);
const SIZES = (process.env.SIZES ?? "1,16,64").split(",").map(Number);
const VIA_NDIS = process.env.VIA_NDIS === "1";
/** ONE_PROCESS=1: every cell in this process (as before session 9). */
const ONE_PROCESS = process.env.ONE_PROCESS === "1";
const DIRECTIONS = ["send", "receive"] as const;
type Direction = (typeof DIRECTIONS)[number];
type CellName = "TS passthrough" | "C passthrough" | "C, no budget" | "C, contexts via NDIS";

/** What a cell needs to set up its stack, in whichever process it runs. */
interface CellSpec {
  readonly name: CellName;
  readonly direction: Direction;
  readonly size: number;
  readonly wasm: string;
  readonly viaNdis: string;
}

/** A cell: one stack, run for a round (CPU ns) or between two heap readings (bytes per packet). */
interface Cell {
  readonly name: CellName;
  run(batches: number): Promise<number>;
  alloc(calls: number): Promise<number>;
  close(): void;
}

const fixed = (x: number, d = 2) => x.toFixed(d);

/** The cell's stack in this process, checked with one batch; its step. */
async function cellStep(spec: CellSpec): Promise<() => void> {
  const im =
    spec.name === "TS passthrough"
      ? undefined
      : spec.name === "C, no budget"
        ? await loadWasmDriverFile(spec.wasm, undefined, { stepBudget: null })
        : spec.name === "C, contexts via NDIS"
          ? spec.viaNdis
          : spec.wasm;
  const s = await dataPathStack({
    layers: 1,
    verifier: "off",
    batch: spec.size,
    ...(im === undefined ? {} : { im }),
  });
  const step = spec.direction === "send" ? s.send : s.indicate;
  const moved = () => (spec.direction === "send" ? s.counts().completed : s.counts().returned);
  const before = moved();
  step();
  if (moved() !== before + spec.size || s.host.violations.length > 0)
    throw new Error(`${spec.name}: a batch did not come back (${s.host.violations[0]?.message})`);
  return step;
}

function allocOf(step: () => void, calls: number, size: number): number {
  return Math.min(bytesPerPacket(step, calls, size), bytesPerPacket(step, calls, size));
}

async function localCell(spec: CellSpec): Promise<Cell> {
  const step = await cellStep(spec);
  return {
    name: spec.name,
    run: async (batches) => cpuTimeNs(step, batches),
    alloc: async (calls) => allocOf(step, calls, spec.size),
    close: () => {},
  };
}

/** The cell in a child process of its own; each request is answered by one message. */
async function childCell(spec: CellSpec): Promise<Cell> {
  const child = fork(fileURLToPath(import.meta.url), {
    env: { ...process.env, CDRIVER_CELL: JSON.stringify(spec) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = () =>
    new Promise<{ ns?: number; bytes?: number }>((resolve, reject) => {
      const onExit = (code: number | null) => {
        child.off("message", onMessage);
        reject(
          new Error(`the ${spec.name} cell (${spec.direction} ${spec.size}) exited (${code})`),
        );
      };
      const onMessage = (m: { ns?: number; bytes?: number }) => {
        child.off("exit", onExit);
        resolve(m);
      };
      child.once("message", onMessage);
      child.once("exit", onExit);
    });
  await next();
  const ask = async (request: { run?: number; alloc?: number }) => {
    const answer = next();
    child.send(request);
    return answer;
  };
  return {
    name: spec.name,
    run: async (batches) => (await ask({ run: batches })).ns as number,
    alloc: async (calls) => (await ask({ alloc: calls })).bytes as number,
    close: () => child.disconnect(),
  };
}

const childSpec = process.env.CDRIVER_CELL;
if (childSpec !== undefined) {
  // A child: one cell's stack; runs what the parent asks for, answers with the figure.
  const spec = JSON.parse(childSpec) as CellSpec;
  const step = await cellStep(spec);
  process.on("message", (m: { run?: number; alloc?: number }) => {
    if (m.run !== undefined) process.send?.({ ns: cpuTimeNs(step, m.run) });
    else if (m.alloc !== undefined) process.send?.({ bytes: allocOf(step, m.alloc, spec.size) });
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: true });
} else {
  await main();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ndis-cbench-"));
  // The two builds live only as long as this run (every run used to leave its folder behind).
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const wasm = join(dir, "cpassthru.wasm");
  const built = await buildDriver({
    sources: PASSTHROUGH.map((f) => join(import.meta.dirname, "..", f)),
    output: wasm,
  });
  if (!built.ok) throw new Error(`building the C passthrough failed:\n${built.diagnostics}`);
  const viaNdis = join(dir, "cpassthru-via-ndis.wasm");
  const builtViaNdis = await buildDriver({
    sources: PASSTHROUGH.map((f) => join(import.meta.dirname, "..", f)),
    output: viaNdis,
    cflags: ["-DNDIS_TS_CONTEXT_VIA_NDIS"],
  });
  if (!builtViaNdis.ok)
    throw new Error(`building the C passthrough failed:\n${builtViaNdis.diagnostics}`);

  console.log(
    `Node ${process.version}, ${WARMUP_ROUNDS} warm-up and ${ROUNDS} recorded rounds of ${ROUND_PACKETS} packets per cell (CPU time), ${ALLOC_PACKETS} packets per allocation reading, ${ONE_PROCESS ? "every cell in this one process" : "each cell in a process of its own"}`,
  );

  // The harness must see an allocation when there is one.
  {
    const s = await dataPathStack({ layers: 1, verifier: "off", batch: 16 });
    const keep: object[] = [];
    const planted = () => {
      s.send();
      for (let i = 0; i < 16; i++) keep.push({ i });
      if (keep.length > 4096) keep.length = 0;
    };
    cpuTimeNs(planted, 2000);
    const seen = bytesPerPacket(planted, ALLOC_PACKETS / 16, 16);
    console.log(
      `\nHarness check: one small object planted per packet measures ${fixed(seen, 1)} B/packet`,
    );
    if (!(seen >= 16))
      throw new Error("the allocation measurement does not see a planted allocation");
  }

  const names: CellName[] = [
    "TS passthrough",
    "C passthrough",
    "C, no budget",
    ...(VIA_NDIS ? (["C, contexts via NDIS"] as const) : []),
  ];
  const rows: string[] = [];
  const perRound: string[] = [];
  for (const direction of DIRECTIONS) {
    for (const size of SIZES) {
      const cells: { cell: Cell; ns: number[]; bytes: number }[] = [];
      for (const name of names) {
        const spec = { name, direction, size, wasm, viaNdis };
        cells.push({
          cell: await (ONE_PROCESS ? localCell(spec) : childCell(spec)),
          ns: [],
          bytes: Number.NaN,
        });
      }
      const batches = Math.max(1, Math.round(ROUND_PACKETS / size));
      const ratios: number[] = [];
      const budgetRatios: number[] = [];
      const viaRatios: number[] = [];
      for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
        const order = (round + WARMUP_ROUNDS) % 2 === 0 ? cells : [...cells].reverse();
        const t = new Map<CellName, number>();
        for (const c of order) t.set(c.cell.name, (await c.cell.run(batches)) / (batches * size));
        if (round < 0) continue;
        for (const c of cells) c.ns.push(t.get(c.cell.name) as number);
        ratios.push((t.get("C passthrough") as number) / (t.get("TS passthrough") as number));
        budgetRatios.push((t.get("C passthrough") as number) / (t.get("C, no budget") as number));
        if (VIA_NDIS)
          viaRatios.push(
            (t.get("C, contexts via NDIS") as number) / (t.get("C passthrough") as number),
          );
      }
      for (const c of cells) {
        c.bytes = await c.cell.alloc(Math.max(1, Math.round(ALLOC_PACKETS / size)));
        c.cell.close();
      }
      const [ts, c] = cells as [(typeof cells)[number], (typeof cells)[number]];
      rows.push(
        `| ${direction} | ${size} | ${fixed(1000 / median(ts.ns))} | ${fixed(1000 / median(c.ns))} | ${fixed(median(ratios))} | ${fixed(Math.min(...ratios))}–${fixed(Math.max(...ratios))} | ${fixed(median(budgetRatios))} | ${VIA_NDIS ? fixed(median(viaRatios)) : "–"} | ${fixed(ts.bytes)} | ${fixed(c.bytes)} |`,
      );
      for (const x of [ts, c])
        perRound.push(
          `${direction} ${size} ${x.cell.name}: ${x.ns.map((ns) => fixed(1000 / ns, 1)).join(" ")}`,
        );
    }
  }

  console.log(
    "\nMillion packets per second (median of the rounds), C / TS time per packet (median and range of the per-round ratios; target ≤ 3.0 at 64), the C module with / without the step budget and the module whose context calls go to NDIS / the C module (medians of the per-round ratios), bytes allocated per packet in steady state\n",
  );
  console.log(
    "| direction | batch | TS passthrough Mpps | C passthrough Mpps | C / TS | range | budget / none | ctx via NDIS / C | TS B/packet | C B/packet |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
  console.log("\nMpps per recorded round, in order:\n");
  for (const line of perRound) console.log(line);
}
