/**
 * tap: an NDIS 6 Ethernet miniport whose wire is a Linux macvtap device, so that any Linux
 * program — ping, a UDP or TCP client, tcpdump — talks to the NDIS stack through an ordinary
 * interface. Each adapter is one macvtap queue: `/dev/tapN` opened (an existing one, or — as
 * root — a link the driver creates over `Parent`, with its device node, both removed at halt),
 * frames read and written behind the 10-byte virtio_net_hdr (see `datapath.ts`), the link's MAC
 * address, MTU and speed read from sysfs, its operstate polled for the link state.
 *
 * Life of an adapter: MiniportInitializeEx reads the parameters, creates or finds the link, opens
 * the device, allocates the receive NBL pool and starts the operstate poll; the adapter starts
 * with the link's state and indicates NDIS_STATUS_LINK_STATE whenever the operstate changes. When
 * the link disappears (deleted under it), the adapter stops all I/O, reports the link down and
 * calls NdisMRemoveMiniport: NDIS removes it (MiniportHaltEx with NdisHaltDeviceFailed). MiniportPause pends until
 * every indicated NBL is back; MiniportHaltEx closes the device, stops the poll and removes what
 * the driver created.
 *
 * `tapAdapters(DriverObject)` shows each adapter's counters and drops by reason.
 */
import { closeSync, openSync } from "node:fs";
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_SHUTDOWN,
  makeNblCountedQueue,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferListPool,
  NdisFreeNetBufferListPool,
  NdisInterfaceInternal,
  NdisMedium802_3,
  NdisMRemoveMiniport,
  NdisMSetMiniportAttributes,
  NdisPhysicalMediumUnspecified,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
} from "../../ddi.js";
import {
  discardBatch,
  ethernetOidRequest,
  freeReceiveNbls,
  MAX_MULTICAST_LIST,
  registerEthernetMiniport,
  SUPPORTED_FILTERS,
  SUPPORTED_OIDS,
  SUPPORTED_STATISTICS,
  setLink,
} from "../shared/ethernet-miniport.js";
import { generalAttributesHeader, targetVersion } from "../shared/revisions.js";
import {
  type Adapter,
  type Created,
  DROP_REASONS,
  type DropReason,
  describeAdapter,
  GLOBALS,
  type Globals,
  globalsOf,
  newCounters,
  newDrops,
  type TapAdapterInfo,
  type TapConfig,
  type TapCounters,
} from "./adapter.js";
import { readParameters, type TapParameters } from "./config.js";
import { MPCancelSend, MPSendNetBufferLists, onRead, VNET_HEADER_LENGTH } from "./datapath.js";
import {
  createLink,
  deleteLink,
  isDeviceOf,
  type LinkFacts,
  linkByIndex,
  linkFacts,
  makeNode,
  operState,
  operStateUp,
  pollDevice,
  removeNode,
  setLinkAdmin,
  sysfs,
} from "./link.js";

export { DROP_REASONS, type DropReason, type TapAdapterInfo, type TapCounters };

/** 'Tprx' */
const RECEIVE_POOL_TAG = 0x78727054;
/** The speed reported when the link reports none: 10 Gbit/s. */
const DEFAULT_SPEED = 10_000_000_000n;

/** Every adapter of the driver loaded as `DriverObject`: a snapshot of its state and counters. */
export function tapAdapters(DriverObject: DRIVER_OBJECT): TapAdapterInfo[] {
  const globals = globalsOf(DriverObject);
  return globals === undefined ? [] : [...globals.Adapters].map(describeAdapter);
}

/** Why MiniportInitializeEx refused adapters of this driver, oldest first. */
export function tapInitErrors(DriverObject: DRIVER_OBJECT): readonly string[] {
  return [...(globalsOf(DriverObject)?.InitErrors ?? [])];
}

/**
 * Sets the adapter's macvtap link administratively up or down (`ip link set`, root), as pulling
 * and plugging its cable would: the operstate follows, and the adapter reports it at its next
 * poll. Throws when there is no such adapter or `ip` fails.
 */
