/**
 * vxlan: an NDIS 6 Ethernet miniport whose wire is a VXLAN tunnel (RFC 7348) over a node:dgram
 * UDP socket. Each adapter is one tunnel — (LocalAddress, LocalPort) to (RemoteAddress,
 * RemotePort) for one VNI — read from the adapter's registry parameters (see `config.ts`).
 *
 * Life of an adapter: MiniportInitializeEx reads the parameters, allocates the receive NBL pool,
 * creates the socket and starts binding it; it cannot wait for the bind, so the adapter starts
 * with MediaConnectStateDisconnected and indicates NDIS_STATUS_LINK_STATE (connected) once the
 * socket is bound. A bind error leaves the link down, counted (bindErrors) and explained
 * (`linkError`). MiniportPause pends until every send is completed and every indicated NBL is
 * back; MiniportHaltEx closes the socket and frees the pool.
 *
 * `vxlanAdapters(DriverObject)` shows each adapter's counters and drops by reason, for tests,
 * benchmarks and the curious.
 */
import { createSocket } from "node:dgram";
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_SHUTDOWN,
  makeNblCountedQueue,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
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
  NdisMSetMiniportAttributes,
  NdisPhysicalMediumUnspecified,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
} from "../../ddi.js";
import { VXLAN_HEADER_LENGTH } from "../../net/vxlan.js";
import {
  discardBatch,
  freeReceiveNbls,
  registerEthernetMiniport,
  setLink as setEthernetLink,
} from "../shared/ethernet-miniport.js";
import { generalAttributesHeader, targetVersion } from "../shared/revisions.js";
import {
  type Adapter,
  DROP_REASONS,
  type DropReason,
  describeAdapter,
  GLOBALS,
  type Globals,
  globalsOf,
  newCounters,
  newDrops,
  type VxlanAdapterInfo,
  type VxlanCounters,
} from "./adapter.js";
import { defaultAddress, readConfig } from "./config.js";
import { MPCancelSend, MPSendNetBufferLists, onDatagram, vxlanHeader } from "./datapath.js";
import {
  LINK_SPEED,
  MAX_MULTICAST_LIST,
  MPOidRequest,
  SUPPORTED_FILTERS,
  SUPPORTED_OIDS,
  SUPPORTED_STATISTICS,
} from "./oid.js";

export { MAX_RECEIVE_BATCH } from "../shared/ethernet-miniport.js";
export { DROP_REASONS, type DropReason, type VxlanAdapterInfo, type VxlanCounters };

/** 'Vxrx' */
const RECEIVE_POOL_TAG = 0x78727856;
/** Socket receive buffer asked for (the kernel caps it at net.core.rmem_max). */
const SOCKET_BUFFER = 4 * 1024 * 1024;

/** Every adapter of the driver loaded as `DriverObject`: a snapshot of its state and counters. */
export function vxlanAdapters(DriverObject: DRIVER_OBJECT): VxlanAdapterInfo[] {
  const globals = globalsOf(DriverObject);
  return globals === undefined ? [] : [...globals.Adapters].map(describeAdapter);
}

/** Why MiniportInitializeEx refused adapters of this driver (bad parameters), oldest first. */
export function vxlanInitErrors(DriverObject: DRIVER_OBJECT): readonly string[] {
  return [...(globalsOf(DriverObject)?.InitErrors ?? [])];
}

/** The link changed: tell NDIS (NDIS_STATUS_LINK_STATE), unless the adapter is halted. */
function setLink(a: Adapter, up: boolean): void {
  setEthernetLink(a, up, LINK_SPEED);
}

/** Creates the adapter's socket and starts binding it; the link comes up when it is bound. */
function openSocket(a: Adapter): void {
  const { LocalAddress, LocalPort } = a.Config;
  let bound = false;
  const socket = createSocket({
    type: "udp4",
    reuseAddr: false,
    // The addresses are IPv4 literals (checked at initialize): no resolver, and once bound no
    // extra tick per datagram. The bind's own lookup answers on the next tick, so that
    // 'listening' never fires inside MiniportInitializeEx.
    lookup: (hostname, _options, callback) => {
      if (bound) callback(null, hostname, 4);
      else process.nextTick(callback, null, hostname, 4);
    },
  });
  a.Socket = socket;
  socket.on("message", (msg, rinfo) => onDatagram(a, msg, rinfo));
  socket.on("error", (error: NodeJS.ErrnoException) => {
    const code = error.code ?? error.message;
    if (!bound) {
      a.Counters.bindErrors++;
      a.LinkError = `bind ${LocalAddress}:${LocalPort}: ${code}`;
    } else {
      a.Counters.socketErrors++;
      a.LinkError = `socket ${LocalAddress}:${LocalPort}: ${code}`;
    }
    closeSocket(a);
    setLink(a, false);
  });
  socket.on("listening", () => {
    bound = true;
    if (!a.Live) return;
    try {
      socket.setRecvBufferSize(SOCKET_BUFFER);
      socket.setSendBufferSize(SOCKET_BUFFER);
    } catch {
      // The kernel keeps its default sizes: slower under a flood, still correct.
    }
    a.LinkError = null;
    setLink(a, true);
  });
  socket.bind(LocalPort, LocalAddress);
}

