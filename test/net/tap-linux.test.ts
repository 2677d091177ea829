/**
 * Interop: Linux ↔ a macvtap device ↔ our tap miniport → passthrough → ipv4-host (198.51.100.2).
 *
 *   root namespace (this process)                        namespace ndistp<pid><n>
 *   tap0: /dev/tapN ── macvtap over ntr… ── veth ── ntn… 198.51.100.1/24: ping, a UDP client…
 *
 * Linux's ping and a UDP client (Node's dgram, run inside the namespace: the kernel's UDP, which
 * leaves its checksum to "hardware") are answered; a TCP SYN reaches the stack, whose ipv4-host has
 * no TCP and drops it; a capture of the exchange reads back in tshark with good checksums; the
 * veth going down and up is seen by NDIS and ipv4-host; deleting the macvtap under the adapter
 * removes it cleanly (the miniport calls NdisMRemoveMiniport). With a macvtap made beforehand and
 * opened by its Device, frames written by a packet socket in the namespace (perl, whose Socket
 * module every Debian has) that are oversized or segmentation-offload super-frames are counted
 * and dropped by the miniport, malformed ones by ipv4-host, the heap stays flat and pings are
 * still answered. Needs root and `ip netns`; skips with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tap from "../../src/drivers/tap/index.js";
import {
  type FrameEvent,
  makeOidRequest,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_STATISTICS,
} from "../../src/index.js";
import { concat, readCapture } from "../../src/pcap/pcapng.js";
import {
  assertEchoCapture,
  capturePcapng,
  collect,
  pingSummary,
  tsharkAvailable,
} from "../helpers/interop.js";
import {
  createMacvtap,
  createTapNamespace,
  netnsSkipReason,
  removeMacvtap,
  type TapNamespace,
} from "../helpers/netns.js";
import { type ScriptedProtocol, scriptedProtocol } from "../helpers/protocol.js";
import {
  STACK_ADDRESS,
  startTapStack,
  type TapStack,
  UDP_ECHO_PORT,
  udpEchoClient,
} from "../helpers/tap-stack.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();

/** A Linux TCP client in the namespace: connects to port 7, prints what happened. */
const TCP_CLIENT = `
const c = require("node:net").connect({ host: "${STACK_ADDRESS}", port: ${UDP_ECHO_PORT} });
c.setTimeout(1000, () => { console.log("timeout"); process.exit(0); });
c.on("connect", () => { console.log("connected"); process.exit(0); });
c.on("error", (e) => { console.log(e.code); process.exit(0); });`;

