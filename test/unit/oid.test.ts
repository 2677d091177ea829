/**
 * OID requests (contract §4.7, §4.8, §6.1, §6.2): what NDIS answers itself, one request at a time
 * to the miniport with a queue behind it, PENDING and completion, cancel, bad requests and bad
 * completions, and the passthrough driver forwarding with a clone.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisCancelOidRequest,
  NdisHost,
  NdisMNetPnPEvent,
  NdisMOidRequestComplete,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  NetEventReconfigure,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_VENDOR_ID,
  OID_PNP_SET_POWER,
} from "../../src/index.js";
import { indicateLinkState, type Script, scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const VENDOR = 0x00123456;

function query(Oid: number, bytes = 4, RequestId: unknown = null): NDIS_OID_REQUEST {
  return makeOidRequest({
    RequestType: NdisRequestQueryInformation,
    Oid,
    InformationBuffer: new Uint8Array(bytes),
    RequestId,
  });
}

const ulong = (r: NDIS_OID_REQUEST) =>
  new DataView((r.DATA.QUERY_INFORMATION.InformationBuffer as Uint8Array).buffer).getUint32(
    0,
    true,
  );

/** A miniport that answers OID_GEN_VENDOR_ID at once. */
function answerVendor(_a: unknown, r: NDIS_OID_REQUEST): number {
  const q = r.DATA.QUERY_INFORMATION;
  if (q.Oid !== OID_GEN_VENDOR_ID) return 0xc0010017; // NDIS_STATUS_INVALID_OID
  new DataView((q.InformationBuffer as Uint8Array).buffer).setUint32(0, VENDOR, true);
  q.BytesWritten = 4;
  return NDIS_STATUS_SUCCESS;
}

async function direct(mp: Script = {}) {
  const host = new NdisHost({ verifier: "record" });
  const miniport = scriptedMiniport(mp);
  // These tests count every request the miniport sees: the protocol sets no packet filter.
  const proto = scriptedProtocol({ packetFilter: 0 });
  await host.loadDriver({ name: "mp", module: miniport.module });
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  return {
    host,
    mp: miniport,
    proto,
    binding: proto.bindings[0]?.handle as NDIS_HANDLE,
    adapter: miniport.adapters[0]?.handle as NDIS_HANDLE,
  };
}

