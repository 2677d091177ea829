/**
 * tap miniport: the per-adapter context (MP_ADAPTER), its counters and drop reasons, and the
 * driver's globals. Everything the data path touches per frame is a plain field.
 */
import type { Socket } from "node:net";
import type { NET_BUFFER_LIST } from "../../ddi.js";
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

/** Why a frame read from the device was dropped; each reason has its own counter. */
export const DROP_REASONS = [
  /** Shorter than the virtio-net header (10 bytes) plus an Ethernet header (14 bytes). */
  "truncated",
  /**
   * A segmentation-offload frame (the header's gso_type is not NONE): macvtap's defaults let the
   * kernel hand over TCP super-frames of up to 64 KB, which an NDIS miniport without LSO must not
   * indicate.
   */
  "gso",
  /** VIRTIO_NET_HDR_F_NEEDS_CSUM with a checksum start or offset outside the frame. */
  "badChecksumOffset",
  /** Longer than MTU + 18 (an Ethernet header and one 802.1Q tag). */
  "oversized",
  /** The adapter is not Running (paused, pausing, restarting), or paused while it waited. */
  "notRunning",
  /** The packet filter (OID_GEN_CURRENT_PACKET_FILTER, multicast list) does not pass it. */
  "filtered",
  /** Every receive NBL is up the stack, or NdisAllocateNetBufferList failed. */
  "noBuffer",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The adapter's traffic counters (frames and bytes are Ethernet frames, without the header). */
export interface TapCounters extends EthernetCounters {
  /** Reads from the device, before any check. */
  framesRead: number;
  /** Wakeups: the device found readable (the interrupts; framesRead / wakeups is their load). */
  wakeups: number;
  /**
   * Frames that came with VIRTIO_NET_HDR_F_NEEDS_CSUM (Linux left the checksum to "hardware")
   * whose checksum the miniport computed before indicating them.
   */
  checksumsCompleted: number;
  /** Operstate changes seen (each one indicated as NDIS_STATUS_LINK_STATE). */
  linkChanges: number;
}

export function newCounters(): TapCounters {
  return {
    framesRead: 0,
    wakeups: 0,
    ...newEthernetCounters(),
    checksumsCompleted: 0,
    linkChanges: 0,
  };
}

/** The adapter's configuration, read from its registry parameters at MiniportInitializeEx. */
export interface TapConfig {
  /** The macvtap character device (/dev/tapN). */
  readonly Device: string;
  /** The macvtap interface. */
  readonly Link: string;
  /** The interface the driver created the link over, or null when it opened an existing one. */
  readonly Parent: string | null;
  /** The link's MTU (read from it). */
  readonly MTU: number;
  /** The link's speed in bit/s (read from it; 10 Gbit/s when it reports none). */
  readonly Speed: bigint;
  /** Receive NBLs the adapter may have up the stack at once. */
  readonly ReceiveBuffers: number;
  /** `*InterruptModeration` at initialization: moderation starts enabled. */
  readonly InterruptModeration: boolean;
  /** Under moderation: the most frames of one wakeup indicated in one chain (ReceiveChain). */
  readonly ReceiveChain: number;
  /** Sends made during a wakeup are written between its remaining reads (InterleaveSends). */
  readonly InterleaveSends: boolean;
  /** How often the link's operstate is read, in ms. */
  readonly LinkPollMs: number;
}

/** What the driver made at initialization and removes at halt. */
export interface Created {
  link: boolean;
  node: boolean;
}

/** Per-adapter context (MP_ADAPTER): the shared Ethernet miniport's, and the device's. */
export interface Adapter extends EthernetAdapter {
  readonly Globals: Globals;
  readonly IfIndex: number;
  readonly Config: TapConfig;
  /** The link's ifindex (N of /dev/tapN). */
  readonly LinkIndex: number;
  readonly Created: Created;
  /** The device, open; null once closed. */
  Stream: Socket | null;
  Fd: number;
  /** Where a drained frame is read when no receive NBL is free (64 KB: any frame fits). */
  readonly ReadBuffer: Buffer;

  /** The last wakeup read more than one frame (see onRead). */
  Busy: boolean;
  /** A wakeup's drain is under way and sends are to be interleaved with its reads (see onRead). */
  Deferring: boolean;
  /** The send chains made during this wakeup's drain, not yet all written, with their flags. */
  readonly Deferred: DeferredSend[];
  /** The next NBL of Deferred[0] to write (null: its head). */
  DeferredNext: NET_BUFFER_LIST | null;
  /** The operstate poll. */
  Poll: NodeJS.Timeout | null;
  /** The link's operstate as last read ("up", "lowerlayerdown", "down", … or "gone"). */
  OperState: string;
  /** Why the link is down or gone, when it is. */
  LinkError: string | null;
  /** The link disappeared: the adapter asked NDIS to remove it (NdisMRemoveMiniport). */
  Gone: boolean;
  readonly Counters: TapCounters;
  readonly Drops: Record<DropReason, number>;
}

/** A send chain waiting to be written during a wakeup: MiniportSendNetBufferLists' arguments. */
export interface DeferredSend {
  readonly head: NET_BUFFER_LIST;
  readonly completeFlags: number;
}

/** The driver's globals, one per DRIVER_OBJECT (the MiniportDriverContext). */
export type Globals = MiniportGlobals<Adapter>;

/** The driver's globals by DRIVER_OBJECT. */
export const GLOBALS = globalsTable<Adapter>();
export const globalsOf = GLOBALS.of;

export function newDrops(): Record<DropReason, number> {
  return newDropCounts(DROP_REASONS);
}

/** What `tapAdapters` reports about one adapter: a snapshot. */
export interface TapAdapterInfo {
  readonly ifIndex: number;
  readonly macAddress: string;
  readonly device: string;
  readonly link: string;
  /** The parent interface when the driver created the link, else null. */
  readonly parent: string | null;
  readonly mtu: number;
  /** bit/s */
  readonly speed: number;
  readonly linkUp: boolean;
  readonly operState: string;
  readonly linkError: string | null;
  /** The link disappeared and the adapter asked to be removed. */
  readonly gone: boolean;
  readonly running: boolean;
  readonly packetFilter: number;
  readonly sendsOutstanding: number;
  readonly receivesOutstanding: number;
  readonly interruptModeration: boolean;
  /** Frames in the receive batch, not yet indicated (counted in receivesOutstanding). */
  readonly receivesWaiting: number;
  readonly counters: Readonly<TapCounters>;
  readonly drops: Readonly<Record<DropReason, number>>;
  /** Sum of `drops`. */
  readonly dropped: number;
}

export function describeAdapter(a: Adapter): TapAdapterInfo {
  const { drops, dropped } = dropsSnapshot(DROP_REASONS, a.Drops);
  return {
    ifIndex: a.IfIndex,
    macAddress: macText(a.CurrentAddress),
    device: a.Config.Device,
    link: a.Config.Link,
    parent: a.Config.Parent,
    mtu: a.Config.MTU,
    speed: Number(a.Config.Speed),
    linkUp: a.LinkUp,
    operState: a.OperState,
    linkError: a.LinkError,
    gone: a.Gone,
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
