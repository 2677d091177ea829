/**
 * The team driver's state. A C driver keeps globals in file-scope variables; one module here may
 * be loaded by several hosts in one process, so the globals hang off the DRIVER_OBJECT.
 *
 * The shape is the MUX sample's, turned around: MUX has one ADAPT (lower binding) under several
 * VELANs; a team has several MEMBERs (lower bindings) under one TEAM (the virtual miniport). The
 * TEAM exists from the first member's bind to the last member's unbind; its virtual miniport
 * (`Velan`) from MiniportInitializeEx to MiniportHaltEx.
 */
import type {
  DRIVER_OBJECT,
  NDIS_BIND_PARAMETERS,
  NDIS_HANDLE,
  NDIS_OID_REQUEST,
  NDIS_STATUS,
  NET_PNP_EVENT_NOTIFICATION,
} from "../../ddi.js";

export type TeamMode = "active-backup" | "static";
export type HashPolicy = "l2" | "l2+3" | "l3+4";
export type MacPolicy = "team" | "follow";

/** The virtual miniport's parameters (its device key, read in MiniportInitializeEx). */
export interface TeamParameters {
  readonly Mode: TeamMode;
  /** Adapter name of the preferred member (active-backup), or null. */
  readonly Primary: string | null;
  /** "always" = 0 ms, "never" = null, else the delay in ms before failing back to Primary. */
  readonly FailbackDelayMs: number | null;
  readonly HashPolicy: HashPolicy;
  readonly MacPolicy: MacPolicy;
  /** NetworkAddress, or null: the MAC is Primary's (or the first member's). */
  readonly NetworkAddress: Uint8Array | null;
  readonly UpDelayMs: number;
  readonly DownDelayMs: number;
  /** IPv4 address (unsigned) probed with ARP on every member, or null: no ARP monitoring. */
  readonly ArpTarget: number | null;
  readonly ArpIntervalMs: number;
  /** Probes in a row without a reply after which a member is down. */
  readonly ArpMissedMax: number;
  /** The team's IPv4 address for gratuitous ARPs and probes, or null: learned from ARP sent above. */
  readonly GratuitousArpAddress: number | null;
}

export const DEFAULT_PARAMETERS: TeamParameters = {
  Mode: "active-backup",
  Primary: null,
  FailbackDelayMs: 0,
  HashPolicy: "l2",
  MacPolicy: "team",
  NetworkAddress: null,
  UpDelayMs: 0,
  DownDelayMs: 0,
  ArpTarget: null,
  ArpIntervalMs: 1000,
  ArpMissedMax: 2,
  GratuitousArpAddress: null,
};

export interface TeamGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  ProtocolHandle: NDIS_HANDLE | undefined;
  /** The driver's own NBL pool (ARP probes, gratuitous ARPs); allocated in DriverEntry. */
  ControlPool: NDIS_HANDLE | null;
  /** Driver parameters: the adapters that are members without a per-binding TeamName… */
  Members: readonly string[];
  /** …and the team they join. */
  DefaultTeamName: string;
  /** Teams by virtual miniport instance name. */
  readonly Teams: Map<string, TEAM>;
  /** Binds refused, most recent last (at most REFUSALS_KEPT). */
  readonly Refusals: TeamBindRefusal[];
}

export const REFUSALS_KEPT = 64;

export interface TeamBindRefusal {
  readonly adapterName: string;
  readonly status: NDIS_STATUS;
  readonly reason: string;
}

/** What a member carried, kept by the team. */
export interface MemberCounters {
  /** Frames of the upper protocols sent down this member. */
  framesSent: number;
  bytesSent: number;
  /** Of those, completed with a failure. */
  sendsFailed: number;
  /** Frames indicated up from this member. */
  framesReceived: number;
  bytesReceived: number;
  /** Receives dropped: from a backup (active-backup), not for the team, or while not running. */
  receivesDropped: number;
  arpProbesSent: number;
  arpRepliesReceived: number;
  gratuitousArpsSent: number;
  /** Control frames (probes, gratuitous ARPs) that failed or could not be allocated. */
  controlSendsFailed: number;
  /** NDIS_STATUS_LINK_STATE indications received. */
  linkChanges: number;
  /** Packet filter or multicast list sets the member refused. */
  oidFailures: number;
}

export function newMemberCounters(): MemberCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    sendsFailed: 0,
    framesReceived: 0,
    bytesReceived: 0,
    receivesDropped: 0,
    arpProbesSent: 0,
    arpRepliesReceived: 0,
    gratuitousArpsSent: 0,
    controlSendsFailed: 0,
    linkChanges: 0,
    oidFailures: 0,
  };
}

/** The member's link as the team sees it, debounced by UpDelayMs/DownDelayMs (Linux's states). */
export type MemberLink = "up" | "going-down" | "down" | "going-up";

/** An OID the team issues on a member, and what to do when it ends. */
export interface MemberOid {
  readonly Request: NDIS_OID_REQUEST;
  readonly Done: (status: NDIS_STATUS) => void;
}

