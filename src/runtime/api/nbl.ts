/**
 * The NET_BUFFER_LIST DDI (nblapi.h): pools, allocation and free of NET_BUFFER_LISTs, NET_BUFFERs
 * and MDLs, the context area, retreat and advance, NdisGetDataBuffer.
 *
 * These calls sit on the data path, so they do not trace themselves (pool allocation and free do)
 * and check only what NDIS would crash on: an object NDIS did not allocate or already freed, a
 * free by the wrong driver, sizes out of range. Each is a named violation; the call then does
 * nothing and returns its failure value.
 */

import {
  type MDL,
  NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_FLAG_VERIFY,
  type NET_BUFFER_LIST_POOL_PARAMETERS,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_BUFFER_POOL_FLAG_VERIFY,
  type NET_BUFFER_POOL_PARAMETERS,
  NET_BUFFER_POOL_PARAMETERS_REVISION_1,
} from "../../ndis/nbl.js";
import { type NDIS_OBJECT_HEADER, NDIS_OBJECT_TYPE_DEFAULT } from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleDriver,
  handleRuntime,
  mintHandle,
  resolveHandle,
} from "../core/objects/handles.js";
import {
  advance,
  chainBytes,
  dataBuffer,
  initNetBuffer,
  initNetBufferList,
  isAlignedContextSize,
  popContext,
  pushContext,
  releasePool,
  retreat,
} from "../core/objects/nbl.js";
import type { DriverRecord, MiniportAdapter, NdisRuntime } from "../core/objects/records.js";
import {
  type ContextBlock,
  clearContextOwners,
  contextOwnersOf,
  MdlObject,
  type NblPool,
  type NbPool,
  NetBufferListObject,
  NetBufferObject,
  popContextOwner,
  pushContextOwner,
} from "../core/objects/records.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

/** NET_BUFFER_ALLOCATE_MDL (NetAllocateMdl): allocates an MDL and at least `BufferSize` bytes. */
export type NET_BUFFER_ALLOCATE_MDL = (BufferSize: Out<number>) => MDL | null;
/** NET_BUFFER_FREE_MDL (NetFreeMdl): frees an MDL NetAllocateMdl allocated. */
export type NET_BUFFER_FREE_MDL = (Mdl: MDL) => void;

function describeObject(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (value instanceof NetBufferListObject) return "a freed NET_BUFFER_LIST";
  if (value instanceof NetBufferObject) return "a freed NET_BUFFER";
  if (typeof value === "object") return "an object NDIS did not allocate";
  return `a ${typeof value}`;
}

/** The live NBL behind `value`, or null after reporting it. */
function liveNbl(functionName: string, value: unknown): NetBufferListObject | null {
  if (value instanceof NetBufferListObject && value.allocated) return value;
  reportAtCaller(
    value instanceof NetBufferListObject ? value.pool.driver.runtime : null,
    "NetBufferList_Invalid",
    `${functionName} got ${describeObject(value)}; it needs a NET_BUFFER_LIST allocated from an NDIS pool`,
    value instanceof NetBufferListObject ? value.pool.driver : null,
  );
  return null;
}

/** The live NB behind `value`, or null after reporting it. */
function liveNb(functionName: string, value: unknown): NetBufferObject | null {
  if (value instanceof NetBufferObject && value.allocated) return value;
  reportAtCaller(
    value instanceof NetBufferObject ? value.pool.driver.runtime : null,
    "NetBufferList_Invalid",
    `${functionName} got ${describeObject(value)}; it needs a NET_BUFFER allocated from an NDIS pool`,
    value instanceof NetBufferObject ? value.pool.driver : null,
  );
  return null;
}

/** The live pool of `kind` behind a pool handle, or null after reporting it. */
function livePool<K extends "nbl-pool" | "nb-pool">(
  functionName: string,
  handle: unknown,
  kind: K,
): Extract<NblPool | NbPool, { kind: K }> | null {
  const target = resolveHandle(handle);
  if (target?.kind === kind) return target as Extract<NblPool | NbPool, { kind: K }>;
  const what = kind === "nbl-pool" ? "NET_BUFFER_LIST pool handle" : "NET_BUFFER pool handle";
  reportAtCaller(
    handleRuntime(handle),
    "NetBufferList_Invalid",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a live ${what}`,
    handleDriver(handle),
  );
  return null;
}

/**
 * The driver behind a handle a pool may be allocated with, or null after reporting it. The DDI
 * asks for "an NDIS handle obtained during caller initialization" ("Obtaining Pool Handles" lists
 * the adapter, protocol and filter handles); [MODEL] a miniport driver's handle
 * (NdisMRegisterMiniportDriver's) is taken too, as a filter driver's is: the WDK's netvmini
 * allocates its receive pool with it and has shipped so for years.
 */
function poolOwner(functionName: string, handle: unknown): DriverRecord | null {
  const target = resolveHandle(handle);
  if (
    target?.kind === "miniport-adapter" ||
    target?.kind === "miniport-driver" ||
    target?.kind === "protocol-driver" ||
    target?.kind === "filter-module" ||
    target?.kind === "filter-driver"
  ) {
    return target.driver;
  }
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a miniport adapter or driver handle, a protocol driver handle or a filter handle`,
    handleDriver(handle),
  );
  return null;
}

function isCount(value: unknown, max = 0xffffffff): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

function badArgument(runtime: NdisRuntime, message: string): void {
  reportAtCaller(runtime, "NetBufferList_BadArgument", message);
}

/**
 * The steps both pool allocations share: the owner behind `NdisHandle`, the parameters' header
 * (Type DEFAULT, the one revision, at least its size) and then their own fields, fault
 * injection, and the new pool with its handle. NULL (named in the trace) on any failure.
 */
function allocatePool(
  functionName: "NdisAllocateNetBufferListPool" | "NdisAllocateNetBufferPool",
  NdisHandle: NDIS_HANDLE,
  Parameters: unknown,
  header: { revision: number; revisionName: string; size: number; sizeName: string },
  fieldProblem: (p: Record<string, unknown>) => string | null,
  create: (driver: DriverRecord) => NblPool | NbPool,
): NDIS_HANDLE | null {
  const driver = poolOwner(functionName, NdisHandle);
  if (driver === null) return null;
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, functionName, driver);
  const p = Parameters as Record<string, unknown> | null | undefined;
  const h = p?.Header as Partial<NDIS_OBJECT_HEADER> | undefined;
  let why: string | null = null;
  if (p === null || typeof p !== "object") why = "Parameters is NULL";
  else if (h?.Type !== NDIS_OBJECT_TYPE_DEFAULT)
    why = "Header.Type is not NDIS_OBJECT_TYPE_DEFAULT";
  else if (h.Revision !== header.revision)
    why = `Header.Revision ${String(h.Revision)} is not ${header.revisionName}`;
  else if (!isCount(h.Size) || h.Size < header.size)
    why = `Header.Size ${String(h.Size)} is below ${header.sizeName} (${header.size})`;
  else why = fieldProblem(p);
  if (why !== null) {
    badArgument(runtime, `${functionName}: ${why}`);
    done(undefined, why);
    return null;
  }
  if (runtime.takeAllocationFailure(functionName)) {
    done(undefined, "out of memory");
    return null;
  }
  const pool = create(driver);
  const target = resolveHandle(NdisHandle);
  (pool as { adapter: MiniportAdapter | null }).adapter =
    target?.kind === "miniport-adapter" ? target : null;
  pool.handle = mintHandle(pool.label, pool);
  driver.pools.add(pool);
  done(undefined);
  return pool.handle;
}

