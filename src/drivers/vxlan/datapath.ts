/**
 * VXLAN miniport, data path (RFC 7348).
 *
 * Send: each NET_BUFFER becomes one UDP datagram to RemoteAddress:RemotePort — the adapter's
 * 8-byte VXLAN header (flags 0x08, the VNI) followed by the frame, handed to the socket straight
 * from the NET_BUFFER's MDLs (no copy: the NBL is ours until we complete it, and we complete it
 * only when the socket says every datagram of it went out or failed). The adapter asks for 8
 * bytes of DataBackFillSize: a NET_BUFFER with that room in front of its data, in its current MDL,
 * is retreated over it (NdisRetreatNetBufferDataStart), gets the header there and leaves as one
 * buffer, and is advanced back before its NBL completes; one without the room goes as the header
 * and views of its MDLs.
 *
 * Receive: a datagram is checked (source address, length, I flag, VNI, inner size, 802.1Q tag,
 * packet filter), copied into an NBL of the adapter's receive pool and indicated up; the NBL comes
 * back in MiniportReturnNetBufferLists and goes back to the pool. Anything wrong is counted under
 * its reason and dropped, never thrown.
 *
 * Interrupt moderation (on unless `*InterruptModeration` is 0 or OID_GEN_INTERRUPT_MODERATION
 * turned it off), as src/drivers/shared/ethernet-miniport.ts does it: here the socket's wakeup is
 * the interrupt — libuv reads every datagram the socket holds (up to 32) one after the other —
 * and a `setImmediate` after it is the DPC. A frame waits no longer than the rest of its wakeup.
 * MiniportPause drops a waiting batch (a paused miniport indicates nothing), counted as
 * notRunning.
 *
 * [MODEL] Socket events arrive outside any NDIS call, as interrupts do on Windows; the driver's
 * DDI calls from them (indications, completions) run at PASSIVE_LEVEL with no handler frame.
 */
import type { RemoteInfo } from "node:dgram";
import {
  type MDL,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SUCCESS,
  NdisAdvanceNetBufferDataStart,
  NdisMSendNetBufferListsComplete,
  NdisRetreatNetBufferDataStart,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
} from "../../ddi.js";
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_VLAN } from "../../net/ethernet.js";
import { VXLAN_FLAG_I, VXLAN_HEADER_LENGTH } from "../../net/vxlan.js";
import {
  countSent,
  type FrameKind,
  indicateFrame,
  kindOf,
  maybeCompletePause,
  UNICAST,
} from "../shared/ethernet-miniport.js";
import type { Adapter, DropReason } from "./adapter.js";

/**
 * The VXLAN header of an adapter: flags 0x08, 24 reserved bits, the VNI, 8 reserved bits. Built
 * once per adapter and sent in front of every frame (`buildVxlan` of src/net would copy each
 * frame; the receive path reads the header in place for the same reason).
 */
export function vxlanHeader(vni: number): Buffer {
  const header = Buffer.alloc(VXLAN_HEADER_LENGTH);
  header[0] = VXLAN_FLAG_I;
  header[4] = (vni >>> 16) & 0xff;
  header[5] = (vni >>> 8) & 0xff;
  header[6] = vni & 0xff;
  return header;
}

// ---------------------------------------------------------------------------------------- send

/** MiniportReserved slots of an NBL in our hands. */
const PENDING = 0;
const STATUS = 1;
/** NET_BUFFER MiniportReserved slot: true while its data start is retreated over our header. */
const RETREATED = 0;

/**
 * The datagram for one NET_BUFFER, as one buffer when the header fits in the room in front of
 * its data (the NET_BUFFER is then retreated over it and marked RETREATED), else the header then
 * views of its used data in each MDL (no copy). Null when the MDL chain holds less than
 * DataLength bytes.
 */
