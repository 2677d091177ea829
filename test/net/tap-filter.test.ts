/**
 * Interop through filter drivers: Linux ↔ a macvtap ↔ our tap miniport → the capture filter (a
 * monitoring module) → filter-passthrough (a modifying module that passes every NBL on) → the
 * passthrough IM → ipv4-host (198.51.100.2). Linux's ping and a UDP client are answered with both
 * modules in the stack; each module saw every frame both ways; the capture filter's pcapng holds
 * the exchange and tshark reads it with good checksums; teardown leaves nothing and the strict
 * verifier saw nothing. Needs root and `ip netns`; skips with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as capture from "../../src/drivers/capture/index.js";
import * as filterPassthrough from "../../src/drivers/filter-passthrough/index.js";
import { type DRIVER_OBJECT, NdisHost } from "../../src/index.js";
import { readCapture } from "../../src/pcap/pcapng.js";
import { assertEchoCapture, pingSummary, tsharkAvailable } from "../helpers/interop.js";
import { createTapNamespace, netnsSkipReason, type TapNamespace } from "../helpers/netns.js";
import {
  STACK_ADDRESS,
  startTapStack,
  type TapStack,
  UDP_ECHO_PORT,
  udpEchoClient,
} from "../helpers/tap-stack.js";
import { teardownStack } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();

describe("Linux ↔ tap → capture filter → filter-passthrough → passthrough → ipv4-host", {
  skip: skip ?? false,
}, () => {
  let net: TapNamespace;
  let stack: TapStack;
  let host: NdisHost;
  let captureDriver: DRIVER_OBJECT;
  let filterDriver: DRIVER_OBJECT;
  const dir = mkdtempSync(join(tmpdir(), `ndis-tapflt-${process.pid}-`));
  const file = join(dir, "tap0.pcapng");

  before(async () => {
    net = createTapNamespace();
    host = new NdisHost({
      verifier: "strict",
      bindings: [
        { protocol: "passthrough", adapter: "tap0" },
        {
          protocol: "ipv4-host",
          adapter: "tap0-pt",
          registry: { IPAddress: STACK_ADDRESS, PrefixLength: 24, UdpEchoPort: UDP_ECHO_PORT },
        },
      ],
    });
    // Filters load first: their modules attach to tap0 when it arrives, below its bindings.
    captureDriver = (
      await host.loadDriver({
        name: "capture",
        module: capture,
        registry: { CaptureFile: file },
        filter: { type: "monitoring", adapters: ["tap0"] },
      })
    ).driverObject;
    filterDriver = (
      await host.loadDriver({
        name: "filter-passthrough",
        module: filterPassthrough,
        filter: { adapters: ["tap0"] },
      })
    ).driverObject;
    stack = await startTapStack(net, { host });
  });

  after(async () => {
    try {
      if (host !== undefined)
        await teardownStack(host, [
          "ipv4-host",
          "passthrough",
          "tap",
          "filter-passthrough",
          "capture",
        ]);
    } finally {
      net?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("both modules sit on tap0, below the passthrough binding", () => {
    const modules = host.filterModules("tap0");
    assert.deepEqual(
      modules.map((m) => [m.driver, m.state]),
      [
        ["capture", "Running"],
        ["filter-passthrough", "Running"],
      ],
      "bottom to top",
    );
  });

  test("ping and a Linux UDP client are answered through both; each module saw every frame", async (t) => {
    const fpBefore = filterPassthrough.filterModulesOf(filterDriver)[0];
    const capBefore = capture.captureOf(captureDriver)?.modules[0];
    const ipBefore = stack.ipv4().counters;
    const ping = await net.run(["ping", "-c", "10", "-i", "0.05", "-W", "2", STACK_ADDRESS]);
    assert.deepEqual(pingSummary(ping.stdout), { sent: 10, received: 10 });
    const udp = await net.run([process.execPath, "-e", udpEchoClient("through two filters")]);
    assert.match(udp.stdout, new RegExp(`^${STACK_ADDRESS}:${UDP_ECHO_PORT} through two filters`));
    const ip = stack.ipv4().counters;
    assert.equal(ip.echoRequestsAnswered - ipBefore.echoRequestsAnswered, 10);
    assert.equal(ip.udpEchoed - ipBefore.udpEchoed, 1);

    const received = ip.framesReceived - ipBefore.framesReceived;
    const sent = ip.framesSent - ipBefore.framesSent;
    const fp = filterPassthrough.filterModulesOf(filterDriver)[0];
    assert.equal((fp?.received ?? 0) - (fpBefore?.received ?? 0), received, "up through it");
    assert.equal((fp?.sent ?? 0) - (fpBefore?.sent ?? 0), sent, "down through it");
    const cap = capture.captureOf(captureDriver)?.modules[0];
    assert.equal((cap?.inbound ?? 0) - (capBefore?.inbound ?? 0), received);
    assert.equal((cap?.outbound ?? 0) - (capBefore?.outbound ?? 0), sent);
    assert.equal(capture.captureOf(captureDriver)?.dropped, 0);
    assert.deepEqual(host.violations, []);

    // The capture file is written from a work item: tear the stack down (which drains it), then read.
    await teardownStack(host, ["ipv4-host", "passthrough", "tap", "filter-passthrough", "capture"]);
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
    const frames = readCapture(new Uint8Array(execFileSync("cat", [file])));
    assert.ok(frames.length >= 2 * 11, `the exchange is in the capture (${frames.length} frames)`);
    if (!tsharkAvailable()) {
      t.diagnostic("tshark not installed: the capture was not decoded");
      return;
    }
    assertEchoCapture(file, "frame", { echoes: 10, udp: 2 });
  });
});