/** What every new pool starts with. */
function poolBase(driver: DriverRecord, what: string, tag: number) {
  return {
    driver,
    adapter: null,
    label: `${what} pool ${tagToString(tag)} of ${driver.name}`,
    handle: null as unknown as NDIS_HANDLE,
    outstanding: 0,
    freed: false,
  };
}

/**
 * NdisAllocateNetBufferListPool: a pool of NET_BUFFER_LISTs for the driver behind `NdisHandle`
 * (a miniport adapter handle, or a protocol driver handle). Returns the pool handle, or NULL for
 * bad parameters (named in the trace) or when memory runs out.
 */
export function NdisAllocateNetBufferListPool(
  NdisHandle: NDIS_HANDLE,
  Parameters: NET_BUFFER_LIST_POOL_PARAMETERS,
): NDIS_HANDLE | null {
  return allocatePool(
    "NdisAllocateNetBufferListPool",
    NdisHandle,
    Parameters,
    {
      revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      revisionName: "NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1",
      size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      sizeName: "NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1",
    },
    (p) => {
      if (!isCount(p.ProtocolId, 0xff)) return "ProtocolId is not a UCHAR";
      if (typeof p.fAllocateNetBuffer !== "boolean") return "fAllocateNetBuffer is not a BOOLEAN";
      if (
        !isCount(p.ContextSize, 0xffff) ||
        (p.ContextSize !== 0 && !isAlignedContextSize(p.ContextSize))
      )
        return `ContextSize ${String(p.ContextSize)} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT`;
      if (!isCount(p.PoolTag)) return "PoolTag is not a ULONG";
      if (!isCount(p.DataSize)) return "DataSize is not a ULONG";
      if (p.DataSize > 0 && !p.fAllocateNetBuffer)
        return "DataSize is non-zero but fAllocateNetBuffer is FALSE";
      if (p.Flags !== undefined && !isCount(p.Flags)) return "Flags is not a ULONG";
      return null;
    },
    (driver) => ({
      kind: "nbl-pool",
      ...poolBase(driver, "NET_BUFFER_LIST", Parameters.PoolTag),
      params: {
        ProtocolId: Parameters.ProtocolId,
        fAllocateNetBuffer: Parameters.fAllocateNetBuffer,
        ContextSize: Parameters.ContextSize,
        PoolTag: Parameters.PoolTag,
        DataSize: Parameters.DataSize,
        verify: ((Parameters.Flags ?? 0) & NET_BUFFER_LIST_POOL_FLAG_VERIFY) !== 0,
      },
      free: [],
      all: [],
    }),
  );
}

/** `'Ndis'` style rendering of a pool tag (a ULONG of four characters, low byte first). */
function tagToString(tag: number): string {
  let text = "";
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
  }
  return `'${text}'`;
}

/** NdisFreeNetBufferListPool: frees a pool whose NET_BUFFER_LISTs have all been freed. */
export function NdisFreeNetBufferListPool(PoolHandle: NDIS_HANDLE): void {
  const pool = livePool("NdisFreeNetBufferListPool", PoolHandle, "nbl-pool");
  if (pool === null) return;
  freePool(pool, "NdisFreeNetBufferListPool", "NET_BUFFER_LIST");
}

function freePool(pool: NblPool | NbPool, functionName: string, what: string): void {
  const runtime = pool.driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, functionName, pool.driver);
  if (pool.outstanding > 0) {
    reportAtCaller(
      runtime,
      "NdisFreeNetBufferListPool_Outstanding",
      `${functionName}: ${pool.label} still has ${pool.outstanding} ${what}${pool.outstanding === 1 ? "" : "s"} allocated; the pool stays`,
    );
    done(undefined, "pool in use");
    return;
  }
  releasePool(pool);
  done(undefined);
}

/** NdisAllocateNetBufferPool: a pool of NET_BUFFERs. Returns the pool handle, or NULL. */
export function NdisAllocateNetBufferPool(
  NdisHandle: NDIS_HANDLE,
  Parameters: NET_BUFFER_POOL_PARAMETERS,
): NDIS_HANDLE | null {
  return allocatePool(
    "NdisAllocateNetBufferPool",
    NdisHandle,
    Parameters,
    {
      revision: NET_BUFFER_POOL_PARAMETERS_REVISION_1,
      revisionName: "NET_BUFFER_POOL_PARAMETERS_REVISION_1",
      size: NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
      sizeName: "NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1",
    },
    (p) => {
      if (!isCount(p.PoolTag)) return "PoolTag is not a ULONG";
      if (!isCount(p.DataSize)) return "DataSize is not a ULONG";
      if (p.Flags !== undefined && !isCount(p.Flags)) return "Flags is not a ULONG";
      return null;
    },
    (driver) => ({
      kind: "nb-pool",
      ...poolBase(driver, "NET_BUFFER", Parameters.PoolTag),
      params: {
        PoolTag: Parameters.PoolTag,
        DataSize: Parameters.DataSize,
        verify: ((Parameters.Flags ?? 0) & NET_BUFFER_POOL_FLAG_VERIFY) !== 0,
      },
      free: [],
    }),
  );
}

/** NdisFreeNetBufferPool: frees a pool whose NET_BUFFERs have all been freed. */
export function NdisFreeNetBufferPool(PoolHandle: NDIS_HANDLE): void {
  const pool = livePool("NdisFreeNetBufferPool", PoolHandle, "nb-pool");
  if (pool === null) return;
  freePool(pool, "NdisFreeNetBufferPool", "NET_BUFFER");
}

/** A fresh or recycled NBL of `pool`, or null when memory runs out. */
function takeNbl(pool: NblPool): NetBufferListObject | null {
  const runtime = pool.driver.runtime;
  if (runtime.takeAllocationFailure("NdisAllocateNetBufferList")) return null;
  let nbl = pool.free.pop();
  if (nbl === undefined) {
    const { fAllocateNetBuffer, DataSize } = pool.params;
    let nb: NetBufferObject | null = null;
    if (fAllocateNetBuffer) {
      const mdl =
        DataSize > 0 ? new MdlObject(pool.driver.runtime, new Uint8Array(DataSize), "pool") : null;
      nb = new NetBufferObject(pool, mdl, true);
    }
    nbl = new NetBufferListObject(pool, nb);
    pool.all.push(nbl);
  }
  const nb = nbl.poolNb;
  if (nb !== null) {
    const mdl = nb.poolMdl;
    initNetBuffer(nb, mdl, 0, mdl === null ? 0 : mdl.ByteCount);
  }
  initNetBufferList(nbl, pool.driver);
  pool.outstanding++;
  return nbl;
}

