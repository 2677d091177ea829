/**
 * Team driver, miniport (upper) edge: the team's virtual miniport.
 *
 * MiniportInitializeEx reads the team's parameters from its device key (NdisOpenConfigurationEx
 * on the MiniportAdapterHandle; `host.setDeviceParameters(TeamName, …)`), picks the team's MAC
 * (NetworkAddress, else Primary's, else the first member's), allocates the ARP monitor and
 * failback timers on the adapter and reports attributes of its own: NO_HALT_ON_SUSPEND, the
 * team's MAC, its link (up while a member is usable) and speed (per mode).
 *
 * | keyword (team device) | type    | default         | meaning                                                      |
 * | --------------------- | ------- | --------------- | ------------------------------------------------------------ |
 * | `Mode`                | string  | `active-backup` | `active-backup` or `static` (address hash)                   |
 * | `Primary`             | string  | none            | the preferred member's adapter name (active-backup)         |
 * | `Failback`            | string  | `always`        | `always`, `never`, or a delay in ms before going back to Primary |
 * | `HashPolicy`          | string  | `l2`            | `l2`, `l2+3`, `l3+4` (static)                                |
 * | `MacPolicy`           | string  | `team`          | `team` (one MAC on every wire) or `follow` (each member's own) |
 * | `NetworkAddress`      | string  | none            | the team's MAC                                               |
 * | `UpDelayMs`           | integer | 0               | link up this long before a member is used                   |
 * | `DownDelayMs`         | integer | 0               | link down this long before a member is given up             |
 * | `ArpTarget`           | string  | none            | IPv4 address probed with ARP on every member                 |
 * | `ArpIntervalMs`       | integer | 1000            | time between probes                                          |
 * | `ArpMissedMax`        | integer | 2               | unanswered probes in a row that make a member down           |
 * | `GratuitousArpAddress`| string  | none            | the team's IPv4 address (else learned from ARP sent above)   |
 *
 * A malformed value fails the initialization with NDIS_STATUS_INVALID_DATA (reason in the
 * driver's `teamOf(…).refusals`).
 */
import {
  type DRIVER_OBJECT,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type MINIPORT_DEVICE_PNP_EVENT_NOTIFY,
  type MINIPORT_DRIVER_UNLOAD,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type MINIPORT_SHUTDOWN,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  type NDIS_MINIPORT_INIT_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_TIMER_FUNCTION,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseConfiguration,
  NdisDeregisterProtocolDriver,
  NdisFreeNetBufferListPool,
  NdisFreeTimerObject,
  NdisInterfaceInternal,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMSetMiniportAttributes,
  NdisPhysicalMedium802_3,
  NdisReadNetworkAddress,
  NdisSetTimerObject,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  type Out,
} from "../../ddi.js";
import { isMulticastMac } from "../../net/ethernet.js";
import { parseIPv4 } from "../../net/ipv4.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import { allocateFramePool } from "../shared/frames.js";
import { generalAttributesHeader, targetVersion } from "../shared/revisions.js";
import {
  DEFAULT_PARAMETERS,
  forgetGlobals,
  globalsOf,
  type HashPolicy,
  type MacPolicy,
  REFUSALS_KEPT,
  type TEAM,
  type TeamMode,
  type TeamParameters,
  usable,
  type VELAN,
} from "./globals.js";
import { ArpTimerFunction, FailbackTimerFunction, reselect, teamLink } from "./health.js";
import {
  applyToMember,
  MAX_MULTICAST,
  MTU,
  memberFilter,
  SUPPORTED_FILTERS,
  SUPPORTED_STATISTICS,
  TEAM_OIDS,
} from "./oid.js";
import { allGlobals, closeMember } from "./protocol.js";

/** 'Tmtv' */
const TIMER_TAG = 0x76746d54;
/** 'Tmrc' */
const POOL_TAG = 0x63726d54;

function oneOf<T extends string>(
  config: NDIS_HANDLE,
  keyword: string,
  allowed: readonly T[],
  fallback: T,
): T | { bad: string } {
  const text = readString(config, keyword);
  if (text === null) return fallback;
  const value = text.trim().toLowerCase();
  return (allowed as readonly string[]).includes(value)
    ? (value as T)
    : { bad: `${keyword} "${text}" is not one of ${allowed.join(", ")}` };
}

