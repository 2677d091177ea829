/**
 * The bridge between a C driver compiled to WebAssembly and NDIS: a `.wasm` module becomes a
 * DriverModule whose DriverEntry instantiates it (one instance per load, so one module can be
 * loaded by several hosts) and runs its C DriverEntry.
 *
 * - DDI calls from C are the module's imports (module "ndis"): each reads its C arguments from
 *   linear memory (structures by the layout the module was compiled with, see layout.ts), calls
 *   the same DDI function a TypeScript driver calls, and writes the results back.
 * - Handlers NDIS calls are the C function pointers of the characteristics tables, run through
 *   the module's indirect function table with their structures placed in linear memory.
 * - NDIS's objects stay the truth: handles are opaque 32-bit values, NBLs are mirrored
 *   (nbl-mirror.ts), OID requests and parameters are laid out per call. So ownership, the
 *   verifier and the trace see a C driver exactly as a TypeScript one.
 * - A trap (unreachable, an out-of-bounds access, a call through a bad pointer) surfaces as an
 *   error naming the module, the handler and the C function, which NDIS reports as the handler
 *   throwing; the host goes on.
 */

import type {
  DRIVER_OBJECT,
  MDL,
  NDIS_BIND_PARAMETERS,
  NDIS_HANDLE,
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OID_REQUEST,
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_STATUS_INDICATION,
  NET_BUFFER_LIST,
  NET_PNP_EVENT_NOTIFICATION,
  Out,
} from "../ddi.js";
import * as ddi from "../ddi.js";
import { CMemory } from "./cmem.js";
import { CDevices } from "./devices.js";
import { FUEL_EXPORT } from "./fuel.js";
import { readLayout } from "./layout.js";
import { type InfoChanged, NblMirror } from "./nbl-mirror.js";
import {
  freePoolBlock,
  SERVICE_IMPORTS,
  type ServiceImportName,
  serviceImports,
} from "./services.js";

/**
 * Steps (loop iterations and function calls, fuel.ts) a call from NDIS into a C driver may take
 * before it is stopped as an endless loop: about a second of a tight loop on a current machine.
 */
export const DEFAULT_STEP_BUDGET = 2 ** 30;

// biome-ignore lint/suspicious/noExplicitAny: C functions take and return i32/i64
type CFunction = (...args: any[]) => any;

/** Function names of a module, by function index, from its "name" custom section. */
function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, "name")) {
    const bytes = new Uint8Array(section);
    let at = 0;
    const leb = (): number => {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[at++] ?? 0;
        result |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) return result >>> 0;
        shift += 7;
      }
    };
    while (at < bytes.length) {
      const id = bytes[at++];
      const size = leb();
      const end = at + size;
      if (id === 1) {
        const count = leb();
        for (let i = 0; i < count && at < end; i++) {
          const index = leb();
          const length = leb();
          names.set(index, new TextDecoder().decode(bytes.subarray(at, at + length)));
          at += length;
        }
      }
      at = end;
    }
  }
  return names;
}

/** A driver module as the host loads it: what `DriverEntry` a C driver has. */
export interface CDriverModule {
  DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): number | Promise<number>;
}

/** The exports Binaryen's Asyncify pass adds. */
interface Asyncify {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}
const UNWINDING = 1;
const REWINDING = 2;
/** Asyncify's save area for one blocked handler's wasm frames. */
const ASYNC_DATA_BYTES = 64 * 1024;
/** A shadow-stack region: as large as the module's own stack (`ndis build`'s stack-size). */
const STACK_REGION_BYTES = 256 * 1024;

/** A handler blocked in a wait: where Asyncify saved it and the shadow stack its frames are on. */
interface Suspension {
  readonly handler: string;
  /** Asyncify's save area. */
  data: number;
  /** The shadow-stack pointer when it unwound (restored before it is rewound). */
  sp: number;
  /** The top of the region its frames are on (spare again when it returns). */
  readonly stackTop: number;
  /** The wait's value, once it ends. */
  waiting: Promise<number>;
}

/** `value`, or what `then` makes of it once it settles (for handlers that may block). */
function after<T, R>(
  value: T | Promise<T>,
  then: (v: T) => R,
  cleanup?: () => void,
): R | Promise<R> {
  if (value instanceof Promise) {
    return value.then(then).finally(() => cleanup?.());
  }
  try {
    return then(value);
  } finally {
    cleanup?.();
  }
}

/** Thrown by a C handler that trapped: names the module, handler and C function. */
export class WasmTrap extends Error {
  override readonly name = "WasmTrap";
}

/** The C driver whose code runs innermost right now (module calls nest through NDIS). */
let running: CDriver | null = null;

/** Everything one instance of a C driver has. */
class CDriver {
  readonly label: string;
  readonly m: CMemory;
  readonly nbls: NblMirror;
  readonly table: WebAssembly.Table;
  readonly names: Map<number, string>;
  driverObject: DRIVER_OBJECT | null = null;
  driverObjectPtr = 0;
  /** The handle of the driver's first registration with NDIS (for the kernel pool, services.ts). */
  driverHandle: NDIS_HANDLE | null = null;
  /** OID requests NDIS handed the driver, by their C address. */
  readonly oidsIn = new Map<number, { request: NDIS_OID_REQUEST; buffer: number }>();
  /** OID requests the driver issued, by NDIS's request object. */
  readonly oidsOut = new Map<NDIS_OID_REQUEST, number>();
  /** Clones of OID requests the driver made (NdisAllocateCloneOidRequest), by C address. */
  readonly clones = new Map<number, NDIS_OID_REQUEST>();
  readonly pnpEvents = new Map<number, NET_PNP_EVENT_NOTIFICATION>();
  readonly spinLocks = new Map<number, ddi.NDIS_SPIN_LOCK>();
  readonly rwLocks = new Map<number, ddi.NDIS_RW_LOCK>();
  readonly lockStates = new Map<number, ddi.LOCK_STATE>();
  readonly mutexes = new Map<number, ddi.NDIS_MUTEX>();
  readonly events = new Map<number, ddi.NDIS_EVENT>();
  readonly memory = new Map<number, Uint8Array>();
  /** Lookaside lists, by the C address of the caller's NPAGED_LOOKASIDE_LIST. */
  readonly lookasides = new Map<number, ddi.NPAGED_LOOKASIDE_LIST>();
  /** Control devices the driver registered and the I/O requests sent to them (devices.ts). */
  readonly devices: CDevices;
  /** Asyncify's exports when the module was built with waits (null: it cannot block). */
  readonly asyncify: Asyncify | null;
  /**
   * The module's shadow-stack pointer (`ndis build` exports it from a module with waits), or
   * null (a module built otherwise): then one handler at a time can be blocked.
   */
  readonly stackPointer: WebAssembly.Global | null;
  /** The top of the shadow-stack region a call from NDIS starts on now. */
  #stackTop = 0;
  /** Shadow-stack regions (their tops) and Asyncify save areas no blocked handler holds. */
  readonly #spareStacks: number[] = [];
  readonly #spareData: number[] = [];
  /** The save area of the unwind under way (set by `block`, taken by `#suspend`). */
  #unwindData = 0;
  /** Calls into the module on the JS stack right now. */
  depth = 0;
  /** The NDIS handler (or DriverEntry) of the innermost call into the module now. */
  handler = "";
  /** The step counter the load-time rewrite added (fuel.ts), or null for a module without it. */
  readonly fuel: WebAssembly.Global | null;
  /** Steps a call from NDIS may take, with the calls nested in it. */
  readonly budget: number;
  /** The handlers of this module blocked in a wait now, in the order they blocked. */
  readonly blocked: Suspension[] = [];
  /** What the wait the module is unwinding from gives back when it resumes. */
  waiting: Promise<number> | null = null;
  resumeValue = 0;

  constructor(
    label: string,
    instance: WebAssembly.Instance,
    names: Map<number, string>,
    budget: number,
  ) {
    this.label = label;
    const exports = instance.exports as Record<string, unknown>;
    const fuel = exports[FUEL_EXPORT];
    this.fuel = fuel instanceof WebAssembly.Global ? fuel : null;
    this.budget = budget;
    if (this.fuel !== null) this.fuel.value = budget;
    const memory = exports.memory as WebAssembly.Memory;
    const layoutAt = (exports.__ndis_layout as () => number)() >>> 0;
    const layout = readLayout(new DataView(memory.buffer), layoutAt);
    this.m = new CMemory(
      memory,
      layout,
      exports.__ndis_alloc as (n: number) => number,
      exports.__ndis_free as (p: number) => void,
    );
    const infoChanged = exports.__ndis_info_changed;
    this.nbls = new NblMirror(
      this.m,
      typeof infoChanged === "function" ? (infoChanged as InfoChanged) : null,
      typeof exports.__ndis_maps_mdls_on_demand === "function",
    );
    this.table = exports.__indirect_function_table as WebAssembly.Table;
    this.names = names;
    this.devices = new CDevices(
      this.m,
      this.nbls,
      (fp, handler, ...args) => this.call(fp, handler, ...args),
      label,
    );
    this.asyncify =
      typeof exports.asyncify_start_unwind === "function" ? (exports as unknown as Asyncify) : null;
    const sp = exports.__stack_pointer;
    this.stackPointer =
      this.asyncify !== null && sp instanceof WebAssembly.Global
        ? (sp as WebAssembly.Global)
        : null;
    if (this.stackPointer !== null) this.#stackTop = this.stackPointer.value as number;
  }

