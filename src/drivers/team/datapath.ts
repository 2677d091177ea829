/**
 * Team driver, data path. Like passthrough it forwards the very NBLs it is given, with the
 * SourceHandle it replaced saved in an NBL context allocation of its own:
 *
 * - Send: MiniportSendNetBufferLists picks a member per NBL — the active member (active-backup) or
 *   the member the configured hash names among the usable ones (static) — stamps SourceHandle
 *   with that member's binding handle and sends one chain per member. NBLs no member can carry
 *   complete at once (NDIS_STATUS_PAUSED while paused, NDIS_STATUS_MEDIA_DISCONNECTED with no
 *   usable member) and are counted as discards. ARP sent from above teaches the team its address.
 * - Completion: ProtocolSendNetBufferListsComplete tells the team's own control frames (its pool)
 *   from forwarded ones, frees the former, restores and completes the latter on the team.
 * - Receive: active-backup takes receives from the active member only (the rest are returned and
 *   counted); static from every usable member. Frames the team's packet filter does not pass
 *   (a promiscuous member hears everything) are dropped and counted. ARP replies from ArpTarget
 *   feed the ARP monitor on every member. The context holds SourceHandle and the member, so
 *   MiniportReturnNetBufferLists returns every NBL to the binding it came from.
 * - Pause: the team's MiniportPause pends until every forwarded send is back and every indicated
 *   receive returned; a member's NetEventPause until its sends are back.
 */
import {
  MEMORY_ALLOCATION_ALIGNMENT,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  type NDIS_STATUS,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferListContext,
  NdisCancelSendNetBufferLists,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListContext,
  NdisGetDataBuffer,
  NdisGetPoolFromNetBufferList,
  NdisMIndicateReceiveNetBufferLists,
  NdisMPauseComplete,
  NdisMSendNetBufferListsComplete,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT_DATA_START,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
} from "../../ddi.js";
import { ARP_REPLY, parseArp } from "../../net/arp.js";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  isBroadcastMac,
  isMulticastMac,
  macEquals,
  macEqualsAt,
  parseEthernet,
} from "../../net/ethernet.js";
import { parseIpv4Packet } from "../../net/ipv4.js";
import { copyFrame, frameNbl } from "../shared/frames.js";
import type { HashPolicy, MEMBER, TEAM, TeamCounters, VELAN } from "./globals.js";
import { arpReplyReceived } from "./health.js";

/** Two cells: the saved SourceHandle and, for receives, the member. */
const CONTEXT_SIZE = MEMORY_ALLOCATION_ALIGNMENT;
/** 'Tmcx' */
const CONTEXT_TAG = 0x78636d54;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

function stamp(nbl: NET_BUFFER_LIST, handle: NDIS_HANDLE, member: MEMBER | null): boolean {
  if (NdisAllocateNetBufferListContext(nbl, CONTEXT_SIZE, 0, CONTEXT_TAG) !== NDIS_STATUS_SUCCESS)
    return false;
  const context = nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>;
  const at = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
  context.ContextData[at] = nbl.SourceHandle;
  context.ContextData[at + 1] = member;
  nbl.SourceHandle = handle;
  return true;
}

/** Restores SourceHandle, frees the context; the member saved with it. */
function unstamp(nbl: NET_BUFFER_LIST): MEMBER | null {
  const context = nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>;
  const at = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
  nbl.SourceHandle = context.ContextData[at] as NDIS_HANDLE;
  const member = context.ContextData[at + 1] as MEMBER | null;
  context.ContextData[at] = undefined;
  context.ContextData[at + 1] = undefined;
  NdisFreeNetBufferListContext(nbl, CONTEXT_SIZE);
  return member;
}

