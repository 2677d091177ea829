/**
 * NdisHost: the emulated operating system around one NDIS. It loads driver modules (creating the
 * DRIVER_OBJECT and calling DriverEntry, as the I/O manager does), unloads them, and shows what
 * NDIS holds: drivers and their registered edges, the DDI trace, and the verifier's findings.
 *
 * Several hosts can live in one process; each is a separate machine.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND,
  NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK,
  NDIS_PAUSE_LOW_POWER,
  NDIS_PAUSE_NDIS_INTERNAL,
  NDIS_PAUSE_UNBIND_PROTOCOL,
  NdisDeviceStateD0,
  NdisDeviceStateD3,
  NdisPowerProfileAcOnLine,
  NdisPowerProfileBattery,
} from "../ndis/adapter.js";
import { NdisError } from "../ndis/errors.js";
import { HIGH_LEVEL, PASSIVE_LEVEL } from "../ndis/irql.js";
import { NDIS_OBJECT_TYPE_DEFAULT, ndisObjectTypeToString } from "../ndis/object-header.js";
import {
  makeOidRequest,
  type NDIS_OID_REQUEST,
  NDIS_OIDS,
  NdisRequestQueryInformation,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_PNP_SET_POWER,
} from "../ndis/oid.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_ADAPTER_NOT_READY,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NT_SUCCESS,
  ndisStatusToString,
} from "../ndis/status.js";
import {
  type NDIS_SHUTDOWN_ACTION,
  NdisHaltDeviceDisabled,
  NdisHaltDeviceFailed,
  NdisHaltDevicePoweredDown,
  NdisHaltDeviceStopped,
  NdisShutdownBugCheck,
  NdisShutdownPowerOff,
  NetEventBindsComplete,
  NetEventCancelRemoveDevice,
  NetEventIMReEnableDevice,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
  NetEventReconfigure,
  NetEventSetPower,
} from "../ndis/structs.js";
import type { DRIVER_OBJECT } from "../ndis/types.js";
import {
  NDIS_LATEST_RUNTIME_VERSION,
  type NdisVersionInfo,
  ndisVersionByRuntimeVersion,
  parseNdisVersion,
} from "../ndis/version.js";
import { type HostClock, realClock } from "../runtime/core/base/clock.js";
import type { TraceListener } from "../runtime/core/base/trace.js";
import { callDriver, describeThrown, isPromiseLike } from "../runtime/core/objects/context.js";
import { openDevice } from "../runtime/core/objects/devices.js";
import type {
  AllocationSite,
  Binding,
  DataPathCounters,
  DriverRecord,
  FilterInstall,
  FilterModule,
  FrameListener,
  MiniportAdapter,
  NdisRuntime,
  PendingSite,
  ProtocolDriverBlock,
  RegistryValue,
} from "../runtime/core/objects/records.js";
import { reclaimAtUnload, registryReadsOf } from "../runtime/core/objects/resources.js";
import { DEFAULT_WATCHDOG_LIMITS, type WatchdogLimits } from "../runtime/core/policy/watchdog.js";
import { bindingKey, Ndis } from "../runtime/core/runtime.js";
import {
  createAdapter,
  haltAdapterForPower,
  initializeAdapter,
  notifyPowerProfile,
  retireAdapter,
  shutdownAdapter,
  waitForState,
} from "../runtime/core/stack/adapter.js";
import {
  bindingsOf,
  bindProtocol,
  createBinding,
  deliverPnPEvent,
  netPnPNotification,
  retireBinding,
} from "../runtime/core/stack/binding.js";
import {
  createDriverRecord,
  filterClassOrder,
  liveRegistrations,
  retireDriver,
} from "../runtime/core/stack/driver.js";
import { ifStackTable, type NDIS_IF_STACK_ENTRY } from "../runtime/core/stack/ifstack.js";
import { filtersTakeNetPnP, netPnPUp } from "../runtime/core/stack/net-pnp.js";
import {
  abortOids,
  issueNdisOid,
  issueNdisOidFromTop,
  resumeOids,
} from "../runtime/core/stack/oid.js";
import { startReset } from "../runtime/core/stack/reset.js";
import { VERIFIER_MODES, type VerifierMode, type Violation } from "../verifier/violation.js";
import { DeviceFile, DeviceIoError } from "./device-file.js";
import { importModuleFile } from "./module-import.js";
import { type BindingPath, type BindingPaths, Stacks } from "./stacks.js";

export type { AllocationSite, BindingPath, BindingPaths, PendingSite, RegistryValue };

/** A registry value no driver read (see NdisHost.unreadRegistryValues). */
export interface UnreadRegistryValue {
  /** Whose key: a driver's Parameters, an adapter's (device instance) key, a binding's. */
  readonly scope: "driver" | "adapter" | "binding";
  /** The driver that reads that key. */
  readonly driver: string;
  /** The driver, adapter or `protocol → adapter` the key belongs to. */
  readonly owner: string;
  readonly name: string;
  /** What the driver did read under that key (lower-cased). */
  readonly read: readonly string[];
}

/** What a sleeping system must bring back: adapters kept in low power, devices halted. */
interface Asleep {
  /** Every adapter, in the order they went to sleep (the stacks above first). */
  readonly order: MiniportAdapter[];
  readonly lowPower: MiniportAdapter[];
  /** Halted with NdisHaltDevicePoweredDown, kept with their bindings for MiniportInitializeEx. */
  readonly halted: MiniportAdapter[];
  /** Bindings NDIS undid because their protocol answered NetEventSetPower NOT_SUPPORTED. */
  readonly unbound: { protocol: ProtocolDriverBlock; adapter: MiniportAdapter }[];
}

/** OID_PNP_SET_POWER with an NDIS_DEVICE_POWER_STATE, as NDIS issues it around sleep. */
function powerRequest(state: number): NDIS_OID_REQUEST {
  const buffer = new Uint8Array(4);
  new DataView(buffer.buffer).setUint32(0, state, true);
  return makeOidRequest({
    RequestType: NdisRequestSetInformation,
    Oid: OID_PNP_SET_POWER,
    InformationBuffer: buffer,
  });
}

export interface NdisHostOptions {
  /**
   * The NDIS version this host emulates, as NdisGetVersion returns it: `(major << 16) | minor`
   * (NDIS_RUNTIME_VERSION_630), or a string such as "6.30". Default 6.89.
   */
  readonly ndisVersion?: number | string;
  /** Default `strict`. */
  readonly verifier?: VerifierMode;
  /**
   * Accept header Type NDIS_OBJECT_TYPE_DEFAULT (0x80) in characteristics tables, as Windows does
   * for Microsoft's MUX sample. Default false: only the documented types are accepted.
   */
  readonly acceptDefaultHeaderType?: boolean;
  /**
   * The binding paths: which protocol binds to which adapter. `"all"` (the default) binds every
   * protocol to every adapter; a list binds only the pairs it names.
   */
  readonly bindings?: BindingPaths;
  /**
   * The system's power source, told to every adapter after it initializes
   * (NdisDevicePnPEventPowerProfileChanged). Default "ac".
   */
  readonly powerProfile?: "ac" | "battery";
  /**
   * Where NDIS timers get their time. Default: the real clock. Tests pass a `ManualClock` and
   * advance it instead of sleeping.
   */
  readonly clock?: HostClock;
  /**
   * The watchdogs' limits in milliseconds of host time (Driver Verifier's by default: pause 10 s,
   * OID 12 s, a send 30 s, no send progress 22 s).
   */
  readonly watchdogs?: Partial<WatchdogLimits>;
  /**
   * Keep the verifier's flight recorder: the latest control-path calls, which a violation report
   * names. Default true. False builds no event for it (the explorer's many short runs, where
   * nobody reads them: it replays a failing run with the recorder on for its report); a report
   * then names no recent calls. Trace listeners hear every event either way.
   */
  readonly flightRecorder?: boolean;
}

function checkBindingPaths(
  paths: unknown,
  code: "NDIS_ERR_INVALID_OPTION" | "NDIS_ERR_INVALID_ARGUMENT",
): BindingPaths {
  const ok =
    paths === "all" ||
    (Array.isArray(paths) &&
      paths.every(
        (p) =>
          typeof p === "object" &&
          p !== null &&
          typeof p.protocol === "string" &&
          typeof p.adapter === "string" &&
          (p.registry === undefined ||
            (typeof p.registry === "object" && p.registry !== null && !Array.isArray(p.registry))),
      ));
  if (!ok)
    throw new NdisError(
      code,
      'bindings is "all" or a list of { protocol, adapter, registry? } (names, and an object of registry values)',
    );
  return paths === "all"
    ? "all"
    : Object.freeze(
        (paths as { protocol: string; adapter: string; registry?: unknown }[]).map((p) => {
          const path: BindingPath = { protocol: p.protocol, adapter: p.adapter };
          if (p.registry === undefined) return path;
          const registry = checkRegistry(`${p.protocol} → ${p.adapter}`, p.registry);
          return { ...path, registry: Object.fromEntries(registry) };
        }),
      );
}

/** A driver module: what `import()` of a driver file gives. */
export interface DriverModule {
  readonly DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => unknown;
}

export interface LoadDriverOptions {
  /** The service name (`passthrough`): the DRIVER_OBJECT is `\Driver\<name>`. */
  readonly name: string;
  /** The driver module, or a path / package specifier to import it from. */
  readonly module: DriverModule | string;
  /** The driver's Parameters registry values. */
  readonly registry?: Readonly<Record<string, RegistryValue>>;
  /** For a filter driver: how it is installed (its INF). Defaults in FilterInstallOptions. */
  readonly filter?: FilterInstallOptions;
}

