/**
 * The stack drivers together: two ipv4-hosts on a hub, each through the passthrough IM driver
 * (hub adapter → passthrough → ipv4-host), on a ManualClock under the strict verifier.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as hub from "../../src/drivers/hub/index.js";
import { hubOf } from "../../src/drivers/hub/index.js";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import { ipv4HostInterfaces, ipv4HostRefusals } from "../../src/drivers/ipv4-host/index.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as rawModule from "../../src/drivers/raw/index.js";
import { openRaw, type RawHandle, rawBindings } from "../../src/drivers/raw/index.js";
import {
  type DRIVER_OBJECT,
  ManualClock,
  type NDIS_OID_REQUEST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_ADAPTER_NOT_OPEN,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisMOidRequestComplete,
  NdisMSendNetBufferListsComplete,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  type RegistryValue,
} from "../../src/index.js";
import { ARP_REQUEST, buildArp } from "../../src/net/arp.js";
import { internetChecksum } from "../../src/net/checksum.js";
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  parseEthernet,
  parseMac,
} from "../../src/net/ethernet.js";
import { buildIcmpEcho, ICMP_ECHO_REQUEST, parseIcmpEcho } from "../../src/net/icmp.js";
import {
  buildIpv4Packet,
  IPPROTO_ICMP,
  IPPROTO_UDP,
  parseIPv4,
  parseIpv4Packet,
} from "../../src/net/ipv4.js";
import { buildUdp, parseUdp } from "../../src/net/udp.js";
import { teardownHost } from "../helpers/drivers.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { rawReader } from "../helpers/raw.js";

interface Lab {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  /** Set when the lab has a raw binding on hubC. */
  readonly rawDriver: DRIVER_OBJECT | null;
  readonly a: { readonly ifIndex: number };
  readonly b: { readonly ifIndex: number };
}

/**
 * hubA → passthrough → ipv4-host (registryA), hubB → passthrough → ipv4-host (registryB), all on
 * hub0; with `raw`, a third adapter hubC on the same hub with the raw driver bound to it directly.
 */
