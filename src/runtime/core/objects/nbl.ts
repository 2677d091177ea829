/**
 * NDIS's NET_BUFFER_LIST, NET_BUFFER and MDL objects and the pools they come from.
 *
 * Every object is allocated by NDIS and knows its pool and whether it is allocated; an NBL also
 * knows which driver owns it (the allocator, until the data path hands it on). Pools recycle freed
 * objects, so a steady-state data path allocates nothing; a pool created with the VERIFY flag
 * poisons freed objects instead, so that a use after free is caught.
 *
 * [MODEL] Retreat beyond the unused space prepends an NDIS-allocated MDL. If the old first MDL
 * still had unused bytes in front of the data, NDIS puts a partial MDL (IoBuildPartialMdl-style)
 * over its used part in the chain, so that the used data stays contiguous; the advance that frees
 * the retreat MDL puts the original MDLs back.
 */

import {
  type MDL,
  MEMORY_ALLOCATION_ALIGNMENT,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
} from "../../../ndis/nbl.js";
import { NDIS_STATUS_SUCCESS } from "../../../ndis/status.js";
import { revokeHandle } from "./handles.js";
import type { DriverRecord } from "./records.js";
import {
  ContextBlock,
  clearRecv,
  clearSendEdges,
  MdlObject,
  type NblPool,
  type NbPool,
  type NetBufferListObject,
  type NetBufferObject,
} from "./records.js";

/** Positions `CurrentMdl`/`CurrentMdlOffset` at byte `DataOffset` of the chain. */
export function locateCurrentMdl(nb: NET_BUFFER): void {
  let mdl = nb.MdlChain;
  let offset = nb.DataOffset;
  while (mdl !== null && offset >= mdl.ByteCount && mdl.Next !== null) {
    offset -= mdl.ByteCount;
    mdl = mdl.Next;
  }
  nb.CurrentMdl = mdl;
  nb.CurrentMdlOffset = offset;
}

/** Bytes the MDL chain describes. */
export function chainBytes(mdl: MDL | null): number {
  let total = 0;
  for (let m = mdl; m !== null; m = m.Next) total += m.ByteCount;
  return total;
}

/** Resets an NB to a fresh allocation over `chain`. */
export function initNetBuffer(
  nb: NetBufferObject,
  chain: MDL | null,
  dataOffset: number,
  dataLength: number,
): void {
  nb.Next = null;
  nb.MdlChain = chain;
  nb.DataOffset = dataOffset;
  nb.DataLength = dataLength;
  nb.ChecksumBias = 0;
  clearCells(nb.ProtocolReserved, null);
  clearCells(nb.MiniportReserved, null);
  locateCurrentMdl(nb);
  nb.allocated = true;
}

/**
 * Sets every cell of a small array to `value`. A plain loop: V8 inlines it, where
 * Array.prototype.fill is a builtin call that costs more than the few cells it clears (an
 * allocation from a pool clears six such arrays, once per packet on a receive or reply path).
 */
function clearCells(cells: unknown[], value: null | undefined): void {
  for (let i = 0; i < cells.length; i++) cells[i] = value;
}

/** Resets an NBL to a fresh allocation. */
export function initNetBufferList(nbl: NetBufferListObject, owner: DriverRecord | null): void {
  nbl.Next = null;
  nbl.FirstNetBuffer = nbl.poolNb;
  nbl.ParentNetBufferList = null;
  clearCells(nbl.ProtocolReserved, null);
  clearCells(nbl.MiniportReserved, null);
  nbl.Scratch = null;
  nbl.SourceHandle = null;
  nbl.NblFlags = 0;
  nbl.ChildRefCount = 0;
  nbl.Flags = 0;
  nbl.Status = NDIS_STATUS_SUCCESS;
  clearCells(nbl.infoCells, null);
  nbl.infoWrites++;
  const reserved = nbl.reservedContext;
  if (reserved !== null) {
    reserved.Offset = reserved.Size;
    clearCells(reserved.ContextData, undefined);
  }
  nbl.Context = reserved;
  nbl.owner = owner;
  nbl.derivedKind = null;
  nbl.derivedFrom = null;
  nbl.liveChildren = 0;
  // Setting an array's length is a runtime call even when it is already empty.
  clearSendEdges(nbl);
  clearRecv(nbl);
  nbl.allocated = true;
}

/** True when `size` is a positive multiple of MEMORY_ALLOCATION_ALIGNMENT. */
export function isAlignedContextSize(size: unknown): size is number {
  // One mask does the rest: only an integer 0…0xFFFF that is a multiple of
  // MEMORY_ALLOCATION_ALIGNMENT equals itself with the other bits cleared (a fraction, a negative
  // or too large number, NaN do not). Every IM layer asks this twice per NBL.
  return typeof size === "number" && (size & ALIGNED_CONTEXT_MASK) === size && size !== 0;
}

const ALIGNED_CONTEXT_MASK = 0xffff & ~(MEMORY_ALLOCATION_ALIGNMENT - 1);

