/**
 * Team driver, protocol (lower) edge: the members.
 *
 * Bind: open the adapter, read the binding's `TeamName` (NdisOpenConfigurationEx on the binding
 * handle; else the driver's `Members` list names the adapter for the driver's `TeamName`), join
 * that team, allocate the member's up/down delay timer, and — for the team's first member — ask
 * NDIS for the team's virtual miniport (NdisIMInitializeDeviceInstanceEx with the team name as
 * the device instance, the TEAM as DeviceContext). A member joining a running team gets the
 * team's packet filter and multicast list at once. An adapter no team claims, or a team's own
 * virtual miniport, is refused.
 *
 * Unbind (binding Paused): the member leaves its team (the active member fails over at once). The
 * last member to leave takes the virtual miniport with it: cancel its initialization, or
 * NdisIMDeInitializeDeviceInstance and finish the unbind from MiniportHaltEx, as MUX does.
 */
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
  NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_TIMER_CHARACTERISTICS_REVISION_1,
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisCloseAdapterEx,
  NdisCloseConfiguration,
  NdisCompleteBindAdapterEx,
  NdisCompleteUnbindAdapterEx,
  NdisFreeTimerObject,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMInitializeDeviceInstanceEx,
  NdisMedium802_3,
  NdisOpenAdapterEx,
  NetEventIMReEnableDevice,
  NetEventPause,
  NetEventReconfigure,
  NetEventRestart,
  type Out,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";
import { openConfiguration, readString } from "../shared/config.js";
import {
  DEFAULT_PARAMETERS,
  type MEMBER,
  newMemberCounters,
  newTeamCounters,
  REFUSALS_KEPT,
  type TEAM,
  type TeamGlobals,
} from "./globals.js";
import { DelayTimerFunction, memberLinkChanged, reselect } from "./health.js";
import { applyToMember, memberFilter } from "./oid.js";

/** 'Tmtm' */
const TIMER_TAG = 0x6d746d54;

/** Drivers whose protocol edge is registered, for events that come without a binding context. */
export const allGlobals = new Set<TeamGlobals>();

function createTeam(globals: TeamGlobals, name: string, mac: Uint8Array): TEAM {
  const team: TEAM = {
    Globals: globals,
    Name: name,
    Members: [],
    Leaving: [],
    InstanceRequested: false,
    InitFailed: false,
    Velan: null,
    Params: DEFAULT_PARAMETERS,
    Mac: mac.slice(),
    Ip: null,
    Active: null,
    Live: [],
    Failovers: 0,
    Failbacks: 0,
    GratuitousArps: 0,
    FailbackArmed: false,
    ReportedUp: false,
    ReportedSpeed: 0n,
    PacketFilter: 0,
    MulticastList: [],
    Lookahead: 1500,
    Mtu: 1500,
    Counters: newTeamCounters(),
  };
  globals.Teams.set(name, team);
  return team;
}

/**
 * Asks NDIS for the team's virtual miniport (once; again after a halt). After a failed
 * initialization only a re-enable (`again`) asks again, so a bad parameter fails once, not once
 * per member.
 */
export function requestInstance(team: TEAM, again = false): void {
  if (team.InstanceRequested || team.Velan !== null || (team.InitFailed && !again)) return;
  team.InitFailed = false;
  team.InstanceRequested = true;
  const status = NdisIMInitializeDeviceInstanceEx(
    team.Globals.MiniportDriverHandle as NDIS_HANDLE,
    team.Name,
    team,
  );
  if (status !== NDIS_STATUS_SUCCESS) team.InstanceRequested = false;
}

