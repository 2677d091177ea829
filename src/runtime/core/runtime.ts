/**
 * One emulated NDIS: the drivers it has loaded, the verifier's policy and findings, the trace and
 * the fault plan. The host owns one; DDI functions find it through the handle or DRIVER_OBJECT
 * they are given, or through the call context of the driver code that calls them.
 *
 * The top of core: `Ndis` composes the layers below it (base → objects → stack → policy) and is
 * the one implementation of the `NdisRuntime` interface through which they see it.
 */
import type { NdisVersionInfo } from "../../ndis/version.js";
import type { VerifierRuleId } from "../../verifier/rules.js";
import {
  formatViolation,
  makeViolation,
  NdisBugCheckError,
  type VerifierMode,
  type Violation,
} from "../../verifier/violation.js";
import type { HostClock } from "./base/clock.js";
import { NameMap } from "./base/names.js";
import { describeEvent, type TraceEvent, type TraceListener } from "./base/trace.js";
import { currentFrame, driverOnStack } from "./objects/context.js";
import type {
  AllocationSite,
  Binding,
  DeviceInstance,
  DriverRecord,
  FilterInstall,
  FrameListener,
  MiniportAdapter,
  NdisRuntime,
  PendingSite,
  PnpManager,
  RegistryValue,
} from "./objects/records.js";
import { Watchdog, type WatchdogLimits } from "./policy/watchdog.js";

/** Control-path events the flight recorder keeps… */
const RECORDER_SIZE = 64;
/** …and how many of the latest a violation report names. */
const RECENT_IN_REPORT = 16;

export interface RuntimeOptions {
  readonly version: NdisVersionInfo;
  readonly verifier: VerifierMode;
  readonly acceptDefaultHeaderType: boolean;
  /** NdisPowerProfileAcOnLine or NdisPowerProfileBattery. */
  readonly powerProfile: number;
  /** Where timers get their time. */
  readonly clock: HostClock;
  /** The watchdogs' limits. */
  readonly watchdogs: WatchdogLimits;
  /** Keep the flight recorder while the verifier is on. Default true. */
  readonly flightRecorder?: boolean;
}

export class Ndis implements NdisRuntime {
  readonly version: NdisVersionInfo;
  readonly verifierMode: VerifierMode;
  readonly acceptDefaultHeaderType: boolean;
  /** The system's power profile, told to every adapter after its initialization. */
  powerProfile: number;
  /** Loaded (and loading) drivers by service name. */
  readonly drivers = new Map<string, DriverRecord>();
  /** Every adapter NDIS holds, by device instance name. */
  readonly adapters = new NameMap<MiniportAdapter>();
  /** IM device instances by name, from NdisIMInitializeDeviceInstanceEx until they are removed. */
  readonly deviceInstances = new NameMap<DeviceInstance>();
  /** The PnP manager that starts and removes devices for NDIS; the host sets it. */
  pnp: PnpManager | null = null;
  /** Every protocol binding NDIS holds (Opening to Closing). */
  readonly bindings = new Set<Binding>();
  /** Device instance parameters (the adapter's registry key), by device instance name. */
  readonly deviceParameters = new NameMap<ReadonlyMap<string, RegistryValue>>();
  /** A protocol's per-adapter parameters, by `bindingKey(protocol, adapter)`. */
  readonly bindingParameters = new Map<string, ReadonlyMap<string, RegistryValue>>();
  /** How each filter driver is installed, by service name. */
  readonly filterInstalls = new Map<string, FilterInstall>();
  /** Where timers get their time. */
  readonly clock: HostClock;
  /** NDIS's watchdogs (pause, OID, send, hang), on the host clock. */
  readonly watchdog: Watchdog;
  /** Set while someone watches the data path: counters are kept and frame listeners called. */
  observing = false;
  readonly frameListeners = new Set<FrameListener>();
  readonly violations: Violation[] = [];
  /** The violation that stopped this whole NDIS in strict mode (one no driver could be blamed for). */
  bugCheck: Violation | null = null;
  /** Violations that stopped a driver's stack in strict mode, in order. */
  readonly stopped: Violation[] = [];