/** The first NET_BUFFER's frame: a view when contiguous, else a copy; null when unmappable. */
function frameOf(nb: NET_BUFFER | null): Uint8Array | null {
  if (nb === null || nb.DataLength === 0) return null;
  const direct = NdisGetDataBuffer(nb, nb.DataLength, null, 1, 0);
  if (direct !== null) return direct;
  const storage = new Uint8Array(nb.DataLength);
  return NdisGetDataBuffer(nb, nb.DataLength, storage, 1, 0);
}

/**
 * Linux bonding's xmit_hash_policy: l2 = last bytes of source ⊕ destination MAC ⊕ EtherType;
 * l2+3 adds the IPv4 source ⊕ destination; l3+4 = IPv4 addresses ⊕ (source port << 16 | destination
 * port) for unfragmented TCP/UDP (addresses only otherwise; l2 for non-IPv4). Folded as the kernel
 * does (h ⊕= h >> 16; h ⊕= h >> 8).
 */
export function flowHash(frame: Uint8Array, policy: HashPolicy): number {
  const eth = parseEthernet(frame);
  if (eth === null) return 0;
  const l2 = ((eth.src[5] as number) ^ (eth.dst[5] as number) ^ eth.ethertype) >>> 0;
  let hash = l2;
  if (policy !== "l2" && eth.ethertype === ETHERTYPE_IPV4) {
    const ip = parseIpv4Packet(eth.payload);
    if (ip !== null) {
      hash = policy === "l2+3" ? (l2 ^ ip.src ^ ip.dst) >>> 0 : (ip.src ^ ip.dst) >>> 0;
      const unfragmented = (ip.flags & 1) === 0 && ip.fragmentOffset === 0;
      if (
        policy === "l3+4" &&
        unfragmented &&
        (ip.protocol === IPPROTO_TCP || ip.protocol === IPPROTO_UDP) &&
        ip.payload.length >= 4
      ) {
        const ports = new DataView(ip.payload.buffer, ip.payload.byteOffset, 4).getUint32(0);
        hash = (hash ^ ports) >>> 0;
      }
    }
  }
  hash = (hash ^ (hash >>> 16)) >>> 0;
  hash = (hash ^ (hash >>> 8)) >>> 0;
  return hash;
}

type Cast = "u" | "m" | "b";

function castOf(dst: Uint8Array): Cast {
  return isBroadcastMac(dst) ? "b" : isMulticastMac(dst) ? "m" : "u";
}

function countOut(c: TeamCounters, cast: Cast, bytes: number): void {
  if (cast === "u") {
    c.outUcast++;
    c.outUcastOctets += bytes;
  } else if (cast === "m") {
    c.outMcast++;
    c.outMcastOctets += bytes;
  } else {
    c.outBcast++;
    c.outBcastOctets += bytes;
  }
}

function countIn(c: TeamCounters, cast: Cast, bytes: number): void {
  if (cast === "u") {
    c.inUcast++;
    c.inUcastOctets += bytes;
  } else if (cast === "m") {
    c.inMcast++;
    c.inMcastOctets += bytes;
  } else {
    c.inBcast++;
    c.inBcastOctets += bytes;
  }
}