/** The team the binding belongs to, from its TeamName or the driver's Members list. */
function readTeamName(member: MEMBER): { name: string } | { status: NDIS_STATUS; reason: string } {
  const globals = member.Globals;
  const opened = openConfiguration(member.BindingHandle as NDIS_HANDLE);
  let name: string | null = null;
  if (!("status" in opened)) {
    try {
      name = readString(opened.handle, "TeamName")?.trim() || null;
    } finally {
      NdisCloseConfiguration(opened.handle);
    }
  }
  if (name === null && globals.Members.includes(member.AdapterName)) name = globals.DefaultTeamName;
  if (name === null)
    return {
      status: NDIS_STATUS_INVALID_PARAMETER,
      reason: "no TeamName for this binding and not in the driver's Members",
    };
  if (name === member.AdapterName)
    return { status: NDIS_STATUS_INVALID_PARAMETER, reason: "a team cannot be its own member" };
  return { name };
}

function forgetMember(member: MEMBER): void {
  const team = member.Team;
  if (team === null) return;
  for (const list of [team.Members, team.Leaving]) {
    const at = list.indexOf(member);
    if (at >= 0) list.splice(at, 1);
  }
  if (team.Members.length === 0 && team.Leaving.length === 0 && team.Velan === null) {
    if (team.Globals.Teams.get(team.Name) === team) team.Globals.Teams.delete(team.Name);
  }
}

function refuse(member: MEMBER, status: NDIS_STATUS, reason: string): NDIS_STATUS {
  const refusals = member.Globals.Refusals;
  refusals.push({ adapterName: member.AdapterName, status, reason });
  if (refusals.length > REFUSALS_KEPT) refusals.shift();
  member.RefuseStatus = status;
  if (NdisCloseAdapterEx(member.BindingHandle as NDIS_HANDLE) === NDIS_STATUS_PENDING)
    return NDIS_STATUS_PENDING; // PtCloseAdapterComplete ends the bind
  return status;
}

/** The bind after a successful open: join the team. SUCCESS, or the refusal. */
function afterOpen(member: MEMBER): NDIS_STATUS {
  const read = readTeamName(member);
  if ("status" in read) return refuse(member, read.status, read.reason);
  const globals = member.Globals;
  const timer: Out<NDIS_HANDLE> = {};
  const status = NdisAllocateTimerObject(
    member.BindingHandle as NDIS_HANDLE,
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS,
        Revision: NDIS_TIMER_CHARACTERISTICS_REVISION_1,
        Size: NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1,
      },
      AllocationTag: TIMER_TAG,
      TimerFunction: DelayTimerFunction,
      FunctionContext: member,
    },
    timer,
  );
  if (status !== NDIS_STATUS_SUCCESS || timer.value === undefined)
    return refuse(member, NDIS_STATUS_RESOURCES, "no memory for the delay timer");
  member.DelayTimer = timer.value;
  const team = globals.Teams.get(read.name) ?? createTeam(globals, read.name, member.Mac);
  member.Team = team;
  team.Members.push(member);
  // Joining a team that already runs: take its multicast list and filter now.
  if (team.Velan !== null) {
    if (team.MulticastList.length > 0) applyToMember(member, "multicast", () => {});
    if (memberFilter(team, member) !== member.AppliedFilter)
      applyToMember(member, "filter", () => {});
  }
  requestInstance(team);
  return NDIS_STATUS_SUCCESS;
}

function completeBind(member: MEMBER, status: NDIS_STATUS): void {
  const context = member.BindContext;
  member.BindContext = undefined;
  if (member.BindPended && context !== undefined) NdisCompleteBindAdapterEx(context, status);
}