function datagramOf(a: Adapter, nb: NET_BUFFER): Buffer | Buffer[] | null {
  const mdl = nb.CurrentMdl;
  const offset = nb.CurrentMdlOffset;
  if (
    mdl !== null &&
    offset >= VXLAN_HEADER_LENGTH &&
    mdl.ByteCount - offset >= nb.DataLength &&
    NdisRetreatNetBufferDataStart(nb, VXLAN_HEADER_LENGTH, 0, null) === NDIS_STATUS_SUCCESS
  ) {
    // The retreat stayed in this MDL (there was room before the data in it).
    nb.MiniportReserved[RETREATED] = true;
    const va = mdl.MappedSystemVa;
    const start = offset - VXLAN_HEADER_LENGTH;
    va.set(a.Header, start);
    return Buffer.from(va.buffer, va.byteOffset + start, nb.DataLength);
  }
  return datagramParts(a, nb);
}

/** The header, then views of the NET_BUFFER's used data in each MDL; null when too short. */
function datagramParts(a: Adapter, nb: NET_BUFFER): Buffer[] | null {
  const parts: Buffer[] = [a.Header];
  let left = nb.DataLength;
  let offset = nb.CurrentMdlOffset;
  for (let mdl: MDL | null = nb.CurrentMdl; mdl !== null && left > 0; mdl = mdl.Next) {
    const take = Math.min(left, mdl.ByteCount - offset);
    if (take > 0) {
      const va = mdl.MappedSystemVa;
      parts.push(Buffer.from(va.buffer, va.byteOffset + offset, take));
      left -= take;
    }
    offset = 0;
  }
  return left === 0 ? parts : null;
}

/** Completes one NBL we own, with `status` (each NET_BUFFER advanced back over our header). */
function completeOne(a: Adapter, nbl: NET_BUFFER_LIST, status: NDIS_STATUS, flags: number): void {
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.MiniportReserved[RETREATED] !== true) continue;
    nb.MiniportReserved[RETREATED] = null;
    NdisAdvanceNetBufferDataStart(nb, VXLAN_HEADER_LENGTH, false, null);
  }
  nbl.Next = null;
  nbl.Status = status;
  nbl.MiniportReserved[PENDING] = null;
  nbl.MiniportReserved[STATUS] = null;
  NdisMSendNetBufferListsComplete(a.MiniportAdapterHandle, nbl, flags);
}

/** The socket finished one datagram of `nbl`. */
function datagramDone(
  a: Adapter,
  nbl: NET_BUFFER_LIST,
  kind: FrameKind,
  bytes: number,
  error: Error | null,
): void {
  if (error === null) countSent(a.Counters, kind, bytes);
  else {
    a.Counters.sendErrors++;
    nbl.MiniportReserved[STATUS] = NDIS_STATUS_FAILURE;
  }
  const pending = (nbl.MiniportReserved[PENDING] as number) - 1;
  nbl.MiniportReserved[PENDING] = pending;
  if (pending > 0) return;
  const status = nbl.MiniportReserved[STATUS] as NDIS_STATUS;
  a.SendsOutstanding--;
  completeOne(a, nbl, status, 0);
  maybeCompletePause(a);
}

/** Hands every NET_BUFFER of `nbl` to the socket; the last callback completes the NBL. */
function transmit(a: Adapter, nbl: NET_BUFFER_LIST): NDIS_STATUS | null {
  const socket = a.Socket;
  if (socket === null || !a.LinkUp) return NDIS_STATUS_MEDIA_DISCONNECTED;
  let count = 0;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.DataLength < ETHERNET_HEADER_LENGTH || nb.DataLength > a.MaxFrameSize)
      return NDIS_STATUS_INVALID_LENGTH;
    count++;
  }
  if (count === 0) return NDIS_STATUS_INVALID_LENGTH;
  nbl.MiniportReserved[PENDING] = count;
  nbl.MiniportReserved[STATUS] = NDIS_STATUS_SUCCESS;
  a.SendsOutstanding++;
  const { RemotePort, RemoteAddress } = a.Config;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const bytes = nb.DataLength;
    const parts = datagramOf(a, nb);
    let kind = UNICAST;
    if (Array.isArray(parts)) {
      const first = parts[1];
      if (first !== undefined) kind = kindOf(first[0] as number, first, 0);
    } else if (parts !== null)
      kind = kindOf(parts[VXLAN_HEADER_LENGTH] as number, parts, VXLAN_HEADER_LENGTH);
    if (parts === null) {
      datagramLater(a, nbl, kind, bytes, new Error("MDL chain shorter than DataLength"));
      continue;
    }
    try {
      socket.send(parts, RemotePort, RemoteAddress, (error) =>
        datagramDone(a, nbl, kind, bytes, error ?? null),
      );
    } catch (thrown) {
      datagramLater(
        a,
        nbl,
        kind,
        bytes,
        thrown instanceof Error ? thrown : new Error(String(thrown)),
      );
    }
  }
  return null;
}

