/**
 * Blocking waits: a PASSIVE_LEVEL handler that returns a promise (an `async` handler awaiting
 * NdisWaitEvent / NdisMSleep) is still running until it settles; NDIS uses the settled value as
 * its return, the host goes on meanwhile, time passes on the host clock, and waiting above
 * PASSIVE_LEVEL is Irql_Wait_Function. Pool memory is tracked by tag.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Executive,
  type KEVENT,
  KeGetCurrentIrql,
  KeInitializeEvent,
  KeReadStateEvent,
  KeResetEvent,
  KernelMode,
  KeSetEvent,
  KeWaitForSingleObject,
  ManualClock,
  makeOidRequest,
  type NDIS_EVENT,
  type NDIS_HANDLE,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAcquireSpinLock,
  NdisAllocateMemoryWithTagPriority,
  NdisAllocateSpinLock,
  NdisFreeMemory,
  NdisHost,
  NdisInitializeEvent,
  NdisMSleep,
  NdisOidRequest,
  NdisReleaseSpinLock,
  NdisRequestQueryInformation,
  NdisSetEvent,
  NdisWaitEvent,
  NormalPoolPriority,
  NotificationEvent,
  PASSIVE_LEVEL,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  SynchronizationEvent,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
/** 'Test' as a pool tag (its characters little-endian, as the C literal 'tseT'). */
const TAG = 0x74736554;
/** A vendor-private OID: NDIS passes it to the miniport (it answers none of them itself). */
const PRIVATE_OID = 0xff010001;

