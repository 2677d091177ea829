/**
 * The protocol binding machine (contract §3.2): Unbound → Opening → Paused ⇄ Restarting → Running
 * → Pausing → Paused → Closing → Unbound.
 *
 * As for adapters, handler returns and the driver's completions (NdisCompleteBindAdapterEx,
 * NdisCompleteUnbindAdapterEx, NdisCompleteNetPnPEvent) are events; a completion made inside its
 * handler waits for the handler's return, and a completion with nothing pending is a violation.
 */
import { defineMachine } from "./machine.js";

export const BINDING_STATES = [
  "Unbound",
  "Opening",
  "Paused",
  "Restarting",
  "Running",
  "Pausing",
  "Closing",
] as const;
export type BindingState = (typeof BINDING_STATES)[number];

export const BINDING_EVENTS = [
  "ProtocolBindAdapterEx",
  "ProtocolBindAdapterEx:SUCCESS",
  "ProtocolBindAdapterEx:PENDING",
  "ProtocolBindAdapterEx:FAILURE",
  "NdisCompleteBindAdapterEx:SUCCESS",
  "NdisCompleteBindAdapterEx:FAILURE",
  "ProtocolUnbindAdapterEx",
  "ProtocolUnbindAdapterEx:SUCCESS",
  "ProtocolUnbindAdapterEx:PENDING",
  "NdisCompleteUnbindAdapterEx",
  "NetEventPause",
  "NetEventPause:SUCCESS",
  "NetEventPause:PENDING",
  "NetEventRestart",
  "NetEventRestart:SUCCESS",
  "NetEventRestart:PENDING",
  "NetEventRestart:FAILURE",
  "NdisCompleteNetPnPEvent:SUCCESS",
  "NdisCompleteNetPnPEvent:FAILURE",
] as const;
export type BindingEvent = (typeof BINDING_EVENTS)[number];

const ndis = { by: "ndis" } as const;
const bindComplete = { by: "driver", rule: "NdisCompleteBindAdapterEx_NotPending" } as const;
const unbindComplete = { by: "driver", rule: "NdisCompleteUnbindAdapterEx_NotPending" } as const;
const pnpComplete = { by: "driver", rule: "NdisCompleteNetPnPEvent_NotPending" } as const;

export const BINDING_MACHINE = defineMachine<BindingState, BindingEvent>({
  name: "protocol binding",
  states: BINDING_STATES,
  events: BINDING_EVENTS,
  initial: "Unbound",
  transitions: {
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
    Running: {
      NetEventPause: "Pausing",
    },
    Pausing: {
      "NetEventPause:SUCCESS": "Paused",
      "NetEventPause:PENDING": "Pausing",
      // A protocol cannot fail a pause: NDIS takes any completion as the pause's end.
      "NdisCompleteNetPnPEvent:SUCCESS": "Paused",
      "NdisCompleteNetPnPEvent:FAILURE": "Paused",
    },
    Closing: {
      "ProtocolUnbindAdapterEx:SUCCESS": "Unbound",
      "ProtocolUnbindAdapterEx:PENDING": "Closing",
      NdisCompleteUnbindAdapterEx: "Unbound",
    },
  },
  sources: {
    ProtocolBindAdapterEx: ndis,
    "ProtocolBindAdapterEx:SUCCESS": bindComplete,
    "ProtocolBindAdapterEx:PENDING": ndis,
    "ProtocolBindAdapterEx:FAILURE": bindComplete,
    "NdisCompleteBindAdapterEx:SUCCESS": bindComplete,
    "NdisCompleteBindAdapterEx:FAILURE": bindComplete,
    ProtocolUnbindAdapterEx: ndis,
    "ProtocolUnbindAdapterEx:SUCCESS": unbindComplete,
    "ProtocolUnbindAdapterEx:PENDING": ndis,
    NdisCompleteUnbindAdapterEx: unbindComplete,
    NetEventPause: ndis,
    "NetEventPause:SUCCESS": pnpComplete,
    "NetEventPause:PENDING": ndis,
    NetEventRestart: ndis,
    "NetEventRestart:SUCCESS": pnpComplete,
    "NetEventRestart:PENDING": ndis,
    "NetEventRestart:FAILURE": pnpComplete,
    "NdisCompleteNetPnPEvent:SUCCESS": pnpComplete,
    "NdisCompleteNetPnPEvent:FAILURE": pnpComplete,
  },
});
