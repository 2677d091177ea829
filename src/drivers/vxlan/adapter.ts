/**
 * VXLAN miniport: the per-adapter context (MP_ADAPTER), its counters, and the driver's globals.
 * Everything the data path touches per frame is a plain field, so that a steady data path
 * allocates nothing it does not have to.
 */
import type { Socket } from "node:dgram";
import {
  dropsSnapshot,
  type EthernetAdapter,
  type EthernetCounters,
  globalsTable,
  type MiniportGlobals,
  macText,
  newDropCounts,
  newEthernetCounters,
} from "../shared/ethernet-miniport.js";

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
export interface VxlanCounters extends EthernetCounters {
  /** Datagrams the socket delivered, before any check. */
  datagramsReceived: number;
  /** Accepted datagrams with reserved header bits set (RFC 7348 §5: ignored on receipt). */
  reservedBitsIgnored: number;
  /** Socket bind failures (the link then stays down). */
  bindErrors: number;
  /** Errors the socket reported after it was bound. */
  socketErrors: number;
}

export function newCounters(): VxlanCounters {
  return {
    datagramsReceived: 0,
    ...newEthernetCounters(),
    reservedBitsIgnored: 0,
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

/** Per-adapter context (MP_ADAPTER): the shared Ethernet miniport's, and the tunnel's. */
export interface Adapter extends EthernetAdapter {
  readonly Globals: Globals;
  readonly IfIndex: number;
  readonly Config: VxlanConfig;
  /** The 8-byte VXLAN header every sent frame starts with (flags 0x08, the VNI). */
  readonly Header: Buffer;
  Socket: Socket | null;
  /** Why the link is down, when a bind or socket error brought it down. */
  LinkError: string | null;
  readonly Counters: VxlanCounters;
  readonly Drops: Record<DropReason, number>;
}

/** The driver's globals, one per DRIVER_OBJECT (the MiniportDriverContext). */
export type Globals = MiniportGlobals<Adapter>;

/** The driver's globals by DRIVER_OBJECT. */
export const GLOBALS = globalsTable<Adapter>();
export const globalsOf = GLOBALS.of;

export function newDrops(): Record<DropReason, number> {
  return newDropCounts(DROP_REASONS);
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
  const { drops, dropped } = dropsSnapshot(DROP_REASONS, a.Drops);
  return {
    ifIndex: a.IfIndex,
    macAddress: macText(a.CurrentAddress),
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
