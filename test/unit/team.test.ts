/**
 * The team IM driver on a ManualClock under the strict verifier.
 *
 * Topology (the usual dual-homed server): two switches, lan0 and lan1 (two hubs). The team's
 * members m1 and m2 are plugged one into each; the peer has a port on each too (p1, p2) with one
 * MAC and one IPv4 address — one host reachable through either switch, as a router whose two
 * ports share a bridge. Each frame crosses one wire only, so static mode sees no duplicates (a
 * single hub with both members on it would flood every frame to both, which only a LAG-aware
 * switch avoids), and a dead far end (p1 unplugged while m1's own link stays up) is exactly the
 * failure only ARP monitoring sees.
 *
 *   ipv4-host (198.51.100.2) ── team0 ──┬── m1 ═ lan0 ═ p1 ──┬── ipv4-host (198.51.100.1)
 *                                       └── m2 ═ lan1 ═ p2 ──┘
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as hub from "../../src/drivers/hub/index.js";
import { hubOf } from "../../src/drivers/hub/index.js";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import { ipv4HostInterfaces } from "../../src/drivers/ipv4-host/index.js";
import * as rawModule from "../../src/drivers/raw/index.js";
import { openRaw } from "../../src/drivers/raw/index.js";
import * as team from "../../src/drivers/team/index.js";
import { flowHash, teamOf } from "../../src/drivers/team/index.js";
import {
  type DRIVER_OBJECT,
  type FrameEvent,
  ManualClock,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisMOidRequestComplete,
  NdisMSendNetBufferListsComplete,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_LINK_SPEED,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_STATISTICS,
  type RegistryValue,
} from "../../src/index.js";
import { ARP_REQUEST, parseArp } from "../../src/net/arp.js";
import {
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  parseEthernet,
  parseMac,
} from "../../src/net/ethernet.js";
import { buildIpv4Packet, IPPROTO_UDP, parseIPv4 } from "../../src/net/ipv4.js";
import { buildUdp } from "../../src/net/udp.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const TEAM_IP = "198.51.100.2";
const PEER_IP = "198.51.100.1";
const PEER_MAC = "02-00-00-00-01-01";
const PING_MS = 100;

interface Lab {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  readonly teamDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  readonly rawDriver: DRIVER_OBJECT;
  readonly probe: ReturnType<typeof scriptedProtocol>;
  readonly adapters: Record<"m1" | "m2" | "p1" | "p2", { readonly ifIndex: number }>;
  readonly frames: FrameEvent[];
}

interface LabOptions {
  readonly team: Readonly<Record<string, RegistryValue>>;
  /** The team's ipv4-host pings the peer (else it only answers). */
  readonly ping?: boolean;
  /** The peer pings the team (from both of its ports). */
  readonly peerPing?: boolean;
  /** raw and a probe protocol bound to the team as well. */
  readonly extras?: boolean;
}

