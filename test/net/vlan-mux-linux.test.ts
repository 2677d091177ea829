/**
 * Interop: Linux 802.1Q VLAN interfaces over a kernel VXLAN tunnel ↔ our VXLAN miniport →
 * vlan-mux → one ipv4-host per VELAN.
 *
 *   namespace: vx0.10 (198.51.100.1/26)  vx0.20 (198.51.100.65/26)
 *                    └──── vx0 (kernel VXLAN) ────┘
 *                               │ UDP 4789 over a veth (169.254.0.0/16)
 *   Node:              vxlan0 (VXLAN miniport)
 *                               │
 *                           vlan-mux
 *                ┌──────────────┴──────────────┐
 *   vxlan0.10 (VLAN 10)               vxlan0.20 (VLAN 20)
 *   ipv4-host 198.51.100.2/26         ipv4-host 198.51.100.66/26
 *
 * Each VLAN's ping reaches only its own VELAN's host: the other VELAN's counters, its adapter's
 * frame capture and the other Linux VLAN interface's kernel counters stay still. Needs root,
 * `ip netns` and a kernel with 802.1Q VLAN devices (CONFIG_VLAN_8021Q); skipped with the reason
 * otherwise.
 *
 * Kernels without VLAN devices (some CI sandboxes) still run the second suite: the kernel VXLAN
 * device carries frames that a packet socket in the namespace tags itself (Python's AF_PACKET),
 * while Linux's own untagged stack on vx0 pings the VELAN named by UntaggedFrames. The third is
 * the second through a macvtap and our tap miniport instead of the tunnel (real 802.1Q frames
 * through the kernel's macvtap, full-size ones included).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import * as tap from "../../src/drivers/tap/index.js";
import * as vlanMux from "../../src/drivers/vlan-mux/index.js";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import { type DRIVER_OBJECT, type FrameEvent, NdisHost } from "../../src/index.js";
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
import { pingSummary } from "../helpers/interop.js";
import {
  createTapNamespace,
  createVxlanNamespace,
  netnsSkipReason,
  type VxlanNamespace,
  vxlanRegistry,
} from "../helpers/netns.js";
import { tapRegistry } from "../helpers/tap-stack.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const netSkip = netnsSkipReason();

/** Why Linux VLAN devices cannot be made here: probed in a throwaway namespace. */
function vlanSkipReason(): string | null {
  if (netSkip !== null) return netSkip;
  const ns = `ndisvlanprobe${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", ns], { stdio: "ignore" });
    execFileSync(
      "ip",
      ["-n", ns, "link", "add", "link", "lo", "name", "lo.5", "type", "vlan", "id", "5"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return null;
  } catch (error) {
    const why = String((error as { stderr?: unknown }).stderr ?? error)
      .trim()
      .split("\n")[0];
    return `this kernel makes no 802.1Q VLAN devices (${why}; CONFIG_VLAN_8021Q): skipped`;
  } finally {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // Never created.
    }
  }
}

/** Why the packet-socket suite cannot run: no namespaces, or no python3 with AF_PACKET. */
function packetSocketSkipReason(): string | null {
  if (netSkip !== null) return netSkip;
  try {
    execFileSync("python3", ["-c", "import socket; socket.AF_PACKET"], { stdio: "ignore" });
    return null;
  } catch {
    return "python3 with AF_PACKET sockets is not available: skipped";
  }
}

const skip = vlanSkipReason();
const VNI = 4310;

const VLANS = [
  { vid: 10, velan: "vxlan0.10", linuxIf: "vx0.10", linux: "198.51.100.1", ours: "198.51.100.2" },
  { vid: 20, velan: "vxlan0.20", linuxIf: "vx0.20", linux: "198.51.100.65", ours: "198.51.100.66" },
] as const;

describe("Linux VLANs over VXLAN ↔ VXLAN miniport → vlan-mux → two ipv4-hosts", {
  skip: skip ?? false,
}, () => {
  let net: VxlanNamespace;
  let host: NdisHost;
  let ipv4Driver: DRIVER_OBJECT;
  let muxDriver: DRIVER_OBJECT;

  const iface = (velan: string) => {
    const found = ipv4host.ipv4HostInterfaces(ipv4Driver).find((i) => i.adapterName === velan);
    assert.ok(found, `ipv4-host on ${velan}`);
    return found;
  };
  const velanInfo = (velan: string) => {
    const found = vlanMux.vlanMuxOf(muxDriver).velans.find((v) => v.instanceName === velan);
    assert.ok(found, `VELAN ${velan}`);
    return found;
  };
  /** The kernel's receive and transmit packet counts of a namespace interface. */
  const linuxCounters = (ifName: string): { rx: number; tx: number } => {
    const out = net.runSync(["cat", `/sys/class/net/${ifName}/statistics/rx_packets`]);
    const tx = net.runSync(["cat", `/sys/class/net/${ifName}/statistics/tx_packets`]);
    return { rx: Number(out.trim()), tx: Number(tx.trim()) };
  };

  before(async () => {
    net = createVxlanNamespace({ vni: VNI });
    // vx0 keeps no address of its own: the VLAN interfaces carry the two subnets.
    net.runSync(["ip", "addr", "flush", "dev", "vx0"]);
    for (const v of VLANS) {
      net.runSync([
        "ip",
        "link",
        "add",
        "link",
        "vx0",
        "name",
        v.linuxIf,
        "type",
        "vlan",
        "id",
        String(v.vid),
      ]);
      net.runSync(["ip", "addr", "add", `${v.linux}/26`, "dev", v.linuxIf]);
      net.runSync(["ip", "link", "set", v.linuxIf, "up"]);
    }
    host = new NdisHost({
      bindings: [
        {
          protocol: "vlan-mux",
          adapter: "vxlan0",
          registry: { UpperBindings: VLANS.map((v) => v.velan) },
        },
        ...VLANS.map((v) => ({
          protocol: "ipv4-host",
          adapter: v.velan,
          registry: { IPAddress: v.ours, PrefixLength: 26 },
        })),
      ],
    });
    for (const v of VLANS) host.setDeviceParameters(v.velan, { VlanId: v.vid });
    const vxlanDriver = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
    muxDriver = (await host.loadDriver({ name: "vlan-mux", module: vlanMux })).driverObject;
    ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
    await host.addAdapter({
      driver: "vxlan",
      name: "vxlan0",
      // RFC 7348 §6.1: inner 802.1Q frames are discarded unless configured to pass.
      registry: vxlanRegistry(net, { AcceptInnerVlan: 1 }),
    });
    await waitFor(
      () =>
        vxlan.vxlanAdapters(vxlanDriver)[0]?.linkUp === true &&
        VLANS.every((v) => {
          const i = ipv4host.ipv4HostInterfaces(ipv4Driver).find((x) => x.adapterName === v.velan);
          return i?.state === "running" && i.linkUp;
        }),
      5000,
      "the tunnel and both ipv4-hosts to come up",
    );
  });

  after(async () => {
    try {
      if (host !== undefined) {
        for (const a of host.adapters.filter((x) => !x.intermediate))
          await host.removeAdapter(a.name);
        for (const name of ["ipv4-host", "vlan-mux", "vxlan"])
          if (host.driver(name) !== undefined) await host.unloadDriver(name);
        assert.deepEqual(host.liveObjects(), []);
        assert.deepEqual(host.violations, []);
      }
    } finally {
      net?.destroy();
    }
  });

  for (const [index, v] of VLANS.entries()) {
    const other = VLANS[1 - index] as (typeof VLANS)[number];
    test(`a ping on VLAN ${v.vid} reaches only ${v.velan}'s host and never shows on VLAN ${other.vid}`, async () => {
      const events: FrameEvent[] = [];
      const stop = host.onFrame((e) => events.push(e));
      const mine = iface(v.velan).counters;
      const theirs = iface(other.velan).counters;
      const theirVelan = velanInfo(other.velan).counters;
      const linuxOther = linuxCounters(other.linuxIf);
      const ping = await net.run([
        "ping",
        "-c",
        "5",
        "-i",
        "0.1",
        "-W",
        "2",
        "-I",
        v.linuxIf,
        v.ours,
      ]);
      stop();
      assert.deepEqual(pingSummary(ping.stdout), { sent: 5, received: 5 });
      const now = iface(v.velan).counters;
      assert.equal(now.echoRequestsAnswered - mine.echoRequestsAnswered, 5);
      // The other VLAN's host, VELAN and Linux interface saw none of it.
      assert.deepEqual(iface(other.velan).counters, theirs);
      const otherVelan = velanInfo(other.velan).counters;
      assert.equal(otherVelan.taggedReceived, theirVelan.taggedReceived);
      assert.equal(otherVelan.taggedSent, theirVelan.taggedSent);
      assert.deepEqual(linuxCounters(other.linuxIf), linuxOther);
      assert.equal(events.filter((e) => e.adapter === other.velan).length, 0);
      // On the tunnel's edge every frame of this exchange carries this VLAN's tag.
      const wire = events.filter((e) => e.adapter === "vxlan0").map((e) => parseEthernet(e.data));
      assert.ok(
        wire.length >= 10,
        `at least 5 requests and 5 replies crossed vxlan0 (${wire.length})`,
      );
      for (const f of wire) assert.equal(f?.vlan?.vid, v.vid);
      const mux = vlanMux.vlanMuxOf(muxDriver).bindings[0];
      assert.equal(mux?.counters.unknownVlanDrops, 0);
      assert.equal(mux?.counters.malformedDrops, 0);
    });
  }
});

