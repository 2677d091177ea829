/**
 * The conformance suite's own drivers around the IM driver under test: a lower Ethernet miniport
 * whose sends, OID answers and pauses a scenario steers, and an upper protocol that sends and
 * receives tagged frames and counts every completion and indication. Both keep the contract
 * themselves (pauses wait for what is out), so any violation left is the IM driver's.
 *
 * Wherever a real driver may act now or later — complete a send in the call or from its DPC, one
 * NBL at a time or all together, pend a pause or an OID, complete a cancel at once or when its
 * hardware says so, return a receive in the indication or after it — they ask the scheduler
 * (`clock.choose`), and the later work goes through it (`clock.post`). The plain choice (0) is the
 * synchronous one; the explorer tries the others.
 */
import {
  type DRIVER_OBJECT,
  type DriverModule,
  type HostClock,
  IF_TYPE_ETHERNET_CSMACD,
  KeGetCurrentIrql,
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  makeOidRequest,
  type NDIS_BIND_PARAMETERS,
  NDIS_GET_NET_BUFFER_LIST_CANCEL_ID,
  type NDIS_HANDLE,
  NDIS_LINK_STATE_REVISION_1,
  type NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
  type NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  type NDIS_OID_REQUEST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
  NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
  NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferListContext,
  NdisCloseAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisDeregisterProtocolDriver,
  NdisDevicePnPEventSurpriseRemoved,
  NdisFreeNetBufferListContext,
  NdisFreeNetBufferListPool,
  NdisFreeNetBufferPool,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMIndicateReceiveNetBufferLists,
  NdisMIndicateStatusEx,
  NdisMOidRequestComplete,
  NdisMPauseComplete,
  NdisMRegisterMiniportDriver,
  NdisMResetComplete,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisOidRequest,
  NdisOpenAdapterEx,
  NdisRegisterProtocolDriver,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventPause,
  NetEventRestart,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
  PASSIVE_LEVEL,
} from "../index.js";
import {
  allocateFramePools,
  buildNbl,
  type FramePools,
  frameBase,
  framesOf,
  frameTag,
  frameVlan,
  freeNbl,
  type NblShape,
  nblOfFrame,
  peekNetBuffer,
} from "./frames.js";

/** The OID the lower miniport answers itself (query and set, a ULONG). */
export const VERIFY_OID = 0xff00_0001;
/** The ULONG the lower miniport answers VERIFY_OID queries with. */
export const VERIFY_OID_VALUE = 0x6e646973;
/**
 * A variable-length OID of the suite (vendor range): the lower miniport answers a query with a
 * byte count the explorer picks — the whole buffer, fewer bytes, none, or more than the buffer
 * holds (then NDIS_STATUS_BUFFER_TOO_SHORT or NDIS_STATUS_INVALID_LENGTH with BytesNeeded).
 */
export const VERIFY_OID_VARIABLE = 0xff00_0002;
/** The byte counts the lower miniport may answer VERIFY_OID_VARIABLE with, the plain one first. */
export const VARIABLE_LENGTHS = [8, 1, 0, 12, 4] as const;

/** The byte at `i` of a VERIFY_OID_VARIABLE answer `length` bytes long. */
export function variableByte(length: number, i: number): number {
  return (length * 31 + i * 7 + 1) & 0xff;
}

/** How the lower miniport answered one VERIFY_OID_VARIABLE query. */
export interface VariableAnswer {
  readonly request: NDIS_OID_REQUEST;
  readonly status: NDIS_STATUS;
  readonly written: number;
  readonly needed: number;
}

function chain(list: readonly NET_BUFFER_LIST[]): NET_BUFFER_LIST | null {
  for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] ?? null;
}

/** One adapter of the lower miniport (its MiniportAdapterContext). */
export interface LowerAdapter {
  readonly handle: NDIS_HANDLE;
  readonly mac: Uint8Array;
  pools: FramePools | null;
  /** Tags of every frame handed to MiniportSendNetBufferLists, in order. */
  readonly sentTags: number[];
  /** Frames whose content differed from what its tag says. */
  readonly corrupt: number[];
  /** Sends held while `holdSends` is set. */
  held: NET_BUFFER_LIST[];
  /** Sends the miniport chose to complete later (each in a scheduled task). */
  readonly queued: Set<NET_BUFFER_LIST>;
  /**
   * Sends cancelled and to be completed NDIS_STATUS_SEND_ABORTED later: no longer queued, so
   * neither their first completion task nor a second cancel takes them again.
   */
  readonly aborting: Set<NET_BUFFER_LIST>;
  /** Sends completed (each NBL once). */
  sendsCompleted: number;
  /** NBLs indicated and not yet returned. */
  readonly indicated: Set<NET_BUFFER_LIST>;
  /** NBLs returned that were not out (a double or a foreign return). */
  badReturns: number;
  returned: number;
  /** A pause waiting for sends and receives. */
  pausePending: boolean;
  /** The OID request the miniport pended, if any. */
  pendingOid: NDIS_OID_REQUEST | null;
  oidCalls: number;
  /** VERIFY_OID requests that reached it. */
  verifyOids: number;
  /** Its answers to VERIFY_OID_VARIABLE queries, in order. */
  readonly variableAnswers: VariableAnswer[];
  cancels: number;
  linkUp: boolean;
  /** Between MiniportPause and MiniportRestart: the miniport indicates nothing. */
  paused: boolean;
  /** Surprise-removed or halted: the device is gone and indicates nothing more. */
  gone: boolean;
  /** The VLAN ID of the last 802.1Q-tagged frame sent here (a MUX's VELAN), or null. */
  lastVlan: number | null;
  /** Every frame sent here, as bytes, while `control.keepFrames` is set. */
  readonly sentFrames: Uint8Array[];
  /** The VLAN ID its receives are tagged with (learned by the rig), or null: untagged. */
  vlan: number | null;
  /** MiniportResetEx calls (only a lower miniport made with `resets`), and resets it ended. */
  resets: number;
  resetsEnded: number;
}

