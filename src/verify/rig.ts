/**
 * One scenario's machine: a fresh NdisHost on a simulated scheduler (virtual time; a strategy
 * picks the order of everything deferred), verifier strict, with the suite's lower miniport under
 * the IM driver under test and the suite's upper protocol over each of its virtual miniports. The
 * virtual miniports are found from `host.adapters` after bring-up.
 */
import {
  type DriverModule,
  fifoStrategy,
  NDIS_STATUS_SUCCESS,
  NdisHost,
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
import type { EnvironmentFault } from "./scenarios.js";

export const LOWER_SERVICE = "vfylower";
export const UPPER_SERVICE = "vfyupper";

/** A check of the suite that failed (as opposed to a verifier violation). */
export class CheckFailed extends Error {
  override name = "CheckFailed";
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
}

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

  constructor(options: RigOptions) {
    this.clock = options.scheduler ?? new SimScheduler(fifoStrategy());
    this.maxSteps = options.maxSteps ?? 200_000;
    this.lower = lowerMiniport(this.clock);
    this.upper = upperProtocol(UPPER_SERVICE, this.clock);
    this.host = new NdisHost({ clock: this.clock, verifier: "strict", bindings: [] });
    this.service = options.service;
    this.lowers = options.lowers ?? ["lower0"];
    this.#module = options.module;
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
    throw new CheckFailed(message);
  }

  async loadIm(): Promise<void> {
    const result = await this.drive(
      `loading ${this.service}`,
      this.host.loadDriver({ name: this.service, module: this.#module }),
    );
    this.bringUpCheck(
      result.status === NDIS_STATUS_SUCCESS,
      `DriverEntry of ${this.service} returned 0x${(result.status >>> 0).toString(16)}`,
    );
    const info = this.host.driver(this.service);
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
    const paths: { protocol: string; adapter: string }[] = [];
    if (im !== null) for (const adapter of this.lowers) paths.push({ protocol: im, adapter });
    for (const vm of this.virtualMiniports())
      paths.push({ protocol: this.upper.name, adapter: vm });
    return paths;
  }

  /** The IM driver's virtual miniports now present. */
  virtualMiniports(): string[] {
    return this.host.adapters
      .filter((a) => a.intermediate && a.driver === this.service)
      .map((a) => a.name);
  }

  async addLowers(): Promise<void> {
    for (const name of this.lowers)
      await this.drive(`adding ${name}`, this.host.addAdapter({ driver: LOWER_SERVICE, name }));
  }

  /** Loads everything in `order` and binds the upper protocol above the virtual miniports. */
  async up(order: "adapter-first" | "im-first" = "adapter-first"): Promise<void> {
    await this.drive(
      "loading the lower miniport",
      this.host.loadDriver({ name: LOWER_SERVICE, module: this.lower.module }),
    );
    await this.drive(
      "loading the upper protocol",
      this.host.loadDriver({ name: UPPER_SERVICE, module: this.upper.module }),
    );
    if (order === "adapter-first") {
      await this.addLowers();
      await this.loadIm();
    } else {
      await this.loadIm();
      await this.addLowers();
    }
    await this.bindUpper();
  }

  /** Binds the upper protocol to every virtual miniport now present; checks one per lower. */
  async bindUpper(): Promise<void> {
    await this.drive("binding the upper protocol", this.host.setBindingPaths(this.#paths()));
    const vms = this.virtualMiniports();
    this.bringUpCheck(
      vms.length >= this.lowers.length,
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
  }

  lowerAdapter(name: string): LowerAdapter {
    const found = this.lower.byMac(this.host.adapter(name)?.macAddress ?? null);
    if (found === undefined) throw new CheckFailed(`lower adapter ${name} is not there`);
    return found;
  }

  /** The upper binding over the virtual miniport that sits on `lower`. */
  upperOver(lower: string): UpperBinding {
    const vms = this.virtualMiniports();
    const index = this.lowers.indexOf(lower);
    const vm = vms.find((name) => name.startsWith(lower)) ?? vms[index];
    const binding = this.upper.bindings.find((b) => b.adapter === vm);
    if (binding === undefined)
      throw new CheckFailed(`the upper protocol is not bound over ${lower}`);
    return binding;
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
