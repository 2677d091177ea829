/**
 * The records NDIS keeps, as types: the runtime as the objects see it, drivers and their
 * registrations, adapters, bindings, IM device instances, OID entries, the resources a driver
 * holds, data-path counters, and the NET_BUFFER_LIST / NET_BUFFER / MDL objects with their pools.
 *
 * This is the bottom of the object layer: everything above (the stack graph, policy, the runtime
 * that composes them) refers to these shapes, and this file refers to nothing above it. The
 * runtime itself is seen here only through its interface, `NdisRuntime`; the class that
 * implements it (`Ndis`, core/runtime.ts) sits at the top of core and is the only one.
 */

import type { NDIS_CONFIGURATION_PARAMETER } from "../../../ndis/config.js";
import type { DEVICE_OBJECT, FILE_OBJECT, IRP } from "../../../ndis/device.js";
import {
  type MDL,
  NDIS_CONTEXT_CELL_SIZE,
  NDIS_NBL_INFO_SLOTS,
  type NET_BUFFER,
  type NET_BUFFER_LIST,
  type NET_BUFFER_LIST_CONTEXT,
} from "../../../ndis/nbl.js";
import type { NDIS_OID_REQUEST } from "../../../ndis/oid.js";
import { type NDIS_STATUS, NDIS_STATUS_SUCCESS } from "../../../ndis/status.js";
import type { NET_PNP_EVENT_NOTIFICATION } from "../../../ndis/structs.js";
import type { NDIS_TIMER_FUNCTION } from "../../../ndis/timer.js";
import type { DRIVER_OBJECT, NDIS_HANDLE } from "../../../ndis/types.js";
import type { NdisVersionInfo } from "../../../ndis/version.js";
import type { VerifierRuleId } from "../../../verifier/rules.js";
import type { VerifierMode, Violation } from "../../../verifier/violation.js";
import type { AdapterEvent, AdapterState } from "../../state/adapter-machine.js";
import type { BindingEvent, BindingState } from "../../state/binding-machine.js";
import type { FilterEvent, FilterState } from "../../state/filter-machine.js";
import type { StateMachine } from "../../state/machine.js";
import type { GeneralAttributesCopy, RegistrationAttributesCopy } from "../base/attributes.js";
import type {
  EntryPoint,
  FilterCharacteristicsCopy,
  MiniportCharacteristicsCopy,
  ProtocolCharacteristicsCopy,
} from "../base/characteristics.js";
import type { HostClock } from "../base/clock.js";
import type { TraceEvent, TraceListener } from "../base/trace.js";

/**
 * One emulated NDIS as everything below the runtime sees it: the drivers it has loaded, the
 * objects it holds, its verifier policy and findings, its trace, its clock and its fault plan.
 * `Ndis` (core/runtime.ts) implements it; see there for what each member does.
 */
export interface NdisRuntime {
  readonly version: NdisVersionInfo;
  readonly verifierMode: VerifierMode;
  readonly acceptDefaultHeaderType: boolean;
  powerProfile: number;
  readonly drivers: Map<string, DriverRecord>;
  readonly adapters: Map<string, MiniportAdapter>;
  readonly deviceInstances: Map<string, DeviceInstance>;
  pnp: PnpManager | null;
  readonly bindings: Set<Binding>;
  readonly deviceParameters: Map<string, ReadonlyMap<string, RegistryValue>>;
  readonly bindingParameters: Map<string, ReadonlyMap<string, RegistryValue>>;
  /** How each filter driver is installed, by service name (what its INF said). */
  readonly filterInstalls: Map<string, FilterInstall>;
  readonly clock: HostClock;
  /**
   * NDIS's watchdogs, as the objects need them: started when there is something to watch; whether
   * the operation an adapter, binding or filter module waits in was given up on (what is outstanding, or null);
   * keeping the process alive while a host operation waits.
   */
  readonly watchdog: {
    ensureRunning(): void;
    stuck(object: MiniportAdapter | Binding | FilterModule): string | null;
    hold(): () => void;
  };
  observing: boolean;
  readonly frameListeners: Set<FrameListener>;
  readonly violations: Violation[];
  bugCheck: Violation | null;
  readonly stopped: Violation[];
  chainStamp: number;
  /**
   * Bumped whenever which filter modules take part in a stack's sends or receives may have
   * changed (a module attached, detached, changing state or data-path handlers, a driver
   * stopped): every stack's resolved route (core/stack/crossing.ts) is stale then.
   */
  routeEpoch: number;
  nextIfIndex(): number;
  readonly tracing: boolean;
  readonly recorded: boolean;
  recentEvents(): readonly TraceEvent[];
  /** With `dataPath` false the listener hears the control path only (see Ndis.onTrace). */
  onTrace(listener: TraceListener, dataPath?: boolean): () => void;
  emit(event: Omit<TraceEvent, "seq" | "time">): void;
  violate(rule: VerifierRuleId, message: string, driver: DriverRecord | null, depth?: number): void;
  assertAlive(): void;
  failAllocations(site: AllocationSite, count: number): void;
  pendOperations(site: PendingSite, count: number): void;
  takePending(site: PendingSite): boolean;
  defer(work: () => void, label?: string): void;
  takeAllocationFailure(site: AllocationSite): boolean;
}

/** The places where NDIS allocates and where a test can make the allocation fail. */
export type AllocationSite =
  | "NdisMRegisterMiniportDriver"
  | "NdisRegisterProtocolDriver"
  | "NdisFRegisterFilterDriver"
  | "NdisAllocateNetBufferListPool"
  | "NdisAllocateNetBufferPool"
  | "NdisAllocateNetBufferList"
  | "NdisAllocateNetBuffer"
  | "NdisAllocateMdl"
  | "NdisAllocateNetBufferListContext"
  | "NdisRetreatNetBufferDataStart"
  | "NdisAllocateCloneOidRequest"
  | "NdisOpenConfigurationEx"
  | "NdisAllocateTimerObject"
  | "NdisAllocateMemoryWithTagPriority"
  | "NdisAllocateIoWorkItem"
  | "NdisRegisterDeviceEx";

