/**
 * The team driver against real Linux: two VXLAN links between our stack and a namespace, teamed
 * on our side, bridged on Linux's.
 *
 *   root namespace (this process)                        namespace ndistm<pid>
 *   ipv4-host 198.51.100.2                               br0 198.51.100.1 (Linux bridge, no STP)
 *     └ team0 (active-backup, ARP monitor)                ├ vxA (VNI 4301) ── nA 169.254.Y.2 ─┐
 *         ├ vxA (VXLAN miniport, 169.254.Y.1) ─ veth ────────────────────────────────────────┘
 *         └ vxB (VXLAN miniport, 169.254.Y.5) ─ veth ── nB 169.254.Y.6 ── vxB (VNI 4302) ─ br0
 *
 * Why a bridge and not a Linux bond on that side: the bridge is the switch a teamed server hangs
 * off — it learns where the team's MAC lives and keeps sending there until told otherwise, which
 * is exactly what the team's gratuitous ARP on failover is for. A bond there would be a second
 * team deciding on its own, and a kernel VXLAN device has no carrier to tell it anything.
 *
 * The test cuts the active link on Linux's side (`ip link set nA down`, the underlay of vxA) in
 * the middle of a `ping -i 0.05` from Linux. Our VXLAN adapter's own link stays up (its socket is
 * fine), so only ARP monitoring can see it: failover within (ArpMissedMax + 1) × ArpIntervalMs,
 * measured, and the echoes lost bounded by it. Needs root; skipped with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import { ipv4HostInterfaces } from "../../src/drivers/ipv4-host/index.js";
import * as team from "../../src/drivers/team/index.js";
import { teamOf } from "../../src/drivers/team/index.js";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import { vxlanAdapters } from "../../src/drivers/vxlan/index.js";
import { type DRIVER_OBJECT, NdisHost } from "../../src/index.js";
import { netnsSkipReason } from "../helpers/netns.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();
const ARP_INTERVAL_MS = 100;
const ARP_MISSED_MAX = 2;
const DETECTION_MS = (ARP_MISSED_MAX + 1) * ARP_INTERVAL_MS;
const PING_INTERVAL_MS = 50;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

interface TwoLinks {
  readonly ns: string;
  readonly a: { readonly node: string; readonly linux: string; readonly nsLink: string };
  readonly b: { readonly node: string; readonly linux: string; readonly nsLink: string };
  destroy(): void;
}

/**
 * Two /30s of 169.254.0.0/16 no interface here uses, in 169.254.200-249.x: the VXLAN tests'
 * helper takes 169.254.100-199.x, and test files run in parallel processes.
 */
function freeUnderlays(): [string, string, string, string] {
  const used = ip("-4", "-o", "addr", "show");
  const third = 200 + (process.pid % 50);
  for (let k = 0; k < 32; k++) {
    const base = 8 * k;
    const addresses = [1, 2, 5, 6].map((d) => `169.254.${third}.${base + d}`);
    if (addresses.every((a) => !used.includes(`${a}/`)))
      return addresses as [string, string, string, string];
  }
  throw new Error(`no two free /30s in 169.254.${third}.0/24`);
}

