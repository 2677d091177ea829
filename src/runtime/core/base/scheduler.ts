/**
 * The simulated scheduler: a HostClock on virtual time that owns every deferred thing — NDIS's own
 * deferred work, completions drivers make later, timers, work items, the host's PnP steps — and
 * lets a strategy choose, at every point where more than one of them could run next, which one
 * does. Every decision it makes is a number in a list; the same list replays the same run. Time
 * passes when nothing else can run, and then it jumps: a scenario that waits 10 s of watchdog time
 * takes no wall-clock time at all. While tasks are ready, letting time pass first is a choice a
 * strategy may make only a few times per run (`timeChoices`) and only to a timer due soon
 * (`timeWindowMs`): a periodic timer can then fire ahead of a ready task, but time can never race
 * ahead of the tasks far enough to starve them into a watchdog.
 *
 * The same scheduler can keep wall-clock time instead (`time: "real"`): then a timer runs only
 * once its time has really come, and waiting for it is sleeping. That is the real-time scheduler
 * a run on real time would have, and the baseline `bench/explore.bench.ts` measures virtual time
 * against; the strategy still orders what is ready.
 */
import type { HostClock } from "./clock.js";

/** One place where the run could go more than one way. */
export interface ChoicePoint {
  /** Its position among the run's choice points (0-based). */
  readonly index: number;
  /** How many ways: the pick is 0 … width − 1. */
  readonly width: number;
  /**
   * `order`: which ready task runs next (the last option, when `timeOption`, lets time pass to a
   * timer due soon, within the run's budget of such choices);
   * `decide`: a decision the environment leaves open; `fault`: inject a fault (1) or not (0).
   */
  readonly kind: "order" | "decide" | "fault";
  readonly label: string;
  /** For `order`: the actor of each ready task (`lower0`, `NDIS`, `imtest`), in option order. */
  readonly actors: readonly string[];
  /** For `order`: the last option lets time pass to the next timer. */
  readonly timeOption: boolean;
}

/** Decides every choice point of one run. 0 is always the plain choice (FIFO, no fault). */
export interface Strategy {
  readonly name: string;
  pick(point: ChoicePoint): number;
  /**
   * True when `pick` never reads a point's `actors`: the scheduler then works them out only if
   * they are read (during `pick`), instead of listing every ready task's actor at every step.
   */
  readonly actorBlind?: boolean;
}

/** A decision made, for reports. */
export interface ChoiceRecord {
  readonly kind: ChoicePoint["kind"];
  readonly label: string;
  readonly width: number;
  readonly pick: number;
  /** What ran, for `order` choices (the label of the picked task, or "time passes"). */
  readonly chosen: string;
}

interface Task {
  readonly work: () => void;
  readonly label: string;
  /** The label's actor, once a strategy asked for it. */
  actor: string | null;
}

interface Timer {
  readonly due: bigint;
  readonly seq: number;
  readonly callback: () => void;
  readonly background: boolean;
  readonly label: string;
}

export interface SimSchedulerOptions {
  /** Fault sites the strategy may fire (`NdisAllocateNetBufferList`, `NdisOpenAdapterEx`). */
  readonly faultSites?: readonly string[];
  /** Only calls made by these drivers (service names) get faults. Default: any driver. */
  readonly faultDrivers?: readonly string[];
  /** At most this many faults per run. Default 1. */
  readonly maxFaults?: number;
  /**
   * Faults of the environment rather than of a driver's call (`link flap`): any caller may ask,
   * whatever driver is running; they have their own budget, `maxEnvironmentFaults`.
   */
  readonly environmentSites?: readonly string[];
  /** At most this many environment faults per run. Default 1. */
  readonly maxEnvironmentFaults?: number;
  /** Keep a record of every decision (for reports). Default true. */
  readonly record?: boolean;
  /**
   * `virtual` (default): time jumps to the next timer when the run waits for it. `real`: time is
   * the wall clock's since the scheduler was made; a timer runs once it is really due.
   */
  readonly time?: "virtual" | "real";
  /**
   * How many times per run a strategy may let time pass while tasks are ready. Default 3.
   * (When nothing is ready, time passes without a choice, as often as needed.)
   */
  readonly timeChoices?: number;
  /**
   * Only a timer due within this many milliseconds may fire ahead of ready tasks. Default 1000:
   * with `timeChoices` 3 the tasks are held back at most 3 s of host time, well inside every
   * watchdog's limit (10 s for a pause, 12 s for an OID request).
   */
  readonly timeWindowMs?: number;
}

const NS_PER_MS = 1_000_000;

function actorOf(label: string): string {
  const colon = label.indexOf(":");
  return colon < 0 ? label : label.slice(0, colon);
}

function taskActor(task: Task): string {
  task.actor ??= actorOf(task.label);
  return task.actor;
}