/** Calls NDIS may complete asynchronously, and that a test can make pend. */
export type PendingSite = "NdisOpenAdapterEx" | "NdisCloseAdapterEx";

/** A registry value: REG_DWORD, REG_SZ, REG_MULTI_SZ or REG_BINARY. */
export type RegistryValue = number | string | readonly string[] | Uint8Array;

export interface DriverRecord {
  readonly runtime: NdisRuntime;
  /** The service name (`passthrough`). */
  readonly name: string;
  readonly driverObject: DRIVER_OBJECT;
  /** `\Registry\Machine\System\CurrentControlSet\Services\<name>` */
  readonly registryPath: string;
  readonly registry: ReadonlyMap<string, RegistryValue>;
  state: "loading" | "loaded" | "unloading";
  /** The violation that stopped this driver in strict mode; NDIS calls it no more. */
  crashed: Violation | null;
  readonly miniportDrivers: MiniportDriverBlock[];
  readonly protocolDrivers: ProtocolDriverBlock[];
  readonly filterDrivers: FilterDriverBlock[];
  /** NET_BUFFER_LIST and NET_BUFFER pools the driver allocated and has not freed. */
  readonly pools: Set<NblPool | NbPool>;
  /** Configuration handles the driver opened and has not closed. */
  readonly configs: Set<ConfigRecord>;
  /** Timer objects the driver allocated and has not freed. */
  readonly timers: Set<TimerRecord>;
  /** I/O work items the driver allocated and has not freed. */
  readonly workItems: Set<WorkItemRecord>;
  /** OID requests the driver cloned (NdisAllocateCloneOidRequest) and has not freed. */
  readonly clones: Set<CloneRecord>;
  /** Kernel timers (KeSetTimerEx) set and DPCs (KeInsertQueueDpc) queued, not yet run. */
  readonly kernelPending: Set<KernelPending>;
  /** Blocks of NdisAllocateMemoryWithTagPriority not freed yet, with their pool tag and size. */
  readonly memory: Map<
    unknown,
    { readonly tag: number; readonly length: number; readonly lookaside?: true }
  >;
}

interface DriverBlockBase {
  readonly driver: DriverRecord;
  readonly handle: NDIS_HANDLE;
  /** The MiniportDriverContext / ProtocolDriverContext the driver passed. */
  readonly context: unknown;
  readonly version: NdisVersionInfo;
  /** True only while NDIS runs the driver's SetOptions handler for this registration. */
  inSetOptions: boolean;
  /** Tables given to NdisSetOptionalHandlers, by NDIS_OBJECT_TYPE. */
  readonly optionalHandlers: Map<number, Readonly<Record<string, unknown>>>;
}

export interface MiniportDriverBlock extends DriverBlockBase {
  readonly kind: "miniport-driver";
  readonly chars: MiniportCharacteristicsCopy;
  associatedProtocol: ProtocolDriverBlock | null;
  /** The adapters NDIS created for this registration, oldest first. */
  readonly adapters: MiniportAdapter[];
}

export interface ProtocolDriverBlock extends DriverBlockBase {
  readonly kind: "protocol-driver";
  readonly chars: ProtocolCharacteristicsCopy;
  associatedMiniport: MiniportDriverBlock | null;
}

/** How a filter is installed (what its INF says): where its modules go and what they may do. */
export interface FilterInstall {
  /** The INF's FilterClass; it orders the filters of a stack (see FILTER_CLASS_ORDER). */
  readonly filterClass: string;
  /** Position in the stack: lower sits nearer the miniport. From the class, then load order. */
  readonly order: number;
  /** FilterType: a monitoring filter may not change what crosses it. */
  readonly type: "monitoring" | "modifying";
  /** FilterRunType: a mandatory filter that fails to attach keeps its adapter's stack down. */
  readonly mandatory: boolean;
  /** The adapters its modules attach to; null: every adapter. */
  readonly adapters: readonly string[] | null;
  /** The NetCfgInstanceId the driver's UniqueName must match, when the install names one. */
  readonly uniqueName?: string;
}

/** A filter driver's registration (NdisFRegisterFilterDriver). */
export interface FilterDriverBlock extends DriverBlockBase {
  readonly kind: "filter-driver";
  readonly chars: FilterCharacteristicsCopy;
  readonly install: FilterInstall;
  /** Its modules, one per adapter stack it is attached to. */
  readonly modules: FilterModule[];
}

/** One filter module: an instance of a filter driver in one adapter's stack. */
export interface FilterModule {
  readonly kind: "filter-module";
  readonly runtime: NdisRuntime;
  readonly block: FilterDriverBlock;
  readonly driver: DriverRecord;
  readonly adapter: MiniportAdapter;
  /** `capture on eth0`. */
  readonly name: string;
  /** The NdisFilterHandle NDIS gave FilterAttach. */
  readonly handle: NDIS_HANDLE;
  /** The FilterModuleContext of NdisFSetAttributes. */
  context: unknown;
  attributesSet: boolean;
  /** True only while FilterAttach runs (NdisFSetAttributes is legal then). */
  inAttach: boolean;
  /** True only while FilterSetModuleOptions runs. */
  inSetModuleOptions: boolean;
  /**
   * The PASSIVE_LEVEL handlers of this module that blocked (returned a promise) and have not
   * returned yet, oldest first: NDIS's next step for the module waits for each, and the watchdog
   * names the oldest once it has run too long.
   */
  readonly blockedIn: string[];
  readonly machine: StateMachine<FilterState, FilterEvent>;
  readonly waiters: Set<() => void>;
  /** The data-path handlers in force (null: NDIS bypasses the module for that path). */
  send: EntryPoint | null;
  sendComplete: EntryPoint | null;
  cancelSend: EntryPoint | null;
  receive: EntryPoint | null;
  returnHandler: EntryPoint | null;
  /** NBLs it passed down and has not had back. */
  sendsOutstanding: number;
  /** NBLs sent to it from above that it has neither passed down nor completed. */
  sendsHeld: number;
  /** NBLs it indicated up and has not had back. */
  receivesOutstanding: number;
  /** NBLs indicated to it that it has neither passed up nor returned. */
  receivesHeld: number;
  /** NDIS's per-module chain of send completions being gathered (as for a binding). */
  completeFirst: NET_BUFFER_LIST | null;
  completeLast: NET_BUFFER_LIST | null;
  /** OID requests it passed down and has not had back. */
  oidsPending: number;
  /** OID requests NDIS gave its FilterOidRequest that it pended: the issuer of each. */
  readonly oidsHeld: Map<NDIS_OID_REQUEST, Binding | FilterModule | NdisOidIssuer>;
  /** NdisFRestartFilter asked for a restart that has not happened yet. */
  restartRequested: boolean;
  readonly counters: DataPathCounters;
  /**
   * Its place in the stack's route as last resolved (crossing.ts): the next module below that
   * takes sends and the next above that takes receives (null: the miniport, the bindings).
   */
  sendBelow: FilterModule | null;
  receiveAbove: FilterModule | null;
}

