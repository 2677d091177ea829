/**
 * team: an NDIS 6 intermediate driver that teams N lower adapters (members) under one virtual
 * miniport, like Windows LBFO or Linux bonding — the MUX sample's structure with the fan turned
 * around (N bindings : 1 virtual miniport). docs/team.md walks through it.
 *
 * Membership (per binding, else the driver's Parameters):
 *
 * | keyword               | where            | meaning                                                    |
 * | --------------------- | ---------------- | ---------------------------------------------------------- |
 * | `TeamName`            | binding          | the team (virtual miniport instance name) this member joins |
 * | `Members`             | driver           | adapters that join the driver's `TeamName` without one of their own (REG_MULTI_SZ, or a comma-separated string) |
 * | `TeamName`            | driver           | default `team0`                                            |
 *
 * The team's own parameters are read from its device key in MiniportInitializeEx (miniport.ts).
 * Node sees a team through `teamOf(driverObject)`.
 */
import {
  type DRIVER_OBJECT,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_HANDLE,
  NDIS_INTERMEDIATE_DRIVER,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  type NDIS_STATUS,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisCloseConfiguration,
  NdisDeregisterProtocolDriver,
  NdisIMAssociateMiniport,
  NdisMDeregisterMiniportDriver,
  NdisMRegisterMiniportDriver,
  NdisParameterMultiString,
  NdisReadConfiguration,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../ddi.js";
import { formatMac } from "../../net/ethernet.js";
import { formatIPv4 } from "../../net/ipv4.js";
import { openConfiguration, readString } from "../shared/config.js";
import { allocateFramePool } from "../shared/frames.js";
import {
  miniportCharacteristicsHeader,
  protocolCharacteristicsHeader,
  targetVersion,
} from "../shared/revisions.js";
import {
  MPCancelSend,
  MPReturnNetBufferLists,
  MPSendNetBufferLists,
  PtReceiveNetBufferLists,
  PtSendNetBufferListsComplete,
} from "./datapath.js";
import {
  createGlobals,
  forgetGlobals,
  globalsOf,
  type HashPolicy,
  type MacPolicy,
  type MemberCounters,
  type MemberLink,
  type TEAM,
  type TeamBindRefusal,
  type TeamMode,
  usable,
} from "./globals.js";
import { teamLink } from "./health.js";
import {
  MPDevicePnPEventNotify,
  MPDriverUnload,
  MPHalt,
  MPInitialize,
  MPPause,
  MPRestart,
  MPShutdown,
} from "./miniport.js";
import { MPCancelOidRequest, MPOidRequest, PtOidRequestComplete } from "./oid.js";
import {
  allGlobals,
  PtBindAdapter,
  PtCloseAdapterComplete,
  PtNetPnPEvent,
  PtOpenAdapterComplete,
  PtStatus,
  PtUnbindAdapter,
} from "./protocol.js";

export { flowHash } from "./datapath.js";
export type { HashPolicy, MacPolicy, MemberCounters, MemberLink, TeamBindRefusal, TeamMode };

/** 'Tmcp' */
const POOL_TAG = 0x70636d54;

function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "team";
}

/** The driver's Parameters: Members and TeamName. */
function readDriverParameters(handle: NDIS_HANDLE): { members: string[]; teamName: string } {
  const opened = openConfiguration(handle);
  if ("status" in opened) return { members: [], teamName: "team0" };
  try {
    const status: Out<NDIS_STATUS> = {};
    const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
    NdisReadConfiguration(status, value, opened.handle, "Members", NdisParameterMultiString);
    const multi =
      status.value === NDIS_STATUS_SUCCESS ? (value.value?.ParameterData.StringData ?? null) : null;
    const text = multi ?? readString(opened.handle, "Members") ?? "";
    const members = text
      .split("\u0000")
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const teamName = readString(opened.handle, "TeamName")?.trim() || "team0";
    return { members, teamName };
  } finally {
    NdisCloseConfiguration(opened.handle);
  }
}

