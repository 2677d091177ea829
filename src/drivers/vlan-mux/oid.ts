/**
 * vlan-mux, OID requests. Each VELAN is its own adapter to the protocols above it, so — like MUX —
 * it answers from its own state what describes it: its packet filter, multicast list, MAC,
 * lookahead, connect status and statistics (per VELAN). Other queries go down the binding (a
 * clone per request, as passthrough does); other sets are not supported, since one VELAN must not
 * change the adapter under its siblings. OID_PNP_QUERY_POWER / OID_PNP_SET_POWER succeed here.
 *
 * The lower adapter gets the merge of every started VELAN's filter (see `mergedFilters`), set by
 * the driver's own requests, one at a time per binding: the multicast list first, then the packet
 * filter. A VELAN's set is answered at once; a merge that changes while a request is out is sent
 * when that request completes.
 */
import {
  ETH_COMPARE_NETWORK_ADDRESSES_EQ,
  type LOCK_STATE,
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  type NDIS_OID_REQUEST_DATA,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
  NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS,
  NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisAcquireReadWriteLock,
  NdisAllocateCloneOidRequest,
  NdisCancelOidRequest,
  NdisFreeCloneOidRequest,
  NdisMOidRequestComplete,
  NdisOidRequest,
  NdisReleaseReadWriteLock,
  NdisRequestMethod,
  NdisRequestSetInformation,
  NdisResetEvent,
  NdisSetEvent,
  ndisStatisticsInfoBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_RCV_NO_BUFFER,
  OID_GEN_RCV_OK,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_GUIDS,
  OID_GEN_XMIT_ERROR,
  OID_GEN_XMIT_OK,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
  type Out,
  type PROTOCOL_OID_REQUEST_COMPLETE,
} from "../../ddi.js";
import {
  answerBytes,
  answerCounter,
  ETHERNET_PACKET_FILTERS,
  MAX_MULTICAST_LIST,
  queryReceiveFilter,
  setReceiveFilter,
  ulong,
} from "../shared/oid.js";
import type { ADAPT, VELAN } from "./globals.js";
import { maybeFinishUnbind } from "./protocol.js";

/** Multicast addresses one VELAN keeps. */
export const MAX_MULTICAST = MAX_MULTICAST_LIST;
/** The packet filters a VELAN accepts (it filters in software; see datapath.ts). */
export const VELAN_PACKET_FILTERS = ETHERNET_PACKET_FILTERS;

const SUPPORTED_STATISTICS =
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV |
  NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS |
  NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT |
  NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR;

/** 'Mxoi' */
const CLONE_TAG = 0x696f784d;

/**
 * What the lower adapter must deliver so that every VELAN gets what its filter asks for:
 * - BROADCAST, MULTICAST and ALL_MULTICAST are the union of the VELANs' bits; the multicast list
 *   is the union of their lists (past the adapter's MaxMulticastListSize: ALL_MULTICAST and no
 *   list);
 * - DIRECTED stays DIRECTED while every VELAN asking for it has the adapter's own MAC; a VELAN
 *   with a MAC of its own (the default, derived MAC) cannot be added to a unicast filter, so the
 *   adapter goes PROMISCUOUS — as MUX does — and the VELANs filter in software;
 * - PROMISCUOUS or ALL_LOCAL from any VELAN is PROMISCUOUS.
 * Nothing asked (no VELAN with a filter) is 0: the adapter delivers nothing.
 */
export function mergedFilters(adapt: ADAPT): { filter: number; multicast: Uint8Array[] } {
  let filter = 0;
  const multicast: Uint8Array[] = [];
  const lowerMac = adapt.BindParameters.CurrentMacAddress;
  const lockState: LOCK_STATE = {};
  NdisAcquireReadWriteLock(adapt.ReadWriteLock, false, lockState);
  for (const velan of adapt.Velans) {
    if (velan.MiniportAdapterHandle === null) continue;
    const f = velan.PacketFilter;
    if ((f & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0)
      filter |= NDIS_PACKET_TYPE_PROMISCUOUS;
    if ((f & NDIS_PACKET_TYPE_DIRECTED) !== 0)
      filter |= sameMac(velan.Mac, lowerMac)
        ? NDIS_PACKET_TYPE_DIRECTED
        : NDIS_PACKET_TYPE_PROMISCUOUS;
    filter |= f & (NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_ALL_MULTICAST);
    if ((f & NDIS_PACKET_TYPE_MULTICAST) !== 0) {
      filter |= NDIS_PACKET_TYPE_MULTICAST;
      for (const m of velan.MulticastList)
        if (!multicast.some((x) => sameMac(x, m))) multicast.push(m);
    }
  }
  NdisReleaseReadWriteLock(adapt.ReadWriteLock, lockState);
  const max = adapt.BindParameters.MaxMulticastListSize;
  if (multicast.length > max) {
    filter = (filter & ~NDIS_PACKET_TYPE_MULTICAST) | NDIS_PACKET_TYPE_ALL_MULTICAST;
    multicast.length = 0;
  }
  return { filter, multicast };
}

/** ETH_COMPARE_NETWORK_ADDRESSES_EQ as a boolean. */
function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  const result: Out<number> = {};
  ETH_COMPARE_NETWORK_ADDRESSES_EQ(a, b, result);
  return result.value === 0;
}