export interface MiniportAdapter {
  readonly kind: "miniport-adapter";
  readonly runtime: NdisRuntime;
  readonly block: MiniportDriverBlock;
  readonly driver: DriverRecord;
  /** The device instance name the host gave it (`eth0`). */
  readonly name: string;
  readonly handle: NDIS_HANDLE;
  /**
   * MiniportInitializeEx or MiniportHaltEx while it is blocked (returned a promise that has not
   * settled): NDIS's next step for the adapter waits for it, and the watchdog names it once it
   * has run too long.
   */
  readonly blockedIn: string[];
  readonly ifIndex: number;
  readonly netLuid: bigint;
  readonly machine: StateMachine<AdapterState, AdapterEvent>;
  /** From the registration attributes: what every MiniportXxx call gets first. */
  context: unknown;
  registration: RegistrationAttributesCopy | null;
  general: GeneralAttributesCopy | null;
  /** Attribute structures set after the general ones (offload…), by NDIS_OBJECT_TYPE. */
  readonly otherAttributes: Set<number>;
  /** True once MiniportDevicePnPEventNotify(SurpriseRemoved) was delivered. */
  surpriseRemoved: boolean;
  /** The driver asked for its removal (NdisMRemoveMiniport) and it has not happened yet. */
  removing: boolean;
  /** Resolved whenever the machine changes state. */
  readonly waiters: Set<() => void>;
  /** The bindings of protocols to this adapter, oldest first. */
  readonly bindings: Binding[];
  /** The filter modules attached to the adapter's stack, bottom (nearest the miniport) to top. */
  readonly filters: FilterModule[];
  /**
   * The stack's route as last resolved (crossing.ts): the runtime's routeEpoch then, the first
   * module a binding's send goes to and the first a miniport's indication goes to (null: none).
   */
  routeEpoch: number;
  sendEntry: FilterModule | null;
  receiveEntry: FilterModule | null;
  /** The lowest module that takes sends: where the miniport's completions go (null: none). */
  sendExit: FilterModule | null;
  /** The top module that takes receives: whose indications the bindings return (null: none). */
  receiveExit: FilterModule | null;
  /** NBLs handed to MiniportSendNetBufferLists and not yet completed. */
  sendsOutstanding: number;
  /** NBLs the miniport has completed, ever (the hang watchdog watches it move). */
  sendCompletions: number;
  /** NBLs the miniport indicated that have not come back to it. */
  receivesOutstanding: number;
  /** The OID request the miniport has now (NDIS gives it one at a time), and who issued it. */
  oidPending: OidEntry | null;
  /** OID requests waiting for the pending one to complete. */
  readonly oidQueue: OidEntry[];
  /**
   * A hardware reset is in progress (MiniportResetEx called, not yet completed): NDIS delivers no
   * OID request and fails sends with NDIS_STATUS_RESET_IN_PROGRESS until it ends.
   */
  resetting: boolean;
  /**
   * The adapter is in a low-power state (OID_PNP_SET_POWER to D3 done, or halted for sleep):
   * "Handling a Set Power Request" — no OID request reaches it then but OID_PNP_SET_POWER. NDIS
   * holds the others in its queue until the adapter is back in D0.
   */
  lowPower: boolean;
  /**
   * The addressing settings the miniport last accepted (set requests that succeeded), by OID:
   * what NDIS sets again after a reset with AddressingReset TRUE.
   */
  readonly addressing: Map<number, Uint8Array>;
  /** Kept while the host observes the data path. */
  readonly counters: DataPathCounters;
}

export interface Binding {
  readonly kind: "binding";
  readonly runtime: NdisRuntime;
  /** The protocol's driver. */
  readonly driver: DriverRecord;
  readonly protocol: ProtocolDriverBlock;
  readonly adapter: MiniportAdapter;
  /** NDIS's token for this bind (ProtocolBindAdapterEx's BindContext). */
  readonly bindContext: NDIS_HANDLE;
  /** The NdisBindingHandle, minted by a successful NdisOpenAdapterEx. */
  handle: NDIS_HANDLE | null;
  /** ProtocolBindingContext, given to NdisOpenAdapterEx. */
  context: unknown;
  /** Whether the open has succeeded and no close has begun. */
  open: "closed" | "opening" | "open" | "closing";
  /** NDIS's token for the unbind (ProtocolUnbindAdapterEx's UnbindContext). */
  unbindContext: NDIS_HANDLE | null;
  /** The protocol asked to be unbound (NdisUnbindAdapter) and NDIS has not done it yet. */
  unbindRequested: boolean;
  readonly machine: StateMachine<BindingState, BindingEvent>;
  readonly waiters: Set<() => void>;
  /**
   * PnP events other than NetEventPause/NetEventRestart the protocol pended, by the notification
   * NDIS gave it (NdisCompleteNetPnPEvent passes the same one back), with what waits for them.
   */
  readonly pendingEvents: Map<NET_PNP_EVENT_NOTIFICATION, (status: NDIS_STATUS) => void>;
  /** NBLs the protocol sent on this binding that have not been completed to it. */
  sendsOutstanding: number;
  /** NBLs indicated to the protocol that it has not returned. */
  receivesHeld: number;
  /** Send completions being gathered for this binding (NdisMSendNetBufferListsComplete). */
  completeFirst: NET_BUFFER_LIST | null;
  completeLast: NET_BUFFER_LIST | null;
  /** Kept while the host observes the data path. */
  readonly counters: DataPathCounters;
}

