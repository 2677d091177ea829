/**
 * vlan-mux, data path (MUX's MPSendNetBufferLists / PtReceiveNBL, with 802.1Q).
 *
 * Send — zero copy. The VELAN's NBLs themselves go down. For each NET_BUFFER:
 * NdisRetreatNetBufferDataStart by 4 bytes, the 12 bytes of MAC addresses moved 4 bytes forward,
 * TPID 0x8100 and the TCI (the VELAN's VLAN id; the priority from
 * NetBufferListInfo[Ieee8021QNetBufferListInfo] when the sender set one) written where they were.
 * SourceHandle is saved in a context allocation and replaced by the binding handle, as passthrough
 * does. On completion the MAC addresses go back, NdisAdvanceNetBufferDataStart (FreeMdl TRUE)
 * undoes the retreat, SourceHandle is restored and the NBLs complete on their VELAN. Cost: 12 + 4
 * bytes written each way per frame. Each VELAN asks the protocols above for the lower adapter's
 * DataBackFillSize plus the tag's 4 bytes (and the lower's ContextBackFillSize plus its own
 * context), so that a sender that leaves it gets its frame tagged in its own buffer; when the
 * sender left no room in front of its data (DataOffset < 4) NDIS prepends an MDL for the retreat,
 * released by the advance. The untagged VELAN sends its frames unchanged (no tag, so a priority
 * it was given is not carried).
 *
 * Receive — one copy. NDIS may indicate one NBL to several bindings of the lower adapter, so the
 * received data is not ours to rewrite. Each frame is parsed where it lies (NdisGetDataBuffer;
 * copied to a scratch buffer only when its MDLs split it), dispatched by VLAN id, checked against
 * that VELAN's packet filter, and copied — without its tag — into an NBL of the VELAN's own pool,
 * whose Ieee8021QNetBufferListInfo carries the tag's priority and VLAN id (as MUX does). The
 * lower NBLs go back at once (or stay the miniport's under NDIS_RECEIVE_FLAGS_RESOURCES), so a
 * slow protocol above never holds the lower adapter's buffers. Cost: one copy of each delivered
 * frame (≤ 1518 bytes); pool NBLs are recycled, so nothing is allocated per frame.
 *
 * Dispatch: a tagged frame goes to the VELAN with its VLAN id, else it is dropped and counted
 * (unknownVlanDrops); an untagged or priority-tagged (VLAN id 0) frame goes to the binding's
 * UntaggedFrames VELAN, else it is dropped and counted (untaggedDrops). Frames shorter than their
 * header or longer than a tagged maximum are counted in malformedDrops.
 */
import {
  ETH_COMPARE_NETWORK_ADDRESSES_EQ,
  ETH_IS_BROADCAST,
  ETH_IS_MULTICAST,
  ETH_LENGTH_OF_ADDRESS,
  Ieee8021QNetBufferListInfo,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  type NDIS_HANDLE,
  NDIS_NBL_FLAGS_SEND_READ_ONLY,
  NDIS_NET_BUFFER_LIST_8021Q_INFO,
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
  NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAcquireReadWriteLock,
  NdisAdvanceNetBufferDataStart,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListContext,
  NdisCancelSendNetBufferLists,
  NdisCompleteNetPnPEvent,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListContext,
  NdisGetDataBuffer,
  NdisMIndicateReceiveNetBufferLists,
  NdisMPauseComplete,
  NdisMSendNetBufferListsComplete,
  NdisReleaseReadWriteLock,
  NdisRetreatNetBufferDataStart,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT_DATA_START,
  type Out,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
} from "../../ddi.js";
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_VLAN, VLAN_TAG_LENGTH } from "../../net/ethernet.js";
import { MAX_FRAME_LENGTH } from "../shared/frames.js";
import { type ADAPT, untaggedVelan, type VELAN } from "./globals.js";
import { MAX_TAGGED_FRAME_LENGTH } from "./protocol.js";

