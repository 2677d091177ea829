/**
 * ipv4-host's data path: what it answers (ARP for its address, ICMP echo, UDP echo on one port),
 * what it sends on its own (echo requests to PingTarget, ARP first), and the send/receive rules of
 * a protocol driver: its own NBL pool, SourceHandle = the binding handle, every received NBL
 * returned unless NDIS_RECEIVE_FLAGS_RESOURCES, a pause waiting for outstanding sends.
 *
 * Time: a protocol driver reads no clock on the receive path. The ping timer's function gets the
 * host time as SystemSpecific2 (100 ns units), which stamps each echo request. When a matching
 * reply arrives, the receive path queues it and sets a one-shot timer with DueTime 0 whose
 * SystemSpecific2 stamps the arrival: an RTT is therefore an upper bound, late by at most one
 * timer dispatch (0 on a ManualClock that delivers at once; ~1 ms of setTimeout on the real one).
 */
import {
  type NDIS_HANDLE,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_STATUS_SUCCESS,
  NdisAppendSingleNblToNblQueue,
  NdisCancelTimerObject,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferList,
  NdisGetCurrentSystemTime,
  NdisGetDataBuffer,
  NdisPopAllFromNblQueue,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  NdisSetTimerObject,
  type NET_BUFFER_LIST,
  type Out,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
} from "../../ddi.js";
import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from "../../net/arp.js";
import { get16, get32 } from "../../net/bytes.js";
import { adjustChecksum } from "../../net/checksum.js";
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_VLAN,
  isBroadcastMacAt,
  macEqualsAt,
} from "../../net/ethernet.js";
import { buildIcmpEcho, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, icmpEchoType } from "../../net/icmp.js";
import { buildIpv4Packet, IPPROTO_ICMP, IPPROTO_UDP, ipv4HeaderLength } from "../../net/ipv4.js";
import { parseUdp } from "../../net/udp.js";
import { copyFrame, frameNbl, sendFlagsHere } from "../shared/frames.js";
import {
  ARP_CACHE_LIFE_DEFAULT,
  ARP_CACHE_LIMIT,
  type IF,
  type IfParameters,
  OUTSTANDING_KEPT,
  RTTS_KEPT,
  UNANSWERED_REARP,
} from "./globals.js";

/** The echo request payload (what Windows ping sends). */
const PING_DATA = new TextEncoder().encode("abcdefghijklmnopqrstuvwabcdefghi");
const ZERO_MAC = new Uint8Array(6);
const ETHERNET_HEADER = 14;
const MIN_FRAME = 60;

/**
 * An NBL of the interface's send pool holding a copy of `frame`: one kept from an earlier send
 * (SendFree) when there is one, else a new one; null (counted as a send failure) when the
 * binding is not running or no NBL can be had.
 */
function frameToSend(ifc: IF, frame: Uint8Array): NET_BUFFER_LIST | null {
  const pool = ifc.SendPool;
  let nbl: NET_BUFFER_LIST | null = null;
  if (ifc.Phase === "running" && pool !== null && ifc.BindingHandle !== undefined) {
    const kept = ifc.SendFree.pop();
    nbl = kept === undefined ? null : refill(ifc, kept, frame);
    nbl ??= frameNbl(pool, frame, ifc.DataBackFill, ifc.ContextBackFill);
  }
  if (nbl === null) ifc.Counters.sendFailures++;
  return nbl;
}

/**
 * A kept NBL with `frame` copied in, as frameNbl would give it; null (and the NBL freed) when the
 * frame does not fit or the drivers below left its data start elsewhere (NDIS requires them to
 * put it back).
 */
function refill(ifc: IF, nbl: NET_BUFFER_LIST, frame: Uint8Array): NET_BUFFER_LIST | null {
  const nb = nbl.FirstNetBuffer;
  const va = nb?.MdlChain?.MappedSystemVa;
  if (
    nb === null ||
    va === undefined ||
    nb.DataOffset !== ifc.DataBackFill ||
    frame.length === 0 ||
    frame.length > va.length - nb.DataOffset
  ) {
    NdisFreeNetBufferList(nbl);
    return null;
  }
  va.set(frame, nb.DataOffset);
  nb.DataLength = frame.length;
  nbl.Status = NDIS_STATUS_SUCCESS;
  return nbl;
}

