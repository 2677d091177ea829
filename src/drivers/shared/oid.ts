/**
 * Answering OID requests, as every miniport's MiniportOidRequest does: copy a value into a query's
 * InformationBuffer (or say how many bytes it needs with NDIS_STATUS_BUFFER_TOO_SHORT), encode a
 * ULONG or a statistics counter, and read the ULONG of a set request. Little-endian, as the OID
 * structures are on x64. Also the receive filter every Ethernet miniport here keeps (packet
 * filter, multicast list, lookahead): its queries and sets are the same in each of them.
 */
import {
  type NDIS_OID_REQUEST,
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
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../ddi.js";

/** The query/set/method view of an NDIS_OID_REQUEST's DATA (one object under three names). */
export type OidData = NDIS_OID_REQUEST["DATA"]["QUERY_INFORMATION"];

/** Copies `bytes` into a query's buffer, or says how many it needs (BUFFER_TOO_SHORT). */
export function answerBytes(d: OidData, bytes: Uint8Array): NDIS_STATUS {
  if (d.InformationBuffer === null || d.InformationBufferLength < bytes.length) {
    d.BytesWritten = 0;
    d.BytesNeeded = bytes.length;
    return NDIS_STATUS_BUFFER_TOO_SHORT;
  }
  d.InformationBuffer.set(bytes, 0);
  d.BytesWritten = bytes.length;
  d.BytesNeeded = 0;
  return NDIS_STATUS_SUCCESS;
}

/** A ULONG, little-endian. */
export function ulong(value: number): Uint8Array {
  const v = value >>> 0;
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

/**
 * A statistics counter: a ULONG64 when the buffer holds 8 bytes, else a ULONG (as the GEN
 * statistics OIDs allow); BUFFER_TOO_SHORT below 4.
 */
export function answerCounter(d: OidData, value: number): NDIS_STATUS {
  if (d.InformationBuffer !== null && d.InformationBufferLength >= 8) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(value), true);
    return answerBytes(d, b);
  }
  return answerBytes(d, ulong(value));
}

/** The ULONG of a set request, or null after setting BytesRead 0 and BytesNeeded 4. */
export function readUlong(d: OidData): number | null {
  const b = d.InformationBuffer;
  if (b === null || d.InformationBufferLength < 4) {
    d.BytesRead = 0;
    d.BytesNeeded = 4;
    return null;
  }
  d.BytesRead = 4;
  return (
    ((b[0] as number) |
      ((b[1] as number) << 8) |
      ((b[2] as number) << 16) |
      ((b[3] as number) << 24)) >>>
    0
  );
}

// ------------------------------------------------------------------------------ receive filter

/** Every packet filter an Ethernet miniport here supports (SupportedPacketFilters). */
export const ETHERNET_PACKET_FILTERS =
  NDIS_PACKET_TYPE_DIRECTED |
  NDIS_PACKET_TYPE_MULTICAST |
  NDIS_PACKET_TYPE_ALL_MULTICAST |
  NDIS_PACKET_TYPE_BROADCAST |
  NDIS_PACKET_TYPE_PROMISCUOUS |
  NDIS_PACKET_TYPE_ALL_LOCAL;

/** Every NDIS_STATISTICS_INFO counter: a miniport that keeps them all reports these flags. */
export const ALL_ETHERNET_STATISTICS =
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

/** How many multicast addresses an Ethernet miniport here holds (MaxMulticastListSize). */
export const MAX_MULTICAST_LIST = 32;

/** What protocols set of a miniport's receive filter. */
export interface ReceiveFilterState {
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
}

/**
 * The queries of a receive filter: OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD,
 * OID_802_3_MULTICAST_LIST and OID_802_3_MAXIMUM_LIST_SIZE; `undefined` for any other OID.
 */
export function queryReceiveFilter(f: ReceiveFilterState, d: OidData): NDIS_STATUS | undefined {
  switch (d.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
      return answerBytes(d, ulong(f.PacketFilter));
    case OID_GEN_CURRENT_LOOKAHEAD:
      return answerBytes(d, ulong(f.Lookahead));
    case OID_802_3_MULTICAST_LIST: {
      const list = new Uint8Array(6 * f.MulticastList.length);
      for (let i = 0; i < f.MulticastList.length; i++)
        list.set(f.MulticastList[i] as Uint8Array, 6 * i);
      return answerBytes(d, list);
    }
    case OID_802_3_MAXIMUM_LIST_SIZE:
      return answerBytes(d, ulong(MAX_MULTICAST_LIST));
    default:
      return undefined;
  }
}

/**
 * The sets of a receive filter, checked before anything changes: a packet filter with a type
 * outside `supportedFilters` is NOT_SUPPORTED; a lookahead above `maxLookahead` INVALID_DATA; a
 * multicast list whose length is not a multiple of 6 INVALID_LENGTH (BytesNeeded the next
 * multiple), longer than MAX_MULTICAST_LIST MULTICAST_FULL, or holding an address that is not a
 * group address (its first byte's low bit clear) INVALID_DATA. A refused set reads nothing
 * (BytesRead 0). `undefined` for any other OID.
 */
export function setReceiveFilter(
  f: ReceiveFilterState,
  d: OidData,
  maxLookahead: number,
  supportedFilters: number = ETHERNET_PACKET_FILTERS,
): NDIS_STATUS | undefined {
  switch (d.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: {
      const filter = readUlong(d);
      if (filter === null) return NDIS_STATUS_INVALID_LENGTH;
      if ((filter & ~supportedFilters) !== 0) {
        d.BytesRead = 0;
        return NDIS_STATUS_NOT_SUPPORTED;
      }
      f.PacketFilter = filter;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_GEN_CURRENT_LOOKAHEAD: {
      const lookahead = readUlong(d);
      if (lookahead === null) return NDIS_STATUS_INVALID_LENGTH;
      if (lookahead > maxLookahead) {
        d.BytesRead = 0;
        return NDIS_STATUS_INVALID_DATA;
      }
      f.Lookahead = lookahead;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_802_3_MULTICAST_LIST: {
      const length = d.InformationBufferLength;
      const b = d.InformationBuffer;
      d.BytesRead = 0;
      if (length % 6 !== 0 || (length > 0 && b === null)) {
        d.BytesNeeded = 6 * Math.ceil(length / 6);
        return NDIS_STATUS_INVALID_LENGTH;
      }
      if (length / 6 > MAX_MULTICAST_LIST) {
        d.BytesNeeded = 6 * MAX_MULTICAST_LIST;
        return NDIS_STATUS_MULTICAST_FULL;
      }
      const list: Uint8Array[] = [];
      for (let i = 0; i < length; i += 6) {
        const address = (b as Uint8Array).slice(i, i + 6);
        if (((address[0] as number) & 1) === 0) return NDIS_STATUS_INVALID_DATA;
        list.push(address);
      }
      f.MulticastList = list;
      d.BytesRead = length;
      return NDIS_STATUS_SUCCESS;
    }
    default:
      return undefined;
  }
}
