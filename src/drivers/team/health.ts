/**
 * Team driver, member health and failover.
 *
 * - Link: every member's NDIS_STATUS_LINK_STATE (ProtocolStatusEx) moves its debounced link
 *   through Linux bonding's states: up → going-down (DownDelayMs on the member's NDIS timer) →
 *   down, and down → going-up (UpDelayMs) → up. A change back within the delay cancels it.
 * - ARP: with ArpTarget, the virtual miniport's periodic ARP timer (ArpIntervalMs) sends an ARP
 *   probe for ArpTarget out of every member whose link is up: an RFC 5227 probe (sender IP
 *   0.0.0.0) from the member's own MAC, so that neither a learning switch (the team's MAC never
 *   shows up on a backup's port) nor the target's ARP cache (a probe teaches nothing) moves the
 *   team's address; the answer comes back to that member (target IP 0.0.0.0) and is the team's
 *   own business (not indicated up). A probe not answered
 *   by the next tick is a miss; ArpMissedMax misses in a row and the member is down even though
 *   its link says up; one ARP reply from ArpTarget on the member makes it alive again. A dead
 *   wire is therefore noticed within (ArpMissedMax + 1) × ArpIntervalMs.
 * - Selection (`reselect`): active-backup keeps the active member while it is usable; otherwise
 *   Primary if usable, else the first usable member in join order. With Primary usable but not
 *   active, Failback "always" switches back at once, a delay in ms switches back when the failback
 *   timer fires (if Primary is still usable), "never" stays. Static mode spreads over every usable
 *   member. A new active member announces the team with a gratuitous ARP (ARP request, sender and
 *   target = the team's address) if the team's IPv4 address is known.
 * - The team's own link: up while any member is usable; speed = the active member's
 *   (active-backup) or the sum of the usable members' (static). Each change is indicated on the
 *   virtual miniport with NDIS_STATUS_LINK_STATE.
 */
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_LINK_STATE_REVISION_1,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NdisCancelTimerObject,
  NdisMIndicateStatusEx,
  NdisSendNetBufferLists,
  NdisSetTimerObject,
} from "../../ddi.js";
import { ARP_REQUEST, buildArp } from "../../net/arp.js";
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP } from "../../net/ethernet.js";
import { frameNbl, sendFlagsHere } from "../shared/frames.js";
import { type MEMBER, type TEAM, usable, type VELAN } from "./globals.js";

const ZERO_MAC = new Uint8Array(6);

/** 100 ns units, negative: relative. */
function relative(ms: number): bigint {
  return -10_000n * BigInt(ms);
}

/** The MAC the team speaks with on `member`'s wire. */
export function wireMac(team: TEAM, member: MEMBER): Uint8Array {
  return team.Params.MacPolicy === "follow" ? member.Mac : team.Mac;
}

/** Sends a frame of the team's own (probe, gratuitous ARP) on a member; false if it could not. */
function sendControlFrame(member: MEMBER, frame: Uint8Array): boolean {
  const pool = member.Globals.ControlPool;
  const binding = member.BindingHandle;
  if (pool === null || binding === undefined || !member.Running) {
    member.Counters.controlSendsFailed++;
    return false;
  }
  const nbl = frameNbl(pool, frame);
  if (nbl === null) {
    member.Counters.controlSendsFailed++;
    return false;
  }
  nbl.SourceHandle = binding;
  member.SendsOutstanding++;
  NdisSendNetBufferLists(binding, nbl, 0, sendFlagsHere());
  return true;
}

function arpFrame(mac: Uint8Array, senderIp: number, targetIp: number): Uint8Array {
  return buildEthernet({
    dst: BROADCAST_MAC,
    src: mac,
    ethertype: ETHERTYPE_ARP,
    payload: buildArp({ op: ARP_REQUEST, senderMac: mac, senderIp, targetMac: ZERO_MAC, targetIp }),
  });
}

/** A gratuitous ARP for the team's address out of `member` (nothing while it is unknown). */
export function sendGratuitousArp(team: TEAM, member: MEMBER): void {
  if (team.Ip === null) return;
  if (sendControlFrame(member, arpFrame(wireMac(team, member), team.Ip, team.Ip))) {
    member.Counters.gratuitousArpsSent++;
    team.GratuitousArps++;
  }
}

/** The team's link (any member usable) and speed, indicated on the virtual miniport on change. */
export function indicateTeamLink(team: TEAM): void {
  const { up, speed } = teamLink(team);
  const velan = team.Velan;
  if (velan === null || (up === team.ReportedUp && speed === team.ReportedSpeed)) return;
  team.ReportedUp = up;
  team.ReportedSpeed = speed;
  NdisMIndicateStatusEx(velan.MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
      Revision: NDIS_STATUS_INDICATION_REVISION_1,
      Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
    },
    SourceHandle: velan.MiniportAdapterHandle,
    PortNumber: 0,
    StatusCode: NDIS_STATUS_LINK_STATE,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: {
      Header: {
        Type: NDIS_OBJECT_TYPE_DEFAULT,
        Revision: NDIS_LINK_STATE_REVISION_1,
        Size: NDIS_SIZEOF_LINK_STATE_REVISION_1,
      },
      MediaConnectState: up ? MediaConnectStateConnected : MediaConnectStateDisconnected,
      MediaDuplexState: MediaDuplexStateFull,
      XmitLinkSpeed: speed,
      RcvLinkSpeed: speed,
      PauseFunctions: 0,
      AutoNegotiationFlags: 0,
    },
    StatusBufferSize: NDIS_SIZEOF_LINK_STATE_REVISION_1,
  });
}

