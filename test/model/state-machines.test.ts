/**
 * The adapter and binding machines against the contract's tables (§3.1, §3.2): every (state,
 * event) pair enumerated, then random event sequences checked against the rules those tables
 * exist to enforce.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  ADAPTER_MACHINE,
  ADAPTER_STATES,
  type AdapterEvent,
  type AdapterState,
} from "../../src/runtime/state/adapter-machine.js";
import {
  BINDING_EVENTS,
  BINDING_MACHINE,
  BINDING_STATES,
  type BindingEvent,
  type BindingState,
} from "../../src/runtime/state/binding-machine.js";
import {
  type MachineSpec,
  StateMachine,
  type Step,
  step,
} from "../../src/runtime/state/machine.js";
import { VERIFIER_RULES } from "../../src/verifier/rules.js";

/** The legal transitions, written out from the contract's tables (plus early completions). */
const ADAPTER_EXPECTED: Record<AdapterState, Partial<Record<AdapterEvent, AdapterState>>> = {
  Halted: { MiniportInitializeEx: "Initializing" },
  Initializing: {
    "MiniportInitializeEx:SUCCESS": "Paused",
    "MiniportInitializeEx:FAILURE": "Halted",
  },
  Paused: {
    MiniportRestart: "Restarting",
    MiniportHaltEx: "Halted",
    MiniportShutdownEx: "Shutdown",
  },
  Restarting: {
    "MiniportRestart:SUCCESS": "Running",
    "MiniportRestart:PENDING": "Restarting",
    "MiniportRestart:FAILURE": "Paused",
    "NdisMRestartComplete:SUCCESS": "Running",
    "NdisMRestartComplete:FAILURE": "Paused",
    MiniportShutdownEx: "Shutdown",
  },
  Running: { MiniportPause: "Pausing", MiniportShutdownEx: "Shutdown" },
  Pausing: {
    "MiniportPause:SUCCESS": "Paused",
    "MiniportPause:PENDING": "Pausing",
    NdisMPauseComplete: "Paused",
    MiniportShutdownEx: "Shutdown",
  },
  Shutdown: {},
};

const BINDING_EXPECTED: Record<BindingState, Partial<Record<BindingEvent, BindingState>>> = {
  Unbound: {
    ProtocolBindAdapterEx: "Opening",
  },
  Opening: {
    "ProtocolBindAdapterEx:SUCCESS": "Paused",
    "ProtocolBindAdapterEx:PENDING": "Opening",
    "ProtocolBindAdapterEx:FAILURE": "Unbound",
    "NdisCompleteBindAdapterEx:SUCCESS": "Paused",
    "NdisCompleteBindAdapterEx:FAILURE": "Unbound",
  },
  Paused: {
    ProtocolUnbindAdapterEx: "Closing",
    NetEventRestart: "Restarting",
  },
  Restarting: {
    "NetEventRestart:SUCCESS": "Running",
    "NetEventRestart:PENDING": "Restarting",
    "NetEventRestart:FAILURE": "Paused",
    "NdisCompleteNetPnPEvent:SUCCESS": "Running",
    "NdisCompleteNetPnPEvent:FAILURE": "Paused",
  },
  Running: { NetEventPause: "Pausing" },
  Pausing: {
    "NetEventPause:SUCCESS": "Paused",
    "NetEventPause:PENDING": "Pausing",
    "NdisCompleteNetPnPEvent:SUCCESS": "Paused",
    "NdisCompleteNetPnPEvent:FAILURE": "Paused",
  },
  Closing: {
    "ProtocolUnbindAdapterEx:SUCCESS": "Unbound",
    "ProtocolUnbindAdapterEx:PENDING": "Closing",
    NdisCompleteUnbindAdapterEx: "Unbound",
  },
};

