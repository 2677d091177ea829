/**
 * The passthrough driver's global state. A C driver keeps it in file-scope variables; one module
 * here may be loaded by several hosts in one process, so the state hangs off the DRIVER_OBJECT.
 */
import type { DRIVER_OBJECT, NDIS_HANDLE } from "../../ddi.js";

export interface PassthroughGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  /** From NdisMRegisterMiniportDriver: the IM miniport edge. */
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  /** From NdisRegisterProtocolDriver: the protocol edge. */
  ProtocolHandle: NDIS_HANDLE | undefined;
}

const globalsByDriver = new WeakMap<DRIVER_OBJECT, PassthroughGlobals>();

export function createGlobals(DriverObject: DRIVER_OBJECT): PassthroughGlobals {
  const globals: PassthroughGlobals = {
    DriverObject,
    MiniportDriverHandle: undefined,
    ProtocolHandle: undefined,
  };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): PassthroughGlobals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}
