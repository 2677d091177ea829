/**
 * The data path between a protocol and a miniport (contract §4.9, §4.10, §5.2): sends and their
 * completions, receive indications and their returns, ownership, pause, and the bad input NDIS
 * must refuse without losing or doubling an NBL.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisHost,
  type NdisHostOptions,
  NdisMIndicateReceiveNetBufferLists,
  NdisMSendNetBufferListsComplete,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
} from "../../src/index.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls as chain, link, nblPool as pool } from "../helpers/nbl.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

/** mp (miniport) and proto (protocol) with eth0 bound and Running. */
async function stack(
  opts: { mp?: Script; proto?: ProtocolScript; host?: NdisHostOptions; protocols?: number } = {},
) {
  const host = new NdisHost(opts.host ?? { verifier: "record" });
  const mp = scriptedMiniport(opts.mp);
  await host.loadDriver({ name: "mp", module: mp.module });
  const protos = [];
  for (let i = 0; i < (opts.protocols ?? 1); i++) {
    const name = i === 0 ? "proto" : `proto${i}`;
    const p = scriptedProtocol({ ...opts.proto, name });
    await host.loadDriver({ name, module: p.module });
    protos.push(p);
  }
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const proto = protos[0] as ReturnType<typeof scriptedProtocol>;
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
  return { host, mp, proto, protos, binding, adapter };
}