function closeSocket(a: Adapter): void {
  const socket = a.Socket;
  if (socket === null) return;
  a.Socket = null;
  socket.removeAllListeners("message");
  socket.removeAllListeners("listening");
  // A socket that never bound may already be closed by Node; close() then throws.
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}

/**
 * MiniportInitializeEx (PASSIVE_LEVEL): parameters, attributes (Disconnected until the socket
 * is bound), receive pool, socket.
 */
const MPInitializeEx: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle,
  MiniportDriverContext,
  MiniportInitParameters,
): NDIS_STATUS => {
  const globals = MiniportDriverContext as Globals;
  const IfIndex = MiniportInitParameters.IfIndex;
  const read = readConfig(MiniportAdapterHandle, NDIS_STATUS_FAILURE);
  if (!read.ok) {
    globals.InitErrors.push(`adapter IfIndex ${IfIndex}: ${read.why}`);
    return read.status;
  }
  const config = read.config;
  const address = read.address ?? defaultAddress(IfIndex);
  const maxFrame = config.MTU + 18;
  const a: Adapter = {
    MiniportAdapterHandle,
    Globals: globals,
    IfIndex,
    Config: config,
    CurrentAddress: address,
    MaxFrameSize: maxFrame,
    Header: vxlanHeader(config.VNI),
    ReceivePool: null,
    ReceiveDataOffset: 0,
    ReceiveFree: [],
    Socket: null,
    LinkUp: false,
    LinkError: null,
    Running: false,
    PausePending: false,
    Live: true,
    SendsOutstanding: 0,
    ReceivesOutstanding: 0,
    Moderation: config.InterruptModeration,
    ReceiveBatch: makeNblCountedQueue(),
    BatchScheduled: false,
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: maxFrame,
    Counters: newCounters(),
    Drops: newDrops(),
  };
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: a,
    AttributeFlags: 0,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return status;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: NdisMedium802_3,
    PhysicalMediumType: NdisPhysicalMediumUnspecified,
    MtuSize: config.MTU,
    MaxXmitLinkSpeed: LINK_SPEED,
    XmitLinkSpeed: LINK_SPEED,
    MaxRcvLinkSpeed: LINK_SPEED,
    RcvLinkSpeed: LINK_SPEED,
    MediaConnectState: MediaConnectStateDisconnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: maxFrame,
    SupportedPacketFilters: SUPPORTED_FILTERS,
    MaxMulticastListSize: MAX_MULTICAST_LIST,
    MacAddressLength: 6,
    PermanentMacAddress: address,
    CurrentMacAddress: address,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: false,
    SupportedStatistics: SUPPORTED_STATISTICS,
    // Room for the VXLAN header in front of each frame: a datagram then leaves as one buffer.
    DataBackFillSize: VXLAN_HEADER_LENGTH,
    SupportedOidList: SUPPORTED_OIDS,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return status;
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
    DataSize: maxFrame,
  });
  if (pool === null) return NDIS_STATUS_RESOURCES;
  a.ReceivePool = pool;
  try {
    openSocket(a);
  } catch (error) {
    // Parameters were checked, so this is the socket layer refusing: the adapter cannot start.
    closeSocket(a);
    NdisFreeNetBufferListPool(pool);
    globals.InitErrors.push(`adapter IfIndex ${IfIndex}: socket: ${String(error)}`);
    return NDIS_STATUS_FAILURE;
  }
  globals.Adapters.add(a);
  return NDIS_STATUS_SUCCESS;
};

/** MiniportHaltEx (PASSIVE_LEVEL, from Paused, nothing outstanding): socket and pool go. */
const MPHaltEx: MINIPORT_HALT = (MiniportAdapterContext) => {
  const a = MiniportAdapterContext as Adapter;
  a.Live = false;
  a.Running = false;
  discardBatch(a);
  closeSocket(a);
  freeReceiveNbls(a);
  a.LinkUp = false;
  if (a.ReceivePool !== null) NdisFreeNetBufferListPool(a.ReceivePool);
  a.ReceivePool = null;
  a.Globals.Adapters.delete(a);
};

const MPShutdownEx: MINIPORT_SHUTDOWN = (MiniportAdapterContext) => {
  // The system is going down: stop talking to the wire; nothing more goes up.
  const a = MiniportAdapterContext as Adapter;
  a.Running = false;
  discardBatch(a);
  closeSocket(a);
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
