/**
 * Kernel DPCs and timers (KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc, KeFlushQueuedDpcs,
 * KeInitializeTimer(Ex), KeSetTimer(Ex), KeCancelTimer, KeReadStateTimer) from a TypeScript
 * driver: DPC routines run at DISPATCH_LEVEL as NDIS's deferred work, timers on the host clock,
 * KeFlushQueuedDpcs runs what is queued before it returns and is PASSIVE_LEVEL only.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DISPATCH_LEVEL,
  type KDPC,
  KeCancelTimer,
  KeFlushQueuedDpcs,
  KeGetCurrentIrql,
  KeInitializeDpc,
  KeInitializeTimer,
  KeInsertQueueDpc,
  KeReadStateTimer,
  KeRemoveQueueDpc,
  KeSetTimer,
  type KTIMER,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_STATUS_SUCCESS,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisHost,
  NdisOidRequest,
  NdisReleaseSpinLock,
  NdisRequestSetInformation,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A miniport whose OID handler runs `body` (at PASSIVE_LEVEL), with a protocol to send OIDs. */
async function rig(body: (oid: number) => void) {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier: "record" });
  const miniport = scriptedMiniport({
    oid: (_a, request) => {
      if (request.RequestType === NdisRequestSetInformation) body(request.DATA.SET_INFORMATION.Oid);
      return NDIS_STATUS_SUCCESS;
    },
  });
  const protocol = scriptedProtocol({});
  await host.loadDriver({ name: "m", module: miniport.module });
  await host.loadDriver({ name: "p", module: protocol.module });
  await host.addAdapter({ driver: "m", name: "eth0" });
  const oid = (n: number) => {
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: 0xff0000a0 + n,
      InformationBuffer: new Uint8Array(4),
    });
    assert.equal(
      NdisOidRequest(protocol.bindings[0]?.handle as NDIS_HANDLE, request),
      NDIS_STATUS_SUCCESS,
    );
  };
  return { host, clock, oid };
}

test("DPCs run after the call at DISPATCH_LEVEL, once per queueing; KeFlushQueuedDpcs runs them in queue order before it returns", async () => {
  const ran: string[] = [];
  const a: KDPC = {};
  const b: KDPC = {};
  const results: boolean[] = [];
  const { host, oid } = await rig((n) => {
    if (n === 0xff0000a0) {
      KeInitializeDpc(a, (_d, ctx, arg) => ran.push(`${ctx}:${arg}@${KeGetCurrentIrql()}`), "a");
      KeInitializeDpc(b, (_d, ctx, arg) => ran.push(`${ctx}:${arg}@${KeGetCurrentIrql()}`), "b");
      results.push(KeInsertQueueDpc(a, 1, null), KeInsertQueueDpc(a, 2, null));
      ran.push("queued");
    } else if (n === 0xff0000a1) {
      results.push(KeInsertQueueDpc(b, 3, null), KeInsertQueueDpc(a, 4, null));
      KeFlushQueuedDpcs();
      ran.push("flushed");
      results.push(KeRemoveQueueDpc(a));
    } else if (n === 0xff0000a2) {
      results.push(KeInsertQueueDpc(a, 5, null), KeRemoveQueueDpc(a), KeRemoveQueueDpc(a));
    }
  });
  oid(0);
  assert.deepEqual(ran, ["queued"]);
  await drain();
  assert.deepEqual(ran, ["queued", `a:1@${DISPATCH_LEVEL}`]);
  oid(1);
  assert.deepEqual(ran.slice(2), [`b:3@${DISPATCH_LEVEL}`, `a:4@${DISPATCH_LEVEL}`, "flushed"]);
  oid(2);
  await drain();
  assert.equal(ran.length, 5, "a DPC taken off the queue never runs");
  assert.deepEqual(results, [true, false, true, true, false, true, true, false]);
  assert.deepEqual(rules(host), []);
});

test("KeSetTimer: relative and absolute due times on the host clock, re-set cancels the earlier expiry, KeCancelTimer, KeReadStateTimer; a flush at DISPATCH_LEVEL is Irql_Wait_Function", async () => {
  const timer: KTIMER = {};
  const dpc: KDPC = {};
  const fired: bigint[] = [];
  const answers: boolean[] = [];
  const lock = {};
  let clockRef: ManualClock | null = null;
  const { host, clock, oid } = await rig((n) => {
    if (n === 0xff0000a0) {
      KeInitializeTimer(timer);
      KeInitializeDpc(dpc, () => fired.push((clockRef as ManualClock).now() / 1_000_000n), null);
      answers.push(KeSetTimer(timer, -50_000n, dpc)); // 5 ms from now
      answers.push(KeSetTimer(timer, -100_000n, dpc)); // re-set: 10 ms from now
    } else if (n === 0xff0000a1) {
      // Signaled by its expiry; set again (it was not set: it expired), absolute this time — 30
      // ms on the host clock's scale (100 ns units) — which clears the signal.
      answers.push(
        KeReadStateTimer(timer),
        KeSetTimer(timer, 300_000n, dpc),
        KeReadStateTimer(timer),
      );
    } else if (n === 0xff0000a2) {
      answers.push(KeSetTimer(timer, -10_000n, dpc), KeCancelTimer(timer), KeCancelTimer(timer));
    } else if (n === 0xff0000a3) {
      NdisAllocateSpinLock(lock);
      NdisAcquireSpinLock(lock);
      KeFlushQueuedDpcs();
      NdisReleaseSpinLock(lock);
    }
  });
  clockRef = clock;
  oid(0);
  clock.advance(9);
  assert.deepEqual(fired, [], "the 5 ms expiry was cancelled by the re-set");
  clock.advance(1);
  assert.deepEqual(fired, [10n]);
  oid(1);
  assert.deepEqual(answers, [false, true, true, false, false]);
  clock.advance(30);
  assert.deepEqual(fired, [10n, 30n]);
  oid(2);
  clock.advance(10);
  assert.deepEqual(fired, [10n, 30n]);
  assert.deepEqual(answers.slice(5), [false, true, false]);
  oid(3);
  assert.deepEqual(rules(host), ["Irql_Wait_Function"]);
  assert.match(host.violations[0]?.message ?? "", /KeFlushQueuedDpcs called at DISPATCH_LEVEL/);
});
