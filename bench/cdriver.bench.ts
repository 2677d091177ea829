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
 * Pairing and time as in bench/datapath.bench.ts: both cells run in every round, the order
 * reversed every other round; the ratio C / TS is taken per round, the median and range
 * reported; time is the process's CPU time. Allocation: after the rounds, each cell runs
 * ALLOC_PACKETS more packets between two readings of the used heap (test/helpers/alloc.ts), the
 * fewer of two readings kept; a planted cell (the TS stack plus one small object per packet)
 * must show its allocation or the benchmark fails.
 *
 * Run: npm run bench:cdriver  (ROUNDS, ROUND_PACKETS, ALLOC_PACKETS, SIZES override defaults;
 * VIA_NDIS=1 adds the fourth cell)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDriver, loadWasmDriverFile } from "../src/index.js";
import { bytesPerPacket } from "../test/helpers/alloc.js";
import { PASSTHROUGH } from "../test/helpers/cdriver.js";
import { dataPathStack } from "../test/helpers/datapath-rig.js";
import { cpuTimeNs, median } from "./paired.js";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const ROUND_PACKETS = Number(process.env.ROUND_PACKETS ?? 64_000);
const ALLOC_PACKETS = Number(process.env.ALLOC_PACKETS ?? 256_000);
const SIZES = (process.env.SIZES ?? "1,16,64").split(",").map(Number);
const VIA_NDIS = process.env.VIA_NDIS === "1";
const DIRECTIONS = ["send", "receive"] as const;

const dir = mkdtempSync(join(tmpdir(), "ndis-cbench-"));
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
const unbudgeted = await loadWasmDriverFile(wasm, undefined, { stepBudget: null });

const fixed = (x: number, d = 2) => x.toFixed(d);

console.log(
  `Node ${process.version}, ${ROUNDS} rounds of ${ROUND_PACKETS} packets per cell (CPU time), ${ALLOC_PACKETS} packets per allocation reading`,
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

const rows: string[] = [];
for (const direction of DIRECTIONS) {
  for (const size of SIZES) {
    const cells = [];
    for (const [name, im] of [
      ["TS passthrough", undefined],
      ["C passthrough", wasm],
      ["C, no budget", unbudgeted],
      ...(VIA_NDIS ? ([["C, contexts via NDIS", viaNdis]] as const) : []),
    ] as const) {
      const s = await dataPathStack({
        layers: 1,
        verifier: "off",
        batch: size,
        ...(im === undefined ? {} : { im }),
      });
      const step = direction === "send" ? s.send : s.indicate;
      const moved = () => (direction === "send" ? s.counts().completed : s.counts().returned);
      const before = moved();
      step();
      if (moved() !== before + size || s.host.violations.length > 0)
        throw new Error(`${name}: a batch did not come back (${s.host.violations[0]?.message})`);
      cells.push({ name, step, ns: [] as number[], bytes: Number.NaN });
    }
    const batches = Math.max(1, Math.round(ROUND_PACKETS / size));
    for (const cell of cells) cpuTimeNs(cell.step, batches);
    const ratios: number[] = [];
    const budgetRatios: number[] = [];
    const viaRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? cells : [...cells].reverse();
      const t = new Map<string, number>();
      for (const cell of order) {
        const ns = cpuTimeNs(cell.step, batches) / (batches * size);
        cell.ns.push(ns);
        t.set(cell.name, ns);
      }
      ratios.push((t.get("C passthrough") as number) / (t.get("TS passthrough") as number));
      budgetRatios.push((t.get("C passthrough") as number) / (t.get("C, no budget") as number));
      if (VIA_NDIS)
        viaRatios.push(
          (t.get("C, contexts via NDIS") as number) / (t.get("C passthrough") as number),
        );
    }
    for (const cell of cells) {
      const calls = Math.max(1, Math.round(ALLOC_PACKETS / size));
      cell.bytes = Math.min(
        bytesPerPacket(cell.step, calls, size),
        bytesPerPacket(cell.step, calls, size),
      );
    }
    const [ts, c] = cells as [(typeof cells)[number], (typeof cells)[number]];
    rows.push(
      `| ${direction} | ${size} | ${fixed(1000 / median(ts.ns))} | ${fixed(1000 / median(c.ns))} | ${fixed(median(ratios))} | ${fixed(Math.min(...ratios))}–${fixed(Math.max(...ratios))} | ${fixed(median(budgetRatios))} | ${VIA_NDIS ? fixed(median(viaRatios)) : "–"} | ${fixed(ts.bytes)} | ${fixed(c.bytes)} |`,
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
