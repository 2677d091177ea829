/**
 * VXLAN against the Linux kernel, in one run: our stack (VXLAN miniport → passthrough IM →
 * ipv4-host, which echoes UDP port 7 and answers ICMP echo) against a bare node:dgram program
 * doing the same echo without NDIS (decapsulate, swap addresses, re-encapsulate, send). The
 * targets compare those two; two more subjects give context: our stack with the miniport's
 * interrupt moderation off (each datagram indicated alone), and the bare echo batched the way
 * moderation batches (replies to one socket wakeup sent after it).
 *
 *  - pps: `ping -f -l WINDOW -c FLOOD` from the namespace (a flood keeping WINDOW echo requests
 *    in flight); answered echoes per second of the flood's duration. ICMP rather than UDP: the
 *    kernel leaves the inner UDP checksum of its own datagrams to "hardware" (CHECKSUM_PARTIAL
 *    through vxlan and veth), so they reach any user-space VTEP with a checksum never filled in,
 *    and ipv4-host rightly drops them; ICMP checksums are computed in software.
 *  - RTT: `ping -c PINGS -i 0.005` from the namespace; the median of the per-reply times.
 *
 * Both subjects get the same MAC address, and the namespace a static neighbour entry for it, so
 * neither answers ARP during the measurement. Subjects run one after the other in this process,
 * each measured ROUNDS times alternately; the median and the best round of each are reported
 * (the machine is shared and noisy). Needs root (ip netns).
 *
 * Run: npm run bench:vxlan. Record the figures in BENCHMARKS.md.
 */
import { createSocket } from "node:dgram";
import { NdisHost } from "../src/index.js";
import {
  createVxlanNamespace,
  netnsSkipReason,
  type VxlanNamespace,
} from "../test/helpers/netns.js";
import { STACK_ADDRESS, startVxlanStack, UDP_ECHO_PORT } from "../test/helpers/vxlan-stack.js";

