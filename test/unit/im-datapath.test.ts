/**
 * The data path through intermediate drivers (contract §4.9, §4.10, §5.2): the passthrough
 * driver forwards the very NBLs it is given, with SourceHandle rewritten at each layer and
 * restored on the way back; one IM and two stacked; its pause waits for what it forwarded; and a
 * property test under random traffic, pauses and restarts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  makeOidRequest,
  NDIS_GET_NET_BUFFER_LIST_CANCEL_ID,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
  NDIS_SEND_FLAGS_SINGLE_QUEUE,
  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisCancelSendNetBufferLists,
  NdisCompleteNetPnPEvent,
  NdisGeneratePartialCancelId,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisMOidRequestComplete,
  NdisMSendNetBufferListsComplete,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT_DATA_SIZE,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  OID_GEN_VENDOR_ID,
} from "../../src/index.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { link, nblPool, allocateNbls as nbls } from "../helpers/nbl.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

/** Pools with room for the IM's context, as a real stack reserves it. */
const pool = (handle: NDIS_HANDLE) => nblPool(handle, 32);

const FC_RUNS = Number(process.env.FC_RUNS ?? 100);
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** mp → eth0, `layers` passthrough drivers stacked on it, tcpip on top. */
async function imStack(layers: number, mpScript: Script = {}, tcpipScript: ProtocolScript = {}) {
  let name = "eth0";
  const bindings = [];
  for (let i = 1; i <= layers; i++) {
    bindings.push({ protocol: `pt${i}`, adapter: name });
    name = `${name}-pt`;
  }
  bindings.push({ protocol: "tcpip", adapter: name });
  const host = new NdisHost({ verifier: "record", bindings });
  const mp = scriptedMiniport(mpScript);
  const tcpip = scriptedProtocol({ ...tcpipScript, name: "tcpip" });
  await host.loadDriver({ name: "mp", module: mp.module });
  for (let i = 1; i <= layers; i++) await host.loadDriver({ name: `pt${i}`, module: passthrough });
  await host.loadDriver({ name: "tcpip", module: tcpip.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const top = tcpip.bindings[0]?.handle as NDIS_HANDLE;
  assert.ok(top !== undefined, `tcpip is bound to ${name}`);
  return { host, mp, tcpip, top, adapter: mp.adapters[0]?.handle as NDIS_HANDLE, upper: name };
}

describe("through the passthrough driver", () => {
  for (const layers of [1, 2]) {
    test(`send: ${layers} IM layer(s) forward the same NBLs; SourceHandle is rewritten and restored`, async () => {
      const seenBelow: unknown[] = [];
      const s = await imStack(layers, {
        send: (a, chain) => {
          for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
            seenBelow.push(n.SourceHandle);
            n.Status = NDIS_STATUS_SUCCESS;
          }
          NdisMSendNetBufferListsComplete(a.handle, chain, 0);
        },
      });
      const list = nbls(pool(s.tcpip.protocolHandle() as NDIS_HANDLE), 3, s.top);
      NdisSendNetBufferLists(s.top, link(list), 0, 0);
      assert.deepEqual(s.mp.sent, list, "the miniport gets the very NBLs tcpip sent");
      assert.equal(seenBelow.length, 3);
      assert.ok(
        seenBelow.every((h) => h !== s.top && h === seenBelow[0]),
        "below, SourceHandle is the lowest IM's binding handle",
      );
      assert.deepEqual(
        s.tcpip.completed.map((c) => c.nbl),
        list,
      );
      assert.ok(
        list.every((n) => n.SourceHandle === s.top),
        "restored for tcpip",
      );
      assert.ok(
        list.every((n) => NET_BUFFER_LIST_CONTEXT_DATA_SIZE(n) === 0),
        "contexts freed",
      );
      assert.deepEqual(rules(s.host), []);
    });

    test(`receive: ${layers} IM layer(s) indicate the same NBLs up and return them down`, async () => {
      const seenAbove: unknown[] = [];
      const s = await imStack(
        layers,
        {},
        {
          receive: (b, chain) => {
            for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next)
              seenAbove.push(n.SourceHandle);
            NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, chain, 0);
          },
        },
      );
      const list = nbls(pool(s.adapter), 2, s.adapter);
      NdisMIndicateReceiveNetBufferLists(s.adapter, link(list), 0, 2, 0);
      assert.deepEqual(s.tcpip.received, list);
      const upperAdapter = s.host.adapters.find((a) => a.name === s.upper);
      assert.ok(upperAdapter !== undefined);
      assert.ok(
        seenAbove.every((h) => h !== s.adapter),
        "above, SourceHandle is the VELAN's",
      );
      assert.deepEqual(s.mp.returned, list);
      assert.ok(
        list.every((n) => n.SourceHandle === s.adapter),
        "restored for the miniport",
      );
      assert.deepEqual(rules(s.host), []);
    });
  }

  test("port numbers and send flags reach the miniport below unchanged", async () => {
    const seen: [number, number][] = [];
    const s = await imStack(2, {
      send: (a, chain, port, flags) => {
        seen.push([port, flags]);
        NdisMSendNetBufferListsComplete(a.handle, chain, 0);
      },
    });
    const p = pool(s.tcpip.protocolHandle() as NDIS_HANDLE);
    NdisSendNetBufferLists(s.top, link(nbls(p, 1, s.top)), 0, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    NdisSendNetBufferLists(s.top, link(nbls(p, 1, s.top)), 3, NDIS_SEND_FLAGS_SINGLE_QUEUE);
    assert.deepEqual(seen, [
      [0, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK],
      [3, NDIS_SEND_FLAGS_SINGLE_QUEUE],
    ]);
    assert.equal(s.tcpip.completed.length, 2);
  });

  test("RESOURCES indications pass through and are the miniport's again at once", async () => {
    const s = await imStack(1);
    const list = nbls(pool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, link(list), 0, 2, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert.deepEqual(s.tcpip.received, list);
    assert.deepEqual(s.mp.returned, []);
    assert.ok(
      list.every((n) => n.SourceHandle === s.adapter && n.Context?.Offset === n.Context?.Size),
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("the VELAN's pause waits for the sends it forwarded; sends while paused come back PAUSED", async () => {
    const held: NET_BUFFER_LIST[] = [];
    const s = await imStack(1, {
      send: (_a, chain) => {
        for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) held.push(n);
      },
    });
    const p = pool(s.tcpip.protocolHandle() as NDIS_HANDLE);
    NdisSendNetBufferLists(s.top, link(nbls(p, 2, s.top)), 0, 0);
    // tcpip's own pause would wait for its sends too; here tcpip has none left once they complete.
    let paused = false;
    // Pause only the passthrough's VELAN stack: tcpip (above) first, then the VELAN.
    const tcpipAbove = s.host.pauseStack(s.upper).then(() => {
      paused = true;
    });
    await flush();
    assert.equal(paused, false, "the pause pends while the miniport holds the sends");
    for (const n of held) n.Status = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(s.adapter, link(held), 0);
    await tcpipAbove;
    assert.equal(paused, true);
    // Sends on the paused stack never reach the IM.
    NdisSendNetBufferLists(s.top, link(nbls(p, 1, s.top)), 0, 0);
    assert.equal(s.tcpip.completed.at(-1)?.status, NDIS_STATUS_PAUSED);
    // ProtocolPause_SendsOutstanding: tcpip completed its pause while its sends were still out.
    assert.deepEqual(rules(s.host), ["ProtocolPause_SendsOutstanding"]);
  });
});

describe("cancel", () => {
  /** A miniport that holds sends and aborts those whose cancel ID matches. */
  function holdingMiniport(held: NET_BUFFER_LIST[]): Script {
    return {
      send: (_a, chain) => {
        for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) held.push(n);
      },
      cancel: (a, id) => {
        const abort = held.filter((n) => NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n) === id);
        if (abort.length === 0) return;
        for (const n of abort) {
          held.splice(held.indexOf(n), 1);
          n.Status = NDIS_STATUS_SEND_ABORTED;
        }
        NdisMSendNetBufferListsComplete(a.handle, link(abort), 0);
      },
    };
  }

  test("a cancel passes through the IM; matching NBLs come back SEND_ABORTED, the rest later", async () => {
    const held: NET_BUFFER_LIST[] = [];
    const s = await imStack(1, holdingMiniport(held));
    const id = (NdisGeneratePartialCancelId() << 24) | 1;
    const list = nbls(pool(s.tcpip.protocolHandle() as NDIS_HANDLE), 3, s.top);
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(list[0] as NET_BUFFER_LIST, id);
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(list[2] as NET_BUFFER_LIST, id);
    NdisSendNetBufferLists(s.top, link(list), 0, 0);
    NdisCancelSendNetBufferLists(s.top, id);
    assert.ok(s.mp.calls.includes("MiniportCancelSend"), "the cancel reached the miniport below");
    assert.deepEqual(
      s.tcpip.completed.map((c) => [list.indexOf(c.nbl), c.status]),
      [
        [0, NDIS_STATUS_SEND_ABORTED],
        [2, NDIS_STATUS_SEND_ABORTED],
      ],
    );
    NdisMSendNetBufferListsComplete(s.adapter, link(held.splice(0)), 0);
    assert.equal(s.tcpip.completed.length, 3);
    assert.deepEqual(rules(s.host), []);
  });

  test("cancel during a pause: the pause that waited for the sends completes", async () => {
    const held: NET_BUFFER_LIST[] = [];
    let out = 0;
    let pending: { handle: NDIS_HANDLE; event: NET_PNP_EVENT_NOTIFICATION } | null = null;
    const s = await imStack(1, holdingMiniport(held), {
      pnp: (b, event) => {
        if (event.NetPnPEvent.NetEvent !== NetEventPause || out === 0) return NDIS_STATUS_SUCCESS;
        pending = { handle: b.handle as NDIS_HANDLE, event };
        return NDIS_STATUS_PENDING;
      },
      sendComplete: (_b, chain) => {
        for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) out--;
        if (out === 0 && pending !== null) {
          NdisCompleteNetPnPEvent(pending.handle, pending.event, NDIS_STATUS_SUCCESS);
          pending = null;
        }
      },
    });
    const list = nbls(pool(s.tcpip.protocolHandle() as NDIS_HANDLE), 2, s.top);
    for (const n of list) NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, "pause");
    out = 2;
    NdisSendNetBufferLists(s.top, link(list), 0, 0);
    let paused = false;
    const pausing = s.host.pauseStack(s.upper).then(() => {
      paused = true;
    });
    await flush();
    assert.equal(paused, false, "tcpip's pause waits for its sends");
    NdisCancelSendNetBufferLists(s.top, "pause");
    await pausing;
    assert.ok(s.tcpip.completed.every((c) => c.status === NDIS_STATUS_SEND_ABORTED));
    assert.equal(s.tcpip.completed.length, 2);
    assert.deepEqual(rules(s.host), []);
  });
});

