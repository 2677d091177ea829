/**
 * What every filter module of the shipped filters does the same way: the characteristics header
 * for the NDIS version the host runs, the attributes NdisFSetAttributes takes, and NDIS's pause
 * rule — a module completes its pause only when every NBL it passed down has been completed to
 * it and every NBL it passed up has been returned; while not Running it refuses new traffic
 * (sends completed with NDIS_STATUS_PAUSED, receives returned at once).
 */
import {
  type DRIVER_OBJECT,
  type NDIS_FILTER_ATTRIBUTES,
  NDIS_FILTER_ATTRIBUTES_REVISION_1,
  NDIS_FILTER_CHARACTERISTICS_REVISION_1,
  NDIS_FILTER_CHARACTERISTICS_REVISION_2,
  type NDIS_FILTER_DRIVER_CHARACTERISTICS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
  NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_RUNTIME_VERSION_61,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1,
  NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisFIndicateReceiveNetBufferLists,
  NdisFPauseComplete,
  NdisFRegisterFilterDriver,
  NdisFReturnNetBufferLists,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  type NET_BUFFER_LIST,
  type Out,
} from "../../ddi.js";
import { targetVersion } from "./revisions.js";

/** What a shipped filter fills in its characteristics itself: its names and handlers. */
export type FilterOwnCharacteristics = Omit<
  NDIS_FILTER_DRIVER_CHARACTERISTICS,
  | "Header"
  | "MajorNdisVersion"
  | "MinorNdisVersion"
  | "MajorDriverVersion"
  | "MinorDriverVersion"
  | "Flags"
  | "ServiceName"
>;

/**
 * NdisFRegisterFilterDriver with the characteristics every shipped filter fills the same way (the
 * header and NDIS version this host runs, driver version 1.0, the service name — the last part of
 * RegistryPath, as for any driver). The filter driver handle, or NDIS's failure status.
 */
export function registerFilter(
  DriverObject: DRIVER_OBJECT,
  RegistryPath: string,
  driverContext: unknown,
  own: FilterOwnCharacteristics,
): { status: NDIS_STATUS; handle?: NDIS_HANDLE } {
  const chars: NDIS_FILTER_DRIVER_CHARACTERISTICS = {
    Header: filterCharacteristicsHeader(),
    MajorNdisVersion: 6,
    MinorNdisVersion: targetVersion() & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: 0,
    ServiceName: RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1),
    ...own,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisFRegisterFilterDriver(DriverObject, driverContext, chars, handle);
  if (status !== NDIS_STATUS_SUCCESS) return { status };
  if (handle.value === undefined) return { status: NDIS_STATUS_FAILURE };
  return { status, handle: handle.value };
}

/** The characteristics header for the NDIS version this host runs. */
export function filterCharacteristicsHeader(): NDIS_FILTER_DRIVER_CHARACTERISTICS["Header"] {
  return targetVersion() >= NDIS_RUNTIME_VERSION_61
    ? {
        Type: NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
        Revision: NDIS_FILTER_CHARACTERISTICS_REVISION_2,
        Size: NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2,
      }
    : {
        Type: NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
        Revision: NDIS_FILTER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1,
      };
}

/** The NDIS_FILTER_ATTRIBUTES a FilterAttach hands NdisFSetAttributes. */
export function filterAttributes(): NDIS_FILTER_ATTRIBUTES {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
      Revision: NDIS_FILTER_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1,
    },
    Flags: 0,
  };
}

/** A module's state as far as NDIS's pause rule goes. */
export interface PausableModule {
  readonly FilterHandle: NDIS_HANDLE;
  State: "Paused" | "Running" | "Pausing";
  /** NBLs passed down and not yet completed back. */
  OutstandingSends: number;
  /** NBLs passed up (not under RESOURCES) and not yet returned. */
  OutstandingReceives: number;
}

export function countNbls(chain: NET_BUFFER_LIST | null): number {
  let n = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) n++;
  return n;
}

