/**
 * NDIS handles and DRIVER_OBJECTs. A handle is an opaque object; NDIS maps it back to its own
 * record and takes it back (revokes it) when the object goes away, so a stale handle is told
 * apart from a live one.
 */
import { IRP_MJ_MAXIMUM_FUNCTION } from "../../../ndis/device.js";
import type { DRIVER_OBJECT, NDIS_HANDLE } from "../../../ndis/types.js";
import type {
  Binding,
  ConfigRecord,
  DeviceRecord,
  DriverRecord,
  FilterDriverBlock,
  FilterModule,
  MiniportAdapter,
  MiniportDriverBlock,
  NblPool,
  NbPool,
  NdisRuntime,
  ProtocolDriverBlock,
  TimerRecord,
  WorkItemRecord,
} from "./records.js";

/** What a handle can stand for. */
export type HandleTarget =
  | MiniportDriverBlock
  | ProtocolDriverBlock
  | FilterDriverBlock
  | FilterModule
  | MiniportAdapter
  | Binding
  | NblPool
  | NbPool
  | ConfigRecord
  | TimerRecord
  | WorkItemRecord
  | DeviceRecord;

const inspect = Symbol.for("nodejs.util.inspect.custom");

class NdisHandleObject {
  #target: HandleTarget | null;
  readonly #label: string;
  /** Kept after revocation, so that a stale handle is still reported to its own NDIS. */
  readonly #runtime: NdisRuntime;
  /** The driver the handle was given to (kept after revocation, for the blame). */
  readonly #driver: DriverRecord;

  constructor(label: string, target: HandleTarget) {
    this.#label = label;
    this.#target = target;
    this.#runtime = target.driver.runtime;
    this.#driver = target.driver;
    Object.freeze(this);
  }

  toString(): string {
    return `NDIS_HANDLE(${this.#label}${this.#target === null ? ", revoked" : ""})`;
  }

  [inspect](): string {
    return this.toString();
  }

  static target(value: unknown): HandleTarget | null {
    return value instanceof NdisHandleObject ? value.#target : null;
  }

  static runtime(value: unknown): NdisRuntime | null {
    return value instanceof NdisHandleObject ? value.#runtime : null;
  }

  static driver(value: unknown): DriverRecord | null {
    return value instanceof NdisHandleObject ? value.#driver : null;
  }

  static revoke(value: NDIS_HANDLE): void {
    if (value instanceof NdisHandleObject) value.#target = null;
  }
}

export function mintHandle(label: string, target: HandleTarget): NDIS_HANDLE {
  return new NdisHandleObject(label, target) as unknown as NDIS_HANDLE;
}

/** The live record behind `value`, or null for anything that is not a live NDIS handle. */
export function resolveHandle(value: unknown): HandleTarget | null {
  return NdisHandleObject.target(value);
}

/** The NDIS that minted `value`, live or revoked; null for anything that is not an NDIS handle. */
export function handleRuntime(value: unknown): NdisRuntime | null {
  return NdisHandleObject.runtime(value);
}

/** The driver `value` was given to, live or revoked; null for anything else. */
export function handleDriver(value: unknown): DriverRecord | null {
  return NdisHandleObject.driver(value);
}

export function revokeHandle(handle: NDIS_HANDLE): void {
  NdisHandleObject.revoke(handle);
}

/** How a bad handle argument reads in a report. */
export function describeHandleArgument(value: unknown): string {
  if (value instanceof NdisHandleObject) return String(value);
  if (value === null || value === undefined) return "NULL";
  return `a ${typeof value} that is not an NDIS handle`;
}

const driverObjects = new WeakMap<object, DriverRecord>();

/** Creates the DRIVER_OBJECT for `record` (`\Driver\<name>`). */
export function createDriverObject(record: DriverRecord, name: string): DRIVER_OBJECT {
  const object = Object.seal({
    DriverName: `\\Driver\\${name}`,
    DriverUnload: null,
    MajorFunction: new Array<null>(IRP_MJ_MAXIMUM_FUNCTION + 1).fill(null),
    DriverCodeLocation: null,
  }) as unknown as DRIVER_OBJECT;
  driverObjects.set(object, record);
  return object;
}

/** The driver a DRIVER_OBJECT belongs to while it is loaded. */
export function resolveDriverObject(value: unknown): DriverRecord | null {
  if (typeof value !== "object" || value === null) return null;
  return driverObjects.get(value) ?? null;
}

/** Forgets a DRIVER_OBJECT once its driver is unloaded or failed to load. */
export function retireDriverObject(object: DRIVER_OBJECT): void {
  driverObjects.delete(object);
}