  readonly #listeners = new Set<TraceListener>();
  /** Listeners to the control path only: they do not make the data path build events. */
  readonly #controlListeners = new Set<TraceListener>();
  readonly #recent: TraceEvent[] = [];
  /** The verifier is on and keeps its flight recorder. */
  readonly #recording: boolean;
  #recentAt = 0;
  readonly #faults = new Map<AllocationSite, number>();
  /** The mark of NDIS's latest walk over an NBL chain. */
  chainStamp = 0;
  /** See NdisRuntime.routeEpoch. */
  routeEpoch = 0;
  readonly #pends = new Map<PendingSite, number>();
  #seq = 0;
  #ifIndex = 0;

  constructor(options: RuntimeOptions) {
    this.version = options.version;
    this.verifierMode = options.verifier;
    this.acceptDefaultHeaderType = options.acceptDefaultHeaderType;
    this.powerProfile = options.powerProfile;
    this.clock = options.clock;
    this.watchdog = new Watchdog(this, options.watchdogs);
    this.#recording = options.verifier !== "off" && options.flightRecorder !== false;
  }

  /** The next NDIS interface index (IfIndex), starting at 1. */
  nextIfIndex(): number {
    this.#ifIndex += 1;
    return this.#ifIndex;
  }

  /** True when someone listens to the trace; the data path skips building events otherwise. */
  get tracing(): boolean {
    return this.#listeners.size > 0;
  }

  /**
   * True when control-path events are wanted: someone listens, or the verifier keeps its flight
   * recorder (the last calls before a violation, named in its report; on unless the host was
   * made without it).
   */
  get recorded(): boolean {
    return this.#recording || this.#listeners.size > 0 || this.#controlListeners.size > 0;
  }