/** Context space asked for at allocation; false when memory runs out. */
function allocationContext(
  nbl: NetBufferListObject,
  contextSize: number,
  backFill: number,
): boolean {
  if (contextSize === 0) return true;
  if (pushContext(nbl, contextSize, backFill, false)) return true;
  if (nbl.pool.driver.runtime.takeAllocationFailure("NdisAllocateNetBufferListContext"))
    return false;
  return pushContext(nbl, contextSize, backFill, true);
}

function checkContextArgs(
  runtime: NdisRuntime,
  functionName: string,
  contextSize: unknown,
  backFill: unknown,
): boolean {
  if ((contextSize === 0 || isAlignedContextSize(contextSize)) && isCount(backFill, 0xffff)) {
    if (backFill === 0 || isAlignedContextSize(backFill)) return true;
  }
  badArgument(
    runtime,
    `${functionName}: ContextSize ${String(contextSize)} and ContextBackFill ${String(backFill)} must be multiples of MEMORY_ALLOCATION_ALIGNMENT`,
  );
  return false;
}

/**
 * NdisAllocateNetBufferList: an NBL from `NdisPoolHandle` (with its NET_BUFFER and data if the
 * pool gives them), with `ContextSize` bytes of context allocated. NULL when memory runs out.
 */
export function NdisAllocateNetBufferList(
  NdisPoolHandle: NDIS_HANDLE,
  ContextSize: number,
  ContextBackFill: number,
): NET_BUFFER_LIST | null {
  const pool = livePool("NdisAllocateNetBufferList", NdisPoolHandle, "nbl-pool");
  if (pool === null) return null;
  const runtime = pool.driver.runtime;
  if (!checkContextArgs(runtime, "NdisAllocateNetBufferList", ContextSize, ContextBackFill))
    return null;
  const nbl = takeNbl(pool);
  if (nbl === null) return null;
  if (!allocationContext(nbl, ContextSize, ContextBackFill)) {
    recycleNbl(nbl);
    return null;
  }
  return nbl;
}

/**
 * NdisAllocateNetBufferAndNetBufferList: an NBL with one NET_BUFFER over the caller's MDL chain,
 * from a pool with fAllocateNetBuffer TRUE and DataSize 0.
 */
export function NdisAllocateNetBufferAndNetBufferList(
  PoolHandle: NDIS_HANDLE,
  ContextSize: number,
  ContextBackFill: number,
  MdlChain: MDL | null,
  DataOffset: number,
  DataLength: number,
): NET_BUFFER_LIST | null {
  const name = "NdisAllocateNetBufferAndNetBufferList";
  const pool = livePool(name, PoolHandle, "nbl-pool");
  if (pool === null) return null;
  const runtime = pool.driver.runtime;
  if (!pool.params.fAllocateNetBuffer || pool.params.DataSize !== 0) {
    badArgument(
      runtime,
      `${name}: ${pool.label} was not allocated with fAllocateNetBuffer TRUE and DataSize 0`,
    );
    return null;
  }
  if (!checkContextArgs(runtime, name, ContextSize, ContextBackFill)) return null;
  if (!checkDataRange(runtime, name, MdlChain, DataOffset, DataLength)) return null;
  const nbl = takeNbl(pool);
  if (nbl === null) return null;
  initNetBuffer(nbl.poolNb as NetBufferObject, MdlChain, DataOffset, DataLength);
  if (!allocationContext(nbl, ContextSize, ContextBackFill)) {
    recycleNbl(nbl);
    return null;
  }
  return nbl;
}

/** True when `[DataOffset, DataOffset + DataLength)` fits the MDL chain; reports otherwise. */
function checkDataRange(
  runtime: NdisRuntime,
  functionName: string,
  chain: unknown,
  dataOffset: unknown,
  dataLength: unknown,
): boolean {
  let why: string | null = null;
  if (chain !== null && !(chain instanceof MdlObject))
    why = "MdlChain is not an MDL NDIS allocated";
  else if (chain instanceof MdlObject && chain.freed) why = "MdlChain was freed";
  else if (!isCount(dataOffset) || !isCount(dataLength))
    why = "DataOffset and DataLength must be ULONGs";
  else {
    const total = chainBytes(chain as MDL | null);
    if (dataOffset + dataLength > total)
      why = `DataOffset ${dataOffset} + DataLength ${dataLength} exceeds the ${total} bytes of the MDL chain`;
  }
  if (why === null) return true;
  badArgument(runtime, `${functionName}: ${why}`);
  return false;
}

/** Returns an NBL (and what came with it) to its pool. */
function recycleNbl(nbl: NetBufferListObject): void {
  const pool = nbl.pool;
  nbl.allocated = false;
  nbl.owner = null;
  nbl.Context = null;
  clearContextOwners(nbl);
  const nb = nbl.poolNb;
  if (nb !== null) nb.allocated = false;
  pool.outstanding--;
  if (pool.params.verify) {
    // Poisoned, never reused: a driver still holding it trips over NULLs.
    nbl.poisoned = true;
    nbl.Next = null;
    nbl.FirstNetBuffer = null;
    if (nb !== null) {
      nb.poisoned = true;
      nb.MdlChain = null;
      nb.CurrentMdl = null;
    }
    return;
  }
  if (!pool.freed) pool.free.push(nbl);
}

/**
 * NdisFreeNetBufferList: gives an NBL back to its pool, with the NET_BUFFER, MDL and data the
 * pool allocated with it. Only the driver that allocated it frees it, while it holds it.
 */
export function NdisFreeNetBufferList(NetBufferList: NET_BUFFER_LIST): void {
  const nbl = liveNbl("NdisFreeNetBufferList", NetBufferList);
  if (nbl === null) return;
  const caller = currentFrame().driver;
  if (caller !== null && (nbl.pool.driver !== caller || nbl.owner !== caller)) {
    const holder = nbl.owner === null ? "nobody" : nbl.owner.name;
    reportAtCaller(
      nbl.pool.driver.runtime,
      "NetBufferList_FreedByNonOwner",
      `NdisFreeNetBufferList: ${caller.name} freed an NBL of ${nbl.pool.label}, held by ${holder}`,
      nbl.pool.driver,
    );
    return;
  }
  if (nbl.derivedKind !== null) {
    reportAtCaller(
      nbl.pool.driver.runtime,
      "NetBufferList_DerivedFreeMismatch",
      `NdisFreeNetBufferList got a ${nbl.derivedKind} NET_BUFFER_LIST; NdisFree${nbl.derivedKind === "clone" ? "Clone" : nbl.derivedKind === "fragment" ? "Fragment" : "Reassembled"}NetBufferList frees it`,
      nbl.pool.driver,
    );
    return;
  }
  if (!refuseParentFree("NdisFreeNetBufferList", nbl)) return;
  reportContextLeft("NdisFreeNetBufferList", nbl);
  recycleNbl(nbl);
}

