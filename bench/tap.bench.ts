/**
 * The tap miniport against the Linux kernel, in one run: our stack (tap miniport → passthrough IM
 * → ipv4-host, which answers ICMP echo) against a bare Node program doing the same echo on the
 * same macvtap device without NDIS (read a frame, swap addresses, turn the echo request into a
 * reply, write it back). The targets compare those two; both read the device the way the
 * miniport does (polled by libuv, see src/drivers/tap/link.ts, and drained with read(2) until
 * EAGAIN after each wakeup, see src/drivers/tap/datapath.ts) and write it with one write(2) per
 * frame. Context subjects: our stack with interrupt moderation off, with ReceiveChain 32 (a
 * wakeup's frames in one chain) and with InterleaveSends 1 (a wakeup's answers written between
 * its further reads, as steadily as the bare echo writes; other chain lengths when ONLY names
 * them); the bare echo without the drain (one read per wakeup, libuv's); and bare echoes reading
 * with fs.read on libuv's thread pool with 1, 2 and 4 reads outstanding — what polling the device
 * is worth.
 *
 * What is measured and how rounds are paired: bench/echo-harness.ts.
 *
 * One macvtap (made here over the namespace's veth pair, opened by every subject in turn through
 * its device node) and a static neighbour entry for its MAC in the namespace, so that nobody
 * answers ARP during the measurement. Subjects run one after the other in this process, every
 * subject once per round, ROUNDS rounds; the ratios the targets are about are taken per round
 * (ours / bare of the same round) and their median reported, with the per-subject medians and
 * best rounds for context. Needs root (ip netns).
 *
 * Run: npm run bench:tap. Record the figures in BENCHMARKS.md.
 */
import { closeSync, mkdtempSync, openSync, read, readSync, rmSync, writeSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollDevice } from "../src/drivers/tap/link.js";
import { NdisHost } from "../src/index.js";
import {
  createMacvtap,
  createTapNamespace,
  netnsSkipReason,
  removeMacvtap,
  type TapNamespace,
} from "../test/helpers/netns.js";
import { STACK_ADDRESS, startTapStack, UDP_ECHO_PORT } from "../test/helpers/tap-stack.js";
import { adjustChecksum, type EchoSubject, ONLY, runEchoRounds, VERIFIER } from "./echo-harness.js";

interface Wire {
  readonly net: TapNamespace;
  readonly device: string;
  readonly mac: Buffer;
}

type Subject = EchoSubject<Wire>;

/**
 * Our stack over the device, interrupt moderation on (the default) or off, or with ReceiveChain
 * `chain`, or with InterleaveSends 1 (a wakeup's answers written one after each further read).
 */
