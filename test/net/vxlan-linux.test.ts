/**
 * Linux's kernel VXLAN device ↔ our VXLAN miniport, with a scripted protocol on top: frames the
 * kernel sends arrive decapsulated and byte-exact, frames we send reach the kernel (it answers
 * them), and the adapter's counters say so. Needs root and `ip netns`; skipped with the reason
 * otherwise.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import {
  type DRIVER_OBJECT,
  MediaConnectStateConnected,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAdvanceNetBufferDataStart,
  NdisAllocateNetBufferList,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisOidRequest,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../src/index.js";
import { internetChecksum } from "../../src/net/checksum.js";
import { nblPool } from "../helpers/nbl.js";
import {
  createVxlanNamespace,
  netnsSkipReason,
  type VxlanNamespace,
  vxlanRegistry,
} from "../helpers/netns.js";
import { scriptedProtocol } from "../helpers/protocol.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();
const VNI = 4242;

/** The bytes of the frame an NBL carries (its first NET_BUFFER). */
function frameOf(nbl: NET_BUFFER_LIST): Uint8Array {
  const nb = nbl.FirstNetBuffer;
  const mdl = nb?.CurrentMdl;
  assert.ok(nb && mdl);
  return mdl.MappedSystemVa.slice(nb.CurrentMdlOffset, nb.CurrentMdlOffset + nb.DataLength);
}

function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(/[:-]/), (h) => Number.parseInt(h, 16));
}

function ipv4(text: string): number[] {
  return text.split(".").map(Number);
}

/** An Ethernet frame with an IPv4 ICMP echo request (checksums computed). */
function echoRequest(
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  src: string,
  dst: string,
  id: number,
  seq: number,
): Uint8Array {
  const payload = new TextEncoder().encode("ndis-ts vxlan test payload");
  const icmp = new Uint8Array(8 + payload.length);
  icmp[0] = 8;
  icmp[4] = id >> 8;
  icmp[5] = id & 0xff;
  icmp[6] = seq >> 8;
  icmp[7] = seq & 0xff;
  icmp.set(payload, 8);
  const ck = internetChecksum(icmp);
  icmp[2] = ck >> 8;
  icmp[3] = ck & 0xff;
  const ip = new Uint8Array(20 + icmp.length);
  ip[0] = 0x45;
  ip[2] = ip.length >> 8;
  ip[3] = ip.length & 0xff;
  ip[8] = 64;
  ip[9] = 1;
  ip.set(ipv4(src), 12);
  ip.set(ipv4(dst), 16);
  const ipck = internetChecksum(ip, 0, 20);
  ip[10] = ipck >> 8;
  ip[11] = ipck & 0xff;
  ip.set(icmp, 20);
  const frame = new Uint8Array(14 + ip.length);
  frame.set(dstMac, 0);
  frame.set(srcMac, 6);
  frame[12] = 0x08;
  frame.set(ip, 14);
  return frame;
}