/**
 * Context space a driver allocated with NdisAllocateNetBufferListContext must be freed before the
 * NBL is (NdisFreeNetBufferList's page): what is still on the stack is reported against the
 * driver that allocated it (the freer when it was its own), and NDIS frees it with the NBL.
 */
function reportContextLeft(functionName: string, nbl: NetBufferListObject): void {
  if (nbl.contextDepth === 0) return;
  const left = contextOwnersOf(nbl);
  const caller = currentFrame().driver;
  let blamed: DriverRecord | null = null;
  for (const owner of left) if (owner !== null && owner !== caller) blamed = owner;
  blamed ??= caller ?? left[0] ?? nbl.pool.driver;
  const names = [...new Set(left.map((owner) => owner?.name ?? "a driver"))].join(", ");
  nbl.pool.driver.runtime.violate(
    "NetBufferListContext_Leaked",
    `${functionName}: an NBL of ${nbl.pool.label} still holds ${left.length} context allocation(s) made with NdisAllocateNetBufferListContext by ${names} and never freed with NdisFreeNetBufferListContext`,
    blamed,
    currentFrame().depth,
  );
}

/** NdisAllocateNetBuffer: a NET_BUFFER over the caller's MDL chain. NULL when memory runs out. */
export function NdisAllocateNetBuffer(
  PoolHandle: NDIS_HANDLE,
  MdlChain: MDL | null,
  DataOffset: number,
  DataLength: number,
): NET_BUFFER | null {
  const pool = livePool("NdisAllocateNetBuffer", PoolHandle, "nb-pool");
  if (pool === null) return null;
  const runtime = pool.driver.runtime;
  if (!checkDataRange(runtime, "NdisAllocateNetBuffer", MdlChain, DataOffset, DataLength))
    return null;
  const nb = takeNb(pool, false);
  if (nb === null) return null;
  initNetBuffer(nb, MdlChain, DataOffset, DataLength);
  return nb;
}

/**
 * NdisAllocateNetBufferMdlAndData: a NET_BUFFER with an MDL and a data buffer of the pool's
 * DataSize, all used data. NULL when memory runs out or the pool has no DataSize.
 */
export function NdisAllocateNetBufferMdlAndData(PoolHandle: NDIS_HANDLE): NET_BUFFER | null {
  const pool = livePool("NdisAllocateNetBufferMdlAndData", PoolHandle, "nb-pool");
  if (pool === null) return null;
  if (pool.params.DataSize === 0) {
    badArgument(
      pool.driver.runtime,
      `NdisAllocateNetBufferMdlAndData: ${pool.label} has DataSize 0`,
    );
    return null;
  }
  const nb = takeNb(pool, true);
  if (nb === null) return null;
  const mdl = nb.poolMdl as MdlObject;
  initNetBuffer(nb, mdl, 0, mdl.ByteCount);
  return nb;
}

function takeNb(pool: NbPool, withData: boolean): NetBufferObject | null {
  if (pool.driver.runtime.takeAllocationFailure("NdisAllocateNetBuffer")) return null;
  // Recycled NBs keep their data buffer; only those of the right shape are reused.
  const free = pool.free;
  let nb: NetBufferObject | undefined;
  for (let i = free.length - 1; i >= 0; i--) {
    if ((free[i]?.poolMdl !== null) === withData) {
      nb = free[i];
      free[i] = free[free.length - 1] as NetBufferObject;
      free.pop();
      break;
    }
  }
  if (nb === undefined) {
    const mdl = withData
      ? new MdlObject(pool.driver.runtime, new Uint8Array(pool.params.DataSize), "pool")
      : null;
    nb = new NetBufferObject(pool, mdl, false);
  }
  pool.outstanding++;
  return nb;
}

/** NdisFreeNetBuffer: gives a NET_BUFFER from NdisAllocateNetBuffer(MdlAndData) back. */
export function NdisFreeNetBuffer(NetBuffer: NET_BUFFER): void {
  const nb = liveNb("NdisFreeNetBuffer", NetBuffer);
  if (nb === null) return;
  const runtime = nb.pool.driver.runtime;
  if (nb.withNbl) {
    reportAtCaller(
      runtime,
      "NetBuffer_FreedWithList",
      "NdisFreeNetBuffer: this NET_BUFFER came with its NET_BUFFER_LIST; NdisFreeNetBufferList frees it",
    );
    return;
  }
  const pool = nb.pool as NbPool;
  nb.allocated = false;
  pool.outstanding--;
  if (pool.params.verify) {
    nb.poisoned = true;
    nb.MdlChain = null;
    nb.CurrentMdl = null;
    nb.Next = null;
    return;
  }
  if (!pool.freed) pool.free.push(nb);
}

/**
 * NdisAllocateMdl: an MDL describing `Length` bytes of `VirtualAddress`. The MDL shares the
 * caller's memory. NULL when memory runs out.
 */
export function NdisAllocateMdl(
  NdisHandle: NDIS_HANDLE,
  VirtualAddress: Uint8Array,
  Length: number,
): MDL | null {
  const target = resolveHandle(NdisHandle);
  const runtime = target?.driver.runtime ?? handleRuntime(NdisHandle) ?? currentFrame().runtime;
  if (target === null) {
    reportAtCaller(
      runtime,
      "InvalidNdisHandle",
      `NdisAllocateMdl got ${describeHandleArgument(NdisHandle)}; it needs a live NDIS handle`,
    );
    return null;
  }
  if (
    !(VirtualAddress instanceof Uint8Array) ||
    !isCount(Length) ||
    Length > VirtualAddress.length
  ) {
    if (runtime !== null)
      badArgument(
        runtime,
        `NdisAllocateMdl: Length ${String(Length)} exceeds the buffer (or VirtualAddress is not a Uint8Array)`,
      );
    return null;
  }
  if (target.driver.runtime.takeAllocationFailure("NdisAllocateMdl")) return null;
  // The caller's array itself when it is all described (a view would make V8 move a small
  // array's bytes off its heap).
  const bytes =
    Length === VirtualAddress.length ? VirtualAddress : VirtualAddress.subarray(0, Length);
  return new MdlObject(target.driver.runtime, bytes, "driver");
}

/** NdisFreeMdl: frees an MDL from NdisAllocateMdl (the memory it describes stays the caller's). */
export function NdisFreeMdl(Mdl: MDL): void {
  if (!(Mdl instanceof MdlObject) || Mdl.freed || Mdl.origin !== "driver") {
    reportAtCaller(
      Mdl instanceof MdlObject ? Mdl.runtime : null,
      Mdl instanceof MdlObject && Mdl.origin === "pool"
        ? "NetBuffer_FreedWithList"
        : "NetBufferList_Invalid",
      `NdisFreeMdl got ${Mdl instanceof MdlObject ? (Mdl.freed ? "a freed MDL" : `an MDL NDIS allocated for a ${Mdl.origin === "pool" ? "pool" : "retreat"}`) : describeObject(Mdl)}; it frees MDLs from NdisAllocateMdl`,
    );
    return;
  }
  Mdl.freed = true;
}

