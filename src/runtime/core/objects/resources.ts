import { devicesOf, removeDevice } from "./devices.js";
import { resolveHandle, revokeHandle } from "./handles.js";
import { releasePool } from "./nbl.js";
import type {
  Binding,
  ConfigRecord,
  DriverRecord,
  FilterModule,
  MiniportAdapter,
  RegistryValue,
  ResourceOwner,
  TimerRecord,
  WorkItemRecord,
} from "./records.js";

/**
 * The driver and owner behind a handle a timer or work item may be allocated with: a miniport
 * adapter handle or an open binding handle (the resource is that object's), or a miniport or
 * protocol driver handle (the driver's own). Null for anything else.
 */
export function resourceOwnerOf(
  handle: unknown,
): { readonly driver: DriverRecord; readonly owner: ResourceOwner } | null {
  const target = resolveHandle(handle);
  if (target?.kind === "miniport-adapter") return { driver: target.driver, owner: target };
  if (target?.kind === "binding" && target.handle === handle)
    return { driver: target.driver, owner: target };
  if (target?.kind === "filter-module") return { driver: target.driver, owner: target };
  if (
    target?.kind === "miniport-driver" ||
    target?.kind === "protocol-driver" ||
    target?.kind === "filter-driver"
  )
    return { driver: target.driver, owner: null };
  return null;
}

/** `timer of hub on adapter eth0`, `work item of team on binding team → m1`, `timer of raw`. */
export function resourceLabel(what: string, driver: DriverRecord, owner: ResourceOwner): string {
  if (owner === null) return `${what} of ${driver.name}`;
  if (owner.kind === "filter-module") return `${what} of ${owner.name}`;
  return owner.kind === "binding"
    ? `${what} of ${driver.name} on binding ${owner.protocol.chars.Name} → ${owner.adapter.name}`
    : `${what} of ${driver.name} on adapter ${owner.name}`;
}

/** Frees a work item (NdisFreeIoWorkItem, or NDIS cleaning up); a queued run is dropped. */
export function freeWorkItem(item: WorkItemRecord): void {
  item.cancel?.();
  item.cancel = null;
  item.driver.workItems.delete(item);
  revokeHandle(item.handle);
}

/** Closes a configuration handle (NdisCloseConfiguration, or NDIS cleaning up). */
export function closeConfig(config: ConfigRecord): void {
  config.driver.configs.delete(config);
  revokeHandle(config.handle);
}

/** Stops a timer's pending expiry; true when it was set. */
export function stopTimer(timer: TimerRecord): boolean {
  if (timer.cancel === null) return false;
  timer.cancel();
  timer.cancel = null;
  return true;
}

/** Frees a timer object (NdisFreeTimerObject, or NDIS cleaning up). */
export function freeTimer(timer: TimerRecord): void {
  stopTimer(timer);
  timer.driver.timers.delete(timer);
  revokeHandle(timer.handle);
}

/**
 * At the end of MiniportHaltEx (or of a failed MiniportInitializeEx) and at an unbind: reports
 * configuration handles left open and timers left set for `owner`, and takes them back.
 */
export function reclaimOwnedBy(
  owner: MiniportAdapter | Binding | FilterModule,
  when: string,
): void {
  const driver = owner.driver;
  const runtime = driver.runtime;
  if (owner.kind === "miniport-adapter") {
    for (const pool of [...driver.pools]) {
      if (pool.adapter !== owner) continue;
      runtime.violate(
        "Pool_LeakedAtHalt",
        `${when} with ${pool.label}${pool.outstanding > 0 ? ` (${pool.outstanding} still allocated)` : ""}, allocated with its MiniportAdapterHandle, not freed; NDIS released it`,
        driver,
      );
      releasePool(pool);
    }
  }
  for (const config of [...driver.configs]) {
    if (config.owner !== owner) continue;
    runtime.violate(
      "NdisOpenConfigurationEx",
      `${when} with ${config.label} still open; NDIS closed it`,
      driver,
    );
    closeConfig(config);
  }
  for (const item of [...driver.workItems]) {
    if (item.owner !== owner) continue;
    runtime.violate(
      "Init_NdisAllocateIoWorkItem",
      `${when} with ${item.label} not freed${item.cancel === null ? "" : " (still queued)"}; NDIS freed it`,
      driver,
    );
    freeWorkItem(item);
  }
  for (const clone of [...driver.clones]) {
    if (clone.owner !== owner) continue;
    runtime.violate(
      "OidClone_Leaked",
      `${when} with ${clone.label} not freed (NdisFreeCloneOidRequest); NDIS freed it`,
      driver,
    );
    driver.clones.delete(clone);
  }
  for (const timer of [...driver.timers]) {
    if (timer.owner !== owner || timer.cancel === null) continue;
    runtime.violate(
      "CancelTimerObject",
      `${when} with ${timer.label} still set; NDIS cancelled it`,
      driver,
    );
    stopTimer(timer);
  }
}

/**
 * At unload (or after a failed DriverEntry): reports every pool, configuration handle, timer and
 * work item the driver left, and frees all but the pools (retireDriver releases those).
 */