const VNI = 4545;
const MAC = "02:56:58:00:00:99";
const WINDOW = Number(process.env.WINDOW ?? 64);
const FLOOD = Number(process.env.FLOOD ?? 30000);
const PINGS = Number(process.env.PINGS ?? 400);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** VERIFIER=off|record|strict for our stack (default strict, as NdisHost's). */
const VERIFIER = (process.env.VERIFIER ?? "strict") as "off" | "record" | "strict";
/**
 * ONLY=ndis,bare (subject keys, comma-separated) measures those subjects alone (for profiling
 * with --cpu-prof); the summary needs ndis and bare.
 */
const ONLY = process.env.ONLY?.split(",");

interface Subject {
  /** Short name, for ONLY. */
  readonly key: string;
  readonly name: string;
  start(net: VxlanNamespace): Promise<() => Promise<void>>;
}

/**
 * Our stack: VXLAN miniport → passthrough → ipv4-host (verifier strict, the default), with the
 * miniport's interrupt moderation on (its default) or off (`*InterruptModeration` 0: each
 * datagram indicated alone, as before moderation existed — context for where the speed comes from).
 */
const ndisStack = (moderation: boolean): Subject => ({
  key: moderation ? "ndis" : "ndis-unmoderated",
  name: `ndis${moderation ? "" : ", moderation off"}: vxlan → passthrough → ipv4-host (verifier ${VERIFIER})`,
  async start(net) {
    const host = new NdisHost({
      verifier: VERIFIER,
      bindings: [
        { protocol: "passthrough", adapter: "vxlan0" },
        {
          protocol: "ipv4-host",
          adapter: "vxlan0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
    const stack = await startVxlanStack(net, {
      host,
      vxlanRegistry: {
        NetworkAddress: MAC.replaceAll(":", "-"),
        "*InterruptModeration": moderation ? 1 : 0,
      },
    });
    return async () => {
      const v = stack.vxlan();
      console.log(
        `    (vxlan counters: ${v.counters.framesReceived} in, ${v.counters.framesSent} out, drops ${JSON.stringify(v.drops)})`,
      );
      await stack.teardown();
      if (host.violations.length > 0) throw new Error(JSON.stringify(host.violations));
    };
  },
});

/** The Internet checksum's incremental update (RFC 1624): `old` with one word changed. */
function adjust(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The same echo with no NDIS: one socket, swap in place, send back — at once (the baseline the
 * targets are against), or batched as the miniport's moderation does (the replies to one socket
 * wakeup sent from a setImmediate after it — context: what the batching alone is worth).
 */
const bareEcho = (batched: boolean): Subject => ({
  key: batched ? "bare-batched" : "bare",
  name: batched
    ? "bare, batched: node:dgram echo, replies sent after the wakeup"
    : "bare: node:dgram echo",
  async start(net) {
    // The same resolver-free lookup as the miniport's, so that the comparison is about NDIS.
    const socket = createSocket({
      type: "udp4",
      lookup: (hostname, _options, callback) => callback(null, hostname, 4),
    });
    const mac = Buffer.from(MAC.replaceAll(":", ""), "hex");
    const replies: Buffer[] = [];
    const sendReplies = () => {
      for (const reply of replies) socket.send(reply, 4789, net.nsAddress);
      replies.length = 0;
    };
    socket.on("message", (msg, rinfo) => {
      if (msg.length < 8 + 34 || ((msg[0] as number) & 0x08) === 0) return;
      if (rinfo.address !== net.nsAddress) return;
      const f = 8; // the inner frame
      if (msg.compare(mac, 0, 6, f, f + 6) !== 0) return;
      if (msg[f + 12] !== 0x08 || msg[f + 13] !== 0x00) return;
      const ip = f + 14;
      const ihl = ((msg[ip] as number) & 0x0f) * 4;
      const l4 = ip + ihl;
      const proto = msg[ip + 9];
      // Ethernet: destination ← source, source ← ours.
      msg.copy(msg, f, f + 6, f + 12);
      mac.copy(msg, f + 6);
      // IPv4: swap addresses (the header checksum does not change).
      const src = msg.readUInt32BE(ip + 12);
      msg.writeUInt32BE(msg.readUInt32BE(ip + 16), ip + 12);
      msg.writeUInt32BE(src, ip + 16);
      if (proto === 1 && msg[l4] === 8) {
        msg[l4] = 0;
        msg.writeUInt16BE(adjust(msg.readUInt16BE(l4 + 2), 0x0800, 0x0000), l4 + 2);
      } else if (proto === 17 && msg.readUInt16BE(l4 + 2) === UDP_ECHO_PORT) {
        const sport = msg.readUInt16BE(l4);
        msg.writeUInt16BE(UDP_ECHO_PORT, l4);
        msg.writeUInt16BE(sport, l4 + 2);
      } else return;
      if (!batched) socket.send(msg, 4789, net.nsAddress);
      else if (replies.push(msg) === 1) setImmediate(sendReplies);
    });
    await new Promise<void>((resolve) => socket.bind(4789, net.nodeAddress, resolve));
    return async () => {
      await new Promise<void>((resolve) => socket.close(resolve));
    };
  },
});

const SUBJECTS = [ndisStack(true), bareEcho(false), ndisStack(false), bareEcho(true)] as const;
const [ndis, bare] = SUBJECTS;

async function measure(net: VxlanNamespace): Promise<{ pps: number; lost: number; rttMs: number }> {
  // Warm up (JIT, ARP on the stack's side) with a few pings and a short flood.
  await net.run(["ping", "-c", "20", "-i", "0.01", "-W", "1", STACK_ADDRESS]);
  const flood = await net.run(
    ["ping", "-f", "-q", "-l", String(WINDOW), "-c", String(FLOOD), "-w", "60", STACK_ADDRESS],
    90_000,
  );
  const m = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(flood.stdout);
  if (m === null) throw new Error(`ping -f: ${flood.stdout}${flood.stderr}`);
  const f = { sent: Number(m[1]), received: Number(m[2]), ms: Number(m[3]) };
  const ping = await net.run(
    ["ping", "-c", String(PINGS), "-i", "0.005", "-W", "1", STACK_ADDRESS],
    60_000,
  );
  const rtts = [...ping.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  rtts.sort((a, b) => a - b);
  const median = rtts.length === 0 ? Number.NaN : (rtts[Math.floor(rtts.length / 2)] as number);
  if (rtts.length < PINGS * 0.95) console.log(`    (only ${rtts.length}/${PINGS} pings answered)`);
  return { pps: (f.received / f.ms) * 1000, lost: f.sent - f.received, rttMs: median };
}

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip !== null) {
    console.log(`vxlan bench: ${skip}`);
    return;
  }
  const net = createVxlanNamespace({ vni: VNI });
  try {
    net.runSync(["ip", "neigh", "replace", STACK_ADDRESS, "lladdr", MAC, "dev", "vx0"]);
    const results = new Map<string, { pps: number; rttMs: number }[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const subject of SUBJECTS) {
        if (ONLY !== undefined && !ONLY.includes(subject.key)) continue;
        const stop = await subject.start(net);
        try {
          const r = await measure(net);
          console.log(
            `round ${round + 1} ${subject.name}: ${Math.round(r.pps)} echoes/s (ping -f -l ${WINDOW}, ${r.lost} not answered), median RTT ${r.rttMs.toFixed(3)} ms`,
          );
          results.set(subject.name, [...(results.get(subject.name) ?? []), r]);
        } finally {
          await stop();
        }
      }
    }
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const summary = (name: string) => {
      const rs = results.get(name) ?? [];
      return {
        pps: median(rs.map((r) => r.pps)),
        bestPps: Math.max(...rs.map((r) => r.pps)),
        rttMs: median(rs.map((r) => r.rttMs)),
        bestRttMs: Math.min(...rs.map((r) => r.rttMs)),
      };
    };
    if (ONLY !== undefined && !(ONLY.includes("ndis") && ONLY.includes("bare"))) return;
    const ours = summary(ndis.name);
    const theirs = summary(bare.name);
    console.log("");
    console.log(
      `| subject (${ROUNDS} rounds) | echoes/s median | best | median RTT, median of rounds | best |`,
    );
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const name of results.keys()) {
      const r = summary(name);
      console.log(
        `| ${name} | ${Math.round(r.pps)} | ${Math.round(r.bestPps)} | ${r.rttMs.toFixed(3)} ms | ${r.bestRttMs.toFixed(3)} ms |`,
      );
    }
    const ppsRatio = ours.pps / theirs.pps;
    const rttRatio = ours.rttMs / theirs.rttMs;
    console.log("");
    console.log(
      `pps (medians): ${(ppsRatio * 100).toFixed(1)}% of bare (target ≥ 80%: ${ppsRatio >= 0.8 ? "met" : "NOT met"}); best rounds: ${((ours.bestPps / theirs.bestPps) * 100).toFixed(1)}%`,
    );
    console.log(
      `median RTT (medians): ${rttRatio.toFixed(2)}× bare (target ≤ 1.3×: ${rttRatio <= 1.3 ? "met" : "NOT met"}); best rounds: ${(ours.bestRttMs / theirs.bestRttMs).toFixed(2)}×`,
    );
  } finally {
    net.destroy();
  }
}

await main();
