/**
 * vlan-mux: an NDIS 6 MUX intermediate driver in the shape of Microsoft's MUX sample — one lower
 * binding to an Ethernet adapter, N virtual miniports (VELANs) over it, each on its own 802.1Q
 * VLAN. This file is its DriverEntry: the miniport edge is registered with
 * NDIS_INTERMEDIATE_DRIVER, then the protocol edge, then the two are associated — undoing what
 * succeeded if a later step fails. docs/vlan-mux.md walks through the driver.
 *
 * Registry: the binding's key holds `UpperBindings` (REG_MULTI_SZ: the VELAN instance names) and
 * `UntaggedFrames` ("drop" or one of those names); each VELAN's device key holds `VlanId`
 * (1..4094) and optionally `NetworkAddress`.
 *
 * Node: `vlanMuxOf(driverObject)` lists the VELANs (VLAN id, MAC, state, counters) and the lower
 * bindings (merged filter, drop counters).
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
  allGlobals,
  PtBindAdapter,
  PtCloseAdapterComplete,
  PtNetPnPEvent,
  PtOpenAdapterComplete,
  PtStatus,
  PtUnbindAdapter,
} from "./protocol.js";

export {
  type MuxBindingInfo,
  type VelanCounters,
  type VelanInfo,
  type VlanMuxInfo,
  vlanMuxOf,
} from "./globals.js";
export { derivedMac } from "./miniport.js";

const MAJOR_DRIVER_VERSION = 1;
const MINOR_DRIVER_VERSION = 0;

/** The protocol edge registers under the driver's service name, the last part of RegistryPath. */
function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "vlan-mux";
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
    NetPnPEventHandler: PtNetPnPEvent,
    OidRequestCompleteHandler: PtOidRequestComplete,
    StatusHandlerEx: PtStatus,
    ReceiveNetBufferListsHandler: PtReceiveNetBufferLists,
    SendNetBufferListsCompleteHandler: PtSendNetBufferListsComplete,
  };
  const protocolHandle: Out<NDIS_HANDLE> = {};
  status = NdisRegisterProtocolDriver(globals, PChars, protocolHandle);
  if (status !== NDIS_STATUS_SUCCESS || protocolHandle.value === undefined) {
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
    forgetGlobals(DriverObject);
    return status;
  }
  globals.ProtocolHandle = protocolHandle.value;

  NdisIMAssociateMiniport(globals.MiniportDriverHandle, globals.ProtocolHandle);
  allGlobals.add(globals);
  return NDIS_STATUS_SUCCESS;
}
