/**
 * tap miniport, the Linux side: what the driver reads of the macvtap link in sysfs (its ifindex,
 * MAC address, MTU, speed, operstate, the character device's numbers), creating the link and its
 * device node when asked to and removing them again, and opening the device so that libuv polls
 * it.
 *
 * Why the device is polled, not read with fs.read: a read on /dev/tapN blocks until a frame comes.
 * fs.read runs it on one of libuv's four pool threads, so each outstanding read holds a thread
 * for as long as the wire is quiet — the rest of the process's file system work and DNS queue
 * behind it — and a read outstanding when the link is deleted never returns at all (the kernel
 * does not wake it), which keeps the event loop alive for ever. Opened as a pipe stream instead
 * (libuv's uv_pipe_open works on any pollable descriptor; Node reaches it only through
 * `process.binding("pipe_wrap")`, its legacy binding, kept for compatibility), the descriptor is
 * non-blocking and sits in libuv's epoll set like a socket: one wakeup reads every frame waiting
 * (up to 32), nothing blocks, and closing it is immediate. Writes go straight to the descriptor
 * (fs.writeSync/writevSync): a macvtap write hands the frame to the kernel's transmit path and
 * does not wait for the wire.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";

/** A sysfs attribute of `link` (trimmed), or null when it cannot be read (the link is gone). */
export function sysfs(link: string, attribute: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${link}/${attribute}`, "latin1").trim();
  } catch {
    return null;
  }
}

/** The link's operstate: "up", "lowerlayerdown", "down", …, or null when the link is gone. */
export function operState(link: string): string | null {
  return sysfs(link, "operstate");
}

/** Operstates in which frames flow ("unknown": the driver does not report one). */
export function operStateUp(state: string): boolean {
  return state === "up" || state === "unknown";
}

/** A Linux interface name: 1..15 characters, no slash, colon or white space. */
export function validLinkName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== "." && name !== "..";
}

/** What sysfs says about a macvtap link. */
export interface LinkFacts {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  /** bit/s, or null when the link reports no speed. */
  readonly speed: bigint | null;
  /** The character device's major and minor numbers. */
  readonly major: number;
  readonly minor: number;
}

/** The facts of `link`, or why they cannot be had (no such link, not a macvtap). */
export function linkFacts(link: string): LinkFacts | string {
  const ifindex = Number(sysfs(link, "ifindex"));
  if (!Number.isInteger(ifindex) || ifindex <= 0) return `there is no interface ${link}`;
  const dev = sysfs(link, `macvtap/tap${ifindex}/dev`);
  const numbers = dev === null ? null : /^(\d+):(\d+)$/.exec(dev);
  if (numbers === null) return `${link} is not a macvtap interface (no macvtap/tap${ifindex}/dev)`;
  const mac = (sysfs(link, "address") ?? "").split(":").map((h) => Number.parseInt(h, 16));
  if (mac.length !== 6 || mac.some((b) => !(b >= 0 && b <= 255)))
    return `${link} has no Ethernet address`;
  const mtu = Number(sysfs(link, "mtu"));
  // Mb/s; veth and macvtap report 10000, some drivers -1 or nothing.
  const mbps = Number(sysfs(link, "speed"));
  return {
    ifindex,
    mac: Uint8Array.from(mac),
    mtu: Number.isInteger(mtu) && mtu > 0 ? mtu : 1500,
    speed: Number.isInteger(mbps) && mbps > 0 ? BigInt(mbps) * 1_000_000n : null,
    major: Number(numbers[1]),
    minor: Number(numbers[2]),
  };
}

/** The interface whose ifindex is `ifindex` (the N of /dev/tapN), or null. */
export function linkByIndex(ifindex: number): string | null {
  let names: string[];
  try {
    names = readdirSync("/sys/class/net");
  } catch {
    return null;
  }
  return names.find((name) => Number(sysfs(name, "ifindex")) === ifindex) ?? null;
}

/** The device number (rdev) a node must have for the link's character device. */
function rdevOf(facts: LinkFacts): number {
  // Linux's new_encode_dev, as statSync reports st_rdev.
  return (facts.minor & 0xff) | (facts.major << 8) | ((facts.minor & ~0xff) << 12);
}

/** Whether `path` is the character device of the link described by `facts`. */
export function isDeviceOf(path: string, facts: LinkFacts): boolean | string {
  try {
    const st = statSync(path);
    if (!st.isCharacterDevice()) return `${path} is not a character device`;
    return st.rdev === rdevOf(facts);
  } catch (error) {
    return `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}

function run(command: string, args: readonly string[]): string | null {
  try {
    execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    return null;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    return `${command} ${args.join(" ")}: ${stderr === "" ? String(error) : stderr}`;
  }
}

/**
 * Creates the macvtap `link` over `parent` (with `mac` when given), turns Linux's own IPv6 off
 * on it (the link is the NDIS adapter's wire: Linux has nothing to say on it) and brings it up.
 * Null, or why not (the link is removed again on a failure after it was made).
 */
export function createLink(
  link: string,
  parent: string,
  mode: string,
  mac: Uint8Array | null,
): string | null {
  const address =
    mac === null ? [] : ["address", [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":")];
  const failed = run("ip", [
    "link",
    "add",
    "link",
    parent,
    "name",
    link,
    ...address,
    "type",
    "macvtap",
    "mode",
    mode,
  ]);
  if (failed !== null) return failed;
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, "1");
  } catch {
    // No IPv6 in this kernel: nothing to silence.
  }
  const up = run("ip", ["link", "set", link, "up"]);
  if (up !== null) deleteLink(link);
  return up;
}

export function deleteLink(link: string): void {
  run("ip", ["link", "del", link]);
}

/** Sets the link administratively up or down (`ip link set`); null, or why not. */
export function setLinkAdmin(link: string, up: boolean): string | null {
  return run("ip", ["link", "set", link, up ? "up" : "down"]);
}

/** Makes the character device node at `path` (udev would; here there may be none). */
export function makeNode(path: string, facts: LinkFacts): string | null {
  return run("mknod", ["-m", "600", path, "c", String(facts.major), String(facts.minor)]);
}

export function removeNode(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

interface PipeHandle {
  open(fd: number): number;
}
interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

/**
 * The open descriptor `fd` as a polled stream (see the top of this file): 'data' brings one frame
 * per read. Throws when this Node has no pipe binding or libuv refuses the descriptor.
 */
export function pollDevice(fd: number): Socket {
  const binding = (process as unknown as { binding(name: string): PipeBinding }).binding(
    "pipe_wrap",
  );
  const handle = new binding.Pipe(binding.constants.SOCKET);
  const error = handle.open(fd);
  if (error !== 0) throw new Error(`uv_pipe_open failed (${error})`);
  return new Socket({ handle, readable: true, writable: false } as unknown as ConstructorParameters<
    typeof Socket
  >[0]);
}
