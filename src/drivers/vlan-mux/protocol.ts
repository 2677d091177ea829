/**
 * vlan-mux, protocol (lower) edge: the ProtocolXxx entry points of its bindings (MUX's
 * protocol.c).
 *
 * Bind: open the adapter, read the binding's `UpperBindings` (the VELAN instance names) and
 * `UntaggedFrames`, and ask NDIS for each VELAN with NdisIMInitializeDeviceInstanceEx.
 * Unbind: withdraw the VELANs not started yet, de-initialize the others, wait (NdisWaitEvent)
 * until the last has unlinked itself from its MiniportHaltEx, and close the adapter. The VELAN
 * list is guarded by an NDIS_RW_LOCK, as in MUX. NetEventReconfigure re-reads `UpperBindings` and starts or
 * removes VELANs without touching the others.
 */
import {
  type LOCK_STATE,
  type NDIS_BIND_PARAMETERS,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  type NDIS_STATUS,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  NdisAcquireReadWriteLock,
  NdisCloseAdapterEx,
  NdisCloseConfiguration,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMInitializeDeviceInstanceEx,
  NdisInitializeEvent,
  NdisInitializeReadWriteLock,
  NdisMedium802_3,
  NdisMIndicateStatusEx,
  NdisMNetPnPEvent,
  NdisOpenAdapterEx,
  NdisParameterMultiString,
  NdisReadConfiguration,
  NdisReleaseReadWriteLock,
  NdisResetEvent,
  NdisSetEvent,
  NdisWaitEvent,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventCancelRemoveDevice,
  NetEventIMReEnableDevice,
  NetEventPause,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
  NetEventReconfigure,
  NetEventRestart,
  type Out,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";
import { openConfiguration, readString } from "../shared/config.js";
import { MAX_FRAME_LENGTH } from "../shared/frames.js";
import {
  type ADAPT,
  type MuxGlobals,
  newVelanCounters,
  untaggedVelan,
  type VELAN,
} from "./globals.js";

/** Drivers whose protocol edge is registered, for events that come without a binding context. */
export const allGlobals = new Set<MuxGlobals>();

/** The largest frame that arrives: MAX_FRAME_LENGTH plus the 802.1Q tag it carries. */
export const MAX_TAGGED_FRAME_LENGTH = MAX_FRAME_LENGTH + 4;

interface BindingConfig {
  readonly upperBindings: string[];
  readonly untagged: string | null;
}

/**
 * Reads the binding's key (NdisOpenConfigurationEx on the binding handle, as MUX does after the
 * open): `UpperBindings` a REG_MULTI_SZ of VELAN instance names (a REG_SZ holding one name, or
 * several separated by commas, is accepted too), `UntaggedFrames` "drop" (the default) or the
 * instance name of one of them.
 */
function readBindingConfig(adapt: ADAPT): BindingConfig {
  const opened = openConfiguration(adapt.BindingHandle as NDIS_HANDLE);
  if ("status" in opened) return { upperBindings: [], untagged: null };
  const config = opened.handle;
  try {
    const status: Out<NDIS_STATUS> = {};
    const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
    NdisReadConfiguration(status, value, config, "UpperBindings", NdisParameterMultiString);
    let text =
      status.value === NDIS_STATUS_SUCCESS ? (value.value?.ParameterData.StringData ?? "") : "";
    if (text === "") text = readString(config, "UpperBindings") ?? "";
    const names: string[] = [];
    for (const part of text.replaceAll("\u0000", ",").split(",")) {
      const name = part.trim();
      if (name !== "" && !names.includes(name)) names.push(name);
    }
    const untagged = readString(config, "UntaggedFrames")?.trim() ?? "drop";
    return {
      upperBindings: names,
      untagged: untagged === "" || untagged.toLowerCase() === "drop" ? null : untagged,
    };
  } finally {
    NdisCloseConfiguration(config);
  }
}

/** Creates the VELAN record (MUX allocates it in the bind) and asks NDIS for its miniport. */
function startVelan(adapt: ADAPT, instanceName: string): void {
  const velan: VELAN = {
    Adapt: adapt,
    InstanceName: instanceName,
    MiniportAdapterHandle: null,
    State: "initializing",
    Removing: false,
    OidsPending: 0,
    OidsIdle: {},
    IfIndex: 0,
    VlanId: 0,
    Mac: new Uint8Array(6),
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: 0,
    RecvPool: null,
    PausePending: false,
    SendsOutstanding: 0,
    ReceivesOutstanding: 0,
    LinkUp: false,
    Counters: newVelanCounters(),
  };
  NdisInitializeEvent(velan.OidsIdle);
  NdisSetEvent(velan.OidsIdle);
  const lockState: LOCK_STATE = {};
  NdisAcquireReadWriteLock(adapt.ReadWriteLock, true, lockState);
  adapt.Velans.push(velan);
  NdisReleaseReadWriteLock(adapt.ReadWriteLock, lockState);
  const status = NdisIMInitializeDeviceInstanceEx(
    adapt.Globals.MiniportDriverHandle as NDIS_HANDLE,
    instanceName,
    velan,
  );
  // NOT_ACCEPTED: NDIS already has that instance (another binding names it): not ours.
  if (status !== NDIS_STATUS_SUCCESS) forgetVelan(velan);
}

export function forgetVelan(velan: VELAN): void {
  const adapt = velan.Adapt;
  const lockState: LOCK_STATE = {};
  NdisAcquireReadWriteLock(adapt.ReadWriteLock, true, lockState);
  const index = adapt.Velans.indexOf(velan);
  if (index >= 0) adapt.Velans.splice(index, 1);
  NdisReleaseReadWriteLock(adapt.ReadWriteLock, lockState);
}

/**
 * Takes a VELAN away: withdraws the request if its MiniportInitializeEx has not run, else
 * NdisIMDeInitializeDeviceInstance (its MiniportHaltEx unlinks it). True when it is gone already.
 */
function stopVelan(velan: VELAN): boolean {
  if (velan.MiniportAdapterHandle === null) {
    // Not started (or its initialization failed): there is nothing to halt.
    NdisIMCancelInitializeDeviceInstance(
      velan.Adapt.Globals.MiniportDriverHandle as NDIS_HANDLE,
      velan.InstanceName,
    );
    if (velan.MiniportAdapterHandle === null) {
      forgetVelan(velan);
      return true;
    }
  }
  if (!velan.Removing) {
    velan.Removing = true;
    NdisIMDeInitializeDeviceInstance(velan.MiniportAdapterHandle);
  }
  return false;
}

/** After the open: the binding's VELANs are asked for. */
function afterOpen(adapt: ADAPT): void {
  const config = readBindingConfig(adapt);
  adapt.UntaggedVelanName = config.untagged;
  for (const name of config.upperBindings) startVelan(adapt, name);
}

function forget(adapt: ADAPT): void {
  const list = adapt.Globals.Adapters;
  const index = list.indexOf(adapt);
  if (index >= 0) list.splice(index, 1);
}

/**
 * ProtocolBindAdapterEx: PASSIVE_LEVEL. Opens the adapter — when NDIS pends the open, waits for
 * ProtocolOpenAdapterCompleteEx on the binding's event, as MUX does — then asks for its VELANs.
 * Returns the open's status.
 */
export const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = async (
  ProtocolDriverContext: unknown,
  BindContext: NDIS_HANDLE,
  BindParameters: NDIS_BIND_PARAMETERS,
): Promise<NDIS_STATUS> => {
  const globals = ProtocolDriverContext as MuxGlobals;
  const adapt: ADAPT = {
    Globals: globals,
    BindParameters,
    AdapterName: BindParameters.AdapterName,
    BindContext,
    BindingHandle: undefined,
    UnbindContext: undefined,
    ResetInProgress: false,
    BindingState: "paused",
    Velans: [],
    ReadWriteLock: {},
    RxLockState: {},
    Event: {},
    OpenStatus: NDIS_STATUS_SUCCESS,
    UntaggedVelanName: null,
    SendsOutstanding: 0,
    PendingPause: null,
    LastLinkState: null,
    LowerPacketFilter: 0,
    LowerMulticastList: [],
    LowerRequest: null,
    LowerRequestWants: null,
    LowerDirty: false,
    RxScratch: new Uint8Array(MAX_TAGGED_FRAME_LENGTH),
    TxScratch: new Uint8Array(16),
    Counters: {
      unknownVlanDrops: 0,
      untaggedDrops: 0,
      malformedDrops: 0,
      filterRequestsFailed: 0,
    },
  };
  NdisInitializeReadWriteLock(adapt.ReadWriteLock);
  NdisInitializeEvent(adapt.Event);
  const handle: Out<NDIS_HANDLE> = {};
  let status = NdisOpenAdapterEx(
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
  if (status === NDIS_STATUS_PENDING) {
    adapt.BindingHandle = handle.value;
    await NdisWaitEvent(adapt.Event, 0);
    status = adapt.OpenStatus;
  }
  adapt.BindContext = undefined;
  if (status !== NDIS_STATUS_SUCCESS) return status;
  adapt.BindingHandle = handle.value;
  globals.Adapters.push(adapt);
  afterOpen(adapt);
  return NDIS_STATUS_SUCCESS;
};

/** ProtocolOpenAdapterCompleteEx: wakes the bind waiting for the open NDIS pended. */
export const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
  Status,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  adapt.OpenStatus = Status;
  NdisSetEvent(adapt.Event);
};

/**
 * ProtocolUnbindAdapterEx: called on a Paused binding; cannot fail. As MUX does, it asks for
 * every VELAN to go, waits on the binding's event until the last has unlinked itself (from
 * MiniportHaltEx) and no request of the driver's own is out below, then closes the adapter,
 * waiting again when NDIS pends the close. PASSIVE_LEVEL blocking waits; returns SUCCESS.
 */
export const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = async (
  UnbindContext,
  ProtocolBindingContext,
) => {
  const adapt = ProtocolBindingContext as ADAPT;
  NdisResetEvent(adapt.Event);
  adapt.UnbindContext = UnbindContext;
  for (const velan of [...adapt.Velans]) stopVelan(velan);
  if (!unbindMayClose(adapt)) await NdisWaitEvent(adapt.Event, 0);
  NdisResetEvent(adapt.Event);
  const status = NdisCloseAdapterEx(adapt.BindingHandle as NDIS_HANDLE);
  if (status === NDIS_STATUS_PENDING) await NdisWaitEvent(adapt.Event, 0);
  forget(adapt);
  return NDIS_STATUS_SUCCESS;
};

/** Nothing above depends on the lower binding and no request of the driver's own is out on it. */
function unbindMayClose(adapt: ADAPT): boolean {
  return adapt.Velans.length === 0 && adapt.LowerRequest === null;
}

/** Called when a VELAN or a lower request goes: wakes an unbind waiting to close. */
export function maybeFinishUnbind(adapt: ADAPT): void {
  if (adapt.UnbindContext === undefined || !unbindMayClose(adapt)) return;
  NdisSetEvent(adapt.Event);
}

/** ProtocolCloseAdapterCompleteEx: wakes the unbind waiting for the close NDIS pended. */
export const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
) => {
  NdisSetEvent((ProtocolBindingContext as ADAPT).Event);
};

