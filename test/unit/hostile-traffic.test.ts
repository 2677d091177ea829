/**
 * What the fuzzers did to the network drivers: a flood of ARP requests from distinct senders (the
 * cache stays bounded, evictions counted), two echo services bouncing one datagram (an echo from
 * the echo port is not answered), runt frames on the hub (counted), and a pcap replay pointed at
 * a device or a FIFO (refused: not a regular file) — plus a second Ctrl-C while a teardown is
 * stuck (ndis run leaves at once with what it knows).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/commands/run.js";
import { createOutput } from "../../src/cli/output.js";
import { ipv4HostInterfaces } from "../../src/drivers/ipv4-host/index.js";
import { openRaw } from "../../src/drivers/raw/index.js";
import { ManualClock } from "../../src/index.js";
import { ARP_REQUEST, buildArp } from "../../src/net/arp.js";
import { buildEthernet } from "../../src/net/ethernet.js";
import { buildIpv4Packet, parseIPv4 } from "../../src/net/ipv4.js";
import { buildUdp } from "../../src/net/udp.js";
import { parseStack, startStack, stopStack } from "../../src/stack/index.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const HOARDER = fileURLToPath(new URL("../fixtures/hoarder.ts", import.meta.url));
const HOST_IP = parseIPv4("198.51.100.1") as number;
const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
const BROADCAST = new Uint8Array(6).fill(0xff);

async function hubStack(extra = "") {
  const stack = parseStack(
    `drivers:
  - { name: host-a, module: ipv4-host }
  - { name: raw, module: raw }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: host-a, adapter: eth0, registry: { IPAddress: 198.51.100.1, PrefixLength: 24, UdpEchoPort: 7${extra} } }
  - { protocol: raw, adapter: eth1 }
`,
    "hostile.yaml",
    ROOT,
  );
  const clock = new ManualClock();
  const running = await startStack(stack, { clock });
  assert.deepEqual(running.problems, []);
  const driver = (name: string) => running.drivers.find((d) => d.name === name)?.driverObject;
  const raw = openRaw(driver("raw") as never, "eth1");
  assert.ok(raw !== null);
  const host = () => ipv4HostInterfaces(driver("host-a") as never)[0];
  const send = async (frame: Uint8Array) => {
    const sent = raw.send(frame);
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      await turn();
    }
    await sent;
  };
  return { running, clock, raw, host, send };
}

/** An ARP request from `index`'s sender (169.254.0.index) for the host's address. */
function arpFrom(index: number): Uint8Array {
  const mac = Uint8Array.of(0x02, 0x10, 0, 0, (index >> 8) & 0xff, index & 0xff);
  return buildEthernet({
    dst: BROADCAST,
    src: mac,
    ethertype: 0x0806,
    payload: buildArp({
      op: ARP_REQUEST,
      senderMac: mac,
      senderIp: ((169 << 24) | (254 << 16) | index) >>> 0,
      targetMac: new Uint8Array(6),
      targetIp: HOST_IP,
    }),
  });
}

