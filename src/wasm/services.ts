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
import { trackAllocation, untrackAllocation } from "../runtime/api/memory.js";
import { resolveDriverObject } from "../runtime/core/objects/handles.js";
import { CMemory } from "./cmem.js";
import type { NblMirror } from "./nbl-mirror.js";

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
] as const;

export type ServiceImportName = (typeof SERVICE_IMPORTS)[number];

type CFunction = (...args: never[]) => unknown;

/** What these imports need of the C driver they serve (bridge.ts's CDriver). */
export interface ServiceHost {
  readonly label: string;
  readonly m: CMemory;
  readonly nbls: NblMirror;
  readonly spinLocks: Map<number, ddi.NDIS_SPIN_LOCK>;
  readonly driverObject: DRIVER_OBJECT | null;
  /** Runs C function `pointer` as NDIS's `handler` (a trap names both). */
  call(pointer: number, handler: string, ...args: unknown[]): number | Promise<number>;
  /** An error that stops the call, naming the module (a WasmTrap). */
  trap(message: string): Error;
}

/** Per C driver: the configuration parameters handed out, the kernel pool blocks. */
interface ServiceState {
  /** Blocks of the module's memory NdisReadConfiguration/NdisReadNetworkAddress handed back, by configuration handle. */
  readonly configBlocks: Map<number, number[]>;
  /** ExAllocatePoolWithTag's blocks: the key NDIS tracks each under. */
  readonly pool: Map<number, object>;
}

const states = new WeakMap<ServiceHost, ServiceState>();

function stateOf(c: ServiceHost): ServiceState {
  let s = states.get(c);
  if (s === undefined) {
    s = { configBlocks: new Map(), pool: new Map() };
    states.set(c, s);
  }
  return s;
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
      const driver = resolveDriverObject(c.driverObject);
      const p = c.m.alloc(Math.max(1, size >>> 0));
      if (p === 0) return 0;
      const key = { address: p, label: c.label };
      if (driver !== null) trackAllocation(driver, key, size >>> 0, tag >>> 0 || NONE_TAG);
      stateOf(c).pool.set(p, key);
      return p;
    },
    ExFreePoolWithTag: (p: number) => {
      const c = get();
      const pool = stateOf(c).pool;
      const key = pool.get(p);
      const driver = resolveDriverObject(c.driverObject);
      if (key === undefined) {
        untrackAllocation(
          { address: p },
          `ExFreePoolWithTag(0x${p.toString(16)})`,
          driver ?? undefined,
        );
        return;
      }
      pool.delete(p);
      if (driver !== null) untrackAllocation(key, `ExFreePoolWithTag(0x${p.toString(16)})`, driver);
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
  };
}
