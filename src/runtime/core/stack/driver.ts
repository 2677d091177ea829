/**
 * NDIS's per-driver state: the loaded driver, and the miniport and protocol "driver blocks" each
 * successful registration creates (NDIS's NDIS_M_DRIVER_BLOCK / protocol block).
 */

import type { DRIVER_OBJECT, NDIS_HANDLE } from "../../../ndis/types.js";
import type { NdisVersionInfo } from "../../../ndis/version.js";
import type {
  FilterCharacteristicsCopy,
  MiniportCharacteristicsCopy,
  ProtocolCharacteristicsCopy,
} from "../base/characteristics.js";
import {
  createDriverObject,
  mintHandle,
  retireDriverObject,
  revokeHandle,
} from "../objects/handles.js";
import { releasePool } from "../objects/nbl.js";
import type {
  DriverRecord,
  FilterDriverBlock,
  FilterInstall,
  MiniportDriverBlock,
  NdisRuntime,
  ProtocolDriverBlock,
  RegistryValue,
} from "../objects/records.js";
import { releaseAll } from "../objects/resources.js";
import { retireAdapter } from "./adapter.js";
import { retireModule } from "./filter.js";

export function createDriverRecord(
  runtime: NdisRuntime,
  name: string,
  registry: ReadonlyMap<string, RegistryValue>,
): DriverRecord {
  const record: DriverRecord = {
    runtime,
    name,
    // replaced below: the DRIVER_OBJECT needs the record to point at
    driverObject: undefined as unknown as DRIVER_OBJECT,
    registryPath: `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${name}`,
    registry,
    state: "loading",
    crashed: null,
    miniportDrivers: [],
    protocolDrivers: [],
    filterDrivers: [],
    pools: new Set(),
    configs: new Set(),
    timers: new Set(),
    workItems: new Set(),
    clones: new Set(),
    kernelPending: new Set(),
    memory: new Map(),
  };
  (record as { driverObject: DRIVER_OBJECT }).driverObject = createDriverObject(record, name);
  return record;
}

export function addMiniportDriver(
  driver: DriverRecord,
  chars: MiniportCharacteristicsCopy,
  version: NdisVersionInfo,
  context: unknown,
): MiniportDriverBlock {
  const block = {
    kind: "miniport-driver",
    driver,
    context,
    chars,
    version,
    inSetOptions: false,
    optionalHandlers: new Map(),
    associatedProtocol: null,
    adapters: [],
  } as Omit<MiniportDriverBlock, "handle"> as MiniportDriverBlock;
  const edge = chars.isIntermediate ? "IM miniport driver" : "miniport driver";
  (block as { handle: NDIS_HANDLE }).handle = mintHandle(`${edge} ${driver.name}`, block);
  driver.miniportDrivers.push(block);
  return block;
}

export function addProtocolDriver(
  driver: DriverRecord,
  chars: ProtocolCharacteristicsCopy,
  version: NdisVersionInfo,
  context: unknown,
): ProtocolDriverBlock {
  const block = {
    kind: "protocol-driver",
    driver,
    context,
    chars,
    version,
    inSetOptions: false,
    optionalHandlers: new Map(),
    associatedMiniport: null,
  } as Omit<ProtocolDriverBlock, "handle"> as ProtocolDriverBlock;
  (block as { handle: NDIS_HANDLE }).handle = mintHandle(`protocol ${chars.Name}`, block);
  driver.protocolDrivers.push(block);
  return block;
}

/** The filter registration of NdisFRegisterFilterDriver; `install` null: the host's defaults. */
export function addFilterDriver(
  driver: DriverRecord,
  chars: FilterCharacteristicsCopy,
  version: NdisVersionInfo,
  context: unknown,
  install: FilterInstall | null,
): FilterDriverBlock {
  const block = {
    kind: "filter-driver",
    driver,
    context,
    chars,
    version,
    inSetOptions: false,
    optionalHandlers: new Map(),
    install: install ?? DEFAULT_FILTER_INSTALL,
    modules: [],
  } as Omit<FilterDriverBlock, "handle"> as FilterDriverBlock;
  (block as { handle: NDIS_HANDLE }).handle = mintHandle(`filter driver ${driver.name}`, block);
  driver.filterDrivers.push(block);
  return block;
}

