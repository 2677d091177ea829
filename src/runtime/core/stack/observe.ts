/**
 * What the host watches on the data path when someone asks (`ndis run`'s counters, a pcapng
 * capture): per-adapter and per-binding packet and byte counters, and a copy of every frame that
 * crosses an adapter's edge. Nothing here runs unless `runtime.observing` is set, so a plain data
 * path pays one boolean test per call.
 */
import type { NET_BUFFER, NET_BUFFER_LIST } from "../../../ndis/nbl.js";
import { NDIS_STATUS_SUCCESS } from "../../../ndis/status.js";
import { dataBuffer } from "../objects/nbl.js";
import type {
  Binding,
  DataPathCounters,
  FilterModule,
  FrameEvent,
  MiniportAdapter,
} from "../objects/records.js";

export function newCounters(): DataPathCounters {
  return {
    sentPackets: 0,
    sentBytes: 0,
    sendErrors: 0,
    sendsRefused: 0,
    receivedPackets: 0,
    receivedBytes: 0,
    receiveDrops: 0,
  };
}

/** Copies a NET_BUFFER's used data out of its MDL chain (empty when the chain is shorter than DataLength, which NdisGetDataBuffer would not map either). */
export function copyNetBuffer(nb: NET_BUFFER): Uint8Array {
  const storage = new Uint8Array(nb.DataLength);
  const data = dataBuffer(nb, nb.DataLength, storage);
  if (data === null) return new Uint8Array(0);
  return data === storage ? storage : data.slice();
}

function emitFrames(
  adapter: MiniportAdapter,
  chain: NET_BUFFER_LIST,
  direction: "send" | "receive",
  protocol: string | null,
): void {
  const runtime = adapter.runtime;
  const timeNs = runtime.clock.now();
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) {
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      const event: FrameEvent = {
        adapter: adapter.name,
        direction,
        protocol,
        timeNs,
        data: copyNetBuffer(nb),
      };
      for (const listener of runtime.frameListeners) listener(event);
    }
  }
}

function measure(chain: NET_BUFFER_LIST): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) {
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      packets++;
      bytes += nb.DataLength;
    }
  }
  return { packets, bytes };
}

/** A chain is going down `binding` into its adapter's MiniportSendNetBufferLists. */
export function observeSend(binding: Binding, chain: NET_BUFFER_LIST): void {
  const { packets, bytes } = measure(chain);
  binding.counters.sentPackets += packets;
  binding.counters.sentBytes += bytes;
  binding.adapter.counters.sentPackets += packets;
  binding.adapter.counters.sentBytes += bytes;
  if (binding.runtime.frameListeners.size > 0)
    emitFrames(binding.adapter, chain, "send", binding.protocol.chars.Name);
}

/** NDIS refused a chain on `binding` (not Running): it is completed with PAUSED at once. */
export function observeRefused(binding: Binding, chain: NET_BUFFER_LIST): void {
  binding.counters.sendsRefused += measure(chain).packets;
}

/** One NBL came back from the miniport with `status`. */
export function observeCompletion(binding: Binding, nbl: NET_BUFFER_LIST): void {
  if (nbl.Status === NDIS_STATUS_SUCCESS) return;
  let packets = 0;
  for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) packets++;
  binding.counters.sendErrors += packets;
  binding.adapter.counters.sendErrors += packets;
}

/**
 * A chain reaches `receivers` (possibly none). `adapter` null: the chain comes from a filter module
 * of the stack, the miniport's indication was counted already (observeIndication).
 */
export function observeReceive(
  adapter: MiniportAdapter | null,
  chain: NET_BUFFER_LIST,
  receivers: readonly Binding[],
): void {
  const { packets, bytes } = measure(chain);
  if (adapter !== null) {
    adapter.counters.receivedPackets += packets;
    adapter.counters.receivedBytes += bytes;
    if (receivers.length === 0) adapter.counters.receiveDrops += packets;
    if (adapter.runtime.frameListeners.size > 0) emitFrames(adapter, chain, "receive", null);
  }
  for (const b of receivers) {
    b.counters.receivedPackets += packets;
    b.counters.receivedBytes += bytes;
  }
}

/** The miniport indicates a chain to the lowest filter module that takes receives. */
export function observeIndication(adapter: MiniportAdapter, chain: NET_BUFFER_LIST): void {
  const { packets, bytes } = measure(chain);
  adapter.counters.receivedPackets += packets;
  adapter.counters.receivedBytes += bytes;
  if (adapter.runtime.frameListeners.size > 0) emitFrames(adapter, chain, "receive", null);
}

/** A chain goes into a filter module: down (its FilterSendNetBufferLists) or up (its receive). */
export function observeModule(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  direction: "send" | "receive",
): void {
  const { packets, bytes } = measure(chain);
  if (direction === "send") {
    module.counters.sentPackets += packets;
    module.counters.sentBytes += bytes;
  } else {
    module.counters.receivedPackets += packets;
    module.counters.receivedBytes += bytes;
  }
}
