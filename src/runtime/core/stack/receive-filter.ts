/**
 * NDIS's receive filtering per binding, as Windows does it for Ethernet (OID_GEN_CURRENT_PACKET_FILTER
 * and OID_802_3_MULTICAST_LIST pages): a binding receives nothing until its protocol has set a
 * packet filter; then an indication reaches it only with the frames its filter accepts —
 * directed (to the adapter's current address), multicast (in the binding's multicast list),
 * all-multicast, broadcast, or everything (promiscuous). NDIS learns a binding's filter and list
 * from the protocol's successful sets of those OIDs on that binding.
 *
 * It runs on every receive, so the common cases cost one flag test per binding: a binding whose
 * filter is promiscuous takes the whole chain; only otherwise is each NBL's destination read.
 */
import { NdisMedium802_3 } from "../../../ndis/adapter.js";
import type { NET_BUFFER_LIST } from "../../../ndis/nbl.js";
import {
  type NDIS_OID_REQUEST,
  NdisRequestSetInformation,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
} from "../../../ndis/oid.js";
import {
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_NO_LOCAL,
  NDIS_PACKET_TYPE_PROMISCUOUS,
} from "../../../ndis/packet-filter.js";
import type { Binding, MiniportAdapter } from "../objects/records.js";

interface ReceiveFilter {
  /** The NDIS_PACKET_TYPE_* bits the protocol set; 0 (receive nothing) until it sets them. */
  filter: number;
  /** The binding's multicast addresses, as 48-bit numbers. */
  multicast: Set<number>;
  /** The binding's adapter's address (addressOf), kept here once read: no lookup per NBL. */
  own: { hi: number; lo: number } | null;
}

const filters = new WeakMap<Binding, ReceiveFilter>();
const adapterAddress = new WeakMap<MiniportAdapter, { hi: number; lo: number }>();

const TWO_24 = 0x100_0000;

/** A multicast list key: the address as one 48-bit number (off the hot path). */
function keyOf(bytes: ArrayLike<number>, at: number): number {
  return half(bytes, at) * TWO_24 + half(bytes, at + 3);
}

/** Three address bytes as one small integer (no heap number on the receive path). */
function half(bytes: ArrayLike<number>, at: number): number {
  return (
    ((bytes[at] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number)
  );
}

/**
 * A set request a binding's protocol made completed with SUCCESS: NDIS keeps the binding's packet
 * filter or multicast list from it.
 */
export function noteSetCompleted(binding: Binding, request: NDIS_OID_REQUEST): void {
  if (request.RequestType !== NdisRequestSetInformation) return;
  const d = request.DATA.SET_INFORMATION;
  const oid = d.Oid;
  if (oid !== OID_GEN_CURRENT_PACKET_FILTER && oid !== OID_802_3_MULTICAST_LIST) return;
  const buffer = d.InformationBuffer;
  if (buffer === null) return;
  let state = filters.get(binding);
  if (state === undefined) {
    state = { filter: 0, multicast: new Set(), own: null };
    filters.set(binding, state);
  }
  const length = Math.min(d.InformationBufferLength, buffer.length);
  if (oid === OID_GEN_CURRENT_PACKET_FILTER) {
    if (length < 4) return;
    state.filter = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, true);
    return;
  }
  state.multicast.clear();
  for (let at = 0; at + 6 <= length; at += 6) state.multicast.add(keyOf(buffer, at));
}

/**
 * What NDIS tells the miniport for `adapter` when `binding` sets `oid` to `bytes` ("For a set, the
 * specified packet filter replaces the previous packet filter for the binding"; the miniport gets
 * them all): the OR of every binding's packet filter, or the union of their multicast lists (in
 * binding order, each address once), the setting binding's with its new value.
 */
