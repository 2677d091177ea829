/**
 * NET_BUFFER_LIST / NET_BUFFER / MDL (contract §5): pools, allocation and free, the context area,
 * retreat and advance, NdisGetDataBuffer, and the bad input NDIS must refuse by name.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type MDL,
  MEMORY_ALLOCATION_ALIGNMENT,
  NDIS_GET_NET_BUFFER_LIST_CANCEL_ID,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAdvanceNetBufferDataStart,
  NdisAdvanceNetBufferListDataStart,
  NdisAllocateMdl,
  NdisAllocateNetBuffer,
  NdisAllocateNetBufferAndNetBufferList,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListContext,
  NdisAllocateNetBufferListPool,
  NdisAllocateNetBufferMdlAndData,
  NdisAllocateNetBufferPool,
  NdisDeregisterProtocolDriver,
  NdisFreeMdl,
  NdisFreeNetBuffer,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListContext,
  NdisFreeNetBufferListPool,
  NdisFreeNetBufferPool,
  NdisGetDataBuffer,
  NdisGetPoolFromNetBuffer,
  NdisGetPoolFromNetBufferList,
  NdisHost,
  NdisRegisterProtocolDriver,
  NdisRetreatNetBufferDataStart,
  NdisRetreatNetBufferListDataStart,
  type NET_BUFFER,
  NET_BUFFER_DATA_LENGTH,
  NET_BUFFER_DATA_OFFSET,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT_DATA_SIZE,
  NET_BUFFER_LIST_CONTEXT_DATA_START,
  NET_BUFFER_LIST_FIRST_NB,
  NET_BUFFER_LIST_POOL_FLAG_VERIFY,
  type NET_BUFFER_LIST_POOL_PARAMETERS,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_BUFFER_POOL_PARAMETERS_REVISION_1,
  type Out,
} from "../../src/index.js";
import { driverModule, protocolChars, registerProtocol } from "../helpers/drivers.js";

const FC_RUNS = Number(process.env.FC_RUNS ?? 100);

function nblPoolParams(
  overrides: Partial<Record<keyof NET_BUFFER_LIST_POOL_PARAMETERS, unknown>> = {},
): NET_BUFFER_LIST_POOL_PARAMETERS {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag: 0x74736574, // 'test'
    DataSize: 0,
    ...overrides,
  } as NET_BUFFER_LIST_POOL_PARAMETERS;
}

function nbPoolParams(DataSize = 0) {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
    },
    PoolTag: 0x62626e6e,
    DataSize,
  };
}

interface Fixture {
  readonly host: NdisHost;
  /** A protocol driver handle: what a protocol allocates its pools with. */
  readonly handle: NDIS_HANDLE;
}

async function fixture(): Promise<Fixture> {
  const { host, handle, status } = await registerProtocol(protocolChars());
  assert.equal(status, NDIS_STATUS_SUCCESS);
  assert.ok(handle !== undefined);
  return { host, handle };
}

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

/** The used data of an NB, gathered across its MDLs. */
function usedBytes(nb: NET_BUFFER): number[] {
  const out: number[] = [];
  let mdl: MDL | null = nb.CurrentMdl;
  let offset = nb.CurrentMdlOffset;
  while (out.length < nb.DataLength && mdl !== null) {
    for (let i = offset; i < mdl.ByteCount && out.length < nb.DataLength; i++) {
      out.push(mdl.MappedSystemVa[i] as number);
    }
    mdl = mdl.Next;
    offset = 0;
  }
  return out;
}

/** Writes `value` over the first `count` bytes of used data, across MDLs. */
function fillUsed(nb: NET_BUFFER, count: number, value: number): void {
  let mdl: MDL | null = nb.CurrentMdl;
  let offset = nb.CurrentMdlOffset;
  let left = count;
  while (left > 0 && mdl !== null) {
    for (let i = offset; i < mdl.ByteCount && left > 0; i++, left--) mdl.MappedSystemVa[i] = value;
    mdl = mdl.Next;
    offset = 0;
  }
  assert.equal(left, 0, "the used data holds the retreated bytes");
}

