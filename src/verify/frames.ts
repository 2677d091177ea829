/**
 * Frames for the conformance suite: NET_BUFFER_LISTs built from several NET_BUFFERs of several
 * MDLs each, every frame carrying a tag so the far end can tell it arrived whole and once.
 */
import {
  type MDL,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
  NdisAllocateMdl,
  NdisAllocateNetBuffer,
  NdisAllocateNetBufferAndNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisAllocateNetBufferPool,
  NdisFreeMdl,
  NdisFreeNetBuffer,
  NdisFreeNetBufferList,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_BUFFER_POOL_PARAMETERS_REVISION_1,
} from "../index.js";

/** The EtherType of suite frames (IEEE 802 local experimental 1). */
export const VERIFY_ETHERTYPE = 0x88b5;

/** The pools one driver of the suite allocates NBLs from. */
export interface FramePools {
  readonly nbl: NDIS_HANDLE;
  readonly nb: NDIS_HANDLE;
}

/**
 * The pools of one driver of the suite. `contextSize` is the context room each NBL is allocated
 * with (32 bytes by default; 0 leaves none, so a driver below that needs context must allocate
 * it — and that allocation may fail).
 */
export function allocateFramePools(handle: NDIS_HANDLE, contextSize = 32): FramePools | null {
  const nbl = NdisAllocateNetBufferListPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: contextSize,
    PoolTag: 0x79667276,
    DataSize: 0,
  });
  if (nbl === null) return null;
  const nb = NdisAllocateNetBufferPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1,
    },
    PoolTag: 0x62667276,
    DataSize: 0,
  });
  if (nb === null) return null;
  return { nbl, nb };
}

/** A frame of `size` bytes: broadcast destination, `source` MAC, the suite EtherType, a tag. */
export function makeFrame(size: number, tag: number, source: Uint8Array): Uint8Array {
  const frame = new Uint8Array(size);
  frame.fill(0xff, 0, 6);
  frame.set(source.subarray(0, 6), 6);
  frame[12] = VERIFY_ETHERTYPE >> 8;
  frame[13] = VERIFY_ETHERTYPE & 0xff;
  // The tag big-endian, byte by byte: a DataView would need `frame.buffer`, which makes V8 move
  // a small array's bytes off its heap (every frame of every explored run).
  const t = tag >>> 0;
  frame[14] = t >>> 24;
  frame[15] = (t >>> 16) & 0xff;
  frame[16] = (t >>> 8) & 0xff;
  frame[17] = t & 0xff;
  for (let i = 18; i < size; i++) frame[i] = (tag * 31 + i) & 0xff;
  return frame;
}

/** The 802.1Q TPID: a frame a VLAN driver (a MUX) tagged on its way down. */
export const ETHERTYPE_8021Q = 0x8100;

/** The VLAN ID of an 802.1Q-tagged frame, or null for an untagged one. */
export function frameVlan(frame: Uint8Array): number | null {
  if (frame.length < 18 || frame[12] !== 0x81 || frame[13] !== 0x00) return null;
  return (((frame[14] as number) << 8) | (frame[15] as number)) & 0x0fff;
}

/** Where a suite frame's EtherType is: after the 802.1Q tag when there is one. */
export function frameBase(frame: Uint8Array): number {
  return frameVlan(frame) === null ? 0 : 4;
}

/** The tag of a suite frame (802.1Q-tagged or not), or null for any other frame. */
export function frameTag(frame: Uint8Array): number | null {
  const at = frameBase(frame);
  if (frame.length < 18 + at || frame[12 + at] !== VERIFY_ETHERTYPE >> 8 || frame[13 + at] !== 0xb5)
    return null;
  return (
    (((frame[14 + at] as number) << 24) |
      ((frame[15 + at] as number) << 16) |
      ((frame[16 + at] as number) << 8) |
      (frame[17 + at] as number)) >>>
    0
  );
}

/** `frame` with an 802.1Q tag for `vlan` inserted after the addresses. */
export function tagFrame(frame: Uint8Array, vlan: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out[12] = 0x81;
  out[13] = 0x00;
  out[14] = (vlan >> 8) & 0x0f;
  out[15] = vlan & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}

/** The used data of a NET_BUFFER, copied out of its MDL chain. */
export function readNetBuffer(nb: NET_BUFFER): Uint8Array {
  const out = new Uint8Array(nb.DataLength);
  let skip = nb.DataOffset;
  let at = 0;
  for (let mdl: MDL | null = nb.MdlChain; mdl !== null && at < out.length; mdl = mdl.Next) {
    const bytes = mdl.MappedSystemVa;
    if (skip >= bytes.length) {
      skip -= bytes.length;
      continue;
    }
    const take = Math.min(bytes.length - skip, out.length - at);
    out.set(skip === 0 && take === bytes.length ? bytes : bytes.subarray(skip, skip + take), at);
    at += take;
    skip = 0;
  }
  return out;
}

