/** The hub miniport on its own: OIDs, filters, hub membership, NetworkAddress, link control. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as hub from "../../src/drivers/hub/index.js";
import { hubOf } from "../../src/drivers/hub/index.js";
import * as rawModule from "../../src/drivers/raw/index.js";
import { openRaw, type RawHandle, rawBindings } from "../../src/drivers/raw/index.js";
import {
  type DRIVER_OBJECT,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_RCV_OK,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_VLAN_ID,
  OID_GEN_XMIT_OK,
  type RegistryValue,
} from "../../src/index.js";
import { BROADCAST_MAC, buildEthernet, parseMac } from "../../src/net/ethernet.js";
import { scriptedProtocol } from "../helpers/protocol.js";
import { rawReader } from "../helpers/raw.js";

function mac(text: string): Uint8Array {
  const m = parseMac(text);
  assert.ok(m);
  return m;
}

interface RawLab {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  readonly rawDriver: DRIVER_OBJECT;
  readonly handles: Map<string, RawHandle>;
}

/** Hub adapters (name → registry), each with raw bound directly (raw registry per adapter). */
async function rawLab(
  adapters: Readonly<Record<string, Readonly<Record<string, RegistryValue>>>>,
  rawRegistry: Readonly<Record<string, Readonly<Record<string, RegistryValue>>>> = {},
): Promise<RawLab> {
  const clock = new ManualClock();
  const names = Object.keys(adapters);
  const host = new NdisHost({
    clock,
    bindings: names.map((adapter) => ({
      protocol: "raw",
      adapter,
      registry: rawRegistry[adapter] ?? {},
    })),
  });
  const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
  const rawDriver = (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
  for (const name of names)
    await host.addAdapter({ driver: "hub", name, registry: adapters[name] ?? {} });
  const handles = new Map<string, RawHandle>();
  for (const name of names) {
    const handle = openRaw(rawDriver, name);
    assert.ok(handle, `raw is bound to ${name}`);
    handles.set(name, handle);
  }
  return { host, clock, hubDriver, rawDriver, handles };
}

async function teardown(l: RawLab): Promise<void> {
  for (const name of l.handles.keys()) await l.host.removeAdapter(name);
  await l.host.unloadDriver("raw");
  await l.host.unloadDriver("hub");
  assert.deepEqual(l.host.liveObjects(), []);
  assert.deepEqual(l.host.violations, []);
}

function handle(l: RawLab, name: string): RawHandle {
  const h = l.handles.get(name);
  assert.ok(h);
  return h;
}

describe("hub miniport", () => {
  test("adapters on the same hub hear each other; another hub hears nothing", async () => {
    const l = await rawLab({
      x1: { Hub: "x" },
      x2: { Hub: "x" },
      x3: { Hub: "x" },
      y1: { Hub: "y" },
    });
    const readers = new Map([...l.handles].map(([n, h]) => [n, rawReader(h)]));
    const x1 = handle(l, "x1");
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: mac(x1.mac),
      ethertype: 0x88b5,
      payload: Uint8Array.of(1, 2, 3),
    });
    assert.equal(await x1.send(frame), NDIS_STATUS_SUCCESS);
    for (const r of readers.values())
      assert.deepEqual(await r.drain(), [], "nothing before the DPC runs");
    l.clock.advance(0);
    const got = async (n: string) => (await readers.get(n)?.drain()) ?? [];
    assert.deepEqual(await got("x2"), [frame]);
    assert.deepEqual(await got("x3"), [frame]);
    assert.deepEqual(await got("x1"), [], "the sender does not hear itself");
    assert.deepEqual(await got("y1"), [], "hub y is another wire");
    assert.deepEqual(
      hubOf(l.hubDriver)
        .adapters()
        .map((a) => [a.hub, a.counters.framesSent, a.counters.framesReceived]),
      [
        ["x", 1, 0],
        ["x", 0, 1],
        ["x", 0, 1],
        ["y", 0, 0],
      ],
    );
    await teardown(l);
  });

  test("the packet filter decides: directed, broadcast, multicast list, promiscuous", async () => {
    const l = await rawLab(
      { a: {}, b: { NetworkAddress: "02-12-34-56-78-9a" }, p: {} },
      { p: { PacketFilter: "promiscuous" } },
    );
    const [a, b, p] = ["a", "b", "p"].map((n) => handle(l, n)) as [RawHandle, RawHandle, RawHandle];
    assert.equal(b.mac, "02-12-34-56-78-9a", "NetworkAddress overrides the default MAC");
    assert.equal(a.mac, "02-00-00-00-00-01", "the default MAC comes from the IfIndex");
    const rb = rawReader(b);
    const rp = rawReader(p);
    const to = (dst: Uint8Array) =>
      buildEthernet({ dst, src: mac(a.mac), ethertype: 0x88b5, payload: new Uint8Array(4) });
    const direct = to(mac(b.mac));
    const other = to(mac("02-00-00-00-99-99"));
    const group = to(mac("01-00-5e-00-00-01"));
    for (const f of [direct, other, group]) assert.equal(await a.send(f), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await rb.drain(), [direct], "b: only what is addressed to it");
    assert.deepEqual(await rp.drain(), [direct, other, group], "promiscuous: everything, in order");
    assert.equal(hubOf(l.hubDriver).adapter(2)?.counters.framesFiltered, 2);

    assert.equal(
      hubOf(l.hubDriver).adapter(2)?.packetFilter,
      NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST,
    );
    await teardown(l);
  });

  test("setLink: sends fail with MEDIA_DISCONNECTED, nothing is delivered, LINK_STATE reaches the protocol", async () => {
    const l = await rawLab({ a: {}, b: {} });
    const [a, b] = ["a", "b"].map((n) => handle(l, n)) as [RawHandle, RawHandle];
    const rb = rawReader(b);
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: mac(a.mac),
      ethertype: 0x88b5,
      payload: new Uint8Array(4),
    });
    const control = hubOf(l.hubDriver);
    assert.equal(control.setLink(1, false), true);
    assert.equal(control.setLink(99, false), false, "no adapter 99");
    assert.equal(rawBindings(l.rawDriver)[0]?.linkUp, true, "reported only by the DPC");
    l.clock.advance(0);
    assert.equal(rawBindings(l.rawDriver)[0]?.linkUp, false);
    assert.equal(await a.send(frame), NDIS_STATUS_MEDIA_DISCONNECTED);
    assert.equal(
      await b.send(frame),
      NDIS_STATUS_SUCCESS,
      "b's link is fine; a just cannot hear it",
    );
    l.clock.advance(0);
    assert.deepEqual(await rb.drain(), []);
    assert.equal(control.adapter(1)?.counters.receiveDiscards, 1);
    control.setLink(1, true);
    l.clock.advance(0);
    assert.equal(rawBindings(l.rawDriver)[0]?.linkUp, true);
    assert.equal(await a.send(frame), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await rb.drain(), [frame]);
    assert.equal(rawBindings(l.rawDriver)[0]?.counters.sendFailures, 1);
    await teardown(l);
  });

  test("a paused stack refuses raw sends and hears nothing; restarted, it works again", async () => {
    const l = await rawLab({ a: {}, b: {} });
    const [a, b] = ["a", "b"].map((n) => handle(l, n)) as [RawHandle, RawHandle];
    const rb = rawReader(b);
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: mac(a.mac),
      ethertype: 0x88b5,
      payload: new Uint8Array(4),
    });
    await l.host.pauseStack("b");
    assert.equal(await b.send(frame), NDIS_STATUS_PAUSED);
    assert.equal(await a.send(frame), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await rb.drain(), []);
    await l.host.restartStack("b");
    assert.equal(await a.send(frame), NDIS_STATUS_SUCCESS);
    l.clock.advance(0);
    assert.deepEqual(await rb.drain(), [frame]);
    await teardown(l);
  });
});