/** The first cell of the NBL's top context allocation. */
function topCell(nbl: NET_BUFFER_LIST): unknown {
  const context = nbl.Context;
  assert.ok(context !== null);
  return context.ContextData[NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)];
}

function setTopCell(nbl: NET_BUFFER_LIST, value: unknown): void {
  const context = nbl.Context;
  assert.ok(context !== null);
  context.ContextData[NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)] = value;
}

function mdlOver(f: Fixture, bytes: number[]): MDL {
  const mdl = NdisAllocateMdl(f.handle, Uint8Array.from(bytes), bytes.length);
  assert.ok(mdl !== null);
  return mdl;
}

describe("NET_BUFFER_LIST pools", () => {
  test("an NBL pool with fAllocateNetBuffer and DataSize gives NBL + NB + MDL + data", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 128 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    const nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert.ok(nb !== null);
    assert.equal(NET_BUFFER_DATA_LENGTH(nb), 128);
    assert.equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert.equal(nb.MdlChain?.ByteCount, 128);
    assert.equal(nb.CurrentMdl, nb.MdlChain);
    assert.equal(nbl.NdisPoolHandle, pool);
    assert.equal(NdisGetPoolFromNetBufferList(nbl), pool);
    assert.equal(NdisGetPoolFromNetBuffer(nb), pool);
    assert.equal(nbl.SourceHandle, null);
    assert.equal(nbl.Next, null);
    assert.ok(
      f.host.liveObjects().some((o) => o.kind === "pool" && o.name.includes("'test'")),
      "the pool is a live object, named by its tag",
    );
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    assert.deepEqual(rules(f.host), []);
    assert.ok(!f.host.liveObjects().some((o) => o.kind === "pool"));
  });

  test("a freed NBL is recycled clean: fields, info and reserved areas are reset", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 64 }));
    assert.ok(pool !== null);
    const first = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(first !== null);
    first.ProtocolReserved[0] = "mine";
    first.Status = NDIS_STATUS_FAILURE;
    first.Flags = 0x3;
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(first, 7);
    const nb = first.FirstNetBuffer as NET_BUFFER;
    NdisAdvanceNetBufferDataStart(nb, 14, false, null);
    NdisFreeNetBufferList(first);
    const again = NdisAllocateNetBufferList(pool, 0, 0);
    assert.equal(again, first, "the pool reuses freed NBLs (no allocation in steady state)");
    assert.ok(again !== null);
    assert.equal(again.ProtocolReserved[0], null);
    assert.equal(again.Status, NDIS_STATUS_SUCCESS);
    assert.equal(again.Flags, 0);
    assert.equal(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(again), null);
    assert.equal(again.FirstNetBuffer?.DataOffset, 0);
    assert.equal(again.FirstNetBuffer?.DataLength, 64);
  });

  test("a VERIFY pool poisons freed NBLs instead of reusing them", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(
      f.handle,
      nblPoolParams({ DataSize: 64, Flags: NET_BUFFER_LIST_POOL_FLAG_VERIFY }),
    );
    assert.ok(pool !== null);
    const first = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(first !== null);
    NdisFreeNetBufferList(first);
    assert.equal(first.FirstNetBuffer, null, "a stale pointer finds nothing");
    const again = NdisAllocateNetBufferList(pool, 0, 0);
    assert.notEqual(again, first);
    // Using the stale NBL is reported by name.
    NdisFreeNetBufferList(first);
    assert.deepEqual(rules(f.host), ["NetBufferList_Invalid"]);
  });

  test("NdisAllocateNetBufferAndNetBufferList puts one NB over the caller's MDLs", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams());
    assert.ok(pool !== null);
    const a = mdlOver(f, [1, 2, 3, 4]);
    const b = mdlOver(f, [5, 6, 7, 8, 9]);
    a.Next = b;
    const nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, a, 2, 6);
    assert.ok(nbl !== null);
    const nb = nbl.FirstNetBuffer as NET_BUFFER;
    assert.deepEqual(usedBytes(nb), [3, 4, 5, 6, 7, 8]);
    assert.equal(nb.CurrentMdl, a);
    assert.equal(nb.CurrentMdlOffset, 2);
    // Past the end of the chain: refused by name, nothing allocated.
    assert.equal(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, a, 4, 6), null);
    assert.deepEqual(rules(f.host), ["NetBufferList_BadArgument"]);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    assert.equal(rules(f.host).length, 1, "the pool had nothing else outstanding");
  });

  test("NET_BUFFER pools: NdisAllocateNetBuffer and NdisAllocateNetBufferMdlAndData", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferPool(f.handle, nbPoolParams(256));
    assert.ok(pool !== null);
    const nb = NdisAllocateNetBufferMdlAndData(pool);
    assert.ok(nb !== null);
    assert.equal(nb.DataLength, 256);
    const mdl = mdlOver(f, [9, 8, 7]);
    const nb2 = NdisAllocateNetBuffer(pool, mdl, 1, 2);
    assert.ok(nb2 !== null);
    assert.deepEqual(usedBytes(nb2), [8, 7]);
    NdisFreeNetBuffer(nb);
    NdisFreeNetBuffer(nb2);
    NdisFreeMdl(mdl);
    NdisFreeNetBufferPool(pool);
    assert.deepEqual(rules(f.host), []);
  });

  const badPools: [string, Partial<Record<keyof NET_BUFFER_LIST_POOL_PARAMETERS, unknown>>][] = [
    ["a wrong Header.Type", { Header: { Type: 0x81, Revision: 1, Size: 16 } }],
    ["a Header.Revision of 2", { Header: { Type: 0x80, Revision: 2, Size: 16 } }],
    ["a short Header.Size", { Header: { Type: 0x80, Revision: 1, Size: 15 } }],
    ["a ContextSize that is not a multiple of 16", { ContextSize: 24 }],
    ["DataSize without fAllocateNetBuffer", { DataSize: 64, fAllocateNetBuffer: false }],
    ["a ProtocolId that is not a UCHAR", { ProtocolId: 300 }],
    ["a negative DataSize", { DataSize: -1 }],
  ];
  for (const [name, overrides] of badPools) {
    test(`a pool with ${name} is refused (NULL, NetBufferList_BadArgument)`, async () => {
      const f = await fixture();
      assert.equal(NdisAllocateNetBufferListPool(f.handle, nblPoolParams(overrides)), null);
      assert.deepEqual(rules(f.host), ["NetBufferList_BadArgument"]);
      assert.ok(!f.host.liveObjects().some((o) => o.kind === "pool"));
    });
  }

  test("a pool on something that is not a miniport adapter or protocol handle is refused", async () => {
    const f = await fixture();
    assert.equal(NdisAllocateNetBufferListPool({} as NDIS_HANDLE, nblPoolParams()), null);
    assert.equal(
      NdisAllocateNetBufferListPool(null as unknown as NDIS_HANDLE, nblPoolParams()),
      null,
    );
    // Without a handle of a host, nobody can be told: the call just fails.
    assert.deepEqual(rules(f.host), []);
  });

  test("out of memory: NULL pool, NULL NBL, RESOURCES context, and nothing leaks", async () => {
    const f = await fixture();
    f.host.failAllocations("NdisAllocateNetBufferListPool");
    assert.equal(NdisAllocateNetBufferListPool(f.handle, nblPoolParams()), null);
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 32 }));
    assert.ok(pool !== null);
    f.host.failAllocations("NdisAllocateNetBufferList");
    assert.equal(NdisAllocateNetBufferList(pool, 0, 0), null);
    f.host.failAllocations("NdisAllocateNetBufferListContext");
    assert.equal(NdisAllocateNetBufferList(pool, 16, 0), null, "its context could not be had");
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    f.host.failAllocations("NdisAllocateNetBufferListContext");
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_RESOURCES);
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    assert.deepEqual(rules(f.host), [], "the failed allocations left nothing outstanding");
  });

  test("freeing a pool with NBLs outstanding is refused; the pool stays usable", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 32 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    NdisFreeNetBufferListPool(pool);
    assert.deepEqual(rules(f.host), ["NdisFreeNetBufferListPool_Outstanding"]);
    assert.match(f.host.violations[0]?.message ?? "", /1 NET_BUFFER_LIST allocated/);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    // A freed pool's handle is dead.
    assert.equal(NdisAllocateNetBufferList(pool, 0, 0), null);
    assert.deepEqual(rules(f.host), [
      "NdisFreeNetBufferListPool_Outstanding",
      "NetBufferList_Invalid",
    ]);
  });

  test("double free, foreign objects and pool-owned parts are named violations", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 32 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    NdisFreeNetBuffer(nbl.FirstNetBuffer as NET_BUFFER);
    NdisFreeMdl(nbl.FirstNetBuffer?.MdlChain as MDL);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(nbl);
    // An object NDIS never made, outside any driver: no NDIS to tell, and nothing happens.
    NdisFreeNetBufferList({ Next: null } as never);
    assert.deepEqual(rules(f.host), [
      "NetBuffer_FreedWithList",
      "NetBuffer_FreedWithList",
      "NetBufferList_Invalid",
    ]);
    NdisFreeNetBufferListPool(pool);
    assert.equal(rules(f.host).length, 3, "the NBL was freed exactly once; the pool is empty");
  });
});

