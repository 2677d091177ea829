/**
 * The filter module crossings' one-pass fast path (core/stack/datapath.ts) must take exactly
 * what the general path takes and leave everything else to it untouched: a chain that loops back
 * on itself, an NBL whose SourceHandle a miniport changed, a chain mixing NBLs a protocol sent
 * with NBLs the module made itself, a chain completed in pieces. Each case checks who holds what
 * afterwards (every NBL completed or returned exactly once, nothing reported that is right).
 *
 * Docs: "Filter Module Send and Receive Operations" (learn.microsoft.com, NDIS filter drivers):
 * a filter passes on or completes what it is sent, may originate NBLs with its own SourceHandle,
 * and NBLs come back the way they went.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NdisFIndicateReceiveNetBufferLists,
  NdisFReturnNetBufferLists,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisMIndicateReceiveNetBufferLists,
  NdisMSendNetBufferListsComplete,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
} from "../../src/index.js";
import type { FilterScript } from "../helpers/filter.js";
import { filterStack, rulesOf } from "../helpers/filter-stack.js";
import type { Script } from "../helpers/miniport.js";
import { allocateNbls, link, nblPool } from "../helpers/nbl.js";

const stack = (filter: FilterScript = {}, mp: Script = {}) => filterStack({ filter, mp });
const rules = rulesOf;

describe("filter crossings on the fast path", () => {
  test("a module passing on a chain that loops back is refused whole, and can send it again", async () => {
    let looped = false;
    const s = await stack({
      send: (m, nbls, port, flags) => {
        if (!looped) {
          looped = true;
          let last = nbls;
          while (last.Next !== null) last = last.Next;
          last.Next = nbls; // the last NBL points back at the first
          NdisFSendNetBufferLists(m.handle, nbls, port, flags);
          last.Next = null;
        }
        NdisFSendNetBufferLists(m.handle, nbls, port, flags);
      },
    });
    const tx = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 3, s.binding);
    NdisSendNetBufferLists(s.binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), ["NdisFSendNetBufferLists_InvalidChain"]);
    // The refused pass left no trace: the second send went down and every NBL came back once.
    assert.deepEqual(s.miniport.sent, tx);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      tx,
    );
  });

  test("a miniport that changed a SourceHandle is reported, and the completion still goes up", async () => {
    const s = await stack(
      {},
      {
        send: (a, nbls) => {
          const second = nbls.Next as NET_BUFFER_LIST;
          second.SourceHandle = a.handle; // not the protocol's any more
          NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
        },
      },
    );
    const tx = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), ["NetBufferList_SourceHandle"]);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      tx,
    );
  });

  test("one chain of a protocol's NBLs and the module's own completes to each its sender", async () => {
    let own: NET_BUFFER_LIST[] = [];
    const ownDone: NET_BUFFER_LIST[] = [];
    const s = await stack({
      send: (m, nbls, port, flags) => {
        // The module adds two NBLs of its own (SourceHandle = its filter handle) after the chain.
        own = allocateNbls(nblPool(m.handle), 2, m.handle);
        let last = nbls;
        while (last.Next !== null) last = last.Next;
        last.Next = own[0] as NET_BUFFER_LIST;
        NdisFSendNetBufferLists(m.handle, nbls, port, flags);
      },
      sendComplete: (m, nbls, flags) => {
        // Its own come back to it; the protocol's go on up.
        const up: NET_BUFFER_LIST[] = [];
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next)
          (own.includes(n) ? ownDone : up).push(n);
        if (up.length > 0) NdisFSendNetBufferListsComplete(m.handle, link(up), flags);
      },
    });
    const tx = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), []);
    assert.deepEqual(s.miniport.sent, [...tx, ...own]);
    assert.deepEqual(ownDone, own);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      tx,
    );
    // Nothing is held anywhere: the module can pause without a violation.
    await s.host.detachFilter("flt", "eth0");
    assert.deepEqual(rules(s.host), []);
  });

  test("a miniport completing in pieces and twice: the second completion is refused", async () => {
    const s = await stack(
      {},
      {
        send: (a, nbls) => {
          const second = nbls.Next as NET_BUFFER_LIST;
          nbls.Next = null;
          NdisMSendNetBufferListsComplete(a.handle, second, 0);
          NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
          NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
        },
      },
    );
    const tx = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), ["NdisMSendNetBufferListsComplete_NotOwned"]);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      [tx[1], tx[0]],
    );
  });

  test("a module completing a chain whose second NBL it completed already: the first goes up, the second is refused", async () => {
    // The module's completion crossing resolves the edge above from the first NBL before its loop;
    // an NBL further on that the module no longer holds must still send the chain the general way.
    const s = await stack({
      sendComplete: (m, nbls, flags) => {
        const first = nbls;
        const second = first.Next as NET_BUFFER_LIST;
        first.Next = null;
        NdisFSendNetBufferListsComplete(m.handle, second, flags);
        first.Next = second;
        NdisFSendNetBufferListsComplete(m.handle, first, flags);
      },
    });
    const tx = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), ["NdisFSendNetBufferListsComplete_NotOwned"]);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      [tx[1], tx[0]],
      "each completed to the protocol once",
    );
  });

  test("a module returning a chain whose second NBL it returned already: the first goes down, the second is refused", async () => {
    // As for completions: the return crossing finds the edge below from the first NBL before its
    // loop, and an NBL further on that the module no longer holds sends the chain the general way.
    const s = await stack({
      returnNbls: (m, nbls, flags) => {
        const first = nbls;
        const second = first.Next as NET_BUFFER_LIST;
        first.Next = null;
        NdisFReturnNetBufferLists(m.handle, second, flags);
        first.Next = second;
        NdisFReturnNetBufferLists(m.handle, first, flags);
      },
    });
    const rx = allocateNbls(nblPool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, rx[0] as NET_BUFFER_LIST, 0, 2, 0);
    assert.deepEqual(rules(s.host), ["NdisFReturnNetBufferLists_NotIndicated"]);
    assert.deepEqual(s.miniport.returned, [rx[1], rx[0]], "each returned to the miniport once");
  });

  test("an indication goes up through the module; a module's wrong count is refused whole", async () => {
    const s = await stack();
    const rx = allocateNbls(nblPool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, rx[0] as NET_BUFFER_LIST, 0, 2, 0);
    assert.deepEqual(s.proto.received, rx);
    assert.deepEqual(s.miniport.returned, rx);
    assert.deepEqual(rules(s.host), []);
    // A count that does not match the chain is refused whole by the module's crossing too.
    const m = s.module();
    const own = allocateNbls(nblPool(m.handle), 2, m.handle);
    NdisFIndicateReceiveNetBufferLists(m.handle, own[0] as NET_BUFFER_LIST, 0, 3, 0);
    assert.deepEqual(rules(s.host), ["NdisFIndicateReceiveNetBufferLists_InvalidChain"]);
    assert.equal(s.proto.received.length, 2, "nothing more was indicated");
  });
});