/**
 * NetEventReconfigure: the binding's key changed. VELANs named in `UpperBindings` and not yet
 * there are asked for; VELANs no longer named are removed; the rest are not touched (their
 * traffic keeps flowing). `UntaggedFrames` is re-read too.
 */
function reconfigure(adapt: ADAPT): void {
  if (adapt.UnbindContext !== undefined || adapt.BindingHandle === undefined) return;
  const config = readBindingConfig(adapt);
  adapt.UntaggedVelanName = config.untagged;
  for (const velan of [...adapt.Velans]) {
    if (!config.upperBindings.includes(velan.InstanceName)) stopVelan(velan);
  }
  for (const name of config.upperBindings) {
    if (!adapt.Velans.some((v) => v.InstanceName === name)) startVelan(adapt, name);
  }
}

/**
 * The binding events vlan-mux passes up to every VELAN's protocols (contract §2.9). Not the power
 * events: NDIS sends those to the protocols above each VELAN itself ("Handling a Set Power
 * Request").
 */
const PROPAGATED = new Set([NetEventQueryRemoveDevice, NetEventCancelRemoveDevice]);

/**
 * ProtocolNetPnPEvent, PASSIVE_LEVEL.
 * - NetEventPause: the binding stops taking sends and pends until those sent down are back
 *   (MUX waits on an event for ADAPT.OutstandingSends; here the last completion finishes it).
 * - NetEventRestart: sends go down again.
 * - NetEventReconfigure: re-read the binding's key (see `reconfigure`); with no binding context
 *   (the protocol as a whole), every binding's.
 * - NetEventIMReEnableDevice: a disabled VELAN is asked for again.
 * - Query-remove events go up to every started VELAN with NdisMNetPnPEvent; a refusal from any
 *   of them is the binding's answer.
 */