/**
 * A packet socket on `argv[1]` in the namespace: sends the frames given in hex, then prints (hex)
 * every 802.1Q frame that arrives, until `argv[2]` have or `argv[3]` seconds pass. The kernel
 * takes the tag off a received frame into PACKET_AUXDATA; it is put back before printing.
 */
const PACKET_SOCKET = `
import select, socket, struct, sys, time
ifname, want, timeout, frames = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0))
s.setsockopt(263, 8, 1)
for f in frames:
    s.send(bytes.fromhex(f))
got, end = 0, time.time() + timeout
while got < want:
    left = end - time.time()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        break
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
    if addr[2] == 4:
        continue
    for level, kind, c in anc:
        if level == 263 and kind == 8 and len(c) >= 20:
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", c[:20])
            if status & 0x10:
                data = data[:12] + struct.pack("!HH", tpid or 0x8100, tci) + data[12:]
    if data[12:14] == b"\\x81\\x00":
        print(data.hex(), flush=True)
        got += 1
`;

/**
 * The packet-socket suite, over the kernel's VXLAN device (vx0 ↔ our VXLAN miniport) or over a
 * macvtap (the namespace's veth end ↔ our tap miniport). Over the macvtap the tags take the path a
 * VM's NIC sees: Linux moves a received tag into the packet's metadata and macvtap writes it back
 * into the frame it hands over; and a full-size tagged frame (1500 bytes of IPv4 behind the tag,
 * 1518 in all) fits, which the tunnel's 1450-byte MTU does not allow.
 */
