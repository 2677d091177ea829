/**
 * A step budget for C handlers. WebAssembly on the host's one thread cannot be interrupted, so a
 * handler in an endless loop would hang the host; instead, the module is rewritten at load so that
 * it counts its own steps and traps when a call has used up its budget.
 *
 * The rewrite adds one mutable i32 global, exported as `__ndis_fuel`, and inserts at the start of
 * every function body and at the head of every `loop` (the target of every backward branch, so
 * every iteration passes it):
 *
 *     if (fuel == 0) { fuel = -1; unreachable }   fuel = fuel - 1
 *
 * Every path that runs unboundedly long either iterates a loop or recurses, so it passes a check
 * every iteration or call; straight-line code between two checks is bounded by the function's
 * size. The bridge sets the budget when a call from NDIS enters the module (calls nested inside
 * it share the budget) and tells the budget's trap from any other `unreachable` by the -1 left in
 * the global, which no check leaves otherwise (they trap at 0 before counting below it).
 *
 * The code section is decoded instruction by instruction (MVP, sign extension, saturating
 * conversions, bulk memory, reference types, tail calls, exceptions, atomics); a module using
 * SIMD or GC instructions is refused with the function and opcode named. Function, global and
 * type indexes do not change (the global is appended after the module's own), so the name section
 * and every other section stay valid; only DWARF code offsets, if present, become stale.
 */

/** The export the bridge reads and sets. */
export const FUEL_EXPORT = "__ndis_fuel";

class Reader {
  pos: number;
  readonly bytes: Uint8Array;
  readonly end: number;
  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }
  byte(): number {
    if (this.pos >= this.end) throw new RangeError("unexpected end of the module");
    return this.bytes[this.pos++] as number;
  }
  /** An unsigned LEB128 of up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new RangeError("malformed LEB128");
    }
  }
  /** Skips a signed or unsigned LEB128 of any width. */
  skipLeb(): void {
    for (let i = 0; i < 11; i++) if ((this.byte() & 0x80) === 0) return;
    throw new RangeError("malformed LEB128");
  }
  skip(n: number): void {
    if (this.pos + n > this.end) throw new RangeError("unexpected end of the module");
    this.pos += n;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** A memarg: alignment (bit 6: a memory index follows) and offset. */
function skipMemarg(r: Reader): void {
  const align = r.u32();
  if ((align & 0x40) !== 0) r.u32();
  r.skipLeb();
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.skipLeb();
  if ((flags & 1) !== 0) r.skipLeb();
}

/**
 * Copies the function body `[r.pos, r.end)` into `out`, the check inserted after the locals and
 * after every `loop`'s block type. Throws a message naming the opcode for what it cannot decode.
 */
function instrumentBody(r: Reader, check: readonly number[], out: number[]): void {
  const bytes = r.bytes;
  let from = r.pos;
  const flush = (to: number) => {
    for (let i = from; i < to; i++) out.push(bytes[i] as number);
    from = to;
  };
  // Locals.
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.skipLeb(); // a value type (a reference type with a heap type is a signed LEB too)
  }
  flush(r.pos);
  out.push(...check);
  while (r.pos < r.end) {
    const at = r.pos;
    const op = r.byte();
    switch (op) {
      case 0x02: // block
      case 0x04: // if
      case 0x06: // try
        r.skipLeb();
        break;
      case 0x03: // loop: every iteration starts right after its block type
        r.skipLeb();
        flush(r.pos);
        out.push(...check);
        break;
      case 0x07: // catch
      case 0x08: // throw
      case 0x09: // rethrow
      case 0x18: // delegate
      case 0x0c: // br
      case 0x0d: // br_if
      case 0x10: // call
      case 0x12: // return_call
      case 0x14: // call_ref
      case 0x15: // return_call_ref
      case 0xd2: // ref.func
      case 0xd4: // br_on_null
      case 0xd6: // br_on_non_null
      case 0x20: // local.get
      case 0x21: // local.set
      case 0x22: // local.tee
      case 0x23: // global.get
      case 0x24: // global.set
      case 0x25: // table.get
      case 0x26: // table.set
      case 0x3f: // memory.size
      case 0x40: // memory.grow
        r.u32();
        break;
      case 0x0e: {
        // br_table
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x11: // call_indirect
      case 0x13: // return_call_indirect
        r.u32();
        r.u32();
        break;
      case 0x1c: {
        // select with types
        const n = r.u32();
        for (let i = 0; i < n; i++) r.skipLeb();
        break;
      }
      case 0x41: // i32.const
      case 0x42: // i64.const
      case 0xd0: // ref.null (heap type)
        r.skipLeb();
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) break; // saturating truncations
        switch (sub) {
          case 8: // memory.init
          case 10: // memory.copy
          case 12: // table.init
          case 14: // table.copy
            r.u32();
            r.u32();
            break;
          case 9: // data.drop
          case 11: // memory.fill
          case 13: // elem.drop
          case 15: // table.grow
          case 16: // table.size
          case 17: // table.fill
            r.u32();
            break;
          default:
            throw new Error(`opcode 0xfc ${sub} at byte ${at}`);
        }
        break;
      }
      case 0xfe: {
        // atomics: fence has one reserved byte, the rest a memarg
        const sub = r.u32();
        if (sub === 0x03) r.byte();
        else if (sub <= 0x4e) skipMemarg(r);
        else throw new Error(`opcode 0xfe ${sub} at byte ${at}`);
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3e) skipMemarg(r);
        else if (
          op === 0x00 || // unreachable
          op === 0x01 || // nop
          op === 0x05 || // else
          op === 0x0b || // end
          op === 0x0f || // return
          op === 0x19 || // catch_all
          op === 0x1a || // drop
          op === 0x1b || // select
          op === 0xd1 || // ref.is_null
          op === 0xd3 || // ref.as_non_null
          op === 0xd5 || // ref.eq
          (op >= 0x45 && op <= 0xc4) // numeric, sign extension
        ) {
          // no immediates
        } else {
          throw new Error(
            `opcode 0x${op.toString(16)} at byte ${at}${op === 0xfd ? " (SIMD)" : op === 0xfb ? " (GC)" : ""}`,
          );
        }
    }
  }
  flush(r.end);
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Section {
  readonly id: number;
  payload: Uint8Array;
}