/** FilterRestart of a module that needs nothing more to restart: traffic may flow again. */
export function restartModule(m: PausableModule): NDIS_STATUS {
  m.State = "Running";
  return NDIS_STATUS_SUCCESS;
}

/** FilterPause's answer: SUCCESS when nothing is out, else PENDING (see maybeCompletePause). */
export function pauseModule(m: PausableModule): NDIS_STATUS {
  if (m.OutstandingSends === 0 && m.OutstandingReceives === 0) {
    m.State = "Paused";
    return NDIS_STATUS_SUCCESS;
  }
  m.State = "Pausing";
  return NDIS_STATUS_PENDING;
}

/** A pausing module whose last NBL came back completes its pause. */
export function maybeCompletePause(m: PausableModule): void {
  if (m.State === "Pausing" && m.OutstandingSends === 0 && m.OutstandingReceives === 0) {
    m.State = "Paused";
    NdisFPauseComplete(m.FilterHandle);
  }
}

/**
 * A module not Running refuses what comes: sends complete with NDIS_STATUS_PAUSED. True when it
 * refused (the caller is done).
 */
export function refusedSends(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  SendFlags: number,
): boolean {
  if (m.State === "Running") return false;
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next)
    nbl.Status = NDIS_STATUS_PAUSED;
  NdisFSendNetBufferListsComplete(
    m.FilterHandle,
    chain,
    SendFlags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  );
  return true;
}

/**
 * A module not Running gives receives straight back (unless they came under
 * NDIS_RECEIVE_FLAGS_RESOURCES, which NDIS takes back). True when it refused.
 */
export function refusedReceives(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  ReceiveFlags: number,
): boolean {
  if (m.State === "Running") return false;
  if ((ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0)
    NdisFReturnNetBufferLists(
      m.FilterHandle,
      chain,
      ReceiveFlags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
    );
  return true;
}

/**
 * Passes a chain of `count` NBLs down (NdisFSendNetBufferLists), counted as outstanding until
 * they come back to the module's FilterSendNetBufferListsComplete.
 */
export function passSendsDown(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  count: number,
  PortNumber: number,
  SendFlags: number,
): void {
  m.OutstandingSends += count;
  NdisFSendNetBufferLists(m.FilterHandle, chain, PortNumber, SendFlags);
}

/**
 * FilterSendNetBufferListsComplete for NBLs the module passed down for a driver above: counted
 * back, completed on up (NdisFSendNetBufferListsComplete), and a pause waiting for them ended.
 */
export function passCompletionsUp(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  SendCompleteFlags: number,
): void {
  m.OutstandingSends -= countNbls(chain);
  NdisFSendNetBufferListsComplete(m.FilterHandle, chain, SendCompleteFlags);
  maybeCompletePause(m);
}

/**
 * Passes an indication of `count` NBLs up (NdisFIndicateReceiveNetBufferLists), counted as
 * outstanding until they come back to FilterReturnNetBufferLists — unless it goes up under
 * NDIS_RECEIVE_FLAGS_RESOURCES: then they are the module's again when the call returns.
 */
export function passReceivesUp(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  PortNumber: number,
  count: number,
  ReceiveFlags: number,
): void {
  if ((ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) m.OutstandingReceives += count;
  NdisFIndicateReceiveNetBufferLists(m.FilterHandle, chain, PortNumber, count, ReceiveFlags);
}

/**
 * FilterReturnNetBufferLists for NBLs the module passed up for a driver below: counted back,
 * returned on down (NdisFReturnNetBufferLists), and a pause waiting for them ended.
 */
export function passReturnsDown(
  m: PausableModule,
  chain: NET_BUFFER_LIST,
  ReturnFlags: number,
): void {
  m.OutstandingReceives -= countNbls(chain);
  NdisFReturnNetBufferLists(m.FilterHandle, chain, ReturnFlags);
  maybeCompletePause(m);
}
