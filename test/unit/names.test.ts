/**
 * Windows compares adapter and device instance names without regard to case (device instance IDs
 * and interface names are case-insensitive: learn.microsoft.com, "Device Instance IDs"). So does
 * ndis-ts: the host's calls, the stack file's bindings, an IM driver's device instances.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import { NdisError, NdisHost } from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

describe("adapter and device instance names ignore case", () => {
  test("one adapter per name whatever its case; every host call finds it by any case", async () => {
    const host = new NdisHost({
      verifier: "strict",
      bindings: [{ protocol: "tcpip", adapter: "ETH0" }],
    });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(
      tcpip.bindings.map((b) => b.adapter),
      ["eth0"],
      "a binding named ETH0 binds eth0",
    );
    await assert.rejects(
      host.addAdapter({ driver: "mp", name: "ETH0" }),
      (e: unknown) => e instanceof NdisError && e.code === "NDIS_ERR_ADAPTER_EXISTS",
    );
    assert.equal(host.adapter("Eth0")?.name, "eth0");
    await host.removeAdapter("ETH0");
    assert.equal(host.adapter("eth0"), undefined);
  });

  test("an IM driver's virtual miniport: found by any case", async () => {
    const host = new NdisHost({
      verifier: "strict",
      bindings: [{ protocol: "passthrough", adapter: "Eth0" }],
    });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(host.adapter("ETH0-PT")?.name, "eth0-pt");
    assert.deepEqual(host.violations, []);
  });
});