describe("send and complete", () => {
  test("a chain goes down to the miniport and comes back to the sender, each NBL once", async () => {
    const s = await stack();
    const sendPool = pool(s.proto.protocolHandle() as NDIS_HANDLE);
    const nbls = chain(sendPool, 3, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(s.mp.sent, nbls);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      nbls,
    );
    assert.ok(s.proto.completed.every((c) => c.status === NDIS_STATUS_SUCCESS));
    assert.ok(nbls.every((n) => n.SourceHandle === s.binding));
    // The NBLs are the protocol's again: it can free them, and so can its pool.
    for (const n of nbls) NdisFreeNetBufferList(n);
    assert.deepEqual(rules(s.host), []);
  });

  test("a miniport may complete later, in any grouping; each binding gets its own NBLs", async () => {
    let held: NET_BUFFER_LIST[] = [];
    const s = await stack({
      mp: {
        send: (_a, nbls) => {
          for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) held.push(n);
        },
      },
    });
    const nbls = chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 4, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(s.proto.completed.length, 0, "nothing completes before the miniport says so");
    const [a, b, c, d] = held as [
      NET_BUFFER_LIST,
      NET_BUFFER_LIST,
      NET_BUFFER_LIST,
      NET_BUFFER_LIST,
    ];
    held = [];
    NdisMSendNetBufferListsComplete(s.adapter, link([d, b]), 0);
    NdisMSendNetBufferListsComplete(s.adapter, link([c, a]), 0);
    assert.deepEqual(
      s.proto.completed.map((x) => nbls.indexOf(x.nbl)),
      [3, 1, 2, 0],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("completing twice, or completing what was never sent, is refused by name", async () => {
    const s = await stack();
    const nbls = chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(s.proto.completed.length, 2);
    NdisMSendNetBufferListsComplete(s.adapter, link(nbls), 0);
    assert.equal(s.proto.completed.length, 2, "the protocol never sees a second completion");
    assert.deepEqual(rules(s.host), [
      "NdisMSendNetBufferListsComplete_NotOwned",
      "NdisMSendNetBufferListsComplete_NotOwned",
    ]);
  });

  test("a cyclic chain or an NBL already in flight is refused whole; the sender keeps them", async () => {
    let held: NET_BUFFER_LIST | null = null;
    const s = await stack({
      mp: {
        send: (_a, nbls) => {
          held = nbls;
        },
      },
    });
    const p = pool(s.proto.protocolHandle() as NDIS_HANDLE);
    const [x, y] = chain(p, 2, s.binding) as [NET_BUFFER_LIST, NET_BUFFER_LIST];
    y.Next = x; // x → y → x …
    NdisSendNetBufferLists(s.binding, x, 0, 0);
    assert.equal(s.mp.sent.length, 0);
    y.Next = null;
    NdisSendNetBufferLists(s.binding, x, 0, 0);
    assert.equal(s.mp.sent.length, 2);
    // x is with the miniport now; sending it again is refused and does not disturb the first send.
    const z = chain(p, 1, s.binding)[0] as NET_BUFFER_LIST;
    z.Next = x;
    NdisSendNetBufferLists(s.binding, z, 0, 0);
    assert.equal(s.mp.sent.length, 2);
    NdisSendNetBufferLists(s.binding, null as unknown as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(rules(s.host), [
      "NdisSendNetBufferLists_InvalidChain",
      "NdisSendNetBufferLists_InvalidChain",
      "NdisSendNetBufferLists_InvalidChain",
    ]);
    assert.match(s.host.violations[0]?.message ?? "", /loops back/);
    assert.match(s.host.violations[1]?.message ?? "", /NBL #1 is held by mp, not by proto/);
    NdisMSendNetBufferListsComplete(s.adapter, held as unknown as NET_BUFFER_LIST, 0);
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      [x, y],
    );
    z.Next = null;
    NdisFreeNetBufferList(z);
    assert.equal(rules(s.host).length, 3);
  });

  test("a wrong SourceHandle is named; the send still goes through", async () => {
    const s = await stack();
    const nbls = chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.adapter);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    // The sender is named; the miniport that completes it with the SourceHandle unchanged is not.
    assert.deepEqual(
      s.host.violations.map((v) => [v.rule, v.driver]),
      [["NetBufferList_SourceHandle", "proto"]],
    );
    assert.equal(s.proto.completed.length, 1);
  });

  test("sends on a paused stack come back at once with NDIS_STATUS_PAUSED", async () => {
    const s = await stack();
    await s.host.pauseStack("eth0");
    const nbls = chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(s.mp.sent.length, 0, "the miniport never sees them");
    assert.deepEqual(
      s.proto.completed.map((c) => c.status),
      [NDIS_STATUS_PAUSED, NDIS_STATUS_PAUSED],
    );
    await s.host.restartStack("eth0");
    NdisSendNetBufferLists(s.binding, link(nbls), 0, 0);
    assert.equal(s.mp.sent.length, 2);
    assert.deepEqual(rules(s.host), []);
  });

  test("a pause that completes with sends outstanding is named at both layers", async () => {
    const s = await stack({ mp: { send: () => undefined } });
    NdisSendNetBufferLists(
      s.binding,
      chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding)[0] as NET_BUFFER_LIST,
      0,
      0,
    );
    await s.host.pauseStack("eth0");
    assert.deepEqual(rules(s.host), [
      "ProtocolPause_SendsOutstanding",
      "MiniportPause_NblsOutstanding",
    ]);
  });
});

describe("receive and return", () => {
  test("an indication reaches the protocol; its return reaches the miniport", async () => {
    const s = await stack();
    const nbls = chain(pool(s.adapter), 3, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbls[0] as NET_BUFFER_LIST, 0, 3, 0);
    assert.deepEqual(s.proto.received, nbls);
    assert.deepEqual(s.mp.returned, nbls);
    for (const n of nbls) NdisFreeNetBufferList(n);
    assert.deepEqual(rules(s.host), []);
  });

  test("a protocol may keep NBLs and return them later, in any grouping", async () => {
    const kept: NET_BUFFER_LIST[] = [];
    const s = await stack({
      proto: {
        receive: (_b, nbls) => {
          for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) kept.push(n);
        },
      },
    });
    const nbls = chain(pool(s.adapter), 3, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbls[0] as NET_BUFFER_LIST, 0, 3, 0);
    assert.equal(s.mp.returned.length, 0);
    NdisReturnNetBufferLists(s.binding, link([kept[2], kept[0]] as NET_BUFFER_LIST[]), 0);
    NdisReturnNetBufferLists(s.binding, link([kept[1]] as NET_BUFFER_LIST[]), 0);
    assert.deepEqual(
      s.mp.returned.map((n) => nbls.indexOf(n)),
      [2, 0, 1],
    );
    // Returning again, or returning what was never indicated, is refused by name.
    NdisReturnNetBufferLists(s.binding, link([kept[1]] as NET_BUFFER_LIST[]), 0);
    assert.equal(s.mp.returned.length, 3);
    assert.deepEqual(rules(s.host), ["NdisReturnNetBufferLists_NotIndicated"]);
  });

  test("with NDIS_RECEIVE_FLAGS_RESOURCES the NBLs are the miniport's when the call returns", async () => {
    let seen: NET_BUFFER_LIST | null = null;
    const s = await stack({
      proto: {
        receive: (_b, nbls) => {
          seen = nbls;
        },
      },
    });
    const nbls = chain(pool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(
      s.adapter,
      nbls[0] as NET_BUFFER_LIST,
      0,
      2,
      NDIS_RECEIVE_FLAGS_RESOURCES,
    );
    assert.equal(s.proto.received.length, 2);
    assert.equal(s.mp.returned.length, 0, "no MiniportReturnNetBufferLists under RESOURCES");
    // The protocol may not return (or keep) them; the miniport may reuse them at once.
    NdisReturnNetBufferLists(s.binding, seen as unknown as NET_BUFFER_LIST, 0);
    assert.deepEqual(rules(s.host), [
      "NdisReturnNetBufferLists_NotIndicated",
      "NdisReturnNetBufferLists_NotIndicated",
    ]);
    NdisMIndicateReceiveNetBufferLists(s.adapter, link(nbls), 0, 2, 0);
    assert.equal(s.mp.returned.length, 0, "without RESOURCES the protocol keeps them…");
    NdisReturnNetBufferLists(s.binding, seen as unknown as NET_BUFFER_LIST, 0);
    assert.deepEqual(s.mp.returned, nbls, "…until it returns them");
    assert.equal(rules(s.host).length, 2);
  });

  test("two protocols: both receive; the miniport has the NBL back after the last return", async () => {
    const kept: NET_BUFFER_LIST[] = [];
    const s = await stack({
      protocols: 2,
      proto: {
        receive: (_b, nbls) => {
          kept.push(nbls);
        },
      },
    });
    const [nbl] = chain(pool(s.adapter), 1, s.adapter) as [NET_BUFFER_LIST];
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbl, 0, 1, 0);
    assert.deepEqual(kept, [nbl, nbl]);
    const second = s.protos[1]?.bindings[0]?.handle as NDIS_HANDLE;
    NdisReturnNetBufferLists(s.binding, nbl, 0);
    assert.equal(s.mp.returned.length, 0, "proto1 still holds it");
    NdisReturnNetBufferLists(s.binding, nbl, 0);
    assert.deepEqual(rules(s.host), ["NdisReturnNetBufferLists_NotIndicated"]);
    NdisReturnNetBufferLists(second, nbl, 0);
    assert.deepEqual(s.mp.returned, [nbl]);
  });

  test("indications with a bad count, of NBLs not held, or on a paused adapter are refused", async () => {
    const s = await stack();
    const p = pool(s.adapter);
    const nbls = chain(p, 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbls[0] as NET_BUFFER_LIST, 0, 3, 0);
    const foreign = chain(pool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, foreign[0] as NET_BUFFER_LIST, 0, 1, 0);
    await s.host.pauseStack("eth0");
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbls[0] as NET_BUFFER_LIST, 0, 2, 0);
    assert.deepEqual(rules(s.host), [
      "NdisMIndicateReceiveNetBufferLists_InvalidChain",
      "NdisMIndicateReceiveNetBufferLists_InvalidChain",
      "NdisMIndicateReceiveNetBufferLists_NotRunning",
    ]);
    assert.equal(s.proto.received.length, 0);
  });

  test("a pause that completes while the protocol holds indicated NBLs is named", async () => {
    const s = await stack({ proto: { receive: () => undefined } });
    NdisMIndicateReceiveNetBufferLists(
      s.adapter,
      chain(pool(s.adapter), 1, s.adapter)[0] as NET_BUFFER_LIST,
      0,
      1,
      0,
    );
    await s.host.pauseStack("eth0");
    assert.deepEqual(rules(s.host), ["MiniportPause_NblsOutstanding"]);
  });
});

