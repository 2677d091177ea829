/**
 * capture: an Npcap-shaped MONITORING filter. Every frame that crosses one of its modules — sends
 * on their way down (outbound), receive indications on their way up (inbound) — is copied (cut
 * to the snap length) into a bounded ring and passed on at once: the filter never modifies a
 * frame and never holds an NBL. A work item drains the ring at PASSIVE_LEVEL into a pcapng file
 * (one interface per module, named after its adapter; the EPB flags word carries the direction).
 * When the ring is full the frame is not kept and `dropped` counts it, as Npcap's driver counts
 * what its buffer could not hold.
 *
 * Registry (the driver's Parameters key): `CaptureFile` (REG_SZ; absent: the capture stays in
 * memory, see `captureOf`), `RingSize` (frames, 1…1048576, default 4096), `SnapLength` (bytes,
 * 14…262144, default 262144).
 */
import { writeFileSync } from "node:fs";
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
  type NDIS_EVENT,
  type NDIS_HANDLE,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisAllocateIoWorkItem,
  NdisCloseConfiguration,
  NdisFDeregisterFilterDriver,
  NdisFreeIoWorkItem,
  NdisFSetAttributes,
  NdisGetCurrentSystemTime,
  NdisGetDataBuffer,
  NdisInitializeEvent,
  NdisQueueIoWorkItem,
  NdisResetEvent,
  NdisSetEvent,
  NdisWaitEvent,
  type NET_BUFFER_LIST,
  type Out,
} from "../../ddi.js";
import { concat, type PacketDirection, PcapngWriter } from "../../pcap/pcapng.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import {
  countNbls,
  filterAttributes,
  type PausableModule,
  passCompletionsUp,
  passReceivesUp,
  passReturnsDown,
  passSendsDown,
  pauseModule,
  refusedReceives,
  refusedSends,
  registerFilter,
  restartModule,
} from "../shared/filter.js";

/** The filter's NetCfgInstanceId. */
export const CAPTURE_GUID = "{8d1c7a3e-52b4-4f0e-9c61-2a7e5d3b9f14}";
const DEFAULT_RING = 4096;
const MAX_SNAP = 262144;

interface Module extends PausableModule {
  readonly Adapter: string;
  /** The pcapng interface index of this module. */
  readonly Interface: number;
  /** Frames kept in the ring, each way. */
  Outbound: number;
  Inbound: number;
  /** Frames the ring had no room for (or that could not be mapped). */
  Dropped: number;
}

interface Slot {
  iface: number;
  timeNs: bigint;
  data: Uint8Array;
  originalLength: number;
  direction: PacketDirection;
}

interface Globals {
  FilterDriverHandle: NDIS_HANDLE | undefined;
  WorkItem: NDIS_HANDLE | null;
  WorkQueued: boolean;
  /** Signaled whenever no drain work item is queued: DriverUnload waits on it before freeing the item. */
  readonly Idle: NDIS_EVENT;
  readonly Modules: Set<Module>;
  readonly Writer: PcapngWriter;
  /** Where the bytes go: a file, or `memory` when no CaptureFile is configured. */
  readonly File: string | null;
  readonly Memory: Uint8Array[];
  RingSize: number;
  SnapLength: number;
  /** The ring: a fixed array of slots, `head` the oldest, `count` used. */
  readonly Ring: (Slot | undefined)[];
  Head: number;
  Count: number;
  Written: number;
  /** Frames no module could keep, over the driver's life. */
  Dropped: number;
  /** Interfaces ever added (a module keeps its index after it detaches). */
  Interfaces: number;
  Problem: string | null;
}

const drivers = new WeakMap<DRIVER_OBJECT, Globals>();

function emit(g: Globals, bytes: Uint8Array): void {
  if (g.File === null) g.Memory.push(bytes);
  else writeFileSync(g.File, bytes, { flag: "a" });
}

/** Drains the ring into the capture (PASSIVE_LEVEL: the work item, a pause, a detach). */
function drain(g: Globals): void {
  const parts: Uint8Array[] = [];
  while (g.Count > 0) {
    const slot = g.Ring[g.Head];
    g.Ring[g.Head] = undefined;
    g.Head = (g.Head + 1) % g.RingSize;
    g.Count--;
    if (slot === undefined) continue;
    parts.push(
      g.Writer.packet(slot.iface, slot.timeNs, slot.data, undefined, {
        originalLength: slot.originalLength,
        direction: slot.direction,
      }),
    );
    g.Written++;
  }
  if (parts.length > 0) emit(g, concat(parts));
}

