/**
 * System sleep and wake (contract §2.9, §3.1 power, §7.3): NetEventQueryPower with veto, pause,
 * NetEventSetPower, OID_PNP_SET_POWER for NO_HALT_ON_SUSPEND adapters, MiniportHaltEx
 * (NdisHaltDevicePoweredDown) for the others, and the way back.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  NDIS_PAUSE_LOW_POWER,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisDeviceStateD0,
  NdisDeviceStateD3,
  NdisHaltDevicePoweredDown,
  NdisHost,
  NetEventPause,
  NetEventQueryPower,
  NetEventSetPower,
  OID_PNP_SET_POWER,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

describe("suspend and resume", () => {
  // "Handling a Set Power Request" (learn.microsoft.com, windows-hardware/drivers/network): to
  // sleep, NetEventSetPower first, then the pause, then OID_PNP_SET_POWER; to wake,
  // OID_PNP_SET_POWER(D0), the restart, then NetEventSetPower(D0).
  test("a NO_HALT_ON_SUSPEND adapter: query, set power, pause, OID_PNP_SET_POWER D3; back with D0, restart, set power", async () => {
    const host = new NdisHost({ verifier: "record" });
    const powers: number[] = [];
    const mp = scriptedMiniport({
      attributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
      oid: (_a, r) => {
        const q = r.DATA.SET_INFORMATION;
        if (q.Oid !== OID_PNP_SET_POWER) return 0xc0010017;
        powers.push(new DataView((q.InformationBuffer as Uint8Array).buffer).getUint32(0, true));
        q.BytesRead = 4;
        return NDIS_STATUS_SUCCESS;
      },
    });
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const log: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.kind === "handler" && e.phase === "call") log.push(e.name);
    });
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent", // NetEventQueryPower
      "ProtocolNetPnPEvent", // NetEventSetPower (D3)
      "ProtocolNetPnPEvent", // NetEventPause
      "MiniportPause",
      "MiniportOidRequest", // OID_PNP_SET_POWER (D3)
    ]);
    assert.deepEqual(proto.calls.slice(-3), [
      `ProtocolNetPnPEvent(${NetEventQueryPower})`,
      `ProtocolNetPnPEvent(${NetEventSetPower})`,
      `ProtocolNetPnPEvent(${NetEventPause}, ${NDIS_PAUSE_LOW_POWER})`,
    ]);
    assert.deepEqual(powers, [NdisDeviceStateD3]);
    assert.ok(mp.calls.includes(`MiniportPause(${NDIS_PAUSE_LOW_POWER})`), "paused for low power");
    assert.deepEqual(
      host.adapters.map((a) => a.state),
      ["Paused"],
    );
    log.length = 0;
    await host.resume();
    assert.deepEqual(log, [
      "MiniportOidRequest", // OID_PNP_SET_POWER (D0)
      "MiniportDevicePnPEventNotify", // NdisDevicePnPEventPowerProfileChanged
      "MiniportRestart",
      "ProtocolNetPnPEvent", // NetEventRestart
      "ProtocolNetPnPEvent", // NetEventSetPower (D0)
    ]);
    assert.deepEqual(powers, [NdisDeviceStateD3, NdisDeviceStateD0]);
    assert.deepEqual(
      host.adapters.map((a) => a.state),
      ["Running"],
    );
    assert.ok(!mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
    assert.deepEqual(rules(host), []);
  });

  test("an adapter without NO_HALT_ON_SUSPEND is halted with NdisHaltDevicePoweredDown and arrives again", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.ok(mp.calls.includes(`MiniportHaltEx(${NdisHaltDevicePoweredDown})`));
    assert.ok(
      !mp.calls.includes(`MiniportOidRequest(${(OID_PNP_SET_POWER >>> 0).toString(16)})`),
      "no OID_PNP_SET_POWER",
    );
    assert.deepEqual(host.adapters, []);
    await host.resume();
    assert.equal(mp.calls.filter((c) => c === "MiniportInitializeEx").length, 2);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["proto:eth0:Running"],
    );
    assert.deepEqual(rules(host), []);
  });

  test("a refusal of NetEventQueryPower vetoes the sleep; nothing is paused", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    const proto = scriptedProtocol({
      pnp: (_b, e) =>
        e.NetPnPEvent.NetEvent === NetEventQueryPower ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS,
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(await host.suspend(), NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.adapters.map((a) => a.state),
      ["Running"],
    );
    await assert.rejects(host.resume(), { code: "NDIS_ERR_INVALID_STATE" });
  });

  test("under passthrough: the test miniport is halted PoweredDown; on wake the whole stack comes back", async () => {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    const halts: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.kind === "handler" && e.phase === "call" && e.name === "MiniportHaltEx")
        halts.push(e.detail ?? "");
    });
    const before = host.liveObjects().map((o) => `${o.kind}:${o.name}`);
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    // tcpip above the VELAN heard the power events through passthrough's NdisMNetPnPEvent.
    assert.ok(tcpip.calls.includes(`ProtocolNetPnPEvent(${NetEventQueryPower})`));
    assert.ok(tcpip.calls.includes(`ProtocolNetPnPEvent(${NetEventSetPower})`));
    assert.ok(halts.includes("eth0"), "the physical adapter is halted");
    assert.equal(host.adapters.length, 0, "its virtual miniport went with its binding");
    await host.resume();
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Running", "eth0-pt:Running"],
    );
    assert.deepEqual(
      host.liveObjects().map((o) => `${o.kind}:${o.name}`),
      before,
    );
    assert.deepEqual(rules(host), []);
  });
});
