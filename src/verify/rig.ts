/**
 * One scenario's machine: a fresh NdisHost on a simulated scheduler (virtual time; a strategy
 * picks the order of everything deferred), verifier strict, with the suite's lower miniport under
 * the IM driver under test and the suite's upper protocol over each of its virtual miniports. The
 * virtual miniports are found from `host.adapters` after bring-up.
 */
import {
  type BindingPath,
  type DRIVER_OBJECT,
  type DriverModule,
  fifoStrategy,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  type RegistryValue,
  SimScheduler,
  type Violation,
} from "../index.js";
import {
  type LowerAdapter,
  type LowerMiniport,
  lowerMiniport,
  type UpperBinding,
  type UpperProtocol,
  upperProtocol,
} from "./drivers.js";

/**
 * A fault of the environment a race may be given (a site the scheduler is told about,
 * `SimSchedulerOptions`); scenarios.ts says what each does.
 */
export type EnvironmentFault = "link flap" | "send cancel" | "OID cancel";

export const LOWER_SERVICE = "vfylower";
export const UPPER_SERVICE = "vfyupper";

/** A check of the suite that failed (as opposed to a verifier violation). */
export class CheckFailed extends Error {
  override name = "CheckFailed";
}

/**
 * Bring-up did not happen in a run without faults: the driver under test did not come up (no
 * virtual miniport, no bind, an initialization that failed). A CheckFailed like any other in a
 * scenario; before the suite runs, the cue for one clear error instead of a failure per scenario.
 */
