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
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS,
  NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR,
  NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS,
  NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MULTICAST_FULL,
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
import { answerBytes, answerCounter, readUlong, ulong } from "../shared/oid.js";
import { LINK_SPEED } from "./datapath.js";
import type { HubAdapter } from "./globals.js";

export const MAX_MULTICAST = 32;
/** Every NDIS_STATISTICS_INFO counter is kept. */
export const SUPPORTED_STATISTICS =
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS |
  NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR |
  NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT;
export const MTU = 1500;
export const SUPPORTED_FILTERS =
  NDIS_PACKET_TYPE_DIRECTED |
  NDIS_PACKET_TYPE_MULTICAST |
  NDIS_PACKET_TYPE_ALL_MULTICAST |
  NDIS_PACKET_TYPE_BROADCAST |
  NDIS_PACKET_TYPE_PROMISCUOUS |
  NDIS_PACKET_TYPE_ALL_LOCAL;

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
    case OID_GEN_CURRENT_PACKET_FILTER:
      return answerBytes(d, ulong(adapter.PacketFilter));
    case OID_GEN_CURRENT_LOOKAHEAD:
      return answerBytes(d, ulong(adapter.Lookahead));
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
    case OID_802_3_MULTICAST_LIST: {
      const list = new Uint8Array(6 * adapter.MulticastList.length);
      adapter.MulticastList.forEach((m, i) => {
        list.set(m, 6 * i);
      });
      return answerBytes(d, list);
    }
    case OID_802_3_MAXIMUM_LIST_SIZE:
      return answerBytes(d, ulong(MAX_MULTICAST));
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(adapter: HubAdapter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  switch (d.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: {
      const filter = readUlong(d);
      if (filter === null) return NDIS_STATUS_INVALID_LENGTH;
      if ((filter & ~SUPPORTED_FILTERS) !== 0) return NDIS_STATUS_NOT_SUPPORTED;
      adapter.PacketFilter = filter;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_GEN_CURRENT_LOOKAHEAD: {
      const lookahead = readUlong(d);
      if (lookahead === null) return NDIS_STATUS_INVALID_LENGTH;
      if (lookahead > MTU) return NDIS_STATUS_INVALID_DATA;
      adapter.Lookahead = lookahead;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_802_3_MULTICAST_LIST: {
      const length = d.InformationBufferLength;
      if (length % 6 !== 0 || (length > 0 && d.InformationBuffer === null))
        return NDIS_STATUS_INVALID_LENGTH;
      if (length / 6 > MAX_MULTICAST) return NDIS_STATUS_MULTICAST_FULL;
      const b = d.InformationBuffer ?? new Uint8Array(0);
      const list: Uint8Array[] = [];
      for (let i = 0; i < length; i += 6) list.push(b.slice(i, i + 6));
      adapter.MulticastList = list;
      d.BytesRead = length;
      return NDIS_STATUS_SUCCESS;
    }
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
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