/** Up while any member is usable; the active member's speed, or the sum (static). */
export function teamLink(team: TEAM): { up: boolean; speed: bigint } {
  if (team.Params.Mode === "static") {
    const live = team.Members.filter(usable);
    return { up: live.length > 0, speed: live.reduce((sum, m) => sum + m.XmitLinkSpeed, 0n) };
  }
  const active = team.Active;
  return { up: active !== null, speed: active === null ? 0n : active.XmitLinkSpeed };
}

function switchActive(team: TEAM, next: MEMBER | null, failback: boolean): void {
  const previous = team.Active;
  team.Active = next;
  if (previous !== null && next !== null) {
    if (failback) team.Failbacks++;
    else team.Failovers++;
  }
  // Tell the segment where the team's address lives now (switches learn, peers refresh ARP).
  if (next !== null && team.Velan !== null && !team.Velan.Paused) sendGratuitousArp(team, next);
}

/** Re-evaluates which members carry traffic, after any change of member health or membership. */
export function reselect(team: TEAM): void {
  const p = team.Params;
  const members = team.Members;
  if (p.Mode === "static") {
    team.Live = members.filter(usable);
    team.Active = team.Live[0] ?? null;
    indicateTeamLink(team);
    return;
  }
  const current = team.Active !== null && members.includes(team.Active) ? team.Active : null;
  const primary = p.Primary === null ? undefined : members.find((m) => m.AdapterName === p.Primary);
  const primaryUsable = primary !== undefined && usable(primary);
  if (current === null || !usable(current)) {
    const next = primaryUsable ? primary : (members.find(usable) ?? null);
    if (next !== team.Active) switchActive(team, next, false);
    else team.Active = next;
  } else if (primaryUsable && current !== primary) {
    if (p.FailbackDelayMs === 0) switchActive(team, primary, true);
    else if (p.FailbackDelayMs !== null) armFailback(team, p.FailbackDelayMs);
  }
  team.Live = team.Active === null ? [] : [team.Active];
  indicateTeamLink(team);
}

function armFailback(team: TEAM, delayMs: number): void {
  const timer = team.Velan?.FailbackTimer ?? null;
  if (timer === null || team.FailbackArmed) return;
  team.FailbackArmed = true;
  NdisSetTimerObject(timer, relative(delayMs), 0);
}

/** The failback timer: switch back to Primary if it is (still) usable. */
export function FailbackTimerFunction(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  _SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const team = (FunctionContext as VELAN).Team;
  team.FailbackArmed = false;
  const primary = team.Members.find((m) => m.AdapterName === team.Params.Primary);
  if (primary !== undefined && usable(primary) && team.Active !== primary) {
    switchActive(team, primary, true);
    team.Live = [primary];
    indicateTeamLink(team);
  }
}

/** NDIS_STATUS_LINK_STATE from a member: start the up/down delay, or apply at once. */
export function memberLinkChanged(member: MEMBER, up: boolean, speed: bigint | null): void {
  const team = member.Team;
  if (team === null) return;
  const p = team.Params;
  member.LinkUp = up;
  if (speed !== null) member.XmitLinkSpeed = speed;
  member.Counters.linkChanges++;
  const timer = member.DelayTimer;
  if (up) {
    if (member.Link === "going-down") {
      if (timer !== null) NdisCancelTimerObject(timer);
      member.Link = "up";
    } else if (member.Link === "down") {
      if (p.UpDelayMs > 0 && timer !== null) {
        member.Link = "going-up";
        NdisSetTimerObject(timer, relative(p.UpDelayMs), 0);
      } else member.Link = "up";
    }
  } else if (member.Link === "going-up") {
    if (timer !== null) NdisCancelTimerObject(timer);
    member.Link = "down";
  } else if (member.Link === "up") {
    if (p.DownDelayMs > 0 && timer !== null) {
      member.Link = "going-down";
      NdisSetTimerObject(timer, relative(p.DownDelayMs), 0);
    } else member.Link = "down";
  }
  reselect(team);
}

/** The member's delay timer: the link change it waited for stands. */
export function DelayTimerFunction(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  _SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const member = FunctionContext as MEMBER;
  if (member.Link === "going-down") member.Link = "down";
  else if (member.Link === "going-up") member.Link = "up";
  else return;
  if (member.Team !== null) reselect(member.Team);
}

/** The ARP monitor (every ArpIntervalMs while the team runs): count misses, probe again. */
export function ArpTimerFunction(
  _SystemSpecific1: unknown,
  FunctionContext: unknown,
  _SystemSpecific2: unknown,
  _SystemSpecific3: unknown,
): void {
  const velan = FunctionContext as VELAN;
  const team = velan.Team;
  const target = team.Params.ArpTarget;
  if (target === null || velan.Paused) return;
  let changed = false;
  for (const member of team.Members) {
    if (!member.Running) continue;
    if (member.ProbeOutstanding) {
      member.ArpMissed++;
      if (member.ArpMissed >= team.Params.ArpMissedMax && member.ArpAlive) {
        member.ArpAlive = false;
        changed = true;
      }
    }
    member.ProbeOutstanding = false;
    if (!member.LinkUp) continue;
    if (sendControlFrame(member, arpFrame(member.Mac, 0, target))) {
      member.Counters.arpProbesSent++;
      member.ProbeOutstanding = true;
    }
  }
  if (changed) reselect(team);
}

/** An ARP reply from ArpTarget arrived on `member`: it is alive. */
export function arpReplyReceived(team: TEAM, member: MEMBER): void {
  member.Counters.arpRepliesReceived++;
  member.ProbeOutstanding = false;
  member.ArpMissed = 0;
  if (!member.ArpAlive) {
    member.ArpAlive = true;
    reselect(team);
  }
}