  /** An Asyncify save area: its two header words (where saving is, where it ends) set. */
  #takeData(): number {
    let p = this.#spareData.pop();
    if (p === undefined) p = this.m.alloc(ASYNC_DATA_BYTES);
    this.m.setU32(p, p + 8);
    this.m.setU32(p + 4, p + ASYNC_DATA_BYTES);
    return p;
  }

  /**
   * The handler that called a wait has unwound to us: it keeps its save area and the stack
   * region its frames are on, and calls from NDIS from now on start on a region of their own.
   */
  #suspend(handler: string): Suspension {
    (this.asyncify as Asyncify).asyncify_stop_unwind();
    const s: Suspension = {
      handler,
      data: this.#unwindData,
      sp: 0,
      stackTop: this.#stackTop,
      waiting: this.waiting as Promise<number>,
    };
    this.waiting = null;
    this.blocked.push(s);
    const sp = this.stackPointer;
    if (sp !== null) {
      s.sp = sp.value as number;
      const top = this.#spareStacks.pop() ?? this.m.alloc(STACK_REGION_BYTES) + STACK_REGION_BYTES;
      this.#stackTop = top;
      sp.value = top;
    }
    return s;
  }

  /**
   * A wait from C: `start` begins it (a promise of the value the C call returns). A module built
   * with waits unwinds to the handler NDIS called, which then stays running (a promise) until
   * the wait ends and the module is rewound; the import returns the value then.
   */
  block(what: string, start: () => Promise<number>, now: () => number | null): number {
    const a = this.asyncify;
    if (a !== null && a.asyncify_get_state() === REWINDING) {
      a.asyncify_stop_rewind();
      return this.resumeValue;
    }
    // A wait that cannot block (above PASSIVE_LEVEL: NDIS reported it) returns at once.
    const immediate = now();
    if (immediate !== null) return immediate;
    if (a === null) {
      throw new WasmTrap(
        `${this.label}: ${what} blocks, and the module was built without waits; build it with \`ndis build\` (which adds them when the driver calls a wait)`,
      );
    }
    const first = this.blocked[0];
    if (this.depth > 1 || (this.stackPointer === null && first !== undefined)) {
      throw new WasmTrap(
        `${this.label}: ${what} cannot block here: ${this.depth > 1 ? "the handler was called from inside another call of the same driver" : `${first?.handler} of this driver is blocked already (a module built without ndis build's shadow-stack export blocks one handler at a time: rebuild it with ndis build)`}`,
      );
    }
    this.waiting = start();
    this.#unwindData = this.#takeData();
    a.asyncify_start_unwind(this.#unwindData);
    return 0;
  }

  /**
   * The restart attributes list in the module's memory: one NDIS_RESTART_ATTRIBUTES whose Data
   * holds the NDIS_RESTART_GENERAL_ATTRIBUTES (with its RSS capabilities and OID list after it).
   */
  restartAttributesToC(
    list: ddi.NDIS_RESTART_ATTRIBUTES | null,
  ): { p: number; general: number; data: ddi.NDIS_RESTART_GENERAL_ATTRIBUTES } | null {
    if (list === null || list.Oid !== ddi.OID_GEN_MINIPORT_RESTART_ATTRIBUTES) return null;
    const m = this.m;
    const data = list.Data as ddi.NDIS_RESTART_GENERAL_ATTRIBUTES;
    const A = "NDIS_RESTART_ATTRIBUTES";
    const G = "NDIS_RESTART_GENERAL_ATTRIBUTES";
    const R = "NDIS_RECEIVE_SCALE_CAPABILITIES";
    const head = m.off(A, "Data");
    const generalSize = m.sizeOf(G);
    const rssAt = head + generalSize;
    const oidsAt = rssAt + m.sizeOf(R);
    const p = m.alloc(oidsAt + Math.max(4, data.SupportedOidList.length * 4));
    const g = p + head;
    m.set(A, p, "Oid", list.Oid);
    m.set(A, p, "DataLength", generalSize);
    m.setHeader(
      g,
      data.Header.Type,
      data.Header.Revision,
      m.sizeThrough(
        G,
        data.Header.Revision >= 2 ? "MaxLookaheadSizeAccessed" : "SupportedOidListLength",
      ),
    );
    m.set(G, g, "MtuSize", data.MtuSize);
    m.set64(G, g, "MaxXmitLinkSpeed", data.MaxXmitLinkSpeed);
    m.set64(G, g, "MaxRcvLinkSpeed", data.MaxRcvLinkSpeed);
    for (const f of RESTART_ULONGS) m.set(G, g, f, data[f]);
    const rss = data.RecvScaleCapabilities;
    m.setHeader(
      p + rssAt,
      rss.Header.Type,
      rss.Header.Revision,
      rss.Header.Type === 0 ? 0 : m.sizeOf(R),
    );
    m.set(R, p + rssAt, "CapabilitiesFlags", rss.CapabilitiesFlags);
    m.set(R, p + rssAt, "NumberOfInterruptMessages", rss.NumberOfInterruptMessages);
    m.set(R, p + rssAt, "NumberOfReceiveQueues", rss.NumberOfReceiveQueues);
    m.set(G, g, "RecvScaleCapabilities", p + rssAt);
    for (const [i, oid] of data.SupportedOidList.entries()) m.setU32(p + oidsAt + i * 4, oid);
    m.set(G, g, "SupportedOidList", p + oidsAt);
    m.set(G, g, "SupportedOidListLength", data.SupportedOidList.length * 4);
    if (data.Header.Revision >= 2)
      m.set(G, g, "MaxLookaheadSizeAccessed", data.MaxLookaheadSizeAccessed ?? 0);
    return { p, general: g, data };
  }

  /** What the C driver changed in the general attributes goes back into NDIS's list; freed. */
  restartAttributesFromC(c: {
    p: number;
    general: number;
    data: ddi.NDIS_RESTART_GENERAL_ATTRIBUTES;
  }): void {
    const m = this.m;
    const G = "NDIS_RESTART_GENERAL_ATTRIBUTES";
    c.data.MtuSize = m.get(G, c.general, "MtuSize");
    c.data.MaxXmitLinkSpeed = m.get64(G, c.general, "MaxXmitLinkSpeed");
    c.data.MaxRcvLinkSpeed = m.get64(G, c.general, "MaxRcvLinkSpeed");
    for (const f of RESTART_ULONGS) c.data[f] = m.get(G, c.general, f);
    m.free(c.p);
  }

  /** The C function a table slot holds, or a WasmTrap naming the slot. */
  fn(pointer: number, handler: string): CFunction {
    const f =
      pointer === 0 || pointer >= this.table.length
        ? null
        : (this.table.get(pointer) as CFunction | null);
    if (f === null) {
      throw new WasmTrap(
        `${this.label}: ${handler} is the function pointer 0x${pointer.toString(16)}, which is not a function of the module`,
      );
    }
    return f;
  }

  /** The C function of the innermost frame of this module in an error's stack, if it shows one. */
  innermost(error: Error): string | null {
    const match = /wasm-function\[(\d+)\]/.exec(error.stack ?? "");
    if (match === null) return null;
    const index = Number(match[1]);
    return this.names.get(index) ?? `function #${index}`;
  }

  cName(pointer: number): string {
    if (pointer === -1) return "DriverEntry";
    if (pointer <= 0 || pointer >= this.table.length) return `function #${pointer}`;
    const f = this.table.get(pointer) as { name?: string } | null;
    const index = Number(f?.name);
    return this.names.get(index) ?? `function #${pointer}`;
  }

  /**
   * Runs C function `pointer` as NDIS's `handler`; a trap becomes a WasmTrap. A handler that
   * blocks in a wait returns a promise of its return (NDIS treats it as still running).
   */
  call(pointer: number, handler: string, ...args: unknown[]): number | Promise<number> {
    return this.callFunction(this.fn(pointer, handler), pointer, handler, args);
  }

  /**
   * `call` for a handler NDIS does not wait for (the data path, at DISPATCH_LEVEL, where a wait
   * does not block): a blocked call could not be waited for, so it is only kept from floating.
   */
  fire(pointer: number, handler: string, ...args: unknown[]): void {
    const result = this.call(pointer, handler, ...args);
    if (result instanceof Promise) result.catch(() => undefined);
  }

  /**
   * `fire` for the data-path handlers, without an argument array: the function is looked up
   * once per slot (the handler's own cache), and nothing is allocated unless the call blocks.
   */
  fire5(
    slot: { f: CFunction | null },
    pointer: number,
    handler: string,
    a: number,
    b: number,
    c: number,
    d: number,
    e: number,
  ): void {
    let f = slot.f;
    if (f === null) f = slot.f = this.fn(pointer, handler);
    const outer = running;
    const outerHandler = this.handler;
    running = this;
    this.handler = handler;
    this.depth += 1;
    try {
      f(a, b, c, d, e);
    } catch (thrown) {
      throw this.#trapOf(thrown, pointer, handler);
    } finally {
      running = outer;
      this.handler = outerHandler;
      if (--this.depth === 0 && this.fuel !== null) this.fuel.value = this.budget;
    }
    const y = this.asyncify;
    if (y === null || y.asyncify_get_state() !== UNWINDING) return;
    const s = this.#suspend(handler);
    this.#resume(s, f, pointer, handler, [a, b, c, d, e]).catch(() => undefined);
  }

  /** `call` for a function in hand (DriverEntry, an export): `pointer` only names it. */
  callFunction(
    f: CFunction,
    pointer: number,
    handler: string,
    args: unknown[],
  ): number | Promise<number> {
    const result = this.#run(f, pointer, handler, args);
    const a = this.asyncify;
    if (a === null || a.asyncify_get_state() !== UNWINDING) return result;
    return this.#resume(this.#suspend(handler), f, pointer, handler, args);
  }

  /**
   * Waits for the wait `s` blocked in, then rewinds the handler on its own stack region (the
   * calls from NDIS meanwhile ran on others), as often as it blocks again; blocked handlers
   * resume in whatever order their waits end.
   */
  async #resume(
    s: Suspension,
    f: CFunction,
    pointer: number,
    handler: string,
    args: unknown[],
  ): Promise<number> {
    const a = this.asyncify as Asyncify;
    const sp = this.stackPointer;
    try {
      for (;;) {
        const value = await s.waiting;
        // A resume runs from the event loop: no call of this module is on the stack.
        const outer = sp === null ? 0 : (sp.value as number);
        if (sp !== null) sp.value = s.sp;
        let result: number;
        try {
          this.resumeValue = value;
          a.asyncify_start_rewind(s.data);
          result = this.#run(f, pointer, handler, args);
          if (a.asyncify_get_state() !== UNWINDING) return result;
          // Blocked again: a fresh save area holds the frames; the region stays its own.
          a.asyncify_stop_unwind();
          this.#spareData.push(s.data);
          s.data = this.#unwindData;
          s.waiting = this.waiting as Promise<number>;
          this.waiting = null;
          if (sp !== null) s.sp = sp.value as number;
        } finally {
          if (sp !== null) sp.value = outer;
        }
      }
    } finally {
      const at = this.blocked.indexOf(s);
      if (at >= 0) this.blocked.splice(at, 1);
      this.#spareData.push(s.data);
      if (sp !== null) this.#spareStacks.push(s.stackTop);
      this.waiting = null;
    }
  }

  #run(f: CFunction, pointer: number, handler: string, args: unknown[]): number {
    const outer = running;
    const outerHandler = this.handler;
    running = this;
    this.handler = handler;
    this.depth += 1;
    try {
      return f(...args) as number;
    } catch (thrown) {
      throw this.#trapOf(thrown, pointer, handler);
    } finally {
      running = outer;
      this.handler = outerHandler;
      if (--this.depth === 0 && this.fuel !== null) this.fuel.value = this.budget;
    }
  }

  /**
   * Where in this driver's code NDIS is now, when its code is the innermost driver code on the
   * stack (a DDI call it made): the C function that made the call and the handler it runs in.
   */
  whereNow(): string | null {
    if (running !== this) return null;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 64;
    const stack = new Error().stack ?? "";
    Error.stackTraceLimit = limit;
    const match = /wasm-function\[(\d+)\]/.exec(stack);
    const fn =
      match === null ? null : (this.names.get(Number(match[1])) ?? `function #${match[1]}`);
    const inside = `its ${this.handler} (${this.label})`;
    return fn === null ? `inside ${inside}` : `in C function ${fn}, inside ${inside}`;
  }

  /** What a call into the module threw, as NDIS reports it: a trap names handler and function. */
  #trapOf(thrown: unknown, pointer: number, handler: string): unknown {
    if (thrown instanceof WebAssembly.RuntimeError) {
      const inner = this.innermost(thrown);
      const where =
        inner === null || inner === this.cName(pointer) ? "" : ` in C function ${inner}`;
      if (this.fuel !== null && this.fuel.value === -1) {
        // Out of budget. Frames of this module further out stop at their next check too.
        this.fuel.value = 0;
        return new WasmTrap(
          `${this.label}: ${handler} (C function ${this.cName(pointer)}) ran past its budget of ${this.budget} steps (loop iterations and calls)${where}: an endless loop?`,
        );
      }
      return new WasmTrap(
        `${this.label}: ${handler} (C function ${this.cName(pointer)}) trapped: ${thrown.message}${where}`,
      );
    }
    if (thrown instanceof RangeError && /outside the driver module's memory/.test(thrown.message)) {
      return new WasmTrap(
        `${this.label}: ${handler} (C function ${this.cName(pointer)}) passed ${thrown.message}`,
      );
    }
    return thrown;
  }

  status(value: number): number {
    return value >>> 0;
  }

  /** An error that stops the C call, naming the module (services.ts). */
  trap(message: string): Error {
    return new WasmTrap(message);
  }

  /** The TypeScript handler that runs C function `fp` in filter slot `slot` (services.ts). */
  filterEntry(slot: string, fp: number): unknown {
    return filterHandler(this, slot, fp);
  }

  // ---- structures NDIS hands C ----

  header(
    p: number,
    type: number,
    revision: number,
    struct: Parameters<CMemory["sizeOf"]>[0],
  ): void {
    this.m.setHeader(p, type, revision, this.m.sizeOf(struct));
  }

  initParameters(params: NDIS_MINIPORT_INIT_PARAMETERS): number {
    const m = this.m;
    const p = m.allocStruct("NDIS_MINIPORT_INIT_PARAMETERS");
    this.header(p, params.Header.Type, params.Header.Revision, "NDIS_MINIPORT_INIT_PARAMETERS");
    m.set("NDIS_MINIPORT_INIT_PARAMETERS", p, "Flags", params.Flags);
    m.set(
      "NDIS_MINIPORT_INIT_PARAMETERS",
      p,
      "IMDeviceInstanceContext",
      CMemory.pointer(params.IMDeviceInstanceContext),
    );
    m.set("NDIS_MINIPORT_INIT_PARAMETERS", p, "IfIndex", params.IfIndex);
    m.set64("NDIS_MINIPORT_INIT_PARAMETERS", p, "NetLuid", params.NetLuid);
    return p;
  }

  /** Lays an OID request NDIS hands the driver out in C (with a copy of its buffer). */
  oidToC(request: NDIS_OID_REQUEST): number {
    const m = this.m;
    const s = "NDIS_OID_REQUEST";
    const p = m.allocStruct(s);
    const d = request.DATA.QUERY_INFORMATION;
    const length = d.InformationBufferLength;
    const buffer = length > 0 ? m.alloc(length) : 0;
    if (buffer !== 0 && d.InformationBuffer !== null)
      m.bytes.set(d.InformationBuffer.subarray(0, length), buffer);
    this.header(p, request.Header.Type, request.Header.Revision, s);
    m.set(s, p, "RequestType", request.RequestType);
    m.set(s, p, "PortNumber", request.PortNumber);
    m.set(s, p, "Timeout", request.Timeout);
    m.set(s, p, "RequestId", m.handleId(request.RequestId));
    m.set(s, p, "RequestHandle", m.handleId(request.RequestHandle));
    m.set(s, p, "DATA.QUERY_INFORMATION.Oid", d.Oid);
    m.set(s, p, "DATA.QUERY_INFORMATION.InformationBuffer", buffer);
    m.set(s, p, "DATA.QUERY_INFORMATION.InformationBufferLength", length);
    if (request.RequestType === ddi.NdisRequestMethod) {
      m.set(s, p, "DATA.METHOD_INFORMATION.InputBufferLength", d.InputBufferLength ?? 0);
      m.set(s, p, "DATA.METHOD_INFORMATION.OutputBufferLength", d.OutputBufferLength ?? 0);
      m.set(s, p, "DATA.METHOD_INFORMATION.MethodId", d.MethodId ?? 0);
    }
    this.oidsIn.set(p, { request, buffer });
    return p;
  }

  /** Reads back what the driver answered into NDIS's request. */
  oidFromC(p: number, request: NDIS_OID_REQUEST, buffer: number): void {
    const m = this.m;
    const s = "NDIS_OID_REQUEST";
    const d = request.DATA.QUERY_INFORMATION;
    if (request.RequestType === ddi.NdisRequestMethod) {
      d.BytesWritten = m.get(s, p, "DATA.METHOD_INFORMATION.BytesWritten");
      d.BytesRead = m.get(s, p, "DATA.METHOD_INFORMATION.BytesRead");
      d.BytesNeeded = m.get(s, p, "DATA.METHOD_INFORMATION.BytesNeeded");
    } else if (request.RequestType === ddi.NdisRequestSetInformation) {
      d.BytesRead = m.get(s, p, "DATA.SET_INFORMATION.BytesRead");
      d.BytesNeeded = m.get(s, p, "DATA.QUERY_INFORMATION.BytesNeeded");
    } else {
      d.BytesWritten = m.get(s, p, "DATA.QUERY_INFORMATION.BytesWritten");
      d.BytesNeeded = m.get(s, p, "DATA.QUERY_INFORMATION.BytesNeeded");
    }
    if (buffer !== 0 && d.InformationBuffer !== null) {
      const n = Math.min(d.InformationBuffer.length, d.InformationBufferLength);
      d.InformationBuffer.set(m.bytes.subarray(buffer, buffer + n));
    }
  }

  releaseOid(p: number): void {
    const entry = this.oidsIn.get(p);
    if (entry === undefined) return;
    this.oidsIn.delete(p);
    this.m.free(entry.buffer);
    this.m.free(p);
  }

  /** An OID request the driver issues (NdisOidRequest): NDIS's object, with a copy of its buffer. */
  oidFromDriver(p: number): NDIS_OID_REQUEST {
    const m = this.m;
    const s = "NDIS_OID_REQUEST";
    const type = m.get(s, p, "RequestType");
    const buffer = m.get(s, p, "DATA.QUERY_INFORMATION.InformationBuffer");
    const length = m.get(s, p, "DATA.QUERY_INFORMATION.InformationBufferLength");
    const request = ddi.makeOidRequest({
      RequestType: type,
      Oid: m.get(s, p, "DATA.QUERY_INFORMATION.Oid"),
      InformationBuffer: m.copyOut(buffer, length),
      InformationBufferLength: length,
      RequestId: m.get(s, p, "RequestId"),
      PortNumber: m.get(s, p, "PortNumber"),
      Timeout: m.get(s, p, "Timeout"),
    });
    const h = m.header(p);
    request.Header.Revision = h.Revision;
    request.Header.Type = h.Type;
    if (type === ddi.NdisRequestMethod) {
      const data = request.DATA.METHOD_INFORMATION;
      data.InputBufferLength = m.get(s, p, "DATA.METHOD_INFORMATION.InputBufferLength");
      data.OutputBufferLength = m.get(s, p, "DATA.METHOD_INFORMATION.OutputBufferLength");
      data.MethodId = m.get(s, p, "DATA.METHOD_INFORMATION.MethodId");
    }
    this.oidsOut.set(request, p);
    return request;
  }

  /** NDIS's answer to a request the driver issued, written into the driver's structure. */
  oidAnswerToC(request: NDIS_OID_REQUEST): number {
    const p = this.oidsOut.get(request);
    if (p === undefined) return 0;
    const m = this.m;
    const s = "NDIS_OID_REQUEST";
    const d = request.DATA.QUERY_INFORMATION;
    const buffer = m.get(s, p, "DATA.QUERY_INFORMATION.InformationBuffer");
    if (buffer !== 0 && d.InformationBuffer !== null) {
      const n = Math.min(
        d.InformationBuffer.length,
        m.get(s, p, "DATA.QUERY_INFORMATION.InformationBufferLength"),
      );
      m.check(buffer, n);
      m.bytes.set(d.InformationBuffer.subarray(0, n), buffer);
    }
    if (request.RequestType === ddi.NdisRequestMethod) {
      m.set(s, p, "DATA.METHOD_INFORMATION.BytesWritten", d.BytesWritten);
      m.set(s, p, "DATA.METHOD_INFORMATION.BytesRead", d.BytesRead);
      m.set(s, p, "DATA.METHOD_INFORMATION.BytesNeeded", d.BytesNeeded);
    } else if (request.RequestType === ddi.NdisRequestSetInformation) {
      m.set(s, p, "DATA.SET_INFORMATION.BytesRead", d.BytesRead);
      m.set(s, p, "DATA.QUERY_INFORMATION.BytesNeeded", d.BytesNeeded);
    } else {
      m.set(s, p, "DATA.QUERY_INFORMATION.BytesWritten", d.BytesWritten);
      m.set(s, p, "DATA.QUERY_INFORMATION.BytesNeeded", d.BytesNeeded);
    }
    return p;
  }

  statusIndicationToC(indication: NDIS_STATUS_INDICATION): { p: number; free: () => void } {
    const m = this.m;
    const s = "NDIS_STATUS_INDICATION";
    const p = m.allocStruct(s);
    this.header(p, indication.Header.Type, indication.Header.Revision, s);
    m.set(s, p, "SourceHandle", m.handleId(indication.SourceHandle));
    m.set(s, p, "PortNumber", indication.PortNumber);
    m.set(s, p, "StatusCode", indication.StatusCode);
    m.set(s, p, "Flags", indication.Flags);
    m.set(s, p, "DestinationHandle", m.handleId(indication.DestinationHandle));
    m.set(s, p, "RequestId", CMemory.pointer(indication.RequestId));
    let buffer = 0;
    const payload = indication.StatusBuffer;
    if (
      indication.StatusCode === ddi.NDIS_STATUS_LINK_STATE &&
      payload !== null &&
      typeof payload === "object" &&
      !(payload instanceof Uint8Array)
    ) {
      const l = payload as ddi.NDIS_LINK_STATE;
      const t = "NDIS_LINK_STATE";
      buffer = m.allocStruct(t);
      this.header(buffer, l.Header.Type, l.Header.Revision, t);
      m.set(t, buffer, "MediaConnectState", l.MediaConnectState);
      m.set(t, buffer, "MediaDuplexState", l.MediaDuplexState);
      m.set64(t, buffer, "XmitLinkSpeed", l.XmitLinkSpeed);
      m.set64(t, buffer, "RcvLinkSpeed", l.RcvLinkSpeed);
      m.set(t, buffer, "PauseFunctions", l.PauseFunctions);
      m.set(t, buffer, "AutoNegotiationFlags", l.AutoNegotiationFlags);
      m.set(s, p, "StatusBufferSize", m.sizeOf(t));
    } else if (payload instanceof Uint8Array) {
      buffer = m.alloc(payload.length);
      m.bytes.set(payload, buffer);
      m.set(s, p, "StatusBufferSize", payload.length);
    }
    m.set(s, p, "StatusBuffer", buffer);
    return {
      p,
      free: () => {
        m.free(buffer);
        m.free(p);
      },
    };
  }

  statusIndicationFromC(p: number): NDIS_STATUS_INDICATION {
    const m = this.m;
    const s = "NDIS_STATUS_INDICATION";
    const code = m.get(s, p, "StatusCode") >>> 0;
    const buffer = m.get(s, p, "StatusBuffer");
    const size = m.get(s, p, "StatusBufferSize");
    let payload: unknown = null;
    if (buffer !== 0 && code === ddi.NDIS_STATUS_LINK_STATE) {
      const t = "NDIS_LINK_STATE";
      const h = m.header(buffer);
      payload = {
        Header: {
          Type: h.Type,
          Revision: h.Revision,
          Size: h.Size >= m.sizeOf(t) ? ddi.NDIS_SIZEOF_LINK_STATE_REVISION_1 : h.Size,
        },
        MediaConnectState: m.get(t, buffer, "MediaConnectState"),
        MediaDuplexState: m.get(t, buffer, "MediaDuplexState"),
        XmitLinkSpeed: m.get64(t, buffer, "XmitLinkSpeed"),
        RcvLinkSpeed: m.get64(t, buffer, "RcvLinkSpeed"),
        PauseFunctions: m.get(t, buffer, "PauseFunctions"),
        AutoNegotiationFlags: m.get(t, buffer, "AutoNegotiationFlags"),
      } satisfies ddi.NDIS_LINK_STATE;
    } else if (buffer !== 0) payload = m.copyOut(buffer, size);
    const h = m.header(p);
    return {
      Header: { Type: h.Type, Revision: h.Revision, Size: h.Size },
      SourceHandle: m.handle(m.get(s, p, "SourceHandle")),
      PortNumber: m.get(s, p, "PortNumber"),
      StatusCode: code,
      Flags: m.get(s, p, "Flags"),
      DestinationHandle: m.handle(m.get(s, p, "DestinationHandle")),
      RequestId: CMemory.context(m.get(s, p, "RequestId")),
      StatusBuffer: payload,
      StatusBufferSize: size,
    };
  }

  bindParametersToC(params: NDIS_BIND_PARAMETERS): { p: number; free: () => void } {
    const m = this.m;
    const s = "NDIS_BIND_PARAMETERS";
    const p = m.allocStruct(s);
    const section = m.newUnicodeString(params.ProtocolSection);
    const adapter = m.newUnicodeString(params.AdapterName);
    const oids = m.alloc(Math.max(4, params.SupportedOidList.length * 4));
    params.SupportedOidList.forEach((oid, i) => {
      m.setU32(oids + 4 * i, oid);
    });
    this.header(p, params.Header.Type, params.Header.Revision, s);
    m.set(s, p, "ProtocolSection", section);
    m.set(s, p, "AdapterName", adapter);
    m.set(s, p, "BoundAdapterName", adapter);
    m.set(s, p, "MediaType", params.MediaType);
    m.set(s, p, "MtuSize", params.MtuSize);
    m.set64(s, p, "MaxXmitLinkSpeed", params.MaxXmitLinkSpeed);
    m.set64(s, p, "XmitLinkSpeed", params.XmitLinkSpeed);
    m.set64(s, p, "MaxRcvLinkSpeed", params.MaxRcvLinkSpeed);
    m.set64(s, p, "RcvLinkSpeed", params.RcvLinkSpeed);
    m.set(s, p, "MediaConnectState", params.MediaConnectState);
    m.set(s, p, "MediaDuplexState", params.MediaDuplexState);
    m.set(s, p, "LookaheadSize", params.LookaheadSize);
    m.set(s, p, "SupportedPacketFilters", params.SupportedPacketFilters);
    m.set(s, p, "MaxMulticastListSize", params.MaxMulticastListSize);
    m.set(s, p, "MacAddressLength", params.MacAddressLength);
    m.bytes.set(params.CurrentMacAddress.subarray(0, 32), p + m.off(s, "CurrentMacAddress"));
    m.set(s, p, "PhysicalMediumType", params.PhysicalMediumType);
    m.set64(s, p, "BoundIfNetluid", params.BoundIfNetluid);
    m.set(s, p, "BoundIfIndex", params.BoundIfIndex);
    m.set64(s, p, "LowestIfNetluid", params.LowestIfNetluid);
    m.set(s, p, "LowestIfIndex", params.LowestIfIndex);
    m.set(s, p, "AccessType", params.AccessType);
    m.set(s, p, "DirectionType", params.DirectionType);
    m.set(s, p, "ConnectionType", params.ConnectionType);
    m.set(s, p, "IfType", params.IfType);
    m.set(s, p, "IfConnectorPresent", params.IfConnectorPresent ? 1 : 0);
    m.set(s, p, "DataBackFillSize", params.DataBackFillSize);
    m.set(s, p, "ContextBackFillSize", params.ContextBackFillSize);
    return {
      p,
      free: () => {
        m.freeUnicodeString(section);
        m.freeUnicodeString(adapter);
        m.free(oids);
        m.free(p);
      },
    };
  }

  attachParametersToC(params: ddi.NDIS_FILTER_ATTACH_PARAMETERS): {
    p: number;
    free: () => void;
  } {
    const m = this.m;
    const s = "NDIS_FILTER_ATTACH_PARAMETERS";
    const p = m.allocStruct(s);
    const guid = m.newUnicodeString(params.FilterModuleGuidName);
    const instance = m.newUnicodeString(params.BaseMiniportInstanceName);
    const base = m.newUnicodeString(params.BaseMiniportName);
    this.header(p, params.Header.Type, params.Header.Revision, s);
    m.set(s, p, "IfIndex", params.IfIndex);
    m.set64(s, p, "NetLuid", params.NetLuid);
    m.set(s, p, "FilterModuleGuidName", guid);
    m.set(s, p, "BaseMiniportIfIndex", params.BaseMiniportIfIndex);
    m.set(s, p, "BaseMiniportInstanceName", instance);
    m.set(s, p, "BaseMiniportName", base);
    m.set(s, p, "MediaConnectState", params.MediaConnectState);
    m.set(s, p, "MediaDuplexState", params.MediaDuplexState);
    m.set64(s, p, "XmitLinkSpeed", params.MaxXmitLinkSpeed);
    m.set64(s, p, "RcvLinkSpeed", params.MaxRcvLinkSpeed);
    m.set(s, p, "MiniportMediaType", params.MiniportMediaType);
    m.set(s, p, "MiniportPhysicalMediaType", params.MiniportPhysicalMediaType);
    m.set(s, p, "MacAddressLength", params.MacAddressLength);
    m.bytes.set(params.CurrentMacAddress.subarray(0, 32), p + m.off(s, "CurrentMacAddress"));
    m.set(s, p, "LowerIfIndex", params.LowerIfIndex);
    m.set64(s, p, "LowerIfNetLuid", params.LowerIfNetLuid);
    m.set(s, p, "Flags", params.Flags);
    return {
      p,
      free: () => {
        m.freeUnicodeString(guid);
        m.freeUnicodeString(instance);
        m.freeUnicodeString(base);
        m.free(p);
      },
    };
  }

  pnpEventToC(notification: NET_PNP_EVENT_NOTIFICATION): { p: number; free: () => void } {
    const m = this.m;
    const s = "NET_PNP_EVENT_NOTIFICATION";
    const p = m.allocStruct(s);
    this.header(p, notification.Header.Type, notification.Header.Revision, s);
    m.set(s, p, "PortNumber", notification.PortNumber);
    const event = notification.NetPnPEvent;
    m.set(s, p, "NetPnPEvent.NetEvent", event.NetEvent);
    let buffer = 0;
    let length = 0;
    let attributes = 0;
    const data = event.Buffer as Record<string, unknown> | Uint8Array | string | null;
    if (event.NetEvent === ddi.NetEventPause && data !== null && typeof data === "object") {
      const t = "NDIS_PROTOCOL_PAUSE_PARAMETERS";
      buffer = m.allocStruct(t);
      length = m.sizeOf(t);
      this.header(buffer, ddi.NDIS_OBJECT_TYPE_DEFAULT, 1, t);
      m.set(t, buffer, "Flags", Number((data as { Flags?: number }).Flags ?? 0));
      m.set(t, buffer, "PauseReason", Number((data as { PauseReason?: number }).PauseReason ?? 0));
    } else if (
      event.NetEvent === ddi.NetEventRestart &&
      data !== null &&
      typeof data === "object"
    ) {
      const t = "NDIS_PROTOCOL_RESTART_PARAMETERS";
      buffer = m.allocStruct(t);
      length = m.sizeOf(t);
      this.header(buffer, ddi.NDIS_OBJECT_TYPE_DEFAULT, 1, t);
      const r = data as {
        BoundIfIndex?: number;
        BoundIfNetluid?: bigint;
        Flags?: number;
        RestartAttributes?: ddi.NDIS_RESTART_ATTRIBUTES | null;
      };
      m.set(t, buffer, "BoundIfIndex", r.BoundIfIndex ?? 0);
      m.set64(t, buffer, "BoundIfNetluid", r.BoundIfNetluid ?? 0n);
      m.set(t, buffer, "Flags", r.Flags ?? 0);
      // The list as it came up the stack; a protocol reads it (its changes stay its own).
      attributes = this.restartAttributesToC(r.RestartAttributes ?? null)?.p ?? 0;
      m.set(t, buffer, "RestartAttributes", attributes);
    } else if (data instanceof Uint8Array) {
      buffer = m.alloc(Math.max(1, data.length));
      m.bytes.set(data, buffer);
      length = data.length;
    } else if (typeof data === "string") {
      buffer = m.newUnicodeString(data);
      length = m.sizeOf("UNICODE_STRING");
    }
    m.set(s, p, "NetPnPEvent.Buffer", buffer);
    m.set(s, p, "NetPnPEvent.BufferLength", length || event.BufferLength);
    this.pnpEvents.set(p, notification);
    return {
      p,
      free: () => {
        this.pnpEvents.delete(p);
        m.free(attributes);
        m.free(buffer);
        m.free(p);
      },
    };
  }
}