  /** The flight recorder: the latest control-path events, oldest first. */
  recentEvents(): readonly TraceEvent[] {
    const n = this.#recent.length;
    if (n < RECORDER_SIZE) return [...this.#recent];
    return [...this.#recent.slice(this.#recentAt), ...this.#recent.slice(0, this.#recentAt)];
  }

  /**
   * Adds a trace listener. With `dataPath` false it hears the control path only (and the data
   * path's events only while some other listener makes the data path build them).
   */
  onTrace(listener: TraceListener, dataPath = true): () => void {
    const set = dataPath ? this.#listeners : this.#controlListeners;
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(event: Omit<TraceEvent, "seq" | "time">): void {
    const recording = this.#recording;
    if (this.#listeners.size === 0 && this.#controlListeners.size === 0 && !recording) return;
    const full: TraceEvent = Object.freeze({
      ...event,
      seq: ++this.#seq,
      time: Number(this.clock.now()) / 1e6,
    });
    if (recording && event.kind !== "violation") {
      if (this.#recent.length < RECORDER_SIZE) this.#recent.push(full);
      else {
        this.#recent[this.#recentAt] = full;
        this.#recentAt = (this.#recentAt + 1) % RECORDER_SIZE;
      }
    }
    for (const listener of this.#listeners) listener(full);
    for (const listener of this.#controlListeners) listener(full);
  }

  /**
   * Reports a contract violation. In strict mode an error-severity violation stops the offending
   * driver's stack (as a bug check would stop Windows, but only that stack): the driver is marked
   * crashed, NdisBugCheckError unwinds its code back to the NDIS call that entered it, and the PnP
   * manager removes its objects. A violation no driver can be blamed for stops this whole NDIS.
   */
  violate(rule: VerifierRuleId, message: string, blamed: DriverRecord | null, depth = 0): void {
    if (this.verifierMode === "off") return;
    // A check that could not name a driver blames the one whose code is running, if any: only a
    // call made outside every driver's code (and about no driver's object) stops the whole NDIS.
    const frame = currentFrame();
    const driver = blamed ?? (frame.runtime === this ? frame.driver : null);
    // A driver strict mode already stopped is not blamed again for what NDIS then does on its
    // behalf (unbinding it, halting its adapters, reclaiming what it held): none of its code runs.
    if (
      driver !== null &&
      driver.crashed !== null &&
      this.verifierMode === "strict" &&
      !driverOnStack(driver)
    )
      return;
    // A driver in C says where in its code it is (the C function that made the DDI call).
    const where = driver?.driverObject?.DriverCodeLocation?.() ?? null;
    const violation = makeViolation(
      rule,
      where === null ? message : `${message} (${where})`,
      driver?.name ?? null,
      this.recentEvents().slice(-RECENT_IN_REPORT).map(describeEvent),
    );
    this.violations.push(violation);
    this.emit({
      kind: "violation",
      phase: "call",
      depth,
      name: rule,
      driver: violation.driver,
      detail: formatViolation(violation),
    });
    if (this.verifierMode !== "strict" || violation.severity !== "error") return;
    if (driver === null) {
      // Nobody to blame but the caller: the whole NDIS stops.
      this.bugCheck ??= violation;
      throw new NdisBugCheckError(violation);
    }
    // The offending driver's stack stops; everything else goes on. NDIS calls the driver no more
    // and the PnP manager takes down what depends on it.
    if (driver.crashed === null) {
      driver.crashed = violation;
      // Its filter modules take part in no stack's traffic any more.
      this.routeEpoch++;
      this.stopped.push(violation);
      this.pnp?.containDriver(driver);
    }
    // Unwind the driver's own code if it is running; callDriver ends the call there.
    if (driverOnStack(driver)) throw new NdisBugCheckError(violation);
  }

  /** Throws the bug check if this NDIS was stopped. */
  assertAlive(): void {
    if (this.bugCheck !== null) throw new NdisBugCheckError(this.bugCheck);
  }

  /** Makes the next `count` allocations at `site` fail with NDIS_STATUS_RESOURCES. */
  failAllocations(site: AllocationSite, count: number): void {
    this.#faults.set(site, (this.#faults.get(site) ?? 0) + count);
  }

  /** Makes NDIS answer the next `count` calls at `site` with NDIS_STATUS_PENDING. */
  pendOperations(site: PendingSite, count: number): void {
    this.#pends.set(site, (this.#pends.get(site) ?? 0) + count);
  }

  /** Consumes one planned PENDING at `site`; true when this call must pend. */
  takePending(site: PendingSite): boolean {
    const left = this.#pends.get(site) ?? 0;
    if (left === 0) return this.clock.fault(site, currentFrame().driver?.name ?? null);
    this.#pends.set(site, left - 1);
    return true;
  }

  /**
   * Runs NDIS's own deferred work (the completion of an operation NDIS pended) after the current
   * call has unwound, through the host's scheduler (a microtask on the real clock; a task the
   * explorer orders on a SimScheduler).
   */
  defer(work: () => void, label = "NDIS: deferred work"): void {
    this.clock.post(work, label);
  }

  /** Consumes one planned failure at `site`; true when this allocation must fail. */
  takeAllocationFailure(site: AllocationSite): boolean {
    if (this.#faults.size === 0) return this.clock.fault(site, currentFrame().driver?.name ?? null);
    const left = this.#faults.get(site) ?? 0;
    if (left === 0) return this.clock.fault(site, currentFrame().driver?.name ?? null);
    this.#faults.set(site, left - 1);
    return true;
  }
}

/** The key of a protocol's per-adapter parameters in NdisRuntime.bindingParameters. */
export function bindingKey(protocol: string, adapter: string): string {
  return `${protocol}\u0000${adapter.toLowerCase()}`;
}
