/**
 * Team driver, OID requests. The team is its own adapter: it answers for its virtual miniport
 * (link speed and connect state per mode, its MAC, statistics it keeps itself) and applies the
 * packet filter and multicast list set from above to every member with NdisOidRequest — one
 * request at a time per member (a queue), each possibly PENDING; the upper request pends until
 * every member has answered. It succeeds if no member refused; otherwise it fails with the first
 * refusal (the members that accepted keep the new value, and every refusal is counted).
 *
 * A member whose MAC is not the team's (MacPolicy "team") cannot be told to receive the team's
 * unicast address — NDIS has no run-time OID for an extra unicast address on an 802.3 adapter
 * short of the NDIS 6.20 receive-filter OIDs — so it is asked for PROMISCUOUS on top of the
 * team's filter while the team's filter has DIRECTED, and the team filters what it indicates.
 */
import {
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_OID_REQUEST,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID,
  type NDIS_OID_REQUEST_DATA,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR,
  type NDIS_STATUS,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisCancelOidRequest,
  NdisMOidRequestComplete,
  NdisOidRequest,
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
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_RCV_DISCARDS,
  OID_GEN_RCV_ERROR,
  OID_GEN_RCV_OK,
  OID_GEN_STATISTICS,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_DISCARDS,
  OID_GEN_XMIT_ERROR,
  OID_GEN_XMIT_OK,
  OID_PNP_QUERY_POWER,
  OID_PNP_SET_POWER,
  type PROTOCOL_OID_REQUEST_COMPLETE,
} from "../../ddi.js";
import { macEquals } from "../../net/ethernet.js";
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
import type { MEMBER, MemberOid, TEAM, VELAN } from "./globals.js";
import { teamLink } from "./health.js";

export const MTU = 1500;
export const MAX_MULTICAST = MAX_MULTICAST_LIST;
export const SUPPORTED_FILTERS = ETHERNET_PACKET_FILTERS;
/** The counters the team keeps (no receive errors: it sees only what members accepted). */
export const SUPPORTED_STATISTICS =
  ALL_ETHERNET_STATISTICS & ~NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR;

export const TEAM_OIDS: readonly NDIS_OID[] = [
  OID_GEN_STATISTICS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_HARDWARE_STATUS,
  OID_GEN_LINK_SPEED,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_VENDOR_ID,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_DRIVER_VERSION,
  OID_GEN_XMIT_OK,
  OID_GEN_RCV_OK,
  OID_GEN_XMIT_ERROR,
  OID_GEN_RCV_ERROR,
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

const VENDOR_DESCRIPTION = new TextEncoder().encode("ndis-ts team adapter\0");

/**
 * The filter asked of `member`: the team's, plus PROMISCUOUS when it must hear the team's MAC, plus
 * DIRECTED | BROADCAST while ARP monitoring needs the answers to its probes.
 */
export function memberFilter(team: TEAM, member: MEMBER): number {
  const arp =
    team.Params.ArpTarget !== null ? NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST : 0;
  const filter = team.PacketFilter | arp;
  const foreign = team.Params.MacPolicy === "team" && !macEquals(member.Mac, team.Mac);
  return foreign && (filter & NDIS_PACKET_TYPE_DIRECTED) !== 0
    ? filter | NDIS_PACKET_TYPE_PROMISCUOUS
    : filter;
}

function multicastBytes(team: TEAM): Uint8Array {
  const list = new Uint8Array(6 * team.MulticastList.length);
  team.MulticastList.forEach((m, i) => {
    list.set(m, 6 * i);
  });
  return list;
}

/** Queues an OID on a member; issued when the ones before it have completed. */
export function queueMemberOid(member: MEMBER, request: MemberOid): void {
  member.OidQueue.push(request);
  if (member.OidQueue.length === 1) issueNext(member);
}

function issueNext(member: MEMBER): void {
  while (member.OidQueue.length > 0) {
    const head = member.OidQueue[0] as MemberOid;
    const binding = member.BindingHandle;
    if (binding === undefined || member.UnbindContext !== undefined) {
      member.OidQueue.shift();
      head.Done(NDIS_STATUS_REQUEST_ABORTED);
      continue;
    }
    const status = NdisOidRequest(binding, head.Request);
    if (status === NDIS_STATUS_PENDING) return; // PtOidRequestComplete goes on
    member.OidQueue.shift();
    head.Done(status);
  }
}

/** ProtocolOidRequestComplete: a member answered the request at the head of its queue. */
export const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = (
  ProtocolBindingContext,
  OidRequest,
  Status,
) => {
  const member = ProtocolBindingContext as MEMBER;
  const head = member.OidQueue[0];
  if (head === undefined || head.Request !== OidRequest) return;
  member.OidQueue.shift();
  head.Done(Status);
  issueNext(member);
};

/**
 * Sets the team's packet filter and multicast list on one member; `done` gets the first failure
 * (or SUCCESS) once both are answered.
 */
export function applyToMember(
  member: MEMBER,
  which: "filter" | "multicast" | "both",
  done: (status: NDIS_STATUS) => void,
): void {
  const team = member.Team;
  if (team === null) {
    done(NDIS_STATUS_SUCCESS);
    return;
  }
  let waiting = which === "both" ? 2 : 1;
  let result: NDIS_STATUS = NDIS_STATUS_SUCCESS;
  const one = (status: NDIS_STATUS): void => {
    if (status !== NDIS_STATUS_SUCCESS) {
      member.Counters.oidFailures++;
      if (result === NDIS_STATUS_SUCCESS) result = status;
    }
    if (--waiting === 0) done(result);
  };
  if (which !== "filter") {
    queueMemberOid(member, {
      Request: makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: OID_802_3_MULTICAST_LIST,
        InformationBuffer: multicastBytes(team),
        RequestId: {},
      }),
      Done: one,
    });
  }
  if (which !== "multicast") {
    const filter = memberFilter(team, member);
    queueMemberOid(member, {
      Request: makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: OID_GEN_CURRENT_PACKET_FILTER,
        InformationBuffer: ulong(filter),
        RequestId: {},
      }),
      Done: (status) => {
        if (status === NDIS_STATUS_SUCCESS) member.AppliedFilter = filter;
        one(status);
      },
    });
  }
}