async function lab(
  registryA: Readonly<Record<string, RegistryValue>>,
  registryB: Readonly<Record<string, RegistryValue>>,
  raw?: Readonly<Record<string, RegistryValue>>,
): Promise<Lab> {
  const clock = new ManualClock();
  const host = new NdisHost({
    clock,
    bindings: [
      { protocol: "passthrough", adapter: "hubA" },
      { protocol: "passthrough", adapter: "hubB" },
      { protocol: "ipv4-host", adapter: "hubA-pt", registry: registryA },
      { protocol: "ipv4-host", adapter: "hubB-pt", registry: registryB },
      ...(raw === undefined ? [] : [{ protocol: "raw", adapter: "hubC", registry: raw }]),
    ],
  });
  host.observe();
  const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  const rawDriver =
    raw === undefined
      ? null
      : (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
  const a = await host.addAdapter({ driver: "hub", name: "hubA" });
  const b = await host.addAdapter({ driver: "hub", name: "hubB" });
  if (raw !== undefined) await host.addAdapter({ driver: "hub", name: "hubC" });
  await host.settle();
  return { host, clock, hubDriver, ipv4Driver, rawDriver, a, b };
}

async function teardown(l: Lab): Promise<void> {
  await l.host.removeAdapter("hubA");
  await l.host.removeAdapter("hubB");
  if (l.rawDriver !== null) {
    await l.host.removeAdapter("hubC");
    await l.host.unloadDriver("raw");
  }
  await l.host.unloadDriver("ipv4-host");
  await l.host.unloadDriver("passthrough");
  await l.host.unloadDriver("hub");
  assert.deepEqual(l.host.liveObjects(), []);
  assert.deepEqual(l.host.violations, []);
}

function iface(l: Lab, adapterName: string) {
  const found = ipv4HostInterfaces(l.ipv4Driver).find((i) => i.adapterName === adapterName);
  assert.ok(found, `an ipv4-host interface on ${adapterName}`);
  return found;
}

function bindingStats(l: Lab, adapter: string) {
  const found = l.host
    .statistics()
    .bindings.find((b) => b.protocol === "ipv4-host" && b.adapter === adapter);
  assert.ok(found);
  return found;
}

describe("ipv4-host on a hub through passthrough", () => {
  test("A pings B: ARP resolves, every echo is answered, counters agree on both sides and with NDIS", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingCount: 5, PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    const before = iface(l, "hubA-pt");
    assert.equal(before.state, "running");
    assert.equal(before.address, "198.51.100.1");
    assert.equal(before.mac, "02-00-00-00-00-01");
    assert.deepEqual(before.arpCache, []);
    l.clock.advance(100); // first tick: ARP request, answered at once through the hub's DPCs
    assert.deepEqual(iface(l, "hubA-pt").arpCache, [
      { address: "198.51.100.2", mac: iface(l, "hubB-pt").mac },
    ]);
    assert.deepEqual(iface(l, "hubB-pt").arpCache, [
      { address: "198.51.100.1", mac: "02-00-00-00-00-01" },
    ]);
    l.clock.advance(1000); // five echo requests, then PingCount stops the pinger
    const a = iface(l, "hubA-pt");
    const b = iface(l, "hubB-pt");
    assert.equal(a.counters.arpRequestsSent, 1);
    assert.equal(a.counters.arpRepliesReceived, 1);
    assert.equal(b.counters.arpRequestsAnswered, 1);
    assert.equal(a.counters.echoRequestsSent, 5);
    assert.equal(b.counters.echoRequestsAnswered, 5);
    assert.equal(a.counters.echoRepliesReceived, 5);
    assert.equal(a.rttsMs.length, 5);
    assert.ok(a.rttsMs.every((rtt) => rtt >= 0 && rtt < 100));
    for (const i of [a, b]) {
      assert.equal(i.counters.framesDropped, 0);
      assert.equal(i.counters.sendFailures, 0);
      assert.equal(i.counters.framesSent, 6);
      assert.equal(i.counters.framesReceived, 6);
      const stats = bindingStats(l, i.adapterName);
      assert.equal(stats.sentPackets, i.counters.framesSent);
      assert.equal(stats.receivedPackets, i.counters.framesReceived);
      assert.equal(stats.sendErrors, 0);
    }
    const hubA = hubOf(l.hubDriver).adapter(l.a);
    assert.equal(hubA?.counters.framesSent, 6);
    assert.equal(hubA?.counters.framesReceived, 6);
    for (const name of ["hubA", "hubB"]) {
      const ndis = l.host.statistics().adapters.find((x) => x.name === name);
      const mine = hubOf(l.hubDriver).adapter(name === "hubA" ? l.a : l.b);
      assert.equal(ndis?.sentPackets, mine?.counters.framesSent);
      assert.equal(ndis?.receivedPackets, mine?.counters.framesReceived);
      assert.equal(ndis?.receivedBytes, mine?.counters.bytesReceived);
    }
    l.clock.advance(1000);
    assert.equal(iface(l, "hubA-pt").counters.echoRequestsSent, 5, "PingCount 5 means five");
    await teardown(l);
  });

  test("PingCount 0 pings for as long as the binding runs", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 50 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(50 * 41);
    const a = iface(l, "hubA-pt");
    assert.equal(a.counters.echoRequestsSent, 40);
    assert.equal(a.counters.echoRepliesReceived, 40);
    assert.equal(iface(l, "hubB-pt").counters.echoRequestsAnswered, 40);
    await teardown(l);
  });

  test("a cut link reaches the protocol through passthrough; pings go unanswered, then resume", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(500); // ARP + 4 answered pings
    assert.equal(iface(l, "hubA-pt").counters.echoRepliesReceived, 4);
    const control = hubOf(l.hubDriver);
    assert.equal(control.setLink(l.b, false), true);
    l.clock.advance(0); // the adapter's DPC reports it
    assert.equal(iface(l, "hubB-pt").linkUp, false);
    assert.equal(iface(l, "hubB-pt").counters.linkChanges, 1);
    assert.equal(iface(l, "hubA-pt").linkUp, true, "only B's cable was pulled");
    l.clock.advance(1000);
    const down = iface(l, "hubA-pt");
    assert.equal(down.counters.echoRepliesReceived, 4, "nothing answered while B is cut off");
    assert.ok(down.counters.echoRequestsSent + down.counters.arpRequestsSent >= 4 + 10);
    assert.ok(down.counters.arpRequestsSent >= 2, "unanswered pings send A back to ARP");
    assert.equal(hubOf(l.hubDriver).adapter(l.b)?.linkUp, false);
    control.setLink(l.b, true);
    l.clock.advance(0);
    assert.equal(iface(l, "hubB-pt").linkUp, true);
    assert.equal(iface(l, "hubB-pt").counters.linkChanges, 2);
    l.clock.advance(1000);
    const up = iface(l, "hubA-pt");
    assert.ok(
      up.counters.echoRepliesReceived >= 4 + 8,
      `pings resume (${up.counters.echoRepliesReceived})`,
    );
    // B's own sends while cut off fail with MEDIA_DISCONNECTED: none here, B only answers.
    assert.equal(iface(l, "hubB-pt").counters.sendFailures, 0);
    await teardown(l);
  });

  test("the sender's link cut: its sends complete with a failure, counted", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(300);
    hubOf(l.hubDriver).setLink(l.a, false);
    l.clock.advance(500);
    const a = iface(l, "hubA-pt");
    assert.equal(a.linkUp, false);
    assert.ok(a.counters.sendFailures >= 5);
    assert.equal(bindingStats(l, "hubA-pt").sendErrors, a.counters.sendFailures);
    await teardown(l);
  });

  test("a binding without IPAddress is refused with a clear status; the other still binds", async () => {
    const l = await lab({ PrefixLength: 24 }, { IPAddress: "198.51.100.2" });
    assert.deepEqual(
      ipv4HostInterfaces(l.ipv4Driver).map((i) => i.adapterName),
      ["hubB-pt"],
    );
    assert.deepEqual(ipv4HostRefusals(l.ipv4Driver), [
      { adapterName: "hubA-pt", status: NDIS_STATUS_INVALID_PARAMETER, reason: "no IPAddress" },
    ]);
    await teardown(l);
  });

  test("malformed parameters are refused and named", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.300" },
      { IPAddress: "198.51.100.2", PrefixLength: 40 },
    );
    const l2 = await lab(
      { IPAddress: "198.51.100.1", PrefixLength: 28, PingTarget: "198.51.100.200" },
      { IPAddress: "198.51.100.2", UdpEchoPort: 70000 },
    );
    assert.deepEqual(ipv4HostInterfaces(l2.ipv4Driver), []);
    assert.deepEqual(
      ipv4HostRefusals(l2.ipv4Driver).map((r) => [r.adapterName, r.status, r.reason]),
      [
        [
          "hubA-pt",
          NDIS_STATUS_INVALID_DATA,
          "PingTarget 198.51.100.200 is not on-link for 198.51.100.1/28",
        ],
        ["hubB-pt", NDIS_STATUS_INVALID_DATA, "UdpEchoPort 70000 is not in 1..65535"],
      ],
    );
    await teardown(l2);
    assert.deepEqual(ipv4HostInterfaces(l.ipv4Driver), []);
    const reasons = ipv4HostRefusals(l.ipv4Driver)
      .map((r) => r.reason)
      .sort();
    assert.deepEqual(reasons, [
      'IPAddress "198.51.100.300" is not an IPv4 address',
      "PrefixLength 40 is not in 0..32",
    ]);
    assert.ok(ipv4HostRefusals(l.ipv4Driver).every((r) => r.status === NDIS_STATUS_INVALID_DATA));
    await teardown(l);
  });
});