export function tapSetLink(DriverObject: DRIVER_OBJECT, ifIndex: number, up: boolean): void {
  const a = [...(globalsOf(DriverObject)?.Adapters ?? [])].find((x) => x.IfIndex === ifIndex);
  if (a === undefined) throw new Error(`no tap adapter with IfIndex ${ifIndex}`);
  const failed = setLinkAdmin(a.Config.Link, up);
  if (failed !== null) throw new Error(failed);
}

const MPOidRequest = ethernetOidRequest<Adapter>({
  description: "ndis-ts tap miniport (Linux macvtap)",
  linkSpeed: (a) => a.Config.Speed,
});

/** What the Linux side gave: the link, its facts, the device path, what was created. */
interface Wire {
  readonly link: string;
  readonly facts: LinkFacts;
  readonly device: string;
  readonly created: Created;
}

/** Finds or creates the link and its device node; the wire, or why not (nothing left behind). */
function setUpWire(p: TapParameters, IfIndex: number): Wire | string {
  const created: Created = { link: false, node: false };
  let link = p.Link;
  if (p.Parent !== null) {
    link ??= `ndistap${IfIndex}`;
    const failed = createLink(link, p.Parent, p.Mode, p.NetworkAddress);
    if (failed !== null) return failed;
    created.link = true;
  } else if (link === null) {
    // Device alone: its link is the interface whose ifindex is the N of /dev/tapN.
    const n = /\/tap(\d+)$/.exec(p.Device ?? "");
    const found = n === null ? null : linkByIndex(Number(n[1]));
    if (found === null)
      return `Device ${p.Device}: no interface has the ifindex its name gives (give Link)`;
    link = found;
  }
  const undo = (why: string) => {
    if (created.link) deleteLink(link);
    return why;
  };
  const facts = linkFacts(link);
  if (typeof facts === "string") return undo(facts);
  const device = p.Device ?? `${p.DeviceDirectory}/tap${facts.ifindex}`;
  let matches = isDeviceOf(device, facts);
  if (matches !== true && p.Parent !== null) {
    // The link was just made: /dev/tap<its ifindex> can only be its device. A node already there
    // with other numbers is stale (left by an earlier link with that ifindex) and is replaced.
    if (matches === false) removeNode(device);
    const failed = makeNode(device, facts);
    // devtmpfs may have made it meanwhile (it makes and removes /dev/tapN itself).
    matches = isDeviceOf(device, facts);
    if (failed !== null && matches !== true) return undo(failed);
    created.node = failed === null;
  }
  if (matches !== true) {
    if (created.node) removeNode(device);
    return undo(
      typeof matches === "string"
        ? matches
        : `${device} is not the device of ${link} (${facts.major}:${facts.minor})`,
    );
  }
  return { link, facts, device, created };
}

/** Removes what the driver created: the node, and the link unless it is gone already. */
function tearDownWire(created: Created, device: string, link: string, gone: boolean): void {
  if (created.node) removeNode(device);
  if (created.link && !gone) deleteLink(link);
  created.node = false;
  created.link = false;
}

/** Stops reading the device and polling the link. */
function closeDevice(a: Adapter): void {
  if (a.Poll !== null) clearInterval(a.Poll);
  a.Poll = null;
  const stream = a.Stream;
  if (stream === null) return;
  a.Stream = null;
  stream.removeAllListeners("data");
  stream.destroy();
}

/** The operstate poll: link changes are indicated; a vanished link removes the adapter. */
function pollLink(a: Adapter): void {
  if (!a.Live || a.Gone) return;
  const state = operState(a.Config.Link);
  // Gone, or deleted and made again under the same name (a new link: our queue is dead).
  if (state === null || Number(sysfs(a.Config.Link, "ifindex")) !== a.LinkIndex) {
    linkGone(a);
    return;
  }
  if (state === a.OperState) return;
  a.OperState = state;
  const up = operStateUp(state);
  if (up !== a.LinkUp) {
    a.Counters.linkChanges++;
    a.LinkError = up ? null : `link ${a.Config.Link} is ${state}`;
    setLink(a, up, a.Config.Speed);
  }
}