describe("NdisOidRequest", () => {
  test("NDIS answers OID_GEN_MAXIMUM_FRAME_SIZE from the attributes; the miniport never sees it", async () => {
    const s = await direct();
    const r = query(OID_GEN_MAXIMUM_FRAME_SIZE);
    assert.equal(NdisOidRequest(s.binding, r), NDIS_STATUS_SUCCESS);
    assert.equal(ulong(r), 1500);
    assert.equal(r.DATA.QUERY_INFORMATION.BytesWritten, 4);
    const short = query(OID_GEN_MAXIMUM_FRAME_SIZE, 2);
    assert.equal(NdisOidRequest(s.binding, short), NDIS_STATUS_BUFFER_TOO_SHORT);
    assert.equal(short.DATA.QUERY_INFORMATION.BytesNeeded, 4);
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportOidRequest")));
  });

  test("malformed requests get NDIS_STATUS_INVALID_PARAMETER and reach nobody", async () => {
    const s = await direct();
    const absent = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_ID,
      InformationBufferLength: 4,
    });
    const overlong = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_ID,
      InformationBuffer: new Uint8Array(2),
      InformationBufferLength: 8,
    });
    const badType = { ...query(OID_GEN_VENDOR_ID), RequestType: 5 };
    const badHeader = { ...query(OID_GEN_VENDOR_ID), Header: { Type: 0x80, Revision: 1, Size: 0 } };
    for (const r of [absent, overlong, badType, badHeader, null]) {
      assert.equal(NdisOidRequest(s.binding, r as NDIS_OID_REQUEST), NDIS_STATUS_INVALID_PARAMETER);
    }
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportOidRequest")));
  });

  test("a synchronous answer comes back as the return value", async () => {
    const s = await direct({ oid: answerVendor });
    const r = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding, r), NDIS_STATUS_SUCCESS);
    assert.equal(ulong(r), VENDOR);
    assert.deepEqual(rules(s.host), []);
  });

  test("one request at a time: the second waits behind a pended first, then runs", async () => {
    const pended: NDIS_OID_REQUEST[] = [];
    const s = await direct({
      oid: (a, r) => {
        if (pended.length === 0) {
          pended.push(r);
          return NDIS_STATUS_PENDING;
        }
        return answerVendor(a, r);
      },
    });
    const first = query(OID_GEN_VENDOR_ID);
    const second = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding, first), NDIS_STATUS_PENDING);
    assert.equal(NdisOidRequest(s.binding, second), NDIS_STATUS_PENDING);
    assert.equal(s.mp.calls.filter((c) => c.startsWith("MiniportOidRequest")).length, 1);
    // Issuing the same request again while it is in flight is refused by name.
    NdisOidRequest(s.binding, first);
    first.DATA.QUERY_INFORMATION.BytesWritten = 0;
    NdisMOidRequestComplete(s.adapter, first, NDIS_STATUS_SUCCESS);
    await flush();
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => [c.request === first ? "first" : "second", c.status]),
      [
        ["first", NDIS_STATUS_SUCCESS],
        ["second", NDIS_STATUS_SUCCESS],
      ],
    );
    assert.equal(ulong(second), VENDOR);
    // Completing again is refused by name, and nobody hears twice.
    NdisMOidRequestComplete(s.adapter, first, NDIS_STATUS_SUCCESS);
    assert.equal(s.proto.oidCompletions.length, 2);
    assert.deepEqual(rules(s.host), [
      "NdisOidRequest_InFlight",
      "NdisMOidRequestComplete_NotPending",
    ]);
  });

  test("cancel: a queued request is aborted by NDIS, the pending one through MiniportCancelOidRequest", async () => {
    let pending: NDIS_OID_REQUEST | null = null;
    const s = await direct({
      oid: (_a, r) => {
        pending = r;
        return NDIS_STATUS_PENDING;
      },
      cancelOid: (a, id) => {
        if (pending !== null && pending.RequestId === id) {
          const r = pending;
          pending = null;
          NdisMOidRequestComplete(a.handle, r, NDIS_STATUS_REQUEST_ABORTED);
        }
      },
    });
    const first = query(OID_GEN_VENDOR_ID, 4, "one");
    const second = query(OID_GEN_VENDOR_ID, 4, "two");
    NdisOidRequest(s.binding, first);
    NdisOidRequest(s.binding, second);
    NdisCancelOidRequest(s.binding, "two");
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => c.status),
      [NDIS_STATUS_REQUEST_ABORTED],
    );
    assert.ok(
      !s.mp.calls.includes("MiniportCancelOidRequest"),
      "a queued request never reached it",
    );
    NdisCancelOidRequest(s.binding, "one");
    assert.ok(s.mp.calls.includes("MiniportCancelOidRequest"));
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => c.status),
      [NDIS_STATUS_REQUEST_ABORTED, NDIS_STATUS_REQUEST_ABORTED],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("BytesWritten beyond the buffer is named and the request fails", async () => {
    const s = await direct({
      oid: (_a, r) => {
        r.DATA.QUERY_INFORMATION.BytesWritten = 64;
        return NDIS_STATUS_SUCCESS;
      },
    });
    assert.notEqual(NdisOidRequest(s.binding, query(OID_GEN_VENDOR_ID)), NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(s.host), ["OidRequest_BytesWrittenTooLarge"]);
  });

  test("a protocol that closes its binding with its own request still pending is named (NdisCloseAdapterEx_RequestsOutstanding)", async () => {
    const s = await direct({ oid: () => NDIS_STATUS_PENDING });
    assert.equal(NdisOidRequest(s.binding, query(OID_GEN_VENDOR_ID)), NDIS_STATUS_PENDING);
    // The scripted protocol's unbind closes at once, without waiting for its request.
    await s.host.removeAdapter("eth0");
    assert.ok(
      rules(s.host).includes("NdisCloseAdapterEx_RequestsOutstanding"),
      rules(s.host).join(),
    );
    const v = s.host.violations.find((x) => x.rule === "NdisCloseAdapterEx_RequestsOutstanding");
    assert.equal(v?.driver, "proto");
    assert.match(v?.message ?? "", /1 OID request\(s\)/);
  });
});