function createTwoLinks(): TwoLinks {
  const ns = `ndistm${process.pid}`;
  const rootA = `ntra${process.pid}`;
  const rootB = `ntrb${process.pid}`;
  const [nodeA, linuxA, nodeB, linuxB] = freeUnderlays();
  const inNs = (...args: string[]) => ip("-n", ns, ...args);
  const destroy = () => {
    for (const link of [rootA, rootB]) {
      try {
        ip("link", "del", link);
      } catch {
        // Already gone.
      }
    }
    try {
      ip("netns", "del", ns);
    } catch {
      // Already gone.
    }
  };
  process.once("exit", destroy);
  try {
    ip("netns", "add", ns);
    execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
    execFileSync("ip", [
      "netns",
      "exec",
      ns,
      "sysctl",
      "-qw",
      "net.ipv6.conf.default.disable_ipv6=1",
    ]);
    inNs("link", "set", "lo", "up");
    inNs("link", "add", "br0", "type", "bridge", "stp_state", "0");
    for (const [root, nsLink, node, linux, vx, vni] of [
      [rootA, "nA", nodeA, linuxA, "vxA", "4301"],
      [rootB, "nB", nodeB, linuxB, "vxB", "4302"],
    ] as const) {
      ip("link", "add", root, "type", "veth", "peer", "name", nsLink, "netns", ns);
      execFileSync("sysctl", ["-qw", `net.ipv6.conf.${root}.disable_ipv6=1`]);
      ip("addr", "add", `${node}/30`, "dev", root);
      ip("link", "set", root, "up");
      inNs("addr", "add", `${linux}/30`, "dev", nsLink);
      inNs("link", "set", nsLink, "up");
      inNs(
        "link",
        "add",
        vx,
        "type",
        "vxlan",
        "id",
        vni,
        "remote",
        node,
        "local",
        linux,
        "dstport",
        "4789",
        "dev",
        nsLink,
      );
      inNs("link", "set", vx, "master", "br0");
      inNs("link", "set", vx, "up");
    }
    inNs("addr", "add", "198.51.100.1/24", "dev", "br0");
    inNs("link", "set", "br0", "up");
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    ns,
    a: { node: nodeA, linux: linuxA, nsLink: "nA" },
    b: { node: nodeB, linux: linuxB, nsLink: "nB" },
    destroy,
  };
}

/** Runs a command in the namespace without blocking the event loop (our stack answers meanwhile). */
function runInNs(ns: string, command: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", ["netns", "exec", ns, ...command], { timeout: 60_000 }, (error, stdout) => {
      // ping exits 1 when some replies were lost: that is an answer, not a failure.
      if (error !== null && typeof error.code !== "number") reject(error);
      else resolve(stdout);
    });
  });
}

