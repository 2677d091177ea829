/**
 * NDIS's interface stack table (ifStackTable of RFC 2863) as MUX-style drivers fill it with
 * NdisIfAddIfStackEntry (src/runtime/api/ifstack.ts). NDIS drops an interface's entries when the
 * interface goes. [MODEL] The registered interfaces are the host's adapters (filter modules share
 * their adapter's index here); the entries NDIS keeps itself for filters are not listed.
 */
import type { NdisRuntime } from "../objects/records.js";

/** One row of the interface stack table. */
export interface NDIS_IF_STACK_ENTRY {
  readonly HigherLayerIfIndex: number;
  readonly LowerLayerIfIndex: number;
}

const tables = new WeakMap<NdisRuntime, Map<string, NDIS_IF_STACK_ENTRY>>();

/** An interface NDIS knows: an adapter's index. */
export function isRegisteredInterface(runtime: NdisRuntime, ifIndex: number): boolean {
  for (const adapter of runtime.adapters.values()) if (adapter.ifIndex === ifIndex) return true;
  return false;
}

export function addIfStackEntry(runtime: NdisRuntime, entry: NDIS_IF_STACK_ENTRY): void {
  let table = tables.get(runtime);
  if (table === undefined) {
    table = new Map();
    tables.set(runtime, table);
  }
  table.set(`${entry.HigherLayerIfIndex}:${entry.LowerLayerIfIndex}`, entry);
}

export function deleteIfStackEntry(runtime: NdisRuntime, higher: number, lower: number): void {
  tables.get(runtime)?.delete(`${higher}:${lower}`);
}

/** The table as it stands: entries whose interfaces are both still registered. */
export function ifStackTable(runtime: NdisRuntime): NDIS_IF_STACK_ENTRY[] {
  const table = tables.get(runtime);
  if (table === undefined) return [];
  for (const [key, entry] of table) {
    if (
      !isRegisteredInterface(runtime, entry.HigherLayerIfIndex) ||
      !isRegisteredInterface(runtime, entry.LowerLayerIfIndex)
    )
      table.delete(key);
  }
  return [...table.values()];
}
