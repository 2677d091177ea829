/**
 * The pcap miniport's OID requests: the packet filter and multicast list a protocol sets (the
 * replay indicates only the frames they let through, as a NIC's receive filter would), the
 * lookahead, its addresses, its statistics (OID_GEN_STATISTICS: frames indicated, frames given
 * to send) and the power OIDs. Everything is answered at once.
 */
import {
  type NDIS_OID_REQUEST,
  type NDIS_OID_REQUEST_DATA,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisRequestMethod,
  NdisRequestSetInformation,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_STATISTICS,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
} from "../../ddi.js";
import { isBroadcastMac, isMulticastMac, macEquals } from "../../net/ethernet.js";
import { type EthernetCounters, statisticsInfoBytes } from "../shared/ethernet-miniport.js";
import { answerBytes, readUlong, ulong } from "../shared/oid.js";

export const MAX_MULTICAST = 32;
export const MTU = 1500;
export const SUPPORTED_FILTERS =
  NDIS_PACKET_TYPE_DIRECTED |
  NDIS_PACKET_TYPE_MULTICAST |
  NDIS_PACKET_TYPE_ALL_MULTICAST |
  NDIS_PACKET_TYPE_BROADCAST |
  NDIS_PACKET_TYPE_PROMISCUOUS |
  NDIS_PACKET_TYPE_ALL_LOCAL;

/** What the receive filter of one adapter holds. */
export interface ReceiveFilter {
  readonly CurrentAddress: Uint8Array;
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  /** What the adapter indicated and was given to send (OID_GEN_STATISTICS). */
  readonly Counters: EthernetCounters;
}

/** Would the filter pass a frame? Frames shorter than an Ethernet header never pass. */
export function accepts(f: ReceiveFilter, frame: Uint8Array): boolean {
  if (frame.length < 14) return false;
  const dst = frame.subarray(0, 6);
  const filter = f.PacketFilter;
  if ((filter & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0) return true;
  if (isBroadcastMac(dst)) return (filter & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if (isMulticastMac(dst)) {
    if ((filter & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
    return (
      (filter & NDIS_PACKET_TYPE_MULTICAST) !== 0 && f.MulticastList.some((m) => macEquals(m, dst))
    );
  }
  return (filter & NDIS_PACKET_TYPE_DIRECTED) !== 0 && macEquals(dst, f.CurrentAddress);
}

function query(f: ReceiveFilter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  switch (d.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
      return answerBytes(d, ulong(f.PacketFilter));
    case OID_GEN_CURRENT_LOOKAHEAD:
      return answerBytes(d, ulong(f.Lookahead));
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(d, f.CurrentAddress);
    case OID_802_3_MULTICAST_LIST: {
      const list = new Uint8Array(6 * f.MulticastList.length);
      f.MulticastList.forEach((m, i) => {
        list.set(m, 6 * i);
      });
      return answerBytes(d, list);
    }
    case OID_802_3_MAXIMUM_LIST_SIZE:
      return answerBytes(d, ulong(MAX_MULTICAST));
    case OID_GEN_STATISTICS:
      // Nothing is discarded or in error: what the filter refuses is not a NIC's drop.
      return answerBytes(d, statisticsInfoBytes(f.Counters, 0, 0));
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(f: ReceiveFilter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  switch (d.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: {
      const filter = readUlong(d);
      if (filter === null) return NDIS_STATUS_INVALID_LENGTH;
      if ((filter & ~SUPPORTED_FILTERS) !== 0) return NDIS_STATUS_NOT_SUPPORTED;
      f.PacketFilter = filter;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_GEN_CURRENT_LOOKAHEAD: {
      const lookahead = readUlong(d);
      if (lookahead === null) return NDIS_STATUS_INVALID_LENGTH;
      if (lookahead > MTU) return NDIS_STATUS_INVALID_DATA;
      f.Lookahead = lookahead;
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
      f.MulticastList = list;
      d.BytesRead = length;
      return NDIS_STATUS_SUCCESS;
    }
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL): answered at once, never pended. */
export function oidRequest(f: ReceiveFilter, request: NDIS_OID_REQUEST): NDIS_STATUS {
  const d = request.DATA.QUERY_INFORMATION;
  if (d.Oid === OID_PNP_QUERY_POWER || d.Oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (request.RequestType === NdisRequestMethod) return NDIS_STATUS_NOT_SUPPORTED;
  if (request.RequestType === NdisRequestSetInformation) return set(f, d);
  return query(f, d);
}
