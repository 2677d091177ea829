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
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  NDIS_PAUSE_LOW_POWER,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisDeviceStateD0,
  NdisDeviceStateD3,
  NdisHaltDevicePoweredDown,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NetEventPause,
  NetEventQueryPower,
  NetEventRestart,
  NetEventSetPower,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedIm } from "../helpers/im.js";
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

  // "Handling a Set Power Request": a miniport that does not stay powered over the sleep is halted,
  // and NDIS does not ask what is bound to it to unbind. "Power Management for Old Miniport
  // Drivers": without NO_HALT_ON_SUSPEND, MiniportHaltEx before the sleep and MiniportInitializeEx
  // on the way back, after which NDIS sets again the packet filter the protocols had set.
  test("an adapter without NO_HALT_ON_SUSPEND is halted PoweredDown and initialized again; its binding stays", async () => {
    const host = new NdisHost({ verifier: "record" });
    const filters: string[] = [];
    const mp = scriptedMiniport({
      oid: (_a, r) => {
        const q = r.DATA.SET_INFORMATION;
        if (q.Oid !== OID_GEN_CURRENT_PACKET_FILTER) return NDIS_STATUS_NOT_SUPPORTED;
        filters.push(
          new DataView((q.InformationBuffer as Uint8Array).buffer).getUint32(0, true).toString(16),
        );
        q.BytesRead = 4;
        return NDIS_STATUS_SUCCESS;
      },
    });
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const set = await host.oidRequest("eth0", {
      type: "set",
      oid: OID_GEN_CURRENT_PACKET_FILTER,
      buffer: Uint8Array.of(0x0b, 0, 0, 0),
    });
    assert.equal(set.status, NDIS_STATUS_SUCCESS);
    proto.calls.length = 0;
    mp.calls.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(mp.calls, [
      `MiniportPause(${NDIS_PAUSE_LOW_POWER})`,
      `MiniportHaltEx(${NdisHaltDevicePoweredDown})`,
    ]);
    assert.ok(!proto.calls.some((c) => c.startsWith("ProtocolUnbindAdapterEx")), "not unbound");
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Halted"],
    );
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["proto:eth0:Paused"],
    );
    proto.calls.length = 0;
    mp.calls.length = 0;
    filters.length = 0;
    await host.resume();
    assert.deepEqual(
      mp.calls.filter((c) => !c.startsWith("MiniportDevicePnPEventNotify")),
      [
        "MiniportInitializeEx",
        `MiniportOidRequest(${OID_GEN_CURRENT_PACKET_FILTER.toString(16)})`, // restored by NDIS
        "MiniportRestart",
      ],
    );
    assert.deepEqual(filters, ["b"], "the last packet filter the miniport accepted");
    // The same binding restarts: no second ProtocolBindAdapterEx.
    assert.deepEqual(proto.calls, [
      `ProtocolNetPnPEvent(${NetEventRestart})`,
      `ProtocolNetPnPEvent(${NetEventSetPower})`,
    ]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["proto:eth0:Running"],
    );
    assert.deepEqual(rules(host), []);
  });

  // "Handling a Set Power Request" (and OID_PNP_SET_POWER): no OID request but OID_PNP_SET_POWER
  // reaches a miniport in a low-power state. NDIS holds one that comes meanwhile and delivers it
  // once the adapter is back in D0.
  test("an OID request to a sleeping adapter waits for OID_PNP_SET_POWER(D0)", async () => {
    const host = new NdisHost({ verifier: "record" });
    const seen: string[] = [];
    const mp = scriptedMiniport({
      attributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
      oid: (_a, r) => {
        const q = r.DATA.QUERY_INFORMATION;
        seen.push(q.Oid === OID_PNP_SET_POWER ? "OID_PNP_SET_POWER" : `0x${q.Oid.toString(16)}`);
        if (q.Oid === OID_PNP_SET_POWER) r.DATA.SET_INFORMATION.BytesRead = 4;
        return q.Oid === OID_PNP_SET_POWER ? NDIS_STATUS_SUCCESS : NDIS_STATUS_NOT_SUPPORTED;
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    seen.length = 0;
    let answered = false;
    const query = host
      .oidRequest("eth0", { type: "query", oid: OID_GEN_VENDOR_DESCRIPTION })
      .then((a) => {
        answered = true;
        return a;
      });
    await host.settle();
    assert.deepEqual(seen, [], "held while the adapter sleeps");
    assert.equal(answered, false);
    await host.resume();
    assert.equal((await query).status, NDIS_STATUS_NOT_SUPPORTED);
    assert.deepEqual(seen, ["OID_PNP_SET_POWER", `0x${OID_GEN_VENDOR_DESCRIPTION.toString(16)}`]);
    assert.deepEqual(rules(host), []);
  });

  // "Handling PnP Events and Power Management Events in a Protocol Driver" (NetEventSetPower):
  // while the adapter is in a low-power state a protocol issues no OID request. One that does is
  // named (a warning); NDIS holds its request until the adapter is back in D0.
  test("a protocol's OID request while its adapter sleeps: NdisOidRequest_LowPower, held until D0", async () => {
    const host = new NdisHost({ verifier: "record" });
    const seen: number[] = [];
    const mp = scriptedMiniport({
      attributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
      oid: (_a, r) => {
        const q = r.DATA.QUERY_INFORMATION;
        seen.push(q.Oid);
        if (q.Oid === OID_PNP_SET_POWER) r.DATA.SET_INFORMATION.BytesRead = 4;
        return q.Oid === OID_PNP_SET_POWER ? NDIS_STATUS_SUCCESS : NDIS_STATUS_NOT_SUPPORTED;
      },
    });
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    seen.length = 0;
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
    });
    const binding = proto.bindings[0] as { handle: NDIS_HANDLE };
    assert.equal(NdisOidRequest(binding.handle, request), NDIS_STATUS_PENDING);
    assert.deepEqual(rules(host), ["NdisOidRequest_LowPower"]);
    assert.deepEqual(seen, []);
    await host.resume();
    assert.deepEqual(seen, [OID_PNP_SET_POWER, OID_GEN_VENDOR_DESCRIPTION]);
    assert.deepEqual(
      proto.oidCompletions.map((c) => [c.request, c.status]),
      [[request, NDIS_STATUS_NOT_SUPPORTED]],
    );
  });

  // "Handling PnP Events and Power Management Events in an Intermediate Driver": an IM driver sets
  // NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND for its virtual miniports. One that does not is
  // named, and NDIS treats its virtual miniport as any such miniport: halted for the sleep with
  // its bindings kept, and initialized again (with the same device instance context) on wake.
  test("an IM virtual miniport without NO_HALT_ON_SUSPEND: named; halted PoweredDown and initialized again, its binding kept", async () => {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "im", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-vm" },
      ],
    });
    const im = scriptedIm({ attributeFlags: 0 });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "im", module: im.module });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(rules(host), ["IMMiniport_NoHaltOnSuspend"]);
    const log: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (
        e.kind === "handler" &&
        e.phase === "call" &&
        /Miniport(HaltEx|InitializeEx)/.test(e.name)
      )
        log.push(`${e.name}(${e.detail ?? ""})`);
    });
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, ["MiniportHaltEx(eth0-vm)", "MiniportHaltEx(eth0)"]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["im:eth0:Paused", "tcpip:eth0-vm:Paused"],
    );
    log.length = 0;
    await host.resume();
    // The lower adapter first, then the virtual miniport, each initialized again.
    assert.deepEqual(log, ["MiniportInitializeEx(eth0)", "MiniportInitializeEx(eth0-vm)"]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["im:eth0:Running", "tcpip:eth0-vm:Running"],
    );
    assert.deepEqual(rules(host), ["IMMiniport_NoHaltOnSuspend", "IMMiniport_NoHaltOnSuspend"]);
  });

  // "Handling a Set Power Request": the IM driver must not propagate OID_PNP_SET_POWER to the
  // underlying miniport; OID_PNP_QUERY_POWER: an intermediate driver never propagates it. An IM
  // whose protocol edge issues either is named.
  for (const oid of [OID_PNP_SET_POWER, OID_PNP_QUERY_POWER]) {
    test(`an IM driver passing ${oid === OID_PNP_SET_POWER ? "OID_PNP_SET_POWER" : "OID_PNP_QUERY_POWER"} down its protocol edge is IM_PowerOidPropagated`, async () => {
      const host = new NdisHost({
        verifier: "record",
        bindings: [{ protocol: "im", adapter: "eth0" }],
      });
      const im = scriptedIm({
        afterOpen: (lower) => {
          NdisOidRequest(
            lower.handle as NDIS_HANDLE,
            makeOidRequest({
              RequestType: NdisRequestSetInformation,
              Oid: oid,
              InformationBuffer: Uint8Array.of(NdisDeviceStateD3, 0, 0, 0),
            }),
          );
        },
      });
      await host.loadDriver({ name: "testmp", module: testMiniport });
      await host.loadDriver({ name: "im", module: im.module });
      await host.addAdapter({ driver: "testmp", name: "eth0" });
      assert.deepEqual(rules(host), ["IM_PowerOidPropagated"]);
    });
  }

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

  // "Handling a Set Power Request", both of an IM driver's edges. The virtual miniport's sleep:
  // NetEventSetPower to the protocols bound to it, their pause, the virtual miniport's pause
  // (low power), OID_PNP_SET_POWER to it (which the IM answers itself). The lower adapter's:
  // NetEventSetPower to the IM driver's protocol edge, its pause, the lower miniport's pause, and
  // OID_PNP_SET_POWER — or, for a miniport without power management, its halt, after which NDIS
  // does NOT ask the IM's protocol edge to unbind. Waking, each edge the other way round:
  // OID_PNP_SET_POWER(D0) or MiniportInitializeEx, the restart (miniport, then what is bound),
  // then NetEventSetPower(D0). NDIS sends the virtual miniport's power events to its protocols
  // itself ("Handling PnP Events and Power Management Events in an Intermediate Driver": the two
  // edges' events come in no particular order; here the stack above sleeps first and wakes last).
  test("under passthrough: each edge in the documented order; the lower miniport halted PoweredDown, the IM's binding kept", async () => {
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
    const log: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.kind === "handler" && e.phase === "call")
        log.push(`${e.driver}: ${e.name}(${e.detail ?? ""})`);
    });
    const before = host.liveObjects().map((o) => `${o.kind}:${o.name}`);
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [
      `tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEvent ${NetEventQueryPower})`,
      `passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEvent ${NetEventQueryPower})`,
      // the virtual miniport's stack
      `tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEvent ${NetEventSetPower})`,
      "tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventPause)",
      "passthrough: MiniportPause(eth0-pt)",
      "passthrough: MiniportOidRequest(eth0-pt)", // OID_PNP_SET_POWER (D3)
      // the lower adapter's stack, the IM's protocol edge bound to it
      `passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEvent ${NetEventSetPower})`,
      "passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEventPause)",
      "testmp: MiniportPause(eth0)",
      "testmp: MiniportHaltEx(eth0)",
    ]);
    assert.ok(!tcpip.calls.some((c) => c.startsWith("ProtocolUnbindAdapterEx")));
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Halted", "eth0-pt:Paused"],
    );
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.adapter}:${b.state}`),
      ["passthrough:eth0:Paused", "tcpip:eth0-pt:Paused"],
    );
    log.length = 0;
    await host.resume();
    assert.deepEqual(log, [
      // the lower adapter first
      "testmp: MiniportInitializeEx(eth0)",
      "testmp: MiniportDevicePnPEventNotify(eth0)", // the power profile
      "testmp: MiniportOidRequest(eth0)", // the packet filter passthrough had set, restored
      "testmp: MiniportRestart(eth0)",
      "passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEventRestart)",
      `passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEvent ${NetEventSetPower})`,
      // then the virtual miniport
      "passthrough: MiniportOidRequest(eth0-pt)", // OID_PNP_SET_POWER (D0)
      "passthrough: MiniportDevicePnPEventNotify(eth0-pt)",
      "passthrough: MiniportRestart(eth0-pt)",
      "tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventRestart)",
      `tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEvent ${NetEventSetPower})`,
    ]);
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
