/**
 * Check-for-hang and reset of a physical miniport, as documented on learn.microsoft.com:
 * "Miniport Adapter Check-for-Hang and Reset Operations" (every 2 s by default, or every
 * CheckForHangTimeInSeconds; an OID request not completed within two successive checks may reset),
 * the MINIPORT_RESET and NdisMResetComplete pages (PENDING then NdisMResetComplete; AddressingReset
 * TRUE → NDIS sets the packet filter and multicast list again, "Miniport Driver Hardware Reset"),
 * the PROTOCOL_STATUS_EX and NDIS_STATUS_RESET_START pages (NDIS indicates RESET_START and
 * RESET_END to the protocols; it accepts no sends and no OID requests meanwhile), and the
 * NdisMResetMiniport page. Never for an intermediate driver's virtual miniport.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as team from "../../src/drivers/team/index.js";
import * as vlanMux from "../../src/drivers/vlan-mux/index.js";
import {
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMResetComplete,
  NdisMResetMiniport,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_VENDOR_DESCRIPTION,
} from "../../src/index.js";
import { type Script, type ScriptedAdapter, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const FILTER = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
const MULTICAST = Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1, 0x01, 0x00, 0x5e, 0, 0, 2);

async function rig(script: Script, verifier: "strict" | "record" = "strict") {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier });
  const mp = scriptedMiniport(script);
  await host.loadDriver({ name: "mp", module: mp.module });
  const proto = scriptedProtocol({ name: "tcpip", packetFilter: FILTER });
  await host.loadDriver({ name: "tcpip", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const set = NdisOidRequest(
    binding,
    makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_802_3_MULTICAST_LIST,
      InformationBuffer: MULTICAST,
    }),
  );
  assert.equal(set, NDIS_STATUS_SUCCESS);
  const adapter = mp.adapters[0] as ScriptedAdapter;
  const codes = () => proto.statuses.map((s) => s.StatusCode);
  return { clock, host, mp, proto, binding, adapter, codes };
}

/** Lets NDIS's deferred work (queued OID requests one after another) run to its end. */
async function flush(host: NdisHost): Promise<void> {
  await host.settle();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** mp (with `script`) under passthrough, tcpip bound to passthrough's virtual miniport eth0-pt. */
async function passthroughRig(script: Script) {
  const clock = new ManualClock();
  const host = new NdisHost({
    clock,
    verifier: "strict",
    bindings: [
      { protocol: "passthrough", adapter: "eth0" },
      { protocol: "tcpip", adapter: "eth0-pt" },
    ],
  });
  const mp = scriptedMiniport(script);
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const tcpip = scriptedProtocol({ name: "tcpip" });
  await host.loadDriver({ name: "tcpip", module: tcpip.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  return { clock, host, mp, tcpip };
}

const cfhCalls = (calls: readonly string[]) =>
  calls.filter((c) => c === "MiniportCheckForHangEx").length;

describe("MiniportCheckForHangEx on NDIS's timer", () => {
  test("every 2 s by default, from initialization until the halt", async () => {
    const { clock, host, mp } = await rig({ checkForHang: () => false, reset: () => 0 });
    clock.advance(1999);
    assert.equal(cfhCalls(mp.calls), 0);
    clock.advance(1);
    assert.equal(cfhCalls(mp.calls), 1);
    clock.advance(4000);
    assert.equal(cfhCalls(mp.calls), 3);
    await host.removeAdapter("eth0");
    clock.advance(10_000);
    assert.equal(cfhCalls(mp.calls), 3);
    assert.ok(!mp.calls.includes("MiniportResetEx"));
  });

  test("every CheckForHangTimeInSeconds when the registration attributes set it", async () => {
    const { clock, mp } = await rig({
      checkForHang: () => false,
      reset: () => 0,
      registration: { CheckForHangTimeInSeconds: 5 },
    });
    clock.advance(4999);
    assert.equal(cfhCalls(mp.calls), 0);
    clock.advance(1);
    assert.equal(cfhCalls(mp.calls), 1);
    clock.advance(5000);
    assert.equal(cfhCalls(mp.calls), 2);
  });

  test("an intermediate driver's virtual miniport is never checked nor reset", async () => {
    const { clock, host } = await passthroughRig({});
    const seen: string[] = [];
    host.onTrace((e) => {
      if (e.kind === "handler" && e.phase === "call") seen.push(e.name);
    });
    clock.advance(20_000);
    assert.ok(!seen.includes("MiniportCheckForHangEx"));
    assert.ok(!seen.includes("MiniportResetEx"));
  });
});

describe("the reset", () => {
  test("CheckForHang TRUE: RESET_START up, MiniportResetEx, then with AddressingReset the filter and multicast list set again, then RESET_END", async () => {
    let hung = false;
    const { clock, mp, codes, host } = await rig({
      checkForHang: () => hung,
      reset: (_a, addressing) => {
        addressing.value = true;
        return NDIS_STATUS_SUCCESS;
      },
    });
    const before = mp.calls.length;
    hung = true;
    clock.advance(2000);
    hung = false;
    await flush(host);
    assert.deepEqual(mp.calls.slice(before), [
      "MiniportCheckForHangEx",
      "MiniportResetEx",
      `MiniportOidRequest(${OID_GEN_CURRENT_PACKET_FILTER.toString(16)})`,
      `MiniportOidRequest(${OID_802_3_MULTICAST_LIST.toString(16)})`,
    ]);
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
    assert.deepEqual(host.violations, []);
  });

  test("AddressingReset FALSE: the miniport restores its settings itself; NDIS sets nothing", async () => {
    const { clock, mp, codes, host } = await rig({
      checkForHang: () => true,
      reset: () => NDIS_STATUS_SUCCESS,
    });
    const before = mp.calls.length;
    clock.advance(2000);
    await flush(host);
    assert.deepEqual(mp.calls.slice(before), ["MiniportCheckForHangEx", "MiniportResetEx"]);
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
  });

  test("a pended reset: sends fail with RESET_IN_PROGRESS and OID requests wait until NdisMResetComplete", async () => {
    let hung = true;
    const { clock, mp, proto, binding, adapter, codes, host } = await rig({
      checkForHang: () => hung,
      reset: () => NDIS_STATUS_PENDING,
    });
    clock.advance(2000);
    hung = false;
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START]);
    const sentBefore = mp.sent.length;
    const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
    const nbls = allocateNbls(pool, 2, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore, "no send reaches the miniport during the reset");
    assert.deepEqual(
      proto.completed.slice(-2).map((c) => c.status),
      [NDIS_STATUS_RESET_IN_PROGRESS, NDIS_STATUS_RESET_IN_PROGRESS],
    );
    const query = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
    });
    const oidsBefore = mp.calls.filter((c) => c.startsWith("MiniportOidRequest")).length;
    assert.equal(NdisOidRequest(binding, query), NDIS_STATUS_PENDING);
    clock.advance(4000); // no check while the reset is in progress, and no request delivered
    await flush(host);
    assert.equal(mp.calls.filter((c) => c.startsWith("MiniportOidRequest")).length, oidsBefore);
    assert.equal(cfhCalls(mp.calls), 1);
    NdisMResetComplete(adapter.handle, NDIS_STATUS_SUCCESS, false);
    await flush(host);
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
    assert.equal(mp.calls.filter((c) => c.startsWith("MiniportOidRequest")).length, oidsBefore + 1);
    assert.equal(proto.oidCompletions.at(-1)?.request, query);
    // Sends flow again.
    const again = allocateNbls(pool, 1, binding);
    NdisSendNetBufferLists(binding, again[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore + 1);
    assert.deepEqual(host.violations, []);
  });

  test("an OID request the miniport holds across two successive checks resets it", async () => {
    let held: ScriptedAdapter | null = null;
    const { clock, mp, binding, host } = await rig({
      checkForHang: () => false,
      reset: () => NDIS_STATUS_SUCCESS,
      oid: (a, request) => {
        if (request.DATA.QUERY_INFORMATION.Oid === OID_GEN_VENDOR_DESCRIPTION) {
          held = a;
          return NDIS_STATUS_PENDING;
        }
        return NDIS_STATUS_SUCCESS;
      },
    });
    clock.advance(1000);
    const query = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
    });
    assert.equal(NdisOidRequest(binding, query), NDIS_STATUS_PENDING);
    assert.ok(held !== null);
    clock.advance(1000); // first check sees it
    assert.ok(!mp.calls.includes("MiniportResetEx"));
    clock.advance(2000); // second check: still there
    assert.ok(mp.calls.includes("MiniportResetEx"));
    await flush(host);
  });

  test("NdisMResetMiniport asks for a reset; NdisMResetComplete with none in progress is a violation", async () => {
    const { mp, adapter, codes, host } = await rig({ reset: () => NDIS_STATUS_SUCCESS }, "record");
    NdisMResetMiniport(adapter.handle);
    assert.ok(!mp.calls.includes("MiniportResetEx"), "later, not inside the call");
    await flush(host);
    assert.ok(mp.calls.includes("MiniportResetEx"));
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
    NdisMResetComplete(adapter.handle, NDIS_STATUS_SUCCESS, false);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisMResetComplete_NotPending"],
    );
  });

  test("a reset never completed is reported against the miniport after 10 s", async () => {
    const { clock, host } = await rig(
      { checkForHang: () => true, reset: () => NDIS_STATUS_PENDING },
      "record",
    );
    clock.advance(2000);
    clock.advance(9000);
    assert.equal(host.violations.length, 0);
    clock.advance(3000);
    assert.deepEqual(
      host.violations.map((v) => [v.rule, v.driver]),
      [["NdisTimedResetComplete", "mp"]],
    );
  });

  test("passthrough holds its sends while the adapter below it resets; the protocol above sees no reset", async () => {
    let hung = true;
    const { clock, host, mp, tcpip } = await passthroughRig({
      checkForHang: () => hung,
      reset: () => NDIS_STATUS_PENDING,
    });
    clock.advance(2000);
    hung = false;
    const binding = tcpip.bindings[0]?.handle as NDIS_HANDLE;
    const sentBefore = mp.sent.length;
    const nbls = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore);
    assert.equal(tcpip.completed.at(-1)?.status, NDIS_STATUS_RESET_IN_PROGRESS);
    NdisMResetComplete((mp.adapters[0] as ScriptedAdapter).handle, NDIS_STATUS_SUCCESS, false);
    await flush(host);
    const more = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, more[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore + 1);
    assert.deepEqual(
      tcpip.statuses.map((s) => s.StatusCode).filter((c) => c === NDIS_STATUS_RESET_START),
      [],
    );
    assert.deepEqual(host.violations, []);
  });
});