/**
 * How a filter driver is installed — what its INF would say. Its modules attach to every adapter
 * it names (all by default), ordered in each stack by class (FILTER_CLASS_ORDER: `scheduler`
 * nearest the protocols … `identification` nearest the miniport; default `custom`), then by load
 * order (a later filter of the same class sits above).
 */
export interface FilterInstallOptions {
  /** FilterClass. Default "custom". */
  readonly class?: string | undefined;
  /** FilterType. Default "modifying". */
  readonly type?: "monitoring" | "modifying" | undefined;
  /** FilterRunType mandatory: the stack does not start without it. Default false (optional). */
  readonly mandatory?: boolean | undefined;
  /** The adapters its modules attach to. Default: every adapter. */
  readonly adapters?: readonly string[] | undefined;
  /** NetCfgInstanceId: when given, the driver's UniqueName must be this GUID. */
  readonly uniqueName?: string | undefined;
}

/** What NDIS holds for one filter module. */
export interface FilterModuleInfo {
  /** The filter driver's service name. */
  readonly driver: string;
  readonly adapter: string;
  /** Detached, Attaching, Paused, Restarting, Running or Pausing. */
  readonly state: string;
  readonly filterClass: string;
  readonly type: "monitoring" | "modifying";
  readonly mandatory: boolean;
  /** False when NDIS bypasses it on the send / receive path (no handler). */
  readonly sends: boolean;
  readonly receives: boolean;
  /** NBLs passed down and not yet back; indicated up and not yet back. */
  readonly sendsOutstanding: number;
  readonly receivesOutstanding: number;
  /** NBLs it was given and still holds. */
  readonly held: number;
  readonly counters: Readonly<DataPathCounters>;
}

function checkFilterInstall(
  name: string,
  options: FilterInstallOptions | undefined,
): FilterInstall {
  const o = options ?? {};
  const bad = (what: string) =>
    new NdisError("NDIS_ERR_INVALID_ARGUMENT", `driver ${name}: filter ${what}`);
  if (typeof o !== "object" || o === null) throw bad("options must be an object");
  const filterClass = o.class ?? "custom";
  if (typeof filterClass !== "string" || filterClass.length === 0)
    throw bad("class must be a name");
  const type = o.type ?? "modifying";
  if (type !== "monitoring" && type !== "modifying")
    throw bad('type is "monitoring" or "modifying"');
  if (o.mandatory !== undefined && typeof o.mandatory !== "boolean")
    throw bad("mandatory must be true or false");
  if (
    o.adapters !== undefined &&
    (!Array.isArray(o.adapters) || o.adapters.some((a) => typeof a !== "string"))
  )
    throw bad("adapters must be a list of adapter names");
  if (o.uniqueName !== undefined && typeof o.uniqueName !== "string")
    throw bad("uniqueName must be a GUID in braces");
  return Object.freeze({
    filterClass,
    order: filterClassOrder(filterClass),
    type,
    mandatory: o.mandatory ?? false,
    adapters: o.adapters === undefined ? null : Object.freeze([...o.adapters]),
    ...(o.uniqueName === undefined ? {} : { uniqueName: o.uniqueName }),
  });
}

function describeModule(m: FilterModule): FilterModuleInfo {
  return {
    driver: m.driver.name,
    adapter: m.adapter.name,
    state: m.machine.state,
    filterClass: m.block.install.filterClass,
    type: m.block.install.type,
    mandatory: m.block.install.mandatory,
    sends: m.send !== null,
    receives: m.receive !== null,
    sendsOutstanding: m.sendsOutstanding,
    receivesOutstanding: m.receivesOutstanding,
    held: m.sendsHeld + m.receivesHeld,
    counters: { ...m.counters },
  };
}

export interface LoadDriverResult {
  /** What DriverEntry returned (NDIS_STATUS_FAILURE if it threw or returned a non-status). */
  readonly status: NDIS_STATUS;
  readonly driverObject: DRIVER_OBJECT;
}

/** One registered miniport edge. */
export interface MiniportEdgeInfo {
  readonly intermediate: boolean;
  readonly ndisVersion: string;
  readonly revision: number;
  readonly headerType: string;
  /** The entry points NDIS will call. */
  readonly handlers: readonly string[];
  /** Entry points the driver supplied that NDIS ignores (CheckForHang/Reset of an IM driver). */
  readonly ignoredHandlers: readonly string[];
  readonly optionalHandlers: readonly string[];
  /** Name of the protocol edge associated with NdisIMAssociateMiniport. */
  readonly associatedProtocol: string | null;
}

/** One registered protocol edge. */
export interface ProtocolEdgeInfo {
  readonly name: string;
  readonly ndisVersion: string;
  readonly revision: number;
  readonly headerType: string;
  readonly handlers: readonly string[];
  readonly optionalHandlers: readonly string[];
  readonly associatedWithMiniport: boolean;
}

/** What NDIS holds for one adapter. */
export interface AdapterInfo {
  readonly name: string;
  /** The miniport driver's service name. */
  readonly driver: string;
  readonly intermediate: boolean;
  /** Halted, Initializing, Paused, Restarting, Running, Pausing or Shutdown. */
  readonly state: string;
  readonly ifIndex: number;
  readonly mtu: number | null;
  /** `02-00-00-00-00-01`, from the general attributes. */
  readonly macAddress: string | null;
  readonly mediaConnectState: "connected" | "disconnected" | "unknown" | null;
}

export interface AddAdapterOptions {
  /** Service name of a loaded miniport driver (not an intermediate one). */
  readonly driver: string;
  /** The device instance name (`eth0`), unique on the host. */
  readonly name: string;
  /**
   * The device's parameters (what its INF's AddReg wrote under the adapter's key), read by the
   * driver through NdisOpenConfigurationEx with its MiniportAdapterHandle.
   */
  readonly registry?: Readonly<Record<string, RegistryValue>>;
}

export interface RemoveAdapterOptions {
  /** The device vanished: MiniportDevicePnPEventNotify(NdisDevicePnPEventSurpriseRemoved) first. */
  readonly surprise?: boolean;
  /**
   * Why PnP removes an orderly device, which picks the halt action: "removed" (the default;
   * NdisHaltDeviceDisabled), "stopped" (PnP stop, e.g. to rebalance resources;
   * NdisHaltDeviceStopped), "failed" (the device failed; NdisHaltDeviceFailed).
   */
  readonly reason?: "removed" | "stopped" | "failed";
  /**
   * Ask first (queryRemoveAdapter): if a protocol refuses, nothing is removed and the call
   * rejects with NDIS_ERR_VETOED.
   */
  readonly query?: boolean;
}

const HALT_FOR_REASON = {
  removed: NdisHaltDeviceDisabled,
  stopped: NdisHaltDeviceStopped,
  failed: NdisHaltDeviceFailed,
} as const;

/** An OID request the host sends to an adapter (`NdisHost.oidRequest`). */
export interface HostOidRequest {
  /**
   * NdisRequestQueryInformation ("query"), NdisRequestSetInformation ("set") or
   * NdisRequestQueryStatistics ("statistics", a query as NDIS makes it for statistics).
   */
  readonly type: "query" | "set" | "statistics";
  /** The OID: its value, or its NDIS name ("OID_GEN_STATISTICS"). */
  readonly oid: number | string;
  /**
   * A set's data, or the buffer a query is answered into (then copied); a number is a query
   * buffer of that many zero bytes. Default for queries: 1024 bytes.
   */
  readonly buffer?: Uint8Array | number;
}

/** What the adapter's stack answered (the request's DATA after completion). */
export interface HostOidAnswer {
  readonly status: NDIS_STATUS;
  /** ndisStatusToString(status). */
  readonly statusName: string;
  readonly oid: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  /** How many bytes a query needs (after BUFFER_TOO_SHORT / INVALID_LENGTH), or a set. */
  readonly bytesNeeded: number;
  /** A query's answer: the first bytesWritten bytes of its buffer (a copy). Empty for a set. */
  readonly data: Uint8Array;
}

const HOST_OID_REQUEST_TYPES = {
  query: NdisRequestQueryInformation,
  set: NdisRequestSetInformation,
  statistics: NdisRequestQueryStatistics,
} as const;

/** Adapter states in which NDIS passes OID requests to a miniport. */
const OID_STATES: ReadonlySet<string> = new Set(["Paused", "Restarting", "Running", "Pausing"]);

/** What NDIS holds for one protocol binding. */
export interface BindingInfo {
  readonly protocol: string;
  readonly adapter: string;
  /** Unbound, Opening, Paused, Restarting, Running, Pausing or Closing. */
  readonly state: string;
}

/** One object NDIS still holds: a driver registration, an adapter or a binding. */
export interface LiveObject {
  readonly kind:
    | "miniport driver"
    | "protocol driver"
    | "filter driver"
    | "filter module"
    | "adapter"
    | "binding"
    | "pool"
    | "configuration"
    | "timer"
    | "OID clone"
    | "work item";
  readonly name: string;
  readonly driver: string;
}

/** Data-path counters, by adapter and by binding (see `NdisHost.observe`). */
export interface HostStatistics {
  readonly adapters: readonly (DataPathCounters & {
    readonly name: string;
    readonly driver: string;
    readonly state: string;
    /** NBLs in MiniportSendNetBufferLists not completed yet (kept whether observed or not). */
    readonly sendsOutstanding: number;
    /** NBLs the adapter indicated that have not come back to it. */
    readonly receivesOutstanding: number;
  })[];
  readonly bindings: readonly (DataPathCounters & {
    readonly protocol: string;
    readonly adapter: string;
    readonly state: string;
    /** NBLs sent on the binding and not completed to the protocol yet. */
    readonly sendsOutstanding: number;
  })[];
  /**
   * The filter modules, bottom of each stack first: what NDIS handed each (sent = chains given to
   * its FilterSendNetBufferLists, received = to its FilterReceiveNetBufferLists), counted while
   * observed like the rest.
   */
  readonly filters?: readonly (DataPathCounters & {
    /** `capture on eth0`. */
    readonly name: string;
    readonly driver: string;
    readonly adapter: string;
    readonly state: string;
    /** NBLs it passed down / up and has not had back. */
    readonly sendsOutstanding: number;
    readonly receivesOutstanding: number;
  })[];
}