export const PtNetPnPEvent: PROTOCOL_NET_PNP_EVENT = (
  ProtocolBindingContext,
  NetPnPEventNotification,
) => {
  const event = NetPnPEventNotification.NetPnPEvent;
  const adapt = ProtocolBindingContext as ADAPT | null;
  if (event.NetEvent === NetEventIMReEnableDevice) {
    for (const globals of allGlobals) {
      for (const a of globals.Adapters) {
        // The disabled VELAN's record stayed (MPHalt keeps it); a fresh one is asked for.
        const known = a.Velans.find((v) => v.InstanceName === event.Buffer && v.State === "halted");
        if (known === undefined) continue;
        forgetVelan(known);
        startVelan(a, known.InstanceName);
      }
    }
    return NDIS_STATUS_SUCCESS;
  }
  if (event.NetEvent === NetEventReconfigure) {
    if (adapt !== null) reconfigure(adapt);
    else for (const globals of allGlobals) for (const a of [...globals.Adapters]) reconfigure(a);
    return NDIS_STATUS_SUCCESS;
  }
  if (adapt === null) return NDIS_STATUS_SUCCESS;
  if (event.NetEvent === NetEventPause) {
    adapt.BindingState = "paused";
    if (adapt.SendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
    adapt.PendingPause = NetPnPEventNotification;
    return NDIS_STATUS_PENDING;
  }
  if (event.NetEvent === NetEventRestart) {
    adapt.BindingState = "running";
    return NDIS_STATUS_SUCCESS;
  }
  if (PROPAGATED.has(event.NetEvent)) return propagate(adapt, NetPnPEventNotification);
  return NDIS_STATUS_SUCCESS;
};

/**
 * Passes a power or remove event up to every started VELAN with NdisMNetPnPEvent. A VELAN with an
 * OID request it pended below is waited for first (NdisWaitEvent; SDV's
 * NdisMNetPnPEventInOIDRequest: no NdisMNetPnPEvent while the miniport's OID request is out).
 * A query fails if any VELAN's protocols refuse it.
 */
async function propagate(
  adapt: ADAPT,
  notification: NET_PNP_EVENT_NOTIFICATION,
): Promise<NDIS_STATUS> {
  const event = notification.NetPnPEvent.NetEvent;
  const query = event === NetEventQueryPower || event === NetEventQueryRemoveDevice;
  let answer: NDIS_STATUS = NDIS_STATUS_SUCCESS;
  for (const velan of [...adapt.Velans]) {
    if (velan.OidsPending > 0) await NdisWaitEvent(velan.OidsIdle, 0);
    if (velan.MiniportAdapterHandle === null) continue;
    const status = NdisMNetPnPEvent(velan.MiniportAdapterHandle, notification);
    if (query && status !== NDIS_STATUS_SUCCESS && answer === NDIS_STATUS_SUCCESS) answer = status;
  }
  return answer;
}

/**
 * ProtocolStatusEx (≤ DISPATCH_LEVEL): the lower adapter's link state is every VELAN's link state,
 * so NDIS_STATUS_LINK_STATE is remembered and re-indicated on each started VELAN. Other
 * indications stay here, as in MUX.
 */
export const PtStatus: PROTOCOL_STATUS_EX = (ProtocolBindingContext, StatusIndication) => {
  const adapt = ProtocolBindingContext as ADAPT;
  // The lower adapter resets: VELAN sends are held back meanwhile; NDIS never resets a VELAN, so
  // nothing goes up.
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_START) adapt.ResetInProgress = true;
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_END) adapt.ResetInProgress = false;
  if (StatusIndication.StatusCode !== NDIS_STATUS_LINK_STATE) return;
  const linkState = StatusIndication.StatusBuffer as NDIS_LINK_STATE;
  adapt.LastLinkState = linkState;
  const lockState: LOCK_STATE = {};
  NdisAcquireReadWriteLock(adapt.ReadWriteLock, false, lockState);
  for (const velan of adapt.Velans) {
    const handle = velan.MiniportAdapterHandle;
    if (handle === null) continue;
    velan.LinkUp = isConnected(linkState.MediaConnectState);
    NdisMIndicateStatusEx(handle, {
      ...StatusIndication,
      SourceHandle: handle,
      DestinationHandle: null,
      RequestId: null,
    });
  }
  NdisReleaseReadWriteLock(adapt.ReadWriteLock, lockState);
};

/** MediaConnectStateConnected is 1. */
export function isConnected(mediaConnectState: number): boolean {
  return mediaConnectState === 1;
}

/** The untagged VELAN of a binding (re-exported for the data path). */
export { untaggedVelan };