async function lab(options: LabOptions): Promise<Lab> {
  const clock = new ManualClock();
  const teamHost: Record<string, RegistryValue> = { IPAddress: TEAM_IP };
  if (options.ping !== false) {
    teamHost.PingTarget = PEER_IP;
    teamHost.PingIntervalMs = PING_MS;
  }
  const peerHost: Record<string, RegistryValue> = { IPAddress: PEER_IP, UdpEchoPort: 7 };
  if (options.peerPing === true) {
    peerHost.PingTarget = TEAM_IP;
    peerHost.PingIntervalMs = PING_MS;
  }
  const host = new NdisHost({
    clock,
    bindings: [
      { protocol: "team", adapter: "m1", registry: { TeamName: "team0" } },
      { protocol: "team", adapter: "m2", registry: { TeamName: "team0" } },
      { protocol: "ipv4-host", adapter: "team0", registry: teamHost },
      { protocol: "ipv4-host", adapter: "p1", registry: peerHost },
      { protocol: "ipv4-host", adapter: "p2", registry: peerHost },
      ...(options.extras === true
        ? [
            { protocol: "raw", adapter: "team0" },
            { protocol: "probe", adapter: "team0" },
          ]
        : []),
    ],
  });
  const frames: FrameEvent[] = [];
  host.onFrame((event) => frames.push(event));
  const probe = scriptedProtocol({ name: "probe" });
  const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
  const teamDriver = (await host.loadDriver({ name: "team", module: team })).driverObject;
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  const rawDriver = (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
  await host.loadDriver({ name: "probe", module: probe.module });
  host.setDeviceParameters("team0", options.team);
  const m1 = await host.addAdapter({ driver: "hub", name: "m1", registry: { Hub: "lan0" } });
  const p1 = await host.addAdapter({
    driver: "hub",
    name: "p1",
    registry: { Hub: "lan0", NetworkAddress: PEER_MAC },
  });
  const m2 = await host.addAdapter({ driver: "hub", name: "m2", registry: { Hub: "lan1" } });
  const p2 = await host.addAdapter({
    driver: "hub",
    name: "p2",
    registry: { Hub: "lan1", NetworkAddress: PEER_MAC },
  });
  await host.settle();
  return {
    host,
    clock,
    hubDriver,
    teamDriver,
    ipv4Driver,
    rawDriver,
    probe,
    adapters: { m1, m2, p1, p2 },
    frames,
  };
}

async function teardown(l: Lab): Promise<void> {
  for (const name of ["m1", "m2", "p1", "p2"]) await l.host.removeAdapter(name);
  assert.equal(teamOf(l.teamDriver).teams.length, 0, "the team left with its last member");
  for (const name of ["probe", "raw", "ipv4-host", "team", "hub"]) await l.host.unloadDriver(name);
  assert.deepEqual(l.host.liveObjects(), []);
  assert.deepEqual(l.host.violations, []);
}

function team0(l: Lab) {
  const t = teamOf(l.teamDriver).team("team0");
  assert.ok(t, "team0 exists");
  return t;
}

function pinger(l: Lab) {
  const i = ipv4HostInterfaces(l.ipv4Driver).find((x) => x.adapterName === "team0");
  assert.ok(i, "ipv4-host is bound to team0");
  return i.counters;
}

/** Frames the team sent down `adapter` (what went onto that wire from the team). */
function sentOn(l: Lab, adapter: string, since = 0): Uint8Array[] {
  return l.frames
    .slice(since)
    .filter((f) => f.adapter === adapter && f.direction === "send" && f.protocol === "team")
    .map((f) => f.data);
}

function isGratuitousArp(frame: Uint8Array, ip: number): boolean {
  const eth = parseEthernet(frame);
  if (eth === null || eth.ethertype !== ETHERTYPE_ARP) return false;
  const arp = parseArp(eth.payload);
  return arp !== null && arp.op === ARP_REQUEST && arp.senderIp === ip && arp.targetIp === ip;
}

function query(handle: NDIS_HANDLE, Oid: number, length: number) {
  const request = makeOidRequest({
    RequestType: NdisRequestQueryInformation,
    Oid,
    InformationBuffer: new Uint8Array(length),
  });
  const status = NdisOidRequest(handle, request);
  const buffer = request.DATA.QUERY_INFORMATION.InformationBuffer ?? new Uint8Array(length);
  return { status, buffer, view: new DataView(buffer.buffer, buffer.byteOffset, buffer.length) };
}

describe("team: active-backup", () => {
  test("pings go over the active member; a cut link fails over after DownDelayMs with a gratuitous ARP, losses bounded; failback after UpDelayMs", async () => {
    const DOWN = 300;
    const UP = 500;
    const l = await lab({
      team: { Mode: "active-backup", Primary: "m1", DownDelayMs: DOWN, UpDelayMs: UP },
    });
    const teamIp = parseIPv4(TEAM_IP) ?? 0;
    l.clock.advance(2_000);
    let t = team0(l);
    assert.equal(t.started, true);
    assert.equal(t.activeMember, "m1");
    assert.equal(t.address, TEAM_IP, "learned from the ARP the ipv4-host sent");
    assert.equal(t.mac, t.members.find((m) => m.adapterName === "m1")?.mac, "the primary's MAC");
    const before = pinger(l);
    assert.ok(before.echoRepliesReceived >= 15, `pings answered (${before.echoRepliesReceived})`);
    const hubs = hubOf(l.hubDriver);
    const m2Before = hubs.adapter(l.adapters.m2)?.counters.framesSent ?? -1;
    assert.equal(m2Before, 0, "nothing goes out of the backup");
    // The backup hears the broadcasts of lan1 (none here) and is promiscuous for the team MAC.
    const m2Info = t.members.find((m) => m.adapterName === "m2");
    assert.ok(m2Info);
    assert.equal(m2Info.packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_PACKET_TYPE_PROMISCUOUS);

    // Pull m1's cable.
    const sentAtCut = before.echoRequestsSent;
    const repliedAtCut = before.echoRepliesReceived;
    const framesAtCut = l.frames.length;
    hubs.setLink(l.adapters.m1, false);
    l.clock.advance(DOWN - 50);
    t = team0(l);
    assert.equal(t.activeMember, "m1", "still within the down delay");
    assert.equal(t.members.find((m) => m.adapterName === "m1")?.link, "going-down");
    l.clock.advance(100);
    t = team0(l);
    assert.equal(t.activeMember, "m2", "failed over once the down delay passed");
    assert.equal(t.failovers, 1);
    const garps = sentOn(l, "m2", framesAtCut).filter((f) => isGratuitousArp(f, teamIp));
    assert.equal(garps.length, 1, "one gratuitous ARP out of the new active member");
    assert.equal(t.linkUp, true);

    l.clock.advance(3_000);
    const after = pinger(l);
    const sent = after.echoRequestsSent - sentAtCut;
    const lost = sent - (after.echoRepliesReceived - repliedAtCut);
    assert.ok(sent >= 30, `pinging went on (${sent})`);
    // Pings sent while the dead member was still active are lost: at most one per interval of
    // the down delay, plus the one in flight when the cable went.
    const bound = Math.ceil(DOWN / PING_MS) + 1;
    assert.ok(lost >= 1 && lost <= bound, `lost ${lost} echoes, bound ${bound}`);
    assert.ok(
      (hubs.adapter(l.adapters.m2)?.counters.framesSent ?? 0) > 20,
      "the traffic is on m2 now",
    );

    // Plug it back: Failback "always" returns to the primary once the up delay has passed.
    const framesAtRestore = l.frames.length;
    hubs.setLink(l.adapters.m1, true);
    l.clock.advance(UP - 50);
    assert.equal(team0(l).activeMember, "m2", "m1 is still going up");
    l.clock.advance(100);
    t = team0(l);
    assert.equal(t.activeMember, "m1");
    assert.equal(t.failbacks, 1);
    assert.equal(
      sentOn(l, "m1", framesAtRestore).filter((f) => isGratuitousArp(f, teamIp)).length,
      1,
    );
    const settled = pinger(l);
    l.clock.advance(1_000);
    const end = pinger(l);
    assert.equal(
      end.echoRepliesReceived - settled.echoRepliesReceived,
      end.echoRequestsSent - settled.echoRequestsSent,
      "a failback loses nothing",
    );
    await teardown(l);
  });

  test("Failback never stays on the backup; the backup's receives are dropped and counted; the team's link follows its members", async () => {
    const l = await lab({
      team: { Mode: "active-backup", Primary: "m1", Failback: "never" },
      ping: false,
      peerPing: true,
      extras: true,
    });
    const hubs = hubOf(l.hubDriver);
    l.clock.advance(1_000);
    const peers = () => ipv4HostInterfaces(l.ipv4Driver);
    const peerOn = (adapter: string) => {
      const i = peers().find((x) => x.adapterName === adapter);
      assert.ok(i);
      return i.counters;
    };
    let t = team0(l);
    assert.equal(t.activeMember, "m1");
    assert.ok(peerOn("p1").echoRepliesReceived >= 8, "the peer reaches the team over lan0");
    assert.equal(peerOn("p2").echoRepliesReceived, 0, "not over lan1: m2 is the backup");
    const m2 = t.members.find((m) => m.adapterName === "m2");
    assert.ok(m2);
    assert.ok(
      m2.counters.receivesDropped >= 8,
      `p2's ARP requests dropped on m2 (${m2.counters.receivesDropped})`,
    );
    assert.equal(m2.counters.framesReceived, 0);

    hubs.setLink(l.adapters.m1, false);
    l.clock.advance(1);
    assert.equal(team0(l).activeMember, "m2", "no down delay: at once");
    const p2Before = peerOn("p2").echoRepliesReceived;
    l.clock.advance(1_000);
    assert.ok(peerOn("p2").echoRepliesReceived - p2Before >= 8, "lan1 carries the team now");

    hubs.setLink(l.adapters.m2, false);
    l.clock.advance(1);
    t = team0(l);
    assert.equal(t.activeMember, null);
    assert.equal(t.linkUp, false);
    const linkStates = () =>
      l.probe.statuses
        .filter((s) => s.StatusCode === NDIS_STATUS_LINK_STATE)
        .map((s) => (s.StatusBuffer as NDIS_LINK_STATE).MediaConnectState);
    assert.equal(linkStates().at(-1), MediaConnectStateDisconnected, "the team's link went down");
    const handle = l.probe.bindings[0]?.handle;
    assert.ok(handle);
    assert.equal(query(handle, OID_GEN_MEDIA_CONNECT_STATUS, 4).view.getUint32(0, true), 1);

    hubs.setLink(l.adapters.m2, true);
    l.clock.advance(1);
    assert.equal(linkStates().at(-1), MediaConnectStateConnected, "up again with one member");
    hubs.setLink(l.adapters.m1, true);
    l.clock.advance(1_000);
    t = team0(l);
    assert.equal(t.activeMember, "m2", "Failback never: the primary is not taken back");
    assert.equal(t.failbacks, 0);
    assert.equal(query(handle, OID_GEN_MEDIA_CONNECT_STATUS, 4).view.getUint32(0, true), 0);
    await teardown(l);
  });
});

/** A UDP datagram to the peer's echo port from `srcPort`, as the team's upper protocol sends. */
function udpFrame(teamMac: string, srcPort: number): Uint8Array {
  const src = parseIPv4(TEAM_IP) ?? 0;
  const dst = parseIPv4(PEER_IP) ?? 0;
  return buildEthernet({
    dst: parseMac(PEER_MAC) ?? new Uint8Array(6),
    src: parseMac(teamMac) ?? new Uint8Array(6),
    ethertype: ETHERTYPE_IPV4,
    payload: buildIpv4Packet({
      src,
      dst,
      protocol: IPPROTO_UDP,
      identification: srcPort & 0xffff,
      payload: buildUdp({ srcPort, dstPort: 7, payload: new Uint8Array(18) }, src, dst),
    }),
  });
}

describe("team: failback delay", () => {
  test("Failback with a delay in ms goes back to the primary only once it has been usable that long", async () => {
    const l = await lab({ team: { Mode: "active-backup", Primary: "m1", Failback: "400" } });
    const hubs = hubOf(l.hubDriver);
    l.clock.advance(500);
    hubs.setLink(l.adapters.m1, false);
    l.clock.advance(1);
    assert.equal(team0(l).activeMember, "m2");
    hubs.setLink(l.adapters.m1, true);
    l.clock.advance(350);
    let t = team0(l);
    assert.equal(t.activeMember, "m2", "the primary is usable but the failback delay runs");
    assert.equal(t.members.find((m) => m.adapterName === "m1")?.usable, true);
    // Down again inside the delay: the timer finds it unusable and stays.
    hubs.setLink(l.adapters.m1, false);
    l.clock.advance(100);
    assert.equal(team0(l).activeMember, "m2");
    hubs.setLink(l.adapters.m1, true);
    l.clock.advance(399);
    assert.equal(team0(l).activeMember, "m2");
    l.clock.advance(2);
    t = team0(l);
    assert.equal(t.activeMember, "m1");
    assert.deepEqual([t.failovers, t.failbacks], [1, 1]);
    await teardown(l);
  });
});

describe("team: static (address hash)", () => {
  test("l3+4 spreads flows over both members as the hash says, one flow stays on one member, replies come in on either; speed is the sum; members leave and join at run time", async () => {
    const l = await lab({
      team: { Mode: "static", HashPolicy: "l3+4" },
      ping: false,
      extras: true,
    });
    l.clock.advance(100);
    const raw = openRaw(l.rawDriver, "team0");
    const handle = l.probe.bindings[0]?.handle;
    assert.ok(raw && handle);
    let t = team0(l);
    assert.equal(t.mode, "static");
    assert.deepEqual(
      t.members.filter((m) => m.active).map((m) => m.adapterName),
      ["m1", "m2"],
    );
    assert.equal(
      query(handle, OID_GEN_LINK_SPEED, 4).view.getUint32(0, true),
      20_000_000,
      "2 Gbit/s in 100 bit/s units",
    );
    const sentBy = () => {
      const info = team0(l);
      return info.members.map((m) => [m.counters.framesSent, m.counters.framesReceived] as const);
    };
    const start = sentBy();
    const s1 = start[0]?.[0] ?? 0;
    const s2 = start[1]?.[0] ?? 0;
    // 64 flows (source ports 20000…20063): where the hash says each goes.
    const expected = [0, 0];
    for (let port = 20_000; port < 20_064; port++) {
      const frame = udpFrame(t.mac, port);
      expected[flowHash(frame, "l3+4") % 2] = (expected[flowHash(frame, "l3+4") % 2] ?? 0) + 1;
      assert.equal(await raw.send(frame), NDIS_STATUS_SUCCESS);
    }
    l.clock.advance(10);
    const after = sentBy();
    const spread = [(after[0]?.[0] ?? 0) - s1, (after[1]?.[0] ?? 0) - s2];
    assert.deepEqual(spread, expected, "each flow on the member its hash names");
    assert.ok(
      spread.every((n) => n >= 16),
      `both members carry a fair share: ${spread.join(" / ")}`,
    );
    // The peer echoes every datagram back over the lan it came from; static accepts from both.
    assert.deepEqual(
      after.map(([sent, received]) => received >= sent - 1),
      [true, true],
      "replies received on the member that carried the request",
    );
    // One flow, twenty datagrams: all on the same member.
    const one = udpFrame(t.mac, 40_000);
    const oneOn = flowHash(one, "l3+4") % 2;
    for (let i = 0; i < 20; i++) assert.equal(await raw.send(one), NDIS_STATUS_SUCCESS);
    l.clock.advance(10);
    const later = sentBy();
    assert.equal((later[oneOn]?.[0] ?? 0) - (after[oneOn]?.[0] ?? 0), 20);
    assert.equal((later[1 - oneOn]?.[0] ?? 0) - (after[1 - oneOn]?.[0] ?? 0), 0);

    // m2 leaves (its adapter is removed): every flow moves to m1; the team stays.
    await l.host.removeAdapter("m2");
    t = team0(l);
    assert.deepEqual(
      t.members.map((m) => m.adapterName),
      ["m1"],
    );
    assert.equal(query(handle, OID_GEN_LINK_SPEED, 4).view.getUint32(0, true), 10_000_000);
    const m1Before = t.members[0]?.counters.framesSent ?? 0;
    for (let port = 30_000; port < 30_016; port++)
      assert.equal(await raw.send(udpFrame(t.mac, port)), NDIS_STATUS_SUCCESS);
    l.clock.advance(10);
    assert.equal((team0(l).members[0]?.counters.framesSent ?? 0) - m1Before, 16);

    // m2 comes back: it joins the running team and gets the team's packet filter at once.
    await l.host.addAdapter({ driver: "hub", name: "m2", registry: { Hub: "lan1" } });
    l.clock.advance(10);
    t = team0(l);
    const m2 = t.members.find((m) => m.adapterName === "m2");
    assert.ok(m2?.usable && m2.active);
    assert.equal(m2.packetFilter, t.packetFilter | NDIS_PACKET_TYPE_PROMISCUOUS);
    assert.equal(
      hubOf(l.hubDriver)
        .adapters()
        .find((a) => a.mac === m2.mac)?.packetFilter,
      m2.packetFilter,
    );
    assert.equal(query(handle, OID_GEN_LINK_SPEED, 4).view.getUint32(0, true), 20_000_000);
    raw.close();
    await teardown(l);
  });

  test("the hash policies: l2 keeps one MAC pair on one member, l2+3 and l3+4 tell flows apart", () => {
    const a = udpFrame("02-00-00-00-00-01", 1000);
    const b = udpFrame("02-00-00-00-00-01", 1001);
    assert.equal(flowHash(a, "l2"), flowHash(b, "l2"), "same MACs, same member");
    assert.equal(flowHash(a, "l2+3"), flowHash(b, "l2+3"), "same addresses, same member");
    assert.notEqual(flowHash(a, "l3+4") % 2, flowHash(b, "l3+4") % 2, "ports differ");
    assert.equal(flowHash(new Uint8Array(3), "l3+4"), 0, "a runt hashes to 0, never throws");
  });
});

describe("team: ARP monitoring", () => {
  test("a member whose link is up but whose far end is dead is found by ARP probes within (ArpMissedMax + 1) × ArpIntervalMs", async () => {
    const INTERVAL = 100;
    const MISSED = 2;
    const l = await lab({
      team: {
        Mode: "active-backup",
        Primary: "m1",
        ArpTarget: PEER_IP,
        ArpIntervalMs: INTERVAL,
        ArpMissedMax: MISSED,
      },
    });
    const hubs = hubOf(l.hubDriver);
    l.clock.advance(1_000);
    let t = team0(l);
    assert.equal(t.activeMember, "m1");
    for (const m of t.members) {
      assert.ok(m.counters.arpProbesSent >= 9, `${m.adapterName} probed`);
      assert.ok(m.counters.arpRepliesReceived >= 9, `${m.adapterName} answered`);
      assert.equal(m.arpAlive, true);
    }
    const before = pinger(l);
    // The peer's lan0 port dies; m1's own link stays up.
    hubs.setLink(l.adapters.p1, false);
    l.clock.advance((MISSED + 1) * INTERVAL - 50);
    assert.equal(team0(l).activeMember, "m1", "not yet: probes are still being missed");
    l.clock.advance(50);
    t = team0(l);
    assert.equal(t.activeMember, "m2", "ARP found it");
    const m1 = t.members.find((m) => m.adapterName === "m1");
    assert.ok(m1);
    assert.equal(m1.linkUp, true, "the link never said anything");
    assert.equal(m1.arpAlive, false);
    assert.equal(m1.usable, false);
    l.clock.advance(1_000);
    const after = pinger(l);
    const lost =
      after.echoRequestsSent -
      before.echoRequestsSent -
      (after.echoRepliesReceived - before.echoRepliesReceived);
    const bound = Math.ceil(((MISSED + 1) * INTERVAL) / PING_MS) + 1;
    assert.ok(lost >= 1 && lost <= bound, `lost ${lost}, bound ${bound}`);
    // The far end comes back: the next probe is answered and the primary is taken back.
    hubs.setLink(l.adapters.p1, true);
    l.clock.advance(2 * INTERVAL);
    t = team0(l);
    assert.equal(t.members.find((m) => m.adapterName === "m1")?.arpAlive, true);
    assert.equal(t.activeMember, "m1");
    assert.equal(t.failovers, 1);
    assert.equal(t.failbacks, 1);
    await teardown(l);
  });
});

describe("team: OIDs and configuration", () => {
  test("speed, MAC, packet filter on every member, statistics the team keeps agree with its members and the protocol above", async () => {
    const l = await lab({
      team: { Mode: "active-backup", NetworkAddress: "02-7e-a0-00-00-01" },
      extras: true,
    });
    l.clock.advance(2_000);
    const handle = l.probe.bindings[0]?.handle;
    assert.ok(handle);
    const t = team0(l);
    assert.equal(t.mac, "02-7e-a0-00-00-01", "NetworkAddress");
    assert.deepEqual(
      [...query(handle, OID_802_3_CURRENT_ADDRESS, 6).buffer],
      [0x02, 0x7e, 0xa0, 0, 0, 1],
    );
    assert.equal(
      query(handle, OID_GEN_LINK_SPEED, 4).view.getUint32(0, true),
      10_000_000,
      "the active member's",
    );
    // Neither member has the team's MAC: both listen promiscuously and the team filters.
    for (const m of t.members)
      assert.equal(m.packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_PACKET_TYPE_PROMISCUOUS);
    const filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    const set = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: Uint8Array.of(filter, 0, 0, 0),
    });
    assert.equal(NdisOidRequest(handle, set), NDIS_STATUS_SUCCESS);
    for (const a of hubOf(l.hubDriver)
      .adapters()
      .filter((x) => x.hub === "lan0" || x.hub === "lan1")) {
      if (a.mac === PEER_MAC) continue;
      // NDIS tells each member the OR of its bindings' filters: the team's are all in it.
      const teams = filter | NDIS_PACKET_TYPE_PROMISCUOUS;
      assert.equal(a.packetFilter & teams, teams, `member ${a.mac}`);
    }
    // NDIS answers the query itself: the OR of the filters of team0's bindings, this one's included.
    const combined = query(handle, OID_GEN_CURRENT_PACKET_FILTER, 4).view.getUint32(0, true);
    assert.equal(combined & filter, filter);
    l.clock.advance(1_000);
    const stats = query(handle, OID_GEN_STATISTICS, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    assert.equal(stats.status, NDIS_STATUS_SUCCESS);
    const info = ndisStatisticsInfoFromBytes(stats.buffer);
    assert.ok(info);
    const members = team0(l).members;
    const sum = (pick: (c: (typeof members)[number]["counters"]) => number) =>
      BigInt(members.reduce((n, m) => n + pick(m.counters), 0));
    const out = info.ifHCOutUcastPkts + info.ifHCOutMulticastPkts + info.ifHCOutBroadcastPkts;
    const inn = info.ifHCInUcastPkts + info.ifHCInMulticastPkts + info.ifHCInBroadcastPkts;
    assert.equal(
      out,
      sum((c) => c.framesSent),
      "sent = the members' sum",
    );
    assert.equal(
      inn,
      sum((c) => c.framesReceived),
      "received = the members' sum",
    );
    assert.equal(
      info.ifHCOutOctets,
      sum((c) => c.bytesSent),
    );
    assert.equal(
      info.ifInDiscards,
      sum((c) => c.receivesDropped),
    );
    const host4 = pinger(l);
    assert.equal(out, BigInt(host4.framesSent), "everything ipv4-host sent went through the team");
    assert.ok(out > 25n && inn > 25n);
    await teardown(l);
  });

  test("driver Members/TeamName, a refused adapter, and a malformed team parameter", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      bindings: [
        { protocol: "team", adapter: "a1" },
        { protocol: "team", adapter: "a2" },
        { protocol: "team", adapter: "x1" },
      ],
    });
    await host.loadDriver({ name: "hub", module: hub });
    const teamDriver = (
      await host.loadDriver({
        name: "team",
        module: team,
        registry: { Members: ["a1", "a2"], TeamName: "bond0" },
      })
    ).driverObject;
    host.setDeviceParameters("bond0", { Mode: "static", HashPolicy: "l4" });
    for (const name of ["a1", "a2", "x1"]) await host.addAdapter({ driver: "hub", name });
    await host.settle();
    const control = teamOf(teamDriver);
    assert.deepEqual(
      control.refusals.map((r) => r.adapterName).sort(),
      ["bond0", "x1"],
      "x1 belongs to no team; bond0's parameters are malformed",
    );
    assert.match(
      control.refusals.find((r) => r.adapterName === "bond0")?.reason ?? "",
      /HashPolicy "l4"/,
    );
    const bond = control.team("bond0");
    assert.ok(bond);
    assert.deepEqual(
      bond.members.map((m) => m.adapterName),
      ["a1", "a2"],
    );
    assert.equal(bond.started, false);
    // Fixed: the team starts when asked again.
    host.setDeviceParameters("bond0", { Mode: "static", HashPolicy: "l2+3" });
    assert.equal(await host.reconfigure("team", "a1"), NDIS_STATUS_SUCCESS);
    const started = teamOf(teamDriver).team("bond0");
    assert.equal(started?.started, true);
    assert.equal(started?.hashPolicy, "l2+3");
    assert.deepEqual(
      teamOf(teamDriver)
        .refusals.map((r) => r.adapterName)
        .sort(),
      ["bond0", "x1"],
      "the restart refused nothing more",
    );
    assert.equal(
      host.bindings.filter((b) => b.protocol === "team").length,
      2,
      "bound to a1 and a2 only",
    );
    for (const name of ["a1", "a2", "x1"]) await host.removeAdapter(name);
    await host.unloadDriver("team");
    await host.unloadDriver("hub");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});

