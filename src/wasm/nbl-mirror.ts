/**
 * NET_BUFFER_LISTs across the boundary. NDIS's NBL objects stay the truth (ownership, the
 * verifier, the trace all look at them); a C driver sees a mirror of each in its linear memory,
 * laid out as its headers declare NET_BUFFER_LIST, NET_BUFFER, MDL and NET_BUFFER_LIST_CONTEXT,
 * so the WDK macros work. A mirror is made once per NDIS object and kept (pools recycle NBLs, so
 * a steady data path allocates nothing); crossing into C writes NDIS's fields into it, crossing
 * out reads the driver's changes back.
 *
 * Data: an MDL whose buffer lives in the module's memory (the driver's own, from
 * NdisAllocateMdl) is shared as it is; any other MDL's bytes are copied into a buffer of the
 * module's on the way in and back on the way out.
 *
 * Reserved areas and info slots hold numbers (C pointers) on the C side; a slot NDIS or another
 * driver keeps a non-number in reads as 0 in C and is left alone unless C writes it.
 */
import type {
  MDL,
  NDIS_HANDLE,
  NET_BUFFER,
  NET_BUFFER_LIST,
  NET_BUFFER_LIST_CONTEXT,
} from "../ddi.js";
import type { CMemory } from "./cmem.js";
import type { LAYOUT_SPEC } from "./layout.js";

type MirrorStruct = "NET_BUFFER_LIST" | "NET_BUFFER" | "MDL" | "NET_BUFFER_LIST_CONTEXT";
/** `NET_BUFFER_LIST.Next` and the like: every field of the mirrored structures. */
type OffsetKey = {
  [S in MirrorStruct]: `${S}.${keyof (typeof LAYOUT_SPEC)[S] & string}`;
}[MirrorStruct];

interface MdlMirror {
  readonly p: number;
  /** A copy buffer in module memory for an MDL whose bytes live elsewhere (0: shared). */
  data: number;
  capacity: number;
}

export class NblMirror {
  readonly #m: CMemory;
  /** The module's memory as 32- and 16-bit words: every mirrored field is aligned. */
  readonly #w: Uint32Array;
  readonly #h: Uint16Array;
  readonly #nbls = new WeakMap<NET_BUFFER_LIST, number>();
  readonly #nblAt = new Map<number, NET_BUFFER_LIST>();
  readonly #nbs = new WeakMap<NET_BUFFER, number>();
  readonly #nbAt = new Map<number, NET_BUFFER>();
  readonly #mdls = new WeakMap<MDL, MdlMirror>();
  readonly #mdlAt = new Map<number, MDL>();
  readonly #contexts = new WeakMap<NET_BUFFER_LIST_CONTEXT, number>();
  // Field offsets, read once.
  readonly #o: Readonly<Record<OffsetKey, number>>;

  constructor(memory: CMemory) {
    this.#m = memory;
    this.#w = new Uint32Array(memory.buffer);
    this.#h = new Uint16Array(memory.buffer);
    const o: Record<string, number> = {};
    for (const s of ["NET_BUFFER_LIST", "NET_BUFFER", "MDL", "NET_BUFFER_LIST_CONTEXT"] as const) {
      for (const [field, f] of Object.entries(memory.layout[s].fields))
        o[`${s}.${field}`] = f.offset;
    }
    this.#o = o as Record<OffsetKey, number>;
  }

  /** The NDIS NBL a C pointer stands for; null when C passed something NDIS never gave it. */
  nblAt(p: number): NET_BUFFER_LIST | null {
    return this.#nblAt.get(p) ?? null;
  }

  mdlAt(p: number): MDL | null {
    return this.#mdlAt.get(p) ?? null;
  }

  /** Registers an MDL whose buffer is the module's own memory at `va` (NdisAllocateMdl). */
  adoptMdl(mdl: MDL, va: number): number {
    const m = this.#m;
    const p = m.allocStruct("MDL");
    this.#mdls.set(mdl, { p, data: 0, capacity: 0 });
    this.#mdlAt.set(p, mdl);
    this.#w[(p + this.#o["MDL.MappedSystemVa"]) >> 2] = va;
    this.#w[(p + this.#o["MDL.StartVa"]) >> 2] = va;
    return p;
  }

  /** Forgets an MDL the driver freed. */
  dropMdl(p: number): void {
    const mdl = this.#mdlAt.get(p);
    if (mdl === undefined) return;
    this.#mdlAt.delete(p);
    const mirror = this.#mdls.get(mdl);
    this.#mdls.delete(mdl);
    if (mirror !== undefined) {
      this.#m.free(mirror.data);
      this.#m.free(mirror.p);
    }
  }