/** An Out<NDIS_HANDLE> whose value is written to C's `p` the moment NDIS sets it. */
function handleOut(c: CDriver, p: number): Out<NDIS_HANDLE> {
  let stored: NDIS_HANDLE | undefined;
  return {
    get value() {
      return stored;
    },
    set value(v: NDIS_HANDLE | undefined) {
      stored = v;
      if (p !== 0) c.m.setU32(p, c.m.handleId(v));
    },
  };
}

/** The imports a module may have: module "ndis", these names. */
export const SUPPORTED_IMPORTS = [
  "NdisGetVersion",
  "KeGetCurrentIrql",
  "DbgPrint",
  "NdisMRegisterMiniportDriver",
  "NdisMDeregisterMiniportDriver",
  "NdisRegisterProtocolDriver",
  "NdisDeregisterProtocolDriver",
  "NdisIMAssociateMiniport",
  "NdisMSetMiniportAttributes",
  "NdisMPauseComplete",
  "NdisMResetComplete",
  "NdisMResetMiniport",
  "NdisMRestartComplete",
  "NdisMOidRequestComplete",
  "NdisMDirectOidRequestComplete",
  "NdisMIndicateStatusEx",
  "NdisMSendNetBufferListsComplete",
  "NdisMIndicateReceiveNetBufferLists",
  "NdisOpenAdapterEx",
  "NdisCloseAdapterEx",
  "NdisCompleteBindAdapterEx",
  "NdisCompleteUnbindAdapterEx",
  "NdisCompleteNetPnPEvent",
  "NdisSendNetBufferLists",
  "NdisReturnNetBufferLists",
  "NdisOidRequest",
  "NdisAllocateCloneOidRequest",
  "NdisFreeCloneOidRequest",
  "NdisCancelOidRequest",
  "NdisDirectOidRequest",
  "NdisCancelDirectOidRequest",
  "NdisCancelSendNetBufferLists",
  "NdisMNetPnPEvent",
  "NdisIMInitializeDeviceInstanceEx",
  "NdisIMCancelInitializeDeviceInstance",
  "NdisIMDeInitializeDeviceInstance",
  "NdisAllocateNetBufferListPool",
  "NdisFreeNetBufferListPool",
  "NdisAllocateNetBufferList",
  "NdisAllocateNetBufferAndNetBufferList",
  "NdisFreeNetBufferList",
  "NdisAllocateMdl",
  "NdisFreeMdl",
  "MmMapLockedPagesSpecifyCache",
  "NdisAllocateNetBufferListContext",
  "NdisFreeNetBufferListContext",
  "NdisAllocateSpinLock",
  "NdisFreeSpinLock",
  "NdisAcquireSpinLock",
  "NdisReleaseSpinLock",
  "NdisDprAcquireSpinLock",
  "NdisDprReleaseSpinLock",
  "NdisInitializeReadWriteLock",
  "NdisAcquireReadWriteLock",
  "NdisReleaseReadWriteLock",
  "NDIS_INIT_MUTEX",
  "NdisIfAddIfStackEntry",
  "NdisIfDeleteIfStackEntry",
  "NDIS_WAIT_FOR_MUTEX",
  "NDIS_RELEASE_MUTEX",
  "NdisInitializeEvent",
  "NdisSetEvent",
  "NdisResetEvent",
  "NdisWaitEvent",
  "NdisMSleep",
  "KeInitializeEvent",
  "KeSetEvent",
  "KeClearEvent",
  "KeWaitForSingleObject",
  "NdisAllocateMemoryWithTagPriority",
  "NdisFreeMemory",
  "NdisFRegisterFilterDriver",
  "NdisFDeregisterFilterDriver",
  "NdisFSetAttributes",
  "NdisFPauseComplete",
  "NdisFRestartComplete",
  "NdisFRestartFilter",
  "NdisFSendNetBufferLists",
  "NdisFSendNetBufferListsComplete",
  "NdisFIndicateReceiveNetBufferLists",
  "NdisFReturnNetBufferLists",
  "NdisFCancelSendNetBufferLists",
  "NdisFOidRequest",
  "NdisFOidRequestComplete",
  "NdisFCancelOidRequest",
  "NdisFDirectOidRequest",
  "NdisFDirectOidRequestComplete",
  "NdisFCancelDirectOidRequest",
  "NdisFIndicateStatus",
  "NdisRegisterDeviceEx",
  "NdisDeregisterDeviceEx",
  "NdisGetDeviceReservedExtension",
  "IoMarkIrpPending",
  "IoCompleteRequest",
  "IoCreateDevice",
  "IoDeleteDevice",
  "IoCreateSymbolicLink",
  "IoDeleteSymbolicLink",
  "NdisQueryAdapterInstanceName",
  "NdisQueryBindInstanceName",
  "KeRaiseIrql",
  "KeLowerIrql",
  "KeReadStateEvent",
  "KeResetEvent",
  "KeTryToAcquireSpinLockAtDpcLevel",
  "NdisWriteConfiguration",
  "NdisInitializeNPagedLookasideList",
  "NdisAllocateFromNPagedLookasideList",
  "NdisFreeToNPagedLookasideList",
  "NdisDeleteNPagedLookasideList",
  ...SERVICE_IMPORTS,
] as const;