/**
 * The context allocation of a sent NBL: the SourceHandle replaced, the VELAN it came from, and
 * whether a tag was inserted (three pointer cells, rounded up to MEMORY_ALLOCATION_ALIGNMENT).
 */
export const CONTEXT_SIZE = 32;
/** 'Mxct' */
const CONTEXT_TAG = 0x7463784d;

/**
 * The NBL's 802.1Q information, read and written through NDIS_NET_BUFFER_LIST_8021Q_INFO's
 * TagHeader as MUX does (one instance, used synchronously: it allocates nothing per frame).
 */
const tagInfo = new NDIS_NET_BUFFER_LIST_8021Q_INFO();
/** ETH_COMPARE_NETWORK_ADDRESSES_EQ's result. */
const compared: Out<number> = {};

// ---- header bytes across MDLs ---------------------------------------------------------------

/** Writes `bytes` at `offset` of the NET_BUFFER's used data, across MDL boundaries. */
function writeData(nb: NET_BUFFER, offset: number, bytes: Uint8Array): void {
  let mdl = nb.CurrentMdl;
  let at = nb.CurrentMdlOffset + offset;
  while (mdl !== null && at >= mdl.ByteCount) {
    at -= mdl.ByteCount;
    mdl = mdl.Next;
  }
  let done = 0;
  while (mdl !== null && done < bytes.length) {
    const n = Math.min(mdl.ByteCount - at, bytes.length - done);
    mdl.MappedSystemVa.set(bytes.subarray(done, done + n), at);
    done += n;
    mdl = mdl.Next;
    at = 0;
  }
}

/**
 * Inserts the 802.1Q tag in front of the EtherType: retreat 4, move the MACs forward, write
 * TPID + TCI. `scratch` holds 16 bytes.
 */
function insertTag(nb: NET_BUFFER, tci: number, scratch: Uint8Array): NDIS_STATUS {
  const status = NdisRetreatNetBufferDataStart(nb, VLAN_TAG_LENGTH, 0, null);
  if (status !== NDIS_STATUS_SUCCESS) return status;
  const header = NdisGetDataBuffer(nb, 16, scratch, 1, 0);
  if (header === null) {
    NdisAdvanceNetBufferDataStart(nb, VLAN_TAG_LENGTH, true, null);
    return NDIS_STATUS_RESOURCES;
  }
  // header[4..16) are the MAC addresses (a view into the frame, or already a copy in scratch).
  scratch.set(header.subarray(4, 16), 0);
  scratch[12] = ETHERTYPE_VLAN >>> 8;
  scratch[13] = ETHERTYPE_VLAN & 0xff;
  scratch[14] = tci >>> 8;
  scratch[15] = tci & 0xff;
  writeData(nb, 0, scratch);
  return NDIS_STATUS_SUCCESS;
}

/** Undoes insertTag: the MACs back over the tag, then advance 4 (freeing a prepended MDL). */
function removeTag(nb: NET_BUFFER, scratch: Uint8Array): void {
  const header = NdisGetDataBuffer(nb, 12, scratch, 1, 0);
  if (header !== null) {
    const macs = scratch.subarray(0, 12);
    if (header !== scratch) macs.set(header.subarray(0, 12));
    writeData(nb, VLAN_TAG_LENGTH, macs);
  }
  NdisAdvanceNetBufferDataStart(nb, VLAN_TAG_LENGTH, true, null);
}

// ---- context area ---------------------------------------------------------------------------

function stamp(nbl: NET_BUFFER_LIST, binding: NDIS_HANDLE, velan: VELAN, tagged: boolean): boolean {
  if (NdisAllocateNetBufferListContext(nbl, CONTEXT_SIZE, 0, CONTEXT_TAG) !== NDIS_STATUS_SUCCESS)
    return false;
  const cells = (nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>).ContextData;
  const at = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
  cells[at] = nbl.SourceHandle;
  cells[at + 1] = velan;
  cells[at + 2] = tagged;
  nbl.SourceHandle = binding;
  return true;
}

