/**
 * NDIS's loopback of sends on an Ethernet adapter (learn.microsoft.com: "Looping Back NDIS
 * Packets"; NdisSendNetBufferLists' NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK): a frame a binding sends
 * is also indicated, marked NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET,
 * - to every other open binding whose packet filter is NDIS_PACKET_TYPE_PROMISCUOUS (without
 *   NDIS_PACKET_TYPE_NO_LOCAL) or NDIS_PACKET_TYPE_ALL_LOCAL, and
 * - to the sending binding itself only when the send asked with NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK
 *   and the binding's own packet filter accepts the frame (by default NDIS never loops a frame
 *   back to the driver that sent it).
 *
 * [MODEL] NDIS copies each looped NET_BUFFER into an NBL of its own and indicates it to those
 * bindings with NDIS_RECEIVE_FLAGS_RESOURCES (the receiver copies what it keeps; NDIS takes the NBL
 * back when the handler returns), before the send goes down. Filter modules do not see loopback
 * indications.
 */
import { NdisMedium802_3 } from "../../../ndis/adapter.js";
import {
  NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET,
  NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
} from "../../../ndis/nbl.js";
import type { NDIS_HANDLE } from "../../../ndis/types.js";
import { initNetBuffer, initNetBufferList } from "../objects/nbl.js";
import {
  type Binding,
  MdlObject,
  type MiniportAdapter,
  type NblPool,
  NetBufferListObject,
  NetBufferObject,
} from "../objects/records.js";
import { acceptsNbl, loopsBackAll } from "./receive-filter.js";

/** Whether a send on `binding` with `flags` may be looped back to some binding. */
export function wantsLoopback(binding: Binding, flags: number): boolean {
  const adapter = binding.adapter;
  if (adapter.general?.MediaType !== NdisMedium802_3) return false;
  if ((flags & NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) !== 0) return true;
  if (adapter.bindings.length < 2) return false;
  for (const other of adapter.bindings) if (other !== binding && loopsBackAll(other)) return true;
  return false;
}

/** NDIS's own pool for the NBLs of loopback indications, one per adapter. */
const pools = new WeakMap<MiniportAdapter, NblPool>();

function poolOf(adapter: MiniportAdapter): NblPool {
  let pool = pools.get(adapter);
  if (pool === undefined) {
    pool = {
      kind: "nbl-pool",
      driver: adapter.driver,
      adapter,
      label: `NDIS's loopback pool of ${adapter.name}`,
      handle: null as unknown as NDIS_HANDLE,
      outstanding: 0,
      freed: false,
      params: {
        ProtocolId: 0,
        fAllocateNetBuffer: true,
        ContextSize: 0,
        PoolTag: 0,
        DataSize: 0,
        verify: false,
      },
      free: [],
      all: [],
    };
    pools.set(adapter, pool);
  }
  return pool;
}

/** The used data of an NB, copied. */
function copyOf(nb: NET_BUFFER): Uint8Array {
  const out = new Uint8Array(nb.DataLength);
  let filled = 0;
  let offset = nb.CurrentMdlOffset;
  for (let mdl = nb.CurrentMdl; mdl !== null && filled < out.length; mdl = mdl.Next) {
    const take = Math.min(mdl.ByteCount - offset, out.length - filled);
    if (take > 0) out.set(mdl.MappedSystemVa.subarray(offset, offset + take), filled);
    filled += Math.max(0, take);
    offset = 0;
  }
  return out;
}

/** One loopback indication: NDIS's NBL with a copy of one frame, and who receives it. */
export interface LoopbackIndication {
  readonly nbl: NetBufferListObject;
  readonly receivers: Binding[];
}

/**
 * The loopback indications a send of `chain` on `binding` makes (one per NET_BUFFER some binding
 * takes). Each NBL is NDIS's, held by the adapter's miniport for the indication; `release`
 * takes it back afterwards.
 */
export function loopbackIndications(
  binding: Binding,
  chain: NET_BUFFER_LIST,
  flags: number,
): LoopbackIndication[] {
  const adapter = binding.adapter;
  const self = (flags & NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) !== 0;
  const candidates = adapter.bindings.filter(
    (b) =>
      b.open === "open" &&
      b.machine.state === "Running" &&
      b.driver.crashed === null &&
      (b === binding ? self : loopsBackAll(b)),
  );
  const out: LoopbackIndication[] = [];
  if (candidates.length === 0) return out;
  const pool = poolOf(adapter);
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    for (let nb = n.FirstNetBuffer; nb !== null; nb = nb.Next) {
      const frame = copyOf(nb);
      const mdl = new MdlObject(adapter.runtime, frame, "pool");
      const copyNb = new NetBufferObject(pool, mdl, true);
      const copy = new NetBufferListObject(pool, copyNb);
      initNetBuffer(copyNb, mdl, 0, frame.length);
      initNetBufferList(copy, adapter.driver);
      copy.NblFlags |= NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET;
      copy.SourceHandle = adapter.handle;
      const receivers = candidates.filter(
        (b) => b !== binding || acceptsNbl(b, adapter, copy as NET_BUFFER_LIST),
      );
      if (receivers.length > 0) out.push({ nbl: copy, receivers });
    }
  }
  return out;
}

/** NDIS takes a loopback NBL back once its indication returned. */
export function releaseLoopback(nbl: NetBufferListObject): void {
  nbl.allocated = false;
  nbl.owner = null;
  // As for any freed NBL: no context block, so that the context calls' fast paths refuse it.
  nbl.Context = null;
}