type ImportName = Exclude<(typeof SUPPORTED_IMPORTS)[number], ServiceImportName>;

/** The ULONG fields of NDIS_RESTART_GENERAL_ATTRIBUTES a driver may change at its restart. */
const RESTART_ULONGS = [
  "LookaheadSize",
  "MacOptions",
  "SupportedPacketFilters",
  "MaxMulticastListSize",
  "AccessType",
  "ConnectionType",
  "SupportedStatistics",
  "DataBackFillSize",
  "ContextBackFillSize",
] as const;

/** The size NDIS checks a characteristics Header.Size against: C's own size mapped to NDIS's. */
function mapHeaderSize(
  c: CDriver,
  struct:
    | "NDIS_MINIPORT_DRIVER_CHARACTERISTICS"
    | "NDIS_PROTOCOL_DRIVER_CHARACTERISTICS"
    | "NDIS_FILTER_DRIVER_CHARACTERISTICS",
  cSize: number,
  revisions: readonly [field: string, ndisSize: number][],
): number {
  let mapped = cSize;
  for (const [field, ndisSize] of revisions) {
    if (cSize >= c.m.sizeThrough(struct, field)) mapped = ndisSize;
  }
  return mapped;
}

const MINIPORT_HANDLERS = [
  "SetOptionsHandler",
  "InitializeHandlerEx",
  "HaltHandlerEx",
  "UnloadHandler",
  "PauseHandler",
  "RestartHandler",
  "OidRequestHandler",
  "SendNetBufferListsHandler",
  "ReturnNetBufferListsHandler",
  "CancelSendHandler",
  "CheckForHangHandlerEx",
  "ResetHandlerEx",
  "DevicePnPEventNotifyHandler",
  "ShutdownHandlerEx",
  "CancelOidRequestHandler",
  "DirectOidRequestHandler",
  "CancelDirectOidRequestHandler",
  "SynchronousOidRequestHandler",
] as const;

const PROTOCOL_HANDLERS = [
  "SetOptionsHandler",
  "BindAdapterHandlerEx",
  "UnbindAdapterHandlerEx",
  "OpenAdapterCompleteHandlerEx",
  "CloseAdapterCompleteHandlerEx",
  "NetPnPEventHandler",
  "UninstallHandler",
  "OidRequestCompleteHandler",
  "StatusHandlerEx",
  "ReceiveNetBufferListsHandler",
  "SendNetBufferListsCompleteHandler",
  "DirectOidRequestCompleteHandler",
] as const;

const NDIS_NAMES: Record<string, string> = {
  SetOptionsHandler: "MiniportSetOptions",
  InitializeHandlerEx: "MiniportInitializeEx",
  HaltHandlerEx: "MiniportHaltEx",
  UnloadHandler: "MiniportDriverUnload",
  PauseHandler: "MiniportPause",
  RestartHandler: "MiniportRestart",
  OidRequestHandler: "MiniportOidRequest",
  SendNetBufferListsHandler: "MiniportSendNetBufferLists",
  ReturnNetBufferListsHandler: "MiniportReturnNetBufferLists",
  CancelSendHandler: "MiniportCancelSend",
  CheckForHangHandlerEx: "MiniportCheckForHangEx",
  ResetHandlerEx: "MiniportResetEx",
  DevicePnPEventNotifyHandler: "MiniportDevicePnPEventNotify",
  ShutdownHandlerEx: "MiniportShutdownEx",
  CancelOidRequestHandler: "MiniportCancelOidRequest",
  DirectOidRequestHandler: "MiniportDirectOidRequest",
  CancelDirectOidRequestHandler: "MiniportCancelDirectOidRequest",
  SynchronousOidRequestHandler: "MiniportSynchronousOidRequest",
  BindAdapterHandlerEx: "ProtocolBindAdapterEx",
  UnbindAdapterHandlerEx: "ProtocolUnbindAdapterEx",
  OpenAdapterCompleteHandlerEx: "ProtocolOpenAdapterCompleteEx",
  CloseAdapterCompleteHandlerEx: "ProtocolCloseAdapterCompleteEx",
  NetPnPEventHandler: "ProtocolNetPnPEvent",
  UninstallHandler: "ProtocolUninstall",
  OidRequestCompleteHandler: "ProtocolOidRequestComplete",
  StatusHandlerEx: "ProtocolStatusEx",
  ReceiveNetBufferListsHandler: "ProtocolReceiveNetBufferLists",
  SendNetBufferListsCompleteHandler: "ProtocolSendNetBufferListsComplete",
  DirectOidRequestCompleteHandler: "ProtocolDirectOidRequestComplete",
};

/** MiniportPause / FilterPause: the pause parameters (the same fields) laid out for the call. */
function pauseCall(
  c: CDriver,
  fp: number,
  name: string,
  s: "NDIS_MINIPORT_PAUSE_PARAMETERS" | "NDIS_FILTER_PAUSE_PARAMETERS",
  context: unknown,
  params: { Header: { Type: number; Revision: number }; Flags: number; PauseReason: number },
): number | Promise<number> {
  const m = c.m;
  const p = m.allocStruct(s);
  c.header(p, params.Header.Type, params.Header.Revision, s);
  m.set(s, p, "Flags", params.Flags);
  m.set(s, p, "PauseReason", params.PauseReason);
  return after(
    c.call(fp, name, CMemory.pointer(context), p),
    (r) => c.status(r),
    () => m.free(p),
  );
}

/** A TypeScript handler that runs C function `fp` in NDIS's slot `slot`. */
function miniportHandler(c: CDriver, slot: string, fp: number, as?: string): unknown {
  const m = c.m;
  const name = as ?? NDIS_NAMES[slot] ?? slot;
  const ctx = CMemory.pointer;
  switch (slot) {
    case "SetOptionsHandler":
      return (h: NDIS_HANDLE, context: unknown) =>
        c.status(c.call(fp, name, m.handleId(h), ctx(context)) as number);
    case "InitializeHandlerEx":
      return (h: NDIS_HANDLE, context: unknown, params: NDIS_MINIPORT_INIT_PARAMETERS) => {
        const p = c.initParameters(params);
        return after(
          c.call(fp, name, m.handleId(h), ctx(context), p),
          (r) => c.status(r),
          () => m.free(p),
        );
      };
    case "HaltHandlerEx":
    case "ShutdownHandlerEx":
      return (context: unknown, action: number) =>
        after(c.call(fp, name, ctx(context), action), () => undefined);
    case "UnloadHandler":
      return () => after(c.call(fp, name, c.driverObjectPtr), () => undefined);
    case "PauseHandler":
      return (context: unknown, params: ddi.NDIS_MINIPORT_PAUSE_PARAMETERS) =>
        pauseCall(c, fp, name, "NDIS_MINIPORT_PAUSE_PARAMETERS", context, params);
    case "RestartHandler":
      return (context: unknown, params: ddi.NDIS_MINIPORT_RESTART_PARAMETERS) => {
        const s = "NDIS_MINIPORT_RESTART_PARAMETERS";
        const p = m.allocStruct(s);
        c.header(p, params.Header.Type, params.Header.Revision, s);
        m.set(s, p, "Flags", params.Flags);
        const attributes = c.restartAttributesToC(params.RestartAttributes);
        m.set(s, p, "RestartAttributes", attributes?.p ?? 0);
        return after(
          c.call(fp, name, ctx(context), p),
          (r) => c.status(r),
          () => {
            if (attributes !== null) c.restartAttributesFromC(attributes);
            m.free(p);
          },
        );
      };
    case "OidRequestHandler":
    case "DirectOidRequestHandler":
    case "SynchronousOidRequestHandler":
      return (context: unknown, request: NDIS_OID_REQUEST) => {
        const p = c.oidToC(request);
        const entry = c.oidsIn.get(p);
        let returned: number | Promise<number>;
        try {
          returned = c.call(fp, name, ctx(context), p);
        } catch (thrown) {
          c.releaseOid(p);
          throw thrown;
        }
        return after(returned, (r) => {
          const status = c.status(r);
          // Answered in the handler (or completed from inside it already: then it is gone).
          if (status !== ddi.NDIS_STATUS_PENDING && c.oidsIn.has(p) && entry !== undefined) {
            c.oidFromC(p, request, entry.buffer);
            c.releaseOid(p);
          }
          return status;
        });
      };
    case "SendNetBufferListsHandler": {
      const f = { f: null };
      return (context: unknown, nbls: NET_BUFFER_LIST, port: number, flags: number) => {
        c.fire5(f, fp, name, ctx(context), c.nbls.toC(nbls), port, flags, 0);
      };
    }
    case "ReturnNetBufferListsHandler": {
      const f = { f: null };
      return (context: unknown, nbls: NET_BUFFER_LIST, flags: number) => {
        c.fire5(f, fp, name, ctx(context), c.nbls.toC(nbls), flags, 0, 0);
      };
    }
    case "CancelSendHandler":
    case "CancelOidRequestHandler":
    case "CancelDirectOidRequestHandler":
      return (context: unknown, id: unknown) => {
        c.fire(fp, name, ctx(context), typeof id === "number" ? id : m.handleId(id));
      };
    case "CheckForHangHandlerEx":
      return (context: unknown) => (c.call(fp, name, ctx(context)) as number) !== 0;
    case "ResetHandlerEx":
      return (context: unknown, addressingReset: Out<boolean>) => {
        const p = m.alloc(4);
        return after(
          c.call(fp, name, ctx(context), p),
          (r) => {
            addressingReset.value = m.u8(p) !== 0;
            return c.status(r);
          },
          () => m.free(p),
        );
      };
    case "DevicePnPEventNotifyHandler":
      return (context: unknown, event: ddi.NET_DEVICE_PNP_EVENT) => {
        const s = "NET_DEVICE_PNP_EVENT";
        const p = m.allocStruct(s);
        const info = event.InformationBuffer;
        const buffer = info === null ? 0 : m.alloc(Math.max(1, info.length));
        if (info !== null) m.bytes.set(info, buffer);
        c.header(p, event.Header.Type, event.Header.Revision, s);
        m.set(s, p, "PortNumber", event.PortNumber);
        m.set(s, p, "DevicePnPEvent", event.DevicePnPEvent);
        m.set(s, p, "InformationBuffer", buffer);
        m.set(s, p, "InformationBufferLength", event.InformationBufferLength);
        return after(
          c.call(fp, name, ctx(context), p),
          () => undefined,
          () => {
            m.free(buffer);
            m.free(p);
          },
        );
      };
    default:
      return () => {
        throw new WasmTrap(`${c.label}: NDIS has no bridge for ${slot}`);
      };
  }
}

