/**
 * NDIS_RW_LOCK and the DISPATCH_LEVEL spin-lock calls, as Microsoft's MUX sample uses them (its
 * VELAN list under a read-write lock, NdisDpr*SpinLock in its receive paths). Documented
 * behaviour checked, page by page:
 * - NdisAcquireReadWriteLock (DDI page): IRQL <= DISPATCH_LEVEL; it always raises the IRQL (to
 *   DISPATCH_LEVEL for a read, by a spin lock for a write); a different LOCK_STATE for every
 *   acquisition; one NdisReleaseReadWriteLock per acquisition; the lock initialised first by
 *   NdisInitializeReadWriteLock.
 * - NdisDprAcquireSpinLock / NdisDprReleaseSpinLock (DDI pages): IRQL = DISPATCH_LEVEL; SDV rules
 *   SpinLockDpr, SpinLockDprRelease and Irql_Synch_Function.
 * - NdisWaitEvent (DDI page): PASSIVE_LEVEL, so never while a lock is held (Irql_Wait_Function).
 * - NDIS_INIT_MUTEX (any IRQL, signaled), NDIS_WAIT_FOR_MUTEX (PASSIVE_LEVEL; the holder may take
 *   it again), NDIS_RELEASE_MUTEX (PASSIVE_LEVEL; only the holder; a signaled mutex bug-checks;
 *   returns 0 once signaled) — their DDI pages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DISPATCH_LEVEL,
  KeGetCurrentIrql,
  type LOCK_STATE,
  type NDIS_EVENT,
  NDIS_INIT_MUTEX,
  type NDIS_MUTEX,
  NDIS_RELEASE_MUTEX,
  type NDIS_RW_LOCK,
  type NDIS_SPIN_LOCK,
  NDIS_WAIT_FOR_MUTEX,
  NdisAcquireReadWriteLock,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisDprAcquireSpinLock,
  NdisDprReleaseSpinLock,
  NdisHost,
  NdisInitializeEvent,
  NdisInitializeReadWriteLock,
  NdisReleaseReadWriteLock,
  NdisReleaseSpinLock,
  NdisSetEvent,
  NdisWaitEvent,
  PASSIVE_LEVEL,
  STATUS_SUCCESS,
} from "../../src/index.js";
import { driverModule } from "../helpers/drivers.js";

/** Runs `body` as a DriverEntry under a recording host; returns the rules it broke. */
async function run(body: () => void): Promise<string[]> {
  const host = new NdisHost({ verifier: "record" });
  await host.loadDriver({
    name: "locks",
    module: driverModule(() => {
      body();
      return 1;
    }),
  });
  return host.violations.map((v) => v.rule);
}

