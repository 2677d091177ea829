/**
 * VXLAN miniport, OID requests. Answered at once (never PENDING), from the adapter's state:
 *
 * - sets: OID_GEN_CURRENT_PACKET_FILTER, OID_802_3_MULTICAST_LIST (≤ 32 addresses),
 *   OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_INTERRUPT_MODERATION (enabled or disabled, at once),
 *   OID_PNP_SET_POWER (succeeds);
 * - queries: the filter, the list and its size, OID_GEN_STATISTICS (NDIS_STATISTICS_INFO from the
 *   adapter's counters), OID_GEN_XMIT_OK / OID_GEN_RCV_OK, the MAC address (permanent, current),
 *   MTU and frame sizes, link speed, media connect status, vendor and buffer-space answers,
 *   interrupt moderation (NDIS_INTERRUPT_MODERATION_PARAMETERS).
 *
 * Anything else is NDIS_STATUS_NOT_SUPPORTED.
 */
import {
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
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
  NdisInterruptModerationDisabled,
  NdisInterruptModerationEnabled,
  NdisMediaStateConnected,
  NdisMediaStateDisconnected,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  ndisInterruptModerationParametersBytes,
  ndisInterruptModerationParametersFromBytes,
  ndisStatisticsInfoBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_LINK_SPEED,
  OID_GEN_MAC_ADDRESS,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_RCV_OK,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_STATISTICS,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_OK,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
} from "../../ddi.js";
import { answerBytes, answerCounter, readUlong, ulong } from "../shared/oid.js";
import type { Adapter } from "./adapter.js";

/** Link speed reported for the virtual wire: 10 Gbit/s. */
export const LINK_SPEED = 10_000_000_000n;
export const MAX_MULTICAST_LIST = 32;
const SUPPORTED_FILTERS =
  NDIS_PACKET_TYPE_DIRECTED |
  NDIS_PACKET_TYPE_MULTICAST |
  NDIS_PACKET_TYPE_ALL_MULTICAST |
  NDIS_PACKET_TYPE_BROADCAST |
  NDIS_PACKET_TYPE_PROMISCUOUS |
  NDIS_PACKET_TYPE_ALL_LOCAL;

export { SUPPORTED_FILTERS };

const SUPPORTED_STATISTICS =
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

export { SUPPORTED_STATISTICS };

/** The OIDs this miniport answers (its general attributes' SupportedOidList). */
export const SUPPORTED_OIDS: readonly number[] = [
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_LINK_SPEED,
  OID_GEN_TRANSMIT_BUFFER_SPACE,
  OID_GEN_RECEIVE_BUFFER_SPACE,
  OID_GEN_TRANSMIT_BLOCK_SIZE,
  OID_GEN_RECEIVE_BLOCK_SIZE,
  OID_GEN_VENDOR_ID,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_MAC_ADDRESS,
  OID_GEN_XMIT_OK,
  OID_GEN_RCV_OK,
  OID_GEN_STATISTICS,
  OID_GEN_INTERRUPT_MODERATION,
  OID_802_3_PERMANENT_ADDRESS,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_MAXIMUM_LIST_SIZE,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
];

type Data = NDIS_OID_REQUEST["DATA"]["QUERY_INFORMATION"];

/** NDIS_STATISTICS_INFO from the adapter's counters, in its 152-byte layout. */
function statistics(a: Adapter): Uint8Array {
  const c = a.Counters;
  let drops = 0;
  for (const n of Object.values(a.Drops)) drops += n;
  const n = (v: number) => BigInt(v);
  return ndisStatisticsInfoBytes({
    SupportedStatistics: SUPPORTED_STATISTICS,
    ifInDiscards: n(drops),
    ifInErrors: n(drops - a.Drops.notRunning - a.Drops.filtered - a.Drops.noBuffer),
    ifHCInOctets: n(c.bytesReceived),
    ifHCInUcastPkts: n(c.rxUnicast),
    ifHCInMulticastPkts: n(c.rxMulticast),
    ifHCInBroadcastPkts: n(c.rxBroadcast),
    ifHCOutOctets: n(c.bytesSent),
    ifHCOutUcastPkts: n(c.txUnicast),
    ifHCOutMulticastPkts: n(c.txMulticast),
    ifHCOutBroadcastPkts: n(c.txBroadcast),
    ifOutErrors: n(c.sendErrors),
    ifOutDiscards: n(c.sendDiscards),
    ifHCInUcastOctets: n(c.rxUnicastBytes),
    ifHCInMulticastOctets: n(c.rxMulticastBytes),
    ifHCInBroadcastOctets: n(c.rxBroadcastBytes),
    ifHCOutUcastOctets: n(c.txUnicastBytes),
    ifHCOutMulticastOctets: n(c.txMulticastBytes),
    ifHCOutBroadcastOctets: n(c.txBroadcastBytes),
  });
}