describe("Linux ↔ tap (macvtap made by the miniport) → passthrough → ipv4-host", {
  skip: skip ?? false,
}, () => {
  let net: TapNamespace;
  let stack: TapStack;
  const dir = mkdtempSync(join(tmpdir(), `ndis-tap-${process.pid}-`));

  before(async () => {
    net = createTapNamespace();
    stack = await startTapStack(net);
  });

  after(async () => {
    try {
      await stack?.teardown();
    } finally {
      net?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the adapter has the link's MAC, MTU and speed; the driver made the link and its node", () => {
    const info = stack.tap();
    const mac = execFileSync("cat", [`/sys/class/net/${net.macvtapName}/address`], {
      encoding: "utf8",
    }).trim();
    assert.equal(info.macAddress, mac.replaceAll(":", "-"));
    assert.equal(info.mtu, 1500);
    assert.equal(info.speed, 10_000_000_000, "veth reports 10000 Mb/s");
    assert.equal(info.link, net.macvtapName);
    assert.equal(info.parent, net.rootLink);
    assert.ok(existsSync(info.device), info.device);
    assert.equal(info.operState, "up");
  });

  test("ping and a Linux UDP client are answered; counters agree; tshark reads the capture", async (t) => {
    const events: FrameEvent[] = [];
    const stop = stack.host.onFrame((e) => events.push(e));
    const statsBefore = stack.host.statistics();
    const before = stack.tap();
    const ipBefore = stack.ipv4();
    const clockOrigin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

    const ping = await net.run(["ping", "-c", "10", "-i", "0.05", "-W", "2", STACK_ADDRESS]);
    assert.deepEqual(pingSummary(ping.stdout), { sent: 10, received: 10 });
    const udp = await net.run([process.execPath, "-e", udpEchoClient("hello through macvtap")]);
    stop();
    assert.match(
      udp.stdout,
      new RegExp(`^${STACK_ADDRESS}:${UDP_ECHO_PORT} hello through macvtap`),
    );

    const info = stack.tap();
    const ip = stack.ipv4();
    assert.equal(ip.counters.echoRequestsAnswered - ipBefore.counters.echoRequestsAnswered, 10);
    assert.equal(ip.counters.udpEchoed - ipBefore.counters.udpEchoed, 1);
    assert.equal(info.dropped, 0, JSON.stringify(info.drops));
    // Linux left the UDP checksum to the device (VIRTIO_NET_HDR_F_NEEDS_CSUM); ipv4-host would
    // have dropped the datagram had the miniport not finished it.
    assert.ok(info.counters.checksumsCompleted > before.counters.checksumsCompleted);
    const received = info.counters.framesReceived - before.counters.framesReceived;
    const sent = info.counters.framesSent - before.counters.framesSent;
    assert.ok(received >= 11 && sent >= 11, `received ${received}, sent ${sent}`);
    const stats = stack.host.statistics();
    const adapterStats = (s: typeof stats) => {
      const a = s.adapters.find((x) => x.name === "tap0");
      assert.ok(a);
      return a;
    };
    assert.equal(
      adapterStats(stats).receivedPackets - adapterStats(statsBefore).receivedPackets,
      received,
    );
    assert.equal(adapterStats(stats).sentPackets - adapterStats(statsBefore).sentPackets, sent);
    assert.equal(ip.counters.framesReceived - ipBefore.counters.framesReceived, received);

    const file = join(dir, "tap.pcapng");
    const bytes = capturePcapng(events, clockOrigin);
    writeFileSync(file, bytes);
    assert.equal(readCapture(bytes).length, events.length);
    if (!tsharkAvailable()) {
      t.diagnostic("tshark not installed: the capture was not decoded");
      return;
    }
    // The UDP request as indicated (its checksum finished by the miniport) and its echo.
    assertEchoCapture(file, "frame.interface_name == tap0", { echoes: 10, udp: 2 });
  });

  test("a Linux TCP client's SYN reaches the stack (its checksum finished); ipv4-host has no TCP and drops it", async () => {
    const before = stack.tap();
    const ipBefore = stack.ipv4();
    const tcp = await net.run([process.execPath, "-e", TCP_CLIENT]);
    assert.match(tcp.stdout, /timeout/, "nothing answers TCP");
    const info = stack.tap();
    assert.ok(info.counters.checksumsCompleted > before.counters.checksumsCompleted);
    assert.ok(stack.ipv4().counters.framesDropped > ipBefore.counters.framesDropped);
    assert.equal(info.dropped, before.dropped);
  });

  test("the veth going down and up is seen by NDIS and ipv4-host; pings flow again", async () => {
    const linkChanges = stack.ipv4().counters.linkChanges;
    net.runSync(["ip", "link", "set", net.nsLink, "down"]);
    await waitFor(
      () => stack.host.adapter("tap0")?.mediaConnectState === "disconnected",
      5000,
      "link down",
    );
    await waitFor(() => stack.ipv4().linkUp === false, 5000, "ipv4-host to see the link down");
    assert.equal(stack.tap().operState, "lowerlayerdown");
    net.runSync(["ip", "link", "set", net.nsLink, "up"]);
    await waitFor(
      () => stack.host.adapter("tap0")?.mediaConnectState === "connected",
      5000,
      "link up",
    );
    await waitFor(() => stack.ipv4().linkUp === true, 5000, "ipv4-host to see the link up");
    assert.equal(stack.ipv4().counters.linkChanges - linkChanges, 2);
    const ping = await net.run(["ping", "-c", "3", "-i", "0.1", "-W", "2", STACK_ADDRESS]);
    assert.deepEqual(pingSummary(ping.stdout), { sent: 3, received: 3 });
  });

  test("the macvtap deleted under the adapter: NDIS removes the adapter cleanly, the node goes, nothing leaked", async () => {
    const device = stack.tap().device;
    execFileSync("ip", ["link", "del", net.macvtapName]);
    await waitFor(() => stack.host.adapter("tap0") === undefined, 5000, "tap0 to be removed");
    assert.deepEqual(tap.tapAdapters(stack.tapDriver), []);
    assert.equal(existsSync(device), false, "the node the driver made is gone");
    assert.deepEqual(stack.host.violations, []);
    await stack.teardown();
    assert.deepEqual(stack.host.liveObjects(), []);
  });
});

/**
 * A packet socket in the namespace (perl: AF_PACKET 17, SOCK_RAW 3): writes each frame (hex)
 * ROUNDS times on the interface; with PACKET_VNET_HDR (SOL_PACKET 263, option 15) when the first
 * argument is "vnet", each frame then begins with its virtio_net_hdr. Prints the frames sent.
 */
const PACKET_SOCKET = `
my ($mode, $ifname, $rounds, @hex) = @ARGV;
socket(my $s, 17, 3, 0) or die "socket: $!";
if ($mode eq "vnet") { setsockopt($s, 263, 15, pack("i", 1)) or die "PACKET_VNET_HDR: $!"; }
open(my $f, "<", "/sys/class/net/$ifname/ifindex") or die "ifindex: $!";
my $ifindex = <$f>; chomp $ifindex;
my $to = pack("S n i S C C a8", 17, 0, $ifindex, 0, 0, 6, "");
my @frames = map { pack("H*", $_) } @hex;
my $n = 0;
for (1 .. $rounds) { for my $fr (@frames) { send($s, $fr, 0, $to) or die "send: $!"; $n++; } }
print "$n\\n";`;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Why the packet-socket suite cannot run: no namespaces, or no perl with its Socket module. */
function perlSkipReason(): string | null {
  if (skip !== null) return skip;
  try {
    execFileSync("perl", ["-MSocket", "-e", "1"], { stdio: "ignore" });
    return null;
  } catch {
    return "perl with its Socket module is not available: skipped";
  }
}

describe("an existing macvtap (Device) under hostile frames from a packet socket in the namespace", {
  skip: perlSkipReason() ?? false,
}, () => {
  let net: TapNamespace;
  let stack: TapStack;
  let device: string;
  let proto: ScriptedProtocol;
  const dir = mkdtempSync(join(tmpdir(), `ndis-tapdev-${process.pid}-`));

  before(async () => {
    // A 9000-byte veth under a 1500-byte macvtap: Linux can write frames longer than the MTU the
    // adapter reports (1500 + 18), which the miniport must drop as oversized.
    net = createTapNamespace({ mtu: 9000 });
    device = createMacvtap(net, dir).device;
    execFileSync("ip", ["link", "set", net.macvtapName, "mtu", "1500"]);
    proto = scriptedProtocol({ name: "tapoid" });
    const host = new NdisHost({
      bindings: [
        { protocol: "passthrough", adapter: "tap0" },
        { protocol: "tapoid", adapter: "tap0" },
        {
          protocol: "ipv4-host",
          adapter: "tap0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
    await host.loadDriver({ name: "tapoid", module: proto.module });
    stack = await startTapStack(net, { host, registry: { Device: device } });
  });

  after(async () => {
    try {
      await stack?.teardown();
    } finally {
      removeMacvtap(net, device);
      net?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function query(oid: number): Uint8Array {
    const handle = proto.bindings[0]?.handle;
    assert.ok(handle !== undefined);
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: oid,
      InformationBuffer: new Uint8Array(256),
    });
    assert.equal(NdisOidRequest(handle, request), NDIS_STATUS_SUCCESS);
    const d = request.DATA.QUERY_INFORMATION;
    return (d.InformationBuffer as Uint8Array).subarray(0, d.BytesWritten);
  }
  const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0, true);

  test("OIDs: the link's MAC, its MTU, 10 Gbit/s, connected", () => {
    const info = stack.tap();
    assert.equal(info.device, device);
    assert.equal(info.link, net.macvtapName, "found by the ifindex in the device's name");
    assert.equal(info.parent, null);
    assert.equal(info.mtu, 1500);
    assert.equal(hex(query(OID_802_3_CURRENT_ADDRESS)), info.macAddress.replaceAll("-", ""));
    assert.equal(u32(query(OID_GEN_MAXIMUM_FRAME_SIZE)), 1500);
    assert.equal(u32(query(OID_GEN_LINK_SPEED)), 100_000_000, "10 Gbit/s in 100 bit/s units");
    assert.equal(u32(query(OID_GEN_MEDIA_CONNECT_STATUS)), 0, "NdisMediaStateConnected");
  });

  test("oversized and segmentation-offload frames are dropped by reason, malformed ones by ipv4-host; the heap stays flat; pings still answered", async () => {
    const info = stack.tap();
    const ours = Uint8Array.from(info.macAddress.split("-"), (h) => Number.parseInt(h, 16));
    const theirs = Uint8Array.from(
      net
        .runSync(["cat", `/sys/class/net/${net.nsLink}/address`])
        .trim()
        .split(":"),
      (h) => Number.parseInt(h, 16),
    );
    const frame = (ethertype: number, payload: Uint8Array): Uint8Array => {
      const f = new Uint8Array(14 + payload.length);
      f.set(ours, 0);
      f.set(theirs, 6);
      f[12] = ethertype >> 8;
      f[13] = ethertype & 0xff;
      f.set(payload, 14);
      return f;
    };
    const junk = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 17) & 0xff);
    const hostile = {
      oversized: frame(0x0800, junk(2000, 1)),
      headerOnly: frame(0x0800, new Uint8Array(0)),
      notIpv4: frame(0x0800, junk(46, 2)),
      badArp: frame(0x0806, junk(20, 3)),
      tagged: frame(0x8100, junk(46, 4)),
      unknownType: frame(0x88b5, junk(46, 5)),
    };
    // A TCP "super-frame" with a virtio_net_hdr asking for segmentation (gso_type TCPV4, 1000-byte
    // segments, checksum from byte 34 stored at +16): the kernel passes it through the veth and
    // the macvtap whole.
    const tcp = new Uint8Array(20 + 20 + 3000);
    tcp.set([0x45, 0, (tcp.length >> 8) & 0xff, tcp.length & 0xff, 0, 1, 0x40, 0, 64, 6], 0);
    tcp.set([198, 51, 100, 1, 198, 51, 100, 2], 12);
    tcp[32] = 0x50; // data offset 5
    tcp[33] = 0x18; // PSH, ACK
    const gsoFrame = frame(0x0800, tcp);
    const vnet = Uint8Array.of(1, 1, 54, 0, 0xe8, 0x03, 34, 0, 16, 0);
    const ROUNDS = 500;
    const heap = () => {
      collect();
      return process.memoryUsage().heapUsed;
    };
    const ipBefore = stack.ipv4();
    const heapBefore = heap();
    for (let pass = 0; pass < 4; pass++) {
      const plain = await net.run([
        "perl",
        "-e",
        PACKET_SOCKET,
        "plain",
        net.nsLink,
        String(ROUNDS),
        ...Object.values(hostile).map(hex),
      ]);
      assert.equal(plain.stdout.trim(), String(ROUNDS * 6), plain.stderr);
      const gso = await net.run([
        "perl",
        "-e",
        PACKET_SOCKET,
        "vnet",
        net.nsLink,
        String(ROUNDS),
        hex(concat([vnet, gsoFrame])),
      ]);
      assert.equal(gso.stdout.trim(), String(ROUNDS), gso.stderr);
    }
    const total = 4 * ROUNDS;
    await waitFor(
      () => {
        const d = stack.tap().drops;
        return d.oversized >= total && d.gso >= total;
      },
      10_000,
      "the miniport's drops",
    );
    await waitFor(() => stack.tap().receivesOutstanding === 0, 5000, "every receive NBL back");
    const after = stack.tap();
    assert.equal(after.drops.oversized, total);
    assert.equal(after.drops.gso, total);
    assert.equal(after.drops.truncated + after.drops.badChecksumOffset + after.drops.noBuffer, 0);
    // The five well-sized kinds go up (the miniport passes tagged frames: a VLAN trunk is an
    // ordinary wire); ipv4-host drops each of them.
    const ipDrops = stack.ipv4().counters.framesDropped - ipBefore.counters.framesDropped;
    assert.ok(ipDrops >= 5 * total, `ipv4-host dropped ${ipDrops}`);
    // Statistics: the drops are discards and errors (they are about what the frame holds).
    const statistics = ndisStatisticsInfoFromBytes(query(OID_GEN_STATISTICS));
    assert.ok(statistics !== null);
    assert.equal(statistics.ifInErrors, BigInt(2 * total));
    const grown = heap() - heapBefore;
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes over ${6 * total} frames`);
    const ping = await net.run(["ping", "-c", "3", "-i", "0.1", "-W", "2", STACK_ADDRESS]);
    assert.deepEqual(pingSummary(ping.stdout), { sent: 3, received: 3 });
  });

  test("halt leaves a link and node it did not make", async () => {
    await stack.host.removeAdapter("tap0");
    assert.ok(existsSync(device));
    assert.ok(existsSync(`/sys/class/net/${net.macvtapName}`));
  });
});
