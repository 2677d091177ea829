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
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
} from "../../../ndis/packet-filter.js";
import type { Binding, MiniportAdapter } from "../objects/records.js";

interface ReceiveFilter {
  /** The NDIS_PACKET_TYPE_* bits the protocol set; 0 (receive nothing) until it sets them. */
  filter: number;
  /** The binding's multicast addresses, as 48-bit numbers. */
  multicast: Set<number>;
}

const filters = new WeakMap<Binding, ReceiveFilter>();
const adapterAddress = new WeakMap<MiniportAdapter, number>();

const BROADCAST = 0xffff_ffff_ffff;
const TWO_32 = 0x1_0000_0000;

/** The packet filter NDIS holds for a binding (0 until its protocol set one). */
export function packetFilterOf(binding: Binding): number {
  return filters.get(binding)?.filter ?? 0;
}

/** The multicast addresses NDIS holds for a binding, as `01-00-5e-00-00-01` strings. */
export function multicastListOf(binding: Binding): string[] {
  return [...(filters.get(binding)?.multicast ?? [])].map(addressText);
}

function addressText(key: number): string {
  const bytes: string[] = [];
  for (let i = 5; i >= 0; i--)
    bytes.push((Math.floor(key / 2 ** (8 * i)) & 0xff).toString(16).padStart(2, "0"));
  return bytes.join("-");
}

function keyOf(bytes: ArrayLike<number>, at: number): number {
  const hi = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const lo =
    (((bytes[at + 2] as number) << 24) |
      ((bytes[at + 3] as number) << 16) |
      ((bytes[at + 4] as number) << 8) |
      (bytes[at + 5] as number)) >>>
    0;
  return hi * TWO_32 + lo;
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
    state = { filter: 0, multicast: new Set() };
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

/** The adapter's current MAC address as a 48-bit number (-1 when it has none). */
function addressOf(adapter: MiniportAdapter): number {
  let key = adapterAddress.get(adapter);
  if (key === undefined) {
    const mac = adapter.general?.CurrentMacAddress;
    key = mac !== undefined && mac.length >= 6 ? keyOf(mac, 0) : -1;
    adapterAddress.set(adapter, key);
  }
  return key;
}

/** The destination address of an NBL's first frame, or -1 for a frame shorter than one. */
function destinationOf(nbl: NET_BUFFER_LIST): number {
  const nb = nbl.FirstNetBuffer;
  if (nb === null || nb.DataLength < 6) return -1;
  let mdl = nb.CurrentMdl;
  let offset = nb.CurrentMdlOffset;
  if (mdl !== null && offset + 6 <= mdl.ByteCount) return keyOf(mdl.MappedSystemVa, offset);
  // The address straddles MDLs.
  const bytes: number[] = [];
  while (mdl !== null && bytes.length < 6) {
    for (let i = offset; i < mdl.ByteCount && bytes.length < 6; i++)
      bytes.push(mdl.MappedSystemVa[i] as number);
    mdl = mdl.Next;
    offset = 0;
  }
  return bytes.length < 6 ? -1 : keyOf(bytes, 0);
}

/** Whether a filter accepts a frame to `destination` (Ethernet rules). */
function accepts(state: ReceiveFilter, destination: number, own: number): boolean {
  const f = state.filter;
  if ((f & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0) return true;
  if (f === 0 || destination < 0) return false;
  if (destination === BROADCAST) return (f & NDIS_PACKET_TYPE_BROADCAST) !== 0;
  // The group bit is the low bit of the first byte.
  if (Math.floor(destination / 2 ** 40) & 1)
    return (
      (f & NDIS_PACKET_TYPE_ALL_MULTICAST) !== 0 ||
      ((f & NDIS_PACKET_TYPE_MULTICAST) !== 0 && state.multicast.has(destination))
    );
  return (f & NDIS_PACKET_TYPE_DIRECTED) !== 0 && destination === own;
}

/** Whether a binding's filter accepts an NBL (the one-receiver fast path asks). */
export function acceptsNbl(
  binding: Binding,
  adapter: MiniportAdapter,
  nbl: NET_BUFFER_LIST,
): boolean {
  const state = filters.get(binding) ?? NOTHING;
  return adapter.general?.MediaType === NdisMedium802_3
    ? accepts(state, destinationOf(nbl), addressOf(adapter))
    : state.filter !== 0;
}

const NOTHING: ReceiveFilter = { filter: 0, multicast: new Set() };

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
  const own = addressOf(adapter);
  const states = receivers.map(
    (b) => filters.get(b) ?? { filter: 0, multicast: new Set<number>() },
  );
  const byMask = new Map<string, { nbls: NET_BUFFER_LIST[]; bindings: Binding[] }>();
  const dropped: NET_BUFFER_LIST[] = [];
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    const destination = ethernet ? destinationOf(n) : 0;
    let mask = "";
    const bindings: Binding[] = [];
    for (let i = 0; i < receivers.length; i++) {
      const state = states[i] as ReceiveFilter;
      const ok = ethernet ? accepts(state, destination, own) : state.filter !== 0;
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