export function mergedSetting(
  adapter: MiniportAdapter,
  binding: Binding,
  oid: number,
  bytes: Uint8Array,
): Uint8Array {
  if (oid === OID_GEN_CURRENT_PACKET_FILTER) {
    let merged =
      bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : 0;
    for (const other of adapter.bindings)
      if (other !== binding) merged |= filters.get(other)?.filter ?? 0;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, merged >>> 0, true);
    return out;
  }
  const keys: number[] = [];
  const seen = new Set<number>();
  const add = (key: number) => {
    if (seen.has(key)) return;
    seen.add(key);
    keys.push(key);
  };
  for (const other of adapter.bindings) {
    if (other === binding) for (let at = 0; at + 6 <= bytes.length; at += 6) add(keyOf(bytes, at));
    else for (const key of filters.get(other)?.multicast ?? []) add(key);
  }
  if (!adapter.bindings.includes(binding))
    for (let at = 0; at + 6 <= bytes.length; at += 6) add(keyOf(bytes, at));
  const out = new Uint8Array(6 * keys.length);
  keys.forEach((key, i) => {
    const hi = Math.floor(key / TWO_24);
    const lo = key % TWO_24;
    out.set([hi >> 16, (hi >> 8) & 0xff, hi & 0xff, lo >> 16, (lo >> 8) & 0xff, lo & 0xff], 6 * i);
  });
  return out;
}

/** The OR of the packet filters of the adapter's bindings (a query of the packet filter). */
export function combinedFilter(adapter: MiniportAdapter): number {
  let merged = 0;
  for (const binding of adapter.bindings) merged |= filters.get(binding)?.filter ?? 0;
  return merged >>> 0;
}

/** The adapter's current MAC address as two halves (-1 when it has none). */
function addressOf(adapter: MiniportAdapter): { hi: number; lo: number } {
  let own = adapterAddress.get(adapter);
  if (own === undefined) {
    const mac = adapter.general?.CurrentMacAddress;
    own =
      mac !== undefined && mac.length >= 6
        ? { hi: half(mac, 0), lo: half(mac, 3) }
        : { hi: -1, lo: -1 };
    adapterAddress.set(adapter, own);
  }
  return own;
}

/** The first six bytes of a frame that straddles MDLs, or null for a frame shorter than that. */
function gathered(nbl: NET_BUFFER_LIST): number[] | null {
  const nb = nbl.FirstNetBuffer;
  if (nb === null) return null;
  const bytes: number[] = [];
  let offset = nb.CurrentMdlOffset;
  for (let mdl = nb.CurrentMdl; mdl !== null && bytes.length < 6; mdl = mdl.Next) {
    for (let i = offset; i < mdl.ByteCount && bytes.length < 6; i++)
      bytes.push(mdl.MappedSystemVa[i] as number);
    offset = 0;
  }
  return bytes.length < 6 ? null : bytes;
}

