/**
 * The DDI a C driver calls beyond registration and the data path: timers, work items,
 * configuration, moving a NET_BUFFER's data start, kernel pool, kernel spin locks and the
 * system time. Each import reads its C arguments from the module's memory and calls the same
 * function a TypeScript driver calls; the handlers NDIS calls back (a TimerFunction, a work
 * item's routine) are the C function pointers the driver passed, run through the bridge as any
 * NDIS handler is (a trap names the module and the C function).
 *
 * Kept apart from bridge.ts (registration, OIDs, the data path) so that each can change alone.
 */
import type { DRIVER_OBJECT, NET_BUFFER, NET_BUFFER_LIST } from "../ddi.js";
import * as ddi from "../ddi.js";
import { CMemory } from "./cmem.js";
import type { NblMirror } from "./nbl-mirror.js";
import { formatWpp, type VaReader, wppLevelName } from "./wpp.js";

/** The imports this file adds (module "ndis"). */
export const SERVICE_IMPORTS = [
  "NdisAllocateTimerObject",
  "NdisSetTimerObject",
  "NdisCancelTimerObject",
  "NdisFreeTimerObject",
  "NdisAllocateIoWorkItem",
  "NdisQueueIoWorkItem",
  "NdisFreeIoWorkItem",
  "NdisOpenConfigurationEx",
  "NdisReadConfiguration",
  "NdisReadNetworkAddress",
  "NdisCloseConfiguration",
  "NdisAdvanceNetBufferDataStart",
  "NdisRetreatNetBufferDataStart",
  "NdisAdvanceNetBufferListDataStart",
  "NdisRetreatNetBufferListDataStart",
  "KeQuerySystemTime",
  "ExAllocatePoolWithTag",
  "ExFreePoolWithTag",
  "KeInitializeSpinLock",
  "KeAcquireSpinLock",
  "KeReleaseSpinLock",
  "KeAcquireSpinLockAtDpcLevel",
  "KeReleaseSpinLockFromDpcLevel",
  "NdisAllocateRWLock",
  "NdisFreeRWLock",
  "NdisAcquireRWLockRead",
  "NdisAcquireRWLockWrite",
  "NdisReleaseRWLock",
  "ExAcquireSpinLockShared",
  "ExAcquireSpinLockExclusive",
  "ExReleaseSpinLockShared",
  "ExReleaseSpinLockExclusive",
  "NdisFNetPnPEvent",
  "NdisFDevicePnPEventNotify",
  "NdisAllocateCloneNetBufferList",
  "NdisFreeCloneNetBufferList",
  "NdisAllocateNetBufferPool",
  "NdisFreeNetBufferPool",
  "NdisAllocateNetBuffer",
  "NdisFreeNetBuffer",
  "NdisMRemoveMiniport",
  "NdisUnbindAdapter",
  "NdisIMGetBindingContext",
  "NdisGeneratePartialCancelId",
  "ZwOpenKey",
  "ZwQueryValueKey",
  "ZwClose",
  "NdisSetOptionalHandlers",
  "KeInitializeDpc",
  "KeInsertQueueDpc",
  "KeRemoveQueueDpc",
  "KeFlushQueuedDpcs",
  "KeInitializeTimerEx",
  "KeSetTimerEx",
  "KeCancelTimer",
  "KeReadStateTimer",
  "__ndis_wpp_message",
] as const;

export type ServiceImportName = (typeof SERVICE_IMPORTS)[number];

type CFunction = (...args: never[]) => unknown;

/** What these imports need of the C driver they serve (bridge.ts's CDriver). */
export interface ServiceHost {
  readonly label: string;
  readonly m: CMemory;
  readonly nbls: NblMirror;
  readonly spinLocks: Map<number, ddi.NDIS_SPIN_LOCK>;
  readonly rwLocks: Map<number, ddi.NDIS_RW_LOCK>;
  readonly lockStates: Map<number, ddi.LOCK_STATE>;
  /** Notifications NDIS handed the driver (its NetPnPEvent handler), by C address. */
  readonly pnpEvents: Map<number, ddi.NET_PNP_EVENT_NOTIFICATION>;
  readonly driverObject: DRIVER_OBJECT | null;
  /** The handle of the driver's first registration (NdisMRegisterMiniportDriver…), or null. */
  readonly driverHandle: ddi.NDIS_HANDLE | null;
  /** Runs C function `pointer` as NDIS's `handler` (a trap names both). */
  call(pointer: number, handler: string, ...args: unknown[]): number | Promise<number>;
  /** The C function at table slot `pointer`, by its name in the module (`function #n` without). */
  cName(pointer: number): string;
  /** An error that stops the call, naming the module (a WasmTrap). */
  trap(message: string): Error;
  /**
   * A call that may have to wait (bridge.ts's CDriver.block): `now` makes it and gives its value,
   * or null when it pends; then `start` gives the promise the module waits for (Asyncify).
   */
  block(what: string, start: () => Promise<number>, now: () => number | null): number;
  /** The TypeScript handler running C function `fp` in filter slot `slot` (bridge.ts). */
  filterEntry(slot: string, fp: number): unknown;
}

