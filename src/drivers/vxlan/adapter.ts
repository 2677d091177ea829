/**
 * VXLAN miniport: the per-adapter context (MP_ADAPTER), its counters, and the driver's globals.
 * Everything the data path touches per frame is a plain field, so that a steady data path
 * allocates nothing it does not have to.
 */
import type { Socket } from "node:dgram";
import type { DRIVER_OBJECT, NBL_COUNTED_QUEUE, NDIS_HANDLE } from "../../ddi.js";

/** Why a datagram or frame was dropped; each reason has its own counter. */
export const DROP_REASONS = [
  /** Shorter than the VXLAN header (8 bytes) plus an Ethernet header (14 bytes). */
  "truncated",
  /** The I flag (0x08) is clear: the VNI is not valid (RFC 7348 §5). */
  "missingIFlag",
  /** The VNI is not this adapter's. */
  "vniMismatch",
  /** The datagram did not come from RemoteAddress. */
  "unexpectedSource",
  /** The inner frame is longer than MTU + 18 (Ethernet header and one 802.1Q tag). */
  "oversized",
  /** The inner frame carries an 802.1Q tag and AcceptInnerVlan is 0 (RFC 7348 §6 SHOULD). */
  "innerVlan",
  /**
   * The adapter is not Running (paused, pausing, restarting), or it paused while the frame waited
   * in the receive batch.
   */
  "notRunning",
  /** The packet filter (OID_GEN_CURRENT_PACKET_FILTER, multicast list) does not pass it. */
  "filtered",
  /** Every receive NBL is up the stack, or NdisAllocateNetBufferList failed. */
  "noBuffer",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The adapter's traffic counters (frames and bytes are inner Ethernet frames). */
export interface VxlanCounters {
  /** Datagrams the socket delivered, before any check. */
  datagramsReceived: number;
  /**
   * Frames accepted for indication up (NdisMIndicateReceiveNetBufferLists), counted when they
   * pass the checks; one dropped from the receive batch by a pause is taken back out.
   */
  framesReceived: number;
  bytesReceived: number;
  rxUnicast: number;
  rxMulticast: number;
  rxBroadcast: number;
  rxUnicastBytes: number;
  rxMulticastBytes: number;
  rxBroadcastBytes: number;
  /** Accepted datagrams with reserved header bits set (RFC 7348 §5: ignored on receipt). */
  reservedBitsIgnored: number;
  /** Frames handed to the socket and reported sent. */
  framesSent: number;
  bytesSent: number;
  txUnicast: number;
  txMulticast: number;
  txBroadcast: number;
  txUnicastBytes: number;
  txMulticastBytes: number;
  txBroadcastBytes: number;
  /** Frames the socket failed to send. */
  sendErrors: number;
  /** Frames not sent: link down, too long, adapter paused. */
  sendDiscards: number;
  /** Socket bind failures (the link then stays down). */
  bindErrors: number;
  /** Errors the socket reported after it was bound. */
  socketErrors: number;
}

export function newCounters(): VxlanCounters {
  return {
    datagramsReceived: 0,
    framesReceived: 0,
    bytesReceived: 0,
    rxUnicast: 0,
    rxMulticast: 0,
    rxBroadcast: 0,
    rxUnicastBytes: 0,
    rxMulticastBytes: 0,
    rxBroadcastBytes: 0,
    reservedBitsIgnored: 0,
    framesSent: 0,
    bytesSent: 0,
    txUnicast: 0,
    txMulticast: 0,
    txBroadcast: 0,
    txUnicastBytes: 0,
    txMulticastBytes: 0,
    txBroadcastBytes: 0,
    sendErrors: 0,
    sendDiscards: 0,
    bindErrors: 0,
    socketErrors: 0,
  };
}

/** The adapter's configuration, read from its registry parameters at MiniportInitializeEx. */
export interface VxlanConfig {
  readonly LocalAddress: string;
  readonly LocalPort: number;
  readonly RemoteAddress: string;
  readonly RemotePort: number;
  readonly VNI: number;
  readonly MTU: number;
  readonly AcceptInnerVlan: boolean;
  /** Receive NBLs the adapter may have up the stack at once. */
  readonly ReceiveBuffers: number;
  /** `*InterruptModeration` at initialization: moderation starts enabled. */
  readonly InterruptModeration: boolean;
}

/** Per-adapter context (MP_ADAPTER). */
export interface Adapter {
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  readonly Globals: Globals;
  readonly IfIndex: number;
  readonly Config: VxlanConfig;
  readonly CurrentAddress: Uint8Array;
  /** MTU + 18: the longest inner frame sent or accepted. */
  readonly MaxFrameSize: number;
  /** The 8-byte VXLAN header every sent frame starts with (flags 0x08, the VNI). */
  readonly Header: Buffer;
  /** The receive NBL pool: one NET_BUFFER and MaxFrameSize bytes of data per NBL. */
  ReceivePool: NDIS_HANDLE | null;
  Socket: Socket | null;
  /** True once the socket is bound; the link is up from then on. */
  LinkUp: boolean;
  /** Why the link is down, when a bind or socket error brought it down. */
  LinkError: string | null;
  /** MiniportRestart done, MiniportPause not yet called. */
  Running: boolean;
  /** MiniportPause returned PENDING: NdisMPauseComplete once nothing is outstanding. */
  PausePending: boolean;
  /** Cleared by MiniportHaltEx. */
  Live: boolean;
  /** NBLs sent down to us and not yet completed. */
  SendsOutstanding: number;
  /** NBLs indicated up, or waiting in the receive batch, and not yet returned. */
  ReceivesOutstanding: number;
  /**
   * Interrupt moderation (OID_GEN_INTERRUPT_MODERATION): received frames wait in the receive
   * batch until the socket's wakeup has delivered all it had, then go up as one chain.
   */
  Moderation: boolean;
  /** The receive batch: checked frames in receive NBLs, not yet indicated (oldest first). */
  readonly ReceiveBatch: NBL_COUNTED_QUEUE;
  /** The batch's indication is scheduled (setImmediate: after the socket's wakeup). */
  BatchScheduled: boolean;
  PacketFilter: number;
  MulticastList: Uint8Array[];
  Lookahead: number;
  readonly Counters: VxlanCounters;
  readonly Drops: Record<DropReason, number>;
}

/** The driver's globals, one per DRIVER_OBJECT (the MiniportDriverContext). */
export interface Globals {
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  readonly Adapters: Set<Adapter>;
  /** Why MiniportInitializeEx failed, most recent last (bad registry parameters). */
  readonly InitErrors: string[];
}

const globalsByDriver = new WeakMap<DRIVER_OBJECT, Globals>();

export function newGlobals(DriverObject: DRIVER_OBJECT): Globals {
  const globals: Globals = {
    MiniportDriverHandle: undefined,
    Adapters: new Set(),
    InitErrors: [],
  };
  globalsByDriver.set(DriverObject, globals);
  return globals;
}

export function globalsOf(DriverObject: DRIVER_OBJECT): Globals | undefined {
  return globalsByDriver.get(DriverObject);
}

export function forgetGlobals(DriverObject: DRIVER_OBJECT): void {
  globalsByDriver.delete(DriverObject);
}

export function newDrops(): Record<DropReason, number> {
  const drops = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) drops[reason] = 0;
  return drops;
}