interface ProbeEnv {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  /** A raw handle on h2, on the same hub as the probe's h1. */
  readonly sender: RawHandle;
  /** NBLs the probe protocol has received on h1. */
  received(): number;
}

describe("raw bind parameters", () => {
  test("a PacketFilter that is neither a keyword nor an integer refuses the bind; bits the hub lacks too", async () => {
    const host = new NdisHost({
      clock: new ManualClock(),
      bindings: [
        { protocol: "raw", adapter: "a", registry: { PacketFilter: "everything" } },
        { protocol: "raw", adapter: "b", registry: { PacketFilter: 0x10000 } },
        { protocol: "raw", adapter: "c", registry: { PacketFilter: 0x0b } },
      ],
    });
    await host.loadDriver({ name: "hub", module: hub });
    const rawDriver = (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
    for (const name of ["a", "b", "c"]) await host.addAdapter({ driver: "hub", name });
    assert.deepEqual(
      rawBindings(rawDriver).map((b) => [b.adapterName, b.packetFilter]),
      [["c", 0x0b]],
    );
    assert.equal(openRaw(rawDriver, "a"), null);
    assert.deepEqual(
      host.bindings.map((b) => b.adapter),
      ["c"],
    );
    for (const name of ["a", "b", "c"]) await host.removeAdapter(name);
    await host.unloadDriver("raw");
    await host.unloadDriver("hub");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});

describe("hub OIDs", () => {
  async function withProtocol(run: (handle: NDIS_HANDLE, env: ProbeEnv) => Promise<void> | void) {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      bindings: [
        { protocol: "probe", adapter: "h1" },
        { protocol: "raw", adapter: "h2" },
      ],
    });
    const proto = scriptedProtocol({ name: "probe" });
    const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
    await host.loadDriver({ name: "probe", module: proto.module });
    const rawDriver = (await host.loadDriver({ name: "raw", module: rawModule })).driverObject;
    await host.addAdapter({
      driver: "hub",
      name: "h1",
      registry: { NetworkAddress: "02-aa-bb-cc-dd-ee" },
    });
    await host.addAdapter({ driver: "hub", name: "h2" });
    const handle = proto.bindings[0]?.handle;
    const sender = openRaw(rawDriver, "h2");
    assert.ok(handle && sender);
    await run(handle, { host, clock, hubDriver, sender, received: () => proto.received.length });
    await host.removeAdapter("h1");
    await host.removeAdapter("h2");
    await host.unloadDriver("probe");
    await host.unloadDriver("raw");
    await host.unloadDriver("hub");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  }
  const query = (handle: NDIS_HANDLE, Oid: number, length: number) => {
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid,
      InformationBuffer: new Uint8Array(length),
    });
    return { status: NdisOidRequest(handle, request), data: request.DATA.QUERY_INFORMATION };
  };
  const set = (handle: NDIS_HANDLE, Oid: number, buffer: Uint8Array) =>
    NdisOidRequest(
      handle,
      makeOidRequest({ RequestType: NdisRequestSetInformation, Oid, InformationBuffer: buffer }),
    );

  test("addresses, filter, multicast list, counters, supported list; unknown OIDs are NOT_SUPPORTED", async () => {
    await withProtocol(async (h, { hubDriver, sender, clock, received }) => {
      const current = query(h, OID_802_3_CURRENT_ADDRESS, 6);
      assert.equal(current.status, NDIS_STATUS_SUCCESS);
      assert.deepEqual(
        [...(current.data.InformationBuffer ?? [])],
        [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee],
      );
      const permanent = query(h, OID_802_3_PERMANENT_ADDRESS, 6);
      assert.deepEqual([...(permanent.data.InformationBuffer ?? [])], [2, 0, 0, 0, 0, 1]);
      const short = query(h, OID_802_3_CURRENT_ADDRESS, 2);
      assert.equal(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
      assert.equal(short.data.BytesNeeded, 6);
      const filter = Uint8Array.of(0x0b, 0, 0, 0);
      assert.equal(set(h, OID_GEN_CURRENT_PACKET_FILTER, filter), NDIS_STATUS_SUCCESS);
      assert.deepEqual(
        [...(query(h, OID_GEN_CURRENT_PACKET_FILTER, 4).data.InformationBuffer ?? [])],
        [0x0b, 0, 0, 0],
      );
      assert.equal(hubOf(hubDriver).adapters()[0]?.packetFilter, 0x0b);
      assert.equal(
        set(h, OID_GEN_CURRENT_PACKET_FILTER, Uint8Array.of(0, 0, 0, 0x80)),
        NDIS_STATUS_NOT_SUPPORTED,
      );
      // The filter says MULTICAST but the list is empty: a group frame is not delivered yet.
      const groupFrame = buildEthernet({
        dst: mac("01-00-5e-00-00-02"),
        src: mac(sender.mac),
        ethertype: 0x88b5,
        payload: new Uint8Array(4),
      });
      assert.equal(await sender.send(groupFrame), NDIS_STATUS_SUCCESS);
      clock.advance(0);
      assert.equal(received(), 0);
      const group = Uint8Array.of(1, 0, 0x5e, 0, 0, 1, 1, 0, 0x5e, 0, 0, 2);
      assert.equal(set(h, OID_802_3_MULTICAST_LIST, group), NDIS_STATUS_SUCCESS);
      assert.deepEqual(
        [...(query(h, OID_802_3_MULTICAST_LIST, 12).data.InformationBuffer ?? [])],
        [...group],
      );
      assert.equal(await sender.send(groupFrame), NDIS_STATUS_SUCCESS);
      clock.advance(0);
      assert.equal(received(), 1, "in the list now: delivered");
      assert.equal(set(h, OID_802_3_MULTICAST_LIST, new Uint8Array(7)), NDIS_STATUS_INVALID_LENGTH);
      // A unicast address is not a group address; more than 32 is more than the list holds. A
      // refused list leaves the one taken before in place.
      const unicast = Uint8Array.of(1, 0, 0x5e, 0, 0, 3, 2, 0, 0, 0, 0, 9);
      assert.equal(set(h, OID_802_3_MULTICAST_LIST, unicast), NDIS_STATUS_INVALID_DATA);
      const full = new Uint8Array(6 * 33);
      for (let i = 0; i < 33; i++) full.set([1, 0, 0x5e, 0, 1, i], 6 * i);
      assert.equal(set(h, OID_802_3_MULTICAST_LIST, full), NDIS_STATUS_MULTICAST_FULL);
      assert.deepEqual(
        [...(query(h, OID_802_3_MULTICAST_LIST, 12).data.InformationBuffer ?? [])],
        [...group],
      );
      assert.equal(
        set(h, OID_GEN_CURRENT_LOOKAHEAD, Uint8Array.of(0xdd, 0x05, 0, 0)),
        NDIS_STATUS_INVALID_DATA,
        "a lookahead above the MTU (1501)",
      );
      const stats = query(h, OID_GEN_STATISTICS, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
      assert.equal(stats.status, NDIS_STATUS_SUCCESS);
      const info = ndisStatisticsInfoFromBytes(stats.data.InformationBuffer ?? new Uint8Array(0));
      assert.ok(info);
      assert.equal(stats.data.InformationBuffer?.[0], 0x80, "Header.Type NDIS_OBJECT_TYPE_DEFAULT");
      assert.equal(info.ifHCInMulticastPkts, 1n);
      assert.equal(info.ifHCInUcastPkts, 0n);
      assert.equal(info.ifHCInOctets, BigInt(groupFrame.length));
      assert.equal(info.ifHCInMulticastOctets, BigInt(groupFrame.length));
      assert.equal(info.ifInDiscards, 0n);
      assert.equal(
        info.SupportedStatistics & NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
      );
      const tooShort = query(h, OID_GEN_STATISTICS, 100);
      assert.equal(tooShort.status, NDIS_STATUS_BUFFER_TOO_SHORT);
      assert.equal(tooShort.data.BytesNeeded, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
      const rcv = query(h, OID_GEN_RCV_OK, 8);
      assert.equal(
        new DataView((rcv.data.InformationBuffer ?? new Uint8Array(8)).buffer).getBigUint64(
          0,
          true,
        ),
        1n,
      );
      const xmit = query(h, OID_GEN_XMIT_OK, 8);
      assert.equal(xmit.status, NDIS_STATUS_SUCCESS);
      assert.equal(xmit.data.BytesWritten, 8);
      assert.equal(query(h, OID_GEN_XMIT_OK, 4).data.BytesWritten, 4);
      const supported = query(h, OID_GEN_SUPPORTED_LIST, 4 * 64);
      assert.equal(supported.status, NDIS_STATUS_SUCCESS);
      const list = new DataView((supported.data.InformationBuffer ?? new Uint8Array(0)).buffer);
      const oids = Array.from({ length: supported.data.BytesWritten / 4 }, (_, i) =>
        list.getUint32(4 * i, true),
      );
      assert.ok(
        oids.includes(OID_GEN_CURRENT_PACKET_FILTER) && oids.includes(OID_802_3_MULTICAST_LIST),
      );
      assert.equal(query(h, OID_GEN_VLAN_ID, 4).status, NDIS_STATUS_NOT_SUPPORTED);
    });
  });
});
