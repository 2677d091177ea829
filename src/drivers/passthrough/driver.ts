/**
 * Passthrough's driver, made by a factory: `passthroughDriver()` gives a DriverEntry whose every
 * call (every load of the driver, in any host of the process) creates the driver's state — its
 * globals — and hands it to NDIS as the driver contexts, and to the two handlers that get no
 * context of their own (MiniportDriverUnload, and ProtocolNetPnPEvent's re-enable event) as a
 * closure. Nothing is kept in module variables, so another IM driver of the same shape (a test
 * fixture with a data path of its own) can take passthrough's edges and replace only the
 * handlers it writes differently.
 *
 * DriverEntry registers the miniport edge with NDIS_INTERMEDIATE_DRIVER, then the protocol edge,
 * then associates the two — undoing what succeeded if a later step fails. Like a driver that must
 * run on several Windows releases, it asks NdisGetVersion which NDIS it runs on and registers as
 * that version (capped at 6.89), with the characteristics revision that version requires.
 */
import {
  type DRIVER_OBJECT,
  type NDIS_HANDLE,
  NDIS_INTERMEDIATE_DRIVER,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisIMAssociateMiniport,
  NdisMDeregisterMiniportDriver,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../ddi.js";
import {
  miniportCharacteristicsHeader,
  protocolCharacteristicsHeader,
  targetVersion,
} from "../shared/revisions.js";
import {
  MPCancelSend,
  MPReturnNetBufferLists,
  MPSendNetBufferLists,
  PtReceiveNetBufferLists,
  PtSendNetBufferListsComplete,
} from "./datapath.js";
import { createGlobals } from "./globals.js";
import {
  MPDevicePnPEventNotify,
  MPHalt,
  MPInitialize,
  MPPause,
  MPRestart,
  MPShutdown,
  mpDriverUnloadFor,
} from "./miniport.js";
import { MPCancelOidRequest, MPOidRequest, PtOidRequestComplete } from "./oid.js";
import {
  PtBindAdapter,
  PtCloseAdapterComplete,
  PtOpenAdapterComplete,
  PtStatus,
  PtUnbindAdapter,
  ptNetPnPEventFor,
} from "./protocol.js";

/** The driver's own version, reported in both characteristics tables (free-form for NDIS). */
const MAJOR_DRIVER_VERSION = 1;
const MINOR_DRIVER_VERSION = 0;

/** The MiniportXxx handlers a driver built on passthrough may write itself. */
export type PassthroughMiniportHandlers = Pick<
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  | "InitializeHandlerEx"
  | "HaltHandlerEx"
  | "PauseHandler"
  | "RestartHandler"
  | "OidRequestHandler"
  | "SendNetBufferListsHandler"
  | "ReturnNetBufferListsHandler"
  | "CancelSendHandler"
  | "DevicePnPEventNotifyHandler"
  | "ShutdownHandlerEx"
  | "CancelOidRequestHandler"
>;

/** The ProtocolXxx handlers a driver built on passthrough may write itself. */
export type PassthroughProtocolHandlers = Pick<
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  | "BindAdapterHandlerEx"
  | "UnbindAdapterHandlerEx"
  | "OpenAdapterCompleteHandlerEx"
  | "CloseAdapterCompleteHandlerEx"
  | "OidRequestCompleteHandler"
  | "StatusHandlerEx"
  | "ReceiveNetBufferListsHandler"
  | "SendNetBufferListsCompleteHandler"
>;

/** Handlers that replace passthrough's own; every one left out is passthrough's. */
export interface PassthroughParts {
  readonly miniport?: Partial<PassthroughMiniportHandlers>;
  readonly protocol?: Partial<PassthroughProtocolHandlers>;
}

/** A driver module: its DriverEntry. */
export interface PassthroughDriver {
  readonly DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => NDIS_STATUS;
}

/** The protocol edge registers under the driver's service name, the last part of RegistryPath. */
function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "passthrough";
}

/** Passthrough, or an IM driver of its shape with `parts` in place of passthrough's handlers. */
export function passthroughDriver(parts: PassthroughParts = {}): PassthroughDriver {
  const miniport: PassthroughMiniportHandlers = {
    InitializeHandlerEx: MPInitialize,
    HaltHandlerEx: MPHalt,
    PauseHandler: MPPause,
    RestartHandler: MPRestart,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: MPReturnNetBufferLists,
    CancelSendHandler: MPCancelSend,
    DevicePnPEventNotifyHandler: MPDevicePnPEventNotify,
    ShutdownHandlerEx: MPShutdown,
    CancelOidRequestHandler: MPCancelOidRequest,
    ...parts.miniport,
  };
  const protocol: PassthroughProtocolHandlers = {
    BindAdapterHandlerEx: PtBindAdapter,
    UnbindAdapterHandlerEx: PtUnbindAdapter,
    OpenAdapterCompleteHandlerEx: PtOpenAdapterComplete,
    CloseAdapterCompleteHandlerEx: PtCloseAdapterComplete,
    OidRequestCompleteHandler: PtOidRequestComplete,
    StatusHandlerEx: PtStatus,
    ReceiveNetBufferListsHandler: PtReceiveNetBufferLists,
    SendNetBufferListsCompleteHandler: PtSendNetBufferListsComplete,
    ...parts.protocol,
  };

  /** DriverEntry: registers both edges of the intermediate driver and associates them. */
  function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
    const running = targetVersion();
    const minor = running & 0xffff;
    // This load's state: NDIS hands it back as the driver contexts.
    const globals = createGlobals(DriverObject);

    // Entries left out are NULL: no SetOptions, and never CheckForHang or Reset for an IM driver.
    const MChars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
      Header: miniportCharacteristicsHeader(running),
      MajorNdisVersion: 6,
      MinorNdisVersion: minor,
      MajorDriverVersion: MAJOR_DRIVER_VERSION,
      MinorDriverVersion: MINOR_DRIVER_VERSION,
      Flags: NDIS_INTERMEDIATE_DRIVER,
      ...miniport,
      UnloadHandler: mpDriverUnloadFor(globals),
    };
    const miniportHandle: Out<NDIS_HANDLE> = {};
    let status = NdisMRegisterMiniportDriver(
      DriverObject,
      RegistryPath,
      globals,
      MChars,
      miniportHandle,
    );
    if (status !== NDIS_STATUS_SUCCESS || miniportHandle.value === undefined) return status;
    globals.MiniportDriverHandle = miniportHandle.value;

    const PChars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
      Header: protocolCharacteristicsHeader(running),
      MajorNdisVersion: 6,
      MinorNdisVersion: minor,
      MajorDriverVersion: MAJOR_DRIVER_VERSION,
      MinorDriverVersion: MINOR_DRIVER_VERSION,
      Name: serviceName(RegistryPath),
      ...protocol,
      NetPnPEventHandler: ptNetPnPEventFor(globals),
    };
    const protocolHandle: Out<NDIS_HANDLE> = {};
    status = NdisRegisterProtocolDriver(globals, PChars, protocolHandle);
    if (status !== NDIS_STATUS_SUCCESS || protocolHandle.value === undefined) {
      // Undo the miniport edge before failing, as DriverEntry must.
      NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
      return status;
    }
    globals.ProtocolHandle = protocolHandle.value;

    NdisIMAssociateMiniport(globals.MiniportDriverHandle, globals.ProtocolHandle);
    return NDIS_STATUS_SUCCESS;
  }
  return { DriverEntry };
}