/**
 * NdisAllocateNetBufferListContext: pushes `ContextSize` bytes on the NBL's context stack (a new
 * block with `ContextBackFill` spare bytes when the top block is full). SUCCESS, RESOURCES, or
 * FAILURE for bad arguments.
 */
export function NdisAllocateNetBufferListContext(
  NetBufferList: NET_BUFFER_LIST,
  ContextSize: number,
  ContextBackFill: number,
  _PoolTag: number,
): NDIS_STATUS {
  // The data path's call: an NBL of NDIS's, an aligned size, no backfill, room in the top block.
  // One field changes; anything else takes the checked way. A freed NBL has no context block
  // (recycleNbl clears it), so it takes the checked way without a test of its own here: reading
  // `allocated`, in another cache line of the NBL than Context, cost an IM ~1 ns per NBL.
  if (
    NetBufferList instanceof NetBufferListObject &&
    ContextBackFill === 0 &&
    isAlignedContextSize(ContextSize)
  ) {
    const top = NetBufferList.Context;
    if (top !== null && top.Offset >= ContextSize) {
      top.Offset -= ContextSize;
      if (NetBufferList.recordsContext) pushContextOwner(NetBufferList, NetBufferList.owner);
      return NDIS_STATUS_SUCCESS;
    }
  }
  return allocateContextChecked(NetBufferList, ContextSize, ContextBackFill);
}

function allocateContextChecked(
  NetBufferList: NET_BUFFER_LIST,
  ContextSize: number,
  ContextBackFill: number,
): NDIS_STATUS {
  const nbl = liveNbl("NdisAllocateNetBufferListContext", NetBufferList);
  if (nbl === null) return NDIS_STATUS_FAILURE;
  const runtime = nbl.pool.driver.runtime;
  if (ContextSize === 0) {
    badArgument(runtime, "NdisAllocateNetBufferListContext: ContextSize is 0");
    return NDIS_STATUS_FAILURE;
  }
  if (!checkContextArgs(runtime, "NdisAllocateNetBufferListContext", ContextSize, ContextBackFill))
    return NDIS_STATUS_FAILURE;
  if (!pushContext(nbl, ContextSize, ContextBackFill, false)) {
    if (runtime.takeAllocationFailure("NdisAllocateNetBufferListContext"))
      return NDIS_STATUS_RESOURCES;
    pushContext(nbl, ContextSize, ContextBackFill, true);
  }
  if (nbl.recordsContext) pushContextOwner(nbl, nbl.owner);
  return NDIS_STATUS_SUCCESS;
}

/**
 * Not a DDI: the C bridge's hand-over of context allocations a module made and freed inside
 * itself (the data-path case of NdisAllocate/FreeNetBufferListContext, run in the module) — the
 * record of who allocated each context is brought up to date as if each call had come to NDIS:
 * `popped` frees first, then `pushed` allocations by the NBL's current owner.
 */
export function adoptModuleContextCalls(
  NetBufferList: NET_BUFFER_LIST,
  pushed: number,
  popped: number,
): void {
  if (!(NetBufferList instanceof NetBufferListObject) || !NetBufferList.recordsContext) return;
  for (let i = 0; i < popped; i++) popContextOwner(NetBufferList);
  for (let i = 0; i < pushed; i++) pushContextOwner(NetBufferList, NetBufferList.owner);
}

/** NdisFreeNetBufferListContext: pops `ContextSize` bytes the caller allocated. */
export function NdisFreeNetBufferListContext(
  NetBufferList: NET_BUFFER_LIST,
  ContextSize: number,
): void {
  // The data path's call: an NBL of NDIS's whose top block holds the aligned size and more (the
  // block stays). Freeing a block's last bytes, and anything wrong, takes the checked way; so
  // does a freed NBL, which has no context block.
  if (NetBufferList instanceof NetBufferListObject && isAlignedContextSize(ContextSize)) {
    const top = NetBufferList.Context as ContextBlock | null;
    const held = top === null ? 0 : top.Size - top.Offset;
    if (held > ContextSize || (held === ContextSize && (top as ContextBlock).reserved)) {
      (top as ContextBlock).Offset += ContextSize;
      if (NetBufferList.recordsContext) popContextOwner(NetBufferList);
      return;
    }
  }
  freeContextChecked(NetBufferList, ContextSize);
}

function freeContextChecked(NetBufferList: NET_BUFFER_LIST, ContextSize: number): void {
  const nbl = liveNbl("NdisFreeNetBufferListContext", NetBufferList);
  if (nbl === null) return;
  if (isAlignedContextSize(ContextSize) && popContext(nbl, ContextSize)) {
    if (nbl.recordsContext) popContextOwner(nbl);
  } else {
    const top = nbl.Context;
    const held = top === null ? 0 : top.Size - top.Offset;
    reportAtCaller(
      nbl.pool.driver.runtime,
      "NdisFreeNetBufferListContext_Mismatch",
      `NdisFreeNetBufferListContext: ContextSize ${String(ContextSize)}, but the top context allocation holds ${held} bytes`,
      nbl.pool.driver,
    );
  }
}

/** Stand-ins for retreats and advances that never allocate or free an MDL. */
const noAllocation = (): MdlObject | null => null;
const noRelease = (): void => undefined;

/** The MDL allocator retreat uses: the driver's NetAllocateMdl, else NDIS's own. */
function retreatAllocator(
  runtime: NdisRuntime,
  handler: NET_BUFFER_ALLOCATE_MDL | null | undefined,
): (size: number) => MdlObject | null {
  return (size) => {
    if (runtime.takeAllocationFailure("NdisRetreatNetBufferDataStart")) return null;
    if (handler === null || handler === undefined) {
      return new MdlObject(runtime, new Uint8Array(size), "retreat");
    }
    const asked: Out<number> = { value: size };
    const mdl = handler(asked);
    if (mdl === null) return null;
    if (!(mdl instanceof MdlObject) || mdl.freed || mdl.ByteCount < size) {
      reportAtCaller(
        runtime,
        "NetBufferList_Invalid",
        `NetAllocateMdl returned ${mdl instanceof MdlObject ? `an MDL of ${mdl.ByteCount} bytes for ${size}` : "something that is not an MDL from NdisAllocateMdl"}`,
      );
      return null;
    }
    return mdl;
  };
}

/** The release advance uses: NDIS's own MDLs are dropped, the driver's go to NetFreeMdl. */
function advanceReleaser(
  handler: NET_BUFFER_FREE_MDL | null | undefined,
): (mdl: MdlObject) => void {
  return (mdl) => {
    if (mdl.origin === "retreat") {
      mdl.freed = true;
      return;
    }
    if (handler !== null && handler !== undefined) handler(mdl);
    else mdl.freed = true;
  };
}

/**
 * NdisRetreatNetBufferDataStart: adds `DataOffsetDelta` bytes of used data in front; when the
 * unused space is too small, prepends a new MDL of `DataOffsetDelta + DataBackFill` bytes.
 */
