/**
 * NET_BUFFER_LISTs across the boundary. NDIS's NBL objects stay the truth (ownership, the
 * verifier, the trace all look at them); a C driver sees a mirror of each in its linear memory,
 * laid out as its headers declare NET_BUFFER_LIST, NET_BUFFER, MDL and NET_BUFFER_LIST_CONTEXT,
 * so the WDK macros work.
 *
 * A mirror is made once per NDIS object and kept for the object's life (pools recycle their
 * objects, so a steady data path makes none). Each mirror has a record on the JavaScript side
 * holding, for every field, the value NDIS's object had and the word C's struct had when the two
 * were last made equal. Crossing into C writes only the fields NDIS's side changed since (a
 * handle is looked up only when it changed); crossing out reads only the words C changed (its
 * struct word differs from the record). So an NBL that crosses unchanged costs a compare per
 * field and no allocation. Records are found without hashing: NDIS's objects carry their record
 * (`cMirror`, for the first module that mirrors them; another module keeps its own in a
 * WeakMap), and every mirrored struct has its record's index in the 16 bytes before it in C.
 *
 * Data: an MDL whose buffer lives in the module's memory (the driver's own, from
 * NdisAllocateMdl) is shared as it is; any other MDL's bytes are copied into a buffer of the
 * module's on the way in and back on the way out — once the driver has mapped it. A module built
 * with this version's headers (it exports `__ndis_maps_mdls_on_demand`) gets such MDLs unmapped
 * (no MDL_MAPPED_TO_SYSTEM_VA, MappedSystemVa NULL): its MmGetSystemAddressForMdlSafe calls
 * MmMapLockedPagesSpecifyCache (`mapMdl`), which copies the bytes in, and from then on that MDL's
 * bytes cross both ways at every crossing. A driver that never looks at the data (a passthrough)
 * costs no copies. An older module gets every MDL mapped and copied, as before.
 *
 * Info slots and Scratch hold numbers (C pointers) on the C side; a slot NDIS or another driver
 * keeps a non-number in reads as 0 in C and is left alone unless C writes it. Comparing the 32
 * slots on every crossing would cost more than the rest of a crossing, so they are synced only
 * when a side wrote one: on NDIS's objects the mirror puts in `NetBufferListInfo` a view of the
 * slots' own array (`infoCells`) that counts every write (`infoWrites`; NDIS counts its own
 * clears), and into C the slots cross only when the count moved since this mirror last synced.
 * Out of C they are not compared at all: the NBL notes the module whose struct may hold writes
 * NDIS's side has not seen (`cInfoPending`), and the first look at the slots from NDIS's side —
 * a read or write through the view, or another module's crossing — brings C's changes over then
 * (`pullInfo`, against the snapshot after the struct). A clear of the slots by NDIS in between
 * (a new allocation, counted) makes C's stale words void instead.
 *
 * [MODEL] The reserved areas (ProtocolReserved, MiniportReserved of NBLs and NBs) are not synced:
 * each belongs to the driver that owns the NBL on that edge, and no other driver may read or
 * write it, so C's words stay in C's struct and a TypeScript driver's values in NDIS's object.
 * Like Windows, NDIS does not clear them between owners.
 */
import {
  adoptModuleContextCalls,
  type MDL,
  type NDIS_HANDLE,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  type NET_BUFFER_LIST_CONTEXT,
} from "../ddi.js";
import type { CMemory } from "./cmem.js";

/**
 * Bytes before each mirrored struct: its record's kind and index (word 0). Before an NBL, for the
 * module's own NdisAllocate/FreeNetBufferListContext (c/runtime/ndis_rt_context.c): its top
 * context block's address while the driver holds it, else 0 (word 1); the allocations made in
 * the module since NDIS last looked (word 2); the frees made there of allocations that were on
 * the stack then (word 3). Before a context block: 1 when NDIS reserved it with the NBL (word 1).
 */
const PREFIX = 16;
const KIND_SHIFT = 28;
const INDEX_MASK = (1 << KIND_SHIFT) - 1;
const KIND_NBL = 1;
const KIND_NB = 2;
const KIND_MDL = 3;
const KIND_CONTEXT = 4;

/** MdlFlags (nt.h). */
const MDL_MAPPED_TO_SYSTEM_VA = 0x0001;
const MDL_PAGES_LOCKED = 0x0002;
const MDL_SOURCE_IS_NONPAGED_POOL = 0x0004;

/** `__ndis_info_changed(head, nextOffset, infoOffset, words, snapshotOffset, tag)` of ndis_rt.c. */
export type InfoChanged = (
  head: number,
  next: number,
  info: number,
  words: number,
  snap: number,
  tag: number,
) => number;

/** A JS value no field of NDIS's objects holds: a record's "never synced". */
const UNSET: unknown = Symbol("unset");

/** NDIS's objects with room for their first mirror's record (the runtime's own objects). */
interface Carrier {
  cMirror?: unknown;
}

/** NDIS's NBL objects: the info slots' own array and the count of writes to them. */
interface InfoCarrier {
  NetBufferListInfo: unknown[];
  readonly infoCells: unknown[];
  infoWrites: number;
  /** The record whose C struct may hold info writes NDIS's side has not seen, or null. */
  cInfoPending: NblRec | null;
}

/** Brings over the C writes to an NBL's info slots NDIS's side has not seen, if any. */
function pullPending(carrier: InfoCarrier): void {
  const r = carrier.cInfoPending;
  if (r !== null) r.owner.pullInfo(r);
}

/** The counting views of NBLs' info arrays (shared by every module's mirror). */
const countedInfo = new WeakSet<object>();

/**
 * NDIS's NBL with a counting view in NetBufferListInfo, the view put there if need be; null
 * for an object that is not the runtime's (its slots are then compared on every crossing).
 */
