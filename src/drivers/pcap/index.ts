/**
 * pcap: a miniport whose wire is a capture file. Each adapter reads a pcap or pcapng file at
 * MiniportInitializeEx and, while it runs, indicates the file's frames up as receives, paced by an
 * NDIS timer; what protocols send down it completes at once (the wire swallows it) and counts.
 *
 * Registry (the adapter's parameters):
 * - `File` (REG_SZ, required): the capture file; Ethernet link type.
 * - `Loop` (REG_DWORD 0/1, default 0): start again at the first frame after the last.
 * - `Timing` (REG_SZ "original" | "asap", default "original"): keep the file's gaps between
 *   frames, or indicate as fast as NBLs come back.
 * - `RatePps` (REG_DWORD, optional): a fixed rate in frames per second; overrides `Timing`.
 * - `NetworkAddress` (REG_SZ, optional): the adapter's MAC (NdisReadNetworkAddress); default
 *   02-70-63-00-00-<IfIndex>.
 *
 * Like a NIC, the adapter indicates only what the packet filter a protocol set lets through
 * (OID_GEN_CURRENT_PACKET_FILTER, OID_802_3_MULTICAST_LIST; PROMISCUOUS takes everything): a
 * frame the filter refuses still takes its turn on the timeline and is counted as filtered. An
 * adapter nobody set a filter on indicates nothing.
 *
 * A file that is missing, unreadable or malformed, or a bad registry value, fails
 * MiniportInitializeEx: NDIS_STATUS_OPEN_FAILED (cannot read), NDIS_STATUS_INVALID_DATA
 * (malformed: the reader names the byte offset) or NDIS_STATUS_INVALID_PARAMETER (registry). The
 * adapter never comes up, so nothing above it binds; the reason is kept for the Node side
 * (`pcapReplayOf(driverObject).failure(ifIndex)`), which `ndis run` prints next to the trace's
 * `MiniportInitializeEx = NDIS_STATUS_INVALID_DATA`. [MODEL] NDIS has no text channel from a
 * driver (NdisWriteErrorLogEntry takes codes), so the text travels beside the DDI.
 *
 * Receives come from a pool of NBLs allocated at initialization (NBL_POOL_SIZE, each with a buffer
 * as large as the file's largest frame): the steady path allocates nothing. MiniportPause pends
 * until every indicated NBL is back (NdisMPauseComplete), so MiniportHaltEx — always after a pause
 * — frees a pool with nothing outstanding.
 */
import { statSync } from "node:fs";
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaDuplexStateFull,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_CONFIGURATION_PARAMETER,
  NDIS_DEFAULT_PORT_NUMBER,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_PROTOCOL_ID_DEFAULT,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_OPEN_FAILED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseConfiguration,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisFreeTimerObject,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMIndicateReceiveNetBufferLists,
  NdisMPauseComplete,
  NdisMRegisterMiniportDriver,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisOpenConfigurationEx,
  NdisParameterInteger,
  NdisParameterString,
  NdisPhysicalMedium802_3,
  NdisReadConfiguration,
  NdisReadNetworkAddress,
  NdisSetTimerObject,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  type Out,
} from "../../ddi.js";
import {
  type CapturedFrame,
  CaptureFormatError,
  CaptureReader,
  scanCaptureFile,
} from "../../pcap/pcapng.js";
import {
  countReceived,
  countSent,
  kindOf,
  newEthernetCounters,
  UNICAST,
} from "../shared/ethernet-miniport.js";
import {
  generalAttributesHeader,
  miniportCharacteristicsHeader,
  targetVersion,
} from "../shared/revisions.js";
import { accepts, MTU, oidRequest, type ReceiveFilter } from "./oid.js";

/** NBLs each adapter allocates up front: how many receives can be up the stack at once. */
export const NBL_POOL_SIZE = 32;

const POOL_TAG = 0x70616350; // 'Pcap'
const SPEED = 1_000_000_000n;