/** One lower binding (the ProtocolBindingContext). */
export interface MEMBER {
  readonly Globals: TeamGlobals;
  /** The team it joined; null until the binding's TeamName is read. */
  Team: TEAM | null;
  readonly BindParameters: NDIS_BIND_PARAMETERS;
  readonly AdapterName: string;
  readonly Mac: Uint8Array;
  BindContext: NDIS_HANDLE | undefined;
  /** The bind handler returned PENDING: it ends with NdisCompleteBindAdapterEx. */
  BindPended: boolean;
  /**
   * Between NDIS_STATUS_RESET_START and NDIS_STATUS_RESET_END of this member's adapter: sends
   * for it are not passed down (the NDIS_STATUS_RESET_START page: make no calls to the miniport).
   */
  ResetInProgress: boolean;
  /** A refused bind closing the adapter, with the status the bind ends with. */
  RefuseStatus: NDIS_STATUS | null;
  BindingHandle: NDIS_HANDLE | undefined;
  UnbindContext: NDIS_HANDLE | undefined;
  /** The binding is Running (between NetEventRestart and NetEventPause). */
  Running: boolean;
  /** The last link state the adapter reported. */
  LinkUp: boolean;
  /** Debounced link. */
  Link: MemberLink;
  XmitLinkSpeed: bigint;
  /** Up/down delay timer (allocated on the binding). */
  DelayTimer: NDIS_HANDLE | null;
  /** ARP monitoring: a probe went out and no reply came yet. */
  ProbeOutstanding: boolean;
  ArpMissed: number;
  ArpAlive: boolean;
  /** NBLs sent down and not completed: forwarded and own. */
  SendsOutstanding: number;
  PendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /** OIDs queued on this member; the first is in flight. */
  readonly OidQueue: MemberOid[];
  /** The packet filter last applied. */
  AppliedFilter: number;
  readonly Counters: MemberCounters;
}

/** A team: the members and, once started, its virtual miniport. */
export interface TEAM {
  readonly Globals: TeamGlobals;
  readonly Name: string;
  readonly Members: MEMBER[];
  /** Members whose unbind waits for the virtual miniport's halt (they were the last). */
  readonly Leaving: MEMBER[];
  /** NdisIMInitializeDeviceInstanceEx was called and no halt or cancel has followed. */
  InstanceRequested: boolean;
  /** MiniportInitializeEx failed: not asked again until the device is re-enabled. */
  InitFailed: boolean;
  Velan: VELAN | null;
  Params: TeamParameters;
  /** The team's MAC (CurrentMacAddress of the virtual miniport). */
  Mac: Uint8Array;
  /** The team's IPv4 address (GratuitousArpAddress or learned), or null. */
  Ip: number | null;
  /** Active-backup: the member that carries the traffic. */
  Active: MEMBER | null;
  /** Static: the members the hash spreads over, in join order. */
  Live: MEMBER[];
  /** The active member changed because it could no longer carry traffic. */
  Failovers: number;
  /** The active member changed back to Primary (Failback policy). */
  Failbacks: number;
  GratuitousArps: number;
  /** The failback timer is set. */
  FailbackArmed: boolean;
  /** The link state last indicated on the virtual miniport. */
  ReportedUp: boolean;
  ReportedSpeed: bigint;
  /** The upper protocols' packet filter and multicast list, applied to every member. */
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  /** The smallest MTU of the members when the team started. */
  Mtu: number;
  readonly Counters: TeamCounters;
}

/** What the virtual miniport carried (answers OID_GEN_STATISTICS). */
export interface TeamCounters {
  inUcast: number;
  inMcast: number;
  inBcast: number;
  inUcastOctets: number;
  inMcastOctets: number;
  inBcastOctets: number;
  inDiscards: number;
  outUcast: number;
  outMcast: number;
  outBcast: number;
  outUcastOctets: number;
  outMcastOctets: number;
  outBcastOctets: number;
  outErrors: number;
  /** Sends the team refused: paused, or no member to carry them. */
  outDiscards: number;
}

export function newTeamCounters(): TeamCounters {
  return {
    inUcast: 0,
    inMcast: 0,
    inBcast: 0,
    inUcastOctets: 0,
    inMcastOctets: 0,
    inBcastOctets: 0,
    inDiscards: 0,
    outUcast: 0,
    outMcast: 0,
    outBcast: 0,
    outUcastOctets: 0,
    outMcastOctets: 0,
    outBcastOctets: 0,
    outErrors: 0,
    outDiscards: 0,
  };
}

/** The virtual miniport (the MiniportAdapterContext). */
export interface VELAN {
  readonly Team: TEAM;
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  Paused: boolean;
  PausePending: boolean;
  SendsOutstanding: number;
  ReceivesOutstanding: number;
  /** MacPolicy "follow": the pool of the receive copies the team indicates (rewritten). */
  ReceivePool: NDIS_HANDLE | null;
  /** ARP monitor (periodic) and failback timers, allocated on the adapter. */
  ArpTimer: NDIS_HANDLE | null;
  FailbackTimer: NDIS_HANDLE | null;
  /** An upper OID waiting for the members' answers. */
  PendingRequest: NDIS_OID_REQUEST | null;
  PendingMembers: number;
  PendingStatus: NDIS_STATUS;
}

const globalsByDriver = new WeakMap<DRIVER_OBJECT, TeamGlobals>();

export function createGlobals(DriverObject: DRIVER_OBJECT): TeamGlobals {
  const globals: TeamGlobals = {
    DriverObject,
    MiniportDriverHandle: undefined,
    ProtocolHandle: undefined,
    ControlPool: null,
    Members: [],
    DefaultTeamName: "team0",
    Teams: new Map(),
    Refusals: [],
  };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): TeamGlobals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}

/** A member can carry traffic: its binding runs, its link is up (debounced), ARP says alive. */
export function usable(member: MEMBER): boolean {
  return (
    member.Running &&
    member.BindingHandle !== undefined &&
    member.UnbindContext === undefined &&
    (member.Link === "up" || member.Link === "going-down") &&
    member.ArpAlive
  );
}