describe("property: every NBL and OID comes back exactly once", () => {
  test("random chains, completions, returns, OID requests, pauses and restarts through the passthrough", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("send" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({
        kind: fc.constant("receive" as const),
        n: fc.integer({ min: 1, max: 4 }),
        resources: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("complete" as const), pick: fc.nat(), reverse: fc.boolean() }),
      fc.record({ kind: fc.constant("return" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("oid" as const), pend: fc.boolean() }),
      fc.record({ kind: fc.constant("completeOid" as const) }),
      fc.record({ kind: fc.constant("pause" as const) }),
      fc.record({ kind: fc.constant("restart" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const heldBelow: NET_BUFFER_LIST[] = [];
        // OID traffic: the miniport answers at once or pends, as each request says.
        const pendedOids: NDIS_OID_REQUEST[] = [];
        let pendNext = false;
        const heldAbove: NET_BUFFER_LIST[] = [];
        let tcpipOut = 0;
        let pendingPause: { handle: NDIS_HANDLE; event: NET_PNP_EVENT_NOTIFICATION } | null = null;
        const s = await imStack(
          1,
          {
            send: (_a, chain) => {
              for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) heldBelow.push(n);
            },
            oid: (_a, r) => {
              if (!pendNext) return NDIS_STATUS_SUCCESS;
              pendedOids.push(r);
              return NDIS_STATUS_PENDING;
            },
          },
          {
            receive: (_b, chain, _p, _c, flags) => {
              if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) return;
              for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) heldAbove.push(n);
            },
            // tcpip pauses once its sends are back, as a protocol must.
            pnp: (b, event) => {
              if (event.NetPnPEvent.NetEvent !== NetEventPause || tcpipOut === 0)
                return NDIS_STATUS_SUCCESS;
              pendingPause = { handle: b.handle as NDIS_HANDLE, event };
              return NDIS_STATUS_PENDING;
            },
            sendComplete: (_b, chain) => {
              for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) tcpipOut--;
              if (tcpipOut === 0 && pendingPause !== null) {
                const { handle, event } = pendingPause;
                pendingPause = null;
                NdisCompleteNetPnPEvent(handle, event, NDIS_STATUS_SUCCESS);
              }
            },
          },
        );
        const sendPool = pool(s.tcpip.protocolHandle() as NDIS_HANDLE);
        const recvPool = pool(s.adapter);
        const sent: NET_BUFFER_LIST[] = [];
        const indicated: NET_BUFFER_LIST[] = [];
        const stackOps: Promise<unknown>[] = [];
        const oids: NDIS_OID_REQUEST[] = [];
        const answeredAtOnce: NDIS_OID_REQUEST[] = [];
        let stackBusy: Promise<unknown> = Promise.resolve();
        // What the stack will be once the queued stack operations are done.
        let running = true;
        for (const o of ops) {
          if (o.kind === "send") {
            const list = nbls(sendPool, o.n, s.top);
            sent.push(...list);
            tcpipOut += list.length;
            NdisSendNetBufferLists(s.top, link(list), 0, 0);
          } else if (o.kind === "receive") {
            const list = nbls(recvPool, o.n, s.adapter);
            if (!o.resources) indicated.push(...list);
            NdisMIndicateReceiveNetBufferLists(
              s.adapter,
              link(list),
              0,
              list.length,
              o.resources ? NDIS_RECEIVE_FLAGS_RESOURCES : 0,
            );
          } else if (o.kind === "oid") {
            pendNext = o.pend;
            const r = makeOidRequest({
              RequestType: NdisRequestQueryInformation,
              Oid: OID_GEN_VENDOR_ID,
              InformationBuffer: new Uint8Array(4),
            });
            oids.push(r);
            if (NdisOidRequest(s.top, r) !== NDIS_STATUS_PENDING) answeredAtOnce.push(r);
          } else if (o.kind === "completeOid" && pendedOids.length > 0) {
            NdisMOidRequestComplete(
              s.adapter,
              pendedOids.shift() as NDIS_OID_REQUEST,
              NDIS_STATUS_SUCCESS,
            );
          } else if (o.kind === "complete" && heldBelow.length > 0) {
            const take = heldBelow.splice(0, 1 + (o.pick % heldBelow.length));
            if (o.reverse) take.reverse();
            for (const n of take) n.Status = NDIS_STATUS_SUCCESS;
            NdisMSendNetBufferListsComplete(s.adapter, link(take), 0);
          } else if (o.kind === "return" && heldAbove.length > 0) {
            const take = heldAbove.splice(0, 1 + (o.pick % heldAbove.length));
            NdisReturnNetBufferLists(s.top, link(take), 0);
          } else if ((o.kind === "pause") === running) {
            running = !running;
            // Stack operations run one after the other, as the PnP manager runs them.
            const name = s.upper;
            stackBusy = stackBusy.then(() =>
              o.kind === "pause" ? s.host.pauseStack(name) : s.host.restartStack(name),
            );
            stackOps.push(stackBusy);
          }
          await flush();
        }
        // Drain: the miniport completes everything, tcpip returns everything.
        while (heldBelow.length > 0 || heldAbove.length > 0 || pendedOids.length > 0) {
          pendNext = false;
          if (pendedOids.length > 0) {
            NdisMOidRequestComplete(
              s.adapter,
              pendedOids.shift() as NDIS_OID_REQUEST,
              NDIS_STATUS_SUCCESS,
            );
          }
          if (heldBelow.length > 0) {
            const take = heldBelow.splice(0);
            for (const n of take) n.Status = NDIS_STATUS_SUCCESS;
            NdisMSendNetBufferListsComplete(s.adapter, link(take), 0);
          }
          if (heldAbove.length > 0) NdisReturnNetBufferLists(s.top, link(heldAbove.splice(0)), 0);
          await flush();
        }
        await Promise.all(stackOps);
        // Every sent NBL completed to tcpip exactly once, with SourceHandle restored.
        const completed = s.tcpip.completed.map((c) => c.nbl);
        assert.equal(completed.length, sent.length);
        assert.equal(new Set(completed).size, sent.length);
        for (const n of sent) assert.ok(completed.includes(n));
        for (const c of s.tcpip.completed) {
          assert.ok(c.status === NDIS_STATUS_SUCCESS || c.status === NDIS_STATUS_PAUSED);
        }
        assert.ok(sent.every((n) => n.SourceHandle === s.top));
        // Every OID request answered exactly once: at once, or through ProtocolOidRequestComplete.
        const later = s.tcpip.oidCompletions.map((c) => c.request);
        assert.equal(answeredAtOnce.length + later.length, oids.length);
        for (const r of oids)
          assert.equal(Number(answeredAtOnce.includes(r)) + Number(later.includes(r)), 1);
        // Every NBL indicated without RESOURCES returned to the miniport exactly once.
        assert.equal(s.mp.returned.length, indicated.length);
        assert.equal(new Set(s.mp.returned).size, indicated.length);
        for (const n of indicated) assert.ok(s.mp.returned.includes(n));
        assert.ok([...sent, ...indicated].every((n) => NET_BUFFER_LIST_CONTEXT_DATA_SIZE(n) === 0));
        assert.deepEqual(rules(s.host), []);
      }),
      { numRuns: Math.max(10, Math.floor(FC_RUNS / 4)) },
    );
  });
});