/** An OID request NDIS holds for an adapter: pending at its miniport or queued behind. */
/**
 * NDIS itself as the issuer of a request that enters an adapter's stack at the top (the host's
 * `oidRequest`, as a query from user mode would): where the result goes.
 */
export interface NdisOidIssuer {
  readonly kind: "ndis";
  readonly adapter: MiniportAdapter;
  readonly onComplete: (status: number) => void;
}

export interface OidEntry {
  /** The issuing binding; null for a request NDIS itself issues (power, …). */
  readonly binding: Binding | FilterModule | null;
  readonly request: NDIS_OID_REQUEST;
  /** True once the issuer was told PENDING: the result then goes to ProtocolOidRequestComplete. */
  queued: boolean;
  /** For NDIS's own requests: where the result goes. */
  readonly onComplete?: (status: number) => void;
  /** For the merged request NDIS issues on a binding's set of its filter: that binding. */
  readonly onBehalfOf?: Binding;
}

export interface DeviceInstance {
  /** The device instance name (`\Device\{GUID}` on Windows; any unique name here). */
  readonly name: string;
  readonly block: MiniportDriverBlock;
  /** The DeviceContext given to NdisIMInitializeDeviceInstanceEx. */
  context: unknown;
  /**
   * wanted: the start is queued and can still be cancelled; starting: MiniportInitializeEx is
   * running or ran; started: the virtual miniport exists; disabled: the user disabled it and it
   * waits for a re-enable.
   */
  state: "wanted" | "starting" | "started" | "disabled";
  adapter: MiniportAdapter | null;
}

/** What the PnP manager does for NDIS with virtual devices. The host provides it. */
export interface PnpManager {
  /** Starts a wanted instance: MiniportInitializeEx, binds above it, restart. */
  startDevice(instance: DeviceInstance): void;
  /** Tears a virtual miniport down because its IM driver asked (NdisIMDeInitializeDeviceInstance). */
  deinitializeDevice(adapter: MiniportAdapter): void;
  /** Removes everything of a driver the verifier stopped, without calling it again. */
  containDriver(driver: DriverRecord): void;
  /** A filter driver registered: attach its modules to the stacks it is installed on. */
  filterRegistered(block: FilterDriverBlock): void;
  /** A module asked to be restarted (NdisFRestartFilter): pause and restart its stack. */
  restartFilterStack(adapter: MiniportAdapter): void;
  /** A protocol asked to be unbound (NdisUnbindAdapter): pause and unbind it, later. */
  unbindAdapter(binding: Binding): void;
  /** A miniport reported its adapter unrecoverable (NdisMRemoveMiniport): remove it, later. */
  removeMiniport(adapter: MiniportAdapter): void;
}

/** What a handle was opened for: an adapter, a binding, or the driver itself. */
export type ResourceOwner = MiniportAdapter | Binding | FilterModule | null;

export interface ConfigRecord {
  readonly kind: "configuration";
  readonly driver: DriverRecord;
  readonly owner: ResourceOwner;
  readonly label: string;
  readonly values: ReadonlyMap<string, RegistryValue>;
  handle: NDIS_HANDLE;
  /** Parameters NdisReadConfiguration handed out; NDIS frees them with the handle. */
  readonly parameters: NDIS_CONFIGURATION_PARAMETER[];
}

/** A kernel timer set or a DPC queued by a driver (api/ke-timer.ts): named, and stoppable. */
export interface KernelPending {
  /** `kernel timer of kmini, DPC KminiTick` */
  readonly label: string;
  /** Cancels it without running anything. */
  stop(): void;
}

export interface TimerRecord {
  readonly kind: "timer";
  readonly driver: DriverRecord;
  readonly owner: ResourceOwner;
  readonly label: string;
  handle: NDIS_HANDLE;
  readonly TimerFunction: NDIS_TIMER_FUNCTION;
  /** The FunctionContext of the characteristics, or of the latest NdisSetTimerObject. */
  context: unknown;
  /** Cancels the pending expiry on the host clock; null when the timer is not set. */
  cancel: (() => void) | null;
  /** 0 for a one-shot timer. */
  periodMs: number;
  /** Times the timer function ran. */
  fired: number;
}

/**
 * An OID request cloned with NdisAllocateCloneOidRequest and not yet freed with
 * NdisFreeCloneOidRequest: the driver's until it frees it, whatever became of the original.
 */
export interface CloneRecord {
  readonly kind: "oid-clone";
  readonly driver: DriverRecord;
  readonly owner: ResourceOwner;
  readonly label: string;
  readonly request: object;
}

/** A control device an NDIS driver registered (NdisRegisterDeviceEx) and its open handles. */
export interface DeviceRecord {
  readonly kind: "device";
  readonly driver: DriverRecord;
  /** `\Device\Name`. */
  readonly deviceName: string;
  /** The symbolic link's name without its prefix (`Name` of `\DosDevices\Name`), or null. */
  linkName: string | null;
  /**
   * Made by IoCreateDevice (the driver's own device, deleted with IoDeleteDevice; its symbolic
   * link is IoCreateSymbolicLink's) rather than NdisRegisterDeviceEx.
   */
  readonly wdm: boolean;
  readonly majorFunctions: readonly unknown[];
  readonly deviceObject: DEVICE_OBJECT;
  readonly extension: Uint8Array;
  handle: NDIS_HANDLE;
  /** NdisDeregisterDeviceEx was called (or NDIS deregistered it): no new opens. */
  deregistered: boolean;
  /** Handles open on it (FILE_OBJECTs), each with its requests not completed yet. */
  readonly files: Set<{ readonly file: FILE_OBJECT; readonly pending: Set<IRP> }>;
}

