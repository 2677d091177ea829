/**
 * Pool memory: NdisAllocateMemoryWithTagPriority / NdisFreeMemory, tracked per driver and pool tag
 * as Driver Verifier's pool tracking does — a block still allocated when the driver unloads is
 * reported by tag (Memory_LeakedAtUnload). Lookaside lists (NdisInitializeNPagedLookasideList)
 * hand out fixed-size blocks of the same tracked memory. ≤ DISPATCH_LEVEL for every call.
 *
 * In TypeScript a block is a zeroed `Uint8Array` of the requested length (the caller owns its
 * bytes); a C driver's block lives in its module's linear memory and the bridge tracks its
 * address the same way.
 */
import { DISPATCH_LEVEL } from "../../ndis/irql.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import { describeHandleArgument, handleRuntime } from "../core/objects/handles.js";
import type { DriverRecord } from "../core/objects/records.js";
import { poolTagToString, resourceOwnerOf } from "../core/objects/resources.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

/** EX_POOL_PRIORITY values. */
export const LowPoolPriority = 0;
export const NormalPoolPriority = 16;
export const HighPoolPriority = 32;

/**
 * The driver behind an NdisHandle a driver may allocate memory with (its driver handle from
 * registration, an adapter or binding handle), or null after reporting InvalidNdisHandle.
 */