describe("a driver stopped by the verifier gives back what it holds", () => {
  test("sends a stopped miniport held complete to the sender with NDIS_STATUS_SEND_ABORTED", async () => {
    let sends = 0;
    const s = await stack({
      host: { verifier: "strict" },
      mp: {
        send: () => {
          sends++;
          if (sends === 2) throw new Error("miniport bug");
        },
      },
    });
    const p = pool(s.proto.protocolHandle() as NDIS_HANDLE);
    const first = chain(p, 2, s.binding);
    const second = chain(p, 1, s.binding);
    NdisSendNetBufferLists(s.binding, first[0] as NET_BUFFER_LIST, 0, 0);
    NdisSendNetBufferLists(s.binding, second[0] as NET_BUFFER_LIST, 0, 0);
    await s.host.settle();
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => [v.driver, v.rule]),
      [["mp", "DriverException"]],
    );
    const completed = s.proto.completed;
    assert.equal(completed.length, 3, "each NBL comes back exactly once");
    assert.equal(new Set(completed.map((c) => c.nbl)).size, 3);
    assert.ok(completed.every((c) => c.status === NDIS_STATUS_SEND_ABORTED));
  });

  test("indications a stopped protocol held go back to the miniport", async () => {
    let receives = 0;
    const s = await stack({
      host: { verifier: "strict" },
      proto: {
        receive: () => {
          receives++;
          if (receives === 2) throw new Error("protocol bug");
        },
      },
    });
    const p = pool(s.adapter);
    const first = chain(p, 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, first[0] as NET_BUFFER_LIST, 0, 2, 0);
    const second = chain(p, 1, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, second[0] as NET_BUFFER_LIST, 0, 1, 0);
    await s.host.settle();
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => v.driver),
      ["proto"],
    );
    assert.equal(s.mp.returned.length, 3);
    assert.equal(new Set(s.mp.returned).size, 3);
  });
});
