/**
 * A scriptable miniport driver for adapter tests: valid attributes by default, any handler
 * replaceable, and a log of what NDIS called with which arguments.
 */
import {
  type DRIVER_OBJECT,
  type DriverModule,
  IF_TYPE_ETHERNET_CSMACD,
  MediaConnectStateConnected,
  MediaDuplexStateFull,
  type NDIS_HANDLE,
  type NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
  type NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  type NDIS_MINIPORT_RESTART_PARAMETERS,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
  type NDIS_OID_REQUEST,
  type NDIS_STATUS,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMIndicateStatusEx,
  NdisMRegisterMiniportDriver,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisRequestSetInformation,
  type NET_BUFFER_LIST,
  NET_IF_ACCESS_BROADCAST,
  NET_IF_CONNECTION_DEDICATED,
  NET_IF_DIRECTION_SENDRECEIVE,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
} from "../../src/index.js";
import { miniportChars } from "./drivers.js";

export function registrationAttributes(
  context: unknown,
  overrides: Partial<Record<keyof NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, unknown>> = {},
): NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
      Revision: 1,
      Size: 28,
    },
    MiniportAdapterContext: context,
    AttributeFlags: 0,
    InterfaceType: 0,
    ...overrides,
  } as NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
}

export function generalAttributes(
  overrides: Partial<Record<keyof NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, unknown>> = {},
): NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
  const mac = Uint8Array.of(2, 0, 0, 0, 0, 0x42);
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
    SupportedPacketFilters: 0,
    MaxMulticastListSize: 32,
    MacAddressLength: 6,
    PermanentMacAddress: mac,
    CurrentMacAddress: mac,
    AccessType: NET_IF_ACCESS_BROADCAST,
    DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
    ConnectionType: NET_IF_CONNECTION_DEDICATED,
    IfType: IF_TYPE_ETHERNET_CSMACD,
    IfConnectorPresent: false,
    ...overrides,
  } as NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
}

/** Per-adapter state a scripted miniport keeps (its MiniportAdapterContext). */
export interface ScriptedAdapter {
  readonly handle: NDIS_HANDLE;
  readonly index: number;
}

export interface Script {
  /** The NDIS minor version the driver registers as (20 unless told). */
  minor?: number;
  /** Replaces the default InitializeEx (which sets both attribute sets). */
  initialize?: (handle: NDIS_HANDLE, params: unknown) => unknown;
  pause?: (adapter: ScriptedAdapter, params: { PauseReason: number }) => unknown;
  restart?: (adapter: ScriptedAdapter, params: NDIS_MINIPORT_RESTART_PARAMETERS) => unknown;
  /** A halt that blocks returns a promise (an `async` handler awaiting NdisWaitEvent). */
  halt?: (adapter: ScriptedAdapter, action: number) => unknown;
  shutdown?: (adapter: ScriptedAdapter, action: number) => void;
  pnp?: (adapter: ScriptedAdapter, event: { DevicePnPEvent: number }) => void;
  /** Registration attribute flags the default InitializeEx sets. */
  attributeFlags?: number;
  /** General attributes the default InitializeEx sets over `generalAttributes()`'s. */
  general?: Partial<Record<keyof NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, unknown>>;
  /** MiniportSendNetBufferLists; the default completes every NBL at once with SUCCESS. */
  send?: (adapter: ScriptedAdapter, nbls: NET_BUFFER_LIST, port: number, flags: number) => void;
  /** MiniportOidRequest; the default answers NDIS_STATUS_NOT_SUPPORTED. */
  oid?: (adapter: ScriptedAdapter, request: NDIS_OID_REQUEST) => unknown;
  /** MiniportCancelOidRequest; the default does nothing. */
  cancelOid?: (adapter: ScriptedAdapter, requestId: unknown) => void;
  /** MiniportCancelSend; the default does nothing. */
  cancel?: (adapter: ScriptedAdapter, cancelId: unknown) => void;
  /** MiniportReturnNetBufferLists; the default only records (see `returned`). */
  returnNbls?: (adapter: ScriptedAdapter, nbls: NET_BUFFER_LIST, flags: number) => void;
  /** MiniportCheckForHangEx; none unless given (then `reset` must be given too). */
  checkForHang?: (adapter: ScriptedAdapter) => boolean;
  /** MiniportResetEx; none unless given. */
  reset?: (adapter: ScriptedAdapter, addressingReset: Out<boolean>) => unknown;
  /** Registration attributes the default InitializeEx sets over the defaults. */
  registration?: Partial<Record<keyof NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, unknown>>;
  /** More characteristics (handlers the default table lacks: the direct OID path…). */
  chars?: Record<string, unknown>;
}

export interface ScriptedMiniport {
  readonly module: DriverModule;
  /** `MiniportPause(eth0)`, … in call order. */
  readonly calls: string[];
  /** Adapter contexts by IfIndex order of creation. */
  readonly adapters: ScriptedAdapter[];
  /** The miniport driver handle NdisMRegisterMiniportDriver gave the driver. */
  driverHandle(): NDIS_HANDLE | undefined;
  /** Every NBL NDIS handed to MiniportSendNetBufferLists, in order. */
  readonly sent: NET_BUFFER_LIST[];
  /** Every NBL NDIS gave back through MiniportReturnNetBufferLists, in order. */
  readonly returned: NET_BUFFER_LIST[];
}

