/**
 * A Linux network namespace with a kernel VXLAN device, for tests that talk to real Linux over
 * our VXLAN miniport:
 *
 *   root namespace (this process)              namespace `ns`
 *   Node socket 169.254.X.Y+1:4789 ── veth ── 169.254.X.Y+2  vx0 (VNI, 198.51.100.1/24)
 *
 * The kernel VXLAN device binds 0.0.0.0:4789 inside its namespace, so the Node socket must live
 * on the other end of the veth pair. IPv6 is off on every test interface, so that the only
 * traffic is what the test makes. Names carry the process id; addresses come only from
 * 169.254.0.0/16 (underlay) and 198.51.100.0/24 (hosts). `destroy()` deletes the namespace, and
 * with it the veth pair and the VXLAN device; it also runs at process exit if a test forgot.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import type { RegistryValue } from "../../src/index.js";

export interface VxlanNamespace {
  /** The namespace's name. */
  readonly ns: string;
  /** The veth end in the root namespace (the Node socket's side). */
  readonly rootLink: string;
  /** The veth end inside the namespace. */
  readonly nsLink: string;
  /** Underlay address of the Node side (bind the VXLAN miniport's socket here). */
  readonly nodeAddress: string;
  /** Underlay address of the namespace side (the kernel VTEP, the miniport's RemoteAddress). */
  readonly nsAddress: string;
  readonly vni: number;
  readonly port: number;
  /** The kernel's overlay address: 198.51.100.1. */
  readonly linuxAddress: string;
  /** The VXLAN device's name in the namespace. */
  readonly vxlanLink: string;
  /** The VXLAN device's MAC address. */
  readonly vxlanMac: string;
  /** Runs a command inside the namespace and resolves with its output (rejects on failure). */
  run(command: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** Runs a command inside the namespace synchronously; returns stdout. */
  runSync(command: readonly string[]): string;
  destroy(): void;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const live = new Set<string>();
let exitHook = false;
let counter = 0;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function deleteNamespace(ns: string): void {
  try {
    ip("netns", "del", ns);
  } catch {
    // Already gone.
  }
  live.delete(ns);
}

let skipReason: string | null | undefined;

/**
 * Why network tests cannot run here (not root, no `ip netns`), or null when they can. Probes once
 * by creating and deleting a namespace.
 */
export function netnsSkipReason(): string | null {
  if (skipReason !== undefined) return skipReason;
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    skipReason = "network tests need root (ip netns add); skipped";
    return skipReason;
  }
  const probe = `ndisprobe${process.pid}`;
  try {
    ip("netns", "add", probe);
    skipReason = null;
  } catch (error) {
    skipReason = `ip netns add failed (${String(error).split("\n")[0]}); network tests skipped`;
  } finally {
    deleteNamespace(probe);
  }
  return skipReason;
}

/** Namespaces still alive are deleted at exit, and when the run is killed by SIGINT/SIGTERM. */
function cleanUpAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  const cleanup = () => {
    for (const name of [...live]) deleteNamespace(name);
  };
  process.on("exit", cleanup);
  // A test run killed by a signal still removes its namespaces, then dies of that signal.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

/** A /30 of 169.254.0.0/16 that no interface on this machine uses. */
function freeUnderlay(): { node: string; ns: string } {
  const used = ip("-4", "-o", "addr", "show");
  const third = 100 + (process.pid % 100);
  for (let k = 0; k < 64; k++) {
    const base = 4 * ((counter * 7 + k) % 64);
    const node = `169.254.${third}.${base + 1}`;
    const ns = `169.254.${third}.${base + 2}`;
    if (!used.includes(`${node}/`) && !used.includes(`${ns}/`)) return { node, ns };
  }
  throw new Error(`no free /30 in 169.254.${third}.0/24`);
}

/** Creates the namespace, veth pair and kernel VXLAN device. Throws (after cleaning up) on failure. */
export function createVxlanNamespace(options: { vni: number; port?: number }): VxlanNamespace {
  const n = counter++;
  const tag = `${process.pid}${n}`;
  const ns = `ndisvx${tag}`;
  const rootLink = `nvr${tag}`;
  const nsLink = `nvn${tag}`;
  const port = options.port ?? 4789;
  const { node, ns: nsAddress } = freeUnderlay();
  cleanUpAtExit();
  const inNs = (...args: string[]) => ip("-n", ns, ...args);
  try {
    ip("netns", "add", ns);
    live.add(ns);
    ip("link", "add", rootLink, "type", "veth", "peer", "name", nsLink, "netns", ns);
    execFileSync("sysctl", ["-qw", `net.ipv6.conf.${rootLink}.disable_ipv6=1`]);
    ip("addr", "add", `${node}/30`, "dev", rootLink);
    ip("link", "set", rootLink, "up");
    const sysctl = (key: string) =>
      execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", `${key}=1`]);
    sysctl("net.ipv6.conf.all.disable_ipv6");
    sysctl("net.ipv6.conf.default.disable_ipv6");
    inNs("link", "set", "lo", "up");
    inNs("addr", "add", `${nsAddress}/30`, "dev", nsLink);
    inNs("link", "set", nsLink, "up");
    inNs(
      "link",
      "add",
      "vx0",
      "type",
      "vxlan",
      "id",
      String(options.vni),
      "remote",
      node,
      "local",
      nsAddress,
      "dstport",
      String(port),
      "dev",
      nsLink,
    );
    inNs("addr", "add", "198.51.100.1/24", "dev", "vx0");
    inNs("link", "set", "vx0", "up");
  } catch (error) {
    deleteNamespace(ns);
    throw error;
  }
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(inNs("link", "show", "vx0"))?.[1] ?? "";
  return {
    ns,
    rootLink,
    nsLink,
    nodeAddress: node,
    nsAddress,
    vni: options.vni,
    port,
    linuxAddress: "198.51.100.1",
    vxlanLink: "vx0",
    vxlanMac: mac,
    ...commandsIn(ns, rootLink),
  };
}

