/** NET_BUFFER_LISTs for data-path tests: a pool, a batch of NBLs, a chain of them. */
import assert from "node:assert/strict";
import {
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
} from "../../src/index.js";

/** A pool of NBLs with one NET_BUFFER and `DataSize` bytes of data each (60 unless told), on `handle`. */
export function nblPool(handle: NDIS_HANDLE, ContextSize = 0, DataSize = 60): NDIS_HANDLE {
  const pool = NdisAllocateNetBufferListPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize,
    PoolTag: 0x61746164,
    DataSize,
  });
  assert.ok(pool !== null);
  return pool;
}

/** Links `list` into a chain (in order) and returns its head. */
export function link(list: readonly NET_BUFFER_LIST[]): NET_BUFFER_LIST {
  for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] as NET_BUFFER_LIST;
}

/** `count` NBLs of `pool`, chained, each with SourceHandle `source`. */
export function allocateNbls(
  pool: NDIS_HANDLE,
  count: number,
  source: NDIS_HANDLE,
): NET_BUFFER_LIST[] {
  const list: NET_BUFFER_LIST[] = [];
  for (let i = 0; i < count; i++) {
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    nbl.SourceHandle = source;
    list.push(nbl);
  }
  link(list);
  return list;
}
