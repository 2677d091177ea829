/**
 * What a filter module costs on the data path, as ratios of cells paired in the same rounds of
 * one run, 64-NBL batches, verifier off: a protocol sending to a miniport (send + completion) and
 * a miniport indicating to a protocol (receive + return), through
 *
 *   direct:  no filter;
 *   filter:  a running filter-passthrough module;
 *   bypass:  filter-passthrough registered without send/receive handlers (NDIS bypasses it).
 *
 * Every round measures every cell once, in rotating order, so that drift and GC fall on all of
 * them alike; a ratio is the median of the per-round ratios. Then heap growth per packet through
 * the running filter after warm-up (used heap before any GC; --expose-gc for a clean start).
 *
 * Run: npm run bench:filter (BENCH_ROUNDS, BENCH_PACKETS to change the size).
 */
import { type DataPathStack, dataPathStack } from "../test/helpers/datapath-rig.js";

const BATCH = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 1_000_000);

const names = ["direct", "filter", "bypass"] as const;
const stacks: Record<(typeof names)[number], DataPathStack> = {
  direct: await dataPathStack({ layers: 0, verifier: "off", batch: BATCH }),
  filter: await dataPathStack({ layers: 0, verifier: "off", batch: BATCH, filter: "running" }),
  bypass: await dataPathStack({ layers: 0, verifier: "off", batch: BATCH, filter: "bypass" }),
};

/** Packets per second of `round` over about PACKETS packets. */
function measure(round: () => void): number {
  const rounds = Math.max(1, Math.floor(PACKETS / BATCH));
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) round();
  return (rounds * BATCH * 1e9) / Number(process.hrtime.bigint() - start);
}

for (const name of names) {
  for (let i = 0; i < 20_000; i++) {
    stacks[name].send();
    stacks[name].indicate();
  }
}
const pps = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length] as (typeof names)[number];
    for (const dir of ["send", "indicate"] as const) {
      const list = pps.get(`${name}/${dir}`) ?? [];
      list.push(measure(stacks[name][dir]));
      pps.set(`${name}/${dir}`, list);
    }
  }
}
const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** The median over rounds of direct's rate over `name`'s: how many times direct's cost. */
const ratio = (name: string, dir: string) => {
  const d = pps.get(`direct/${dir}`) ?? [];
  const x = pps.get(`${name}/${dir}`) ?? [];
  return median(d.map((v, i) => v / (x[i] ?? v)));
};
console.table(
  names.map((name) => ({
    path: name,
    "send+complete (Mpps)": Number((median(pps.get(`${name}/send`) ?? []) / 1e6).toFixed(2)),
    "receive+return (Mpps)": Number((median(pps.get(`${name}/indicate`) ?? []) / 1e6).toFixed(2)),
  })),
);
for (const dir of ["send", "indicate"]) {
  console.log(
    `${dir === "send" ? "send+complete" : "receive+return"}: filter ${ratio("filter", dir).toFixed(2)}× direct, bypass ${ratio("bypass", dir).toFixed(2)}× direct (64-NBL batches, median of ${ROUNDS} paired rounds)`,
  );
}
for (const name of names) {
  const c = stacks[name].counts();
  if (c.completed === 0 || c.returned === 0) throw new Error(`${name}: nothing moved`);
  if (stacks[name].host.violations.length > 0) throw new Error(`${name}: a violation`);
}
{
  const s = stacks.filter;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const packets = 2_000_000;
  for (let i = 0; i < packets / BATCH; i++) {
    s.send();
    s.indicate();
  }
  const after = process.memoryUsage().heapUsed;
  console.log(
    `used heap through the running filter: ${((after - before) / (2 * packets)).toFixed(3)} bytes/packet over ${2 * packets} packets (before any GC${gc === undefined ? "; run with --expose-gc" : ""})`,
  );
}
