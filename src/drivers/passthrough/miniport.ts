/**
 * Passthrough driver, miniport (upper) edge: the MiniportXxx entry points of its virtual
 * miniports (VELANs). A VELAN reports the attributes of the adapter below it, as MUX does.
 * The data path lives in `datapath.ts`, OID requests in `oid.ts`.
 */
import {
  type MINIPORT_DEVICE_PNP_EVENT_NOTIFY,
  type MINIPORT_DRIVER_UNLOAD,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type MINIPORT_SHUTDOWN,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMSetMiniportAttributes,
} from "../../ddi.js";
import { generalAttributesHeader, targetVersion } from "../shared/revisions.js";
import { CONTEXT_SIZE } from "./datapath.js";
import type { ADAPT, PassthroughGlobals, VELAN } from "./globals.js";
import { closeLower } from "./protocol.js";

/**
 * MiniportInitializeEx: NDIS starts the VELAN the binding asked for. PASSIVE_LEVEL. Sets the
 * registration attributes (NO_HALT_ON_SUSPEND, as IM virtual miniports must) and general
 * attributes copied from the lower adapter's bind parameters.
 */
export const MPInitialize: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle,
  _MiniportDriverContext,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS => {
  const adapt = MiniportInitParameters.IMDeviceInstanceContext as ADAPT | null;
  if (adapt === null || adapt === undefined) return NDIS_STATUS_FAILURE;
  const velan: VELAN = {
    Adapt: adapt,
    MiniportAdapterHandle,
    Paused: true,
    PausePending: false,
    SendsOutstanding: 0,
    ReceivesOutstanding: 0,
    OidsOutstanding: 0,
  };
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: velan,
    AttributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return status;
  const lower = adapt.BindParameters;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: lower.MediaType,
    PhysicalMediumType: lower.PhysicalMediumType,
    MtuSize: lower.MtuSize,
    MaxXmitLinkSpeed: lower.MaxXmitLinkSpeed,
    XmitLinkSpeed: lower.XmitLinkSpeed,
    MaxRcvLinkSpeed: lower.MaxRcvLinkSpeed,
    RcvLinkSpeed: lower.RcvLinkSpeed,
    MediaConnectState: lower.MediaConnectState,
    MediaDuplexState: lower.MediaDuplexState,
    LookaheadSize: lower.LookaheadSize,
    SupportedPacketFilters: lower.SupportedPacketFilters,
    MaxMulticastListSize: lower.MaxMulticastListSize,
    MacAddressLength: lower.MacAddressLength,
    PermanentMacAddress: lower.CurrentMacAddress,
    CurrentMacAddress: lower.CurrentMacAddress,
    AccessType: lower.AccessType,
    DirectionType: lower.DirectionType,
    ConnectionType: lower.ConnectionType,
    IfType: lower.IfType,
    IfConnectorPresent: false,
    // Sends go down as they came (the same NBLs): the room the drivers below want in front of the
    // data is what the protocols above should leave; in the context area, that plus ours.
    DataBackFillSize: lower.DataBackFillSize,
    ContextBackFillSize: lower.ContextBackFillSize + CONTEXT_SIZE,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return status;
  adapt.Velan = velan;
  return NDIS_STATUS_SUCCESS;
};

/**
 * MiniportHaltEx: called from Paused with nothing outstanding; PASSIVE_LEVEL. Unlinks the VELAN
 * from its binding; an unbind waiting for this halt can then close the binding and complete.
 */
export const MPHalt: MINIPORT_HALT = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  const adapt = velan.Adapt;
  adapt.Velan = null;
  if (adapt.UnbindContext !== undefined) closeLower(adapt, true);
};

/**
 * MiniportDriverUnload, made per load (DriverEntry) with that load's globals: called after every
 * VELAN is halted and every binding unbound; PASSIVE_LEVEL. Undoes DriverEntry: the protocol edge
 * first, then the miniport edge.
 */
export const mpDriverUnloadFor =
  (globals: PassthroughGlobals): MINIPORT_DRIVER_UNLOAD =>
  () => {
    if (globals.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
    if (globals.MiniportDriverHandle !== undefined)
      NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
    globals.ProtocolHandle = undefined;
    globals.MiniportDriverHandle = undefined;
  };

/**
 * MiniportPause: stop forwarding; PENDING until every send forwarded down has completed and every
 * receive indicated up has come back (then NdisMPauseComplete). Never fails.
 */
export const MPPause: MINIPORT_PAUSE = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  velan.Paused = true;
  if (velan.SendsOutstanding === 0 && velan.ReceivesOutstanding === 0) return NDIS_STATUS_SUCCESS;
  velan.PausePending = true;
  return NDIS_STATUS_PENDING;
};

/** MiniportRestart: forward again. */
export const MPRestart: MINIPORT_RESTART = (MiniportAdapterContext) => {
  (MiniportAdapterContext as VELAN).Paused = false;
  return NDIS_STATUS_SUCCESS;
};

/** MiniportDevicePnPEventNotify. */
export const MPDevicePnPEventNotify: MINIPORT_DEVICE_PNP_EVENT_NOTIFY = () => {};

/** MiniportShutdownEx. A virtual miniport has no hardware to quiesce. */
export const MPShutdown: MINIPORT_SHUTDOWN = () => {};