function countInfoWrites(nbl: NET_BUFFER_LIST): InfoCarrier | null {
  const carrier = nbl as unknown as InfoCarrier;
  const cells = carrier.infoCells;
  if (
    !Array.isArray(cells) ||
    typeof carrier.infoWrites !== "number" ||
    carrier.cInfoPending === undefined
  )
    return null;
  const view = carrier.NetBufferListInfo;
  if (countedInfo.has(view)) return carrier;
  if (view !== cells) return null;
  // Every look at the slots first brings over what a C driver wrote; every write is counted.
  const counted = new Proxy(cells, {
    get(target, key) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    set(target, key, value) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      carrier.infoWrites++;
      return Reflect.set(target, key, value);
    },
    defineProperty(target, key, descriptor) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      carrier.infoWrites++;
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty(target, key) {
      if (carrier.cInfoPending !== null) pullPending(carrier);
      carrier.infoWrites++;
      return Reflect.deleteProperty(target, key);
    },
  });
  countedInfo.add(counted);
  carrier.NetBufferListInfo = counted;
  return carrier;
}

/** Word offsets (from the struct's start) of every mirrored field, read once from the layout. */
interface Offsets {
  nbl: {
    Next: number;
    FirstNetBuffer: number;
    Context: number;
    ParentNetBufferList: number;
    NdisPoolHandle: number;
    Scratch: number;
    SourceHandle: number;
    NblFlags: number;
    ChildRefCount: number;
    Flags: number;
    Status: number;
    NetBufferListInfo: number;
  };
  nb: {
    Next: number;
    CurrentMdl: number;
    CurrentMdlOffset: number;
    DataLength: number;
    MdlChain: number;
    DataOffset: number;
    /** A halfword offset. */
    ChecksumBias: number;
    NdisPoolHandle: number;
  };
  mdl: {
    Next: number;
    /** Halfword offsets. */
    Size: number;
    MdlFlags: number;
    MappedSystemVa: number;
    StartVa: number;
    ByteCount: number;
    ByteOffset: number;
  };
  context: {
    Next: number;
    /** Halfword offsets. */
    Size: number;
    Offset: number;
  };
  nblSize: number;
  /** Byte offset of the info slots' snapshot from an NBL struct's start. */
  nblSnap: number;
  nbSize: number;
  mdlSize: number;
  contextSize: number;
}

/**
 * The info slots: NDIS's array, and per slot the JS value (`js`) and C word (the snapshot at word
 * `snap`, after the struct in the module's memory) last made equal.
 */
function slotsIn(
  from: readonly unknown[],
  count: number,
  js: unknown[],
  w: Uint32Array,
  at: number,
  snap: number,
): void {
  for (let i = 0; i < count; i++) {
    const v = from[i];
    if (v !== js[i]) {
      js[i] = v;
      const x = typeof v === "number" ? v >>> 0 : 0;
      w[at + i] = x;
      w[snap + i] = x;
    }
  }
}

/** C's changed slots into NDIS's array; how many changed. */
function slotsOut(
  to: unknown[],
  count: number,
  js: unknown[],
  w: Uint32Array,
  at: number,
  snap: number,
): number {
  let changed = 0;
  for (let i = 0; i < count; i++) {
    const x = w[at + i] as number;
    if (x !== w[snap + i]) {
      w[snap + i] = x;
      const v = slotFromC(to[i], x);
      to[i] = v;
      js[i] = v;
      changed++;
    }
  }
  return changed;
}

class NblRec {
  readonly owner: NblMirror;
  readonly nbl: NET_BUFFER_LIST;
  /** The struct's word index in C memory (its address / 4). */
  readonly at: number;
  readonly p: number;
  // NDIS's values as last synced…
  source: unknown = UNSET;
  scratch: unknown = UNSET;
  parent: unknown = UNSET;
  // …and C's words.
  cSource = 0;
  cScratch = 0;
  cParent = 0;
  cStatus = 0;
  cFlags = 0;
  cNblFlags = 0;
  cFirst = 0;
  cContext = 0;
  /**
   * The context stack's top block, its Offset and the block under it when C's copy was last
   * brought up to date: NDIS changes only the top (an allocation carves it or pushes a block, a
   * free gives back from it or pops it), so an unchanged top means an unchanged stack.
   */
  ctxTop: NET_BUFFER_LIST_CONTEXT | null = null;
  ctxOffset = -1;
  ctxNext: NET_BUFFER_LIST_CONTEXT | null = null;
  /**
   * The driver holds the NBL (it crossed in and has not crossed out since): the module may then
   * allocate and free context in its top block itself (prefix word 1), and NDIS takes over what
   * it did when the NBL next crosses out (`#contextsFromC`).
   */
  held = false;
  /** The prefix's word index (its kind and index; then the context words). */
  readonly pre: number;
  /** NetBufferListInfo's slots as NDIS's side last had them (C's are in the struct's snapshot). */
  readonly js: unknown[];
  /** NDIS's NBL when it counts writes to its slots (else they are compared every crossing)… */
  readonly counted: InfoCarrier | null;
  /** …and its count when this mirror last had the slots equal (-1: never)… */
  infoWrites = -1;
  /** …and when the NBL last left C (its C words are NDIS's news unless the count moved). */
  pendingWrites = -1;
  /**
   * The usual shape, as the last crossing into C found it: one NET_BUFFER (`nb1`) whose chain is
   * one MDL (`mdl1`), its CurrentMdl. While the NBL keeps that shape a crossing finds both structs
   * here, without looking up their records (null: another shape; `epoch`: the mirror's count of
   * freed MDLs then, since a freed MDL's struct is gone).
   */
  nb1: NET_BUFFER | null = null;
  nb1Rec: NbRec | null = null;
  nb1At = 0;
  nb1P = 0;
  mdl1: MDL | null = null;
  mdl1Rec: MdlRec | null = null;
  mdl1At = 0;
  mdl1P = 0;
  epoch = -1;

  constructor(owner: NblMirror, nbl: NET_BUFFER_LIST, p: number, slots: number) {
    this.owner = owner;
    this.nbl = nbl;
    this.p = p;
    this.at = p >> 2;
    this.pre = (p - PREFIX) >> 2;
    this.js = Array.from({ length: slots }, () => UNSET);
    this.counted = countInfoWrites(nbl);
  }
}