function protocolHandler(c: CDriver, slot: string, fp: number, as?: string): unknown {
  const m = c.m;
  const name = as ?? NDIS_NAMES[slot] ?? slot;
  const ctx = CMemory.pointer;
  switch (slot) {
    case "SetOptionsHandler":
      return (h: NDIS_HANDLE, context: unknown) =>
        c.status(c.call(fp, name, m.handleId(h), ctx(context)) as number);
    case "BindAdapterHandlerEx":
      return (context: unknown, bindContext: NDIS_HANDLE, params: NDIS_BIND_PARAMETERS) => {
        const p = c.bindParametersToC(params);
        return after(
          c.call(fp, name, ctx(context), m.handleId(bindContext), p.p),
          (r) => c.status(r),
          p.free,
        );
      };
    case "UnbindAdapterHandlerEx":
      return (unbindContext: NDIS_HANDLE, context: unknown) =>
        after(c.call(fp, name, m.handleId(unbindContext), ctx(context)), (r) => c.status(r));
    case "OpenAdapterCompleteHandlerEx":
      return (context: unknown, status: number) =>
        after(c.call(fp, name, ctx(context), status), () => undefined);
    case "CloseAdapterCompleteHandlerEx":
      return (context: unknown) => after(c.call(fp, name, ctx(context)), () => undefined);
    case "NetPnPEventHandler":
      return (context: unknown, notification: NET_PNP_EVENT_NOTIFICATION) => {
        const p = c.pnpEventToC(notification);
        return after(c.call(fp, name, ctx(context), p.p), (r) => {
          const status = c.status(r);
          // A pended event keeps its structure until NdisCompleteNetPnPEvent.
          if (status !== ddi.NDIS_STATUS_PENDING) p.free();
          return status;
        });
      };
    case "UninstallHandler":
      return () => {
        c.fire(fp, name);
      };
    case "OidRequestCompleteHandler":
    case "DirectOidRequestCompleteHandler":
      return (context: unknown, request: NDIS_OID_REQUEST, status: number) => {
        const p = c.oidAnswerToC(request);
        if (!c.clones.has(p)) c.oidsOut.delete(request);
        c.fire(fp, name, ctx(context), p, status);
      };
    case "StatusHandlerEx":
      return (context: unknown, indication: NDIS_STATUS_INDICATION) => {
        const p = c.statusIndicationToC(indication);
        try {
          c.fire(fp, name, ctx(context), p.p);
        } finally {
          p.free();
        }
      };
    case "ReceiveNetBufferListsHandler": {
      const receive = { f: null };
      return (
        context: unknown,
        nbls: NET_BUFFER_LIST,
        port: number,
        count: number,
        flags: number,
      ) => {
        const p = c.nbls.toC(nbls);
        c.fire5(receive, fp, name, ctx(context), p, port, count, flags);
        // With RESOURCES the NBLs go back to their indicator as the handler returns, through no
        // call of the driver's: NDIS reads what the driver put back (its SourceHandle) now.
        if ((flags & ddi.NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) c.nbls.fromC(p);
      };
    }
    case "SendNetBufferListsCompleteHandler": {
      const f = { f: null };
      return (context: unknown, nbls: NET_BUFFER_LIST, flags: number) => {
        c.fire5(f, fp, name, ctx(context), c.nbls.toC(nbls), flags, 0, 0);
      };
    }
    default:
      return () => {
        throw new WasmTrap(`${c.label}: NDIS has no bridge for ${slot}`);
      };
  }
}

/** The filter handler slots, in NDIS_FILTER_DRIVER_CHARACTERISTICS order. */
const FILTER_HANDLERS = [
  "SetOptionsHandler",
  "SetFilterModuleOptionsHandler",
  "AttachHandler",
  "DetachHandler",
  "RestartHandler",
  "PauseHandler",
  "SendNetBufferListsHandler",
  "SendNetBufferListsCompleteHandler",
  "CancelSendNetBufferListsHandler",
  "ReceiveNetBufferListsHandler",
  "ReturnNetBufferListsHandler",
  "OidRequestHandler",
  "OidRequestCompleteHandler",
  "CancelOidRequestHandler",
  "DevicePnPEventNotifyHandler",
  "NetPnPEventHandler",
  "StatusHandler",
  "DirectOidRequestHandler",
  "DirectOidRequestCompleteHandler",
  "CancelDirectOidRequestHandler",
] as const;

/**
 * A TypeScript handler that runs C function `fp` in filter slot `slot`. A filter module is a
 * miniport to the layer above and a protocol to the one below, so most of its handlers take what
 * the matching miniport or protocol handler takes; they are bridged the same way, under the
 * filter's own names (FilterSendNetBufferLists…).
 */
function filterHandler(c: CDriver, slot: string, fp: number): unknown {
  const m = c.m;
  const name = `Filter${slot.replace(/Handler$/, "").replace(/^SetFilterModuleOptions$/, "SetModuleOptions")}`;
  const ctx = CMemory.pointer;
  switch (slot) {
    case "SetOptionsHandler":
      return miniportHandler(c, "SetOptionsHandler", fp, name);
    case "SetFilterModuleOptionsHandler":
      return (context: unknown) => c.status(c.call(fp, name, ctx(context)) as number);
    case "AttachHandler":
      return (handle: NDIS_HANDLE, context: unknown, params: ddi.NDIS_FILTER_ATTACH_PARAMETERS) => {
        const p = c.attachParametersToC(params);
        return after(
          c.call(fp, name, m.handleId(handle), ctx(context), p.p),
          (r) => c.status(r),
          p.free,
        );
      };
    case "DetachHandler":
      return (context: unknown) => after(c.call(fp, name, ctx(context)), () => undefined);
    case "PauseHandler":
      return (context: unknown, params: ddi.NDIS_FILTER_PAUSE_PARAMETERS) =>
        pauseCall(c, fp, name, "NDIS_FILTER_PAUSE_PARAMETERS", context, params);
    case "RestartHandler":
      return (context: unknown, params: ddi.NDIS_FILTER_RESTART_PARAMETERS) => {
        const s = "NDIS_FILTER_RESTART_PARAMETERS";
        const p = m.allocStruct(s);
        c.header(p, params.Header.Type, params.Header.Revision, s);
        m.set(s, p, "MiniportMediaType", params.MiniportMediaType);
        m.set(s, p, "MiniportPhysicalMediaType", params.MiniportPhysicalMediaType);
        m.set(s, p, "LowerIfIndex", params.LowerIfIndex);
        m.set64(s, p, "LowerIfNetLuid", params.LowerIfNetLuid);
        m.set(s, p, "Flags", params.Flags);
        // The list as the drivers below left it; a filter may change it for the drivers above.
        const attributes = c.restartAttributesToC(params.RestartAttributes);
        m.set(s, p, "RestartAttributes", attributes?.p ?? 0);
        return after(
          c.call(fp, name, ctx(context), p),
          (r) => c.status(r),
          () => {
            if (attributes !== null) c.restartAttributesFromC(attributes);
            m.free(p);
          },
        );
      };
    case "SendNetBufferListsHandler":
    case "ReturnNetBufferListsHandler":
    case "OidRequestHandler":
    case "DirectOidRequestHandler":
    case "CancelOidRequestHandler":
    case "CancelDirectOidRequestHandler":
    case "DevicePnPEventNotifyHandler":
      return miniportHandler(c, slot, fp, name);
    case "CancelSendNetBufferListsHandler":
      return miniportHandler(c, "CancelSendHandler", fp, name);
    case "SendNetBufferListsCompleteHandler":
    case "ReceiveNetBufferListsHandler":
    case "OidRequestCompleteHandler":
    case "DirectOidRequestCompleteHandler":
    case "NetPnPEventHandler":
      return protocolHandler(c, slot, fp, name);
    case "StatusHandler":
      return protocolHandler(c, "StatusHandlerEx", fp, name);
    default:
      return () => {
        throw new WasmTrap(`${c.label}: NDIS has no bridge for ${slot}`);
      };
  }
}

/** The module's imports: each DDI routine, reading C's arguments and calling NDIS. */
function imports(get: () => CDriver): Record<ImportName, CFunction> {
  const h = (id: number) => get().m.handle(id) as NDIS_HANDLE;
  const out = (p: number, handle: unknown) => {
    if (p !== 0) get().m.setU32(p, get().m.handleId(handle));
  };
  const lock = (p: number): ddi.NDIS_SPIN_LOCK => {
    const c = get();
    let l = c.spinLocks.get(p);
    if (l === undefined) {
      l = {};
      c.spinLocks.set(p, l);
    }
    return l;
  };
  // The object standing for a C NDIS_RW_LOCK or LOCK_STATE at `p`; a lock C never initialised
  // maps to a fresh object, which NDIS reports as uninitialised.
  const cObject = <T extends object>(map: Map<number, T>, p: number): T => {
    let o = map.get(p);
    if (o === undefined) {
      o = {} as T;
      map.set(p, o);
    }
    return o;
  };
  const rwLock = (p: number): ddi.NDIS_RW_LOCK => cObject(get().rwLocks, p);
  const lockState = (p: number): ddi.LOCK_STATE => cObject(get().lockStates, p);
  const event = (p: number): ddi.NDIS_EVENT => {
    const c = get();
    let e = c.events.get(p);
    if (e === undefined) {
      e = {};
      ddi.NdisInitializeEvent(e);
      c.events.set(p, e);
    }
    return e;
  };
  return {
    NdisGetVersion: () => ddi.NdisGetVersion(),
    KeGetCurrentIrql: () => ddi.KeGetCurrentIrql(),
    DbgPrint: () => 0,
    NdisMRegisterMiniportDriver: (
      drv: number,
      reg: number,
      context: number,
      chars: number,
      handle: number,
    ) => {
      const c = get();
      const m = c.m;
      const s = "NDIS_MINIPORT_DRIVER_CHARACTERISTICS";
      const hdr = m.header(chars);
      const table: Record<string, unknown> = {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          Size: mapHeaderSize(c, s, hdr.Size, [
            ["CancelOidRequestHandler", ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1],
            [
              "CancelDirectOidRequestHandler",
              ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
            ],
            [
              "SynchronousOidRequestHandler",
              ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
            ],
          ]),
        },
        MajorNdisVersion: m.get(s, chars, "MajorNdisVersion"),
        MinorNdisVersion: m.get(s, chars, "MinorNdisVersion"),
        MajorDriverVersion: m.get(s, chars, "MajorDriverVersion"),
        MinorDriverVersion: m.get(s, chars, "MinorDriverVersion"),
        Flags: m.get(s, chars, "Flags"),
      };
      for (const slot of MINIPORT_HANDLERS) {
        const fp = m.get(s, chars, slot);
        table[slot] = fp === 0 ? null : miniportHandler(c, slot, fp);
      }
      // Written to C as soon as NDIS sets it: the driver's SetOptions, run inside the call, may
      // compare its global with the handle NDIS passes.
      const result = handleOut(c, handle);
      const status = ddi.NdisMRegisterMiniportDriver(
        (drv === c.driverObjectPtr ? c.driverObject : drv) as DRIVER_OBJECT,
        m.unicodeString(reg),
        CMemory.context(context),
        table as unknown as NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
        result,
      );
      out(handle, result.value);
      if (c.driverHandle === null && result.value !== undefined) c.driverHandle = result.value;
      return status;
    },
    NdisMDeregisterMiniportDriver: (handle: number) => ddi.NdisMDeregisterMiniportDriver(h(handle)),
    NdisRegisterProtocolDriver: (context: number, chars: number, handle: number) => {
      const c = get();
      const m = c.m;
      const s = "NDIS_PROTOCOL_DRIVER_CHARACTERISTICS";
      const hdr = m.header(chars);
      const table: Record<string, unknown> = {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          Size: mapHeaderSize(c, s, hdr.Size, [
            [
              "SendNetBufferListsCompleteHandler",
              ddi.NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1,
            ],
            [
              "DirectOidRequestCompleteHandler",
              ddi.NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
            ],
          ]),
        },
        MajorNdisVersion: m.get(s, chars, "MajorNdisVersion"),
        MinorNdisVersion: m.get(s, chars, "MinorNdisVersion"),
        MajorDriverVersion: m.get(s, chars, "MajorDriverVersion"),
        MinorDriverVersion: m.get(s, chars, "MinorDriverVersion"),
        Flags: m.get(s, chars, "Flags"),
        Name: m.unicodeString(chars + m.off(s, "Name")),
      };
      for (const slot of PROTOCOL_HANDLERS) {
        const fp = m.get(s, chars, slot);
        table[slot] = fp === 0 ? null : protocolHandler(c, slot, fp);
      }
      // Written to C as soon as NDIS sets it: the driver's SetOptions, run inside the call, may
      // compare its global with the handle NDIS passes.
      const result = handleOut(c, handle);
      const status = ddi.NdisRegisterProtocolDriver(
        CMemory.context(context),
        table as unknown as NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
        result,
      );
      out(handle, result.value);
      if (c.driverHandle === null && result.value !== undefined) c.driverHandle = result.value;
      return status;
    },
    NdisDeregisterProtocolDriver: (handle: number) => ddi.NdisDeregisterProtocolDriver(h(handle)),
    NdisIMAssociateMiniport: (driver: number, protocol: number) =>
      ddi.NdisIMAssociateMiniport(h(driver), h(protocol)),
    NdisMSetMiniportAttributes: (handle: number, attrs: number) => {
      const m = get().m;
      const hdr = m.header(attrs);
      if (hdr.Type === ddi.NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES) {
        const s = "NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES";
        return ddi.NdisMSetMiniportAttributes(h(handle), {
          Header: {
            Type: hdr.Type,
            Revision: hdr.Revision,
            Size:
              hdr.Size >= m.sizeThrough(s, "InterfaceType")
                ? ddi.NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1
                : hdr.Size,
          },
          MiniportAdapterContext: CMemory.context(m.get(s, attrs, "MiniportAdapterContext")),
          AttributeFlags: m.get(s, attrs, "AttributeFlags"),
          CheckForHangTimeInSeconds: m.get(s, attrs, "CheckForHangTimeInSeconds"),
          InterfaceType: m.get(s, attrs, "InterfaceType"),
        });
      }
      if (hdr.Type === ddi.NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) {
        const s = "NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES";
        const g = (f: string) => m.get(s, attrs, f);
        const macLength = Math.min(32, g("MacAddressLength"));
        const oidCount = Math.floor(g("SupportedOidListLength") / 4);
        const oidList = g("SupportedOidList");
        const oids: number[] = [];
        for (let i = 0; i < oidCount && oidList !== 0; i++) oids.push(m.u32(oidList + 4 * i));
        let size = hdr.Size;
        if (hdr.Size >= m.sizeThrough(s, "AutoNegotiationFlags"))
          size = ddi.NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
        if (hdr.Size >= m.sizeThrough(s, "PowerManagementCapabilitiesEx"))
          size = ddi.NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
        return ddi.NdisMSetMiniportAttributes(h(handle), {
          Header: { Type: hdr.Type, Revision: hdr.Revision, Size: size },
          Flags: g("Flags"),
          MediaType: g("MediaType"),
          PhysicalMediumType: g("PhysicalMediumType"),
          MtuSize: g("MtuSize"),
          MaxXmitLinkSpeed: m.get64(s, attrs, "MaxXmitLinkSpeed"),
          XmitLinkSpeed: m.get64(s, attrs, "XmitLinkSpeed"),
          MaxRcvLinkSpeed: m.get64(s, attrs, "MaxRcvLinkSpeed"),
          RcvLinkSpeed: m.get64(s, attrs, "RcvLinkSpeed"),
          MediaConnectState: g("MediaConnectState"),
          MediaDuplexState: g("MediaDuplexState"),
          LookaheadSize: g("LookaheadSize"),
          MacOptions: g("MacOptions"),
          SupportedPacketFilters: g("SupportedPacketFilters"),
          MaxMulticastListSize: g("MaxMulticastListSize"),
          MacAddressLength: g("MacAddressLength"),
          PermanentMacAddress: m.copyOut(attrs + m.off(s, "PermanentMacAddress"), macLength),
          CurrentMacAddress: m.copyOut(attrs + m.off(s, "CurrentMacAddress"), macLength),
          AccessType: g("AccessType"),
          DirectionType: g("DirectionType"),
          ConnectionType: g("ConnectionType"),
          IfType: g("IfType"),
          IfConnectorPresent: g("IfConnectorPresent") !== 0,
          SupportedStatistics: g("SupportedStatistics"),
          SupportedPauseFunctions: g("SupportedPauseFunctions"),
          DataBackFillSize: g("DataBackFillSize"),
          ContextBackFillSize: g("ContextBackFillSize"),
          SupportedOidList: oids,
          AutoNegotiationFlags: g("AutoNegotiationFlags"),
          PowerManagementCapabilitiesEx: g("PowerManagementCapabilitiesEx") === 0 ? null : {},
        });
      }
      return ddi.NdisMSetMiniportAttributes(h(handle), { Header: hdr } as never);
    },
    NdisMPauseComplete: (handle: number) => ddi.NdisMPauseComplete(h(handle)),
    NdisRegisterDeviceEx: (
      handle: number,
      attributes: number,
      pDevice: number,
      pHandle: number,
    ) => {
      const c = get();
      return c.devices.register(h(handle), attributes, c.driverObjectPtr, pDevice, pHandle);
    },
    NdisDeregisterDeviceEx: (handle: number) => get().devices.deregister(h(handle)),
    NdisGetDeviceReservedExtension: (p: number) => get().devices.extension(p),
    IoMarkIrpPending: (p: number) => get().devices.markPending(p),
    IoCompleteRequest: (p: number, boost: number) => get().devices.complete(p, boost),
    IoCreateDevice: (
      drv: number,
      extensionSize: number,
      pName: number,
      type: number,
      characteristics: number,
      exclusive: number,
      pDevice: number,
    ) => {
      const c = get();
      if (drv !== c.driverObjectPtr || c.driverObject === null) {
        if (pDevice !== 0) c.m.setU32(pDevice, 0);
        return ddi.IoCreateDevice({} as DRIVER_OBJECT, 0, null, 0, 0, false, {});
      }
      return c.devices.create(
        c.driverObject,
        drv,
        extensionSize,
        pName,
        type,
        characteristics,
        (exclusive & 0xff) !== 0,
        pDevice,
      );
    },
    IoDeleteDevice: (p: number) => {
      const c = get();
      c.devices.delete(p, c.driverObjectPtr);
    },
    IoCreateSymbolicLink: (pLink: number, pName: number) => {
      const m = get().m;
      return ddi.IoCreateSymbolicLink(
        pLink === 0 ? (null as never) : m.unicodeString(pLink),
        pName === 0 ? (null as never) : m.unicodeString(pName),
      );
    },
    IoDeleteSymbolicLink: (pLink: number) =>
      ddi.IoDeleteSymbolicLink(pLink === 0 ? (null as never) : get().m.unicodeString(pLink)),
    KeReadStateEvent: (p: number) => ddi.KeReadStateEvent(event(p).Event ?? {}),
    KeResetEvent: (p: number) => ddi.KeResetEvent(event(p).Event ?? {}),
    KeRaiseIrql: (irql: number) => ddi.KeRaiseIrql((irql & 0xff) as ddi.KIRQL),
    KeLowerIrql: (irql: number) => ddi.KeLowerIrql((irql & 0xff) as ddi.KIRQL),
    // A KSPIN_LOCK is the NDIS_SPIN_LOCK at its address (services.ts makes them the same way).
    KeTryToAcquireSpinLockAtDpcLevel: (p: number) => {
      const c = get();
      let l = c.spinLocks.get(p);
      if (l === undefined) {
        l = {};
        c.spinLocks.set(p, l);
      }
      return ddi.KeTryToAcquireSpinLockAtDpcLevel(l) ? 1 : 0;
    },
    NdisWriteConfiguration: (statusP: number, handle: number, keyword: number, p: number) => {
      const m = get().m;
      const s = "NDIS_CONFIGURATION_PARAMETER";
      const type = p === 0 ? -1 : m.get(s, p, "ParameterType");
      let text = "";
      let bytes: Uint8Array = new Uint8Array(0);
      if (type === ddi.NdisParameterString || type === ddi.NdisParameterMultiString) {
        // A counted string of 32-bit WCHARs (a MultiString's strings separated by NULs).
        const length = m.get(s, p, "ParameterData.StringData.Length");
        const buffer = m.get(s, p, "ParameterData.StringData.Buffer");
        for (let i = 0; i + 4 <= length; i += 4) text += String.fromCodePoint(m.u32(buffer + i));
      } else if (type === ddi.NdisParameterBinary) {
        const length = m.get(s, p, "ParameterData.BinaryData.Length");
        bytes = m.copyOut(m.get(s, p, "ParameterData.BinaryData.Buffer"), length);
      }
      const status: ddi.Out<ddi.NDIS_STATUS> = { value: ddi.NDIS_STATUS_FAILURE };
      ddi.NdisWriteConfiguration(
        status,
        h(handle),
        keyword === 0 ? "" : m.unicodeString(keyword),
        (p === 0
          ? null
          : {
              ParameterType: type,
              ParameterData: {
                IntegerData: m.get(s, p, "ParameterData.IntegerData") >>> 0,
                StringData: text,
                BinaryData: bytes,
              },
            }) as ddi.NDIS_CONFIGURATION_PARAMETER,
      );
      if (statusP !== 0) m.setU32(statusP, (status.value ?? ddi.NDIS_STATUS_FAILURE) >>> 0);
    },
    NdisQueryAdapterInstanceName: (pString: number, handle: number) =>
      instanceName(get(), pString, handle, ddi.NdisQueryAdapterInstanceName),
    NdisQueryBindInstanceName: (pString: number, handle: number) =>
      instanceName(get(), pString, handle, ddi.NdisQueryBindInstanceName),
    NdisMResetComplete: (handle: number, status: number, addressingReset: number) =>
      ddi.NdisMResetComplete(h(handle), status >>> 0, (addressingReset & 0xff) !== 0),
    NdisMResetMiniport: (handle: number) => ddi.NdisMResetMiniport(h(handle)),
    NdisMRestartComplete: (handle: number, status: number) =>
      ddi.NdisMRestartComplete(h(handle), status >>> 0),
    NdisMOidRequestComplete: (handle: number, p: number, status: number) =>
      completeOid(get(), p, (request) =>
        ddi.NdisMOidRequestComplete(h(handle), request, status >>> 0),
      ),
    NdisMDirectOidRequestComplete: (handle: number, p: number, status: number) =>
      completeOid(get(), p, (request) =>
        ddi.NdisMDirectOidRequestComplete(h(handle), request, status >>> 0),
      ),
    NdisFRegisterFilterDriver: (drv: number, context: number, chars: number, handle: number) => {
      const c = get();
      const m = c.m;
      const s = "NDIS_FILTER_DRIVER_CHARACTERISTICS";
      const hdr = m.header(chars);
      const table: Record<string, unknown> = {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          Size: mapFilterHeaderSize(c, hdr.Size),
        },
        MajorNdisVersion: m.get(s, chars, "MajorNdisVersion"),
        MinorNdisVersion: m.get(s, chars, "MinorNdisVersion"),
        MajorDriverVersion: m.get(s, chars, "MajorDriverVersion"),
        MinorDriverVersion: m.get(s, chars, "MinorDriverVersion"),
        Flags: m.get(s, chars, "Flags"),
        FriendlyName: m.unicodeString(chars + m.off(s, "FriendlyName")),
        UniqueName: m.unicodeString(chars + m.off(s, "UniqueName")),
        ServiceName: m.unicodeString(chars + m.off(s, "ServiceName")),
      };
      for (const slot of FILTER_HANDLERS) {
        const fp = m.get(s, chars, slot);
        table[slot] = fp === 0 ? null : filterHandler(c, slot, fp);
      }
      // Written to C as soon as NDIS sets it: the driver's SetOptions, run inside the call, may
      // compare its global with the handle NDIS passes.
      const result = handleOut(c, handle);
      const status = ddi.NdisFRegisterFilterDriver(
        (drv === c.driverObjectPtr ? c.driverObject : drv) as DRIVER_OBJECT,
        CMemory.context(context),
        table as unknown as ddi.NDIS_FILTER_DRIVER_CHARACTERISTICS,
        result,
      );
      out(handle, result.value);
      if (c.driverHandle === null && result.value !== undefined) c.driverHandle = result.value;
      return status;
    },
    NdisFDeregisterFilterDriver: (handle: number) => ddi.NdisFDeregisterFilterDriver(h(handle)),
    NdisFSetAttributes: (handle: number, context: number, p: number) => {
      const m = get().m;
      return ddi.NdisFSetAttributes(h(handle), CMemory.context(context), {
        Header: m.header(p),
        Flags: m.get("NDIS_FILTER_ATTRIBUTES", p, "Flags"),
      });
    },
    NdisFPauseComplete: (handle: number) => ddi.NdisFPauseComplete(h(handle)),
    NdisFRestartComplete: (handle: number, status: number) =>
      ddi.NdisFRestartComplete(h(handle), status >>> 0),
    NdisFRestartFilter: (handle: number) => ddi.NdisFRestartFilter(h(handle)),
    NdisFSendNetBufferLists: (handle: number, p: number, port: number, flags: number) =>
      ddi.NdisFSendNetBufferLists(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, port, flags),
    NdisFSendNetBufferListsComplete: (handle: number, p: number, flags: number) =>
      ddi.NdisFSendNetBufferListsComplete(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, flags),
    NdisFIndicateReceiveNetBufferLists: (
      handle: number,
      p: number,
      port: number,
      count: number,
      flags: number,
    ) =>
      indicateFromC(
        get(),
        ddi.NdisFIndicateReceiveNetBufferLists,
        h(handle),
        p,
        port,
        count,
        flags,
      ),
    NdisFReturnNetBufferLists: (handle: number, p: number, flags: number) =>
      ddi.NdisFReturnNetBufferLists(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, flags),
    NdisFCancelSendNetBufferLists: (handle: number, id: number) =>
      ddi.NdisFCancelSendNetBufferLists(h(handle), get().m.handle(id)),
    NdisFOidRequest: (handle: number, p: number) =>
      issueOid(get(), p, (request) => ddi.NdisFOidRequest(h(handle), request)),
    NdisFOidRequestComplete: (handle: number, p: number, status: number) =>
      completeOid(get(), p, (request) =>
        ddi.NdisFOidRequestComplete(h(handle), request, status >>> 0),
      ),
    NdisFCancelOidRequest: (handle: number, id: number) =>
      ddi.NdisFCancelOidRequest(h(handle), get().m.handle(id)),
    NdisFDirectOidRequest: (handle: number, p: number) =>
      issueOid(get(), p, (request) => ddi.NdisFDirectOidRequest(h(handle), request)),
    NdisFDirectOidRequestComplete: (handle: number, p: number, status: number) =>
      completeOid(get(), p, (request) =>
        ddi.NdisFDirectOidRequestComplete(h(handle), request, status >>> 0),
      ),
    NdisFCancelDirectOidRequest: (handle: number, id: number) =>
      ddi.NdisFCancelDirectOidRequest(h(handle), get().m.handle(id)),
    NdisFIndicateStatus: (handle: number, p: number) =>
      ddi.NdisFIndicateStatus(h(handle), get().statusIndicationFromC(p)),
    NdisMIndicateStatusEx: (handle: number, p: number) =>
      ddi.NdisMIndicateStatusEx(h(handle), get().statusIndicationFromC(p)),
    NdisMSendNetBufferListsComplete: (handle: number, p: number, flags: number) =>
      ddi.NdisMSendNetBufferListsComplete(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, flags),
    NdisMIndicateReceiveNetBufferLists: (
      handle: number,
      p: number,
      port: number,
      count: number,
      flags: number,
    ) =>
      indicateFromC(
        get(),
        ddi.NdisMIndicateReceiveNetBufferLists,
        h(handle),
        p,
        port,
        count,
        flags,
      ),
    NdisOpenAdapterEx: (
      protocol: number,
      context: number,
      params: number,
      bindContext: number,
      handle: number,
    ) => {
      const m = get().m;
      const s = "NDIS_OPEN_PARAMETERS";
      const mediaAt = m.get(s, params, "MediumArray");
      const mediaCount = m.get(s, params, "MediumArraySize");
      const media: number[] = [];
      for (let i = 0; i < mediaCount && mediaAt !== 0; i++) media.push(m.u32(mediaAt + 4 * i));
      const selected: Out<number> = {};
      const result: Out<NDIS_HANDLE> = {};
      const status = ddi.NdisOpenAdapterEx(
        h(protocol),
        CMemory.context(context),
        {
          Header: m.header(params),
          AdapterName: m.unicodeString(m.get(s, params, "AdapterName")),
          MediumArray: media,
          MediumArraySize: mediaCount,
          SelectedMediumIndex: selected,
        },
        h(bindContext),
        result,
      );
      const selectedAt = m.get(s, params, "SelectedMediumIndex");
      if (selected.value !== undefined && selectedAt !== 0) m.setU32(selectedAt, selected.value);
      out(handle, result.value);
      return status;
    },
    NdisCloseAdapterEx: (handle: number) => ddi.NdisCloseAdapterEx(h(handle)),
    NdisCompleteBindAdapterEx: (context: number, status: number) =>
      ddi.NdisCompleteBindAdapterEx(h(context), status >>> 0),
    NdisCompleteUnbindAdapterEx: (context: number) => ddi.NdisCompleteUnbindAdapterEx(h(context)),
    NdisCompleteNetPnPEvent: (handle: number, p: number, status: number) => {
      const c = get();
      const notification = c.pnpEvents.get(p);
      c.pnpEvents.delete(p);
      ddi.NdisCompleteNetPnPEvent(
        h(handle),
        (notification ?? p) as NET_PNP_EVENT_NOTIFICATION,
        status >>> 0,
      );
    },
    NdisSendNetBufferLists: (handle: number, p: number, port: number, flags: number) =>
      ddi.NdisSendNetBufferLists(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, port, flags),
    NdisReturnNetBufferLists: (handle: number, p: number, flags: number) =>
      ddi.NdisReturnNetBufferLists(h(handle), get().nbls.fromC(p) as NET_BUFFER_LIST, flags),
    NdisOidRequest: (handle: number, p: number) =>
      issueOid(get(), p, (request) => ddi.NdisOidRequest(h(handle), request)),
    NdisAllocateCloneOidRequest: (handle: number, p: number, tag: number, out: number) => {
      const c = get();
      const m = c.m;
      const original = c.oidsIn.get(p)?.request;
      const result: Out<NDIS_OID_REQUEST> = {};
      const status = ddi.NdisAllocateCloneOidRequest(
        h(handle),
        (original ?? p) as NDIS_OID_REQUEST,
        tag >>> 0,
        result,
      );
      if (status !== ddi.NDIS_STATUS_SUCCESS || result.value === undefined) {
        if (out !== 0) m.setU32(out, 0);
        return status;
      }
      // The clone is the original's copy, its reserved areas cleared, sharing its buffer.
      const s = "NDIS_OID_REQUEST";
      const q = m.allocStruct(s);
      m.bytes.copyWithin(q, p, p + m.sizeOf(s));
      m.bytes.fill(0, q + m.off(s, "MiniportReserved"), q + m.sizeThrough(s, "MiniportReserved"));
      m.bytes.fill(0, q + m.off(s, "SourceReserved"), q + m.sizeThrough(s, "SourceReserved"));
      c.clones.set(q, result.value);
      c.oidsOut.set(result.value, q);
      if (out !== 0) m.setU32(out, q);
      return status;
    },
    NdisFreeCloneOidRequest: (handle: number, p: number) => {
      const c = get();
      const clone = c.clones.get(p);
      ddi.NdisFreeCloneOidRequest(h(handle), (clone ?? p) as NDIS_OID_REQUEST);
      if (clone === undefined) return;
      c.clones.delete(p);
      c.oidsOut.delete(clone);
      c.m.free(p);
    },
    NdisCancelOidRequest: (handle: number, id: number) =>
      ddi.NdisCancelOidRequest(h(handle), get().m.handle(id)),
    NdisDirectOidRequest: (handle: number, p: number) =>
      issueOid(get(), p, (request) => ddi.NdisDirectOidRequest(h(handle), request)),
    NdisCancelDirectOidRequest: (handle: number, id: number) =>
      ddi.NdisCancelDirectOidRequest(h(handle), get().m.handle(id)),
    NdisCancelSendNetBufferLists: (handle: number, id: number) =>
      ddi.NdisCancelSendNetBufferLists(h(handle), get().m.handle(id)),
    NdisMNetPnPEvent: (handle: number, p: number) => {
      const notification = get().pnpEvents.get(p);
      return ddi.NdisMNetPnPEvent(h(handle), (notification ?? p) as NET_PNP_EVENT_NOTIFICATION);
    },
    NdisIMInitializeDeviceInstanceEx: (driver: number, instance: number, context: number) =>
      ddi.NdisIMInitializeDeviceInstanceEx(
        h(driver),
        get().m.unicodeString(instance),
        CMemory.context(context),
      ),
    NdisIMCancelInitializeDeviceInstance: (driver: number, instance: number) =>
      ddi.NdisIMCancelInitializeDeviceInstance(h(driver), get().m.unicodeString(instance)),
    NdisIMDeInitializeDeviceInstance: (handle: number) =>
      ddi.NdisIMDeInitializeDeviceInstance(h(handle)),
    NdisAllocateNetBufferListPool: (handle: number, params: number) => {
      const m = get().m;
      const s = "NET_BUFFER_LIST_POOL_PARAMETERS";
      const hdr = m.header(params);
      const pool = ddi.NdisAllocateNetBufferListPool(h(handle), {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          Size:
            hdr.Size >= m.sizeThrough(s, "DataSize")
              ? ddi.NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1
              : hdr.Size,
        },
        ProtocolId: m.get(s, params, "ProtocolId"),
        fAllocateNetBuffer: m.get(s, params, "fAllocateNetBuffer") !== 0,
        ContextSize: x64ContextSize(m.get(s, params, "ContextSize")),
        PoolTag: m.get(s, params, "PoolTag"),
        DataSize: m.get(s, params, "DataSize"),
        ...(hdr.Revision >= 2 ? { Flags: m.get(s, params, "Flags") } : {}),
      });
      return m.handleId(pool);
    },
    NdisFreeNetBufferListPool: (pool: number) => ddi.NdisFreeNetBufferListPool(h(pool)),
    NdisAllocateNetBufferList: (pool: number, contextSize: number, backFill: number) => {
      const c = get();
      return c.nbls.toC(
        ddi.NdisAllocateNetBufferList(
          h(pool),
          x64ContextSize(contextSize),
          x64ContextSize(backFill),
        ),
      );
    },
    NdisAllocateNetBufferAndNetBufferList: (
      pool: number,
      contextSize: number,
      backFill: number,
      mdl: number,
      offset: number,
      length: number,
    ) => {
      const c = get();
      const chain = mdl === 0 ? null : (c.nbls.mdlAt(mdl) ?? (mdl as unknown as MDL));
      return c.nbls.toC(
        ddi.NdisAllocateNetBufferAndNetBufferList(
          h(pool),
          x64ContextSize(contextSize),
          x64ContextSize(backFill),
          chain,
          offset,
          length,
        ),
      );
    },
    NdisFreeNetBufferList: (p: number) => {
      const c = get();
      const nbl = c.nbls.fromCOne(p);
      ddi.NdisFreeNetBufferList((nbl ?? p) as NET_BUFFER_LIST);
    },
    NdisAllocateMdl: (handle: number, va: number, length: number) => {
      const c = get();
      const mdl = ddi.NdisAllocateMdl(h(handle), c.m.viewOf(va, length), length);
      return mdl === null ? 0 : c.nbls.adoptMdl(mdl, va);
    },
    NdisFreeMdl: (p: number) => {
      const c = get();
      const mdl = c.nbls.mdlAt(p);
      ddi.NdisFreeMdl((mdl ?? p) as MDL);
      if (mdl !== null) c.nbls.dropMdl(p);
    },
    // What MmGetSystemAddressForMdlSafe calls for an MDL that is not mapped: NDIS's MDLs whose
    // bytes live outside the module are copied in now (and cross at every crossing from then on).
    MmMapLockedPagesSpecifyCache: (p: number) => get().nbls.mapMdl(p),
    NdisAllocateNetBufferListContext: (p: number, size: number, backFill: number, tag: number) => {
      // Only the context stack changes: nothing else of the NBL crosses.
      const c = get();
      const nbl = c.nbls.nblAt(p);
      const status = ddi.NdisAllocateNetBufferListContext(
        (nbl ?? p) as NET_BUFFER_LIST,
        x64ContextSize(size),
        x64ContextSize(backFill),
        tag,
      );
      if (nbl !== null) c.nbls.contextToC(nbl);
      return status;
    },
    NdisFreeNetBufferListContext: (p: number, size: number) => {
      const c = get();
      const nbl = c.nbls.nblAt(p);
      ddi.NdisFreeNetBufferListContext((nbl ?? p) as NET_BUFFER_LIST, x64ContextSize(size));
      if (nbl !== null) c.nbls.contextToC(nbl);
    },
    NdisAllocateSpinLock: (p: number) => {
      const l: ddi.NDIS_SPIN_LOCK = {};
      get().spinLocks.set(p, l);
      ddi.NdisAllocateSpinLock(l);
    },
    NdisFreeSpinLock: (p: number) => {
      ddi.NdisFreeSpinLock(lock(p));
      get().spinLocks.delete(p);
    },
    NdisAcquireSpinLock: (p: number) => ddi.NdisAcquireSpinLock(lock(p)),
    NdisReleaseSpinLock: (p: number) => ddi.NdisReleaseSpinLock(lock(p)),
    NdisDprAcquireSpinLock: (p: number) => ddi.NdisDprAcquireSpinLock(lock(p)),
    NdisDprReleaseSpinLock: (p: number) => ddi.NdisDprReleaseSpinLock(lock(p)),
    NdisInitializeReadWriteLock: (p: number) => {
      const l: ddi.NDIS_RW_LOCK = {};
      get().rwLocks.set(p, l);
      ddi.NdisInitializeReadWriteLock(l);
    },
    NdisAcquireReadWriteLock: (p: number, write: number, state: number) =>
      ddi.NdisAcquireReadWriteLock(rwLock(p), write !== 0, lockState(state)),
    NdisReleaseReadWriteLock: (p: number, state: number) =>
      ddi.NdisReleaseReadWriteLock(rwLock(p), lockState(state)),
    NDIS_INIT_MUTEX: (p: number) => {
      const m: ddi.NDIS_MUTEX = {};
      get().mutexes.set(p, m);
      ddi.NDIS_INIT_MUTEX(m);
    },
    NDIS_WAIT_FOR_MUTEX: (p: number) =>
      get().block(
        "NDIS_WAIT_FOR_MUTEX",
        () => ddi.NDIS_WAIT_FOR_MUTEX(cObject(get().mutexes, p)),
        () => {
          // Taken at once (free, or already the caller's), or above PASSIVE_LEVEL: no wait.
          const m = cObject(get().mutexes, p);
          if (ddi.ndisMutexWouldBlock(m)) return null;
          void ddi.NDIS_WAIT_FOR_MUTEX(m);
          return ddi.STATUS_SUCCESS;
        },
      ),
    NDIS_RELEASE_MUTEX: (p: number) => ddi.NDIS_RELEASE_MUTEX(cObject(get().mutexes, p)),
    NdisIfAddIfStackEntry: (higher: number, lower: number) =>
      ddi.NdisIfAddIfStackEntry(higher >>> 0, lower >>> 0),
    NdisIfDeleteIfStackEntry: (higher: number, lower: number) =>
      ddi.NdisIfDeleteIfStackEntry(higher >>> 0, lower >>> 0),
    NdisInitializeEvent: (p: number) => {
      const e: ddi.NDIS_EVENT = {};
      get().events.set(p, e);
      ddi.NdisInitializeEvent(e);
    },
    NdisSetEvent: (p: number) => ddi.NdisSetEvent(event(p)),
    NdisResetEvent: (p: number) => ddi.NdisResetEvent(event(p)),
    NdisWaitEvent: (p: number, ms: number) =>
      get().block(
        "NdisWaitEvent",
        () => ddi.NdisWaitEvent(event(p), ms).then((signaled) => (signaled ? 1 : 0)),
        () => {
          if (ddi.KeGetCurrentIrql() === ddi.PASSIVE_LEVEL) return null;
          void ddi.NdisWaitEvent(event(p), ms);
          return 0;
        },
      ),
    NdisMSleep: (us: number) =>
      get().block(
        "NdisMSleep",
        () => ddi.NdisMSleep(us >>> 0).then(() => 0),
        () => {
          if (ddi.KeGetCurrentIrql() === ddi.PASSIVE_LEVEL) return null;
          void ddi.NdisMSleep(us >>> 0);
          return 0;
        },
      ),
    KeInitializeEvent: (p: number, type: number, state: number) => {
      const e = event(p);
      ddi.NdisInitializeEvent(e);
      ddi.KeInitializeEvent(e.Event as ddi.KEVENT, type, state !== 0);
    },
    KeSetEvent: (p: number) => {
      ddi.NdisSetEvent(event(p));
      return 0;
    },
    KeClearEvent: (p: number) => ddi.NdisResetEvent(event(p)),
    KeWaitForSingleObject: (
      p: number,
      reason: number,
      mode: number,
      alertable: number,
      timeout: number,
    ) => {
      const c = get();
      const due = timeout === 0 ? null : c.m.view.getBigInt64(timeout, true);
      const wait = () =>
        ddi.KeWaitForSingleObject(event(p).Event ?? {}, reason, mode, alertable !== 0, due);
      return c.block("KeWaitForSingleObject", wait, () => {
        if (ddi.KeGetCurrentIrql() === ddi.PASSIVE_LEVEL && due !== 0n) return null;
        void wait();
        return due === 0n ? ddi.STATUS_TIMEOUT : 0;
      });
    },
    NdisAllocateMemoryWithTagPriority: (
      handle: number,
      length: number,
      tag: number,
      priority: number,
    ) => {
      const c = get();
      const block = ddi.NdisAllocateMemoryWithTagPriority(h(handle), length, tag >>> 0, priority);
      if (block === null) return 0;
      const p = c.m.alloc(Math.max(1, length));
      c.memory.set(p, block);
      return p;
    },
    NdisFreeMemory: (p: number, length: number, flags: number) => {
      const c = get();
      const block = c.memory.get(p);
      // NdisAllocateMemoryWithTag's blocks are the kernel pool's (services.ts).
      if (block === undefined && freePoolBlock(c, p)) return;
      c.memory.delete(p);
      ddi.NdisFreeMemory(block ?? p, length, flags);
      if (block !== undefined) c.m.free(p);
    },
    // A lookaside list's blocks are NDIS's tracked blocks, each standing for a block of the
    // module's memory (as NdisAllocateMemoryWithTagPriority's are).
    NdisInitializeNPagedLookasideList: (
      p: number,
      allocate: number,
      free: number,
      flags: number,
      size: number,
      tag: number,
      depth: number,
    ) => {
      // Custom Allocate/Free routines are not called (NDIS's tracked pool is always used).
      void allocate;
      void free;
      const list: ddi.NPAGED_LOOKASIDE_LIST = {};
      get().lookasides.set(p, list);
      ddi.NdisInitializeNPagedLookasideList(
        list,
        null,
        null,
        flags >>> 0,
        size >>> 0,
        tag >>> 0,
        depth,
      );
    },
    NdisAllocateFromNPagedLookasideList: (p: number) => {
      const c = get();
      const block = ddi.NdisAllocateFromNPagedLookasideList(
        c.lookasides.get(p) ?? ({} as ddi.NPAGED_LOOKASIDE_LIST),
      );
      if (block === null) return 0;
      const at = c.m.alloc(Math.max(1, block.length));
      c.memory.set(at, block);
      return at;
    },
    NdisFreeToNPagedLookasideList: (p: number, entry: number) => {
      const c = get();
      const block = c.memory.get(entry);
      c.memory.delete(entry);
      ddi.NdisFreeToNPagedLookasideList(
        c.lookasides.get(p) ?? ({} as ddi.NPAGED_LOOKASIDE_LIST),
        block ?? (entry as unknown as Uint8Array),
      );
      if (block !== undefined) c.m.free(entry);
    },
    NdisDeleteNPagedLookasideList: (p: number) => {
      const c = get();
      const list = c.lookasides.get(p);
      c.lookasides.delete(p);
      ddi.NdisDeleteNPagedLookasideList(list ?? ({} as ddi.NPAGED_LOOKASIDE_LIST));
    },
  };
}

