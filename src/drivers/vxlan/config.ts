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
 * | *InterruptModeration | Integer | 1   | 1: receives of one socket wakeup indicated as one chain; 0: each at once |
 */
import { isIPv4 } from "node:net";
import {
  type NDIS_HANDLE,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisCloseConfiguration,
  NdisReadNetworkAddress,
  type Out,
} from "../../ddi.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import type { VxlanConfig } from "./adapter.js";

export const VXLAN_PORT = 4789;
export const DEFAULT_MTU = 1450;

/** The configuration and MAC address, or why the parameters are unusable. */
export type ConfigResult =
  | { readonly ok: true; readonly config: VxlanConfig; readonly address: Uint8Array | null }
  | { readonly ok: false; readonly status: NDIS_STATUS; readonly why: string };

/**
 * Reads the adapter's parameters through `MiniportAdapterHandle`. The configuration handle is
 * closed before this returns, as it must be before MiniportInitializeEx returns.
 */
export function readConfig(MiniportAdapterHandle: NDIS_HANDLE, failure: NDIS_STATUS): ConfigResult {
  const opened = openConfiguration(MiniportAdapterHandle);
  if (!("handle" in opened))
    return { ok: false, status: opened.status, why: "NdisOpenConfigurationEx failed" };
  const h = opened.handle;
  try {
    const local = readString(h, "LocalAddress")?.trim() ?? "0.0.0.0";
    const remote = readString(h, "RemoteAddress")?.trim() ?? null;
    const problems: string[] = [];
    if (!isIPv4(local)) problems.push(`LocalAddress "${local}" is not an IPv4 address`);
    if (remote === null) problems.push("RemoteAddress is missing");
    else if (!isIPv4(remote)) problems.push(`RemoteAddress "${remote}" is not an IPv4 address`);
    const numbers = {
      LocalPort: readInteger(h, "LocalPort", VXLAN_PORT, 0, 65535),
      RemotePort: readInteger(h, "RemotePort", VXLAN_PORT, 1, 65535),
      // -1: absent (a VNI has no default).
      VNI: readInteger(h, "VNI", -1, 0, 0xffffff),
      MTU: readInteger(h, "MTU", DEFAULT_MTU, 68, 9000),
      AcceptInnerVlan: readInteger(h, "AcceptInnerVlan", 0, 0, 1),
      ReceiveBuffers: readInteger(h, "ReceiveBuffers", 256, 1, 65536),
      // The standardized keyword (0 disabled, 1 enabled) NIC INFs declare.
      InterruptModeration: readInteger(h, "*InterruptModeration", 1, 0, 1),
    };
    for (const value of Object.values(numbers))
      if (typeof value !== "number") problems.push(value.bad);
    if (numbers.VNI === -1) problems.push("VNI is missing");
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
        InterruptModeration: n.InterruptModeration === 1,
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
