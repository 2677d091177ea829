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
 * cells rotates from round to round. Reported per cell: packets per second of wall-clock time and
 * of this process's CPU time (the server and the feed run in it; the reader does not, as a
 * browser would not); per round the ratios B/A and C/A, and their medians over the rounds.
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 600_000);
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

interface Speed {
  /** Packets per second of wall-clock time. */
  readonly wall: number;
  /** Packets per second of this process's CPU time (user + system): what the view costs the
   * process, less disturbed by the other processes of a shared machine. */
  readonly cpu: number;
}

/** Sends PACKETS packets in slices. */
async function pump(): Promise<Speed> {
  const batches = Math.ceil(PACKETS / BATCH);
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let done = 0; done < batches; ) {
    const end = Math.min(batches, done + SLICE);
    for (; done < end; done++) NdisSendNetBufferLists(send, chain as never, 0, 0);
    miniport.sent.length = 0; // the scripted miniport keeps what it was sent
    await turn();
  }
  const cpu = process.cpuUsage(cpu0);
  const packets = batches * BATCH;
  return {
    wall: (packets * 1e9) / Number(process.hrtime.bigint() - start),
    cpu: (packets * 1e6) / (cpu.user + cpu.system),
  };
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

async function cell(kind: Cell): Promise<{ pps: Speed; ticks: number; busy: number }> {
  if (kind === "A") return { pps: await pump(), ticks: 0, busy: 0 };
  const feed = LiveFeed.live({ title: "bench" });
  feed.attach(host);
  if (kind === "C") feed.setDataPath(true);
  const server: LiveServer = await startLiveServer({ feed });
  const { child, ticks } = await reader(server.url);
  try {
    const busy0 = feed.busyMs;
    const pps = await pump();
    // The view's own work during the cell, as a share of the cell's CPU time.
    const cpuMs = ((PACKETS / pps.cpu) * 1e3) | 0;
    return { pps, ticks: ticks(), busy: (feed.busyMs - busy0) / Math.max(1, cpuMs) };
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
const rows: { round: number; speeds: Record<Cell, Speed>; ticksB: number; busyB: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const got: Partial<Record<Cell, Speed>> = {};
  let ticksB = 0;
  let busyB = 0;
  for (const kind of ORDERS[round % ORDERS.length] as readonly Cell[]) {
    const { pps, ticks, busy } = await cell(kind);
    got[kind] = pps;
    if (kind === "B") {
      ticksB = ticks;
      busyB = busy;
    }
  }
  rows.push({ round: round + 1, speeds: got as Record<Cell, Speed>, ticksB, busyB });
}
if (host.violations.length > 0) throw new Error(`violation: ${host.violations[0]?.message}`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const f = (x: number) => (x / 1e6).toFixed(2);
console.log(`${PACKETS} packets per cell, ${BATCH}-NBL chains, ${ROUNDS} rounds`);
console.log(
  "round | A wall | B wall | C wall | A cpu | B cpu | C cpu | B/A wall | B/A cpu | C/A cpu | ticks in B | view's share of B's CPU",
);
for (const r of rows) {
  const { A, B, C } = r.speeds;
  console.log(
    [
      String(r.round).padStart(5),
      f(A.wall).padStart(6),
      f(B.wall).padStart(6),
      f(C.wall).padStart(6),
      f(A.cpu).padStart(5),
      f(B.cpu).padStart(5),
      f(C.cpu).padStart(5),
      (B.wall / A.wall).toFixed(3).padStart(8),
      (B.cpu / A.cpu).toFixed(3).padStart(7),
      (C.cpu / A.cpu).toFixed(3).padStart(7),
      String(r.ticksB).padStart(10),
      `${(r.busyB * 100).toFixed(2)} %`,
    ].join(" | "),
  );
}
const summary = (name: string, xs: number[]) =>
  console.log(
    `${name}: median ${median(xs).toFixed(3)}, min ${Math.min(...xs).toFixed(3)}, max ${Math.max(...xs).toFixed(3)}`,
  );
summary(
  "B/A wall (view open / no view, Mpps of wall time)",
  rows.map((r) => r.speeds.B.wall / r.speeds.A.wall),
);
summary(
  "B/A cpu  (view open / no view, Mpps of CPU time)",
  rows.map((r) => r.speeds.B.cpu / r.speeds.A.cpu),
);
summary(
  "C/A wall (data-path calls traced / no view)",
  rows.map((r) => r.speeds.C.wall / r.speeds.A.wall),
);
summary(
  "C/A cpu  (data-path calls traced / no view)",
  rows.map((r) => r.speeds.C.cpu / r.speeds.A.cpu),
);
console.log(`ticks the reader got in B cells: min ${Math.min(...rows.map((r) => r.ticksB))}`);
summary(
  "the view's own work (feed.flush: sampling, writing) as a share of B's CPU time, %",
  rows.map((r) => r.busyB * 100),
);
process.exit(0);
