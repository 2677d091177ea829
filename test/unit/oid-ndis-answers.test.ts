/**
 * The OID queries NDIS answers itself for an NDIS 6 miniport are exactly those whose OID pages on
 * learn.microsoft.com say NDIS 6.0 and later miniport drivers do not receive them (NDIS answers from
 * what the miniport gave at initialization): OID_GEN_SUPPORTED_LIST ("NDIS filters any supported
 * statistics OIDs out of the list"), OID_GEN_MEDIA_SUPPORTED, OID_GEN_MEDIA_IN_USE,
 * OID_GEN_MAXIMUM_FRAME_SIZE, OID_GEN_MAXIMUM_LOOKAHEAD, OID_GEN_PHYSICAL_MEDIUM (which reports
 * NdisPhysicalMedium802_3 as Unspecified) and OID_GEN_PHYSICAL_MEDIUM_EX (which does not). Every
 * other request reaches MiniportOidRequest.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisOidRequest,
  NdisPhysicalMedium802_3,
  NdisPhysicalMediumUnspecified,
  NdisRequestQueryInformation,
  OID_802_3_RCV_ERROR_ALIGNMENT,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_LOOKAHEAD,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_MEDIA_IN_USE,
  OID_GEN_MEDIA_SUPPORTED,
  OID_GEN_PHYSICAL_MEDIUM,
  OID_GEN_PHYSICAL_MEDIUM_EX,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_XMIT_OK,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const LIST = [
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_STATISTICS,
  OID_GEN_XMIT_OK,
  OID_802_3_RCV_ERROR_ALIGNMENT,
  OID_GEN_LINK_SPEED,
];

async function rig() {
  const host = new NdisHost({ verifier: "strict" });
  const mp = scriptedMiniport({
    general: { SupportedOidList: LIST, PhysicalMediumType: NdisPhysicalMedium802_3 },
    oid: () => NDIS_STATUS_SUCCESS,
  });
  await host.loadDriver({ name: "mp", module: mp.module });
  const p = scriptedProtocol({ name: "tcpip" });
  await host.loadDriver({ name: "tcpip", module: p.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = p.bindings[0]?.handle as NDIS_HANDLE;
  const query = (oid: number) => {
    const buffer = new Uint8Array(64);
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: oid,
      InformationBuffer: buffer,
    });
    const before = mp.calls.length;
    const status = NdisOidRequest(binding, request);
    const reached = mp.calls.slice(before).some((c) => c.startsWith("MiniportOidRequest"));
    const d = request.DATA.QUERY_INFORMATION;
    const ulongs = [];
    for (let at = 0; at + 4 <= d.BytesWritten; at += 4)
      ulongs.push(new DataView(buffer.buffer).getUint32(at, true));
    return { status, reached, ulongs };
  };
  return { host, query };
}

describe("the OID queries NDIS answers for a miniport", () => {
  test("only the documented ones are answered by NDIS; statistics OIDs are left out of the supported list", async () => {
    const { query } = await rig();
    const list = query(OID_GEN_SUPPORTED_LIST);
    assert.equal(list.reached, false);
    assert.deepEqual(list.ulongs, [
      OID_GEN_SUPPORTED_LIST,
      OID_GEN_VENDOR_DESCRIPTION,
      OID_GEN_LINK_SPEED,
    ]);
    for (const oid of [
      OID_GEN_MEDIA_SUPPORTED,
      OID_GEN_MEDIA_IN_USE,
      OID_GEN_MAXIMUM_FRAME_SIZE,
      OID_GEN_MAXIMUM_LOOKAHEAD,
      OID_GEN_PHYSICAL_MEDIUM,
      OID_GEN_PHYSICAL_MEDIUM_EX,
    ])
      assert.equal(query(oid).reached, false, `0x${oid.toString(16)} is NDIS's`);
    for (const oid of [
      OID_GEN_VENDOR_DESCRIPTION,
      OID_GEN_LINK_SPEED,
      OID_GEN_MAXIMUM_TOTAL_SIZE,
      OID_GEN_CURRENT_LOOKAHEAD,
      OID_GEN_MEDIA_CONNECT_STATUS,
      OID_GEN_STATISTICS,
    ])
      assert.equal(query(oid).reached, true, `0x${oid.toString(16)} reaches the miniport`);
  });

  test("OID_GEN_PHYSICAL_MEDIUM reports 802.3 as Unspecified; OID_GEN_PHYSICAL_MEDIUM_EX does not", async () => {
    const { query } = await rig();
    assert.deepEqual(query(OID_GEN_PHYSICAL_MEDIUM).ulongs, [NdisPhysicalMediumUnspecified]);
    assert.deepEqual(query(OID_GEN_PHYSICAL_MEDIUM_EX).ulongs, [NdisPhysicalMedium802_3]);
  });
});
