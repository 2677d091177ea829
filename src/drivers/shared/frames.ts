/**
 * Frames in and out of NET_BUFFER_LISTs, for drivers that build whole Ethernet frames themselves
 * (the hub, ipv4-host, raw): a send pool whose NBLs carry one NET_BUFFER with a data buffer, an
 * NBL holding a copy of a frame, and a frame copied out of a NET_BUFFER.
 */
import {
  DISPATCH_LEVEL,
  KeGetCurrentIrql,
  MEMORY_ALLOCATION_ALIGNMENT,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NdisAdvanceNetBufferDataStart,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisGetDataBuffer,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
} from "../../ddi.js";

/** The largest frame these drivers carry: 1500 bytes of payload, a header and one 802.1Q tag. */
export const MAX_FRAME_LENGTH = 1518;

/**
 * The most data backfill a frame NBL leaves: what an adapter asks beyond it (its
 * DataBackFillSize) it does not get, and a retreat past it takes a new MDL, as NDIS allows.
 */
export const MAX_DATA_BACKFILL = 128;

/** The data backfill to leave for an adapter asking `DataBackFillSize`: at most MAX_DATA_BACKFILL. */
export function dataBackFill(DataBackFillSize: number): number {
  return Math.min(DataBackFillSize, MAX_DATA_BACKFILL);
}

/** The most context backfill a frame NBL leaves (a multiple of MEMORY_ALLOCATION_ALIGNMENT). */
export const MAX_CONTEXT_BACKFILL = 256;

/**
 * The context backfill to leave for an adapter asking `ContextBackFillSize`: rounded up to
 * MEMORY_ALLOCATION_ALIGNMENT, at most MAX_CONTEXT_BACKFILL.
 */
export function contextBackFill(ContextBackFillSize: number): number {
  const a = MEMORY_ALLOCATION_ALIGNMENT;
  return Math.min(Math.ceil(ContextBackFillSize / a) * a, MAX_CONTEXT_BACKFILL);
}

/**
 * A pool of NBLs with one NET_BUFFER and a buffer of MAX_FRAME_LENGTH bytes plus `DataBackFill`
 * each (NULL when NDIS has no memory). `NdisHandle` is a miniport adapter handle or a protocol
 * driver handle.
 */
export function allocateFramePool(
  NdisHandle: NDIS_HANDLE,
  PoolTag: number,
  ProtocolId = 0,
  DataBackFill = 0,
): NDIS_HANDLE | null {
  return NdisAllocateNetBufferListPool(NdisHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag,
    DataSize: MAX_FRAME_LENGTH + DataBackFill,
  });
}

/**
 * An NBL of `pool` holding a copy of `frame` (its NET_BUFFER's DataLength cut to the frame), or
 * null when the frame is empty or too long or NDIS has no NBL to give. The frame starts
 * `DataBackFill` bytes into the buffer (the pool must have been allocated with at least that
 * much), and the NBL's context area has `ContextBackFill` bytes of room (a multiple of
 * MEMORY_ALLOCATION_ALIGNMENT): what the adapter's bind parameters ask, so that the drivers
 * below put their headers and contexts there without allocating.
 */
export function frameNbl(
  pool: NDIS_HANDLE,
  frame: Uint8Array,
  DataBackFill = 0,
  ContextBackFill = 0,
): NET_BUFFER_LIST | null {
  if (frame.length === 0 || frame.length > MAX_FRAME_LENGTH) return null;
  const nbl = NdisAllocateNetBufferList(pool, 0, ContextBackFill);
  const nb = nbl?.FirstNetBuffer ?? null;
  const mdl = nb?.MdlChain ?? null;
  if (nbl === null || nb === null || mdl === null) return nbl;
  if (DataBackFill > 0) NdisAdvanceNetBufferDataStart(nb, DataBackFill, false, null);
  mdl.MappedSystemVa.set(frame, nb.DataOffset);
  nb.DataLength = frame.length;
  return nbl;
}

/** A copy of a NET_BUFFER's used data (the frame), or null when NDIS cannot map it. */
export function copyFrame(nb: NET_BUFFER): Uint8Array | null {
  const length = nb.DataLength;
  const storage = new Uint8Array(length);
  const data = NdisGetDataBuffer(nb, length, storage, 1, 0);
  if (data === null) return null;
  return data === storage ? storage : data.slice();
}

/** The NBLs of a chain, as an array (the chain's links left as they are). */
export function nblsOf(chain: NET_BUFFER_LIST | null): NET_BUFFER_LIST[] {
  const list: NET_BUFFER_LIST[] = [];
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) list.push(nbl);
  return list;
}

/** SendFlags saying the caller's real IRQL (DISPATCH_LEVEL or not). */
export function sendFlagsHere(): number {
  return KeGetCurrentIrql() >= DISPATCH_LEVEL ? NDIS_SEND_FLAGS_DISPATCH_LEVEL : 0;
}

/** SendCompleteFlags saying the caller's real IRQL. */
export function sendCompleteFlagsHere(): number {
  return KeGetCurrentIrql() >= DISPATCH_LEVEL ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
}