describe("NDIS_RW_LOCK (NdisInitializeReadWriteLock / NdisAcquireReadWriteLock / NdisReleaseReadWriteLock)", () => {
  test("read and write both raise to DISPATCH_LEVEL; each release restores what its LOCK_STATE saved", async () => {
    const seen: number[] = [];
    const rules = await run(() => {
      const lock: NDIS_RW_LOCK = {};
      NdisInitializeReadWriteLock(lock);
      const r1: LOCK_STATE = {};
      const r2: LOCK_STATE = {};
      const w: LOCK_STATE = {};
      seen.push(KeGetCurrentIrql());
      NdisAcquireReadWriteLock(lock, false, r1);
      seen.push(KeGetCurrentIrql());
      NdisAcquireReadWriteLock(lock, false, r2); // readers share the lock
      NdisReleaseReadWriteLock(lock, r2);
      seen.push(KeGetCurrentIrql()); // r2 was taken at DISPATCH_LEVEL: stays there
      NdisReleaseReadWriteLock(lock, r1);
      seen.push(KeGetCurrentIrql());
      NdisAcquireReadWriteLock(lock, true, w);
      seen.push(KeGetCurrentIrql());
      NdisReleaseReadWriteLock(lock, w);
      seen.push(KeGetCurrentIrql());
      // a released LOCK_STATE may be used again
      NdisAcquireReadWriteLock(lock, true, w);
      NdisReleaseReadWriteLock(lock, w);
    });
    assert.deepEqual(rules, []);
    assert.deepEqual(seen, [
      PASSIVE_LEVEL,
      DISPATCH_LEVEL,
      DISPATCH_LEVEL,
      PASSIVE_LEVEL,
      DISPATCH_LEVEL,
      PASSIVE_LEVEL,
    ]);
  });

  test("release without an acquire, and release with another lock's LOCK_STATE, are ReadWriteLockRelease", async () => {
    let irqlAfter = -1;
    const rules = await run(() => {
      const a: NDIS_RW_LOCK = {};
      const b: NDIS_RW_LOCK = {};
      NdisInitializeReadWriteLock(a);
      NdisInitializeReadWriteLock(b);
      const s: LOCK_STATE = {};
      NdisReleaseReadWriteLock(a, s); // never acquired
      NdisAcquireReadWriteLock(a, false, s);
      NdisReleaseReadWriteLock(b, s); // s belongs to a
      NdisReleaseReadWriteLock(a, s);
      NdisReleaseReadWriteLock(a, s); // released twice
      irqlAfter = KeGetCurrentIrql();
    });
    assert.deepEqual(rules, [
      "ReadWriteLockRelease",
      "ReadWriteLockRelease",
      "ReadWriteLockRelease",
    ]);
    assert.equal(irqlAfter, PASSIVE_LEVEL, "the one good release restored the IRQL");
  });

  test("a LOCK_STATE reused while its acquisition is held, a write under a read (upgrade) and two writers are ReadWriteLock", async () => {
    const rules = await run(() => {
      const lock: NDIS_RW_LOCK = {};
      NdisInitializeReadWriteLock(lock);
      const r: LOCK_STATE = {};
      const w: LOCK_STATE = {};
      NdisAcquireReadWriteLock(lock, false, r);
      NdisAcquireReadWriteLock(lock, false, r); // same LOCK_STATE, still held
      NdisAcquireReadWriteLock(lock, true, w); // upgrade: deadlocks on Windows
      NdisReleaseReadWriteLock(lock, r);
      NdisAcquireReadWriteLock(lock, true, w);
      NdisAcquireReadWriteLock(lock, true, {}); // a second writer
      NdisReleaseReadWriteLock(lock, w);
    });
    assert.deepEqual(rules, ["ReadWriteLock", "ReadWriteLock", "ReadWriteLock"]);
  });

  test("the writer may read under its own write lock [MODEL]; an uninitialised lock is ReadWriteLock", async () => {
    assert.deepEqual(
      await run(() => {
        const lock: NDIS_RW_LOCK = {};
        NdisInitializeReadWriteLock(lock);
        const w: LOCK_STATE = {};
        const r: LOCK_STATE = {};
        NdisAcquireReadWriteLock(lock, true, w);
        NdisAcquireReadWriteLock(lock, false, r);
        NdisReleaseReadWriteLock(lock, r);
        NdisReleaseReadWriteLock(lock, w);
      }),
      [],
    );
    assert.deepEqual(
      await run(() => {
        const lock: NDIS_RW_LOCK = {};
        const s: LOCK_STATE = {};
        NdisAcquireReadWriteLock(lock, false, s);
        NdisReleaseReadWriteLock(lock, s);
      }),
      ["ReadWriteLock"],
    );
  });

  test("a handler that returns holding the lock is reported, as for a spin lock", async () => {
    assert.deepEqual(
      await run(() => {
        const lock: NDIS_RW_LOCK = {};
        NdisInitializeReadWriteLock(lock);
        NdisAcquireReadWriteLock(lock, false, {});
      }),
      ["SpinLock"],
    );
  });

  test("waiting while holding the lock is Irql_Wait_Function (NdisWaitEvent is PASSIVE_LEVEL only)", async () => {
    const host = new NdisHost({ verifier: "record" });
    let waited: boolean | null = null;
    await host.loadDriver({
      name: "waits",
      module: driverModule(async () => {
        const lock: NDIS_RW_LOCK = {};
        NdisInitializeReadWriteLock(lock);
        const event: NDIS_EVENT = {};
        NdisInitializeEvent(event);
        const s: LOCK_STATE = {};
        NdisAcquireReadWriteLock(lock, false, s);
        waited = await NdisWaitEvent(event, 0);
        NdisReleaseReadWriteLock(lock, s);
        NdisSetEvent(event);
        return 1;
      }),
    });
    await host.settle();
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["Irql_Wait_Function"],
    );
    assert.match(host.violations[0]?.message ?? "", /NdisWaitEvent called at DISPATCH_LEVEL/);
    assert.equal(waited, false, "the wait returns at once, the event not signaled");
  });

  test("lock calls appear in the trace with the access asked for", async () => {
    const host = new NdisHost();
    const details: string[] = [];
    host.onTrace((e) => {
      if (e.name.endsWith("ReadWriteLock")) details.push(`${e.name} ${e.detail}`);
    });
    await host.loadDriver({
      name: "traced",
      module: driverModule(() => {
        const lock: NDIS_RW_LOCK = {};
        NdisInitializeReadWriteLock(lock);
        const s: LOCK_STATE = {};
        NdisAcquireReadWriteLock(lock, true, s);
        NdisReleaseReadWriteLock(lock, s);
        return 1;
      }),
    });
    assert.deepEqual(details, [
      "NdisAcquireReadWriteLock write at PASSIVE_LEVEL",
      "NdisReleaseReadWriteLock back to PASSIVE_LEVEL",
    ]);
  });
});

