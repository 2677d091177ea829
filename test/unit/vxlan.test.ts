/**
 * The VXLAN miniport without traffic: registry parameters, the link coming up once the socket is
 * bound (and staying down on a bind error), sends refused while the link is down, and its OIDs.
 * Sockets bind to 127.0.0.1 only; nothing is sent anywhere (the data path against Linux is in
 * test/net/).
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import {
  type DRIVER_OBJECT,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisInterruptModerationDisabled,
  NdisInterruptModerationEnabled,
  NdisMediaStateConnected,
  NdisMediaStateDisconnected,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisSendNetBufferLists,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  ndisInterruptModerationParametersFromBytes,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_STATISTICS,
  OID_GEN_XMIT_OK,
  type RegistryValue,
} from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";
import { type ScriptedProtocol, scriptedProtocol } from "../helpers/protocol.js";

interface Rig {
  host: NdisHost;
  driverObject: DRIVER_OBJECT;
  proto: ScriptedProtocol;
  statuses: NDIS_STATUS_INDICATION[];
}

const rigs: Rig[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await teardownHost(rig.host);
  for (const s of sockets.splice(0)) s.close();
});

async function rig(): Promise<Rig> {
  const statuses: NDIS_STATUS_INDICATION[] = [];
  const proto = scriptedProtocol({ name: "vxup", status: (_b, s) => statuses.push(s) });
  const host = new NdisHost();
  const { driverObject } = await host.loadDriver({ name: "vxlan", module: vxlan });
  await host.loadDriver({ name: "vxup", module: proto.module });
  const r = { host, driverObject, proto, statuses };
  rigs.push(r);
  return r;
}

const LOOPBACK = "127.0.0.1";

function registry(extra: Record<string, RegistryValue> = {}): Record<string, RegistryValue> {
  // LocalPort 0: the kernel picks a free port; nothing is ever sent in these tests.
  return { LocalAddress: LOOPBACK, LocalPort: 0, RemoteAddress: LOOPBACK, VNI: 7, ...extra };
}

/** Resolves when `check` holds; rejects after `ms` (socket events are real I/O). */
function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setImmediate(tick);
    };
    tick();
  });
}

function binding(r: Rig): NDIS_HANDLE {
  const handle = r.proto.bindings[0]?.handle;
  assert.ok(handle !== undefined);
  return handle;
}

function ulong(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
}

function query(r: Rig, oid: number, size = 256): { status: number; request: NDIS_OID_REQUEST } {
  const request = makeOidRequest({
    RequestType: NdisRequestQueryInformation,
    Oid: oid,
    InformationBuffer: new Uint8Array(size),
  });
  return { status: NdisOidRequest(binding(r), request), request };
}

function queryUlong(r: Rig, oid: number): number {
  const { status, request } = query(r, oid, 4);
  assert.equal(status, NDIS_STATUS_SUCCESS);
  const b = request.DATA.QUERY_INFORMATION.InformationBuffer as Uint8Array;
  return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
}

function set(r: Rig, oid: number, buffer: Uint8Array): number {
  return NdisOidRequest(
    binding(r),
    makeOidRequest({ RequestType: NdisRequestSetInformation, Oid: oid, InformationBuffer: buffer }),
  );
}

async function boundPort(): Promise<number> {
  const s = createSocket("udp4");
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, LOOPBACK, resolve));
  return (s.address() as AddressInfo).port;
}

describe("VXLAN miniport: parameters", () => {
  test("missing or bad parameters fail MiniportInitializeEx, with the reasons", async () => {
    const r = await rig();
    const a = await r.host.addAdapter({
      driver: "vxlan",
      name: "vx0",
      registry: { LocalAddress: "not-an-ip", VNI: 0x1000000, MTU: 20 },
    });
    assert.equal(a.state, "Halted");
    const [why] = vxlan.vxlanInitErrors(r.driverObject);
    assert.match(why ?? "", /LocalAddress "not-an-ip" is not an IPv4 address/);
    assert.match(why ?? "", /RemoteAddress is missing/);
    assert.match(why ?? "", /VNI 16777216 is not in 0..16777215/);
    assert.match(why ?? "", /MTU 20 is not in 68..9000/);
    assert.deepEqual(vxlan.vxlanAdapters(r.driverObject), []);
  });

  test("defaults: ports 4789, MTU 1450, MAC 02-56-58 + IfIndex; NetworkAddress overrides the MAC", async () => {
    const r = await rig();
    const plain = await r.host.addAdapter({
      driver: "vxlan",
      name: "vx0",
      registry: { LocalAddress: LOOPBACK, LocalPort: 0, RemoteAddress: "169.254.9.9", VNI: 9 },
    });
    const [info] = vxlan.vxlanAdapters(r.driverObject);
    assert.ok(info);
    assert.equal(info.remote, "169.254.9.9:4789");
    assert.equal(info.mtu, 1450);
    assert.equal(plain.mtu, 1450);
    const i = plain.ifIndex;
    const mac = ["02", "56", "58", i >> 16, (i >> 8) & 0xff, i & 0xff]
      .map((b) => (typeof b === "string" ? b : b.toString(16).padStart(2, "0")))
      .join("-");
    assert.equal(info.macAddress, mac);
    const custom = await r.host.addAdapter({
      driver: "vxlan",
      name: "vx1",
      registry: registry({ NetworkAddress: "02-11-22-33-44-55", MTU: "9000" }),
    });
    assert.equal(custom.macAddress, "02-11-22-33-44-55");
    assert.equal(custom.mtu, 9000);
  });
});