/**
 * A receive indication from C (NdisMIndicateReceiveNetBufferLists, NdisFIndicate…): the DDI
 * routine and its arguments, not a closure (the data path allocates nothing).
 */
function indicateFromC(
  c: CDriver,
  indicate: typeof ddi.NdisMIndicateReceiveNetBufferLists,
  handle: NDIS_HANDLE,
  p: number,
  port: number,
  count: number,
  flags: number,
): void {
  const nbls = c.nbls.fromC(p) as NET_BUFFER_LIST;
  indicate(handle, nbls, port, count, flags);
  // With RESOURCES the NBLs are the driver's again at once: show it what the stack wrote.
  if ((flags & ddi.NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) c.nbls.toC(nbls);
}

/**
 * An OID request the driver issues downward (NdisOidRequest, NdisFOidRequest): its own request
 * or a clone of one NDIS handed it, answered in place unless NDIS pends it.
 */
function issueOid(c: CDriver, p: number, issue: (request: NDIS_OID_REQUEST) => number): number {
  const clone = c.clones.get(p);
  let request: NDIS_OID_REQUEST;
  if (clone !== undefined) {
    // A clone shares its buffer with the original: bring the driver's bytes along.
    const m = c.m;
    const s = "NDIS_OID_REQUEST";
    const d = clone.DATA.QUERY_INFORMATION;
    const at = m.get(s, p, "DATA.QUERY_INFORMATION.InformationBuffer");
    if (at !== 0 && d.InformationBuffer !== null)
      d.InformationBuffer.set(
        m.viewOf(at, Math.min(d.InformationBuffer.length, d.InformationBufferLength)),
      );
    request = clone;
  } else request = c.oidFromDriver(p);
  const status = issue(request);
  if (status !== ddi.NDIS_STATUS_PENDING) {
    c.oidAnswerToC(request);
    if (clone === undefined) c.oidsOut.delete(request);
  }
  return status;
}

/** The driver completes a request NDIS handed it (NdisMOidRequestComplete, NdisFOidRequestComplete). */
function completeOid(c: CDriver, p: number, complete: (request: NDIS_OID_REQUEST) => void): void {
  const entry = c.oidsIn.get(p);
  if (entry === undefined) {
    // Not a request NDIS handed the driver (or one completed already): NDIS reports it.
    complete({ Header: { Type: 0, Revision: 0, Size: 0 } } as never);
    return;
  }
  c.oidFromC(p, entry.request, entry.buffer);
  c.releaseOid(p);
  complete(entry.request);
}

/** The filter characteristics' C Header.Size mapped to NDIS's (x64) size of the same revision. */
function mapFilterHeaderSize(c: CDriver, cSize: number): number {
  return mapHeaderSize(c, "NDIS_FILTER_DRIVER_CHARACTERISTICS", cSize, [
    ["StatusHandler", ddi.NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1],
    ["CancelDirectOidRequestHandler", ddi.NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2],
    [
      "SynchronousOidRequestCompleteHandler",
      ddi.NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3,
    ],
  ]);
}

/**
 * Checks a compiled module before anything runs: the exports ndis build gives every driver, and
 * imports ndis-ts has. Throws an error naming the module and what is wrong.
 */
export function checkModule(module: WebAssembly.Module, label: string): void {
  const supported = new Set<string>(SUPPORTED_IMPORTS);
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function" || imp.module !== "ndis" || !supported.has(imp.name)) {
      throw new Error(
        `${label} imports ${imp.module}.${imp.name} (${imp.kind}), which ndis-ts does not provide; docs/c-drivers.md lists the DDI a C driver can call`,
      );
    }
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  if (exports.get("DriverEntry") !== "function")
    throw new Error(`${label} does not export a DriverEntry function`);
  for (const [name, kind] of [
    ["memory", "memory"],
    ["__indirect_function_table", "table"],
    ["__ndis_alloc", "function"],
    ["__ndis_free", "function"],
    ["__ndis_layout", "function"],
  ] as const) {
    if (exports.get(name) !== kind)
      throw new Error(
        `${label} does not export ${name} (${kind}): build it with \`ndis build\`, which links ndis-ts's runtime support`,
      );
  }
}