describe("NdisDprAcquireSpinLock / NdisDprReleaseSpinLock (IRQL = DISPATCH_LEVEL)", () => {
  test("at DISPATCH_LEVEL they take and release the lock and leave the IRQL alone", async () => {
    const seen: number[] = [];
    const rules = await run(() => {
      const outer: NDIS_SPIN_LOCK = {};
      const inner: NDIS_SPIN_LOCK = {};
      NdisAllocateSpinLock(outer);
      NdisAllocateSpinLock(inner);
      NdisAcquireSpinLock(outer); // now at DISPATCH_LEVEL
      NdisDprAcquireSpinLock(inner);
      seen.push(KeGetCurrentIrql());
      NdisDprReleaseSpinLock(inner);
      seen.push(KeGetCurrentIrql());
      NdisReleaseSpinLock(outer);
      seen.push(KeGetCurrentIrql());
    });
    assert.deepEqual(rules, []);
    assert.deepEqual(seen, [DISPATCH_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL]);
  });

  test("called at PASSIVE_LEVEL they are Irql_Synch_Function; a held lock is SpinLockDpr, a free one SpinLockDprRelease", async () => {
    assert.deepEqual(
      await run(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        NdisDprAcquireSpinLock(lock);
        NdisDprReleaseSpinLock(lock);
      }),
      ["Irql_Synch_Function", "Irql_Synch_Function"],
    );
    assert.deepEqual(
      await run(() => {
        const outer: NDIS_SPIN_LOCK = {};
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(outer);
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(outer);
        NdisDprReleaseSpinLock(lock);
        NdisDprAcquireSpinLock(lock);
        NdisDprAcquireSpinLock(lock);
        NdisDprReleaseSpinLock(lock);
        NdisReleaseSpinLock(outer);
      }),
      ["SpinLockDprRelease", "SpinLockDpr"],
    );
  });
});

describe("NDIS_MUTEX (NDIS_INIT_MUTEX / NDIS_WAIT_FOR_MUTEX / NDIS_RELEASE_MUTEX)", () => {
  test("initialised free; the holder takes it again and releases it as many times; 0 when free again", async () => {
    const released: number[] = [];
    let irqlHeld = -1;
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "mutex",
      module: driverModule(async () => {
        const m: NDIS_MUTEX = {};
        NDIS_INIT_MUTEX(m);
        assert.equal(await NDIS_WAIT_FOR_MUTEX(m), STATUS_SUCCESS);
        assert.equal(await NDIS_WAIT_FOR_MUTEX(m), STATUS_SUCCESS); // recursive: same thread
        irqlHeld = KeGetCurrentIrql();
        released.push(NDIS_RELEASE_MUTEX(m), NDIS_RELEASE_MUTEX(m));
        return 1;
      }),
    });
    assert.deepEqual(released, [1, 0]);
    assert.equal(irqlHeld, PASSIVE_LEVEL, "a mutex does not raise the IRQL");
    assert.deepEqual(host.violations, []);
  });

  test("another thread waits until the holder releases; the waiter then holds it", async () => {
    const host = new NdisHost({ verifier: "record" });
    const m: NDIS_MUTEX = {};
    const gate: NDIS_EVENT = {};
    const order: string[] = [];
    const holder = host.loadDriver({
      name: "holder",
      module: driverModule(async () => {
        NDIS_INIT_MUTEX(m);
        NdisInitializeEvent(gate);
        await NDIS_WAIT_FOR_MUTEX(m);
        order.push("holder has it");
        await NdisWaitEvent(gate, 0); // blocked, holding the mutex
        order.push("holder releases");
        NDIS_RELEASE_MUTEX(m);
        return 1;
      }),
    });
    while (!order.includes("holder has it")) await new Promise((resolve) => setImmediate(resolve));
    const waiter = host.loadDriver({
      name: "waiter",
      module: driverModule(async () => {
        order.push("waiter asks");
        await NDIS_WAIT_FOR_MUTEX(m);
        order.push("waiter has it");
        assert.equal(NDIS_RELEASE_MUTEX(m), 0);
        return 1;
      }),
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ["holder has it", "waiter asks"], "the waiter is blocked");
    NdisSetEvent(gate);
    await Promise.all([holder, waiter]);
    await host.settle();
    assert.deepEqual(order, ["holder has it", "waiter asks", "holder releases", "waiter has it"]);
    assert.deepEqual(host.violations, []);
  });

  test("release by a thread that does not hold it, of a free mutex, or of one never initialised is NdisMutex; a wait above PASSIVE_LEVEL is Irql_Synch_Function", async () => {
    const host = new NdisHost({ verifier: "record" });
    const m: NDIS_MUTEX = {};
    await host.loadDriver({
      name: "first",
      module: driverModule(async () => {
        NDIS_INIT_MUTEX(m);
        await NDIS_WAIT_FOR_MUTEX(m);
        return 1; // returns holding it
      }),
    });
    await host.loadDriver({
      name: "second",
      module: driverModule(() => {
        NDIS_RELEASE_MUTEX(m); // not the holder
        NDIS_RELEASE_MUTEX({}); // never initialised (and so free)
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        void NDIS_WAIT_FOR_MUTEX({});
        NdisReleaseSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisMutex", "NdisMutex", "NdisMutex", "NdisMutex", "Irql_Synch_Function"],
    );
    assert.match(host.violations[0]?.message ?? "", /does not hold the mutex/);
    assert.match(host.violations[2]?.message ?? "", /nobody holds/);
  });
});
