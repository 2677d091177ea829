/**
 * The tap echo's own cost, without the kernel: what one echo costs our stack (tap miniport →
 * passthrough → ipv4-host, as in bench/tap.bench.ts) and the bare Node echo of that benchmark,
 * in CPU time, with the device's I/O replaced by the same cheap stand-ins for both. A flood in
 * bench/tap.bench.ts measures the kernel's work as well (a macvtap write carries the reply
 * through the veth to `ping` inside the system call) and swings with whatever else the machine
 * runs; this isolates the part the stack adds.
 *
 * The stand-ins: the adapter's descriptor is /dev/null, so each reply is one real write(2) that
 * the kernel drops at once; fs.readSync on it (the drain after each wakeup, as both echoes read)
 * is replaced, through syncBuiltinESMExports, by a copy of the next queued frame or, with none
 * left, a thrown EAGAIN error made once (a real one costs both the same and is left out). A
 * "wakeup" is one call of each echo's read handler with the first frame in a fresh Buffer, as
 * libuv's stream gives it, and FRAMES_PER_WAKEUP - 1 more queued for the drain; the frame is an
 * ICMP echo request to the stack's address. The macvtap link is real (the miniport opens it),
 * only quiet.
 *
 * Cells, each once per round, alternating: ours, bare, and the feed alone (the queue and the
 * first Buffer, no echo: what both pay for the stand-ins). Reported: ns of CPU time per echo,
 * medians of the rounds, and the median of the per-round ratios ours / bare.
 *
 * WRITE=device: the replies are written to the macvtap itself instead of /dev/null (the echo
 * requests then come from the namespace's end of the veth, so the replies are addressed to it):
 * each write does most of the kernel work of a real flood's — the reply through macvtap and the
 * veth into the namespace's IPv4 and ICMP, where no `ping` waits for it — between the stack's
 * frames; only the reads and the wakeups are stand-ins.
 *
 * Environment: FRAMES_PER_WAKEUP (8), FRAMES (20000 per cell and round), ROUNDS (31),
 * RECEIVE_CHAIN and INTERLEAVE_SENDS (the adapter's ReceiveChain and InterleaveSends, default
 * the driver's), VERIFIER (strict), WRITE (above).
 * Run: npm run bench:tap-path (root: it makes a namespace and a macvtap).
 */
import fs, { mkdtempSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globalsOf } from "../src/drivers/tap/adapter.js";
import { onRead } from "../src/drivers/tap/datapath.js";
import { NdisHost } from "../src/index.js";
import { adjustChecksum, internetChecksum } from "../src/net/checksum.js";
import {
  createMacvtap,
  createTapNamespace,
  netnsSkipReason,
  removeMacvtap,
} from "../test/helpers/netns.js";
import { STACK_ADDRESS, startTapStack, UDP_ECHO_PORT } from "../test/helpers/tap-stack.js";
import { median } from "./paired.js";

const PER_WAKEUP = Number(process.env.FRAMES_PER_WAKEUP ?? 8);
const FRAMES = Number(process.env.FRAMES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 31);
const VERIFIER = (process.env.VERIFIER ?? "strict") as "off" | "record" | "strict";
const CHAIN = process.env.RECEIVE_CHAIN;
const INTERLEAVE = process.env.INTERLEAVE_SENDS;
/** WRITE=device: replies are written to the macvtap itself (see the top of this file). */
const WRITE_DEVICE = process.env.WRITE === "device";

/** An echo request from 198.51.100.1 (`from`) to the stack, behind a zero virtio-net header. */
function echoRequest(to: Buffer, from: Buffer): Buffer {
  const f = Buffer.alloc(10 + 14 + 20 + 64);
  const e = 10;
  to.copy(f, e);
  from.copy(f, e + 6);
  f.writeUInt16BE(0x0800, e + 12);
  const ip = e + 14;
  f[ip] = 0x45;
  f.writeUInt16BE(84, ip + 2);
  f[ip + 8] = 64;
  f[ip + 9] = 1;
  f.writeUInt32BE(0xc6336401, ip + 12);
  f.writeUInt32BE(0xc6336402, ip + 16);
  f.writeUInt16BE(internetChecksum(f, ip, ip + 20), ip + 10);
  const l4 = ip + 20;
  f[l4] = 8;
  f.writeUInt16BE(0x1234, l4 + 4);
  for (let i = 8; i < 64; i++) f[l4 + i] = i;
  f.writeUInt16BE(internetChecksum(f, l4, l4 + 64), l4 + 2);
  return f;
}

/** bench/tap.bench.ts's bare echo: the read turned into its reply in place; false if not ours. */
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