/**
 * [MODEL] The order of the documented FilterClass values, from the one nearest the protocols to
 * the one nearest the miniport; a stack sorts its filters by it (higher order = higher up).
 */
export const FILTER_CLASS_ORDER: readonly string[] = Object.freeze([
  "scheduler",
  "encryption",
  "compression",
  "vpn",
  "load_balance",
  "failover",
  "diagnostic",
  "custom",
  "provider_address",
  "identification",
]);

/** A class's place in a stack: higher is nearer the protocols. Unknown classes sit with custom. */
export function filterClassOrder(filterClass: string): number {
  const i = FILTER_CLASS_ORDER.indexOf(filterClass.toLowerCase());
  const index = i < 0 ? FILTER_CLASS_ORDER.indexOf("custom") : i;
  return FILTER_CLASS_ORDER.length - index;
}

/**
 * [MODEL] How a filter driver loaded without an install description is installed: an optional
 * modifying filter of class "custom" on every adapter.
 */
export const DEFAULT_FILTER_INSTALL: FilterInstall = Object.freeze({
  filterClass: "custom",
  order: filterClassOrder("custom"),
  type: "modifying",
  mandatory: false,
  adapters: null,
});

/** Releases a filter registration: its modules (already detached) and its handle. */
export function removeFilterDriver(block: FilterDriverBlock): void {
  for (const module of [...block.modules]) retireModule(module, null);
  const list = block.driver.filterDrivers;
  const index = list.indexOf(block);
  if (index >= 0) list.splice(index, 1);
  revokeHandle(block.handle);
}

/** Releases a miniport registration: dissolves its association and revokes its handle. */
export function removeMiniportDriver(block: MiniportDriverBlock): void {
  for (const adapter of [...block.adapters]) retireAdapter(adapter, null);
  const list = block.driver.miniportDrivers;
  const index = list.indexOf(block);
  if (index >= 0) list.splice(index, 1);
  if (block.associatedProtocol !== null) block.associatedProtocol.associatedMiniport = null;
  block.associatedProtocol = null;
  revokeHandle(block.handle);
}

/** Releases a protocol registration: dissolves its association and revokes its handle. */
export function removeProtocolDriver(block: ProtocolDriverBlock): void {
  const list = block.driver.protocolDrivers;
  const index = list.indexOf(block);
  if (index >= 0) list.splice(index, 1);
  if (block.associatedMiniport !== null) block.associatedMiniport.associatedProtocol = null;
  block.associatedMiniport = null;
  revokeHandle(block.handle);
}

/** Names of the registrations a driver still holds (`IM miniport driver`, `protocol X`). */
export function liveRegistrations(driver: DriverRecord): string[] {
  return [
    ...driver.miniportDrivers.map((b) =>
      b.chars.isIntermediate ? "IM miniport driver" : "miniport driver",
    ),
    ...driver.protocolDrivers.map((b) => `protocol ${b.chars.Name}`),
    ...driver.filterDrivers.map(() => "filter driver"),
  ];
}

/** Releases everything a driver registered or allocated and forgets its DRIVER_OBJECT. */
export function retireDriver(driver: DriverRecord): void {
  for (const pool of [...driver.pools]) releasePool(pool);
  releaseAll(driver);
  for (const block of [...driver.miniportDrivers]) removeMiniportDriver(block);
  for (const block of [...driver.protocolDrivers]) removeProtocolDriver(block);
  for (const block of [...driver.filterDrivers]) removeFilterDriver(block);
  driver.runtime.drivers.delete(driver.name);
  driver.runtime.filterInstalls.delete(driver.name);
  retireDriverObject(driver.driverObject);
}