function sameList(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((m, i) => sameMac(m, b[i] as Uint8Array));
}

/**
 * Brings the lower adapter's filter and multicast list in line with the merge, one request at a
 * time (≤ DISPATCH_LEVEL). Nothing is sent while a request is out (its completion calls this
 * again) or once the binding is being unbound.
 */
export function pushLowerFilters(adapt: ADAPT): void {
  const binding = adapt.BindingHandle;
  if (binding === undefined || adapt.UnbindContext !== undefined) return;
  if (adapt.LowerRequest !== null) {
    adapt.LowerDirty = true;
    return;
  }
  adapt.LowerDirty = false;
  const wanted = mergedFilters(adapt);
  let request: NDIS_OID_REQUEST;
  if (!sameList(wanted.multicast, adapt.LowerMulticastList)) {
    const buffer = new Uint8Array(6 * wanted.multicast.length);
    wanted.multicast.forEach((m, i) => {
      buffer.set(m, 6 * i);
    });
    request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_802_3_MULTICAST_LIST,
      InformationBuffer: buffer,
    });
    adapt.LowerRequestWants = { multicast: wanted.multicast };
  } else if (wanted.filter !== adapt.LowerPacketFilter) {
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setUint32(0, wanted.filter, true);
    request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: buffer,
    });
    adapt.LowerRequestWants = { filter: wanted.filter };
  } else {
    return;
  }
  adapt.LowerRequest = request;
  const status = NdisOidRequest(binding, request);
  if (status !== NDIS_STATUS_PENDING) lowerRequestDone(adapt, status);
}

/**
 * A request of the driver's own is back: record what it set, then go on merging. A refusal is
 * counted and not asked again until some VELAN's filter changes (no request loop).
 */
function lowerRequestDone(adapt: ADAPT, status: NDIS_STATUS): void {
  const wants = adapt.LowerRequestWants;
  const changedMeanwhile = adapt.LowerDirty;
  adapt.LowerRequest = null;
  adapt.LowerRequestWants = null;
  if (status === NDIS_STATUS_SUCCESS && wants !== null) {
    if ("filter" in wants) adapt.LowerPacketFilter = wants.filter;
    else adapt.LowerMulticastList = wants.multicast;
  } else if (status !== NDIS_STATUS_SUCCESS) {
    adapt.Counters.filterRequestsFailed++;
  }
  if (adapt.UnbindContext !== undefined) {
    maybeFinishUnbind(adapt);
    return;
  }
  if (status === NDIS_STATUS_SUCCESS || changedMeanwhile) pushLowerFilters(adapt);
}

