/**
 * The filter module machine ("Filter Module States and Operations"): Detached → Attaching →
 * Paused ⇄ Restarting → Running → Pausing → Paused → Detached.
 *
 * As for adapters and bindings, NDIS's calls (FilterAttach, FilterDetach, FilterRestart,
 * FilterPause) and the handlers' returns are events, and so are the driver's completions
 * (NdisFRestartComplete, NdisFPauseComplete). A completion made inside its handler waits for the handler's return; a
 * completion with nothing pending is a named violation. FilterAttach cannot pend and FilterDetach
 * returns nothing: the docs' table has no pending path for either. A module's request to be
 * restarted (NdisFRestartFilter) is no step of its own: NDIS answers it with a pause and a restart.
 */
import { defineMachine } from "./machine.js";

export const FILTER_STATES = [
  "Detached",
  "Attaching",
  "Paused",
  "Restarting",
  "Running",
  "Pausing",
] as const;
export type FilterState = (typeof FILTER_STATES)[number];

export const FILTER_EVENTS = [
  "FilterAttach",
  "FilterAttach:SUCCESS",
  "FilterAttach:FAILURE",
  "FilterDetach",
  "FilterRestart",
  "FilterRestart:SUCCESS",
  "FilterRestart:PENDING",
  "FilterRestart:FAILURE",
  "NdisFRestartComplete:SUCCESS",
  "NdisFRestartComplete:FAILURE",
  "FilterPause",
  "FilterPause:SUCCESS",
  "FilterPause:PENDING",
  "NdisFPauseComplete",
] as const;
export type FilterEvent = (typeof FILTER_EVENTS)[number];

const ndis = { by: "ndis" } as const;
const restartComplete = { by: "driver", rule: "NdisFRestartComplete_NotPending" } as const;
const pauseComplete = { by: "driver", rule: "NdisFPauseComplete_NotPending" } as const;

export const FILTER_MACHINE = defineMachine<FilterState, FilterEvent>({
  name: "filter module",
  states: FILTER_STATES,
  events: FILTER_EVENTS,
  initial: "Detached",
  transitions: {
    Detached: {
      FilterAttach: "Attaching",
    },
    Attaching: {
      "FilterAttach:SUCCESS": "Paused",
      "FilterAttach:FAILURE": "Detached",
    },
    Paused: {
      FilterRestart: "Restarting",
      FilterDetach: "Detached",
    },
    Restarting: {
      "FilterRestart:SUCCESS": "Running",
      "FilterRestart:PENDING": "Restarting",
      "FilterRestart:FAILURE": "Paused",
      "NdisFRestartComplete:SUCCESS": "Running",
      "NdisFRestartComplete:FAILURE": "Paused",
    },
    Running: {
      FilterPause: "Pausing",
    },
    Pausing: {
      "FilterPause:SUCCESS": "Paused",
      "FilterPause:PENDING": "Pausing",
      NdisFPauseComplete: "Paused",
    },
  },
  sources: {
    FilterAttach: ndis,
    "FilterAttach:SUCCESS": ndis,
    "FilterAttach:FAILURE": ndis,
    FilterDetach: ndis,
    FilterRestart: ndis,
    "FilterRestart:SUCCESS": restartComplete,
    "FilterRestart:PENDING": ndis,
    "FilterRestart:FAILURE": restartComplete,
    "NdisFRestartComplete:SUCCESS": restartComplete,
    "NdisFRestartComplete:FAILURE": restartComplete,
    FilterPause: ndis,
    "FilterPause:SUCCESS": pauseComplete,
    "FilterPause:PENDING": ndis,
    NdisFPauseComplete: pauseComplete,
  },
});
