/**
 * The vlan-mux driver's state, named after Microsoft's MUX sample (mux.h): ADAPT is one lower
 * binding, VELAN one virtual miniport over it. One ADAPT carries N VELANs, each on its own 802.1Q
 * VLAN. A C driver keeps its globals in file-scope variables; one module here may be loaded by
 * several hosts in one process, so they hang off the DRIVER_OBJECT.
 */
import type {
  DRIVER_OBJECT,
  LOCK_STATE,
  NDIS_BIND_PARAMETERS,
  NDIS_EVENT,
  NDIS_HANDLE,
  NDIS_LINK_STATE,
  NDIS_OID_REQUEST,
  NDIS_RW_LOCK,
  NDIS_STATUS,
  NET_PNP_EVENT_NOTIFICATION,
} from "../../ddi.js";

export interface MuxGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  /** From NdisMRegisterMiniportDriver: the IM miniport edge. */
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  /** From NdisRegisterProtocolDriver: the protocol edge. */
  ProtocolHandle: NDIS_HANDLE | undefined;
  /** Every lower binding, open or opening. */
  readonly Adapters: ADAPT[];
  /** VELANs whose initialization failed, and why (the last 64). */
  readonly Refusals: { instanceName: string; status: NDIS_STATUS; reason: string }[];
}

/** Per-binding counters of what no VELAN could take. */
export interface AdaptCounters {
  /** Tagged frames whose VLAN id no VELAN of this binding carries. */
  unknownVlanDrops: number;
  /** Untagged (or priority-tagged) frames while UntaggedFrames is "drop". */
  untaggedDrops: number;
  /** Frames too short for their header, or too long to carry. */
  malformedDrops: number;
  /** Lower requests (packet filter, multicast list) the adapter refused. */
  filterRequestsFailed: number;
}

/** One lower binding (the ProtocolBindingContext), MUX's ADAPT. */
export interface ADAPT {
  readonly Globals: MuxGlobals;
  readonly BindParameters: NDIS_BIND_PARAMETERS;
  readonly AdapterName: string;
  BindContext: NDIS_HANDLE | undefined;
  BindingHandle: NDIS_HANDLE | undefined;
  /** Set while an unbind waits for the VELANs' halts (and the lower close). */
  UnbindContext: NDIS_HANDLE | undefined;
  /**
   * Between NDIS_STATUS_RESET_START and NDIS_STATUS_RESET_END of the lower adapter: VELAN sends
   * are not passed down (the NDIS_STATUS_RESET_START page: hold data, make no calls to the miniport).
   */
  ResetInProgress: boolean;
  /** The binding's own state, as MUX tracks it: sends go down only while Running. */
  BindingState: "paused" | "running";
  /**
   * The VELANs asked for on this binding, started or not. Guarded, as in MUX, by ReadWriteLock:
   * read to look a VELAN up (receive, status), write to link or unlink one.
   */
  readonly Velans: VELAN[];
  /** MUX's ReadWriteLock over Velans (NdisInitializeReadWriteLock in the bind). */
  readonly ReadWriteLock: NDIS_RW_LOCK;
  /** The LOCK_STATE of the receive path's read acquisition (one per acquisition in flight). */
  readonly RxLockState: LOCK_STATE;
  /**
   * MUX's Event: the bind waits on it for an open NDIS pended, the unbind for its VELANs to
   * unlink and for a close NDIS pended (PASSIVE_LEVEL blocking waits, NdisWaitEvent).
   */
  readonly Event: NDIS_EVENT;
  /** The status the pended open completed with (ProtocolOpenAdapterCompleteEx). */
  OpenStatus: NDIS_STATUS;
  /** `UntaggedFrames`: null = drop, else the instance name of the VELAN that takes them. */
  UntaggedVelanName: string | null;
  /** NBLs sent down this binding and not yet completed. */
  SendsOutstanding: number;
  /** A NetEventPause of this binding waiting for its sends. */
  PendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /** The lower adapter's last NDIS_STATUS_LINK_STATE, if it indicated one. */
  LastLinkState: NDIS_LINK_STATE | null;
  /** What the driver last set on the lower adapter (succeeded). */
  LowerPacketFilter: number;
  LowerMulticastList: Uint8Array[];
  /** The one filter/multicast request of the driver's own that is out on the lower binding. */
  LowerRequest: NDIS_OID_REQUEST | null;
  /** What the outstanding LowerRequest asks for (applied on success). */
  LowerRequestWants: { filter: number } | { multicast: Uint8Array[] } | null;
  /** The VELANs' filters changed while a request was out: compute again when it completes. */
  LowerDirty: boolean;
  /** Receive scratch: a frame not contiguous in its MDLs is copied here to be read. */
  readonly RxScratch: Uint8Array;
  /** Send scratch: the 16 header bytes being moved. */
  readonly TxScratch: Uint8Array;
  readonly Counters: AdaptCounters;
}

export interface VelanCounters {
  /** Frames sent down with an 802.1Q tag inserted / without one (the untagged VELAN). */
  taggedSent: number;
  untaggedSent: number;
  bytesSent: number;
  /** Sends completed with a failure status, or refused (paused, malformed, no resources). */
  sendFailures: number;
  /** Frames indicated up that arrived tagged / untagged. */
  taggedReceived: number;
  untaggedReceived: number;
  bytesReceived: number;
  /** Frames for this VELAN's VLAN its packet filter did not accept. */
  framesFiltered: number;
  /** Frames for this VELAN that could not be indicated (paused, no NBL). */
  receiveDiscards: number;
  /** By destination kind, for NDIS_STATISTICS_INFO. */
  inUcast: number;
  inMcast: number;
  inBcast: number;
  outUcast: number;
  outMcast: number;
  outBcast: number;
}