/** What `vxlanAdapters` reports about one adapter: a snapshot. */
export interface VxlanAdapterInfo {
  readonly ifIndex: number;
  readonly macAddress: string;
  readonly local: string;
  readonly remote: string;
  readonly vni: number;
  readonly mtu: number;
  readonly linkUp: boolean;
  /** Why the link is down (`bind 169.254.1.1:4789: EADDRINUSE`), or null. */
  readonly linkError: string | null;
  readonly running: boolean;
  readonly packetFilter: number;
  readonly sendsOutstanding: number;
  readonly receivesOutstanding: number;
  /** Interrupt moderation is on: receives go up in batches. */
  readonly interruptModeration: boolean;
  /** Frames in the receive batch, not yet indicated (counted in receivesOutstanding). */
  readonly receivesWaiting: number;
  readonly counters: Readonly<VxlanCounters>;
  readonly drops: Readonly<Record<DropReason, number>>;
  /** Sum of `drops`. */
  readonly dropped: number;
}

export function describeAdapter(a: Adapter): VxlanAdapterInfo {
  const drops = { ...a.Drops };
  let dropped = 0;
  for (const reason of DROP_REASONS) dropped += drops[reason];
  return {
    ifIndex: a.IfIndex,
    macAddress: [...a.CurrentAddress].map((b) => b.toString(16).padStart(2, "0")).join("-"),
    local: `${a.Config.LocalAddress}:${a.Config.LocalPort}`,
    remote: `${a.Config.RemoteAddress}:${a.Config.RemotePort}`,
    vni: a.Config.VNI,
    mtu: a.Config.MTU,
    linkUp: a.LinkUp,
    linkError: a.LinkError,
    running: a.Running,
    packetFilter: a.PacketFilter,
    sendsOutstanding: a.SendsOutstanding,
    receivesOutstanding: a.ReceivesOutstanding,
    interruptModeration: a.Moderation,
    receivesWaiting: a.ReceiveBatch.NblCount,
    counters: { ...a.Counters },
    drops,
    dropped,
  };
}
