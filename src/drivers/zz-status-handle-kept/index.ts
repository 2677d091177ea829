/**
 * Passthrough: a 1:1 NDIS intermediate driver (the NDIS 5 "passthru" idea in NDIS 6 shape, as
 * Microsoft's MUX sample registers it). This file is its DriverEntry: it registers the miniport
 * edge with NDIS_INTERMEDIATE_DRIVER, then the protocol edge, then associates the two — undoing
 * what succeeded if a later step fails.
 *
 * Like a driver that must run on several Windows releases, it asks NdisGetVersion which NDIS it
 * runs on and registers as that version (capped at 6.89), with the characteristics revision that
 * version requires.
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
import { createGlobals, forgetGlobals } from "./globals.js";
import {
  MPDevicePnPEventNotify,
  MPDriverUnload,
  MPHalt,
  MPInitialize,
  MPPause,
  MPRestart,
  MPShutdown,
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

/** The protocol edge registers under the driver's service name, the last part of RegistryPath. */
function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "passthrough";
}

/** DriverEntry: registers both edges of the intermediate driver and associates them. */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const running = targetVersion();
  const minor = running & 0xffff;
  const globals = createGlobals(DriverObject);

  // Entries left out are NULL: no SetOptions, and never CheckForHang or Reset for an IM driver.
  const MChars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(running),
    MajorNdisVersion: 6,
    MinorNdisVersion: minor,
    MajorDriverVersion: MAJOR_DRIVER_VERSION,
    MinorDriverVersion: MINOR_DRIVER_VERSION,
    Flags: NDIS_INTERMEDIATE_DRIVER,
    InitializeHandlerEx: MPInitialize,
    HaltHandlerEx: MPHalt,
    UnloadHandler: MPDriverUnload,
    PauseHandler: MPPause,
    RestartHandler: MPRestart,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: MPReturnNetBufferLists,
    CancelSendHandler: MPCancelSend,
    DevicePnPEventNotifyHandler: MPDevicePnPEventNotify,
    ShutdownHandlerEx: MPShutdown,
    CancelOidRequestHandler: MPCancelOidRequest,
  };
  const miniportHandle: Out<NDIS_HANDLE> = {};
  let status = NdisMRegisterMiniportDriver(
    DriverObject,
    RegistryPath,
    globals,
    MChars,
    miniportHandle,
  );
  if (status !== NDIS_STATUS_SUCCESS || miniportHandle.value === undefined) {
    forgetGlobals(DriverObject);
    return status;
  }
  globals.MiniportDriverHandle = miniportHandle.value;

  const PChars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
    Header: protocolCharacteristicsHeader(running),
    MajorNdisVersion: 6,
    MinorNdisVersion: minor,
    MajorDriverVersion: MAJOR_DRIVER_VERSION,
    MinorDriverVersion: MINOR_DRIVER_VERSION,
    Name: serviceName(RegistryPath),
    BindAdapterHandlerEx: PtBindAdapter,
    UnbindAdapterHandlerEx: PtUnbindAdapter,
    OpenAdapterCompleteHandlerEx: PtOpenAdapterComplete,
    CloseAdapterCompleteHandlerEx: PtCloseAdapterComplete,
    NetPnPEventHandler: ptNetPnPEventFor(globals),
    OidRequestCompleteHandler: PtOidRequestComplete,
    StatusHandlerEx: PtStatus,
    ReceiveNetBufferListsHandler: PtReceiveNetBufferLists,
    SendNetBufferListsCompleteHandler: PtSendNetBufferListsComplete,
  };
  const protocolHandle: Out<NDIS_HANDLE> = {};
  status = NdisRegisterProtocolDriver(globals, PChars, protocolHandle);
  if (status !== NDIS_STATUS_SUCCESS || protocolHandle.value === undefined) {
    // Undo the miniport edge before failing, as DriverEntry must.
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
    forgetGlobals(DriverObject);
    return status;
  }
  globals.ProtocolHandle = protocolHandle.value;

  NdisIMAssociateMiniport(globals.MiniportDriverHandle, globals.ProtocolHandle);
  return NDIS_STATUS_SUCCESS;
}
