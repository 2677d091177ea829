/**
 * tap miniport: reading the adapter's registry parameters at MiniportInitializeEx (the keywords
 * its INF would declare), with NdisOpenConfigurationEx / NdisReadConfiguration /
 * NdisReadNetworkAddress / NdisCloseConfiguration.
 *
 * | keyword              | type    | default        | meaning                                              |
 * | -------------------- | ------- | -------------- | ---------------------------------------------------- |
 * | Device               | String  | —              | an existing macvtap device to open (/dev/tapN)       |
 * | Link                 | String  | see below      | the macvtap interface                                |
 * | Parent               | String  | —              | create the macvtap link over this interface (root)   |
 * | Mode                 | String  | bridge         | the created link's mode: bridge, vepa, private, passthru |
 * | DeviceDirectory      | String  | /dev           | where the created link's device node is made         |
 * | ReceiveBuffers       | Integer | 256            | receive NBLs up the stack at once, 1 … 65536         |
 * | LinkPollMs           | Integer | 100            | how often the link's operstate is read, 10 … 60000   |
 * | NetworkAddress       | String  | the link's MAC | the created link's MAC (ignored for an existing one) |
 * | *InterruptModeration | Integer | 1              | 1: receives of one wakeup indicated in chains        |
 * | ReceiveChain         | Integer | 8              | under moderation, the most frames per chain, 1 … 64  |
 * | InterleaveSends      | Integer | 0              | 1: a wakeup's answers written between its further reads |
 *
 * One of Device, Link or Parent is needed: Device alone opens it (its link is the interface whose
 * ifindex is its N); Link alone opens /dev/tap<ifindex of Link>; Parent creates Link (default
 * `ndistap<IfIndex>`) and its device node, both removed at halt.
 */
import {
  type NDIS_HANDLE,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisCloseConfiguration,
  NdisReadNetworkAddress,
  type Out,
} from "../../ddi.js";
import { openConfiguration, readInteger, readString } from "../shared/config.js";
import { validLinkName } from "./link.js";

export const MODES = ["bridge", "vepa", "private", "passthru"] as const;

/** The parameters as read, before anything on the Linux side is looked at. */
export interface TapParameters {
  readonly Device: string | null;
  readonly Link: string | null;
  readonly Parent: string | null;
  readonly Mode: (typeof MODES)[number];
  readonly DeviceDirectory: string;
  readonly ReceiveBuffers: number;
  readonly LinkPollMs: number;
  readonly InterruptModeration: boolean;
  readonly ReceiveChain: number;
  readonly InterleaveSends: boolean;
  /** NetworkAddress, when present and a unicast 6-byte address. */
  readonly NetworkAddress: Uint8Array | null;
}

export type ParametersResult =
  | { readonly ok: true; readonly parameters: TapParameters }
  | { readonly ok: false; readonly status: NDIS_STATUS; readonly why: string };

/** Reads the adapter's parameters; the configuration handle is closed before this returns. */
export function readParameters(
  MiniportAdapterHandle: NDIS_HANDLE,
  failure: NDIS_STATUS,
): ParametersResult {
  const opened = openConfiguration(MiniportAdapterHandle);
  if (!("handle" in opened))
    return { ok: false, status: opened.status, why: "NdisOpenConfigurationEx failed" };
  const h = opened.handle;
  try {
    const text = (keyword: string) => {
      const value = readString(h, keyword)?.trim() ?? "";
      return value === "" ? null : value;
    };
    const device = text("Device");
    const link = text("Link");
    const parent = text("Parent");
    const mode = text("Mode") ?? "bridge";
    const directory = text("DeviceDirectory") ?? "/dev";
    const problems: string[] = [];
    if (device === null && link === null && parent === null)
      problems.push(
        "one of Device (an existing /dev/tapN), Link or Parent (to create one) is needed",
      );
    if (device !== null && parent !== null)
      problems.push("Device and Parent exclude each other (Parent creates the device)");
    if (device !== null && !device.startsWith("/"))
      problems.push(`Device "${device}" is not an absolute path`);
    if (link !== null && !validLinkName(link))
      problems.push(`Link "${link}" is not an interface name (1-15 letters, digits, _ . -)`);
    if (parent !== null && !validLinkName(parent))
      problems.push(`Parent "${parent}" is not an interface name`);
    if (!(MODES as readonly string[]).includes(mode))
      problems.push(`Mode "${mode}" is not one of ${MODES.join(", ")}`);
    if (!directory.startsWith("/"))
      problems.push(`DeviceDirectory "${directory}" is not an absolute path`);
    const numbers = {
      ReceiveBuffers: readInteger(h, "ReceiveBuffers", 256, 1, 65536),
      LinkPollMs: readInteger(h, "LinkPollMs", 100, 10, 60000),
      InterruptModeration: readInteger(h, "*InterruptModeration", 1, 0, 1),
      ReceiveChain: readInteger(h, "ReceiveChain", 8, 1, 64),
      InterleaveSends: readInteger(h, "InterleaveSends", 0, 0, 1),
    };
    for (const value of Object.values(numbers))
      if (typeof value !== "number") problems.push(value.bad);
    if (problems.length > 0) return { ok: false, status: failure, why: problems.join("; ") };
    const n = numbers as Record<keyof typeof numbers, number>;
    const address: Out<Uint8Array | null> = {};
    const length: Out<number> = {};
    const status: Out<NDIS_STATUS> = {};
    NdisReadNetworkAddress(status, address, length, h);
    const mac =
      status.value === NDIS_STATUS_SUCCESS && length.value === 6 && address.value != null
        ? address.value
        : null;
    return {
      ok: true,
      parameters: {
        Device: device,
        Link: link,
        Parent: parent,
        Mode: mode as TapParameters["Mode"],
        DeviceDirectory: directory,
        ReceiveBuffers: n.ReceiveBuffers,
        LinkPollMs: n.LinkPollMs,
        InterruptModeration: n.InterruptModeration === 1,
        ReceiveChain: n.ReceiveChain,
        InterleaveSends: n.InterleaveSends === 1,
        // A multicast NetworkAddress is ignored, as NIC drivers do.
        NetworkAddress: mac !== null && ((mac[0] as number) & 1) === 0 ? mac : null,
      },
    };
  } finally {
    NdisCloseConfiguration(h);
  }
}
