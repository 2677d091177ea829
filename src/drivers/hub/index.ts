/**
 * hub: a miniport whose adapters are joined like the netvmini sample's: every adapter of this
 * driver whose registry value `Hub` names the same hub (default "hub0") hears what the others
 * send — a frame sent by one adapter is indicated as a receive by every other adapter on the hub
 * whose link is up and whose packet filter accepts it (directed to its MAC, broadcast, multicast
 * in its list or ALL_MULTICAST, or PROMISCUOUS). Delivery is deferred to the receiving adapter's
 * DPC (see datapath.ts).
 *
 * Registry (per adapter): `Hub` (string, default "hub0"); `NetworkAddress` (the MAC, read with
 * NdisReadNetworkAddress; default 02-00-00-00-HH-II from the IfIndex).
 *
 * Node: `hubOf(driverObject)` lists the adapters with their counters and cuts or restores a link
 * (`setLink`), which the adapter reports with NDIS_STATUS_LINK_STATE from its DPC.
 */
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaDuplexStateFull,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseConfiguration,
  NdisFreeNetBufferListPool,
  NdisFreeTimerObject,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMRegisterMiniportDriver,
  NdisMSetMiniportAttributes,
  NdisPhysicalMedium802_3,
  NdisReadNetworkAddress,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  type Out,
} from "../../ddi.js";
import { formatMac, isMulticastMac } from "../../net/ethernet.js";
import { openConfiguration, readString } from "../shared/config.js";
import { allocateFramePool } from "../shared/frames.js";
import {
  generalAttributesHeader,
  miniportCharacteristicsHeader,
  targetVersion,
} from "../shared/revisions.js";
import {
  type Arrival,
  arrive,
  HubDpc,
  LINK_SPEED,
  MPCancelSend,
  MPReturnNetBufferLists,
  MPSendNetBufferLists,
} from "./datapath.js";
import {
  createGlobals,
  forgetGlobals,
  globalsOf,
  type HubAdapter,
  type HubAdapterCounters,
  type HubGlobals,
  newCastCounters,
  newCounters,
  queueDpc,
} from "./globals.js";
import {
  HUB_OIDS,
  MAX_MULTICAST,
  MPCancelOidRequest,
  MPOidRequest,
  MTU,
  SUPPORTED_FILTERS,
  SUPPORTED_STATISTICS,
} from "./oid.js";

export type { Arrival } from "./datapath.js";
export type { HubAdapterCounters } from "./globals.js";

/** 'Hubr' */
const POOL_TAG = 0x72627548;
/** 'Hubt' */
const TIMER_TAG = 0x74627548;

/** What the adapter's registry says: its hub and its MAC (null: the default). */
function readAdapterParameters(handle: NDIS_HANDLE): { hub: string; mac: Uint8Array | null } {
  const opened = openConfiguration(handle);
  if ("status" in opened) return { hub: "hub0", mac: null };
  try {
    const hub = readString(opened.handle, "Hub")?.trim() || "hub0";
    const status: Out<NDIS_STATUS> = {};
    const address: Out<Uint8Array | null> = {};
    const length: Out<number> = {};
    NdisReadNetworkAddress(status, address, length, opened.handle);
    const mac = address.value ?? null;
    // A NetworkAddress that is not a 6-byte unicast address is ignored, as NIC drivers do.
    const usable =
      status.value === NDIS_STATUS_SUCCESS &&
      mac !== null &&
      length.value === 6 &&
      mac.length === 6 &&
      !isMulticastMac(mac) &&
      mac.some((b) => b !== 0);
    return { hub, mac: usable ? mac.slice() : null };
  } finally {
    NdisCloseConfiguration(opened.handle);
  }
}