/** One virtual miniport (the MiniportAdapterContext), MUX's VELAN. */
export interface VELAN {
  readonly Adapt: ADAPT;
  /** Its device instance name (an `UpperBindings` entry). */
  readonly InstanceName: string;
  /** Null until MiniportInitializeEx succeeds, and again after MiniportHaltEx. */
  MiniportAdapterHandle: NDIS_HANDLE | null;
  State: "initializing" | "paused" | "running" | "pausing" | "halted";
  /** NdisIMDeInitializeDeviceInstance was called (reconfigure or unbind). */
  Removing: boolean;
  /** OID requests it pended (forwarded below, not yet completed). */
  OidsPending: number;
  /** Set while no OID request of it is pending: a PnP event waits on it before going up. */
  readonly OidsIdle: NDIS_EVENT;
  /** Its NDIS interface index (MiniportInitializeEx's IfIndex; 0 before). */
  IfIndex: number;
  /** 1..4094, from the VELAN's `VlanId`. */
  VlanId: number;
  Mac: Uint8Array;
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  /** NBL pool (one NET_BUFFER and a frame buffer each) for the frames it indicates up. */
  RecvPool: NDIS_HANDLE | null;
  PausePending: boolean;
  SendsOutstanding: number;
  ReceivesOutstanding: number;
  LinkUp: boolean;
  readonly Counters: VelanCounters;
}

const globalsByDriver = new WeakMap<DRIVER_OBJECT, MuxGlobals>();

export function createGlobals(DriverObject: DRIVER_OBJECT): MuxGlobals {
  const globals: MuxGlobals = {
    DriverObject,
    MiniportDriverHandle: undefined,
    ProtocolHandle: undefined,
    Adapters: [],
    Refusals: [],
  };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): MuxGlobals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}

export function newVelanCounters(): VelanCounters {
  return {
    taggedSent: 0,
    untaggedSent: 0,
    bytesSent: 0,
    sendFailures: 0,
    taggedReceived: 0,
    untaggedReceived: 0,
    bytesReceived: 0,
    framesFiltered: 0,
    receiveDiscards: 0,
    inUcast: 0,
    inMcast: 0,
    inBcast: 0,
    outUcast: 0,
    outMcast: 0,
    outBcast: 0,
  };
}

/** The VELAN that takes untagged frames on this binding (and sends untagged), if any. */
export function untaggedVelan(adapt: ADAPT): VELAN | null {
  const name = adapt.UntaggedVelanName;
  if (name === null) return null;
  return adapt.Velans.find((v) => v.InstanceName === name) ?? null;
}

export function recordRefusal(
  globals: MuxGlobals,
  instanceName: string,
  status: NDIS_STATUS,
  reason: string,
): void {
  globals.Refusals.push({ instanceName, status, reason });
  if (globals.Refusals.length > 64) globals.Refusals.shift();
}

// ---- Node-side API -------------------------------------------------------------------------

export interface VelanInfo {
  readonly instanceName: string;
  /** The lower adapter it sits on. */
  readonly adapterName: string;
  readonly vlanId: number;
  /** "02-…" (the Windows spelling). */
  readonly mac: string;
  readonly state: VELAN["State"];
  /** True for the VELAN named by its binding's UntaggedFrames. */
  readonly untagged: boolean;
  readonly linkUp: boolean;
  readonly packetFilter: number;
  readonly multicastList: readonly string[];
  readonly counters: Readonly<VelanCounters>;
}

export interface MuxBindingInfo {
  readonly adapterName: string;
  readonly state: ADAPT["BindingState"];
  /** "drop" or the instance name of the untagged VELAN. */
  readonly untaggedFrames: string;
  readonly velans: readonly string[];
  /** What vlan-mux set on the lower adapter: the merge of its VELANs' filters. */
  readonly lowerPacketFilter: number;
  readonly lowerMulticastList: readonly string[];
  readonly counters: Readonly<AdaptCounters>;
}

export interface VlanMuxInfo {
  readonly velans: readonly VelanInfo[];
  readonly bindings: readonly MuxBindingInfo[];
  readonly refusals: readonly { instanceName: string; status: NDIS_STATUS; reason: string }[];
}

function macText(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("-");
}

/**
 * A snapshot of the driver loaded as `driverObject` (what `host.loadDriver` returned): every
 * VELAN with its VLAN id, MAC, state and counters, every lower binding with the filter merged onto
 * it and its drop counters. Empty when the driver is not loaded.
 */
export function vlanMuxOf(driverObject: DRIVER_OBJECT): VlanMuxInfo {
  const globals = globalsOf(driverObject);
  if (globals === undefined) return { velans: [], bindings: [], refusals: [] };
  const velans: VelanInfo[] = [];
  const bindings: MuxBindingInfo[] = [];
  for (const adapt of globals.Adapters) {
    for (const v of adapt.Velans) {
      velans.push({
        instanceName: v.InstanceName,
        adapterName: adapt.AdapterName,
        vlanId: v.VlanId,
        mac: macText(v.Mac),
        state: v.State,
        untagged: adapt.UntaggedVelanName === v.InstanceName,
        linkUp: v.LinkUp,
        packetFilter: v.PacketFilter,
        multicastList: v.MulticastList.map(macText),
        counters: { ...v.Counters },
      });
    }
    bindings.push({
      adapterName: adapt.AdapterName,
      state: adapt.BindingState,
      untaggedFrames: adapt.UntaggedVelanName ?? "drop",
      velans: adapt.Velans.map((v) => v.InstanceName),
      lowerPacketFilter: adapt.LowerPacketFilter,
      lowerMulticastList: adapt.LowerMulticastList.map(macText),
      counters: { ...adapt.Counters },
    });
  }
  return { velans, bindings, refusals: [...globals.Refusals] };
}