/** `run`, `runSync` and `destroy` for namespace `ns` whose veth pair has `rootLink` outside it. */
function commandsIn(
  ns: string,
  rootLink: string,
): Pick<VxlanNamespace, "run" | "runSync" | "destroy"> {
  return {
    run: (command, timeoutMs = 30_000) => runIn(ns, command, timeoutMs),
    runSync: (command) =>
      execFileSync("ip", ["netns", "exec", ns, ...command], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    destroy: () => {
      // Deleting the root end first removes the pair at once (a namespace dies asynchronously),
      // and with it any macvtap made over it.
      try {
        ip("link", "del", rootLink);
      } catch {
        // Already gone.
      }
      deleteNamespace(ns);
    },
  };
}

/**
 * A namespace for the tap miniport: a veth pair whose root end (`rootLink`, up, no address, no
 * IPv6) is the parent a macvtap is made over, and whose other end (`nsLink`) is Linux at
 * 198.51.100.1/24 in the namespace:
 *
 *   root namespace (this process)                         namespace `ns`
 *   /dev/tapN ── macvtap over rootLink ── veth ── nsLink 198.51.100.1/24 (ping, the kernel)
 *
 * `macvtapName` is a free interface name for the test's macvtap link (made by the miniport with
 * Parent = rootLink, or by `createMacvtap`).
 */
export interface TapNamespace {
  readonly ns: string;
  readonly rootLink: string;
  readonly nsLink: string;
  readonly macvtapName: string;
  /** Linux's address in the namespace: 198.51.100.1. */
  readonly linuxAddress: string;
  run(command: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  runSync(command: readonly string[]): string;
  destroy(): void;
}

export function createTapNamespace(options: { mtu?: number } = {}): TapNamespace {
  const tag = `${process.pid}${counter++}`;
  const ns = `ndistp${tag}`;
  const rootLink = `ntr${tag}`;
  const nsLink = `ntn${tag}`;
  cleanUpAtExit();
  const inNs = (...args: string[]) => ip("-n", ns, ...args);
  try {
    ip("netns", "add", ns);
    live.add(ns);
    ip("link", "add", rootLink, "type", "veth", "peer", "name", nsLink, "netns", ns);
    execFileSync("sysctl", ["-qw", `net.ipv6.conf.${rootLink}.disable_ipv6=1`]);
    if (options.mtu !== undefined) {
      ip("link", "set", rootLink, "mtu", String(options.mtu));
      inNs("link", "set", nsLink, "mtu", String(options.mtu));
    }
    ip("link", "set", rootLink, "up");
    const sysctl = (key: string) =>
      execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", `${key}=1`]);
    sysctl("net.ipv6.conf.all.disable_ipv6");
    sysctl("net.ipv6.conf.default.disable_ipv6");
    inNs("link", "set", "lo", "up");
    inNs("addr", "add", "198.51.100.1/24", "dev", nsLink);
    inNs("link", "set", nsLink, "up");
  } catch (error) {
    try {
      ip("link", "del", rootLink);
    } catch {
      // Never made.
    }
    deleteNamespace(ns);
    throw error;
  }
  return {
    ns,
    rootLink,
    nsLink,
    macvtapName: `ntm${tag}`,
    linuxAddress: "198.51.100.1",
    ...commandsIn(ns, rootLink),
  };
}

/**
 * Makes the macvtap `net.macvtapName` over `net.rootLink` (bridge mode, up, no IPv6) and its
 * device node in `directory`, as a user would before pointing the miniport's Device at it.
 * Returns the node's path and the link's MAC address. The node goes with `removeMacvtap`.
 */
export function createMacvtap(
  net: TapNamespace,
  directory: string,
): { device: string; mac: string } {
  const link = net.macvtapName;
  ip("link", "add", "link", net.rootLink, "name", link, "type", "macvtap", "mode", "bridge");
  execFileSync("sysctl", ["-qw", `net.ipv6.conf.${link}.disable_ipv6=1`]);
  ip("link", "set", link, "up");
  const sys = (attribute: string) =>
    readFileSync(`/sys/class/net/${link}/${attribute}`, "utf8").trim();
  const index = sys("ifindex");
  const [major, minor] = sys(`macvtap/tap${index}/dev`).split(":");
  const device = `${directory}/tap${index}`;
  execFileSync("mknod", ["-m", "600", device, "c", String(major), String(minor)]);
  return { device, mac: sys("address") };
}

export function removeMacvtap(net: TapNamespace, device: string): void {
  rmSync(device, { force: true });
  try {
    ip("link", "del", net.macvtapName);
  } catch {
    // Gone with the veth pair already.
  }
}

/** Runs `command` in `ns` without blocking the event loop (our stack must answer meanwhile). */
export function runIn(
  ns: string,
  command: readonly string[],
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, ...command], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command.join(" ")} in ${ns} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The registry of our VXLAN miniport's adapter on the Node side of `net`'s tunnel (its underlay
 * address, the kernel VTEP as the remote, the namespace's VNI), with `extra` on top.
 */
export function vxlanRegistry(
  net: VxlanNamespace,
  extra: Readonly<Record<string, RegistryValue>> = {},
): Record<string, RegistryValue> {
  return { LocalAddress: net.nodeAddress, RemoteAddress: net.nsAddress, VNI: net.vni, ...extra };
}
