/**
 * The tap miniport without a macvtap device (no root needed): every way its parameters or the
 * Linux side can be wrong fails MiniportInitializeEx with a reason, and nothing is left behind.
 * (The interop with real macvtap devices is in test/net/tap-linux.test.ts.)
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import * as tap from "../../src/drivers/tap/index.js";
import { NdisHost, type RegistryValue } from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";

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