describe("vlan-mux under a resetting adapter (the NDIS_STATUS_RESET_START / NDIS_STATUS_RESET_END pages)", () => {
  test("vlan-mux holds its VELANs' sends while the adapter below resets; the protocol above sees no reset", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      verifier: "strict",
      bindings: [
        { protocol: "vlan-mux", adapter: "eth0", registry: { UpperBindings: ["V10"] } },
        { protocol: "tcpip", adapter: "V10" },
      ],
    });
    host.setDeviceParameters("V10", { VlanId: 10 });
    const downCalls: string[] = [];
    host.onTrace((e) => {
      if (e.phase === "call") downCalls.push(`${e.kind}:${e.driver}:${e.name}`);
    });
    let hung = true;
    const mp = scriptedMiniport({ checkForHang: () => hung, reset: () => NDIS_STATUS_PENDING });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "vlan-mux", module: vlanMux });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await flush(host);
    const binding = tcpip.bindings[0]?.handle as NDIS_HANDLE;
    assert.ok(binding !== undefined, "tcpip is bound to the VELAN");
    clock.advance(2000); // CheckForHang says hung: NDIS resets eth0, which pends
    hung = false;
    const sentBefore = mp.sent.length;
    downCalls.length = 0;
    const nbls = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore, "nothing reached the resetting miniport");
    assert.equal(tcpip.completed.at(-1)?.status, NDIS_STATUS_RESET_IN_PROGRESS);
    assert.deepEqual(
      downCalls.filter((c) => c.startsWith("handler:vlan-mux:")),
      ["handler:vlan-mux:MiniportSendNetBufferLists"],
      "vlan-mux completed the send itself: nothing went below, so nothing came back",
    );
    NdisMResetComplete((mp.adapters[0] as ScriptedAdapter).handle, NDIS_STATUS_SUCCESS, false);
    await flush(host);
    const more = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, more[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore + 1, "after RESET_END the send goes down, tagged");
    assert.deepEqual(
      tcpip.statuses.map((s) => s.StatusCode).filter((c) => c === NDIS_STATUS_RESET_START),
      [],
    );
    assert.deepEqual(host.violations, []);
  });
});

