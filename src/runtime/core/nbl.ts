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
  NDIS_CONTEXT_CELL_SIZE,
  NDIS_NBL_INFO_SLOTS,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  type NET_BUFFER_LIST_CONTEXT,
} from "../../ndis/nbl.js";
import { type NDIS_STATUS, NDIS_STATUS_SUCCESS } from "../../ndis/status.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import type { MiniportAdapter } from "./adapter.js";
import type { Binding } from "./binding.js";
import type { DriverRecord } from "./driver.js";
import { revokeHandle } from "./handles.js";
import type { NdisRuntime } from "./runtime.js";

/** An MDL NDIS created (NdisAllocateMdl, pool data, retreat). */
export class MdlObject implements MDL {
  Next: MDL | null = null;
  readonly MappedSystemVa: Uint8Array;
  readonly ByteCount: number;
  /** Who made it: NdisAllocateMdl, a pool (goes with its NB), a retreat, a partial MDL. */
  readonly origin: "driver" | "pool" | "retreat" | "partial";
  freed = false;
  /** For a retreat MDL: the chain it displaced, to put back when an advance frees it. */
  restore: RetreatRestore | null = null;

  /** The NDIS that made it, for reports about it. */
  readonly runtime: NdisRuntime;

  constructor(runtime: NdisRuntime, buffer: Uint8Array, origin: MdlObject["origin"]) {
    this.runtime = runtime;
    this.MappedSystemVa = buffer;
    this.ByteCount = buffer.length;
    this.origin = origin;
  }
}

interface RetreatRestore {
  /** The NB's MdlChain before the retreat. */
  readonly chain: MDL | null;
  /** The NB's DataOffset before the retreat: where the displaced chain's used data starts. */
  readonly skipped: number;
}

/** NET_BUFFER_LIST_CONTEXT block. */
export class ContextBlock implements NET_BUFFER_LIST_CONTEXT {
  /** Written only by NDIS: when a freed block is reused (see NetBufferListObject.spareContext). */
  Next: NET_BUFFER_LIST_CONTEXT | null;
  readonly Size: number;
  /** True for the block the pool reserves with every NBL; it is never given back. */
  readonly reserved: boolean;
  readonly ContextData: unknown[];
  Offset: number;

  constructor(next: NET_BUFFER_LIST_CONTEXT | null, size: number, reserved: boolean) {
    this.Next = next;
    this.Size = size;
    this.reserved = reserved;
    this.ContextData = new Array<unknown>(size / NDIS_CONTEXT_CELL_SIZE).fill(undefined);
    this.Offset = size;
  }
}

export class NetBufferObject implements NET_BUFFER {
  Next: NET_BUFFER | null = null;
  CurrentMdl: MDL | null = null;
  CurrentMdlOffset = 0;
  DataLength = 0;
  MdlChain: MDL | null = null;
  DataOffset = 0;
  ChecksumBias = 0;
  readonly ProtocolReserved: unknown[] = [null, null, null, null, null, null];
  readonly MiniportReserved: unknown[] = [null, null, null, null];
  allocated = false;
  poisoned = false;
  readonly pool: NbPool | NblPool;
  readonly NdisPoolHandle: NDIS_HANDLE;
  /** The MDL and buffer the pool gives with this NB (DataSize), else null. */
  readonly poolMdl: MdlObject | null;
  /** True when the NB comes with an NBL and goes with it. */
  readonly withNbl: boolean;

  constructor(pool: NbPool | NblPool, poolMdl: MdlObject | null, withNbl: boolean) {
    this.pool = pool;
    this.NdisPoolHandle = pool.handle;
    this.poolMdl = poolMdl;
    this.withNbl = withNbl;
  }
}