function packetSocketSuite(kind: "vxlan" | "tap"): void {
  const ADAPTER = kind === "vxlan" ? "vxlan0" : "tap0";
  const NATIVE = `${ADAPTER}.10`;
  const TAGGED = `${ADAPTER}.20`;
  const LINUX_IP = "198.51.100.1";
  const LINUX_IP_20 = "198.51.100.65";
  const NATIVE_IP = "198.51.100.2";
  const TAGGED_IP = "198.51.100.66";
  const title =
    kind === "vxlan"
      ? "Linux over VXLAN, tagging by a packet socket ↔ VXLAN miniport → vlan-mux → two ipv4-hosts"
      : "Linux through a macvtap, tagging by a packet socket ↔ tap miniport → vlan-mux → two ipv4-hosts";
  describe(title, { skip: packetSocketSkipReason() ?? false }, () => {
    let net: Pick<VxlanNamespace, "run" | "runSync" | "destroy">;
    /** The namespace interface Linux's ping and the packet socket use. */
    let linuxIf: string;
    let host: NdisHost;
    let ipv4Driver: DRIVER_OBJECT;
    let muxDriver: DRIVER_OBJECT;
    let linuxMac: Uint8Array;

    const iface = (velan: string) => {
      const found = ipv4host.ipv4HostInterfaces(ipv4Driver).find((i) => i.adapterName === velan);
      assert.ok(found, `ipv4-host on ${velan}`);
      return found;
    };
    const velanInfo = (velan: string) => {
      const found = vlanMux.vlanMuxOf(muxDriver).velans.find((v) => v.instanceName === velan);
      assert.ok(found, `VELAN ${velan}`);
      return found;
    };
    /** Sends `frames` from linuxIf; resolves with the tagged frames that came back (≤ `want`). */
    const exchange = async (frames: Uint8Array[], want: number): Promise<EthernetFrame[]> => {
      const hex = frames.map((f) => Buffer.from(f).toString("hex"));
      const run = await net.run([
        "python3",
        "-c",
        PACKET_SOCKET,
        linuxIf,
        String(want),
        "3",
        ...hex,
      ]);
      assert.equal(run.code, 0, run.stderr);
      return run.stdout
        .trim()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
          const eth = parseEthernet(Uint8Array.from(Buffer.from(l, "hex")));
          assert.ok(eth);
          return eth;
        });
    };
    const tagged = (vid: number, dst: Uint8Array, ethertype: number, payload: Uint8Array) =>
      buildEthernet({ dst, src: linuxMac, ethertype, vlan: { pcp: 0, dei: false, vid }, payload });
    const arpRequest = (target: string) =>
      buildArp({
        op: ARP_REQUEST,
        senderMac: linuxMac,
        senderIp: parseIPv4(LINUX_IP_20) as number,
        targetMac: new Uint8Array(6),
        targetIp: parseIPv4(target) as number,
      });
    const echoRequest = (dst: string, sequence: number, dataLength = 16) =>
      buildIpv4Packet({
        src: parseIPv4(LINUX_IP_20) as number,
        dst: parseIPv4(dst) as number,
        protocol: IPPROTO_ICMP,
        payload: buildIcmpEcho({
          type: ICMP_ECHO_REQUEST,
          identifier: 0x4e44,
          sequence,
          data: new Uint8Array(dataLength),
        }),
      });

    before(async () => {
      host = new NdisHost({
        bindings: [
          {
            protocol: "vlan-mux",
            adapter: ADAPTER,
            registry: { UpperBindings: [NATIVE, TAGGED], UntaggedFrames: NATIVE },
          },
          { protocol: "ipv4-host", adapter: NATIVE, registry: { IPAddress: NATIVE_IP } },
          { protocol: "ipv4-host", adapter: TAGGED, registry: { IPAddress: TAGGED_IP } },
        ],
      });
      host.setDeviceParameters(NATIVE, { VlanId: 10 });
      host.setDeviceParameters(TAGGED, { VlanId: 20 });
      let linkUp: () => boolean;
      if (kind === "vxlan") {
        const vx = createVxlanNamespace({ vni: VNI + 1 });
        net = vx;
        linuxIf = "vx0";
        const m = parseMac(vx.vxlanMac);
        assert.ok(m);
        linuxMac = m;
        const driver = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
        linkUp = () => vxlan.vxlanAdapters(driver)[0]?.linkUp === true;
        muxDriver = (await host.loadDriver({ name: "vlan-mux", module: vlanMux })).driverObject;
        ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
        await host.addAdapter({
          driver: "vxlan",
          name: ADAPTER,
          registry: vxlanRegistry(vx, { AcceptInnerVlan: 1 }),
        });
      } else {
        const tp = createTapNamespace();
        net = tp;
        linuxIf = tp.nsLink;
        const m = parseMac(tp.runSync(["cat", `/sys/class/net/${tp.nsLink}/address`]).trim());
        assert.ok(m);
        linuxMac = m;
        const driver = (await host.loadDriver({ name: "tap", module: tap })).driverObject;
        linkUp = () => tap.tapAdapters(driver)[0]?.linkUp === true;
        muxDriver = (await host.loadDriver({ name: "vlan-mux", module: vlanMux })).driverObject;
        ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
        // Each VELAN has a MAC of its own: a bridge-mode macvtap passes only frames to the
        // link's MAC; a passthru one is the parent's only macvtap and passes everything.
        await host.addAdapter({
          driver: "tap",
          name: ADAPTER,
          registry: tapRegistry(tp, { Mode: "passthru" }),
        });
      }
      await waitFor(
        () =>
          linkUp() &&
          [NATIVE, TAGGED].every((name) => {
            const i = ipv4host.ipv4HostInterfaces(ipv4Driver).find((x) => x.adapterName === name);
            return i?.state === "running" && i.linkUp;
          }),
        5000,
        "the wire and both ipv4-hosts to come up",
      );
    });

    after(async () => {
      try {
        if (host !== undefined) {
          for (const a of host.adapters.filter((x) => !x.intermediate))
            await host.removeAdapter(a.name);
          for (const name of ["ipv4-host", "vlan-mux", kind])
            if (host.driver(name) !== undefined) await host.unloadDriver(name);
          assert.deepEqual(host.liveObjects(), []);
          assert.deepEqual(host.violations, []);
        }
      } finally {
        net?.destroy();
      }
    });

    test("Linux's untagged ping reaches the UntaggedFrames VELAN only, untagged both ways", async () => {
      const events: FrameEvent[] = [];
      const stop = host.onFrame((e) => events.push(e));
      const other = iface(TAGGED).counters;
      const ping = await net.run([
        "ping",
        "-c",
        "5",
        "-i",
        "0.1",
        "-W",
        "2",
        "-I",
        linuxIf,
        NATIVE_IP,
      ]);
      stop();
      assert.deepEqual(pingSummary(ping.stdout), { sent: 5, received: 5 });
      assert.ok(iface(NATIVE).counters.echoRequestsAnswered >= 5);
      assert.ok(
        iface(NATIVE).arpCache.some((e) => e.address === LINUX_IP && e.mac === formatMac(linuxMac)),
        "the untagged VELAN's host learned Linux's interface",
      );
      assert.deepEqual(iface(TAGGED).counters, other, "VLAN 20's host saw nothing");
      assert.equal(events.filter((e) => e.adapter === TAGGED).length, 0);
      const wire = events.filter((e) => e.adapter === ADAPTER).map((e) => parseEthernet(e.data));
      assert.ok(wire.length >= 10);
      for (const f of wire) assert.equal(f?.vlan, undefined, "untagged on the wire");
      assert.ok(velanInfo(NATIVE).counters.untaggedSent >= 5);
      assert.equal(velanInfo(NATIVE).counters.taggedSent, 0);
    });

    test("tagged VLAN 20 frames from Linux reach VELAN 20's host only and come back tagged 20; VLAN 30 is dropped", async () => {
      const native = iface(NATIVE).counters;
      const unknownBefore =
        vlanMux.vlanMuxOf(muxDriver).bindings[0]?.counters.unknownVlanDrops ?? 0;
      const [reply] = await exchange(
        [tagged(20, BROADCAST_MAC, ETHERTYPE_ARP, arpRequest(TAGGED_IP))],
        1,
      );
      assert.ok(reply, "VELAN 20's host answered the ARP request");
      assert.equal(reply.vlan?.vid, 20);
      const arp = parseArp(reply.payload);
      assert.ok(arp && arp.op === ARP_REPLY);
      assert.equal(formatMac(arp.senderMac), velanInfo(TAGGED).mac);
      assert.equal(formatMac(reply.dst), formatMac(linuxMac));
      const velanMac = arp.senderMac;
      const replies = await exchange(
        [
          tagged(30, BROADCAST_MAC, ETHERTYPE_ARP, arpRequest(TAGGED_IP)),
          ...[1, 2, 3].map((seq) =>
            tagged(20, velanMac, ETHERTYPE_IPV4, echoRequest(TAGGED_IP, seq)),
          ),
        ],
        3,
      );
      assert.equal(replies.length, 3);
      for (const [i, r] of replies.entries()) {
        assert.equal(r.vlan?.vid, 20);
        const ip = parseIpv4Packet(r.payload);
        assert.ok(ip);
        const echo = parseIcmpEcho(ip.payload);
        assert.equal(echo?.type, ICMP_ECHO_REPLY);
        assert.equal(echo?.sequence, i + 1);
      }
      assert.equal(iface(TAGGED).counters.echoRequestsAnswered, 3);
      assert.deepEqual(iface(NATIVE).counters, native, "the untagged VELAN's host saw none of it");
      const after = vlanMux.vlanMuxOf(muxDriver).bindings[0]?.counters.unknownVlanDrops ?? 0;
      assert.equal(after - unknownBefore, 1, "VLAN 30 dropped and counted");
    });

    if (kind === "tap")
      test("a full-size tagged frame (1518 bytes) goes up through the macvtap and its echo comes back as long", async () => {
        const answered = iface(TAGGED).counters.echoRequestsAnswered;
        const velanMac = parseMac(velanInfo(TAGGED).mac);
        assert.ok(velanMac);
        const request = tagged(20, velanMac, ETHERTYPE_IPV4, echoRequest(TAGGED_IP, 9, 1472));
        assert.equal(request.length, 1518);
        const [reply] = await exchange([request], 1);
        assert.ok(reply, "answered");
        assert.equal(reply.vlan?.vid, 20);
        assert.equal(reply.payload.length, 1500);
        const echo = parseIcmpEcho(parseIpv4Packet(reply.payload)?.payload ?? new Uint8Array(0));
        assert.equal(echo?.type, ICMP_ECHO_REPLY);
        assert.equal(echo?.sequence, 9);
        assert.equal(iface(TAGGED).counters.echoRequestsAnswered, answered + 1);
      });
  });
}

packetSocketSuite("vxlan");
packetSocketSuite("tap");