/** ProtocolBindAdapterEx (PASSIVE_LEVEL). */
export const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = (
  ProtocolDriverContext: unknown,
  BindContext: NDIS_HANDLE,
  BindParameters: NDIS_BIND_PARAMETERS,
): NDIS_STATUS => {
  const globals = ProtocolDriverContext as TeamGlobals;
  const name = BindParameters.AdapterName;
  // Never a member of itself: the team's own virtual miniport is not bound.
  if (globals.Teams.has(name) || name === globals.DefaultTeamName) {
    globals.Refusals.push({
      adapterName: name,
      status: NDIS_STATUS_NOT_SUPPORTED,
      reason: "a team's own virtual miniport",
    });
    if (globals.Refusals.length > REFUSALS_KEPT) globals.Refusals.shift();
    return NDIS_STATUS_NOT_SUPPORTED;
  }
  const member: MEMBER = {
    Globals: globals,
    Team: null,
    BindParameters,
    AdapterName: name,
    Mac: BindParameters.CurrentMacAddress.slice(0, 6),
    BindContext,
    BindPended: false,
    ResetInProgress: false,
    RefuseStatus: null,
    BindingHandle: undefined,
    UnbindContext: undefined,
    Running: false,
    LinkUp: BindParameters.MediaConnectState !== MediaConnectStateDisconnected,
    Link: BindParameters.MediaConnectState !== MediaConnectStateDisconnected ? "up" : "down",
    XmitLinkSpeed: BindParameters.XmitLinkSpeed,
    DelayTimer: null,
    ProbeOutstanding: false,
    ArpMissed: 0,
    ArpAlive: true,
    SendsOutstanding: 0,
    PendingPause: null,
    OidQueue: [],
    AppliedFilter: 0,
    Counters: newMemberCounters(),
  };
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisOpenAdapterEx(
    globals.ProtocolHandle as NDIS_HANDLE,
    member,
    {
      Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
      AdapterName: name,
      MediumArray: [NdisMedium802_3],
      MediumArraySize: 1,
      SelectedMediumIndex: {},
    },
    BindContext,
    handle,
  );
  if (status !== NDIS_STATUS_SUCCESS && status !== NDIS_STATUS_PENDING) return status;
  member.BindingHandle = handle.value;
  const result = status === NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : afterOpen(member);
  if (result === NDIS_STATUS_PENDING) member.BindPended = true;
  else member.BindContext = undefined;
  return result;
};

/** ProtocolOpenAdapterCompleteEx: the open NDIS pended is done; the bind goes on. */
export const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
  Status,
) => {
  const member = ProtocolBindingContext as MEMBER;
  if (Status !== NDIS_STATUS_SUCCESS) {
    completeBind(member, Status);
    return;
  }
  const status = afterOpen(member);
  if (status !== NDIS_STATUS_PENDING) completeBind(member, status);
};

function freeDelayTimer(member: MEMBER): void {
  if (member.DelayTimer === null) return;
  NdisCancelTimerObject(member.DelayTimer);
  NdisFreeTimerObject(member.DelayTimer);
  member.DelayTimer = null;
}

/**
 * Closes a leaving member's binding. `pended`: the unbind returned PENDING, so it ends with
 * NdisCompleteUnbindAdapterEx.
 */
export function closeMember(member: MEMBER, pended: boolean): NDIS_STATUS {
  const status = NdisCloseAdapterEx(member.BindingHandle as NDIS_HANDLE);
  if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING; // PtCloseAdapterComplete ends it
  forgetMember(member);
  if (pended) NdisCompleteUnbindAdapterEx(member.UnbindContext as NDIS_HANDLE);
  return NDIS_STATUS_SUCCESS;
}

/** ProtocolUnbindAdapterEx (PASSIVE_LEVEL, binding Paused). */
export const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = (
  UnbindContext,
  ProtocolBindingContext,
) => {
  const member = ProtocolBindingContext as MEMBER;
  member.UnbindContext = UnbindContext;
  member.Running = false;
  freeDelayTimer(member);
  const team = member.Team;
  if (team === null) return closeMember(member, false);
  const at = team.Members.indexOf(member);
  if (at >= 0) team.Members.splice(at, 1);
  team.Leaving.push(member);
  reselect(team);
  if (team.Members.length > 0) return closeMember(member, false);
  // The last member: the virtual miniport goes with it.
  if (team.Velan === null && team.InstanceRequested) {
    NdisIMCancelInitializeDeviceInstance(
      team.Globals.MiniportDriverHandle as NDIS_HANDLE,
      team.Name,
    );
    team.InstanceRequested = false;
  }
  if (team.Velan === null) return closeMember(member, false);
  NdisIMDeInitializeDeviceInstance(team.Velan.MiniportAdapterHandle);
  return NDIS_STATUS_PENDING; // MPHalt closes the binding
};