describe("the passthrough driver and OIDs", () => {
  async function imStack(mp: Script) {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const miniport = scriptedMiniport(mp);
    const tcpip = scriptedProtocol({ name: "tcpip", packetFilter: 0 });
    await host.loadDriver({ name: "mp", module: miniport.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    return { host, mp: miniport, tcpip, binding: tcpip.bindings[0]?.handle as NDIS_HANDLE };
  }

  test("a query is forwarded with a clone and answered from below, synchronously or pended", async () => {
    let pend = false;
    let held: NDIS_OID_REQUEST | null = null;
    const s = await imStack({
      oid: (a, r) => {
        if (!pend) return answerVendor(a, r);
        held = r;
        return NDIS_STATUS_PENDING;
      },
    });
    const now = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding, now), NDIS_STATUS_SUCCESS);
    assert.equal(ulong(now), VENDOR);
    assert.equal(now.DATA.QUERY_INFORMATION.BytesWritten, 4, "BytesWritten copied back");
    pend = true;
    const later = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding, later), NDIS_STATUS_PENDING);
    assert.notEqual(held, later, "the miniport below sees the IM's clone, not tcpip's request");
    const clone = held as unknown as NDIS_OID_REQUEST;
    answerVendor(null, clone);
    NdisMOidRequestComplete(s.mp.adapters[0]?.handle as NDIS_HANDLE, clone, NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      s.tcpip.oidCompletions.map((c) => [c.request === later, c.status]),
      [[true, NDIS_STATUS_SUCCESS]],
    );
    assert.equal(ulong(later), VENDOR);
    assert.deepEqual(rules(s.host), []);
  });

  test("OID_PNP_SET_POWER is answered by the IM and never forwarded", async () => {
    const s = await imStack({});
    const r = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_PNP_SET_POWER,
      InformationBuffer: new Uint8Array(4),
    });
    assert.equal(NdisOidRequest(s.binding, r), NDIS_STATUS_SUCCESS);
    assert.ok(!s.mp.calls.some((c) => c.startsWith("MiniportOidRequest")));
  });
});

describe("NdisMNetPnPEventInOIDRequest", () => {
  test("an IM may not propagate a PnP event while an OID it pended is outstanding", async () => {
    const held: NDIS_OID_REQUEST[] = [];
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const mp = scriptedMiniport({
      oid: (_a, r) => {
        held.push(r);
        return NDIS_STATUS_PENDING;
      },
    });
    const tcpip = scriptedProtocol({ name: "tcpip", packetFilter: 0 });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    // The VELAN's handle, as tcpip sees it on a status indication passed up.
    const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
    indicateLinkState(adapter);
    const velan = tcpip.statuses[0]?.SourceHandle as NDIS_HANDLE;
    const reconfigure = {
      Header: { Type: 0x80, Revision: 1, Size: 0 },
      PortNumber: 0,
      NetPnPEvent: { NetEvent: NetEventReconfigure, Buffer: null, BufferLength: 0 },
    };
    assert.equal(
      NdisOidRequest(tcpip.bindings[0]?.handle as NDIS_HANDLE, query(OID_GEN_VENDOR_ID)),
      NDIS_STATUS_PENDING,
    );
    assert.equal(NdisMNetPnPEvent(velan, reconfigure), NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(host), ["NdisMNetPnPEventInOIDRequest"]);
    NdisMOidRequestComplete(adapter, held[0] as NDIS_OID_REQUEST, NDIS_STATUS_SUCCESS);
    assert.equal(
      NdisMNetPnPEvent(velan, reconfigure),
      NDIS_STATUS_SUCCESS,
      "allowed once the OID is done",
    );
    assert.equal(rules(host).length, 1);
  });
});

describe("a miniport stopped by the verifier", () => {
  test("its pending and queued OID requests complete with NDIS_STATUS_REQUEST_ABORTED", async () => {
    let calls = 0;
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport({
      oid: () => {
        calls++;
        return NDIS_STATUS_PENDING;
      },
      send: () => {
        throw new Error("miniport bug");
      },
    });
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
    assert.equal(NdisOidRequest(binding, query(OID_GEN_VENDOR_ID)), NDIS_STATUS_PENDING);
    assert.equal(NdisOidRequest(binding, query(OID_GEN_VENDOR_ID)), NDIS_STATUS_PENDING);
    assert.equal(calls, 1);
    // The miniport crashes on a send; NDIS stops it and answers for it.
    const p = NdisAllocateNetBufferListPool(proto.protocolHandle() as NDIS_HANDLE, {
      Header: { Type: 0x80, Revision: 1, Size: 16 },
      ProtocolId: 0,
      fAllocateNetBuffer: true,
      ContextSize: 0,
      PoolTag: 0,
      DataSize: 60,
    }) as NDIS_HANDLE;
    const nbl = NdisAllocateNetBufferList(p, 0, 0) as NET_BUFFER_LIST;
    nbl.SourceHandle = binding;
    NdisSendNetBufferLists(binding, nbl, 0, 0);
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.driver),
      ["mp"],
    );
    assert.deepEqual(
      proto.oidCompletions.map((c) => c.status),
      [NDIS_STATUS_REQUEST_ABORTED, NDIS_STATUS_REQUEST_ABORTED],
    );
  });
});