/** A plain (non-IM) miniport driver whose handlers follow `script`, logging each call. */
export function scriptedMiniport(script: Script = {}): ScriptedMiniport {
  const calls: string[] = [];
  const adapters: ScriptedAdapter[] = [];
  const sent: NET_BUFFER_LIST[] = [];
  const returned: NET_BUFFER_LIST[] = [];
  let driverHandle: NDIS_HANDLE | undefined;
  const defaultInit = (handle: NDIS_HANDLE): NDIS_STATUS => {
    const adapter: ScriptedAdapter = { handle, index: adapters.length };
    adapters.push(adapter);
    const status = NdisMSetMiniportAttributes(
      handle,
      registrationAttributes(adapter, {
        AttributeFlags: script.attributeFlags ?? 0,
        ...script.registration,
      }),
    );
    if (status !== NDIS_STATUS_SUCCESS) return status;
    return NdisMSetMiniportAttributes(handle, generalAttributes(script.general));
  };
  const chars = miniportChars({
    Flags: 0,
    Header: { Type: 0x8a, Revision: 2, Size: 152 },
    MinorNdisVersion: script.minor ?? 20,
    InitializeHandlerEx: (handle: NDIS_HANDLE, _ctx: unknown, params: unknown) => {
      calls.push("MiniportInitializeEx");
      return (script.initialize ?? defaultInit)(handle, params);
    },
    PauseHandler: (a: ScriptedAdapter, p: { PauseReason: number }) => {
      calls.push(`MiniportPause(${p.PauseReason})`);
      return script.pause === undefined ? NDIS_STATUS_SUCCESS : script.pause(a, p);
    },
    RestartHandler: (a: ScriptedAdapter, p: NDIS_MINIPORT_RESTART_PARAMETERS) => {
      calls.push("MiniportRestart");
      return script.restart === undefined ? NDIS_STATUS_SUCCESS : script.restart(a, p);
    },
    HaltHandlerEx: (a: ScriptedAdapter, action: number) => {
      calls.push(`MiniportHaltEx(${action})`);
      const running = script.halt?.(a, action);
      return running instanceof Promise ? running : undefined;
    },
    ShutdownHandlerEx: (a: ScriptedAdapter, action: number) => {
      calls.push(`MiniportShutdownEx(${action})`);
      script.shutdown?.(a, action);
    },
    DevicePnPEventNotifyHandler: (a: ScriptedAdapter, e: { DevicePnPEvent: number }) => {
      calls.push(`MiniportDevicePnPEventNotify(${e.DevicePnPEvent})`);
      script.pnp?.(a, e);
    },
    SendNetBufferListsHandler: (
      a: ScriptedAdapter,
      nbls: NET_BUFFER_LIST,
      port: number,
      flags: number,
    ) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) sent.push(n);
      if (script.send !== undefined) return script.send(a, nbls, port, flags);
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next)
        n.Status = NDIS_STATUS_SUCCESS;
      NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
    },
    OidRequestHandler: (a: ScriptedAdapter, request: NDIS_OID_REQUEST) => {
      calls.push(`MiniportOidRequest(${request.DATA.QUERY_INFORMATION.Oid.toString(16)})`);
      if (script.oid !== undefined) return script.oid(a, request);
      // Setting the packet filter and multicast list is mandatory for a miniport.
      const oid = request.DATA.SET_INFORMATION.Oid;
      return request.RequestType === NdisRequestSetInformation &&
        (oid === OID_GEN_CURRENT_PACKET_FILTER || oid === OID_802_3_MULTICAST_LIST)
        ? NDIS_STATUS_SUCCESS
        : NDIS_STATUS_NOT_SUPPORTED;
    },
    CancelOidRequestHandler: (a: ScriptedAdapter, requestId: unknown) => {
      calls.push("MiniportCancelOidRequest");
      script.cancelOid?.(a, requestId);
    },
    CancelSendHandler: (a: ScriptedAdapter, cancelId: unknown) => {
      calls.push("MiniportCancelSend");
      script.cancel?.(a, cancelId);
    },
    ReturnNetBufferListsHandler: (a: ScriptedAdapter, nbls: NET_BUFFER_LIST, flags: number) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) returned.push(n);
      script.returnNbls?.(a, nbls, flags);
    },
    ...(script.checkForHang === undefined
      ? {}
      : {
          CheckForHangHandlerEx: (a: ScriptedAdapter) => {
            calls.push("MiniportCheckForHangEx");
            return script.checkForHang?.(a) ?? false;
          },
        }),
    ...(script.reset === undefined
      ? {}
      : {
          ResetHandlerEx: (a: ScriptedAdapter, addressingReset: Out<boolean>) => {
            calls.push("MiniportResetEx");
            return script.reset?.(a, addressingReset);
          },
        }),
    UnloadHandler: () => {
      calls.push("MiniportDriverUnload");
      if (driverHandle !== undefined) NdisMDeregisterMiniportDriver(driverHandle);
    },
    ...script.chars,
  });
  const module: DriverModule = {
    DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => {
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, out);
      driverHandle = out.value;
      return status;
    },
  };
  return { module, calls, adapters, driverHandle: () => driverHandle, sent, returned };
}

/** The miniport of `adapter` indicates NDIS_STATUS_LINK_STATE (no buffer) up its stack. */
export function indicateLinkState(adapter: NDIS_HANDLE): void {
  NdisMIndicateStatusEx(adapter, {
    Header: { Type: 0x98, Revision: 1, Size: 0 },
    SourceHandle: adapter,
    PortNumber: 0,
    StatusCode: NDIS_STATUS_LINK_STATE,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: null,
    StatusBufferSize: 0,
  });
}
