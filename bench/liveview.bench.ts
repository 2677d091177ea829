/**
 * What the live view costs the data path: a protocol sending 64-NBL chains through the
 * passthrough IM driver to a miniport that completes them at once, on a host set up as `ndis run`
 * sets it up (counters on, verifier "record"), measured in paired rounds of one run:
 *
 *  (A) no view;
 *  (B) the view open: the feed attached (control-path trace, counters and graph sampled every
 *      250 ms), its server listening and one client — a separate Node process, as a browser
 *      would be — reading the event stream;
 *  (C) as (B) with the page's "data-path calls" box ticked (every handler call traced): context,
 *      the price of that option.
 *
 * Each cell sends in slices and yields to the event loop between them, so the feed's timer and
 * the server run during the cell exactly as they would beside a real stack. The order of the
 * cells rotates from round to round. Reported: packets per second per cell, and per round the
 * ratios B/A and C/A; the claim is the median B/A.
 *
 * Run: npm run bench:liveview (BENCH_ROUNDS, BENCH_PACKETS to change the size).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as passthrough from "../src/drivers/passthrough/index.js";
import { type NDIS_HANDLE, NdisHost, NdisSendNetBufferLists } from "../src/index.js";
import { LiveFeed, type LiveServer, startLiveServer } from "../src/live/index.js";
import { scriptedMiniport } from "../test/helpers/miniport.js";
import { allocateNbls, nblPool } from "../test/helpers/nbl.js";
import { scriptedProtocol } from "../test/helpers/protocol.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 2_000_000);
const BATCH = 64;
const SLICE = 200; // batches between two turns of the event loop

const miniport = scriptedMiniport();
const protocol = scriptedProtocol({ name: "benchproto", sendComplete: () => {} });
const host = new NdisHost({
  verifier: "record",
  bindings: [
    { protocol: "passthrough", adapter: "eth0" },
    { protocol: "benchproto", adapter: "eth0-pt" },
  ],
});
host.observe(); // as startStack does for `ndis run`
await host.loadDriver({ name: "benchmp", module: miniport.module });
await host.loadDriver({ name: "passthrough", module: passthrough });
await host.loadDriver({ name: "benchproto", module: protocol.module });
await host.addAdapter({ driver: "benchmp", name: "eth0" });
const send = protocol.bindings[0]?.handle as NDIS_HANDLE;
const chain = allocateNbls(nblPool(protocol.protocolHandle() as NDIS_HANDLE, 32), BATCH, send)[0];
if (send === undefined || chain === undefined) throw new Error("the bench stack did not bind");

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sends PACKETS packets in slices; packets per second. */
async function pump(): Promise<number> {
  const batches = Math.ceil(PACKETS / BATCH);
  const start = process.hrtime.bigint();
  for (let done = 0; done < batches; ) {
    const end = Math.min(batches, done + SLICE);
    for (; done < end; done++) NdisSendNetBufferLists(send, chain as never, 0, 0);
    miniport.sent.length = 0; // the scripted miniport keeps what it was sent
    await turn();
  }
  return (batches * BATCH * 1e9) / Number(process.hrtime.bigint() - start);
}

/** A reader of the event stream in its own process; resolves once it has the hello. */
function reader(url: string): Promise<{ child: ChildProcess; ticks: () => number }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `require("node:http").get(${JSON.stringify(`${url}events`)}, (res) => {
        res.setEncoding("utf8");
        res.on("data", (text) => {
          for (const m of text.matchAll(/^event: (\\w+)$/gm)) process.stdout.write(m[1] + "\\n");
        });
      });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let ticks = 0;
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the reader exited (${code})`)));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (text: string) => {
      ticks += (text.match(/^tick$/gm) ?? []).length;
      if (text.includes("hello")) resolve({ child, ticks: () => ticks });
    });
  });
}

type Cell = "A" | "B" | "C";

async function cell(kind: Cell): Promise<{ pps: number; ticks: number }> {
  if (kind === "A") return { pps: await pump(), ticks: 0 };
  const feed = LiveFeed.live({ title: "bench" });
  feed.attach(host);
  if (kind === "C") feed.setDataPath(true);
  const server: LiveServer = await startLiveServer({ feed });
  const { child, ticks } = await reader(server.url);
  try {
    const pps = await pump();
    return { pps, ticks: ticks() };
  } finally {
    child.removeAllListeners("exit");
    child.kill();
    feed.close();
    await server.close();
  }
}

await pump(); // warm-up
const ORDERS: readonly (readonly Cell[])[] = [
  ["A", "B", "C"],
  ["B", "C", "A"],
  ["C", "A", "B"],
];
const rows: { round: number; A: number; B: number; C: number; ticksB: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const got: Partial<Record<Cell, number>> = {};
  let ticksB = 0;
  for (const kind of ORDERS[round % ORDERS.length] as readonly Cell[]) {
    const { pps, ticks } = await cell(kind);
    got[kind] = pps;
    if (kind === "B") ticksB = ticks;
  }
  rows.push({ round: round + 1, A: got.A ?? 0, B: got.B ?? 0, C: got.C ?? 0, ticksB });
}
if (host.violations.length > 0) throw new Error(`violation: ${host.violations[0]?.message}`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const mpps = (x: number) => (x / 1e6).toFixed(2);
console.log(`${PACKETS} packets per cell, ${BATCH}-NBL chains, ${ROUNDS} rounds`);
console.log("round |   A Mpps |   B Mpps |   C Mpps |  B/A |  C/A | ticks the reader got in B");
for (const r of rows)
  console.log(
    `${String(r.round).padStart(5)} | ${mpps(r.A).padStart(8)} | ${mpps(r.B).padStart(8)} | ${mpps(r.C).padStart(8)} | ${(r.B / r.A).toFixed(3)} | ${(r.C / r.A).toFixed(3)} | ${r.ticksB}`,
  );
const ba = rows.map((r) => r.B / r.A);
const ca = rows.map((r) => r.C / r.A);
console.log(
  `B/A (view open / no view): median ${median(ba).toFixed(3)}, min ${Math.min(...ba).toFixed(3)}, max ${Math.max(...ba).toFixed(3)}`,
);
console.log(
  `C/A (view open, data-path calls traced / no view): median ${median(ca).toFixed(3)}, min ${Math.min(...ca).toFixed(3)}, max ${Math.max(...ca).toFixed(3)}`,
);
process.exit(0);