/** A fixture and an NBL of a pool that reserves 32 bytes of context with each NBL. */
async function nblWithReservedContext(): Promise<{ f: Fixture; nbl: NET_BUFFER_LIST }> {
  const f = await fixture();
  const pool = NdisAllocateNetBufferListPool(
    f.handle,
    nblPoolParams({ DataSize: 32, ContextSize: 32 }),
  );
  assert.ok(pool !== null);
  const nbl = NdisAllocateNetBufferList(pool, 0, 0);
  assert.ok(nbl !== null);
  return { f, nbl };
}

describe("the context area", () => {
  test("allocations stack: each layer pushes, sees its own cells, and pops", async () => {
    const { f, nbl } = await nblWithReservedContext();
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0);
    const reserved = nbl.Context;

    // Layer 1 stashes a value in its 16 bytes; the pool's reserved block holds it.
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    assert.equal(nbl.Context, reserved);
    setTopCell(nbl, "layer 1");
    // Layer 2 too, then layer 3 needs a new block (32 reserved bytes are used up).
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    setTopCell(nbl, "layer 2");
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 32, 0), NDIS_STATUS_SUCCESS);
    assert.notEqual(nbl.Context, reserved);
    assert.equal(nbl.Context?.Size, 48, "ContextSize + ContextBackFill");
    setTopCell(nbl, "layer 3");

    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(nbl.Context, reserved, "the emptied block is given back");
    assert.equal(topCell(nbl), "layer 2");
    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(topCell(nbl), "layer 1");
    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0);
    assert.deepEqual(rules(f.host), []);

    // Freeing more than was allocated, or a size that is not aligned, is named.
    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 8, 0, 0), NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(f.host), [
      "NdisFreeNetBufferListContext_Mismatch",
      "NetBufferList_BadArgument",
    ]);
    assert.equal(MEMORY_ALLOCATION_ALIGNMENT, 16);
  });

  test("context still allocated when the NBL is freed is named against whoever allocated it", async () => {
    const { f, nbl } = await nblWithReservedContext();
    // The pool's reserved context and the NBL's own allocation are NDIS's to free: no report.
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 64, 0, 0), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferList(nbl);
    assert.deepEqual(rules(f.host), ["NetBufferListContext_Leaked"]);
    assert.match(
      f.host.violations[0]?.message ?? "",
      /NdisFreeNetBufferList: an NBL of .* still holds 2 context allocation\(s\) made with NdisAllocateNetBufferListContext/,
    );
    assert.equal(nbl.Context, null, "NDIS freed the context with the NBL");
  });

  test("a layer that stamps every NBL it forwards reuses its context block: no allocation in steady state", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 32 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    const block = nbl.Context;
    NdisFreeNetBufferListContext(nbl, 16);
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    assert.equal(nbl.Context, block, "the same block, again");
    assert.equal(nbl.Context?.Next, null);
    NdisFreeNetBufferListContext(nbl, 16);
    // Another size gets a block of its own.
    assert.equal(NdisAllocateNetBufferListContext(nbl, 32, 0, 0), NDIS_STATUS_SUCCESS);
    assert.notEqual(nbl.Context, block);
    assert.equal(nbl.Context?.Size, 32);
    NdisFreeNetBufferListContext(nbl, 32);
    assert.deepEqual(rules(f.host), []);
  });

  test("the context calls' fast path takes only what the checked path would: odd sizes and freed NBLs are named", async () => {
    const { f, nbl } = await nblWithReservedContext();
    const odd: unknown[] = ["16", 16.5, 0x10010, -16, Number.NaN, 0, 16n, null];
    for (const size of odd) {
      assert.equal(
        NdisAllocateNetBufferListContext(nbl, size as number, 0, 0),
        NDIS_STATUS_FAILURE,
        `size ${String(size)}`,
      );
    }
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 0, "nothing was allocated");
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_SUCCESS);
    for (const size of odd) NdisFreeNetBufferListContext(nbl, size as number);
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 16, "nothing was freed");
    NdisFreeNetBufferListContext(nbl, 16);
    NdisFreeNetBufferList(nbl);
    assert.equal(NdisAllocateNetBufferListContext(nbl, 16, 0, 0), NDIS_STATUS_FAILURE);
    NdisFreeNetBufferListContext(nbl, 16);
    const seen = rules(f.host);
    assert.equal(seen.filter((r) => r === "NetBufferList_BadArgument").length, odd.length);
    assert.equal(
      seen.filter((r) => r === "NdisFreeNetBufferListContext_Mismatch").length,
      odd.length,
    );
    assert.deepEqual(
      seen.filter((r) => r === "NetBufferList_Invalid"),
      ["NetBufferList_Invalid", "NetBufferList_Invalid"],
    );
  });

  test("context asked for at allocation is there, and is gone on the next allocation", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 32 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 32, 16);
    assert.ok(nbl !== null);
    assert.equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 32);
    setTopCell(nbl, "stale");
    NdisFreeNetBufferList(nbl);
    const again = NdisAllocateNetBufferList(pool, 0, 0);
    assert.equal(again, nbl);
    assert.equal(again?.Context, null, "no context left over from the last owner");
  });
});

