/**
 * A filter module restarting itself and changing its data-path handlers, and cancellations
 * through filter modules.
 *
 * Docs: "NdisFRestartFilter" (NDIS pauses and restarts the module's stack after the call),
 * "FILTER_SET_MODULE_OPTIONS" (called before FilterRestart), "Data Bypass Mode" and
 * "NDIS_FILTER_PARTIAL_CHARACTERISTICS" (a module sets its own handlers with
 * NdisSetOptionalHandlers inside FilterSetModuleOptions; NULL bypasses that function),
 * "NdisFCancelSendNetBufferLists" and "NdisFCancelOidRequest" (a filter passes cancellations down).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  makeOidRequest,
  NDIS_GET_NET_BUFFER_LIST_CANCEL_ID,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS,
  type NDIS_OID_REQUEST,
  NDIS_PAUSE_FILTER_RESTART_STACK,
  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisCancelOidRequest,
  NdisCancelSendNetBufferLists,
  NdisFCancelOidRequest,
  NdisFCancelSendNetBufferLists,
  NdisFRestartFilter,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisMSendNetBufferListsComplete,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisSendNetBufferLists,
  NdisSetOptionalHandlers,
  type NET_BUFFER_LIST,
  NetEventPause,
  NetEventRestart,
  OID_GEN_VENDOR_DESCRIPTION,
} from "../../src/index.js";
import type { FilterScript } from "../helpers/filter.js";
import { filterStack, rulesOf } from "../helpers/filter-stack.js";
import type { Script } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";

const stack = (filter: FilterScript = {}, mp: Script = {}) => filterStack({ filter, mp });
const rules = rulesOf;

function sendOne(s: Awaited<ReturnType<typeof stack>>): NET_BUFFER_LIST {
  const [nbl] = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding);
  NdisSendNetBufferLists(s.binding, nbl as NET_BUFFER_LIST, 0, 0);
  return nbl as NET_BUFFER_LIST;
}

describe("NdisFRestartFilter and FilterSetModuleOptions", () => {
  test("a module asks to be restarted: pause, FilterSetModuleOptions, FilterRestart, in that order", async () => {
    const s = await stack();
    s.filter.calls.length = 0;
    const before = s.proto.calls.length;
    assert.equal(NdisFRestartFilter(s.module().handle), NDIS_STATUS_SUCCESS);
    // NDIS does it after the call returns.
    assert.deepEqual(s.filter.calls, []);
    await s.host.settle();
    assert.deepEqual(s.filter.calls, [
      "FilterPause(eth0)",
      "FilterSetModuleOptions(eth0)",
      "FilterRestart(eth0)",
    ]);
    assert.deepEqual(
      s.proto.calls.slice(before).filter((c) => c.startsWith("ProtocolNetPnPEvent")),
      [
        `ProtocolNetPnPEvent(${NetEventPause}, ${NDIS_PAUSE_FILTER_RESTART_STACK})`,
        `ProtocolNetPnPEvent(${NetEventRestart})`,
      ],
      "the protocol above was paused and restarted around the module",
    );
    const nbl = sendOne(s);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      [nbl],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("a module switches itself to bypass on a restart, and back", async () => {
    let bypass = false;
    const seen: string[] = [];
    const send = (m: { handle: NDIS_HANDLE }, n: NET_BUFFER_LIST, p: number, f: number) => {
      seen.push("send");
      NdisFSendNetBufferLists(m.handle, n, p, f);
    };
    const sendComplete = (m: { handle: NDIS_HANDLE }, n: NET_BUFFER_LIST, f: number) => {
      seen.push("complete");
      NdisFSendNetBufferListsComplete(m.handle, n, f);
    };
    const s = await stack({
      chars: {
        SendNetBufferListsHandler: send,
        SendNetBufferListsCompleteHandler: sendComplete,
        SetFilterModuleOptionsHandler: (m: { handle: NDIS_HANDLE }) =>
          NdisSetOptionalHandlers(m.handle, {
            Header: {
              Type: NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS,
              Revision: 1,
              Size: 48,
            },
            Flags: 0,
            ...(bypass ? {} : { SendNetBufferListsHandler: send }),
            ...(bypass ? {} : { SendNetBufferListsCompleteHandler: sendComplete }),
          } as never),
      },
    });
    sendOne(s);
    assert.deepEqual(seen, ["send", "complete"]);
    bypass = true;
    NdisFRestartFilter(s.module().handle);
    await s.host.settle();
    seen.length = 0;
    const nbl = sendOne(s);
    assert.deepEqual(seen, [], "the module is bypassed: NDIS skips its send handlers");
    assert.equal(s.miniport.sent.at(-1), nbl);
    assert.equal(s.proto.completed.at(-1)?.nbl, nbl);
    bypass = false;
    NdisFRestartFilter(s.module().handle);
    await s.host.settle();
    seen.length = 0;
    sendOne(s);
    assert.deepEqual(seen, ["send", "complete"], "and takes its sends again");
    assert.deepEqual(rules(s.host), []);
  });

  test("NdisSetOptionalHandlers with a filter handle outside FilterSetModuleOptions is refused", async () => {
    const s = await stack();
    const status = NdisSetOptionalHandlers(s.module().handle, {
      Header: { Type: NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS, Revision: 1, Size: 48 },
      Flags: 0,
    } as never);
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(s.host), ["NdisSetOptionalHandlers_OutsideSetOptions"]);
    // Nothing changed: sends still go through the module.
    s.filter.calls.length = 0;
    sendOne(s);
    assert.ok(s.filter.calls.includes("FilterSendNetBufferLists(eth0)"));
  });
});

describe("cancellations through a filter module", () => {
  test("NdisCancelSendNetBufferLists reaches FilterCancelSendNetBufferLists, which passes it down", async () => {
    const cancels: unknown[] = [];
    const held: NET_BUFFER_LIST[] = [];
    const s = await stack(
      {
        chars: {
          CancelSendNetBufferListsHandler: (m: { handle: NDIS_HANDLE }, id: unknown) => {
            cancels.push(id);
            NdisFCancelSendNetBufferLists(m.handle, id);
          },
        },
      },
      {
        send: (_a, nbls) => {
          for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) held.push(n);
        },
        cancel: (a, id) => {
          // The miniport completes what it holds with that cancel ID, SEND_ABORTED.
          const mine = held.filter((n) => NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n) === id);
          if (mine.length === 0) return;
          for (let i = 0; i < mine.length; i++) {
            const n = mine[i] as NET_BUFFER_LIST;
            n.Next = mine[i + 1] ?? null;
            n.Status = NDIS_STATUS_SEND_ABORTED;
          }
          held.splice(0, held.length, ...held.filter((n) => !mine.includes(n)));
          NdisMSendNetBufferListsComplete(a.handle, mine[0] as NET_BUFFER_LIST, 0);
        },
      },
    );
    const [nbl] = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding);
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl as NET_BUFFER_LIST, 0x42);
    NdisSendNetBufferLists(s.binding, nbl as NET_BUFFER_LIST, 0, 0);
    assert.equal(s.proto.completed.length, 0, "the miniport holds it");
    NdisCancelSendNetBufferLists(s.binding, 0x42);
    assert.deepEqual(cancels, [0x42], "the module saw the cancellation");
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      [nbl],
    );
    assert.equal(s.proto.completed[0]?.status, NDIS_STATUS_SEND_ABORTED);
    assert.deepEqual(rules(s.host), []);
  });

  test("NdisCancelOidRequest reaches the miniport through the module's FilterCancelOidRequest", async () => {
    const cancelled: unknown[] = [];
    let pended = null as NDIS_OID_REQUEST | null;
    const s = await stack(
      {
        chars: {
          CancelOidRequestHandler: (m: { handle: NDIS_HANDLE }, id: unknown) => {
            cancelled.push(`filter:${String(id)}`);
            NdisFCancelOidRequest(m.handle, id);
          },
        },
      },
      {
        oid: (_a, request) => {
          // Only the request under test pends (the protocol's packet filter set succeeds).
          if (request.DATA.QUERY_INFORMATION.Oid !== OID_GEN_VENDOR_DESCRIPTION)
            return NDIS_STATUS_SUCCESS;
          pended = request;
          return NDIS_STATUS_PENDING;
        },
        cancelOid: (_a, id) => {
          cancelled.push(`miniport:${String(id)}`);
        },
      },
    );
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
      RequestId: 9,
    });
    assert.equal(NdisOidRequest(s.binding, request), NDIS_STATUS_PENDING);
    assert.ok(pended !== null, "the miniport has the (cloned) request");
    NdisCancelOidRequest(s.binding, 9);
    assert.deepEqual(cancelled, ["filter:9", "miniport:9"]);
  });
});