const NO_ACTORS: readonly string[] = Object.freeze([]);

/**
 * A choice point as a strategy sees it. An order point's `actors` are listed when the point is
 * made, or — for a strategy that says it never reads them (`actorBlind`) — only if read, from the
 * tasks ready at that moment: a wide run (a hundred tasks ready) then pays nothing per step for
 * a list nobody reads.
 */
class Point implements ChoicePoint {
  readonly index: number;
  readonly width: number;
  readonly kind: ChoicePoint["kind"];
  readonly label: string;
  readonly timeOption: boolean;
  #actors: readonly string[] | null;
  #ready: readonly Task[] | null;
  constructor(
    index: number,
    kind: ChoicePoint["kind"],
    label: string,
    width: number,
    timeOption: boolean,
    ready: readonly Task[] | null,
    lazy: boolean,
  ) {
    this.index = index;
    this.kind = kind;
    this.label = label;
    this.width = width;
    this.timeOption = timeOption;
    this.#ready = lazy ? ready : null;
    this.#actors = ready === null ? NO_ACTORS : lazy ? null : ready.map(taskActor);
  }
  get actors(): readonly string[] {
    if (this.#actors === null) {
      this.#actors = (this.#ready as readonly Task[]).map(taskActor);
      this.#ready = null;
    }
    return this.#actors;
  }
}

/** A task's work threw: the explorer reports it as the run's failure. */
export interface UncaughtError {
  readonly label: string;
  readonly error: unknown;
}

export class SimScheduler implements HostClock {
  readonly strategy: Strategy;
  /** Every pick, in order (choice points of width 1 are not choices and are not listed). */
  readonly picks: number[] = [];
  /** How many ways each of those choice points could go. */
  readonly widths: number[] = [];
  /** What each pick decided (when recording). */
  readonly decisions: ChoiceRecord[] = [];
  /** Errors thrown out of tasks and timers. */
  readonly uncaught: UncaughtError[] = [];
  /** Tasks and timers run. */
  steps = 0;
  #now = 0n;
  #seq = 0;
  #faults = 0;
  #environmentFaults = 0;
  #timeChoicesLeft: number;
  readonly #timeWindowNs: bigint;
  readonly #ready: Task[] = [];
  #timers: Timer[] = [];
  readonly #faultSites: ReadonlySet<string>;
  readonly #faultDrivers: ReadonlySet<string> | null;
  readonly #maxFaults: number;
  readonly #environmentSites: ReadonlySet<string>;
  readonly #maxEnvironmentFaults: number;
  readonly #record: boolean;
  /** The wall-clock origin, in real time; null on virtual time. */
  readonly #origin: bigint | null;

  constructor(strategy: Strategy, options: SimSchedulerOptions = {}) {
    this.strategy = strategy;
    this.#faultSites = new Set(options.faultSites ?? []);
    this.#faultDrivers = options.faultDrivers === undefined ? null : new Set(options.faultDrivers);
    this.#maxFaults = options.maxFaults ?? 1;
    this.#environmentSites = new Set(options.environmentSites ?? []);
    this.#maxEnvironmentFaults = options.maxEnvironmentFaults ?? 1;
    this.#record = options.record ?? true;
    this.#origin = options.time === "real" ? process.hrtime.bigint() : null;
    this.#timeChoicesLeft = options.timeChoices ?? 3;
    this.#timeWindowNs = BigInt(Math.round((options.timeWindowMs ?? 1000) * NS_PER_MS));
  }

  /** Faults of the driver under test's calls injected so far (environment faults not counted). */
  get faultsInjected(): number {
    return this.#faults;
  }

  /** True on wall-clock time. */
  get realTime(): boolean {
    return this.#origin !== null;
  }