/** The data-path handlers of NDIS_FILTER_PARTIAL_CHARACTERISTICS, in their C order. */
const PARTIAL_HANDLERS = [
  "SendNetBufferListsHandler",
  "SendNetBufferListsCompleteHandler",
  "CancelSendNetBufferListsHandler",
  "ReceiveNetBufferListsHandler",
  "ReturnNetBufferListsHandler",
] as const;

/** Per C driver: the configuration parameters handed out, the kernel pool blocks. */
interface ServiceState {
  /** Blocks of the module's memory NdisReadConfiguration/NdisReadNetworkAddress handed back, by configuration handle. */
  readonly configBlocks: Map<number, number[]>;
  /**
   * ExAllocatePoolWithTag's blocks: NDIS's tracked block standing for each (null for one taken
   * before the driver registered, which NDIS cannot track).
   */
  readonly pool: Map<number, Uint8Array | null>;
  /** An EX_SPIN_LOCK's holders: the lock state of each acquire, innermost last. */
  readonly exLocks: Map<number, ddi.LOCK_STATE[]>;
  /** The kernel's state of each KDPC and KTIMER, by the C object's address (api/ke-timer.ts). */
  readonly dpcs: Map<number, ddi.KDPC>;
  readonly ktimers: Map<number, ddi.KTIMER>;
}

const states = new WeakMap<ServiceHost, ServiceState>();

function stateOf(c: ServiceHost): ServiceState {
  let s = states.get(c);
  if (s === undefined) {
    s = {
      configBlocks: new Map(),
      pool: new Map(),
      exLocks: new Map(),
      dpcs: new Map(),
      ktimers: new Map(),
    };
    states.set(c, s);
  }
  return s;
}

/** A NUL-terminated C string of the module's memory (bytes as Latin-1), at most 4096 bytes. */
function cText(m: CMemory, p: number): string {
  if (p === 0) return "";
  let text = "";
  for (let i = 0; i < 4096; i++) {
    const ch = m.u8(p + i);
    if (ch === 0) break;
    text += String.fromCharCode(ch);
  }
  return text;
}

/** A C variadic argument list at `p` (wasm32: each argument aligned to its own size). */
function vaReader(m: CMemory, p: number): VaReader {
  let at = p;
  return {
    i32: () => {
      at = (at + 3) & ~3;
      const v = m.i32(at);
      at += 4;
      return v;
    },
    i64: () => {
      at = (at + 7) & ~7;
      const v = m.u64(at);
      at += 8;
      return BigInt.asIntN(64, v);
    },
    f64: () => {
      at = (at + 7) & ~7;
      const v = m.view.getFloat64(at, true);
      at += 8;
      return v;
    },
  };
}

/** A pool tag as its four characters ('None' for 0, ExAllocatePool's own tag). */
const NONE_TAG = 0x656e6f4e;