/** Per-adapter context. */
interface Adapter extends ReceiveFilter {
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  readonly ifIndex: number;
  readonly file: string;
  /** The file, read a frame at a time as the replay goes (memory stays flat for any size). */
  readonly reader: CaptureReader;
  /** Frames in the file (counted when the adapter initialized). */
  readonly frameCount: number;
  /** The next frame to indicate, read ahead; null before the first read and at the end. */
  pending: CapturedFrame | null;
  /** The time of the frame indicated last in this pass (null at a pass's start). */
  lastTimeNs: bigint | null;
  readonly loop: boolean;
  /** Milliseconds between frames at a fixed rate, or null to follow `timing`. */
  readonly intervalMs: number | null;
  readonly timing: "original" | "asap";
  readonly pool: NDIS_HANDLE;
  readonly timer: NDIS_HANDLE;
  /** NBLs the adapter holds, ready to indicate. */
  readonly free: NET_BUFFER_LIST[];
  /** Every NBL of the pool, for the halt. */
  readonly all: readonly NET_BUFFER_LIST[];
  running: boolean;
  pausePending: boolean;
  timerSet: boolean;
  stats: PcapAdapterStats;
}

/** What one adapter did, for the Node side. */
export interface PcapAdapterStats {
  readonly ifIndex: number;
  readonly file: string;
  readonly frames: number;
  /** Frames indicated up. */
  indicated: number;
  /** Frames the packet filter did not let through. */
  filtered: number;
  indicatedBytes: number;
  /** Times the file was started from its first frame. */
  passes: number;
  /** Frames protocols sent, completed with SUCCESS and dropped. */
  sendsSwallowed: number;
  /** NBLs indicated and not yet returned. */
  outstanding: number;
  halted: boolean;
  /** Why the replay stopped before the end: the file could no longer be read as a capture. */
  readError: string | null;
}

interface DriverState {
  handle: NDIS_HANDLE | undefined;
  readonly adapters: Map<number, Adapter>;
  readonly failures: Map<number, string>;
}

const drivers = new WeakMap<DRIVER_OBJECT, DriverState>();

/** The Node side's view of a loaded pcap driver: per-adapter counters and failure reasons. */
export interface PcapReplay {
  /** Every adapter that initialized, halted ones included. */
  adapters(): readonly PcapAdapterStats[];
  /** Why the adapter with this IfIndex failed MiniportInitializeEx, if it did. */
  failure(ifIndex: number): string | undefined;
}

export function pcapReplayOf(driverObject: DRIVER_OBJECT): PcapReplay | undefined {
  const state = drivers.get(driverObject);
  if (state === undefined) return undefined;
  return {
    adapters: () => [...state.adapters.values()].map((a) => ({ ...a.stats })),
    failure: (ifIndex) => state.failures.get(ifIndex),
  };
}

/** The adapter's registry values, read through NdisOpenConfigurationEx. */
interface Parameters {
  readonly file: string;
  readonly loop: boolean;
  readonly timing: "original" | "asap";
  readonly ratePps: number | null;
  /** From NetworkAddress, or null for the default. */
  readonly address: Uint8Array | null;
}

