/**
 * State machines as data. A machine lists its states and events (events are named after the NDIS
 * call or handler return that causes them) and, for every (state, event) pair, either the next
 * state or what it means that the event arrived there:
 *
 * - an event NDIS itself causes (it calls a handler, or interprets a handler's return) arriving in
 *   the wrong state is a bug in this runtime, never the driver's fault;
 * - an event a driver causes (a completion call) arriving in the wrong state is a contract
 *   violation, reported under the verifier rule the machine names for it.
 *
 * `step` is pure: it returns what should happen and changes nothing, so tests can enumerate the
 * whole table and walk random event sequences.
 */
import type { VerifierRuleId } from "../../verifier/rules.js";

/** Who causes an event, and so whose fault it is when it arrives in the wrong state. */
export type EventSource =
  | { readonly by: "ndis" }
  | { readonly by: "driver"; readonly rule: VerifierRuleId };

export interface MachineSpec<S extends string, E extends string> {
  readonly name: string;
  readonly states: readonly S[];
  readonly events: readonly E[];
  readonly initial: S;
  /** The legal transitions: `transitions[state][event]` is the next state. */
  readonly transitions: Readonly<Record<S, Readonly<Partial<Record<E, S>>>>>;
  readonly sources: Readonly<Record<E, EventSource>>;
}

export type Step<S extends string> =
  | { readonly ok: true; readonly from: S; readonly to: S }
  | { readonly ok: false; readonly from: S; readonly by: "ndis" }
  | { readonly ok: false; readonly from: S; readonly by: "driver"; readonly rule: VerifierRuleId };

/** What `event` does in `state`: the transition, or whose contract breach it is. */
export function step<S extends string, E extends string>(
  spec: MachineSpec<S, E>,
  state: S,
  event: E,
): Step<S> {
  const to = spec.transitions[state][event];
  if (to !== undefined) return { ok: true, from: state, to };
  const source = spec.sources[event];
  return source.by === "ndis"
    ? { ok: false, from: state, by: "ndis" }
    : { ok: false, from: state, by: "driver", rule: source.rule };
}

/** Builds a spec, checking that the table only names declared states and events. */
export function defineMachine<S extends string, E extends string>(
  spec: MachineSpec<S, E>,
): MachineSpec<S, E> {
  for (const state of spec.states) {
    for (const [event, to] of Object.entries(spec.transitions[state] ?? {})) {
      if (!spec.events.includes(event as E))
        throw new Error(`${spec.name}: unknown event ${event} in state ${state}`);
      if (!spec.states.includes(to as S))
        throw new Error(`${spec.name}: ${state} × ${event} goes to unknown ${String(to)}`);
    }
  }
  return Object.freeze(spec);
}

/** True for a promise (or any thenable): a handler that has not returned yet. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value instanceof Promise) return true;
  if (typeof value !== "object" || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    // A hostile return (a Proxy whose get trap throws) is not a promise NDIS can wait for.
    return false;
  }
}

/** Reports every step a StateMachine takes, legal or not. */
export type StepListener<S extends string, E extends string> = (event: E, result: Step<S>) => void;

/**
 * One object's machine. NDIS calls a handler with `invoke`: the call event fires, the handler
 * runs, and its return (mapped to an event) fires after it. Events the driver fires while a
 * handler of this object runs — a completion made before the handler returns — wait until the
 * return has been processed, then fire in order (run-to-completion, as a mailbox would).
 */
export class StateMachine<S extends string, E extends string> {
  readonly spec: MachineSpec<S, E>;
  #state: S;
  #running = 0;
  readonly #deferred: E[] = [];
  readonly #listener: StepListener<S, E>;

  constructor(spec: MachineSpec<S, E>, listener: StepListener<S, E>, initial: S = spec.initial) {
    this.spec = spec;
    this.#state = initial;
    this.#listener = listener;
  }

  get state(): S {
    return this.#state;
  }

  /** True while a handler of this object runs. */
  get inHandler(): boolean {
    return this.#running > 0;
  }

  /**
   * NDIS calls a handler: fires `call`, runs `handler`, fires the event `returned` maps its
   * result to (null for handlers whose return NDIS does not interpret), then the driver events
   * that arrived meanwhile. Returns the handler's result.
   */
  invoke<T>(call: E, handler: () => T, returned: (result: T) => E | null): T {
    this.#apply(call);
    this.#running += 1;
    let result: T;
    try {
      result = handler();
    } catch (thrown) {
      this.#running -= 1;
      throw thrown;
    }
    if (isPromiseLike(result)) {
      // A handler that blocks (an async handler awaiting NdisWaitEvent) is still running until
      // its promise settles; its settled value is its return. The caller sees the promise.
      return (result as PromiseLike<unknown>).then(
        (value) => {
          this.#running -= 1;
          this.#finish(returned(value as T));
          return value;
        },
        (thrown: unknown) => {
          this.#running -= 1;
          this.#drain();
          throw thrown;
        },
      ) as T;
    }
    this.#running -= 1;
    this.#finish(returned(result));
    return result;
  }

  #finish(after: E | null): void {
    if (after !== null) this.#apply(after);
    this.#drain();
  }

  /** An event from outside a handler of this object (a completion); deferred while one runs. */
  fire(event: E): void {
    if (this.#running > 0) {
      this.#deferred.push(event);
      return;
    }
    this.#apply(event);
  }

  #apply(event: E): void {
    const result = step(this.spec, this.#state, event);
    if (result.ok) this.#state = result.to;
    this.#listener(event, result);
  }

  #drain(): void {
    if (this.#running > 0) return;
    while (this.#deferred.length > 0) this.#apply(this.#deferred.shift() as E);
  }
}