/** DriverEntry: both edges registered as the running NDIS version (at most 6.89), associated. */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const running = targetVersion();
  const minor = running & 0xffff;
  const globals = createGlobals(DriverObject);
  const MChars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: miniportCharacteristicsHeader(running),
    MajorNdisVersion: 6,
    MinorNdisVersion: minor,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: NDIS_INTERMEDIATE_DRIVER,
    InitializeHandlerEx: MPInitialize,
    HaltHandlerEx: MPHalt,
    UnloadHandler: MPDriverUnload,
    PauseHandler: MPPause,
    RestartHandler: MPRestart,
    OidRequestHandler: MPOidRequest,
    SendNetBufferListsHandler: MPSendNetBufferLists,
    ReturnNetBufferListsHandler: MPReturnNetBufferLists,
    CancelSendHandler: MPCancelSend,
    DevicePnPEventNotifyHandler: MPDevicePnPEventNotify,
    ShutdownHandlerEx: MPShutdown,
    CancelOidRequestHandler: MPCancelOidRequest,
  };
  const miniportHandle: Out<NDIS_HANDLE> = {};
  let status = NdisMRegisterMiniportDriver(
    DriverObject,
    RegistryPath,
    globals,
    MChars,
    miniportHandle,
  );
  if (status !== NDIS_STATUS_SUCCESS || miniportHandle.value === undefined) {
    forgetGlobals(DriverObject);
    return status;
  }
  globals.MiniportDriverHandle = miniportHandle.value;
  const parameters = readDriverParameters(miniportHandle.value);
  globals.Members = parameters.members;
  globals.DefaultTeamName = parameters.teamName;

  const PChars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
    Header: protocolCharacteristicsHeader(running),
    MajorNdisVersion: 6,
    MinorNdisVersion: minor,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Name: serviceName(RegistryPath),
    BindAdapterHandlerEx: PtBindAdapter,
    UnbindAdapterHandlerEx: PtUnbindAdapter,
    OpenAdapterCompleteHandlerEx: PtOpenAdapterComplete,
    CloseAdapterCompleteHandlerEx: PtCloseAdapterComplete,
    NetPnPEventHandler: PtNetPnPEvent,
    OidRequestCompleteHandler: PtOidRequestComplete,
    StatusHandlerEx: PtStatus,
    ReceiveNetBufferListsHandler: PtReceiveNetBufferLists,
    SendNetBufferListsCompleteHandler: PtSendNetBufferListsComplete,
  };
  const protocolHandle: Out<NDIS_HANDLE> = {};
  status = NdisRegisterProtocolDriver(globals, PChars, protocolHandle);
  if (status !== NDIS_STATUS_SUCCESS || protocolHandle.value === undefined) {
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
    forgetGlobals(DriverObject);
    return status;
  }
  globals.ProtocolHandle = protocolHandle.value;
  // The pool of the team's own frames (ARP probes, gratuitous ARPs).
  globals.ControlPool = allocateFramePool(protocolHandle.value, POOL_TAG);
  if (globals.ControlPool === null) {
    NdisDeregisterProtocolDriver(globals.ProtocolHandle);
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
    forgetGlobals(DriverObject);
    return NDIS_STATUS_RESOURCES;
  }
  NdisIMAssociateMiniport(globals.MiniportDriverHandle, globals.ProtocolHandle);
  allGlobals.add(globals);
  return NDIS_STATUS_SUCCESS;
}

/** What Node sees of one member (a snapshot). */
export interface TeamMemberInfo {
  readonly adapterName: string;
  /** "02-00-00-00-00-01". */
  readonly mac: string;
  /** The binding runs. */
  readonly running: boolean;
  /** The last link state the adapter reported. */
  readonly linkUp: boolean;
  /** The debounced link (UpDelayMs / DownDelayMs). */
  readonly link: MemberLink;
  /** ARP monitoring says alive (always true without ArpTarget). */
  readonly arpAlive: boolean;
  readonly arpMissed: number;
  /** It carries traffic or could: running, link up, ARP alive. */
  readonly usable: boolean;
  /** Active-backup: the active member; static: one of the members the hash spreads over. */
  readonly active: boolean;
  readonly speed: bigint;
  readonly packetFilter: number;
  readonly counters: Readonly<MemberCounters>;
}

/** What Node sees of one team (a snapshot). */
export interface TeamInfo {
  readonly name: string;
  /** The virtual miniport is initialized. */
  readonly started: boolean;
  readonly mode: TeamMode;
  readonly hashPolicy: HashPolicy;
  readonly macPolicy: MacPolicy;
  readonly mac: string;
  /** The smallest of the members' MTUs when the team started. */
  readonly mtu: number;
  /** The team's IPv4 address (configured or learned), or null. */
  readonly address: string | null;
  readonly activeMember: string | null;
  readonly members: readonly TeamMemberInfo[];
  readonly linkUp: boolean;
  readonly speed: bigint;
  readonly failovers: number;
  readonly failbacks: number;
  readonly gratuitousArps: number;
  readonly packetFilter: number;
}

/** Node's view of the teams of one loaded team driver. */
export interface TeamControl {
  readonly teams: readonly TeamInfo[];
  team(name: string): TeamInfo | undefined;
  /** Binds and team initializations refused, and why (the last 64). */
  readonly refusals: readonly TeamBindRefusal[];
}

function describe(team: TEAM): TeamInfo {
  const link = teamLink(team);
  return {
    name: team.Name,
    started: team.Velan !== null,
    mode: team.Params.Mode,
    hashPolicy: team.Params.HashPolicy,
    macPolicy: team.Params.MacPolicy,
    mac: formatMac(team.Mac),
    mtu: team.Mtu,
    address: team.Ip === null ? null : formatIPv4(team.Ip),
    activeMember: team.Active?.AdapterName ?? null,
    members: team.Members.map((m) => ({
      adapterName: m.AdapterName,
      mac: formatMac(m.Mac),
      running: m.Running,
      linkUp: m.LinkUp,
      link: m.Link,
      arpAlive: m.ArpAlive,
      arpMissed: m.ArpMissed,
      usable: usable(m),
      active: team.Live.includes(m),
      speed: m.XmitLinkSpeed,
      packetFilter: m.AppliedFilter,
      counters: { ...m.Counters },
    })),
    linkUp: link.up,
    speed: link.speed,
    failovers: team.Failovers,
    failbacks: team.Failbacks,
    gratuitousArps: team.GratuitousArps,
    packetFilter: team.PacketFilter,
  };
}

/** The teams of the team driver loaded as `driverObject` (none when it is not loaded). */
export function teamOf(driverObject: DRIVER_OBJECT): TeamControl {
  const globals = globalsOf(driverObject);
  const all = globals === undefined ? [] : [...globals.Teams.values()];
  return {
    teams: all.map(describe),
    team: (name) => {
      const team = globals?.Teams.get(name);
      return team === undefined ? undefined : describe(team);
    },
    refusals: [...(globals?.Refusals ?? [])],
  };
}