function address(config: NDIS_HANDLE, keyword: string): number | null | { bad: string } {
  const text = readString(config, keyword);
  if (text === null) return null;
  const value = parseIPv4(text.trim());
  return value === null ? { bad: `${keyword} "${text}" is not an IPv4 address` } : value;
}

/** The team's parameters from its device key; `{ bad }` names the first malformed one. */
export function readTeamParameters(
  MiniportAdapterHandle: NDIS_HANDLE,
): TeamParameters | { bad: string } {
  const opened = openConfiguration(MiniportAdapterHandle);
  if ("status" in opened) return DEFAULT_PARAMETERS;
  const config = opened.handle;
  try {
    const Mode = oneOf<TeamMode>(config, "Mode", ["active-backup", "static"], "active-backup");
    const HashPolicy = oneOf<HashPolicy>(config, "HashPolicy", ["l2", "l2+3", "l3+4"], "l2");
    const MacPolicy = oneOf<MacPolicy>(config, "MacPolicy", ["team", "follow"], "team");
    const UpDelayMs = readInteger(config, "UpDelayMs", 0, 0, 3_600_000);
    const DownDelayMs = readInteger(config, "DownDelayMs", 0, 0, 3_600_000);
    const ArpIntervalMs = readInteger(config, "ArpIntervalMs", 1000, 1, 3_600_000);
    const ArpMissedMax = readInteger(config, "ArpMissedMax", 2, 1, 255);
    const ArpTarget = address(config, "ArpTarget");
    const GratuitousArpAddress = address(config, "GratuitousArpAddress");
    for (const v of [
      Mode,
      HashPolicy,
      MacPolicy,
      UpDelayMs,
      DownDelayMs,
      ArpIntervalMs,
      ArpMissedMax,
      ArpTarget,
      GratuitousArpAddress,
    ]) {
      if (v !== null && typeof v === "object") return v;
    }
    const failbackText = readString(config, "Failback")?.trim().toLowerCase() ?? "always";
    let FailbackDelayMs: number | null;
    if (failbackText === "always") FailbackDelayMs = 0;
    else if (failbackText === "never") FailbackDelayMs = null;
    else if (/^\d+$/.test(failbackText) && Number(failbackText) <= 3_600_000)
      FailbackDelayMs = Number(failbackText);
    else return { bad: `Failback "${failbackText}" is not always, never or a delay in ms` };
    const Primary = readString(config, "Primary")?.trim() || null;
    let NetworkAddress: Uint8Array | null = null;
    if (readString(config, "NetworkAddress") !== null) {
      const status: Out<NDIS_STATUS> = {};
      const mac: Out<Uint8Array | null> = {};
      const length: Out<number> = {};
      NdisReadNetworkAddress(status, mac, length, config);
      const value = mac.value ?? null;
      if (
        status.value !== NDIS_STATUS_SUCCESS ||
        value === null ||
        value.length !== 6 ||
        isMulticastMac(value) ||
        value.every((b) => b === 0)
      )
        return { bad: "NetworkAddress is not a unicast MAC address" };
      NetworkAddress = value.slice();
    }
    return {
      Mode: Mode as TeamMode,
      Primary,
      FailbackDelayMs,
      HashPolicy: HashPolicy as HashPolicy,
      MacPolicy: MacPolicy as MacPolicy,
      NetworkAddress,
      UpDelayMs: UpDelayMs as number,
      DownDelayMs: DownDelayMs as number,
      ArpTarget: ArpTarget as number | null,
      ArpIntervalMs: ArpIntervalMs as number,
      ArpMissedMax: ArpMissedMax as number,
      GratuitousArpAddress: GratuitousArpAddress as number | null,
    };
  } finally {
    NdisCloseConfiguration(config);
  }
}

function allocateTimer(
  MiniportAdapterHandle: NDIS_HANDLE,
  TimerFunction: NDIS_TIMER_FUNCTION,
  FunctionContext: unknown,
): NDIS_HANDLE | null {
  const out: Out<NDIS_HANDLE> = {};
  const status = NdisAllocateTimerObject(
    MiniportAdapterHandle,
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
        Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
      },
      AllocationTag: TIMER_TAG,
      TimerFunction,
      FunctionContext,
    },
    out,
  );
  return status === NDIS_STATUS_SUCCESS ? (out.value ?? null) : null;
}

