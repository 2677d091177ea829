/**
 * netem: a MODIFYING filter that puts faults on the wire — it drops, delays, duplicates, reorders
 * and corrupts frames, each decision drawn from a seeded random so a run replays from its seed
 * (`netemDecision(config, n)` is the decision for the n-th frame a module sees, the same function
 * the filter uses).
 *
 * Registry (the driver's Parameters key, read by each module at attach): `LossPercent`,
 * `DuplicatePercent`, `CorruptPercent`, `ReorderPercent` (0…100), `DelayMs` (0…60000), `Seed`
 * (REG_DWORD), `Direction` ("send", "receive" or "both", the default).
 *
 * Ownership: every NBL it is given is completed (sends) or returned (receives) exactly once.
 * A dropped send is completed at once with NDIS_STATUS_SUCCESS (lost on the wire: the sender was
 * told it went); a dropped receive is returned at once (or, under NDIS_RECEIVE_FLAGS_RESOURCES,
 * simply not indicated). Corrupted frames and duplicates are copies from the module's own NBL
 * pool, which it frees when they come back; a corrupted send's original is completed with its
 * copy's status. A delayed send is held and sent by the module's NDIS timer; a delayed receive is
 * copied (the original returned at once) and the copy indicated by the timer. Reordering works
 * as Linux netem's: a frame picked for reordering skips the delay, overtaking the held ones.
 * A pause flushes what the module holds (held sends completed with NDIS_STATUS_PAUSED, held
 * copies freed) and then waits for what it passed on to come back.
 */
import {
  type DRIVER_OBJECT,
  type FILTER_ATTACH,
  type FILTER_DETACH,
  type FILTER_PAUSE,
  type FILTER_RECEIVE_NET_BUFFER_LISTS,
  type FILTER_RESTART,
  type FILTER_RETURN_NET_BUFFER_LISTS,
  type FILTER_SEND_NET_BUFFER_LISTS,
  type FILTER_SEND_NET_BUFFER_LISTS_COMPLETE,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseConfiguration,
  NdisFDeregisterFilterDriver,
  NdisFIndicateReceiveNetBufferLists,
  NdisFReturnNetBufferLists,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisFreeTimerObject,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisFSetAttributes,
  NdisGetCurrentSystemTime,
  NdisSetTimerObject,
  type NET_BUFFER_LIST,
  type Out,
} from "../../ddi.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import {
  filterAttributes,
  maybeCompletePause,
  type PausableModule,
  pauseModule,
  refusedReceives,
  refusedSends,
  registerFilter,
  restartModule,
} from "../shared/filter.js";
import { allocateFramePool, copyFrame, frameNbl } from "../shared/frames.js";

export const NETEM_GUID = "{c2a95e17-0b6d-4a38-8f24-71d3e9b05c6a}";
/** 'Ntem' */
const POOL_TAG = 0x6d65744e;

export interface NetemConfig {
  readonly lossPercent: number;
  readonly duplicatePercent: number;
  readonly corruptPercent: number;
  readonly reorderPercent: number;
  readonly delayMs: number;
  readonly seed: number;
  readonly direction: "send" | "receive" | "both";
}

export interface NetemDecision {
  readonly drop: boolean;
  readonly duplicate: boolean;
  readonly corrupt: boolean;
  /** Skips the delay (overtakes held frames). */
  readonly reorder: boolean;
  /** Where a corruption flips a bit: a fraction of the frame's length, [0, 1). */
  readonly corruptAt: number;
}

