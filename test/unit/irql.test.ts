/** IRQL tracked per call: spin locks raise it, and every registration DDI checks it (§8.1). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DISPATCH_LEVEL,
  KeGetCurrentIrql,
  KeLowerIrql,
  KeRaiseIrql,
  KeTryToAcquireSpinLockAtDpcLevel,
  type NDIS_HANDLE,
  type NDIS_SPIN_LOCK,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisDprReleaseSpinLock,
  NdisFreeSpinLock,
  NdisHost,
  NdisIMAssociateMiniport,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  NdisReleaseSpinLock,
  type Out,
  PASSIVE_LEVEL,
} from "../../src/index.js";
import { driverModule, miniportChars, protocolChars } from "../helpers/drivers.js";

describe("IRQL tracking", () => {
  test("DriverEntry runs at PASSIVE_LEVEL; a spin lock raises to DISPATCH_LEVEL and release restores", async () => {
    const seen: number[] = [];
    const host = new NdisHost();
    await host.loadDriver({
      name: "lock",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        seen.push(KeGetCurrentIrql());
        NdisAcquireSpinLock(lock);
        seen.push(KeGetCurrentIrql());
        NdisReleaseSpinLock(lock);
        seen.push(KeGetCurrentIrql());
        NdisFreeSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(seen, [PASSIVE_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL]);
    assert.deepEqual(host.violations, []);
  });

  test("registering at DISPATCH_LEVEL violates each function's IRQL rule (record mode goes on)", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    await host.loadDriver({
      name: "raised",
      module: driverModule((DriverObject, RegistryPath) => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        const m: Out<NDIS_HANDLE> = {};
        const p: Out<NDIS_HANDLE> = {};
        statuses.push(
          NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), m),
        );
        statuses.push(NdisRegisterProtocolDriver(undefined, protocolChars(), p));
        NdisIMAssociateMiniport(m.value as NDIS_HANDLE, p.value as NDIS_HANDLE);
        NdisReleaseSpinLock(lock);
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.deepEqual(statuses, [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS]);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["Irql_Miniport_Driver_Function", "Irql_Protocol_Driver_Function", "Irql_IM_Function"],
    );
    assert.match(
      host.violations[0]?.message ?? "",
      /called at DISPATCH_LEVEL; it requires PASSIVE_LEVEL/,
    );
  });

  test("strict mode: registering at DISPATCH_LEVEL stops that driver, whose DriverEntry then fails", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const { status } = await host.loadDriver({
      name: "raised",
      module: driverModule((DriverObject, RegistryPath) => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAcquireSpinLock(lock);
        return NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          miniportChars(),
          {},
        );
      }),
    });
    await host.settle();
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.rule),
      ["Irql_Miniport_Driver_Function"],
    );
    assert.deepEqual(host.liveObjects(), []);
    assert.equal(
      KeGetCurrentIrql(),
      PASSIVE_LEVEL,
      "the unwound frame's raised IRQL is gone with it",
    );
  });

  test("a handler returning with a lock held is a SpinLock violation, and the IRQL is restored", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "holder",
      module: driverModule(() => {
        NdisAcquireSpinLock({});
        return 1;
      }),
    });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["SpinLock"],
    );
    let after = -1;
    await host.loadDriver({
      name: "next",
      module: driverModule(() => {
        after = KeGetCurrentIrql();
        return 1;
      }),
    });
    assert.equal(after, PASSIVE_LEVEL);
  });

  test("acquiring a held lock (deadlock) and releasing a free one are reported", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "misuse",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        NdisReleaseSpinLock(lock);
        NdisAcquireSpinLock(lock);
        NdisAcquireSpinLock(lock);
        NdisReleaseSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["SpinLockRelease", "SpinLock"],
    );
  });

  test("spin locks used outside any host do not throw", () => {
    const lock: NDIS_SPIN_LOCK = {};
    NdisAcquireSpinLock(lock);
    assert.equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    NdisReleaseSpinLock(lock);
    assert.equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  });
});

describe("raising the IRQL by hand (KeRaiseIrql / KeLowerIrql) and trying a lock", () => {
  test("a raise to DISPATCH_LEVEL and a lower back; a try succeeds on a free lock and fails on a held one without a report", async () => {
    const seen: (number | boolean)[] = [];
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "raise",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        const old = KeRaiseIrql(DISPATCH_LEVEL);
        seen.push(old, KeGetCurrentIrql());
        seen.push(KeTryToAcquireSpinLockAtDpcLevel(lock), KeTryToAcquireSpinLockAtDpcLevel(lock));
        NdisDprReleaseSpinLock(lock);
        KeLowerIrql(old);
        seen.push(KeGetCurrentIrql());
        NdisFreeSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(seen, [PASSIVE_LEVEL, DISPATCH_LEVEL, true, false, PASSIVE_LEVEL]);
    assert.deepEqual(host.violations, []);
  });

  test("a raise that would lower, a lower that would raise and a try below DISPATCH_LEVEL are reported and change nothing", async () => {
    const seen: number[] = [];
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "raise",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        KeLowerIrql(DISPATCH_LEVEL);
        seen.push(KeGetCurrentIrql());
        const old = KeRaiseIrql(DISPATCH_LEVEL);
        KeRaiseIrql(PASSIVE_LEVEL);
        seen.push(KeGetCurrentIrql());
        KeLowerIrql(old);
        if (KeTryToAcquireSpinLockAtDpcLevel(lock)) NdisDprReleaseSpinLock(lock);
        NdisFreeSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(seen, [PASSIVE_LEVEL, DISPATCH_LEVEL]);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["IrqlKeRaiseLower", "IrqlKeRaiseLower", "Irql_Synch_Function", "Irql_Synch_Function"],
    );
  });
});

describe("spin lock bookkeeping", () => {
  test("freeing a held lock is a SpinLock violation", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "freeheld",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        NdisFreeSpinLock(lock);
        NdisReleaseSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["SpinLock", "SpinLockRelease", "SpinLock"],
      "the free, the release of a freed lock, and DriverEntry returning still at DISPATCH_LEVEL",
    );
  });

  test("spin lock calls appear in the trace with the IRQL they move between", async () => {
    const host = new NdisHost();
    const details: string[] = [];
    host.onTrace((e) => {
      if (e.name.endsWith("SpinLock")) details.push(`${e.name} ${e.detail}`);
    });
    await host.loadDriver({
      name: "traced",
      module: driverModule(() => {
        const lock: NDIS_SPIN_LOCK = {};
        NdisAcquireSpinLock(lock);
        NdisReleaseSpinLock(lock);
        return 1;
      }),
    });
    assert.deepEqual(details, [
      "NdisAcquireSpinLock at PASSIVE_LEVEL",
      "NdisReleaseSpinLock back to PASSIVE_LEVEL",
    ]);
  });
});