/**
 * NdisQueryAdapterInstanceName / NdisQueryBindInstanceName from C: NDIS allocates the string's
 * characters from the driver's tracked pool (tag 'NDIS'), and the driver frees them with
 * NdisFreeMemory, as on Windows.
 */
function instanceName(
  c: CDriver,
  pString: number,
  handle: number,
  query: (out: ddi.Out<string | null>, handle: NDIS_HANDLE) => number,
): number {
  const m = c.m;
  const out: ddi.Out<string | null> = {};
  const handleOf = m.handle(handle) as NDIS_HANDLE;
  const status = query(out, handleOf);
  const name = out.value;
  if (status !== ddi.NDIS_STATUS_SUCCESS || typeof name !== "string") return status >>> 0;
  const chars = [...name];
  const bytes = (chars.length + 1) * 4;
  // The driver's pool (a BindContext owns no memory): the string outlives the bind.
  const block = ddi.NdisAllocateMemoryWithTagPriority(
    c.driverHandle ?? handleOf,
    bytes,
    NDIS_POOL_TAG,
    0,
  );
  if (block === null) return ddi.NDIS_STATUS_RESOURCES;
  const p = m.alloc(bytes);
  c.memory.set(p, block);
  chars.forEach((ch, i) => {
    m.setU32(p + 4 * i, ch.codePointAt(0) ?? 0);
  });
  if (pString !== 0) {
    m.set("UNICODE_STRING", pString, "Length", chars.length * 4);
    m.set("UNICODE_STRING", pString, "MaximumLength", bytes);
    m.set("UNICODE_STRING", pString, "Buffer", p);
  }
  return status >>> 0;
}

