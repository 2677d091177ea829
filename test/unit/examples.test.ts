/**
 * Every shipped example stack file is valid, and every one that needs no network runs to
 * completion on a ManualClock — traffic flowing, every driver's own counters as expected — and
 * tears down to nothing under the strict verifier. The default stack of `ndis run` is
 * examples/hub-ping.yaml, byte for byte; the replayed capture is what its generator writes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/index.js";
import { pcapFile } from "../../src/pcap/pcapng.js";
import {
  DEFAULT_STACK_YAML,
  durationMs,
  loadStackFile,
  parseStack,
  type RunningStack,
  type Stack,
  StackFile,
  stackFileJsonSchema,
  startStack,
  stopStack,
} from "../../src/stack/index.js";
import { EXAMPLE_CAPTURE, examplePackets } from "../helpers/example-capture.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = join(ROOT, "examples");
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));

/** Brings `stack` up on a manual clock, runs it for its duration, returns what the drivers said. */
async function runToCompletion(stack: Stack) {
  const clock = new ManualClock();
  const running = await startStack(stack, { clock, verifier: "strict" });
  assert.deepEqual(running.problems, []);
  const ms = durationMs(stack.spec.run?.duration ?? "1s");
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await running.host.settle();
  }
  const reports = running.reports();
  const stats = running.host.statistics();
  const { liveObjects, problems } = await stopStack(running);
  assert.deepEqual(problems, []);
  assert.deepEqual(liveObjects, [], "nothing left after teardown");
  assert.deepEqual(running.host.violations, []);
  assert.equal(clock.pending, 0, "no timer left set");
  return { reports, stats, running };
}

function report(reports: ReturnType<RunningStack["reports"]>, driver: string) {
  const found = reports.find((r) => r.driver === driver);
  assert.ok(found, `a report from ${driver}`);
  return found.data as Record<string, unknown>;
}