/** ProtocolCloseAdapterCompleteEx: a close NDIS pended ends the refused bind or the unbind. */
export const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = (
  ProtocolBindingContext,
) => {
  const member = ProtocolBindingContext as MEMBER;
  if (member.RefuseStatus !== null) {
    completeBind(member, member.RefuseStatus);
    return;
  }
  forgetMember(member);
  if (member.UnbindContext !== undefined) NdisCompleteUnbindAdapterEx(member.UnbindContext);
};

/**
 * ProtocolNetPnPEvent (PASSIVE_LEVEL).
 * - NetEventRestart: the member can carry traffic (if its link and ARP say so).
 * - NetEventPause: it carries nothing more (the active member fails over at once); PENDING
 *   until the sends down it are back.
 * - NetEventIMReEnableDevice (no binding context): a disabled team is wanted again.
 * - NetEventReconfigure on a member: a team whose initialization failed is asked for again.
 * A member's power and removal events concern that member only and are not passed up: the team
 * stays while it has members (NDIS tells the team itself about system power with
 * OID_PNP_SET_POWER, as for any NO_HALT_ON_SUSPEND virtual miniport).
 */
export const PtNetPnPEvent: PROTOCOL_NET_PNP_EVENT = (
  ProtocolBindingContext,
  NetPnPEventNotification,
) => {
  const event = NetPnPEventNotification.NetPnPEvent;
  if (event.NetEvent === NetEventIMReEnableDevice) {
    for (const globals of allGlobals) {
      const team = globals.Teams.get(String(event.Buffer));
      if (team !== undefined && team.Members.length > 0) requestInstance(team, true);
    }
    return NDIS_STATUS_SUCCESS;
  }
  const member = ProtocolBindingContext as MEMBER | null;
  if (member === null) return NDIS_STATUS_SUCCESS;
  if (event.NetEvent === NetEventReconfigure) {
    // The configuration changed (as MUX does: re-scan): a team that failed to start tries again.
    if (member.Team !== null) requestInstance(member.Team, true);
    return NDIS_STATUS_SUCCESS;
  }
  if (event.NetEvent === NetEventRestart) {
    member.Running = true;
    if (member.Team !== null) reselect(member.Team);
    return NDIS_STATUS_SUCCESS;
  }
  if (event.NetEvent === NetEventPause) {
    member.Running = false;
    if (member.Team !== null) reselect(member.Team);
    if (member.SendsOutstanding === 0) return NDIS_STATUS_SUCCESS;
    member.PendingPause = NetPnPEventNotification; // PtSendNetBufferListsComplete completes it
    return NDIS_STATUS_PENDING;
  }
  return NDIS_STATUS_SUCCESS;
};

/**
 * ProtocolStatusEx: a member's NDIS_STATUS_LINK_STATE feeds its link; RESET_START/END hold its
 * sends while its adapter resets (the team's own miniport is never reset); the rest stays here.
 */
export const PtStatus: PROTOCOL_STATUS_EX = (ProtocolBindingContext, StatusIndication) => {
  const member = ProtocolBindingContext as MEMBER;
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_START) member.ResetInProgress = true;
  if (StatusIndication.StatusCode === NDIS_STATUS_RESET_END) member.ResetInProgress = false;
  if (StatusIndication.StatusCode !== NDIS_STATUS_LINK_STATE || member.Team === null) return;
  const state = StatusIndication.StatusBuffer as NDIS_LINK_STATE | null;
  if (state === null || typeof state !== "object") return;
  const up = state.MediaConnectState === MediaConnectStateConnected;
  const speed = typeof state.XmitLinkSpeed === "bigint" && up ? state.XmitLinkSpeed : null;
  memberLinkChanged(member, up, speed);
};