/**
 * Hands an NBL of the send pool to NDIS on the binding (frameToSend checked it is open) — or,
 * while a receive indication is being answered, queues it to go down with the others.
 */
function transmit(ifc: IF, nbl: NET_BUFFER_LIST): void {
  const binding = ifc.BindingHandle as NDIS_HANDLE;
  nbl.SourceHandle = binding;
  ifc.SendsOutstanding++;
  ifc.Counters.framesSent++;
  if (!ifc.Answering) {
    NdisSendNetBufferLists(binding, nbl, 0, sendFlagsHere());
    return;
  }
  NdisAppendSingleNblToNblQueue(ifc.Answers, nbl);
}

/** Sends the answers of a receive indication down as one chain. */
function sendAnswers(ifc: IF): void {
  ifc.Answering = false;
  const head = NdisPopAllFromNblQueue(ifc.Answers);
  if (head !== null)
    NdisSendNetBufferLists(ifc.BindingHandle as NDIS_HANDLE, head, 0, sendFlagsHere());
}

/** Sends one frame on the binding; counts a failure when no NBL can be had. */
export function sendFrame(ifc: IF, frame: Uint8Array): void {
  const nbl = frameToSend(ifc, frame);
  if (nbl !== null) transmit(ifc, nbl);
}

function sendIpv4(
  ifc: IF,
  params: IfParameters,
  dstMac: Uint8Array,
  dst: number,
  protocol: number,
  payload: Uint8Array,
): void {
  ifc.IpIdentification = (ifc.IpIdentification + 1) & 0xffff;
  sendFrame(
    ifc,
    buildEthernet({
      dst: dstMac,
      src: ifc.Mac,
      ethertype: ETHERTYPE_IPV4,
      payload: buildIpv4Packet({
        src: params.Address,
        dst,
        protocol,
        identification: ifc.IpIdentification,
        payload,
      }),
    }),
  );
}

function sendArp(
  ifc: IF,
  params: IfParameters,
  op: number,
  dstMac: Uint8Array,
  targetMac: Uint8Array,
  targetIp: number,
): void {
  sendFrame(
    ifc,
    buildEthernet({
      dst: dstMac,
      src: ifc.Mac,
      ethertype: ETHERTYPE_ARP,
      payload: buildArp({ op, senderMac: ifc.Mac, senderIp: params.Address, targetMac, targetIp }),
    }),
  );
}

/**
 * Answers an echo (ICMP echo request, or a UDP datagram to the echo port) the way a kernel stack
 * does: the request is copied once into a send NBL's buffer and turned around there — MAC and IP
 * addresses swapped, a fresh TTL and identification, the IPv4 header checksum updated for those
 * two words (RFC 1624: the header was checked on receipt, and swapping the addresses does not
 * change the sum), the ICMP type set to reply with its checksum adjusted the same way, the UDP
 * ports swapped (the UDP checksum is unchanged: the pseudo-header sum does not depend on the
 * order). No frame is built from parts, so an echo allocates nothing but its NBL from the pool;
 * the few bytes moved are moved in loops (a builtin call — copyWithin, set, subarray — costs
 * more than the six or four bytes it would move).
 */