/** The imports, for the module of the driver `get` returns. */
export function serviceImports(get: () => ServiceHost): Record<ServiceImportName, CFunction> {
  const h = (id: number) => get().m.handle(id) as ddi.NDIS_HANDLE;
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
  /** A NET_BUFFER C passed, with C's changes read back first (null: not one NDIS gave). */
  const nbIn = (name: string, p: number): NET_BUFFER => {
    const c = get();
    const nb = c.nbls.nbFromCOne(p);
    if (nb === null)
      throw c.trap(
        `${c.label}: ${name} got 0x${p.toString(16)}, which is not a NET_BUFFER NDIS gave the driver`,
      );
    return nb;
  };
  const nblIn = (name: string, p: number): NET_BUFFER_LIST => {
    const c = get();
    const nbl = c.nbls.fromCOne(p);
    if (nbl === null)
      throw c.trap(
        `${c.label}: ${name} got 0x${p.toString(16)}, which is not a NET_BUFFER_LIST NDIS gave the driver`,
      );
    return nbl;
  };
  const cObject = <T extends object>(map: Map<number, T>, p: number): T => {
    let o = map.get(p);
    if (o === undefined) {
      o = {} as T;
      map.set(p, o);
    }
    return o;
  };
  /** An EX_SPIN_LOCK (a LONG of the driver's): one NDIS read-write lock per address. */
  const exAcquire = (p: number, write: boolean): number => {
    const c = get();
    const irql = ddi.KeGetCurrentIrql();
    const state: ddi.LOCK_STATE = {};
    ddi.NdisAcquireReadWriteLock(cObject(c.rwLocks, p), write, state);
    const held = stateOf(c).exLocks;
    const list = held.get(p);
    if (list === undefined) held.set(p, [state]);
    else list.push(state);
    return irql;
  };
  const exRelease = (p: number): void => {
    const c = get();
    const list = stateOf(c).exLocks.get(p);
    const state = list?.pop();
    ddi.NdisReleaseReadWriteLock(cObject(c.rwLocks, p), state ?? {});
  };
  /** The KDPC KeInitializeDpc set up at C address `p` (else a trap naming the address). */
  const kdpc = (name: string, p: number): ddi.KDPC => {
    const c = get();
    const dpc = stateOf(c).dpcs.get(p);
    if (dpc === undefined)
      throw c.trap(
        `${c.label}: ${name} got the KDPC at 0x${p.toString(16)}, which KeInitializeDpc did not initialize`,
      );
    return dpc;
  };
  /** The KTIMER KeInitializeTimer(Ex) set up at C address `p` (else a trap naming the address). */
  const ktimer = (name: string, p: number): ddi.KTIMER => {
    const c = get();
    const timer = stateOf(c).ktimers.get(p);
    if (timer === undefined)
      throw c.trap(
        `${c.label}: ${name} got the KTIMER at 0x${p.toString(16)}, which KeInitializeTimer(Ex) did not initialize`,
      );
    return timer;
  };
  /** A block of the module's memory for a configuration handle's parameters. */
  const configBlock = (handle: number, size: number): number => {
    const c = get();
    const p = c.m.alloc(Math.max(4, size));
    const blocks = stateOf(c).configBlocks;
    const list = blocks.get(handle);
    if (list === undefined) blocks.set(handle, [p]);
    else list.push(p);
    return p;
  };
  /** UTF-32 text (WCHAR is 32 bits here) with a terminating NUL, in a configuration block. */
  const configText = (handle: number, text: string): { p: number; bytes: number } => {
    const chars = [...text];
    const p = configBlock(handle, (chars.length + 1) * 4);
    const m = get().m;
    chars.forEach((ch, i) => {
      m.setU32(p + 4 * i, ch.codePointAt(0) ?? 0);
    });
    m.setU32(p + 4 * chars.length, 0);
    return { p, bytes: chars.length * 4 };
  };

  return {
    // ---- timers ----
    NdisAllocateTimerObject: (handle: number, chars: number, timer: number) => {
      const c = get();
      const m = c.m;
      const s = "NDIS_TIMER_CHARACTERISTICS";
      const hdr = m.header(chars);
      const fp = m.get(s, chars, "TimerFunction");
      const TimerFunction =
        fp === 0
          ? null
          : (_s1: unknown, context: unknown) => {
              const r = c.call(fp, "TimerFunction", 0, CMemory.pointer(context), 0, 0);
              if (r instanceof Promise) r.catch(() => undefined);
            };
      const result: ddi.Out<ddi.NDIS_HANDLE> = { value: undefined };
      const status = ddi.NdisAllocateTimerObject(
        h(handle),
        {
          Header: {
            Type: hdr.Type,
            Revision: hdr.Revision,
            Size:
              hdr.Size >= m.sizeThrough(s, "FunctionContext")
                ? ddi.NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1
                : hdr.Size,
          },
          AllocationTag: m.get(s, chars, "AllocationTag") >>> 0,
          TimerFunction:
            TimerFunction as unknown as ddi.NDIS_TIMER_CHARACTERISTICS["TimerFunction"],
          FunctionContext: CMemory.context(m.get(s, chars, "FunctionContext")),
        },
        result,
      );
      out(timer, result.value);
      return status;
    },
    NdisSetTimerObject: (timer: number, due: bigint, period: number, context: number) =>
      ddi.NdisSetTimerObject(h(timer), due, period >>> 0, context === 0 ? undefined : context)
        ? 1
        : 0,
    NdisCancelTimerObject: (timer: number) => (ddi.NdisCancelTimerObject(h(timer)) ? 1 : 0),
    NdisFreeTimerObject: (timer: number) => ddi.NdisFreeTimerObject(h(timer)),

    // ---- kernel DPCs and timers ----
    KeInitializeDpc: (p: number, fp: number, context: number) => {
      const c = get();
      if (fp === 0) throw c.trap(`${c.label}: KeInitializeDpc got a NULL DeferredRoutine`);
      const dpc: ddi.KDPC = {};
      stateOf(c).dpcs.set(p, dpc);
      const routine = {
        // Named after the C function: the trace and a leak at unload say which DPC it is.
        [c.cName(fp)]: (_dpc: ddi.KDPC, ctx: unknown, a1: unknown, a2: unknown) => {
          const r = c.call(
            fp,
            "CustomDpc",
            p,
            CMemory.pointer(ctx),
            CMemory.pointer(a1),
            CMemory.pointer(a2),
          );
          if (r instanceof Promise) r.catch(() => undefined);
        },
      }[c.cName(fp)] as ddi.KDEFERRED_ROUTINE;
      ddi.KeInitializeDpc(dpc, routine, CMemory.context(context));
    },
    KeInsertQueueDpc: (p: number, a1: number, a2: number) =>
      ddi.KeInsertQueueDpc(kdpc("KeInsertQueueDpc", p), CMemory.context(a1), CMemory.context(a2))
        ? 1
        : 0,
    KeRemoveQueueDpc: (p: number) => (ddi.KeRemoveQueueDpc(kdpc("KeRemoveQueueDpc", p)) ? 1 : 0),
    KeFlushQueuedDpcs: () => ddi.KeFlushQueuedDpcs(),
    KeInitializeTimerEx: (p: number, type: number) => {
      const timer: ddi.KTIMER = {};
      stateOf(get()).ktimers.set(p, timer);
      ddi.KeInitializeTimerEx(timer, type);
    },
    KeSetTimerEx: (p: number, due: bigint, period: number, dpc: number) =>
      ddi.KeSetTimerEx(
        ktimer("KeSetTimerEx", p),
        due,
        period,
        dpc === 0 ? null : kdpc("KeSetTimerEx", dpc),
      )
        ? 1
        : 0,
    KeCancelTimer: (p: number) => (ddi.KeCancelTimer(ktimer("KeCancelTimer", p)) ? 1 : 0),
    KeReadStateTimer: (p: number) => (ddi.KeReadStateTimer(ktimer("KeReadStateTimer", p)) ? 1 : 0),

    // ---- WPP tracing (the .tmh files ndis build generates call this) ----
    __ndis_wpp_message: (
      fn: number,
      conditions: number,
      file: number,
      line: number,
      cFunction: number,
      format: number,
      va: number,
    ) => {
      const c = get();
      const m = c.m;
      const text = (p: number) => cText(m, p);
      ddi.traceDriverMessage(text(fn), () => {
        const parts = text(conditions)
          .split("\u001f")
          .filter((x) => x !== "");
        const flags = parts
          .filter((x) => /^FLAGS?=/.test(x))
          .map((x) => x.slice(x.indexOf("=") + 1));
        const level = parts.find((x) => x.startsWith("LEVEL="));
        const levelName = level === undefined ? "" : wppLevelName(level.slice(6));
        const fileName = text(file).replace(/^.*[\\/]/, "");
        const func = text(cFunction);
        const site = {
          file: fileName,
          line,
          func,
          level: levelName,
          flags: flags.join("|"),
          component: c.label,
        };
        // One trace line per message: a format's own trailing newline (DbgPrint habit) goes.
        const message = formatWpp(text(format), vaReader(m, va), m, site).trimEnd();
        const tags = [levelName, ...flags].filter((x) => x !== "").join(" ");
        return `${tags === "" ? "" : `[${tags}] `}${message} (${fileName}:${line} ${func})`;
      });
    },

    // ---- work items ----
    NdisAllocateIoWorkItem: (handle: number) =>
      get().m.handleId(ddi.NdisAllocateIoWorkItem(h(handle))),
    NdisQueueIoWorkItem: (item: number, routine: number, context: number) => {
      const c = get();
      const Routine =
        routine === 0
          ? null
          : (ctx: unknown, handle: unknown) =>
              c.call(
                routine,
                "NDIS_IO_WORKITEM_ROUTINE",
                CMemory.pointer(ctx),
                c.m.handleId(handle),
              );
      ddi.NdisQueueIoWorkItem(
        h(item),
        Routine as unknown as ddi.NDIS_IO_WORKITEM_ROUTINE,
        CMemory.context(context),
      );
    },
    NdisFreeIoWorkItem: (item: number) => ddi.NdisFreeIoWorkItem(h(item)),

    // ---- configuration ----
    NdisOpenConfigurationEx: (object: number, handle: number) => {
      const m = get().m;
      const s = "NDIS_CONFIGURATION_OBJECT";
      const hdr = m.header(object);
      const result: ddi.Out<ddi.NDIS_HANDLE> = { value: undefined };
      const status = ddi.NdisOpenConfigurationEx(
        {
          Header: {
            Type: hdr.Type,
            Revision: hdr.Revision,
            Size:
              hdr.Size >= m.sizeThrough(s, "Flags")
                ? ddi.NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1
                : hdr.Size,
          },
          NdisHandle: h(m.get(s, object, "NdisHandle")),
          Flags: m.get(s, object, "Flags") >>> 0,
        },
        result,
      );
      out(handle, result.value);
      return status;
    },
    NdisReadConfiguration: (
      statusP: number,
      valueP: number,
      handle: number,
      keyword: number,
      type: number,
    ) => {
      const c = get();
      const m = c.m;
      const status: ddi.Out<ddi.NDIS_STATUS> = { value: ddi.NDIS_STATUS_FAILURE };
      const value: ddi.Out<ddi.NDIS_CONFIGURATION_PARAMETER | null> = { value: null };
      ddi.NdisReadConfiguration(status, value, h(handle), m.unicodeString(keyword), type);
      let p = 0;
      const v = value.value;
      if (v !== null && v !== undefined) {
        const s = "NDIS_CONFIGURATION_PARAMETER";
        p = configBlock(handle, m.sizeOf(s));
        m.set(s, p, "ParameterType", v.ParameterType);
        if (
          v.ParameterType === ddi.NdisParameterString ||
          v.ParameterType === ddi.NdisParameterMultiString
        ) {
          const text = configText(handle, v.ParameterData.StringData);
          m.set(s, p, "ParameterData.StringData.Length", text.bytes);
          m.set(s, p, "ParameterData.StringData.MaximumLength", text.bytes + 4);
          m.set(s, p, "ParameterData.StringData.Buffer", text.p);
        } else if (v.ParameterType === ddi.NdisParameterBinary) {
          const bytes = v.ParameterData.BinaryData;
          const at = configBlock(handle, bytes.length);
          m.viewOf(at, bytes.length).set(bytes);
          m.set(s, p, "ParameterData.BinaryData.Length", bytes.length);
          m.set(s, p, "ParameterData.BinaryData.Buffer", at);
        } else m.set(s, p, "ParameterData.IntegerData", v.ParameterData.IntegerData >>> 0);
      }
      if (statusP !== 0) m.setU32(statusP, (status.value ?? ddi.NDIS_STATUS_FAILURE) >>> 0);
      if (valueP !== 0) m.setU32(valueP, p);
    },
    NdisReadNetworkAddress: (
      statusP: number,
      addressP: number,
      lengthP: number,
      handle: number,
    ) => {
      const m = get().m;
      const status: ddi.Out<ddi.NDIS_STATUS> = { value: ddi.NDIS_STATUS_FAILURE };
      const address: ddi.Out<Uint8Array | null> = { value: null };
      const length: ddi.Out<number> = { value: 0 };
      ddi.NdisReadNetworkAddress(status, address, length, h(handle));
      let p = 0;
      const bytes = address.value;
      if (bytes !== null && bytes !== undefined) {
        p = configBlock(handle, bytes.length);
        m.viewOf(p, bytes.length).set(bytes);
      }
      if (statusP !== 0) m.setU32(statusP, (status.value ?? ddi.NDIS_STATUS_FAILURE) >>> 0);
      if (addressP !== 0) m.setU32(addressP, p);
      if (lengthP !== 0) m.setU32(lengthP, p === 0 ? 0 : (length.value ?? 0));
    },
    NdisCloseConfiguration: (handle: number) => {
      const c = get();
      ddi.NdisCloseConfiguration(h(handle));
      const blocks = stateOf(c).configBlocks;
      for (const p of blocks.get(handle) ?? []) c.m.free(p);
      blocks.delete(handle);
    },

    // ---- the data start of a NET_BUFFER (NDIS moves it; C's mirror is brought up to date) ----
    NdisAdvanceNetBufferDataStart: (p: number, delta: number, freeMdl: number) => {
      const nb = nbIn("NdisAdvanceNetBufferDataStart", p);
      ddi.NdisAdvanceNetBufferDataStart(nb, delta >>> 0, (freeMdl & 0xff) !== 0, null);
      get().nbls.nbToCOne(nb);
    },
    NdisRetreatNetBufferDataStart: (p: number, delta: number, backFill: number) => {
      const nb = nbIn("NdisRetreatNetBufferDataStart", p);
      const status = ddi.NdisRetreatNetBufferDataStart(nb, delta >>> 0, backFill >>> 0, null);
      get().nbls.nbToCOne(nb);
      return status;
    },
    NdisAdvanceNetBufferListDataStart: (p: number, delta: number, freeMdl: number) => {
      const nbl = nblIn("NdisAdvanceNetBufferListDataStart", p);
      ddi.NdisAdvanceNetBufferListDataStart(nbl, delta >>> 0, (freeMdl & 0xff) !== 0, null);
      get().nbls.toCOne(nbl);
    },
    NdisRetreatNetBufferListDataStart: (p: number, delta: number, backFill: number) => {
      const nbl = nblIn("NdisRetreatNetBufferListDataStart", p);
      const status = ddi.NdisRetreatNetBufferListDataStart(
        nbl,
        delta >>> 0,
        backFill >>> 0,
        null,
        null,
      );
      get().nbls.toCOne(nbl);
      return status;
    },

    // ---- time ----
    KeQuerySystemTime: (p: number) => {
      const t: ddi.Out<bigint> = { value: 0n };
      ddi.NdisGetCurrentSystemTime(t);
      get().m.setU64(p, t.value ?? 0n);
    },

    // ---- kernel pool: tracked per driver like NdisAllocateMemoryWithTagPriority's blocks ----
    ExAllocatePoolWithTag: (_type: number, size: number, tag: number) => {
      const c = get();
      const length = size >>> 0;
      // NDIS's pool under the driver's own handle, so that a block kept is named at unload.
      const block =
        c.driverHandle === null
          ? null
          : ddi.NdisAllocateMemoryWithTagPriority(
              c.driverHandle,
              length,
              tag >>> 0 || NONE_TAG,
              ddi.NormalPoolPriority,
            );
      if (block === null && c.driverHandle !== null) return 0;
      const p = c.m.alloc(Math.max(1, length));
      if (p === 0) {
        if (block !== null) ddi.NdisFreeMemory(block, length, 0);
        return 0;
      }
      stateOf(c).pool.set(p, block);
      return p;
    },
    ExFreePoolWithTag: (p: number) => {
      const c = get();
      const pool = stateOf(c).pool;
      const block = pool.get(p);
      if (block === undefined) {
        // Not a block of ExAllocatePoolWithTag (or freed already): NDIS reports it.
        ddi.NdisFreeMemory(p, 0, 0);
        return;
      }
      pool.delete(p);
      if (block !== null) ddi.NdisFreeMemory(block, 0, 0);
      c.m.free(p);
    },

    // ---- kernel spin locks: the KSPIN_LOCK at an address is one lock with the NDIS_SPIN_LOCK there ----
    KeInitializeSpinLock: (p: number) => {
      const l: ddi.NDIS_SPIN_LOCK = {};
      get().spinLocks.set(p, l);
      ddi.NdisAllocateSpinLock(l);
    },
    KeAcquireSpinLock: (p: number, old: number) => {
      const irql = ddi.KeGetCurrentIrql();
      ddi.NdisAcquireSpinLock(lock(p));
      if (old !== 0) get().m.setU8(old, irql);
    },
    KeReleaseSpinLock: (p: number) => ddi.NdisReleaseSpinLock(lock(p)),
    KeAcquireSpinLockAtDpcLevel: (p: number) => ddi.NdisDprAcquireSpinLock(lock(p)),
    KeReleaseSpinLockFromDpcLevel: (p: number) => ddi.NdisDprReleaseSpinLock(lock(p)),

    // ---- NDIS 6.20 read-write locks: NDIS's read-write lock, the LOCK_STATE_EX the caller's ----
    NdisAllocateRWLock: (handle: number) => {
      const c = get();
      if (h(handle) === null) return 0;
      const p = c.m.alloc(16);
      const l: ddi.NDIS_RW_LOCK = {};
      c.rwLocks.set(p, l);
      ddi.NdisInitializeReadWriteLock(l);
      return p;
    },
    NdisFreeRWLock: (p: number) => {
      const c = get();
      if (!c.rwLocks.delete(p)) return;
      c.m.free(p);
    },
    NdisAcquireRWLockRead: (p: number, state: number) =>
      ddi.NdisAcquireReadWriteLock(
        cObject(get().rwLocks, p),
        false,
        cObject(get().lockStates, state),
      ),
    NdisAcquireRWLockWrite: (p: number, state: number) =>
      ddi.NdisAcquireReadWriteLock(
        cObject(get().rwLocks, p),
        true,
        cObject(get().lockStates, state),
      ),
    NdisReleaseRWLock: (p: number, state: number) =>
      ddi.NdisReleaseReadWriteLock(cObject(get().rwLocks, p), cObject(get().lockStates, state)),
    ExAcquireSpinLockShared: (p: number) => exAcquire(p, false),
    ExAcquireSpinLockExclusive: (p: number) => exAcquire(p, true),
    ExReleaseSpinLockShared: (p: number) => exRelease(p),
    ExReleaseSpinLockExclusive: (p: number) => exRelease(p),

    // ---- a filter passing PnP events on ----
    NdisFNetPnPEvent: (handle: number, p: number) => {
      const c = get();
      const notification = c.pnpEvents.get(p);
      let pending: Promise<number> | null = null;
      return c.block(
        "NdisFNetPnPEvent",
        () => pending as Promise<number>,
        () => {
          const r = ddi.NdisFNetPnPEvent(
            h(handle),
            (notification ?? p) as ddi.NET_PNP_EVENT_NOTIFICATION,
          );
          if (r instanceof Promise) {
            pending = r.then((status) => status >>> 0);
            return null;
          }
          return r >>> 0;
        },
      );
    },
    NdisFDevicePnPEventNotify: (handle: number, p: number) => {
      const m = get().m;
      const s = "NET_DEVICE_PNP_EVENT";
      const hdr = m.header(p);
      const length = m.get(s, p, "InformationBufferLength");
      const at = m.get(s, p, "InformationBuffer");
      ddi.NdisFDevicePnPEventNotify(h(handle), {
        Header: { Type: hdr.Type, Revision: hdr.Revision, Size: hdr.Size },
        PortNumber: m.get(s, p, "PortNumber"),
        DevicePnPEvent: m.get(s, p, "DevicePnPEvent"),
        InformationBuffer: at === 0 ? null : m.copyOut(at, length),
        InformationBufferLength: length,
      } as ddi.NET_DEVICE_PNP_EVENT);
    },

    // ---- clones, NET_BUFFER pools ----
    NdisAllocateCloneNetBufferList: (p: number, pool: number, nbPool: number, flags: number) => {
      const c = get();
      const clone = ddi.NdisAllocateCloneNetBufferList(
        nblIn("NdisAllocateCloneNetBufferList", p),
        h(pool),
        nbPool === 0 ? null : h(nbPool),
        flags >>> 0,
      );
      return clone === null ? 0 : c.nbls.toCOne(clone);
    },
    NdisFreeCloneNetBufferList: (p: number, flags: number) =>
      ddi.NdisFreeCloneNetBufferList(nblIn("NdisFreeCloneNetBufferList", p), flags >>> 0),
    NdisAllocateNetBufferPool: (handle: number, params: number) => {
      const m = get().m;
      const s = "NET_BUFFER_POOL_PARAMETERS";
      const hdr = m.header(params);
      const pool = ddi.NdisAllocateNetBufferPool(h(handle), {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          Size:
            hdr.Size >= m.sizeThrough(s, "DataSize")
              ? ddi.NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1
              : hdr.Size,
        },
        PoolTag: m.get(s, params, "PoolTag") >>> 0,
        DataSize: m.get(s, params, "DataSize") >>> 0,
      });
      return m.handleId(pool);
    },
    NdisFreeNetBufferPool: (pool: number) => ddi.NdisFreeNetBufferPool(h(pool)),
    NdisAllocateNetBuffer: (pool: number, mdl: number, offset: number, length: number) => {
      const c = get();
      const chain = mdl === 0 ? null : (c.nbls.mdlAt(mdl) ?? (mdl as unknown as ddi.MDL));
      const nb = ddi.NdisAllocateNetBuffer(h(pool), chain, offset >>> 0, length >>> 0);
      return nb === null ? 0 : c.nbls.nbToCOne(nb);
    },
    NdisFreeNetBuffer: (p: number) => ddi.NdisFreeNetBuffer(nbIn("NdisFreeNetBuffer", p)),

    // ---- a driver asking NDIS to take an adapter or binding down ----
    NdisMRemoveMiniport: (handle: number) => ddi.NdisMRemoveMiniport(h(handle)) >>> 0,
    NdisUnbindAdapter: (handle: number) => ddi.NdisUnbindAdapter(h(handle)) >>> 0,
    NdisIMGetBindingContext: (handle: number) =>
      CMemory.pointer(ddi.NdisIMGetBindingContext(h(handle))),
    NdisGeneratePartialCancelId: () => ddi.NdisGeneratePartialCancelId() & 0xff,

    // ---- the driver's own service key (DriverEntry reads it before it has an NDIS handle) ----
    ZwOpenKey: (handleP: number, access: number, attributes: number) => {
      const m = get().m;
      const s = "OBJECT_ATTRIBUTES";
      const root = m.handle(m.get(s, attributes, "RootDirectory"));
      const key: ddi.Out<ddi.RegistryKey | null> = { value: null };
      const status = ddi.ZwOpenKey(
        key,
        access >>> 0,
        m.unicodeString(m.get(s, attributes, "ObjectName")),
        root instanceof ddi.RegistryKey ? root : null,
      );
      if (handleP !== 0) m.setU32(handleP, key.value === null ? 0 : m.handleId(key.value));
      return status >>> 0;
    },
    ZwQueryValueKey: (
      handle: number,
      name: number,
      infoClass: number,
      info: number,
      length: number,
      resultP: number,
    ) => {
      // KEY_VALUE_PARTIAL_INFORMATION: TitleIndex, Type, DataLength, Data[] (WCHAR of 4 bytes).
      const m = get().m;
      const value: ddi.Out<Parameters<typeof ddi.registryValueBytes>[0] | null> = { value: null };
      const status = ddi.ZwQueryValueKey(
        m.handle(handle) as ddi.RegistryKey | null,
        m.unicodeString(name),
        infoClass >>> 0,
        value,
      );
      if (status !== 0 || value.value === null || value.value === undefined) return status >>> 0;
      const { Type, Data } = ddi.registryValueBytes(value.value, 4);
      const header = 12;
      const needed = header + Data.length;
      if (resultP !== 0) m.setU32(resultP, needed);
      if (length < header) return 0xc0000023; // STATUS_BUFFER_TOO_SMALL
      m.setU32(info, 0);
      m.setU32(info + 4, Type);
      m.setU32(info + 8, Data.length);
      if (length < needed) return 0x80000005; // STATUS_BUFFER_OVERFLOW
      m.viewOf(info + header, Data.length).set(Data);
      return 0;
    },
    ZwClose: (handle: number) => ddi.ZwClose(get().m.handle(handle)) >>> 0,

    // ---- a filter module changing its data-path handlers (FilterSetModuleOptions, FilterRestart) ----
    NdisSetOptionalHandlers: (handle: number, p: number) => {
      const c = get();
      const m = c.m;
      const hdr = m.header(p);
      const table: Record<string, unknown> = { Header: hdr };
      if (hdr.Type === ddi.NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS) {
        const s = "NDIS_FILTER_PARTIAL_CHARACTERISTICS";
        table.Flags = m.get(s, p, "Flags");
        for (const slot of PARTIAL_HANDLERS) {
          const fp = m.get(s, p, slot);
          table[slot] = fp === 0 ? null : c.filterEntry(slot, fp);
        }
      }
      return (
        ddi.NdisSetOptionalHandlers(
          h(handle),
          table as unknown as ddi.NDIS_DRIVER_OPTIONAL_HANDLERS,
        ) >>> 0
      );
    },
  };
}

/**
 * Frees `p` if it is a block of ExAllocatePoolWithTag (which NdisAllocateMemoryWithTag also
 * uses): NdisFreeMemory frees those too, as on Windows. False when `p` is no such block.
 */
export function freePoolBlock(c: ServiceHost, p: number): boolean {
  const pool = stateOf(c).pool;
  const block = pool.get(p);
  if (block === undefined) return false;
  pool.delete(p);
  if (block !== null) ddi.NdisFreeMemory(block, 0, 0);
  c.m.free(p);
  return true;
}