export class NetBufferListObject implements NET_BUFFER_LIST {
  Next: NET_BUFFER_LIST | null = null;
  FirstNetBuffer: NET_BUFFER | null = null;
  Context: NET_BUFFER_LIST_CONTEXT | null = null;
  ParentNetBufferList: NET_BUFFER_LIST | null = null;
  readonly ProtocolReserved: unknown[] = [null, null, null, null];
  readonly MiniportReserved: unknown[] = [null, null];
  Scratch: unknown = null;
  SourceHandle: NDIS_HANDLE | null = null;
  NblFlags = 0;
  ChildRefCount = 0;
  Flags = 0;
  Status: NDIS_STATUS = NDIS_STATUS_SUCCESS;
  readonly NetBufferListInfo: unknown[] = new Array<unknown>(NDIS_NBL_INFO_SLOTS).fill(null);
  allocated = false;
  poisoned = false;
  /** The driver that holds the NBL now. */
  owner: DriverRecord | null = null;
  /** The bindings it was sent on and not yet completed to, innermost last. */
  readonly sendPath: Binding[] = [];
  /** The adapters that indicated it and have not had it back, innermost last… */
  readonly recvAdapters: MiniportAdapter[] = [];
  /** …and, for each, the binding(s) holding the indication. */
  readonly recvHolders: (Binding | Binding[] | null)[] = [];
  /** NDIS's mark while it walks a chain (to find cycles without allocating). */
  stamp = 0;
  /** Times NDIS handed it to a MiniportSendNetBufferLists (the send watchdog tells sends apart). */
  sendCount = 0;
  /**
   * The last context block freed off this NBL, kept for the next allocation of the same size: an
   * IM stamping every NBL it forwards allocates no block in steady state.
   */
  spareContext: ContextBlock | null = null;
  /** The context block the pool reserves (ContextSize), or null. */
  readonly reservedContext: ContextBlock | null;
  readonly pool: NblPool;
  readonly NdisPoolHandle: NDIS_HANDLE;
  /** The NB the pool gives with this NBL (fAllocateNetBuffer), or null. */
  readonly poolNb: NetBufferObject | null;

  constructor(pool: NblPool, poolNb: NetBufferObject | null) {
    this.pool = pool;
    this.NdisPoolHandle = pool.handle;
    this.poolNb = poolNb;
    const size = pool.params.ContextSize;
    this.reservedContext = size > 0 ? new ContextBlock(null, size, true) : null;
  }
}

export interface NblPoolParams {
  readonly ProtocolId: number;
  readonly fAllocateNetBuffer: boolean;
  readonly ContextSize: number;
  readonly PoolTag: number;
  readonly DataSize: number;
  readonly verify: boolean;
}

export interface NbPoolParams {
  readonly PoolTag: number;
  readonly DataSize: number;
  readonly verify: boolean;
}

interface PoolBase {
  readonly driver: DriverRecord;
  /** The adapter whose MiniportAdapterHandle allocated the pool (freed by the end of its halt). */
  readonly adapter: MiniportAdapter | null;
  /** What the pool was allocated with, for reports. */
  readonly label: string;
  handle: NDIS_HANDLE;
  /** Objects allocated and not yet freed. */
  outstanding: number;
  freed: boolean;
}

export interface NblPool extends PoolBase {
  readonly kind: "nbl-pool";
  readonly params: NblPoolParams;
  readonly free: NetBufferListObject[];
  /** Every NBL the pool ever made (made once, reused), so NDIS can find those a stopped driver holds. */
  readonly all: NetBufferListObject[];
}

export interface NbPool extends PoolBase {
  readonly kind: "nb-pool";
  readonly params: NbPoolParams;
  readonly free: NetBufferObject[];
}

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
  clearCells(nbl.NetBufferListInfo, null);
  const reserved = nbl.reservedContext;
  if (reserved !== null) {
    reserved.Offset = reserved.Size;
    clearCells(reserved.ContextData, undefined);
  }
  nbl.Context = reserved;
  nbl.owner = owner;
  // Setting an array's length is a runtime call even when it is already empty.
  if (nbl.sendPath.length !== 0) nbl.sendPath.length = 0;
  if (nbl.recvAdapters.length !== 0) nbl.recvAdapters.length = 0;
  if (nbl.recvHolders.length !== 0) nbl.recvHolders.length = 0;
  nbl.allocated = true;
}

/** True when `size` is a positive multiple of MEMORY_ALLOCATION_ALIGNMENT. */
export function isAlignedContextSize(size: unknown): size is number {
  // `(size | 0) === size`: an integer in int32 range, which 1…0xFFFF is (cheaper than
  // Number.isInteger on the data path, where every IM layer asks this per NBL).
  return (
    typeof size === "number" &&
    (size | 0) === size &&
    size > 0 &&
    size <= 0xffff &&
    (size & (MEMORY_ALLOCATION_ALIGNMENT - 1)) === 0
  );
}

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