describe("examples", () => {
  test("there is one per shipped scenario", () => {
    assert.deepEqual(files.sort(), [
      "c-filter-ping.yaml",
      "c-passthrough.yaml",
      "filter-netem-ping.yaml",
      "filter-ping.yaml",
      "hub-ping.yaml",
      "passthrough.yaml",
      "pcap-replay.yaml",
      "tap-ping.yaml",
      "team.yaml",
      "vlan-mux.yaml",
      "vxlan-to-linux.yaml",
    ]);
  });

  for (const file of files) {
    test(`${file} is a valid stack file`, async () => {
      const stack = await loadStackFile(join(EXAMPLES, file));
      assert.ok(StackFile.safeParse(stack.spec).success);
      assert.ok(stack.spec.drivers.length > 0);
    });
  }

  test("hub-ping.yaml is the default stack of `ndis run`", () => {
    assert.equal(readFileSync(join(EXAMPLES, "hub-ping.yaml"), "utf8"), DEFAULT_STACK_YAML);
  });

  test("peer-pings.pcap is what test/helpers/example-capture.ts writes", () => {
    assert.deepEqual(new Uint8Array(readFileSync(EXAMPLE_CAPTURE)), pcapFile(examplePackets()));
  });

  test("docs/stack-file.schema.json is the schema's JSON Schema (npm run schema)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "docs/stack-file.schema.json"), "utf8"));
    assert.deepEqual(committed, stackFileJsonSchema());
  });

  test("hub-ping: both hosts ping and are answered, through passthrough and the hub", async () => {
    const { reports, stats } = await runToCompletion(
      await loadStackFile(join(EXAMPLES, "hub-ping.yaml")),
    );
    for (const [driver, address] of [
      ["host-a", "198.51.100.1"],
      ["host-b", "198.51.100.2"],
    ] as const) {
      const [ifc] = report(reports, driver).interfaces as {
        address: string;
        counters: { echoRequestsSent: number; echoRepliesReceived: number };
      }[];
      assert.equal(ifc?.address, address);
      assert.equal(ifc?.counters.echoRequestsSent, 4, `${driver} sent PingCount requests`);
      assert.equal(ifc?.counters.echoRepliesReceived, 4, `${driver} got every answer`);
    }
    const eth0 = stats.adapters.find((a) => a.name === "eth0");
    assert.ok((eth0?.sentPackets ?? 0) >= 9, "ARP + 4 requests + 4 replies left eth0");
    assert.equal(eth0?.receiveDrops, 0);
  });

  test("pcap-replay: ipv4-host answers the recorded peer; the answers are swallowed", async () => {
    const { reports, stats } = await runToCompletion(
      await loadStackFile(join(EXAMPLES, "pcap-replay.yaml")),
    );
    const [ifc] = report(reports, "ipv4-host").interfaces as {
      counters: { echoRequestsAnswered: number; arpRequestsAnswered: number; udpEchoed: number };
    }[];
    assert.deepEqual(
      {
        echo: ifc?.counters.echoRequestsAnswered,
        arp: ifc?.counters.arpRequestsAnswered,
        udp: ifc?.counters.udpEchoed,
      },
      { echo: 4, arp: 1, udp: 1 },
    );
    const [cap0] = report(reports, "replay").adapters as {
      indicated: number;
      sendsSwallowed: number;
    }[];
    assert.deepEqual({ in: cap0?.indicated, out: cap0?.sendsSwallowed }, { in: 6, out: 6 });
    assert.equal(stats.adapters[0]?.receivedPackets, 6);
  });

  test("run events: a hub port's link goes down and up on time, and the host above hears it", async () => {
    const stack = parseStack(
      DEFAULT_STACK_YAML.replace(
        "run:\n  duration: 3s\n",
        "run:\n  duration: 3s\n  events:\n    - { at: 1s, link: { adapter: eth1, up: false } }\n    - { at: 2s, link: { adapter: eth1, up: true } }\n",
      ),
      "flap.yaml",
    );
    assert.equal(stack.spec.run?.events.length, 2);
    const clock = new ManualClock();
    const running = await startStack(stack, { clock, verifier: "strict" });
    const heard: string[] = [];
    running.scheduleEvents((event, error) =>
      heard.push(`${event.at} ${event.link.up ? "up" : "down"} ${error ?? "ok"}`),
    );
    const link = () =>
      (report(running.reports(), "hub").adapters as { name: string; linkUp: boolean }[]).find(
        (a) => a.name === "eth1",
      )?.linkUp;
    clock.advance(999);
    assert.equal(link(), true);
    clock.advance(1);
    assert.equal(link(), false);
    clock.advance(1000);
    assert.equal(link(), true);
    clock.advance(1000);
    await running.host.settle();
    assert.deepEqual(heard, ["1s down ok", "2s up ok"]);
    const [ifc] = report(running.reports(), "host-b").interfaces as {
      counters: { linkChanges: number };
    }[];
    assert.ok((ifc?.counters.linkChanges ?? 0) >= 2, "host-b saw the link go and come back");
    assert.deepEqual((await stopStack(running)).liveObjects, []);
    assert.deepEqual(running.host.violations, []);
  });

  test("a link event for an adapter whose driver has no link to pull is reported, not thrown", async () => {
    const stack = parseStack(
      "drivers: [{ name: t, module: test-miniport }]\nadapters: [{ name: eth0, driver: t }]\nrun: { events: [{ at: 10ms, link: { adapter: eth0, up: false } }] }\n",
      "nolink.yaml",
    );
    const clock = new ManualClock();
    const running = await startStack(stack, { clock });
    const heard: string[] = [];
    running.scheduleEvents((_event, error) => heard.push(error ?? "ok"));
    clock.advance(10);
    assert.deepEqual(heard, [
      "adapter eth0: its driver cannot set the link (only hub and tap adapters can)",
    ]);
    assert.deepEqual((await stopStack(running)).liveObjects, []);
  });

  test("vlan-mux: each VLAN's hosts answer each other, same addresses, nothing crosses VLANs", async () => {
    const { reports } = await runToCompletion(await loadStackFile(join(EXAMPLES, "vlan-mux.yaml")));
    const counters = (driver: string) => {
      const [ifc] = report(reports, driver).interfaces as {
        counters: {
          echoRequestsSent: number;
          echoRepliesReceived: number;
          echoRequestsAnswered: number;
        };
      }[];
      assert.ok(ifc, `${driver} is bound`);
      return ifc.counters;
    };
    // VLAN 10: a pings b; VLAN 20: b pings a. Each request is answered on its own VLAN only.
    assert.equal(counters("host-10a").echoRepliesReceived, 4);
    assert.equal(counters("host-10b").echoRequestsAnswered, 4);
    assert.equal(counters("host-20b").echoRepliesReceived, 4);
    assert.equal(counters("host-20a").echoRequestsAnswered, 4);
    assert.equal(counters("host-20a").echoRepliesReceived, 0);
    assert.equal(counters("host-10b").echoRepliesReceived, 0);
    const mux = report(reports, "vlan-mux") as unknown as {
      velans: { instanceName: string; vlanId: number; counters: { taggedSent: number } }[];
      bindings: { counters: { unknownVlanDrops: number } }[];
    };
    assert.deepEqual(
      mux.velans.map((v) => [v.instanceName, v.vlanId, v.counters.taggedSent > 0]),
      [
        ["velan10a", 10, true],
        ["velan20a", 20, true],
        ["velan10b", 10, true],
        ["velan20b", 20, true],
      ],
    );
    assert.ok(mux.bindings.every((b) => b.counters.unknownVlanDrops === 0));
  });

  test("team: the active member's cable is pulled and put back; the pings barely notice", async () => {
    const stack = await loadStackFile(join(EXAMPLES, "team.yaml"));
    const clock = new ManualClock();
    const running = await startStack(stack, { clock, verifier: "strict" });
    running.scheduleEvents(() => {});
    for (let t = 0; t < 3000; t += 50) clock.advance(50);
    await running.host.settle();
    const reports = running.reports();
    const [t0] = report(reports, "team").teams as {
      activeMember: string;
      failovers: number;
      failbacks: number;
      gratuitousArps: number;
    }[];
    assert.deepEqual(
      { active: t0?.activeMember, failovers: t0?.failovers, failbacks: t0?.failbacks },
      { active: "m1", failovers: 1, failbacks: 1 },
    );
    assert.ok((t0?.gratuitousArps ?? 0) >= 1, "a gratuitous ARP announced the failover");
    const [ifc] = report(reports, "host").interfaces as {
      counters: { echoRequestsSent: number; echoRepliesReceived: number };
    }[];
    const sent = ifc?.counters.echoRequestsSent ?? 0;
    const lost = sent - (ifc?.counters.echoRepliesReceived ?? 0);
    assert.ok(sent >= 25, `pinged every 100 ms for 3 s (${sent})`);
    // The down delay is 200 ms and a ping leaves every 100 ms: at most the pings in that window
    // (and the one in flight) go unanswered.
    assert.ok(lost <= 4, `${lost} pings lost`);
    assert.ok(JSON.stringify(reports).length > 0, "the report is plain JSON (no bigints)");
    assert.deepEqual((await stopStack(running)).liveObjects, []);
    assert.deepEqual(running.host.violations, []);
  });

  test("passthrough: up and down under the strict verifier", async () => {
    const { running } = await runToCompletion(
      await loadStackFile(join(EXAMPLES, "passthrough.yaml")),
    );
    assert.deepEqual(running.adapters, ["eth0"]);
  });
});
