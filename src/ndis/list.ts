/**
 * Doubly linked lists as NDIS drivers keep them (LIST_ENTRY with NdisInitializeListHead and the
 * kernel's list routines; MUX links its ADAPTs and VELANs this way). A C record embeds a
 * LIST_ENTRY and CONTAINING_RECORD gets back from the entry to the record; here the record *is*
 * the entry — it carries `Flink`/`Blink` itself (`interface VELAN extends LIST_ENTRY`), so what
 * a routine hands back is the record. The head is a LIST_ENTRY of its own (`{}` before
 * NdisInitializeListHead); an empty list's head points at itself, as in C.
 */

export interface LIST_ENTRY {
  Flink?: LIST_ENTRY | undefined;
  Blink?: LIST_ENTRY | undefined;
}

/** NdisInitializeListHead (InitializeListHead): an empty list — the head points at itself. */
export function NdisInitializeListHead(ListHead: LIST_ENTRY): void {
  ListHead.Flink = ListHead;
  ListHead.Blink = ListHead;
}

/** InitializeListHead: the same as NdisInitializeListHead. */
export const InitializeListHead = NdisInitializeListHead;

/** IsListEmpty: the head points at itself (or was never initialised). */
export function IsListEmpty(ListHead: LIST_ENTRY): boolean {
  return ListHead.Flink === ListHead || ListHead.Flink === undefined;
}

function link(prev: LIST_ENTRY, entry: LIST_ENTRY, next: LIST_ENTRY): void {
  entry.Flink = next;
  entry.Blink = prev;
  prev.Flink = entry;
  next.Blink = entry;
}

/** InsertTailList: `Entry` becomes the last element. */
export function InsertTailList(ListHead: LIST_ENTRY, Entry: LIST_ENTRY): void {
  if (ListHead.Flink === undefined) NdisInitializeListHead(ListHead);
  link(ListHead.Blink as LIST_ENTRY, Entry, ListHead);
}

/** InsertHeadList: `Entry` becomes the first element. */
export function InsertHeadList(ListHead: LIST_ENTRY, Entry: LIST_ENTRY): void {
  if (ListHead.Flink === undefined) NdisInitializeListHead(ListHead);
  link(ListHead, Entry, ListHead.Flink as LIST_ENTRY);
}

/** RemoveEntryList: unlinks `Entry`; true when the list is empty afterwards. */
export function RemoveEntryList(Entry: LIST_ENTRY): boolean {
  const next = Entry.Flink as LIST_ENTRY;
  const prev = Entry.Blink as LIST_ENTRY;
  prev.Flink = next;
  next.Blink = prev;
  Entry.Flink = undefined;
  Entry.Blink = undefined;
  return next === prev;
}

/** RemoveHeadList: unlinks and returns the first element (the head itself when empty, as in C). */
export function RemoveHeadList(ListHead: LIST_ENTRY): LIST_ENTRY {
  const first = ListHead.Flink ?? ListHead;
  if (first !== ListHead) RemoveEntryList(first);
  return first;
}

/** RemoveTailList: unlinks and returns the last element (the head itself when empty). */
export function RemoveTailList(ListHead: LIST_ENTRY): LIST_ENTRY {
  const last = ListHead.Blink ?? ListHead;
  if (last !== ListHead) RemoveEntryList(last);
  return last;
}