/** Would the team's packet filter and multicast list pass a frame sent to `dst`? */
export function teamAccepts(team: TEAM, dst: Uint8Array): boolean {
  const filter = team.PacketFilter;
  if ((filter & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0) return true;
  if (isBroadcastMac(dst)) return (filter & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if (isMulticastMac(dst)) {
    if ((filter & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
    return (
      (filter & NDIS_PACKET_TYPE_MULTICAST) !== 0 &&
      team.MulticastList.some((m) => macEquals(m, dst))
    );
  }
  return (filter & NDIS_PACKET_TYPE_DIRECTED) !== 0 && macEquals(dst, team.Mac);
}

/** MacPolicy "follow": does `member` speak on its wire with a MAC other than the team's? */
function translates(team: TEAM, member: MEMBER): boolean {
  return team.Params.MacPolicy === "follow" && !macEquals(member.Mac, team.Mac);
}

/**
 * Replaces the MAC `from` with `to` in a frame of the team's own: the Ethernet source (`at` 6,
 * sends) or destination (`at` 0, receives), and the ARP sender (sends) or target (receives)
 * hardware address.
 */
function rewriteMac(frame: Uint8Array, at: 0 | 6, from: Uint8Array, to: Uint8Array): void {
  if (macEqualsAt(frame, at, from)) frame.set(to, at);
  if (frame.length >= 42 && frame[12] === 0x08 && frame[13] === 0x06) {
    const hardware = at === 6 ? 22 : 32;
    if (macEqualsAt(frame, hardware, from)) frame.set(to, hardware);
  }
}

/**
 * "follow" send: copies of the NBL's frames in the driver's own NBLs, source MAC rewritten to the
 * member's; each copy remembers the original (ProtocolReserved[0]). Null when memory runs out.
 */
function sendCopies(
  team: TEAM,
  member: MEMBER,
  nbl: NET_BUFFER_LIST,
  binding: NDIS_HANDLE,
): NET_BUFFER_LIST[] | null {
  const pool = member.Globals.ControlPool;
  const copies: NET_BUFFER_LIST[] = [];
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const frame = pool === null ? null : copyFrame(nb);
    if (frame !== null) rewriteMac(frame, 6, team.Mac, member.Mac);
    const copy = pool === null || frame === null ? null : frameNbl(pool, frame);
    if (copy === null) {
      for (const c of copies) NdisFreeNetBufferList(c);
      return null;
    }
    copy.SourceHandle = binding;
    copy.ProtocolReserved[0] = nbl;
    copies.push(copy);
  }
  return copies.length === 0 ? null : copies;
}

/** The member to carry `frame`, or null when none can. */
function memberFor(team: TEAM, frame: Uint8Array | null): MEMBER | null {
  if (team.Params.Mode === "active-backup") return team.Active;
  const live = team.Live;
  if (live.length === 0) return null;
  if (live.length === 1 || frame === null) return live[0] as MEMBER;
  return live[flowHash(frame, team.Params.HashPolicy) % live.length] as MEMBER;
}

/** ARP from above, with the team's MAC as sender: the team's IPv4 address (for gratuitous ARP). */
function learnAddress(team: TEAM, frame: Uint8Array): void {
  if (team.Params.GratuitousArpAddress !== null) return;
  const eth = parseEthernet(frame);
  if (eth === null || eth.ethertype !== ETHERTYPE_ARP) return;
  const arp = parseArp(eth.payload);
  if (arp !== null && arp.senderIp !== 0 && macEquals(arp.senderMac, team.Mac))
    team.Ip = arp.senderIp;
}

/** Completes the team's pending pause once nothing it forwarded is out. */
export function maybeCompletePause(velan: VELAN): void {
  if (!velan.PausePending || velan.SendsOutstanding > 0 || velan.ReceivesOutstanding > 0) return;
  velan.PausePending = false;
  NdisMPauseComplete(velan.MiniportAdapterHandle);
}

/** Completes a member's pending NetEventPause once its sends are back. */
export function maybeCompleteMemberPause(member: MEMBER): void {
  const pending = member.PendingPause;
  if (pending === null || member.SendsOutstanding > 0 || member.BindingHandle === undefined) return;
  member.PendingPause = null;
  NdisCompleteNetPnPEvent(member.BindingHandle, pending, NDIS_STATUS_SUCCESS);
}

/** MiniportSendNetBufferLists (≤ DISPATCH_LEVEL). */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  PortNumber,
  SendFlags,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const team = velan.Team;
  const chains = new Map<MEMBER, { first: NET_BUFFER_LIST; last: NET_BUFFER_LIST; n: number }>();
  const append = (member: MEMBER, first: NET_BUFFER_LIST, last: NET_BUFFER_LIST, n: number) => {
    const chain = chains.get(member);
    if (chain === undefined) chains.set(member, { first, last, n });
    else {
      chain.last.Next = first;
      chain.last = last;
      chain.n += n;
    }
  };
  let held = 0;
  let failFirst: NET_BUFFER_LIST | null = null;
  let failLast: NET_BUFFER_LIST | null = null;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    const frame = frameOf(nbl.FirstNetBuffer);
    if (frame !== null) learnAddress(team, frame);
    const member = velan.Paused ? null : memberFor(team, frame);
    const binding = member?.BindingHandle;
    let status: NDIS_STATUS = NDIS_STATUS_SUCCESS;
    let copies: NET_BUFFER_LIST[] | null = null;
    if (velan.Paused) status = NDIS_STATUS_PAUSED;
    else if (member === null || binding === undefined || !member.Running)
      status = NDIS_STATUS_MEDIA_DISCONNECTED;
    else if (member.ResetInProgress) status = NDIS_STATUS_RESET_IN_PROGRESS;
    else if (translates(team, member)) {
      copies = sendCopies(team, member, nbl, binding);
      if (copies === null) status = NDIS_STATUS_RESOURCES;
    } else if (!stamp(nbl, binding, null)) status = NDIS_STATUS_RESOURCES;
    if (status === NDIS_STATUS_SUCCESS && member !== null) {
      const bytes = nbl.FirstNetBuffer?.DataLength ?? 0;
      member.Counters.framesSent++;
      member.Counters.bytesSent += bytes;
      countOut(team.Counters, frame === null ? "u" : castOf(frame.subarray(0, 6)), bytes);
      if (copies !== null) {
        // The original stays here (we are its miniport: MiniportReserved is ours) until its
        // copies are back.
        nbl.MiniportReserved[0] = copies.length;
        nbl.MiniportReserved[1] = NDIS_STATUS_SUCCESS;
        held++;
        for (let i = 0; i < copies.length - 1; i++)
          (copies[i] as NET_BUFFER_LIST).Next = copies[i + 1] as NET_BUFFER_LIST;
        append(
          member,
          copies[0] as NET_BUFFER_LIST,
          copies[copies.length - 1] as NET_BUFFER_LIST,
          copies.length,
        );
      } else {
        held++;
        append(member, nbl, nbl, 1);
      }
    } else {
      team.Counters.outDiscards++;
      nbl.Status = status;
      if (failLast === null) failFirst = nbl;
      else failLast.Next = nbl;
      failLast = nbl;
    }
    nbl = next;
  }
  if (failFirst !== null) {
    const atDispatch = (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0;
    NdisMSendNetBufferListsComplete(
      velan.MiniportAdapterHandle,
      failFirst,
      atDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0,
    );
  }
  velan.SendsOutstanding += held;
  for (const [member, chain] of chains) {
    member.SendsOutstanding += chain.n;
    NdisSendNetBufferLists(member.BindingHandle as NDIS_HANDLE, chain.first, PortNumber, SendFlags);
  }
};

/** ProtocolSendNetBufferListsComplete: own frames freed; forwarded ones completed on the team. */
export const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext,
  NetBufferList,
  SendCompleteFlags,
) => {
  const member = ProtocolBindingContext as MEMBER;
  const team = member.Team;
  const ownPool = member.Globals.ControlPool;
  let upFirst: NET_BUFFER_LIST | null = null;
  let upLast: NET_BUFFER_LIST | null = null;
  let forwarded = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    member.SendsOutstanding--;
    const own = ownPool !== null && NdisGetPoolFromNetBufferList(nbl) === ownPool;
    const original = own ? (nbl.ProtocolReserved[0] as NET_BUFFER_LIST | null) : null;
    if (original !== null) {
      // A "follow" copy: the original completes with its last copy.
      nbl.ProtocolReserved[0] = null;
      if (nbl.Status !== NDIS_STATUS_SUCCESS) original.MiniportReserved[1] = nbl.Status;
      NdisFreeNetBufferList(nbl);
      const remaining = (original.MiniportReserved[0] as number) - 1;
      original.MiniportReserved[0] = remaining;
      if (remaining === 0) {
        original.Status = original.MiniportReserved[1] as NDIS_STATUS;
        original.MiniportReserved[0] = null;
        original.MiniportReserved[1] = null;
        if (original.Status !== NDIS_STATUS_SUCCESS) {
          member.Counters.sendsFailed++;
          if (team !== null) team.Counters.outErrors++;
        }
        forwarded++;
        if (upLast === null) upFirst = original;
        else upLast.Next = original;
        upLast = original;
      }
    } else if (own) {
      if (nbl.Status !== NDIS_STATUS_SUCCESS) member.Counters.controlSendsFailed++;
      NdisFreeNetBufferList(nbl);
    } else {
      if (nbl.Status !== NDIS_STATUS_SUCCESS) {
        member.Counters.sendsFailed++;
        if (team !== null) team.Counters.outErrors++;
      }
      unstamp(nbl);
      forwarded++;
      if (upLast === null) upFirst = nbl;
      else upLast.Next = nbl;
      upLast = nbl;
    }
    nbl = next;
  }
  const velan = team?.Velan ?? null;
  if (upFirst !== null && velan !== null) {
    NdisMSendNetBufferListsComplete(velan.MiniportAdapterHandle, upFirst, SendCompleteFlags);
    velan.SendsOutstanding -= forwarded;
    maybeCompletePause(velan);
  }
  maybeCompleteMemberPause(member);
};

