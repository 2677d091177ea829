/**
 * The tap miniport against the Linux kernel, in one run: our stack (tap miniport → passthrough IM
 * → ipv4-host, which answers ICMP echo) against a bare Node program doing the same echo on the
 * same macvtap device without NDIS (read a frame, swap addresses, turn the echo request into a
 * reply, write it back). The targets compare those two; both read the device the way the
 * miniport does (polled by libuv, see src/drivers/tap/link.ts, and drained with read(2) until
 * EAGAIN after each wakeup, see src/drivers/tap/datapath.ts) and write it with one write(2) per
 * frame. Context subjects: our stack with interrupt moderation off; the bare echo without the
 * drain (one read per wakeup, libuv's); and bare echoes reading with fs.read on libuv's thread
 * pool with 1, 2 and 4 reads outstanding — what polling the device is worth.
 *
 *  - pps: `ping -f -l WINDOW -c FLOOD` from the namespace (WINDOW echo requests in flight);
 *    answered echoes per second of the flood's duration.
 *  - RTT: `ping -c PINGS -i 0.005` from the namespace; the median of the per-reply times.
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

const WINDOW = Number(process.env.WINDOW ?? 64);
const FLOOD = Number(process.env.FLOOD ?? 30000);
const PINGS = Number(process.env.PINGS ?? 400);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** VERIFIER=off|record|strict for our stack (default strict, as NdisHost's). */
const VERIFIER = (process.env.VERIFIER ?? "strict") as "off" | "record" | "strict";
/** ONLY=ndis,bare (subject keys, comma-separated) measures those subjects alone. */
const ONLY = process.env.ONLY?.split(",");

interface Wire {
  readonly net: TapNamespace;
  readonly device: string;
  readonly mac: Buffer;
}

interface Subject {
  readonly key: string;
  readonly name: string;
  start(wire: Wire): Promise<() => Promise<void>>;
}

/** Our stack over the device, interrupt moderation on (the default) or off. */
const ndisStack = (moderation: boolean): Subject => ({
  key: moderation ? "ndis" : "ndis-unmoderated",
  name: `ndis${moderation ? "" : ", moderation off"}: tap → passthrough → ipv4-host (verifier ${VERIFIER})`,
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
      registry: { Device: wire.device, "*InterruptModeration": moderation ? 1 : 0 },
    });
    return async () => {
      const t = stack.tap();
      console.log(
        `    (tap counters: ${t.counters.framesReceived} in, ${t.counters.framesSent} out, drops ${JSON.stringify(t.drops)})`,
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
  msg.writeUInt16BE(adjust(msg.readUInt16BE(l4 + 2), 0x0800, 0x0000), l4 + 2);
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
    stream.on("data", (msg: Buffer) => {
      if (echo(msg, msg.length, wire.mac)) writeSync(fd, msg);
      for (let i = 1; i < 32; i++) {
        let length: number;
        try {
          length = readSync(fd, buffer, 0, buffer.length, null);
        } catch {
          return;
        }
        if (echo(buffer, length, wire.mac)) writeSync(fd, buffer, 0, length);
      }
    });
    return async () => {
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

const SUBJECTS: readonly Subject[] = [
  ndisStack(true),
  bareDraining,
  ndisStack(false),
  barePolled,
  bareThreadPool(1),
  bareThreadPool(2),
  bareThreadPool(4),
];

async function measure(net: TapNamespace): Promise<{ pps: number; lost: number; rttMs: number }> {
  // Warm up (JIT on both sides) with a few pings and a short flood, not counted.
  await net.run(["ping", "-c", "20", "-i", "0.01", "-W", "1", STACK_ADDRESS]);
  await net.run(
    ["ping", "-f", "-q", "-l", String(WINDOW), "-c", "5000", "-w", "20", STACK_ADDRESS],
    30_000,
  );
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
  const rtts = [...ping.stdout.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1]));
  rtts.sort((a, b) => a - b);
  const median = rtts.length === 0 ? Number.NaN : (rtts[Math.floor(rtts.length / 2)] as number);
  if (rtts.length < PINGS * 0.95) console.log(`    (only ${rtts.length}/${PINGS} pings answered)`);
  return { pps: (f.received / f.ms) * 1000, lost: f.sent - f.received, rttMs: median };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

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
    const results = new Map<string, { pps: number; rttMs: number }[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const subject of SUBJECTS) {
        if (ONLY !== undefined && !ONLY.includes(subject.key)) continue;
        const stop = await subject.start(wire);
        try {
          const r = await measure(net);
          console.log(
            `round ${round + 1} ${subject.name}: ${Math.round(r.pps)} echoes/s (ping -f -l ${WINDOW}, ${r.lost} not answered), median RTT ${r.rttMs.toFixed(3)} ms`,
          );
          results.set(subject.key, [...(results.get(subject.key) ?? []), r]);
        } finally {
          await stop();
        }
      }
    }
    console.log("");
    console.log(
      `| subject (${ROUNDS} rounds) | echoes/s median | best | median RTT, median of rounds | best |`,
    );
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const subject of SUBJECTS) {
      const rs = results.get(subject.key);
      if (rs === undefined) continue;
      console.log(
        `| ${subject.name} | ${Math.round(median(rs.map((r) => r.pps)))} | ${Math.round(Math.max(...rs.map((r) => r.pps)))} | ${median(rs.map((r) => r.rttMs)).toFixed(3)} ms | ${Math.min(...rs.map((r) => r.rttMs)).toFixed(3)} ms |`,
      );
    }
    const ours = results.get("ndis");
    const theirs = results.get("bare");
    if (ours === undefined || theirs === undefined) return;
    // Paired: round i of ours against round i of bare.
    const ppsRatios = ours.map((r, i) => r.pps / (theirs[i]?.pps ?? NaN));
    const rttRatios = ours.map((r, i) => r.rttMs / (theirs[i]?.rttMs ?? NaN));
    const pps = median(ppsRatios);
    const rtt = median(rttRatios);
    console.log("");
    console.log(
      `pps, median of the per-round ratios: ${(pps * 100).toFixed(1)}% of bare (target ≥ 80%: ${pps >= 0.8 ? "met" : "NOT met"}); rounds: ${ppsRatios.map((x) => `${(x * 100).toFixed(0)}%`).join(" ")}`,
    );
    console.log(
      `median RTT, median of the per-round ratios: ${rtt.toFixed(2)}× bare (target ≤ 1.3×: ${rtt <= 1.3 ? "met" : "NOT met"}); rounds: ${rttRatios.map((x) => `${x.toFixed(2)}×`).join(" ")}`,
    );
  } finally {
    if (device !== "") removeMacvtap(net, device);
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