function freeTimers(velan: VELAN): void {
  for (const timer of [velan.ArpTimer, velan.FailbackTimer]) {
    if (timer === null) continue;
    NdisCancelTimerObject(timer);
    NdisFreeTimerObject(timer);
  }
  velan.ArpTimer = null;
  velan.FailbackTimer = null;
  velan.Team.FailbackArmed = false;
}

/** MiniportInitializeEx (PASSIVE_LEVEL): the team NDIS started for the first member's request. */
export const MPInitialize: MINIPORT_INITIALIZE = (
  MiniportAdapterHandle,
  _MiniportDriverContext,
  MiniportInitParameters: NDIS_MINIPORT_INIT_PARAMETERS,
): NDIS_STATUS => {
  const team = MiniportInitParameters.IMDeviceInstanceContext as TEAM | null;
  if (team === null || team === undefined) return NDIS_STATUS_FAILURE;
  const params = readTeamParameters(MiniportAdapterHandle);
  if ("bad" in params) {
    const refusals = team.Globals.Refusals;
    refusals.push({ adapterName: team.Name, status: NDIS_STATUS_INVALID_DATA, reason: params.bad });
    if (refusals.length > REFUSALS_KEPT) refusals.shift();
    team.InstanceRequested = false;
    team.InitFailed = true;
    return NDIS_STATUS_INVALID_DATA;
  }
  team.Params = params;
  team.Ip = params.GratuitousArpAddress;
  const primary = team.Members.find((m) => m.AdapterName === params.Primary);
  const first = primary ?? team.Members[0];
  if (params.NetworkAddress !== null) team.Mac = params.NetworkAddress;
  else if (first !== undefined) team.Mac = first.Mac.slice();
  // Frames must fit every member: the team's MTU is the smallest.
  team.Mtu = team.Members.reduce((mtu, m) => Math.min(mtu, m.BindParameters.MtuSize || MTU), MTU);
  team.Lookahead = Math.min(team.Lookahead, team.Mtu);
  const velan: VELAN = {
    Team: team,
    MiniportAdapterHandle,
    Paused: true,
    PausePending: false,
    SendsOutstanding: 0,
    ReceivesOutstanding: 0,
    ReceivePool: null,
    ArpTimer: null,
    FailbackTimer: null,
    PendingRequest: null,
    PendingMembers: 0,
    PendingStatus: NDIS_STATUS_SUCCESS,
  };
  velan.ArpTimer = allocateTimer(MiniportAdapterHandle, ArpTimerFunction, velan);
  velan.FailbackTimer = allocateTimer(MiniportAdapterHandle, FailbackTimerFunction, velan);
  if (params.MacPolicy === "follow")
    velan.ReceivePool = allocateFramePool(MiniportAdapterHandle, POOL_TAG);
  const undo = (status: NDIS_STATUS): NDIS_STATUS => {
    freeTimers(velan);
    if (velan.ReceivePool !== null) NdisFreeNetBufferListPool(velan.ReceivePool);
    velan.ReceivePool = null;
    team.InstanceRequested = false;
    team.InitFailed = true;
    return status;
  };
  if (
    velan.ArpTimer === null ||
    velan.FailbackTimer === null ||
    (params.MacPolicy === "follow" && velan.ReceivePool === null)
  )
    return undo(NDIS_STATUS_RESOURCES);
  let status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
      Size: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
    },
    MiniportAdapterContext: velan,
    AttributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
    InterfaceType: NdisInterfaceInternal,
  });
  if (status !== NDIS_STATUS_SUCCESS) return undo(status);
  // Members' bindings may not run yet: the link reported is what their links say.
  const anyLink = team.Members.some((m) => m.Link === "up" && m.ArpAlive);
  const up = team.Members.filter((m) => m.Link === "up");
  const speed =
    params.Mode === "static"
      ? up.reduce((sum, m) => sum + m.XmitLinkSpeed, 0n)
      : ((up.find((m) => m === primary) ?? up[0])?.XmitLinkSpeed ?? 0n);
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, {
    Header: generalAttributesHeader(targetVersion()),
    MediaType: NdisMedium802_3,
    PhysicalMediumType: NdisPhysicalMedium802_3,
    MtuSize: team.Mtu,
    MaxXmitLinkSpeed: speed,
    XmitLinkSpeed: speed,
    MaxRcvLinkSpeed: speed,
    RcvLinkSpeed: speed,
    MediaConnectState: anyLink ? MediaConnectStateConnected : MediaConnectStateDisconnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: team.Mtu,
    SupportedPacketFilters: SUPPORTED_FILTERS,
    MaxMulticastListSize: MAX_MULTICAST,
    MacAddressLength: 6,
    PermanentMacAddress: team.Mac,
    CurrentMacAddress: team.Mac,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: false,
    SupportedOidList: TEAM_OIDS,
    SupportedStatistics: SUPPORTED_STATISTICS,
    PowerManagementCapabilitiesEx: null,
  });
  if (status !== NDIS_STATUS_SUCCESS) return undo(status);
  team.ReportedUp = anyLink;
  team.ReportedSpeed = speed;
  team.Velan = velan;
  team.InstanceRequested = false;
  return NDIS_STATUS_SUCCESS;
};

