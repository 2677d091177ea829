/**
 * Derived NET_BUFFER_LISTs, as learn.microsoft.com documents them: "Derived NET_BUFFER_LIST
 * Structures" (clone, fragment and reassembled NBLs describe the original data, never a copy),
 * the NdisAllocateCloneNetBufferList page (NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS; no context area),
 * the NdisAllocateFragmentNetBufferList and NdisAllocateReassembledNetBufferList pages, and
 * "Relationships Between NET_BUFFER_LIST Generations" (NDIS leaves ParentNetBufferList NULL and
 * ChildRefCount 0 for the caller to keep; the parent is freed only after all its children).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type MDL,
  NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
  NDIS_STATUS_SUCCESS,
  NdisAllocateCloneNetBufferList,
  NdisAllocateFragmentNetBufferList,
  NdisAllocateMdl,
  NdisAllocateNetBuffer,
  NdisAllocateNetBufferPool,
  NdisAllocateReassembledNetBufferList,
  NdisFreeCloneNetBufferList,
  NdisFreeFragmentNetBufferList,
  NdisFreeNetBufferList,
  NdisFreeReassembledNetBufferList,
  NdisHost,
  NdisMSendNetBufferListsComplete,
  NdisSendNetBufferLists,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_POOL_PARAMETERS_REVISION_1,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** The used data of an NB, read through its MDLs. */
function bytesOf(nb: NET_BUFFER): number[] {
  const out: number[] = [];
  let offset = nb.CurrentMdlOffset;
  for (let m: MDL | null = nb.CurrentMdl; m !== null && out.length < nb.DataLength; m = m.Next) {
    for (let i = offset; i < m.ByteCount && out.length < nb.DataLength; i++)
      out.push(m.MappedSystemVa[i] as number);
    offset = 0;
  }
  return out;
}

function nbsOf(nbl: NET_BUFFER_LIST): NET_BUFFER[] {
  const list: NET_BUFFER[] = [];
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) list.push(nb);
  return list;
}

