/**
 * VXLAN miniport: reading the adapter's registry parameters (the keywords its INF would declare)
 * at MiniportInitializeEx, with NdisOpenConfigurationEx / NdisReadConfiguration /
 * NdisReadNetworkAddress / NdisCloseConfiguration.
 *
 * | keyword         | type    | default  | meaning                                             |
 * | --------------- | ------- | -------- | --------------------------------------------------- |
 * | LocalAddress    | String  | 0.0.0.0  | IPv4 address the UDP socket binds                   |
 * | LocalPort       | Integer | 4789     | UDP port the socket binds                           |
 * | RemoteAddress   | String  | required | the peer VTEP: frames go there, only its datagrams are accepted |
 * | RemotePort      | Integer | 4789     | the peer VTEP's UDP port                            |
 * | VNI             | Integer | required | VXLAN network identifier, 0 … 16777215              |
 * | MTU             | Integer | 1450     | 68 … 9000                                           |
 * | AcceptInnerVlan | Integer | 0        | 1: pass inner frames with an 802.1Q tag up          |
 * | ReceiveBuffers  | Integer | 256      | receive NBLs up the stack at once, 1 … 65536        |
 * | NetworkAddress  | String  | —        | the MAC address (else 02-56-58 + the IfIndex)       |
 */
import { isIPv4 } from "node:net";
import {
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisCloseConfiguration,
  NdisOpenConfigurationEx,
  NdisParameterInteger,
  NdisParameterString,
  NdisReadConfiguration,
  NdisReadNetworkAddress,
  type Out,
} from "../../ddi.js";
import type { VxlanConfig } from "./adapter.js";

export const VXLAN_PORT = 4789;
export const DEFAULT_MTU = 1450;

/** The configuration and MAC address, or why the parameters are unusable. */
export type ConfigResult =
  | { readonly ok: true; readonly config: VxlanConfig; readonly address: Uint8Array | null }
  | { readonly ok: false; readonly status: NDIS_STATUS; readonly why: string };

function readInteger(handle: NDIS_HANDLE, keyword: string): number | null {
  const status: Out<NDIS_STATUS> = {};
  const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
  NdisReadConfiguration(status, value, handle, keyword, NdisParameterInteger);
  if (status.value !== NDIS_STATUS_SUCCESS || value.value == null) return null;
  return value.value.ParameterData.IntegerData;
}

function readString(handle: NDIS_HANDLE, keyword: string): string | null {
  const status: Out<NDIS_STATUS> = {};
  const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
  NdisReadConfiguration(status, value, handle, keyword, NdisParameterString);
  if (status.value !== NDIS_STATUS_SUCCESS || value.value == null) return null;
  return value.value.ParameterData.StringData.trim();
}

/** A keyword that is present must be valid; an absent one takes its default. */
function inRange(
  name: string,
  value: number | null,
  fallback: number | null,
  min: number,
  max: number,
): number | string {
  if (value === null) return fallback ?? `${name} is missing`;
  if (!Number.isInteger(value) || value < min || value > max)
    return `${name} ${value} is not ${min} … ${max}`;
  return value;
}

/**
 * Reads the adapter's parameters through `MiniportAdapterHandle`. The configuration handle is
 * closed before this returns, as it must be before MiniportInitializeEx returns.
 */
export function readConfig(MiniportAdapterHandle: NDIS_HANDLE, failure: NDIS_STATUS): ConfigResult {
  const handle: Out<NDIS_HANDLE> = {};
  const opened = NdisOpenConfigurationEx(
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
        Revision: NDIS_CONFIGURATION_OBJECT_REVISION_1,
        Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
      },
      NdisHandle: MiniportAdapterHandle,
      Flags: 0,
    },
    handle,
  );
  if (opened !== NDIS_STATUS_SUCCESS || handle.value === undefined)
    return { ok: false, status: opened, why: "NdisOpenConfigurationEx failed" };
  const h = handle.value;
  try {
    const local = readString(h, "LocalAddress") ?? "0.0.0.0";
    const remote = readString(h, "RemoteAddress");
    const problems: string[] = [];
    if (!isIPv4(local)) problems.push(`LocalAddress "${local}" is not an IPv4 address`);
    if (remote === null) problems.push("RemoteAddress is missing");
    else if (!isIPv4(remote)) problems.push(`RemoteAddress "${remote}" is not an IPv4 address`);
    const numbers = {
      LocalPort: inRange("LocalPort", readInteger(h, "LocalPort"), VXLAN_PORT, 0, 65535),
      RemotePort: inRange("RemotePort", readInteger(h, "RemotePort"), VXLAN_PORT, 1, 65535),
      VNI: inRange("VNI", readInteger(h, "VNI"), null, 0, 0xffffff),
      MTU: inRange("MTU", readInteger(h, "MTU"), DEFAULT_MTU, 68, 9000),
      AcceptInnerVlan: inRange("AcceptInnerVlan", readInteger(h, "AcceptInnerVlan"), 0, 0, 1),
      ReceiveBuffers: inRange("ReceiveBuffers", readInteger(h, "ReceiveBuffers"), 256, 1, 65536),
    };
    for (const value of Object.values(numbers)) if (typeof value === "string") problems.push(value);
    if (problems.length > 0 || remote === null)
      return { ok: false, status: failure, why: problems.join("; ") };
    const n = numbers as Record<keyof typeof numbers, number>;
    const address: Out<Uint8Array | null> = {};
    const length: Out<number> = {};
    const status: Out<NDIS_STATUS> = {};
    NdisReadNetworkAddress(status, address, length, h);
    return {
      ok: true,
      config: {
        LocalAddress: local,
        LocalPort: n.LocalPort,
        RemoteAddress: remote,
        RemotePort: n.RemotePort,
        VNI: n.VNI,
        MTU: n.MTU,
        AcceptInnerVlan: n.AcceptInnerVlan === 1,
        ReceiveBuffers: n.ReceiveBuffers,
      },
      address:
        status.value === NDIS_STATUS_SUCCESS && length.value === 6 && address.value != null
          ? address.value
          : null,
    };
  } finally {
    NdisCloseConfiguration(h);
  }
}

/** The locally administered MAC address an adapter without NetworkAddress gets: 02-56-58-IfIndex. */
export function defaultAddress(IfIndex: number): Uint8Array {
  return Uint8Array.of(
    0x02,
    0x56,
    0x58,
    (IfIndex >>> 16) & 0xff,
    (IfIndex >>> 8) & 0xff,
    IfIndex & 0xff,
  );
}