/** What a scenario tells the lower miniport to do. */
export interface LowerControl {
  /** Keep sends instead of completing them (until `completeHeld`). */
  holdSends: boolean;
  /**
   * Keep only the sends whose first frame this matches (until `releaseHeld`); the others go
   * on as usual. Null: none (unless `holdSends`).
   */
  holdMatching: ((frame: Uint8Array) => boolean) | null;
  /** Record the bytes of every frame sent (`sentFrames`), for a scenario's own checks. */
  keepFrames: boolean;
  /** Pend VERIFY_OID requests (until `completeOid` or a cancel). */
  pendOids: boolean;
}

export interface LowerMiniport {
  readonly module: DriverModule;
  readonly control: LowerControl;
  readonly adapters: LowerAdapter[];
  /** The adapter whose MAC address is `mac` (as `02-76-…`). */
  byMac(mac: string | null): LowerAdapter | undefined;
  /** Completes every held send with SUCCESS. */
  completeHeld(adapter: LowerAdapter): void;
  /** Completes the first `count` held sends with `status` (one NBL per completion call). */
  releaseHeld(adapter: LowerAdapter, count: number, status: NDIS_STATUS): void;
  /** Indicates each frame (bytes as given) in an NBL of its own; returns how many went up. */
  indicateFrames(adapter: LowerAdapter, frames: readonly Uint8Array[], resources?: boolean): number;
  /**
   * Indicates `nbls` NBLs of `shape` up; returns the tags indicated. With `resources`
   * (NDIS_RECEIVE_FLAGS_RESOURCES) the NBLs are the miniport's again when the call returns;
   * "choose" leaves it to the scheduler (a miniport low on receive buffers).
   */
  indicate(
    adapter: LowerAdapter,
    nbls: number,
    shape: NblShape,
    firstTag: number,
    resources?: boolean | "choose",
  ): number[];
  /** Completes the pended OID with `status`. */
  completeOid(adapter: LowerAdapter, status: NDIS_STATUS): void;
  /** Indicates NDIS_STATUS_LINK_STATE. */
  setLink(adapter: LowerAdapter, up: boolean): void;
  /** Tags this adapter's receives for `vlan` (null: untagged) — also after it is halted and back. */
  setVlan(adapter: LowerAdapter, vlan: number | null): void;
}

/**
 * The cancel ID of every send the upper protocol makes without one of its own: the explorer's
 * injected send cancel (ENVIRONMENT_FAULTS) cancels it.
 */
export const ANY_CANCEL_ID = "vfy-any";

/** The lower miniport's service name (the actor of its scheduled work). */
const LOWER = "vfylower";

function registration(context: unknown): NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: 1,
      Size: 28,
    },
    MiniportAdapterContext: context,
    AttributeFlags: 0,
    InterfaceType: 0,
  } as NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
}

function general(mac: Uint8Array): NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
  return {
    Header: { Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, Revision: 2, Size: 224 },
    MediaType: NdisMedium802_3,
    PhysicalMediumType: 0,
    MtuSize: 1500,
    MaxXmitLinkSpeed: 10n ** 9n,
    XmitLinkSpeed: 10n ** 9n,
    MaxRcvLinkSpeed: 10n ** 9n,
    RcvLinkSpeed: 10n ** 9n,
    MediaConnectState: MediaConnectStateConnected,
    MediaDuplexState: MediaDuplexStateFull,
    LookaheadSize: 1500,
    SupportedPacketFilters: 0x2f,
    MaxMulticastListSize: 32,
    MacAddressLength: 6,
    PermanentMacAddress: mac,
    CurrentMacAddress: mac,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: true,
  } as NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
}

/** A ULONG in an OID buffer. */
function ulong(request: NDIS_OID_REQUEST): number | null {
  const data = request.DATA.QUERY_INFORMATION;
  const buffer = data.InformationBuffer;
  if (buffer === null || data.InformationBufferLength < 4) return null;
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length).getUint32(0, true);
}