describe("a handler that blocks", () => {
  test("a bind that pends an open and an OID and waits for each works; the host waits", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    host.pendOperations("NdisOpenAdapterEx");
    const opened: NDIS_EVENT = {};
    const answered: NDIS_EVENT = {};
    const order: string[] = [];
    const miniport = scriptedMiniport({
      // The miniport's OID handler blocks too: 5 ms of host time, then it answers.
      oid: async (_a, request) => {
        // (Requests NDIS or the protocol make at bring-up are answered at once.)
        if (request.DATA.QUERY_INFORMATION.Oid !== PRIVATE_OID) return NDIS_STATUS_SUCCESS;
        order.push("MiniportOidRequest sleeps");
        await NdisMSleep(5000);
        order.push("MiniportOidRequest wakes");
        request.DATA.QUERY_INFORMATION.BytesWritten = 4;
        return NDIS_STATUS_SUCCESS;
      },
    });
    let oidStatus = -1;
    let waitedAt = -1;
    const protocol = scriptedProtocol({
      bind: async (b, _bindContext, open) => {
        NdisInitializeEvent(opened);
        NdisInitializeEvent(answered);
        const status = open();
        assert.equal(status, NDIS_STATUS_PENDING);
        order.push("bind waits for the open");
        assert.equal(await NdisWaitEvent(opened, 0), true);
        waitedAt = KeGetCurrentIrql();
        order.push("bind waits for the OID");
        const request = makeOidRequest({
          RequestType: NdisRequestQueryInformation,
          Oid: PRIVATE_OID,
          InformationBuffer: new Uint8Array(4),
        });
        assert.equal(NdisOidRequest(b.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
        assert.equal(await NdisWaitEvent(answered, 0), true);
        order.push("bind returns");
        return NDIS_STATUS_SUCCESS;
      },
      openComplete: () => {
        order.push("open completes");
        NdisSetEvent(opened);
      },
      oidComplete: (_b, _request, status) => {
        oidStatus = status;
        NdisSetEvent(answered);
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.loadDriver({ name: "p", module: protocol.module });
    let added = false;
    const adding = host.addAdapter({ driver: "m", name: "eth0" }).then(() => {
      added = true;
    });
    for (let i = 0; i < 5; i++) await drain();
    // The bind is still running (waiting on the OID): the host has not finished adding.
    assert.equal(added, false);
    assert.equal(host.bindings[0]?.state, "Opening");
    assert.deepEqual(order, [
      "bind waits for the open",
      "open completes",
      "bind waits for the OID",
      "MiniportOidRequest sleeps",
    ]);
    clock.advance(4);
    await drain();
    assert.equal(order.at(-1), "MiniportOidRequest sleeps", "4 ms of a 5 ms sleep");
    clock.advance(1);
    await adding;
    assert.deepEqual(order.slice(4), ["MiniportOidRequest wakes", "bind returns"]);
    assert.equal(oidStatus, NDIS_STATUS_SUCCESS);
    assert.equal(waitedAt, PASSIVE_LEVEL);
    assert.equal(host.bindings[0]?.state, "Running");
    assert.deepEqual(rules(host), []);
  });

  test("a wait that times out resolves false on the host clock, not before", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    const never: NDIS_EVENT = {};
    let result: boolean | null = null;
    const miniport = scriptedMiniport();
    const protocol = scriptedProtocol({
      bind: async (_b, _c, open) => {
        NdisInitializeEvent(never);
        result = await NdisWaitEvent(never, 250);
        return open();
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.loadDriver({ name: "p", module: protocol.module });
    const adding = host.addAdapter({ driver: "m", name: "eth0" });
    await drain();
    clock.advance(249);
    await drain();
    assert.equal(result, null);
    clock.advance(1);
    await adding;
    assert.equal(result, false);
    assert.equal(host.bindings[0]?.state, "Running");
  });

  test("waiting while holding a spin lock is Irql_Wait_Function", async () => {
    const host = new NdisHost({ verifier: "record" });
    const event: NDIS_EVENT = {};
    const lock = {};
    const protocol = scriptedProtocol({
      bind: async (_b, _c, open) => {
        NdisInitializeEvent(event);
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        const signaled = await NdisWaitEvent(event, 10);
        NdisReleaseSpinLock(lock);
        assert.equal(signaled, false);
        return open();
      },
    });
    await host.loadDriver({ name: "m", module: scriptedMiniport().module });
    await host.loadDriver({ name: "p", module: protocol.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    const violation = host.violations.find((v) => v.rule === "Irql_Wait_Function");
    assert.ok(violation, `violations: ${rules(host).join(", ")}`);
    assert.match(
      violation.message,
      /NdisWaitEvent called at DISPATCH_LEVEL in ProtocolBindAdapterEx/,
    );
    assert.equal(violation.driver, "p");
  });

  test("a blocked handler resumes in its own frame: a spin lock it still holds when it settles is reported", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    const lock = {};
    const protocol = scriptedProtocol({
      bind: async (_b, _c, open) => {
        await NdisMSleep(1000);
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        return open();
      },
    });
    await host.loadDriver({ name: "m", module: scriptedMiniport().module });
    await host.loadDriver({ name: "p", module: protocol.module });
    const adding = host.addAdapter({ driver: "m", name: "eth0" });
    await drain();
    clock.advance(1);
    await adding;
    assert.ok(rules(host).includes("SpinLock"), rules(host).join(", "));
    // …and NDIS's own code after it runs at PASSIVE_LEVEL again.
    assert.equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  });

  test("a rejected handler is a thrown handler: DriverException, and NDIS goes on with its failure", async () => {
    const host = new NdisHost({ verifier: "record" });
    const protocol = scriptedProtocol({
      bind: async () => {
        await NdisMSleep(0);
        throw new TypeError("lost the adapter");
      },
    });
    await host.loadDriver({ name: "m", module: scriptedMiniport().module });
    await host.loadDriver({ name: "p", module: protocol.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /ProtocolBindAdapterEx threw TypeError: lost the adapter/,
    );
    assert.equal(host.bindings.length, 0);
  });

  test("a pause that waits forever is still caught by the pause watchdog", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    const never: NDIS_EVENT = {};
    NdisInitializeEvent(never);
    const miniport = scriptedMiniport({
      pause: async () => {
        await NdisWaitEvent(never, 0);
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    void host.pauseStack("eth0").catch(() => undefined);
    await drain();
    clock.advance(11_000);
    await drain();
    assert.ok(rules(host).includes("NdisTimedPauseComplete"), rules(host).join(", "));
    NdisSetEvent(never);
    for (let i = 0; i < 4; i++) await drain();
    assert.equal(host.adapter("eth0")?.state, "Paused");
  });

  test("an OID handler that blocks completes to the issuer with its settled status", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    const miniport = scriptedMiniport({
      oid: async (_a, request) => {
        if (request.DATA.QUERY_INFORMATION.Oid !== PRIVATE_OID) return NDIS_STATUS_SUCCESS;
        await NdisMSleep(2000);
        return NDIS_STATUS_FAILURE;
      },
    });
    let status = -1;
    let issue: (() => number) | null = null;
    const protocol = scriptedProtocol({
      oidComplete: (_b, _r, s) => {
        status = s;
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.loadDriver({ name: "p", module: protocol.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    const b = protocol.bindings[0];
    issue = () =>
      NdisOidRequest(
        b?.handle as NDIS_HANDLE,
        makeOidRequest({
          RequestType: NdisRequestQueryInformation,
          Oid: PRIVATE_OID,
          InformationBuffer: new Uint8Array(4),
        }),
      );
    assert.equal(issue(), NDIS_STATUS_PENDING);
    await drain();
    assert.equal(status, -1);
    clock.advance(2);
    await drain();
    await drain();
    assert.equal(status, NDIS_STATUS_FAILURE);
  });
});

describe("pool memory", () => {
  test("a block left allocated at unload is named by its tag; freeing twice is reported", async () => {
    const host = new NdisHost({ verifier: "record" });
    let handle: NDIS_HANDLE | undefined;
    const blocks: (Uint8Array | null)[] = [];
    const miniport = scriptedMiniport();
    const module = {
      DriverEntry: (DriverObject: unknown, RegistryPath: unknown) => {
        const status = (miniport.module.DriverEntry as (a: unknown, b: unknown) => number)(
          DriverObject,
          RegistryPath,
        );
        handle = miniport.driverHandle();
        blocks.push(
          NdisAllocateMemoryWithTagPriority(handle as NDIS_HANDLE, 48, TAG, NormalPoolPriority),
        );
        blocks.push(
          NdisAllocateMemoryWithTagPriority(handle as NDIS_HANDLE, 16, TAG, NormalPoolPriority),
        );
        blocks.push(
          NdisAllocateMemoryWithTagPriority(handle as NDIS_HANDLE, 8, TAG, NormalPoolPriority),
        );
        return status;
      },
    };
    await host.loadDriver({ name: "m", module });
    assert.equal(blocks[0]?.length, 48);
    assert.ok(blocks[0]?.every((b) => b === 0));
    NdisFreeMemory(blocks[2], 8, 0);
    assert.deepEqual(rules(host), []);
    NdisFreeMemory(blocks[2], 8, 0);
    assert.deepEqual(rules(host), ["NdisFreeMemory_NotAllocated"]);
    await host.unloadDriver("m");
    const leak = host.violations.find((v) => v.rule === "Memory_LeakedAtUnload");
    assert.match(leak?.message ?? "", /pool tag 'Test' \(0x74736554\): 2 blocks, 64 bytes/);
  });

  test("an allocation without a pool tag is the NdisAllocateMemoryWithTagPriority warning", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const miniport = scriptedMiniport({
      halt: (adapter) => {
        const block = NdisAllocateMemoryWithTagPriority(adapter.handle, 4, 0, NormalPoolPriority);
        NdisFreeMemory(block, 4, 0);
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    await host.removeAdapter("eth0");
    assert.deepEqual(rules(host), ["NdisAllocateMemoryWithTagPriority"]);
    assert.equal(host.violations[0]?.severity, "warning");
  });

  test("NdisFreeMemory of a block never allocated is NdisFreeMemory_NotAllocated", async () => {
    const host = new NdisHost({ verifier: "record" });
    const miniport = scriptedMiniport({
      halt: () => {
        NdisFreeMemory(new Uint8Array(4), 4, 0);
      },
    });
    await host.loadDriver({ name: "m", module: miniport.module });
    await host.addAdapter({ driver: "m", name: "eth0" });
    await host.removeAdapter("eth0");
    assert.ok(rules(host).includes("NdisFreeMemory_NotAllocated"), rules(host).join(", "));
  });
});

describe("an event's state read without waiting", () => {
  test("KeReadStateEvent reads 0 or 1; KeResetEvent clears and gives the previous state; KeSetEvent gives it too", () => {
    const event: KEVENT = {};
    KeInitializeEvent(event, 0, false);
    assert.equal(KeReadStateEvent(event), 0);
    assert.equal(KeSetEvent(event, 0, false), 0);
    assert.equal(KeReadStateEvent(event), 1);
    assert.equal(KeResetEvent(event), 1);
    assert.equal(KeReadStateEvent(event), 0);
    assert.equal(KeResetEvent(event), 0);
  });
});

describe("kernel events: notification and synchronization (KeInitializeEvent's Type)", () => {
  test("a set releases every waiter of a notification event and stays set; one waiter of a synchronization event, which resets", async () => {
    const notification: KEVENT = {};
    const synchronization: KEVENT = {};
    KeInitializeEvent(notification, NotificationEvent, false);
    KeInitializeEvent(synchronization, SynchronizationEvent, false);
    const woke: string[] = [];
    const wait = (event: KEVENT, name: string) =>
      KeWaitForSingleObject(event, Executive, KernelMode, false, null).then(() => woke.push(name));
    const all = [wait(notification, "n1"), wait(notification, "n2")];
    const one = [wait(synchronization, "s1"), wait(synchronization, "s2")];
    KeSetEvent(notification, 0, false);
    KeSetEvent(synchronization, 0, false);
    await Promise.all(all);
    await drain();
    assert.deepEqual(woke.sort(), ["n1", "n2", "s1"]);
    // The notification event stays set; the synchronization event was taken by s1.
    assert.equal(
      await KeWaitForSingleObject(notification, Executive, KernelMode, false, 0n),
      STATUS_SUCCESS,
    );
    assert.equal(
      await KeWaitForSingleObject(synchronization, Executive, KernelMode, false, 0n),
      STATUS_TIMEOUT,
    );
    // Set with nobody waiting, it stays set until one wait takes it.
    KeSetEvent(synchronization, 0, false);
    await Promise.all(one);
    assert.deepEqual(woke.sort(), ["n1", "n2", "s1", "s2"]);
    KeSetEvent(synchronization, 0, false);
    assert.equal(
      await KeWaitForSingleObject(synchronization, Executive, KernelMode, false, 0n),
      STATUS_SUCCESS,
    );
    assert.equal(
      await KeWaitForSingleObject(synchronization, Executive, KernelMode, false, 0n),
      STATUS_TIMEOUT,
    );
  });
});
