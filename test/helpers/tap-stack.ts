/**
 * The interop stack of the tap tests and benchmark: our tap miniport (adapter `tap0`, by default
 * creating the macvtap over a `TapNamespace`'s root veth end), the passthrough IM driver over it
 * (`tap0-pt`), and ipv4-host on top answering 198.51.100.2 (ARP, ICMP echo, UDP echo on port 7).
 * Linux in the namespace is 198.51.100.1 on the other end of the veth pair.
 */
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as tap from "../../src/drivers/tap/index.js";
import { type DRIVER_OBJECT, NdisHost, type RegistryValue } from "../../src/index.js";
import type { TapNamespace } from "./netns.js";
import { STACK_ADDRESS, teardownStack, UDP_ECHO_PORT, waitFor } from "./vxlan-stack.js";

export { STACK_ADDRESS, UDP_ECHO_PORT };

/**
 * A Linux UDP client for `node -e` in the namespace: sends `text` to the stack's echo port and
 * prints "address:port reply" (or "no reply" within 3 s, exit 2).
 */
export const udpEchoClient = (text: string): string => `
const s = require("node:dgram").createSocket("udp4");
const timer = setTimeout(() => { console.log("no reply"); process.exit(2); }, 3000);
s.on("message", (m, r) => { console.log(r.address + ":" + r.port + " " + m); clearTimeout(timer); s.close(); });
s.send(${JSON.stringify(text)}, ${UDP_ECHO_PORT}, "${STACK_ADDRESS}");`;

export interface TapStack {
  readonly host: NdisHost;
  readonly tapDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  /** The tap adapter's info (throws when it is gone). */
  tap(): tap.TapAdapterInfo;
  ipv4(): ipv4host.Ipv4InterfaceInfo;
  /** Removes the adapter (if still there) and unloads every driver, in NDIS order. */
  teardown(): Promise<void>;
}

/** The registry that makes the miniport create `net.macvtapName` over `net.rootLink`. */
export function tapRegistry(
  net: TapNamespace,
  extra: Readonly<Record<string, RegistryValue>> = {},
): Record<string, RegistryValue> {
  return { Parent: net.rootLink, Link: net.macvtapName, ...extra };
}

/** Loads and starts the stack; resolves once the link is up and ipv4-host is running. */
export async function startTapStack(
  net: TapNamespace,
  options: { registry?: Record<string, RegistryValue>; host?: NdisHost } = {},
): Promise<TapStack> {
  const host =
    options.host ??
    new NdisHost({
      bindings: [
        { protocol: "passthrough", adapter: "tap0" },
        {
          protocol: "ipv4-host",
          adapter: "tap0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
  const tapDriver = (await host.loadDriver({ name: "tap", module: tap })).driverObject;
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  const added = await host.addAdapter({
    driver: "tap",
    name: "tap0",
    registry: options.registry ?? tapRegistry(net),
  });
  if (added.state === "Halted")
    throw new Error(`tap0 did not start: ${tap.tapInitErrors(tapDriver).at(-1)}`);
  const stack: TapStack = {
    host,
    tapDriver,
    ipv4Driver,
    tap: () => {
      const [info] = tap.tapAdapters(tapDriver);
      if (info === undefined) throw new Error("no tap adapter");
      return info;
    },
    ipv4: () => {
      const [info] = ipv4host.ipv4HostInterfaces(ipv4Driver);
      if (info === undefined) throw new Error("no ipv4-host interface");
      return info;
    },
    teardown: () => teardownStack(host, ["ipv4-host", "passthrough", "tap"]),
  };
  await waitFor(
    () =>
      tap.tapAdapters(tapDriver)[0]?.linkUp === true &&
      ipv4host.ipv4HostInterfaces(ipv4Driver)[0]?.state === "running" &&
      ipv4host.ipv4HostInterfaces(ipv4Driver)[0]?.linkUp === true,
    5000,
    "the link and ipv4-host to come up",
  );
  return stack;
}
