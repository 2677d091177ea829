/**
 * The NBL chain and queue helpers of Microsoft's NDIS Driver Library (nblchain.h, nblqueue.h),
 * which NDIS developers would otherwise write by hand: an NBL_QUEUE appends in O(1), an
 * NBL_COUNTED_QUEUE also keeps its length. Pure helpers over `NET_BUFFER_LIST.Next`; like the C
 * originals they trust the chain they are given (NDIS itself checks chains it is handed).
 */
import type { NET_BUFFER_LIST } from "./nbl.js";
import type { NDIS_STATUS } from "./status.js";

/** NBL_QUEUE. [MODEL] `Last` is the last NBL (C keeps a pointer to its `Next` field). */
export interface NBL_QUEUE {
  First: NET_BUFFER_LIST | null;
  Last: NET_BUFFER_LIST | null;
}

/** NBL_COUNTED_QUEUE: an NBL_QUEUE and the number of NBLs in it. */
export interface NBL_COUNTED_QUEUE {
  readonly Queue: NBL_QUEUE;
  NblCount: number;
}

/** The last NBL of a non-empty chain. */
export function NdisLastNblInNblChain(chain: NET_BUFFER_LIST): NET_BUFFER_LIST {
  let nbl = chain;
  while (nbl.Next !== null) nbl = nbl.Next;
  return nbl;
}

/** NBLs in a chain (0 for NULL). */
export function NdisNumNblsInNblChain(chain: NET_BUFFER_LIST | null): number {
  let count = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) count++;
  return count;
}

/** NET_BUFFERs in all the NBLs of a chain. */
export function NdisNumNbsInNblChain(chain: NET_BUFFER_LIST | null): number {
  let count = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) {
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) count++;
  }
  return count;
}

/** Sets `Status` on every NBL of a chain (before completing a send, say). */
export function NdisSetStatusInNblChain(chain: NET_BUFFER_LIST | null, status: NDIS_STATUS): void {
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) nbl.Status = status;
}

export function NdisInitializeNblQueue(queue: NBL_QUEUE): void {
  queue.First = null;
  queue.Last = null;
}

/** A new empty NBL_QUEUE. */
export function makeNblQueue(): NBL_QUEUE {
  return { First: null, Last: null };
}

export function NdisIsNblQueueEmpty(queue: NBL_QUEUE): boolean {
  return queue.First === null;
}

/** Appends one NBL (its `Next` is cleared). */
export function NdisAppendSingleNblToNblQueue(queue: NBL_QUEUE, nbl: NET_BUFFER_LIST): void {
  nbl.Next = null;
  if (queue.Last === null) queue.First = nbl;
  else queue.Last.Next = nbl;
  queue.Last = nbl;
}

/** Appends a whole chain; returns how many NBLs it had. */
export function NdisAppendNblChainToNblQueue(
  queue: NBL_QUEUE,
  chain: NET_BUFFER_LIST | null,
): number {
  if (chain === null) return 0;
  let count = 1;
  let last = chain;
  while (last.Next !== null) {
    last = last.Next;
    count++;
  }
  if (queue.Last === null) queue.First = chain;
  else queue.Last.Next = chain;
  queue.Last = last;
  return count;
}

/** Moves everything of `source` to the end of `destination`; `source` is left empty. */
export function NdisAppendNblQueueToNblQueue(destination: NBL_QUEUE, source: NBL_QUEUE): void {
  if (source.First === null) return;
  if (destination.Last === null) destination.First = source.First;
  else destination.Last.Next = source.First;
  destination.Last = source.Last;
  NdisInitializeNblQueue(source);
}

/** Takes the first NBL off (its `Next` cleared), or NULL when empty. */
export function NdisPopFirstNblFromNblQueue(queue: NBL_QUEUE): NET_BUFFER_LIST | null {
  const nbl = queue.First;
  if (nbl === null) return null;
  queue.First = nbl.Next;
  if (queue.First === null) queue.Last = null;
  nbl.Next = null;
  return nbl;
}

/** Takes everything off, as one chain (NULL when empty). */
export function NdisPopAllFromNblQueue(queue: NBL_QUEUE): NET_BUFFER_LIST | null {
  const chain = queue.First;
  NdisInitializeNblQueue(queue);
  return chain;
}

/** The queue's chain, left in the queue. */
export function NdisGetNblChainFromNblQueue(queue: NBL_QUEUE): NET_BUFFER_LIST | null {
  return queue.First;
}

export function NdisInitializeNblCountedQueue(queue: NBL_COUNTED_QUEUE): void {
  NdisInitializeNblQueue(queue.Queue);
  queue.NblCount = 0;
}

/** A new empty NBL_COUNTED_QUEUE. */
export function makeNblCountedQueue(): NBL_COUNTED_QUEUE {
  return { Queue: makeNblQueue(), NblCount: 0 };
}

export function NdisIsNblCountedQueueEmpty(queue: NBL_COUNTED_QUEUE): boolean {
  return queue.NblCount === 0;
}

export function NdisAppendSingleNblToNblCountedQueue(
  queue: NBL_COUNTED_QUEUE,
  nbl: NET_BUFFER_LIST,
): void {
  NdisAppendSingleNblToNblQueue(queue.Queue, nbl);
  queue.NblCount++;
}

/** Appends a chain; returns how many NBLs it had. */
export function NdisAppendNblChainToNblCountedQueue(
  queue: NBL_COUNTED_QUEUE,
  chain: NET_BUFFER_LIST | null,
): number {
  const count = NdisAppendNblChainToNblQueue(queue.Queue, chain);
  queue.NblCount += count;
  return count;
}

export function NdisAppendNblCountedQueueToNblCountedQueue(
  destination: NBL_COUNTED_QUEUE,
  source: NBL_COUNTED_QUEUE,
): void {
  NdisAppendNblQueueToNblQueue(destination.Queue, source.Queue);
  destination.NblCount += source.NblCount;
  source.NblCount = 0;
}

export function NdisPopFirstNblFromNblCountedQueue(
  queue: NBL_COUNTED_QUEUE,
): NET_BUFFER_LIST | null {
  const nbl = NdisPopFirstNblFromNblQueue(queue.Queue);
  if (nbl !== null) queue.NblCount--;
  return nbl;
}

export function NdisPopAllFromNblCountedQueue(queue: NBL_COUNTED_QUEUE): NET_BUFFER_LIST | null {
  queue.NblCount = 0;
  return NdisPopAllFromNblQueue(queue.Queue);
}

/**
 * Splits a chain by status: NBLs whose `Status` is `status` are appended to `matching`, the
 * others to `rest`, each in chain order. (An ndis-ts helper in the library's style.)
 */
export function NdisSplitNblChainByStatus(
  chain: NET_BUFFER_LIST | null,
  status: NDIS_STATUS,
  matching: NBL_QUEUE,
  rest: NBL_QUEUE,
): void {
  let nbl = chain;
  while (nbl !== null) {
    const next = nbl.Next;
    NdisAppendSingleNblToNblQueue(nbl.Status === status ? matching : rest, nbl);
    nbl = next;
  }
}