export class BringUpFailed extends CheckFailed {
  override name = "BringUpFailed";
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

/**
 * Bring-up stopped short because the driver under test refused it under an injected fault (an
 * allocation that failed, an open NDIS failed): a correct answer, not a failure. The run then
 * tears down what did start and passes if nothing leaked and no rule was broken.
 */
export class FaultRefused extends Error {
  override name = "FaultRefused";
}

/** Lets every promise the last step resolved run (the host's own continuations). */
export function drain(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** The run went on longer than any scenario should: a livelock, or a driver that never rests. */
export class StepLimit extends Error {
  override name = "StepLimit";
}

/**
 * How the suite makes a protocol under test send: the module exports `verifySend`, which sends
 * `frame` (a whole Ethernet frame, copied) on the protocol's binding to `adapterName` as a
 * user-mode write to its device would (ndisprot's WriteFile). It returns what the write returns
 * — a status, or a promise settled when the send is done — and must not throw.
 */
export type ProtocolSendHook = (
  driverObject: DRIVER_OBJECT,
  adapterName: string,
  frame: Uint8Array,
) => unknown;

export interface RigOptions {
  /** The IM driver module, or a path to import it from. */
  readonly module: DriverModule | string;
  /** The service name the IM driver loads under. */
  readonly service: string;
  /** Names of the lower adapters. Default ["lower0"]. */
  readonly lowers?: readonly string[];
  /** Bring-up order. Default "adapter-first". */
  readonly order?: "adapter-first" | "im-first";
  /** The scheduler of the run. Default: FIFO, no faults (the plain run). */
  readonly scheduler?: SimScheduler;
  /** Give up after this many scheduler steps. Default 200 000. */
  readonly maxSteps?: number;
  /** What kind of driver is under test (how the rig places it). Default "im". */
  readonly kind?: DriverKind;
  /** Registry values and placement the driver under test is configured with (--stack, --registry). */
  readonly config?: VerifyConfig;
  /**
   * Keep the verifier's flight recorder (the recent calls a violation report names). Default
   * true; the explorer turns it off in the runs it only judges and replays a failure with it on.
   */
  readonly flightRecorder?: boolean;
  /** The lower miniport has a MiniportResetEx (a scenario resets it). Default false. */
  readonly lowerResets?: boolean;
}

/**
 * The kinds of driver the suite places: an intermediate driver (1:1, a MUX's 1:N or a team's
 * N:1 — its shape comes from its configuration) between the suite's lower miniport and upper
 * protocol; a filter driver whose modules attach to the lower adapters, with the upper protocol
 * bound to them directly; a miniport alone under the upper protocol; a protocol alone over the
 * lower miniport.
 */
export type DriverKind = "im" | "filter" | "miniport" | "protocol";

type RegistryValues = Readonly<Record<string, RegistryValue>>;

/**
 * How the driver under test is configured: what its INF and the user would have written in the
 * registry. Plain data, so it reaches `--jobs` workers as it is.
 */
export interface VerifyConfig {
  /** The driver's Parameters values (NdisOpenConfigurationEx with its driver handle). */
  readonly driver?: RegistryValues;
  /** Each lower binding's values (an IM's protocol edge → a lower adapter), by lower adapter; "*" for every one. */
  readonly bindings?: Readonly<Record<string, RegistryValues>>;
  /** Device parameters of the virtual miniports (or, for a miniport under test, its adapters), by device name. */
  readonly devices?: Readonly<Record<string, RegistryValues>>;
  /** Values of the lower adapters (the suite's miniport ignores them; a filter reads them through its module). */
  readonly adapters?: Readonly<Record<string, RegistryValues>>;
  /** How many lower adapters the driver is configured over (a team's members). */
  readonly lowers?: readonly string[];
  /** A filter's install options. */
  readonly filter?: { readonly class?: string; readonly type?: "monitoring" | "modifying" };
}

/** How long bring-up waits for the upper protocol's packet filter requests to complete (host time). */
const FILTER_WAIT_MS = 5_000;

export class Rig {
  readonly clock: SimScheduler;
  readonly host: NdisHost;
  readonly lower: LowerMiniport;
  readonly upper: UpperProtocol;
  readonly maxSteps: number;
  readonly service: string;
  readonly lowers: readonly string[];
  readonly #module: DriverModule | string;
  #imProtocol: string | null = null;
  /** Tags handed out so every frame of a scenario is unique. */
  #nextTag = 1;
  /** Faults of the environment injected into this run (`link flap`, `send cancel`, …). */
  readonly injected = new Set<EnvironmentFault>();

  readonly kind: DriverKind;
  readonly config: VerifyConfig;

  constructor(options: RigOptions) {
    this.clock = options.scheduler ?? new SimScheduler(fifoStrategy());
    this.maxSteps = options.maxSteps ?? 200_000;
    const contextRoom = { none: false };
    this.lower = lowerMiniport(this.clock, contextRoom, { resets: options.lowerResets === true });
    this.upper = upperProtocol(UPPER_SERVICE, this.clock, contextRoom);
    this.host = new NdisHost({
      clock: this.clock,
      verifier: "strict",
      // [MODEL] Windows registers a characteristics table whose Header.Type is
      // NDIS_OBJECT_TYPE_DEFAULT (Microsoft's MUX sample has shipped so since NDIS 6.0): the suite
      // checks a driver against what Windows does, so it does not fail such a driver at load.
      acceptDefaultHeaderType: true,
      bindings: [],
      flightRecorder: options.flightRecorder !== false,
    });
    this.service = options.service;
    this.kind = options.kind ?? "im";
    this.config = options.config ?? {};
    // A configuration that names the lower adapters (a team's members) sets them for every
    // scenario; otherwise the scenario's own.
    this.lowers = this.config.lowers ?? options.lowers ?? ["lower0"];
    this.#module = options.module;
    for (const [device, values] of Object.entries(this.config.devices ?? {}))
      this.host.setDeviceParameters(device, values);
  }

  /** The first lower adapter (the one most scenarios drive). */
  get lower0(): string {
    return this.lowers[0] ?? "lower0";
  }

  /** The second lower adapter (scenarios with two), else the first. */
  get lower1(): string {
    return this.lowers[1] ?? this.lower0;
  }

  tags(n: number): number {
    const first = this.#nextTag;
    this.#nextTag += n;
    return first;
  }

  /** Host operations in flight: while there are, their continuations run after every step. */
  #busy = 0;

  /** Starts tracking a host operation (its continuations must run between steps). */
  track<T>(operation: Promise<T>): Promise<T> {
    this.#busy++;
    const done = () => {
      this.#busy--;
    };
    operation.then(done, done);
    return operation;
  }

  /**
   * Runs one scheduler step (the strategy's pick), then — while a host operation is in flight —
   * the promise continuations it set off, so the host's next PnP step comes before the next pick.
   */
  async #step(): Promise<boolean> {
    if (this.clock.steps >= this.maxSteps)
      throw new StepLimit(`the run took more than ${this.maxSteps} scheduler steps`);
    const moved = this.clock.step();
    if (this.#busy > 0) await drain();
    return moved;
  }

  /** Runs everything ready (and what it makes ready) until nothing is; no time passes unless the strategy lets it. */
  async settle(): Promise<void> {
    for (;;) {
      await drain();
      if (this.clock.ready === 0) return;
      while (this.clock.ready > 0) {
        await this.#step();
        // A driver's own promises (rare in driver code) run at least every 256 steps.
        if ((this.clock.steps & 0xff) === 0) await drain();
      }
    }
  }

  /** Lets `ms` of virtual time pass, running everything that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + BigInt(Math.round(ms * 1_000_000));
    await this.settle();
    while (this.clock.now() < end) {
      if (this.clock.advanceTo(end)) await this.settle();
      else await this.clock.idle(end);
    }
  }

  /**
   * Runs what is ready, then lets virtual time pass timer by timer until `condition` holds or
   * `limitMs` of host time went by; true when it holds. For what a driver may legally defer (a
   * link indication it debounces), where a check right after `settle` would be too strict.
   */
  async eventually(condition: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.clock.now() + BigInt(Math.round(limitMs * 1_000_000));
    await this.settle();
    while (!condition() && this.clock.now() < end) {
      if (this.clock.advanceTo(end)) await this.settle();
      else await this.clock.idle(end);
    }
    return condition();
  }

  /**
   * Waits for a host operation, running the scheduler (and letting virtual time pass when nothing
   * else can happen, so the verifier's watchdogs fire on what never completes) up to `limitMs`.
   */
  async drive<T>(what: string, operation: Promise<T>, limitMs = 40_000): Promise<T> {
    void this.track(operation);
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    operation.then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    const end = this.clock.now() + BigInt(limitMs * 1_000_000);
    await drain();
    while (outcome === null && this.clock.now() < end) {
      if (this.clock.ready > 0) await this.#step();
      else if (!this.clock.advanceTo(end)) await this.clock.idle(end);
      else await this.#step();
    }
    const done = outcome as { ok: true; value: T } | { ok: false; error: unknown } | null;
    if (done === null)
      throw new CheckFailed(`${what} did not finish within ${limitMs / 1000} s of host time`);
    if (!done.ok) throw done.error;
    return done.value;
  }

  /**
   * A bring-up check: a failure is the driver's bug in a run without faults, and its correct
   * refusal (FaultRefused) in a run where a fault was injected into its calls.
   */
  bringUpCheck(condition: boolean, message: string): asserts condition {
    if (condition) return;
    if (this.clock.faultsInjected > 0)
      throw new FaultRefused(`${message}, after an injected fault`);
    throw new BringUpFailed(message);
  }

  /** The protocol edge of the driver under test (an IM's or a protocol's), once loaded. */
  get protocolName(): string | null {
    return this.#imProtocol;
  }

  /** The DRIVER_OBJECT of the driver under test, once loaded. */
  driverObject: DRIVER_OBJECT | null = null;

  /**
   * The protocol under test's send hook (ProtocolSendHook, docs/verify.md): the module's
   * `verifySend` export, or null when it has none (the scenarios then check what they can).
   */
  get protocolSendHook(): ProtocolSendHook | null {
    const module = this.#module;
    if (typeof module === "string") return null;
    const hook = (module as { verifySend?: unknown }).verifySend;
    return typeof hook === "function" ? (hook as ProtocolSendHook) : null;
  }

  async loadIm(): Promise<void> {
    const filter = this.config.filter;
    const result = await this.drive(
      `loading ${this.service}`,
      this.host.loadDriver({
        name: this.service,
        module: this.#module,
        ...(this.config.driver === undefined ? {} : { registry: this.config.driver }),
        ...(this.kind === "filter"
          ? {
              filter: {
                adapters: this.lowers,
                ...(filter?.class === undefined ? {} : { class: filter.class }),
                ...(filter?.type === undefined ? {} : { type: filter.type }),
              },
            }
          : {}),
      }),
    );
    this.bringUpCheck(
      result.status === NDIS_STATUS_SUCCESS,
      `DriverEntry of ${this.service} returned 0x${(result.status >>> 0).toString(16)}`,
    );
    this.driverObject = result.driverObject;
    const info = this.host.driver(this.service);
    if (this.kind === "miniport") {
      check(
        (info?.miniportDrivers.length ?? 0) > 0,
        `${this.service} must register a miniport driver (NdisMRegisterMiniportDriver)`,
      );
      return;
    }
    if (this.kind === "protocol") {
      const protocol = info?.protocolDrivers[0];
      check(
        protocol !== undefined,
        `${this.service} must register a protocol driver (NdisRegisterProtocolDriver)`,
      );
      this.#imProtocol = protocol.name;
      await this.drive("binding the protocol", this.host.setBindingPaths(this.#paths()));
      return;
    }
    if (this.kind === "filter") {
      check(
        (info?.filterDrivers.length ?? 0) > 0,
        `${this.service} must register a filter driver (NdisFRegisterFilterDriver)`,
      );
      await this.drive("binding the upper protocol", this.host.setBindingPaths(this.#paths()));
      return;
    }
    const miniport = info?.miniportDrivers[0];
    const protocol = info?.protocolDrivers[0];
    check(
      miniport?.intermediate === true && protocol !== undefined,
      `${this.service} must register an intermediate miniport edge and a protocol edge`,
    );
    this.#imProtocol = protocol.name;
    await this.drive("binding the IM driver", this.host.setBindingPaths(this.#paths()));
  }

  /** The protocol edge binds to every lower adapter; the upper protocol to every virtual one. */
  #paths(): { protocol: string; adapter: string }[] {
    const im = this.#imProtocol;
    const paths: BindingPath[] = [];
    const bindings = this.config.bindings ?? {};
    if (im !== null)
      for (const adapter of this.lowers) {
        const registry = bindings[adapter] ?? bindings["*"];
        paths.push(
          registry === undefined ? { protocol: im, adapter } : { protocol: im, adapter, registry },
        );
      }
    for (const vm of this.virtualMiniports())
      paths.push({ protocol: this.upper.name, adapter: vm });
    return paths;
  }

  /**
   * The adapters the upper protocol binds to: the IM driver's virtual miniports now present, or
   * for a filter the lower adapters its modules sit on.
   */
  virtualMiniports(): string[] {
    if (this.kind === "protocol") return [];
    if (this.kind === "filter" || this.kind === "miniport")
      return this.lowers.filter((name) => this.host.adapter(name) !== undefined);
    return this.host.adapters
      .filter((a) => a.intermediate && a.driver === this.service)
      .map((a) => a.name);
  }

  /** The filter modules of the driver under test attached to `adapter` (filter kind). */
  filterModulesOn(adapter: string): { state: string }[] {
    if (this.host.adapter(adapter) === undefined) return [];
    return this.host.filterModules(adapter).filter((m) => m.driver === this.service);
  }

  async addLowers(): Promise<void> {
    // A miniport under test drives the adapters itself, each with its device parameters.
    const driver = this.kind === "miniport" ? this.service : LOWER_SERVICE;
    for (const name of this.lowers) {
      const registry = this.kind === "miniport" ? this.config.devices?.[name] : undefined;
      await this.drive(
        `adding ${name}`,
        this.host.addAdapter(
          registry === undefined ? { driver, name } : { driver, name, registry },
        ),
      );
      if (this.kind === "miniport")
        this.bringUpCheck(
          this.host.adapter(name)?.state === "Running",
          `${name} is ${this.host.adapter(name)?.state ?? "gone"} after its MiniportInitializeEx, not Running`,
        );
    }
  }

  /** Loads everything in `order` and binds the upper protocol above the virtual miniports. */
  async up(order: "adapter-first" | "im-first" = "adapter-first"): Promise<void> {
    // A miniport under test takes the lower miniport's place (the upper protocol binds to its
    // adapters); a protocol under test takes the upper protocol's (it binds to the lower ones).
    if (this.kind !== "miniport")
      await this.drive(
        "loading the lower miniport",
        this.host.loadDriver({ name: LOWER_SERVICE, module: this.lower.module }),
      );
    await this.drive(
      "loading the upper protocol",
      this.host.loadDriver({ name: UPPER_SERVICE, module: this.upper.module }),
    );
    // A miniport under test must be loaded before its adapters can arrive.
    if (order === "adapter-first" && this.kind !== "miniport") {
      await this.addLowers();
      await this.loadIm();
    } else {
      await this.loadIm();
      await this.addLowers();
    }
    if (this.kind !== "protocol") await this.bindUpper();
    else
      for (const name of this.lowers)
        this.bringUpCheck(
          this.host.bindings.some((b) => b.adapter === name && b.protocol === this.#imProtocol),
          `${this.service} did not bind to ${name}`,
        );
    if (this.kind === "im" && Object.keys(this.config).length > 0) await this.learn();
  }

  /**
   * For a configured IM driver (a MUX, a team): one frame down from each virtual miniport shows
   * where it leaves and how — the lower adapter it goes out on and the 802.1Q tag a VLAN MUX puts
   * on it — so the lower miniport indicates receives the way that virtual miniport takes them.
   * The suite assumes no naming scheme and no VLAN plan: it learns them.
   */
  async learn(): Promise<void> {
    const vlanOf = new Map<string, number | null>();
    for (const vm of this.virtualMiniports()) {
      const binding = this.upper.bindings.find((b) => b.adapter === vm);
      if (binding === undefined) continue;
      const tag = this.tags(1);
      this.upper.send(binding, 1, { nbs: 1, mdls: 1, size: 60 }, tag);
      await this.settle();
      const out = this.lower.adapters.find((a) => a.sentTags.includes(tag));
      if (out === undefined) continue;
      vlanOf.set(vm, out.lastVlan);
      // The first virtual miniport seen leaving on a lower adapter is the one addressed over it.
      const lower = this.lowers.find(
        (name) => this.lower.byMac(this.host.adapter(name)?.macAddress ?? null) === out,
      );
      if (lower !== undefined && !this.#addressed.has(lower)) this.#addressed.set(lower, vm);
    }
    for (const name of this.lowers) {
      const down = this.lower.byMac(this.host.adapter(name)?.macAddress ?? null);
      const vm = this.upper.bindings.find((b) => b.adapter === this.vmOverOrNull(name))?.adapter;
      if (down !== undefined && vm !== undefined) this.lower.setVlan(down, vlanOf.get(vm) ?? null);
    }
  }

  /** The virtual miniport the scenarios address over each lower adapter, once chosen. */
  readonly #addressed = new Map<string, string>();

  /**
   * The virtual miniport the scenarios address over `lower`, or null: the same one for the whole
   * run (a MUX's VELAN that is disabled and enabled again comes back last in the host's list).
   */
  vmOverOrNull(lower: string): string | null {
    const vms = this.virtualMiniports();
    const chosen = this.#addressed.get(lower);
    if (chosen !== undefined && vms.includes(chosen)) return chosen;
    const index = this.lowers.indexOf(lower);
    const vm = vms.find((name) => name.startsWith(lower)) ?? vms[index] ?? vms[0] ?? null;
    if (vm !== null) this.#addressed.set(lower, vm);
    return vm;
  }

  /** Binds the upper protocol to every virtual miniport now present; checks one per lower. */
  async bindUpper(): Promise<void> {
    await this.drive("binding the upper protocol", this.host.setBindingPaths(this.#paths()));
    const vms = this.virtualMiniports();
    if (this.kind === "miniport") {
      // Its adapters were checked as they arrived.
    } else if (this.kind === "filter")
      for (const lower of this.lowers) {
        const modules = this.filterModulesOn(lower);
        this.bringUpCheck(
          modules.length === 1 && modules[0]?.state === "Running",
          `the filter module of ${this.service} on ${lower} is ${modules[0]?.state ?? "not attached"}, not Running`,
        );
      }
    else
      this.bringUpCheck(
        vms.length >= 1 && (vms.length >= this.lowers.length || this.config.lowers !== undefined),
        `${this.service} started ${vms.length} virtual miniport(s) over ${this.lowers.length} lower adapter(s)`,
      );
    for (const vm of vms) {
      this.bringUpCheck(
        this.host.adapter(vm)?.state === "Running",
        `virtual miniport ${vm} is ${this.host.adapter(vm)?.state ?? "gone"}, not Running`,
      );
      this.bringUpCheck(
        this.upper.bindings.some((b) => b.adapter === vm),
        `the upper protocol could not bind to ${vm}`,
      );
    }
    // A protocol receives nothing before its packet filter is set: a driver below that pends the
    // request (and completes it from a work item or a timer) is waited for, as long as NDIS
    // would let a driver take (short of the OID watchdog); one that answers at once costs nothing.
    const filtered = () =>
      this.upper.bindings.every((b) => b.handle === undefined || b.oidsPending.size === 0);
    if (!filtered()) await this.eventually(filtered, FILTER_WAIT_MS);
  }

  lowerAdapter(name: string): LowerAdapter {
    const found = this.lower.byMac(this.host.adapter(name)?.macAddress ?? null);
    if (found === undefined) throw new CheckFailed(`lower adapter ${name} is not there`);
    return found;
  }

  /** The upper binding over the virtual miniport that sits on `lower`. */
  upperOver(lower: string): UpperBinding {
    const vm = this.vmOverOrNull(lower);
    const binding = this.upper.bindings.find((b) => b.adapter === vm);
    if (binding === undefined)
      throw new CheckFailed(`the upper protocol is not bound over ${lower}`);
    return binding;
  }

  /**
   * The lower adapters under the virtual miniport addressed over `lower`: `lower` alone for a
   * 1:1 IM, a MUX or a filter; every member for a team (N:1), whose sends may leave on any.
   */
  lowersUnder(lower: string): string[] {
    const vm = this.vmOverOrNull(lower);
    const under = this.lowers.filter((name) => this.vmOverOrNull(name) === vm);
    return under.length === 0 ? [lower] : under;
  }

  /** The virtual miniport over `lower`. */
  vmOver(lower: string): string {
    return this.upperOver(lower).adapter;
  }

  /** Unloads everything in NDIS order, whatever is left. */
  async down(): Promise<void> {
    for (const name of this.lowers)
      if (this.host.adapter(name) !== undefined)
        await this.drive(`removing ${name}`, this.host.removeAdapter(name));
    for (const service of [this.service, UPPER_SERVICE, LOWER_SERVICE])
      if (this.host.driver(service) !== undefined)
        await this.drive(`unloading ${service}`, this.host.unloadDriver(service));
  }

  /** The violations, the IM driver's first. */
  violations(): Violation[] {
    const all = [...this.host.violations];
    return [
      ...all.filter((v) => v.driver === this.service),
      ...all.filter((v) => v.driver !== this.service),
    ];
  }
}