/** Driver-caused events and the rule their illegal arrival breaks. */
const ADAPTER_DRIVER_RULES: Partial<Record<AdapterEvent, string>> = {
  "MiniportRestart:SUCCESS": "NdisMRestartComplete_NotPending",
  "MiniportRestart:FAILURE": "NdisMRestartComplete_NotPending",
  "NdisMRestartComplete:SUCCESS": "NdisMRestartComplete_NotPending",
  "NdisMRestartComplete:FAILURE": "NdisMRestartComplete_NotPending",
  "MiniportPause:SUCCESS": "NdisMPauseComplete_NotPending",
  NdisMPauseComplete: "NdisMPauseComplete_NotPending",
};

function enumerate<S extends string, E extends string>(
  spec: MachineSpec<S, E>,
  expected: Record<S, Partial<Record<E, S>>>,
  driverRules: Partial<Record<E, string>>,
): number {
  let pairs = 0;
  for (const state of spec.states) {
    for (const event of spec.events) {
      const result = step(spec, state, event);
      const want = expected[state][event];
      if (want !== undefined) {
        assert.deepEqual(result, { ok: true, from: state, to: want }, `${state} × ${event}`);
      } else if (driverRules[event] !== undefined) {
        assert.deepEqual(
          result,
          { ok: false, from: state, by: "driver", rule: driverRules[event] },
          `${state} × ${event}`,
        );
      } else {
        assert.deepEqual(result, { ok: false, from: state, by: "ndis" }, `${state} × ${event}`);
      }
      pairs += 1;
    }
  }
  return pairs;
}

/** States reachable from `from` through legal events. */
function reachable<S extends string, E extends string>(spec: MachineSpec<S, E>, from: S): Set<S> {
  const seen = new Set<S>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const state = queue.shift() as S;
    for (const to of Object.values(spec.transitions[state]) as S[]) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/** Applies the legal events of `events` from the initial state; returns the legal trace. */
function walk<S extends string, E extends string>(spec: MachineSpec<S, E>, events: readonly E[]) {
  let state = spec.initial;
  const trace: { event: E; from: S; to: S }[] = [];
  for (const event of events) {
    const result = step(spec, state, event);
    if (result.ok) {
      trace.push({ event, from: state, to: result.to });
      state = result.to;
    } else {
      assert.equal(result.from, state);
    }
    assert.ok(spec.states.includes(state));
  }
  return trace;
}

interface DrivenSpec<E extends string> {
  /** The handlers NDIS calls: the returns a driver may give, and what a PENDING return leaves pending. */
  readonly calls: Partial<
    Record<E, { readonly kind?: string; readonly returns: readonly (E | null)[] }>
  >;
  /** The driver's completions and what each completes. */
  readonly completions: Partial<Record<E, string>>;
}

/**
 * Drives a StateMachine as NDIS does — it only calls a handler where the table allows the call —
 * while the driver returns anything it may and fires completions at random moments, inside its
 * handlers or between calls. An independent account of what is pending then says, for every
 * completion, whether it must be accepted or reported; NDIS itself must never break the table.
 */
function checkDriven<S extends string, E extends string>(
  spec: MachineSpec<S, E>,
  driven: DrivenSpec<E>,
): void {
  const calls = Object.keys(driven.calls) as E[];
  const completions = Object.keys(driven.completions) as E[];
  const action = fc.oneof(
    fc.record({
      call: fc.constantFrom(...calls),
      pick: fc.nat(),
      inner: fc.array(fc.constantFrom(...completions), { maxLength: 2 }),
    }),
    fc.record({ complete: fc.constantFrom(...completions) }),
  );
  fc.assert(
    fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
      let pending: string | null = null;
      const results: { event: E; result: Step<S> }[] = [];
      const machine = new StateMachine(spec, (event, result) => results.push({ event, result }));
      const completion = (event: E) => {
        const kind = driven.completions[event];
        const last = results.at(-1);
        assert.equal(last?.event, event);
        assert.equal(
          last?.result.ok,
          pending === kind,
          `${event} with ${pending ?? "nothing"} pending`,
        );
        if (last?.result.ok) pending = null;
      };
      for (const a of actions) {
        if ("complete" in a) {
          machine.fire(a.complete);
          completion(a.complete);
          continue;
        }
        if (!step(spec, machine.state, a.call).ok) continue; // NDIS would not make this call
        const { kind, returns } = driven.calls[a.call] as {
          kind?: string;
          returns: readonly (E | null)[];
        };
        const ret = returns[a.pick % returns.length] as E | null;
        machine.invoke(
          a.call,
          () => {
            for (const event of a.inner) machine.fire(event);
            assert.equal(
              results.at(-1)?.event,
              a.call,
              "completions made inside a handler wait for its return",
            );
          },
          () => ret,
        );
        // A call that pends leaves its kind pending; any other call (Shutdown, Halt…) abandons what was.
        pending = ret?.endsWith(":PENDING") && kind !== undefined ? kind : null;
        // The completions made inside the handler were applied after its return, in order.
        const applied = results.slice(results.length - a.inner.length);
        assert.deepEqual(
          applied.map((r) => r.event),
          a.inner,
        );
        let check: string | null = pending;
        for (const { event, result } of applied) {
          const wanted = check === driven.completions[event];
          assert.equal(
            result.ok,
            wanted,
            `${event} after ${ret ?? "a void return"} (pending ${check ?? "nothing"})`,
          );
          if (result.ok) check = null;
        }
        pending = check;
      }
      assert.ok(
        results.every(({ result }) => result.ok || result.by === "driver"),
        "NDIS never breaks the table",
      );
    }),
    { numRuns: 3000 },
  );
}