describe("VXLAN miniport ↔ Linux kernel VXLAN", { skip: skip ?? false }, () => {
  let net: VxlanNamespace;
  let host: NdisHost;
  let driverObject: DRIVER_OBJECT;
  const linkStates: number[] = [];
  /** Copies of every frame received: the NBLs go back to the miniport's pool at once. */
  const frames: Uint8Array[] = [];
  /** While true, received NBLs are kept (in `held`) instead of returned at once. */
  let holdReceives = false;
  const held: NET_BUFFER_LIST[] = [];
  /** Sends not completed yet, and a NetEventPause pended until they are. */
  let sending = 0;
  let pendedPause: { handle: NDIS_HANDLE; event: NET_PNP_EVENT_NOTIFICATION } | null = null;
  const proto = scriptedProtocol({
    name: "vxproto",
    receive: (b, nbls) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
        frames.push(frameOf(n));
        if (holdReceives) held.push(n);
      }
      if (!holdReceives) NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
    },
    // A protocol completes its pause only once its sends are back.
    pnp: (b, event) => {
      if (event.NetPnPEvent.NetEvent !== NetEventPause || sending <= 0) return NDIS_STATUS_SUCCESS;
      pendedPause = { handle: b.handle as NDIS_HANDLE, event };
      return NDIS_STATUS_PENDING;
    },
    sendComplete: (_b, nbls) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) sending--;
      if (sending === 0 && pendedPause !== null) {
        const { handle, event } = pendedPause;
        pendedPause = null;
        // NDIS counts this NBL as back once the handler returns: complete the pause after it.
        setImmediate(() => NdisCompleteNetPnPEvent(handle, event, NDIS_STATUS_SUCCESS));
      }
    },
    status: (_b, indication) => {
      if (indication.StatusCode === NDIS_STATUS_LINK_STATE)
        linkStates.push((indication.StatusBuffer as NDIS_LINK_STATE).MediaConnectState);
    },
  });

  /** A pool of the test protocol's: one NET_BUFFER of `DataSize` bytes per NBL. */
  const testPool = (DataSize: number): NDIS_HANDLE =>
    nblPool(proto.protocolHandle() as NDIS_HANDLE, 0, DataSize);

  /**
   * Sends `nbl` (an echo request whose identifier's bytes are both `id`) down the binding and
   * waits for its successful completion and for the kernel's echo reply.
   */
  const sendForReply = async (nbl: NET_BUFFER_LIST, id: number): Promise<void> => {
    const b = proto.bindings[0];
    assert.ok(b?.handle);
    nbl.SourceHandle = b.handle;
    const seen = frames.length;
    const done = proto.completed.length;
    sending++;
    NdisSendNetBufferLists(b.handle, nbl, 0, 0);
    await waitFor(() => proto.completed.length > done, 5000, "the send completion");
    assert.equal(proto.completed[done]?.status, NDIS_STATUS_SUCCESS);
    await waitFor(
      () => frames.slice(seen).some((f) => f[34] === 0 && f[38] === id && f[39] === id),
      5000,
      "the kernel's echo reply",
    );
  };

  before(async () => {
    net = createVxlanNamespace({ vni: VNI });
    host = new NdisHost();
    host.observe();
    driverObject = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
    await host.loadDriver({ name: "vxproto", module: proto.module });
    await host.addAdapter({
      driver: "vxlan",
      name: "vxlan0",
      // One receive NBL up the stack at a time: the pause test below fills it.
      registry: vxlanRegistry(net, { ReceiveBuffers: 1 }),
    });
    await waitFor(() => linkStates.length > 0, 5000, "the link-state indication");
  });

  after(async () => {
    try {
      if (host !== undefined) {
        for (const a of host.adapters) await host.removeAdapter(a.name);
        for (const d of [...host.drivers].reverse()) await host.unloadDriver(d.name);
      }
    } finally {
      net?.destroy();
    }
  });

  test("the link comes up once the socket is bound, with one LINK_STATE indication", () => {
    assert.deepEqual(linkStates, [MediaConnectStateConnected]);
    const [info] = vxlan.vxlanAdapters(driverObject);
    assert.ok(info);
    assert.equal(info.linkUp, true);
    assert.equal(info.linkError, null);
    assert.equal(info.local, `${net.nodeAddress}:4789`);
    assert.equal(info.vni, VNI);
    assert.equal(info.mtu, 1450);
  });

  test("a kernel ARP request arrives decapsulated, broadcast, from the VXLAN device's MAC", async () => {
    const b = proto.bindings[0];
    assert.ok(b?.handle);
    const filter = new Uint8Array(4);
    new DataView(filter.buffer).setUint32(
      0,
      NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
      true,
    );
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: filter,
    });
    assert.equal(NdisOidRequest(b.handle, request), NDIS_STATUS_SUCCESS);
    const before = frames.length;
    const ping = net.run(["ping", "-c", "1", "-W", "1", "198.51.100.2"]);
    await waitFor(() => frames.length > before, 5000, "the ARP request");
    await ping; // nobody answers ARP here: ping fails, that is expected
    const frame = frames[before] as Uint8Array;
    assert.deepEqual([...frame.subarray(0, 6)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual(frame.subarray(6, 12), macBytes(net.vxlanMac));
    assert.equal((frame[12] as number) * 256 + (frame[13] as number), 0x0806);
    assert.equal(frame[21], 1, "ARP opcode: request");
    assert.deepEqual([...frame.subarray(28, 32)], ipv4("198.51.100.1"), "sender IP");
    assert.deepEqual([...frame.subarray(38, 42)], ipv4("198.51.100.2"), "target IP");
  });

  test("unicast echo requests to our MAC arrive byte-exact; our echo request gets the kernel's reply", async () => {
    const [info] = vxlan.vxlanAdapters(driverObject);
    assert.ok(info);
    const ourMac = info.macAddress.replaceAll("-", ":");
    net.runSync(["ip", "neigh", "replace", "198.51.100.2", "lladdr", ourMac, "dev", "vx0"]);
    const before = frames.length;
    const ping = await net.run(["ping", "-c", "5", "-i", "0.2", "-W", "1", "198.51.100.2"]);
    assert.match(ping.stdout, /5 packets transmitted/);
    const isEchoRequest = (f: Uint8Array) => f[12] === 0x08 && f[13] === 0 && f[34] === 8;
    await waitFor(
      () => frames.slice(before).filter(isEchoRequest).length >= 5,
      5000,
      "five echo requests",
    );
    // Other frames may come first: the kernel's ARP retries for the test before, and the echo
    // request its ping left queued behind that ARP, flushed once the neighbour entry exists.
    const echoes = frames.slice(before).filter(isEchoRequest).slice(-5);
    assert.equal(echoes.length, 5);
    for (const [i, f] of echoes.entries()) {
      assert.deepEqual(f.subarray(0, 6), macBytes(ourMac));
      assert.equal(f[23], 1, "IPv4 protocol ICMP");
      assert.equal(f[34], 8, "ICMP echo request");
      assert.equal((f[40] as number) * 256 + (f[41] as number), i + 1, "sequence number");
      assert.equal(internetChecksum(f, 14, 34), 0, "IPv4 header checksum verifies");
    }

    // Our turn: an echo request down the adapter; the kernel's reply comes back up.
    const pool = testPool(1514);
    const frame = echoRequest(
      macBytes(net.vxlanMac),
      macBytes(ourMac),
      "198.51.100.2",
      "198.51.100.1",
      0x4242,
      7,
    );
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl?.FirstNetBuffer?.MdlChain);
    nbl.FirstNetBuffer.MdlChain.MappedSystemVa.set(frame);
    nbl.FirstNetBuffer.DataLength = frame.length;
    await sendForReply(nbl, 0x42);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    const after = vxlan.vxlanAdapters(driverObject)[0];
    assert.ok(after);
    assert.ok(after.counters.framesSent >= 1);
    assert.ok(after.counters.framesReceived >= 7);
    assert.equal(after.dropped, 0, JSON.stringify(after.drops));
    assert.equal(after.sendsOutstanding, 0);
    assert.equal(after.receivesOutstanding, 0);
  });

  test("a frame with room in front goes out with the VXLAN header written there; the NET_BUFFER comes back as it was sent", async () => {
    const b = proto.bindings[0];
    assert.ok(b?.handle);
    assert.equal(b.params.DataBackFillSize, 8, "the adapter asks for room for its header");
    const [info] = vxlan.vxlanAdapters(driverObject);
    assert.ok(info);
    const pool = testPool(16 + 1514);
    const frame = echoRequest(
      macBytes(net.vxlanMac),
      macBytes(info.macAddress),
      "198.51.100.2",
      "198.51.100.1",
      0x4444,
      9,
    );
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    const nb = nbl?.FirstNetBuffer;
    assert.ok(nbl && nb?.MdlChain);
    NdisAdvanceNetBufferDataStart(nb, 16, false, null);
    const buffer = nb.MdlChain.MappedSystemVa;
    buffer.set(frame, 16);
    nb.DataLength = frame.length;
    await sendForReply(nbl, 0x44);
    assert.equal(nb.DataOffset, 16, "advanced back over the header before the completion");
    assert.equal(nb.DataLength, frame.length);
    assert.deepEqual(
      [...buffer.subarray(16, 16 + frame.length)],
      [...frame],
      "the frame untouched",
    );
    assert.deepEqual(
      [...buffer.subarray(8, 16)],
      [0x08, 0, 0, 0, (VNI >> 16) & 0xff, (VNI >> 8) & 0xff, VNI & 0xff, 0],
      "the VXLAN header went out from the room in front of the frame",
    );
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
  });

  test("sends complete when the socket is done; a pause pends until indicated NBLs are back; paused, frames drop as notRunning", async () => {
    const b = proto.bindings[0];
    assert.ok(b?.handle);
    const pool = testPool(1514);
    const [info] = vxlan.vxlanAdapters(driverObject);
    assert.ok(info);
    // Hold the next frame the kernel sends us, so that the adapter has an NBL up the stack.
    holdReceives = true;
    await net.run(["ping", "-c", "1", "-W", "1", "198.51.100.2"]);
    await waitFor(() => held.length > 0, 5000, "a held receive");
    holdReceives = false;
    assert.equal(vxlan.vxlanAdapters(driverObject)[0]?.receivesOutstanding, 1);
    assert.equal(held.length, 1);
    // ReceiveBuffers is 1 and that one is up the stack: what arrives now is dropped as noBuffer.
    const noBuffer = vxlan.vxlanAdapters(driverObject)[0]?.drops.noBuffer ?? 0;
    await net.run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "198.51.100.2"]);
    await waitFor(
      () => (vxlan.vxlanAdapters(driverObject)[0]?.drops.noBuffer ?? 0) >= noBuffer + 2,
      5000,
      "noBuffer drops",
    );
    assert.equal(held.length, 1);

    const frame = echoRequest(
      macBytes(net.vxlanMac),
      macBytes(info.macAddress),
      "198.51.100.2",
      "198.51.100.1",
      0x4343,
      1,
    );
    const nbls: NET_BUFFER_LIST[] = [];
    for (let i = 0; i < 32; i++) {
      const nbl = NdisAllocateNetBufferList(pool, 0, 0);
      assert.ok(nbl?.FirstNetBuffer?.MdlChain);
      nbl.FirstNetBuffer.MdlChain.MappedSystemVa.set(frame);
      nbl.FirstNetBuffer.DataLength = frame.length;
      nbl.SourceHandle = b.handle;
      nbl.Next = nbls[nbls.length - 1] ?? null;
      nbls.push(nbl);
    }
    const trace: string[] = [];
    const stop = host.onTrace((e) => {
      if (
        (e.kind === "ddi" && e.name === "NdisMPauseComplete" && e.phase === "call") ||
        (e.name === "MiniportPause" && e.phase === "return")
      )
        trace.push(`${e.name}${e.status === undefined ? "" : ` ${e.status.toString(16)}`}`);
    });
    const done = proto.completed.length;
    sending += 32;
    NdisSendNetBufferLists(b.handle, nbls[nbls.length - 1] as NET_BUFFER_LIST, 0, 0);
    assert.equal(proto.completed.length, done, "nothing completes before the socket reports");
    const pausing = host.pauseStack("vxlan0");
    await waitFor(() => trace.length > 0, 5000, "MiniportPause");
    assert.deepEqual(trace, ["MiniportPause 103"], "PENDING: an indicated NBL is still up");
    assert.equal(proto.completed.length, done + 32, "the protocol's pause waited for its sends");
    assert.ok(proto.completed.slice(done).every((c) => c.status === NDIS_STATUS_SUCCESS));
    NdisReturnNetBufferLists(
      b.handle,
      held.splice(0).reduceRight<NET_BUFFER_LIST | null>((next, n) => {
        n.Next = next;
        return n;
      }, null) as NET_BUFFER_LIST,
      0,
    );
    await pausing;
    stop();
    assert.deepEqual(trace, ["MiniportPause 103", "NdisMPauseComplete"]);

    const dropsBefore = vxlan.vxlanAdapters(driverObject)[0]?.drops.notRunning ?? 0;
    await net.run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "198.51.100.2"]);
    await waitFor(
      () => (vxlan.vxlanAdapters(driverObject)[0]?.drops.notRunning ?? 0) >= dropsBefore + 2,
      5000,
      "the paused adapter's drops",
    );
    await host.restartStack("vxlan0");
    for (const nbl of nbls) NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    assert.deepEqual(host.violations, []);
  });

  test("teardown leaves nothing behind and no violation", async () => {
    await host.removeAdapter("vxlan0");
    assert.deepEqual(vxlan.vxlanAdapters(driverObject), []);
    await host.unloadDriver("vxproto");
    await host.unloadDriver("vxlan");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});
