/**
 * vlan-mux, miniport (upper) edge: the MiniportXxx entry points of its VELANs (MUX's
 * miniport.c). A VELAN reads its own parameters (`VlanId`, `NetworkAddress`) from its device key,
 * reports the lower adapter's medium and speeds with its own MAC, and keeps its own packet
 * filter and multicast list (oid.ts). The data path is in datapath.ts.
 */
import {
  type DRIVER_OBJECT,
  type MINIPORT_DEVICE_PNP_EVENT_NOTIFY,
  type MINIPORT_DRIVER_UNLOAD,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type MINIPORT_SHUTDOWN,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisCloseConfiguration,
  NdisDeregisterProtocolDriver,
  NdisFreeNetBufferListPool,
  NdisIfAddIfStackEntry,
  NdisIfDeleteIfStackEntry,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMSetMiniportAttributes,
  NdisReadNetworkAddress,
  type Out,
} from "../../ddi.js";
import { VLAN_TAG_LENGTH } from "../../net/ethernet.js";
import { openConfiguration, readInteger } from "../shared/config.js";
import { allocateFramePool } from "../shared/frames.js";
import { generalAttributesHeader, targetVersion } from "../shared/revisions.js";
import { CONTEXT_SIZE } from "./datapath.js";
import { forgetGlobals, globalsOf, recordRefusal, type VELAN } from "./globals.js";
import { MAX_MULTICAST, pushLowerFilters, VELAN_PACKET_FILTERS } from "./oid.js";
import { allGlobals, forgetVelan, isConnected, maybeFinishUnbind } from "./protocol.js";

/** 'Mxrv' */
const RECV_POOL_TAG = 0x7672784d;

/**
 * The MAC a VELAN gets without a `NetworkAddress`: 0A-LL-LL-00-VV-VV — locally administered
 * unicast, LL-LL the lower adapter's last two bytes, VV-VV the VLAN id — so VELANs of one adapter
 * differ from each other and from the adapter.
 */
export function derivedMac(lower: Uint8Array, vlanId: number): Uint8Array {
  return Uint8Array.of(0x0a, lower[4] ?? 0, lower[5] ?? 0, 0, vlanId >>> 8, vlanId & 0xff);
}

/** Reads VlanId and NetworkAddress from the VELAN's device key; a reason when they are bad. */
function readVelanParameters(velan: VELAN, MiniportAdapterHandle: NDIS_HANDLE): string | null {
  const opened = openConfiguration(MiniportAdapterHandle);
  if ("status" in opened) return "cannot open the VELAN's configuration";
  const config = opened.handle;
  try {
    const vlanId = readInteger(config, "VlanId", 0, 1, 4094);
    if (typeof vlanId !== "number") return vlanId.bad;
    if (vlanId === 0) return "VlanId is required (1..4094)";
    const twin = velan.Adapt.Velans.find(
      (v) => v !== velan && v.MiniportAdapterHandle !== null && v.VlanId === vlanId,
    );
    if (twin !== undefined) return `VLAN ${vlanId} is already ${twin.InstanceName}'s`;
    velan.VlanId = vlanId;
    const status: Out<NDIS_STATUS> = {};
    const address: Out<Uint8Array | null> = {};
    const length: Out<number> = {};
    NdisReadNetworkAddress(status, address, length, config);
    velan.Mac =
      status.value === NDIS_STATUS_SUCCESS && address.value != null && length.value === 6
        ? address.value.slice(0, 6)
        : derivedMac(velan.Adapt.BindParameters.CurrentMacAddress, vlanId);
    return null;
  } finally {
    NdisCloseConfiguration(config);
  }
}

/**
 * MiniportInitializeEx (PASSIVE_LEVEL): NDIS starts a VELAN its binding asked for. Reads the
 * VELAN's parameters (a missing, out-of-range or duplicate VlanId fails it with
 * NDIS_STATUS_INVALID_DATA, recorded), allocates its receive pool, and sets its attributes: the
 * lower adapter's medium, MTU and speeds, its own MAC, the link state last seen below.
 */