/**
 * MiniportHaltEx (PASSIVE_LEVEL, from Paused, nothing outstanding): the team's virtual miniport
 * is gone; members whose unbind waited for it close now.
 */
export const MPHalt: MINIPORT_HALT = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  const team = velan.Team;
  freeTimers(velan);
  if (velan.ReceivePool !== null) NdisFreeNetBufferListPool(velan.ReceivePool);
  velan.ReceivePool = null;
  team.Velan = null;
  team.Active = null;
  team.Live = [];
  for (const member of [...team.Leaving]) closeMember(member, true);
  if (team.Members.length === 0 && team.Leaving.length === 0) {
    if (team.Globals.Teams.get(team.Name) === team) team.Globals.Teams.delete(team.Name);
  }
};

/** MiniportDriverUnload: every team halted, every member unbound. */
export const MPDriverUnload: MINIPORT_DRIVER_UNLOAD = (DriverObject: DRIVER_OBJECT) => {
  const globals = globalsOf(DriverObject);
  if (globals === undefined) return;
  if (globals.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
  if (globals.ControlPool !== null) NdisFreeNetBufferListPool(globals.ControlPool);
  globals.ControlPool = null;
  if (globals.MiniportDriverHandle !== undefined)
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
  allGlobals.delete(globals);
  forgetGlobals(DriverObject);
};

/** MiniportPause: stop the ARP monitor; PENDING until forwarded sends and receives are back. */
export const MPPause: MINIPORT_PAUSE = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  velan.Paused = true;
  if (velan.ArpTimer !== null) NdisCancelTimerObject(velan.ArpTimer);
  if (velan.FailbackTimer !== null) NdisCancelTimerObject(velan.FailbackTimer);
  velan.Team.FailbackArmed = false;
  if (velan.SendsOutstanding === 0 && velan.ReceivesOutstanding === 0) return NDIS_STATUS_SUCCESS;
  velan.PausePending = true;
  return NDIS_STATUS_PENDING;
};

/**
 * MiniportRestart: carry traffic again; the ARP monitor runs while the team runs. A member whose
 * packet filter is not what the team needs (ARP monitoring needs answers even before a protocol
 * sets a filter) is told now.
 */
export const MPRestart: MINIPORT_RESTART = (MiniportAdapterContext) => {
  const velan = MiniportAdapterContext as VELAN;
  const team = velan.Team;
  velan.Paused = false;
  for (const member of team.Members) {
    if (member.AppliedFilter !== memberFilter(team, member))
      applyToMember(member, "filter", () => {});
  }
  const interval = team.Params.ArpIntervalMs;
  if (team.Params.ArpTarget !== null && velan.ArpTimer !== null)
    NdisSetTimerObject(velan.ArpTimer, -10_000n * BigInt(interval), interval);
  reselect(team);
  return NDIS_STATUS_SUCCESS;
};

/** MiniportDevicePnPEventNotify. */
export const MPDevicePnPEventNotify: MINIPORT_DEVICE_PNP_EVENT_NOTIFY = () => {};

/** MiniportShutdownEx: nothing to quiesce. */
export const MPShutdown: MINIPORT_SHUTDOWN = () => {};

/** The team's current link, for Node's view (shared with OID answers). */
export function describeLink(team: TEAM): { up: boolean; speed: bigint; usable: number } {
  return { ...teamLink(team), usable: team.Members.filter(usable).length };
}