describe("adapter machine", () => {
  test("every (state, event) pair is the contract's transition or a named violation", () => {
    assert.equal(enumerate(ADAPTER_MACHINE, ADAPTER_EXPECTED, ADAPTER_DRIVER_RULES), 7 * 15);
  });

  test("every driver rule the table names is in the verifier's catalogue", () => {
    for (const source of Object.values(ADAPTER_MACHINE.sources)) {
      if (source.by === "driver") assert.ok(source.rule in VERIFIER_RULES, source.rule);
    }
  });

  test("every state is reachable, and every state but Shutdown can get back to Halted", () => {
    assert.deepEqual([...reachable(ADAPTER_MACHINE, "Halted")].sort(), [...ADAPTER_STATES].sort());
    for (const state of ADAPTER_STATES) {
      if (state !== "Shutdown") assert.ok(reachable(ADAPTER_MACHINE, state).has("Halted"), state);
    }
    assert.deepEqual([...reachable(ADAPTER_MACHINE, "Shutdown")], ["Shutdown"]);
  });

  test("driven as NDIS drives it, completions are legal exactly when something is pending", () => {
    checkDriven(ADAPTER_MACHINE, {
      calls: {
        MiniportInitializeEx: {
          returns: ["MiniportInitializeEx:SUCCESS", "MiniportInitializeEx:FAILURE"],
        },
        MiniportRestart: {
          kind: "restart",
          returns: [
            "MiniportRestart:SUCCESS",
            "MiniportRestart:PENDING",
            "MiniportRestart:FAILURE",
          ],
        },
        MiniportPause: {
          kind: "pause",
          returns: ["MiniportPause:SUCCESS", "MiniportPause:PENDING"],
        },
        MiniportHaltEx: { returns: [null] },
        MiniportShutdownEx: { returns: [null] },
      },
      completions: {
        "NdisMRestartComplete:SUCCESS": "restart",
        "NdisMRestartComplete:FAILURE": "restart",
        NdisMPauseComplete: "pause",
      },
    });
  });
});

