/**
 * test-miniport: the smallest honest NDIS 6 miniport driver — an Ethernet adapter with nothing
 * behind it, for giving intermediate drivers and tests something to bind to. Written against the
 * DDI only, the way netvmini is written in C.
 *
 * Each adapter reports: NdisMedium802_3, MTU 1500, 1 Gbit/s full duplex, connected, and the MAC
 * address 02-00-00-00-00-<IfIndex> (a locally administered address). Sends are completed at once
 * with SUCCESS (the wire swallows them); nothing is ever received. It takes the receive filter OIDs
 * (packet filter, lookahead, multicast list) and refuses the others. Pause and restart complete
 * at once; halt frees the adapter context. Like a driver shipped for several Windows releases, it
 * registers as the NDIS version it runs on, with the structure revisions that version requires.
 */
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaDuplexStateFull,
  type MINIPORT_OID_REQUEST,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMRegisterMiniportDriver,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisPhysicalMedium802_3,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  type NET_BUFFER_LIST,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  type Out,
} from "../../ddi.js";
import {
  ETHERNET_PACKET_FILTERS,
  queryReceiveFilter,
  type ReceiveFilterState,
  setReceiveFilter,
} from "../shared/oid.js";
import {
  generalAttributesHeader,
  miniportCharacteristicsHeader,
  targetVersion,
} from "../shared/revisions.js";

/** Per-adapter context (MP_ADAPTER in netvmini). */
interface Adapter {
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  readonly CurrentAddress: Uint8Array;
  /** Cleared by MiniportHaltEx: a halted context must never be used again. */
  live: boolean;
  /** Frames the adapter has sent (and the wire swallowed). */
  framesSent: number;
  /** The receive filter protocols set (nothing is received, but the OIDs are mandatory). */
  readonly filter: ReceiveFilterState;
}

const MTU = 1500;
const SPEED = 1_000_000_000n;
const handles = new WeakMap<DRIVER_OBJECT, NDIS_HANDLE>();

function MPInitializeEx(
  MiniportAdapterHandle: NDIS_HANDLE,
  _MiniportDriverContext: unknown,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS {
  const address = Uint8Array.of(0x02, 0, 0, 0, 0, MiniportInitParameters.IfIndex & 0xff);
  const adapter: Adapter = {
    MiniportAdapterHandle,
    CurrentAddress: address,
    live: true,
    framesSent: 0,
    filter: { PacketFilter: 0, MulticastList: [], Lookahead: MTU },
  };
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: adapter,
    AttributeFlags: 0,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return status;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: NdisMedium802_3,
    PhysicalMediumType: NdisPhysicalMedium802_3,
    MtuSize: MTU,
    MaxXmitLinkSpeed: SPEED,
    XmitLinkSpeed: SPEED,
    MaxRcvLinkSpeed: SPEED,
    RcvLinkSpeed: SPEED,
    MediaConnectState: MediaConnectStateConnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: MTU,
    SupportedPacketFilters: ETHERNET_PACKET_FILTERS,
    MaxMulticastListSize: 32,
    MacAddressLength: 6,
    PermanentMacAddress: address,
    CurrentMacAddress: address,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: false,
    PowerManagementCapabilitiesEx: null,
  });
  return status;
}

function MPHaltEx(MiniportAdapterContext: unknown): void {
  (MiniportAdapterContext as Adapter).live = false;
}

function MPDriverUnload(DriverObject: DRIVER_OBJECT): void {
  const handle = handles.get(DriverObject);
  if (handle !== undefined) NdisMDeregisterMiniportDriver(handle);
  handles.delete(DriverObject);
}

/**
 * MiniportSendNetBufferLists: the wire behind the adapter swallows every frame; each NBL is
 * completed at once with NDIS_STATUS_SUCCESS (≤ DISPATCH_LEVEL).
 */
const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  _PortNumber,
  SendFlags,
) => {
  const adapter = MiniportAdapterContext as Adapter;
  for (let nbl: NET_BUFFER_LIST | null = NetBufferList; nbl !== null; nbl = nbl.Next) {
    nbl.Status = NDIS_STATUS_SUCCESS;
    adapter.framesSent++;
  }
  NdisMSendNetBufferListsComplete(
    adapter.MiniportAdapterHandle,
    NetBufferList,
    (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
      : 0,
  );
};

/**
 * MiniportOidRequest: the receive filter OIDs every Ethernet miniport must take ("Mandatory OIDs
 * for miniport drivers": OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD,
 * OID_802_3_MULTICAST_LIST) — a protocol's bind sets its packet filter, and one refused is a bind
 * refused; NDIS answers the rest from the attributes. Anything else is NOT_SUPPORTED.
 */
const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const adapter = MiniportAdapterContext as Adapter;
  const type = OidRequest.RequestType;
  let status: NDIS_STATUS | undefined;
  if (type === NdisRequestQueryInformation || type === NdisRequestQueryStatistics)
    status = queryReceiveFilter(adapter.filter, OidRequest.DATA.QUERY_INFORMATION);
  else if (type === NdisRequestSetInformation)
    status = setReceiveFilter(adapter.filter, OidRequest.DATA.SET_INFORMATION, MTU);
  return status ?? NDIS_STATUS_NOT_SUPPORTED;
};

const succeed = (): NDIS_STATUS => NDIS_STATUS_SUCCESS;
const nothing = (): void => {};

/** DriverEntry: registers the miniport edge as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const version = targetVersion();
  const chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    InitializeHandlerEx: MPInitializeEx,
    HaltHandlerEx: MPHaltEx,
    UnloadHandler: MPDriverUnload,
    PauseHandler: succeed,
    RestartHandler: succeed,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: nothing,
    CancelSendHandler: nothing,
    DevicePnPEventNotifyHandler: nothing,
    ShutdownHandlerEx: nothing,
    CancelOidRequestHandler: nothing,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, handle);
  if (status === NDIS_STATUS_SUCCESS && handle.value !== undefined)
    handles.set(DriverObject, handle.value);
  return status;
}
