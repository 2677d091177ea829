/**
 * tap miniport, data path. A macvtap device moves whole Ethernet frames, each behind a 10-byte
 * virtio_net_hdr (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset; little-endian on
 * this machine), one frame per read or write.
 *
 * Send: each NET_BUFFER is one write — the header, all zero (no checksum to finish, no
 * segmentation: the frames NDIS sends carry complete checksums), then the frame. The adapter asks
 * for 10 bytes of DataBackFillSize: a NET_BUFFER with that room in front of its data, in its
 * current MDL, is retreated over it (NdisRetreatNetBufferDataStart), gets the header there and
 * goes out in one write(2), and is advanced back before its NBL completes; one without the room
 * goes out in one writev(2) of the header and views of its MDLs. The write returns once the
 * kernel has the frame, so every NBL of a MiniportSendNetBufferLists call is done when the call
 * has written them all: the chain is completed then, in one NdisMSendNetBufferListsComplete from
 * within MiniportSendNetBufferLists.
 *
 * Receive: a frame is checked (length, gso_type, the checksum request, size), its checksum
 * finished when Linux asked for that (VIRTIO_NET_HDR_F_NEEDS_CSUM: Linux's own UDP and TCP leave
 * the checksum to "hardware", and macvtap's defaults pass that on), then handed to the shared
 * Ethernet receive path (packet filter, receive NBL, interrupt moderation). Anything wrong is
 * counted under its reason and dropped, never thrown.
 *
 * [MODEL] Device events arrive outside any NDIS call, as interrupts do on Windows; the driver's
 * DDI calls from them (indications, completions) run at PASSIVE_LEVEL with no handler frame.
 */
import { readSync, writeSync, writevSync } from "node:fs";
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
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisAdvanceNetBufferDataStart,
  NdisMSendNetBufferListsComplete,
  NdisRetreatNetBufferDataStart,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
} from "../../ddi.js";
import { ETHERNET_HEADER_LENGTH } from "../../net/ethernet.js";
import {
  batchDue,
  countSent,
  indicateFrame,
  indicateReceiveNbl,
  kindOf,
  maybeCompletePause,
  takeReceiveNbl,
} from "../shared/ethernet-miniport.js";
import type { Adapter, DropReason } from "./adapter.js";

/** sizeof(struct virtio_net_hdr): what macvtap puts in front of every frame by default. */
export const VNET_HEADER_LENGTH = 10;
/** virtio_net_hdr.flags: the checksum from csum_start, stored at csum_start + csum_offset, is to be done. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** virtio_net_hdr.gso_type: not a segmentation-offload frame. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;

const ZERO_HEADER = Buffer.alloc(VNET_HEADER_LENGTH);

// ---------------------------------------------------------------------------------------- send

/** NET_BUFFER MiniportReserved slot: true while its data start is retreated over our header. */
const RETREATED = 0;

/**
 * Writes one NET_BUFFER's frame: in one buffer when the header fits in the room in front of its
 * data (the NET_BUFFER is then retreated and marked RETREATED), else as the header and views of
 * its MDLs. Returns the status for the NBL.
 */