/** A datagram that failed before the socket took it: finished after this call unwinds. */
function datagramLater(
  a: Adapter,
  nbl: NET_BUFFER_LIST,
  kind: FrameKind,
  bytes: number,
  error: Error,
): void {
  process.nextTick(datagramDone, a, nbl, kind, bytes, error);
}

/**
 * MiniportSendNetBufferLists (≤ DISPATCH_LEVEL). Paused or pausing: every NBL completes at once
 * with NDIS_STATUS_PAUSED. Link down: NDIS_STATUS_MEDIA_DISCONNECTED. A frame shorter than an
 * Ethernet header or longer than MTU + 18: NDIS_STATUS_INVALID_LENGTH. Otherwise each NBL
 * completes when the socket is done with all its datagrams: SUCCESS, or FAILURE if any failed.
 */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  _PortNumber,
  SendFlags,
) => {
  const a = MiniportAdapterContext as Adapter;
  const flags =
    (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
      : 0;
  let nbl: NET_BUFFER_LIST | null = NetBufferList;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    const refused = a.Running ? transmit(a, nbl) : NDIS_STATUS_PAUSED;
    if (refused !== null) {
      a.Counters.sendDiscards++;
      completeOne(a, nbl, refused, flags);
    }
    nbl = next;
  }
};

/** MiniportCancelSend: nothing waits in a queue here — every NBL is at the socket already. */
export const MPCancelSend: MINIPORT_CANCEL_SEND = () => {};

// ------------------------------------------------------------------------------------- receive

/**
 * A datagram arrived on the adapter's socket. RFC 7348 §5: the I flag must be set; the other
 * flag bits and the reserved fields "MUST be set to zero on transmission and ignored on receipt",
 * so a datagram with reserved bits set is accepted (and counted as reservedBitsIgnored), not
 * dropped.
 */
export function onDatagram(a: Adapter, msg: Buffer, rinfo: RemoteInfo): void {
  a.Counters.datagramsReceived++;
  if (!a.Live) return;
  const reason = receive(a, msg, rinfo);
  if (reason !== null) a.Drops[reason]++;
}

/** Checks a datagram and indicates its frame up; the reason it was dropped, or null. */
function receive(a: Adapter, msg: Buffer, rinfo: RemoteInfo): DropReason | null {
  if (rinfo.address !== a.Config.RemoteAddress) return "unexpectedSource";
  const length = msg.length;
  if (length < VXLAN_HEADER_LENGTH + ETHERNET_HEADER_LENGTH) return "truncated";
  const flags = msg[0] as number;
  if ((flags & VXLAN_FLAG_I) === 0) return "missingIFlag";
  const vni = ((msg[4] as number) << 16) | ((msg[5] as number) << 8) | (msg[6] as number);
  if (vni !== a.Config.VNI) return "vniMismatch";
  if (
    (flags & ~VXLAN_FLAG_I) !== 0 ||
    (msg[1] as number) !== 0 ||
    (msg[2] as number) !== 0 ||
    (msg[3] as number) !== 0 ||
    (msg[7] as number) !== 0
  )
    a.Counters.reservedBitsIgnored++;
  const frameLength = length - VXLAN_HEADER_LENGTH;
  if (frameLength > a.MaxFrameSize) return "oversized";
  const etherType = ((msg[20] as number) << 8) | (msg[21] as number);
  if (etherType === ETHERTYPE_VLAN && !a.Config.AcceptInnerVlan) return "innerVlan";
  return indicateFrame(a, msg, VXLAN_HEADER_LENGTH, frameLength);
}