function replyInPlace(
  ifc: IF,
  request: Uint8Array,
  ipHeaderLength: number,
  ipTotalLength: number,
  protocol: number,
): void {
  const length = Math.max(ETHERNET_HEADER + ipTotalLength, MIN_FRAME);
  const nbl = frameToSend(ifc, length >= request.length ? request : request.subarray(0, length));
  if (nbl === null) return;
  const nb = nbl.FirstNetBuffer;
  // The reply is turned around where the copy landed: at `at` in the MDL's buffer `f`.
  const f = nb?.MdlChain?.MappedSystemVa ?? null;
  if (nb === null || f === null) {
    NdisFreeNetBufferList(nbl);
    ifc.Counters.sendFailures++;
    return;
  }
  const at = nb.DataOffset;
  if (length > request.length) f.fill(0, at + request.length, at + length); // Ethernet padding
  nb.DataLength = length;
  // Ethernet: back to the sender, from us.
  const mac = ifc.Mac;
  for (let i = 0; i < 6; i++) {
    f[at + i] = f[at + 6 + i] as number;
    f[at + 6 + i] = mac[i] as number;
  }
  // IPv4: swap the addresses, fresh TTL and identification, the header checksum updated.
  const ip = at + ETHERNET_HEADER;
  for (let i = 0; i < 4; i++) {
    const a = f[ip + 12 + i] as number;
    f[ip + 12 + i] = f[ip + 16 + i] as number;
    f[ip + 16 + i] = a;
  }
  const oldId = get16(f, ip + 4);
  const oldTtl = get16(f, ip + 8);
  ifc.IpIdentification = (ifc.IpIdentification + 1) & 0xffff;
  const newTtl = (64 << 8) | (f[ip + 9] as number);
  let check = adjustChecksum(get16(f, ip + 10), oldId, ifc.IpIdentification);
  check = adjustChecksum(check, oldTtl, newTtl);
  f[ip + 4] = ifc.IpIdentification >>> 8;
  f[ip + 5] = ifc.IpIdentification & 0xff;
  f[ip + 8] = 64;
  f[ip + 10] = check >>> 8;
  f[ip + 11] = check & 0xff;
  const l4 = ip + ipHeaderLength;
  if (protocol === IPPROTO_ICMP) {
    // Type 8 → 0 (code 0 stays).
    f[l4] = ICMP_ECHO_REPLY;
    const sum = adjustChecksum(get16(f, l4 + 2), ICMP_ECHO_REQUEST << 8, ICMP_ECHO_REPLY << 8);
    f[l4 + 2] = sum >>> 8;
    f[l4 + 3] = sum & 0xff;
  } else {
    for (let i = 0; i < 2; i++) {
      const a = f[l4 + i] as number;
      f[l4 + i] = f[l4 + 2 + i] as number;
      f[l4 + 2 + i] = a;
    }
  }
  transmit(ifc, nbl);
}

/**
 * Handles one received frame (the binding is Running). The Ethernet and IPv4 headers and an ICMP
 * echo are read in place with the checks src/net's parsers make (`ipv4HeaderLength`,
 * `icmpEchoType`), so that an echo costs no typed-array view per header; ARP and UDP go through
 * their parsers.
 */
function receiveFrame(ifc: IF, params: IfParameters, frame: Uint8Array): void {
  const c = ifc.Counters;
  c.framesReceived++;
  const length = frame.length;
  // Ethernet; a tagged frame is not for this untagged host.
  if (length < ETHERNET_HEADER) {
    c.framesDropped++;
    return;
  }
  const ethertype = get16(frame, 12);
  if (ethertype === ETHERTYPE_VLAN) {
    c.framesDropped++;
    return;
  }
  const toUs = macEqualsAt(frame, 0, ifc.Mac);
  if (!toUs && !isBroadcastMacAt(frame, 0)) {
    c.framesDropped++;
    return;
  }
  if (ethertype === ETHERTYPE_ARP) {
    const arp = parseArp(frame.subarray(ETHERNET_HEADER));
    if (arp === null || arp.targetIp !== params.Address) {
      c.framesDropped++;
      return;
    }
    // An ARP probe (sender 0.0.0.0) is answered but teaches nothing.
    // The frame may be the miniport's own buffer: keep a copy of what outlives this call.
    if (arp.senderIp !== 0) learnArp(ifc, arp.senderIp, arp.senderMac);
    if (arp.op === ARP_REQUEST) {
      c.arpRequestsAnswered++;
      sendArp(ifc, params, ARP_REPLY, arp.senderMac, arp.senderMac, arp.senderIp);
    } else {
      c.arpRepliesReceived++;
    }
    return;
  }
  if (ethertype !== ETHERTYPE_IPV4 || !toUs) {
    c.framesDropped++;
    return;
  }
  // IPv4, addressed to us. Fragments are not reassembled: MF set or an offset means a piece of
  // something else.
  const ip = ETHERNET_HEADER;
  const headerLength = ipv4HeaderLength(frame, ip, length);
  if (headerLength === 0) {
    c.framesDropped++;
    return;
  }
  const totalLength = get16(frame, ip + 2);
  const fragment = get16(frame, ip + 6);
  const src = get32(frame, ip + 12);
  const dst = get32(frame, ip + 16);
  if (dst !== params.Address || ((fragment >>> 13) & 1) !== 0 || (fragment & 0x1fff) !== 0) {
    c.framesDropped++;
    return;
  }
  const protocol = frame[ip + 9] as number;
  const l4 = ip + headerLength;
  const end = ip + totalLength;
  if (protocol === IPPROTO_ICMP) {
    const type = icmpEchoType(frame, l4, end);
    if (type < 0) {
      c.framesDropped++;
      return;
    }
    if (type === ICMP_ECHO_REQUEST) {
      c.echoRequestsAnswered++;
      replyInPlace(ifc, frame, headerLength, totalLength, IPPROTO_ICMP);
      return;
    }
    const identifier = get16(frame, l4 + 4);
    const sequence = get16(frame, l4 + 6);
    const sentAt = ifc.PingOutstanding.get(sequence);
    if (src !== params.PingTarget || identifier !== ifc.PingIdentifier || sentAt === undefined) {
      c.framesDropped++;
      return;
    }
    ifc.PingOutstanding.delete(sequence);
    c.echoRepliesReceived++;
    ifc.ToStamp.push(sentAt);
    if (ifc.StampTimer !== null) NdisSetTimerObject(ifc.StampTimer, 0n, 0);
    return;
  }
  if (protocol === IPPROTO_UDP) {
    const udp = parseUdp(frame.subarray(l4, end), src, dst);
    // Like inetd's echo, never answer a datagram from the echo port itself: two echo services
    // would bounce one datagram between them forever.
    if (
      udp === null ||
      params.UdpEchoPort === null ||
      udp.dstPort !== params.UdpEchoPort ||
      udp.srcPort === params.UdpEchoPort
    ) {
      c.framesDropped++;
      return;
    }
    c.udpEchoed++;
    replyInPlace(ifc, frame, headerLength, totalLength, IPPROTO_UDP);
    return;
  }
  c.framesDropped++;
}

