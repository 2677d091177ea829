/**
 * examples/vxlan-to-linux.yaml, run as a user runs it: the namespace its header comment creates
 * (the same addresses, our own names), the stack file loaded and started as `ndis run` does, and
 * Linux pinging the stack's ipv4-host through the kernel's VXLAN device while ipv4-host pings
 * Linux. Needs root and `ip netns`; skips with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadStackFile, type RunningStack, startStack, stopStack } from "../../src/stack/index.js";
import { netnsSkipReason, runIn } from "../helpers/netns.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/vxlan-to-linux.yaml", import.meta.url));
const NS = `ndisex${process.pid}`;
const ROOT_LINK = `nxr${process.pid}`;
const NS_LINK = `nxn${process.pid}`;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** The example's fixed underlay (169.254.77.0/30) must be free on this machine. */
function skipReason(): string | null {
  const base = netnsSkipReason();
  if (base !== null) return base;
  const used = execFileSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" });
  return used.includes("169.254.77.1/") || used.includes("169.254.77.2/")
    ? "169.254.77.0/30, the example's underlay, is in use on this machine; skipped"
    : null;
}

const skip = skipReason();
let running: RunningStack | undefined;

before(() => {
  if (skip !== null) return;
  // The example's one-liner, with this process's names.
  ip("netns", "add", NS);
  ip("link", "add", ROOT_LINK, "type", "veth", "peer", "name", NS_LINK, "netns", NS);
  execFileSync("sysctl", ["-qw", `net.ipv6.conf.${ROOT_LINK}.disable_ipv6=1`]);
  ip("addr", "add", "169.254.77.1/30", "dev", ROOT_LINK);
  ip("link", "set", ROOT_LINK, "up");
  ip("-n", NS, "addr", "add", "169.254.77.2/30", "dev", NS_LINK);
  ip("-n", NS, "link", "set", NS_LINK, "up");
  ip(
    "-n",
    NS,
    "link",
    "add",
    "vx0",
    "type",
    "vxlan",
    "id",
    "42",
    "local",
    "169.254.77.2",
    "remote",
    "169.254.77.1",
    "dstport",
    "4789",
    "dev",
    NS_LINK,
  );
  execFileSync("ip", ["netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.vx0.disable_ipv6=1"]);
  ip("-n", NS, "addr", "add", "198.51.100.1/24", "dev", "vx0");
  ip("-n", NS, "link", "set", "vx0", "up");
});

after(async () => {
  try {
    if (running !== undefined) await stopStack(running);
  } finally {
    if (skip === null) {
      try {
        ip("netns", "del", NS);
      } catch {
        // already gone
      }
    }
  }
});

async function pingFromLinux(count: number): Promise<string> {
  const ping = ["ping", "-c", String(count), "-i", "0.05", "-W", "2", "198.51.100.2"];
  return (await runIn(NS, ping, 30_000)).stdout;
}

test("the vxlan-to-linux example answers Linux's pings and tears down clean", {
  skip: skip ?? false,
}, async () => {
  const stack = await loadStackFile(EXAMPLE);
  running = await startStack(stack, { verifier: "strict" });
  assert.deepEqual(running.problems, []);
  const host = running.host;
  await waitFor(
    () => host.adapter("vxlan0")?.mediaConnectState === "connected",
    5000,
    "the VXLAN adapter's link to come up",
  );
  const out = await pingFromLinux(5);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.equal(m[2], "5", out);
  const result = await stopStack(running);
  running = undefined;
  assert.deepEqual(result.liveObjects, []);
  assert.deepEqual(
    host.violations.map((v) => v.rule),
    [],
  );
});