/** Whether a filter accepts an NBL, by its first frame's destination (Ethernet rules). */
function accepts(
  state: ReceiveFilter,
  nbl: NET_BUFFER_LIST,
  own: { readonly hi: number; readonly lo: number },
): boolean {
  const f = state.filter;
  if ((f & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) return true;
  if (f === 0) return false;
  const nb = nbl.FirstNetBuffer;
  if (nb === null || nb.DataLength < 6) return false;
  const mdl = nb.CurrentMdl;
  let bytes: ArrayLike<number>;
  let at = nb.CurrentMdlOffset;
  if (mdl !== null && at + 6 <= mdl.ByteCount) bytes = mdl.MappedSystemVa;
  else {
    const copy = gathered(nbl);
    if (copy === null) return false;
    bytes = copy;
    at = 0;
  }
  const hi = half(bytes, at);
  const lo = half(bytes, at + 3);
  if (hi === 0xffffff && lo === 0xffffff) return (f & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  // The group bit is the low bit of the first byte.
  if (((bytes[at] as number) & 1) !== 0)
    return (
      (f & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0 ||
      ((f & NDIS_PACKET_TYPE_MULTICAST) !== 0 && state.multicast.has(hi * TWO_24 + lo))
    );
  return (f & NDIS_PACKET_TYPE_DIRECTED) !== 0 && hi === own.hi && lo === own.lo;
}

/** Whether a binding's filter accepts an NBL (the one-receiver fast path asks). */
export function acceptsNbl(
  binding: Binding,
  adapter: MiniportAdapter,
  nbl: NET_BUFFER_LIST,
): boolean {
  const state = filters.get(binding) ?? NOTHING;
  return adapter.general?.MediaType === NdisMedium802_3
    ? accepts(state, nbl, addressOf(adapter))
    : state.filter !== 0;
}

const NOTHING: ReceiveFilter = { filter: 0, multicast: new Set(), own: null };

/**
 * A binding's filter as the one-receiver fast path applies it to a whole chain, read once per
 * chain (a lookup per NBL cost more than the test itself): null when the binding takes every NBL
 * (promiscuous; or, off Ethernet, any filter set), else the filter for acceptsByFilter.
 */
export function chainFilter(binding: Binding, adapter: MiniportAdapter): ReceiveFilter | null {
  const state = filters.get(binding) ?? NOTHING;
  if ((state.filter & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) return null;
  if (adapter.general?.MediaType !== NdisMedium802_3) return state.filter !== 0 ? null : NOTHING;
  if (state !== NOTHING && state.own === null) state.own = addressOf(adapter);
  return state;
}

/** Whether `filter` (from chainFilter) accepts an NBL: acceptsNbl without the lookups. */
export function acceptsByFilter(filter: ReceiveFilter, nbl: NET_BUFFER_LIST): boolean {
  return filter.filter !== 0 && accepts(filter, nbl, filter.own as { hi: number; lo: number });
}

/**
 * True when NDIS loops every local send back to the binding ("Looping Back NDIS Packets"): its
 * filter is promiscuous (without NDIS_PACKET_TYPE_NO_LOCAL) or NDIS_PACKET_TYPE_ALL_LOCAL.
 */
export function loopsBackAll(binding: Binding): boolean {
  const f = filters.get(binding)?.filter ?? 0;
  if ((f & NDIS_PACKET_TYPE_ALL_LOCAL) !== 0) return true;
  return (f & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0 && (f & NDIS_PACKET_TYPE_NO_LOCAL) === 0;
}

/** True when a binding takes whatever is indicated (its filter is promiscuous). */
export function isPromiscuous(binding: Binding): boolean {
  const state = filters.get(binding);
  return state !== undefined && (state.filter & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0;
}

/**
 * Sorts an indicated chain by who accepts each NBL: groups of NBLs with the bindings that take
 * them, in the order the groups first appear, and the NBLs nobody takes. The chain's Next links
 * are left as they were.
 */
export function sortByFilter(
  adapter: MiniportAdapter,
  chain: NET_BUFFER_LIST,
  receivers: readonly Binding[],
): { groups: { nbls: NET_BUFFER_LIST[]; bindings: Binding[] }[]; dropped: NET_BUFFER_LIST[] } {
  const ethernet = adapter.general?.MediaType === NdisMedium802_3;
  const states = receivers.map((b) => filters.get(b) ?? NOTHING);
  const own = ethernet ? addressOf(adapter) : { hi: -1, lo: -1 };
  const byMask = new Map<string, { nbls: NET_BUFFER_LIST[]; bindings: Binding[] }>();
  const dropped: NET_BUFFER_LIST[] = [];
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    let mask = "";
    const bindings: Binding[] = [];
    for (let i = 0; i < receivers.length; i++) {
      const state = states[i] as ReceiveFilter;
      const ok = ethernet ? accepts(state, n, own) : state.filter !== 0;
      mask += ok ? "1" : "0";
      if (ok) bindings.push(receivers[i] as Binding);
    }
    if (bindings.length === 0) {
      dropped.push(n);
      continue;
    }
    const group = byMask.get(mask);
    if (group === undefined) byMask.set(mask, { nbls: [n], bindings });
    else group.nbls.push(n);
  }
  return { groups: [...byMask.values()], dropped };
}
