/**
 * The intermediate driver's two edges together (§2.4–§2.11): a MUX-shaped IM driver over the test
 * miniport with a protocol above it — the canonical bring-up and teardown sequences asserted call
 * by call from the trace, disable/re-enable, surprise removal, unload and shutdown, each ending
 * with nothing left behind.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  type NDIS_HANDLE,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_ACCEPTED,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMGetBindingContext,
  NdisIMInitializeDeviceInstanceEx,
  type TraceEvent,
} from "../../src/index.js";
import { type ImScript, scriptedIm } from "../helpers/im.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** testmp + an IM driver "im" bound to eth0 + a protocol "tcpip" bound to eth0's virtual miniport. */
async function stack(script: ImScript = {}) {
  const host = new NdisHost({
    verifier: "record",
    bindings: [
      { protocol: "im", adapter: "eth0" },
      { protocol: "tcpip", adapter: "eth0-vm" },
    ],
  });
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.phase !== "call" || e.name === "DriverEntry") return;
    if (e.kind === "handler") log.push(`${e.name}(${e.detail ?? ""})`);
    if (e.kind === "ddi" && e.name.startsWith("NdisIM")) log.push(e.name);
  });
  await host.loadDriver({ name: "testmp", module: testMiniport });
  const im = scriptedIm(script);
  await host.loadDriver({ name: "im", module: im.module });
  const tcpip = scriptedProtocol({ name: "tcpip" });
  await host.loadDriver({ name: "tcpip", module: tcpip.module });
  log.length = 0;
  return { host, log, im, tcpip };
}

const registrationsOnly = (host: NdisHost) =>
  host.liveObjects().filter((o) => o.kind === "adapter" || o.kind === "binding");

describe("bring-up (§2.10)", () => {
  test("device arrival under an IM driver: bind, open, ask for the virtual miniport, start it, bind above, restart", async () => {
    const { host, log, im } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(log, [
      "MiniportInitializeEx(eth0)",
      "MiniportDevicePnPEventNotify(eth0)",
      "ProtocolBindAdapterEx(im → eth0)",
      "NdisIMInitializeDeviceInstanceEx",
      // The PnP manager starts the virtual device after the call returned; the lower stack's
      // restart and the virtual miniport's start are independent (§2.10 steps 6 and 7/8).
      "MiniportInitializeEx(eth0-vm)",
      "MiniportDevicePnPEventNotify(eth0-vm)",
      "ProtocolBindAdapterEx(tcpip → eth0-vm)",
      "MiniportOidRequest(eth0-vm)",
      "MiniportRestart(eth0)",
      "MiniportRestart(eth0-vm)",
      "ProtocolNetPnPEvent(im → eth0: NetEventRestart)",
      "ProtocolNetPnPEvent(tcpip → eth0-vm: NetEventRestart)",
    ]);
    assert.deepEqual(
      host.adapters.map((a) => [a.name, a.intermediate, a.state]),
      [
        ["eth0", false, "Running"],
        ["eth0-vm", true, "Running"],
      ],
    );
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}:${b.state}`),
      ["im→eth0:Running", "tcpip→eth0-vm:Running"],
    );
    assert.deepEqual(im.statuses, [
      { call: "NdisIMInitializeDeviceInstanceEx(eth0-vm)", status: NDIS_STATUS_SUCCESS },
    ]);
    assert.deepEqual(host.violations, []);
  });

  test("the IM's own protocol never binds to its virtual miniport, even with all binding paths open", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "im", module: scriptedIm().module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}`),
      ["im→eth0"],
    );
  });

  test("NdisIMGetBindingContext gives a protocol above the DeviceContext the IM passed", async () => {
    const { host, im, tcpip } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    const upper = tcpip.bindings[0]?.handle as NDIS_HANDLE;
    assert.equal(NdisIMGetBindingContext(upper), im.lowers[0]);
    assert.deepEqual(host.violations, []);
  });

  test("asking twice for the same instance answers NDIS_STATUS_NOT_ACCEPTED (a success-class code)", async () => {
    let second = -1;
    const { host } = await stack({
      afterOpen: (lower, driverHandle) => {
        NdisIMInitializeDeviceInstanceEx(driverHandle, lower.instance, lower);
        second = NdisIMInitializeDeviceInstanceEx(driverHandle, lower.instance, lower);
      },
    });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.equal(second, NDIS_STATUS_NOT_ACCEPTED);
    assert.equal(host.adapters.length, 2);
  });

  test("cancelled before the PnP manager started it: no MiniportInitializeEx; too late: FAILURE", async () => {
    const cancels: number[] = [];
    const { host, log } = await stack({
      afterOpen: (lower, driverHandle) => {
        NdisIMInitializeDeviceInstanceEx(driverHandle, lower.instance, lower);
        cancels.push(NdisIMCancelInitializeDeviceInstance(driverHandle, lower.instance));
      },
    });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(cancels, [NDIS_STATUS_SUCCESS]);
    assert.ok(!log.includes("MiniportInitializeEx(eth0-vm)"));
    assert.deepEqual(
      host.adapters.map((a) => a.name),
      ["eth0"],
    );
  });

  test("an IM driver that never associated its edges cannot ask for instances", async () => {
    const { host } = await stack({ associate: false });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisIMInitializeDeviceInstanceEx_NotAssociated"],
    );
    assert.deepEqual(
      host.adapters.map((a) => a.name),
      ["eth0"],
    );
  });

  test("a handle that is not an IM driver handle: FAILURE and InvalidNdisHandle", async () => {
    let status = -1;
    const { host } = await stack({
      afterOpen: (lower) => {
        status = NdisIMInitializeDeviceInstanceEx({} as NDIS_HANDLE, lower.instance, lower);
      },
    });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
  });
});

