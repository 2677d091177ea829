/**
 * The OIDs the hub answers itself (NDIS answers the ones it knows from the general attributes):
 * the packet filter and multicast list (which decide what the hub delivers), lookahead, MAC
 * addresses, link speed and connect status, the GEN statistics counters, and the power OIDs.
 * Everything else is NDIS_STATUS_NOT_SUPPORTED.
 */
import {
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  type NDIS_OID_REQUEST_DATA,
  type NDIS_STATUS,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisRequestMethod,
  NdisRequestSetInformation,
  ndisStatisticsInfoBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_BYTES_RCV,
  OID_GEN_BYTES_XMIT,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAXIMUM_SEND_PACKETS,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_RCV_DISCARDS,
  OID_GEN_RCV_ERROR,
  OID_GEN_RCV_NO_BUFFER,
  OID_GEN_RCV_OK,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_STATISTICS,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_DISCARDS,
  OID_GEN_XMIT_ERROR,
  OID_GEN_XMIT_OK,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
} from "../../ddi.js";
import {
  ALL_ETHERNET_STATISTICS,
  answerBytes,
  answerCounter,
  ETHERNET_PACKET_FILTERS,
  MAX_MULTICAST_LIST,
  queryReceiveFilter,
  setReceiveFilter,
  ulong,
} from "../shared/oid.js";
import { LINK_SPEED } from "./datapath.js";
import type { HubAdapter } from "./globals.js";

export const MAX_MULTICAST = MAX_MULTICAST_LIST;
/** Every NDIS_STATISTICS_INFO counter is kept. */
export const SUPPORTED_STATISTICS = ALL_ETHERNET_STATISTICS;
export const MTU = 1500;
export const SUPPORTED_FILTERS = ETHERNET_PACKET_FILTERS;

/** The OIDs answered here (for OID_GEN_SUPPORTED_LIST, which NDIS answers from the attributes). */
export const HUB_OIDS: readonly number[] = [
  OID_GEN_STATISTICS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_LINK_SPEED,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MAXIMUM_SEND_PACKETS,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_VENDOR_ID,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_XMIT_OK,
  OID_GEN_RCV_OK,
  OID_GEN_XMIT_ERROR,
  OID_GEN_RCV_ERROR,
  OID_GEN_RCV_NO_BUFFER,
  OID_GEN_BYTES_RCV,
  OID_GEN_BYTES_XMIT,
  OID_GEN_RCV_DISCARDS,
  OID_GEN_XMIT_DISCARDS,
  OID_802_3_PERMANENT_ADDRESS,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
];

const VENDOR_DESCRIPTION = new TextEncoder().encode("ndis-ts hub adapter\0");

function query(adapter: HubAdapter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  const c = adapter.Counters;
  switch (d.Oid) {
    case OID_GEN_HARDWARE_STATUS:
      return answerBytes(d, ulong(0)); // NdisHardwareStatusReady
    case OID_GEN_LINK_SPEED:
      return answerBytes(d, ulong(Number(LINK_SPEED / 100n))); // in units of 100 bit/s
    case OID_GEN_MEDIA_CONNECT_STATUS:
      return answerBytes(d, ulong(adapter.LinkUp ? 0 : 1)); // NdisMediaStateConnected / Disconnected
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
      return answerBytes(d, ulong(MTU + 14));
    case OID_GEN_MAXIMUM_SEND_PACKETS:
      return answerBytes(d, ulong(1));
    case OID_GEN_TRANSMIT_BUFFER_SPACE:
    case OID_GEN_RECEIVE_BUFFER_SPACE:
      return answerBytes(d, ulong((MTU + 14) * 64));
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
      return answerBytes(d, ulong(MTU + 14));
    case OID_GEN_VENDOR_ID:
      return answerBytes(d, ulong(0xffffff)); // no IEEE OUI: the locally administered range
    case OID_GEN_VENDOR_DESCRIPTION:
      return answerBytes(d, VENDOR_DESCRIPTION);
    case OID_GEN_VENDOR_DRIVER_VERSION:
      return answerBytes(d, ulong(0x00010000));
    case OID_GEN_STATISTICS: {
      const o = adapter.Out;
      const i = adapter.In;
      const n = (v: number): bigint => BigInt(v);
      return answerBytes(
        d,
        ndisStatisticsInfoBytes({
          SupportedStatistics: SUPPORTED_STATISTICS,
          ifInDiscards: n(c.receiveDiscards),
          ifInErrors: 0n,
          ifHCInOctets: n(c.bytesReceived),
          ifHCInUcastPkts: n(i.ucastPkts),
          ifHCInMulticastPkts: n(i.mcastPkts),
          ifHCInBroadcastPkts: n(i.bcastPkts),
          ifHCOutOctets: n(c.bytesSent),
          ifHCOutUcastPkts: n(o.ucastPkts),
          ifHCOutMulticastPkts: n(o.mcastPkts),
          ifHCOutBroadcastPkts: n(o.bcastPkts),
          ifOutErrors: n(c.sendsFailed),
          ifOutDiscards: n(c.runtsDropped),
          ifHCInUcastOctets: n(i.ucastOctets),
          ifHCInMulticastOctets: n(i.mcastOctets),
          ifHCInBroadcastOctets: n(i.bcastOctets),
          ifHCOutUcastOctets: n(o.ucastOctets),
          ifHCOutMulticastOctets: n(o.mcastOctets),
          ifHCOutBroadcastOctets: n(o.bcastOctets),
        }),
      );
    }
    case OID_GEN_XMIT_OK:
      return answerCounter(d, c.framesSent);
    case OID_GEN_RCV_OK:
      return answerCounter(d, c.framesReceived);
    case OID_GEN_XMIT_ERROR:
      return answerCounter(d, c.sendsFailed);
    case OID_GEN_RCV_ERROR:
      return answerCounter(d, 0);
    case OID_GEN_RCV_NO_BUFFER:
    case OID_GEN_RCV_DISCARDS:
      return answerCounter(d, c.receiveDiscards);
    case OID_GEN_XMIT_DISCARDS:
      return answerCounter(d, c.sendsFailed + c.runtsDropped);
    case OID_GEN_BYTES_RCV:
      return answerCounter(d, c.bytesReceived);
    case OID_GEN_BYTES_XMIT:
      return answerCounter(d, c.bytesSent);
    case OID_802_3_PERMANENT_ADDRESS:
      return answerBytes(d, adapter.PermanentAddress);
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(d, adapter.CurrentAddress);
    default:
      return queryReceiveFilter(adapter, d) ?? NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(adapter: HubAdapter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  return setReceiveFilter(adapter, d, MTU) ?? NDIS_STATUS_NOT_SUPPORTED;
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL): answered at once, never pended. */
export const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const adapter = MiniportAdapterContext as HubAdapter;
  const d = OidRequest.DATA.QUERY_INFORMATION;
  if (d.Oid === OID_PNP_QUERY_POWER || d.Oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (OidRequest.RequestType === NdisRequestMethod) return NDIS_STATUS_NOT_SUPPORTED;
  if (OidRequest.RequestType === NdisRequestSetInformation) return set(adapter, d);
  return query(adapter, d);
};

/** MiniportCancelOidRequest: nothing is ever pending. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = () => {};