class NbRec {
  readonly owner: NblMirror;
  readonly nb: NET_BUFFER;
  readonly at: number;
  readonly p: number;
  // C's pointer words as last synced (the number fields are compared with NDIS's own values:
  // while C holds the NBL, NDIS's side does not change them).
  cCurrentMdl = 0;
  cMdlChain = 0;

  constructor(owner: NblMirror, nb: NET_BUFFER, p: number) {
    this.owner = owner;
    this.nb = nb;
    this.p = p;
    this.at = p >> 2;
  }
}

class MdlRec {
  readonly owner: NblMirror;
  readonly mdl: MDL;
  readonly at: number;
  readonly p: number;
  /** The module's copy of the MDL's bytes (null: the buffer is the module's own, shared). */
  readonly copy: Uint8Array | null;
  /** Where the copy starts in the module's memory (0 when shared). */
  readonly data: number;
  /** The copy is mapped: its bytes cross in and back at every crossing. */
  copying: boolean;

  constructor(
    owner: NblMirror,
    mdl: MDL,
    p: number,
    copy: Uint8Array | null,
    data: number,
    mapped: boolean,
  ) {
    this.owner = owner;
    this.mdl = mdl;
    this.p = p;
    this.at = p >> 2;
    this.copy = copy;
    this.data = data;
    this.copying = copy !== null && mapped;
  }
}

class ContextRec {
  readonly owner: NblMirror;
  readonly p: number;
  readonly at: number;

  constructor(owner: NblMirror, p: number) {
    this.owner = owner;
    this.p = p;
    this.at = p >> 2;
  }
}

export class NblMirror {
  readonly #m: CMemory;
  /** The module's memory as 32- and 16-bit words: every mirrored field is aligned. */
  readonly #w: Uint32Array;
  readonly #h: Uint16Array;
  readonly #o: Offsets;
  /** Records by index (the word before each mirrored struct); freed indexes are reused. */
  readonly #nblRecs: (NblRec | undefined)[] = [];
  readonly #nbRecs: (NbRec | undefined)[] = [];
  readonly #mdlRecs: (MdlRec | undefined)[] = [];
  readonly #freeMdlIndexes: number[] = [];
  readonly #contextRecs: ContextRec[] = [];
  /** Records of objects whose `cMirror` holds another module's (or that have none). */
  readonly #others = new WeakMap<object, NblRec | NbRec | MdlRec | ContextRec>();
  // Info slots, as many as both NDIS's array and C's field hold.
  readonly #nblInfo: number;

  /** The module's own check of a chain's info slots against their snapshots (ndis_rt.c), if any. */
  readonly #infoChanged: InfoChanged | null;
  /** Copied MDLs reach C unmapped, their bytes crossing only once C maps them (`mapMdl`). */
  readonly #onDemand: boolean;
  /** Copied MDLs whose bytes cross (none: a crossing out looks at no MDL). */
  #copying = 0;
  /** MDLs freed so far (NblRec.epoch). */
  #freedMdls = 0;