/** MiniportInitializeEx (PASSIVE_LEVEL). */
const MPInitializeEx: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle: NDIS_HANDLE,
  MiniportDriverContext: unknown,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS => {
  const globals = MiniportDriverContext as HubGlobals;
  const ifIndex = MiniportInitParameters.IfIndex;
  const { hub: hubName, mac } = readAdapterParameters(MiniportAdapterHandle);
  const permanent = Uint8Array.of(0x02, 0, 0, 0, (ifIndex >>> 8) & 0xff, ifIndex & 0xff);
  const current = mac ?? permanent;
  const pool = allocateFramePool(MiniportAdapterHandle, POOL_TAG);
  if (pool === null) return NDIS_STATUS_RESOURCES;
  const hub = globals.Hubs.get(hubName) ?? { Name: hubName, Adapters: [] };
  const adapter: HubAdapter = {
    Globals: globals,
    Hub: hub,
    MiniportAdapterHandle,
    IfIndex: ifIndex,
    PermanentAddress: permanent,
    CurrentAddress: current,
    State: "paused",
    PausePending: false,
    LinkUp: true,
    LinkReported: true,
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: MTU,
    ReceivePool: pool,
    Dpc: null,
    Queue: [],
    ReceivesOutstanding: 0,
    Counters: newCounters(),
    Out: newCastCounters(),
    In: newCastCounters(),
  };
  const timer: Out<NDIS_HANDLE> = {};
  let status = NdisAllocateTimerObject(
    MiniportAdapterHandle,
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
        Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
      },
      AllocationTag: TIMER_TAG,
      TimerFunction: HubDpc,
      FunctionContext: adapter,
    },
    timer,
  );
  if (status !== NDIS_STATUS_SUCCESS || timer.value === undefined) {
    NdisFreeNetBufferListPool(pool);
    return status === NDIS_STATUS_SUCCESS ? NDIS_STATUS_RESOURCES : status;
  }
  const dpc = timer.value;
  adapter.Dpc = dpc;
  const undo = (failed: NDIS_STATUS): NDIS_STATUS => {
    NdisFreeTimerObject(dpc);
    adapter.Dpc = null;
    NdisFreeNetBufferListPool(pool);
    return failed;
  };
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: adapter,
    AttributeFlags: 0,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return undo(status);
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: NdisMedium802_3,
    PhysicalMediumType: NdisPhysicalMedium802_3,
    MtuSize: MTU,
    MaxXmitLinkSpeed: LINK_SPEED,
    XmitLinkSpeed: LINK_SPEED,
    MaxRcvLinkSpeed: LINK_SPEED,
    RcvLinkSpeed: LINK_SPEED,
    MediaConnectState: MediaConnectStateConnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: MTU,
    SupportedPacketFilters: SUPPORTED_FILTERS,
    MaxMulticastListSize: MAX_MULTICAST,
    MacAddressLength: 6,
    PermanentMacAddress: permanent,
    CurrentMacAddress: current,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: false,
    SupportedOidList: HUB_OIDS,
    SupportedStatistics: SUPPORTED_STATISTICS,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return undo(status);
  hub.Adapters.push(adapter);
  globals.Hubs.set(hubName, hub);
  return NDIS_STATUS_SUCCESS;
};

/** MiniportHaltEx (PASSIVE_LEVEL, from Paused): leave the hub, give back the DPC and the pool. */
const MPHaltEx: MINIPORT_HALT = (MiniportAdapterContext) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  adapter.State = "halted";
  adapter.Queue.length = 0;
  if (adapter.Dpc !== null) {
    NdisCancelTimerObject(adapter.Dpc);
    NdisFreeTimerObject(adapter.Dpc);
    adapter.Dpc = null;
  }
  NdisFreeNetBufferListPool(adapter.ReceivePool);
  const hub = adapter.Hub;
  const at = hub.Adapters.indexOf(adapter);
  if (at >= 0) hub.Adapters.splice(at, 1);
  if (hub.Adapters.length === 0 && adapter.Globals.Hubs.get(hub.Name) === hub)
    adapter.Globals.Hubs.delete(hub.Name);
};

/**
 * MiniportPause: stop taking frames from the hub (queued ones are dropped) and refuse sends with
 * NDIS_STATUS_PAUSED; PENDING until the protocols return every receive indicated.
 */
const MPPause: MINIPORT_PAUSE = (MiniportAdapterContext) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  adapter.State = "paused";
  adapter.Counters.receiveDiscards += adapter.Queue.length;
  adapter.Queue.length = 0;
  if (adapter.Dpc !== null) NdisCancelTimerObject(adapter.Dpc);
  if (adapter.ReceivesOutstanding === 0) return NDIS_STATUS_SUCCESS;
  adapter.PausePending = true;
  return NDIS_STATUS_PENDING;
};

/** MiniportRestart: on the hub again; a link change made while paused is reported now. */
const MPRestart: MINIPORT_RESTART = (MiniportAdapterContext) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  adapter.State = "running";
  if (adapter.LinkReported !== adapter.LinkUp) queueDpc(adapter);
  return NDIS_STATUS_SUCCESS;
};

function MPDriverUnload(DriverObject: DRIVER_OBJECT): void {
  const globals = globalsOf(DriverObject);
  if (globals?.MiniportDriverHandle !== undefined)
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
  forgetGlobals(DriverObject);
}