function driverOf(functionName: string, handle: unknown): DriverRecord | null {
  const resolved = resourceOwnerOf(handle);
  if (resolved !== null) return resolved.driver;
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a driver, adapter or binding handle NDIS gave the caller`,
  );
  return null;
}

/** Which driver a TypeScript block (a `Uint8Array`) was allocated to. */
const blockOwners = new WeakMap<object, DriverRecord>();

/** Records a block `key` of `Length` bytes under `Tag` for `driver` (the C bridge uses it too). */
export function trackAllocation(
  driver: DriverRecord,
  key: unknown,
  Length: number,
  Tag: number,
): void {
  if (Tag === 0) {
    driver.runtime.violate(
      "NdisAllocateMemoryWithTagPriority",
      `NdisAllocateMemoryWithTagPriority of ${Length} bytes without a pool tag`,
      currentFrame().driver ?? driver,
      currentFrame().depth,
    );
  }
  driver.memory.set(key, { tag: Tag >>> 0, length: Length });
  if (typeof key === "object" && key !== null) blockOwners.set(key, driver);
}

/**
 * Forgets block `key` of `owner` (for a TypeScript block, the driver it was allocated to);
 * reports NdisFreeMemory_NotAllocated for a block that is not allocated (or freed already).
 * Returns false then.
 */
export function untrackAllocation(key: unknown, what: string, owner?: DriverRecord): boolean {
  const driver =
    owner ?? (typeof key === "object" && key !== null ? blockOwners.get(key) : undefined);
  if (driver?.memory.delete(key) === true) return true;
  const frame = currentFrame();
  const runtime = driver?.runtime ?? frame.runtime;
  runtime?.violate(
    "NdisFreeMemory_NotAllocated",
    `NdisFreeMemory of ${what}: not a block NdisAllocateMemoryWithTagPriority returned, or freed already`,
    frame.driver ?? driver ?? null,
    frame.depth,
  );
  return false;
}

/**
 * NdisAllocateMemoryWithTagPriority: `Length` zeroed bytes tagged `Tag` (four characters, e.g.
 * 0x73736150 for 'Pass'), or NULL when memory runs out. ≤ DISPATCH_LEVEL.
 */
export function NdisAllocateMemoryWithTagPriority(
  NdisHandle: NDIS_HANDLE,
  Length: number,
  Tag: number,
  Priority: number,
): Uint8Array | null {
  const driver = driverOf("NdisAllocateMemoryWithTagPriority", NdisHandle);
  if (driver === null) return null;
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(
    runtime,
    "NdisAllocateMemoryWithTagPriority",
    driver,
    `${Length} bytes, tag '${poolTagToString(Tag)}'`,
  );
  checkIrql(
    runtime,
    driver,
    "NdisAllocateMemoryWithTagPriority",
    DISPATCH_LEVEL,
    "Irql_Miscellaneous_Function",
  );
  if (!Number.isInteger(Length) || Length < 0 || Length > 0x7fffffff) {
    done(undefined, "bad Length");
    return null;
  }
  void Priority;
  if (runtime.takeAllocationFailure("NdisAllocateMemoryWithTagPriority")) {
    done(undefined, "out of memory");
    return null;
  }
  const block = new Uint8Array(Length);
  trackAllocation(driver, block, Length, Tag);
  done(undefined);
  return block;
}

/** NdisFreeMemory: frees a block of NdisAllocateMemoryWithTagPriority (`MemoryFlags` 0). */
export function NdisFreeMemory(VirtualAddress: unknown, Length: number, MemoryFlags: number): void {
  void Length;
  void MemoryFlags;
  const frame = currentFrame();
  const done = frame.runtime === null ? null : enter(frame.runtime, "NdisFreeMemory", frame.driver);
  untrackAllocation(
    VirtualAddress,
    VirtualAddress instanceof Uint8Array
      ? `a ${VirtualAddress.length}-byte buffer`
      : describeHandleArgument(VirtualAddress),
  );
  done?.(undefined);
}

/** Allocate and free functions a lookaside list may be given (NULL: NDIS's own). */
export type ALLOCATE_FUNCTION = (PoolType: number, NumberOfBytes: number, Tag: number) => unknown;
export type FREE_FUNCTION = (Buffer: unknown) => void;

/**
 * NPAGED_LOOKASIDE_LIST: caller-allocated, set up by NdisInitializeNPagedLookasideList. The
 * model keeps its free blocks (up to `Depth`) and the handle whose driver is charged.
 */
export interface NPAGED_LOOKASIDE_LIST {
  Size?: number;
  Tag?: number;
  Depth?: number;
  /** Blocks freed to the list and not yet handed out again. */
  Free?: Uint8Array[];
  /** The driver whose memory the list's blocks are (the caller of the initialize call). */
  Owner?: unknown;
}

const listOwners = new WeakMap<NPAGED_LOOKASIDE_LIST, DriverRecord>();

/**
 * NdisInitializeNPagedLookasideList: a list of `Size`-byte blocks tagged `Tag`. `Allocate` and
 * `Free` must be NULL (NDIS's own allocator, the tracked pool); `Flags` 0; `Depth` 0.
 */
export function NdisInitializeNPagedLookasideList(
  Lookaside: NPAGED_LOOKASIDE_LIST,
  Allocate: ALLOCATE_FUNCTION | null,
  Free: FREE_FUNCTION | null,
  Flags: number,
  Size: number,
  Tag: number,
  Depth: number,
): void {
  void Allocate;
  void Free;
  void Flags;
  void Depth;
  const frame = currentFrame();
  const driver = frame.driver;
  if (frame.runtime !== null)
    enter(frame.runtime, "NdisInitializeNPagedLookasideList", driver)(undefined);
  Lookaside.Size = Size;
  Lookaside.Tag = Tag;
  Lookaside.Depth = 16;
  Lookaside.Free = [];
  if (driver !== null) {
    listOwners.set(Lookaside, driver);
    // The list itself counts as an allocation until NdisDeleteNPagedLookasideList.
    driver.memory.set(Lookaside, { tag: Tag >>> 0, length: 0, lookaside: true });
  }
}

/** NdisAllocateFromNPagedLookasideList: a block of the list's size, or NULL. ≤ DISPATCH_LEVEL. */
export function NdisAllocateFromNPagedLookasideList(
  Lookaside: NPAGED_LOOKASIDE_LIST,
): Uint8Array | null {
  const driver = listOwners.get(Lookaside);
  if (driver === undefined) {
    reportAtCaller(
      null,
      "InvalidNdisHandle",
      "NdisAllocateFromNPagedLookasideList on a list NdisInitializeNPagedLookasideList did not set up (or deleted)",
    );
    return null;
  }
  const reused = Lookaside.Free?.pop();
  const block = reused ?? new Uint8Array(Lookaside.Size ?? 0);
  if (reused !== undefined) block.fill(0);
  trackAllocation(driver, block, block.length, Lookaside.Tag ?? 0);
  return block;
}

/** NdisFreeToNPagedLookasideList: gives a block back to its list. ≤ DISPATCH_LEVEL. */
export function NdisFreeToNPagedLookasideList(
  Lookaside: NPAGED_LOOKASIDE_LIST,
  Entry: Uint8Array,
): void {
  if (!untrackAllocation(Entry, "a block of a lookaside list")) return;
  const free = Lookaside.Free;
  if (free !== undefined && free.length < (Lookaside.Depth ?? 0)) free.push(Entry);
}

/** NdisDeleteNPagedLookasideList: frees the list's cached blocks; the list is gone. */
export function NdisDeleteNPagedLookasideList(Lookaside: NPAGED_LOOKASIDE_LIST): void {
  const driver = listOwners.get(Lookaside);
  listOwners.delete(Lookaside);
  driver?.memory.delete(Lookaside);
  if (Lookaside.Free !== undefined) Lookaside.Free.length = 0;
}