export const MPInitialize: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle,
  _MiniportDriverContext,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS => {
  const velan = MiniportInitParameters.IMDeviceInstanceContext as VELAN | null | undefined;
  if (velan === null || velan === undefined) return NDIS_STATUS_FAILURE;
  const adapt = velan.Adapt;
  const fail = (status: NDIS_STATUS, reason: string): NDIS_STATUS => {
    recordRefusal(adapt.Globals, velan.InstanceName, status, reason);
    if (velan.RecvPool !== null) NdisFreeNetBufferListPool(velan.RecvPool);
    velan.RecvPool = null;
    forgetVelan(velan);
    return status;
  };
  const bad = readVelanParameters(velan, MiniportAdapterHandle);
  if (bad !== null) return fail(NDIS_STATUS_INVALID_DATA, bad);
  velan.RecvPool = allocateFramePool(MiniportAdapterHandle, RECV_POOL_TAG);
  if (velan.RecvPool === null) return fail(NDIS_STATUS_RESOURCES, "no memory for the receive pool");
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
  if (status !== NDIS_STATUS_SUCCESS) return fail(status, "registration attributes refused");
  const lower = adapt.BindParameters;
  const connectState = adapt.LastLinkState?.MediaConnectState ?? lower.MediaConnectState;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: lower.MediaType,
    PhysicalMediumType: lower.PhysicalMediumType,
    MtuSize: lower.MtuSize,
    MaxXmitLinkSpeed: lower.MaxXmitLinkSpeed,
    XmitLinkSpeed: adapt.LastLinkState?.XmitLinkSpeed ?? lower.XmitLinkSpeed,
    MaxRcvLinkSpeed: lower.MaxRcvLinkSpeed,
    RcvLinkSpeed: adapt.LastLinkState?.RcvLinkSpeed ?? lower.RcvLinkSpeed,
    MediaConnectState: connectState,
    MediaDuplexState: lower.MediaDuplexState,
    LookaheadSize: lower.LookaheadSize,
    SupportedPacketFilters: VELAN_PACKET_FILTERS,
    MaxMulticastListSize: MAX_MULTICAST,
    MacAddressLength: 6,
    PermanentMacAddress: velan.Mac,
    CurrentMacAddress: velan.Mac,
    AccessType: lower.AccessType,
    DirectionType: lower.DirectionType,
    ConnectionType: lower.ConnectionType,
    IfType: lower.IfType,
    IfConnectorPresent: false,
    // The VELAN's NBLs go down themselves, retreated over the tag: room for it and for ours.
    DataBackFillSize: lower.DataBackFillSize + VLAN_TAG_LENGTH,
    ContextBackFillSize: lower.ContextBackFillSize + CONTEXT_SIZE,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return fail(status, "general attributes refused");
  velan.MiniportAdapterHandle = MiniportAdapterHandle;
  // NDIS cannot see that the VELAN sits on the lower adapter: MUX says so in the interface stack
  // table (a failure there changes nothing for the VELAN).
  velan.IfIndex = MiniportInitParameters.IfIndex;
  NdisIfAddIfStackEntry(velan.IfIndex, lower.BoundIfIndex);
  velan.LinkUp = isConnected(connectState);
  velan.Lookahead = lower.LookaheadSize;
  velan.State = "paused";
  return NDIS_STATUS_SUCCESS;
};

/**
 * MiniportHaltEx (PASSIVE_LEVEL, from Paused with nothing outstanding): the VELAN's filter no
 * longer counts on the lower adapter, its pool goes, and it unlinks from its binding — which lets
 * a waiting unbind close the adapter. A VELAN halted because the user disabled it stays known, so
 * that NetEventIMReEnableDevice can ask for it again.
 */
export const MPHalt: MINIPORT_HALT = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  const adapt = velan.Adapt;
  velan.State = "halted";
  velan.MiniportAdapterHandle = null;
  NdisIfDeleteIfStackEntry(velan.IfIndex, adapt.BindParameters.BoundIfIndex);
  velan.PacketFilter = 0;
  velan.MulticastList = [];
  if (velan.RecvPool !== null) NdisFreeNetBufferListPool(velan.RecvPool);
  velan.RecvPool = null;
  if (velan.Removing || adapt.UnbindContext !== undefined) forgetVelan(velan);
  if (adapt.UnbindContext === undefined) pushLowerFilters(adapt);
  maybeFinishUnbind(adapt);
};

/**
 * MiniportDriverUnload (PASSIVE_LEVEL, every VELAN halted and every binding unbound): undoes
 * DriverEntry, the protocol edge first.
 */
export const MPDriverUnload: MINIPORT_DRIVER_UNLOAD = (DriverObject: DRIVER_OBJECT) => {
  const globals = globalsOf(DriverObject);
  if (globals === undefined) return;
  if (globals.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
  if (globals.MiniportDriverHandle !== undefined)
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
  allGlobals.delete(globals);
  forgetGlobals(DriverObject);
};

/**
 * MiniportPause: stop taking sends and indicating receives; PENDING until every send forwarded
 * down has completed and every receive indicated up has come back (then NdisMPauseComplete).
 * MUX's own MPPause returns at once without draining (anchors §2e); this one drains, as the
 * contract requires.
 */
export const MPPause: MINIPORT_PAUSE = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  velan.State = "pausing";
  if (velan.SendsOutstanding === 0 && velan.ReceivesOutstanding === 0) {
    velan.State = "paused";
    return NDIS_STATUS_SUCCESS;
  }
  velan.PausePending = true;
  return NDIS_STATUS_PENDING;
};

/** MiniportRestart: the VELAN runs again. */
export const MPRestart: MINIPORT_RESTART = (MiniportAdapterContext) => {
  (MiniportAdapterContext as VELAN).State = "running";
  return NDIS_STATUS_SUCCESS;
};

/** MiniportDevicePnPEventNotify: nothing to do for a virtual device. */
export const MPDevicePnPEventNotify: MINIPORT_DEVICE_PNP_EVENT_NOTIFY = () => {};

/** MiniportShutdownEx: no hardware to quiesce. */
export const MPShutdown: MINIPORT_SHUTDOWN = () => {};