const A = parseIPv4("198.51.100.1") ?? 0;
const RAW_IP = parseIPv4("198.51.100.9") ?? 0;

function mac(text: string): Uint8Array {
  const m = parseMac(text);
  assert.ok(m);
  return m;
}

function udpFrame(
  raw: RawHandle,
  dstMac: Uint8Array,
  payload: Uint8Array,
  dstPort = 7,
): Uint8Array {
  return buildEthernet({
    dst: dstMac,
    src: mac(raw.mac),
    ethertype: ETHERTYPE_IPV4,
    payload: buildIpv4Packet({
      src: RAW_IP,
      dst: A,
      protocol: IPPROTO_UDP,
      payload: buildUdp({ srcPort: 40000, dstPort, payload }, RAW_IP, A),
    }),
  });
}

describe("raw protocol driver on the hub", () => {
  test("UDP echo: raw sends a datagram to A's echo port and reads the echo back", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", UdpEchoPort: 7 },
      { IPAddress: "198.51.100.2" },
      {},
    );
    assert.ok(l.rawDriver);
    const raw = openRaw(l.rawDriver, "hubC");
    assert.ok(raw);
    assert.equal(openRaw(l.rawDriver, "nowhere"), null);
    const frames = rawReader(raw);
    const aMac = mac(iface(l, "hubA-pt").mac);
    const hello = new TextEncoder().encode("hello, hub");
    assert.equal(await raw.send(udpFrame(raw, aMac, hello)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    const echoed = await frames.next();
    assert.ok(echoed, "A echoed the datagram");
    const eth = parseEthernet(echoed);
    assert.ok(eth);
    assert.deepEqual([...eth.dst], [...mac(raw.mac)]);
    const ip = parseIpv4Packet(eth.payload);
    assert.ok(ip && ip.src === A && ip.dst === RAW_IP);
    const udp = parseUdp(ip.payload, ip.src, ip.dst);
    assert.ok(udp, "the echo's UDP checksum verifies");
    assert.equal(udp.srcPort, 7);
    assert.equal(udp.dstPort, 40000);
    assert.notEqual(udp.checksum, 0);
    assert.deepEqual([...udp.payload], [...hello]);
    assert.equal(iface(l, "hubA-pt").counters.udpEchoed, 1);
    // Not the echo port: dropped, nothing comes back.
    assert.equal(await raw.send(udpFrame(raw, aMac, hello, 9)), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(await frames.next(), null);
    assert.equal(iface(l, "hubA-pt").counters.framesDropped, 1);
    const info = rawBindings(l.rawDriver)[0];
    assert.equal(info?.counters.framesSent, 2);
    assert.equal(info?.counters.framesReceived, 1);
    raw.close();
    assert.equal(await raw.send(udpFrame(raw, aMac, hello)), NDIS_STATUS_ADAPTER_NOT_OPEN);
    await teardown(l);
  });

  test("hostile frames are counted as dropped and the stack keeps serving", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", UdpEchoPort: 7 },
      { IPAddress: "198.51.100.2", PingTarget: "198.51.100.1", PingIntervalMs: 100 },
      { PacketFilter: "promiscuous" },
    );
    assert.ok(l.rawDriver);
    const raw = openRaw(l.rawDriver, "hubC");
    assert.ok(raw);
    assert.equal(rawBindings(l.rawDriver)[0]?.packetFilter, 0x20);
    l.clock.advance(300);
    const aMac = mac(iface(l, "hubA-pt").mac);
    const src = mac(raw.mac);
    const good = buildIpv4Packet({
      src: RAW_IP,
      dst: A,
      protocol: IPPROTO_ICMP,
      payload: buildIcmpEcho({
        type: ICMP_ECHO_REQUEST,
        identifier: 1,
        sequence: 1,
        data: new Uint8Array(8),
      }),
    });
    const flip = (b: Uint8Array, at: number): Uint8Array => {
      const c = b.slice();
      c[at] = (c[at] ?? 0) ^ 0x40;
      return c;
    };
    const ipFrame = (payload: Uint8Array) =>
      buildEthernet({ dst: aMac, src, ethertype: ETHERTYPE_IPV4, payload });
    const arp = buildArp({
      op: ARP_REQUEST,
      senderMac: src,
      senderIp: RAW_IP,
      targetMac: new Uint8Array(6),
      targetIp: A,
    });
    const hostile = [
      // truncated ARP: the frame ends inside the ARP body
      buildEthernet({ dst: aMac, src, ethertype: ETHERTYPE_ARP, payload: arp }).subarray(
        0,
        14 + 20,
      ),
      // truncated IPv4: the header's total length runs past the frame
      ipFrame(good).subarray(0, 14 + 24),
      // bad IPv4 header checksum
      ipFrame(flip(good, 8)),
      // bad ICMP checksum
      ipFrame(flip(good, 30)),
      // bad UDP checksum
      flip(udpFrame(raw, aMac, Uint8Array.of(1, 2, 3)), 14 + 20 + 9),
      // an IPv4 packet for another host
      ipFrame(
        buildIpv4Packet({
          src: RAW_IP,
          dst: RAW_IP + 1,
          protocol: IPPROTO_ICMP,
          payload: new Uint8Array(8),
        }),
      ),
    ];
    const before = iface(l, "hubA-pt").counters;
    for (const frame of hostile) assert.equal(await raw.send(frame), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    const after = iface(l, "hubA-pt").counters;
    assert.equal(after.framesReceived - before.framesReceived, hostile.length);
    assert.equal(after.framesDropped - before.framesDropped, hostile.length);
    assert.equal(after.echoRequestsAnswered, before.echoRequestsAnswered);

    // Random bytes addressed to A: every one reaches A, and every one is dropped.
    const samples = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 120 }), {
      numRuns: 300,
      seed: 42,
    });
    for (const bytes of samples) {
      const frame = new Uint8Array(14 + bytes.length);
      frame.set(aMac, 0);
      frame.set(src, 6);
      frame.set(bytes, 12);
      assert.equal(await raw.send(frame), NDIS_STATUS_SUCCESS);
    }
    l.clock.advance(0);
    const random = iface(l, "hubA-pt").counters;
    assert.equal(random.framesReceived - after.framesReceived, samples.length);
    assert.equal(random.framesDropped - after.framesDropped, samples.length);
    // Frames raw cannot send: empty, too long.
    assert.equal(await raw.send(new Uint8Array(0)), NDIS_STATUS_INVALID_LENGTH);
    assert.equal(await raw.send(new Uint8Array(2000)), NDIS_STATUS_INVALID_LENGTH);

    // Still serving: B's pings go on being answered, and a datagram is still echoed.
    const answered = iface(l, "hubA-pt").counters.echoRequestsAnswered;
    l.clock.advance(500);
    assert.equal(iface(l, "hubA-pt").counters.echoRequestsAnswered, answered + 5);
    assert.equal(
      iface(l, "hubB-pt").counters.echoRepliesReceived,
      iface(l, "hubB-pt").counters.echoRequestsSent,
    );
    assert.equal(await raw.send(udpFrame(raw, aMac, Uint8Array.of(9))), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.equal(iface(l, "hubA-pt").counters.udpEchoed, 1);
    // Promiscuous: raw saw the pings between A and B too.
    assert.ok((rawBindings(l.rawDriver)[0]?.counters.framesReceived ?? 0) > 10);
    await teardown(l);
  });

  test("ipv4-host reads frames in place and answers exactly the echo requests the src/net parsers accept", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1" },
      { IPAddress: "198.51.100.2" },
      { PacketFilter: "promiscuous" },
    );
    assert.ok(l.rawDriver);
    const raw = openRaw(l.rawDriver, "hubC");
    assert.ok(raw);
    l.clock.advance(300);
    const aMac = mac(iface(l, "hubA-pt").mac);
    const good = buildEthernet({
      dst: aMac,
      src: mac(raw.mac),
      ethertype: ETHERTYPE_IPV4,
      payload: buildIpv4Packet({
        src: RAW_IP,
        dst: A,
        protocol: IPPROTO_ICMP,
        payload: buildIcmpEcho({
          type: ICMP_ECHO_REQUEST,
          identifier: 7,
          sequence: 1,
          data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
        }),
      }),
    });
    // The oracle: the same decision made with the parsers (each header a view of its own).
    const answers = (f: Uint8Array): boolean => {
      const eth = parseEthernet(f);
      if (eth === null || eth.vlan !== undefined || eth.ethertype !== ETHERTYPE_IPV4) return false;
      if (!eth.dst.every((b, i) => b === aMac[i])) return false;
      const ip = parseIpv4Packet(eth.payload);
      if (ip === null || ip.dst !== A || (ip.flags & 1) !== 0 || ip.fragmentOffset !== 0)
        return false;
      if (ip.protocol !== IPPROTO_ICMP) return false;
      const echo = parseIcmpEcho(ip.payload);
      return echo !== null && echo.type === ICMP_ECHO_REQUEST;
    };
    // Mutations of a good request: bytes of the headers changed, the frame cut or grown, and the
    // checksums put right again or not, so that every check of the reader is reached.
    // Field edits reach what random bytes rarely do (MF set with offset 0, a header with options).
    const fieldEdits: readonly (readonly [number, number])[] = [
      [20, 0x20], // MF
      [20, 0x40], // DF: still a whole datagram
      [21, 0x01], // a fragment offset
      [14, 0x65], // IPv6's version
      [14, 0x46], // IHL 6: a 4-byte option (the ICMP header becomes the option)
      [14, 0x44], // IHL 4: shorter than a header
      [34, 0x00], // an echo reply, not a request
      [34, 0x0d], // a timestamp request
      [23, 17], // UDP
      [33, 3], // another host
      [0, 0xff], // a group address
      [12, 0x81], // 802.1Q
    ];
    const mutation = fc.record({
      edits: fc.array(
        fc.oneof(
          fc.tuple(fc.nat({ max: 14 + 20 + 8 + 7 }), fc.nat({ max: 255 })),
          fc.constantFrom(...fieldEdits),
        ),
        { maxLength: 3 },
      ),
      length: fc.option(fc.nat({ max: good.length + 8 }), { nil: undefined }),
      fixIp: fc.boolean(),
      fixIcmp: fc.boolean(),
    });
    const frames = fc.sample(mutation, { numRuns: 600, seed: 7 }).map((m) => {
      const f = new Uint8Array(m.length ?? good.length);
      f.set(good.subarray(0, f.length));
      for (const [at, value] of m.edits) if (at < f.length) f[at] = value;
      const ihl = ((f[14] ?? 0) & 0x0f) * 4;
      if (m.fixIp && f.length >= 14 + ihl && ihl >= 20) {
        f[24] = 0;
        f[25] = 0;
        const sum = internetChecksum(f, 14, 14 + ihl);
        f[24] = sum >>> 8;
        f[25] = sum & 0xff;
      }
      const end = Math.min(f.length, 14 + (((f[16] ?? 0) << 8) | (f[17] ?? 0)));
      if (m.fixIcmp && ihl >= 20 && end >= 14 + ihl + 4) {
        f[14 + ihl + 2] = 0;
        f[14 + ihl + 3] = 0;
        const sum = internetChecksum(f, 14 + ihl, end);
        f[14 + ihl + 2] = sum >>> 8;
        f[14 + ihl + 3] = sum & 0xff;
      }
      return f;
    });
    let expected = 0;
    for (const f of frames) {
      const before = iface(l, "hubA-pt").counters.echoRequestsAnswered;
      if (f.length > 0) assert.equal(await raw.send(f), NDIS_STATUS_SUCCESS);
      l.clock.advance(0);
      const answered = iface(l, "hubA-pt").counters.echoRequestsAnswered - before;
      const want = f.length > 0 && answers(f);
      if (want) expected++;
      assert.equal(answered, want ? 1 : 0, `frame ${Buffer.from(f).toString("hex")}`);
    }
    assert.ok(expected >= 20, `only ${expected} of the mutations were still good requests`);
    assert.ok(expected <= frames.length - 100, "most mutations broke the request");
    await teardown(l);
  });

  test("frames() ends when the binding goes away", async () => {
    const l = await lab({ IPAddress: "198.51.100.1" }, { IPAddress: "198.51.100.2" }, {});
    assert.ok(l.rawDriver);
    const raw = openRaw(l.rawDriver, "hubC");
    assert.ok(raw);
    const frames = rawReader(raw);
    assert.equal(await frames.ended(), false);
    await l.host.removeAdapter("hubC");
    assert.equal(await frames.ended(), true);
    assert.equal(await raw.send(new Uint8Array(60)), NDIS_STATUS_ADAPTER_NOT_OPEN);
    await l.host.addAdapter({ driver: "hub", name: "hubC" });
    await teardown(l);
  });
});

