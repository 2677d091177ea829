/**
 * Direct OID requests through a C filter: the passthrough filter sample in C
 * (c/samples/filter-passthrough) registers FilterDirectOidRequest, FilterDirectOidRequestComplete
 * and FilterCancelDirectOidRequest from characteristics revision 2 (NDIS 6.1) on, and forwards
 * each direct request as a clone ("Filter Module Direct OID Requests", FilterDirectOidRequest).
 * Skipped without clang and lld.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisCancelDirectOidRequest,
  NdisDirectOidRequest,
  NdisHost,
  NdisMDirectOidRequestComplete,
  NdisRequestSetInformation,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA,
  type TraceEvent,
} from "../../src/index.js";
import { buildSample, cSkipReason, FILTER_PASSTHROUGH } from "../helpers/cdriver.js";
import { type ScriptedAdapter, scriptedMiniport } from "../helpers/miniport.js";
import { type ProtocolBinding, scriptedProtocol } from "../helpers/protocol.js";

const skip = cSkipReason() ?? false;

describe("direct OID requests through the C passthrough filter", { skip }, () => {
  test("down through FilterDirectOidRequest in C as a clone, pended by the miniport, back up to the protocol; a cancel is passed on", async () => {
    const path = await buildSample("cfilter", FILTER_PASSTHROUGH);
    const host = new NdisHost({ verifier: "strict" });
    const pended: NDIS_OID_REQUEST[] = [];
    const cancels: unknown[] = [];
    const mp = scriptedMiniport({
      chars: {
        DirectOidRequestHandler: (_a: ScriptedAdapter, r: NDIS_OID_REQUEST) => {
          pended.push(r);
          // The miniport writes its answer: the handle of the new SA (first 4 bytes).
          new DataView((r.DATA.SET_INFORMATION.InformationBuffer as Uint8Array).buffer).setUint32(
            0,
            0x5a5a0001,
            true,
          );
          r.DATA.SET_INFORMATION.BytesRead = 16;
          return NDIS_STATUS_PENDING;
        },
        CancelDirectOidRequestHandler: (_a: ScriptedAdapter, id: unknown) => cancels.push(id),
      },
    });
    const completions: { request: NDIS_OID_REQUEST; status: number }[] = [];
    const proto = scriptedProtocol({
      chars: {
        DirectOidRequestCompleteHandler: (
          _b: ProtocolBinding,
          request: NDIS_OID_REQUEST,
          status: number,
        ) => completions.push({ request, status }),
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "cfilter", module: path });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const handlers: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.phase === "call" && e.name.includes("Direct")) handlers.push(e.name);
    });
    const binding = proto.bindings[0] as ProtocolBinding;
    const id = Symbol("sa");
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA,
      InformationBuffer: new Uint8Array(16),
      RequestId: id,
    });
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
    assert.equal(pended.length, 1);
    assert.notEqual(pended[0], request, "the C filter passed a clone down");
    NdisCancelDirectOidRequest(binding.handle as NDIS_HANDLE, id);
    assert.deepEqual(cancels, [id], "the C filter passed the cancel down");
    NdisMDirectOidRequestComplete(
      (mp.adapters[0] as ScriptedAdapter).handle,
      pended[0] as NDIS_OID_REQUEST,
      NDIS_STATUS_SUCCESS,
    );
    assert.deepEqual(handlers, [
      "NdisDirectOidRequest",
      "FilterDirectOidRequest",
      "NdisFDirectOidRequest",
      "MiniportDirectOidRequest",
      "NdisCancelDirectOidRequest",
      "FilterCancelDirectOidRequest",
      "NdisFCancelDirectOidRequest",
      "MiniportCancelDirectOidRequest",
      "NdisMDirectOidRequestComplete",
      "FilterDirectOidRequestComplete",
      "NdisFDirectOidRequestComplete",
      "ProtocolDirectOidRequestComplete",
    ]);
    assert.deepEqual(
      completions.map((c) => [c.request, c.status]),
      [[request, NDIS_STATUS_SUCCESS]],
    );
    const d = request.DATA.SET_INFORMATION;
    assert.equal(d.BytesRead, 16, "the C filter copied the clone's counters back");
    assert.equal(
      new DataView((d.InformationBuffer as Uint8Array).buffer).getUint32(0, true),
      0x5a5a0001,
      "the miniport's answer reached the protocol's buffer through the C clone",
    );
    assert.deepEqual(host.violations, []);
    await host.removeAdapter("eth0");
    await host.unloadDriver("cfilter");
    assert.deepEqual(host.violations, []);
  });
});