function unstamp(nbl: NET_BUFFER_LIST): { velan: VELAN; tagged: boolean } {
  const cells = (nbl.Context as NonNullable<NET_BUFFER_LIST["Context"]>).ContextData;
  const at = NET_BUFFER_LIST_CONTEXT_DATA_START(nbl);
  const velan = cells[at + 1] as VELAN;
  const tagged = cells[at + 2] === true;
  nbl.SourceHandle = cells[at] as NDIS_HANDLE;
  cells[at] = undefined;
  cells[at + 1] = undefined;
  cells[at + 2] = undefined;
  NdisFreeNetBufferListContext(nbl, CONTEXT_SIZE);
  return { velan, tagged };
}

// ---- pauses ---------------------------------------------------------------------------------

/** Completes the VELAN's pending pause once nothing it forwarded is out. */
export function maybeCompletePause(velan: VELAN): void {
  if (!velan.PausePending || velan.SendsOutstanding > 0 || velan.ReceivesOutstanding > 0) return;
  velan.PausePending = false;
  velan.State = "paused";
  NdisMPauseComplete(velan.MiniportAdapterHandle as NDIS_HANDLE);
}

/** Completes the lower binding's pending NetEventPause once its sends are back. */
function maybeCompleteBindingPause(adapt: ADAPT): void {
  const pending = adapt.PendingPause;
  if (pending === null || adapt.SendsOutstanding > 0) return;
  adapt.PendingPause = null;
  NdisCompleteNetPnPEvent(adapt.BindingHandle as NDIS_HANDLE, pending, NDIS_STATUS_SUCCESS);
}

// ---- send -----------------------------------------------------------------------------------

function countCast(velan: VELAN, dst: Uint8Array | null, out: boolean): void {
  const c = velan.Counters;
  if (dst === null || !ETH_IS_MULTICAST(dst)) {
    if (out) c.outUcast++;
    else c.inUcast++;
  } else if (dst.length >= ETH_LENGTH_OF_ADDRESS && ETH_IS_BROADCAST(dst)) {
    if (out) c.outBcast++;
    else c.inBcast++;
  } else if (out) c.outMcast++;
  else c.inMcast++;
}

/** Checks every frame of an NBL a VELAN sends: a whole header, room for the tag, not tagged. */
function checkFrames(nbl: NET_BUFFER_LIST, tagged: boolean, scratch: Uint8Array): NDIS_STATUS {
  if (nbl.FirstNetBuffer === null) return NDIS_STATUS_INVALID_PACKET;
  const max = tagged ? MAX_FRAME_LENGTH - VLAN_TAG_LENGTH : MAX_FRAME_LENGTH;
  for (let nb: NET_BUFFER | null = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.DataLength < ETHERNET_HEADER_LENGTH || nb.DataLength > max)
      return NDIS_STATUS_INVALID_LENGTH;
    const header = NdisGetDataBuffer(nb, ETHERNET_HEADER_LENGTH, scratch, 1, 0);
    if (header === null) return NDIS_STATUS_INVALID_PACKET;
    // A VELAN's protocols send untagged frames; the VLAN is the VELAN's to add.
    if (header[12] === ETHERTYPE_VLAN >>> 8 && header[13] === (ETHERTYPE_VLAN & 0xff))
      return NDIS_STATUS_INVALID_PACKET;
  }
  return NDIS_STATUS_SUCCESS;
}

/** Tags every NET_BUFFER of the NBL; on a failure the ones done are untagged again. */
function tagAll(nbl: NET_BUFFER_LIST, tci: number, scratch: Uint8Array): NDIS_STATUS {
  for (let nb: NET_BUFFER | null = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const status = insertTag(nb, tci, scratch);
    if (status !== NDIS_STATUS_SUCCESS) {
      for (let done = nbl.FirstNetBuffer; done !== null && done !== nb; done = done.Next)
        removeTag(done, scratch);
      return status;
    }
  }
  return NDIS_STATUS_SUCCESS;
}