function writeFrame(a: Adapter, nb: NET_BUFFER): NDIS_STATUS {
  const mdl = nb.CurrentMdl;
  const offset = nb.CurrentMdlOffset;
  let first: number;
  try {
    if (
      mdl !== null &&
      offset >= VNET_HEADER_LENGTH &&
      mdl.ByteCount - offset >= nb.DataLength &&
      NdisRetreatNetBufferDataStart(nb, VNET_HEADER_LENGTH, 0, null) === NDIS_STATUS_SUCCESS
    ) {
      nb.MiniportReserved[RETREATED] = true;
      const va = mdl.MappedSystemVa;
      const start = offset - VNET_HEADER_LENGTH;
      // All zero: no checksum to finish, no segmentation (ten stores cost less than a fill call).
      for (let i = start; i < offset; i++) va[i] = 0;
      first = va[offset] as number;
      writeSync(a.Fd, va, start, nb.DataLength);
      countSent(a.Counters, kindOf(first, va, offset), nb.DataLength - VNET_HEADER_LENGTH);
      return NDIS_STATUS_SUCCESS;
    }
    const parts: Uint8Array[] = [ZERO_HEADER];
    let left = nb.DataLength;
    let at = offset;
    for (let m: MDL | null = mdl; m !== null && left > 0; m = m.Next) {
      const take = Math.min(left, m.ByteCount - at);
      if (take > 0) {
        parts.push(m.MappedSystemVa.subarray(at, at + take));
        left -= take;
      }
      at = 0;
    }
    if (left !== 0) {
      a.Counters.sendErrors++;
      return NDIS_STATUS_FAILURE;
    }
    const head = parts[1] as Uint8Array;
    first = head[0] as number;
    writevSync(a.Fd, parts);
    countSent(a.Counters, kindOf(first, head, 0), nb.DataLength);
    return NDIS_STATUS_SUCCESS;
  } catch (error) {
    a.Counters.sendErrors++;
    // EAGAIN: the device's send buffer is full; anything else: the device failed the write.
    return (error as NodeJS.ErrnoException).code === "EAGAIN"
      ? NDIS_STATUS_RESOURCES
      : NDIS_STATUS_FAILURE;
  }
}

/** Sets an NBL's completion status, each NET_BUFFER advanced back over our header. */
function finish(nbl: NET_BUFFER_LIST, status: NDIS_STATUS): void {
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.MiniportReserved[RETREATED] !== true) continue;
    nb.MiniportReserved[RETREATED] = null;
    NdisAdvanceNetBufferDataStart(nb, VNET_HEADER_LENGTH, false, null);
  }
  nbl.Status = status;
}

/** The status for one NBL: refused as a whole, or each NET_BUFFER written. */
function transmit(a: Adapter, nbl: NET_BUFFER_LIST): NDIS_STATUS {
  if (!a.Running) return NDIS_STATUS_PAUSED;
  if (a.Stream === null || !a.LinkUp) return NDIS_STATUS_MEDIA_DISCONNECTED;
  let count = 0;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    if (nb.DataLength < ETHERNET_HEADER_LENGTH || nb.DataLength > a.MaxFrameSize)
      return NDIS_STATUS_INVALID_LENGTH;
    count++;
  }
  if (count === 0) return NDIS_STATUS_INVALID_LENGTH;
  let status = NDIS_STATUS_SUCCESS;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
    const written = writeFrame(a, nb);
    if (written !== NDIS_STATUS_SUCCESS) status = written;
  }
  return status;
}

/** Writes a chain's NBLs from `from` on, sets their status and completes the chain in one call. */
function sendChain(a: Adapter, head: NET_BUFFER_LIST, from: NET_BUFFER_LIST, flags: number): void {
  for (let nbl: NET_BUFFER_LIST | null = from; nbl !== null; nbl = nbl.Next) sendOne(a, nbl);
  NdisMSendNetBufferListsComplete(a.MiniportAdapterHandle, head, flags);
}

/** Writes one NBL's frames (or refuses it) and sets its completion status. */
function sendOne(a: Adapter, nbl: NET_BUFFER_LIST): void {
  const status = transmit(a, nbl);
  if (
    status === NDIS_STATUS_PAUSED ||
    status === NDIS_STATUS_MEDIA_DISCONNECTED ||
    status === NDIS_STATUS_INVALID_LENGTH
  )
    a.Counters.sendDiscards++;
  finish(nbl, status);
}