/** ProtocolReceiveNetBufferLists (≤ DISPATCH_LEVEL). */
export const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext,
  NetBufferLists,
  PortNumber,
  _NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const member = ProtocolBindingContext as MEMBER;
  const team = member.Team;
  const resources = (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const returnFlags =
    (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0 ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
  if (team === null) {
    // Not in a team yet (its bind is still going on): nobody to take them.
    member.Counters.receivesDropped++;
    if (!resources && member.BindingHandle !== undefined)
      NdisReturnNetBufferLists(member.BindingHandle, NetBufferLists, returnFlags);
    return;
  }
  const velan = team.Velan;
  const target = team.Params.ArpTarget;
  const carrying =
    velan !== null &&
    !velan.Paused &&
    (team.Params.Mode === "active-backup" ? team.Active === member : team.Live.includes(member));
  let upFirst: NET_BUFFER_LIST | null = null;
  let upLast: NET_BUFFER_LIST | null = null;
  let backFirst: NET_BUFFER_LIST | null = null;
  let backLast: NET_BUFFER_LIST | null = null;
  let count = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    const frame = frameOf(nbl.FirstNetBuffer);
    const eth = frame === null ? null : parseEthernet(frame);
    let consumed = false;
    if (eth !== null && eth.ethertype === ETHERTYPE_ARP && target !== null) {
      const arp = parseArp(eth.payload);
      if (arp !== null && arp.op === ARP_REPLY && arp.senderIp === target) {
        arpReplyReceived(team, member);
        // The answer to a probe sent as 0.0.0.0 is the team's own business.
        consumed = arp.targetIp === 0;
      }
    }
    let copy: NET_BUFFER_LIST | null = null;
    const translate =
      !consumed &&
      carrying &&
      frame !== null &&
      eth !== null &&
      translates(team, member) &&
      macEquals(eth.dst, member.Mac);
    if (translate && velan !== null && velan.ReceivePool !== null && frame !== null) {
      // "follow": the member's MAC on the wire is the team's MAC above.
      const mine = frame.slice();
      rewriteMac(mine, 0, member.Mac, team.Mac);
      copy = teamAccepts(team, team.Mac) ? frameNbl(velan.ReceivePool, mine) : null;
      if (copy !== null) copy.SourceHandle = velan.MiniportAdapterHandle;
    }
    const take =
      copy !== null ||
      (!translate &&
        !consumed &&
        carrying &&
        eth !== null &&
        teamAccepts(team, eth.dst) &&
        velan !== null &&
        stamp(nbl, velan.MiniportAdapterHandle, member));
    if (copy !== null && eth !== null) {
      const bytes = nbl.FirstNetBuffer?.DataLength ?? 0;
      member.Counters.framesReceived++;
      member.Counters.bytesReceived += bytes;
      countIn(team.Counters, "u", bytes);
      if (upLast === null) upFirst = copy;
      else upLast.Next = copy;
      upLast = copy;
      count++;
      // The member's NBL goes straight back: the copy went up instead.
      if (backLast === null) backFirst = nbl;
      else backLast.Next = nbl;
      backLast = nbl;
    } else if (take && eth !== null) {
      const bytes = nbl.FirstNetBuffer?.DataLength ?? 0;
      member.Counters.framesReceived++;
      member.Counters.bytesReceived += bytes;
      countIn(team.Counters, castOf(eth.dst), bytes);
      if (upLast === null) upFirst = nbl;
      else upLast.Next = nbl;
      upLast = nbl;
      count++;
    } else {
      if (!consumed) {
        member.Counters.receivesDropped++;
        team.Counters.inDiscards++;
      }
      if (backLast === null) backFirst = nbl;
      else backLast.Next = nbl;
      backLast = nbl;
    }
    nbl = next;
  }
  if (upFirst !== null && velan !== null) {
    if (!resources) velan.ReceivesOutstanding += count;
    NdisMIndicateReceiveNetBufferLists(
      velan.MiniportAdapterHandle,
      upFirst,
      PortNumber,
      count,
      ReceiveFlags,
    );
    if (resources) {
      let n: NET_BUFFER_LIST | null = upFirst;
      while (n !== null) {
        const next: NET_BUFFER_LIST | null = n.Next;
        if (isReceiveCopy(velan, n)) {
          n.Next = null;
          NdisFreeNetBufferList(n);
        } else unstamp(n);
        n = next;
      }
    }
  }
  if (backFirst !== null && !resources && member.BindingHandle !== undefined)
    NdisReturnNetBufferLists(member.BindingHandle, backFirst, returnFlags);
};