const nothing = (): void => {};

/** DriverEntry: registers the miniport as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const version = targetVersion();
  const globals = createGlobals(DriverObject);
  const chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    InitializeHandlerEx: MPInitializeEx,
    HaltHandlerEx: MPHaltEx,
    UnloadHandler: MPDriverUnload,
    PauseHandler: MPPause,
    RestartHandler: MPRestart,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: MPReturnNetBufferLists,
    CancelSendHandler: MPCancelSend,
    DevicePnPEventNotifyHandler: nothing,
    ShutdownHandlerEx: nothing,
    CancelOidRequestHandler: MPCancelOidRequest,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, globals, chars, handle);
  if (status !== NDIS_STATUS_SUCCESS || handle.value === undefined) {
    forgetGlobals(DriverObject);
    return status;
  }
  globals.MiniportDriverHandle = handle.value;
  return NDIS_STATUS_SUCCESS;
}

/** What Node sees of one hub adapter (a snapshot). */
export interface HubAdapterInfo {
  readonly hub: string;
  readonly ifIndex: number;
  /** "02-00-00-00-00-01". */
  readonly mac: string;
  readonly state: "paused" | "running" | "halted";
  readonly linkUp: boolean;
  /** NDIS_PACKET_TYPE_* bits. */
  readonly packetFilter: number;
  readonly counters: Readonly<HubAdapterCounters>;
}

/** An adapter named by its interface index, or by what `host.addAdapter` returned. */
export type HubAdapterRef = number | { readonly ifIndex: number };

/** Node's handle on the hubs of one loaded hub driver. */
export interface HubControl {
  /** Every adapter of the driver, on every hub. */
  adapters(): readonly HubAdapterInfo[];
  adapter(ref: HubAdapterRef): HubAdapterInfo | undefined;
  /**
   * Cuts (`false`) or restores (`true`) an adapter's link, like pulling its cable: from then on
   * it neither sends (NDIS_STATUS_MEDIA_DISCONNECTED) nor receives, and its DPC — at the next
   * timer dispatch of the host clock — indicates NDIS_STATUS_LINK_STATE. False when no such
   * adapter exists.
   */
  setLink(ref: HubAdapterRef, up: boolean): boolean;
  /**
   * A frame arrives at the adapter from outside the hub (as if another station sent it): a copy
   * is queued for the adapter's DPC when it is running, its link up and its packet filter takes
   * it, else counted as the hub counts such frames. Says what became of it; null when there is no
   * such adapter or the frame is shorter than an Ethernet header.
   */
  inject(ref: HubAdapterRef, frame: Uint8Array): Arrival | null;
}

function describe(adapter: HubAdapter): HubAdapterInfo {
  return {
    hub: adapter.Hub.Name,
    ifIndex: adapter.IfIndex,
    mac: formatMac(adapter.CurrentAddress),
    state: adapter.State,
    linkUp: adapter.LinkUp,
    packetFilter: adapter.PacketFilter,
    counters: { ...adapter.Counters },
  };
}

function all(driverObject: DRIVER_OBJECT): HubAdapter[] {
  const globals = globalsOf(driverObject);
  return globals === undefined ? [] : [...globals.Hubs.values()].flatMap((h) => h.Adapters);
}

function find(driverObject: DRIVER_OBJECT, ref: HubAdapterRef): HubAdapter | undefined {
  const ifIndex = typeof ref === "number" ? ref : ref.ifIndex;
  return all(driverObject).find((a) => a.IfIndex === ifIndex);
}

/** The hubs of the hub driver loaded as `driverObject` (empty when it is not loaded). */
export function hubOf(driverObject: DRIVER_OBJECT): HubControl {
  return {
    adapters: () => all(driverObject).map(describe),
    adapter: (ref) => {
      const adapter = find(driverObject, ref);
      return adapter === undefined ? undefined : describe(adapter);
    },
    setLink: (ref, up) => {
      const adapter = find(driverObject, ref);
      if (adapter === undefined || adapter.State === "halted") return false;
      adapter.LinkUp = up;
      // The cable is pulled now; the adapter notices it in its DPC, as hardware raises an interrupt.
      queueDpc(adapter);
      return true;
    },
    inject: (ref, frame) => {
      const adapter = find(driverObject, ref);
      if (adapter === undefined || frame.length < 14) return null;
      return arrive(adapter, frame.slice());
    },
  };
}