/** A 32-bit mix of (seed, frame, draw): counter-based, so each frame's draws stand alone. */
function draw(seed: number, frame: number, k: number): number {
  let h = (seed ^ Math.imul(frame + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The decision for the `frame`-th frame (0-based) a module with `config` sees. */
export function netemDecision(config: NetemConfig, frame: number): NetemDecision {
  const pick = (k: number, percent: number) => draw(config.seed, frame, k) * 100 < percent;
  return {
    drop: pick(0, config.lossPercent),
    duplicate: pick(1, config.duplicatePercent),
    corrupt: pick(2, config.corruptPercent),
    reorder: pick(3, config.reorderPercent),
    corruptAt: draw(config.seed, frame, 4),
  };
}

export interface NetemCounters {
  /** Frames decided on (the next frame's index). */
  frames: number;
  dropped: number;
  delayed: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Frames that should have been copied (corrupt, duplicate, delayed receive) but could not be. */
  notCopied: number;
  /** Held frames a pause flushed. */
  flushed: number;
}

interface Held {
  readonly send: boolean;
  readonly nbl: NET_BUFFER_LIST;
  readonly due: bigint;
  readonly port: number;
}

interface Module extends PausableModule {
  readonly Adapter: string;
  readonly Config: NetemConfig;
  readonly Pool: NDIS_HANDLE;
  Timer: NDIS_HANDLE;
  /** Held frames in due order. */
  readonly Held: Held[];
  /** NBLs of the module's own pool in flight → the original a corrupted send stands for. */
  readonly Own: Map<NET_BUFFER_LIST, NET_BUFFER_LIST | null>;
  readonly Counters: NetemCounters;
}

interface Globals {
  FilterDriverHandle: NDIS_HANDLE | undefined;
  readonly Modules: Set<Module>;
}

const drivers = new WeakMap<DRIVER_OBJECT, Globals>();

function chainOf(list: readonly NET_BUFFER_LIST[]): NET_BUFFER_LIST | null {
  for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] ?? null;
}

/** The NBLs of a chain, unlinked. */
function split(chain: NET_BUFFER_LIST | null): NET_BUFFER_LIST[] {
  const list: NET_BUFFER_LIST[] = [];
  for (let nbl = chain; nbl !== null; ) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    list.push(nbl);
    nbl = next;
  }
  return list;
}

function nowTicks(): bigint {
  const t: Out<bigint> = {};
  NdisGetCurrentSystemTime(t);
  return t.value ?? 0n;
}

/** A copy of a one-NET_BUFFER NBL from the module's pool (corrupted when `at` is given). */
function copyOf(m: Module, nbl: NET_BUFFER_LIST, at?: number): NET_BUFFER_LIST | null {
  const nb = nbl.FirstNetBuffer;
  if (nb === null || nb.Next !== null) return null;
  const frame = copyFrame(nb);
  if (frame === null || frame.length === 0) return null;
  if (at !== undefined) {
    const i = Math.floor(at * frame.length);
    frame[i] = (frame[i] as number) ^ (1 << (i % 8));
  }
  const copy = frameNbl(m.Pool, frame);
  if (copy === null) return null;
  copy.SourceHandle = m.FilterHandle;
  return copy;
}

/** A copy the module keeps track of (`standsFor`: the original it replaces, or null), or null. */
function ownCopy(
  m: Module,
  nbl: NET_BUFFER_LIST,
  standsFor: NET_BUFFER_LIST | null,
  at?: number,
): NET_BUFFER_LIST | null {
  const copy = copyOf(m, nbl, at);
  if (copy === null) m.Counters.notCopied++;
  else m.Own.set(copy, standsFor);
  return copy;
}

function decide(m: Module): NetemDecision {
  return netemDecision(m.Config, m.Counters.frames++);
}

function hold(m: Module, item: Held): void {
  m.Held.push(item);
  m.Counters.delayed++;
  if (m.Held.length === 1) NdisSetTimerObject(m.Timer, item.due);
}

function sendDown(m: Module, list: NET_BUFFER_LIST[], port: number, flags: number): void {
  const chain = chainOf(list);
  if (chain === null) return;
  m.OutstandingSends += list.length;
  NdisFSendNetBufferLists(m.FilterHandle, chain, port, flags);
}

function indicateUp(m: Module, list: NET_BUFFER_LIST[], port: number, flags: number): void {
  const chain = chainOf(list);
  if (chain === null) return;
  if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) m.OutstandingReceives += list.length;
  NdisFIndicateReceiveNetBufferLists(m.FilterHandle, chain, port, list.length, flags);
}