describe("team: MacPolicy follow", () => {
  test("each member speaks with its own MAC on the wire, no promiscuous mode; the protocol above sees only the team's MAC; failover announces the new MAC", async () => {
    const l = await lab({ team: { Mode: "active-backup", Primary: "m1", MacPolicy: "follow" } });
    const teamIp = parseIPv4(TEAM_IP) ?? 0;
    l.clock.advance(1_000);
    let t = team0(l);
    const m1 = t.members.find((m) => m.adapterName === "m1");
    const m2 = t.members.find((m) => m.adapterName === "m2");
    assert.ok(m1 && m2);
    assert.equal(t.mac, m1.mac, "the primary's MAC is the team's");
    for (const m of t.members)
      assert.equal(m.packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS, 0, `${m.adapterName} filter`);
    hubOf(l.hubDriver).setLink(l.adapters.m1, false);
    const framesAtCut = l.frames.length;
    const before = pinger(l);
    l.clock.advance(2_000);
    t = team0(l);
    assert.equal(t.activeMember, "m2");
    const onM2 = sentOn(l, "m2", framesAtCut);
    const garp = onM2.find((f) => isGratuitousArp(f, teamIp));
    assert.ok(garp, "a gratuitous ARP out of m2");
    const garpArp = parseArp(parseEthernet(garp)?.payload ?? new Uint8Array(0));
    assert.equal(
      garpArp?.senderMac.join(),
      parseMac(m2.mac)?.join(),
      "…announcing m2's own MAC for the team's address",
    );
    const sources = new Set(onM2.map((f) => parseEthernet(f)?.src.join()));
    assert.deepEqual([...sources], [parseMac(m2.mac)?.join()], "m2 sends with its own MAC only");
    // Above the team nothing changed: what ipv4-host receives is addressed to the team's MAC.
    const up = l.frames
      .slice(framesAtCut)
      .filter((f) => f.adapter === "team0" && f.direction === "receive")
      .map((f) => parseEthernet(f.data)?.dst.join());
    assert.ok(up.length > 10);
    assert.ok(
      up.every((d) => d === parseMac(t.mac)?.join() || d === "255,255,255,255,255,255"),
      "the team's MAC or broadcast",
    );
    const after = pinger(l);
    const lost =
      after.echoRequestsSent -
      before.echoRequestsSent -
      (after.echoRepliesReceived - before.echoRepliesReceived);
    assert.ok(lost <= 1, `lost ${lost}`);
    assert.ok(after.echoRepliesReceived - before.echoRepliesReceived >= 15);
    await teardown(l);
  });
});