describe("teardown (§2.11)", () => {
  // Order per "Removing a NIC" (step 10: pause protocols, filters, then the miniport; then
  // ProtocolUnbindAdapterEx; step 11: MiniportHaltEx) and "Stopping a driver stack".
  test("A: the underlying adapter is removed — the IM de-initializes its virtual miniport inside its unbind", async () => {
    const { host, log, im } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.removeAdapter("eth0");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(im → eth0: NetEventPause)",
      "MiniportPause(eth0)",
      "ProtocolUnbindAdapterEx(im → eth0)",
      "NdisIMDeInitializeDeviceInstance",
      "ProtocolNetPnPEvent(tcpip → eth0-vm: NetEventPause)",
      "MiniportPause(eth0-vm)",
      "ProtocolUnbindAdapterEx(tcpip → eth0-vm)",
      "MiniportHaltEx(eth0-vm)",
      "MiniportHaltEx(eth0)",
    ]);
    assert.equal(im.lowers[0]?.vm, null);
    assert.deepEqual(registrationsOnly(host), []);
    assert.deepEqual(host.violations, []);
  });

  // "Processing the Surprise Removal of a NIC (Windows 7 and Later Versions)": steps 4
  // (NetEventQueryRemoveDevice to the protocols), 5 (NdisDevicePnPEventSurpriseRemoved to the
  // miniport), 6 (pause protocols, miniport; unbind) and 7 (halt).
  test("surprise removal of the underlying adapter while the virtual miniport runs leaves nothing behind", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.removeAdapter("eth0", { surprise: true });
    assert.deepEqual(log.slice(0, 5), [
      "ProtocolNetPnPEvent(im → eth0: NetEvent 2)",
      "MiniportDevicePnPEventNotify(eth0)",
      "ProtocolNetPnPEvent(im → eth0: NetEventPause)",
      "MiniportPause(eth0)",
      "ProtocolUnbindAdapterEx(im → eth0)",
    ]);
    assert.equal(log.at(-1), "MiniportHaltEx(eth0)");
    assert.deepEqual(registrationsOnly(host), []);
    for (const name of ["tcpip", "im", "testmp"]) await host.unloadDriver(name);
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });

  test("B: disabling the virtual miniport halts it (NdisHaltDeviceDisabled) and keeps the lower binding; re-enabling brings it back", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.disableAdapter("eth0-vm");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(tcpip → eth0-vm: NetEventPause)",
      "MiniportPause(eth0-vm)",
      "ProtocolUnbindAdapterEx(tcpip → eth0-vm)",
      "MiniportHaltEx(eth0-vm)",
    ]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}:${b.state}`),
      ["im→eth0:Running"],
    );
    log.length = 0;
    await host.enableAdapter("eth0-vm");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent()",
      "NdisIMInitializeDeviceInstanceEx",
      "MiniportInitializeEx(eth0-vm)",
      "MiniportDevicePnPEventNotify(eth0-vm)",
      "ProtocolBindAdapterEx(tcpip → eth0-vm)",
      "MiniportOidRequest(eth0-vm)",
      "MiniportRestart(eth0-vm)",
      "ProtocolNetPnPEvent(tcpip → eth0-vm: NetEventRestart)",
    ]);
    assert.equal(host.adapter("eth0-vm")?.state, "Running");
    assert.deepEqual(host.violations, []);
  });

  test("C: unloading the IM driver with its bindings open removes the virtual miniport, unbinds, then unloads", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.unloadDriver("im");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(tcpip → eth0-vm: NetEventPause)",
      "MiniportPause(eth0-vm)",
      "ProtocolUnbindAdapterEx(tcpip → eth0-vm)",
      "MiniportHaltEx(eth0-vm)",
      "ProtocolNetPnPEvent(im → eth0: NetEventPause)",
      "ProtocolUnbindAdapterEx(im → eth0)",
      "NdisIMCancelInitializeDeviceInstance",
      "MiniportDriverUnload()",
    ]);
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Running"],
    );
    assert.deepEqual(
      host.liveObjects().filter((o) => o.driver === "im"),
      [],
    );
    assert.deepEqual(host.violations, []);
  });

  test("system shutdown: MiniportShutdownEx for both adapters, nothing else, nothing left", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.shutdown();
    assert.deepEqual(log, ["MiniportShutdownEx(eth0)", "MiniportShutdownEx(eth0-vm)"]);
    assert.deepEqual(host.liveObjects(), []);
  });
});
