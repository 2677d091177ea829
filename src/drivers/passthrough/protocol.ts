/**
 * Passthrough driver, protocol (lower) edge: the ProtocolXxx entry points of its bindings.
 *
 * Bind: open the adapter, then ask NDIS for the virtual miniport over it
 * (NdisIMInitializeDeviceInstanceEx). Unbind: cancel that request if the miniport has not started,
 * otherwise de-initialize it and finish the unbind from its MiniportHaltEx.
 */
import {
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  type NDIS_STATUS,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  NdisCloseAdapterEx,
  NdisCompleteBindAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMInitializeDeviceInstanceEx,
  NdisMedium802_3,
  NdisMIndicateStatusEx,
  NdisMNetPnPEvent,
  NdisOpenAdapterEx,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventCancelRemoveDevice,
  NetEventIMReEnableDevice,
  NetEventPause,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
  NetEventReconfigure,
  type Out,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";
import { type ADAPT, deviceInstanceFor, type PassthroughGlobals } from "./globals.js";

/** Asks NDIS for the virtual miniport over an open binding. */
function startVelan(adapt: ADAPT): void {
  const driverHandle = adapt.Globals.MiniportDriverHandle as NDIS_HANDLE;
  // NOT_ACCEPTED (already wanted) is fine; any other failure leaves the binding without a VELAN.
  NdisIMInitializeDeviceInstanceEx(driverHandle, adapt.DeviceInstance, adapt);
}

function forget(adapt: ADAPT): void {
  const list = adapt.Globals.Adapters;
  const index = list.indexOf(adapt);
  if (index >= 0) list.splice(index, 1);
}

/**
 * ProtocolBindAdapterEx: PASSIVE_LEVEL. Opens the adapter and asks for the virtual miniport.
 * Returns the open's failure, or SUCCESS — or PENDING when NDIS pended the open; the bind then
 * completes from ProtocolOpenAdapterCompleteEx.
 */
export const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = (
  ProtocolDriverContext: unknown,
  BindContext: NDIS_HANDLE,
  BindParameters: NDIS_BIND_PARAMETERS,
): NDIS_STATUS => {
  const globals = ProtocolDriverContext as PassthroughGlobals;
  const adapt: ADAPT = {
    Globals: globals,
    BindParameters,
    DeviceInstance: deviceInstanceFor(BindParameters.AdapterName),
    BindContext,
    BindingHandle: undefined,
    UnbindContext: undefined,
    Velan: null,
    LowerSourceHandle: null,
    SendsOutstanding: 0,
    PendingPause: null,
    DeferredEvent: null,
    LastLinkState: null,
    ResetInProgress: false,
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisOpenAdapterEx(
    globals.ProtocolHandle as NDIS_HANDLE,
    adapt,
    {
      Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
      AdapterName: BindParameters.AdapterName,
      MediumArray: [NdisMedium802_3],
      MediumArraySize: 1,
      SelectedMediumIndex: {},
    },
    BindContext,
    handle,
  );
  if (status !== NDIS_STATUS_SUCCESS && status !== NDIS_STATUS_PENDING) return status;
  adapt.BindingHandle = handle.value;
  globals.Adapters.push(adapt);
  if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  adapt.BindContext = undefined;
  startVelan(adapt);
  return NDIS_STATUS_SUCCESS;
};

/** ProtocolOpenAdapterCompleteEx: finishes a bind whose open NDIS pended. */
export const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
  Status,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  const bindContext = adapt.BindContext as NDIS_HANDLE;
  adapt.BindContext = undefined;
  if (Status === NDIS_STATUS_SUCCESS) startVelan(adapt);
  else forget(adapt);
  NdisCompleteBindAdapterEx(bindContext, Status);
};

/**
 * ProtocolUnbindAdapterEx: called on a Paused binding; cannot fail. Returns SUCCESS when nothing
 * was started above, PENDING while the virtual miniport is being torn down (completed from
 * MiniportHaltEx, or from ProtocolCloseAdapterCompleteEx if NDIS pends the close).
 */
export const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = (
  UnbindContext,
  ProtocolBindingContext,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  adapt.UnbindContext = UnbindContext;
  if (adapt.Velan === null) {
    // Not started yet (or it failed): withdraw the request. If it is too late but the VELAN
    // still does not exist, its initialization failed — there is nothing to wait for either.
    NdisIMCancelInitializeDeviceInstance(
      adapt.Globals.MiniportDriverHandle as NDIS_HANDLE,
      adapt.DeviceInstance,
    );
  }
  if (adapt.Velan === null) return closeLower(adapt, false);
  NdisIMDeInitializeDeviceInstance(adapt.Velan.MiniportAdapterHandle);
  return NDIS_STATUS_PENDING;
};

/**
 * Closes the lower binding once nothing above depends on it. `pended` says the unbind already
 * returned PENDING, so its end is reported with NdisCompleteUnbindAdapterEx.
 */
export function closeLower(adapt: ADAPT, pended: boolean): NDIS_STATUS {
  const status = NdisCloseAdapterEx(adapt.BindingHandle as NDIS_HANDLE);
  if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING; // ProtocolCloseAdapterCompleteEx finishes
  forget(adapt);
  if (pended) NdisCompleteUnbindAdapterEx(adapt.UnbindContext as NDIS_HANDLE);
  return NDIS_STATUS_SUCCESS;
}

/** ProtocolCloseAdapterCompleteEx: a close NDIS pended is done; so is the unbind. */
export const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  forget(adapt);
  NdisCompleteUnbindAdapterEx(adapt.UnbindContext as NDIS_HANDLE);
};

