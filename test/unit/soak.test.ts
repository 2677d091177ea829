/**
 * The correct drivers under a long mixed workload, with the strict verifier watching: every
 * shipped driver at once (hub, passthrough, ipv4-host, raw, vlan-mux, team, pcap replay) while
 * random events hit them — links pulled and restored, stacks paused and restarted, VELAN sets
 * reconfigured, junk frames injected — for minutes of host time. Not one violation, no watchdog
 * report, every pinger answered again once the dust settles, and nothing left after teardown.
 * fast-check shrinks and replays any failure from its seed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { openRaw } from "../../src/drivers/raw/index.js";
import { type BindingPath, ManualClock } from "../../src/index.js";
import { parseStack, startStack, stopStack } from "../../src/stack/index.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

const STACK = `
ndis: { verifier: strict }
drivers:
  - { name: hub, module: hub }
  - { name: passthrough, module: passthrough }
  - { name: vlan-mux, module: vlan-mux }
  - { name: team, module: team }
  - { name: raw, module: raw }
  - { name: replay, module: pcap }
  - { name: host-a, module: ipv4-host }
  - { name: host-b, module: ipv4-host }
  - { name: host-10a, module: ipv4-host }
  - { name: host-10b, module: ipv4-host }
  - { name: host-team, module: ipv4-host }
  - { name: peer, module: ipv4-host }
  - { name: host-pcap, module: ipv4-host }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
  - { name: spy, driver: hub, registry: { Hub: lab } }
  - { name: t0, driver: hub, registry: { Hub: trunk } }
  - { name: t1, driver: hub, registry: { Hub: trunk } }
  - { name: m1, driver: hub, registry: { Hub: switch1 } }
  - { name: p1, driver: hub, registry: { Hub: switch1, NetworkAddress: 02-00-5E-00-53-01 } }
  - { name: m2, driver: hub, registry: { Hub: switch2 } }
  - { name: p2, driver: hub, registry: { Hub: switch2, NetworkAddress: 02-00-5E-00-53-01 } }
  - { name: cap0, driver: replay, registry: { File: ${join(EXAMPLES, "peer-pings.pcap")}, Loop: 1, Timing: original } }
devices:
  velan10a: { VlanId: 10 }
  velan10b: { VlanId: 10 }
  team0: { Mode: active-backup, Primary: m1, DownDelayMs: 200, UpDelayMs: 200, NetworkAddress: 02-00-5E-00-53-10 }
bindings:
  - { protocol: passthrough, adapter: eth0 }
  - { protocol: passthrough, adapter: eth1 }
  - { protocol: raw, adapter: spy, registry: { PacketFilter: promiscuous } }
  - { protocol: host-a, adapter: eth0-pt, registry: { IPAddress: 198.51.100.1, PingTarget: 198.51.100.2, PingIntervalMs: 250 } }
  - { protocol: host-b, adapter: eth1-pt, registry: { IPAddress: 198.51.100.2, UdpEchoPort: 7 } }
  - { protocol: vlan-mux, adapter: t0, registry: { UpperBindings: [velan10a] } }
  - { protocol: vlan-mux, adapter: t1, registry: { UpperBindings: [velan10b] } }
  - { protocol: host-10a, adapter: velan10a, registry: { IPAddress: 198.51.100.1, PingTarget: 198.51.100.2, PingIntervalMs: 300 } }
  - { protocol: host-10b, adapter: velan10b, registry: { IPAddress: 198.51.100.2 } }
  - { protocol: team, adapter: m1, registry: { TeamName: team0 } }
  - { protocol: team, adapter: m2, registry: { TeamName: team0 } }
  - { protocol: host-team, adapter: team0, registry: { IPAddress: 198.51.100.10, PingTarget: 198.51.100.1, PingIntervalMs: 200 } }
  - { protocol: peer, adapter: p1, registry: { IPAddress: 198.51.100.1 } }
  - { protocol: peer, adapter: p2, registry: { IPAddress: 198.51.100.1 } }
  - { protocol: host-pcap, adapter: cap0, registry: { IPAddress: 198.51.100.2, UdpEchoPort: 7 } }
`;

const HUB_PORTS = ["eth0", "eth1", "t0", "t1", "m1", "m2", "p1", "p2"] as const;
const PAUSABLE = ["eth0", "eth1", "t0", "t1", "m1", "m2", "cap0"] as const;

type Step =
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "link"; readonly adapter: string; readonly up: boolean }
  | { readonly kind: "pause"; readonly adapter: string }
  | { readonly kind: "reconfigure"; readonly velans: readonly string[] }
  | { readonly kind: "junk"; readonly bytes: Uint8Array };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("link" as const),
      adapter: fc.constantFrom(...HUB_PORTS),
      up: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("pause" as const),
      adapter: fc.constantFrom(...PAUSABLE),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reconfigure" as const),
      velans: fc.subarray(["velan10a", "velan20a"], { minLength: 0 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("junk" as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }),
    }),
  },
);

type Counters = { echoRequestsSent: number; echoRepliesReceived: number };

test("every shipped driver under random links, pauses, reconfigures and junk: no violation, nothing leaks", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 80 }), async (steps) => {
      const clock = new ManualClock();
      const stack = parseStack(STACK, "soak.yaml");
      const running = await startStack(stack, { clock, verifier: "strict" });
      const host = running.host;
      host.setDeviceParameters("velan20a", { VlanId: 20 });
      const rawDriver = running.drivers.find((d) => d.name === "raw")?.driverObject;
      assert.ok(rawDriver);
      const spy = openRaw(rawDriver, "spy");
      assert.ok(spy, "raw is bound to the spy port");
      const links = new Map<string, boolean>();
      for (const s of steps) {
        if (s.kind === "advance") clock.advance(s.ms);
        else if (s.kind === "link") {
          running.setLink(s.adapter, s.up);
          links.set(s.adapter, s.up);
        } else if (s.kind === "pause") {
          const state = host.adapter(s.adapter)?.state;
          if (state === "Running") await host.pauseStack(s.adapter);
          else if (state === "Paused") await host.restartStack(s.adapter);
        } else if (s.kind === "reconfigure") {
          const upper = ["velan10a", ...s.velans.filter((v) => v !== "velan10a")];
          const paths: BindingPath[] = [];
          for (const b of stack.spec.bindings === "all" ? [] : stack.spec.bindings) {
            const registry =
              b.protocol === "vlan-mux" && b.adapter === "t0"
                ? { UpperBindings: upper }
                : b.registry;
            paths.push(
              registry === undefined
                ? { protocol: b.protocol, adapter: b.adapter }
                : { protocol: b.protocol, adapter: b.adapter, registry },
            );
          }
          await host.setBindingPaths(paths);
          await host.reconfigure("vlan-mux", "t0");
        } else await spy.send(s.bytes);
        await host.settle();
        assert.deepEqual(
          host.violations,
          [],
          `after ${JSON.stringify(s, (_k, v) => (v instanceof Uint8Array ? `${v.length} bytes` : v))}`,
        );
      }
      // The dust settles: every cable back, every stack running, the pingers answered again.
      for (const adapter of links.keys()) running.setLink(adapter, true);
      for (const adapter of PAUSABLE)
        if (host.adapter(adapter)?.state === "Paused") await host.restartStack(adapter);
      clock.advance(2000);
      await host.settle();
      const before = new Map<string, Counters>();
      const counters = (driver: string): Counters => {
        const report = running.reports().find((r) => r.driver === driver)?.data as
          | { interfaces: { counters: Counters }[] }
          | undefined;
        const c = report?.interfaces[0]?.counters;
        assert.ok(c, `${driver} is bound`);
        return c;
      };
      for (const driver of ["host-a", "host-10a", "host-team"])
        before.set(driver, { ...counters(driver) });
      clock.advance(3000);
      await host.settle();
      for (const [driver, was] of before) {
        const now = counters(driver);
        assert.ok(
          now.echoRepliesReceived > was.echoRepliesReceived,
          `${driver} is answered again (${was.echoRepliesReceived} → ${now.echoRepliesReceived})`,
        );
      }
      spy.close();
      const { liveObjects } = await stopStack(running);
      assert.deepEqual(liveObjects, []);
      assert.deepEqual(host.violations, []);
    }),
    { numRuns: 12 },
  );
});
