/**
 * The tap miniport without a macvtap device (no root needed): every way its parameters or the
 * Linux side can be wrong fails MiniportInitializeEx with a reason, and nothing is left behind.
 * And NdisMRemoveMiniport, which the tap miniport calls when its link vanishes: NDIS removes the
 * adapter after the call, as a surprise removal. (The interop with real macvtap devices is in
 * test/net/tap-linux.test.ts.)
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import * as tap from "../../src/drivers/tap/index.js";
import {
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  NdisHaltDeviceSurpriseRemoved,
  NdisHost,
  NdisMRemoveMiniport,
  type RegistryValue,
} from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";
import { scriptedMiniport } from "../helpers/miniport.js";

const hosts: NdisHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await teardownHost(host);
});

async function refusal(registry: Record<string, RegistryValue>): Promise<string> {
  const host = new NdisHost();
  hosts.push(host);
  const { driverObject } = await host.loadDriver({ name: "tap", module: tap });
  const info = await host.addAdapter({ driver: "tap", name: "tap0", registry });
  assert.equal(info.state, "Halted");
  assert.deepEqual(tap.tapAdapters(driverObject), []);
  const why = tap.tapInitErrors(driverObject).at(-1);
  assert.ok(why !== undefined);
  return why;
}

describe("tap miniport: MiniportInitializeEx refuses with the reason", () => {
  test("no Device, Link or Parent", async () => {
    assert.match(await refusal({}), /one of Device .*, Link or Parent .* is needed/);
  });

  test("malformed parameters, all named at once", async () => {
    const why = await refusal({
      Device: "tap3",
      Parent: "eth0",
      Link: "a/b",
      Mode: "sideways",
      LinkPollMs: 5,
      ReceiveBuffers: 0,
    });
    assert.match(why, /Device and Parent exclude each other/);
    assert.match(why, /Device "tap3" is not an absolute path/);
    assert.match(why, /Link "a\/b" is not an interface name/);
    assert.match(why, /Mode "sideways" is not one of bridge, vepa, private, passthru/);
    assert.match(why, /LinkPollMs 5 is not in 10\.\.60000/);
    assert.match(why, /ReceiveBuffers 0 is not in 1\.\.65536/);
  });

  test("a Link that does not exist, or is no macvtap", async () => {
    assert.match(
      await refusal({ Link: `nolink${process.pid % 100000}` }),
      /there is no interface nolink/,
    );
    assert.match(await refusal({ Link: "lo" }), /lo is not a macvtap interface/);
  });

  test("a Device whose N is no interface's ifindex", async () => {
    assert.match(
      await refusal({ Device: "/dev/tap999999" }),
      /no interface has the ifindex its name gives/,
    );
  });
});

describe("NdisMRemoveMiniport", () => {
  test("NDIS removes the adapter after the call, as a surprise removal; a second call joins it", async () => {
    const miniport = scriptedMiniport();
    const host = new NdisHost();
    hosts.push(host);
    await host.loadDriver({ name: "mp", module: miniport.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const handle = miniport.adapters[0]?.handle;
    assert.ok(handle !== undefined);
    assert.equal(NdisMRemoveMiniport(handle), NDIS_STATUS_SUCCESS);
    assert.equal(NdisMRemoveMiniport(handle), NDIS_STATUS_SUCCESS);
    // Nothing happened inside the call.
    assert.ok(host.adapter("eth0") !== undefined);
    assert.ok(!miniport.calls.some((c) => c.startsWith("MiniportHaltEx")));
    await host.settle();
    assert.equal(host.adapter("eth0"), undefined);
    const tail = miniport.calls
      .slice(miniport.calls.indexOf("MiniportRestart") + 1)
      .filter((c) => !c.startsWith("MiniportOidRequest"))
      .map((c) => (c.startsWith("MiniportPause(") ? "MiniportPause" : c));
    assert.deepEqual(tail, [
      `MiniportDevicePnPEventNotify(${NdisDevicePnPEventSurpriseRemoved})`,
      "MiniportPause",
      `MiniportHaltEx(${NdisHaltDeviceSurpriseRemoved})`,
    ]);
  });

  test("the handle of an adapter already halted: FAILURE and the verifier says so", async () => {
    const miniport = scriptedMiniport();
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({ name: "mp", module: miniport.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const handle = miniport.adapters[0]?.handle;
    assert.ok(handle !== undefined);
    await host.removeAdapter("eth0");
    assert.equal(NdisMRemoveMiniport(handle), NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
    await host.unloadDriver("mp");
  });
});