const ndisStack = (moderation: boolean, chain?: number, interleave = false): Subject => ({
  key: interleave
    ? "ndis-interleave"
    : chain !== undefined
      ? `ndis-chain${chain}`
      : moderation
        ? "ndis"
        : "ndis-unmoderated",
  name: `ndis${moderation ? "" : ", moderation off"}${chain === undefined ? "" : `, ReceiveChain ${chain}`}${interleave ? ", InterleaveSends 1" : ""}: tap → passthrough → ipv4-host (verifier ${VERIFIER})`,
  async start(wire) {
    const host = new NdisHost({
      verifier: VERIFIER,
      bindings: [
        { protocol: "passthrough", adapter: "tap0" },
        {
          protocol: "ipv4-host",
          adapter: "tap0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
    const stack = await startTapStack(wire.net, {
      host,
      registry: {
        Device: wire.device,
        "*InterruptModeration": moderation ? 1 : 0,
        ...(chain === undefined ? {} : { ReceiveChain: chain }),
        ...(interleave ? { InterleaveSends: 1 } : {}),
      },
    });
    return async () => {
      const t = stack.tap();
      console.log(
        `    (tap counters: ${t.counters.framesReceived} in, ${t.counters.framesSent} out, ${(t.counters.framesRead / Math.max(1, t.counters.wakeups)).toFixed(1)} frames per wakeup, drops ${JSON.stringify(t.drops)})`,
      );
      await stack.teardown();
      if (host.violations.length > 0) throw new Error(JSON.stringify(host.violations));
    };
  },
});

/**
 * Turns one read (virtio_net_hdr + frame) into its echo reply in place; false when it is not an
 * echo request to us.
 */
function echo(msg: Buffer, length: number, mac: Buffer): boolean {
  const f = 10;
  if (length < f + 14 + 20 + 8) return false;
  if (msg.compare(mac, 0, 6, f, f + 6) !== 0) return false;
  if (msg[f + 12] !== 0x08 || msg[f + 13] !== 0x00) return false;
  const ip = f + 14;
  const l4 = ip + ((msg[ip] as number) & 0x0f) * 4;
  if (msg[ip + 9] !== 1 || msg[l4] !== 8) return false;
  msg.fill(0, 0, f);
  msg.copy(msg, f, f + 6, f + 12);
  mac.copy(msg, f + 6);
  const src = msg.readUInt32BE(ip + 12);
  msg.writeUInt32BE(msg.readUInt32BE(ip + 16), ip + 12);
  msg.writeUInt32BE(src, ip + 16);
  msg[l4] = 0;
  msg.writeUInt16BE(adjustChecksum(msg.readUInt16BE(l4 + 2), 0x0800, 0x0000), l4 + 2);
  return true;
}

/** The bare echo on the polled device, one read per wakeup (libuv's): context. */
const barePolled: Subject = {
  key: "bare-once",
  name: "bare, one read per wakeup: Node echo on the polled device",
  async start(wire) {
    const fd = openSync(wire.device, "r+");
    const stream: Socket = pollDevice(fd);
    stream.on("data", (msg: Buffer) => {
      if (echo(msg, msg.length, wire.mac)) writeSync(fd, msg);
    });
    return async () => {
      stream.destroy();
    };
  },
};

/**
 * The bare echo the targets are against: the polled device read as the miniport reads it (libuv's
 * read, then read(2) until EAGAIN, at most 32 per wakeup), each reply written at once.
 */
const bareDraining: Subject = {
  key: "bare",
  name: "bare: Node echo on the polled device, draining each wakeup",
  async start(wire) {
    const fd = openSync(wire.device, "r+");
    const stream: Socket = pollDevice(fd);
    const buffer = Buffer.alloc(65536);
    // Counted as the miniport counts them, for the frames-per-wakeup line (two increments).
    let wakeups = 0;
    let frames = 0;
    stream.on("data", (msg: Buffer) => {
      wakeups++;
      frames++;
      if (echo(msg, msg.length, wire.mac)) writeSync(fd, msg);
      for (let i = 1; i < 32; i++) {
        let length: number;
        try {
          length = readSync(fd, buffer, 0, buffer.length, null);
        } catch {
          return;
        }
        frames++;
        if (echo(buffer, length, wire.mac)) writeSync(fd, buffer, 0, length);
      }
    });
    return async () => {
      console.log(
        `    (bare: ${frames} frames read, ${(frames / Math.max(1, wakeups)).toFixed(1)} frames per wakeup)`,
      );
      stream.destroy();
    };
  },
};

/** The bare echo with fs.read on libuv's thread pool, `outstanding` reads at a time. */
const bareThreadPool = (outstanding: number): Subject => ({
  key: `bare-pool${outstanding}`,
  name: `bare, fs.read on the thread pool, ${outstanding} outstanding`,
  async start(wire) {
    const fd = openSync(wire.device, "r+");
    let stopping = false;
    let inFlight = 0;
    const issue = (buffer: Buffer) => {
      inFlight++;
      read(fd, buffer, 0, buffer.length, null, (error, length) => {
        inFlight--;
        if (error !== null || stopping) return;
        if (echo(buffer, length, wire.mac)) writeSync(fd, buffer, 0, length);
        issue(buffer);
      });
    };
    for (let i = 0; i < outstanding; i++) issue(Buffer.alloc(65536));
    return async () => {
      stopping = true;
      // A blocked read returns only when a frame comes: send some until every read is back.
      while (inFlight > 0)
        await wire.net.run(["ping", "-c", "3", "-i", "0.01", "-W", "0.1", STACK_ADDRESS]);
      closeSync(fd);
    };
  },
});

/** Other chain lengths, measured only when ONLY names them (ndis-chain1, -chain2, -chain4, -chain16). */
const ON_REQUEST: readonly Subject[] = [1, 2, 4, 16]
  .map((chain) => ndisStack(true, chain))
  .filter((s) => ONLY?.includes(s.key) === true);

const SUBJECTS: readonly Subject[] = [
  ndisStack(true),
  ndisStack(true, 32),
  bareDraining,
  ndisStack(true, undefined, true),
  ...ON_REQUEST,
  ndisStack(false),
  barePolled,
  bareThreadPool(1),
  bareThreadPool(2),
  bareThreadPool(4),
];

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip !== null) {
    console.log(`tap bench: ${skip}`);
    return;
  }
  const net = createTapNamespace();
  const dir = mkdtempSync(join(tmpdir(), `ndis-tapbench-${process.pid}-`));
  let device = "";
  try {
    const made = createMacvtap(net, dir);
    device = made.device;
    const wire: Wire = { net, device, mac: Buffer.from(made.mac.replaceAll(":", ""), "hex") };
    net.runSync(["ip", "neigh", "replace", STACK_ADDRESS, "lladdr", made.mac, "dev", net.nsLink]);
    await runEchoRounds(SUBJECTS, wire, net, STACK_ADDRESS, { warmFlood: true });
  } finally {
    if (device !== "") removeMacvtap(net, device);
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