const BINDING_DRIVER_RULES: Partial<Record<BindingEvent, string>> = {
  "ProtocolBindAdapterEx:SUCCESS": "NdisCompleteBindAdapterEx_NotPending",
  "ProtocolBindAdapterEx:FAILURE": "NdisCompleteBindAdapterEx_NotPending",
  "NdisCompleteBindAdapterEx:SUCCESS": "NdisCompleteBindAdapterEx_NotPending",
  "NdisCompleteBindAdapterEx:FAILURE": "NdisCompleteBindAdapterEx_NotPending",
  "ProtocolUnbindAdapterEx:SUCCESS": "NdisCompleteUnbindAdapterEx_NotPending",
  NdisCompleteUnbindAdapterEx: "NdisCompleteUnbindAdapterEx_NotPending",
  "NetEventPause:SUCCESS": "NdisCompleteNetPnPEvent_NotPending",
  "NetEventRestart:SUCCESS": "NdisCompleteNetPnPEvent_NotPending",
  "NetEventRestart:FAILURE": "NdisCompleteNetPnPEvent_NotPending",
  "NdisCompleteNetPnPEvent:SUCCESS": "NdisCompleteNetPnPEvent_NotPending",
  "NdisCompleteNetPnPEvent:FAILURE": "NdisCompleteNetPnPEvent_NotPending",
};

describe("binding machine", () => {
  test("every (state, event) pair is the contract's transition or a named violation", () => {
    assert.equal(enumerate(BINDING_MACHINE, BINDING_EXPECTED, BINDING_DRIVER_RULES), 7 * 19);
  });

  test("every driver rule the table names is in the verifier's catalogue", () => {
    for (const source of Object.values(BINDING_MACHINE.sources)) {
      if (source.by === "driver") assert.ok(source.rule in VERIFIER_RULES, source.rule);
    }
  });

  test("every state is reachable and every state can get back to Unbound", () => {
    assert.deepEqual([...reachable(BINDING_MACHINE, "Unbound")].sort(), [...BINDING_STATES].sort());
    for (const state of BINDING_STATES)
      assert.ok(reachable(BINDING_MACHINE, state).has("Unbound"), state);
  });

  test("driven as NDIS drives it, completions are legal exactly when something is pending", () => {
    checkDriven(BINDING_MACHINE, {
      calls: {
        ProtocolBindAdapterEx: {
          kind: "bind",
          returns: [
            "ProtocolBindAdapterEx:SUCCESS",
            "ProtocolBindAdapterEx:PENDING",
            "ProtocolBindAdapterEx:FAILURE",
          ],
        },
        ProtocolUnbindAdapterEx: {
          kind: "unbind",
          returns: ["ProtocolUnbindAdapterEx:SUCCESS", "ProtocolUnbindAdapterEx:PENDING"],
        },
        NetEventPause: { kind: "pnp", returns: ["NetEventPause:SUCCESS", "NetEventPause:PENDING"] },
        NetEventRestart: {
          kind: "pnp",
          returns: [
            "NetEventRestart:SUCCESS",
            "NetEventRestart:PENDING",
            "NetEventRestart:FAILURE",
          ],
        },
      },
      completions: {
        "NdisCompleteBindAdapterEx:SUCCESS": "bind",
        "NdisCompleteBindAdapterEx:FAILURE": "bind",
        NdisCompleteUnbindAdapterEx: "unbind",
        "NdisCompleteNetPnPEvent:SUCCESS": "pnp",
        "NdisCompleteNetPnPEvent:FAILURE": "pnp",
      },
    });
  });

  test("random event sequences keep NDIS's promises", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BINDING_EVENTS), { maxLength: 60 }), (events) => {
        const trace = walk(BINDING_MACHINE, events);
        for (const { event, from, to } of trace) {
          // Unbind only of a Paused binding; sends could flow only in Running/Pausing, which are
          // entered only through a restart; the open is the only way out of Unbound.
          if (event === "ProtocolUnbindAdapterEx") assert.equal(from, "Paused");
          if (to === "Running" && from !== "Running") assert.equal(from, "Restarting");
          if (from === "Unbound" && to !== "Unbound") assert.equal(event, "ProtocolBindAdapterEx");
          if (event === "NetEventPause") assert.equal(from, "Running");
          if (to === "Closing" && from !== "Closing") assert.equal(from, "Paused");
        }
      }),
      { numRuns: 2000 },
    );
  });
});