describe("team under a resetting member (the NDIS_STATUS_RESET_START / NDIS_STATUS_RESET_END pages)", () => {
  test("team holds the sends for a member whose adapter resets; they go down again after RESET_END", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      verifier: "strict",
      bindings: [
        { protocol: "team", adapter: "eth0", registry: { TeamName: "team0" } },
        { protocol: "tcpip", adapter: "team0" },
      ],
    });
    const calls: string[] = [];
    host.onTrace((e) => {
      if (e.phase === "call" && e.kind === "handler" && e.driver === "team") calls.push(e.name);
    });
    let hung = true;
    const mp = scriptedMiniport({ checkForHang: () => hung, reset: () => NDIS_STATUS_PENDING });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "team", module: team });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    host.setDeviceParameters("team0", {});
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await flush(host);
    const binding = tcpip.bindings[0]?.handle as NDIS_HANDLE;
    assert.ok(binding !== undefined, "tcpip is bound to the team");
    clock.advance(2000);
    hung = false;
    const sentBefore = mp.sent.length;
    calls.length = 0;
    const nbls = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore);
    assert.equal(tcpip.completed.at(-1)?.status, NDIS_STATUS_RESET_IN_PROGRESS);
    assert.deepEqual(calls, ["MiniportSendNetBufferLists"], "nothing went below");
    NdisMResetComplete((mp.adapters[0] as ScriptedAdapter).handle, NDIS_STATUS_SUCCESS, false);
    await flush(host);
    const more = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, more[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(mp.sent.length, sentBefore + 1);
    assert.deepEqual(host.violations, []);
  });
});