/** Answers VERIFY_OID: a ULONG query or set, with BytesNeeded on a short buffer. */
function answer(request: NDIS_OID_REQUEST): NDIS_STATUS {
  const data = request.DATA.QUERY_INFORMATION;
  const buffer = data.InformationBuffer;
  if (request.RequestType === NdisRequestQueryInformation) {
    if (buffer === null || data.InformationBufferLength < 4) {
      data.BytesNeeded = 4;
      data.BytesWritten = 0;
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    new DataView(buffer.buffer, buffer.byteOffset, buffer.length).setUint32(
      0,
      VERIFY_OID_VALUE,
      true,
    );
    data.BytesWritten = 4;
    return NDIS_STATUS_SUCCESS;
  }
  if (ulong(request) === null) {
    data.BytesNeeded = 4;
    data.BytesRead = 0;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  data.BytesRead = 4;
  return NDIS_STATUS_SUCCESS;
}

/**
 * Whether the suite's drivers leave room in their NBLs' context areas for the drivers between
 * them. The upper protocol makes the choice when it binds (no room: the drivers below must
 * allocate context space, and that may fail); the lower miniport follows it for the NBLs it
 * indicates, by taking the room itself until they come back, as a miniport that keeps a
 * context of its own on its receive NBLs does.
 */
export interface ContextRoom {
  none: boolean;
}

/** The context the lower miniport takes on its receive NBLs when the suite leaves no room. */
const LOWER_CONTEXT = 32;

export function lowerMiniport(
  clock: HostClock,
  contextRoom: ContextRoom = { none: false },
  options: { readonly resets?: boolean } = {},
): LowerMiniport {
  const control: LowerControl = {
    holdSends: false,
    holdMatching: null,
    keepFrames: false,
    pendOids: false,
  };
  const adapters: LowerAdapter[] = [];
  let driverHandle: NDIS_HANDLE | undefined;
  /** The VLAN each device's receives carry, by its MAC address (a device halted and back keeps it). */
  const vlans = new Map<number, number | null>();

  // What never came back stays allocated: freeing the pools then would be this driver's bug.
  const freePools = (a: LowerAdapter): void => {
    if (a.pools === null || a.indicated.size > 0) return;
    NdisFreeNetBufferListPool(a.pools.nbl);
    NdisFreeNetBufferPool(a.pools.nb);
    a.pools = null;
  };
  const maybeCompletePause = (a: LowerAdapter): void => {
    const busy =
      a.held.length > 0 || a.queued.size > 0 || a.aborting.size > 0 || a.indicated.size > 0;
    if (!a.pausePending || busy) return;
    a.pausePending = false;
    NdisMPauseComplete(a.handle);
  };
  /** Completes `list` (NBLs this adapter holds, not chained) with SUCCESS. */
  const completeNow = (a: LowerAdapter, list: NET_BUFFER_LIST[]): void => {
    for (const nbl of list) {
      a.queued.delete(nbl);
      nbl.Status = NDIS_STATUS_SUCCESS;
    }
    a.sendsCompleted += list.length;
    NdisMSendNetBufferListsComplete(a.handle, chain(list) as NET_BUFFER_LIST, 0);
    maybeCompletePause(a);
  };
  /** A completion from the miniport's DPC, later: the NBLs still queued (not cancelled) go back. */
  const completeLater = (a: LowerAdapter, list: NET_BUFFER_LIST[]): void => {
    for (const nbl of list) a.queued.add(nbl);
    clock.post(() => {
      const still = list.filter((nbl) => a.queued.has(nbl));
      if (still.length > 0) completeNow(a, still);
    }, `${LOWER}: complete ${list.length} send(s)`);
  };
  /** Completes the pended OID: its answer, or `status` when that is not SUCCESS. */
  const completeOid = (a: LowerAdapter, status: NDIS_STATUS): void => {
    const pending = a.pendingOid;
    if (pending === null) return;
    a.pendingOid = null;
    const final = status === NDIS_STATUS_SUCCESS ? answer(pending) : status;
    NdisMOidRequestComplete(a.handle, pending, final);
  };
  /** Completes the first `count` held sends (all when absent) with `status`, one call each. */
  const releaseHeld = (a: LowerAdapter, count: number, status: NDIS_STATUS): void => {
    const list = a.held.splice(0, Math.min(count, a.held.length));
    for (const nbl of list) {
      nbl.Status = status;
      a.sendsCompleted++;
      NdisMSendNetBufferListsComplete(a.handle, nbl, 0);
    }
    maybeCompletePause(a);
  };
  /** Frees a receive NBL that came back, with the context the miniport took on it. */
  const freeLowerNbl = (nbl: NET_BUFFER_LIST): void => {
    const context = nbl.Context;
    if (context !== null && context.Size - context.Offset === LOWER_CONTEXT && contextRoom.none)
      NdisFreeNetBufferListContext(nbl, LOWER_CONTEXT);
    freeNbl(nbl);
  };
  /**
   * Indicates `list` (NBLs of this adapter, recorded as indicated) in one chain; under
   * RESOURCES they are the miniport's again when the call returns, and freed.
   */
  const indicateList = (a: LowerAdapter, list: NET_BUFFER_LIST[], resources: boolean): void => {
    const head = chain(list);
    if (head === null) return;
    if (contextRoom.none)
      for (const nbl of list) NdisAllocateNetBufferListContext(nbl, LOWER_CONTEXT, 0, 0x79667276);
    NdisMIndicateReceiveNetBufferLists(
      a.handle,
      head,
      0,
      list.length,
      resources ? NDIS_RECEIVE_FLAGS_RESOURCES : 0,
    );
    if (!resources) return;
    for (const nbl of list) {
      a.indicated.delete(nbl);
      freeLowerNbl(nbl);
    }
    maybeCompletePause(a);
  };
  /** Answers a VERIFY_OID_VARIABLE query with a byte count the explorer picks (every legal one). */
  const answerVariable = (a: LowerAdapter, request: NDIS_OID_REQUEST): NDIS_STATUS => {
    const data = request.DATA.QUERY_INFORMATION;
    if (request.RequestType !== NdisRequestQueryInformation) return NDIS_STATUS_NOT_SUPPORTED;
    const length =
      VARIABLE_LENGTHS[
        clock.choose(
          `${LOWER}: answer a variable-length OID with 8, 1, 0, 12 (more than the buffer) or 4 bytes`,
          VARIABLE_LENGTHS.length,
        )
      ] ?? 8;
    const buffer = data.InformationBuffer;
    const room = buffer === null ? 0 : Math.min(buffer.length, data.InformationBufferLength);
    let status: NDIS_STATUS = NDIS_STATUS_SUCCESS;
    if (length > room) {
      // Both are documented for a query whose buffer is too small; BytesNeeded says how much.
      status =
        clock.choose(`${LOWER}: a short buffer: BUFFER_TOO_SHORT or INVALID_LENGTH`, 2) === 0
          ? NDIS_STATUS_BUFFER_TOO_SHORT
          : NDIS_STATUS_INVALID_LENGTH;
      data.BytesWritten = 0;
      data.BytesNeeded = length;
    } else {
      for (let i = 0; i < length; i++) (buffer as Uint8Array)[i] = variableByte(length, i);
      data.BytesWritten = length;
      data.BytesNeeded = 0;
    }
    a.variableAnswers.push({
      request,
      status,
      written: data.BytesWritten,
      needed: data.BytesNeeded,
    });
    return status;
  };
  const completeHeld = (a: LowerAdapter): void => {
    const list = a.held;
    a.held = [];
    if (list.length === 0) return;
    for (const nbl of list) nbl.Status = NDIS_STATUS_SUCCESS;
    a.sendsCompleted += list.length;
    NdisMSendNetBufferListsComplete(a.handle, chain(list) as NET_BUFFER_LIST, 0);
    maybeCompletePause(a);
  };

  /**
   * MiniportResetEx: the hardware forgets its addressing (AddressingReset TRUE: NDIS sets the
   * packet filter and multicast list again); the reset ends now or pends and ends from the DPC.
   * Sends already queued complete as they would have.
   */
  const reset = (a: LowerAdapter, addressingReset: Out<boolean>): NDIS_STATUS => {
    a.resets++;
    addressingReset.value = true;
    if (clock.choose(`${LOWER}: end a reset now or later`, 2) === 0) {
      a.resetsEnded++;
      return NDIS_STATUS_SUCCESS;
    }
    clock.post(() => {
      a.resetsEnded++;
      NdisMResetComplete(a.handle, NDIS_STATUS_SUCCESS, true);
    }, `${LOWER}: complete the reset`);
    return NDIS_STATUS_PENDING;
  };

  const chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS = {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
      Revision: 3,
      Size: NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3,
    },
    MajorNdisVersion: 6,
    MinorNdisVersion: 89,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: 0,
    InitializeHandlerEx: (handle: NDIS_HANDLE) => {
      const index = adapters.length;
      const mac = Uint8Array.of(2, 0x76, 0x66, 0x79, 0, index + 1);
      const a: LowerAdapter = {
        handle,
        mac,
        pools: null,
        sentTags: [],
        corrupt: [],
        held: [],
        queued: new Set(),
        aborting: new Set(),
        sendsCompleted: 0,
        indicated: new Set(),
        badReturns: 0,
        returned: 0,
        pausePending: false,
        pendingOid: null,
        oidCalls: 0,
        verifyOids: 0,
        variableAnswers: [],
        cancels: 0,
        linkUp: true,
        paused: false,
        gone: false,
        lastVlan: null,
        sentFrames: [],
        vlan: vlans.get(index) ?? null,
        resets: 0,
        resetsEnded: 0,
      };
      let status = NdisMSetMiniportAttributes(handle, registration(a));
      if (status !== NDIS_STATUS_SUCCESS) return status;
      status = NdisMSetMiniportAttributes(handle, general(mac));
      if (status !== NDIS_STATUS_SUCCESS) return status;
      a.pools = allocateFramePools(handle);
      adapters.push(a);
      return NDIS_STATUS_SUCCESS;
    },
    HaltHandlerEx: (a: LowerAdapter) => {
      a.gone = true;
      const index = adapters.indexOf(a);
      if (index >= 0) adapters.splice(index, 1);
      freePools(a);
    },
    UnloadHandler: () => {
      if (driverHandle !== undefined) NdisMDeregisterMiniportDriver(driverHandle);
    },
    PauseHandler: (a: LowerAdapter) => {
      a.paused = true;
      a.pausePending = true;
      if (a.held.length === 0 && a.queued.size === 0 && a.indicated.size === 0) {
        if (clock.choose(`${LOWER}: pause now or later`, 2) === 0) {
          a.pausePending = false;
          return NDIS_STATUS_SUCCESS;
        }
        clock.post(() => maybeCompletePause(a), `${LOWER}: complete the pause`);
      }
      return NDIS_STATUS_PENDING;
    },
    RestartHandler: (a: LowerAdapter) => {
      a.paused = false;
      return NDIS_STATUS_SUCCESS;
    },
    OidRequestHandler: (a: LowerAdapter, request: NDIS_OID_REQUEST) => {
      a.oidCalls++;
      if (request.DATA.QUERY_INFORMATION.Oid === VERIFY_OID_VARIABLE)
        return answerVariable(a, request);
      if (request.DATA.QUERY_INFORMATION.Oid !== VERIFY_OID) return NDIS_STATUS_SUCCESS;
      a.verifyOids++;
      if (control.pendOids && a.pendingOid === null) {
        a.pendingOid = request;
        return NDIS_STATUS_PENDING;
      }
      if (a.pendingOid === null && clock.choose(`${LOWER}: answer an OID now or later`, 2) === 1) {
        a.pendingOid = request;
        clock.post(
          () => {
            if (a.pendingOid === request) completeOid(a, NDIS_STATUS_SUCCESS);
          },
          `${LOWER}: complete OID 0x${(request.DATA.QUERY_INFORMATION.Oid >>> 0).toString(16)}`,
        );
        return NDIS_STATUS_PENDING;
      }
      return answer(request);
    },
    SendNetBufferListsHandler: (a: LowerAdapter, nbls: NET_BUFFER_LIST) => {
      const list: NET_BUFFER_LIST[] = [];
      for (let nbl: NET_BUFFER_LIST | null = nbls; nbl !== null; nbl = nbl.Next) {
        list.push(nbl);
        for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
          const frame = peekNetBuffer(nb);
          if (control.keepFrames) a.sentFrames.push(frame.slice());
          const tag = frameTag(frame);
          if (tag === null) continue;
          a.lastVlan = frameVlan(frame);
          a.sentTags.push(tag);
          if (!intact(frame, tag)) a.corrupt.push(tag);
        }
      }
      for (const nbl of list) nbl.Next = null;
      // A surprise-removed device holds nothing new: a send that reaches it late (a driver
      // above delayed it) completes like any other.
      if (control.holdSends && !a.gone) {
        a.held.push(...list);
        return;
      }
      const matching = control.holdMatching;
      if (matching !== null) {
        const keep = list.filter((nbl) => {
          const first = framesOf(nbl)[0];
          return first !== undefined && matching(first);
        });
        if (keep.length > 0) {
          a.held.push(...keep);
          list.splice(0, list.length, ...list.filter((nbl) => !keep.includes(nbl)));
          if (list.length === 0) return;
        }
      }
      const how = clock.choose(
        `${LOWER}: complete sends now, later, one by one later, or one by one now`,
        4,
      );
      if (how === 0) completeNow(a, list);
      else if (how === 1) completeLater(a, list);
      else if (how === 2) for (const nbl of list) completeLater(a, [nbl]);
      else for (const nbl of list) completeNow(a, [nbl]);
    },
    ReturnNetBufferListsHandler: (a: LowerAdapter, nbls: NET_BUFFER_LIST) => {
      for (let nbl: NET_BUFFER_LIST | null = nbls; nbl !== null; ) {
        const next: NET_BUFFER_LIST | null = nbl.Next;
        if (a.indicated.delete(nbl)) {
          a.returned++;
          freeLowerNbl(nbl);
        } else a.badReturns++;
        nbl = next;
      }
      maybeCompletePause(a);
    },
    // Held or queued sends carrying the cancel ID are completed NDIS_STATUS_SEND_ABORTED.
    CancelSendHandler: (a: LowerAdapter, cancelId: unknown) => {
      const match = (nbl: NET_BUFFER_LIST) => NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) === cancelId;
      const aborted = [...a.held.filter(match), ...[...a.queued].filter(match)];
      if (aborted.length === 0) return;
      a.held = a.held.filter((nbl) => !aborted.includes(nbl));
      for (const nbl of aborted) a.queued.delete(nbl);
      const abort = () => {
        for (const nbl of aborted) nbl.Status = NDIS_STATUS_SEND_ABORTED;
        a.sendsCompleted += aborted.length;
        NdisMSendNetBufferListsComplete(a.handle, chain(aborted) as NET_BUFFER_LIST, 0);
        maybeCompletePause(a);
      };
      // Off the queue now; completed in the call or from the DPC.
      if (clock.choose(`${LOWER}: complete a cancelled send now or later`, 2) === 0) abort();
      else {
        for (const nbl of aborted) a.aborting.add(nbl);
        clock.post(() => {
          for (const nbl of aborted) a.aborting.delete(nbl);
          abort();
        }, `${LOWER}: complete ${aborted.length} cancelled send(s)`);
      }
    },
    // The device is gone: what it held is completed, as a miniport fails its queue.
    DevicePnPEventNotifyHandler: (a: LowerAdapter, event: { DevicePnPEvent: number }) => {
      if (event.DevicePnPEvent !== NdisDevicePnPEventSurpriseRemoved) return;
      a.gone = true;
      completeHeld(a);
    },
    // No halt follows a power-off, and NDIS checks the adapter's pools when it retires it.
    ShutdownHandlerEx: (a: LowerAdapter) => freePools(a),
    CancelOidRequestHandler: (a: LowerAdapter, requestId: unknown) => {
      a.cancels++;
      const pending = a.pendingOid;
      if (pending === null || pending.RequestId !== requestId) return;
      if (clock.choose(`${LOWER}: complete a cancelled OID now or later`, 2) === 0)
        completeOid(a, NDIS_STATUS_REQUEST_ABORTED);
      else
        clock.post(() => {
          if (a.pendingOid === pending) completeOid(a, NDIS_STATUS_REQUEST_ABORTED);
        }, `${LOWER}: complete the cancelled OID`);
    },
    // Only where a scenario resets the adapter: NDIS runs check-for-hang on a resettable adapter.
    ...(options.resets === true ? { ResetHandlerEx: reset } : {}),
  } as NDIS_MINIPORT_DRIVER_CHARACTERISTICS;

  return {
    control,
    adapters,
    byMac(mac) {
      return adapters.find((a) => macString(a.mac) === mac);
    },
    completeHeld,
    releaseHeld,
    indicateFrames(a, frames, resources = false) {
      const pools = a.pools;
      if (pools === null || a.paused || a.gone) return 0;
      const list: NET_BUFFER_LIST[] = [];
      for (const frame of frames) {
        const nbl = nblOfFrame(a.handle, pools, frame);
        if (nbl === null) break;
        nbl.SourceHandle = a.handle;
        list.push(nbl);
        a.indicated.add(nbl);
      }
      indicateList(a, list, resources);
      return list.length;
    },
    indicate(a, nbls, shape, firstTag, flags = false) {
      const resources =
        flags === "choose"
          ? clock.choose(`${LOWER}: indicate with NDIS_RECEIVE_FLAGS_RESOURCES or not`, 2) === 1
          : flags;
      const pools = a.pools;
      const tags: number[] = [];
      if (pools === null || a.paused) return tags;
      const list: NET_BUFFER_LIST[] = [];
      let tag = firstTag;
      for (let i = 0; i < nbls; i++) {
        const nbl = buildNbl(a.handle, pools, shape, tag, a.mac, a.vlan);
        if (nbl === null) break;
        nbl.SourceHandle = a.handle;
        for (let k = 0; k < shape.nbs; k++) tags.push(tag + k);
        tag += shape.nbs;
        list.push(nbl);
        a.indicated.add(nbl);
      }
      indicateList(a, list, resources);
      return tags;
    },
    completeOid,
    setVlan(a, vlan) {
      a.vlan = vlan;
      vlans.set((a.mac[5] as number) - 1, vlan);
    },
    setLink(a, up) {
      a.linkUp = up;
      NdisMIndicateStatusEx(a.handle, {
        Header: {
          Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
          Revision: NDIS_STATUS_INDICATION_REVISION_1,
          Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
        },
        SourceHandle: a.handle,
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
          XmitLinkSpeed: 10n ** 9n,
          RcvLinkSpeed: 10n ** 9n,
          PauseFunctions: 0,
          AutoNegotiationFlags: 0,
        },
        StatusBufferSize: NDIS_SIZEOF_LINK_STATE_REVISION_1,
      });
    },
    module: {
      DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => {
        const out: Out<NDIS_HANDLE> = {};
        const status = NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          chars,
          out,
        );
        driverHandle = out.value;
        return status;
      },
    },
  };
}