function readParameters(handle: NDIS_HANDLE): Parameters | string {
  const config: Out<NDIS_HANDLE> = {};
  const opened = NdisOpenConfigurationEx(
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
        Revision: NDIS_CONFIGURATION_OBJECT_REVISION_1,
        Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
      },
      NdisHandle: handle,
      Flags: 0,
    },
    config,
  );
  if (opened !== NDIS_STATUS_SUCCESS || config.value === undefined)
    return "cannot open the adapter's configuration";
  const key = config.value;
  const read = (keyword: string, type: number): NDIS_CONFIGURATION_PARAMETER | null => {
    const status: Out<NDIS_STATUS> = {};
    const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
    NdisReadConfiguration(status, value, key, keyword, type);
    return status.value === NDIS_STATUS_SUCCESS ? (value.value ?? null) : null;
  };
  try {
    const file = read("File", NdisParameterString)?.ParameterData.StringData;
    if (file === undefined || file === "")
      return "registry value File (the capture file) is missing";
    const loop = read("Loop", NdisParameterInteger)?.ParameterData.IntegerData ?? 0;
    if (loop !== 0 && loop !== 1) return `registry value Loop is ${loop}: expected 0 or 1`;
    const timing = read("Timing", NdisParameterString)?.ParameterData.StringData ?? "original";
    if (timing !== "original" && timing !== "asap")
      return `registry value Timing is ${JSON.stringify(timing)}: expected "original" or "asap"`;
    const rate = read("RatePps", NdisParameterInteger)?.ParameterData.IntegerData ?? null;
    if (rate !== null && (rate < 1 || rate > 1_000_000))
      return `registry value RatePps is ${rate}: expected 1…1000000 frames per second`;
    const status: Out<NDIS_STATUS> = {};
    const address: Out<Uint8Array | null> = {};
    NdisReadNetworkAddress(status, address, {}, key);
    const mac = status.value === NDIS_STATUS_SUCCESS ? (address.value ?? null) : null;
    return { file, loop: loop === 1, timing, ratePps: rate, address: mac };
  } finally {
    NdisCloseConfiguration(key);
  }
}