  #u32(at: number): number {
    return this.#w[at >> 2] as number;
  }

  #u16(at: number): number {
    return this.#h[at >> 1] as number;
  }

  // ---- into C ----

  /** Writes an NBL chain into C and returns the first mirror's address (0 for null). */
  toC(first: NET_BUFFER_LIST | null): number {
    let head = 0;
    let prev = 0;
    for (let nbl = first; nbl !== null; nbl = nbl.Next) {
      const p = this.#nblToC(nbl);
      if (prev === 0) head = p;
      else this.#w[(prev + this.#o["NET_BUFFER_LIST.Next"]) >> 2] = p;
      prev = p;
    }
    if (prev !== 0) this.#w[(prev + this.#o["NET_BUFFER_LIST.Next"]) >> 2] = 0;
    return head;
  }

  #nblPointer(nbl: NET_BUFFER_LIST): number {
    let p = this.#nbls.get(nbl);
    if (p === undefined) {
      p = this.#m.allocStruct("NET_BUFFER_LIST");
      this.#nbls.set(nbl, p);
      this.#nblAt.set(p, nbl);
    }
    return p;
  }

  #nblToC(nbl: NET_BUFFER_LIST): number {
    const m = this.#m;
    const o = this.#o;
    const p = this.#nblPointer(nbl);
    // The first NB and its chain.
    let prevNb = 0;
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      const q = this.#nbToC(nb);
      if (prevNb === 0) this.#w[(p + o["NET_BUFFER_LIST.FirstNetBuffer"]) >> 2] = q;
      else this.#w[(prevNb + o["NET_BUFFER.Next"]) >> 2] = q;
      prevNb = q;
    }
    if (prevNb === 0) this.#w[(p + o["NET_BUFFER_LIST.FirstNetBuffer"]) >> 2] = 0;
    else this.#w[(prevNb + o["NET_BUFFER.Next"]) >> 2] = 0;
    this.#w[(p + o["NET_BUFFER_LIST.Context"]) >> 2] = this.#contextToC(nbl.Context);
    const parent = nbl.ParentNetBufferList;
    this.#w[(p + o["NET_BUFFER_LIST.ParentNetBufferList"]) >> 2] =
      parent === null ? 0 : this.#nblPointer(parent);
    this.#w[(p + o["NET_BUFFER_LIST.NdisPoolHandle"]) >> 2] = m.handleId(nbl.NdisPoolHandle);
    this.#w[(p + o["NET_BUFFER_LIST.SourceHandle"]) >> 2] = m.handleId(nbl.SourceHandle);
    this.#slotsToC(nbl.ProtocolReserved, p + o["NET_BUFFER_LIST.ProtocolReserved"]);
    this.#slotsToC(nbl.MiniportReserved, p + o["NET_BUFFER_LIST.MiniportReserved"]);
    this.#w[(p + o["NET_BUFFER_LIST.Scratch"]) >> 2] = slot(nbl.Scratch);
    this.#w[(p + o["NET_BUFFER_LIST.NblFlags"]) >> 2] = nbl.NblFlags;
    this.#w[(p + o["NET_BUFFER_LIST.ChildRefCount"]) >> 2] = nbl.ChildRefCount;
    this.#w[(p + o["NET_BUFFER_LIST.Flags"]) >> 2] = nbl.Flags;
    this.#w[(p + o["NET_BUFFER_LIST.Status"]) >> 2] = nbl.Status;
    this.#slotsToC(nbl.NetBufferListInfo, p + o["NET_BUFFER_LIST.NetBufferListInfo"]);
    return p;
  }

  #nbToC(nb: NET_BUFFER): number {
    const m = this.#m;
    const o = this.#o;
    let p = this.#nbs.get(nb);
    if (p === undefined) {
      p = m.allocStruct("NET_BUFFER");
      this.#nbs.set(nb, p);
      this.#nbAt.set(p, nb);
    }
    // The MDL chain; CurrentMdl is one of its MDLs (or, after a retreat, its new head).
    let prev = 0;
    for (let mdl = nb.MdlChain; mdl !== null; mdl = mdl.Next) {
      const q = this.#mdlToC(mdl);
      if (prev === 0) this.#w[(p + o["NET_BUFFER.MdlChain"]) >> 2] = q;
      else this.#w[(prev + o["MDL.Next"]) >> 2] = q;
      prev = q;
    }
    if (prev === 0) this.#w[(p + o["NET_BUFFER.MdlChain"]) >> 2] = 0;
    else this.#w[(prev + o["MDL.Next"]) >> 2] = 0;
    const current = nb.CurrentMdl;
    this.#w[(p + o["NET_BUFFER.CurrentMdl"]) >> 2] =
      current === null ? 0 : (this.#mdls.get(current)?.p ?? this.#mdlToC(current));
    this.#w[(p + o["NET_BUFFER.CurrentMdlOffset"]) >> 2] = nb.CurrentMdlOffset;
    this.#w[(p + o["NET_BUFFER.DataLength"]) >> 2] = nb.DataLength;
    this.#w[(p + o["NET_BUFFER.DataOffset"]) >> 2] = nb.DataOffset;
    this.#h[(p + o["NET_BUFFER.ChecksumBias"]) >> 1] = nb.ChecksumBias;
    this.#w[(p + o["NET_BUFFER.NdisPoolHandle"]) >> 2] = m.handleId(nb.NdisPoolHandle);
    this.#slotsToC(nb.ProtocolReserved, p + o["NET_BUFFER.ProtocolReserved"]);
    this.#slotsToC(nb.MiniportReserved, p + o["NET_BUFFER.MiniportReserved"]);
    return p;
  }

  #mdlToC(mdl: MDL): number {
    const m = this.#m;
    const o = this.#o;
    let mirror = this.#mdls.get(mdl);
    const buffer = mdl.MappedSystemVa;
    const shared = buffer.buffer === m.buffer;
    if (mirror === undefined) {
      mirror = { p: m.allocStruct("MDL"), data: 0, capacity: 0 };
      this.#mdls.set(mdl, mirror);
      this.#mdlAt.set(mirror.p, mdl);
    }
    const p = mirror.p;
    let va: number;
    if (shared) va = buffer.byteOffset;
    else {
      if (mirror.capacity < buffer.length) {
        m.free(mirror.data);
        mirror.data = m.alloc(Math.max(buffer.length, 64));
        mirror.capacity = Math.max(buffer.length, 64);
      }
      m.bytes.set(buffer, mirror.data);
      va = mirror.data;
    }
    this.#h[(p + o["MDL.Size"]) >> 1] = m.sizeOf("MDL");
    this.#h[(p + o["MDL.MdlFlags"]) >> 1] = 0x0001 | 0x0004;
    this.#w[(p + o["MDL.MappedSystemVa"]) >> 2] = va;
    this.#w[(p + o["MDL.StartVa"]) >> 2] = va;
    this.#w[(p + o["MDL.ByteCount"]) >> 2] = mdl.ByteCount;
    this.#w[(p + o["MDL.ByteOffset"]) >> 2] = 0;
    return p;
  }

  /** Context blocks: NDIS's Size and Offset; the bytes are the C driver's own. */
  #contextToC(context: NET_BUFFER_LIST_CONTEXT | null): number {
    if (context === null) return 0;
    const m = this.#m;
    const o = this.#o;
    let p = this.#contexts.get(context);
    if (p === undefined) {
      p = m.alloc(m.sizeOf("NET_BUFFER_LIST_CONTEXT") + context.Size);
      this.#contexts.set(context, p);
    }
    this.#w[(p + o["NET_BUFFER_LIST_CONTEXT.Next"]) >> 2] = this.#contextToC(context.Next);
    this.#h[(p + o["NET_BUFFER_LIST_CONTEXT.Size"]) >> 1] = context.Size;
    this.#h[(p + o["NET_BUFFER_LIST_CONTEXT.Offset"]) >> 1] = context.Offset;
    return p;
  }

  #slotsToC(slots: readonly unknown[], at: number): void {
    const w = this.#w;
    const base = at >> 2;
    for (let i = 0; i < slots.length; i++) w[base + i] = slot(slots[i]);
  }

  /** Writes one NBL (not the ones chained after it) into C; its address. */
  toCOne(nbl: NET_BUFFER_LIST): number {
    return this.#nblToC(nbl);
  }

  // ---- out of C ----

  /**
   * Reads the driver's changes to the one NBL at C address `p` (not the ones chained after it:
   * a DDI call about one NBL) back into NDIS's object; null for a pointer NDIS never gave.
   */
  fromCOne(p: number): NET_BUFFER_LIST | null {
    const nbl = this.#nblAt.get(p);
    if (nbl === undefined) return null;
    this.#nblFromC(nbl, p);
    return nbl;
  }

  /**
   * Reads the driver's changes to the chain starting at C address `p` back into NDIS's objects
   * and returns the first one. A pointer NDIS never gave the driver ends the chain (null when it
   * is the first): NDIS then sees what the driver really passed, which it reports.
   */
  fromC(p: number): NET_BUFFER_LIST | null {
    const o = this.#o;
    const first = this.#nblAt.get(p) ?? null;
    let nbl = first;
    let at = p;
    while (nbl !== null) {
      const nextAt = this.#u32(at + o["NET_BUFFER_LIST.Next"]);
      const next = nextAt === 0 ? null : (this.#nblAt.get(nextAt) ?? null);
      this.#nblFromC(nbl, at);
      nbl.Next = next;
      nbl = next;
      at = nextAt;
    }
    return first;
  }

  #nblFromC(nbl: NET_BUFFER_LIST, p: number): void {
    const m = this.#m;
    const o = this.#o;
    nbl.Status = this.#u32(p + o["NET_BUFFER_LIST.Status"]);
    nbl.SourceHandle = m.handle(
      this.#u32(p + o["NET_BUFFER_LIST.SourceHandle"]),
    ) as NDIS_HANDLE | null;
    nbl.NblFlags = this.#u32(p + o["NET_BUFFER_LIST.NblFlags"]);
    nbl.Flags = this.#u32(p + o["NET_BUFFER_LIST.Flags"]);
    nbl.Scratch = slotFromC(nbl.Scratch, this.#u32(p + o["NET_BUFFER_LIST.Scratch"]));
    this.#slotsFromC(nbl.ProtocolReserved, p + o["NET_BUFFER_LIST.ProtocolReserved"]);
    this.#slotsFromC(nbl.MiniportReserved, p + o["NET_BUFFER_LIST.MiniportReserved"]);
    this.#slotsFromC(nbl.NetBufferListInfo, p + o["NET_BUFFER_LIST.NetBufferListInfo"]);
    const parentAt = this.#u32(p + o["NET_BUFFER_LIST.ParentNetBufferList"]);
    nbl.ParentNetBufferList = parentAt === 0 ? null : (this.#nblAt.get(parentAt) ?? null);
    for (let at = this.#u32(p + o["NET_BUFFER_LIST.FirstNetBuffer"]); at !== 0; ) {
      const nb = this.#nbAt.get(at);
      if (nb === undefined) break;
      this.#nbFromC(nb, at);
      at = this.#u32(at + o["NET_BUFFER.Next"]);
    }
  }

  #nbFromC(nb: NET_BUFFER, p: number): void {
    const m = this.#m;
    const o = this.#o;
    nb.DataOffset = this.#u32(p + o["NET_BUFFER.DataOffset"]);
    nb.DataLength = this.#u32(p + o["NET_BUFFER.DataLength"]);
    nb.CurrentMdlOffset = this.#u32(p + o["NET_BUFFER.CurrentMdlOffset"]);
    nb.ChecksumBias = this.#u16(p + o["NET_BUFFER.ChecksumBias"]);
    const current = this.#mdlAt.get(this.#u32(p + o["NET_BUFFER.CurrentMdl"]));
    nb.CurrentMdl = current ?? null;
    this.#slotsFromC(nb.ProtocolReserved, p + o["NET_BUFFER.ProtocolReserved"]);
    this.#slotsFromC(nb.MiniportReserved, p + o["NET_BUFFER.MiniportReserved"]);
    // Copied MDLs carry the driver's writes back.
    for (let mdl = nb.MdlChain; mdl !== null; mdl = mdl.Next) {
      const mirror = this.#mdls.get(mdl);
      if (mirror !== undefined && mirror.data !== 0) {
        mdl.MappedSystemVa.set(m.bytes.subarray(mirror.data, mirror.data + mdl.ByteCount));
      }
    }
  }

  #slotsFromC(slots: unknown[], at: number): void {
    for (let i = 0; i < slots.length; i++) slots[i] = slotFromC(slots[i], this.#u32(at + 4 * i));
  }
}

/** What C sees in a pointer-sized slot: a number as it is, anything else as 0. */
function slot(value: unknown): number {
  return typeof value === "number" ? value >>> 0 : 0;
}

/** A slot after C: C's value, unless it is 0 where NDIS keeps a non-number C never saw. */
function slotFromC(before: unknown, value: number): unknown {
  if (typeof before === "number" || before === null || before === undefined)
    return value === 0 && (before === null || before === undefined) ? before : value;
  return value === 0 ? before : value;
}