/** The module's timer: sends and indicates what is due, and re-arms for the next. */
function NetemTimer(_s1: unknown, FunctionContext: unknown): void {
  const m = FunctionContext as Module;
  if (m.State !== "Running") return;
  const now = nowTicks();
  const sends: Held[] = [];
  const receives: Held[] = [];
  while (m.Held.length > 0 && (m.Held[0] as Held).due <= now) {
    const item = m.Held.shift() as Held;
    (item.send ? sends : receives).push(item);
  }
  for (const item of sends) sendDown(m, [item.nbl], item.port, NDIS_SEND_FLAGS_DISPATCH_LEVEL);
  for (const item of receives)
    indicateUp(m, [item.nbl], item.port, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
  const next = m.Held[0];
  if (next !== undefined) NdisSetTimerObject(m.Timer, next.due);
}

/** Gives back what the module holds (a pause): sends completed PAUSED, copies freed. */
function flush(m: Module): void {
  NdisCancelTimerObject(m.Timer);
  const up: NET_BUFFER_LIST[] = [];
  for (const item of m.Held.splice(0)) {
    m.Counters.flushed++;
    const original = m.Own.get(item.nbl);
    if (original === undefined) {
      item.nbl.Status = NDIS_STATUS_PAUSED;
      up.push(item.nbl);
      continue;
    }
    m.Own.delete(item.nbl);
    NdisFreeNetBufferList(item.nbl);
    if (original !== null) {
      original.Status = NDIS_STATUS_PAUSED;
      up.push(original);
    }
  }
  const chain = chainOf(up);
  if (chain !== null) NdisFSendNetBufferListsComplete(m.FilterHandle, chain, 0);
}

function readConfig(FilterHandle: NDIS_HANDLE): NetemConfig | string {
  const opened = openConfiguration(FilterHandle);
  if ("status" in opened) return `cannot open the configuration (status ${opened.status})`;
  const c = opened.handle;
  const values = {
    lossPercent: readInteger(c, "LossPercent", 0, 0, 100),
    duplicatePercent: readInteger(c, "DuplicatePercent", 0, 0, 100),
    corruptPercent: readInteger(c, "CorruptPercent", 0, 0, 100),
    reorderPercent: readInteger(c, "ReorderPercent", 0, 0, 100),
    delayMs: readInteger(c, "DelayMs", 0, 0, 60000),
    seed: readInteger(c, "Seed", 1, 0, 0xffffffff),
  };
  const direction = readString(c, "Direction") ?? "both";
  NdisCloseConfiguration(c);
  for (const v of Object.values(values)) if (typeof v !== "number") return v.bad;
  if (direction !== "send" && direction !== "receive" && direction !== "both")
    return `Direction "${direction}" is not send, receive or both`;
  return { ...(values as Record<keyof typeof values, number>), direction };
}

/** The module's attach-time problems, by adapter (a bad configuration fails the attach). */
const problems = new WeakMap<Globals, string[]>();

function handlers(g: Globals) {
  const FilterAttach: FILTER_ATTACH = (NdisFilterHandle, _context, AttachParameters) => {
    const adapter = AttachParameters.BaseMiniportName;
    const config = readConfig(NdisFilterHandle);
    if (typeof config === "string") {
      problems.get(g)?.push(`${adapter}: ${config}`);
      return NDIS_STATUS_FAILURE;
    }
    const pool = allocateFramePool(NdisFilterHandle, POOL_TAG);
    if (pool === null) return NDIS_STATUS_RESOURCES;
    const m = {
      FilterHandle: NdisFilterHandle,
      Adapter: adapter,
      Config: config,
      Pool: pool,
      Timer: null as unknown as NDIS_HANDLE,
      State: "Paused" as PausableModule["State"],
      OutstandingSends: 0,
      OutstandingReceives: 0,
      Held: [],
      Own: new Map(),
      Counters: {
        frames: 0,
        dropped: 0,
        delayed: 0,
        duplicated: 0,
        reordered: 0,
        corrupted: 0,
        notCopied: 0,
        flushed: 0,
      },
    } satisfies Module;
    const timer: Out<NDIS_HANDLE> = {};
    const ts = NdisAllocateTimerObject(
      NdisFilterHandle,
      {
        Header: {
          Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
          Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
          Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
        },
        AllocationTag: POOL_TAG,
        TimerFunction: NetemTimer,
        FunctionContext: m,
      },
      timer,
    );
    if (ts !== NDIS_STATUS_SUCCESS || timer.value === undefined) {
      NdisFreeNetBufferListPool(pool);
      return ts === NDIS_STATUS_SUCCESS ? NDIS_STATUS_RESOURCES : ts;
    }
    m.Timer = timer.value;
    const status = NdisFSetAttributes(NdisFilterHandle, m, filterAttributes());
    if (status !== NDIS_STATUS_SUCCESS) {
      NdisFreeTimerObject(m.Timer);
      NdisFreeNetBufferListPool(pool);
      return status;
    }
    g.Modules.add(m);
    return NDIS_STATUS_SUCCESS;
  };

  const FilterDetach: FILTER_DETACH = (FilterModuleContext) => {
    const m = FilterModuleContext as Module;
    NdisFreeTimerObject(m.Timer);
    NdisFreeNetBufferListPool(m.Pool);
    g.Modules.delete(m);
  };

  const FilterRestart: FILTER_RESTART = (FilterModuleContext) =>
    restartModule(FilterModuleContext as Module);

  const FilterPause: FILTER_PAUSE = (FilterModuleContext) => {
    const m = FilterModuleContext as Module;
    flush(m);
    return pauseModule(m);
  };

  const FilterSendNetBufferLists: FILTER_SEND_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    PortNumber,
    SendFlags,
  ) => {
    const m = FilterModuleContext as Module;
    const completeFlags =
      (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
        ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
        : 0;
    if (refusedSends(m, NetBufferLists, SendFlags)) return;
    const c = m.Counters;
    const now: NET_BUFFER_LIST[] = [];
    const lost: NET_BUFFER_LIST[] = [];
    const delayed = m.Config.delayMs > 0;
    const due = nowTicks() + BigInt(m.Config.delayMs) * 10_000n;
    for (const nbl of split(NetBufferLists)) {
      if (m.Config.direction === "receive") {
        now.push(nbl);
        continue;
      }
      const d = decide(m);
      if (d.drop) {
        c.dropped++;
        nbl.Status = NDIS_STATUS_SUCCESS;
        lost.push(nbl);
        continue;
      }
      const corrupted = d.corrupt ? ownCopy(m, nbl, nbl, d.corruptAt) : null;
      if (corrupted !== null) c.corrupted++;
      const frames = [corrupted ?? nbl];
      const dup = d.duplicate ? ownCopy(m, nbl, null) : null;
      if (dup !== null) {
        c.duplicated++;
        frames.push(dup);
      }
      if (delayed && d.reorder) c.reordered++;
      if (delayed && !d.reorder)
        for (const f of frames) hold(m, { send: true, nbl: f, due, port: PortNumber });
      else now.push(...frames);
    }
    const lostChain = chainOf(lost);
    if (lostChain !== null)
      NdisFSendNetBufferListsComplete(m.FilterHandle, lostChain, completeFlags);
    sendDown(m, now, PortNumber, SendFlags);
  };

  const FilterSendNetBufferListsComplete: FILTER_SEND_NET_BUFFER_LISTS_COMPLETE = (
    FilterModuleContext,
    NetBufferLists,
    SendCompleteFlags,
  ) => {
    const m = FilterModuleContext as Module;
    const up: NET_BUFFER_LIST[] = [];
    for (const nbl of split(NetBufferLists)) {
      m.OutstandingSends--;
      const original = m.Own.get(nbl);
      if (original === undefined) {
        up.push(nbl);
        continue;
      }
      m.Own.delete(nbl);
      const status = nbl.Status;
      NdisFreeNetBufferList(nbl);
      if (original !== null) {
        original.Status = status;
        up.push(original);
      }
    }
    const chain = chainOf(up);
    if (chain !== null) NdisFSendNetBufferListsComplete(m.FilterHandle, chain, SendCompleteFlags);
    maybeCompletePause(m);
  };

  const FilterReceiveNetBufferLists: FILTER_RECEIVE_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    PortNumber,
    _NumberOfNetBufferLists,
    ReceiveFlags,
  ) => {
    const m = FilterModuleContext as Module;
    const resources = (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    const returnFlags = ReceiveFlags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL;
    if (refusedReceives(m, NetBufferLists, ReceiveFlags)) return;
    const c = m.Counters;
    const originals: NET_BUFFER_LIST[] = [];
    const copies: NET_BUFFER_LIST[] = [];
    const giveBack: NET_BUFFER_LIST[] = [];
    const delayed = m.Config.delayMs > 0;
    const due = nowTicks() + BigInt(m.Config.delayMs) * 10_000n;
    for (const nbl of split(NetBufferLists)) {
      if (m.Config.direction === "send") {
        originals.push(nbl);
        continue;
      }
      const d = decide(m);
      if (d.drop) {
        c.dropped++;
        giveBack.push(nbl);
        continue;
      }
      const wait = delayed && !d.reorder;
      if (delayed && d.reorder) c.reordered++;
      // What goes up in the original's place: the original, or a (corrupted) copy of it.
      let main = nbl;
      const copy =
        d.corrupt || wait ? ownCopy(m, nbl, null, d.corrupt ? d.corruptAt : undefined) : null;
      if (copy !== null) {
        if (d.corrupt) c.corrupted++;
        giveBack.push(nbl);
        main = copy;
      }
      const extra: NET_BUFFER_LIST[] = [];
      const dup = d.duplicate ? ownCopy(m, nbl, null) : null;
      if (dup !== null) {
        c.duplicated++;
        extra.push(dup);
      }
      if (main === nbl) originals.push(nbl);
      else if (wait) hold(m, { send: false, nbl: main, due, port: PortNumber });
      else copies.push(main);
      if (wait) for (const e of extra) hold(m, { send: false, nbl: e, due, port: PortNumber });
      else copies.push(...extra);
    }
    const back = chainOf(giveBack);
    if (back !== null && !resources) NdisFReturnNetBufferLists(m.FilterHandle, back, returnFlags);
    indicateUp(m, originals, PortNumber, ReceiveFlags);
    indicateUp(m, copies, PortNumber, ReceiveFlags & ~NDIS_RECEIVE_FLAGS_RESOURCES);
  };

  const FilterReturnNetBufferLists: FILTER_RETURN_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    ReturnFlags,
  ) => {
    const m = FilterModuleContext as Module;
    const down: NET_BUFFER_LIST[] = [];
    for (const nbl of split(NetBufferLists)) {
      m.OutstandingReceives--;
      if (m.Own.delete(nbl)) NdisFreeNetBufferList(nbl);
      else down.push(nbl);
    }
    const chain = chainOf(down);
    if (chain !== null) NdisFReturnNetBufferLists(m.FilterHandle, chain, ReturnFlags);
    maybeCompletePause(m);
  };

  return {
    AttachHandler: FilterAttach,
    DetachHandler: FilterDetach,
    RestartHandler: FilterRestart,
    PauseHandler: FilterPause,
    SendNetBufferListsHandler: FilterSendNetBufferLists,
    SendNetBufferListsCompleteHandler: FilterSendNetBufferListsComplete,
    ReceiveNetBufferListsHandler: FilterReceiveNetBufferLists,
    ReturnNetBufferListsHandler: FilterReturnNetBufferLists,
  };
}

