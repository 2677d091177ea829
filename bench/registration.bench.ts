/**
 * Control-path cost of the foundation: a full load/unload cycle of the passthrough IM driver
 * (DriverEntry, two registrations with validation, association, unload, two deregistrations),
 * with the verifier strict vs off and with a trace listener vs none; and a spin-lock
 * acquire/release pair, the IRQL bookkeeping every later data-path call will pay; and a whole
 * stack cycle — device arrival under passthrough (bind, open, virtual miniport, restarts) and its
 * removal — which drives every adapter and binding state machine.
 *
 * Run: npm run bench. Results are ratios within one run; record them in BENCHMARKS.md.
 */
import { Bench } from "tinybench";
import * as passthrough from "../src/drivers/passthrough/index.js";
import * as testMiniport from "../src/drivers/test-miniport/index.js";
import {
  type NDIS_SPIN_LOCK,
  NdisAcquireSpinLock,
  NdisHost,
  NdisReleaseSpinLock,
} from "../src/index.js";

function cycle(host: NdisHost) {
  return async () => {
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.unloadDriver("passthrough");
  };
}

const off = new NdisHost({ verifier: "off" });
const strict = new NdisHost({ verifier: "strict" });
const traced = new NdisHost({ verifier: "strict" });
let events = 0;
traced.onTrace(() => {
  events += 1;
});
const lock: NDIS_SPIN_LOCK = {};

const stackHost = new NdisHost({ verifier: "strict" });
await stackHost.loadDriver({ name: "passthrough", module: passthrough });
await stackHost.loadDriver({ name: "testmp", module: testMiniport });

const bench = new Bench({ time: 1000, warmup: true });
bench
  .add("load+unload passthrough, verifier off", cycle(off))
  .add("load+unload passthrough, verifier strict", cycle(strict))
  .add("load+unload passthrough, strict + trace listener", cycle(traced))
  .add("stack up+down: eth0 under passthrough, strict", async () => {
    await stackHost.addAdapter({ driver: "testmp", name: "eth0" });
    await stackHost.removeAdapter("eth0");
  })
  .add("NdisAcquireSpinLock + NdisReleaseSpinLock", () => {
    NdisAcquireSpinLock(lock);
    NdisReleaseSpinLock(lock);
  });

await bench.run();

const rows = bench.tasks.map((task) => {
  const result = task.result as
    | { throughput?: { mean: number }; latency?: { mean: number } }
    | undefined;
  return {
    name: task.name,
    opsPerSec: result?.throughput?.mean ?? 0,
    meanNs: (result?.latency?.mean ?? 0) * 1e6,
  };
});
console.table(
  rows.map((r) => ({
    task: r.name,
    "ops/s": Math.round(r.opsPerSec),
    "mean ns": Math.round(r.meanNs),
  })),
);
const [offRow, strictRow, tracedRow] = rows;
if (offRow && strictRow && tracedRow) {
  console.log(`strict / off time ratio: ${(offRow.opsPerSec / strictRow.opsPerSec).toFixed(2)}`);
  console.log(
    `traced / untraced time ratio: ${(strictRow.opsPerSec / tracedRow.opsPerSec).toFixed(2)}`,
  );
}
if (events === 0) throw new Error("the traced host saw no trace events");
if (stackHost.liveObjects().length !== 3 || stackHost.violations.length !== 0) {
  throw new Error("the stack cycle leaked or broke a rule");
}
