/**
 * NDIS filters receives per binding, by the packet filter and multicast list its protocol set
 * (learn.microsoft.com: the OID_GEN_CURRENT_PACKET_FILTER and OID_802_3_MULTICAST_LIST pages —
 * a protocol receives nothing until it sets a packet filter; then only the frame types it asked
 * for: directed, multicast (its list), all multicast, broadcast, or everything (promiscuous)).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisOidRequest,
  NdisRequestSetInformation,
  type NET_BUFFER_LIST,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** The scripted miniport's address (generalAttributes()). */
const OWN = [2, 0, 0, 0, 0, 0x42];
const FRAMES = {
  own: OWN,
  other: [2, 0, 0, 0, 0, 0x99],
  broadcast: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  listed: [0x01, 0x00, 0x5e, 0, 0, 1],
  unlisted: [0x01, 0x00, 0x5e, 0, 0, 2],
  runt: null,
} as const;
type Kind = keyof typeof FRAMES;
const KINDS = Object.keys(FRAMES) as Kind[];

function setOid(handle: NDIS_HANDLE, oid: number, bytes: Uint8Array): number {
  return NdisOidRequest(
    handle,
    makeOidRequest({ RequestType: NdisRequestSetInformation, Oid: oid, InformationBuffer: bytes }),
  );
}

const ulong = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

/** mp + one protocol per filter, each bound to eth0 and (if told) filtered. */
async function rig(filters: Record<string, number | null>) {
  const host = new NdisHost({ verifier: "strict" });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  const protos = new Map<string, ReturnType<typeof scriptedProtocol>>();
  for (const name of Object.keys(filters)) {
    const p = scriptedProtocol({ name, packetFilter: 0 });
    await host.loadDriver({ name, module: p.module });
    protos.set(name, p);
  }
  await host.addAdapter({ driver: "mp", name: "eth0" });
  for (const [name, filter] of Object.entries(filters)) {
    const handle = protos.get(name)?.bindings[0]?.handle as NDIS_HANDLE;
    if (filter !== null)
      assert.equal(
        setOid(handle, OID_GEN_CURRENT_PACKET_FILTER, ulong(filter)),
        NDIS_STATUS_SUCCESS,
      );
  }
  const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
  const pool = nblPool(adapter);
  /** Indicates one frame of each kind (a runt for "runt") and says who got which. */
  const indicate = (flags = 0) => {
    const nbls = allocateNbls(pool, KINDS.length, adapter);
    const kindOf = new Map<NET_BUFFER_LIST, Kind>();
    KINDS.forEach((kind, i) => {
      const nbl = nbls[i] as NET_BUFFER_LIST;
      kindOf.set(nbl, kind);
      const nb = nbl.FirstNetBuffer;
      assert.ok(nb !== null && nb.CurrentMdl !== null);
      const address = FRAMES[kind];
      if (address === null) nb.DataLength = 4;
      else nb.CurrentMdl.MappedSystemVa.set(address, nb.CurrentMdlOffset);
    });
    for (const p of protos.values()) p.received.length = 0;
    mp.returned.length = 0;
    NdisMIndicateReceiveNetBufferLists(adapter, nbls[0] as NET_BUFFER_LIST, 0, nbls.length, flags);
    const got: Record<string, Kind[]> = {};
    for (const [name, p] of protos) got[name] = p.received.map((n) => kindOf.get(n) as Kind).sort();
    return { got, nbls, kindOf };
  };
  return { host, mp, protos, indicate };
}

describe("receive filtering per binding", () => {
  test("a binding whose protocol set no packet filter receives nothing; the NBLs go back to the miniport", async () => {
    const r = await rig({ silent: null });
    const { got, nbls } = r.indicate();
    assert.deepEqual(got, { silent: [] });
    assert.equal(r.mp.returned.length, nbls.length, "every NBL returned exactly once");
    assert.deepEqual(r.host.violations, []);
  });

  test("each filter type takes only its frames (Ethernet rules); every NBL comes back once", async () => {
    const r = await rig({
      directed: NDIS_PACKET_TYPE_DIRECTED,
      broadcast: NDIS_PACKET_TYPE_BROADCAST,
      multicast: NDIS_PACKET_TYPE_MULTICAST,
      allmulti: NDIS_PACKET_TYPE_ALL_MULTICAST,
      promiscuous: NDIS_PACKET_TYPE_PROMISCUOUS,
      host: NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
    });
    // The multicast binding lists one group address (OID_802_3_MULTICAST_LIST).
    const multicast = r.protos.get("multicast")?.bindings[0]?.handle as NDIS_HANDLE;
    assert.equal(
      setOid(multicast, OID_802_3_MULTICAST_LIST, Uint8Array.from(FRAMES.listed)),
      NDIS_STATUS_SUCCESS,
    );
    const { got, nbls } = r.indicate();
    assert.deepEqual(got, {
      directed: ["own"],
      broadcast: ["broadcast"],
      multicast: ["listed"],
      allmulti: ["listed", "unlisted"],
      promiscuous: [...KINDS].sort(),
      host: ["broadcast", "own"],
    });
    assert.equal(r.mp.returned.length, nbls.length);
    assert.equal(new Set(r.mp.returned).size, nbls.length);
    for (const n of nbls) NdisFreeNetBufferList(n);
    assert.deepEqual(r.host.violations, []);
  });

  test("a new filter takes effect for the next indication; 0 stops receiving", async () => {
    const r = await rig({ p: NDIS_PACKET_TYPE_BROADCAST });
    assert.deepEqual(r.indicate().got, { p: ["broadcast"] });
    const handle = r.protos.get("p")?.bindings[0]?.handle as NDIS_HANDLE;
    setOid(handle, OID_GEN_CURRENT_PACKET_FILTER, ulong(NDIS_PACKET_TYPE_ALL_MULTICAST));
    assert.deepEqual(r.indicate().got, { p: ["listed", "unlisted"] });
    setOid(handle, OID_GEN_CURRENT_PACKET_FILTER, ulong(0));
    assert.deepEqual(r.indicate().got, { p: [] });
    assert.deepEqual(r.host.violations, []);
  });

  test("under NDIS_RECEIVE_FLAGS_RESOURCES the miniport gets its chain back as it was", async () => {
    const r = await rig({ a: NDIS_PACKET_TYPE_DIRECTED, b: NDIS_PACKET_TYPE_BROADCAST });
    const { got, nbls } = r.indicate(NDIS_RECEIVE_FLAGS_RESOURCES);
    assert.deepEqual(got, { a: ["own"], b: ["broadcast"] });
    for (let i = 0; i < nbls.length; i++) assert.equal(nbls[i]?.Next, nbls[i + 1] ?? null);
    assert.equal(r.mp.returned.length, 0, "nothing is returned after a RESOURCES indication");
    assert.deepEqual(r.host.violations, []);
  });
});