export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const g: Globals = { FilterDriverHandle: undefined, Modules: new Set() };
  problems.set(g, []);
  const registered = registerFilter(DriverObject, RegistryPath, g, {
    FriendlyName: "ndis-ts netem filter",
    UniqueName: NETEM_GUID,
    ...handlers(g),
  });
  if (registered.handle === undefined) return registered.status;
  g.FilterDriverHandle = registered.handle;
  drivers.set(DriverObject, g);
  DriverObject.DriverUnload = (d: DRIVER_OBJECT) => {
    const gl = drivers.get(d);
    if (gl?.FilterDriverHandle !== undefined) NdisFDeregisterFilterDriver(gl.FilterDriverHandle);
  };
  return NDIS_STATUS_SUCCESS;
}

/** The modules of a netem filter loaded as `driverObject`: configuration and counters. */
export function netemOf(driverObject: DRIVER_OBJECT): {
  modules: {
    adapter: string;
    state: string;
    config: NetemConfig;
    counters: NetemCounters;
    held: number;
  }[];
  problems: string[];
} {
  const g = drivers.get(driverObject);
  if (g === undefined) return { modules: [], problems: [] };
  return {
    modules: [...g.Modules].map((m) => ({
      adapter: m.Adapter,
      state: m.State,
      config: m.Config,
      counters: { ...m.Counters },
      held: m.Held.length,
    })),
    problems: [...(problems.get(g) ?? [])],
  };
}
