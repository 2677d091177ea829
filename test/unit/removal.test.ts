/**
 * Removal and unbind orders as the Microsoft docs describe them, and the DDI calls with which a
 * driver asks for one (NdisUnbindAdapter, NdisMRemoveMiniport). Each test names its page on
 * learn.microsoft.com (windows-hardware/drivers/network and the ndis.h DDI reference).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_PAUSE_UNBIND_PROTOCOL,
  type NDIS_SPIN_LOCK,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisCloseAdapterEx,
  NdisCompleteBindAdapterEx,
  NdisCompleteUnbindAdapterEx,
  NdisHaltDeviceDisabled,
  NdisHaltDeviceFailed,
  NdisHaltDeviceSurpriseRemoved,
  NdisHost,
  NdisMRemoveMiniport,
  NdisReleaseSpinLock,
  NdisUnbindAdapter,
  NetEventPause,
  NetEventQueryRemoveDevice,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** A host with miniport "mp", protocols "p1" and "p2", adapter eth0, and a handler log. */
async function twoProtocols() {
  const host = new NdisHost({ verifier: "record" });
  const log: string[] = [];
  const halts: number[] = [];
  const mp = scriptedMiniport({ halt: (_a, action) => halts.push(action) });
  await host.loadDriver({ name: "mp", module: mp.module });
  const p1 = scriptedProtocol({ name: "p1" });
  const p2 = scriptedProtocol({ name: "p2" });
  await host.loadDriver({ name: "p1", module: p1.module });
  await host.loadDriver({ name: "p2", module: p2.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  host.onTrace((e: TraceEvent) => {
    if (e.kind === "handler" && e.phase === "call") log.push(`${e.name}(${e.detail ?? ""})`);
  });
  return { host, log, mp, p1, p2, halts };
}

const PAUSE = (p: string) => `ProtocolNetPnPEvent(${p} → eth0: NetEventPause)`;
const UNBIND = (p: string) => `ProtocolUnbindAdapterEx(${p} → eth0)`;

describe("removal order", () => {
  // "Removing a NIC", step 10 (pause every protocol, the filters, then the miniport; then
  // ProtocolUnbindAdapterEx for every protocol) and step 11 (MiniportHaltEx,
  // NdisHaltDeviceDisabled); "Stopping a driver stack" says the same.
  test("orderly: all protocols paused, then the miniport, then all unbound, then the halt", async () => {
    const { host, log, halts } = await twoProtocols();
    await host.removeAdapter("eth0");
    assert.deepEqual(log, [
      PAUSE("p1"),
      PAUSE("p2"),
      "MiniportPause(eth0)",
      UNBIND("p1"),
      UNBIND("p2"),
      "MiniportHaltEx(eth0)",
    ]);
    assert.deepEqual(halts, [NdisHaltDeviceDisabled]);
    assert.deepEqual(host.violations, []);
  });

  // "Processing the Surprise Removal of a NIC (Windows 7 and Later Versions)": step 4
  // (ProtocolNetPnPEvent(NetEventQueryRemoveDevice) to every bound protocol), step 5
  // (MiniportDevicePnPEventNotify(NdisDevicePnPEventSurpriseRemoved)), step 6 (pause protocols,
  // pause the miniport, unbind), step 7 (MiniportHaltEx, NdisHaltDeviceSurpriseRemoved).
  test("surprise: query-remove to the protocols before the miniport hears of it, then the orderly steps", async () => {
    const { host, log, halts, p1 } = await twoProtocols();
    p1.calls.length = 0;
    await host.removeAdapter("eth0", { surprise: true });
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(p1 → eth0: NetEvent 2)",
      "ProtocolNetPnPEvent(p2 → eth0: NetEvent 2)",
      "MiniportDevicePnPEventNotify(eth0)",
      PAUSE("p1"),
      PAUSE("p2"),
      "MiniportPause(eth0)",
      UNBIND("p1"),
      UNBIND("p2"),
      "MiniportHaltEx(eth0)",
    ]);
    assert.equal(p1.calls[0], `ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`);
    assert.deepEqual(halts, [NdisHaltDeviceSurpriseRemoved]);
    assert.deepEqual(host.violations, []);
  });

  test("surprise: a protocol refusing the query-remove does not stop the removal", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const stubborn = scriptedProtocol({
      name: "stubborn",
      pnp: (_b, e) =>
        e.NetPnPEvent.NetEvent === NetEventQueryRemoveDevice
          ? NDIS_STATUS_FAILURE
          : NDIS_STATUS_SUCCESS,
    });
    await host.loadDriver({ name: "stubborn", module: stubborn.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.removeAdapter("eth0", { surprise: true });
    assert.deepEqual(host.adapters, []);
    assert.deepEqual(host.violations, []);
  });
});

describe("NdisUnbindAdapter (ndis.h DDI page)", () => {
  test("returns SUCCESS at once; NDIS then pauses the binding (NDIS_PAUSE_UNBIND_PROTOCOL) and unbinds it", async () => {
    const { host, log, p1 } = await twoProtocols();
    p1.calls.length = 0;
    const handle = p1.bindings[0]?.handle as NDIS_HANDLE;
    assert.equal(NdisUnbindAdapter(handle), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [], "nothing happens inside the call");
    assert.equal(NdisUnbindAdapter(handle), NDIS_STATUS_SUCCESS, "a second request adds nothing");
    await host.settle();
    assert.deepEqual(log, [PAUSE("p1"), UNBIND("p1")]);
    assert.deepEqual(p1.calls, [
      `ProtocolNetPnPEvent(${NetEventPause}, ${NDIS_PAUSE_UNBIND_PROTOCOL})`,
      "ProtocolUnbindAdapterEx(eth0)",
    ]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.state}`),
      ["p2:Running"],
    );
    assert.equal(host.adapter("eth0")?.state, "Running");
    assert.deepEqual(host.violations, []);
  });

  test("allowed at DISPATCH_LEVEL; a dead handle is FAILURE and InvalidNdisHandle", async () => {
    const { host, p1 } = await twoProtocols();
    const handle = p1.bindings[0]?.handle as NDIS_HANDLE;
    const lock = { OldIrql: 0 } as NDIS_SPIN_LOCK;
    NdisAllocateSpinLock(lock);
    NdisAcquireSpinLock(lock);
    const status = NdisUnbindAdapter(handle);
    NdisReleaseSpinLock(lock);
    assert.equal(status, NDIS_STATUS_SUCCESS);
    await host.settle();
    assert.equal(host.violations.length, 0);
    assert.equal(NdisUnbindAdapter(handle), NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
  });
});

describe("NdisMRemoveMiniport (ndis.h DDI page; MiniportHaltEx page: NdisHaltDeviceFailed)", () => {
  test("the adapter is removed in removal order and halted with NdisHaltDeviceFailed", async () => {
    const { host, log, mp, halts } = await twoProtocols();
    const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
    assert.equal(NdisMRemoveMiniport(adapter), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [], "NDIS removes it after the call");
    assert.equal(NdisMRemoveMiniport(adapter), NDIS_STATUS_FAILURE, "already being removed");
    await host.settle();
    assert.deepEqual(log, [
      PAUSE("p1"),
      PAUSE("p2"),
      "MiniportPause(eth0)",
      UNBIND("p1"),
      UNBIND("p2"),
      "MiniportHaltEx(eth0)",
    ]);
    assert.deepEqual(halts, [NdisHaltDeviceFailed]);
    assert.deepEqual(host.adapters, []);
    assert.deepEqual(host.violations, []);
  });
});

describe("bind and unbind completions at DISPATCH_LEVEL", () => {
  // NdisCompleteBindAdapterEx / NdisCompleteUnbindAdapterEx DDI pages: IRQL <= DISPATCH_LEVEL.
  test("NdisCompleteBindAdapterEx and NdisCompleteUnbindAdapterEx under a spin lock are no violation", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const lock = { OldIrql: 0 } as NDIS_SPIN_LOCK;
    NdisAllocateSpinLock(lock);
    const proto = scriptedProtocol({
      name: "late",
      // Both pend and complete as a DPC would, holding a spin lock (DISPATCH_LEVEL).
      bind: (_b, bindContext, open) => {
        open();
        NdisAcquireSpinLock(lock);
        NdisCompleteBindAdapterEx(bindContext, NDIS_STATUS_SUCCESS);
        NdisReleaseSpinLock(lock);
        return NDIS_STATUS_PENDING;
      },
      unbind: (b, unbindContext) => {
        NdisCloseAdapterEx(b.handle as NDIS_HANDLE);
        NdisAcquireSpinLock(lock);
        NdisCompleteUnbindAdapterEx(unbindContext);
        NdisReleaseSpinLock(lock);
        return NDIS_STATUS_PENDING;
      },
    });
    await host.loadDriver({ name: "late", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(host.bindings[0]?.state, "Running");
    await host.removeAdapter("eth0");
    assert.deepEqual(host.bindings, []);
    assert.deepEqual(host.violations, []);
  });
});

describe("a handler that throws", () => {
  // The report names the driver's own line (docs/ddi.md: "Events for the protocol as a whole").
  test("DriverException carries the JavaScript stack of the driver's code, cut at NDIS", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const proto = scriptedProtocol({
      name: "thrower",
      pnp: (b) => {
        if (b === null) throw new Error("no binding context");
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "thrower", module: proto.module });
    const report = host.violations.find((v) => v.rule === "DriverException");
    assert.ok(report !== undefined);
    assert.match(
      report.message,
      /threw Error: no binding context\n {4}at .*removal\.test\.ts:\d+:\d+/,
    );
    assert.doesNotMatch(report.message, /runtime[\\/]core/);
  });
});