describe("ipv4-host lifecycle", () => {
  test("opens and closes NDIS pends: the bind and unbind complete later and the hosts still talk", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      bindings: [
        {
          protocol: "ipv4-host",
          adapter: "h1",
          registry: { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 10 },
        },
        { protocol: "ipv4-host", adapter: "h2", registry: { IPAddress: "198.51.100.2" } },
        { protocol: "ipv4-host", adapter: "h3", registry: {} },
      ],
    });
    await host.loadDriver({ name: "hub", module: hub });
    const ipv4 = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
    host.pendOperations("NdisOpenAdapterEx", 3);
    host.pendOperations("NdisCloseAdapterEx", 3);
    for (const name of ["h1", "h2", "h3"]) await host.addAdapter({ driver: "hub", name });
    await host.settle();
    assert.deepEqual(
      ipv4HostInterfaces(ipv4).map((i) => [i.adapterName, i.state]),
      [
        ["h1", "running"],
        ["h2", "running"],
      ],
    );
    assert.equal(
      ipv4HostRefusals(ipv4)[0]?.adapterName,
      "h3",
      "refused after a pended open, closed by a pended close",
    );
    clock.advance(100);
    const h1 = ipv4HostInterfaces(ipv4)[0];
    assert.equal(h1?.counters.echoRepliesReceived, 9);
    for (const name of ["h1", "h2", "h3"]) await host.removeAdapter(name);
    assert.deepEqual(ipv4HostInterfaces(ipv4), []);
    await host.unloadDriver("ipv4-host");
    await host.unloadDriver("hub");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });

  test("a paused stack stops pinging and answering; restarted, it picks up again", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(300);
    assert.equal(iface(l, "hubA-pt").counters.echoRepliesReceived, 2);
    await l.host.pauseStack("hubA-pt");
    assert.equal(iface(l, "hubA-pt").state, "paused");
    l.clock.advance(1000);
    assert.equal(iface(l, "hubA-pt").counters.echoRequestsSent, 2, "no pings while paused");
    await l.host.restartStack("hubA-pt");
    assert.equal(iface(l, "hubA-pt").state, "running");
    l.clock.advance(300);
    assert.equal(iface(l, "hubA-pt").counters.echoRepliesReceived, 5);
    await teardown(l);
  });

  test("two hosts in one process keep their interfaces apart", async () => {
    const one = await lab({ IPAddress: "198.51.100.1" }, { IPAddress: "198.51.100.2" });
    const two = await lab({ IPAddress: "198.51.100.11" }, { IPAddress: "198.51.100.12" });
    assert.deepEqual(
      ipv4HostInterfaces(one.ipv4Driver).map((i) => i.address),
      ["198.51.100.1", "198.51.100.2"],
    );
    assert.deepEqual(
      ipv4HostInterfaces(two.ipv4Driver).map((i) => i.address),
      ["198.51.100.11", "198.51.100.12"],
    );
    assert.equal(hubOf(one.hubDriver).adapters().length, 2);
    await teardown(one);
    assert.equal(hubOf(two.hubDriver).adapters().length, 2);
    await teardown(two);
    assert.deepEqual(ipv4HostInterfaces(one.ipv4Driver), []);
  });
});