export interface DriverInfo {
  readonly name: string;
  readonly driverName: string;
  readonly registryPath: string;
  readonly state: "loading" | "loaded" | "unloading";
  readonly miniportDrivers: readonly MiniportEdgeInfo[];
  readonly protocolDrivers: readonly ProtocolEdgeInfo[];
  /** The filter edge (NdisFRegisterFilterDriver), with its modules' adapters. */
  readonly filterDrivers: readonly FilterEdgeInfo[];
}

/** One registered filter edge. */
export interface FilterEdgeInfo {
  readonly friendlyName: string;
  readonly uniqueName: string;
  readonly ndisVersion: string;
  readonly revision: number;
  readonly filterClass: string;
  readonly type: "monitoring" | "modifying";
  readonly mandatory: boolean;
  readonly handlers: readonly string[];
  /** The adapters its modules are attached to. */
  readonly modules: readonly string[];
  /** The filter driver handle (NdisFRegisterFilterDriver's out value). */
  readonly handle: unknown;
}

const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function resolveVersion(value: number | string | undefined): NdisVersionInfo {
  const version =
    value === undefined
      ? ndisVersionByRuntimeVersion(NDIS_LATEST_RUNTIME_VERSION)
      : typeof value === "number"
        ? ndisVersionByRuntimeVersion(value)
        : parseNdisVersion(value);
  if (version === undefined) {
    throw new NdisError(
      "NDIS_ERR_INVALID_OPTION",
      `ndisVersion ${typeof value === "number" ? `0x${value.toString(16)}` : JSON.stringify(value)} is not an NDIS 6 version (6.0, 6.1, 6.20 … 6.89)`,
    );
  }
  return version;
}

function checkRegistry(name: string, registry: unknown): Map<string, RegistryValue> {
  if (registry === undefined) return new Map();
  if (typeof registry !== "object" || registry === null || Array.isArray(registry)) {
    throw new NdisError(
      "NDIS_ERR_INVALID_ARGUMENT",
      `registry of driver ${name} must be an object of values`,
    );
  }
  const map = new Map<string, RegistryValue>();
  for (const [key, value] of Object.entries(registry)) {
    const ok =
      (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) ||
      typeof value === "string" ||
      value instanceof Uint8Array ||
      (Array.isArray(value) && value.every((item) => typeof item === "string"));
    if (!ok) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `registry value ${name}\\${key} must be a REG_DWORD (0…0xFFFFFFFF), a string, a string array or bytes`,
      );
    }
    map.set(key, value as RegistryValue);
  }
  return map;
}

async function importModule(name: string, specifier: string): Promise<unknown> {
  const looksLikePath = specifier.startsWith(".") || isAbsolute(specifier);
  const target = looksLikePath ? pathToFileURL(resolve(specifier)).href : specifier;
  try {
    return await importModuleFile(target);
  } catch (cause) {
    throw new NdisError(
      "NDIS_ERR_BAD_DRIVER_MODULE",
      `driver ${name}: cannot import ${specifier}: ${describeThrown(cause)}`,
      {
        cause,
      },
    );
  }
}

function describeAdapter(adapter: MiniportAdapter): AdapterInfo {
  const general = adapter.general;
  const connect = general?.MediaConnectState;
  return {
    name: adapter.name,
    driver: adapter.driver.name,
    intermediate: adapter.block.chars.isIntermediate,
    state: adapter.machine.state,
    ifIndex: adapter.ifIndex,
    mtu: general?.MtuSize ?? null,
    macAddress:
      general === null
        ? null
        : [...general.CurrentMacAddress]
            .map((b) => b.toString(16).padStart(2, "0").toUpperCase())
            .join("-"),
    mediaConnectState:
      connect === undefined
        ? null
        : connect === MediaConnectStateConnected
          ? "connected"
          : connect === MediaConnectStateDisconnected
            ? "disconnected"
            : "unknown",
  };
}

function describeBinding(binding: Binding): BindingInfo {
  return {
    protocol: binding.protocol.chars.Name,
    adapter: binding.adapter.name,
    state: binding.machine.state,
  };
}

export class NdisHost {
  readonly #runtime: NdisRuntime;
  readonly #stacks: Stacks;
  /** Set while the system sleeps: what `resume` must bring back. */
  #asleep: Asleep | null = null;

