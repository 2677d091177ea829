/**
 * The hub driver's state: per DRIVER_OBJECT (several hosts may share the module), the hubs by
 * name, and per adapter (the MiniportAdapterContext) its link, filter, queue and counters.
 */
import { type DRIVER_OBJECT, type NDIS_HANDLE, NdisSetTimerObject } from "../../ddi.js";

export interface HubGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  /** Hub name → its segment. A segment exists while it has adapters. */
  readonly Hubs: Map<string, HubSegment>;
}

/** One hub: the adapters joined by it, in the order they arrived. */
export interface HubSegment {
  readonly Name: string;
  readonly Adapters: HubAdapter[];
}

export interface HubAdapterCounters {
  /** Frames the adapter was asked to send, and completed with SUCCESS onto the hub. */
  framesSent: number;
  bytesSent: number;
  /** Sends completed with NDIS_STATUS_MEDIA_DISCONNECTED (link down) or PAUSED. */
  sendsFailed: number;
  /** Frames indicated up. */
  framesReceived: number;
  bytesReceived: number;
  /** Frames from the hub its packet filter did not accept. */
  framesFiltered: number;
  /** Frames from the hub lost: link down, paused, queue full or no NBL at delivery. */
  receiveDiscards: number;
  /** Frames sent shorter than an Ethernet header (14 bytes): completed, but nobody can hear them. */
  runtsDropped: number;
}

export function newCounters(): HubAdapterCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    sendsFailed: 0,
    framesReceived: 0,
    bytesReceived: 0,
    framesFiltered: 0,
    receiveDiscards: 0,
    runtsDropped: 0,
  };
}

/** Frames and bytes by destination kind, for OID_GEN_STATISTICS. */
export interface CastCounters {
  ucastPkts: number;
  mcastPkts: number;
  bcastPkts: number;
  ucastOctets: number;
  mcastOctets: number;
  bcastOctets: number;
}

export function newCastCounters(): CastCounters {
  return {
    ucastPkts: 0,
    mcastPkts: 0,
    bcastPkts: 0,
    ucastOctets: 0,
    mcastOctets: 0,
    bcastOctets: 0,
  };
}

/** One adapter on a hub (MP_ADAPTER). */
export interface HubAdapter {
  readonly Globals: HubGlobals;
  readonly Hub: HubSegment;
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  readonly IfIndex: number;
  readonly PermanentAddress: Uint8Array;
  readonly CurrentAddress: Uint8Array;
  /** Paused from initialization to restart, and from pause on; Halted after MiniportHaltEx. */
  State: "paused" | "running" | "halted";
  /** MiniportPause returned PENDING: receives are still up with the protocols. */
  PausePending: boolean;
  LinkUp: boolean;
  /** The link state last indicated (NDIS_STATUS_LINK_STATE); the DPC indicates a change. */
  LinkReported: boolean;
  /** NDIS_PACKET_TYPE_* bits; 0 until a protocol (through NDIS) sets one. */
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  /** Receive NBLs: one buffer each, SourceHandle the adapter handle. */
  ReceivePool: NDIS_HANDLE;
  /** The adapter's DPC: a timer set with DueTime 0 to deliver the queue and report the link. */
  Dpc: NDIS_HANDLE | null;
  /** Frames from the hub waiting to be indicated, oldest first. */
  readonly Queue: Uint8Array[];
  ReceivesOutstanding: number;
  readonly Counters: HubAdapterCounters;
  /** Sent (`Out`) and indicated (`In`) frames by destination kind. */
  readonly Out: CastCounters;
  readonly In: CastCounters;
}

/** Frames a stalled adapter may have waiting before the hub drops what arrives. */
export const QUEUE_LIMIT = 1024;

const globalsByDriver = new WeakMap<DRIVER_OBJECT, HubGlobals>();

export function createGlobals(DriverObject: DRIVER_OBJECT): HubGlobals {
  const globals: HubGlobals = { DriverObject, MiniportDriverHandle: undefined, Hubs: new Map() };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): HubGlobals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}

/** Queues the adapter's DPC (an NDIS timer due at once); a no-op before it has one or after halt. */
export function queueDpc(adapter: HubAdapter): void {
  if (adapter.Dpc !== null) NdisSetTimerObject(adapter.Dpc, 0n, 0);
}
