/**
 * ipv4-host's state. One module may be loaded by several hosts in one process, so everything hangs
 * off the DRIVER_OBJECT; an interface (IF) is one binding — the ProtocolBindingContext.
 */
import type {
  DRIVER_OBJECT,
  NBL_QUEUE,
  NDIS_BIND_PARAMETERS,
  NDIS_HANDLE,
  NDIS_OID_REQUEST,
  NDIS_STATUS,
  NET_BUFFER_LIST,
  NET_PNP_EVENT_NOTIFICATION,
} from "../../ddi.js";

export interface Ipv4HostGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  ProtocolHandle: NDIS_HANDLE | undefined;
  /** Every binding, from the start of its bind to the end of its unbind. */
  readonly Interfaces: IF[];
  /** Binds refused, most recent last (at most REFUSALS_KEPT). */
  readonly Refusals: Ipv4BindRefusal[];
}

export const REFUSALS_KEPT = 64;

/** A bind ipv4-host refused, and why. */
export interface Ipv4BindRefusal {
  readonly adapterName: string;
  readonly status: NDIS_STATUS;
  readonly reason: string;
}

export interface Ipv4InterfaceCounters {
  /** Frames indicated to this binding (while Running). */
  framesReceived: number;
  /** Frames handed to NdisSendNetBufferLists. */
  framesSent: number;
  arpRequestsSent: number;
  arpRequestsAnswered: number;
  arpRepliesReceived: number;
  echoRequestsAnswered: number;
  echoRequestsSent: number;
  echoRepliesReceived: number;
  udpEchoed: number;
  /** ARP entries dropped, oldest first, to keep the cache within ARP_CACHE_LIMIT. */
  arpEvictions: number;
  /** ARP entries dropped because they were older than ArpCacheLife. */
  arpExpirations: number;
  /** Frames malformed (truncated, bad checksum…) or not for this interface. */
  framesDropped: number;
  /** Sends NDIS or the adapter completed with a failure, or that could not be allocated. */
  sendFailures: number;
  /** NDIS_STATUS_LINK_STATE indications received. */
  linkChanges: number;
}

/**
 * The most ARP entries an interface keeps. A flood of requests from distinct senders (each one
 * teaches an entry) would otherwise grow the cache without bound; past the limit the entry learnt
 * longest ago goes (and is counted in arpEvictions).
 */
export const ARP_CACHE_LIMIT = 512;

/**
 * How long an ARP entry is believed, in seconds, unless the binding's `ArpCacheLife` says
 * otherwise (the name and default of Windows' TCP/IP parameter for entries not refreshed). An
 * older entry is dropped when next looked up or when a new entry is learnt, and a ping to its
 * address asks again.
 */
export const ARP_CACHE_LIFE_DEFAULT = 120;

/** What the cache keeps for an address: the MAC and when it was learnt (host time, 100 ns). */
export interface ArpEntry {
  readonly mac: Uint8Array;
  readonly learnedAt: bigint;
}

export function newCounters(): Ipv4InterfaceCounters {
  return {
    framesReceived: 0,
    framesSent: 0,
    arpRequestsSent: 0,
    arpRequestsAnswered: 0,
    arpRepliesReceived: 0,
    echoRequestsAnswered: 0,
    echoRequestsSent: 0,
    echoRepliesReceived: 0,
    udpEchoed: 0,
    arpEvictions: 0,
    arpExpirations: 0,
    framesDropped: 0,
    sendFailures: 0,
    linkChanges: 0,
  };
}

/**
 * Where a binding is: binding (opening, reading its parameters, setting the packet filter),
 * paused, running, refusing (a failed bind closing the adapter), unbinding.
 */
export type IfPhase = "binding" | "paused" | "running" | "refusing" | "unbinding";