describe("retreat and advance", () => {
  test("within the unused space: only DataOffset and DataLength move", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 64 }));
    assert.ok(pool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    const nb = nbl?.FirstNetBuffer as NET_BUFFER;
    const mdl = nb.MdlChain;
    NdisAdvanceNetBufferDataStart(nb, 14, false, null);
    assert.equal(nb.DataOffset, 14);
    assert.equal(nb.DataLength, 50);
    assert.equal(nb.CurrentMdlOffset, 14);
    assert.equal(NdisRetreatNetBufferDataStart(nb, 4, 0, null), NDIS_STATUS_SUCCESS);
    assert.equal(nb.DataOffset, 10);
    assert.equal(nb.DataLength, 54);
    assert.equal(nb.MdlChain, mdl, "no MDL was needed");
  });

  test("beyond it: a new MDL holds the whole retreat contiguously, and advance takes it back", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams());
    assert.ok(pool !== null);
    const a = mdlOver(f, [0, 0, 1, 2]);
    const b = mdlOver(f, [3, 4]);
    a.Next = b;
    const nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, a, 2, 4);
    const nb = nbl?.FirstNetBuffer as NET_BUFFER;
    assert.deepEqual(usedBytes(nb), [1, 2, 3, 4]);

    assert.equal(NdisRetreatNetBufferDataStart(nb, 6, 10, null), NDIS_STATUS_SUCCESS);
    assert.notEqual(nb.MdlChain, a);
    assert.equal(nb.MdlChain?.ByteCount, 16, "DataOffsetDelta + DataBackFill");
    assert.equal(nb.DataOffset, 10);
    assert.equal(nb.DataLength, 10);
    const header = NdisGetDataBuffer(nb, 6, null, 1, 0);
    assert.ok(header !== null, "the retreated bytes are contiguous");
    header.set([0xa, 0xb, 0xc, 0xd, 0xe, 0xf]);
    assert.deepEqual(usedBytes(nb), [0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3, 4]);

    NdisAdvanceNetBufferDataStart(nb, 6, true, null);
    assert.equal(nb.MdlChain, a, "the caller's chain is back");
    assert.equal(nb.DataOffset, 2);
    assert.equal(nb.DataLength, 4);
    assert.equal(nb.CurrentMdl, a);
    assert.deepEqual(usedBytes(nb), [1, 2, 3, 4]);
  });

  test("a driver's NetAllocateMdl and NetFreeMdl are used when given", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams());
    assert.ok(pool !== null);
    const data = mdlOver(f, [1, 2, 3]);
    const nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, data, 0, 3);
    const nb = nbl?.FirstNetBuffer as NET_BUFFER;
    const asked: number[] = [];
    const freed: MDL[] = [];
    const allocate = (size: Out<number>) => {
      asked.push(size.value ?? -1);
      return NdisAllocateMdl(f.handle, new Uint8Array(size.value ?? 0), size.value ?? 0);
    };
    assert.equal(NdisRetreatNetBufferDataStart(nb, 2, 0, allocate), NDIS_STATUS_SUCCESS);
    assert.deepEqual(asked, [2]);
    const added = nb.MdlChain as MDL;
    NdisAdvanceNetBufferDataStart(nb, 2, true, (m) => freed.push(m));
    assert.deepEqual(freed, [added]);
    assert.equal(nb.MdlChain, data);
    // A NetAllocateMdl that fails makes the retreat fail with RESOURCES and change nothing.
    assert.equal(
      NdisRetreatNetBufferDataStart(nb, 2, 0, () => null),
      NDIS_STATUS_RESOURCES,
    );
    assert.equal(nb.MdlChain, data);
    assert.equal(nb.DataLength, 3);
  });

  test("the NBL forms apply to every NB, and a failure undoes the NBs already retreated", async () => {
    const f = await fixture();
    const nbPool = NdisAllocateNetBufferPool(f.handle, nbPoolParams(8));
    const pool = NdisAllocateNetBufferListPool(
      f.handle,
      nblPoolParams({ fAllocateNetBuffer: false }),
    );
    assert.ok(pool !== null && nbPool !== null);
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    const first = NdisAllocateNetBufferMdlAndData(nbPool) as NET_BUFFER;
    const second = NdisAllocateNetBufferMdlAndData(nbPool) as NET_BUFFER;
    first.Next = second;
    nbl.FirstNetBuffer = first;
    NdisAdvanceNetBufferListDataStart(nbl, 4, false, null);
    assert.deepEqual([first.DataOffset, second.DataOffset], [4, 4]);
    // The second NB's retreat needs an MDL and memory runs out: the first is put back.
    f.host.failAllocations("NdisRetreatNetBufferDataStart");
    assert.equal(NdisRetreatNetBufferListDataStart(nbl, 6, 0, null, null), NDIS_STATUS_RESOURCES);
    assert.deepEqual([first.DataOffset, first.DataLength], [4, 4]);
    assert.equal(first.MdlChain?.ByteCount, 8, "the first NB's retreat MDL was freed again");
    assert.equal(NdisRetreatNetBufferListDataStart(nbl, 4, 0, null, null), NDIS_STATUS_SUCCESS);
    assert.deepEqual([first.DataLength, second.DataLength], [8, 8]);
  });

  test("an advance past DataLength is refused and changes nothing", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams({ DataSize: 10 }));
    assert.ok(pool !== null);
    const nb = NdisAllocateNetBufferList(pool, 0, 0)?.FirstNetBuffer as NET_BUFFER;
    NdisAdvanceNetBufferDataStart(nb, 11, false, null);
    assert.deepEqual([nb.DataOffset, nb.DataLength], [0, 10]);
    assert.deepEqual(rules(f.host), ["NetBufferList_BadArgument"]);
  });

  test("property: any retreat/advance sequence keeps the frame's bytes and restores the chain", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams());
    assert.ok(pool !== null);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("retreat" as const), delta: fc.nat(40), backFill: fc.nat(16) }),
      fc.record({ kind: fc.constant("advance" as const), delta: fc.nat(40) }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
        fc.nat(8),
        fc.array(op, { maxLength: 12 }),
        (sizes, offsetSeed, ops) => {
          // A chain of MDLs filled with 1, 2, 3, ...
          let value = 1;
          const mdls = sizes.map((n) =>
            mdlOver(
              f,
              Array.from({ length: n }, () => value++),
            ),
          );
          for (let i = 0; i + 1 < mdls.length; i++) (mdls[i] as MDL).Next = mdls[i + 1] as MDL;
          const total = value - 1;
          const offset = offsetSeed % total;
          const nbl = NdisAllocateNetBufferAndNetBufferList(
            pool,
            0,
            0,
            mdls[0] as MDL,
            offset,
            total - offset,
          );
          assert.ok(nbl !== null);
          const nb = nbl.FirstNetBuffer as NET_BUFFER;
          const original = usedBytes(nb);
          // A stack of what each retreat added, so that advances undo them in order.
          const pushed: number[] = [];
          for (const o of ops) {
            if (o.kind === "retreat") {
              assert.equal(
                NdisRetreatNetBufferDataStart(nb, o.delta, o.backFill, null),
                NDIS_STATUS_SUCCESS,
              );
              // Headers may span MDLs when the unused space did; write them byte by byte.
              fillUsed(nb, o.delta, 0xee);
              pushed.push(o.delta);
            } else if (pushed.length > 0) {
              NdisAdvanceNetBufferDataStart(nb, pushed.pop() as number, true, null);
            }
            const tail = usedBytes(nb).slice(nb.DataLength - original.length);
            assert.deepEqual(tail, original, "the frame's own bytes stay behind the headers");
            assert.equal(nb.DataLength, original.length + pushed.reduce((s, d) => s + d, 0));
          }
          while (pushed.length > 0)
            NdisAdvanceNetBufferDataStart(nb, pushed.pop() as number, true, null);
          assert.equal(nb.MdlChain, mdls[0], "every retreat MDL is gone");
          assert.equal(nb.DataOffset, offset);
          assert.deepEqual(usedBytes(nb), original);
          NdisFreeNetBufferList(nbl);
        },
      ),
      { numRuns: FC_RUNS },
    );
    assert.deepEqual(rules(f.host), []);
  });
});