export function NdisRetreatNetBufferDataStart(
  NetBuffer: NET_BUFFER,
  DataOffsetDelta: number,
  DataBackFill: number,
  AllocateMdlHandler: NET_BUFFER_ALLOCATE_MDL | null,
): NDIS_STATUS {
  const nb = liveNb("NdisRetreatNetBufferDataStart", NetBuffer);
  if (nb === null) return NDIS_STATUS_FAILURE;
  const runtime = nb.pool.driver.runtime;
  if (!isCount(DataOffsetDelta) || !isCount(DataBackFill)) {
    badArgument(
      runtime,
      "NdisRetreatNetBufferDataStart: DataOffsetDelta and DataBackFill must be ULONGs",
    );
    return NDIS_STATUS_FAILURE;
  }
  // Only a retreat past the unused space allocates; the common one builds no allocator.
  const allocate =
    nb.DataOffset >= DataOffsetDelta ? noAllocation : retreatAllocator(runtime, AllocateMdlHandler);
  return retreat(nb, DataOffsetDelta, DataBackFill, allocate)
    ? NDIS_STATUS_SUCCESS
    : NDIS_STATUS_RESOURCES;
}

/**
 * NdisAdvanceNetBufferDataStart: releases `DataOffsetDelta` bytes of used data at the front.
 * With `FreeMdl` TRUE, MDLs an earlier retreat added and that are now unused are freed (the
 * driver's through `FreeMdlHandler`).
 */
export function NdisAdvanceNetBufferDataStart(
  NetBuffer: NET_BUFFER,
  DataOffsetDelta: number,
  FreeMdl: boolean,
  FreeMdlHandler: NET_BUFFER_FREE_MDL | null,
): void {
  const nb = liveNb("NdisAdvanceNetBufferDataStart", NetBuffer);
  if (nb === null) return;
  if (!isCount(DataOffsetDelta) || DataOffsetDelta > nb.DataLength) {
    badArgument(
      nb.pool.driver.runtime,
      `NdisAdvanceNetBufferDataStart: DataOffsetDelta ${String(DataOffsetDelta)} exceeds DataLength ${nb.DataLength}`,
    );
    return;
  }
  const freeMdl = FreeMdl === true;
  advance(nb, DataOffsetDelta, freeMdl, freeMdl ? advanceReleaser(FreeMdlHandler) : noRelease);
}

/**
 * NdisRetreatNetBufferListDataStart: retreats every NET_BUFFER of the NBL. If one fails, those
 * already retreated are advanced back, so the NBL is as it was.
 */
export function NdisRetreatNetBufferListDataStart(
  NetBufferList: NET_BUFFER_LIST,
  DataOffsetDelta: number,
  DataBackFill: number,
  AllocateMdlHandler: NET_BUFFER_ALLOCATE_MDL | null,
  FreeMdlHandler: NET_BUFFER_FREE_MDL | null,
): NDIS_STATUS {
  const nbl = liveNbl("NdisRetreatNetBufferListDataStart", NetBufferList);
  if (nbl === null) return NDIS_STATUS_FAILURE;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const status = NdisRetreatNetBufferDataStart(
      nb,
      DataOffsetDelta,
      DataBackFill,
      AllocateMdlHandler,
    );
    if (status !== NDIS_STATUS_SUCCESS) {
      for (let undo = nbl.FirstNetBuffer; undo !== null && undo !== nb; undo = undo.Next) {
        NdisAdvanceNetBufferDataStart(undo, DataOffsetDelta, true, FreeMdlHandler);
      }
      return status;
    }
  }
  return NDIS_STATUS_SUCCESS;
}

/** NdisAdvanceNetBufferListDataStart: advances every NET_BUFFER of the NBL. */
export function NdisAdvanceNetBufferListDataStart(
  NetBufferList: NET_BUFFER_LIST,
  DataOffsetDelta: number,
  FreeMdl: boolean,
  FreeMdlHandler: NET_BUFFER_FREE_MDL | null,
): void {
  const nbl = liveNbl("NdisAdvanceNetBufferListDataStart", NetBufferList);
  if (nbl === null) return;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    NdisAdvanceNetBufferDataStart(nb, DataOffsetDelta, FreeMdl, FreeMdlHandler);
  }
}

/**
 * NdisGetDataBuffer: the first `BytesNeeded` bytes of used data, contiguous. A view into the MDL
 * when they lie in one (writes go to the frame), else a copy in `Storage` (NULL without one).
 * [MODEL] Alignment is not modelled: views are always "aligned", `AlignMultiple` must be a power
 * of two and `AlignOffset` below it, as NDIS requires.
 */
export function NdisGetDataBuffer(
  NetBuffer: NET_BUFFER,
  BytesNeeded: number,
  Storage: Uint8Array | null,
  AlignMultiple: number,
  AlignOffset: number,
): Uint8Array | null {
  const nb = liveNb("NdisGetDataBuffer", NetBuffer);
  if (nb === null) return null;
  if (
    !isCount(BytesNeeded) ||
    !isCount(AlignMultiple) ||
    AlignMultiple === 0 ||
    (AlignMultiple & (AlignMultiple - 1)) !== 0 ||
    !isCount(AlignOffset) ||
    AlignOffset >= AlignMultiple
  ) {
    badArgument(
      nb.pool.driver.runtime,
      `NdisGetDataBuffer: BytesNeeded ${String(BytesNeeded)}, AlignMultiple ${String(AlignMultiple)} (a power of two), AlignOffset ${String(AlignOffset)} (below it)`,
    );
    return null;
  }
  return dataBuffer(nb, BytesNeeded, Storage ?? null);
}

/** NdisGetPoolFromNetBufferList: the pool an NBL came from. */
export function NdisGetPoolFromNetBufferList(NetBufferList: NET_BUFFER_LIST): NDIS_HANDLE | null {
  const nbl = liveNbl("NdisGetPoolFromNetBufferList", NetBufferList);
  return nbl === null ? null : nbl.pool.handle;
}

/** NdisGetPoolFromNetBuffer: the pool a NET_BUFFER came from. */
export function NdisGetPoolFromNetBuffer(NetBuffer: NET_BUFFER): NDIS_HANDLE | null {
  const nb = liveNb("NdisGetPoolFromNetBuffer", NetBuffer);
  return nb === null ? null : nb.pool.handle;
}

/*
 * Derived NET_BUFFER_LISTs (learn.microsoft.com: "Derived NET_BUFFER_LIST Structures",
 * "Relationships Between NET_BUFFER_LIST Generations", and the NdisAllocateCloneNetBufferList,
 * NdisAllocateFragmentNetBufferList and NdisAllocateReassembledNetBufferList pages): new NBLs and
 * NBs over the original's data, never a copy. NDIS leaves ParentNetBufferList NULL and
 * ChildRefCount 0 — the caller maintains them — but keeps its own count of each NBL's live
 * children: handing a parent back (a completion or a return) or freeing it while a child lives is
 * NetBufferList_ParentWithLiveChildren. A derived NBL is freed only by its matching free.
 * [MODEL] The pool handles are required (NDIS's own pools, for a NULL handle, are not modelled).
 */