/**
 * The module with the step budget built in (see the module comment). `label` names the module in
 * errors. A module that already exports `__ndis_fuel` is returned as it is.
 */
export function addStepBudget(bytes: Uint8Array, label: string): Uint8Array {
  const r = new Reader(bytes, 8);
  if (
    bytes.length < 8 ||
    bytes[0] !== 0 ||
    bytes[1] !== 0x61 ||
    bytes[2] !== 0x73 ||
    bytes[3] !== 0x6d
  )
    throw new Error(`${label} is not a valid WebAssembly module`);
  const sections: Section[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    sections.push({ id, payload: bytes.subarray(start, start + size) });
  }
  // Globals the module imports come first in the index space.
  let globals = 0;
  const imports = sections.find((s) => s.id === 2);
  if (imports !== undefined) {
    const s = new Reader(imports.payload);
    const n = s.u32();
    for (let i = 0; i < n; i++) {
      s.skip(s.u32());
      s.skip(s.u32());
      const kind = s.byte();
      if (kind === 0x00) s.u32();
      else if (kind === 0x01) {
        s.skipLeb();
        skipLimits(s);
      } else if (kind === 0x02) skipLimits(s);
      else if (kind === 0x03) {
        s.skipLeb();
        s.byte();
        globals++;
      } else if (kind === 0x04) {
        s.byte();
        s.u32();
      } else throw new Error(`${label}: import of unknown kind ${kind}`);
    }
  }
  const exports = sections.find((s) => s.id === 7);
  if (exports !== undefined) {
    const s = new Reader(exports.payload);
    const n = s.u32();
    for (let i = 0; i < n; i++) {
      const length = s.u32();
      const name = new TextDecoder().decode(s.bytes.subarray(s.pos, s.pos + length));
      s.skip(length);
      s.byte();
      s.u32();
      if (name === FUEL_EXPORT) return bytes;
    }
  }
  // The new global: after the module's own.
  let global = sections.find((s) => s.id === 6);
  const entry = [0x7f, 0x01, 0x41, 0x00, 0x0b]; // mutable i32 = 0
  if (global === undefined) {
    global = { id: 6, payload: Uint8Array.of(1, ...entry) };
    const before = sections.findIndex((s) => [7, 8, 9, 12, 10, 11].includes(s.id));
    sections.splice(before < 0 ? sections.length : before, 0, global);
  } else {
    const s = new Reader(global.payload);
    const n = s.u32();
    globals += n;
    global.payload = concat(leb(n + 1), global.payload.subarray(s.pos), entry);
  }
  const g = leb(globals);
  // Export it.
  const name = new TextEncoder().encode(FUEL_EXPORT);
  const exported = [...leb(name.length), ...name, 0x03, ...g];
  if (exports === undefined) {
    const before = sections.findIndex((s) => [8, 9, 12, 10, 11].includes(s.id));
    sections.splice(before < 0 ? sections.length : before, 0, {
      id: 7,
      payload: Uint8Array.of(1, ...exported),
    });
  } else {
    const s = new Reader(exports.payload);
    const n = s.u32();
    exports.payload = concat(leb(n + 1), exports.payload.subarray(s.pos), exported);
  }
  // Every function body.
  const check = [0x23, ...g, 0x45, 0x04, 0x40, 0x41, 0x7f, 0x24, ...g, 0x00, 0x0b];
  check.push(0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g);
  const code = sections.find((s) => s.id === 10);
  if (code !== undefined) {
    const s = new Reader(code.payload);
    const n = s.u32();
    const out: number[] = [...leb(n)];
    const body: number[] = [];
    for (let i = 0; i < n; i++) {
      const size = s.u32();
      const end = s.pos + size;
      body.length = 0;
      try {
        instrumentBody(new Reader(s.bytes, s.pos, end), check, body);
      } catch (error) {
        throw new Error(
          `${label}: cannot add the step budget to defined function ${i}: ${(error as Error).message}; ndis-ts decodes MVP, sign-extension, saturating-conversion, bulk-memory, reference-type, tail-call, exception and atomic instructions (build without SIMD)`,
        );
      }
      for (const b of leb(body.length)) out.push(b);
      for (const b of body) out.push(b);
      s.pos = end;
    }
    code.payload = Uint8Array.from(out);
  }
  // Reassemble.
  const parts: number[] = [...bytes.subarray(0, 8)];
  for (const s of sections) {
    parts.push(s.id, ...leb(s.payload.length));
    for (const b of s.payload) parts.push(b);
  }
  return Uint8Array.from(parts);
}