/**
 * MiniportSendNetBufferLists (≤ DISPATCH_LEVEL). Each NBL completes once its frames are written:
 * SUCCESS, or the failure of one of them (NDIS_STATUS_FAILURE, NDIS_STATUS_RESOURCES when the
 * device's send buffer is full). Without writing: NDIS_STATUS_PAUSED while pausing or paused,
 * NDIS_STATUS_MEDIA_DISCONNECTED while the link is down or gone, NDIS_STATUS_INVALID_LENGTH for
 * a frame shorter than 14 bytes or longer than MTU + 18.
 *
 * A chain sent while a wakeup's drain goes on (the stack answering what the drain indicated,
 * with InterleaveSends) is written one NBL after each further read of the drain and completed,
 * in one call, once its last NBL is written — all before the wakeup's handler returns (see
 * onRead). Any other chain is written at once and completed from within this call.
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
  if (a.Deferring) {
    a.SendsOutstanding++;
    a.Deferred.push({ head: NetBufferList, completeFlags: flags });
    return;
  }
  // Every write has returned by the end of the chain: the chain completes as it came, in one call.
  sendChain(a, NetBufferList, NetBufferList, flags);
};

/**
 * Writes the next waiting NBL of the wakeup's sends (see MPSendNetBufferLists); a chain whose
 * last NBL that was is completed.
 */
function writeNextDeferred(a: Adapter): void {
  const first = a.Deferred[0];
  if (first === undefined) return;
  const nbl = a.DeferredNext ?? first.head;
  sendOne(a, nbl);
  a.DeferredNext = nbl.Next;
  if (nbl.Next !== null) return;
  a.Deferred.shift();
  a.SendsOutstanding--;
  NdisMSendNetBufferListsComplete(a.MiniportAdapterHandle, first.head, first.completeFlags);
}

/**
 * Writes and completes every send still waiting at the end of a wakeup, in the order they were
 * sent: one sent from a completion meanwhile waits behind those before it.
 */
function writeAllDeferred(a: Adapter): void {
  try {
    for (let d = a.Deferred.shift(); d !== undefined; d = a.Deferred.shift()) {
      const from = a.DeferredNext ?? d.head;
      a.DeferredNext = null;
      a.SendsOutstanding--;
      sendChain(a, d.head, from, d.completeFlags);
    }
  } finally {
    a.Deferring = false;
  }
  if (a.PausePending) maybeCompletePause(a);
}

/** MiniportCancelSend: nothing waits in a queue here — every NBL is written at once. */
export const MPCancelSend: MINIPORT_CANCEL_SEND = () => {};

// ------------------------------------------------------------------------------------- receive

/**
 * Finishes the checksum Linux left to the device: the one's-complement sum of the frame from
 * `start` (the checksum field holds the pseudo-header sum), stored at `start + offset`; a result
 * of 0 is sent as 0xFFFF, as Linux does. `frame` starts at `base` in `b`, `length` bytes long.
 */