function macString(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("-");
}

/** True when a suite frame's payload is what its tag says. */
function intact(frame: Uint8Array, tag: number): boolean {
  // After an 802.1Q tag the payload sits 4 bytes further on.
  const at = frameBase(frame);
  for (let i = 18 + at; i < frame.length; i++)
    if (frame[i] !== ((tag * 31 + i - at) & 0xff)) return false;
  return true;
}

/** One binding of the upper protocol (its ProtocolBindingContext). */
export interface UpperBinding {
  readonly adapter: string;
  /** The adapter's MTU from the bind parameters (1500 when it gave none): frames sent over it fit. */
  readonly mtu: number;
  handle: NDIS_HANDLE | undefined;
  pools: FramePools | null;
  /** Tags of every frame indicated, in order. */
  readonly receivedTags: number[];
  /** Every frame received, as bytes, while `control.keepFrames` is set. */
  readonly receivedFrames: Uint8Array[];
  readonly corrupt: number[];
  /** Sends out (sent, not completed). */
  readonly outstanding: Set<NET_BUFFER_LIST>;
  sent: number;
  completed: number;
  /** Completions of NBLs not out (a double or a foreign completion). */
  badCompletions: number;
  /** Statuses the completions carried. */
  readonly completionStatuses: number[];
  /** The cancel ID of every NBL completed NDIS_STATUS_SEND_ABORTED (null when it had none). */
  readonly abortedCancelIds: unknown[];
  /** Receives held while `holdReceives` is set. */
  held: NET_BUFFER_LIST[];
  /** A NetEventPause waiting for this binding's sends. */
  pendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /** From NetEventPause to NetEventRestart: the protocol sends nothing. */
  paused: boolean;
  readonly statuses: number[];
  readonly linkStates: number[];
  readonly oidCompletions: { request: NDIS_OID_REQUEST; status: NDIS_STATUS }[];
  /** OID requests made through `request` that pended and have not completed. */
  readonly oidsPending: Set<NDIS_OID_REQUEST>;
  /** An unbind waiting for those requests before it closes the binding. */
  unbindContext: NDIS_HANDLE | undefined;
}

