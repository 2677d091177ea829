/**
 * The host's clock: where NDIS timers (and, later, every deferred thing) get their time. The real
 * clock serves `ndis run`; a manual clock serves tests, which advance time instead of sleeping.
 */

export interface HostClock {
  /** Nanoseconds since an arbitrary origin; never goes back. */
  now(): bigint;
  /**
   * Runs `callback` once, `delayMs` (≥ 0) from now. Returns a function that cancels it. A
   * `background` callback (NDIS's own watchdog) never keeps the process alive on its own.
   */
  schedule(delayMs: number, callback: () => void, background?: boolean, label?: string): () => void;
  /**
   * Runs `work` after the current call has unwound, before any time passes: NDIS's own deferred
   * work, a completion a driver makes later. `label` says what it is (`actor: what`), for the
   * explorer's choices and reports.
   */
  post(work: () => void, label: string): void;
  /**
   * A decision the environment leaves open (complete now or later, indicate with RESOURCES):
   * one of `options` (≥ 2). 0 is the plain choice, the one a clock that does not explore makes.
   */
  choose(label: string, options: number): number;
  /**
   * True when a fault (an allocation failing, a call pending) is to be injected at `site`, called
   * by `driver` (the service whose code is running, if any).
   */
  fault(site: string, driver: string | null): boolean;
  /**
   * Keeps the process alive until the returned release is called: a host operation waiting for a
   * driver must not end the process early (Node exits when nothing is scheduled, however many
   * promises wait). Virtual clocks have nothing to keep alive and leave it out.
   */
  hold?(): () => void;
}

/** The longest delay setTimeout keeps; Node fires a longer one after 1 ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The timer functions the real clock uses (Node's; tests stand in for them). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): { unref(): unknown };
  clearTimeout(timer: { unref(): unknown } | undefined): void;
}

/**
 * Wall-clock time: `process.hrtime` and `setTimeout`. A delay past setTimeout's limit (2^31 ms,
 * about 24.8 days) is chained through several timeouts, so it waits as long as it says.
 */
export function realClock(timers: Timers = globalThis as unknown as Timers): HostClock {
  let holds = 0;
  let keepAlive: ReturnType<typeof setInterval> | null = null;
  return {
    hold() {
      holds++;
      keepAlive ??= setInterval(() => {}, 1 << 30);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds--;
        if (holds === 0 && keepAlive !== null) {
          clearInterval(keepAlive);
          keepAlive = null;
        }
      };
    },
    now: () => process.hrtime.bigint(),
    schedule(delayMs, callback, background = false) {
      let timer: { unref(): unknown } | undefined;
      const arm = (left: number) => {
        const step = Math.min(left, MAX_TIMEOUT_MS);
        timer = timers.setTimeout(() => (left > step ? arm(left - step) : callback()), step);
        if (background) timer.unref();
      };
      arm(Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs));
      return () => timers.clearTimeout(timer);
    },
    post: (work) => queueMicrotask(work),
    choose: () => 0,
    fault: () => false,
  };
}

interface Scheduled {
  readonly due: bigint;
  readonly seq: number;
  readonly callback: () => void;
  readonly background: boolean;
  cancelled: boolean;
}

/**
 * Virtual time that moves only when told to: `advance(ms)` runs every callback that falls due, in
 * due-time order (ties in scheduling order), each seeing `now()` at its own due time.
 */
export class ManualClock implements HostClock {
  #now = 0n;
  #seq = 0;
  #queue: Scheduled[] = [];
  readonly #instantLimit: number;
  #stall: { readonly atNs: bigint; readonly callbacks: number } | null = null;

  /**
   * `instantLimit`: at most this many callbacks may fall due at one instant of virtual time (work
   * that schedules more work with no delay, such as a replay looping "as fast as possible"); past
   * it `advance` stops there and `stalled` says so, instead of running forever without time
   * moving. Default: no limit.
   */
  constructor(options: { readonly instantLimit?: number } = {}) {
    const limit = options.instantLimit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 1)) throw new RangeError(`instantLimit ${limit} is not ≥ 1`);
    this.#instantLimit = limit;
  }

  /**
   * Set once `advance` stopped because `instantLimit` callbacks fell due at one instant: when
   * (clock nanoseconds) and how many ran there. Null otherwise.
   */
  get stalled(): { readonly atNs: bigint; readonly callbacks: number } | null {
    return this.#stall;
  }

  now(): bigint {
    return this.#now;
  }

  schedule(delayMs: number, callback: () => void, background = false): () => void {
    const entry: Scheduled = {
      background,
      due: this.#now + BigInt(Math.max(0, Math.round(delayMs * 1_000_000))),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#queue.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Deferred work runs as a microtask: after the current call, before any time passes. */
  post(work: () => void): void {
    queueMicrotask(work);
  }

  /** A manual clock does not explore: always the plain choice. */
  choose(): number {
    return 0;
  }

  fault(): boolean {
    return false;
  }

  /** Callbacks scheduled and neither run nor cancelled (background ones not counted). */
  get pending(): number {
    return this.#queue.filter((e) => !e.cancelled && !e.background).length;
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + BigInt(Math.round(ms * 1_000_000));
    let instant = -1n;
    let atInstant = 0;
    for (;;) {
      let next: Scheduled | null = null;
      for (const e of this.#queue) {
        if (e.cancelled || e.due > end) continue;
        if (next === null || e.due < next.due || (e.due === next.due && e.seq < next.seq)) next = e;
      }
      if (next === null) break;
      if (next.due > this.#now) this.#now = next.due;
      if (this.#now !== instant) {
        instant = this.#now;
        atInstant = 0;
      }
      if (++atInstant > this.#instantLimit) {
        // Time does not move while work keeps falling due now: stop here, leave the rest queued.
        this.#stall = { atNs: this.#now, callbacks: atInstant - 1 };
        this.#queue = this.#queue.filter((e) => !e.cancelled);
        return;
      }
      this.#queue.splice(this.#queue.indexOf(next), 1);
      next.callback();
    }
    this.#queue = this.#queue.filter((e) => !e.cancelled);
    this.#now = end;
  }
}