/** The link was deleted under the adapter: no more I/O, link down, NDIS asked to remove it. */
function linkGone(a: Adapter): void {
  a.Gone = true;
  a.OperState = "gone";
  a.LinkError = `link ${a.Config.Link} disappeared`;
  closeDevice(a);
  discardBatch(a);
  if (a.LinkUp) a.Counters.linkChanges++;
  setLink(a, false, a.Config.Speed);
  NdisMRemoveMiniport(a.MiniportAdapterHandle);
}

/**
 * MiniportInitializeEx (PASSIVE_LEVEL): parameters, the link (created when asked), the device,
 * attributes (the link's MAC, MTU, speed and state), receive pool, operstate poll.
 */
const MPInitializeEx: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle,
  MiniportDriverContext,
  MiniportInitParameters,
): NDIS_STATUS => {
  const globals = MiniportDriverContext as Globals;
  const IfIndex = MiniportInitParameters.IfIndex;
  const refuse = (why: string, status: NDIS_STATUS = NDIS_STATUS_FAILURE) => {
    globals.InitErrors.push(`adapter IfIndex ${IfIndex}: ${why}`);
    return status;
  };
  const read = readParameters(MiniportAdapterHandle, NDIS_STATUS_FAILURE);
  if (!read.ok) return refuse(read.why, read.status);
  const p = read.parameters;
  const wire = setUpWire(p, IfIndex);
  if (typeof wire === "string") return refuse(wire);
  const { facts } = wire;
  let fd: number;
  try {
    fd = openSync(wire.device, "r+");
  } catch (error) {
    tearDownWire(wire.created, wire.device, wire.link, false);
    return refuse(`open ${wire.device}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const config: TapConfig = {
    Device: wire.device,
    Link: wire.link,
    Parent: p.Parent,
    MTU: facts.mtu,
    Speed: facts.speed ?? DEFAULT_SPEED,
    ReceiveBuffers: p.ReceiveBuffers,
    InterruptModeration: p.InterruptModeration,
    ReceiveChain: p.ReceiveChain,
    InterleaveSends: p.InterleaveSends,
    LinkPollMs: p.LinkPollMs,
  };
  const maxFrame = facts.mtu + 18;
  const state = operState(wire.link) ?? "gone";
  const a: Adapter = {
    MiniportAdapterHandle,
    Globals: globals,
    IfIndex,
    Config: config,
    LinkIndex: facts.ifindex,
    Created: wire.created,
    CurrentAddress: facts.mac,
    MaxFrameSize: maxFrame,
    ReceivePool: null,
    ReceiveDataOffset: VNET_HEADER_LENGTH,
    ReceiveFree: [],
    Stream: null,
    Fd: fd,
    ReadBuffer: Buffer.alloc(65536),
    Busy: false,
    Deferring: false,
    Deferred: [],
    DeferredNext: null,
    Poll: null,
    OperState: state,
    LinkUp: operStateUp(state),
    LinkError: operStateUp(state) ? null : `link ${wire.link} is ${state}`,
    Gone: false,
    Running: false,
    PausePending: false,
    Live: true,
    SendsOutstanding: 0,
    ReceivesOutstanding: 0,
    Moderation: p.InterruptModeration,
    ReceiveBatch: makeNblCountedQueue(),
    BatchScheduled: false,
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: maxFrame,
    Counters: newCounters(),
    Drops: newDrops(),
  };
  const fail = (why: string, status: NDIS_STATUS = NDIS_STATUS_FAILURE) => {
    // A descriptor not yet handed to libuv is closed here; one that was, by closeDevice.
    if (a.Stream === null) closeSync(a.Fd);
    closeDevice(a);
    if (a.ReceivePool !== null) NdisFreeNetBufferListPool(a.ReceivePool);
    a.ReceivePool = null;
    tearDownWire(a.Created, config.Device, config.Link, false);
    return refuse(why, status);
  };
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: a,
    // The device can vanish (its link deleted): the driver copes.
    AttributeFlags: NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return fail("NdisMSetMiniportAttributes failed", status);
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: NdisMedium802_3,
    PhysicalMediumType: NdisPhysicalMediumUnspecified,
    MtuSize: config.MTU,
    MaxXmitLinkSpeed: config.Speed,
    XmitLinkSpeed: config.Speed,
    MaxRcvLinkSpeed: config.Speed,
    RcvLinkSpeed: config.Speed,
    MediaConnectState: a.LinkUp ? MediaConnectStateConnected : MediaConnectStateDisconnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: maxFrame,
    SupportedPacketFilters: SUPPORTED_FILTERS,
    MaxMulticastListSize: MAX_MULTICAST_LIST,
    MacAddressLength: 6,
    PermanentMacAddress: facts.mac,
    CurrentMacAddress: facts.mac,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: true,
    SupportedStatistics: SUPPORTED_STATISTICS,
    // Room for the virtio-net header in front of each frame: a frame then leaves in one write.
    DataBackFillSize: VNET_HEADER_LENGTH,
    SupportedOidList: SUPPORTED_OIDS,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return fail("NdisMSetMiniportAttributes failed", status);
  const pool = NdisAllocateNetBufferListPool(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag: RECEIVE_POOL_TAG,
    // Each frame is read straight into its NBL, the virtio-net header in front of the data, and
    // one byte more: macvtap cuts a longer frame to the buffer, so a read that fills it was
    // longer than maxFrame (oversized).
    DataSize: VNET_HEADER_LENGTH + maxFrame + 1,
  });
  if (pool === null) return fail("no receive pool", NDIS_STATUS_RESOURCES);
  a.ReceivePool = pool;
  try {
    const stream = pollDevice(fd);
    a.Stream = stream;
    stream.on("data", (read: Buffer) => onRead(a, read));
    // A read error (the device failed): the link is as good as gone.
    stream.on("error", () => {
      if (a.Live && !a.Gone) linkGone(a);
    });
  } catch (error) {
    return fail(`${wire.device}: ${String(error)}`);
  }
  a.Poll = setInterval(pollLink, p.LinkPollMs, a);
  // The poll alone must not keep the process alive; the open device does (as a socket would).
  a.Poll.unref();
  globals.Adapters.add(a);
  return NDIS_STATUS_SUCCESS;
};

/** MiniportHaltEx (PASSIVE_LEVEL, from Paused, nothing outstanding): device, poll, pool, link go. */
const MPHaltEx: MINIPORT_HALT = (MiniportAdapterContext) => {
  const a = MiniportAdapterContext as Adapter;
  a.Live = false;
  a.Running = false;
  discardBatch(a);
  closeDevice(a);
  freeReceiveNbls(a);
  a.LinkUp = false;
  if (a.ReceivePool !== null) NdisFreeNetBufferListPool(a.ReceivePool);
  a.ReceivePool = null;
  tearDownWire(a.Created, a.Config.Device, a.Config.Link, a.Gone);
  a.Globals.Adapters.delete(a);
};

const MPShutdownEx: MINIPORT_SHUTDOWN = (MiniportAdapterContext) => {
  // The system is going down: stop talking to the wire; nothing more goes up.
  const a = MiniportAdapterContext as Adapter;
  a.Running = false;
  discardBatch(a);
  closeDevice(a);
};

/** DriverEntry: registers the miniport edge as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  return registerEthernetMiniport(GLOBALS, DriverObject, RegistryPath, {
    InitializeHandlerEx: MPInitializeEx,
    HaltHandlerEx: MPHaltEx,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    CancelSendHandler: MPCancelSend,
    ShutdownHandlerEx: MPShutdownEx,
  });
}