/** The per-binding parameters (Tcpip\Parameters\Interfaces\… style). */
export interface IfParameters {
  readonly Address: number;
  readonly PrefixLength: number;
  readonly UdpEchoPort: number | null;
  readonly PingTarget: number | null;
  /** 0: forever while running. */
  readonly PingCount: number;
  readonly PingIntervalMs: number;
  /** Seconds an ARP entry is believed (ArpCacheLife). */
  readonly ArpCacheLife: number;
}

/** One binding: ipv4-host's interface on an adapter. */
export interface IF {
  readonly Globals: Ipv4HostGlobals;
  readonly BindParameters: NDIS_BIND_PARAMETERS;
  readonly Mac: Uint8Array;
  /**
   * Room left in front of every frame sent and in its NBL's context area, as the adapter's bind
   * parameters ask (DataBackFillSize, ContextBackFillSize; capped, see shared/frames.ts).
   */
  readonly DataBackFill: number;
  readonly ContextBackFill: number;
  Phase: IfPhase;
  /** Until the bind has completed. */
  BindContext: NDIS_HANDLE | undefined;
  /** The bind handler returned PENDING: its end goes through NdisCompleteBindAdapterEx. */
  BindPended: boolean;
  /** The status a refused bind completes with once the adapter is closed. */
  RefuseStatus: NDIS_STATUS;
  BindingHandle: NDIS_HANDLE | undefined;
  UnbindContext: NDIS_HANDLE | undefined;
  Params: IfParameters | null;
  SendPool: NDIS_HANDLE | null;
  /**
   * NBLs of the send pool whose sends completed, kept for the next frames instead of freed and
   * allocated again per frame (a lookaside list); freed with the pool.
   */
  readonly SendFree: NET_BUFFER_LIST[];
  /** Periodic: sends the echo requests (or the ARP request resolving the target). */
  PingTimer: NDIS_HANDLE | null;
  /** One-shot, DueTime 0: reads the host time for replies that just arrived (see stack.ts). */
  StampTimer: NDIS_HANDLE | null;
  /** The OID_GEN_CURRENT_PACKET_FILTER set issued during the bind, while it is pending. */
  FilterRequest: NDIS_OID_REQUEST | null;
  SendsOutstanding: number;
  /** A receive indication is being handled: what it answers waits in `Answers`. */
  Answering: boolean;
  /** The answers of the indication being handled (oldest first), sent down as one chain. */
  readonly Answers: NBL_QUEUE;
  /** A NetEventPause waiting for the sends to complete. */
  PendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /** From the bind parameters, then NDIS_STATUS_LINK_STATE indications. */
  LinkUp: boolean;
  /** IPv4 address → MAC. */
  readonly ArpCache: Map<number, ArpEntry>;
  IpIdentification: number;
  readonly PingIdentifier: number;
  PingSequence: number;
  /** Echo requests sent and not yet answered: sequence → host time sent (100 ns units). */
  readonly PingOutstanding: Map<number, bigint>;
  /** The sequence of the last echo request, to see whether it was answered by the next tick. */
  LastPingSequence: number | null;
  /** Consecutive echo requests unanswered at the next tick; 3 drop the ARP entry (re-ARP). */
  Unanswered: number;
  /** Send times of replies matched since the stamp timer last ran. */
  readonly ToStamp: bigint[];
  /** Round-trip times in ms (the most recent RTTS_KEPT). */
  readonly RttsMs: number[];
  readonly Counters: Ipv4InterfaceCounters;
}

export const RTTS_KEPT = 10_000;
/** Unanswered echo requests remembered at most (older ones are forgotten). */
export const OUTSTANDING_KEPT = 64;
/** Consecutive unanswered echo requests after which the target is ARPed again. */
export const UNANSWERED_REARP = 3;

const globalsByDriver = new WeakMap<DRIVER_OBJECT, Ipv4HostGlobals>();

export function createGlobals(DriverObject: DRIVER_OBJECT): Ipv4HostGlobals {
  const globals: Ipv4HostGlobals = {
    DriverObject,
    ProtocolHandle: undefined,
    Interfaces: [],
    Refusals: [],
  };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): Ipv4HostGlobals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}