/** NDIS_IO_WORKITEM_ROUTINE: runs at PASSIVE_LEVEL with the context given to the queue call. */
export type WorkItemRoutine = (WorkItemContext: unknown, NdisIoWorkItemHandle: NDIS_HANDLE) => void;

export interface WorkItemRecord {
  readonly kind: "work-item";
  readonly driver: DriverRecord;
  readonly owner: ResourceOwner;
  readonly label: string;
  handle: NDIS_HANDLE;
  /** Cancels the queued run on the host clock; null when not queued. */
  cancel: (() => void) | null;
}

/** Counters of one adapter or one binding. Packets are NET_BUFFERs (frames). */
export interface DataPathCounters {
  /** Frames handed to MiniportSendNetBufferLists (through this binding / to this adapter). */
  sentPackets: number;
  sentBytes: number;
  /** Frames whose NBL was completed with a status other than SUCCESS. */
  sendErrors: number;
  /** Frames completed at once with NDIS_STATUS_PAUSED (binding or adapter not Running). */
  sendsRefused: number;
  /** Frames indicated (by this adapter / to this binding). */
  receivedPackets: number;
  receivedBytes: number;
  /** Frames an adapter indicated while no binding was Running to take them. */
  receiveDrops: number;
}

/** One frame crossing an adapter's edge, as a capture sees it. */
export interface FrameEvent {
  /** The adapter's device instance name: one capture interface per adapter. */
  readonly adapter: string;
  /** "send": down into MiniportSendNetBufferLists; "receive": up from the adapter's indication. */
  readonly direction: "send" | "receive";
  /** The protocol edge that sent it, for sends. */
  readonly protocol: string | null;
  /** The host clock's time, in nanoseconds. */
  readonly timeNs: bigint;
  /** A copy of the frame's used data. */
  readonly data: Uint8Array;
}

export type FrameListener = (event: FrameEvent) => void;

/** An MDL NDIS created (NdisAllocateMdl, pool data, retreat). */
export class MdlObject implements MDL {
  Next: MDL | null = null;
  readonly MappedSystemVa: Uint8Array;
  readonly ByteCount: number;
  /** Who made it: NdisAllocateMdl, a pool (goes with its NB), a retreat, a partial MDL. */
  readonly origin: "driver" | "pool" | "retreat" | "partial";
  freed = false;
  /** For a retreat MDL: the chain it displaced, to put back when an advance frees it. */
  restore: RetreatRestore | null = null;
  /** The record of its mirror in a C driver module's memory (src/wasm/nbl-mirror.ts), or null. */
  cMirror: unknown = null;

  /** The NDIS that made it, for reports about it. */
  readonly runtime: NdisRuntime;

  constructor(runtime: NdisRuntime, buffer: Uint8Array, origin: MdlObject["origin"]) {
    this.runtime = runtime;
    this.MappedSystemVa = buffer;
    this.ByteCount = buffer.length;
    this.origin = origin;
  }
}

interface RetreatRestore {
  /** The NB's MdlChain before the retreat. */
  readonly chain: MDL | null;
  /** The NB's DataOffset before the retreat: where the displaced chain's used data starts. */
  readonly skipped: number;
}

/** NET_BUFFER_LIST_CONTEXT block. */
export class ContextBlock implements NET_BUFFER_LIST_CONTEXT {
  /** Written only by NDIS: when a freed block is reused (see NetBufferListObject.spareContext). */
  Next: NET_BUFFER_LIST_CONTEXT | null;
  readonly Size: number;
  /** True for the block the pool reserves with every NBL; it is never given back. */
  readonly reserved: boolean;
  readonly ContextData: unknown[];
  Offset: number;
  /** The record of its mirror in a C driver module's memory (src/wasm/nbl-mirror.ts), or null. */
  cMirror: unknown = null;

  constructor(next: NET_BUFFER_LIST_CONTEXT | null, size: number, reserved: boolean) {
    this.Next = next;
    this.Size = size;
    this.reserved = reserved;
    this.ContextData = new Array<unknown>(size / NDIS_CONTEXT_CELL_SIZE).fill(undefined);
    this.Offset = size;
  }
}

export class NetBufferObject implements NET_BUFFER {
  Next: NET_BUFFER | null = null;
  CurrentMdl: MDL | null = null;
  CurrentMdlOffset = 0;
  DataLength = 0;
  MdlChain: MDL | null = null;
  DataOffset = 0;
  ChecksumBias = 0;
  readonly ProtocolReserved: unknown[] = [null, null, null, null, null, null];
  readonly MiniportReserved: unknown[] = [null, null, null, null];
  allocated = false;
  poisoned = false;
  readonly pool: NbPool | NblPool;
  readonly NdisPoolHandle: NDIS_HANDLE;
  /** The MDL and buffer the pool gives with this NB (DataSize), else null. */
  readonly poolMdl: MdlObject | null;
  /** True when the NB comes with an NBL and goes with it. */
  readonly withNbl: boolean;
  /** The record of its mirror in a C driver module's memory (src/wasm/nbl-mirror.ts), or null. */
  cMirror: unknown = null;

  constructor(pool: NbPool | NblPool, poolMdl: MdlObject | null, withNbl: boolean) {
    this.pool = pool;
    this.NdisPoolHandle = pool.handle;
    this.poolMdl = poolMdl;
    this.withNbl = withNbl;
  }
}

