/** The sample passthrough IM driver: registration of both edges across NDIS versions. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  type TraceEvent,
} from "../../src/index.js";
import { edgeCount } from "../helpers/drivers.js";

describe("passthrough DriverEntry", () => {
  for (const [version, miniportRevision, protocolRevision] of [
    ["6.0", 1, 1],
    ["6.1", 2, 2],
    ["6.30", 2, 2],
    ["6.70", 2, 2],
    ["6.80", 3, 2],
    ["6.89", 3, 2],
  ] as const) {
    test(`on NDIS ${version}: registers as ${version} with miniport Rev ${miniportRevision}, protocol Rev ${protocolRevision}, associated`, async () => {
      const host = new NdisHost({ ndisVersion: version });
      const { status } = await host.loadDriver({ name: "passthrough", module: passthrough });
      assert.equal(status, NDIS_STATUS_SUCCESS);
      const info = host.driver("passthrough");
      const miniport = info?.miniportDrivers[0];
      const protocol = info?.protocolDrivers[0];
      assert.equal(miniport?.intermediate, true);
      assert.equal(miniport?.ndisVersion, version);
      assert.equal(miniport?.revision, miniportRevision);
      assert.deepEqual(miniport?.ignoredHandlers, []);
      assert.equal(miniport?.associatedProtocol, "passthrough");
      assert.equal(protocol?.name, "passthrough", "the protocol registers under the service name");
      assert.equal(protocol?.revision, protocolRevision);
      assert.equal(protocol?.associatedWithMiniport, true);
      await host.unloadDriver("passthrough");
      assert.deepEqual(host.drivers, []);
      assert.deepEqual(host.violations, []);
    });
  }

  test("the DDI calls happen in the seed page's order", async () => {
    const host = new NdisHost();
    const calls: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.phase === "call") calls.push(e.name);
    });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.unloadDriver("passthrough");
    assert.deepEqual(calls, [
      "DriverEntry",
      "NdisMRegisterMiniportDriver",
      "NdisRegisterProtocolDriver",
      "NdisIMAssociateMiniport",
      "MiniportDriverUnload",
      "NdisDeregisterProtocolDriver",
      "NdisMDeregisterMiniportDriver",
    ]);
  });

  test("loaded under another service name, its protocol edge takes that name", async () => {
    const host = new NdisHost();
    await host.loadDriver({ name: "MUXP", module: passthrough });
    assert.equal(host.driver("MUXP")?.protocolDrivers[0]?.name, "MUXP");
  });

  test("one module in two hosts at once: each keeps its own globals", async () => {
    const a = new NdisHost({ ndisVersion: "6.20" });
    const b = new NdisHost({ ndisVersion: "6.89" });
    await a.loadDriver({ name: "passthrough", module: passthrough });
    await b.loadDriver({ name: "passthrough", module: passthrough });
    await a.unloadDriver("passthrough");
    assert.equal(b.driver("passthrough")?.miniportDrivers[0]?.revision, 3);
    await b.unloadDriver("passthrough");
    assert.deepEqual([...a.violations, ...b.violations], []);
  });

  test("a failed protocol registration undoes the miniport edge before DriverEntry fails", async () => {
    const host = new NdisHost();
    host.failAllocations("NdisRegisterProtocolDriver");
    const { status } = await host.loadDriver({ name: "passthrough", module: passthrough });
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.deepEqual(edgeCount(host), { miniports: 0, protocols: 0 });
    assert.deepEqual(host.violations, [], "it deregistered on its own");
    // And it loads once memory is back.
    assert.equal(
      (await host.loadDriver({ name: "passthrough", module: passthrough })).status,
      NDIS_STATUS_SUCCESS,
    );
  });

  test("a failed miniport registration fails DriverEntry with NDIS's status", async () => {
    const host = new NdisHost();
    host.failAllocations("NdisMRegisterMiniportDriver");
    const { status } = await host.loadDriver({ name: "passthrough", module: passthrough });
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.deepEqual(host.drivers, []);
  });
});