describe("NdisGetDataBuffer", () => {
  test("a view when contiguous, a copy into Storage across MDLs, NULL otherwise", async () => {
    const f = await fixture();
    const pool = NdisAllocateNetBufferListPool(f.handle, nblPoolParams());
    assert.ok(pool !== null);
    const a = mdlOver(f, [1, 2, 3]);
    a.Next = mdlOver(f, [4, 5, 6]);
    const nb = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, a, 1, 5)
      ?.FirstNetBuffer as NET_BUFFER;
    const view = NdisGetDataBuffer(nb, 2, null, 1, 0);
    assert.deepEqual([...(view ?? [])], [2, 3]);
    assert.equal(view?.buffer, a.MappedSystemVa.buffer, "a view into the frame, not a copy");
    assert.equal(NdisGetDataBuffer(nb, 4, null, 1, 0), null, "across MDLs without storage");
    const storage = new Uint8Array(8);
    assert.deepEqual([...(NdisGetDataBuffer(nb, 4, storage, 1, 0) ?? [])], [2, 3, 4, 5]);
    assert.equal(NdisGetDataBuffer(nb, 6, storage, 1, 0), null, "more than DataLength");
    assert.equal(NdisGetDataBuffer(nb, 2, null, 3, 0), null, "AlignMultiple not a power of two");
    assert.deepEqual(rules(f.host), ["NetBufferList_BadArgument"]);
  });
});