/**
 * The used data of a NET_BUFFER to read at once (and not keep): the bytes of its one MDL when
 * they are exactly its data (no copy), else a copy (readNetBuffer).
 */
export function peekNetBuffer(nb: NET_BUFFER): Uint8Array {
  const mdl = nb.MdlChain;
  if (mdl !== null && nb.DataOffset === 0) {
    const bytes = mdl.MappedSystemVa;
    if (bytes.length === nb.DataLength && mdl.ByteCount === nb.DataLength) return bytes;
  }
  return readNetBuffer(nb);
}

/** Every frame of an NBL chain. */
export function framesOf(chain: NET_BUFFER_LIST | null): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let nbl = chain; nbl !== null; nbl = nbl.Next)
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) frames.push(readNetBuffer(nb));
  return frames;
}

/** An MDL chain over `frame`, split into `mdls` pieces. */
function mdlChain(handle: NDIS_HANDLE, frame: Uint8Array, mdls: number): MDL | null {
  const piece = Math.ceil(frame.length / mdls);
  // One MDL over the whole frame: the frame itself, not a view of it.
  if (piece >= frame.length) return NdisAllocateMdl(handle, frame, frame.length);
  let head: MDL | null = null;
  let tail: MDL | null = null;
  for (let at = 0; at < frame.length; at += piece) {
    const part = frame.subarray(at, Math.min(frame.length, at + piece));
    const mdl = NdisAllocateMdl(handle, part, part.length);
    if (mdl === null) return null;
    if (tail === null) head = mdl;
    else tail.Next = mdl;
    tail = mdl;
  }
  return head;
}

export interface NblShape {
  /** NET_BUFFERs per NBL. */
  readonly nbs: number;
  /** MDLs per NET_BUFFER. */
  readonly mdls: number;
  readonly size: number;
}

/**
 * One NBL of `shape.nbs` frames tagged `firstTag`, `firstTag + 1`, …; null if an allocation
 * failed (what was allocated is freed).
 */
export function buildNbl(
  handle: NDIS_HANDLE,
  pools: FramePools,
  shape: NblShape,
  firstTag: number,
  source: Uint8Array,
  vlan: number | null = null,
): NET_BUFFER_LIST | null {
  const make = (tag: number) => {
    const frame = makeFrame(shape.size, tag, source);
    return vlan === null ? frame : tagFrame(frame, vlan);
  };
  const first = make(firstTag);
  const chain = mdlChain(handle, first, shape.mdls);
  const nbl = NdisAllocateNetBufferAndNetBufferList(pools.nbl, 0, 0, chain, 0, first.length);
  if (nbl === null) return null;
  let last = nbl.FirstNetBuffer;
  for (let i = 1; i < shape.nbs && last !== null; i++) {
    const frame = make(firstTag + i);
    const nb = NdisAllocateNetBuffer(
      pools.nb,
      mdlChain(handle, frame, shape.mdls),
      0,
      frame.length,
    );
    if (nb === null) {
      freeNbl(nbl);
      return null;
    }
    last.Next = nb;
    last = nb;
  }
  nbl.Next = null;
  return nbl;
}

/** Frees an NBL buildNbl made: the extra NET_BUFFERs, every MDL, then the NBL. */
export function freeNbl(nbl: NET_BUFFER_LIST): void {
  const first = nbl.FirstNetBuffer;
  let nb = first;
  while (nb !== null) {
    const next: NET_BUFFER | null = nb.Next;
    for (let mdl = nb.MdlChain; mdl !== null; ) {
      const following: MDL | null = mdl.Next;
      NdisFreeMdl(mdl);
      mdl = following;
    }
    if (nb !== first) {
      nb.Next = null;
      NdisFreeNetBuffer(nb);
    }
    nb = next;
  }
  if (first !== null) first.Next = null;
  nbl.Next = null;
  NdisFreeNetBufferList(nbl);
}

/**
 * One NBL (one NET_BUFFER, one MDL) carrying `frame` as given: for scripted receives of any
 * bytes. Null if an allocation failed (what was allocated is freed).
 */
export function nblOfFrame(
  handle: NDIS_HANDLE,
  pools: FramePools,
  frame: Uint8Array,
): NET_BUFFER_LIST | null {
  const bytes = frame.slice();
  const mdl = NdisAllocateMdl(handle, bytes, bytes.length);
  if (mdl === null) return null;
  const nbl = NdisAllocateNetBufferAndNetBufferList(pools.nbl, 0, 0, mdl, 0, bytes.length);
  if (nbl === null) {
    NdisFreeMdl(mdl);
    return null;
  }
  nbl.Next = null;
  return nbl;
}