function completeChecksum(
  b: Uint8Array,
  base: number,
  length: number,
  start: number,
  offset: number,
): void {
  let sum = 0;
  const end = base + length;
  let i = base + start;
  for (; i + 1 < end; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (i < end) sum += (b[i] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff || 0xffff;
  const at = base + start + offset;
  b[at] = check >>> 8;
  b[at + 1] = check & 0xff;
}

/**
 * Checks one read: `read` bytes at the start of `b`, the header and the frame. A frame longer than
 * the buffer comes cut to it (macvtap copies what fits and returns that much), so buffers are one
 * byte longer than the longest frame: a read that fills one is oversized. The checksum Linux left
 * to the device is finished in place. The drop reason, or null.
 */
function check(a: Adapter, b: Uint8Array, read: number): DropReason | null {
  const length = read - VNET_HEADER_LENGTH;
  if (length < ETHERNET_HEADER_LENGTH) return "truncated";
  if ((b[1] as number) !== VIRTIO_NET_HDR_GSO_NONE) return "gso";
  if (length > a.MaxFrameSize) return "oversized";
  if (((b[0] as number) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    const start = (b[6] as number) | ((b[7] as number) << 8);
    const offset = (b[8] as number) | ((b[9] as number) << 8);
    if (start < ETHERNET_HEADER_LENGTH || start + offset + 2 > length) return "badChecksumOffset";
    completeChecksum(b, VNET_HEADER_LENGTH, length, start, offset);
    a.Counters.checksumsCompleted++;
  }
  return null;
}

/** One read (`read` bytes of `b`: header and frame) checked and indicated by copy; the drop reason, or null. */
function receive(a: Adapter, b: Uint8Array, read: number): DropReason | null {
  a.Counters.framesRead++;
  return (
    check(a, b, read) ?? indicateFrame(a, b, VNET_HEADER_LENGTH, read - VNET_HEADER_LENGTH, false)
  );
}

/**
 * Reads one frame straight into a receive NBL (its data starts VNET_HEADER_LENGTH bytes into the
 * buffer: the header lands in front) and indicates it, no copy; an NBL that brought no frame up
 * goes back to ReceiveFree. Without a free NBL, the frame is read into the adapter's buffer,
 * where `receive` finds none either and counts it. False when the device had nothing more
 * (EAGAIN) — any other read error shows again on the stream's next read.
 */
function readFrame(a: Adapter): boolean {
  const nbl = takeReceiveNbl(a);
  if (nbl === null) {
    const buffer = a.ReadBuffer;
    let read: number;
    try {
      read = readSync(a.Fd, buffer, 0, buffer.length, null);
    } catch {
      return false;
    }
    if (read <= 0) return false;
    const reason = receive(a, buffer, read);
    if (reason !== null) a.Drops[reason]++;
    return true;
  }
  const nb = nbl.FirstNetBuffer as NET_BUFFER;
  const b = (nb.MdlChain as MDL).MappedSystemVa;
  let read: number;
  try {
    read = readSync(a.Fd, b, 0, b.length, null);
  } catch {
    a.ReceiveFree.push(nbl);
    return false;
  }
  if (read <= 0) {
    a.ReceiveFree.push(nbl);
    return false;
  }
  a.Counters.framesRead++;
  let reason = check(a, b, read);
  if (reason === null) {
    nb.DataLength = read - VNET_HEADER_LENGTH;
    reason = indicateReceiveNbl(a, nbl, false);
  }
  if (reason !== null) {
    a.Drops[reason]++;
    a.ReceiveFree.push(nbl);
  }
  return true;
}

/** The most frames one wakeup reads: the one libuv read, and the rest drained here. */
export const MAX_READS_PER_WAKEUP = 32;

/**
 * The device's interrupt: libuv found it readable and read one frame (its stream reads a device
 * once per wakeup, since a frame never fills its 64 KB buffer). The frames that came with it are
 * drained here, as an ISR empties the NIC's ring — read(2) on the non-blocking descriptor until
 * it has none (EAGAIN) or MAX_READS_PER_WAKEUP were read, each straight into a receive NBL (the
 * first, libuv's, is copied into one). The whole wakeup is this one call, so the "DPC" runs at
 * its end: under interrupt moderation the wakeup's frames go up in chains of at most
 * ReceiveChain here — each as soon as it is full, so that the first answers are written while
 * the drain goes on — with no `setImmediate` (which, after a pipe stream's read, delayed a lone
 * ping's answer noticeably while this was developed).
 */
export function onRead(a: Adapter, read: Buffer): void {
  if (!a.Live) return;
  a.Counters.wakeups++;
  const reason = receive(a, read, read.length);
  if (reason !== null) a.Drops[reason]++;
  // After a quiet wakeup (one frame), the first frame goes up before the drain looks for more:
  // finding none costs a failed read (and its EAGAIN error object), which a lone ping's reply
  // need not wait for. After a busy one it waits for the first chain.
  if (!a.Busy && a.ReceiveBatch.NblCount > 0) batchDue(a);
  a.Deferring = a.Config.InterleaveSends;
  let frames = 1;
  try {
    for (; frames < MAX_READS_PER_WAKEUP && a.Stream !== null; frames++) {
      if (!readFrame(a)) break;
      if (a.Deferred.length > 0) writeNextDeferred(a);
      if (a.ReceiveBatch.NblCount >= a.Config.ReceiveChain) batchDue(a);
    }
    if (a.ReceiveBatch.NblCount > 0) batchDue(a);
  } finally {
    writeAllDeferred(a);
  }
  a.Busy = frames > 1;
}
