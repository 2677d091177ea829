/**
 * vlan-mux on the hub (ManualClock, strict verifier): hubA → vlan-mux → VELANs A10/A20 (VLAN 10
 * and 20) each under its own ipv4-host; hubB → vlan-mux → B10/B20 the same; hubC → raw in
 * promiscuous mode, which sees every frame on the wire and injects 802.1Q frames of its own. The
 * two VLANs use the same IP addresses, so a frame leaking from one VLAN into the other would be
 * answered — and counted — by the wrong host.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as hub from "../../src/drivers/hub/index.js";
import { hubOf } from "../../src/drivers/hub/index.js";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import { ipv4HostInterfaces } from "../../src/drivers/ipv4-host/index.js";
import * as rawModule from "../../src/drivers/raw/index.js";
import { openRaw, type RawHandle } from "../../src/drivers/raw/index.js";
import { frameNbl } from "../../src/drivers/shared/frames.js";
import * as vlanMux from "../../src/drivers/vlan-mux/index.js";
import { derivedMac, vlanMuxOf } from "../../src/drivers/vlan-mux/index.js";
import {
  type DRIVER_OBJECT,
  Ieee8021QNetBufferListInfo,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_STATISTICS,
  OID_GEN_VENDOR_DESCRIPTION,
  type RegistryValue,
} from "../../src/index.js";
import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from "../../src/net/arp.js";
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  type EthernetFrame,
  formatMac,
  parseEthernet,
  parseMac,
} from "../../src/net/ethernet.js";
import {
  buildIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  parseIcmpEcho,
} from "../../src/net/icmp.js";
import { buildIpv4Packet, IPPROTO_ICMP, parseIPv4, parseIpv4Packet } from "../../src/net/ipv4.js";
import { nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";
import { rawReader } from "../helpers/raw.js";

const IP1 = "198.51.100.1";
const IP2 = "198.51.100.2";
const RAW_IP = "198.51.100.99";

type Registry = Readonly<Record<string, RegistryValue>>;

interface LabOptions {
  /** hubA's binding key (UpperBindings, UntaggedFrames). */
  readonly a?: Registry;
  /** hubB's binding key; omit for no hubB. */
  readonly b?: Registry | null;
  /** ipv4-host parameters per VELAN (a VELAN without an entry gets no ipv4-host). */
  readonly hosts?: Readonly<Record<string, Registry>>;
  /** VELAN device keys beyond the defaults (A10/B10 on VLAN 10, A20/B20 on VLAN 20). */
  readonly velans?: Readonly<Record<string, Registry>>;
  /** A scripted protocol bound to this VELAN. */
  readonly proto?: string;
  /** NDIS pends vlan-mux's open of hubA. */
  readonly pendLowerOpen?: boolean;
}

interface Lab {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  readonly muxDriver: DRIVER_OBJECT;
  readonly raw: RawHandle;
  readonly wire: () => Promise<EthernetFrame[]>;
  readonly paths: { protocol: string; adapter: string; registry?: Registry }[];
  readonly proto: ReturnType<typeof scriptedProtocol> | null;
  /** What host.addAdapter returned for hubA (a hub adapter reference). */
  readonly hubA: { readonly ifIndex: number };
}

const DEFAULT_VELANS: Readonly<Record<string, Registry>> = {
  A10: { VlanId: 10 },
  A20: { VlanId: 20 },
  A30: { VlanId: 30 },
  B10: { VlanId: 10 },
  B20: { VlanId: 20 },
};

async function lab(options: LabOptions = {}): Promise<Lab> {
  const clock = new ManualClock();
  const a = options.a ?? { UpperBindings: ["A10", "A20"] };
  const b = options.b === undefined ? { UpperBindings: ["B10", "B20"] } : options.b;
  const hosts = options.hosts ?? {
    A10: { IPAddress: IP1 },
    A20: { IPAddress: IP1 },
    B10: { IPAddress: IP2 },
    B20: { IPAddress: IP2 },
  };
  const paths: { protocol: string; adapter: string; registry?: Registry }[] = [
    { protocol: "vlan-mux", adapter: "hubA", registry: a },
    ...(b === null ? [] : [{ protocol: "vlan-mux", adapter: "hubB", registry: b }]),
    { protocol: "raw", adapter: "hubC", registry: { PacketFilter: "promiscuous" } },
    ...Object.entries(hosts).map(([velan, registry]) => ({
      protocol: "ipv4-host",
      adapter: velan,
      registry,
    })),
    ...(options.proto === undefined ? [] : [{ protocol: "proto", adapter: options.proto }]),
  ];
  const host = new NdisHost({ clock, bindings: paths });
  for (const [name, registry] of Object.entries({ ...DEFAULT_VELANS, ...options.velans }))
    host.setDeviceParameters(name, registry);
  const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
  const muxDriver = (await host.loadDriver({ name: "vlan-mux", module: vlanMux })).driverObject;
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  const rawDriver = (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
  // The scripted protocol sets no packet filter when it binds: the test sets filter and list.
  const proto =
    options.proto === undefined ? null : scriptedProtocol({ name: "proto", packetFilter: 0 });
  if (proto !== null) await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "hub", name: "hubC" });
  if (options.pendLowerOpen === true) host.pendOperations("NdisOpenAdapterEx", 1);
  const hubA = await host.addAdapter({ driver: "hub", name: "hubA" });
  if (b !== null) await host.addAdapter({ driver: "hub", name: "hubB" });
  await host.settle();
  const raw = openRaw(rawDriver, "hubC");
  assert.ok(raw, "raw is bound to hubC");
  const reader = rawReader(raw);
  const wire = async () => {
    const frames = await reader.drain();
    return frames.map((f) => {
      const eth = parseEthernet(f);
      assert.ok(eth);
      return eth;
    });
  };
  return { host, clock, hubDriver, ipv4Driver, muxDriver, raw, wire, paths, proto, hubA };
}

