/**
 * ipv4-host: a minimal IPv4 host as an NDIS 6 protocol driver — what tcpip.sys is to Windows, cut
 * down to ARP, ICMP echo (answering and pinging) and a UDP echo port. It binds to the adapters the
 * host's binding paths name and reads its per-binding parameters from the binding's registry:
 *
 * | keyword          | type    | default | meaning                                                   |
 * | ---------------- | ------- | ------- | --------------------------------------------------------- |
 * | `IPAddress`      | string  | —       | required: the interface's address; without one the bind is refused |
 * | `PrefixLength`   | integer | 24      | 0..32                                                     |
 * | `UdpEchoPort`    | integer | none    | datagrams to this port are sent back to their source      |
 * | `PingTarget`     | string  | none    | an on-link address to send echo requests to while running |
 * | `PingCount`      | integer | 0       | echo requests to send; 0 = for as long as it runs         |
 * | `PingIntervalMs` | integer | 1000    | time between two echo requests (or ARP requests)           |
 * | `ArpCacheLife`   | integer | 120     | seconds an ARP entry is believed (1..86400); then asked again |
 *
 * Node sees its interfaces through `ipv4HostInterfaces(driverObject)` (keyed by the DRIVER_OBJECT
 * that `host.loadDriver` returns, so several hosts in one process never mix).
 */
import {
  type DRIVER_OBJECT,
  type NDIS_HANDLE,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../ddi.js";
import { formatMac } from "../../net/ethernet.js";
import { formatIPv4 } from "../../net/ipv4.js";
import { protocolCharacteristicsHeader, targetVersion } from "../shared/revisions.js";
import {
  createGlobals,
  forgetGlobals,
  globalsOf,
  type IF,
  type IfPhase,
  type Ipv4BindRefusal,
  type Ipv4InterfaceCounters,
} from "./globals.js";
import {
  PtBindAdapter,
  PtCloseAdapterComplete,
  PtNetPnPEvent,
  PtOidRequestComplete,
  PtOpenAdapterComplete,
  PtStatus,
  PtUnbindAdapter,
} from "./protocol.js";
import { PtReceiveNetBufferLists, PtSendNetBufferListsComplete } from "./stack.js";

export type { Ipv4BindRefusal, Ipv4InterfaceCounters } from "./globals.js";

/** What Node sees of one ipv4-host interface (a snapshot). */
export interface Ipv4InterfaceInfo {
  /** The adapter the binding is on. */
  readonly adapterName: string;
  /** "198.51.100.1", or null until the parameters are read. */
  readonly address: string | null;
  readonly prefixLength: number | null;
  /** "02-00-00-00-00-01". */
  readonly mac: string;
  readonly state: IfPhase;
  readonly linkUp: boolean;
  readonly udpEchoPort: number | null;
  readonly pingTarget: string | null;
  readonly arpCache: readonly { readonly address: string; readonly mac: string }[];
  /** Round-trip times of answered echo requests, oldest first (see stack.ts for how measured). */
  readonly rttsMs: readonly number[];
  readonly counters: Readonly<Ipv4InterfaceCounters>;
}

function describe(ifc: IF): Ipv4InterfaceInfo {
  const p = ifc.Params;
  return {
    adapterName: ifc.BindParameters.AdapterName,
    address: p === null ? null : formatIPv4(p.Address),
    prefixLength: p?.PrefixLength ?? null,
    mac: formatMac(ifc.Mac),
    state: ifc.Phase,
    linkUp: ifc.LinkUp,
    udpEchoPort: p?.UdpEchoPort ?? null,
    pingTarget: p === null || p.PingTarget === null ? null : formatIPv4(p.PingTarget),
    arpCache: [...ifc.ArpCache].map(([address, entry]) => ({
      address: formatIPv4(address),
      mac: formatMac(entry.mac),
    })),
    rttsMs: [...ifc.RttsMs],
    counters: { ...ifc.Counters },
  };
}

/** The interfaces of the ipv4-host loaded as `driverObject` ([] when it is not loaded). */
export function ipv4HostInterfaces(driverObject: DRIVER_OBJECT): readonly Ipv4InterfaceInfo[] {
  return globalsOf(driverObject)?.Interfaces.map(describe) ?? [];
}

/** The binds it refused, and why (the most recent 64). */
export function ipv4HostRefusals(driverObject: DRIVER_OBJECT): readonly Ipv4BindRefusal[] {
  return [...(globalsOf(driverObject)?.Refusals ?? [])];
}

/** The protocol registers under the driver's service name, the last part of RegistryPath. */
function serviceName(RegistryPath: string): string {
  return RegistryPath.slice(RegistryPath.lastIndexOf("\\") + 1) || "ipv4-host";
}

/** DriverUnload: every binding is gone by now; deregister the protocol. */
function DriverUnload(DriverObject: DRIVER_OBJECT): void {
  const globals = globalsOf(DriverObject);
  if (globals?.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
  forgetGlobals(DriverObject);
}

/** DriverEntry: registers the protocol edge as the running NDIS version (at most 6.89). */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  const version = targetVersion();
  const globals = createGlobals(DriverObject);
  const chars: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS = {
    Header: protocolCharacteristicsHeader(version),
    MajorNdisVersion: 6,
    MinorNdisVersion: version & 0xffff,
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
  const handle: Out<NDIS_HANDLE> = {};
  const status = NdisRegisterProtocolDriver(globals, chars, handle);
  if (status !== NDIS_STATUS_SUCCESS || handle.value === undefined) {
    forgetGlobals(DriverObject);
    return status;
  }
  globals.ProtocolHandle = handle.value;
  DriverObject.DriverUnload = DriverUnload;
  return NDIS_STATUS_SUCCESS;
}
