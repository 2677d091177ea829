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
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
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
