/**
 * An indication under NDIS_RECEIVE_FLAGS_RESOURCES goes back to its indicator when the call
 * returns, with no return call where NDIS could look at it: the drivers above must have put it
 * back as they got it by then. Two things are checked as the call returns, for each NBL:
 *
 * - its SourceHandle is the one it was indicated with (an IM that replaced it puts it back,
 *   NetBufferList_SourceHandle);
 * - it holds no context allocation made during the call (NdisAllocateNetBufferListContext by a
 *   driver above, never freed, NetBufferListContext_Leaked) — the crossing check of
 *   NdisReturnNetBufferLists and NdisFReturnNetBufferLists (lookup.ts) for the RESOURCES case.
 *
 * Only RESOURCES indications pay for it: the marks go on one array reused by every call (nested
 * indications, an IM re-indicating, stack their marks on it), so nothing is allocated per packet
 * once it has grown.
 */
import { NDIS_RECEIVE_FLAGS_RESOURCES, type NET_BUFFER_LIST } from "../../ndis/nbl.js";
import type {
  Binding,
  DriverRecord,
  FilterModule,
  MiniportAdapter,
  NdisRuntime,
} from "../core/objects/records.js";
import { contextOwnersOf, NetBufferListObject } from "../core/objects/records.js";
import { receiveEdgeAbove } from "../core/stack/crossing.js";
import { reportAtCaller } from "./lookup.js";

/** NBL, context allocations, SourceHandle: three cells per NBL of every RESOURCES call in progress. */
const marks: unknown[] = [];

/** Whether `flags` make the indication one to check (then call markResources first). */
export function isResources(flags: number): boolean {
  return (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
}

/** Notes each NBL's state as indicated; returns where its marks start, for checkResources. */
export function markResources(chain: NET_BUFFER_LIST | null): number {
  const base = marks.length;
  // A chain that loops or holds foreign objects is the indication's checks' to report.
  let n = 0;
  for (let nbl = chain; nbl !== null && n < 1 << 16; nbl = nbl.Next, n++) {
    if (!(nbl instanceof NetBufferListObject)) break;
    marks.push(nbl, nbl.contextDepth, nbl.SourceHandle);
  }
  return base;
}

/**
 * After a RESOURCES indication of `adapter` (by its miniport, or by filter module `from`)
 * returned: reports what the drivers above left changed, and drops the call's marks.
 */
export function checkResources(
  runtime: NdisRuntime,
  base: number,
  adapter: MiniportAdapter,
  from: FilterModule | null,
  where: string,
): void {
  for (let i = base; i < marks.length; i += 3) {
    const nbl = marks[i] as NetBufferListObject;
    const contexts = marks[i + 1] as number;
    const source = marks[i + 2];
    const index = (i - base) / 3;
    if (nbl.contextDepth > contexts) {
      const left = contextOwnersOf(nbl).slice(contexts);
      const names = [...new Set(left.map((o) => o?.name ?? "a driver"))].join(", ");
      reportAtCaller(
        runtime,
        "NetBufferListContext_Leaked",
        `${where} (NDIS_RECEIVE_FLAGS_RESOURCES): NBL #${index} came back still holding ${left.length} context allocation(s) ${names} made with NdisAllocateNetBufferListContext during the indication and never freed with NdisFreeNetBufferListContext`,
        left.find((o) => o !== null) ?? receiverOf(adapter, from),
      );
    }
    if (nbl.SourceHandle !== source) {
      reportAtCaller(
        runtime,
        "NetBufferList_SourceHandle",
        `${where} (NDIS_RECEIVE_FLAGS_RESOURCES): NBL #${index} came back with a SourceHandle other than the one it was indicated with; the driver above that replaced it did not put it back`,
        receiverOf(adapter, from),
      );
    }
  }
  marks.length = base;
}

/** The driver the indication went to first: the module above, else the one running binding. */
function receiverOf(adapter: MiniportAdapter, from: FilterModule | null): DriverRecord | null {
  const above = adapter.filters.length === 0 ? null : receiveEdgeAbove(adapter, from);
  if (above !== null) return above.driver;
  let single: Binding | null = null;
  for (const b of adapter.bindings) {
    if (b.machine.state !== "Running") continue;
    if (single !== null) return null;
    single = b;
  }
  return single?.driver ?? null;
}