async function teardown(l: Lab): Promise<void> {
  l.raw.close();
  for (const name of ["hubA", "hubB", "hubC"])
    if (l.host.adapter(name) !== undefined) await l.host.removeAdapter(name);
  await l.host.unloadDriver("raw");
  if (l.proto !== null) await l.host.unloadDriver("proto");
  await l.host.unloadDriver("ipv4-host");
  await l.host.unloadDriver("vlan-mux");
  await l.host.unloadDriver("hub");
  assert.deepEqual(l.host.liveObjects(), []);
  assert.deepEqual(l.host.violations, []);
}

function iface(l: Lab, adapterName: string) {
  const found = ipv4HostInterfaces(l.ipv4Driver).find((i) => i.adapterName === adapterName);
  assert.ok(found, `an ipv4-host interface on ${adapterName}`);
  return found;
}

function velan(l: Lab, name: string) {
  const found = vlanMuxOf(l.muxDriver).velans.find((v) => v.instanceName === name);
  assert.ok(found, `VELAN ${name}`);
  return found;
}

function muxBinding(l: Lab, adapterName: string) {
  const found = vlanMuxOf(l.muxDriver).bindings.find((b) => b.adapterName === adapterName);
  assert.ok(found, `vlan-mux bound to ${adapterName}`);
  return found;
}

function mac(text: string): Uint8Array {
  const m = parseMac(text);
  assert.ok(m);
  return m;
}

/** An ARP request from raw for `target`, tagged with `vid` (untagged when null). */
function arpFrom(raw: RawHandle, target: string, vid: number | null): Uint8Array {
  const src = mac(raw.mac);
  return buildEthernet({
    dst: BROADCAST_MAC,
    src,
    ethertype: ETHERTYPE_ARP,
    vlan: vid === null ? undefined : { pcp: 0, dei: false, vid },
    payload: buildArp({
      op: ARP_REQUEST,
      senderMac: src,
      senderIp: parseIPv4(RAW_IP) as number,
      targetMac: new Uint8Array(6),
      targetIp: parseIPv4(target) as number,
    }),
  });
}

/** An ICMP echo request from raw to `dstMac`/`dstIp`, tagged with `vid` (untagged when null). */
function pingFrom(
  raw: RawHandle,
  dstMac: Uint8Array,
  dstIp: string,
  vid: number | null,
  pcp = 0,
): Uint8Array {
  return buildEthernet({
    dst: dstMac,
    src: mac(raw.mac),
    ethertype: ETHERTYPE_IPV4,
    vlan: vid === null ? undefined : { pcp, dei: false, vid },
    payload: buildIpv4Packet({
      src: parseIPv4(RAW_IP) as number,
      dst: parseIPv4(dstIp) as number,
      protocol: IPPROTO_ICMP,
      payload: buildIcmpEcho({
        type: ICMP_ECHO_REQUEST,
        identifier: 0x77,
        sequence: 1,
        data: new Uint8Array(8),
      }),
    }),
  });
}