describe("VXLAN miniport: link state", () => {
  test("disconnected until the socket is bound, then one LINK_STATE indication; NDIS tracks it", async () => {
    const r = await rig();
    const a = await r.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry() });
    assert.equal(a.mediaConnectState, "disconnected");
    assert.equal(r.proto.bindings[0]?.params.MediaConnectState, 2, "bind parameters: disconnected");
    await waitFor(() => r.statuses.length > 0, 5000, "the link-state indication");
    assert.equal(r.statuses.length, 1);
    assert.equal(r.statuses[0]?.StatusCode, NDIS_STATUS_LINK_STATE);
    assert.equal(r.host.adapter("vx0")?.mediaConnectState, "connected");
    assert.equal(queryUlong(r, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateConnected);
    assert.equal(vxlan.vxlanAdapters(r.driverObject)[0]?.linkUp, true);
  });

  test("a bind error keeps the link down, is counted and explained; sends fail MEDIA_DISCONNECTED", async () => {
    const r = await rig();
    const port = await boundPort();
    await r.host.addAdapter({
      driver: "vxlan",
      name: "vx0",
      registry: registry({ LocalPort: port }),
    });
    await waitFor(
      () => (vxlan.vxlanAdapters(r.driverObject)[0]?.counters.bindErrors ?? 0) > 0,
      5000,
      "the bind error",
    );
    const [info] = vxlan.vxlanAdapters(r.driverObject);
    assert.ok(info);
    assert.equal(info.linkUp, false);
    assert.equal(info.linkError, `bind 127.0.0.1:${port}: EADDRINUSE`);
    assert.equal(r.statuses.length, 0, "no link-state change to report");
    assert.equal(queryUlong(r, OID_GEN_MEDIA_CONNECT_STATUS), NdisMediaStateDisconnected);

    const pool = NdisAllocateNetBufferListPool(r.proto.protocolHandle() as NDIS_HANDLE, {
      Header: {
        Type: NDIS_OBJECT_TYPE_DEFAULT,
        Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
        Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      },
      ProtocolId: 0,
      fAllocateNetBuffer: true,
      ContextSize: 0,
      PoolTag: 0x74736574,
      DataSize: 60,
    });
    assert.ok(pool);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl);
    nbl.SourceHandle = binding(r);
    NdisSendNetBufferLists(binding(r), nbl, 0, 0);
    assert.equal(r.proto.completed[0]?.status, NDIS_STATUS_MEDIA_DISCONNECTED);
    assert.equal(vxlan.vxlanAdapters(r.driverObject)[0]?.counters.sendDiscards, 1);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
  });
});

