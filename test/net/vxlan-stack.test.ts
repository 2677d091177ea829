/**
 * Interop: Linux pings our stack — VXLAN miniport → passthrough IM → ipv4-host — over a real
 * kernel VXLAN tunnel, every echo is answered, the counters of every layer agree, and a pcapng
 * capture of the frames crossing the adapters' edges reads back in tshark with good checksums.
 * Then the wire turns hostile: a flood of malformed VXLAN datagrams is counted and dropped by
 * reason, the heap stays flat, and the stack still answers pings. Needs root and `ip netns`.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FrameEvent } from "../../src/index.js";
import { readCapture } from "../../src/pcap/pcapng.js";
import {
  capturePcapng,
  collect,
  pingSummary,
  tsharkAvailable,
  tsharkFields,
} from "../helpers/interop.js";
import { createVxlanNamespace, netnsSkipReason, type VxlanNamespace } from "../helpers/netns.js";
import {
  STACK_ADDRESS,
  startVxlanStack,
  type VxlanStack,
  waitFor,
} from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();

const VNI = 4343;

describe("Linux ↔ VXLAN miniport → passthrough → ipv4-host", { skip: skip ?? false }, () => {
  let net: VxlanNamespace;
  let stack: VxlanStack;
  const dir = mkdtempSync(join(tmpdir(), `ndis-vxlan-${process.pid}-`));

  before(async () => {
    net = createVxlanNamespace({ vni: VNI });
    stack = await startVxlanStack(net);
  });

  after(async () => {
    try {
      await stack?.teardown();
    } finally {
      net?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ping -c 20 -i 0.05: every echo answered; counters agree; tshark reads the capture with good checksums", async (t) => {
    const events: FrameEvent[] = [];
    const stop = stack.host.onFrame((e) => events.push(e));
    const statsBefore = stack.host.statistics();
    const vxBefore = stack.vxlan();
    const ipBefore = stack.ipv4();
    const clockOrigin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

    const ping = await net.run(["ping", "-c", "20", "-i", "0.05", "-W", "2", STACK_ADDRESS]);
    stop();
    assert.deepEqual(pingSummary(ping.stdout), { sent: 20, received: 20 });

    const vx = stack.vxlan();
    const ip = stack.ipv4();
    assert.equal(ip.counters.echoRequestsAnswered - ipBefore.counters.echoRequestsAnswered, 20);
    assert.equal(vx.dropped, 0, JSON.stringify(vx.drops));
    const stats = stack.host.statistics();
    const adapter = (s: typeof stats, name: string) => {
      const a = s.adapters.find((x) => x.name === name);
      assert.ok(a);
      return a;
    };
    const binding = (s: typeof stats, protocol: string) => {
      const b = s.bindings.find((x) => x.protocol === protocol);
      assert.ok(b);
      return b;
    };
    const received = vx.counters.framesReceived - vxBefore.counters.framesReceived;
    const sent = vx.counters.framesSent - vxBefore.counters.framesSent;
    assert.ok(received >= 20 && sent >= 20, `received ${received}, sent ${sent}`);
    // The miniport's own counters, NDIS's view of the adapter, and ipv4-host's view agree.
    const d = (f: (s: typeof stats) => number) => f(stats) - f(statsBefore);
    assert.equal(
      d((s) => adapter(s, "vxlan0").receivedPackets),
      received,
    );
    assert.equal(
      d((s) => adapter(s, "vxlan0").sentPackets),
      sent,
    );
    assert.equal(
      d((s) => binding(s, "ipv4-host").receivedPackets),
      ip.counters.framesReceived - ipBefore.counters.framesReceived,
    );
    assert.equal(
      d((s) => binding(s, "ipv4-host").sentPackets),
      ip.counters.framesSent - ipBefore.counters.framesSent,
    );
    assert.equal(ip.counters.framesReceived - ipBefore.counters.framesReceived, received);
    assert.equal(ip.counters.framesSent - ipBefore.counters.framesSent, sent);
    assert.equal(
      d((s) => adapter(s, "vxlan0").sendErrors),
      0,
    );

    // The capture: one pcapng interface per adapter edge.
    const file = join(dir, "ping.pcapng");
    const bytes = capturePcapng(events, clockOrigin);
    writeFileSync(file, bytes);
    assert.equal(readCapture(bytes).length, events.length);
    if (!tsharkAvailable()) {
      t.diagnostic("tshark not installed: the capture was not decoded");
      return;
    }
    const rows = tsharkFields(file, "icmp && frame.interface_name == vxlan0", [
      "icmp.type",
      "icmp.seq",
      "ip.checksum.status",
      "icmp.checksum.status",
    ]);
    const requests = rows.filter((r) => r[0] === "8").map((r) => Number(r[1]));
    const replies = rows.filter((r) => r[0] === "0").map((r) => Number(r[1]));
    const seqs = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.deepEqual(requests, seqs);
    assert.deepEqual(replies, seqs);
    for (const r of rows) {
      assert.equal(r[2], "1", `IPv4 checksum good: ${r.join(" ")}`);
      assert.equal(r[3], "1", `ICMP checksum good: ${r.join(" ")}`);
    }
  });

  test("hostile datagrams are dropped by reason, the heap stays flat, pings are still answered", async (t) => {
    const sender: Socket = createSocket("udp4");
    await new Promise<void>((resolve) => sender.bind(0, net.nodeAddress, resolve));
    const port = 4789;
    const mac = Uint8Array.from(stack.vxlan().macAddress.split("-"), (h) => Number.parseInt(h, 16));
    /** A VXLAN datagram: flags, VNI, then an inner frame to our MAC of `length` bytes. */
    const datagram = (flags: number, vni: number, length: number, reserved = 0): Buffer => {
      const b = Buffer.alloc(8 + length);
      b[0] = flags;
      b[3] = reserved;
      b[4] = (vni >> 16) & 0xff;
      b[5] = (vni >> 8) & 0xff;
      b[6] = vni & 0xff;
      if (length >= 6) b.set(mac, 8);
      if (length >= 14) {
        b[20] = 0x08;
        b[21] = 0x00;
      }
      return b;
    };
    // From a foreign source (the sender socket is in the root namespace, not the remote VTEP):
    // these must all be dropped as unexpectedSource before anything else is looked at.
    const send = (b: Buffer) =>
      new Promise<void>((resolve, reject) =>
        sender.send(b, port, net.nodeAddress, (e) => (e ? reject(e) : resolve())),
      );
    const heap = () => {
      collect();
      return process.memoryUsage().heapUsed;
    };
    const before = stack.vxlan();
    const heapBefore = heap();
    const ROUNDS = 2000;
    for (let i = 0; i < ROUNDS; i++) await send(datagram(0x08, VNI, 60));
    await waitFor(
      () => stack.vxlan().drops.unexpectedSource - before.drops.unexpectedSource >= ROUNDS,
      10_000,
      "foreign-source drops",
    );
    sender.close();

    // The rest must come from the remote VTEP's address: send them from inside the namespace,
    // from 169.254.x.2 (the kernel VXLAN device's own port is busy, so from another port).
    const kinds = {
      truncated: datagram(0x08, VNI, 10),
      headerOnly: Buffer.from([0x08, 0, 0]),
      missingIFlag: datagram(0x00, VNI, 60),
      vniMismatch: datagram(0x08, VNI + 1, 60),
      oversized: datagram(0x08, VNI, 1450 + 18 + 1),
      innerVlan: (() => {
        const b = datagram(0x08, VNI, 60);
        b[20] = 0x81;
        b[21] = 0x00;
        return b;
      })(),
      // Reserved bits set, frame otherwise fine: accepted (RFC 7348 §5), ipv4-host drops it.
      reserved: datagram(0x0c, VNI, 60, 0xff),
      // Well-formed, but to another unicast MAC: the packet filter (DIRECTED) refuses it.
      otherMac: (() => {
        const b = datagram(0x08, VNI, 60);
        b.set([0x02, 0, 0, 0, 0x77, 0x77], 8);
        return b;
      })(),
    };
    const script = `
const dgram = require("node:dgram");
const s = dgram.createSocket("udp4");
const kinds = ${JSON.stringify(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, [...v]])))};
const list = Object.values(kinds).map((a) => Buffer.from(a));
const rounds = ${ROUNDS};
let left = rounds * (list.length + 1);
const done = () => { if (--left === 0) s.close(); };
s.bind(0, "${net.nsAddress}", () => {
  for (let r = 0; r < rounds; r++) {
    for (const b of list) s.send(b, ${port}, "${net.nodeAddress}", done);
    const g = Buffer.alloc(1 + ((r * 7919) % 1500));
    for (let i = 0; i < g.length; i++) g[i] = (r * 31 + i * 17) & 0xff;
    s.send(g, ${port}, "${net.nodeAddress}", done);
  }
});`;
    const flood = await net.run([process.execPath, "-e", script], 60_000);
    assert.equal(flood.code, 0, flood.stderr);
    const sentByKind = ROUNDS;
    await waitFor(
      () => {
        const v = stack.vxlan();
        // …and the last receive batch indicated and returned.
        return (
          v.counters.datagramsReceived - before.counters.datagramsReceived >= ROUNDS * 10 &&
          v.receivesOutstanding === 0
        );
      },
      10_000,
      "every hostile datagram to be seen",
    ).catch(() => {
      // UDP may lose some under a flood (socket buffer full): checked below by reason.
    });
    const v = stack.vxlan();
    const delta = (k: keyof typeof v.drops) => v.drops[k] - before.drops[k];
    const seen = v.counters.datagramsReceived - before.counters.datagramsReceived;
    // What arrived is accounted for exactly: each datagram dropped by one reason or indicated.
    const indicated = v.counters.framesReceived - before.counters.framesReceived;
    assert.equal(seen, v.dropped - before.dropped + indicated);
    assert.ok(delta("truncated") > 0 && delta("truncated") <= 2 * sentByKind + ROUNDS);
    for (const reason of [
      "missingIFlag",
      "vniMismatch",
      "oversized",
      "innerVlan",
      "filtered",
    ] as const)
      assert.ok(delta(reason) > 0 && delta(reason) <= sentByKind + ROUNDS, reason);
    assert.equal(delta("unexpectedSource"), ROUNDS);
    assert.equal(delta("notRunning"), 0);
    assert.ok(v.counters.reservedBitsIgnored - before.counters.reservedBitsIgnored > 0);
    assert.equal(v.receivesOutstanding, 0);

    t.diagnostic(`drops: ${JSON.stringify(v.drops)}; datagrams seen ${seen}`);
    const grown = heap() - heapBefore;
    t.diagnostic(`heap grew by ${grown} bytes`);
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes`);

    const ping = await net.run(["ping", "-c", "5", "-i", "0.05", "-W", "2", STACK_ADDRESS]);
    assert.deepEqual(pingSummary(ping.stdout), { sent: 5, received: 5 });
  });

  test("teardown: nothing left, no violation", async () => {
    await stack.teardown();
    assert.deepEqual(stack.host.liveObjects(), []);
    assert.deepEqual(stack.host.violations, []);
  });
});