  constructor(options: NdisHostOptions = {}) {
    const verifier = options.verifier ?? "strict";
    if (!VERIFIER_MODES.includes(verifier)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_OPTION",
        `verifier must be one of ${VERIFIER_MODES.join(", ")}`,
      );
    }
    for (const [key, value] of Object.entries(options.watchdogs ?? {})) {
      if (!(key in DEFAULT_WATCHDOG_LIMITS) || typeof value !== "number" || !(value > 0)) {
        throw new NdisError(
          "NDIS_ERR_INVALID_OPTION",
          `watchdogs.${key} must be one of pauseMs, oidMs, sendMs, hangMs, pnpMs with a positive number of milliseconds`,
        );
      }
    }
    this.#runtime = new Ndis({
      version: resolveVersion(options.ndisVersion),
      verifier,
      acceptDefaultHeaderType: options.acceptDefaultHeaderType === true,
      clock: options.clock ?? realClock(),
      watchdogs: { ...DEFAULT_WATCHDOG_LIMITS, ...options.watchdogs },
      powerProfile:
        options.powerProfile === "battery" ? NdisPowerProfileBattery : NdisPowerProfileAcOnLine,
      flightRecorder: options.flightRecorder !== false,
    });
    if (
      options.powerProfile !== undefined &&
      options.powerProfile !== "ac" &&
      options.powerProfile !== "battery"
    ) {
      throw new NdisError("NDIS_ERR_INVALID_OPTION", 'powerProfile is "ac" or "battery"');
    }
    this.#stacks = new Stacks(
      this.#runtime,
      checkBindingPaths(options.bindings ?? "all", "NDIS_ERR_INVALID_OPTION"),
    );
  }

  /** The emulated NDIS version, as NdisGetVersion returns it inside this host. */
  get ndisVersion(): number {
    return this.#runtime.version.runtimeVersion;
  }

  /** The emulated NDIS version's details ("6.89", the OS that shipped it…). */
  get ndisVersionInfo(): NdisVersionInfo {
    return this.#runtime.version;
  }

  get verifierMode(): VerifierMode {
    return this.#runtime.verifierMode;
  }

  /** Every violation reported so far (in strict mode, the last one stopped the host). */
  get violations(): readonly Violation[] {
    return this.#runtime.violations;
  }

  /**
   * The violation that stopped this whole host in strict mode, if any: one raised by a DDI call
   * no driver could be blamed for (made outside any driver code).
   */
  get bugCheck(): Violation | null {
    return this.#runtime.bugCheck;
  }

  /** The violations that stopped a driver's stack in strict mode; those drivers are gone. */
  get stoppedDrivers(): readonly Violation[] {
    return this.#runtime.stopped;
  }

  /**
   * Resolves once NDIS has no PnP work in flight: virtual miniports an IM driver asked for are
   * started (or failed), teardowns it asked for are done. Every host operation ends with it.
   */
  /**
   * Opens a driver's control device (NdisRegisterDeviceEx) by name, as CreateFile does:
   * `\\.\Name` or `\DosDevices\Name` (its symbolic link) or `\Device\Name`, without regard
   * to case. The driver's IRP_MJ_CREATE runs; rejects with a DeviceIoError for a name nobody
   * registered (STATUS_OBJECT_NAME_NOT_FOUND) or an open the driver refused.
   */
  async openDevice(path: string): Promise<DeviceFile> {
    const opened = await openDevice(this.#runtime, path);
    if (typeof opened === "number") throw new DeviceIoError(`CreateFile(${path})`, opened);
    return new DeviceFile(path, opened);
  }

  settle(): Promise<void> {
    return this.#stacks.settle();
  }

  /** Throws if the host can do no more work: stopped by the verifier, or shut down. */
  #assertRunning(): void {
    this.#runtime.assertAlive();
    if (this.#stacks.shutDown)
      throw new NdisError("NDIS_ERR_SHUT_DOWN", "the host has been shut down");
  }

  /**
   * Subscribes to the DDI call trace; returns the unsubscribe function. With `dataPath: false`
   * the listener hears the control path only (registration, PnP, OID requests, timers, state
   * changes, violations): the per-NBL handler calls of the data path build no events for it, so
   * such a listener costs the data path nothing.
   */
  onTrace(listener: TraceListener, options: { readonly dataPath?: boolean } = {}): () => void {
    return this.#runtime.onTrace(listener, options.dataPath !== false);
  }

  /** Makes NDIS's next `count` allocations at `site` fail with NDIS_STATUS_RESOURCES. */
  failAllocations(site: AllocationSite, count = 1): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        "failAllocations count must be a positive integer",
      );
    }
    this.#runtime.failAllocations(site, count);
  }

  /**
   * Makes NDIS answer the next `count` calls at `site` with NDIS_STATUS_PENDING and complete them
   * afterwards (ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx), as Windows may.
   */
  pendOperations(site: PendingSite, count = 1): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        "pendOperations count must be a positive integer",
      );
    }
    this.#runtime.pendOperations(site, count);
  }

  /**
   * Loads a driver: creates its DRIVER_OBJECT and calls DriverEntry at PASSIVE_LEVEL. Resolves
   * with DriverEntry's status. A failing DriverEntry (NT_SUCCESS false) leaves nothing registered:
   * any edge it left behind is released and reported (DriverEntry_FailureWithoutDeregister).
   * Rejects with NdisError for a bad name or module, and with the bug check if strict verification
   * stopped the host.
   */
  async loadDriver(options: LoadDriverOptions): Promise<LoadDriverResult> {
    const runtime = this.#runtime;
    this.#assertRunning();
    const { name } = options;
    if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `driver name ${JSON.stringify(name)} is not a service name`,
      );
    }
    if (runtime.drivers.has(name))
      throw new NdisError("NDIS_ERR_DRIVER_EXISTS", `driver ${name} is already loaded`);
    const registry = checkRegistry(name, options.registry);
    const module =
      typeof options.module === "string"
        ? await importModule(name, options.module)
        : options.module;
    const entry = (module as { DriverEntry?: unknown } | null | undefined)?.DriverEntry;
    if (typeof entry !== "function") {
      throw new NdisError(
        "NDIS_ERR_BAD_DRIVER_MODULE",
        `driver ${name}: the module does not export a DriverEntry function`,
      );
    }
    runtime.assertAlive();
    if (runtime.drivers.has(name))
      throw new NdisError("NDIS_ERR_DRIVER_EXISTS", `driver ${name} is already loaded`);

    const install = options.filter === undefined ? null : checkFilterInstall(name, options.filter);
    const driver = createDriverRecord(runtime, name, registry);
    runtime.drivers.set(name, driver);
    if (install !== null) runtime.filterInstalls.set(name, install);
    else runtime.filterInstalls.delete(name);
    let returned: unknown = callDriver<unknown>(
      runtime,
      driver,
      "DriverEntry",
      PASSIVE_LEVEL,
      () => (entry as DriverModule["DriverEntry"])(driver.driverObject, driver.registryPath),
      () => NDIS_STATUS_FAILURE,
    );
    // A DriverEntry that blocks (awaits an NDIS wait) has returned when its promise settles.
    if (isPromiseLike(returned)) returned = await returned;
    const status = isNdisStatusValue(returned) ? returned : NDIS_STATUS_FAILURE;
    // The I/O manager judges DriverEntry with NT_SUCCESS, so informational statuses load the driver.
    if (NT_SUCCESS(status)) {
      driver.state = "loaded";
      // NDIS binds a new protocol to the adapters that exist, pausing each stack around the bind,
      // then tells it it has bound to all of them: ProtocolNetPnPEvent(NULL,
      // NetEventBindsComplete) (NET_PNP_EVENT structure page).
      for (const protocol of driver.protocolDrivers) {
        for (const adapter of [...runtime.adapters.values()]) {
          if (this.#stacks.shouldBind(protocol, adapter))
            await this.#stacks.bindInto(protocol, adapter);
        }
        if (driver.state === "loaded" && runtime.bugCheck === null)
          this.#stacks.notifyProtocol(protocol, NetEventBindsComplete, null, 0);
      }
      if (this.#stacks.busy) await this.#stacks.settle();
      return { status, driverObject: driver.driverObject };
    }
    try {
      if (driver.crashed !== null) return { status, driverObject: driver.driverObject };
      if (!isNdisStatusValue(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `DriverEntry returned ${typeof returned}, not an NTSTATUS`,
          driver,
        );
      }
      const left = liveRegistrations(driver);
      if (left.length > 0) {
        runtime.violate(
          "DriverEntry_FailureWithoutDeregister",
          `DriverEntry failed but left registered: ${left.join(", ")}; NDIS released them`,
          driver,
        );
      }
      reclaimAtUnload(driver, "DriverEntry failed");
    } finally {
      retireDriver(driver);
    }
    return { status, driverObject: driver.driverObject };
  }

  /**
   * Unloads a driver as NDIS does: its adapters are paused and halted first
   * (NdisHaltDeviceDisabled), then the unload routine runs at PASSIVE_LEVEL — the miniport edge's UnloadHandler if
   * the driver registered one, else DRIVER_OBJECT.DriverUnload. Whatever the routine failed to
   * deregister is released and reported (DriverUnload_LeftRegistered). The driver is then
   * forgotten and its name can be loaded again.
   *
   * With `uninstall` the driver is being uninstalled, not only stopped: once every binding of its
   * protocols is unbound, NDIS calls each protocol's ProtocolUninstall (if registered), at
   * PASSIVE_LEVEL, before the unload routine (the PROTOCOL_UNINSTALL page; "Unloading an
   * Intermediate Driver": an IM driver's protocol edge releases its resources there before
   * MiniportDriverUnload).
   */
  async unloadDriver(name: string, options: { readonly uninstall?: boolean } = {}): Promise<void> {
    const runtime = this.#runtime;
    this.#assertRunning();
    const driver = runtime.drivers.get(name);
    if (driver === undefined || driver.state !== "loaded") {
      throw new NdisError(
        "NDIS_ERR_NO_SUCH_DRIVER",
        `no loaded driver named ${JSON.stringify(name)}`,
      );
    }
    const miniport = driver.miniportDrivers[0];
    const unload = miniport?.chars.handlers.UnloadHandler ?? driver.driverObject.DriverUnload;
    if (typeof unload !== "function") {
      throw new NdisError(
        "NDIS_ERR_NOT_UNLOADABLE",
        `driver ${name} registered no miniport edge and set no DriverObject.DriverUnload: it cannot be unloaded`,
      );
    }
    driver.state = "unloading";
    if (this.#stacks.busy) await this.#stacks.settle();
    // NDIS removes the driver's devices first (for an IM driver, its virtual miniports: what is
    // above them is unbound, then each is paused and halted) ...
    for (const block of driver.miniportDrivers) {
      for (const adapter of [...block.adapters]) await this.#stacks.remove(adapter, false);
    }
    // ... detaches its filter modules from every stack (pause, FilterDetach, restart) ...
    for (const block of driver.filterDrivers) {
      for (const module of [...block.modules]) await this.#stacks.removeModule(module);
    }
    // ... then unbinds the driver's protocols (pause, then unbind).
    for (const binding of [...runtime.bindings]) {
      if (binding.driver === driver) await this.#stacks.unbind(binding, NDIS_PAUSE_UNBIND_PROTOCOL);
    }
    if (this.#stacks.busy) await this.#stacks.settle();
    if (options.uninstall === true) {
      for (const protocol of [...driver.protocolDrivers]) {
        const uninstall = protocol.chars.handlers.UninstallHandler as (() => unknown) | undefined;
        if (uninstall === undefined || driver.crashed !== null) continue;
        callDriver(
          runtime,
          driver,
          "ProtocolUninstall",
          PASSIVE_LEVEL,
          () => uninstall(),
          () => undefined,
          protocol.chars.Name,
        );
      }
      if (this.#stacks.busy) await this.#stacks.settle();
    }
    const handlerName = miniport === undefined ? "DriverUnload" : "MiniportDriverUnload";
    try {
      const unloading = callDriver<unknown>(
        runtime,
        driver,
        handlerName,
        PASSIVE_LEVEL,
        () => (unload as (d: DRIVER_OBJECT) => unknown)(driver.driverObject),
        () => undefined,
      );
      if (isPromiseLike(unloading)) await unloading;
      const left = liveRegistrations(driver);
      if (left.length > 0) {
        runtime.violate(
          "DriverUnload_LeftRegistered",
          `${handlerName} returned with ${left.join(", ")} still registered; NDIS released them`,
          driver,
        );
      }
      reclaimAtUnload(driver, `${handlerName} returned`);
    } finally {
      retireDriver(driver);
    }
  }

  /**
   * A device arrives for a miniport driver: NDIS creates the adapter, calls MiniportInitializeEx
   * (the driver sets its attributes there), then MiniportRestart. Resolves once the restart has
   * ended (a pending restart waits for NdisMRestartComplete) with what NDIS holds for the adapter;
   * an adapter whose initialization failed is gone again (state Halted).
   */
  async addAdapter(options: AddAdapterOptions): Promise<AdapterInfo> {
    const runtime = this.#runtime;
    this.#assertRunning();
    const { name } = options;
    if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `adapter name ${JSON.stringify(name)} is not a device name`,
      );
    }
    if (runtime.adapters.has(name))
      throw new NdisError("NDIS_ERR_ADAPTER_EXISTS", `an adapter named ${name} exists`);
    const driver = runtime.drivers.get(options.driver);
    const block = driver?.miniportDrivers.find((b) => !b.chars.isIntermediate);
    if (driver === undefined || driver.state !== "loaded" || block === undefined) {
      throw new NdisError(
        "NDIS_ERR_NOT_A_MINIPORT",
        `${JSON.stringify(options.driver)} is not a loaded driver with a (non-intermediate) miniport edge; ` +
          "an intermediate driver's adapters come from NdisIMInitializeDeviceInstanceEx",
      );
    }
    const parameters = checkRegistry(name, options.registry);
    runtime.deviceParameters.set(name, parameters);
    const adapter = createAdapter(block, name);
    let status = initializeAdapter(adapter, null);
    if (typeof status !== "number") status = await status;
    if (status !== NDIS_STATUS_SUCCESS) {
      if (runtime.adapters.get(name) === adapter)
        retireAdapter(adapter, `MiniportInitializeEx of ${name} failed`);
      return describeAdapter(adapter);
    }
    // NDIS attaches the filter modules before the protocols bind; a mandatory one that fails
    // keeps the stack from starting.
    let attached = this.#stacks.attachFilters(adapter);
    if (typeof attached !== "boolean") attached = await attached;
    if (!attached) {
      await this.#stacks.abortStack(adapter);
      return describeAdapter(adapter);
    }
    for (const protocol of this.#stacks.protocols()) {
      if (this.#stacks.shouldBind(protocol, adapter))
        await bindProtocol(createBinding(protocol, adapter));
    }
    await this.#stacks.restart(adapter);
    if (this.#stacks.busy) await this.#stacks.settle();
    return describeAdapter(adapter);
  }

  /**
   * Removes a device. Orderly: MiniportPause (reason NDIS_PAUSE_MINIPORT_DEVICE_REMOVE for 6.40+
   * drivers), then MiniportHaltEx(NdisHaltDeviceDisabled). Surprise: the driver first hears
   * NdisDevicePnPEventSurpriseRemoved, and the halt action is NdisHaltDeviceSurpriseRemoved.
   * A restart or pause in progress is waited for first.
   */
  async removeAdapter(name: string, options: RemoveAdapterOptions = {}): Promise<void> {
    this.#assertRunning();
    const reason = options.reason ?? "removed";
    if (!(reason in HALT_FOR_REASON)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        'reason is "removed", "stopped" or "failed"',
      );
    }
    if (options.query === true && options.surprise !== true) {
      const status = await this.queryRemoveAdapter(name);
      if (status !== NDIS_STATUS_SUCCESS) {
        throw new NdisError(
          "NDIS_ERR_VETOED",
          `removing ${name} was refused: ${ndisStatusToString(status)}`,
        );
      }
    }
    await this.#stacks.remove(
      this.#adapter(name),
      options.surprise === true,
      HALT_FOR_REASON[reason],
    );
  }

  /**
   * Sends an OID request to an adapter as NDIS does for one from user mode: NDIS answers what it
   * knows from the adapter's attributes, the rest goes through the adapter's filter modules (top
   * down) to MiniportOidRequest, one request at a time. Resolves when the request completes
   * (pended or not) with its status and byte counts. An adapter that is not initialized, or
   * whose driver was stopped, answers NDIS_STATUS_ADAPTER_NOT_READY without a call. An unknown
   * adapter, request type or OID name, or a bad buffer, is an NdisError.
   */
  async oidRequest(adapterName: string, request: HostOidRequest): Promise<HostOidAnswer> {
    this.#assertRunning();
    const adapter = this.#adapter(adapterName);
    const requestType = (HOST_OID_REQUEST_TYPES as Record<string, number>)[request.type];
    if (requestType === undefined || !Object.hasOwn(HOST_OID_REQUEST_TYPES, request.type)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `oidRequest: type ${JSON.stringify(request.type)} is not "query", "set" or "statistics"`,
      );
    }
    const oid = hostOidValue(request.oid);
    let buffer: Uint8Array;
    if (request.buffer === undefined) {
      if (request.type === "set")
        throw new NdisError("NDIS_ERR_INVALID_ARGUMENT", "oidRequest: a set needs a buffer");
      buffer = new Uint8Array(1024);
    } else if (typeof request.buffer === "number") {
      if (!Number.isSafeInteger(request.buffer) || request.buffer < 0 || request.buffer > 1 << 24)
        throw new NdisError(
          "NDIS_ERR_INVALID_ARGUMENT",
          `oidRequest: buffer length ${request.buffer} is not an integer from 0 to 16 MiB`,
        );
      buffer = new Uint8Array(request.buffer);
    } else if (request.buffer instanceof Uint8Array) {
      buffer = Uint8Array.from(request.buffer);
    } else {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        "oidRequest: buffer is a Uint8Array or a length",
      );
    }
    const oidRequest = makeOidRequest({
      RequestType: requestType,
      Oid: oid,
      InformationBuffer: buffer,
      RequestId: Symbol("host oidRequest"),
    });
    const status =
      OID_STATES.has(adapter.machine.state) && adapter.driver.crashed === null
        ? await issueNdisOidFromTop(adapter, oidRequest)
        : NDIS_STATUS_ADAPTER_NOT_READY;
    const d = oidRequest.DATA.QUERY_INFORMATION;
    const written = Math.max(0, Math.min(d.BytesWritten >>> 0, buffer.length));
    return {
      status,
      statusName: ndisStatusToString(status),
      oid,
      bytesWritten: d.BytesWritten,
      bytesRead: d.BytesRead,
      bytesNeeded: d.BytesNeeded,
      data: request.type === "set" ? new Uint8Array(0) : buffer.slice(0, written),
    };
  }

  /**
   * Asks the protocols bound to an adapter whether it may be removed
   * (ProtocolNetPnPEvent(NetEventQueryRemoveDevice), an IM driver passing the question up with
   * NdisMNetPnPEvent). On a refusal, those already asked hear NetEventCancelRemoveDevice. Resolves
   * with SUCCESS or the refusing status; the adapter itself is not touched.
   */
  async queryRemoveAdapter(name: string): Promise<NDIS_STATUS> {
    this.#assertRunning();
    const adapter = this.#adapter(name);
    if (filtersTakeNetPnP(adapter)) {
      // Through the filter modules: the first of them answers for everything above it.
      const status = await netPnPUp(
        adapter,
        null,
        netPnPNotification(NetEventQueryRemoveDevice, null, 0),
      );
      if (status !== NDIS_STATUS_SUCCESS)
        await netPnPUp(adapter, null, netPnPNotification(NetEventCancelRemoveDevice, null, 0));
      if (this.#stacks.busy) await this.#stacks.settle();
      return status;
    }
    const asked: Binding[] = [];
    for (const binding of bindingsOf(adapter)) {
      const status = await deliverPnPEvent(
        binding,
        netPnPNotification(NetEventQueryRemoveDevice, null, 0),
      );
      if (status !== NDIS_STATUS_SUCCESS) {
        for (const b of asked)
          await deliverPnPEvent(b, netPnPNotification(NetEventCancelRemoveDevice, null, 0));
        if (this.#stacks.busy) await this.#stacks.settle();
        return status;
      }
      asked.push(binding);
    }
    if (this.#stacks.busy) await this.#stacks.settle();
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * Tells a protocol its configuration changed (NetEventReconfigure): for its binding to `adapter`,
   * or — without an adapter — for the protocol as a whole (binding context NULL). Resolves with
   * the protocol's status.
   */
  async reconfigure(protocol: string, adapter?: string): Promise<NDIS_STATUS> {
    this.#assertRunning();
    const block = this.#stacks.protocols().find((p) => p.chars.Name === protocol);
    if (block === undefined)
      throw new NdisError(
        "NDIS_ERR_NO_SUCH_DRIVER",
        `no protocol named ${JSON.stringify(protocol)}`,
      );
    let status: NDIS_STATUS;
    if (adapter === undefined) {
      const pnp = block.chars.handlers.NetPnPEventHandler as (c: unknown, e: unknown) => unknown;
      let returned: unknown = callDriver<unknown>(
        this.#runtime,
        block.driver,
        "ProtocolNetPnPEvent",
        PASSIVE_LEVEL,
        () => pnp(null, netPnPNotification(NetEventReconfigure, null, 0)),
        () => NDIS_STATUS_FAILURE,
        `${protocol}: NetEventReconfigure`,
      );
      if (isPromiseLike(returned)) returned = await returned;
      status = isNdisStatusValue(returned) ? returned : NDIS_STATUS_FAILURE;
    } else {
      const target = this.#adapter(adapter);
      const binding = bindingsOf(target).find((b) => b.protocol === block);
      if (binding === undefined) {
        throw new NdisError("NDIS_ERR_INVALID_STATE", `${protocol} is not bound to ${adapter}`);
      }
      status = await deliverPnPEvent(binding, netPnPNotification(NetEventReconfigure, null, 0));
    }
    if (this.#stacks.busy) await this.#stacks.settle();
    return status;
  }

  /**
   * Disables a virtual miniport, as a user would in Device Manager: everything above it is
   * unbound, then MiniportPause and MiniportHaltEx(NdisHaltDeviceDisabled). The IM driver's
   * binding stays; `enableAdapter` brings the miniport back.
   */
  async disableAdapter(name: string): Promise<void> {
    this.#assertRunning();
    const adapter = this.#adapter(name);
    if (!adapter.block.chars.isIntermediate) {
      throw new NdisError(
        "NDIS_ERR_INVALID_STATE",
        `${name} is not a virtual miniport; remove it instead`,
      );
    }
    await this.#stacks.teardownVirtual(adapter, NdisHaltDeviceDisabled, true);
    if (this.#stacks.busy) await this.#stacks.settle();
  }

  /**
   * Re-enables a disabled virtual miniport: NDIS tells the IM driver with
   * ProtocolNetPnPEvent(NetEventIMReEnableDevice) — binding context NULL, the instance name in
   * the buffer — and the driver calls NdisIMInitializeDeviceInstanceEx again.
   */
  async enableAdapter(name: string): Promise<void> {
    this.#assertRunning();
    const runtime = this.#runtime;
    const instance = runtime.deviceInstances.get(name);
    if (instance?.state !== "disabled") {
      throw new NdisError("NDIS_ERR_INVALID_STATE", `${name} is not a disabled virtual miniport`);
    }
    const protocol = instance.block.associatedProtocol;
    const pnp = protocol?.chars.handlers.NetPnPEventHandler as
      | ((c: unknown, e: unknown) => unknown)
      | undefined;
    if (protocol !== null && pnp !== undefined) {
      const notification = Object.freeze({
        Header: Object.freeze({ Type: NDIS_OBJECT_TYPE_DEFAULT, Revision: 1, Size: 0 }),
        PortNumber: 0,
        NetPnPEvent: Object.freeze({
          NetEvent: NetEventIMReEnableDevice,
          Buffer: name,
          BufferLength: name.length * 2,
        }),
      });
      callDriver(
        runtime,
        protocol.driver,
        "ProtocolNetPnPEvent",
        PASSIVE_LEVEL,
        () => pnp(null, notification),
        () => undefined,
      );
    }
    if (this.#stacks.busy) await this.#stacks.settle();
  }

  /**
   * Sets a device instance's parameters (its registry key) before the device exists: for an IM
   * driver's virtual miniport, whose device NdisIMInitializeDeviceInstanceEx creates, the values
   * its MiniportInitializeEx reads through NdisOpenConfigurationEx.
   */
  setDeviceParameters(name: string, registry: Readonly<Record<string, RegistryValue>>): void {
    this.#runtime.deviceParameters.set(name, checkRegistry(name, registry));
  }

  /**
   * Changes the binding paths at run time, as reconfiguring the network components does on
   * Windows. Bindings the new paths no longer allow are paused and unbound
   * (NDIS_PAUSE_UNBIND_PROTOCOL); pairs they newly allow are bound, each into a paused stack that
   * is then restarted. Inserting an IM driver between a protocol and an adapter is exactly this:
   * unbind protocol → adapter, bind IM → adapter; the IM's virtual miniport starts and the
   * protocol binds to it.
   */
  async setBindingPaths(paths: BindingPaths): Promise<void> {
    this.#assertRunning();
    this.#stacks.setBindingPaths(checkBindingPaths(paths, "NDIS_ERR_INVALID_ARGUMENT"));
    for (const binding of [...this.#runtime.bindings]) {
      if (!this.#stacks.shouldBind(binding.protocol, binding.adapter))
        await this.#stacks.unbind(binding, NDIS_PAUSE_UNBIND_PROTOCOL);
    }
    if (this.#stacks.busy) await this.#stacks.settle();
    for (const adapter of [...this.#runtime.adapters.values()]) {
      if (this.#runtime.adapters.get(adapter.name) !== adapter) continue;
      for (const protocol of this.#stacks.protocols()) {
        const bound = [...this.#runtime.bindings].some(
          (b) => b.protocol === protocol && b.adapter === adapter,
        );
        if (!bound && this.#stacks.shouldBind(protocol, adapter))
          await this.#stacks.bindInto(protocol, adapter);
      }
      if (this.#stacks.busy) await this.#stacks.settle();
    }
  }

  /**
   * Pauses an adapter's whole stack, top down: every binding gets NetEventPause, then the miniport
   * MiniportPause. Resolves once everything is Paused (pending pauses wait for their completion).
   */
  /**
   * NDIS's interface stack table as drivers filled it (NdisIfAddIfStackEntry): which interface
   * (ifIndex) sits on which — a MUX's virtual miniports over the adapters below them.
   */
  ifStackTable(): readonly NDIS_IF_STACK_ENTRY[] {
    return ifStackTable(this.#runtime);
  }

  /** The filter modules of an adapter's stack, bottom (nearest the miniport) to top. */
  filterModules(adapter: string): readonly FilterModuleInfo[] {
    return this.#adapter(adapter).filters.map(describeModule);
  }

  /**
   * Inserts a loaded filter's module into an adapter's stack at run time: NDIS pauses the stack
   * (NDIS_PAUSE_ATTACH_FILTER), calls FilterAttach, and restarts it. Resolves with the module, or
   * null when FilterAttach failed.
   */
  async attachFilter(driver: string, adapter: string): Promise<FilterModuleInfo | null> {
    this.#assertRunning();
    const a = this.#adapter(adapter);
    const block = this.#runtime.drivers.get(driver)?.filterDrivers[0];
    if (block === undefined) {
      throw new NdisError(
        "NDIS_ERR_NO_SUCH_DRIVER",
        `${JSON.stringify(driver)} is not a loaded filter driver`,
      );
    }
    if (a.filters.some((m) => m.block === block)) {
      throw new NdisError("NDIS_ERR_INVALID_STATE", `${driver} is already attached to ${adapter}`);
    }
    const module = await this.#stacks.insertModule(block, a);
    if (this.#stacks.busy) await this.#stacks.settle();
    return module === null ? null : describeModule(module);
  }

  /**
   * Removes a filter module from a running stack: NDIS pauses the stack (NDIS_PAUSE_DETACH_FILTER),
   * calls FilterPause and FilterDetach, and restarts the rest.
   */
  async detachFilter(driver: string, adapter: string): Promise<void> {
    this.#assertRunning();
    const a = this.#adapter(adapter);
    const module = a.filters.find((m) => m.driver.name === driver);
    if (module === undefined) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `no module of ${driver} is attached to ${adapter}`,
      );
    }
    await this.#stacks.removeModule(module);
    if (this.#stacks.busy) await this.#stacks.settle();
  }

  /**
   * NDIS resets a physical miniport's adapter now, as it does when MiniportCheckForHangEx returns
   * TRUE or an OID request stalls across two checks: NDIS_STATUS_RESET_START up the stack,
   * MiniportResetEx, and at its end (its return, or NdisMResetComplete) NDIS_STATUS_RESET_END.
   * False when NDIS does not reset it now (no MiniportResetEx, an IM's virtual miniport, a reset
   * already in progress, an adapter not initialized). `resetting(name)` tells when it has ended.
   */
  resetAdapter(name: string): boolean {
    this.#assertRunning();
    return startReset(this.#adapter(name));
  }

  /** True while a reset of the adapter (resetAdapter, check-for-hang, NdisMResetMiniport) runs. */
  resetting(name: string): boolean {
    return this.#adapter(name).resetting;
  }

  async pauseStack(name: string): Promise<AdapterInfo> {
    this.#assertRunning();
    const adapter = this.#adapter(name);
    if (adapter.machine.state !== "Running") {
      throw new NdisError(
        "NDIS_ERR_INVALID_STATE",
        `adapter ${name} is ${adapter.machine.state}; only a Running stack pauses`,
      );
    }
    await this.#stacks.pause(adapter, NDIS_PAUSE_NDIS_INTERNAL);
    return describeAdapter(adapter);
  }

  /**
   * Restarts an adapter's stack, bottom up: MiniportRestart, then NetEventRestart to every
   * binding. Resolves once the restarts have ended.
   */
  async restartStack(name: string): Promise<AdapterInfo> {
    this.#assertRunning();
    const adapter = this.#adapter(name);
    if (adapter.machine.state !== "Paused") {
      throw new NdisError(
        "NDIS_ERR_INVALID_STATE",
        `adapter ${name} is ${adapter.machine.state}; only a Paused stack restarts`,
      );
    }
    await this.#stacks.restart(adapter);
    return describeAdapter(adapter);
  }

  /**
   * Puts the system to sleep (D3), in the order of "Handling a Set Power Request" and "Handling
   * PnP Events and Power Management Events in a Protocol Driver" (learn.microsoft.com,
   * windows-hardware/drivers/network):
   * 1. NetEventQueryPower to what is bound on every adapter, virtual miniports of IM drivers
   *    included: a refusal vetoes the sleep and is returned; the protocols already asked then
   *    hear NetEventSetPower of the state they are in (D0), which cancels the query — a query is
   *    always followed by a set.
   * 2. Then each adapter goes to sleep, the stacks above first (an IM driver's virtual miniport
   *    before the adapter its protocol edge is bound to). NDIS sends each virtual miniport's
   *    power events to its overlying protocols itself; an IM driver does not pass them up.
   *    For each adapter: NetEventSetPower(D3) to its bindings (an IM driver's protocol edge is
   *    one); a protocol that answers NDIS_STATUS_NOT_SUPPORTED (not aware of power management)
   *    is unbound, and bound again on wake. Then the stack is paused for low power (the
   *    bindings, the filter modules, the miniport) — except a stack NDIS 6.30 leaves running
   *    (NO_PAUSE_ON_SUSPEND). Then an adapter whose miniport set
   *    NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND (an IM virtual miniport must) gets
   *    OID_PNP_SET_POWER(D3); any other is halted with NdisHaltDevicePoweredDown, and NDIS does
   *    not ask what is bound to it to unbind: its bindings (an IM driver's protocol edge among
   *    them) and filter modules stay, paused, for the wake. [MODEL] Filter modules stay attached
   *    over such a halt.
   * From then on no OID request reaches a sleeping miniport but OID_PNP_SET_POWER: NDIS holds
   * the others until it is back in D0.
   * Resolves with NDIS_STATUS_SUCCESS, or the refusing status.
   */
  async suspend(): Promise<NDIS_STATUS> {
    this.#assertRunning();
    if (this.#asleep !== null)
      throw new NdisError("NDIS_ERR_INVALID_STATE", "the system is asleep");
    const runtime = this.#runtime;
    const order = this.#topDown();
    const d3 = Uint8Array.of(NdisDeviceStateD3, 0, 0, 0);
    const d0 = Uint8Array.of(NdisDeviceStateD0, 0, 0, 0);
    const asked: MiniportAdapter[] = [];
    for (const adapter of order) {
      asked.push(adapter);
      const status = await this.#powerEvent(adapter, NetEventQueryPower, d3);
      if (status !== NDIS_STATUS_SUCCESS) {
        // The query is cancelled by a set to the state the adapters are in.
        for (const queried of asked) await this.#powerEvent(queried, NetEventSetPower, d0);
        if (this.#stacks.busy) await this.#stacks.settle();
        return status;
      }
    }
    const asleep: Asleep = { order, lowPower: [], halted: [], unbound: [] };
    this.#asleep = asleep;
    for (const adapter of order) {
      if (runtime.adapters.get(adapter.name) !== adapter) continue; // gone with its lower binding
      // A protocol that is not power-management aware answers the set with NOT_SUPPORTED: NDIS
      // unbinds it (and binds it again on wake).
      const unaware: Binding[] = [];
      await this.#powerEvent(adapter, NetEventSetPower, d3, unaware);
      for (const binding of unaware) {
        if (!runtime.bindings.has(binding)) continue;
        asleep.unbound.push({ protocol: binding.protocol, adapter: binding.adapter });
        await this.#stacks.unbind(binding, NDIS_PAUSE_UNBIND_PROTOCOL);
      }
      if (runtime.adapters.get(adapter.name) !== adapter) continue;
      const state = adapter.machine.state;
      if (state === "Running" && !this.#staysRunningOnSuspend(adapter))
        await this.#stacks.pause(adapter, NDIS_PAUSE_LOW_POWER);
      if (runtime.adapters.get(adapter.name) !== adapter) continue;
      const now = adapter.machine.state;
      if (now !== "Paused" && now !== "Running") continue;
      const flags = adapter.registration?.AttributeFlags ?? 0;
      if ((flags & NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND) !== 0) {
        await issueNdisOid(adapter, powerRequest(NdisDeviceStateD3), -1, true);
        adapter.lowPower = true;
        asleep.lowPower.push(adapter);
      } else {
        // "Halting a Miniport Adapter": not while the miniport has an OID request; new ones wait.
        adapter.lowPower = true;
        if (adapter.oidPending !== null)
          await waitForState(adapter, () => adapter.oidPending === null);
        if (runtime.adapters.get(adapter.name) !== adapter) continue;
        asleep.halted.push(adapter);
        await haltAdapterForPower(adapter, NdisHaltDevicePoweredDown);
      }
    }
    if (this.#stacks.busy) await this.#stacks.settle();
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * Every adapter, each above the adapters its IM driver's protocol edge is bound to: the order
   * a sleep goes in (a wake goes the other way).
   */
  #topDown(): MiniportAdapter[] {
    const adapters = [...this.#runtime.adapters.values()];
    const depth = new Map<MiniportAdapter, number>();
    const depthOf = (adapter: MiniportAdapter, seen: Set<MiniportAdapter>): number => {
      const known = depth.get(adapter);
      if (known !== undefined) return known;
      let d = 0;
      if (adapter.block.chars.isIntermediate && !seen.has(adapter)) {
        seen.add(adapter);
        for (const binding of this.#runtime.bindings) {
          if (binding.driver === adapter.driver && binding.adapter !== adapter)
            d = Math.max(d, 1 + depthOf(binding.adapter, seen));
        }
      }
      depth.set(adapter, d);
      return d;
    };
    for (const adapter of adapters) depthOf(adapter, new Set());
    return adapters.sort((a, b) => (depth.get(b) ?? 0) - (depth.get(a) ?? 0));
  }

  /**
   * OID_PNP_SET_POWER page: from NDIS 6.30 on, NDIS neither pauses nor restarts a stack around a
   * power transition when its miniport set NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND and every
   * filter driver attached and protocol driver bound above it is an NDIS 6.30 or later driver.
   */
  #staysRunningOnSuspend(adapter: MiniportAdapter): boolean {
    const flags = adapter.registration?.AttributeFlags ?? 0;
    return (
      this.#runtime.version.minor >= 30 &&
      (flags & NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND) !== 0 &&
      adapter.filters.every((m) => m.block.version.minor >= 30) &&
      bindingsOf(adapter).every((b) => b.protocol.version.minor >= 30)
    );
  }

  /**
   * A power event (NetEventQueryPower, NetEventSetPower) to what is bound on a physical adapter:
   * through its filter modules when they take net PnP events, else to each binding. A query
   * stops at the first refusal, which is returned.
   */
  async #powerEvent(
    adapter: MiniportAdapter,
    code: number,
    state: Uint8Array,
    /** Collects the bindings that answered a set with NDIS_STATUS_NOT_SUPPORTED. */
    unaware?: Binding[],
  ): Promise<NDIS_STATUS> {
    if (this.#runtime.adapters.get(adapter.name) !== adapter) return NDIS_STATUS_SUCCESS;
    if (filtersTakeNetPnP(adapter))
      return await netPnPUp(adapter, null, netPnPNotification(code, state, 4));
    for (const binding of bindingsOf(adapter)) {
      const status = await deliverPnPEvent(binding, netPnPNotification(code, state, 4));
      if (code === NetEventQueryPower && status !== NDIS_STATUS_SUCCESS) return status;
      if (code === NetEventSetPower && status === NDIS_STATUS_NOT_SUPPORTED) unaware?.push(binding);
    }
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * Wakes the system (D0), in the order of "Handling a Set Power Request", the lower adapters
   * first (an IM driver's protocol edge is awake before its virtual miniport). For each adapter:
   * OID_PNP_SET_POWER(D0) to one kept in low power, followed by
   * MiniportDevicePnPEventNotify(NdisDevicePnPEventPowerProfileChanged); MiniportInitializeEx
   * again for one halted for the sleep, and then NDIS sets the packet filter and multicast list
   * the miniport had accepted ("Power Management for Old Miniport Drivers"); then the OID
   * requests NDIS held meanwhile go down; then its stack restarts bottom up (miniport, filter
   * modules, bindings — an IM driver's protocol edge among them); only then do its bindings
   * hear NetEventSetPower(D0); then protocols that were unbound for not being power-aware bind
   * again. An adapter that fails to initialize again is taken down: its bindings unbind, its
   * filter modules detach.
   */
  async resume(): Promise<void> {
    this.#assertRunning();
    const asleep = this.#asleep;
    if (asleep === null) throw new NdisError("NDIS_ERR_INVALID_STATE", "the system is not asleep");
    this.#asleep = null;
    const runtime = this.#runtime;
    const d0 = Uint8Array.of(NdisDeviceStateD0, 0, 0, 0);
    for (const adapter of [...asleep.order].reverse()) {
      if (runtime.adapters.get(adapter.name) !== adapter) continue;
      if (asleep.halted.includes(adapter) && adapter.machine.state === "Halted") {
        if (!(await this.#reinitialize(adapter))) continue;
      } else if (asleep.lowPower.includes(adapter)) {
        const status = await issueNdisOid(adapter, powerRequest(NdisDeviceStateD0), -1, true);
        adapter.lowPower = false;
        resumeOids(adapter);
        // MINIPORT_DEVICE_PNP_EVENT_NOTIFY: the power profile follows an OID_PNP_SET_POWER(D0).
        if (status === NDIS_STATUS_SUCCESS && runtime.adapters.get(adapter.name) === adapter)
          notifyPowerProfile(adapter);
      }
      if (runtime.adapters.get(adapter.name) === adapter && adapter.machine.state === "Paused")
        await this.#stacks.restart(adapter);
      await this.#powerEvent(adapter, NetEventSetPower, d0);
      for (const { protocol, adapter: to } of asleep.unbound) {
        if (to !== adapter || runtime.adapters.get(to.name) !== to) continue;
        if (protocol.driver.state !== "loaded") continue;
        if (!bindingsOf(to).some((b) => b.protocol === protocol))
          await this.#stacks.bindInto(protocol, to);
      }
    }
    if (this.#stacks.busy) await this.#stacks.settle();
  }

  /**
   * MiniportInitializeEx again for an adapter halted for the sleep, its bindings and modules
   * kept; then the addressing settings it had accepted, then the requests NDIS held. False (and
   * the stack taken down) when it does not come back.
   */
  async #reinitialize(adapter: MiniportAdapter): Promise<boolean> {
    const runtime = this.#runtime;
    const instance = runtime.deviceInstances.get(adapter.name);
    const context = instance?.adapter === adapter ? instance.context : undefined;
    let status = initializeAdapter(adapter, context);
    if (typeof status !== "number") status = await status;
    if (status !== NDIS_STATUS_SUCCESS || runtime.adapters.get(adapter.name) !== adapter) {
      adapter.lowPower = false;
      abortOids(adapter);
      if (runtime.adapters.get(adapter.name) === adapter)
        await this.#stacks.takeDown(adapter, NdisHaltDeviceFailed);
      for (const binding of bindingsOf(adapter)) retireBinding(binding);
      if (instance?.adapter === adapter) runtime.deviceInstances.delete(adapter.name);
      return false;
    }
    // The packet filter first, then the multicast list, ahead of the requests NDIS held.
    const settings = [...adapter.addressing].sort(
      ([a], [b]) =>
        Number(b === OID_GEN_CURRENT_PACKET_FILTER) - Number(a === OID_GEN_CURRENT_PACKET_FILTER),
    );
    const restores = settings.map(([oid, bytes], at) =>
      issueNdisOid(
        adapter,
        makeOidRequest({
          RequestType: NdisRequestSetInformation,
          Oid: oid,
          InformationBuffer: bytes.slice(),
        }),
        at,
        true,
      ),
    );
    await Promise.all(restores);
    adapter.lowPower = false;
    resumeOids(adapter);
    return true;
  }

  /**
   * Shuts the system down: every initialized adapter gets MiniportShutdownEx, and after it
   * nothing else is called — no pause, no halt, no unload (the machine is powering off). With
   * NdisShutdownBugCheck, an NDIS 6.30+ driver is called only if it registered
   * NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK, and at HIGH_LEVEL. Every object is then
   * released; the host accepts no more work.
   */
  async shutdown(action: NDIS_SHUTDOWN_ACTION = NdisShutdownPowerOff): Promise<void> {
    this.#assertRunning();
    if (action !== NdisShutdownPowerOff && action !== NdisShutdownBugCheck) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        "shutdown action is NdisShutdownPowerOff or NdisShutdownBugCheck",
      );
    }
    const runtime = this.#runtime;
    this.#stacks.shutDown = true;
    try {
      for (const adapter of [...runtime.adapters.values()]) {
        const state = adapter.machine.state;
        if (state === "Halted" || state === "Initializing" || state === "Shutdown") continue;
        if (action === NdisShutdownBugCheck) {
          const flags = adapter.registration?.AttributeFlags ?? 0;
          const asks =
            adapter.block.version.minor < 30 ||
            (flags & NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK) !== 0;
          if (asks) shutdownAdapter(adapter, action, HIGH_LEVEL);
        } else {
          shutdownAdapter(adapter, action, PASSIVE_LEVEL);
        }
      }
    } finally {
      // The system is off: nothing was halted or unbound, so nothing is owed back.
      for (const binding of [...runtime.bindings]) retireBinding(binding, false);
      for (const adapter of [...runtime.adapters.values()]) retireAdapter(adapter, null);
      for (const driver of [...runtime.drivers.values()]) retireDriver(driver);
    }
  }

  #adapter(name: string): MiniportAdapter {
    const adapter = this.#runtime.adapters.get(name);
    if (adapter === undefined)
      throw new NdisError("NDIS_ERR_NO_SUCH_ADAPTER", `no adapter named ${JSON.stringify(name)}`);
    return adapter;
  }

  /** What NDIS holds for the adapter with this name. */
  adapter(name: string): AdapterInfo | undefined {
    const adapter = this.#runtime.adapters.get(name);
    return adapter === undefined ? undefined : describeAdapter(adapter);
  }

  /** Every adapter NDIS holds. */
  get adapters(): readonly AdapterInfo[] {
    return [...this.#runtime.adapters.values()].map(describeAdapter);
  }

  /**
   * Registry values no driver has asked for (NdisReadConfiguration, NdisReadNetworkAddress),
   * under the keys of loaded drivers, existing adapters and open bindings: usually a misspelt
   * name, which leaves the driver on its default. `read` lists the names the driver did ask for
   * under that key.
   */
  unreadRegistryValues(): readonly UnreadRegistryValue[] {
    const runtime = this.#runtime;
    const out: UnreadRegistryValue[] = [];
    const check = (
      where: Omit<UnreadRegistryValue, "name" | "read">,
      values: ReadonlyMap<string, RegistryValue> | undefined,
    ) => {
      if (values === undefined) return;
      const reads = registryReadsOf(values);
      for (const name of values.keys())
        if (!reads.has(name.toLowerCase())) out.push({ ...where, name, read: [...reads] });
    };
    for (const driver of runtime.drivers.values())
      if (driver.state === "loaded" && driver.crashed === null)
        check({ scope: "driver", driver: driver.name, owner: driver.name }, driver.registry);
    for (const adapter of runtime.adapters.values())
      check(
        { scope: "adapter", driver: adapter.driver.name, owner: adapter.name },
        runtime.deviceParameters.get(adapter.name),
      );
    for (const binding of runtime.bindings) {
      const protocol = binding.protocol.chars.Name;
      check(
        {
          scope: "binding",
          driver: binding.driver.name,
          owner: `${protocol} → ${binding.adapter.name}`,
        },
        runtime.bindingParameters.get(bindingKey(protocol, binding.adapter.name)),
      );
    }
    return out;
  }

  /**
   * Every object NDIS still holds — driver registrations and adapters. After a clean teardown it
   * is empty; anything left is a leak.
   */
  liveObjects(): readonly LiveObject[] {
    const objects: LiveObject[] = [];
    for (const driver of this.#runtime.drivers.values()) {
      for (const b of driver.miniportDrivers) {
        objects.push({ kind: "miniport driver", name: driver.name, driver: driver.name });
        for (const a of b.adapters)
          objects.push({ kind: "adapter", name: a.name, driver: driver.name });
      }
      for (const b of driver.protocolDrivers) {
        objects.push({ kind: "protocol driver", name: b.chars.Name, driver: driver.name });
      }
      for (const b of driver.filterDrivers) {
        objects.push({ kind: "filter driver", name: b.chars.FriendlyName, driver: driver.name });
        for (const m of b.modules)
          objects.push({ kind: "filter module", name: m.name, driver: driver.name });
      }
    }
    for (const driver of this.#runtime.drivers.values()) {
      for (const pool of driver.pools) {
        objects.push({ kind: "pool", name: pool.label, driver: driver.name });
      }
      for (const config of driver.configs) {
        objects.push({ kind: "configuration", name: config.label, driver: driver.name });
      }
      for (const timer of driver.timers) {
        objects.push({ kind: "timer", name: timer.label, driver: driver.name });
      }
      for (const item of driver.workItems) {
        objects.push({ kind: "work item", name: item.label, driver: driver.name });
      }
      for (const clone of driver.clones) {
        objects.push({ kind: "OID clone", name: clone.label, driver: driver.name });
      }
    }
    for (const b of this.#runtime.bindings) {
      objects.push({
        kind: "binding",
        name: `${b.protocol.chars.Name} → ${b.adapter.name}`,
        driver: b.driver.name,
      });
    }
    return objects;
  }

  /**
   * Starts keeping data-path counters (frames and bytes sent, received, refused, failed, dropped)
   * for every adapter and binding. Off by default: a plain data path does not pay for them.
   */
  observe(): void {
    this.#runtime.observing = true;
  }

  /**
   * Calls `listener` with a copy of every frame that crosses an adapter's edge: sent down into
   * MiniportSendNetBufferLists, or indicated up by the adapter (a capture's view). Turns
   * observation on. Returns a function that removes the listener.
   */
  onFrame(listener: FrameListener): () => void {
    this.#runtime.observing = true;
    this.#runtime.frameListeners.add(listener);
    return () => this.#runtime.frameListeners.delete(listener);
  }

  /** The data-path counters of every adapter and binding (zero until `observe()` or `onFrame`). */
  statistics(): HostStatistics {
    const runtime = this.#runtime;
    return {
      adapters: [...runtime.adapters.values()].map((a) => ({
        name: a.name,
        driver: a.driver.name,
        state: a.machine.state,
        ...a.counters,
        sendsOutstanding: a.sendsOutstanding,
        receivesOutstanding: a.receivesOutstanding,
      })),
      bindings: [...runtime.bindings].map((b) => ({
        protocol: b.protocol.chars.Name,
        adapter: b.adapter.name,
        state: b.machine.state,
        ...b.counters,
        sendsOutstanding: b.sendsOutstanding,
      })),
      filters: [...runtime.adapters.values()].flatMap((a) =>
        a.filters.map((m) => ({
          name: m.name,
          driver: m.driver.name,
          adapter: a.name,
          state: m.machine.state,
          ...m.counters,
          sendsOutstanding: m.sendsOutstanding,
          receivesOutstanding: m.receivesOutstanding,
        })),
      ),
    };
  }

  /** Every protocol binding NDIS holds. */
  get bindings(): readonly BindingInfo[] {
    return [...this.#runtime.bindings].map(describeBinding);
  }

  /** What NDIS holds for the driver with this service name. */
  driver(name: string): DriverInfo | undefined {
    const driver = this.#runtime.drivers.get(name);
    return driver === undefined ? undefined : describeDriver(driver);
  }

  /** Every loaded driver. */
  get drivers(): readonly DriverInfo[] {
    return [...this.#runtime.drivers.values()].map(describeDriver);
  }
}

/** An OID given by value or by its NDIS name, checked. */
function hostOidValue(oid: number | string): number {
  if (typeof oid === "number") {
    if (Number.isInteger(oid) && oid >= 0 && oid <= 0xffffffff) return oid;
    throw new NdisError("NDIS_ERR_INVALID_ARGUMENT", `oidRequest: OID ${oid} is not a ULONG`);
  }
  if (typeof oid === "string" && Object.hasOwn(NDIS_OIDS, oid)) return NDIS_OIDS[oid] as number;
  throw new NdisError(
    "NDIS_ERR_INVALID_ARGUMENT",
    `oidRequest: ${JSON.stringify(oid)} is not an OID this package names`,
  );
}

function describeDriver(driver: DriverRecord): DriverInfo {
  return {
    name: driver.name,
    driverName: driver.driverObject.DriverName,
    registryPath: driver.registryPath,
    state: driver.state,
    miniportDrivers: driver.miniportDrivers.map((b) => ({
      intermediate: b.chars.isIntermediate,
      ndisVersion: b.version.label,
      revision: b.chars.Header.Revision,
      headerType: ndisObjectTypeToString(b.chars.Header.Type),
      handlers: Object.keys(b.chars.handlers),
      ignoredHandlers: [...b.chars.ignoredHandlers],
      optionalHandlers: [...b.optionalHandlers.keys()].map(ndisObjectTypeToString),
      associatedProtocol: b.associatedProtocol?.chars.Name ?? null,
    })),
    protocolDrivers: driver.protocolDrivers.map((b) => ({
      name: b.chars.Name,
      ndisVersion: b.version.label,
      revision: b.chars.Header.Revision,
      headerType: ndisObjectTypeToString(b.chars.Header.Type),
      handlers: Object.keys(b.chars.handlers),
      optionalHandlers: [...b.optionalHandlers.keys()].map(ndisObjectTypeToString),
      associatedWithMiniport: b.associatedMiniport !== null,
    })),
    filterDrivers: driver.filterDrivers.map((b) => ({
      friendlyName: b.chars.FriendlyName,
      uniqueName: b.chars.UniqueName,
      ndisVersion: b.version.label,
      revision: b.chars.Header.Revision,
      filterClass: b.install.filterClass,
      type: b.install.type,
      mandatory: b.install.mandatory,
      handlers: Object.keys(b.chars.handlers),
      modules: b.modules.map((m) => m.adapter.name),
      handle: b.handle,
    })),
  };
}