/**
 * A C driver's NBL context size as NDIS takes it. A C module is laid out as a 32-bit driver (4-byte
 * pointers), and a 32-bit driver's sizes are multiples of x86's MEMORY_ALLOCATION_ALIGNMENT, 8:
 * `sizeof` of a context struct holding a pointer and a ULONG is 8 there and 16 on x64. NDIS's
 * rule is x64's (multiples of 16), so a size that is a multiple of 8 is rounded up to the next
 * multiple of 16 — at every allocation and free alike, so the two still match and the driver has
 * at least the room it asked for. Other sizes go as given (NDIS refuses them, naming the value).
 */
function x64ContextSize(size: number): number {
  return size % 8 === 0 ? (size + 15) & ~15 : size;
}

/** 'NDIS' as a pool tag: the strings NDIS allocates for a driver. */
const NDIS_POOL_TAG = 0x5349444e;

/** A DriverModule for a compiled C driver. Each DriverEntry call makes a fresh instance. */
export function wasmDriverModule(
  module: WebAssembly.Module,
  label: string,
  budget = DEFAULT_STEP_BUDGET,
): CDriverModule {
  checkModule(module, label);
  const names = functionNames(module);
  return {
    DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string) {
      let c: CDriver | null = null;
      const get = () => {
        if (c === null) throw new WasmTrap(`${label}: a DDI call before the module was ready`);
        return c;
      };
      const instance = new WebAssembly.Instance(module, {
        ndis: { ...imports(get), ...serviceImports(get) },
      });
      c = new CDriver(label, instance, names, budget);
      const m = c.m;
      c.driverObject = DriverObject;
      const located = c;
      // Functions stored on the DRIVER_OBJECT are made first and then stored: V8 allocates a
      // function literal assigned straight to a property in the old generation, where it would
      // keep this run's module and memory alive through every scavenge.
      const whereNow = () => located.whereNow();
      DriverObject.DriverCodeLocation = whereNow;
      c.driverObjectPtr = m.allocStruct("DRIVER_OBJECT");
      // DriverObject->MajorFunction is C's table: a device of IoCreateDevice reads it there.
      const table = DriverObject.MajorFunction as unknown;
      if (Array.isArray(table)) {
        const devices = c.devices;
        const drv = c.driverObjectPtr;
        for (let i = 0; i < table.length; i++) {
          const read = () => devices.majorFunction(drv, i);
          Object.defineProperty(table, i, { get: read, enumerable: true, configurable: true });
        }
      }
      const registry = m.newUnicodeString(RegistryPath);
      const entry = (instance.exports as { DriverEntry: CFunction }).DriverEntry;
      const driver = c;
      const returned = c.callFunction(entry, -1, "DriverEntry", [c.driverObjectPtr, registry]);
      return after(returned, (status) => {
        // A driver that unloads itself (a protocol driver) set DriverObject->DriverUnload.
        const unload = m.get("DRIVER_OBJECT", driver.driverObjectPtr, "DriverUnload");
        if (unload !== 0) {
          const callUnload = () =>
            after(driver.call(unload, "DriverUnload", driver.driverObjectPtr), () => undefined);
          DriverObject.DriverUnload = callUnload;
        }
        return status >>> 0;
      });
    },
  };
}