export function reclaimAtUnload(driver: DriverRecord, when: string): void {
  const runtime = driver.runtime;
  if (driver.pools.size > 0) {
    const pools = [...driver.pools].map((p) =>
      p.outstanding > 0 ? `${p.label} (${p.outstanding} still allocated)` : p.label,
    );
    runtime.violate(
      "Pool_LeakedAtUnload",
      `${when} with ${pools.join(", ")} not freed; NDIS released them`,
      driver,
    );
  }
  if (driver.configs.size > 0) {
    runtime.violate(
      "NdisOpenConfigurationEx",
      `${when} with ${[...driver.configs].map((c) => c.label).join(", ")} still open; NDIS closed them`,
      driver,
    );
  }
  if (driver.workItems.size > 0) {
    runtime.violate(
      "Init_NdisAllocateIoWorkItem",
      `${when} with ${[...driver.workItems].map((w) => w.label).join(", ")} not freed; NDIS freed them`,
      driver,
    );
  }
  if (driver.clones.size > 0) {
    runtime.violate(
      "OidClone_Leaked",
      `${when} with ${[...driver.clones].map((c) => c.label).join(", ")} not freed (NdisFreeCloneOidRequest); NDIS freed them`,
      driver,
    );
  }
  if (driver.timers.size > 0) {
    runtime.violate(
      "Timer_LeakedAtUnload",
      `${when} with ${[...driver.timers].map((t) => `${t.label}${t.cancel === null ? "" : " (still set)"}`).join(", ")} not freed; NDIS freed them`,
      driver,
    );
  }
  if (driver.kernelPending.size > 0) {
    runtime.violate(
      "KeTimer_PendingAtUnload",
      `${when} with ${[...driver.kernelPending].map((k) => k.label).join(", ")} still pending (KeCancelTimer, KeRemoveQueueDpc or KeFlushQueuedDpcs in its Unload); NDIS cancelled them`,
      driver,
    );
  }
  const devices = devicesOf(driver);
  const ndisDevices = devices.filter((d) => !d.wdm);
  const wdmDevices = devices.filter((d) => d.wdm);
  const described = (list: typeof devices) =>
    list
      .map(
        (d) =>
          `${d.deviceName}${d.files.size > 0 ? ` (${d.files.size} handle${d.files.size === 1 ? "" : "s"} open)` : ""}`,
      )
      .join(", ");
  if (ndisDevices.length > 0) {
    runtime.violate(
      "NdisRegisterDeviceEx_NotDeregistered",
      `${when} with control device${ndisDevices.length === 1 ? "" : "s"} ${described(ndisDevices)} not deregistered (NdisDeregisterDeviceEx); NDIS deregistered them`,
      driver,
    );
  }
  if (wdmDevices.length > 0) {
    runtime.violate(
      "NdisRegisterDeviceEx_NotDeregistered",
      `${when} with device${wdmDevices.length === 1 ? "" : "s"} ${described(wdmDevices)} of IoCreateDevice not deleted (IoDeleteDevice in DriverUnload); deleted for it`,
      driver,
    );
  }
  if (driver.memory.size > 0) {
    runtime.violate(
      "Memory_LeakedAtUnload",
      `${when} with ${describeMemory(driver)} not freed; NDIS released them`,
      driver,
    );
  }
  releaseAll(driver);
}

/** Pool tag as its four characters, the way !poolused prints it (`'Pass'` for 0x73736150). */
export function poolTagToString(tag: number): string {
  let text = "";
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
  }
  return text;
}

/**
 * The leaked blocks, by tag: `'Pass' 2 blocks, 96 bytes`, then each lookaside list not deleted
 * (NdisDeleteNPagedLookasideList).
 */
function describeMemory(driver: DriverRecord): string {
  const byTag = new Map<number, { blocks: number; bytes: number }>();
  const lists: string[] = [];
  for (const { tag, length, lookaside } of driver.memory.values()) {
    if (lookaside === true) {
      lists.push(
        `the lookaside list of pool tag '${poolTagToString(tag)}' (0x${tag.toString(16).padStart(8, "0")}), never deleted`,
      );
      continue;
    }
    const entry = byTag.get(tag) ?? { blocks: 0, bytes: 0 };
    entry.blocks += 1;
    entry.bytes += length;
    byTag.set(tag, entry);
  }
  return [...byTag]
    .map(
      ([tag, e]) =>
        `pool tag '${poolTagToString(tag)}' (0x${tag.toString(16).padStart(8, "0")}): ${e.blocks} block${e.blocks === 1 ? "" : "s"}, ${e.bytes} bytes`,
    )
    .concat(lists)
    .join("; ");
}

/** Frees everything without a word (the driver was stopped, or is being retired). */
export function releaseAll(driver: DriverRecord): void {
  for (const config of [...driver.configs]) closeConfig(config);
  for (const timer of [...driver.timers]) freeTimer(timer);
  for (const item of [...driver.workItems]) freeWorkItem(item);
  driver.clones.clear();
  for (const pending of [...driver.kernelPending]) pending.stop();
  driver.kernelPending.clear();
  driver.memory.clear();
  for (const device of devicesOf(driver)) removeDevice(device);
}

/** The value names a driver asked for under each registry key, lower-cased (names ignore case). */
const registryReads = new WeakMap<ReadonlyMap<string, RegistryValue>, Set<string>>();

/** Notes that a driver read (or tried to read) `name` under the key holding `values`. */
export function noteRegistryRead(values: ReadonlyMap<string, RegistryValue>, name: string): void {
  let reads = registryReads.get(values);
  if (reads === undefined) {
    reads = new Set();
    registryReads.set(values, reads);
  }
  reads.add(name.toLowerCase());
}

/** The names read under the key holding `values`, lower-cased. */
export function registryReadsOf(values: ReadonlyMap<string, RegistryValue>): ReadonlySet<string> {
  return registryReads.get(values) ?? new Set();
}