/** A "follow" receive copy (the team's own NBL), as opposed to a member's NBL passed up. */
function isReceiveCopy(velan: VELAN, nbl: NET_BUFFER_LIST): boolean {
  return velan.ReceivePool !== null && NdisGetPoolFromNetBufferList(nbl) === velan.ReceivePool;
}

/** MiniportReturnNetBufferLists: restore and return each NBL to the member it came from. */
export const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
  ReturnFlags,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const chains = new Map<MEMBER, { first: NET_BUFFER_LIST; last: NET_BUFFER_LIST }>();
  let count = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    count++;
    if (isReceiveCopy(velan, nbl)) {
      NdisFreeNetBufferList(nbl);
      nbl = next;
      continue;
    }
    const member = unstamp(nbl) as MEMBER;
    const chain = chains.get(member);
    if (chain === undefined) chains.set(member, { first: nbl, last: nbl });
    else {
      chain.last.Next = nbl;
      chain.last = nbl;
    }
    nbl = next;
  }
  for (const [member, chain] of chains)
    NdisReturnNetBufferLists(member.BindingHandle as NDIS_HANDLE, chain.first, ReturnFlags);
  velan.ReceivesOutstanding -= count;
  maybeCompletePause(velan);
};

/** MiniportCancelSend: the team holds no sends; the cancel goes down every member. */
export const MPCancelSend: MINIPORT_CANCEL_SEND = (MiniportAdapterContext, CancelId) => {
  for (const member of (MiniportAdapterContext as VELAN).Team.Members) {
    if (member.BindingHandle !== undefined && member.UnbindContext === undefined)
      NdisCancelSendNetBufferLists(member.BindingHandle, CancelId);
  }
};