function drainRoutine(WorkItemContext: unknown): void {
  const g = WorkItemContext as Globals;
  g.WorkQueued = false;
  drain(g);
  NdisSetEvent(g.Idle);
}

/** Copies every NET_BUFFER of the chain into the ring (≤ DISPATCH_LEVEL; never allocates NBLs). */
function record(g: Globals, m: Module, chain: NET_BUFFER_LIST, direction: PacketDirection): void {
  const time: Out<bigint> = {};
  NdisGetCurrentSystemTime(time);
  const timeNs = (time.value ?? 0n) * 100n;
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) {
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      if (g.Count >= g.RingSize) {
        m.Dropped++;
        g.Dropped++;
        continue;
      }
      const length = Math.min(nb.DataLength, g.SnapLength);
      const storage = new Uint8Array(length);
      const data = NdisGetDataBuffer(nb, length, storage, 1, 0);
      if (data === null) {
        m.Dropped++;
        g.Dropped++;
        continue;
      }
      g.Ring[(g.Head + g.Count) % g.RingSize] = {
        iface: m.Interface,
        timeNs,
        data: data === storage ? storage : data.slice(0, length),
        originalLength: nb.DataLength,
        direction,
      };
      g.Count++;
      if (direction === "outbound") m.Outbound++;
      else m.Inbound++;
    }
  }
  if (g.Count > 0 && !g.WorkQueued && g.WorkItem !== null) {
    g.WorkQueued = true;
    NdisResetEvent(g.Idle);
    NdisQueueIoWorkItem(g.WorkItem, drainRoutine, g);
  }
}

function handlers(g: Globals) {
  const FilterAttach: FILTER_ATTACH = (NdisFilterHandle, _context, AttachParameters) => {
    const m: Module = {
      FilterHandle: NdisFilterHandle,
      Adapter: AttachParameters.BaseMiniportName,
      Interface: g.Interfaces,
      State: "Paused",
      OutstandingSends: 0,
      OutstandingReceives: 0,
      Outbound: 0,
      Inbound: 0,
      Dropped: 0,
    };
    const status = NdisFSetAttributes(NdisFilterHandle, m, filterAttributes());
    if (status !== NDIS_STATUS_SUCCESS) return status;
    // Pending frames of other modules go out before this interface's description.
    drain(g);
    emit(g, g.Writer.addInterface(m.Adapter, "ndis-ts capture filter module", g.SnapLength));
    g.Interfaces++;
    g.Modules.add(m);
    return NDIS_STATUS_SUCCESS;
  };

  const FilterDetach: FILTER_DETACH = (FilterModuleContext) => {
    drain(g);
    g.Modules.delete(FilterModuleContext as Module);
  };

  const FilterRestart: FILTER_RESTART = (FilterModuleContext) =>
    restartModule(FilterModuleContext as Module);

  const FilterPause: FILTER_PAUSE = (FilterModuleContext) => {
    drain(g);
    return pauseModule(FilterModuleContext as Module);
  };

  const FilterSendNetBufferLists: FILTER_SEND_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    PortNumber,
    SendFlags,
  ) => {
    const m = FilterModuleContext as Module;
    if (refusedSends(m, NetBufferLists, SendFlags)) return;
    record(g, m, NetBufferLists, "outbound");
    passSendsDown(m, NetBufferLists, countNbls(NetBufferLists), PortNumber, SendFlags);
  };

  const FilterSendNetBufferListsComplete: FILTER_SEND_NET_BUFFER_LISTS_COMPLETE = (
    FilterModuleContext,
    NetBufferLists,
    SendCompleteFlags,
  ) => passCompletionsUp(FilterModuleContext as Module, NetBufferLists, SendCompleteFlags);

  const FilterReceiveNetBufferLists: FILTER_RECEIVE_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    PortNumber,
    NumberOfNetBufferLists,
    ReceiveFlags,
  ) => {
    const m = FilterModuleContext as Module;
    if (refusedReceives(m, NetBufferLists, ReceiveFlags)) return;
    record(g, m, NetBufferLists, "inbound");
    passReceivesUp(m, NetBufferLists, PortNumber, NumberOfNetBufferLists, ReceiveFlags);
  };

  const FilterReturnNetBufferLists: FILTER_RETURN_NET_BUFFER_LISTS = (
    FilterModuleContext,
    NetBufferLists,
    ReturnFlags,
  ) => passReturnsDown(FilterModuleContext as Module, NetBufferLists, ReturnFlags);

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