describe("vlan-mux: VELANs on 802.1Q VLANs over one hub adapter", () => {
  test("bring-up: one binding, two VELANs with their VLAN ids and derived MACs, lower filter merged", async () => {
    const l = await lab();
    const a10 = velan(l, "A10");
    const a20 = velan(l, "A20");
    assert.equal(a10.vlanId, 10);
    assert.equal(a20.vlanId, 20);
    assert.equal(a10.state, "running");
    assert.equal(a10.adapterName, "hubA");
    const hubA = hubOf(l.hubDriver).adapter(l.hubA);
    assert.ok(hubA);
    assert.equal(a10.mac, formatMac(derivedMac(mac(hubA.mac), 10)));
    assert.match(a10.mac, /^0a-..-..-00-00-0a$/);
    assert.notEqual(a10.mac, a20.mac);
    // ipv4-host above each VELAN got the VELAN's own MAC.
    assert.equal(iface(l, "A10").mac, a10.mac);
    assert.equal(iface(l, "A20").mac, a20.mac);
    // Each ipv4-host set DIRECTED|BROADCAST|MULTICAST on its VELAN; the VELANs' MACs are not the
    // adapter's, so vlan-mux set the adapter promiscuous (and kept broadcast/multicast).
    assert.equal(
      a10.packetFilter,
      NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST,
    );
    const merged =
      NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;
    assert.equal(muxBinding(l, "hubA").lowerPacketFilter, merged);
    assert.equal(hubA.packetFilter, merged, "what the hub adapter was really told");
    assert.deepEqual(muxBinding(l, "hubA").velans, ["A10", "A20"]);
    await teardown(l);
  });

  test("a ping on VLAN 10 reaches only VELAN 10's host, tagged 10 on the wire, never on VLAN 20", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingCount: 5, PingIntervalMs: 100 },
        A20: { IPAddress: IP1 },
        B10: { IPAddress: IP2 },
        B20: { IPAddress: IP2 },
      },
    });
    l.clock.advance(700);
    const a10 = iface(l, "A10");
    assert.equal(a10.counters.echoRequestsSent, 5);
    assert.equal(a10.counters.echoRepliesReceived, 5);
    assert.equal(iface(l, "B10").counters.echoRequestsAnswered, 5);
    // Same addresses on VLAN 20: had anything leaked, these hosts would have seen and answered it.
    for (const name of ["A20", "B20"]) {
      const i = iface(l, name);
      assert.equal(i.counters.framesReceived, 0, `${name} received nothing`);
      assert.equal(i.counters.framesSent, 0, `${name} sent nothing`);
      assert.deepEqual(i.arpCache, []);
    }
    // The wire: ARP request + reply + 5 echo requests + 5 replies, all tagged 10, from the
    // VELANs' MACs.
    const wire = await l.wire();
    assert.equal(wire.length, 12);
    const macs = new Set([velan(l, "A10").mac, velan(l, "B10").mac]);
    for (const f of wire) {
      assert.equal(f.vlan?.vid, 10, "every frame carries VLAN 10");
      assert.equal(f.vlan?.pcp, 0);
      assert.ok(macs.has(formatMac(f.src)), `from a VLAN 10 VELAN: ${formatMac(f.src)}`);
      assert.ok(f.ethertype === ETHERTYPE_ARP || f.ethertype === ETHERTYPE_IPV4);
    }
    assert.equal(wire.filter((f) => f.ethertype === ETHERTYPE_ARP).length, 2);
    const v10 = velan(l, "A10");
    assert.equal(v10.counters.taggedSent, 6);
    assert.equal(v10.counters.taggedReceived, 6);
    assert.equal(v10.counters.untaggedSent, 0);
    const v20 = velan(l, "A20");
    assert.equal(v20.counters.taggedSent + v20.counters.taggedReceived, 0);
    // The frames on VLAN 10 reached hubA's binding but no VLAN 20 VELAN: nothing dropped either.
    assert.equal(muxBinding(l, "hubA").counters.unknownVlanDrops, 0);
    await teardown(l);
  });

  test("both VLANs at once with the same addresses: each host only ever talks to its own VLAN", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingCount: 3, PingIntervalMs: 100 },
        A20: { IPAddress: IP1, PingTarget: IP2, PingCount: 4, PingIntervalMs: 100 },
        B10: { IPAddress: IP2 },
        B20: { IPAddress: IP2 },
      },
    });
    l.clock.advance(600);
    assert.equal(iface(l, "A10").counters.echoRepliesReceived, 3);
    assert.equal(iface(l, "A20").counters.echoRepliesReceived, 4);
    assert.equal(iface(l, "B10").counters.echoRequestsAnswered, 3);
    assert.equal(iface(l, "B20").counters.echoRequestsAnswered, 4);
    // Each host learned its own VLAN's peer MAC.
    assert.deepEqual(iface(l, "A10").arpCache, [{ address: IP2, mac: velan(l, "B10").mac }]);
    assert.deepEqual(iface(l, "A20").arpCache, [{ address: IP2, mac: velan(l, "B20").mac }]);
    const wire = await l.wire();
    const vlan20 = new Set([velan(l, "A20").mac, velan(l, "B20").mac]);
    for (const f of wire) {
      assert.ok(f.vlan !== undefined, "no untagged frame");
      assert.equal(f.vlan.vid === 20, vlan20.has(formatMac(f.src)), "VLAN id matches the sender");
    }
    assert.equal(wire.filter((f) => f.vlan?.vid === 20).length, 10);
    assert.equal(wire.filter((f) => f.vlan?.vid === 10).length, 8);
    await teardown(l);
  });

  test("raw injects tagged frames: VLAN 20's host answers tagged 20; unknown VLANs and untagged frames are dropped and counted", async () => {
    const l = await lab({ b: null });
    await l.wire();
    // ARP for IP1 on VLAN 20: only A20 answers, tagged 20, to raw.
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    let wire = await l.wire();
    const replies = wire.filter((f) => formatMac(f.dst) === l.raw.mac);
    assert.equal(replies.length, 1);
    const reply = replies[0] as EthernetFrame;
    assert.equal(reply.vlan?.vid, 20);
    assert.equal(formatMac(reply.src), velan(l, "A20").mac);
    const arp = parseArp(reply.payload);
    assert.ok(arp && arp.op === ARP_REPLY);
    assert.equal(formatMac(arp.senderMac), velan(l, "A20").mac);
    assert.equal(iface(l, "A20").counters.arpRequestsAnswered, 1);
    assert.equal(iface(l, "A10").counters.framesReceived, 0);
    // An echo request with priority 5 on VLAN 20 to A20: answered on VLAN 20.
    const a20mac = mac(velan(l, "A20").mac);
    assert.equal(await l.raw.send(pingFrom(l.raw, a20mac, IP1, 20, 5)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    wire = await l.wire();
    const echo = wire.find((f) => formatMac(f.dst) === l.raw.mac);
    assert.ok(echo, "A20 answered");
    assert.equal(echo.vlan?.vid, 20);
    const ip = parseIpv4Packet(echo.payload);
    assert.ok(ip);
    assert.equal(parseIcmpEcho(ip.payload)?.type, ICMP_ECHO_REPLY);
    // The same echo addressed to A20's MAC but on VLAN 10: A10 is the VLAN's VELAN, and its
    // filter does not take another VELAN's MAC.
    assert.equal(await l.raw.send(pingFrom(l.raw, a20mac, IP1, 10)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await l.wire(), []);
    assert.equal(velan(l, "A10").counters.framesFiltered, 1);
    assert.equal(iface(l, "A10").counters.framesReceived, 0);
    // VLAN 30: nobody's; untagged: UntaggedFrames is "drop" by default.
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 30)), NDIS_STATUS_SUCCESS);
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 30)), NDIS_STATUS_SUCCESS);
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, null)), NDIS_STATUS_SUCCESS);
    assert.equal(await l.raw.send(pingFrom(l.raw, a20mac, IP1, 0)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await l.wire(), []);
    const counters = muxBinding(l, "hubA").counters;
    assert.equal(counters.unknownVlanDrops, 2);
    assert.equal(counters.untaggedDrops, 2, "untagged and priority-tagged (VLAN 0)");
    assert.equal(counters.malformedDrops, 0);
    assert.equal(iface(l, "A10").counters.framesReceived, 0);
    assert.equal(iface(l, "A20").counters.framesReceived, 2);
    // A runt frame (a tag announced, no room for it) is malformed.
    const runt = arpFrom(l.raw, IP1, 20).slice(0, 15);
    assert.equal(await l.raw.send(runt), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(muxBinding(l, "hubA").counters.malformedDrops, 1);
    await teardown(l);
  });

  test("UntaggedFrames names a VELAN: it takes untagged frames and sends untagged; the other VELAN stays tagged", async () => {
    const l = await lab({ a: { UpperBindings: ["A10", "A20"], UntaggedFrames: "A10" }, b: null });
    await l.wire();
    assert.equal(muxBinding(l, "hubA").untaggedFrames, "A10");
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, null)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    let wire = await l.wire();
    assert.equal(wire.length, 1);
    assert.equal(wire[0]?.vlan, undefined, "A10 answers untagged");
    assert.equal(formatMac(wire[0]?.src ?? new Uint8Array(6)), velan(l, "A10").mac);
    // Tagged with A10's own VLAN: still A10's (a native VLAN also arrives tagged); it answers
    // untagged, as it sends everything.
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 10)), NDIS_STATUS_SUCCESS);
    // VLAN 20: A20 answers, tagged.
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    wire = await l.wire();
    assert.equal(wire.length, 2);
    assert.equal(wire[0]?.vlan, undefined);
    assert.equal(wire[1]?.vlan?.vid, 20);
    const a10 = velan(l, "A10");
    assert.equal(a10.untagged, true);
    assert.equal(a10.counters.untaggedReceived, 1);
    assert.equal(a10.counters.taggedReceived, 1);
    assert.equal(a10.counters.untaggedSent, 2);
    assert.equal(a10.counters.taggedSent, 0);
    assert.equal(velan(l, "A20").counters.taggedSent, 1);
    assert.equal(muxBinding(l, "hubA").counters.untaggedDrops, 0);
    await teardown(l);
  });

  test("a VELAN on the adapter's own MAC needs no promiscuous mode; multicast lists are merged", async () => {
    const l = await lab({
      a: { UpperBindings: ["A10", "A30"] },
      b: null,
      hosts: { A10: { IPAddress: IP1 } },
      velans: { A10: { VlanId: 10, NetworkAddress: "02-00-00-00-00-02" } },
      proto: "A30",
    });
    // hubC came first (IfIndex 1), hubA second: its MAC is 02-00-00-00-00-02, A10's too.
    assert.equal(hubOf(l.hubDriver).adapter(l.hubA)?.mac, "02-00-00-00-00-02");
    assert.equal(velan(l, "A10").mac, "02-00-00-00-00-02");
    const directed =
      NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;
    assert.equal(muxBinding(l, "hubA").lowerPacketFilter, directed);
    // The scripted protocol on A30 sets a multicast list and MULTICAST only.
    const proto = l.proto;
    assert.ok(proto);
    const binding = proto.bindings.find((b) => b.adapter === "A30")?.handle as NDIS_HANDLE;
    const group1 = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
    const group2 = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x02);
    const list = new Uint8Array(12);
    list.set(group1, 0);
    list.set(group2, 6);
    const setList = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_802_3_MULTICAST_LIST,
      InformationBuffer: list,
    });
    assert.equal(NdisOidRequest(binding, setList), NDIS_STATUS_SUCCESS);
    const filter = new Uint8Array(4);
    new DataView(filter.buffer).setUint32(0, NDIS_PACKET_TYPE_MULTICAST, true);
    const setFilter = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: filter,
    });
    assert.equal(NdisOidRequest(binding, setFilter), NDIS_STATUS_SUCCESS);
    await l.host.settle();
    const lower = muxBinding(l, "hubA");
    assert.equal(lower.lowerPacketFilter, directed, "A30 adds nothing but its list");
    assert.deepEqual(lower.lowerMulticastList, ["01-00-5e-00-00-01", "01-00-5e-00-00-02"]);
    assert.equal(
      hubOf(l.hubDriver).adapter(l.hubA)?.packetFilter,
      directed,
      "the hub adapter itself",
    );
    // The VELAN answers its own MAC and filter.
    const query = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_802_3_CURRENT_ADDRESS,
      InformationBuffer: new Uint8Array(6),
    });
    assert.equal(NdisOidRequest(binding, query), NDIS_STATUS_SUCCESS);
    assert.equal(
      formatMac(query.DATA.QUERY_INFORMATION.InformationBuffer ?? new Uint8Array(0)),
      velan(l, "A30").mac,
    );
    // A multicast frame on VLAN 30 for group1 reaches A30; one for another group does not.
    const mframe = (group: Uint8Array, vid: number) =>
      buildEthernet({
        dst: group,
        src: mac(l.raw.mac),
        ethertype: 0x88b5,
        vlan: { pcp: 0, dei: false, vid },
        payload: new Uint8Array(46),
      });
    await l.raw.send(mframe(group1, 30));
    await l.raw.send(mframe(Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 9), 30));
    l.clock.advance(0);
    assert.equal(proto.received.length, 1);
    // The other group never got past the hub adapter: its multicast list is the merged one.
    assert.equal(hubOf(l.hubDriver).adapter(l.hubA)?.counters.framesFiltered, 1);
    assert.equal(velan(l, "A30").counters.taggedReceived, 1);
    // Clearing A30's filter shrinks the merge back.
    new DataView(filter.buffer).setUint32(0, 0, true);
    assert.equal(NdisOidRequest(binding, setFilter), NDIS_STATUS_SUCCESS);
    await l.host.settle();
    assert.deepEqual(muxBinding(l, "hubA").lowerMulticastList, []);
    await teardown(l);
  });

  test("a sender's 802.1Q priority goes into the tag; the tag is gone again when the send completes", async () => {
    const l = await lab({ a: { UpperBindings: ["A30"] }, b: null, hosts: {}, proto: "A30" });
    await l.wire();
    const proto = l.proto;
    assert.ok(proto);
    const binding = proto.bindings.find((b) => b.adapter === "A30")?.handle as NDIS_HANDLE;
    const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: mac(velan(l, "A30").mac),
      ethertype: 0x88b5,
      payload: Uint8Array.from({ length: 46 }, (_, i) => i),
    });
    const nbl = frameNbl(pool, frame) as NET_BUFFER_LIST;
    assert.ok(nbl);
    nbl.SourceHandle = binding;
    nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo] = 6; // UserPriority 6
    NdisSendNetBufferLists(binding, nbl, 0, 0);
    l.clock.advance(0);
    const wire = await l.wire();
    assert.equal(wire.length, 1);
    assert.deepEqual(wire[0]?.vlan, { pcp: 6, dei: false, vid: 30 });
    assert.deepEqual([...(wire[0]?.payload.subarray(0, 46) ?? [])], [...frame.subarray(14)]);
    const done = proto.completed.find((c) => c.nbl === nbl);
    assert.equal(done?.status, NDIS_STATUS_SUCCESS);
    const nb = nbl.FirstNetBuffer;
    assert.ok(nb);
    assert.equal(nb.DataLength, frame.length, "the retreat was undone");
    assert.equal(nbl.SourceHandle, binding, "SourceHandle restored");
    const after = nb.MdlChain?.MappedSystemVa.subarray(nb.DataOffset, nb.DataOffset + frame.length);
    assert.deepEqual([...(after ?? [])], [...frame], "the sender's frame is as it was");
    // Per-VELAN statistics through OID_GEN_STATISTICS.
    const stats = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_STATISTICS,
      InformationBuffer: new Uint8Array(152),
    });
    assert.equal(NdisOidRequest(binding, stats), NDIS_STATUS_SUCCESS);
    const info = ndisStatisticsInfoFromBytes(
      stats.DATA.QUERY_INFORMATION.InformationBuffer ?? new Uint8Array(0),
    );
    assert.equal(info?.ifHCOutBroadcastPkts, 1n);
    assert.equal(info?.ifHCOutOctets, BigInt(frame.length));
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await teardown(l);
  });

  test("a VELAN asks for room for the tag; a send that leaves it is tagged in the sender's own buffer", async () => {
    const l = await lab({ a: { UpperBindings: ["A30"] }, b: null, hosts: {}, proto: "A30" });
    await l.wire();
    const proto = l.proto;
    assert.ok(proto);
    const b = proto.bindings.find((x) => x.adapter === "A30");
    assert.ok(b?.handle);
    // The hub asks for nothing: the VELAN asks for the tag's 4 bytes and its own 32-byte context.
    assert.equal(b.params.DataBackFillSize, 4);
    assert.equal(b.params.ContextBackFillSize, 32);
    const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE, 0, 64);
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: mac(velan(l, "A30").mac),
      ethertype: 0x88b5,
      payload: Uint8Array.from({ length: 46 }, (_, i) => i),
    });
    const nbl = frameNbl(pool, frame, 4, 32) as NET_BUFFER_LIST;
    assert.ok(nbl?.FirstNetBuffer?.MdlChain);
    const nb = nbl.FirstNetBuffer;
    const buffer = nb.MdlChain?.MappedSystemVa as Uint8Array;
    assert.equal(nb.DataOffset, 4);
    nbl.SourceHandle = b.handle;
    NdisSendNetBufferLists(b.handle, nbl, 0, 0);
    l.clock.advance(0);
    const wire = await l.wire();
    assert.equal(wire.length, 1);
    assert.equal(wire[0]?.vlan?.vid, 30);
    assert.equal(proto.completed.find((c) => c.nbl === nbl)?.status, NDIS_STATUS_SUCCESS);
    assert.equal(nb.MdlChain?.MappedSystemVa, buffer, "the sender's MDL chain is back");
    assert.equal(nb.DataOffset, 4, "the retreat was undone");
    assert.deepEqual([...buffer.subarray(4, 4 + frame.length)], [...frame]);
    // The MAC addresses were moved into the room while the frame was tagged: it was used in place.
    assert.deepEqual([...buffer.subarray(0, 4)], [...frame.subarray(0, 4)]);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await teardown(l);
  });

  test("link state follows the lower adapter on every VELAN", async () => {
    const l = await lab({ b: null });
    const hubA = hubOf(l.hubDriver).adapter(l.hubA);
    assert.ok(hubA);
    assert.ok(hubOf(l.hubDriver).setLink(hubA.ifIndex, false));
    l.clock.advance(0);
    for (const name of ["A10", "A20"]) {
      assert.equal(velan(l, name).linkUp, false);
      assert.equal(iface(l, name).linkUp, false);
    }
    hubOf(l.hubDriver).setLink(hubA.ifIndex, true);
    l.clock.advance(0);
    for (const name of ["A10", "A20"]) {
      assert.equal(velan(l, name).linkUp, true);
      assert.equal(iface(l, name).linkUp, true);
    }
    await teardown(l);
  });

  test("reconfigure adds VLAN 20 and then removes it while VLAN 10 keeps answering", async () => {
    const l = await lab({
      a: { UpperBindings: ["A10"] },
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 100 },
        A20: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 100 },
        B10: { IPAddress: IP2 },
        B20: { IPAddress: IP2 },
      },
    });
    l.clock.advance(500);
    assert.deepEqual(muxBinding(l, "hubA").velans, ["A10"]);
    const before = iface(l, "A10").counters.echoRepliesReceived;
    assert.ok(before >= 3);
    const withKey = (upper: string[]) =>
      l.paths.map((p) =>
        p.protocol === "vlan-mux" && p.adapter === "hubA"
          ? { ...p, registry: { UpperBindings: upper } }
          : p,
      );
    await l.host.setBindingPaths(withKey(["A10", "A20"]));
    assert.equal(await l.host.reconfigure("vlan-mux", "hubA"), NDIS_STATUS_SUCCESS);
    assert.deepEqual(muxBinding(l, "hubA").velans, ["A10", "A20"]);
    assert.equal(velan(l, "A20").state, "running");
    l.clock.advance(500);
    assert.ok(iface(l, "A20").counters.echoRepliesReceived >= 3, "the new VLAN 20 works");
    const mid = iface(l, "A10");
    assert.ok(mid.counters.echoRepliesReceived >= before + 4, "VLAN 10 never stopped");
    assert.equal(mid.counters.echoRequestsSent - mid.counters.echoRepliesReceived, 0);
    // Remove A20 again: its ipv4-host is unbound, A10's is not touched.
    await l.host.setBindingPaths(withKey(["A10"]));
    assert.equal(await l.host.reconfigure("vlan-mux", "hubA"), NDIS_STATUS_SUCCESS);
    assert.deepEqual(muxBinding(l, "hubA").velans, ["A10"]);
    assert.equal(l.host.adapter("A20"), undefined, "A20 is gone");
    assert.ok(!ipv4HostInterfaces(l.ipv4Driver).some((i) => i.adapterName === "A20"));
    l.clock.advance(500);
    const after = iface(l, "A10");
    assert.ok(after.counters.echoRepliesReceived >= mid.counters.echoRepliesReceived + 4);
    assert.equal(after.counters.echoRequestsSent - after.counters.echoRepliesReceived, 0);
    assert.equal(after.counters.sendFailures, 0);
    await teardown(l);
  });

  test("pause and restart of the lower stack: VELAN sends fail PAUSED meanwhile, then pings resume", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 100 },
        B10: { IPAddress: IP2 },
      },
    });
    l.clock.advance(300);
    const replies = iface(l, "A10").counters.echoRepliesReceived;
    assert.ok(replies >= 2);
    await l.host.pauseStack("hubA");
    assert.equal(muxBinding(l, "hubA").state, "paused");
    l.clock.advance(300);
    assert.ok(
      velan(l, "A10").counters.sendFailures >= 2,
      "sends refused while the binding is paused",
    );
    assert.equal(iface(l, "A10").counters.echoRepliesReceived, replies);
    await l.host.restartStack("hubA");
    assert.equal(muxBinding(l, "hubA").state, "running");
    l.clock.advance(1000);
    assert.ok(iface(l, "A10").counters.echoRepliesReceived > replies + 3, "pings resumed");
    // Pausing a VELAN's own stack pauses that VELAN only.
    await l.host.pauseStack("A10");
    assert.equal(velan(l, "A10").state, "paused");
    assert.equal(velan(l, "A20").state, "running");
    await l.host.restartStack("A10");
    assert.equal(velan(l, "A10").state, "running");
    await teardown(l);
  });

  test("surprise and orderly removal with traffic flowing: VELANs de-initialized, nothing left", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 10 },
        A20: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 10 },
        B10: { IPAddress: IP2, PingTarget: IP1, PingIntervalMs: 10 },
        B20: { IPAddress: IP2, PingTarget: IP1, PingIntervalMs: 10 },
      },
    });
    l.clock.advance(95);
    assert.ok(iface(l, "A10").counters.echoRepliesReceived > 0);
    await l.host.removeAdapter("hubA", { surprise: true });
    assert.equal(l.host.adapter("A10"), undefined);
    assert.equal(l.host.adapter("A20"), undefined);
    assert.ok(!vlanMuxOf(l.muxDriver).bindings.some((b) => b.adapterName === "hubA"));
    l.clock.advance(50); // B's hosts ping into the void
    await l.host.removeAdapter("hubB");
    assert.deepEqual(vlanMuxOf(l.muxDriver).velans, []);
    await teardown(l);
  });

  test("unloading vlan-mux under traffic tears its VELANs down first", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 10 },
        B10: { IPAddress: IP2, PingTarget: IP1, PingIntervalMs: 10 },
      },
    });
    l.clock.advance(55);
    await l.host.unloadDriver("vlan-mux");
    assert.equal(l.host.adapter("A10"), undefined);
    assert.equal(l.host.adapter("B20"), undefined);
    assert.deepEqual(vlanMuxOf(l.muxDriver), { velans: [], bindings: [], refusals: [] });
    l.raw.close();
    for (const name of ["hubA", "hubB", "hubC"]) await l.host.removeAdapter(name);
    await l.host.unloadDriver("raw");
    await l.host.unloadDriver("ipv4-host");
    await l.host.unloadDriver("hub");
    assert.deepEqual(l.host.liveObjects(), []);
    assert.deepEqual(l.host.violations, []);
  });

  test("bad VELAN parameters: a missing or duplicate VlanId fails that VELAN only, recorded", async () => {
    const l = await lab({
      a: { UpperBindings: ["A10", "Abad", "Adup", "A20"] },
      b: null,
      velans: { Abad: { VlanId: 5000 }, Adup: { VlanId: 10 } },
    });
    const names = vlanMuxOf(l.muxDriver).velans.map((v) => v.instanceName);
    assert.deepEqual(names, ["A10", "A20"]);
    const refusals = vlanMuxOf(l.muxDriver).refusals;
    assert.deepEqual(
      refusals.map((r) => r.instanceName),
      ["Abad", "Adup"],
    );
    assert.match(refusals[0]?.reason ?? "", /VlanId 5000/);
    assert.match(refusals[1]?.reason ?? "", /VLAN 10 is already A10/);
    assert.equal(velan(l, "A20").state, "running");
    await teardown(l);
  });

  test("a send on a paused VELAN completes NDIS_STATUS_PAUSED at once", async () => {
    const l = await lab({ a: { UpperBindings: ["A30"] }, b: null, hosts: {}, proto: "A30" });
    const proto = l.proto;
    assert.ok(proto);
    const binding = proto.bindings.find((b) => b.adapter === "A30")?.handle as NDIS_HANDLE;
    await l.host.pauseStack("hubA");
    const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
    const nbl = frameNbl(pool, arpFrom(l.raw, IP1, null)) as NET_BUFFER_LIST;
    nbl.SourceHandle = binding;
    NdisSendNetBufferLists(binding, nbl, 0, 0);
    assert.equal(proto.completed.find((c) => c.nbl === nbl)?.status, NDIS_STATUS_PAUSED);
    assert.equal(velan(l, "A30").counters.sendFailures, 1);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await l.host.restartStack("hubA");
    await teardown(l);
  });

  test("NDIS pends the lower open and the closes: VELANs start after the open completes, the unbind after the close", async () => {
    const l = await lab({
      b: null,
      pendLowerOpen: true,
      hosts: { A10: { IPAddress: IP1 }, A20: { IPAddress: IP1 } },
    });
    assert.deepEqual(muxBinding(l, "hubA").velans, ["A10", "A20"]);
    assert.equal(velan(l, "A10").state, "running");
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(iface(l, "A20").counters.arpRequestsAnswered, 1);
    // Both ipv4-host closes and vlan-mux's own close pend.
    l.host.pendOperations("NdisCloseAdapterEx", 3);
    await l.host.removeAdapter("hubA");
    assert.deepEqual(vlanMuxOf(l.muxDriver).bindings, []);
    await teardown(l);
  });

  test("written on the NDIS names, as MUX is: the VELAN list under NDIS_RW_LOCK, NdisWaitEvent in the unbind, NdisIfAddIfStackEntry, ETH_* and NDIS_NET_BUFFER_LIST_8021Q_INFO instead of helpers of its own", async () => {
    const l = await lab({ b: null, hosts: { A10: { IPAddress: IP1 }, A20: { IPAddress: IP1 } } });
    // Each VELAN put itself over hubA in NDIS's interface stack table (NdisIfAddIfStackEntry).
    const ifIndex = (name: string) => l.host.adapter(name)?.ifIndex;
    assert.deepEqual(
      [...l.host.ifStackTable()].sort((x, y) => x.HigherLayerIfIndex - y.HigherLayerIfIndex),
      [
        { HigherLayerIfIndex: ifIndex("A10"), LowerLayerIfIndex: l.hubA.ifIndex },
        { HigherLayerIfIndex: ifIndex("A20"), LowerLayerIfIndex: l.hubA.ifIndex },
      ],
    );
    const calls: string[] = [];
    l.host.onTrace((e) => {
      if (e.kind === "ddi" && e.phase === "call" && e.driver === "vlan-mux") calls.push(e.name);
    });
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(iface(l, "A20").counters.arpRequestsAnswered, 1);
    // The receive looked VLAN 20's VELAN up under the binding's read lock, and let it go.
    const reads = calls.filter((c) => c.endsWith("ReadWriteLock"));
    assert.ok(reads.length >= 2);
    assert.equal(
      reads.filter((c) => c === "NdisAcquireReadWriteLock").length,
      reads.filter((c) => c === "NdisReleaseReadWriteLock").length,
    );
    calls.length = 0;
    l.host.pendOperations("NdisCloseAdapterEx", 3);
    await l.host.removeAdapter("hubA");
    // The unbind waited for its VELANs, then for the close NDIS pended; they woke it.
    assert.ok(calls.filter((c) => c === "NdisWaitEvent").length >= 2, calls.join(","));
    assert.ok(calls.includes("NdisSetEvent"));
    assert.deepEqual(vlanMuxOf(l.muxDriver).bindings, []);
    assert.deepEqual(l.host.ifStackTable(), [], "the halted VELANs took their entries out");
    assert.deepEqual(l.host.violations, []);
    await teardown(l);
    // No private equivalents left in its sources.
    const dir = new URL("../../src/drivers/vlan-mux/", import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), "utf8");
      assert.doesNotMatch(text, /macEquals|isBroadcastMacAt|ieee8021QInfo|userPriorityOf/, file);
    }
  });

  test("a VELAN disabled by the user halts alone; re-enabled, it comes back on its VLAN", async () => {
    const l = await lab({
      hosts: {
        A10: { IPAddress: IP1, PingTarget: IP2, PingIntervalMs: 100 },
        A20: { IPAddress: IP1 },
        B10: { IPAddress: IP2 },
        B20: { IPAddress: IP2 },
      },
    });
    l.clock.advance(300);
    await l.host.disableAdapter("A20");
    assert.equal(velan(l, "A20").state, "halted");
    assert.ok(!ipv4HostInterfaces(l.ipv4Driver).some((i) => i.adapterName === "A20"));
    // VLAN 20 frames now find no VELAN.
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(300);
    assert.equal(muxBinding(l, "hubA").counters.unknownVlanDrops, 1);
    const a10 = iface(l, "A10").counters;
    assert.equal(a10.echoRequestsSent, a10.echoRepliesReceived, "VLAN 10 unaffected");
    await l.host.enableAdapter("A20");
    assert.equal(velan(l, "A20").state, "running");
    assert.equal(await l.raw.send(arpFrom(l.raw, IP1, 20)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(iface(l, "A20").counters.arpRequestsAnswered, 1);
    await teardown(l);
  });

  test("property: every frame hubA receives ends in exactly one counter — delivered, filtered, discarded or dropped by reason", async () => {
    const l = await lab({ b: null });
    await l.wire();
    const a10 = mac(velan(l, "A10").mac);
    const a20 = mac(velan(l, "A20").mac);
    const dst = fc.constantFrom(
      a10,
      a20,
      BROADCAST_MAC,
      Uint8Array.of(0x01, 0, 0x5e, 0, 0, 1),
      Uint8Array.of(0x02, 0, 0, 0, 0x77, 0x77),
    );
    const tagged = fc.record({
      dst,
      vid: fc.oneof(fc.constantFrom(null, 0, 10, 20, 30), fc.integer({ min: 0, max: 4095 })),
      pcp: fc.integer({ min: 0, max: 7 }),
      ethertype: fc.constantFrom(ETHERTYPE_ARP, ETHERTYPE_IPV4, 0x8100, 0x88b5),
      payload: fc.uint8Array({ maxLength: 120 }),
    });
    const frameArb = fc.oneof(
      tagged.map((f) =>
        buildEthernet({
          dst: f.dst,
          src: mac(l.raw.mac),
          ethertype: f.ethertype,
          vlan: f.vid === null ? undefined : { pcp: f.pcp, dei: false, vid: f.vid },
          payload: f.payload,
        }),
      ),
      fc.uint8Array({ minLength: 1, maxLength: 20 }), // runts and junk
    );
    const outcomes = () => {
      const info = vlanMuxOf(l.muxDriver);
      let n = 0;
      for (const v of info.velans) {
        const c = v.counters;
        n += c.taggedReceived + c.untaggedReceived + c.framesFiltered + c.receiveDiscards;
      }
      const b = info.bindings[0]?.counters;
      assert.ok(b);
      return n + b.unknownVlanDrops + b.untaggedDrops + b.malformedDrops;
    };
    const received = () => hubOf(l.hubDriver).adapter(l.hubA)?.counters.framesReceived ?? 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { maxLength: 16 }), async (frames) => {
        for (const f of frames) await l.raw.send(f);
        l.clock.advance(0);
        await l.wire();
        assert.equal(outcomes(), received());
        assert.deepEqual(l.host.violations, []);
      }),
      { numRuns: 60 },
    );
    assert.ok(received() > 0);
    await teardown(l);
  });

  test("OIDs: what describes the adapter below is forwarded, sets that would change it for the siblings are refused", async () => {
    const l = await lab({ a: { UpperBindings: ["A30"] }, b: null, hosts: {}, proto: "A30" });
    const proto = l.proto;
    assert.ok(proto);
    const binding = proto.bindings.find((b) => b.adapter === "A30")?.handle as NDIS_HANDLE;
    const vendor = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
    });
    assert.equal(NdisOidRequest(binding, vendor), NDIS_STATUS_SUCCESS);
    const d = vendor.DATA.QUERY_INFORMATION;
    const text = new TextDecoder().decode(d.InformationBuffer?.subarray(0, d.BytesWritten));
    assert.match(text, /hub adapter/, "answered by the hub below");
    const setVendor = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(4),
    });
    assert.equal(NdisOidRequest(binding, setVendor), NDIS_STATUS_NOT_SUPPORTED);
    // A multicast list with a unicast address is refused; the VELAN's list is unchanged.
    const bad = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_802_3_MULTICAST_LIST,
      InformationBuffer: Uint8Array.of(0x02, 0, 0, 0, 0, 1),
    });
    assert.equal(NdisOidRequest(binding, bad), NDIS_STATUS_INVALID_DATA);
    assert.deepEqual(velan(l, "A30").multicastList, []);
    await teardown(l);
  });
});