describe("ownership and unload", () => {
  /** Loads a protocol-only driver whose DriverEntry runs `body` with its protocol handle. */
  async function load(host: NdisHost, name: string, body: (handle: NDIS_HANDLE) => void) {
    await host.loadDriver({
      name,
      module: driverModule((DriverObject) => {
        const out: Out<NDIS_HANDLE> = {};
        assert.equal(
          NdisRegisterProtocolDriver(null, protocolChars({ Name: name }), out),
          NDIS_STATUS_SUCCESS,
        );
        const handle = out.value as NDIS_HANDLE;
        body(handle);
        DriverObject.DriverUnload = () => NdisDeregisterProtocolDriver(handle);
        return NDIS_STATUS_SUCCESS;
      }),
    });
  }

  test("a pool left at unload is reported (with what it still has) and released", async () => {
    const host = new NdisHost({ verifier: "record" });
    let pool: NDIS_HANDLE | null = null;
    await load(host, "leaky", (handle) => {
      pool = NdisAllocateNetBufferListPool(handle, nblPoolParams({ DataSize: 8 }));
      assert.ok(pool !== null && NdisAllocateNetBufferList(pool, 0, 0) !== null);
    });
    assert.ok(host.liveObjects().some((o) => o.kind === "pool" && o.driver === "leaky"));
    await host.unloadDriver("leaky");
    assert.deepEqual(rules(host), ["Pool_LeakedAtUnload"]);
    assert.match(
      host.violations[0]?.message ?? "",
      /DriverUnload returned with .*1 still allocated/,
    );
    assert.deepEqual(host.liveObjects(), []);
    assert.equal(
      NdisAllocateNetBufferList(pool as unknown as NDIS_HANDLE, 0, 0),
      null,
      "the handle is revoked",
    );
  });

  test("only the allocating driver frees an NBL", async () => {
    const host = new NdisHost({ verifier: "record" });
    let stolen: NET_BUFFER_LIST | null = null;
    await load(host, "owner", (handle) => {
      const pool = NdisAllocateNetBufferListPool(handle, nblPoolParams({ DataSize: 8 }));
      assert.ok(pool !== null);
      stolen = NdisAllocateNetBufferList(pool, 0, 0);
    });
    await load(host, "thief", () => {
      NdisFreeNetBufferList(stolen as unknown as NET_BUFFER_LIST);
    });
    assert.deepEqual(rules(host), ["NetBufferList_FreedByNonOwner"]);
    assert.match(
      host.violations[0]?.message ?? "",
      /thief freed an NBL of NET_BUFFER_LIST pool 'test' of owner, held by owner/,
    );
    assert.equal(
      (stolen as unknown as NET_BUFFER_LIST).FirstNetBuffer?.DataLength,
      8,
      "still allocated",
    );
  });

  test("in strict mode a driver freeing another's NBL is stopped; the NBL stays its owner's", async () => {
    const host = new NdisHost({ verifier: "strict" });
    let stolen: NET_BUFFER_LIST | null = null;
    await load(host, "owner", (handle) => {
      const pool = NdisAllocateNetBufferListPool(handle, nblPoolParams({ DataSize: 8 }));
      stolen = pool === null ? null : NdisAllocateNetBufferList(pool, 0, 0);
    });
    await load(host, "thief", () => NdisFreeNetBufferList(stolen as unknown as NET_BUFFER_LIST));
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.driver),
      ["thief"],
    );
    assert.ok(host.drivers.some((d) => d.name === "owner"));
  });
});