async function main(): Promise<void> {
  const skip = netnsSkipReason();
  if (skip !== null) {
    console.log(`tap path bench: ${skip}`);
    return;
  }
  const net = createTapNamespace();
  const dir = mkdtempSync(join(tmpdir(), `ndis-tappath-${process.pid}-`));
  const made = createMacvtap(net, dir);
  const mac = Buffer.from(made.mac.replaceAll(":", ""), "hex");
  // From the namespace's end of the veth: written to the device, the replies reach its IPv4.
  const peer = Buffer.from(
    net
      .runSync(["cat", `/sys/class/net/${net.nsLink}/address`])
      .trim()
      .replaceAll(":", ""),
    "hex",
  );
  const frame = echoRequest(mac, WRITE_DEVICE ? peer : Buffer.from("020000000001", "hex"));
  const fd = fs.openSync(WRITE_DEVICE ? made.device : "/dev/null", "r+");
  let queued = 0;
  const EAGAIN = Object.assign(new Error("EAGAIN: resource temporarily unavailable, read"), {
    code: "EAGAIN",
  });
  const realRead = fs.readSync;
  const standIn = (
    at: number,
    buffer: NodeJS.ArrayBufferView,
    offset: number,
    length: number,
    position: null,
  ): number => {
    if (at !== fd) return realRead(at, buffer, offset, length, position);
    if (queued === 0) throw EAGAIN;
    queued--;
    frame.copy(buffer as Uint8Array, offset);
    return frame.length;
  };
  (fs as { readSync: unknown }).readSync = standIn;
  syncBuiltinESMExports();
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
  const registry = {
    Device: made.device,
    ...(CHAIN === undefined ? {} : { ReceiveChain: Number(CHAIN) }),
    ...(INTERLEAVE === undefined ? {} : { InterleaveSends: Number(INTERLEAVE) }),
  };
  const stack = await startTapStack(net, { host, registry });
  const adapter = [...(globalsOf(stack.tapDriver)?.Adapters ?? [])][0];
  if (adapter === undefined) throw new Error("no tap adapter");
  const deviceFd = adapter.Fd;
  adapter.Fd = fd;
  const bareBuffer = Buffer.alloc(65536);
  const cells: Record<string, (first: Buffer) => void> = {
    ours: (first) => onRead(adapter, first),
    bare: (first) => {
      if (echo(first, first.length, mac)) fs.writeSync(fd, first);
      for (let i = 1; i < 32; i++) {
        let length: number;
        try {
          length = fs.readSync(fd, bareBuffer, 0, bareBuffer.length, null);
        } catch {
          return;
        }
        if (echo(bareBuffer, length, mac)) fs.writeSync(fd, bareBuffer, 0, length);
      }
    },
    feed: () => {
      for (;;) {
        try {
          fs.readSync(fd, bareBuffer, 0, bareBuffer.length, null);
        } catch {
          return;
        }
      }
    },
  };
  /** ns of CPU time per frame over `wakeups` wakeups of `cell`. */
  const run = (cell: (first: Buffer) => void, wakeups: number): number => {
    const start = process.cpuUsage();
    for (let w = 0; w < wakeups; w++) {
      queued = PER_WAKEUP - 1;
      const first = Buffer.allocUnsafe(frame.length);
      frame.copy(first);
      cell(first);
    }
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / (wakeups * PER_WAKEUP);
  };
  const wakeups = Math.max(1, Math.round(FRAMES / PER_WAKEUP));
  const names = Object.keys(cells);
  try {
    for (const name of names) run(cells[name] as (first: Buffer) => void, wakeups); // warm-up
    const sentBefore = stack.tap().counters.framesSent;
    const ns: Record<string, number[]> = { ours: [], bare: [], feed: [] };
    for (let round = 0; round < ROUNDS; round++)
      for (const name of names)
        ns[name]?.push(run(cells[name] as (first: Buffer) => void, wakeups));
    const sent = stack.tap().counters.framesSent - sentBefore;
    if (sent !== ROUNDS * wakeups * PER_WAKEUP)
      throw new Error(`ours answered ${sent} of ${ROUNDS * wakeups * PER_WAKEUP} echoes`);
    const ours = ns.ours as number[];
    const bare = ns.bare as number[];
    const feed = ns.feed as number[];
    const ratios = ours.map((o, i) => o / (bare[i] as number));
    console.log(
      `tap echo path, replies written to ${WRITE_DEVICE ? "the macvtap" : "/dev/null"}, ${PER_WAKEUP} frames per wakeup, ReceiveChain ${adapter.Config.ReceiveChain}, InterleaveSends ${adapter.Config.InterleaveSends ? 1 : 0}, verifier ${VERIFIER}, ${ROUNDS} rounds of ${wakeups * PER_WAKEUP} frames per cell`,
    );
    console.log("| cell | CPU ns per echo, median of rounds |");
    console.log("| --- | ---: |");
    console.log(`| ours: tap → passthrough → ipv4-host | ${median(ours).toFixed(0)} |`);
    console.log(`| bare echo | ${median(bare).toFixed(0)} |`);
    console.log(`| the stand-ins alone (feed) | ${median(feed).toFixed(0)} |`);
    console.log(
      `ours / bare, median of the per-round ratios: ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  } finally {
    adapter.Fd = deviceFd;
    await stack.teardown();
    (fs as { readSync: unknown }).readSync = realRead;
    syncBuiltinESMExports();
    fs.closeSync(fd);
    removeMacvtap(net, made.device);
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  if (host.violations.length > 0) throw new Error(JSON.stringify(host.violations));
}

await main();