describe("team ↔ Linux over two VXLAN links", { skip: skip ?? false }, () => {
  let net: TwoLinks;
  let host: NdisHost;
  let teamDriver: DRIVER_OBJECT;
  let ipv4Driver: DRIVER_OBJECT;
  let vxlanDriver: DRIVER_OBJECT;

  before(async () => {
    net = createTwoLinks();
    host = new NdisHost({
      bindings: [
        { protocol: "team", adapter: "vxA", registry: { TeamName: "team0" } },
        { protocol: "team", adapter: "vxB", registry: { TeamName: "team0" } },
        {
          protocol: "ipv4-host",
          adapter: "team0",
          registry: { IPAddress: "198.51.100.2", UdpEchoPort: 7 },
        },
      ],
    });
    vxlanDriver = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
    teamDriver = (await host.loadDriver({ name: "team", module: team })).driverObject;
    ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
    host.setDeviceParameters("team0", {
      Mode: "active-backup",
      Primary: "vxA",
      Failback: "never",
      // The team's own MAC, as LBFO's team NIC has one: no member's MAC is the team's.
      NetworkAddress: "02-7e-a0-00-00-02",
      ArpTarget: "198.51.100.1",
      ArpIntervalMs: ARP_INTERVAL_MS,
      ArpMissedMax: ARP_MISSED_MAX,
    });
    await host.addAdapter({
      driver: "vxlan",
      name: "vxA",
      registry: { LocalAddress: net.a.node, RemoteAddress: net.a.linux, VNI: 4301 },
    });
    await host.addAdapter({
      driver: "vxlan",
      name: "vxB",
      registry: { LocalAddress: net.b.node, RemoteAddress: net.b.linux, VNI: 4302 },
    });
    await waitFor(
      () => {
        const t = teamOf(teamDriver).team("team0");
        return (
          t?.activeMember === "vxA" &&
          t.members.every((m) => m.usable && m.counters.arpRepliesReceived > 0)
        );
      },
      10_000,
      "both members up and answered by Linux's ARP",
    );
  });

  after(async () => {
    try {
      if (host !== undefined) {
        for (const a of host.adapters.filter((x) => x.name === "vxA" || x.name === "vxB"))
          await host.removeAdapter(a.name);
        for (const d of [...host.drivers].reverse()) await host.unloadDriver(d.name);
      }
    } finally {
      net?.destroy();
    }
  });

  test("Linux reaches the team over vxA; cutting vxA's underlay mid-ping fails over to vxB within the ARP detection delay, losses bounded", async () => {
    const t0 = teamOf(teamDriver).team("team0");
    assert.ok(t0);
    assert.equal(t0.mtu, 1450, "the members' MTU");
    const answered = () =>
      ipv4HostInterfaces(ipv4Driver).find((i) => i.adapterName === "team0")?.counters
        .echoRequestsAnswered ?? 0;
    const startAnswered = answered();
    const count = 120;
    const ping = runInNs(net.ns, [
      "ping",
      "-c",
      String(count),
      "-i",
      String(PING_INTERVAL_MS / 1000),
      "-W",
      "1",
      "198.51.100.2",
    ]);
    await waitFor(() => answered() - startAnswered >= 20, 10_000, "twenty echoes answered");
    const onB = () => vxlanAdapters(vxlanDriver).find((x) => x.local.startsWith(`${net.b.node}:`));
    const sentOnB = onB()?.counters.framesSent ?? 0;
    const cutAt = Date.now();
    ip("-n", net.ns, "link", "set", net.a.nsLink, "down");
    await waitFor(
      () => teamOf(teamDriver).team("team0")?.activeMember === "vxB",
      5_000,
      "the failover to vxB",
    );
    const detectedMs = Date.now() - cutAt;
    const output = await ping;
    const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
    assert.ok(match, output);
    const lost = Number(match[1]) - Number(match[2]);
    const t = teamOf(teamDriver).team("team0");
    assert.ok(t);
    // ARP monitoring alone saw it: vxA's adapter still says its link is up.
    const a = t.members.find((m) => m.adapterName === "vxA");
    assert.ok(a);
    assert.equal(a.linkUp, true);
    assert.equal(a.arpAlive, false);
    assert.equal(t.failovers, 1);
    assert.ok(t.gratuitousArps >= 1, "the bridge was told where the team lives now");
    // Detection: at most one more ARP tick than the configured delay (timers are not exact).
    assert.ok(
      detectedMs <= DETECTION_MS + ARP_INTERVAL_MS + 100,
      `failover took ${detectedMs} ms, configured ${DETECTION_MS} ms`,
    );
    // Echoes lost: those sent while the dead link was still active, plus one in flight each side.
    const bound = Math.ceil((DETECTION_MS + ARP_INTERVAL_MS) / PING_INTERVAL_MS) + 2;
    assert.ok(
      lost <= bound,
      `lost ${lost} of ${match[1]} echoes, bound ${bound} (${detectedMs} ms)`,
    );
    assert.ok(Number(match[2]) >= count - bound, "the rest were answered");
    const nowOnB = onB()?.counters.framesSent ?? 0;
    assert.ok(
      nowOnB - sentOnB >= count / 2,
      `the echo replies went out of vxB (${nowOnB - sentOnB})`,
    );
    console.log(
      `# team failover: detected in ${detectedMs} ms (configured ${DETECTION_MS} ms), ${lost}/${match[1]} echoes lost`,
    );
  });

  test("teardown leaves nothing behind and no violation", async () => {
    await host.removeAdapter("vxA");
    await host.removeAdapter("vxB");
    assert.equal(teamOf(teamDriver).teams.length, 0);
    await host.unloadDriver("ipv4-host");
    await host.unloadDriver("team");
    await host.unloadDriver("vxlan");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});