export class NetBufferListObject implements NET_BUFFER_LIST {
  // The fields the data path reads or writes per NBL per crossing come first, so that they share
  // the object's first cache lines (V8 lays fields out in the order they are defined): with them
  // spread over four lines, as before session 8, a passthrough send at 64 NBLs cost ~11 % more.
  Next: NET_BUFFER_LIST | null = null;
  /** The driver that holds the NBL now. */
  owner: DriverRecord | null = null;
  SourceHandle: NDIS_HANDLE | null = null;
  FirstNetBuffer: NET_BUFFER | null = null;
  Context: NET_BUFFER_LIST_CONTEXT | null = null;
  /**
   * The send path: the edges (bindings, filter modules) it was sent from and not yet completed
   * to, `sendDepth` of them, outermost first. The first three sit in fields of the NBL (the
   * third, which only a stack two IMs deep uses, apart from the first cache lines), deeper ones
   * in `sendDeeper` (read and change it through sendEdgeAt, topSendEdge, pushSendEdge,
   * popSendEdge). A crossing of a stack up to two edges deep (a protocol on a miniport, on an IM,
   * or on a filter module) then records and checks the path on the NBL's first cache lines,
   * where an array of its own put two more objects (the array and its element store) in every
   * crossing's way.
   */
  sendDepth = 0;
  sendEdge0: Binding | FilterModule | null = null;
  sendEdge1: Binding | FilterModule | null = null;
  /** Times NDIS handed it to a MiniportSendNetBufferLists (the send watchdog tells sends apart). */
  sendCount = 0;
  /** Derived NBLs made from this one and not yet freed (NDIS's own count, not ChildRefCount). */
  liveChildren = 0;
  /**
   * Who made each context allocation (NdisAllocateNetBufferListContext) not yet freed, oldest
   * first: the NBL's holder at the call, `contextDepth` of them. NdisFreeNetBufferList names
   * those still there. Kept only when `recordsContext`; otherwise always none. The first sits in
   * `contextOwner0`, on the NBL's first cache lines (the one an IM layer's allocation makes), and
   * further ones in `contextOwnersDeeper` by index, as the send path is kept (sendDepth); read
   * and change it through contextOwnerAt, pushContextOwner, popContextOwner.
   */
  contextDepth = 0;
  contextOwner0: DriverRecord | null = null;
  /**
   * False under verifier "off", where no report that reads the context owners is ever made
   * (Ndis.violate returns at once): the record is the verifier's, and an IM would pay for it twice
   * per NBL per layer for nothing.
   */
  readonly recordsContext: boolean = false;
  /** The send path's third edge (see sendDepth). */
  sendEdge2: Binding | FilterModule | null = null;
  /**
   * The receive path: the edges that indicated it and have not had it back (the miniport
   * adapter, filter modules), `recvDepth` of them, outermost first, and for each the binding(s)
   * or module holding the indication (null under NDIS_RECEIVE_FLAGS_RESOURCES). The first three
   * levels (a protocol on two IMs) sit in fields, deeper ones in `recvAdaptersDeeper` and
   * `recvHoldersDeeper` by index, as the send path is kept (sendDepth); read and change it
   * through recvAdapterAt, recvHolderAt, pushRecv and popRecv. A receive crossing of a stack up
   * to three levels deep then touches none of the four objects two arrays of its own were.
   */
  recvDepth = 0;
  recvAdapter0: MiniportAdapter | FilterModule | null = null;
  recvHolder0: Binding | Binding[] | FilterModule | null = null;
  recvAdapter1: MiniportAdapter | FilterModule | null = null;
  recvHolder1: Binding | Binding[] | FilterModule | null = null;
  recvAdapter2: MiniportAdapter | FilterModule | null = null;
  recvHolder2: Binding | Binding[] | FilterModule | null = null;
  /** The context owners beyond the first (see contextDepth): the first `contextDepth - 1` count. */
  readonly contextOwnersDeeper: (DriverRecord | null)[] = [];
  /** The receive path's levels beyond the first three (see recvDepth). */
  readonly recvAdaptersDeeper: (MiniportAdapter | FilterModule)[] = [];
  readonly recvHoldersDeeper: (Binding | Binding[] | FilterModule | null)[] = [];
  /**
   * The send path's edges beyond the first three (see sendDepth), outermost first: the first
   * `sendDepth - 3` entries count. A completion only lowers sendDepth; the entry stays until a
   * deeper send writes over it or the NBL is allocated again (never a call to push or pop, so a
   * crossing's loop does its record and check with plain loads and stores at any depth).
   */
  readonly sendDeeper: (Binding | FilterModule)[] = [];
  ParentNetBufferList: NET_BUFFER_LIST | null = null;
  readonly ProtocolReserved: unknown[] = [null, null, null, null];
  readonly MiniportReserved: unknown[] = [null, null];
  Scratch: unknown = null;
  NblFlags = 0;
  ChildRefCount = 0;
  Flags = 0;
  Status: NDIS_STATUS = NDIS_STATUS_SUCCESS;
  /**
   * The info slots' own array. `NetBufferListInfo` is this array until a C driver's mirror puts
   * a view of it there that counts every write in `infoWrites` (src/wasm/nbl-mirror.ts), so the
   * mirror syncs the slots only after somebody wrote one; NDIS writes here and counts its write.
   */
  readonly infoCells: unknown[] = Array.from({ length: NDIS_NBL_INFO_SLOTS }, () => null);
  readonly NetBufferListInfo: unknown[] = this.infoCells;
  /** Writes to the info slots since the NBL was made, as far as they are counted (above). */
  infoWrites = 0;
  /** The C mirror's record whose struct may hold info slot writes not brought over yet, or null. */
  cInfoPending: unknown = null;
  allocated = false;
  poisoned = false;
  /** NDIS's mark while it walks a chain (to find cycles without allocating). */
  stamp = 0;
  /**
   * How NDIS made it: an ordinary allocation, or a NET_BUFFER_LIST derived from `derivedFrom`
   * (NdisAllocateClone/Fragment/ReassembledNetBufferList), freed only by the matching free.
   */
  derivedKind: "clone" | "fragment" | "reassembled" | null = null;
  derivedFrom: NetBufferListObject | null = null;
  /**
   * The last context block freed off this NBL, kept for the next allocation of the same size: an
   * IM stamping every NBL it forwards allocates no block in steady state.
   */
  spareContext: ContextBlock | null = null;
  /** The context block the pool reserves (ContextSize), or null. */
  readonly reservedContext: ContextBlock | null;
  readonly pool: NblPool;
  readonly NdisPoolHandle: NDIS_HANDLE;
  /** The NB the pool gives with this NBL (fAllocateNetBuffer), or null. */
  readonly poolNb: NetBufferObject | null;
  /** The record of its mirror in a C driver module's memory (src/wasm/nbl-mirror.ts), or null. */
  cMirror: unknown = null;