/** DriverEntry: read the configuration, start the capture, register the filter. */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const g: Globals = {
    FilterDriverHandle: undefined,
    WorkItem: null,
    WorkQueued: false,
    Idle: {},
    Modules: new Set(),
    Writer: new PcapngWriter(),
    File: null,
    Memory: [],
    RingSize: DEFAULT_RING,
    SnapLength: MAX_SNAP,
    Ring: [],
    Head: 0,
    Count: 0,
    Written: 0,
    Dropped: 0,
    Interfaces: 0,
    Problem: null,
  };
  const registered = registerFilter(DriverObject, RegistryPath, g, {
    FriendlyName: "ndis-ts capture filter",
    UniqueName: CAPTURE_GUID,
    ...handlers(g),
  });
  if (registered.handle === undefined) return registered.status;
  g.FilterDriverHandle = registered.handle;
  drivers.set(DriverObject, g);
  const filterHandle = registered.handle;
  const fail = (why: string): NDIS_STATUS => {
    g.Problem = why;
    NdisFDeregisterFilterDriver(filterHandle);
    drivers.set(DriverObject, g);
    return NDIS_STATUS_FAILURE;
  };
  const opened = openConfiguration(filterHandle);
  if ("status" in opened) return fail(`cannot open the Parameters key (status ${opened.status})`);
  const file = readString(opened.handle, "CaptureFile");
  const ring = readInteger(opened.handle, "RingSize", DEFAULT_RING, 1, 1 << 20);
  const snap = readInteger(opened.handle, "SnapLength", MAX_SNAP, 14, MAX_SNAP);
  NdisCloseConfiguration(opened.handle);
  if (typeof ring !== "number") return fail(ring.bad);
  if (typeof snap !== "number") return fail(snap.bad);
  g.RingSize = ring;
  g.SnapLength = snap;
  g.Ring.length = ring;
  (g as { File: string | null }).File = file === null || file === "" ? null : file;
  try {
    if (g.File !== null) writeFileSync(g.File, g.Writer.header("ndis-ts capture filter"));
    else g.Memory.push(g.Writer.header("ndis-ts capture filter"));
  } catch (e) {
    return fail(`cannot write ${g.File}: ${(e as Error).message}`);
  }
  g.WorkItem = NdisAllocateIoWorkItem(filterHandle);
  if (g.WorkItem === null) return fail("no work item");
  NdisInitializeEvent(g.Idle);
  NdisSetEvent(g.Idle);
  DriverObject.DriverUnload = async (d: DRIVER_OBJECT) => {
    const gl = drivers.get(d);
    if (gl === undefined) return;
    // A drain still queued must run before its work item is freed (freeing a queued work item
    // is the bug check IoFreeWorkItem guards against): wait for it at PASSIVE_LEVEL.
    if (gl.WorkQueued) await NdisWaitEvent(gl.Idle, 0);
    drain(gl);
    if (gl.WorkItem !== null) NdisFreeIoWorkItem(gl.WorkItem);
    gl.WorkItem = null;
    if (gl.FilterDriverHandle !== undefined) NdisFDeregisterFilterDriver(gl.FilterDriverHandle);
  };
  return NDIS_STATUS_SUCCESS;
}

/** What a capture filter loaded as `driverObject` has seen and kept. */
export interface CaptureReport {
  readonly file: string | null;
  readonly ringSize: number;
  readonly snapLength: number;
  /** Frames written to the capture so far. */
  readonly written: number;
  /** Frames in the ring, not yet written. */
  readonly queued: number;
  /** Frames the ring could not keep, over the driver's life (every module). */
  readonly dropped: number;
  readonly problem: string | null;
  readonly modules: readonly {
    adapter: string;
    state: string;
    outbound: number;
    inbound: number;
    dropped: number;
  }[];
}

export function captureOf(driverObject: DRIVER_OBJECT): CaptureReport | undefined {
  const g = drivers.get(driverObject);
  if (g === undefined) return undefined;
  return {
    file: g.File,
    ringSize: g.RingSize,
    snapLength: g.SnapLength,
    written: g.Written,
    queued: g.Count,
    dropped: g.Dropped,
    problem: g.Problem,
    modules: [...g.Modules].map((m) => ({
      adapter: m.Adapter,
      state: m.State,
      outbound: m.Outbound,
      inbound: m.Inbound,
      dropped: m.Dropped,
    })),
  };
}

/** The pcapng bytes of a capture kept in memory (no CaptureFile), written so far. */
export function captureBytes(driverObject: DRIVER_OBJECT): Uint8Array | undefined {
  const g = drivers.get(driverObject);
  return g === undefined || g.File !== null ? undefined : concat(g.Memory);
}
