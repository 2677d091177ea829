/**
 * The filter module machine against "Filter Module States and Operations": every (state, event)
 * pair enumerated — a transition from the docs' table, or a named violation for a driver's event,
 * or an ndis-ts bug for NDIS's own — then random event sequences walked.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  FILTER_EVENTS,
  FILTER_MACHINE,
  FILTER_STATES,
  type FilterEvent,
  type FilterState,
} from "../../src/runtime/state/filter-machine.js";
import { StateMachine, type Step, step } from "../../src/runtime/state/machine.js";
import { VERIFIER_RULES } from "../../src/verifier/rules.js";

/** The legal transitions, written out from the docs' table (plus the pended completions). */
const EXPECTED: Record<FilterState, Partial<Record<FilterEvent, FilterState>>> = {
  Detached: { FilterAttach: "Attaching" },
  Attaching: { "FilterAttach:SUCCESS": "Paused", "FilterAttach:FAILURE": "Detached" },
  Paused: { FilterRestart: "Restarting", FilterDetach: "Detached" },
  Restarting: {
    "FilterRestart:SUCCESS": "Running",
    "FilterRestart:PENDING": "Restarting",
    "FilterRestart:FAILURE": "Paused",
    "NdisFRestartComplete:SUCCESS": "Running",
    "NdisFRestartComplete:FAILURE": "Paused",
  },
  Running: { FilterPause: "Pausing" },
  Pausing: {
    "FilterPause:SUCCESS": "Paused",
    "FilterPause:PENDING": "Pausing",
    NdisFPauseComplete: "Paused",
  },
};

/** Events only the driver causes, and the rule each breaks in the wrong state. */
const DRIVER_RULES: Partial<Record<FilterEvent, string>> = {
  "FilterRestart:SUCCESS": "NdisFRestartComplete_NotPending",
  "FilterRestart:FAILURE": "NdisFRestartComplete_NotPending",
  "NdisFRestartComplete:SUCCESS": "NdisFRestartComplete_NotPending",
  "NdisFRestartComplete:FAILURE": "NdisFRestartComplete_NotPending",
  "FilterPause:SUCCESS": "NdisFPauseComplete_NotPending",
  NdisFPauseComplete: "NdisFPauseComplete_NotPending",
};

describe("filter module machine: every (state, event) pair", () => {
  for (const state of FILTER_STATES) {
    for (const event of FILTER_EVENTS) {
      const to = EXPECTED[state][event];
      const rule = DRIVER_RULES[event];
      const label =
        to !== undefined ? `→ ${to}` : rule !== undefined ? `violation ${rule}` : "ndis-ts bug";
      test(`${state} × ${event}: ${label}`, () => {
        const result: Step<FilterState> = step(FILTER_MACHINE, state, event);
        if (to !== undefined) {
          assert.deepEqual(result, { ok: true, from: state, to });
          return;
        }
        assert.equal(result.ok, false);
        if (rule !== undefined) {
          assert.deepEqual(result, { ok: false, from: state, by: "driver", rule });
          assert.ok(rule in VERIFIER_RULES, `${rule} is in the catalogue`);
        } else assert.deepEqual(result, { ok: false, from: state, by: "ndis" });
      });
    }
  }
});

describe("filter module machine: walks", () => {
  test("attach, pended restart, pended pause, detach: the docs' life of a module", () => {
    const seen: string[] = [];
    const m = new StateMachine(FILTER_MACHINE, (event, r) => {
      seen.push(r.ok ? `${event}:${r.to}` : `${event}:BAD`);
    });
    m.invoke(
      "FilterAttach",
      () => 0,
      () => "FilterAttach:SUCCESS",
    );
    m.invoke(
      "FilterRestart",
      () => 0,
      () => "FilterRestart:PENDING",
    );
    assert.equal(m.state, "Restarting");
    m.fire("NdisFRestartComplete:SUCCESS");
    m.invoke(
      "FilterPause",
      () => 0,
      () => "FilterPause:PENDING",
    );
    m.fire("NdisFPauseComplete");
    m.invoke(
      "FilterDetach",
      () => undefined,
      () => null,
    );
    assert.equal(m.state, "Detached");
    assert.ok(!seen.some((s) => s.endsWith(":BAD")), seen.join(", "));
  });

  test("a completion made inside its handler waits for the handler's return", () => {
    const m = new StateMachine(FILTER_MACHINE, () => {}, "Running");
    m.invoke(
      "FilterPause",
      () => m.fire("NdisFPauseComplete"),
      () => "FilterPause:PENDING",
    );
    assert.equal(m.state, "Paused");
  });

  test("random sequences: states stay in the table; a stray completion is always the driver's violation", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FILTER_EVENTS), { maxLength: 40 }), (events) => {
        let state: FilterState = "Detached";
        for (const event of events) {
          const r: Step<FilterState> = step(FILTER_MACHINE, state, event);
          if (r.ok) {
            assert.equal(r.to, EXPECTED[state][event]);
            state = r.to;
          } else if (event === "NdisFPauseComplete" || event.startsWith("NdisFRestartComplete")) {
            assert.equal(r.by, "driver");
          }
        }
        assert.ok(FILTER_STATES.includes(state));
      }),
    );
  });
});
