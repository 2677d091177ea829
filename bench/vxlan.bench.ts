/**
 * VXLAN against the Linux kernel, in one run: our stack (VXLAN miniport → passthrough IM →
 * ipv4-host, which echoes UDP port 7 and answers ICMP echo) against a bare node:dgram program
 * doing the same echo without NDIS (decapsulate, swap addresses, re-encapsulate, send). The
 * targets compare those two; two more subjects give context: our stack with the miniport's
 * interrupt moderation off (each datagram indicated alone), and the bare echo batched the way
 * moderation batches (replies to one socket wakeup sent after it).
 *
 * What is measured and how rounds are paired: bench/echo-harness.ts. ICMP rather than UDP: the
 * kernel leaves the inner UDP checksum of its own datagrams to "hardware" (CHECKSUM_PARTIAL
 * through vxlan and veth), so they reach any user-space VTEP with a checksum never filled in, and
 * ipv4-host rightly drops them; ICMP checksums are computed in software.
 *
 * Both subjects get the same MAC address, and the namespace a static neighbour entry for it, so
 * neither answers ARP during the measurement. Needs root (ip netns).
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
import { adjustChecksum, type EchoSubject, runEchoRounds, VERIFIER } from "./echo-harness.js";

const VNI = 4545;
const MAC = "02:56:58:00:00:99";
type Subject = EchoSubject<VxlanNamespace>;

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
        msg.writeUInt16BE(adjustChecksum(msg.readUInt16BE(l4 + 2), 0x0800, 0x0000), l4 + 2);
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

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip !== null) {
    console.log(`vxlan bench: ${skip}`);
    return;
  }
  const net = createVxlanNamespace({ vni: VNI });
  try {
    net.runSync(["ip", "neigh", "replace", STACK_ADDRESS, "lladdr", MAC, "dev", "vx0"]);
    await runEchoRounds(SUBJECTS, net, net, STACK_ADDRESS, { warmFlood: false });
  } finally {
    net.destroy();
  }
}

await main();
