/**
 * A driver module's linear memory as the bridge sees it: typed reads and writes at C addresses
 * through the module's own layout table, the module's allocator, strings, and the map between
 * NDIS's objects (handles, contexts) and the 32-bit values C holds for them.
 */
import type { ModuleLayout, StructName } from "./layout.js";

/** First value the bridge gives to a handle: above any address of the module's memory, so a C
 * driver that dereferences a handle traps instead of reading something. */
const HANDLE_BASE = 0x7f000000;

/** Bytes of a WCHAR in a module: wasm32's wchar_t (see c/include/ndis/nt.h). */
const WCHAR = 4;

export class CMemory {
  readonly buffer: ArrayBuffer;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  readonly layout: ModuleLayout;
  readonly #alloc: (n: number) => number;
  readonly #free: (p: number) => void;
  readonly #handleIds = new Map<unknown, number>();
  /** Handles by (value − HANDLE_BASE) / 16. */
  readonly #handles: unknown[] = [];
  #nextHandle = HANDLE_BASE;

  constructor(
    memory: WebAssembly.Memory,
    layout: ModuleLayout,
    alloc: (n: number) => number,
    free: (p: number) => void,
  ) {
    this.buffer = memory.buffer;
    this.view = new DataView(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
    this.layout = layout;
    this.#alloc = alloc;
    this.#free = free;
  }

  /** Zeroed bytes in the module's heap; throws when it is exhausted. */
  alloc(size: number): number {
    const p = this.#alloc(size) >>> 0;
    if (p === 0)
      throw new Error(`the driver module's memory is exhausted (allocating ${size} bytes)`);
    return p;
  }

  /** Zeroed memory for one `struct`. */
  allocStruct(struct: StructName): number {
    return this.alloc(this.layout[struct].size);
  }

  free(p: number): void {
    if (p !== 0) this.#free(p);
  }

  off(struct: StructName, field: string): number {
    const f = this.layout[struct].fields[field];
    if (f === undefined)
      throw new Error(`ndis-ts internal error: no ${struct}.${field} in the layout`);
    return f.offset;
  }

  sizeOf(struct: StructName): number {
    return this.layout[struct].size;
  }

  /** Bytes from the start of `struct` through the end of `field` (RTL_SIZEOF_THROUGH_FIELD). */
  sizeThrough(struct: StructName, field: string): number {
    const f = this.layout[struct].fields[field];
    if (f === undefined)
      throw new Error(`ndis-ts internal error: no ${struct}.${field} in the layout`);
    return f.offset + f.size;
  }

  u8(p: number): number {
    return this.view.getUint8(p);
  }
  u16(p: number): number {
    return this.view.getUint16(p, true);
  }
  u32(p: number): number {
    return this.view.getUint32(p, true);
  }
  i32(p: number): number {
    return this.view.getInt32(p, true);
  }
  u64(p: number): bigint {
    return this.view.getBigUint64(p, true);
  }
  setU8(p: number, v: number): void {
    this.view.setUint8(p, v);
  }
  setU16(p: number, v: number): void {
    this.view.setUint16(p, v, true);
  }
  setU32(p: number, v: number): void {
    this.view.setUint32(p, v >>> 0, true);
  }
  setU64(p: number, v: bigint): void {
    this.view.setBigUint64(p, BigInt.asUintN(64, v), true);
  }

  /** Field `field` of the `struct` at `p`, by the width the layout gives it. */
  get(struct: StructName, p: number, field: string): number {
    const f = this.layout[struct].fields[field];
    if (f === undefined)
      throw new Error(`ndis-ts internal error: no ${struct}.${field} in the layout`);
    const at = p + f.offset;
    return f.size === 1 ? this.u8(at) : f.size === 2 ? this.u16(at) : this.u32(at);
  }

  set(struct: StructName, p: number, field: string, v: number): void {
    const f = this.layout[struct].fields[field];
    if (f === undefined)
      throw new Error(`ndis-ts internal error: no ${struct}.${field} in the layout`);
    const at = p + f.offset;
    if (f.size === 1) this.setU8(at, v);
    else if (f.size === 2) this.setU16(at, v);
    else this.setU32(at, v);
  }

  get64(struct: StructName, p: number, field: string): bigint {
    return this.u64(p + this.off(struct, field));
  }

  set64(struct: StructName, p: number, field: string, v: bigint): void {
    this.setU64(p + this.off(struct, field), v);
  }

  /** Writes an NDIS_OBJECT_HEADER at `p`. */
  setHeader(p: number, type: number, revision: number, size: number): void {
    this.setU8(p, type);
    this.setU8(p + 1, revision);
    this.setU16(p + 2, size);
  }

  header(p: number): { Type: number; Revision: number; Size: number } {
    return { Type: this.u8(p), Revision: this.u8(p + 1), Size: this.u16(p + 2) };
  }

  /** A copy of `length` bytes at `p` (empty for a NULL pointer). */
  copyOut(p: number, length: number): Uint8Array {
    if (p === 0 || length === 0) return new Uint8Array(0);
    this.check(p, length);
    return this.bytes.slice(p, p + length);
  }

  /** A view (not a copy) of `length` bytes at `p`. */
  viewOf(p: number, length: number): Uint8Array {
    this.check(p, length);
    return this.bytes.subarray(p, p + length);
  }

  /** Throws (naming the range) when `[p, p + length)` is outside the module's memory. */
  check(p: number, length: number): void {
    if (p < 0 || length < 0 || p + length > this.bytes.length) {
      throw new RangeError(
        `address 0x${p.toString(16)} (+${length}) is outside the driver module's memory`,
      );
    }
  }

  /** A UNICODE_STRING at `p` as a string ("" for NULL). */
  unicodeString(p: number): string {
    if (p === 0) return "";
    const length = this.get("UNICODE_STRING", p, "Length");
    const buffer = this.get("UNICODE_STRING", p, "Buffer");
    let text = "";
    for (let i = 0; i + WCHAR - 1 < length; i += WCHAR)
      text += String.fromCodePoint(this.u32(buffer + i));
    return text;
  }

  /** A new UNICODE_STRING (and its buffer) holding `text`. */
  newUnicodeString(text: string): number {
    const p = this.allocStruct("UNICODE_STRING");
    const chars = [...text];
    const buffer = this.alloc((chars.length + 1) * WCHAR);
    chars.forEach((ch, i) => {
      this.setU32(buffer + WCHAR * i, ch.codePointAt(0) ?? 0);
    });
    this.set("UNICODE_STRING", p, "Length", chars.length * WCHAR);
    this.set("UNICODE_STRING", p, "MaximumLength", (chars.length + 1) * WCHAR);
    this.set("UNICODE_STRING", p, "Buffer", buffer);
    return p;
  }

  freeUnicodeString(p: number): void {
    if (p === 0) return;
    this.free(this.get("UNICODE_STRING", p, "Buffer"));
    this.free(p);
  }

  /** The 32-bit value C holds for an NDIS object (a handle): 0 for NULL. */
  handleId(handle: unknown): number {
    if (handle === null || handle === undefined) return 0;
    let id = this.#handleIds.get(handle);
    if (id === undefined) {
      id = this.#nextHandle;
      this.#nextHandle += 16;
      this.#handleIds.set(handle, id);
      this.#handles.push(handle);
    }
    return id;
  }

  /** The NDIS object behind a value C passed as a handle (the raw number when unknown). */
  handle(id: number): unknown {
    if (id === 0) return null;
    const k = (id - HANDLE_BASE) / 16;
    return k >= 0 && k < this.#handles.length && (k | 0) === k ? this.#handles[k] : id;
  }

  /** A context C gave NDIS (a pointer), as NDIS keeps it: NULL is null. */
  static context(p: number): number | null {
    return p === 0 ? null : p;
  }

  /** A context NDIS hands back, as C's pointer. */
  static pointer(context: unknown): number {
    return typeof context === "number" ? context >>> 0 : 0;
  }
}