/** An MDL over `length` bytes of `mdl`'s buffer from `offset` (the data is shared, not copied). */
function partialMdl(runtime: NdisRuntime, mdl: MDL, offset: number, length: number): MdlObject {
  return new MdlObject(runtime, mdl.MappedSystemVa.subarray(offset, offset + length), "partial");
}

/**
 * New MDLs describing `length` bytes of `nb`'s used data from `skip` bytes into it, or null when
 * the NB holds fewer bytes.
 */
function describeRange(
  runtime: NdisRuntime,
  nb: NET_BUFFER,
  skip: number,
  length: number,
): { first: MdlObject | null; last: MdlObject | null } | null {
  if (skip + length > nb.DataLength) return null;
  let first: MdlObject | null = null;
  let last: MdlObject | null = null;
  let offset = nb.CurrentMdlOffset + skip;
  let left = length;
  for (let mdl = nb.CurrentMdl; mdl !== null && left > 0; mdl = mdl.Next) {
    if (offset >= mdl.ByteCount) {
      offset -= mdl.ByteCount;
      continue;
    }
    const take = Math.min(left, mdl.ByteCount - offset);
    const part = partialMdl(runtime, mdl, offset, take);
    if (last === null) first = part;
    else last.Next = part;
    last = part;
    left -= take;
    offset = 0;
  }
  return left === 0 ? { first, last } : null;
}

/** A NET_BUFFER that goes with a derived NBL, over `chain` (with `backFill` spare bytes first). */
function derivedNb(
  nbl: NetBufferListObject,
  runtime: NdisRuntime,
  chain: MdlObject | null,
  dataLength: number,
  delta: number,
  backFill: number,
): NetBufferObject {
  const nb = new NetBufferObject(nbl.pool, null, true);
  let head: MDL | null = chain;
  if (delta + backFill > 0) {
    const room = new MdlObject(runtime, new Uint8Array(delta + backFill), "retreat");
    room.Next = chain;
    head = room;
  }
  initNetBuffer(nb, head, backFill, delta + dataLength);
  return nb;
}

/** The checks every derived allocation makes: a live original the caller holds, live pools. */
function deriveFrom(
  functionName: string,
  original: unknown,
  poolHandle: unknown,
): { parent: NetBufferListObject; pool: NblPool } | null {
  const parent = liveNbl(functionName, original);
  if (parent === null) return null;
  const pool = livePool(functionName, poolHandle, "nbl-pool");
  if (pool === null) return null;
  const caller = currentFrame().driver;
  if (caller !== null && parent.owner !== caller) {
    reportAtCaller(
      pool.driver.runtime,
      "NetBufferList_BadArgument",
      `${functionName}: the original NET_BUFFER_LIST is held by ${parent.owner?.name ?? "NDIS"}, not by ${caller.name}`,
    );
    return null;
  }
  return { parent, pool };
}

/** Takes an NBL for a derived one, or null when memory runs out. */
function takeDerived(
  pool: NblPool,
  parent: NetBufferListObject,
  kind: "clone" | "fragment" | "reassembled",
): NetBufferListObject | null {
  const nbl = takeNbl(pool);
  if (nbl === null) return null;
  nbl.FirstNetBuffer = null;
  nbl.Context = null; // a derived NBL has no initial NET_BUFFER_LIST_CONTEXT
  nbl.derivedKind = kind;
  nbl.derivedFrom = parent;
  return nbl;
}

function appendNb(nbl: NetBufferListObject, last: NET_BUFFER | null, nb: NET_BUFFER): NET_BUFFER {
  if (last === null) nbl.FirstNetBuffer = nb;
  else last.Next = nb;
  return nb;
}

/**
 * NdisAllocateCloneNetBufferList: a NET_BUFFER_LIST whose NET_BUFFERs describe the same used data
 * as the original's — over new MDLs, or over the original MDL chains with
 * NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS. No context area. NULL when memory runs out.
 */
export function NdisAllocateCloneNetBufferList(
  OriginalNetBufferList: NET_BUFFER_LIST,
  NetBufferListPoolHandle: NDIS_HANDLE,
  NetBufferPoolHandle: NDIS_HANDLE | null,
  AllocateCloneFlags: number,
): NET_BUFFER_LIST | null {
  const name = "NdisAllocateCloneNetBufferList";
  const from = deriveFrom(name, OriginalNetBufferList, NetBufferListPoolHandle);
  if (from === null) return null;
  if (NetBufferPoolHandle !== null && livePool(name, NetBufferPoolHandle, "nb-pool") === null)
    return null;
  const { parent, pool } = from;
  const runtime = pool.driver.runtime;
  const clone = takeDerived(pool, parent, "clone");
  if (clone === null) return null;
  const original = (AllocateCloneFlags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) !== 0;
  let last: NET_BUFFER | null = null;
  for (let nb = parent.FirstNetBuffer; nb !== null; nb = nb.Next) {
    let copy: NetBufferObject;
    if (original) {
      copy = new NetBufferObject(pool, null, true);
      initNetBuffer(copy, nb.MdlChain, nb.DataOffset, nb.DataLength);
    } else {
      const range = describeRange(runtime, nb, 0, nb.DataLength);
      copy = derivedNb(clone, runtime, range?.first ?? null, nb.DataLength, 0, 0);
    }
    last = appendNb(clone, last, copy);
  }
  for (let i = 0; i < clone.NetBufferListInfo.length; i++)
    clone.NetBufferListInfo[i] = parent.NetBufferListInfo[i];
  parent.liveChildren++;
  return clone;
}

/**
 * NdisAllocateFragmentNetBufferList: a NET_BUFFER_LIST whose NET_BUFFERs divide each original
 * NET_BUFFER's used data, from `StartOffset` on, into pieces of at most `MaximumLength` bytes,
 * each with `DataOffsetDelta` bytes of new data space before it (and `DataBackFill` more
 * unused). NULL when memory runs out or the arguments do not fit the original.
 */