function query(a: Adapter, q: Data): NDIS_STATUS {
  const mtu = a.Config.MTU;
  switch (q.Oid) {
    case OID_GEN_HARDWARE_STATUS:
      return answerBytes(q, ulong(0)); // NdisHardwareStatusReady
    case OID_GEN_MAXIMUM_FRAME_SIZE:
      return answerBytes(q, ulong(mtu));
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
      return answerBytes(q, ulong(mtu + 14));
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
      return answerBytes(q, ulong(a.MaxFrameSize));
    case OID_GEN_TRANSMIT_BUFFER_SPACE:
    case OID_GEN_RECEIVE_BUFFER_SPACE:
      return answerBytes(q, ulong(a.MaxFrameSize * a.Config.ReceiveBuffers));
    case OID_GEN_LINK_SPEED:
      // Units of 100 bit/s.
      return answerBytes(q, ulong(Number(LINK_SPEED / 100n)));
    case OID_GEN_MEDIA_CONNECT_STATUS:
      return answerBytes(q, ulong(a.LinkUp ? NdisMediaStateConnected : NdisMediaStateDisconnected));
    case OID_GEN_VENDOR_ID:
      // The first three bytes are an IEEE OUI; 0xFFFFFF is "none". The low byte: this NIC's id.
      return answerBytes(q, ulong(0x00ffffff));
    case OID_GEN_VENDOR_DESCRIPTION:
      return answerBytes(q, new TextEncoder().encode("ndis-ts VXLAN miniport (RFC 7348)\0"));
    case OID_GEN_VENDOR_DRIVER_VERSION:
      return answerBytes(q, ulong(0x00010000));
    case OID_GEN_CURRENT_PACKET_FILTER:
      return answerBytes(q, ulong(a.PacketFilter));
    case OID_GEN_CURRENT_LOOKAHEAD:
      return answerBytes(q, ulong(a.Lookahead));
    case OID_GEN_MAC_ADDRESS:
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(q, a.CurrentAddress);
    case OID_802_3_MULTICAST_LIST: {
      const list = new Uint8Array(6 * a.MulticastList.length);
      for (let i = 0; i < a.MulticastList.length; i++)
        list.set(a.MulticastList[i] as Uint8Array, 6 * i);
      return answerBytes(q, list);
    }
    case OID_802_3_MAXIMUM_LIST_SIZE:
      return answerBytes(q, ulong(MAX_MULTICAST_LIST));
    case OID_GEN_XMIT_OK:
      return answerCounter(q, a.Counters.framesSent);
    case OID_GEN_RCV_OK:
      return answerCounter(q, a.Counters.framesReceived);
    case OID_GEN_STATISTICS:
      return answerBytes(q, statistics(a));
    case OID_GEN_INTERRUPT_MODERATION:
      // Flags 0: a change takes effect at once, no reset or reinitialize.
      return answerBytes(
        q,
        ndisInterruptModerationParametersBytes({
          Flags: 0,
          InterruptModeration: a.Moderation
            ? NdisInterruptModerationEnabled
            : NdisInterruptModerationDisabled,
        }),
      );
    case OID_PNP_QUERY_POWER:
      return NDIS_STATUS_SUCCESS;
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

function set(a: Adapter, s: Data): NDIS_STATUS {
  switch (s.Oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: {
      const filter = readUlong(s);
      if (filter === null) return NDIS_STATUS_INVALID_LENGTH;
      if ((filter & ~SUPPORTED_FILTERS) !== 0) {
        s.BytesRead = 0;
        return NDIS_STATUS_NOT_SUPPORTED;
      }
      a.PacketFilter = filter;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_GEN_CURRENT_LOOKAHEAD: {
      const lookahead = readUlong(s);
      if (lookahead === null) return NDIS_STATUS_INVALID_LENGTH;
      if (lookahead > a.MaxFrameSize) {
        s.BytesRead = 0;
        return NDIS_STATUS_INVALID_DATA;
      }
      a.Lookahead = lookahead;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_802_3_MULTICAST_LIST: {
      const length = s.InformationBufferLength;
      const b = s.InformationBuffer;
      if (length % 6 !== 0 || (length > 0 && b === null)) {
        s.BytesNeeded = 6 * Math.ceil(length / 6);
        return NDIS_STATUS_INVALID_LENGTH;
      }
      if (length / 6 > MAX_MULTICAST_LIST) {
        s.BytesNeeded = 6 * MAX_MULTICAST_LIST;
        return NDIS_STATUS_MULTICAST_FULL;
      }
      const list: Uint8Array[] = [];
      for (let i = 0; i < length; i += 6) {
        const address = (b as Uint8Array).slice(i, i + 6);
        if (((address[0] as number) & 1) === 0) {
          s.BytesRead = 0;
          return NDIS_STATUS_INVALID_DATA;
        }
        list.push(address);
      }
      a.MulticastList = list;
      s.BytesRead = length;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_GEN_INTERRUPT_MODERATION: {
      const size = NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
      if (s.InformationBuffer === null || s.InformationBufferLength < size) {
        s.BytesRead = 0;
        s.BytesNeeded = size;
        return NDIS_STATUS_INVALID_LENGTH;
      }
      const p = ndisInterruptModerationParametersFromBytes(
        s.InformationBuffer.subarray(0, s.InformationBufferLength),
      );
      // Enabled or Disabled; Unknown and NotSupported are answers, never requests.
      if (
        p === null ||
        (p.InterruptModeration !== NdisInterruptModerationEnabled &&
          p.InterruptModeration !== NdisInterruptModerationDisabled)
      ) {
        s.BytesRead = 0;
        return NDIS_STATUS_INVALID_DATA;
      }
      a.Moderation = p.InterruptModeration === NdisInterruptModerationEnabled;
      s.BytesRead = size;
      return NDIS_STATUS_SUCCESS;
    }
    case OID_PNP_SET_POWER:
      // Must not fail. The socket stays bound across low power: nothing to do.
      s.BytesRead = s.InformationBufferLength;
      return NDIS_STATUS_SUCCESS;
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL). */
export const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const a = MiniportAdapterContext as Adapter;
  const data = OidRequest.DATA.QUERY_INFORMATION;
  switch (OidRequest.RequestType) {
    case NdisRequestQueryInformation:
    case NdisRequestQueryStatistics:
      return query(a, data);
    case NdisRequestSetInformation:
      return set(a, data);
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
};

/** MiniportCancelOidRequest: every request is answered at once, none is ever pending. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = () => {};