describe("team: pended OIDs and pause", () => {
  test("a packet filter set pends until every member answered; the team's pause waits for the sends its members hold", async () => {
    const heldSends: { handle: NDIS_HANDLE; nbl: NET_BUFFER_LIST }[] = [];
    const pendedOids: { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST }[] = [];
    const members = scriptedMiniport({
      send: (a, nbls) => {
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; ) {
          const next: NET_BUFFER_LIST | null = n.Next;
          n.Next = null;
          heldSends.push({ handle: a.handle, nbl: n });
          n = next;
        }
      },
      oid: (a, request) => {
        pendedOids.push({ handle: a.handle, request });
        return NDIS_STATUS_PENDING;
      },
    });
    let outstanding = 0;
    let pendedPause: { handle: NDIS_HANDLE; event: NET_PNP_EVENT_NOTIFICATION } | null = null;
    const probe = scriptedProtocol({
      name: "probe",
      pnp: (b, event) => {
        if (event.NetPnPEvent.NetEvent !== NetEventPause || outstanding === 0)
          return NDIS_STATUS_SUCCESS;
        pendedPause = { handle: b.handle as NDIS_HANDLE, event };
        return NDIS_STATUS_PENDING;
      },
      sendComplete: () => {
        outstanding--;
        const pending = pendedPause;
        if (outstanding === 0 && pending !== null) {
          pendedPause = null;
          setImmediate(() =>
            NdisCompleteNetPnPEvent(pending.handle, pending.event, NDIS_STATUS_SUCCESS),
          );
        }
      },
    });
    const host = new NdisHost({
      clock: new ManualClock(),
      bindings: [
        { protocol: "team", adapter: "s1", registry: { TeamName: "team0" } },
        { protocol: "team", adapter: "s2", registry: { TeamName: "team0" } },
        { protocol: "probe", adapter: "team0" },
      ],
    });
    await host.loadDriver({ name: "sm", module: members.module });
    const teamDriver = (await host.loadDriver({ name: "team", module: team })).driverObject;
    await host.loadDriver({ name: "probe", module: probe.module });
    await host.addAdapter({ driver: "sm", name: "s1" });
    await host.addAdapter({ driver: "sm", name: "s2" });
    await host.settle();
    const handle = probe.bindings[0]?.handle;
    assert.ok(handle);
    assert.equal(teamOf(teamDriver).team("team0")?.activeMember, "s1");

    const set = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: Uint8Array.of(NDIS_PACKET_TYPE_DIRECTED, 0, 0, 0),
    });
    assert.equal(NdisOidRequest(handle, set), NDIS_STATUS_PENDING);
    assert.equal(pendedOids.length, 2, "one request on each member, both pending");
    while (pendedOids.length > 0) {
      assert.equal(probe.oidCompletions.length, 0, "a member still owes its answer");
      const next = pendedOids.shift();
      assert.ok(next);
      NdisMOidRequestComplete(next.handle, next.request, NDIS_STATUS_SUCCESS);
      await host.settle();
    }
    assert.deepEqual(
      probe.oidCompletions.map((c) => [c.request, c.status]),
      [[set, NDIS_STATUS_SUCCESS]],
    );

    const pool = nblPool(probe.protocolHandle() as NDIS_HANDLE);
    const [nbl] = allocateNbls(pool, 1, handle);
    assert.ok(nbl);
    outstanding++;
    NdisSendNetBufferLists(handle, nbl, 0, 0);
    assert.equal(heldSends.length, 1, "forwarded to the active member, which holds it");
    let paused = false;
    const pausing = host.pauseStack("team0").then(() => {
      paused = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(paused, false, "the team's MiniportPause waits for the member's send");
    const held = heldSends.shift();
    assert.ok(held);
    held.nbl.Status = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(held.handle, held.nbl, 0);
    await pausing;
    assert.equal(paused, true);
    assert.equal(probe.completed.at(-1)?.nbl, nbl, "the sender's own NBL came back");
    await host.restartStack("team0");
    await host.removeAdapter("s1");
    await host.removeAdapter("s2");
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    for (const name of ["probe", "team", "sm"]) await host.unloadDriver(name);
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});
