/**
 * NDIS merges the bindings' receive settings into what the miniport is told, as the
 * OID_GEN_CURRENT_PACKET_FILTER page says (a set replaces the binding's own filter and does not
 * alter the others'; a query returns the bindings' filters combined with OR) and as the
 * OID_802_3_MULTICAST_LIST page implies for the lists: the miniport gets the OR of all the
 * bindings' packet filters and the union of their multicast lists, while each binding still
 * receives only what its own filter and list accept.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type MDL,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../src/index.js";
import { type ScriptedAdapter, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const M1 = [0x01, 0x00, 0x5e, 0, 0, 1];
const M2 = [0x01, 0x00, 0x5e, 0, 0, 2];

async function rig() {
  const host = new NdisHost({ verifier: "strict" });
  const told: { oid: number; bytes: number[] }[] = [];
  const mp = scriptedMiniport({
    oid: (_a, request: NDIS_OID_REQUEST) => {
      const d = request.DATA.SET_INFORMATION;
      if (request.RequestType === NdisRequestSetInformation)
        told.push({ oid: d.Oid, bytes: [...(d.InformationBuffer ?? [])] });
      return NDIS_STATUS_SUCCESS;
    },
  });
  await host.loadDriver({ name: "mp", module: mp.module });
  const a = scriptedProtocol({ name: "a", packetFilter: NDIS_PACKET_TYPE_DIRECTED });
  const b = scriptedProtocol({
    name: "b",
    packetFilter: NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST,
  });
  await host.loadDriver({ name: "a", module: a.module });
  await host.loadDriver({ name: "b", module: b.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const handle = (p: typeof a) => p.bindings[0]?.handle as NDIS_HANDLE;
  const set = (p: typeof a, oid: number, bytes: number[]) =>
    NdisOidRequest(
      handle(p),
      makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: oid,
        InformationBuffer: Uint8Array.from(bytes),
      }),
    );
  const lastTold = (oid: number) => told.filter((t) => t.oid === oid).at(-1)?.bytes;
  return { host, mp, a, b, handle, set, lastTold };
}

const ulong = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];

describe("the miniport is told the bindings' settings merged", () => {
  test("packet filters: the OR of every binding's; a query returns that OR; each binding still receives by its own", async () => {
    const { mp, a, b, handle, lastTold } = await rig();
    assert.deepEqual(
      lastTold(OID_GEN_CURRENT_PACKET_FILTER),
      ulong(NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST),
    );
    const buffer = new Uint8Array(4);
    const query = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: buffer,
    });
    assert.equal(NdisOidRequest(handle(a), query), NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      [...buffer],
      ulong(NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST),
    );
    // A broadcast frame: b asked for broadcasts, a did not.
    const adapter = (mp.adapters[0] as ScriptedAdapter).handle;
    const [nbl] = allocateNbls(nblPool(adapter), 1, adapter);
    const first = (nbl as NET_BUFFER_LIST).FirstNetBuffer as NET_BUFFER;
    (first.MdlChain as MDL).MappedSystemVa.fill(0xff, 0, 6);
    NdisMIndicateReceiveNetBufferLists(adapter, nbl as NET_BUFFER_LIST, 0, 1, 0);
    assert.equal(b.received.length, 1);
    assert.equal(a.received.length, 0);
  });

  test("multicast lists: the union, each address once; a malformed list is refused by NDIS", async () => {
    const { a, b, set, lastTold } = await rig();
    assert.equal(set(a, OID_802_3_MULTICAST_LIST, M1), NDIS_STATUS_SUCCESS);
    assert.equal(set(b, OID_802_3_MULTICAST_LIST, [...M2, ...M1]), NDIS_STATUS_SUCCESS);
    assert.deepEqual(lastTold(OID_802_3_MULTICAST_LIST), [...M1, ...M2]);
    assert.equal(set(a, OID_802_3_MULTICAST_LIST, []), NDIS_STATUS_SUCCESS);
    assert.deepEqual(lastTold(OID_802_3_MULTICAST_LIST), [...M2, ...M1], "b's list alone");
    assert.equal(set(a, OID_802_3_MULTICAST_LIST, [1, 2, 3]), NDIS_STATUS_INVALID_LENGTH);
  });
});