/**
 * Pushes `size` bytes of context; a new block (with `backFill` spare bytes) when the top block
 * has too little room. Returns false only when a new block was needed and `allowGrow` is false.
 */
export function pushContext(
  nbl: NET_BUFFER_LIST,
  size: number,
  backFill: number,
  allowGrow: boolean,
): boolean {
  const top = nbl.Context;
  if (top !== null && top.Offset >= size) {
    top.Offset -= size;
    return true;
  }
  if (!allowGrow) return false;
  const o = nbl as NetBufferListObject;
  const spare = o.spareContext;
  let block: ContextBlock;
  if (spare !== null && spare.Size === size + backFill) {
    o.spareContext = null;
    spare.Next = top;
    block = spare;
  } else block = new ContextBlock(top, size + backFill, false);
  block.Offset = backFill;
  nbl.Context = block;
  return true;
}

/** Pops `size` bytes of context; false when the top block does not hold that many. */
export function popContext(nbl: NET_BUFFER_LIST, size: number): boolean {
  const top = nbl.Context as ContextBlock | null;
  if (top === null || top.Size - top.Offset < size) return false;
  // Like NDIS, the freed bytes are not cleared: the next owner must not rely on their contents.
  top.Offset += size;
  if (top.Offset === top.Size && !top.reserved) {
    nbl.Context = top.Next;
    top.Next = null;
    (nbl as NetBufferListObject).spareContext = top;
  }
  return true;
}

/**
 * Retreat: grows used data by `delta` at the front. Uses unused space when there is enough,
 * otherwise prepends `allocate(delta + backFill)` (null: out of memory → false).
 */
export function retreat(
  nb: NET_BUFFER,
  delta: number,
  backFill: number,
  allocate: (size: number) => MdlObject | null,
): boolean {
  if (nb.DataOffset >= delta) {
    nb.DataOffset -= delta;
    nb.DataLength += delta;
    locateCurrentMdl(nb);
    return true;
  }
  const mdl = allocate(delta + backFill);
  if (mdl === null) return false;
  const current = nb.CurrentMdl;
  let next: MDL | null = current;
  if (current !== null && nb.CurrentMdlOffset > 0) {
    // The used part of the old first MDL, so that the used data stays contiguous.
    const partial = new MdlObject(
      mdl.runtime,
      current.MappedSystemVa.subarray(nb.CurrentMdlOffset),
      "partial",
    );
    partial.Next = current.Next;
    next = partial;
  }
  mdl.restore = { chain: nb.MdlChain, skipped: nb.DataOffset };
  mdl.Next = next;
  nb.MdlChain = mdl;
  nb.DataOffset = backFill;
  nb.DataLength += delta;
  locateCurrentMdl(nb);
  return true;
}

/**
 * Advance: shrinks used data by `delta` at the front. With `freeMdl`, retreat MDLs that are now
 * wholly unused go back (through `release`) and the chain they displaced is restored.
 */
export function advance(
  nb: NET_BUFFER,
  delta: number,
  freeMdl: boolean,
  release: (mdl: MdlObject) => void,
): void {
  nb.DataOffset += delta;
  nb.DataLength -= delta;
  if (freeMdl) {
    let head = nb.MdlChain;
    while (head instanceof MdlObject && head.restore !== null && nb.DataOffset >= head.ByteCount) {
      // A position past the retreat MDL maps to the same byte of the chain it displaced.
      const { chain, skipped } = head.restore;
      const offset = skipped + nb.DataOffset - head.ByteCount;
      head.restore = null;
      release(head);
      nb.MdlChain = chain;
      nb.DataOffset = offset;
      head = chain;
    }
  }
  locateCurrentMdl(nb);
}

/**
 * Contiguous used data: a view into the current MDL when the first `bytes` bytes lie in it,
 * else a copy into `storage` (null without storage, or if the NB holds fewer bytes).
 */
export function dataBuffer(
  nb: NET_BUFFER,
  bytes: number,
  storage: Uint8Array | null,
): Uint8Array | null {
  if (bytes > nb.DataLength) return null;
  const mdl = nb.CurrentMdl;
  if (mdl === null) return bytes === 0 ? new Uint8Array(0) : null;
  const start = nb.CurrentMdlOffset;
  if (start + bytes <= mdl.ByteCount) return mdl.MappedSystemVa.subarray(start, start + bytes);
  if (storage === null || storage.length < bytes) return null;
  let copied = 0;
  let m: MDL | null = mdl;
  let from = start;
  while (copied < bytes && m !== null) {
    const take = Math.min(m.ByteCount - from, bytes - copied);
    storage.set(m.MappedSystemVa.subarray(from, from + take), copied);
    copied += take;
    m = m.Next;
    from = 0;
  }
  return copied === bytes ? storage.subarray(0, bytes) : null;
}

/** Takes a pool back: its handle is revoked and its free objects forgotten. */
export function releasePool(pool: NblPool | NbPool): void {
  pool.freed = true;
  pool.free.length = 0;
  if (pool.kind === "nbl-pool") pool.all.length = 0;
  pool.driver.pools.delete(pool);
  revokeHandle(pool.handle);
}