describe("VXLAN miniport: OIDs", () => {
  test("interrupt moderation: *InterruptModeration sets where it starts; the query answers it; a bad keyword fails the adapter", async () => {
    const moderation = (r: Rig) => {
      const { status, request } = query(r, OID_GEN_INTERRUPT_MODERATION, 12);
      assert.equal(status, NDIS_STATUS_SUCCESS);
      const p = ndisInterruptModerationParametersFromBytes(
        request.DATA.QUERY_INFORMATION.InformationBuffer as Uint8Array,
      );
      assert.ok(p, "a Revision 1 NDIS_INTERRUPT_MODERATION_PARAMETERS");
      return p.InterruptModeration;
    };
    const on = await rig();
    await on.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry() });
    assert.equal(moderation(on), NdisInterruptModerationEnabled);
    const short = query(on, OID_GEN_INTERRUPT_MODERATION, 11);
    assert.equal(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert.equal(short.request.DATA.QUERY_INFORMATION.BytesNeeded, 12);

    const off = await rig();
    await off.host.addAdapter({
      driver: "vxlan",
      name: "vx0",
      registry: registry({ "*InterruptModeration": 0 }),
    });
    assert.equal(moderation(off), NdisInterruptModerationDisabled);
    assert.equal(vxlan.vxlanAdapters(off.driverObject)[0]?.interruptModeration, false);

    const bad = await off.host.addAdapter({
      driver: "vxlan",
      name: "vx1",
      registry: registry({ "*InterruptModeration": 2 }),
    });
    assert.equal(bad.state, "Halted");
    assert.match(
      vxlan.vxlanInitErrors(off.driverObject).at(-1) ?? "",
      /\*InterruptModeration 2 is not in 0..1/,
    );
  });

  test("sizes, speed and MAC address", async () => {
    const r = await rig();
    await r.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry({ MTU: 1400 }) });
    assert.equal(queryUlong(r, OID_GEN_MAXIMUM_FRAME_SIZE), 1400);
    assert.equal(queryUlong(r, OID_GEN_MAXIMUM_TOTAL_SIZE), 1414);
    assert.equal(queryUlong(r, OID_GEN_LINK_SPEED), 100_000_000, "10 Gbit/s in 100 bit/s units");
    const { status, request } = query(r, OID_802_3_CURRENT_ADDRESS);
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.equal(request.DATA.QUERY_INFORMATION.BytesWritten, 6);
    const short = query(r, OID_GEN_STATISTICS, 100);
    assert.equal(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert.equal(short.request.DATA.QUERY_INFORMATION.BytesNeeded, 152);
  });

  test("packet filter: set, read back, unsupported bits refused", async () => {
    const r = await rig();
    await r.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry() });
    const filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    assert.equal(set(r, OID_GEN_CURRENT_PACKET_FILTER, ulong(filter)), NDIS_STATUS_SUCCESS);
    assert.equal(queryUlong(r, OID_GEN_CURRENT_PACKET_FILTER), filter);
    assert.equal(set(r, OID_GEN_CURRENT_PACKET_FILTER, ulong(0x40)), NDIS_STATUS_NOT_SUPPORTED);
    assert.equal(
      set(r, OID_GEN_CURRENT_PACKET_FILTER, new Uint8Array(2)),
      NDIS_STATUS_INVALID_LENGTH,
    );
    assert.equal(vxlan.vxlanAdapters(r.driverObject)[0]?.packetFilter, filter);
  });

  test("multicast list: up to 32 group addresses; unicast, odd lengths and overflow refused", async () => {
    const r = await rig();
    await r.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry() });
    const list = (n: number, first = 0x01) => {
      const b = new Uint8Array(6 * n);
      for (let i = 0; i < n; i++) b.set([first, 0, 0x5e, 0, 0, i], 6 * i);
      return b;
    };
    assert.equal(set(r, OID_802_3_MULTICAST_LIST, list(2)), NDIS_STATUS_SUCCESS);
    const { request } = query(r, OID_802_3_MULTICAST_LIST);
    assert.deepEqual(request.DATA.QUERY_INFORMATION.InformationBuffer?.subarray(0, 12), list(2));
    assert.equal(set(r, OID_802_3_MULTICAST_LIST, list(33)), NDIS_STATUS_MULTICAST_FULL);
    assert.equal(set(r, OID_802_3_MULTICAST_LIST, list(1, 0x02)), NDIS_STATUS_INVALID_DATA);
    assert.equal(set(r, OID_802_3_MULTICAST_LIST, new Uint8Array(7)), NDIS_STATUS_INVALID_LENGTH);
    assert.equal(set(r, OID_802_3_MULTICAST_LIST, new Uint8Array(0)), NDIS_STATUS_SUCCESS);
  });

  test("OID_GEN_STATISTICS is an NDIS_STATISTICS_INFO with the adapter's counters", async () => {
    const r = await rig();
    await r.host.addAdapter({ driver: "vxlan", name: "vx0", registry: registry() });
    const { status, request } = query(r, OID_GEN_STATISTICS);
    assert.equal(status, NDIS_STATUS_SUCCESS);
    const q = request.DATA.QUERY_INFORMATION;
    assert.equal(q.BytesWritten, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    const buffer = q.InformationBuffer as Uint8Array;
    assert.deepEqual([...buffer.subarray(0, 4)], [NDIS_OBJECT_TYPE_DEFAULT, 1, 152, 0], "Header");
    const info = ndisStatisticsInfoFromBytes(buffer);
    assert.ok(info);
    assert.equal(info.SupportedStatistics, 0x003f87ff);
    assert.equal(info.ifHCInOctets, 0n);
    assert.equal(info.ifHCOutUcastPkts, 0n);
    const xmit = query(r, OID_GEN_XMIT_OK, 8);
    assert.equal(xmit.status, NDIS_STATUS_SUCCESS);
    assert.equal(xmit.request.DATA.QUERY_INFORMATION.BytesWritten, 8);
  });
});
