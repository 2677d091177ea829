/**
 * The interop stack of the VXLAN tests and benchmark: our VXLAN miniport (adapter `vxlan0`, its
 * socket on the Node side of a `VxlanNamespace`), the passthrough IM driver over it (`vxlan0-pt`),
 * and ipv4-host on top answering 198.51.100.2 (ARP, ICMP echo, UDP echo on port 7). Linux in the
 * namespace is 198.51.100.1 behind its kernel VXLAN device.
 */
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import { type DRIVER_OBJECT, NdisHost, type RegistryValue } from "../../src/index.js";
import { type VxlanNamespace, vxlanRegistry } from "./netns.js";

export const STACK_ADDRESS = "198.51.100.2";
export const UDP_ECHO_PORT = 7;

export interface VxlanStack {
  readonly host: NdisHost;
  readonly vxlanDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  vxlan(): vxlan.VxlanAdapterInfo;
  ipv4(): ipv4host.Ipv4InterfaceInfo;
  /** Removes the adapter and unloads every driver, in NDIS order. */
  teardown(): Promise<void>;
}

/** Resolves when `check` holds; rejects after `ms`. Polls once per event-loop turn. */
export function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setImmediate(tick);
    };
    tick();
  });
}

/** Removes the physical adapters still there, then unloads `drivers` (in that order) if loaded. */
export async function teardownStack(host: NdisHost, drivers: readonly string[]): Promise<void> {
  for (const a of host.adapters.filter((x) => !x.intermediate)) await host.removeAdapter(a.name);
  for (const name of drivers) if (host.driver(name) !== undefined) await host.unloadDriver(name);
}

/** Loads and starts the stack; resolves once the link is up and ipv4-host is running. */
export async function startVxlanStack(
  net: VxlanNamespace,
  options: { vxlanRegistry?: Record<string, RegistryValue>; host?: NdisHost } = {},
): Promise<VxlanStack> {
  const host =
    options.host ??
    new NdisHost({
      bindings: [
        { protocol: "passthrough", adapter: "vxlan0" },
        {
          protocol: "ipv4-host",
          adapter: "vxlan0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
  const vxlanDriver = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  await host.addAdapter({
    driver: "vxlan",
    name: "vxlan0",
    registry: vxlanRegistry(net, options.vxlanRegistry),
  });
  const stack: VxlanStack = {
    host,
    vxlanDriver,
    ipv4Driver,
    vxlan: () => {
      const [info] = vxlan.vxlanAdapters(vxlanDriver);
      if (info === undefined) throw new Error("no vxlan adapter");
      return info;
    },
    ipv4: () => {
      const [info] = ipv4host.ipv4HostInterfaces(ipv4Driver);
      if (info === undefined) throw new Error("no ipv4-host interface");
      return info;
    },
    teardown: () => teardownStack(host, ["ipv4-host", "passthrough", "vxlan"]),
  };
  await waitFor(
    () =>
      vxlan.vxlanAdapters(vxlanDriver)[0]?.linkUp === true &&
      ipv4host.ipv4HostInterfaces(ipv4Driver)[0]?.state === "running" &&
      ipv4host.ipv4HostInterfaces(ipv4Driver)[0]?.linkUp === true,
    5000,
    "the link and ipv4-host to come up",
  );
  return stack;
}