export function NdisAllocateFragmentNetBufferList(
  OriginalNetBufferList: NET_BUFFER_LIST,
  NetBufferListPool: NDIS_HANDLE,
  NetBufferPool: NDIS_HANDLE | null,
  StartOffset: number,
  MaximumLength: number,
  DataOffsetDelta: number,
  DataBackFill: number,
  _AllocateFragmentFlags: number,
): NET_BUFFER_LIST | null {
  const name = "NdisAllocateFragmentNetBufferList";
  const from = deriveFrom(name, OriginalNetBufferList, NetBufferListPool);
  if (from === null) return null;
  if (NetBufferPool !== null && livePool(name, NetBufferPool, "nb-pool") === null) return null;
  const { parent, pool } = from;
  const runtime = pool.driver.runtime;
  if (
    !isCount(StartOffset) ||
    !isCount(MaximumLength) ||
    MaximumLength === 0 ||
    !isCount(DataOffsetDelta) ||
    !isCount(DataBackFill)
  ) {
    badArgument(
      runtime,
      `${name}: StartOffset, DataOffsetDelta and DataBackFill must be ULONGs and MaximumLength a ULONG above 0`,
    );
    return null;
  }
  for (let nb = parent.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.DataLength < StartOffset) {
      badArgument(
        runtime,
        `${name}: StartOffset ${StartOffset} is beyond a NET_BUFFER of ${nb.DataLength} bytes`,
      );
      return null;
    }
  }
  const fragment = takeDerived(pool, parent, "fragment");
  if (fragment === null) return null;
  let last: NET_BUFFER | null = null;
  for (let nb = parent.FirstNetBuffer; nb !== null; nb = nb.Next) {
    for (let at = StartOffset; at < nb.DataLength; at += MaximumLength) {
      const length = Math.min(MaximumLength, nb.DataLength - at);
      const range = describeRange(runtime, nb, at, length);
      const piece = derivedNb(
        fragment,
        runtime,
        range?.first ?? null,
        length,
        DataOffsetDelta,
        DataBackFill,
      );
      last = appendNb(fragment, last, piece);
    }
  }
  for (let i = 0; i < fragment.NetBufferListInfo.length; i++)
    fragment.NetBufferListInfo[i] = parent.NetBufferListInfo[i];
  parent.liveChildren++;
  return fragment;
}

/**
 * NdisAllocateReassembledNetBufferList: a NET_BUFFER_LIST with one NET_BUFFER describing the used
 * data of every NET_BUFFER of the fragmented original, each from `StartOffset` on, one after the
 * other, with `DataOffsetDelta` bytes of new data space before it (and `DataBackFill` more).
 */
export function NdisAllocateReassembledNetBufferList(
  FragmentNetBufferList: NET_BUFFER_LIST,
  NetBufferAndNetBufferListPoolHandle: NDIS_HANDLE,
  StartOffset: number,
  DataOffsetDelta: number,
  DataBackFill: number,
  _AllocateReassembleFlags: number,
): NET_BUFFER_LIST | null {
  const name = "NdisAllocateReassembledNetBufferList";
  const from = deriveFrom(name, FragmentNetBufferList, NetBufferAndNetBufferListPoolHandle);
  if (from === null) return null;
  const { parent, pool } = from;
  const runtime = pool.driver.runtime;
  if (!isCount(StartOffset) || !isCount(DataOffsetDelta) || !isCount(DataBackFill)) {
    badArgument(runtime, `${name}: StartOffset, DataOffsetDelta and DataBackFill must be ULONGs`);
    return null;
  }
  let head: MdlObject | null = null;
  let tail: MdlObject | null = null;
  let total = 0;
  for (let nb = parent.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const length = nb.DataLength - StartOffset;
    const range = length < 0 ? null : describeRange(runtime, nb, StartOffset, length);
    if (range === null) {
      badArgument(
        runtime,
        `${name}: StartOffset ${StartOffset} is beyond a NET_BUFFER of ${nb.DataLength} bytes`,
      );
      return null;
    }
    if (range.first === null) continue;
    if (tail === null) head = range.first;
    else tail.Next = range.first;
    tail = range.last;
    total += length;
  }
  const whole = takeDerived(pool, parent, "reassembled");
  if (whole === null) return null;
  whole.FirstNetBuffer = derivedNb(whole, runtime, head, total, DataOffsetDelta, DataBackFill);
  for (let i = 0; i < whole.NetBufferListInfo.length; i++)
    whole.NetBufferListInfo[i] = parent.NetBufferListInfo[i];
  parent.liveChildren++;
  return whole;
}

/** The frees of derived NBLs: the matching kind, held by the caller; the parent's count drops. */
function freeDerived(
  functionName: string,
  kind: "clone" | "fragment" | "reassembled",
  value: unknown,
): void {
  const nbl = liveNbl(functionName, value);
  if (nbl === null) return;
  const runtime = nbl.pool.driver.runtime;
  const caller = currentFrame().driver;
  if (nbl.derivedKind !== kind) {
    reportAtCaller(
      runtime,
      "NetBufferList_DerivedFreeMismatch",
      `${functionName} got ${nbl.derivedKind === null ? "a NET_BUFFER_LIST that is not derived" : `a ${nbl.derivedKind} NET_BUFFER_LIST`}; it frees what NdisAllocate${kind === "clone" ? "Clone" : kind === "fragment" ? "Fragment" : "Reassembled"}NetBufferList made`,
      nbl.pool.driver,
    );
    return;
  }
  if (caller !== null && (nbl.pool.driver !== caller || nbl.owner !== caller)) {
    reportAtCaller(
      runtime,
      "NetBufferList_FreedByNonOwner",
      `${functionName}: ${caller.name} freed a ${kind} NET_BUFFER_LIST of ${nbl.pool.label}, held by ${nbl.owner?.name ?? "nobody"}`,
      nbl.pool.driver,
    );
    return;
  }
  if (!refuseParentFree(functionName, nbl)) return;
  reportContextLeft(functionName, nbl);
  const parent = nbl.derivedFrom;
  if (parent !== null && parent.liveChildren > 0) parent.liveChildren--;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next)
    (nb as NetBufferObject).allocated = false;
  recycleNbl(nbl);
}

/** False (after reporting) when `nbl` still has derived NBLs alive: it may not go yet. */
function refuseParentFree(functionName: string, nbl: NetBufferListObject): boolean {
  if (nbl.liveChildren === 0) return true;
  reportAtCaller(
    nbl.pool.driver.runtime,
    "NetBufferList_ParentWithLiveChildren",
    `${functionName}: the NET_BUFFER_LIST still has ${nbl.liveChildren} derived NET_BUFFER_LIST${nbl.liveChildren === 1 ? "" : "s"} (clone, fragment or reassembled) not freed; it stays`,
    nbl.pool.driver,
  );
  return false;
}

/** NdisFreeCloneNetBufferList: frees a clone and the NET_BUFFERs and MDLs NDIS made with it. */
export function NdisFreeCloneNetBufferList(
  CloneNetBufferList: NET_BUFFER_LIST,
  _FreeCloneFlags: number,
): void {
  freeDerived("NdisFreeCloneNetBufferList", "clone", CloneNetBufferList);
}

/** NdisFreeFragmentNetBufferList: frees a fragment NBL and what NDIS made with it. */
export function NdisFreeFragmentNetBufferList(
  FragmentNetBufferList: NET_BUFFER_LIST,
  _DataOffsetDelta: number,
  _FreeFragmentFlags: number,
): void {
  freeDerived("NdisFreeFragmentNetBufferList", "fragment", FragmentNetBufferList);
}

/** NdisFreeReassembledNetBufferList: frees a reassembled NBL and what NDIS made with it. */
export function NdisFreeReassembledNetBufferList(
  ReassembledNetBufferList: NET_BUFFER_LIST,
  _DataOffsetDelta: number,
  _FreeReassembleFlags: number,
): void {
  freeDerived("NdisFreeReassembledNetBufferList", "reassembled", ReassembledNetBufferList);
}