describe("hostile traffic", () => {
  test("ARP entries live ArpCacheLife seconds: older ones go when a new one is learnt, counted", async () => {
    const s = await hubStack(", ArpCacheLife: 10");
    for (let i = 1; i <= 100; i++) await s.send(arpFrom(i));
    assert.equal(s.host()?.arpCache.length, 100);
    s.clock.advance(9_000);
    await s.send(arpFrom(101));
    assert.equal(s.host()?.arpCache.length, 101, "none is 10 s old yet");
    assert.equal(s.host()?.counters.arpExpirations, 0);
    s.clock.advance(1_000);
    await s.send(arpFrom(102));
    const ifc = s.host();
    assert.deepEqual(
      ifc?.arpCache.map((e) => e.address),
      ["169.254.0.101", "169.254.0.102"],
      "the first 100 expired; the young one stays",
    );
    assert.equal(ifc?.counters.arpExpirations, 100);
    assert.equal(ifc?.counters.arpEvictions, 0);
    await stopStack(s.running);
  });

  test("a ping target's ARP entry expires too: the pinger asks again, and the echoes go on", async () => {
    const pinger = async (life: string) => {
      const stack = parseStack(
        `drivers:
  - { name: host-a, module: ipv4-host }
  - { name: host-b, module: ipv4-host }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: host-a, adapter: eth0, registry: { IPAddress: 198.51.100.1, PingTarget: 198.51.100.2, PingIntervalMs: 400, PingCount: 8${life} } }
  - { protocol: host-b, adapter: eth1, registry: { IPAddress: 198.51.100.2 } }
`,
        "pinger.yaml",
        ROOT,
      );
      const clock = new ManualClock();
      const running = await startStack(stack, { clock });
      for (let t = 0; t < 5_000; t += 50) {
        clock.advance(50);
        await turn();
      }
      const a = running.drivers.find((d) => d.name === "host-a")?.driverObject;
      const counters = ipv4HostInterfaces(a as never)[0]?.counters;
      await stopStack(running);
      return counters;
    };
    const kept = await pinger("");
    assert.equal(kept?.arpRequestsSent, 1, "the default life outlasts the run");
    assert.equal(kept?.arpExpirations, 0);
    const short = await pinger(", ArpCacheLife: 1");
    assert.ok((short?.arpRequestsSent ?? 0) >= 2, `asked again (${short?.arpRequestsSent})`);
    assert.ok((short?.arpExpirations ?? 0) >= 1);
    assert.equal(short?.echoRepliesReceived, short?.echoRequestsSent, "every echo answered");
    assert.equal(short?.echoRequestsSent, 8);
  });

  test("an ARP flood from 2,000 distinct senders: the cache stays at its limit, evictions counted", async () => {
    const s = await hubStack();
    for (let i = 1; i <= 2000; i++) await s.send(arpFrom(i));
    const ifc = s.host();
    assert.equal(ifc?.counters.arpRequestsAnswered, 2000);
    assert.equal(ifc?.arpCache.length, 512);
    assert.equal(ifc?.counters.arpEvictions, 2000 - 512);
    // The newest senders are the ones kept.
    assert.ok(ifc?.arpCache.some((e) => e.address === "169.254.7.208"));
    await stopStack(s.running);
  });

  test("a UDP datagram to the echo port is echoed, unless it comes from an echo port", async () => {
    const s = await hubStack();
    const hostMac = Uint8Array.of(
      ...(s.running.host.adapters.find((a) => a.name === "eth0")?.macAddress ?? "")
        .split("-")
        .map((h) => Number.parseInt(h, 16)),
    );
    const peer = parseIPv4("198.51.100.9") as number;
    const datagram = (srcPort: number) =>
      buildEthernet({
        dst: hostMac,
        src: PEER_MAC,
        ethertype: 0x0800,
        payload: buildIpv4Packet({
          src: peer,
          dst: HOST_IP,
          protocol: 17,
          payload: buildUdp(
            { srcPort, dstPort: 7, payload: new TextEncoder().encode("ping") },
            peer,
            HOST_IP,
          ),
        }),
      });
    await s.send(datagram(40000));
    assert.equal(s.host()?.counters.udpEchoed, 1);
    await s.send(datagram(7));
    assert.equal(s.host()?.counters.udpEchoed, 1, "an echo from port 7 would start a loop");
    await stopStack(s.running);
  });

  test("runt frames on the hub are counted, not lost silently", async () => {
    const s = await hubStack();
    for (let i = 0; i < 3; i++) await s.send(new Uint8Array(10));
    const report = s.running.reports().find((r) => r.driver === "hub");
    assert.ok(
      report?.lines.some((l) => /^eth1 on hub lab: .*runts dropped 3$/.test(l)),
      report?.lines.join("\n"),
    );
    await stopStack(s.running);
  });
});

describe("a pcap replay of something that is not a file", () => {
  const fifo = join(mkdtempSync(join(tmpdir(), "ndis-fifo-")), "pipe");
  execFileSync("mkfifo", [fifo]);
  for (const [what, file, kind] of [
    ["/dev/zero", "/dev/zero", "a device"],
    ["a FIFO", fifo, "a FIFO"],
  ] as const) {
    test(`${what} is refused at once: not a regular file`, async () => {
      const stack = parseStack(
        `drivers: [{ name: pcap, module: pcap }]\nadapters: [{ name: eth0, driver: pcap, registry: { File: ${JSON.stringify(file)} } }]\n`,
        "pcap.yaml",
        ROOT,
      );
      const running = await startStack(stack, { clock: new ManualClock() });
      assert.equal(running.problems.length, 1);
      assert.match(running.problems[0] ?? "", new RegExp(`not a regular file \\(${kind}\\)`));
      await stopStack(running);
    });
  }
});

describe("ndis run and a second signal", () => {
  test("a second SIGINT while the teardown is stuck leaves at once with what is known", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-second-"));
    const file = join(dir, "hoard.yaml");
    writeFileSync(
      file,
      `drivers:
  - { name: host-a, module: ipv4-host }
  - { name: hoarder, module: ${JSON.stringify(HOARDER)} }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: host-a, adapter: eth0, registry: { IPAddress: 198.51.100.1, PrefixLength: 24, PingTarget: 198.51.100.2, PingCount: 1 } }
  - { protocol: hoarder, adapter: eth1 }
`,
    );
    const clock = new ManualClock();
    const signals = new EventEmitter();
    let text = "";
    let up: () => void = () => {};
    const isUp = new Promise<void>((resolve) => {
      up = resolve;
    });
    const out = createOutput(
      (t) => {
        text += t;
        if (t.includes('"type":"up"')) up();
      },
      { json: true },
    );
    const exits: number[] = [];
    void run({ stack: file, interval: "1m" }, out, {
      clock,
      signals,
      exit: (code) => exits.push(code),
    });
    await isUp;
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      await turn();
    }
    signals.emit("SIGINT");
    for (let i = 0; i < 50; i++) await turn();
    assert.deepEqual(exits, [], "the first signal starts the teardown");
    signals.emit("SIGINT");
    assert.deepEqual(exits, [130]);
    const records = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    assert.ok(
      records.some(
        (r) =>
          r.type === "problem" &&
          /SIGINT again: leaving before the teardown finished/.test(String(r.message)),
      ),
    );
    const summary = records.at(-1);
    assert.equal(summary?.type, "summary");
    assert.equal(summary?.teardown, "interrupted");
    assert.ok((summary?.leaked as number) > 0);
  });
});