export interface UpperControl {
  /** Keep indicated receives instead of returning them (until `returnHeld`). */
  holdReceives: boolean;
  /** Record the bytes of every frame received (`receivedFrames`), for a scenario's own checks. */
  keepFrames: boolean;
}

export interface UpperProtocol {
  readonly name: string;
  readonly module: DriverModule;
  readonly control: UpperControl;
  readonly bindings: UpperBinding[];
  binding(adapter: string): UpperBinding;
  /** Sends `nbls` NBLs of `shape` in one chain (each with `cancelId`); returns the tags sent. */
  send(
    b: UpperBinding,
    nbls: number,
    shape: NblShape,
    firstTag: number,
    cancelId?: unknown,
  ): number[];
  /** Sends each frame (bytes as given) in an NBL of its own, in one chain; returns how many went. */
  sendFrames(b: UpperBinding, frames: readonly Uint8Array[]): number;
  returnHeld(b: UpperBinding): void;
  /** Makes an OID request on `b` (NdisOidRequest), remembering it while it pends. */
  request(b: UpperBinding, request: NDIS_OID_REQUEST): NDIS_STATUS;
}

export function upperProtocol(
  name: string,
  clock: HostClock,
  contextRoom: ContextRoom = { none: false },
): UpperProtocol {
  const control: UpperControl = { holdReceives: false, keepFrames: false };
  const bindings: UpperBinding[] = [];
  let protocolHandle: NDIS_HANDLE | undefined;
  const source = Uint8Array.of(2, 0x75, 0x70, 0x70, 0, 1);

  const releasePools = (b: UpperBinding): void => {
    if (b.pools === null || b.outstanding.size > 0 || b.held.length > 0) return;
    NdisFreeNetBufferListPool(b.pools.nbl);
    NdisFreeNetBufferPool(b.pools.nb);
    b.pools = null;
  };
  const maybeCompletePause = (b: UpperBinding): void => {
    const pending = b.pendingPause;
    if (pending === null || b.outstanding.size > 0 || b.handle === undefined) return;
    b.pendingPause = null;
    NdisCompleteNetPnPEvent(b.handle, pending, NDIS_STATUS_SUCCESS);
  };
  const returnHeld = (b: UpperBinding): void => {
    const list = b.held;
    b.held = [];
    const head = chain(list);
    if (head !== null && b.handle !== undefined) NdisReturnNetBufferLists(b.handle, head, 0);
  };
  /** Returns those of `list` still held (a return the protocol chose to make later). */
  const returnLater = (b: UpperBinding, list: NET_BUFFER_LIST[]): void => {
    b.held.push(...list);
    clock.post(() => {
      const still = list.filter((nbl) => b.held.includes(nbl));
      if (still.length === 0) return;
      b.held = b.held.filter((nbl) => !still.includes(nbl));
      const head = chain(still);
      if (head !== null && b.handle !== undefined) NdisReturnNetBufferLists(b.handle, head, 0);
    }, `${name}: return ${list.length} receive(s)`);
  };

  /**
   * NDIS indicates nothing to a binding until its protocol sets a packet filter: the suite's
   * frames carry test addresses, so it asks for every frame (promiscuous).
   */
  const filterRequests = new WeakSet<NDIS_OID_REQUEST>();
  const setPacketFilter = (b: UpperBinding): NDIS_STATUS => {
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setUint32(0, NDIS_PACKET_TYPE_PROMISCUOUS, true);
    const request = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: buffer,
    });
    filterRequests.add(request);
    b.oidsPending.add(request);
    const status = NdisOidRequest(b.handle as NDIS_HANDLE, request);
    if (status !== NDIS_STATUS_PENDING) b.oidsPending.delete(request);
    return status;
  };

  /** Closes `b`; `pended` when the unbind already returned PENDING. */
  const close = (b: UpperBinding, pended: boolean): NDIS_STATUS => {
    const index = bindings.indexOf(b);
    if (index >= 0) bindings.splice(index, 1);
    const handle = b.handle;
    b.handle = undefined;
    const status = handle === undefined ? NDIS_STATUS_SUCCESS : NdisCloseAdapterEx(handle);
    releasePools(b);
    if (status === NDIS_STATUS_PENDING) {
      b.pendingPause = null;
      return NDIS_STATUS_PENDING;
    }
    if (pended && b.unbindContext !== undefined) NdisCompleteUnbindAdapterEx(b.unbindContext);
    return NDIS_STATUS_SUCCESS;
  };

  const chars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
    Header: {
      Type: NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
      Revision: 2,
      Size: NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
    },
    MajorNdisVersion: 6,
    MinorNdisVersion: 89,
    Name: name,
    BindAdapterHandlerEx: (
      _ctx: unknown,
      bindContext: NDIS_HANDLE,
      params: NDIS_BIND_PARAMETERS,
    ) => {
      const b: UpperBinding = {
        adapter: params.AdapterName,
        mtu: params.MtuSize > 0 ? params.MtuSize : 1500,
        handle: undefined,
        pools: null,
        receivedTags: [],
        receivedFrames: [],
        corrupt: [],
        outstanding: new Set(),
        sent: 0,
        completed: 0,
        badCompletions: 0,
        completionStatuses: [],
        abortedCancelIds: [],
        held: [],
        pendingPause: null,
        paused: false,
        statuses: [],
        linkStates: [],
        oidCompletions: [],
        oidsPending: new Set(),
        unbindContext: undefined,
      };
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisOpenAdapterEx(
        protocolHandle as NDIS_HANDLE,
        b,
        {
          Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
          AdapterName: params.AdapterName,
          MediumArray: [NdisMedium802_3],
          MediumArraySize: 1,
          SelectedMediumIndex: {},
        },
        bindContext,
        out,
      );
      if (status !== NDIS_STATUS_SUCCESS) return status;
      b.handle = out.value;
      // Room in each NBL's context area for the drivers below, or none (so theirs must be
      // allocated, and may fail).
      const room = clock.choose(`${name}: leave context room in its NBLs or none`, 2) === 0;
      if (!room) contextRoom.none = true;
      if (protocolHandle !== undefined) b.pools = allocateFramePools(protocolHandle, room ? 32 : 0);
      bindings.push(b);
      let filtered = setPacketFilter(b);
      // Once more after a transient failure (the IM below may lack a clone of the request);
      // a binding that cannot say what to receive is useless: the bind fails.
      if (filtered === NDIS_STATUS_RESOURCES) filtered = setPacketFilter(b);
      if (filtered !== NDIS_STATUS_SUCCESS && filtered !== NDIS_STATUS_PENDING) {
        close(b, false);
        return filtered;
      }
      return NDIS_STATUS_SUCCESS;
    },
    UnbindAdapterHandlerEx: (unbindContext: NDIS_HANDLE, b: UpperBinding) => {
      returnHeld(b);
      b.unbindContext = unbindContext;
      // A protocol closes only when its own requests are back (NdisCloseAdapterEx).
      if (b.oidsPending.size > 0) return NDIS_STATUS_PENDING;
      return close(b, false);
    },
    OpenAdapterCompleteHandlerEx: () => {},
    CloseAdapterCompleteHandlerEx: (b: UpperBinding) => {
      if (b.unbindContext !== undefined) NdisCompleteUnbindAdapterEx(b.unbindContext);
    },
    NetPnPEventHandler: (b: UpperBinding | null, event: NET_PNP_EVENT_NOTIFICATION) => {
      if (b !== null && event.NetPnPEvent.NetEvent === NetEventRestart) b.paused = false;
      if (b === null || event.NetPnPEvent.NetEvent !== NetEventPause) return NDIS_STATUS_SUCCESS;
      b.paused = true;
      if (b.outstanding.size === 0) {
        if (clock.choose(`${name}: pause now or later`, 2) === 0) return NDIS_STATUS_SUCCESS;
        clock.post(() => maybeCompletePause(b), `${name}: complete the pause`);
      }
      b.pendingPause = event;
      return NDIS_STATUS_PENDING;
    },
    OidRequestCompleteHandler: (b: UpperBinding, request: NDIS_OID_REQUEST, status: number) => {
      if (!filterRequests.has(request)) b.oidCompletions.push({ request, status });
      else if (
        status !== NDIS_STATUS_SUCCESS &&
        b.unbindContext === undefined &&
        b.handle !== undefined
      )
        // A pended filter request that failed is made again (as often as it fails).
        clock.post(() => {
          if (b.handle !== undefined && b.unbindContext === undefined) setPacketFilter(b);
        }, `${name}: set the packet filter again`);
      b.oidsPending.delete(request);
      if (b.oidsPending.size === 0 && b.unbindContext !== undefined && b.handle !== undefined)
        close(b, true);
    },
    StatusHandlerEx: (
      b: UpperBinding,
      indication: { StatusCode: number; StatusBuffer: unknown },
    ) => {
      b.statuses.push(indication.StatusCode);
      if (indication.StatusCode === NDIS_STATUS_LINK_STATE) {
        const state = indication.StatusBuffer as { MediaConnectState?: number } | null;
        b.linkStates.push(state?.MediaConnectState ?? -1);
      }
    },
    ReceiveNetBufferListsHandler: (
      b: UpperBinding,
      nbls: NET_BUFFER_LIST,
      _port: number,
      _count: number,
      flags: number,
    ) => {
      for (let nbl: NET_BUFFER_LIST | null = nbls; nbl !== null; nbl = nbl.Next)
        for (let nb = nbl.FirstNetBuffer; nb !== null; nb = nb.Next) {
          const frame = peekNetBuffer(nb);
          if (control.keepFrames) b.receivedFrames.push(frame.slice());
          const tag = frameTag(frame);
          if (tag === null) continue;
          b.receivedTags.push(tag);
          if (!intact(frame, tag)) b.corrupt.push(tag);
        }
      if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) return;
      const list: NET_BUFFER_LIST[] = [];
      for (let nbl: NET_BUFFER_LIST | null = nbls; nbl !== null; nbl = nbl.Next) list.push(nbl);
      if (control.holdReceives) {
        for (const nbl of list) nbl.Next = null;
        b.held.push(...list);
        return;
      }
      const how = clock.choose(`${name}: return receives now, later, or one by one later`, 3);
      if (how === 1) {
        for (const nbl of list) nbl.Next = null;
        returnLater(b, list);
        return;
      }
      if (how === 2) {
        // One NBL of the chain per NdisReturnNetBufferLists call, each in its own task.
        for (const nbl of list) nbl.Next = null;
        for (const nbl of list) returnLater(b, [nbl]);
        return;
      }
      if (b.handle !== undefined) NdisReturnNetBufferLists(b.handle, nbls, 0);
    },
    SendNetBufferListsCompleteHandler: (b: UpperBinding, nbls: NET_BUFFER_LIST) => {
      for (let nbl: NET_BUFFER_LIST | null = nbls; nbl !== null; ) {
        const next: NET_BUFFER_LIST | null = nbl.Next;
        b.completionStatuses.push(nbl.Status);
        if (nbl.Status === NDIS_STATUS_SEND_ABORTED)
          b.abortedCancelIds.push(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) ?? null);
        if (b.outstanding.delete(nbl)) {
          b.completed++;
          freeNbl(nbl);
        } else b.badCompletions++;
        nbl = next;
      }
      // NdisCompleteNetPnPEvent is a PASSIVE_LEVEL call: a completion that comes at
      // DISPATCH_LEVEL (a driver below completing from a timer or a DPC) ends the pause later,
      // as a protocol's work item would.
      if (KeGetCurrentIrql() === PASSIVE_LEVEL) maybeCompletePause(b);
      else if (b.pendingPause !== null && b.outstanding.size === 0)
        clock.post(() => maybeCompletePause(b), `${name}: complete the pause (at PASSIVE_LEVEL)`);
    },
  } as NDIS_PROTOCOL_DRIVER_CHARACTERISTICS;

  return {
    name,
    control,
    bindings,
    binding(adapter) {
      const found = bindings.find((b) => b.adapter === adapter);
      if (found === undefined) throw new Error(`the upper protocol is not bound to ${adapter}`);
      return found;
    },
    send(b, nbls, shape, firstTag, cancelId) {
      const tags: number[] = [];
      const pools = b.pools;
      if (pools === null || b.handle === undefined || protocolHandle === undefined || b.paused)
        return tags;
      const list: NET_BUFFER_LIST[] = [];
      let tag = firstTag;
      for (let i = 0; i < nbls; i++) {
        const nbl = buildNbl(protocolHandle, pools, shape, tag, source);
        if (nbl === null) break;
        nbl.SourceHandle = b.handle;
        NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, cancelId ?? ANY_CANCEL_ID);
        for (let k = 0; k < shape.nbs; k++) tags.push(tag + k);
        tag += shape.nbs;
        list.push(nbl);
        b.outstanding.add(nbl);
      }
      b.sent += list.length;
      const head = chain(list);
      if (head !== null) NdisSendNetBufferLists(b.handle, head, 0, 0);
      return tags;
    },
    sendFrames(b, frames) {
      const pools = b.pools;
      if (pools === null || b.handle === undefined || protocolHandle === undefined || b.paused)
        return 0;
      const list: NET_BUFFER_LIST[] = [];
      for (const frame of frames) {
        const nbl = nblOfFrame(protocolHandle, pools, frame);
        if (nbl === null) break;
        nbl.SourceHandle = b.handle;
        NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, ANY_CANCEL_ID);
        list.push(nbl);
        b.outstanding.add(nbl);
      }
      b.sent += list.length;
      const head = chain(list);
      if (head !== null) NdisSendNetBufferLists(b.handle, head, 0, 0);
      return list.length;
    },
    returnHeld,
    request(b, request) {
      if (b.handle === undefined) return NDIS_STATUS_FAILURE;
      b.oidsPending.add(request);
      const status = NdisOidRequest(b.handle, request);
      if (status !== NDIS_STATUS_PENDING) b.oidsPending.delete(request);
      return status;
    },
    module: {
      DriverEntry: (DriverObject: DRIVER_OBJECT) => {
        const out: Out<NDIS_HANDLE> = {};
        const status = NdisRegisterProtocolDriver(undefined, chars, out);
        protocolHandle = out.value;
        // Made first and then stored, not written as `DriverObject.DriverUnload = () => …`: V8
        // allocates a function written straight into a property in the old generation, where it
        // would keep this run's objects (through its scope) alive past every scavenge.
        const unload = (): void => {
          if (protocolHandle !== undefined) NdisDeregisterProtocolDriver(protocolHandle);
        };
        DriverObject.DriverUnload = unload;
        return status;
      },
    },
  };
}