  constructor(pool: NblPool, poolNb: NetBufferObject | null) {
    this.pool = pool;
    this.NdisPoolHandle = pool.handle;
    this.poolNb = poolNb;
    this.recordsContext = pool.driver.runtime.verifierMode !== "off";
    // The path arrays (and the context owners' record, where kept) get their element store now,
    // next to the NBL in memory, rather than at the first crossing among whatever else is
    // allocated then: each crossing or context call reads and writes them per NBL (a passthrough
    // send at 64 NBLs ~2-4 % faster; verifier strict's, which records context owners, 1.20-1.22×
    // off's time without this and 1.05-1.14× with it, in bench:datapath runs).
    const paths = [this.sendDeeper, this.recvAdaptersDeeper, this.recvHoldersDeeper];
    if (this.recordsContext) paths.push(this.contextOwnersDeeper as never);
    for (const path of paths) {
      path.push(null as never);
      path.pop();
    }
    const size = pool.params.ContextSize;
    this.reservedContext = size > 0 ? new ContextBlock(null, size, true) : null;
  }
}

/** How many edges of a send path sit in the NBL's own fields (sendEdge0, sendEdge1, sendEdge2). */
export const SEND_EDGES_INLINE = 3;

/** The edge at `index` of `nbl`'s send path (0 the outermost), or undefined past its depth. */
export function sendEdgeAt(
  nbl: NetBufferListObject,
  index: number,
): Binding | FilterModule | undefined {
  if (index < 0 || index >= nbl.sendDepth) return undefined;
  if (index === 0) return nbl.sendEdge0 as Binding | FilterModule;
  if (index === 1) return nbl.sendEdge1 as Binding | FilterModule;
  if (index === 2) return nbl.sendEdge2 as Binding | FilterModule;
  return nbl.sendDeeper[index - SEND_EDGES_INLINE];
}

/** The innermost edge of `nbl`'s send path (the one its completion goes to next), or undefined. */
export function topSendEdge(nbl: NetBufferListObject): Binding | FilterModule | undefined {
  const depth = nbl.sendDepth;
  if (depth === 1) return nbl.sendEdge0 as Binding | FilterModule;
  if (depth === 2) return nbl.sendEdge1 as Binding | FilterModule;
  if (depth === 3) return nbl.sendEdge2 as Binding | FilterModule;
  return depth === 0 ? undefined : nbl.sendDeeper[depth - 1 - SEND_EDGES_INLINE];
}

/** Records that `edge` sent `nbl` on down. */
export function pushSendEdge(nbl: NetBufferListObject, edge: Binding | FilterModule): void {
  const depth = nbl.sendDepth;
  if (depth === 0) nbl.sendEdge0 = edge;
  else if (depth === 1) nbl.sendEdge1 = edge;
  else if (depth === 2) nbl.sendEdge2 = edge;
  // At most one past the entries that count: the array never gets a hole.
  else nbl.sendDeeper[depth - SEND_EDGES_INLINE] = edge;
  nbl.sendDepth = depth + 1;
}

/** Takes the innermost edge off `nbl`'s send path (a completion going to it). */
export function popSendEdge(nbl: NetBufferListObject): Binding | FilterModule | undefined {
  const edge = topSendEdge(nbl);
  if (edge !== undefined) nbl.sendDepth--;
  return edge;
}

/** The edge that indicated `nbl` at receive level `index` (0 the outermost), or undefined. */
export function recvAdapterAt(
  nbl: NetBufferListObject,
  index: number,
): MiniportAdapter | FilterModule | undefined {
  if (index < 0 || index >= nbl.recvDepth) return undefined;
  if (index === 0) return nbl.recvAdapter0 as MiniportAdapter | FilterModule;
  if (index === 1) return nbl.recvAdapter1 as MiniportAdapter | FilterModule;
  if (index === 2) return nbl.recvAdapter2 as MiniportAdapter | FilterModule;
  return nbl.recvAdaptersDeeper[index - 3];
}

/**
 * Who holds `nbl`'s indication at receive level `index`: a binding, the bindings, a module, or
 * null (RESOURCES); undefined past its depth.
 */
export function recvHolderAt(
  nbl: NetBufferListObject,
  index: number,
): Binding | Binding[] | FilterModule | null | undefined {
  if (index < 0 || index >= nbl.recvDepth) return undefined;
  if (index === 0) return nbl.recvHolder0;
  if (index === 1) return nbl.recvHolder1;
  if (index === 2) return nbl.recvHolder2;
  return nbl.recvHoldersDeeper[index - 3];
}

/** The edge that indicated `nbl` last (its return goes there next), or undefined. */
export function topRecvAdapter(
  nbl: NetBufferListObject,
): MiniportAdapter | FilterModule | undefined {
  const depth = nbl.recvDepth;
  if (depth === 1) return nbl.recvAdapter0 as MiniportAdapter | FilterModule;
  if (depth === 2) return nbl.recvAdapter1 as MiniportAdapter | FilterModule;
  if (depth === 3) return nbl.recvAdapter2 as MiniportAdapter | FilterModule;
  return depth === 0 ? undefined : nbl.recvAdaptersDeeper[depth - 4];
}

/** Who holds `nbl`'s innermost indication (see recvHolderAt), or undefined. */
export function topRecvHolder(
  nbl: NetBufferListObject,
): Binding | Binding[] | FilterModule | null | undefined {
  const depth = nbl.recvDepth;
  if (depth === 1) return nbl.recvHolder0;
  if (depth === 2) return nbl.recvHolder1;
  if (depth === 3) return nbl.recvHolder2;
  return depth === 0 ? undefined : nbl.recvHoldersDeeper[depth - 4];
}