/** The host time in 100 ns units. */
function systemTime(): bigint {
  const time: Out<bigint> = {};
  NdisGetCurrentSystemTime(time);
  return time.value ?? 0n;
}

function arpLife(ifc: IF): bigint {
  return BigInt(ifc.Params?.ArpCacheLife ?? ARP_CACHE_LIFE_DEFAULT) * 10_000_000n;
}

/** The MAC of `ip` if the cache has it and it is not older than ArpCacheLife (else it goes). */
function lookupArp(ifc: IF, ip: number): Uint8Array | undefined {
  const entry = ifc.ArpCache.get(ip);
  if (entry === undefined) return undefined;
  if (systemTime() - entry.learnedAt < arpLife(ifc)) return entry.mac;
  ifc.ArpCache.delete(ip);
  ifc.Counters.arpExpirations++;
  return undefined;
}

/**
 * Keeps `ip` → `mac`, newest last: entries older than ArpCacheLife go first (they are at the
 * front), then, past ARP_CACHE_LIMIT, the oldest one.
 */
function learnArp(ifc: IF, ip: number, mac: Uint8Array): void {
  const cache = ifc.ArpCache;
  const now = systemTime();
  const life = arpLife(ifc);
  for (const [address, entry] of cache) {
    if (now - entry.learnedAt < life) break;
    cache.delete(address);
    ifc.Counters.arpExpirations++;
  }
  if (cache.has(ip)) cache.delete(ip);
  else if (cache.size >= ARP_CACHE_LIMIT) {
    const oldest = cache.keys().next().value as number;
    cache.delete(oldest);
    ifc.Counters.arpEvictions++;
  }
  cache.set(ip, { mac: mac.slice(), learnedAt: now });
}