/**
 * MiniportSendNetBufferLists (≤ DISPATCH_LEVEL): tag and send down the binding. Refused NBLs —
 * VELAN or binding not running (PAUSED), malformed frames (INVALID_LENGTH / INVALID_PACKET), a
 * read-only NBL that needs a tag (NOT_SUPPORTED), no context or MDL (RESOURCES) — complete at
 * once and count in sendFailures.
 */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  PortNumber,
  SendFlags,
) => {
  const velan = MiniportAdapterContext as VELAN;
  const adapt = velan.Adapt;
  const binding = adapt.BindingHandle;
  const scratch = adapt.TxScratch;
  const tagged = adapt.UntaggedVelanName !== velan.InstanceName;
  let sendFirst: NET_BUFFER_LIST | null = null;
  let sendLast: NET_BUFFER_LIST | null = null;
  let failFirst: NET_BUFFER_LIST | null = null;
  let failLast: NET_BUFFER_LIST | null = null;
  let count = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    let status: NDIS_STATUS = NDIS_STATUS_SUCCESS;
    if (binding === undefined || velan.State !== "running" || adapt.BindingState !== "running")
      status = NDIS_STATUS_PAUSED;
    else if (adapt.ResetInProgress) status = NDIS_STATUS_RESET_IN_PROGRESS;
    else if (tagged && (nbl.NblFlags & NDIS_NBL_FLAGS_SEND_READ_ONLY) !== 0)
      status = NDIS_STATUS_NOT_SUPPORTED;
    else status = checkFrames(nbl, tagged, scratch);
    if (status === NDIS_STATUS_SUCCESS && !stamp(nbl, binding as NDIS_HANDLE, velan, tagged))
      status = NDIS_STATUS_RESOURCES;
    if (status === NDIS_STATUS_SUCCESS && tagged) {
      tagInfo.Value = nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo];
      status = tagAll(nbl, (tagInfo.TagHeader.UserPriority << 13) | velan.VlanId, scratch);
      if (status !== NDIS_STATUS_SUCCESS) unstamp(nbl);
    }
    if (status === NDIS_STATUS_SUCCESS) {
      if (sendLast === null) sendFirst = nbl;
      else sendLast.Next = nbl;
      sendLast = nbl;
      count++;
    } else {
      nbl.Status = status;
      velan.Counters.sendFailures++;
      if (failLast === null) failFirst = nbl;
      else failLast.Next = nbl;
      failLast = nbl;
    }
    nbl = next;
  }
  if (failFirst !== null) {
    const atDispatch = (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0;
    NdisMSendNetBufferListsComplete(
      velan.MiniportAdapterHandle as NDIS_HANDLE,
      failFirst,
      atDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0,
    );
  }
  if (sendFirst !== null) {
    velan.SendsOutstanding += count;
    adapt.SendsOutstanding += count;
    // As MUX: loopback is NDIS's business above the VELAN, not the lower adapter's.
    NdisSendNetBufferLists(
      binding as NDIS_HANDLE,
      sendFirst,
      PortNumber,
      SendFlags & ~NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
    );
  }
};

/**
 * ProtocolSendNetBufferListsComplete (≤ DISPATCH_LEVEL): untag, restore SourceHandle, count, and
 * complete each NBL on the VELAN it came from (one chain may hold several VELANs' NBLs).
 */
export const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = (
  ProtocolBindingContext,
  NetBufferList,
  SendCompleteFlags,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const scratch = adapt.TxScratch;
  const byVelan = new Map<VELAN, { first: NET_BUFFER_LIST; last: NET_BUFFER_LIST; n: number }>();
  let total = 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    const { velan, tagged } = unstamp(nbl);
    const c = velan.Counters;
    for (let nb: NET_BUFFER | null = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      if (tagged) removeTag(nb, scratch);
      if (nbl.Status !== NDIS_STATUS_SUCCESS) continue;
      if (tagged) c.taggedSent++;
      else c.untaggedSent++;
      c.bytesSent += nb.DataLength;
      countCast(velan, NdisGetDataBuffer(nb, 6, scratch, 1, 0), true);
    }
    if (nbl.Status !== NDIS_STATUS_SUCCESS) c.sendFailures++;
    const group = byVelan.get(velan);
    if (group === undefined) byVelan.set(velan, { first: nbl, last: nbl, n: 1 });
    else {
      group.last.Next = nbl;
      group.last = nbl;
      group.n++;
    }
    total++;
    nbl = next;
  }
  for (const [velan, group] of byVelan) {
    NdisMSendNetBufferListsComplete(
      velan.MiniportAdapterHandle as NDIS_HANDLE,
      group.first,
      SendCompleteFlags,
    );
    velan.SendsOutstanding -= group.n;
    maybeCompletePause(velan);
  }
  adapt.SendsOutstanding -= total;
  maybeCompleteBindingPause(adapt);
};

