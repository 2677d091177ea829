/**
 * Test drivers: valid characteristics tables to mutate, driver modules whose DriverEntry runs
 * whatever a test needs inside a real host, and the teardown that ends a test's host.
 */
import assert from "node:assert/strict";
import {
  type DRIVER_OBJECT,
  type DriverModule,
  type NDIS_HANDLE,
  NDIS_INTERMEDIATE_DRIVER,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
  NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  type NdisHostOptions,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../src/index.js";

export const noop = (): void => {};
export const succeed = (): number => NDIS_STATUS_SUCCESS;

/** A valid NDIS 6.89 IM miniport table (Rev 3), every required entry point a no-op. */
export function miniportChars(
  overrides: Partial<Record<keyof NDIS_MINIPORT_DRIVER_CHARACTERISTICS, unknown>> = {},
): NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
      Revision: 3,
      Size: NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
    },
    MajorNdisVersion: 6,
    MinorNdisVersion: 89,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: NDIS_INTERMEDIATE_DRIVER,
    InitializeHandlerEx: succeed,
    HaltHandlerEx: noop,
    UnloadHandler: noop,
    PauseHandler: succeed,
    RestartHandler: succeed,
    OidRequestHandler: succeed,
    SendNetBufferListsHandler: noop,
    ReturnNetBufferListsHandler: noop,
    CancelSendHandler: noop,
    DevicePnPEventNotifyHandler: noop,
    ShutdownHandlerEx: noop,
    CancelOidRequestHandler: noop,
    ...overrides,
  } as NDIS_MINIPORT_DRIVER_CHARACTERISTICS;
}

/** A valid NDIS 6.89 protocol table (Rev 2), every required entry point a no-op. */
export function protocolChars(
  overrides: Partial<Record<keyof NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, unknown>> = {},
): NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
      Revision: 2,
      Size: NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
    },
    MajorNdisVersion: 6,
    MinorNdisVersion: 89,
    Name: "testproto",
    BindAdapterHandlerEx: succeed,
    UnbindAdapterHandlerEx: succeed,
    OpenAdapterCompleteHandlerEx: noop,
    CloseAdapterCompleteHandlerEx: noop,
    NetPnPEventHandler: succeed,
    OidRequestCompleteHandler: noop,
    StatusHandlerEx: noop,
    ReceiveNetBufferListsHandler: noop,
    SendNetBufferListsCompleteHandler: noop,
    ...overrides,
  } as NDIS_PROTOCOL_DRIVER_CHARACTERISTICS;
}

/** A driver module whose DriverEntry is `entry`. */
export function driverModule(
  entry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => unknown,
): DriverModule {
  return { DriverEntry: entry };
}

export interface RegistrationOutcome {
  readonly host: NdisHost;
  readonly status: number;
  readonly handle: NDIS_HANDLE | undefined;
}

let counter = 0;
/** A fresh service name, so tests that share a host never collide. */
export function uniqueName(prefix = "drv"): string {
  counter += 1;
  return `${prefix}${counter}`;
}

/**
 * Loads a driver into a fresh host (record mode unless told otherwise) whose DriverEntry makes one
 * registration call and reports success whatever the registration returned.
 */
async function registerOnce(
  options: NdisHostOptions,
  register: (DriverObject: DRIVER_OBJECT, RegistryPath: string, out: Out<NDIS_HANDLE>) => number,
): Promise<RegistrationOutcome> {
  const host = new NdisHost({ verifier: "record", ...options });
  const out: Out<NDIS_HANDLE> = {};
  let status = -1;
  await host.loadDriver({
    name: uniqueName(),
    module: driverModule((DriverObject, RegistryPath) => {
      status = register(DriverObject, RegistryPath, out);
      return NDIS_STATUS_SUCCESS;
    }),
  });
  return { host, status, handle: out.value };
}

/** NdisMRegisterMiniportDriver with `chars`, in a driver of a fresh host. */
export function registerMiniport(
  chars: unknown,
  options: NdisHostOptions = {},
  context: unknown = undefined,
): Promise<RegistrationOutcome> {
  return registerOnce(options, (DriverObject, RegistryPath, out) =>
    NdisMRegisterMiniportDriver(
      DriverObject,
      RegistryPath,
      context,
      chars as NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
      out,
    ),
  );
}

/** NdisRegisterProtocolDriver with `chars`, in a driver of a fresh host. */
export function registerProtocol(
  chars: unknown,
  options: NdisHostOptions = {},
  context: unknown = undefined,
): Promise<RegistrationOutcome> {
  return registerOnce(options, (_DriverObject, _RegistryPath, out) =>
    NdisRegisterProtocolDriver(context, chars as NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, out),
  );
}

/** Number of miniport and protocol edges registered on a host, over every driver. */
export function edgeCount(host: NdisHost): { miniports: number; protocols: number } {
  let miniports = 0;
  let protocols = 0;
  for (const d of host.drivers) {
    miniports += d.miniportDrivers.length;
    protocols += d.protocolDrivers.length;
  }
  return { miniports, protocols };
}

/**
 * Tears a host down the way a test ends: every adapter removed (the virtual miniports of IM
 * drivers go with the adapters below them), every driver unloaded (the last loaded first); then
 * nothing may be left in NDIS's hands and no rule may have been broken.
 */
export async function teardownHost(host: NdisHost): Promise<void> {
  for (const a of host.adapters) if (!a.intermediate) await host.removeAdapter(a.name);
  for (const d of [...host.drivers].reverse()) await host.unloadDriver(d.name);
  assert.deepEqual(host.liveObjects(), []);
  assert.deepEqual(host.violations, []);
}