/** ProtocolReceiveNetBufferLists (≤ DISPATCH_LEVEL). */
export const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext,
  NetBufferLists,
  _PortNumber,
  _NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const ifc = ProtocolBindingContext as IF;
  const params = ifc.Params;
  // The answers to a chain go down as one chain, as the chain came up.
  ifc.Answering = true;
  try {
    for (let nbl: NET_BUFFER_LIST | null = NetBufferLists; nbl !== null; nbl = nbl.Next) {
      for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
        if (ifc.Phase !== "running" || params === null) continue;
        // The frame as the miniport holds it when it is contiguous (nothing keeps it past this
        // call), else a copy.
        const frame = NdisGetDataBuffer(nb, nb.DataLength, null, 1, 0) ?? copyFrame(nb);
        if (frame === null) ifc.Counters.framesDropped++;
        else receiveFrame(ifc, params, frame);
      }
    }
  } finally {
    sendAnswers(ifc);
  }
  if ((ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0 || ifc.BindingHandle === undefined)
    return;
  NdisReturnNetBufferLists(
    ifc.BindingHandle,
    NetBufferLists,
    (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0 ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0,
  );
};

/** Completes a NetEventPause that waited for the sends, once they are all back. */
export function maybeCompletePause(ifc: IF): void {
  const pending = ifc.PendingPause;
  if (pending === null || ifc.SendsOutstanding > 0 || ifc.BindingHandle === undefined) return;
  ifc.PendingPause = null;
  NdisCompleteNetPnPEvent(ifc.BindingHandle, pending, NDIS_STATUS_SUCCESS);
}

/**
 * ProtocolSendNetBufferListsComplete: count failures, keep the NBLs for the next frames
 * (SendFree; the unbind frees them with the pool), maybe finish a pause.
 */
export const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext,
  NetBufferList,
) => {
  const ifc = ProtocolBindingContext as IF;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    if (nbl.Status !== NDIS_STATUS_SUCCESS) ifc.Counters.sendFailures++;
    ifc.SendFree.push(nbl);
    ifc.SendsOutstanding--;
    nbl = next;
  }
  maybeCompletePause(ifc);
};

/**
 * The ping timer (DISPATCH_LEVEL, every PingIntervalMs while Running): an ARP request while the
 * target is unresolved, else one echo request. Three echo requests in a row unanswered by the
 * following tick drop the target's ARP entry, so the next tick ARPs again.
 */
export function PingTimerFunction(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const ifc = FunctionContext as IF;
  const params = ifc.Params;
  if (ifc.Phase !== "running" || params === null || params.PingTarget === null) return;
  const target = params.PingTarget;
  const c = ifc.Counters;
  if (params.PingCount > 0 && c.echoRequestsSent >= params.PingCount) {
    if (ifc.PingTimer !== null) NdisCancelTimerObject(ifc.PingTimer);
    return;
  }
  const last = ifc.LastPingSequence;
  if (last !== null) {
    ifc.Unanswered = ifc.PingOutstanding.has(last) ? ifc.Unanswered + 1 : 0;
    ifc.LastPingSequence = null;
    if (ifc.Unanswered >= UNANSWERED_REARP) {
      ifc.ArpCache.delete(target);
      ifc.Unanswered = 0;
    }
  }
  const mac = lookupArp(ifc, target);
  if (mac === undefined) {
    c.arpRequestsSent++;
    sendArp(ifc, params, ARP_REQUEST, BROADCAST_MAC, ZERO_MAC, target);
    return;
  }
  const now = typeof SystemSpecific2 === "bigint" ? SystemSpecific2 : 0n;
  ifc.PingSequence = (ifc.PingSequence + 1) & 0xffff;
  const sequence = ifc.PingSequence;
  ifc.PingOutstanding.delete(sequence);
  ifc.PingOutstanding.set(sequence, now);
  while (ifc.PingOutstanding.size > OUTSTANDING_KEPT) {
    const oldest = ifc.PingOutstanding.keys().next();
    if (oldest.done === true) break;
    ifc.PingOutstanding.delete(oldest.value);
  }
  ifc.LastPingSequence = sequence;
  c.echoRequestsSent++;
  const request = buildIcmpEcho({
    type: ICMP_ECHO_REQUEST,
    identifier: ifc.PingIdentifier,
    sequence,
    data: PING_DATA,
  });
  sendIpv4(ifc, params, mac, target, IPPROTO_ICMP, request);
}

/** The stamp timer (DueTime 0 after a reply): the host time now ends the replies' RTTs. */
export function StampTimerFunction(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const ifc = FunctionContext as IF;
  if (typeof SystemSpecific2 !== "bigint") return;
  for (const sentAt of ifc.ToStamp) {
    const rtt = SystemSpecific2 > sentAt ? Number(SystemSpecific2 - sentAt) / 10_000 : 0;
    ifc.RttsMs.push(rtt);
  }
  ifc.ToStamp.length = 0;
  if (ifc.RttsMs.length > RTTS_KEPT) ifc.RttsMs.splice(0, ifc.RttsMs.length - RTTS_KEPT);
}
