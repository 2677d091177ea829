/**
 * The miniport adapter machine (contract §3.1): Halted → Initializing → Paused ⇄ Restarting →
 * Running → Pausing → Paused → Halted, and Shutdown from any initialized state.
 *
 * Handler returns are events of their own (`MiniportPause:PENDING`…), and so are the driver's
 * completions. A completion the driver makes while its handler is still running waits until the
 * handler has returned (StateMachine defers it), so it lands after PENDING as it should — or after
 * SUCCESS, where nothing is pending any more. A completion with nothing pending is the bug check
 * 0x7C/0x1F "illegal state transition" of Windows.
 */
import { defineMachine } from "./machine.js";

export const ADAPTER_STATES = [
  "Halted",
  "Initializing",
  "Paused",
  "Restarting",
  "Running",
  "Pausing",
  "Shutdown",
] as const;
export type AdapterState = (typeof ADAPTER_STATES)[number];

export const ADAPTER_EVENTS = [
  "MiniportInitializeEx",
  "MiniportInitializeEx:SUCCESS",
  "MiniportInitializeEx:FAILURE",
  "MiniportRestart",
  "MiniportRestart:SUCCESS",
  "MiniportRestart:PENDING",
  "MiniportRestart:FAILURE",
  "NdisMRestartComplete:SUCCESS",
  "NdisMRestartComplete:FAILURE",
  "MiniportPause",
  "MiniportPause:SUCCESS",
  "MiniportPause:PENDING",
  "NdisMPauseComplete",
  "MiniportHaltEx",
  "MiniportShutdownEx",
] as const;
export type AdapterEvent = (typeof ADAPTER_EVENTS)[number];

const restartComplete = { by: "driver", rule: "NdisMRestartComplete_NotPending" } as const;
const pauseComplete = { by: "driver", rule: "NdisMPauseComplete_NotPending" } as const;
const ndis = { by: "ndis" } as const;

export const ADAPTER_MACHINE = defineMachine<AdapterState, AdapterEvent>({
  name: "miniport adapter",
  states: ADAPTER_STATES,
  events: ADAPTER_EVENTS,
  initial: "Halted",
  transitions: {
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
    Running: {
      MiniportPause: "Pausing",
      MiniportShutdownEx: "Shutdown",
    },
    Pausing: {
      "MiniportPause:SUCCESS": "Paused",
      "MiniportPause:PENDING": "Pausing",
      NdisMPauseComplete: "Paused",
      MiniportShutdownEx: "Shutdown",
    },
    Shutdown: {},
  },
  sources: {
    MiniportInitializeEx: ndis,
    "MiniportInitializeEx:SUCCESS": ndis,
    "MiniportInitializeEx:FAILURE": ndis,
    MiniportRestart: ndis,
    // A SUCCESS or FAILURE return after the driver already completed the restart.
    "MiniportRestart:SUCCESS": restartComplete,
    "MiniportRestart:PENDING": ndis,
    "MiniportRestart:FAILURE": restartComplete,
    "NdisMRestartComplete:SUCCESS": restartComplete,
    "NdisMRestartComplete:FAILURE": restartComplete,
    MiniportPause: ndis,
    // A SUCCESS return after the driver already completed the pause.
    "MiniportPause:SUCCESS": pauseComplete,
    "MiniportPause:PENDING": ndis,
    NdisMPauseComplete: pauseComplete,
    MiniportHaltEx: ndis,
    MiniportShutdownEx: ndis,
  },
});