/** A query the VELAN answers itself; null: not one of those. */
function query(velan: VELAN, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS | null {
  const c = velan.Counters;
  switch (d.Oid) {
    case OID_GEN_MEDIA_CONNECT_STATUS:
      return answerBytes(d, ulong(velan.LinkUp ? 0 : 1)); // NdisMediaStateConnected / Disconnected
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(d, velan.Mac);
    case OID_GEN_XMIT_OK:
      return answerCounter(d, c.taggedSent + c.untaggedSent);
    case OID_GEN_RCV_OK:
      return answerCounter(d, c.taggedReceived + c.untaggedReceived);
    case OID_GEN_XMIT_ERROR:
      return answerCounter(d, c.sendFailures);
    case OID_GEN_RCV_NO_BUFFER:
      return answerCounter(d, c.receiveDiscards);
    case OID_GEN_STATISTICS: {
      const n = (v: number): bigint => BigInt(v);
      return answerBytes(
        d,
        ndisStatisticsInfoBytes({
          SupportedStatistics: SUPPORTED_STATISTICS,
          ifInDiscards: n(c.receiveDiscards),
          ifInErrors: 0n,
          ifHCInOctets: n(c.bytesReceived),
          ifHCInUcastPkts: n(c.inUcast),
          ifHCInMulticastPkts: n(c.inMcast),
          ifHCInBroadcastPkts: n(c.inBcast),
          ifHCOutOctets: n(c.bytesSent),
          ifHCOutUcastPkts: n(c.outUcast),
          ifHCOutMulticastPkts: n(c.outMcast),
          ifHCOutBroadcastPkts: n(c.outBcast),
          ifOutErrors: n(c.sendFailures),
          ifOutDiscards: 0n,
          ifHCInUcastOctets: 0n,
          ifHCInMulticastOctets: 0n,
          ifHCInBroadcastOctets: 0n,
          ifHCOutUcastOctets: 0n,
          ifHCOutMulticastOctets: 0n,
          ifHCOutBroadcastOctets: 0n,
        }),
      );
    }
    default:
      return queryReceiveFilter(velan, d) ?? null;
  }
}

/** A set the VELAN handles; the lower adapter follows through pushLowerFilters. */
function set(velan: VELAN, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  const mtu = velan.Adapt.BindParameters.MtuSize;
  const status = setReceiveFilter(velan, d, mtu, VELAN_PACKET_FILTERS) ?? NDIS_STATUS_NOT_SUPPORTED;
  if (
    status === NDIS_STATUS_SUCCESS &&
    (d.Oid === OID_GEN_CURRENT_PACKET_FILTER || d.Oid === OID_802_3_MULTICAST_LIST)
  )
    pushLowerFilters(velan.Adapt);
  return status;
}

/** Copies what the lower adapter reported back into the request the VELAN was given. */
function copyBack(clone: NDIS_OID_REQUEST, original: NDIS_OID_REQUEST): void {
  const from = clone.DATA.QUERY_INFORMATION;
  const to = original.DATA.QUERY_INFORMATION;
  to.BytesWritten = from.BytesWritten;
  to.BytesRead = from.BytesRead;
  to.BytesNeeded = from.BytesNeeded;
  original.SupportedRevision = clone.SupportedRevision;
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL). */
export const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const velan = MiniportAdapterContext as VELAN;
  const d = OidRequest.DATA.QUERY_INFORMATION;
  if (d.Oid === OID_PNP_QUERY_POWER || d.Oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (d.Oid === OID_GEN_SUPPORTED_GUIDS) return NDIS_STATUS_NOT_SUPPORTED;
  if (OidRequest.RequestType === NdisRequestMethod) return NDIS_STATUS_NOT_SUPPORTED;
  if (OidRequest.RequestType === NdisRequestSetInformation) return set(velan, d);
  const local = query(velan, d);
  if (local !== null) return local;
  // Anything else describes the adapter below (link speed, vendor…): ask it.
  const binding = velan.Adapt.BindingHandle;
  if (binding === undefined) return NDIS_STATUS_FAILURE;
  const out: Out<NDIS_OID_REQUEST> = {};
  const status = NdisAllocateCloneOidRequest(binding, OidRequest, CLONE_TAG, out);
  if (status !== NDIS_STATUS_SUCCESS || out.value === undefined) return status;
  const clone = out.value;
  clone.SourceReserved[0] = OidRequest;
  clone.SourceReserved[1] = velan;
  const result = NdisOidRequest(binding, clone);
  if (result === NDIS_STATUS_PENDING) {
    if (velan.OidsPending++ === 0) NdisResetEvent(velan.OidsIdle);
    return NDIS_STATUS_PENDING;
  }
  copyBack(clone, OidRequest);
  NdisFreeCloneOidRequest(binding, clone);
  return result;
};

/**
 * ProtocolOidRequestComplete: either the driver's own filter request (see pushLowerFilters) or a
 * clone forwarded for a VELAN, whose original is then completed.
 */
export const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext,
  OidRequest,
  Status,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  if (OidRequest === adapt.LowerRequest) {
    lowerRequestDone(adapt, Status);
    return;
  }
  const original = OidRequest.SourceReserved[0] as NDIS_OID_REQUEST;
  const velan = OidRequest.SourceReserved[1] as VELAN;
  copyBack(OidRequest, original);
  NdisFreeCloneOidRequest(adapt.BindingHandle as NDIS_HANDLE, OidRequest);
  NdisMOidRequestComplete(velan.MiniportAdapterHandle as NDIS_HANDLE, original, Status);
  if (--velan.OidsPending === 0) NdisSetEvent(velan.OidsIdle);
};

/** MiniportCancelOidRequest: pass the cancel down; the clone comes back REQUEST_ABORTED. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = (
  MiniportAdapterContext,
  RequestId,
) => {
  const binding = (MiniportAdapterContext as VELAN).Adapt.BindingHandle;
  if (binding !== undefined) NdisCancelOidRequest(binding, RequestId);
};