function MPInitializeEx(
  MiniportAdapterHandle: NDIS_HANDLE,
  MiniportDriverContext: unknown,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS {
  const state = MiniportDriverContext as DriverState;
  const ifIndex = MiniportInitParameters.IfIndex;
  const fail = (status: NDIS_STATUS, why: string): NDIS_STATUS => {
    state.failures.set(ifIndex, why);
    return status;
  };
  const params = readParameters(MiniportAdapterHandle);
  if (typeof params === "string") return fail(NDIS_STATUS_INVALID_PARAMETER, params);

  let scan: { readonly frames: number; readonly largest: number };
  try {
    // Only a regular file: a FIFO never ends and /dev/zero never stops giving, and reading either
    // whole would hang the host (and its signal handlers) while memory grows.
    const stat = statSync(params.file);
    if (!stat.isFile())
      return fail(
        NDIS_STATUS_OPEN_FAILED,
        `${params.file}: not a regular file (${stat.isFIFO() ? "a FIFO" : stat.isCharacterDevice() || stat.isBlockDevice() ? "a device" : stat.isDirectory() ? "a directory" : "not a file"}): expected a pcap or pcapng capture file`,
      );
    // Checked whole now (a malformed file fails the initialization), read again as it replays.
    scan = scanCaptureFile(params.file);
  } catch (err) {
    if (err instanceof CaptureFormatError)
      return fail(NDIS_STATUS_INVALID_DATA, `${params.file}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      NDIS_STATUS_OPEN_FAILED,
      `${params.file}: cannot read it${code === undefined ? "" : ` (${code})`}`,
    );
  }
  const largest = scan.largest;
  let reader: CaptureReader;
  try {
    reader = CaptureReader.openFile(params.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      NDIS_STATUS_OPEN_FAILED,
      `${params.file}: cannot read it${code === undefined ? "" : ` (${code})`}`,
    );
  }

  const address = params.address ?? Uint8Array.of(0x02, 0x70, 0x63, 0, 0, ifIndex & 0xff);
  const pool = NdisAllocateNetBufferListPool(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: NDIS_PROTOCOL_ID_DEFAULT,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag: POOL_TAG,
    DataSize: Math.max(largest, 1),
  });
  if (pool === null) {
    reader.close();
    return fail(NDIS_STATUS_RESOURCES, "no memory for the receive pool");
  }
  const all: NET_BUFFER_LIST[] = [];
  const releasePool = () => {
    for (const nbl of all) NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    reader.close();
  };
  for (let i = 0; i < NBL_POOL_SIZE; i++) {
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    if (nbl === null) {
      releasePool();
      return fail(NDIS_STATUS_RESOURCES, "no memory for the receive NBLs");
    }
    nbl.SourceHandle = MiniportAdapterHandle;
    all.push(nbl);
  }
  const timer: Out<NDIS_HANDLE> = {};
  const allocated = NdisAllocateTimerObject(
    MiniportAdapterHandle,
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
        Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
      },
      AllocationTag: POOL_TAG,
      TimerFunction: replayTimer,
      FunctionContext: null,
    },
    timer,
  );
  if (allocated !== NDIS_STATUS_SUCCESS || timer.value === undefined) {
    releasePool();
    return fail(allocated, "no timer for the replay");
  }

  const adapter: Adapter = {
    CurrentAddress: address,
    Counters: newEthernetCounters(),
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: MTU,
    MiniportAdapterHandle,
    ifIndex,
    file: params.file,
    reader,
    frameCount: scan.frames,
    pending: null,
    lastTimeNs: null,
    loop: params.loop,
    intervalMs: params.ratePps === null ? null : 1000 / params.ratePps,
    timing: params.timing,
    pool,
    timer: timer.value,
    free: [...all],
    all,
    running: false,
    pausePending: false,
    timerSet: false,
    stats: {
      ifIndex,
      file: params.file,
      frames: scan.frames,
      indicated: 0,
      filtered: 0,
      indicatedBytes: 0,
      passes: 0,
      sendsSwallowed: 0,
      outstanding: 0,
      halted: false,
      readError: null,
    },
  };
  const undo = () => {
    NdisFreeTimerObject(adapter.timer);
    releasePool();
  };
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: adapter,
    AttributeFlags: 0,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status === NDIS_STATUS_SUCCESS) {
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
      Header: generalAttributesHeader(targetVersion()),
      MediaType: NdisMedium802_3,
      PhysicalMediumType: NdisPhysicalMedium802_3,
      MtuSize: MTU,
      MaxXmitLinkSpeed: SPEED,
      XmitLinkSpeed: SPEED,
      MaxRcvLinkSpeed: SPEED,
      RcvLinkSpeed: SPEED,
      MediaConnectState: MediaConnectStateConnected,
      MediaDuplexState: MediaDuplexStateFull,
      LookaheadSize: MTU,
      SupportedPacketFilters: 0,
      MaxMulticastListSize: 32,
      MacAddressLength: 6,
      PermanentMacAddress: address,
      CurrentMacAddress: address,
      AccessType: NET_IF_ACCESS_BROADCAST,
      DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
      ConnectionType: NET_IF_CONNECTION_DEDICATED,
      IfType: IF_TYPE_ETHERNET_CSMACD,
      IfConnectorPresent: false,
      PowerManagementCapabilitiesEx: null,
    });
  }
  if (status !== NDIS_STATUS_SUCCESS) {
    undo();
    return fail(status, "NdisMSetMiniportAttributes failed");
  }
  state.failures.delete(ifIndex);
  state.adapters.set(ifIndex, adapter);
  return NDIS_STATUS_SUCCESS;
}

/** Arms the replay timer `delayMs` from now (0: as soon as possible). */
function schedule(adapter: Adapter, delayMs: number): void {
  adapter.timerSet = true;
  // DueTime: negative, relative, in 100 ns units.
  NdisSetTimerObject(adapter.timer, -BigInt(Math.max(0, Math.round(delayMs * 10_000))), 0, adapter);
}

/**
 * The next frame of this pass, read from the file if not read yet; null at the end of the file or
 * when the file can no longer be read (it changed under the replay: the replay ends, and says why).
 */
function peek(adapter: Adapter): CapturedFrame | null {
  if (adapter.pending !== null || adapter.stats.readError !== null) return adapter.pending;
  try {
    adapter.pending = adapter.reader.next();
  } catch (err) {
    adapter.stats.readError = err instanceof Error ? err.message : String(err);
    adapter.pending = null;
  }
  return adapter.pending;
}

/** Takes the pending frame: the next one is read on demand. */
function consume(adapter: Adapter, frame: CapturedFrame): void {
  if (adapter.lastTimeNs === null) adapter.stats.passes++;
  adapter.lastTimeNs = frame.timeNs;
  adapter.pending = null;
}

/** The gap before the pending frame (after the one indicated last, or 0 at a new pass). */
function gapMs(adapter: Adapter, frame: CapturedFrame): number {
  if (adapter.intervalMs !== null) return adapter.intervalMs;
  if (adapter.timing === "asap" || adapter.lastTimeNs === null) return 0;
  const gap = frame.timeNs - adapter.lastTimeNs;
  return gap > 0n ? Number(gap) / 1_000_000 : 0;
}

/**
 * The replay's TimerFunction (DISPATCH_LEVEL): indicates the frames that are due as one chain —
 * one frame at a time when paced, as many as there are free NBLs with Timing "asap" — then sets
 * the timer for the next one. With no free NBL it waits for MiniportReturnNetBufferLists.
 */
function replayTimer(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  _SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const adapter = FunctionContext as Adapter;
  adapter.timerSet = false;
  if (!adapter.running) return;
  const batch = adapter.intervalMs === null && adapter.timing === "asap" ? adapter.free.length : 1;
  let head: NET_BUFFER_LIST | null = null;
  let tail: NET_BUFFER_LIST | null = null;
  let count = 0;
  while (count < batch) {
    const frame = peek(adapter);
    if (frame === null) break;
    const nbl = adapter.free.pop();
    if (nbl === undefined) break;
    consume(adapter, frame);
    if (!accepts(adapter, frame.data)) {
      adapter.free.push(nbl);
      adapter.stats.filtered++;
      // Paced replays spend this turn on the refused frame; asap goes on to the next.
      if (batch === 1) break;
      continue;
    }
    const nb = nbl.FirstNetBuffer;
    const mdl = nb?.MdlChain ?? null;
    if (nb === null || mdl === null) {
      adapter.free.push(nbl);
      break;
    }
    mdl.MappedSystemVa.set(frame.data);
    nb.DataOffset = 0;
    nb.CurrentMdl = mdl;
    nb.CurrentMdlOffset = 0;
    nb.DataLength = frame.data.length;
    nbl.Next = null;
    nbl.Status = NDIS_STATUS_SUCCESS;
    if (tail === null) head = nbl;
    else tail.Next = nbl;
    tail = nbl;
    count++;
    countReceived(
      adapter.Counters,
      kindOf(frame.data[0] as number, frame.data, 0),
      frame.data.length,
      1,
    );
    adapter.stats.indicated++;
    adapter.stats.indicatedBytes += frame.data.length;
  }
  if (head !== null) {
    adapter.stats.outstanding += count;
    NdisMIndicateReceiveNetBufferLists(
      adapter.MiniportAdapterHandle,
      head,
      NDIS_DEFAULT_PORT_NUMBER,
      count,
      NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
    );
  }
  scheduleNext(adapter);
}

/** Sets the timer for the next frame, unless the file is done or no NBL is free. */
function scheduleNext(adapter: Adapter): void {
  if (!adapter.running || adapter.timerSet || adapter.frameCount === 0) return;
  let frame = peek(adapter);
  if (frame === null) {
    if (!adapter.loop || adapter.stats.readError !== null) return;
    adapter.reader.rewind();
    adapter.lastTimeNs = null;
    frame = peek(adapter);
    if (frame === null) return;
  }
  if (adapter.free.length === 0) return; // MiniportReturnNetBufferLists resumes
  schedule(adapter, gapMs(adapter, frame));
}

/** MiniportReturnNetBufferLists: the NBLs are the adapter's again; a pending pause may end. */
const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferLists,
) => {
  const adapter = MiniportAdapterContext as Adapter;
  let nbl: NET_BUFFER_LIST | null = NetBufferLists;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    nbl.Next = null;
    adapter.free.push(nbl);
    adapter.stats.outstanding--;
    nbl = next;
  }
  if (adapter.pausePending && adapter.stats.outstanding === 0) {
    adapter.pausePending = false;
    NdisMPauseComplete(adapter.MiniportAdapterHandle);
    return;
  }
  scheduleNext(adapter);
};

/** MiniportRestart: the replay goes on from where it was. */
function MPRestart(MiniportAdapterContext: unknown): NDIS_STATUS {
  const adapter = MiniportAdapterContext as Adapter;
  adapter.running = true;
  scheduleNext(adapter);
  return NDIS_STATUS_SUCCESS;
}

/** MiniportPause: no more indications; PENDING until every indicated NBL is back. */
function MPPause(MiniportAdapterContext: unknown): NDIS_STATUS {
  const adapter = MiniportAdapterContext as Adapter;
  adapter.running = false;
  if (adapter.timerSet) {
    NdisCancelTimerObject(adapter.timer);
    adapter.timerSet = false;
  }
  if (adapter.stats.outstanding === 0) return NDIS_STATUS_SUCCESS;
  adapter.pausePending = true;
  return NDIS_STATUS_PENDING;
}

/** MiniportHaltEx: after a pause, so the timer is idle and every NBL is home; free them all. */
function MPHaltEx(MiniportAdapterContext: unknown): void {
  const adapter = MiniportAdapterContext as Adapter;
  adapter.running = false;
  if (adapter.timerSet) NdisCancelTimerObject(adapter.timer);
  NdisFreeTimerObject(adapter.timer);
  for (const nbl of adapter.all) NdisFreeNetBufferList(nbl);
  NdisFreeNetBufferListPool(adapter.pool);
  adapter.reader.close();
  adapter.stats.halted = true;
}

/** MiniportSendNetBufferLists: the file cannot take frames; each NBL completes with SUCCESS. */
const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = (
  MiniportAdapterContext,
  NetBufferList,
  _PortNumber,
  SendFlags,
) => {
  const adapter = MiniportAdapterContext as Adapter;
  for (let nbl: NET_BUFFER_LIST | null = NetBufferList; nbl !== null; nbl = nbl.Next) {
    nbl.Status = NDIS_STATUS_SUCCESS;
    for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
      adapter.stats.sendsSwallowed++;
      // The destination decides the kind; a frame whose first MDL holds less counts as unicast.
      const va = nb.CurrentMdl?.MappedSystemVa;
      const at = nb.CurrentMdlOffset;
      const kind =
        va !== undefined && va.length >= at + 6 ? kindOf(va[at] as number, va, at) : UNICAST;
      countSent(adapter.Counters, kind, nb.DataLength);
    }
  }
  NdisMSendNetBufferListsComplete(
    adapter.MiniportAdapterHandle,
    NetBufferList,
    (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0
      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
      : 0,
  );
};

function MPDriverUnload(DriverObject: DRIVER_OBJECT): void {
  const state = drivers.get(DriverObject);
  if (state?.handle !== undefined) NdisMDeregisterMiniportDriver(state.handle);
  if (state !== undefined) state.handle = undefined;
}

const nothing = (): void => {};

/** DriverEntry: registers the miniport edge as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const version = targetVersion();
  const state: DriverState = { handle: undefined, adapters: new Map(), failures: new Map() };
  const chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    InitializeHandlerEx: MPInitializeEx,
    HaltHandlerEx: MPHaltEx,
    UnloadHandler: MPDriverUnload,
    PauseHandler: MPPause,
    RestartHandler: MPRestart,
    OidRequestHandler: (MiniportAdapterContext, OidRequest) =>
      oidRequest(MiniportAdapterContext as Adapter, OidRequest),
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: MPReturnNetBufferLists,
    CancelSendHandler: nothing,
    DevicePnPEventNotifyHandler: nothing,
    ShutdownHandlerEx: nothing,
    CancelOidRequestHandler: nothing,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, state, chars, handle);
  if (status === NDIS_STATUS_SUCCESS && handle.value !== undefined) {
    state.handle = handle.value;
    drivers.set(DriverObject, state);
  }
  return status;
}