describe("ipv4-host against a miniport that takes its time", () => {
  test("a pended packet filter OID, a pause that waits for held sends, RESOURCES receives kept", async () => {
    const clock = new ManualClock();
    const held: NET_BUFFER_LIST[] = [];
    let filter: NDIS_OID_REQUEST | null = null;
    const mp = scriptedMiniport({
      send: (_a, nbls) => {
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) held.push(n);
      },
      oid: (_a, request) => {
        filter = request;
        return NDIS_STATUS_PENDING;
      },
    });
    const host = new NdisHost({
      clock,
      bindings: [
        {
          protocol: "ipv4-host",
          adapter: "m1",
          registry: { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 10 },
        },
      ],
    });
    await host.loadDriver({ name: "m", module: mp.module });
    const ipv4 = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
    const adding = host.addAdapter({ driver: "m", name: "m1" });
    await host.settle();
    assert.equal(
      ipv4HostInterfaces(ipv4)[0]?.state,
      "binding",
      "the bind waits for the filter OID",
    );
    const adapter = mp.adapters[0];
    assert.ok(adapter && filter !== null);
    const request: NDIS_OID_REQUEST = filter;
    assert.equal(request.DATA.SET_INFORMATION.Oid, OID_GEN_CURRENT_PACKET_FILTER);
    NdisMOidRequestComplete(adapter.handle, request, NDIS_STATUS_SUCCESS);
    await adding;
    await host.settle();
    assert.equal(ipv4HostInterfaces(ipv4)[0]?.state, "running");

    // An ARP request for us, indicated under RESOURCES: answered, and the NBL not returned.
    const pool = nblPool(adapter.handle);
    const [nbl] = allocateNbls(pool, 1, adapter.handle);
    assert.ok(nbl?.FirstNetBuffer?.MdlChain);
    const asker = mac("02-00-00-00-00-77");
    const arp = buildEthernet({
      dst: BROADCAST_MAC,
      src: asker,
      ethertype: ETHERTYPE_ARP,
      payload: buildArp({
        op: ARP_REQUEST,
        senderMac: asker,
        senderIp: RAW_IP,
        targetMac: new Uint8Array(6),
        targetIp: A,
      }),
    });
    nbl.FirstNetBuffer.MdlChain.MappedSystemVa.set(arp);
    NdisMIndicateReceiveNetBufferLists(adapter.handle, nbl, 0, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert.equal(mp.returned.length, 0);
    assert.equal(ipv4HostInterfaces(ipv4)[0]?.counters.arpRequestsAnswered, 1);
    NdisMIndicateReceiveNetBufferLists(adapter.handle, nbl, 0, 1, 0);
    assert.deepEqual(mp.returned, [nbl], "without RESOURCES it comes back");
    assert.deepEqual(ipv4HostInterfaces(ipv4)[0]?.arpCache, [
      { address: "198.51.100.9", mac: "02-00-00-00-00-77" },
    ]);
    // An ARP probe (sender 0.0.0.0) is answered, and teaches nothing.
    const prober = mac("02-00-00-00-00-78");
    const probe = buildEthernet({
      dst: BROADCAST_MAC,
      src: prober,
      ethertype: ETHERTYPE_ARP,
      payload: buildArp({
        op: ARP_REQUEST,
        senderMac: prober,
        senderIp: 0,
        targetMac: new Uint8Array(6),
        targetIp: A,
      }),
    });
    nbl.FirstNetBuffer.MdlChain.MappedSystemVa.set(probe);
    NdisMIndicateReceiveNetBufferLists(adapter.handle, nbl, 0, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert.equal(ipv4HostInterfaces(ipv4)[0]?.counters.arpRequestsAnswered, 3);
    assert.equal(ipv4HostInterfaces(ipv4)[0]?.arpCache.length, 1);
    assert.equal(held.length, 3, "three ARP replies, held by the miniport");

    // The pause pends while the miniport holds the sends.
    let paused = false;
    const pausing = host.pauseStack("m1").then(() => {
      paused = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(paused, false, "NetEventPause waits for the sends");
    assert.equal(ipv4HostInterfaces(ipv4)[0]?.state, "paused");
    clock.advance(100);
    assert.equal(held.length, 3, "nothing sent while pausing");
    for (const n of held.splice(0)) {
      n.Next = null;
      n.Status = NDIS_STATUS_SUCCESS;
      NdisMSendNetBufferListsComplete(adapter.handle, n, 0);
    }
    await pausing;
    assert.equal(paused, true);
    // The miniport frees what it allocated for the adapter before its halt ends.
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await teardownHost(host);
  });
});

describe("ipv4-host answers a chain with a chain", () => {
  test("echo requests indicated together are answered by one send of their replies, in order, with the room the adapter asks left in front", async () => {
    const calls: number[][] = [];
    const mp = scriptedMiniport({
      send: (a, nbls) => {
        // The replies' ICMP sequence numbers, per MiniportSendNetBufferLists call.
        const seqs: number[] = [];
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
          const nb: NET_BUFFER | null = n.FirstNetBuffer;
          assert.ok(nb?.CurrentMdl);
          assert.equal(nb.DataOffset, 8, "the DataBackFillSize the adapter asked is left free");
          const f: Uint8Array = nb.CurrentMdl.MappedSystemVa.subarray(nb.CurrentMdlOffset);
          assert.equal(f[34], 0, "an echo reply");
          seqs.push(((f[40] as number) << 8) | (f[41] as number));
        }
        calls.push(seqs);
        let n: NET_BUFFER_LIST | null = nbls;
        while (n !== null) {
          const next: NET_BUFFER_LIST | null = n.Next;
          n.Next = null;
          n.Status = NDIS_STATUS_SUCCESS;
          NdisMSendNetBufferListsComplete(a.handle, n, 0);
          n = next;
        }
      },
      oid: () => NDIS_STATUS_SUCCESS,
      general: { DataBackFillSize: 8, ContextBackFillSize: 16 },
    });
    const host = new NdisHost({
      clock: new ManualClock(),
      bindings: [{ protocol: "ipv4-host", adapter: "m1", registry: { IPAddress: "198.51.100.1" } }],
    });
    await host.loadDriver({ name: "m", module: mp.module });
    const ipv4 = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
    await host.addAdapter({ driver: "m", name: "m1" });
    await host.settle();
    const adapter = mp.adapters[0];
    const ours = ipv4HostInterfaces(ipv4)[0];
    assert.equal(ours?.state, "running");
    assert.ok(adapter && ours);
    const request = (dst: number, sequence: number) =>
      buildEthernet({
        dst: mac(ours.mac),
        src: mac("02-00-00-00-00-77"),
        ethertype: ETHERTYPE_IPV4,
        payload: buildIpv4Packet({
          src: RAW_IP,
          dst,
          protocol: IPPROTO_ICMP,
          payload: buildIcmpEcho({
            type: ICMP_ECHO_REQUEST,
            identifier: 9,
            sequence,
            data: Uint8Array.of(1, 2, 3, 4),
          }),
        }),
      });
    // Four NBLs in one indication; the third is for another host and is dropped.
    const frames = [request(A, 1), request(A, 2), request(RAW_IP, 99), request(A, 3)];
    const pool = nblPool(adapter.handle);
    const nbls = allocateNbls(pool, frames.length, adapter.handle);
    nbls.forEach((n, i) => {
      const nb = n.FirstNetBuffer;
      assert.ok(nb?.MdlChain);
      nb.MdlChain.MappedSystemVa.set(frames[i] as Uint8Array);
      nb.DataLength = (frames[i] as Uint8Array).length;
      n.Next = nbls[i + 1] ?? null;
    });
    NdisMIndicateReceiveNetBufferLists(adapter.handle, nbls[0] as NET_BUFFER_LIST, 0, 4, 0);
    assert.deepEqual(calls, [[1, 2, 3]], "one MiniportSendNetBufferLists with the three replies");
    assert.equal(mp.returned.length, 4);
    const counters = ipv4HostInterfaces(ipv4)[0]?.counters;
    assert.equal(counters?.echoRequestsAnswered, 3);
    assert.equal(counters?.framesDropped, 1);
    // One request alone is answered by a send of its own, at once.
    const [single] = allocateNbls(pool, 1, adapter.handle);
    assert.ok(single?.FirstNetBuffer?.MdlChain);
    const frame = request(A, 4);
    single.FirstNetBuffer.MdlChain.MappedSystemVa.set(frame);
    single.FirstNetBuffer.DataLength = frame.length;
    NdisMIndicateReceiveNetBufferLists(adapter.handle, single, 0, 1, 0);
    assert.deepEqual(calls, [[1, 2, 3], [4]]);
    for (const n of [...nbls, single]) NdisFreeNetBufferList(n);
    NdisFreeNetBufferListPool(pool);
    await teardownHost(host);
  });
});

describe("the stack under random events", () => {
  type Step =
    | { readonly kind: "advance"; readonly ms: number }
    | { readonly kind: "link"; readonly side: "a" | "b"; readonly up: boolean }
    | { readonly kind: "pause"; readonly side: "a" | "b" }
    | { readonly kind: "junk"; readonly bytes: Uint8Array };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 400 }) }),
    fc.record({
      kind: fc.constant("link" as const),
      side: fc.constantFrom("a" as const, "b" as const),
      up: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("pause" as const),
      side: fc.constantFrom("a" as const, "b" as const),
    }),
    fc.record({
      kind: fc.constant("junk" as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 100 }),
    }),
  );

  test("link flaps, pauses and junk never break the contract, and the counters stay consistent", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const l = await lab(
          {
            IPAddress: "198.51.100.1",
            PingTarget: "198.51.100.2",
            PingIntervalMs: 50,
            UdpEchoPort: 7,
          },
          { IPAddress: "198.51.100.2", PingTarget: "198.51.100.1", PingIntervalMs: 70 },
          { PacketFilter: "promiscuous" },
        );
        assert.ok(l.rawDriver);
        const raw = openRaw(l.rawDriver, "hubC");
        assert.ok(raw);
        const aMac = mac(iface(l, "hubA-pt").mac);
        for (const s of steps) {
          if (s.kind === "advance") l.clock.advance(s.ms);
          else if (s.kind === "link") {
            hubOf(l.hubDriver).setLink(s.side === "a" ? l.a : l.b, s.up);
            l.clock.advance(0);
          } else if (s.kind === "pause") {
            const name = s.side === "a" ? "hubA-pt" : "hubB-pt";
            await l.host.pauseStack(name);
            l.clock.advance(100);
            await l.host.restartStack(name);
          } else {
            const frame = new Uint8Array(6 + s.bytes.length);
            frame.set(aMac);
            frame.set(s.bytes, 6);
            await raw.send(frame);
          }
        }
        for (const i of ipv4HostInterfaces(l.ipv4Driver)) {
          const c = i.counters;
          const stats = bindingStats(l, i.adapterName);
          assert.equal(stats.sentPackets, c.framesSent);
          assert.equal(stats.receivedPackets, c.framesReceived);
          assert.equal(stats.sendErrors, c.sendFailures);
          assert.ok(c.echoRepliesReceived <= c.echoRequestsSent);
          assert.ok(c.framesDropped <= c.framesReceived);
          assert.equal(i.rttsMs.length, c.echoRepliesReceived);
        }
        const a = iface(l, "hubA-pt").counters;
        const b = iface(l, "hubB-pt").counters;
        assert.ok(b.echoRequestsAnswered >= a.echoRepliesReceived);
        assert.ok(a.echoRequestsAnswered >= b.echoRepliesReceived);
        await teardown(l);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