/**
 * ProtocolNetPnPEvent, PASSIVE_LEVEL.
 * - NetEventIMReEnableDevice (binding context NULL, the instance name in the buffer): the user
 *   re-enabled a virtual miniport, so ask for it again.
 * - Query-remove and reconfigure events of a binding are passed up to the protocols above its
 *   VELAN with NdisMNetPnPEvent; for the query their answer is the binding's answer (a refusal
 *   above vetoes). Power events are not: NDIS sends them to the VELAN's protocols itself. NetEventPause/NetEventRestart are never propagated: NDIS generates
 *   them for the stack above itself. A pause of the binding pends until the sends forwarded down
 *   it have completed (see datapath.ts).
 *
 * The handler is made per driver load (DriverEntry), holding that load's globals: the re-enable
 * event has no binding context, and a module-wide list of globals would reach the drivers of
 * every host in the process (and keep the state of hosts long shut down).
 */
export const ptNetPnPEventFor =
  (globals: PassthroughGlobals): PROTOCOL_NET_PNP_EVENT =>
  (ProtocolBindingContext, NetPnPEventNotification) => {
    const event = NetPnPEventNotification.NetPnPEvent;
    if (event.NetEvent === NetEventIMReEnableDevice) {
      const adapt = globals.Adapters.find((a) => a.DeviceInstance === event.Buffer);
      if (adapt !== undefined) startVelan(adapt);
      return NDIS_STATUS_SUCCESS;
    }
    const adapt = ProtocolBindingContext as ADAPT | null;
    if (adapt !== null && event.NetEvent === NetEventPause && adapt.SendsOutstanding > 0) {
      // The binding pauses once the sends forwarded down it have completed.
      adapt.PendingPause = NetPnPEventNotification;
      return NDIS_STATUS_PENDING;
    }
    if (adapt?.Velan != null && PROPAGATED.has(event.NetEvent)) {
      if (adapt.Velan.OidsOutstanding > 0) {
        // Passed up once the VELAN's pended OID requests complete (PtOidRequestComplete).
        adapt.DeferredEvent = NetPnPEventNotification;
        return NDIS_STATUS_PENDING;
      }
      return propagate(adapt.Velan, NetPnPEventNotification);
    }
    return NDIS_STATUS_SUCCESS;
  };

type Velan = NonNullable<ADAPT["Velan"]>;

/** Passes a binding event up to the VELAN's protocols; for a query their answer is the answer. */
function propagate(velan: Velan, notification: NET_PNP_EVENT_NOTIFICATION): NDIS_STATUS {
  const status = NdisMNetPnPEvent(velan.MiniportAdapterHandle, notification);
  const code = notification.NetPnPEvent.NetEvent;
  const query = code === NetEventQueryPower || code === NetEventQueryRemoveDevice;
  return query ? status : NDIS_STATUS_SUCCESS;
}

/** The VELAN's last pended OID request completed: pass up the event that waited for it. */
export function propagateDeferred(velan: Velan): void {
  const adapt = velan.Adapt;
  const notification = adapt.DeferredEvent;
  if (notification === null || velan.OidsOutstanding > 0) return;
  adapt.DeferredEvent = null;
  const status = propagate(velan, notification);
  NdisCompleteNetPnPEvent(adapt.BindingHandle as NDIS_HANDLE, notification, status);
}

/**
 * The binding events passthrough passes up to its virtual miniport's protocols. Not the power
 * events: NDIS sends NetEventQueryPower and NetEventSetPower to the protocols above a virtual
 * miniport itself, as that miniport goes to sleep and wakes ("Handling a Set Power Request").
 */
const PROPAGATED = new Set([
  NetEventQueryRemoveDevice,
  NetEventCancelRemoveDevice,
  NetEventReconfigure,
]);

/**
 * ProtocolStatusEx: remembers the lower adapter's last link state and re-indicates it on the
 * VELAN (as MUX does: only NDIS_STATUS_LINK_STATE goes up; the rest stay here). Between
 * NDIS_STATUS_RESET_START and NDIS_STATUS_RESET_END of the lower adapter sends are held back (the
 * VELAN completes them with NDIS_STATUS_RESET_IN_PROGRESS); NDIS never resets the VELAN itself,
 * so nothing is re-indicated. ≤ DISPATCH_LEVEL.
 */
export const PtStatus: PROTOCOL_STATUS_EX = (ProtocolBindingContext, StatusIndication) => {
  const adapt = ProtocolBindingContext as ADAPT;
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_START) adapt.ResetInProgress = true;
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_END) adapt.ResetInProgress = false;
  if (StatusIndication.StatusCode !== NDIS_STATUS_LINK_STATE) return;
  adapt.LastLinkState = StatusIndication.StatusBuffer as NDIS_LINK_STATE;
  const velan = adapt.Velan;
  if (velan === null) return;
  NdisMIndicateStatusEx(velan.MiniportAdapterHandle, {
    ...StatusIndication,
    SourceHandle: velan.MiniportAdapterHandle,
    DestinationHandle: null,
    RequestId: null,
  });
};
