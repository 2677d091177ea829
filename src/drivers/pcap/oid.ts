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
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisRequestMethod,
  NdisRequestSetInformation,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_STATISTICS,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
} from "../../ddi.js";
import { isBroadcastMac, isMulticastMac, macEquals } from "../../net/ethernet.js";
import { type EthernetCounters, statisticsInfoBytes } from "../shared/ethernet-miniport.js";
import {
  answerBytes,
  ETHERNET_PACKET_FILTERS,
  MAX_MULTICAST_LIST,
  queryReceiveFilter,
  setReceiveFilter,
} from "../shared/oid.js";

export const MAX_MULTICAST = MAX_MULTICAST_LIST;
export const MTU = 1500;
export const SUPPORTED_FILTERS = ETHERNET_PACKET_FILTERS;

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
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(d, f.CurrentAddress);
    case OID_GEN_STATISTICS:
      // Nothing is discarded or in error: what the filter refuses is not a NIC's drop.
      return answerBytes(d, statisticsInfoBytes(f.Counters, 0, 0));
    default:
      return queryReceiveFilter(f, d) ?? NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(f: ReceiveFilter, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  return setReceiveFilter(f, d, MTU) ?? NDIS_STATUS_NOT_SUPPORTED;
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL): answered at once, never pended. */
export function oidRequest(f: ReceiveFilter, request: NDIS_OID_REQUEST): NDIS_STATUS {
  const d = request.DATA.QUERY_INFORMATION;
  if (d.Oid === OID_PNP_QUERY_POWER || d.Oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (request.RequestType === NdisRequestMethod) return NDIS_STATUS_NOT_SUPPORTED;
  if (request.RequestType === NdisRequestSetInformation) return set(f, d);
  return query(f, d);
}