// ---- receive --------------------------------------------------------------------------------

/** The VELAN's own packet filter and multicast list decide what it takes. */
function accepts(velan: VELAN, frame: Uint8Array): boolean {
  const f = velan.PacketFilter;
  if ((f & (NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL)) !== 0) return true;
  if (!ETH_IS_MULTICAST(frame)) {
    if ((f & NDIS_PACKET_TYPE_DIRECTED) === 0) return false;
    ETH_COMPARE_NETWORK_ADDRESSES_EQ(frame, velan.Mac, compared);
    return compared.value === 0;
  }
  if (ETH_IS_BROADCAST(frame)) return (f & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  if ((f & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0) return true;
  if ((f & NDIS_PACKET_TYPE_MULTICAST) === 0) return false;
  for (const m of velan.MulticastList) {
    ETH_COMPARE_NETWORK_ADDRESSES_EQ(frame, m, compared);
    if (compared.value === 0) return true;
  }
  return false;
}

/**
 * The VELAN a tagged frame's VLAN id names, or the binding's untagged VELAN (vid null); null when
 * none is started. Looked up under the binding's read lock, as MUX does.
 */
function findVelan(adapt: ADAPT, vid: number | null): VELAN | null {
  const lockState = adapt.RxLockState;
  NdisAcquireReadWriteLock(adapt.ReadWriteLock, false, lockState);
  let found: VELAN | null = null;
  if (vid === null) {
    const v = untaggedVelan(adapt);
    if (v !== null && v.MiniportAdapterHandle !== null) found = v;
  } else {
    for (const v of adapt.Velans) {
      if (v.VlanId === vid && v.MiniportAdapterHandle !== null) {
        found = v;
        break;
      }
    }
  }
  NdisReleaseReadWriteLock(adapt.ReadWriteLock, lockState);
  return found;
}

/** Where one received frame goes: its VELAN and whether it was tagged; null when dropped. */
function dispatch(
  adapt: ADAPT,
  frame: Uint8Array,
): { velan: VELAN; tagged: boolean; tci: number } | null {
  const c = adapt.Counters;
  const isTagged = frame[12] === ETHERTYPE_VLAN >>> 8 && frame[13] === (ETHERTYPE_VLAN & 0xff);
  if (isTagged && frame.length < ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH) {
    c.malformedDrops++;
    return null;
  }
  const tci = isTagged ? ((frame[14] as number) << 8) | (frame[15] as number) : 0;
  const vid = tci & 0x0fff;
  if (isTagged && vid !== 0) {
    const velan = findVelan(adapt, vid);
    if (velan === null) {
      c.unknownVlanDrops++;
      return null;
    }
    return { velan, tagged: true, tci };
  }
  const velan = findVelan(adapt, null);
  if (velan === null) {
    c.untaggedDrops++;
    return null;
  }
  return { velan, tagged: isTagged, tci };
}

/**
 * ProtocolReceiveNetBufferLists (≤ DISPATCH_LEVEL): dispatch every frame, copy the ones a VELAN
 * takes into its pool and indicate them up, VELAN by VELAN; the lower NBLs go straight back.
 */
export const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = (
  ProtocolBindingContext,
  NetBufferLists,
  _PortNumber,
  _NumberOfNetBufferLists,
  ReceiveFlags,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const atDispatch = (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0;
  const up = new Map<VELAN, { first: NET_BUFFER_LIST; last: NET_BUFFER_LIST; n: number }>();
  for (let lower: NET_BUFFER_LIST | null = NetBufferLists; lower !== null; lower = lower.Next) {
    for (let nb: NET_BUFFER | null = lower.FirstNetBuffer; nb !== null; nb = nb.Next) {
      const length = nb.DataLength;
      if (length < ETHERNET_HEADER_LENGTH || length > MAX_TAGGED_FRAME_LENGTH) {
        adapt.Counters.malformedDrops++;
        continue;
      }
      const frame = NdisGetDataBuffer(nb, length, adapt.RxScratch, 1, 0);
      if (frame === null) {
        adapt.Counters.malformedDrops++;
        continue;
      }
      const to = dispatch(adapt, frame);
      if (to === null) continue;
      const velan = to.velan;
      const c = velan.Counters;
      if (!accepts(velan, frame)) {
        c.framesFiltered++;
        continue;
      }
      const outLength = to.tagged ? length - VLAN_TAG_LENGTH : length;
      const pool = velan.RecvPool;
      if (velan.State !== "running" || pool === null || outLength > MAX_FRAME_LENGTH) {
        c.receiveDiscards++;
        continue;
      }
      const nbl = NdisAllocateNetBufferList(pool, 0, 0);
      const out = nbl?.FirstNetBuffer ?? null;
      const mdl = out?.MdlChain ?? null;
      if (nbl === null || out === null || mdl === null) {
        if (nbl !== null) NdisFreeNetBufferList(nbl);
        c.receiveDiscards++;
        continue;
      }
      const buffer = mdl.MappedSystemVa;
      const at = out.DataOffset;
      buffer.set(frame.subarray(0, 12), at);
      buffer.set(frame.subarray(to.tagged ? 16 : 12, length), at + 12);
      out.DataLength = outLength;
      nbl.SourceHandle = velan.MiniportAdapterHandle;
      if (to.tagged) {
        tagInfo.Value = 0;
        tagInfo.TagHeader.UserPriority = to.tci >>> 13;
        tagInfo.TagHeader.VlanId = to.tci & 0x0fff;
        nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo] = tagInfo.Value;
      } else nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo] = undefined;
      if (to.tagged) c.taggedReceived++;
      else c.untaggedReceived++;
      c.bytesReceived += outLength;
      countCast(velan, frame, false);
      const group = up.get(velan);
      if (group === undefined) up.set(velan, { first: nbl, last: nbl, n: 1 });
      else {
        group.last.Next = nbl;
        group.last = nbl;
        group.n++;
      }
    }
  }
  for (const [velan, group] of up) {
    velan.ReceivesOutstanding += group.n;
    NdisMIndicateReceiveNetBufferLists(
      velan.MiniportAdapterHandle as NDIS_HANDLE,
      group.first,
      0,
      group.n,
      atDispatch ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0,
    );
  }
  if ((ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) {
    NdisReturnNetBufferLists(
      adapt.BindingHandle as NDIS_HANDLE,
      NetBufferLists,
      atDispatch ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0,
    );
  }
};

/** MiniportReturnNetBufferLists: the copies go back to the VELAN's pool. */
export const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
) => {
  const velan = MiniportAdapterContext as VELAN;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo] = undefined;
    NdisFreeNetBufferList(nbl);
    velan.ReceivesOutstanding--;
    nbl = next;
  }
  maybeCompletePause(velan);
};

/**
 * MiniportCancelSend: vlan-mux holds no sends; the cancel goes down the binding and what the
 * miniport aborts comes back through the usual completion.
 */
export const MPCancelSend: MINIPORT_CANCEL_SEND = (MiniportAdapterContext, CancelId) => {
  const binding = (MiniportAdapterContext as VELAN).Adapt.BindingHandle;
  if (binding !== undefined) NdisCancelSendNetBufferLists(binding, CancelId);
};