  now(): bigint {
    if (this.#origin !== null) {
      const wall = process.hrtime.bigint() - this.#origin;
      if (wall > this.#now) this.#now = wall;
    }
    return this.#now;
  }

  /** Milliseconds of host time since the start (virtual, or the wall clock's on real time). */
  get nowMs(): number {
    return Number(this.now()) / NS_PER_MS;
  }

  schedule(delayMs: number, callback: () => void, background = false, label = "timer"): () => void {
    if (delayMs <= 0 && !background) {
      const task: Task = { work: callback, label, actor: null };
      this.#ready.push(task);
      return () => {
        const at = this.#ready.indexOf(task);
        if (at >= 0) this.#ready.splice(at, 1);
      };
    }
    const timer: Timer = {
      due: this.now() + BigInt(Math.max(1, Math.round(delayMs * NS_PER_MS))),
      seq: this.#seq++,
      callback,
      background,
      label,
    };
    this.#timers.push(timer);
    return () => {
      const at = this.#timers.indexOf(timer);
      if (at >= 0) this.#timers.splice(at, 1);
    };
  }

  post(work: () => void, label: string): void {
    this.#ready.push({ work, label, actor: null });
  }

  choose(label: string, options: number): number {
    if (options < 2) return 0;
    return this.#decide("decide", label, options, false, null);
  }

  fault(site: string, driver: string | null): boolean {
    // A fault of the environment may be asked for by anyone; a driver's only at its listed
    // sites, by its listed drivers. Each kind has its own budget.
    const environment = this.#environmentSites.has(site);
    if (environment) {
      if (this.#environmentFaults >= this.#maxEnvironmentFaults) return false;
    } else {
      if (this.#faults >= this.#maxFaults || !this.#faultSites.has(site)) return false;
      if (this.#faultDrivers !== null && (driver === null || !this.#faultDrivers.has(driver)))
        return false;
    }
    const pick = this.#decide(
      "fault",
      // An allocation that fails, or an operation NDIS pends: the site says which.
      environment ? site : `${site} (${driver ?? "NDIS"})`,
      2,
      false,
      null,
    );
    if (pick !== 1) return false;
    if (environment) this.#environmentFaults++;
    else this.#faults++;
    return true;
  }

  /** Tasks ready to run now. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Timers set and not run, background ones (NDIS's watchdog) not counted. */
  get pendingTimers(): number {
    let n = 0;
    for (const t of this.#timers) if (!t.background) n++;
    return n;
  }

  /** Labels of the ready tasks, in order (for reports of a run that stopped). */
  readyLabels(): string[] {
    return this.#ready.map((t) => t.label);
  }

  /**
   * Runs one ready task, chosen by the strategy — or lets time pass to the next foreground timer
   * when the strategy says so or nothing is ready. False when nothing is ready and no foreground
   * timer is set (only time itself, `advanceTo`, can move the run on).
   */
  step(): boolean {
    const ready = this.#ready;
    const next = this.#due(this.#nextTimer(false));
    if (ready.length === 0) {
      if (next === null) return false;
      this.#fire(next.due);
      return true;
    }
    let pick = 0;
    // Time may pass ahead of ready tasks only within the run's budget, and only to a timer due
    // soon: never so far that a task would starve.
    const early =
      next !== null && this.#timeChoicesLeft > 0 && next.due - this.now() <= this.#timeWindowNs
        ? next
        : null;
    const width = ready.length + (early === null ? 0 : 1);
    if (width > 1) pick = this.#decide("order", "next", width, early !== null, ready);
    if (pick >= ready.length && early !== null) {
      this.#timeChoicesLeft--;
      this.#fire(early.due);
      return true;
    }
    // Take the task out without splice's one-element array (this runs at every step).
    const task = ready[pick] as Task;
    if (pick === 0) ready.shift();
    else {
      for (let i = pick + 1; i < ready.length; i++) ready[i - 1] = ready[i] as Task;
      ready.pop();
    }
    this.#run(task.label, task.work);
    return true;
  }

  /**
   * Lets time pass to the next timer of any kind (background ones too: NDIS's watchdog) if it is
   * due by `limitNs`, making it ready; else moves time to `limitNs`. True when a timer fired.
   */
  advanceTo(limitNs: bigint): boolean {
    const next = this.#due(this.#nextTimer(true));
    if (next === null || next.due > limitNs) {
      if (this.#origin === null && limitNs > this.#now) this.#now = limitNs;
      return false;
    }
    this.#fire(next.due);
    return true;
  }

  /**
   * Waits while nothing can run before `limitNs`: on virtual time only for the promises already
   * resolved (time itself moves in `advanceTo`); on real time until the next timer is due, or
   * the limit, whichever is first.
   */
  idle(limitNs: bigint): Promise<void> {
    if (this.#origin === null) return new Promise<void>((resolve) => setImmediate(resolve));
    const next = this.#nextTimer(true);
    const until = next === null || next.due > limitNs ? limitNs : next.due;
    return new Promise<void>((resolve) => {
      // Node's timers run off the loop's cached clock and may fire a little before `until` by
      // process.hrtime: wait again for what is left.
      const wait = () => {
        const left = Number(until - this.now()) / NS_PER_MS;
        if (left <= 0) resolve();
        else setTimeout(wait, Math.ceil(left));
      };
      wait();
    });
  }

  /** On real time, a timer not yet due is not there to run; on virtual time, time can jump to it. */
  #due(timer: Timer | null): Timer | null {
    if (timer === null || this.#origin === null) return timer;
    return timer.due <= this.now() ? timer : null;
  }

  #nextTimer(background: boolean): Timer | null {
    let best: Timer | null = null;
    for (const t of this.#timers) {
      if (t.background && !background) continue;
      if (best === null || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Time passes to `due`: every timer due then becomes a ready task, in the order they were set. */
  #fire(due: bigint): void {
    if (due > this.#now) this.#now = due;
    const firing = this.#timers.filter((t) => t.due <= due).sort((a, b) => a.seq - b.seq);
    this.#timers = this.#timers.filter((t) => t.due > due);
    for (const t of firing) this.#ready.push({ work: t.callback, label: t.label, actor: null });
  }

  #run(label: string, work: () => void): void {
    this.steps++;
    try {
      work();
    } catch (error) {
      this.uncaught.push({ label, error });
    }
  }

  /** Asks the strategy; `ready` (order points) are the tasks it chooses among. */
  #decide(
    kind: ChoicePoint["kind"],
    label: string,
    width: number,
    timeOption: boolean,
    ready: readonly Task[] | null,
  ): number {
    const point = new Point(
      this.picks.length,
      kind,
      label,
      width,
      timeOption,
      ready,
      this.strategy.actorBlind === true,
    );
    let pick = this.strategy.pick(point);
    if (!Number.isInteger(pick) || pick < 0 || pick >= width) pick = 0;
    this.picks.push(pick);
    this.widths.push(width);
    if (this.#record) {
      let what: string;
      if (kind === "order")
        what = pick < this.#ready.length ? (this.#ready[pick] as Task).label : "time passes";
      else if (kind === "fault") what = pick === 1 ? "fault injected" : "no fault";
      else what = `option ${pick} of ${width}`;
      this.decisions.push({ kind, label, width, pick, chosen: what });
    }
    return pick;
  }
}

// ————————————————————————————————————————————————————————————————— strategies

/** A small fast seeded generator (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Always the plain choice: tasks in the order they became ready, no faults — the plain test. */
export function fifoStrategy(): Strategy {
  return { name: "fifo", pick: () => 0, actorBlind: true };
}

/** How often random and PCT inject a fault where one may be injected. */
const FAULT_RATE = 0.05;

/** Seeded random walk: every option equally likely; faults rarely. */
export function randomStrategy(seed: number, faultRate = FAULT_RATE): Strategy {
  const random = seededRandom(seed);
  return {
    name: "random",
    actorBlind: true,
    pick(point) {
      if (point.kind === "fault") return random() < faultRate ? 1 : 0;
      return Math.floor(random() * point.width);
    },
  };
}

/**
 * PCT (Burckhardt et al., "A randomized scheduler with probabilistic guarantees of finding
 * bugs", ASPLOS 2010), with actors for threads: each actor gets a random priority; the ready task
 * of the highest-priority actor runs; at `depth − 1` change points, chosen at random among the
 * first `steps` order choices, the actor about to run drops below every other. Finds a bug of
 * depth d with probability at least 1/(n·k^(d−1)). Time ranks below every task: it passes ahead
 * of ready tasks only at a change point that offers it (the scheduler keeps that rare and short).
 */
export function pctStrategy(
  seed: number,
  depth = 3,
  steps = 200,
  faultRate = FAULT_RATE,
): Strategy {
  const random = seededRandom(seed);
  const priority = new Map<string, number>();
  const changes = new Set<number>();
  for (let i = 1; i < depth; i++) changes.add(Math.floor(random() * steps));
  let orderChoices = 0;
  let lowest = 0;
  const rank = (actor: string): number => {
    let p = priority.get(actor);
    if (p === undefined) {
      p = 1 + random();
      priority.set(actor, p);
    }
    return p;
  };
  return {
    name: "pct",
    pick(point) {
      if (point.kind === "fault") return random() < faultRate ? 1 : 0;
      if (point.kind === "decide") return Math.floor(random() * point.width);
      const best = (): number => {
        let pick = 0;
        let top = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < point.actors.length; i++) {
          const p = rank(point.actors[i] as string);
          if (p > top) {
            top = p;
            pick = i;
          }
        }
        return pick;
      };
      let pick = best();
      if (changes.has(orderChoices)) {
        const actor = point.actors[pick] as string;
        lowest -= 1;
        priority.set(actor, lowest);
        // At a change point, time may be what runs instead (when the scheduler offers it).
        pick = point.timeOption && random() < 0.5 ? point.width - 1 : best();
      }
      orderChoices++;
      return pick;
    },
  };
}

/**
 * Replays a list of picks: the i-th choice point takes `picks[i]` (clamped to its width), and
 * every point past the list takes the plain choice. The explorer's replays, shrinking and
 * exhaustive enumeration all run on this.
 */
export function replayStrategy(picks: readonly number[]): Strategy {
  return {
    name: "replay",
    actorBlind: true,
    pick(point) {
      const p = picks[point.index] ?? 0;
      return p < point.width ? p : point.width - 1;
    },
  };
}