/** Records an indication of `nbl` by `adapter`, held by `holder`. */
export function pushRecv(
  nbl: NetBufferListObject,
  adapter: MiniportAdapter | FilterModule,
  holder: Binding | Binding[] | FilterModule | null,
): void {
  const depth = nbl.recvDepth;
  if (depth === 0) {
    nbl.recvAdapter0 = adapter;
    nbl.recvHolder0 = holder;
  } else if (depth === 1) {
    nbl.recvAdapter1 = adapter;
    nbl.recvHolder1 = holder;
  } else if (depth === 2) {
    nbl.recvAdapter2 = adapter;
    nbl.recvHolder2 = holder;
  } else {
    // At most one past the entries that count: the arrays never get a hole.
    nbl.recvAdaptersDeeper[depth - 3] = adapter;
    nbl.recvHoldersDeeper[depth - 3] = holder;
  }
  nbl.recvDepth = depth + 1;
}

/** The edges that indicated `nbl` as a new array, outermost first (for reports and slow checks). */
export function recvAdaptersOf(nbl: NetBufferListObject): (MiniportAdapter | FilterModule)[] {
  const adapters: (MiniportAdapter | FilterModule)[] = [];
  for (let i = 0; i < nbl.recvDepth; i++)
    adapters.push(recvAdapterAt(nbl, i) as MiniportAdapter | FilterModule);
  return adapters;
}

/** Drops `nbl`'s innermost receive level (returned to the edge that indicated it). */
export function popRecv(nbl: NetBufferListObject): void {
  if (nbl.recvDepth !== 0) nbl.recvDepth--;
}

/** Empties `nbl`'s receive path. */
export function clearRecv(nbl: NetBufferListObject): void {
  nbl.recvDepth = 0;
  nbl.recvAdapter0 = null;
  nbl.recvHolder0 = null;
  nbl.recvAdapter1 = null;
  nbl.recvHolder1 = null;
  nbl.recvAdapter2 = null;
  nbl.recvHolder2 = null;
  // Setting an array's length is a runtime call even when it is already empty.
  if (nbl.recvAdaptersDeeper.length !== 0) nbl.recvAdaptersDeeper.length = 0;
  if (nbl.recvHoldersDeeper.length !== 0) nbl.recvHoldersDeeper.length = 0;
}

/** The context owner at `index` (0 the oldest allocation not yet freed); undefined past them. */
export function contextOwnerAt(
  nbl: NetBufferListObject,
  index: number,
): DriverRecord | null | undefined {
  if (index < 0 || index >= nbl.contextDepth) return undefined;
  return index === 0 ? nbl.contextOwner0 : nbl.contextOwnersDeeper[index - 1];
}

/** The owner of the newest context allocation not yet freed, or undefined. */
export function topContextOwner(nbl: NetBufferListObject): DriverRecord | null | undefined {
  const depth = nbl.contextDepth;
  if (depth === 1) return nbl.contextOwner0;
  return depth === 0 ? undefined : nbl.contextOwnersDeeper[depth - 2];
}

/** Records `owner` as the maker of a new context allocation (verifier record and strict). */
export function pushContextOwner(nbl: NetBufferListObject, owner: DriverRecord | null): void {
  const depth = nbl.contextDepth;
  if (depth === 0) nbl.contextOwner0 = owner;
  // At most one past the entries that count: the array never gets a hole.
  else nbl.contextOwnersDeeper[depth - 1] = owner;
  nbl.contextDepth = depth + 1;
}

/** Drops the record of the newest context allocation (freed). */
export function popContextOwner(nbl: NetBufferListObject): void {
  if (nbl.contextDepth !== 0) nbl.contextDepth--;
}

/** The context owners of `nbl` as a new array, oldest first (for reports). */
export function contextOwnersOf(nbl: NetBufferListObject): (DriverRecord | null)[] {
  const owners: (DriverRecord | null)[] = [];
  for (let i = 0; i < nbl.contextDepth; i++) owners.push(contextOwnerAt(nbl, i) ?? null);
  return owners;
}

/** Forgets every context owner of `nbl`. */
export function clearContextOwners(nbl: NetBufferListObject): void {
  nbl.contextDepth = 0;
  nbl.contextOwner0 = null;
  if (nbl.contextOwnersDeeper.length !== 0) nbl.contextOwnersDeeper.length = 0;
}

/** The send path of `nbl` as a new array, outermost first (for reports and slow checks). */
export function sendEdges(nbl: NetBufferListObject): (Binding | FilterModule)[] {
  const edges: (Binding | FilterModule)[] = [];
  for (let i = 0; i < nbl.sendDepth; i++) edges.push(sendEdgeAt(nbl, i) as Binding | FilterModule);
  return edges;
}

/** Empties `nbl`'s send path. */
export function clearSendEdges(nbl: NetBufferListObject): void {
  nbl.sendDepth = 0;
  nbl.sendEdge0 = null;
  nbl.sendEdge1 = null;
  nbl.sendEdge2 = null;
  // Setting an array's length is a runtime call even when it is already empty.
  if (nbl.sendDeeper.length !== 0) nbl.sendDeeper.length = 0;
}

export interface NblPoolParams {
  readonly ProtocolId: number;
  readonly fAllocateNetBuffer: boolean;
  readonly ContextSize: number;
  readonly PoolTag: number;
  readonly DataSize: number;
  readonly verify: boolean;
}

export interface NbPoolParams {
  readonly PoolTag: number;
  readonly DataSize: number;
  readonly verify: boolean;
}

interface PoolBase {
  readonly driver: DriverRecord;
  /** The adapter whose MiniportAdapterHandle allocated the pool (freed by the end of its halt). */
  readonly adapter: MiniportAdapter | null;
  /** What the pool was allocated with, for reports. */
  readonly label: string;
  handle: NDIS_HANDLE;
  /** Objects allocated and not yet freed. */
  outstanding: number;
  freed: boolean;
}

export interface NblPool extends PoolBase {
  readonly kind: "nbl-pool";
  readonly params: NblPoolParams;
  readonly free: NetBufferListObject[];
  /** Every NBL the pool ever made (made once, reused), so NDIS can find those a stopped driver holds. */
  readonly all: NetBufferListObject[];
}

export interface NbPool extends PoolBase {
  readonly kind: "nb-pool";
  readonly params: NbPoolParams;
  readonly free: NetBufferObject[];
}
