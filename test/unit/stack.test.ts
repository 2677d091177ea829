/**
 * The stack drivers together: two ipv4-hosts on a hub, each through the passthrough IM driver
 * (hub adapter → passthrough → ipv4-host), on a ManualClock under the strict verifier.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as hub from "../../src/drivers/hub/index.js";
import { hubOf } from "../../src/drivers/hub/index.js";
import * as ipv4host from "../../src/drivers/ipv4-host/index.js";
import { ipv4HostInterfaces, ipv4HostRefusals } from "../../src/drivers/ipv4-host/index.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  type DRIVER_OBJECT,
  ManualClock,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PARAMETER,
  NdisHost,
  type RegistryValue,
} from "../../src/index.js";

interface Lab {
  readonly host: NdisHost;
  readonly clock: ManualClock;
  readonly hubDriver: DRIVER_OBJECT;
  readonly ipv4Driver: DRIVER_OBJECT;
  readonly a: { readonly ifIndex: number };
  readonly b: { readonly ifIndex: number };
}

async function lab(
  registryA: Readonly<Record<string, RegistryValue>>,
  registryB: Readonly<Record<string, RegistryValue>>,
): Promise<Lab> {
  const clock = new ManualClock();
  const host = new NdisHost({
    clock,
    bindings: [
      { protocol: "passthrough", adapter: "hubA" },
      { protocol: "passthrough", adapter: "hubB" },
      { protocol: "ipv4-host", adapter: "hubA-pt", registry: registryA },
      { protocol: "ipv4-host", adapter: "hubB-pt", registry: registryB },
    ],
  });
  host.observe();
  const hubDriver = (await host.loadDriver({ name: "hub", module: hub })).driverObject;
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const ipv4Driver = (await host.loadDriver({ name: "ipv4-host", module: ipv4host })).driverObject;
  const a = await host.addAdapter({ driver: "hub", name: "hubA" });
  const b = await host.addAdapter({ driver: "hub", name: "hubB" });
  await host.settle();
  return { host, clock, hubDriver, ipv4Driver, a, b };
}

async function teardown(l: Lab): Promise<void> {
  await l.host.removeAdapter("hubA");
  await l.host.removeAdapter("hubB");
  await l.host.unloadDriver("ipv4-host");
  await l.host.unloadDriver("passthrough");
  await l.host.unloadDriver("hub");
  assert.deepEqual(l.host.liveObjects(), []);
  assert.deepEqual(l.host.violations, []);
}

function iface(l: Lab, adapterName: string) {
  const found = ipv4HostInterfaces(l.ipv4Driver).find((i) => i.adapterName === adapterName);
  assert.ok(found, `an ipv4-host interface on ${adapterName}`);
  return found;
}

function bindingStats(l: Lab, adapter: string) {
  const found = l.host
    .statistics()
    .bindings.find((b) => b.protocol === "ipv4-host" && b.adapter === adapter);
  assert.ok(found);
  return found;
}

describe("ipv4-host on a hub through passthrough", () => {
  test("A pings B: ARP resolves, every echo is answered, counters agree on both sides and with NDIS", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingCount: 5, PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    const before = iface(l, "hubA-pt");
    assert.equal(before.state, "running");
    assert.equal(before.address, "198.51.100.1");
    assert.equal(before.mac, "02-00-00-00-00-01");
    assert.deepEqual(before.arpCache, []);
    l.clock.advance(100); // first tick: ARP request, answered at once through the hub's DPCs
    assert.deepEqual(iface(l, "hubA-pt").arpCache, [
      { address: "198.51.100.2", mac: iface(l, "hubB-pt").mac },
    ]);
    assert.deepEqual(iface(l, "hubB-pt").arpCache, [
      { address: "198.51.100.1", mac: "02-00-00-00-00-01" },
    ]);
    l.clock.advance(1000); // five echo requests, then PingCount stops the pinger
    const a = iface(l, "hubA-pt");
    const b = iface(l, "hubB-pt");
    assert.equal(a.counters.arpRequestsSent, 1);
    assert.equal(a.counters.arpRepliesReceived, 1);
    assert.equal(b.counters.arpRequestsAnswered, 1);
    assert.equal(a.counters.echoRequestsSent, 5);
    assert.equal(b.counters.echoRequestsAnswered, 5);
    assert.equal(a.counters.echoRepliesReceived, 5);
    assert.equal(a.rttsMs.length, 5);
    assert.ok(a.rttsMs.every((rtt) => rtt >= 0 && rtt < 100));
    for (const i of [a, b]) {
      assert.equal(i.counters.framesDropped, 0);
      assert.equal(i.counters.sendFailures, 0);
      assert.equal(i.counters.framesSent, 6);
      assert.equal(i.counters.framesReceived, 6);
      const stats = bindingStats(l, i.adapterName);
      assert.equal(stats.sentPackets, i.counters.framesSent);
      assert.equal(stats.receivedPackets, i.counters.framesReceived);
      assert.equal(stats.sendErrors, 0);
    }
    const hubA = hubOf(l.hubDriver).adapter(l.a);
    assert.equal(hubA?.counters.framesSent, 6);
    assert.equal(hubA?.counters.framesReceived, 6);
    l.clock.advance(1000);
    assert.equal(iface(l, "hubA-pt").counters.echoRequestsSent, 5, "PingCount 5 means five");
    await teardown(l);
  });

  test("PingCount 0 pings for as long as the binding runs", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 50 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(50 * 41);
    const a = iface(l, "hubA-pt");
    assert.equal(a.counters.echoRequestsSent, 40);
    assert.equal(a.counters.echoRepliesReceived, 40);
    assert.equal(iface(l, "hubB-pt").counters.echoRequestsAnswered, 40);
    await teardown(l);
  });

  test("a cut link reaches the protocol through passthrough; pings go unanswered, then resume", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(500); // ARP + 4 answered pings
    assert.equal(iface(l, "hubA-pt").counters.echoRepliesReceived, 4);
    const control = hubOf(l.hubDriver);
    assert.equal(control.setLink(l.b, false), true);
    l.clock.advance(0); // the adapter's DPC reports it
    assert.equal(iface(l, "hubB-pt").linkUp, false);
    assert.equal(iface(l, "hubB-pt").counters.linkChanges, 1);
    assert.equal(iface(l, "hubA-pt").linkUp, true, "only B's cable was pulled");
    l.clock.advance(1000);
    const down = iface(l, "hubA-pt");
    assert.equal(down.counters.echoRepliesReceived, 4, "nothing answered while B is cut off");
    assert.ok(down.counters.echoRequestsSent + down.counters.arpRequestsSent >= 4 + 10);
    assert.ok(down.counters.arpRequestsSent >= 2, "unanswered pings send A back to ARP");
    assert.equal(hubOf(l.hubDriver).adapter(l.b)?.linkUp, false);
    control.setLink(l.b, true);
    l.clock.advance(0);
    assert.equal(iface(l, "hubB-pt").linkUp, true);
    assert.equal(iface(l, "hubB-pt").counters.linkChanges, 2);
    l.clock.advance(1000);
    const up = iface(l, "hubA-pt");
    assert.ok(
      up.counters.echoRepliesReceived >= 4 + 8,
      `pings resume (${up.counters.echoRepliesReceived})`,
    );
    // B's own sends while cut off fail with MEDIA_DISCONNECTED: none here, B only answers.
    assert.equal(iface(l, "hubB-pt").counters.sendFailures, 0);
    await teardown(l);
  });

  test("the sender's link cut: its sends complete with a failure, counted", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.1", PingTarget: "198.51.100.2", PingIntervalMs: 100 },
      { IPAddress: "198.51.100.2" },
    );
    l.clock.advance(300);
    hubOf(l.hubDriver).setLink(l.a, false);
    l.clock.advance(500);
    const a = iface(l, "hubA-pt");
    assert.equal(a.linkUp, false);
    assert.ok(a.counters.sendFailures >= 5);
    assert.equal(bindingStats(l, "hubA-pt").sendErrors, a.counters.sendFailures);
    await teardown(l);
  });

  test("a binding without IPAddress is refused with a clear status; the other still binds", async () => {
    const l = await lab({ PrefixLength: 24 }, { IPAddress: "198.51.100.2" });
    assert.deepEqual(
      ipv4HostInterfaces(l.ipv4Driver).map((i) => i.adapterName),
      ["hubB-pt"],
    );
    assert.deepEqual(ipv4HostRefusals(l.ipv4Driver), [
      { adapterName: "hubA-pt", status: NDIS_STATUS_INVALID_PARAMETER, reason: "no IPAddress" },
    ]);
    await teardown(l);
  });

  test("malformed parameters are refused and named", async () => {
    const l = await lab(
      { IPAddress: "198.51.100.300" },
      { IPAddress: "198.51.100.2", PrefixLength: 40 },
    );
    assert.deepEqual(ipv4HostInterfaces(l.ipv4Driver), []);
    const reasons = ipv4HostRefusals(l.ipv4Driver)
      .map((r) => r.reason)
      .sort();
    assert.deepEqual(reasons, [
      'IPAddress "198.51.100.300" is not an IPv4 address',
      "PrefixLength 40 is not in 0..32",
    ]);
    assert.ok(ipv4HostRefusals(l.ipv4Driver).every((r) => r.status === NDIS_STATUS_INVALID_DATA));
    await teardown(l);
  });
});