async function rig(verifier: "strict" | "record" = "record") {
  const host = new NdisHost({ verifier });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  const proto = scriptedProtocol({ name: "tcpip" });
  await host.loadDriver({ name: "tcpip", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const handle = proto.protocolHandle() as NDIS_HANDLE;
  const pool = nblPool(handle, 0, 100);
  const bare = nblPool(handle, 0, 0);
  const nbPool = NdisAllocateNetBufferPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
    },
    PoolTag: 0x41414141,
    DataSize: 0,
  }) as NDIS_HANDLE;
  const [original] = allocateNbls(pool, 1, null as unknown as NDIS_HANDLE) as [NET_BUFFER_LIST];
  const data = (original.FirstNetBuffer as NET_BUFFER).MdlChain?.MappedSystemVa as Uint8Array;
  for (let i = 0; i < data.length; i++) data[i] = i;
  return { host, mp, proto, handle, pool, bare, nbPool, original, data };
}

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("derived NET_BUFFER_LISTs", () => {
  test("a clone describes the original's used data without copying it; NDIS sets no parent pointer", async () => {
    const { host, bare, original, data } = await rig();
    const nb = original.FirstNetBuffer as NET_BUFFER;
    nb.DataOffset = 4; // used data starts 4 bytes in
    nb.DataLength = 96;
    nb.CurrentMdlOffset = 4;
    const clone = NdisAllocateCloneNetBufferList(original, bare, null, 0) as NET_BUFFER_LIST;
    assert.ok(clone !== null);
    assert.equal(clone.ParentNetBufferList, null);
    assert.equal(clone.ChildRefCount, 0);
    assert.equal(clone.Context, null);
    const [copy] = nbsOf(clone) as [NET_BUFFER];
    assert.notEqual(copy.MdlChain, nb.MdlChain, "new MDLs by default");
    assert.equal(copy.DataLength, 96);
    assert.deepEqual(bytesOf(copy), range(4, 100));
    data[10] = 0xee; // the same memory: a write to the original shows in the clone
    assert.equal(bytesOf(copy)[6], 0xee);
    const same = NdisAllocateCloneNetBufferList(
      original,
      bare,
      null,
      NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
    ) as NET_BUFFER_LIST;
    assert.equal(same.FirstNetBuffer?.MdlChain, nb.MdlChain);
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeCloneNetBufferList(same, 0);
    NdisFreeNetBufferList(original);
    assert.deepEqual(rules(host), []);
  });

  test("a fragment NBL cuts each NB from StartOffset into pieces of at most MaximumLength, with DataOffsetDelta room before each", async () => {
    const { host, bare, original } = await rig();
    const fragments = NdisAllocateFragmentNetBufferList(
      original,
      bare,
      null,
      10,
      40,
      14,
      0,
      0,
    ) as NET_BUFFER_LIST;
    const pieces = nbsOf(fragments);
    assert.deepEqual(
      pieces.map((p) => p.DataLength),
      [54, 54, 24],
    );
    assert.deepEqual(bytesOf(pieces[0] as NET_BUFFER).slice(14), range(10, 50));
    assert.deepEqual(bytesOf(pieces[2] as NET_BUFFER).slice(14), range(90, 100));
    NdisFreeFragmentNetBufferList(fragments, 14, 0);
    NdisFreeNetBufferList(original);
    assert.deepEqual(rules(host), []);
  });

  test("a reassembled NBL has one NB over every source NB's data, each from StartOffset", async () => {
    const { host, handle, bare, pool, nbPool } = await rig();
    const [parent] = allocateNbls(bare, 1, null as unknown as NDIS_HANDLE) as [NET_BUFFER_LIST];
    const buffers = [
      Uint8Array.of(9, 9, 1, 2, 3),
      Uint8Array.of(9, 9, 4, 5),
      Uint8Array.of(9, 9, 6),
    ];
    let last: NET_BUFFER | null = null;
    for (const buffer of buffers) {
      const mdl = NdisAllocateMdl(handle, buffer, buffer.length) as MDL;
      const nb = NdisAllocateNetBuffer(nbPool, mdl, 0, buffer.length) as NET_BUFFER;
      if (last === null) parent.FirstNetBuffer = nb;
      else last.Next = nb;
      last = nb;
    }
    const whole = NdisAllocateReassembledNetBufferList(parent, pool, 2, 0, 0, 0) as NET_BUFFER_LIST;
    const nbs = nbsOf(whole);
    assert.equal(nbs.length, 1);
    assert.deepEqual(bytesOf(nbs[0] as NET_BUFFER), [1, 2, 3, 4, 5, 6]);
    NdisFreeReassembledNetBufferList(whole, 0, 0);
    assert.deepEqual(rules(host), []);
  });

  test("the parent is not freed while a child lives; each derived kind has its own free", async () => {
    const { host, bare, original } = await rig();
    const clone = NdisAllocateCloneNetBufferList(original, bare, null, 0) as NET_BUFFER_LIST;
    NdisFreeNetBufferList(original);
    assert.deepEqual(rules(host), ["NetBufferList_ParentWithLiveChildren"]);
    NdisFreeNetBufferList(clone);
    NdisFreeFragmentNetBufferList(clone, 0, 0);
    assert.deepEqual(rules(host).slice(1), [
      "NetBufferList_DerivedFreeMismatch",
      "NetBufferList_DerivedFreeMismatch",
    ]);
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeNetBufferList(original); // now it may go
    NdisFreeCloneNetBufferList(original, 0); // not a clone (and freed)
    assert.equal(rules(host).length, 4);
  });

  test("a send completed while a clone of it lives is reported; the NBL still comes back once", async () => {
    const host = new NdisHost({ verifier: "record" });
    let clone: NET_BUFFER_LIST | null = null;
    let clonePool: NDIS_HANDLE | null = null;
    const mp = scriptedMiniport({
      send: (a, nbls) => {
        clonePool ??= nblPool(a.handle, 0, 0);
        clone = NdisAllocateCloneNetBufferList(nbls, clonePool, null, 0);
        NdisMSendNetBufferListsComplete(a.handle, nbls, 0); // too early: the clone lives
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    const proto = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "tcpip", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
    const [nbl] = allocateNbls(nblPool(proto.protocolHandle() as NDIS_HANDLE), 1, binding);
    NdisSendNetBufferLists(binding, nbl as NET_BUFFER_LIST, 0, 0);
    assert.ok(clone !== null);
    assert.deepEqual(
      host.violations.map((v) => [v.rule, v.driver]),
      [["NetBufferList_ParentWithLiveChildren", "mp"]],
    );
    assert.deepEqual(
      proto.completed.map((c) => [c.nbl, c.status]),
      [[nbl, NDIS_STATUS_SUCCESS]],
    );
  });
});