  constructor(memory: CMemory, infoChanged: InfoChanged | null = null, mapOnDemand = false) {
    this.#m = memory;
    this.#infoChanged = infoChanged;
    this.#onDemand = mapOnDemand;
    this.#w = new Uint32Array(memory.buffer);
    this.#h = new Uint16Array(memory.buffer);
    const l = memory.layout;
    const word = (s: "NET_BUFFER_LIST" | "NET_BUFFER" | "MDL", f: string) => memory.off(s, f) >> 2;
    const half = (s: "MDL" | "NET_BUFFER" | "NET_BUFFER_LIST_CONTEXT", f: string) =>
      memory.off(s, f) >> 1;
    const words = (s: "NET_BUFFER_LIST" | "NET_BUFFER", f: string) =>
      ((l[s].fields[f]?.size ?? 0) / 4) | 0;
    this.#o = {
      nbl: {
        Next: word("NET_BUFFER_LIST", "Next"),
        FirstNetBuffer: word("NET_BUFFER_LIST", "FirstNetBuffer"),
        Context: word("NET_BUFFER_LIST", "Context"),
        ParentNetBufferList: word("NET_BUFFER_LIST", "ParentNetBufferList"),
        NdisPoolHandle: word("NET_BUFFER_LIST", "NdisPoolHandle"),
        Scratch: word("NET_BUFFER_LIST", "Scratch"),
        SourceHandle: word("NET_BUFFER_LIST", "SourceHandle"),
        NblFlags: word("NET_BUFFER_LIST", "NblFlags"),
        ChildRefCount: word("NET_BUFFER_LIST", "ChildRefCount"),
        Flags: word("NET_BUFFER_LIST", "Flags"),
        Status: word("NET_BUFFER_LIST", "Status"),
        NetBufferListInfo: word("NET_BUFFER_LIST", "NetBufferListInfo"),
      },
      nb: {
        Next: word("NET_BUFFER", "Next"),
        CurrentMdl: word("NET_BUFFER", "CurrentMdl"),
        CurrentMdlOffset: word("NET_BUFFER", "CurrentMdlOffset"),
        DataLength: word("NET_BUFFER", "DataLength"),
        MdlChain: word("NET_BUFFER", "MdlChain"),
        DataOffset: word("NET_BUFFER", "DataOffset"),
        ChecksumBias: half("NET_BUFFER", "ChecksumBias"),
        NdisPoolHandle: word("NET_BUFFER", "NdisPoolHandle"),
      },
      mdl: {
        Next: word("MDL", "Next"),
        Size: half("MDL", "Size"),
        MdlFlags: half("MDL", "MdlFlags"),
        MappedSystemVa: word("MDL", "MappedSystemVa"),
        StartVa: word("MDL", "StartVa"),
        ByteCount: word("MDL", "ByteCount"),
        ByteOffset: word("MDL", "ByteOffset"),
      },
      context: {
        Next: memory.off("NET_BUFFER_LIST_CONTEXT", "Next") >> 2,
        Size: half("NET_BUFFER_LIST_CONTEXT", "Size"),
        Offset: half("NET_BUFFER_LIST_CONTEXT", "Offset"),
      },
      nblSize: memory.sizeOf("NET_BUFFER_LIST"),
      // The info slots' snapshot: right after the struct, word-aligned.
      nblSnap: (memory.sizeOf("NET_BUFFER_LIST") + 3) & ~3,
      nbSize: memory.sizeOf("NET_BUFFER"),
      mdlSize: memory.sizeOf("MDL"),
      contextSize: memory.sizeOf("NET_BUFFER_LIST_CONTEXT"),
    };
    this.#nblInfo = Math.min(32, words("NET_BUFFER_LIST", "NetBufferListInfo"));
  }

  // ---- records ----

  /** A zeroed struct of `size` bytes with its record's kind and index in front. */
  #place(size: number, kind: number, index: number): number {
    const base = this.#m.alloc(size + PREFIX);
    this.#w[base >> 2] = (kind << KIND_SHIFT) | index;
    return base + PREFIX;
  }

  /** The record index of the struct at C address `p`, if it is one of `kind`; else -1. */
  #indexAt(p: number, kind: number): number {
    if (p < PREFIX || (p & 3) !== 0 || p >= this.#m.bytes.length) return -1;
    const tag = this.#w[(p - PREFIX) >> 2] as number;
    return tag >>> KIND_SHIFT === kind ? tag & INDEX_MASK : -1;
  }

  #nblRecAt(p: number): NblRec | undefined {
    const r = this.#nblRecs[this.#indexAt(p, KIND_NBL)];
    return r !== undefined && r.p === p ? r : undefined;
  }

  #nbRecAt(p: number): NbRec | undefined {
    const r = this.#nbRecs[this.#indexAt(p, KIND_NB)];
    return r !== undefined && r.p === p ? r : undefined;
  }

  #mdlRecAt(p: number): MdlRec | undefined {
    const r = this.#mdlRecs[this.#indexAt(p, KIND_MDL)];
    return r !== undefined && r.p === p ? r : undefined;
  }

  // The record NDIS's object carries for this module, or the one kept aside: one function per
  // kind keeps the data path's lookups monomorphic.
  #carriedNbl(nbl: NET_BUFFER_LIST): NblRec | undefined {
    // Each kind of NDIS object carries one kind of record: only the owner is checked.
    const r = (nbl as Carrier).cMirror as NblRec | null | undefined;
    if (r != null && r.owner === this) return r;
    return this.#others.get(nbl) as NblRec | undefined;
  }

  #carriedNb(nb: NET_BUFFER): NbRec | undefined {
    const r = (nb as Carrier).cMirror as NbRec | null | undefined;
    if (r != null && r.owner === this) return r;
    return this.#others.get(nb) as NbRec | undefined;
  }

  #carriedMdl(mdl: MDL): MdlRec | undefined {
    const r = (mdl as Carrier).cMirror as MdlRec | null | undefined;
    if (r != null && r.owner === this) return r;
    return this.#others.get(mdl) as MdlRec | undefined;
  }

  #carriedContext(context: NET_BUFFER_LIST_CONTEXT): ContextRec | undefined {
    const r = (context as Carrier).cMirror as ContextRec | null | undefined;
    if (r != null && r.owner === this) return r;
    return this.#others.get(context) as ContextRec | undefined;
  }

  #keep(object: object, rec: NblRec | NbRec | MdlRec | ContextRec): void {
    const carrier = object as Carrier;
    if (carrier.cMirror === null) carrier.cMirror = rec;
    else this.#others.set(object, rec);
  }

  #nblRec(nbl: NET_BUFFER_LIST): NblRec {
    const r = this.#carriedNbl(nbl);
    if (r !== undefined) return r;
    const o = this.#o;
    const index = this.#nblRecs.length;
    const p = this.#place(o.nblSnap + 4 * this.#nblInfo, KIND_NBL, index);
    const rec = new NblRec(this, nbl, p, this.#nblInfo);
    this.#nblRecs.push(rec);
    this.#keep(nbl, rec);
    this.#w[rec.at + o.nbl.NdisPoolHandle] = this.#m.handleId(nbl.NdisPoolHandle);
    return rec;
  }

  #nbRec(nb: NET_BUFFER): NbRec {
    const r = this.#carriedNb(nb);
    if (r !== undefined) return r;
    const o = this.#o;
    const index = this.#nbRecs.length;
    const p = this.#place(o.nbSize, KIND_NB, index);
    const rec = new NbRec(this, nb, p);
    this.#nbRecs.push(rec);
    this.#keep(nb, rec);
    this.#w[rec.at + o.nb.NdisPoolHandle] = this.#m.handleId(nb.NdisPoolHandle);
    return rec;
  }

  /** A record for `mdl`; `va` is where its bytes are in the module when they are its own. */
  #newMdlRec(mdl: MDL, va: number | null): MdlRec {
    const m = this.#m;
    const o = this.#o;
    const index = this.#freeMdlIndexes.pop() ?? this.#mdlRecs.length;
    const p = this.#place(o.mdlSize, KIND_MDL, index);
    const buffer = mdl.MappedSystemVa;
    let data = va;
    let copy: Uint8Array | null = null;
    if (data === null) {
      if (buffer.buffer === m.buffer) data = buffer.byteOffset;
      else {
        data = m.alloc(Math.max(mdl.ByteCount, 1));
        copy = m.bytes.subarray(data, data + mdl.ByteCount);
      }
    }
    const mapped = copy === null || !this.#onDemand;
    const rec = new MdlRec(this, mdl, p, copy, copy === null ? 0 : data, mapped);
    if (rec.copying) this.#copying++;
    this.#mdlRecs[index] = rec;
    this.#keep(mdl, rec);
    const h = this.#h;
    const w = this.#w;
    h[(p >> 1) + o.mdl.Size] = o.mdlSize;
    h[(p >> 1) + o.mdl.MdlFlags] = mapped
      ? MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL
      : MDL_PAGES_LOCKED;
    w[rec.at + o.mdl.MappedSystemVa] = mapped ? data : 0;
    w[rec.at + o.mdl.StartVa] = data;
    w[rec.at + o.mdl.ByteCount] = mdl.ByteCount;
    w[rec.at + o.mdl.ByteOffset] = 0;
    return rec;
  }

  #mdlRec(mdl: MDL): MdlRec {
    return this.#carriedMdl(mdl) ?? this.#newMdlRec(mdl, null);
  }

  #contextRec(context: NET_BUFFER_LIST_CONTEXT): ContextRec {
    const r = this.#carriedContext(context);
    if (r !== undefined) return r;
    const o = this.#o;
    const p = this.#place(o.contextSize + context.Size, KIND_CONTEXT, this.#contextRecs.length);
    const rec = new ContextRec(this, p);
    this.#contextRecs.push(rec);
    this.#keep(context, rec);
    this.#h[(p >> 1) + o.context.Size] = context.Size;
    // Emptying the block NDIS reserves with the NBL keeps it on the stack: the module may do that.
    this.#w[((p - PREFIX) >> 2) + 1] =
      (context as { reserved?: unknown }).reserved === true ? 1 : 0;
    return rec;
  }

  /**
   * The NDIS NBL a C pointer stands for, with the context allocations and frees the module made
   * on it itself taken over; null when C passed something NDIS never gave it.
   */
  nblAt(p: number): NET_BUFFER_LIST | null {
    const r = this.#nblRecAt(p);
    if (r === undefined) return null;
    if (r.held) this.#contextsFromC(r);
    return r.nbl;
  }

  mdlAt(p: number): MDL | null {
    return this.#mdlRecAt(p)?.mdl ?? null;
  }

  /**
   * The NDIS NET_BUFFER at C address `p`, with the driver's changes to it (and its MDLs' bytes)
   * read back first; null for a pointer NDIS never gave (services.ts: a DDI call about one NB).
   */
  nbFromCOne(p: number): NET_BUFFER | null {
    const r = this.#nbRecAt(p);
    if (r === undefined) return null;
    this.#nbFromC(r);
    return r.nb;
  }

  /** Brings one NET_BUFFER (its fields, MDL chain and bytes) up to date in C; its address. */
  nbToCOne(nb: NET_BUFFER): number {
    return this.#nbToC(nb).p;
  }

  /** Registers an MDL whose buffer is the module's own memory at `va` (NdisAllocateMdl). */
  adoptMdl(mdl: MDL, va: number): number {
    return this.#newMdlRec(mdl, va).p;
  }

  /**
   * MmMapLockedPagesSpecifyCache: the address of the MDL at `p`'s bytes in the module, mapping
   * (copying in) a copied MDL the first time; 0 (NULL, the DDI's failure) for a pointer that is
   * not an MDL NDIS gave the driver.
   */
  mapMdl(p: number): number {
    const r = this.#mdlRecAt(p);
    if (r === undefined) return 0;
    const o = this.#o.mdl;
    if (r.copy !== null && !r.copying) {
      r.copying = true;
      this.#copying++;
      r.copy.set(r.mdl.MappedSystemVa);
      const flags = (p >> 1) + o.MdlFlags;
      this.#h[flags] = (this.#h[flags] as number) | MDL_MAPPED_TO_SYSTEM_VA;
      this.#w[r.at + o.MappedSystemVa] = r.data;
      return r.data;
    }
    return r.copy === null ? (this.#w[r.at + o.MappedSystemVa] as number) : r.data;
  }

  /** Forgets an MDL the driver freed. */
  dropMdl(p: number): void {
    const index = this.#indexAt(p, KIND_MDL);
    const rec = this.#mdlRecs[index];
    if (rec === undefined || rec.p !== p) return;
    this.#mdlRecs[index] = undefined;
    this.#freeMdlIndexes.push(index);
    this.#freedMdls++;
    if (rec.copying) this.#copying--;
    const carrier = rec.mdl as Carrier;
    if (carrier.cMirror === rec) carrier.cMirror = null;
    else this.#others.delete(rec.mdl);
    this.#m.free(rec.data);
    this.#m.free(p - PREFIX);
  }

  // ---- into C ----

  /** Brings an NBL chain's mirrors up to date and returns the first one's address (0 for null). */
  toC(first: NET_BUFFER_LIST | null): number {
    const w = this.#w;
    const next = this.#o.nbl.Next;
    let head = 0;
    let prev = -1;
    for (let nbl = first; nbl !== null; nbl = nbl.Next) {
      const r = this.#nblToC(nbl);
      if (prev < 0) head = r.p;
      else w[prev + next] = r.p;
      prev = r.at;
    }
    if (prev >= 0) w[prev + next] = 0;
    return head;
  }

  /** Brings one NBL (not the ones chained after it) up to date in C; its address. */
  toCOne(nbl: NET_BUFFER_LIST): number {
    return this.#nblToC(nbl).p;
  }

  #nblToC(nbl: NET_BUFFER_LIST): NblRec {
    const w = this.#w;
    const o = this.#o.nbl;
    const r = this.#nblRec(nbl);
    const at = r.at;
    // What the module did to the context stack while it held the NBL already, first.
    if (r.held) this.#contextsFromC(r);
    // The NET_BUFFERs, every crossing (their fields are NDIS's to change while it holds them).
    const nb = nbl.FirstNetBuffer;
    const mdl = nb === null ? null : nb.MdlChain;
    const first =
      nb !== null &&
      nb === r.nb1 &&
      nb.Next === null &&
      mdl !== null &&
      mdl === r.mdl1 &&
      mdl.Next === null &&
      nb.CurrentMdl === mdl &&
      r.epoch === this.#freedMdls
        ? this.#oneNbToC(r, nb, mdl)
        : this.#nbsToC(r, nb);
    if (first !== r.cFirst) w[at + o.FirstNetBuffer] = r.cFirst = first;
    this.#stackToC(r, nbl.Context);
    // The driver holds it now: its context calls may stay in the module (NDIS's NBLs only).
    r.held = true;
    w[r.pre + 1] = r.counted === null ? 0 : r.cContext;
    const parent = nbl.ParentNetBufferList;
    if (parent !== r.parent) {
      r.parent = parent;
      w[at + o.ParentNetBufferList] = r.cParent = parent === null ? 0 : this.#nblRec(parent).p;
    }
    const source = nbl.SourceHandle;
    if (source !== r.source) {
      r.source = source;
      w[at + o.SourceHandle] = r.cSource = this.#m.handleId(source);
    }
    const scratch = nbl.Scratch;
    if (scratch !== r.scratch) {
      r.scratch = scratch;
      w[at + o.Scratch] = r.cScratch = slot(scratch);
    }
    // The number fields: written only when NDIS's value is not C's word already.
    let x = nbl.NblFlags >>> 0;
    if (x !== r.cNblFlags) w[at + o.NblFlags] = r.cNblFlags = x;
    // (ChildRefCount is NDIS's alone: compared with C's word itself, which nothing reads back.)
    x = nbl.ChildRefCount >>> 0;
    if (x !== w[at + o.ChildRefCount]) w[at + o.ChildRefCount] = x;
    x = nbl.Flags >>> 0;
    if (x !== r.cFlags) w[at + o.Flags] = r.cFlags = x;
    x = nbl.Status >>> 0;
    if (x !== r.cStatus) w[at + o.Status] = r.cStatus = x;
    const counted = r.counted;
    // C writes NDIS's side has not seen: another module's come over first; this module's own
    // are in its struct already, unless NDIS's side cleared the slots since.
    const pending = counted === null ? null : counted.cInfoPending;
    if (
      pending !== null &&
      (pending !== r || (counted as InfoCarrier).infoWrites !== r.pendingWrites)
    )
      pending.owner.pullInfo(pending);
    if (counted === null)
      slotsIn(
        nbl.NetBufferListInfo,
        this.#nblInfo,
        r.js,
        w,
        at + o.NetBufferListInfo,
        at + (this.#o.nblSnap >> 2),
      );
    else if (counted.infoWrites !== r.infoWrites) {
      r.infoWrites = counted.infoWrites;
      slotsIn(
        counted.infoCells,
        this.#nblInfo,
        r.js,
        w,
        at + o.NetBufferListInfo,
        at + (this.#o.nblSnap >> 2),
      );
    }
    return r;
  }

  /** An NBL's NET_BUFFERs into C, whatever their shape; the first one's address (0: none). */
  #nbsToC(r: NblRec, firstNb: NET_BUFFER | null): number {
    const w = this.#w;
    let first = 0;
    let prevNb = -1;
    const nbNext = this.#o.nb.Next;
    let only: NbRec | null = null;
    for (let nb = firstNb; nb !== null; nb = nb.Next) {
      const q = this.#nbToC(nb);
      if (prevNb < 0) {
        first = q.p;
        only = q;
      } else {
        w[prevNb + nbNext] = q.p;
        only = null;
      }
      prevNb = q.at;
    }
    if (prevNb >= 0) w[prevNb + nbNext] = 0;
    // The usual shape is kept for the next crossing.
    const nb = only === null ? null : only.nb;
    const mdl = nb === null ? null : nb.MdlChain;
    if (
      only !== null &&
      nb !== null &&
      mdl !== null &&
      mdl.Next === null &&
      nb.CurrentMdl === mdl
    ) {
      const m = this.#mdlRec(mdl);
      r.nb1 = nb;
      r.nb1Rec = only;
      r.nb1At = only.at;
      r.nb1P = only.p;
      r.mdl1 = mdl;
      r.mdl1Rec = m;
      r.mdl1At = m.at;
      r.mdl1P = m.p;
      r.epoch = this.#freedMdls;
    } else {
      r.nb1 = r.nb1Rec = null;
      r.mdl1 = r.mdl1Rec = null;
      r.nb1P = 0;
    }
    return first;
  }

  /** The one NET_BUFFER of one MDL, of the shape the last crossing found: its address. */
  #oneNbToC(r: NblRec, nb: NET_BUFFER, mdl: MDL): number {
    const w = this.#w;
    const o = this.#o.nb;
    const at = r.nb1At;
    const p = r.mdl1P;
    w[at + o.Next] = 0;
    w[at + o.MdlChain] = p;
    w[at + o.CurrentMdl] = p;
    w[r.mdl1At + this.#o.mdl.Next] = 0;
    w[at + o.CurrentMdlOffset] = nb.CurrentMdlOffset;
    w[at + o.DataLength] = nb.DataLength;
    w[at + o.DataOffset] = nb.DataOffset;
    this.#h[(r.nb1P >> 1) + o.ChecksumBias] = nb.ChecksumBias;
    if (this.#copying > 0) {
      const q = r.mdl1Rec as MdlRec;
      if (q.copying) (q.copy as Uint8Array).set(mdl.MappedSystemVa);
    }
    return r.nb1P;
  }

  #nbToC(nb: NET_BUFFER): NbRec {
    const w = this.#w;
    const o = this.#o.nb;
    const r = this.#nbRec(nb);
    const at = r.at;
    // The MDL chain; CurrentMdl is one of its MDLs (or, after a retreat, its new head).
    let chain = 0;
    let prev = -1;
    const mdlNext = this.#o.mdl.Next;
    const current = nb.CurrentMdl;
    let currentAt = current === null ? 0 : -1;
    for (let mdl = nb.MdlChain; mdl !== null; mdl = mdl.Next) {
      const q = this.#mdlToC(mdl);
      if (prev < 0) chain = q.p;
      else w[prev + mdlNext] = q.p;
      prev = q.at;
      if (mdl === current) currentAt = q.p;
    }
    if (prev >= 0) w[prev + mdlNext] = 0;
    w[at + o.MdlChain] = r.cMdlChain = chain;
    if (currentAt < 0) currentAt = this.#mdlRec(current as MDL).p;
    w[at + o.CurrentMdl] = r.cCurrentMdl = currentAt;
    w[at + o.CurrentMdlOffset] = nb.CurrentMdlOffset;
    w[at + o.DataLength] = nb.DataLength;
    w[at + o.DataOffset] = nb.DataOffset;
    this.#h[(r.p >> 1) + o.ChecksumBias] = nb.ChecksumBias;
    return r;
  }

  #mdlToC(mdl: MDL): MdlRec {
    const r = this.#mdlRec(mdl);
    if (r.copying) (r.copy as Uint8Array).set(mdl.MappedSystemVa);
    return r;
  }

  /** A context block chain: NDIS's Size and Offset; the bytes are the C driver's own. */
  #contextToC(context: NET_BUFFER_LIST_CONTEXT): number {
    const o = this.#o.context;
    const r = this.#contextRec(context);
    const next = context.Next;
    this.#w[r.at + o.Next] = next === null ? 0 : this.#contextToC(next);
    this.#h[(r.p >> 1) + o.Offset] = context.Offset;
    return r.p;
  }

  /**
   * After NDIS changed only an NBL's context stack (NdisAllocate/FreeNetBufferListContext):
   * brings its Context pointer and blocks up to date, nothing else.
   */
  contextToC(nbl: NET_BUFFER_LIST): void {
    this.#stackToC(this.#nblRec(nbl), nbl.Context);
  }

  /** An NBL's context stack into C, unless its top is as it was the last time. */
  #stackToC(r: NblRec, top: NET_BUFFER_LIST_CONTEXT | null): void {
    if (top === r.ctxTop && (top === null || top.Next === r.ctxNext)) {
      // The same blocks: at most the top's Offset moved (an allocation or free within it).
      if (top !== null && top.Offset !== r.ctxOffset) {
        r.ctxOffset = top.Offset;
        this.#h[(r.cContext >> 1) + this.#o.context.Offset] = top.Offset;
      }
      return;
    }
    const context = top === null ? 0 : this.#contextToC(top);
    r.ctxTop = top;
    r.ctxOffset = top === null ? -1 : top.Offset;
    r.ctxNext = top === null ? null : top.Next;
    if (context !== r.cContext) {
      this.#w[r.at + this.#o.nbl.Context] = r.cContext = context;
      if (r.held && r.counted !== null) this.#w[r.pre + 1] = context;
    }
  }

  /**
   * Takes over the context allocations and frees the module made on `r`'s NBL itself (prefix
   * words 2 and 3; ndis_rt_context.c) as NDIS's own fast path would have made them: the top
   * block's Offset moves by as much as C's did, and under the verifier the record of who
   * allocated each context loses the freed ones and gains the driver's (the NBL's owner: the
   * module makes them only while the driver holds it).
   */
  #contextsFromC(r: NblRec): void {
    const w = this.#w;
    const pre = r.pre;
    const pushed = w[pre + 2] as number;
    const popped = w[pre + 3] as number;
    if ((pushed | popped) === 0) return;
    w[pre + 2] = 0;
    w[pre + 3] = 0;
    const top = r.ctxTop;
    if (top !== null) {
      const offset = (r.cContext >> 1) + this.#o.context.Offset;
      const h = this.#h;
      top.Offset += (h[offset] as number) - r.ctxOffset;
      r.ctxOffset = top.Offset;
      h[offset] = top.Offset;
    }
    // The record of who allocated each context, kept under the verifier (record, strict).
    adoptModuleContextCalls(r.nbl, pushed, popped);
  }

  // ---- out of C ----

  /**
   * Reads the driver's changes to the one NBL at C address `p` (not the ones chained after it:
   * a DDI call about one NBL) back into NDIS's object; null for a pointer NDIS never gave.
   */
  fromCOne(p: number): NET_BUFFER_LIST | null {
    const r = this.#nblRecAt(p);
    if (r === undefined) return null;
    this.#nblFromC(r, true);
    return r.nbl;
  }

  /**
   * Reads the driver's changes to the chain starting at C address `p` back into NDIS's objects
   * and returns the first one. A pointer NDIS never gave the driver ends the chain (null when it
   * is the first): NDIS then sees what the driver really passed, which it reports.
   */
  fromC(p: number): NET_BUFFER_LIST | null {
    const w = this.#w;
    const o = this.#o;
    const next = o.nbl.Next;
    let r = this.#nblRecAt(p);
    const first = r === undefined ? null : r.nbl;
    // Info slots of NBLs that are not NDIS's own objects: one call into the module tells
    // whether any of the chain's changed (asked only if the chain has such an NBL).
    let info = -1;
    while (r !== undefined) {
      const nextAt = w[r.at + next] as number;
      const n = nextAt === 0 ? undefined : this.#nblRecAt(nextAt);
      const counted = r.counted;
      if (counted !== null) {
        // NDIS's side reads C's slots when it first looks (pullInfo), not now.
        this.#nblFromC(r, false);
        const pending = counted.cInfoPending;
        if (pending !== null && pending !== r) pending.owner.pullInfo(pending);
        if (pending !== r) counted.cInfoPending = r;
        const writes = counted.infoWrites;
        if (writes !== r.pendingWrites) r.pendingWrites = writes;
      } else {
        if (info < 0) info = this.#infoCheck(p) ? 1 : 0;
        this.#nblFromC(r, info === 1);
      }
      r.nbl.Next = n === undefined ? null : n.nbl;
      r = n;
    }
    return first;
  }

  /** Whether any NBL of the chain at `p` has an info slot C changed (true without the module's check). */
  #infoCheck(p: number): boolean {
    const check = this.#infoChanged;
    const o = this.#o;
    return (
      check === null ||
      check(
        p,
        o.nbl.Next << 2,
        o.nbl.NetBufferListInfo << 2,
        this.#nblInfo,
        o.nblSnap,
        KIND_NBL,
      ) !== 0
    );
  }

  /**
   * Brings over C's writes to the info slots of `r`'s NBL that NDIS's side has not seen (the
   * NBL's `cInfoPending` is `r`); if NDIS's side cleared the slots since the NBL left C, C's words
   * are stale: they are dropped, and the next crossing into C writes every slot.
   */
  pullInfo(r: NblRec): void {
    const counted = r.counted as InfoCarrier;
    if (counted.cInfoPending === r) counted.cInfoPending = null;
    if (counted.infoWrites !== r.pendingWrites) {
      // Seen and void: the snapshot takes C's words, and the next crossing in rewrites them all.
      const at = r.at + this.#o.nbl.NetBufferListInfo;
      this.#w.copyWithin(r.at + (this.#o.nblSnap >> 2), at, at + this.#nblInfo);
      r.js.fill(UNSET);
      r.infoWrites = -1;
      return;
    }
    this.#slotsFromC(r, counted.infoCells, counted);
  }

  /** C's changed info slots of `r` into `to`; counted as writes for the other mirrors. */
  #slotsFromC(r: NblRec, to: unknown[], counted: InfoCarrier | null): void {
    const at = r.at;
    const changed = slotsOut(
      to,
      this.#nblInfo,
      r.js,
      this.#w,
      at + this.#o.nbl.NetBufferListInfo,
      at + (this.#o.nblSnap >> 2),
    );
    // C's writes are writes for every other mirror of the NBL; this one has them already
    // (unless NDIS's side changed too since it last synced).
    if (changed > 0 && counted !== null) {
      const inSync = counted.infoWrites === r.infoWrites;
      counted.infoWrites++;
      if (inSync) r.infoWrites = counted.infoWrites;
    }
  }

  #nblFromC(r: NblRec, info: boolean): void {
    const w = this.#w;
    const o = this.#o.nbl;
    const nbl = r.nbl;
    const at = r.at;
    // It leaves the driver: NDIS takes over its context calls made in the module, and any later
    // one (a driver touching an NBL it handed on) goes to NDIS.
    if (r.held) {
      r.held = false;
      w[r.pre + 1] = 0;
      if (((w[r.pre + 2] as number) | (w[r.pre + 3] as number)) !== 0) this.#contextsFromC(r);
    }
    let x = w[at + o.Status] as number;
    if (x !== r.cStatus) nbl.Status = r.cStatus = x;
    x = w[at + o.SourceHandle] as number;
    if (x !== r.cSource) {
      r.cSource = x;
      r.source = nbl.SourceHandle = this.#m.handle(x) as NDIS_HANDLE | null;
    }
    x = w[at + o.NblFlags] as number;
    if (x !== r.cNblFlags) nbl.NblFlags = r.cNblFlags = x;
    x = w[at + o.Flags] as number;
    if (x !== r.cFlags) nbl.Flags = r.cFlags = x;
    x = w[at + o.Scratch] as number;
    if (x !== r.cScratch) {
      r.cScratch = x;
      r.scratch = nbl.Scratch = slotFromC(nbl.Scratch, x);
    }
    x = w[at + o.ParentNetBufferList] as number;
    if (x !== r.cParent) {
      r.cParent = x;
      r.parent = nbl.ParentNetBufferList = x === 0 ? null : (this.#nblRecAt(x)?.nbl ?? null);
    }
    if (info) {
      const counted = r.counted;
      if (counted === null) this.#slotsFromC(r, nbl.NetBufferListInfo, null);
      else {
        // What was pending first; this module's words, unless that was them.
        const pending = counted.cInfoPending;
        if (pending !== null) pending.owner.pullInfo(pending);
        if (pending !== r) this.#slotsFromC(r, counted.infoCells, counted);
      }
    }
    const nbNext = this.#o.nb.Next;
    const firstNb = w[at + o.FirstNetBuffer] as number;
    // The usual shape, as it went in: its struct without a lookup.
    if (firstNb === r.nb1P && firstNb !== 0 && w[r.nb1At + nbNext] === 0) {
      this.#nbFromC(r.nb1Rec as NbRec);
      return;
    }
    for (let q = this.#nbRecAt(firstNb); q !== undefined; ) {
      this.#nbFromC(q);
      const n = w[q.at + nbNext] as number;
      q = n === 0 ? undefined : this.#nbRecAt(n);
    }
  }

  #nbFromC(r: NbRec): void {
    const w = this.#w;
    const o = this.#o.nb;
    const nb = r.nb;
    const at = r.at;
    // What went in is NDIS's value as C sees it (stored into a 32- or 16-bit word).
    let x = w[at + o.DataOffset] as number;
    if (x !== nb.DataOffset >>> 0) nb.DataOffset = x;
    x = w[at + o.DataLength] as number;
    if (x !== nb.DataLength >>> 0) nb.DataLength = x;
    x = w[at + o.CurrentMdlOffset] as number;
    if (x !== nb.CurrentMdlOffset >>> 0) nb.CurrentMdlOffset = x;
    x = this.#h[(r.p >> 1) + o.ChecksumBias] as number;
    if (x !== (nb.ChecksumBias & 0xffff)) nb.ChecksumBias = x;
    x = w[at + o.CurrentMdl] as number;
    if (x !== r.cCurrentMdl) {
      r.cCurrentMdl = x;
      nb.CurrentMdl = this.#mdlRecAt(x)?.mdl ?? null;
    }
    // Mapped copies carry the driver's writes back.
    if (this.#copying > 0)
      for (let mdl = nb.MdlChain; mdl !== null; mdl = mdl.Next) {
        const q = this.#carriedMdl(mdl);
        if (q?.copying) mdl.MappedSystemVa.set(q.copy as Uint8Array);
      }
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