/** Applies a set to every member; the upper request completes when all have answered. */
function applyToAll(velan: VELAN, which: "filter" | "multicast"): NDIS_STATUS {
  const members = velan.Team.Members.filter(
    (m) => m.BindingHandle !== undefined && m.UnbindContext === undefined,
  );
  if (members.length === 0) return NDIS_STATUS_SUCCESS;
  velan.PendingMembers = members.length;
  velan.PendingStatus = NDIS_STATUS_SUCCESS;
  let synchronous = true;
  let finished = false;
  for (const member of members) {
    applyToMember(member, which, (status) => {
      if (status !== NDIS_STATUS_SUCCESS && velan.PendingStatus === NDIS_STATUS_SUCCESS)
        velan.PendingStatus = status;
      if (--velan.PendingMembers > 0) return;
      finished = true;
      const request = velan.PendingRequest;
      if (synchronous || request === null) return;
      velan.PendingRequest = null;
      NdisMOidRequestComplete(velan.MiniportAdapterHandle, request, velan.PendingStatus);
    });
  }
  synchronous = false;
  if (finished) {
    velan.PendingRequest = null;
    return velan.PendingStatus;
  }
  return NDIS_STATUS_PENDING;
}

function query(team: TEAM, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS {
  const c = team.Counters;
  const link = teamLink(team);
  switch (d.Oid) {
    case OID_GEN_HARDWARE_STATUS:
      return answerBytes(d, ulong(0));
    case OID_GEN_LINK_SPEED:
      return answerBytes(d, ulong(Number(link.speed / 100n))); // 100 bit/s units
    case OID_GEN_MEDIA_CONNECT_STATUS:
      return answerBytes(d, ulong(link.up ? 0 : 1));
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
      return answerBytes(d, ulong(team.Mtu + 14));
    case OID_GEN_VENDOR_ID:
      return answerBytes(d, ulong(0xffffff));
    case OID_GEN_VENDOR_DESCRIPTION:
      return answerBytes(d, VENDOR_DESCRIPTION);
    case OID_GEN_VENDOR_DRIVER_VERSION:
      return answerBytes(d, ulong(0x00010000));
    case OID_GEN_STATISTICS: {
      const n = (v: number): bigint => BigInt(v);
      return answerBytes(
        d,
        ndisStatisticsInfoBytes({
          SupportedStatistics: SUPPORTED_STATISTICS,
          ifInDiscards: n(c.inDiscards),
          ifInErrors: 0n,
          ifHCInOctets: n(c.inUcastOctets + c.inMcastOctets + c.inBcastOctets),
          ifHCInUcastPkts: n(c.inUcast),
          ifHCInMulticastPkts: n(c.inMcast),
          ifHCInBroadcastPkts: n(c.inBcast),
          ifHCOutOctets: n(c.outUcastOctets + c.outMcastOctets + c.outBcastOctets),
          ifHCOutUcastPkts: n(c.outUcast),
          ifHCOutMulticastPkts: n(c.outMcast),
          ifHCOutBroadcastPkts: n(c.outBcast),
          ifOutErrors: n(c.outErrors),
          ifOutDiscards: n(c.outDiscards),
          ifHCInUcastOctets: n(c.inUcastOctets),
          ifHCInMulticastOctets: n(c.inMcastOctets),
          ifHCInBroadcastOctets: n(c.inBcastOctets),
          ifHCOutUcastOctets: n(c.outUcastOctets),
          ifHCOutMulticastOctets: n(c.outMcastOctets),
          ifHCOutBroadcastOctets: n(c.outBcastOctets),
        }),
      );
    }
    case OID_GEN_XMIT_OK:
      return answerCounter(d, c.outUcast + c.outMcast + c.outBcast - c.outErrors);
    case OID_GEN_RCV_OK:
      return answerCounter(d, c.inUcast + c.inMcast + c.inBcast);
    case OID_GEN_XMIT_ERROR:
      return answerCounter(d, c.outErrors);
    case OID_GEN_RCV_ERROR:
      return answerCounter(d, 0);
    case OID_GEN_RCV_DISCARDS:
      return answerCounter(d, c.inDiscards);
    case OID_GEN_XMIT_DISCARDS:
      return answerCounter(d, c.outDiscards);
    case OID_GEN_BYTES_RCV:
      return answerCounter(d, c.inUcastOctets + c.inMcastOctets + c.inBcastOctets);
    case OID_GEN_BYTES_XMIT:
      return answerCounter(d, c.outUcastOctets + c.outMcastOctets + c.outBcastOctets);
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      return answerBytes(d, team.Mac);
    default:
      return queryReceiveFilter(team, d) ?? NDIS_STATUS_NOT_SUPPORTED;
  }
}

/** A set the team holds; the members follow (the packet filter and multicast list) once it is taken. */
function set(velan: VELAN, d: NDIS_OID_REQUEST_DATA): NDIS_STATUS | "apply-filter" | "apply-mc" {
  const team = velan.Team;
  const status = setReceiveFilter(team, d, team.Mtu) ?? NDIS_STATUS_NOT_SUPPORTED;
  if (status !== NDIS_STATUS_SUCCESS) return status;
  if (d.Oid === OID_GEN_CURRENT_PACKET_FILTER) return "apply-filter";
  if (d.Oid === OID_802_3_MULTICAST_LIST) return "apply-mc";
  return status;
}

/** MiniportOidRequest (≤ DISPATCH_LEVEL). */
export const MPOidRequest: MINIPORT_OID_REQUEST = (MiniportAdapterContext, OidRequest) => {
  const velan = MiniportAdapterContext as VELAN;
  const d = OidRequest.DATA.QUERY_INFORMATION;
  if (d.Oid === OID_PNP_QUERY_POWER || d.Oid === OID_PNP_SET_POWER) return NDIS_STATUS_SUCCESS;
  if (OidRequest.RequestType === NdisRequestMethod) return NDIS_STATUS_NOT_SUPPORTED;
  if (OidRequest.RequestType !== NdisRequestSetInformation) return query(velan.Team, d);
  const result = set(velan, d);
  if (typeof result === "number") return result;
  velan.PendingRequest = OidRequest;
  return applyToAll(velan, result === "apply-filter" ? "filter" : "multicast");
};

/** MiniportCancelOidRequest: cancel what the members still hold of the pending request. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = (
  MiniportAdapterContext,
  RequestId,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const pending = velan.PendingRequest;
  if (pending === null || pending.RequestId !== RequestId) return;
  for (const member of velan.Team.Members) {
    const head = member.OidQueue[0];
    if (head !== undefined && member.BindingHandle !== undefined)
      NdisCancelOidRequest(member.BindingHandle as NDIS_HANDLE, head.Request.RequestId);
  }
};
