/** The sample passthrough IM driver: registration of both edges across NDIS versions. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { passthroughDriver } from "../../src/drivers/passthrough/driver.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import { MPRestart } from "../../src/drivers/passthrough/miniport.js";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  MEMORY_ALLOCATION_ALIGNMENT,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  type TraceEvent,
} from "../../src/index.js";
import { edgeCount } from "../helpers/drivers.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

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
      "ProtocolNetPnPEvent", // NetEventBindsComplete: no adapter to bind to yet
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

describe("passthroughDriver: IM drivers of passthrough's shape", () => {
  test("the handlers given replace passthrough's, the others are passthrough's, each load has state of its own", async () => {
    const restarts: string[] = [];
    const built = passthroughDriver({
      miniport: {
        RestartHandler: (context, parameters) => {
          restarts.push("restart");
          return MPRestart(context, parameters);
        },
      },
    });
    const host = new NdisHost({
      verifier: "strict",
      bindings: [
        { protocol: "pt", adapter: "eth0" },
        { protocol: "built", adapter: "eth1" },
      ],
    });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "pt", module: passthrough });
    await host.loadDriver({ name: "built", module: built });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(
      restarts,
      [],
      "passthrough's own load does not run the built driver's handler",
    );
    await host.addAdapter({ driver: "testmp", name: "eth1" });
    assert.deepEqual(restarts, ["restart"]);
    assert.equal(host.adapter("eth0-pt")?.state, "Running");
    assert.equal(host.adapter("eth1-pt")?.state, "Running");
    // Unloading one leaves the other's edges registered and working.
    await host.unloadDriver("built");
    assert.equal(host.adapter("eth1-pt"), undefined);
    assert.equal(host.driver("pt")?.protocolDrivers.length, 1);
    await host.pauseStack("eth0");
    await host.restartStack("eth0");
    assert.equal(host.adapter("eth0-pt")?.state, "Running");
    assert.deepEqual(restarts, ["restart"]);
    await host.removeAdapter("eth0");
    await host.removeAdapter("eth1");
    await host.unloadDriver("pt");
    await host.unloadDriver("testmp");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });
});

describe("passthrough over the test miniport", () => {
  async function stack(options: { pend?: "NdisOpenAdapterEx" | "NdisCloseAdapterEx" } = {}) {
    const host = new NdisHost({
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const log: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.phase === "call" && e.kind === "handler" && e.name !== "DriverEntry")
        log.push(`${e.name}(${e.detail ?? ""})`);
    });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: scriptedProtocol({ name: "tcpip" }).module });
    if (options.pend !== undefined) host.pendOperations(options.pend);
    log.length = 0;
    return { host, log };
  }

  const upTo = (host: NdisHost) => host.adapters.map((a) => `${a.name}:${a.state}`);

  test("bring-up: the binding opens eth0, the virtual miniport eth0-pt starts with eth0's attributes, tcpip binds above", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(log, [
      "MiniportInitializeEx(eth0)",
      "MiniportDevicePnPEventNotify(eth0)",
      "ProtocolBindAdapterEx(passthrough → eth0)",
      "MiniportInitializeEx(eth0-pt)",
      "MiniportDevicePnPEventNotify(eth0-pt)",
      "ProtocolBindAdapterEx(tcpip → eth0-pt)",
      "MiniportOidRequest(eth0-pt)", // tcpip sets its packet filter,
      "MiniportOidRequest(eth0)", // which passthrough passes down
      "MiniportRestart(eth0)",
      "MiniportRestart(eth0-pt)",
      "ProtocolNetPnPEvent(passthrough → eth0: NetEventRestart)",
      "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventRestart)",
    ]);
    assert.deepEqual(upTo(host), ["eth0:Running", "eth0-pt:Running"]);
    const [lower, upper] = host.adapters;
    assert.equal(upper?.macAddress, lower?.macAddress);
    assert.equal(upper?.mtu, lower?.mtu);
    assert.equal(upper?.intermediate, true);
    assert.deepEqual(host.violations, []);
  });

  test("the virtual miniport asks the protocols above for the room the adapter below asks, and for its own context", async () => {
    const host = new NdisHost({
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const lower = scriptedMiniport({ general: { DataBackFillSize: 24, ContextBackFillSize: 16 } });
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "lower", module: lower.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "lower", name: "eth0" });
    const params = tcpip.bindings[0]?.params;
    assert.equal(params?.DataBackFillSize, 24, "sends go down as they came: the lower's data room");
    assert.equal(
      params?.ContextBackFillSize,
      16 + MEMORY_ALLOCATION_ALIGNMENT,
      "the lower's context room and passthrough's own context",
    );
    await host.removeAdapter("eth0");
    assert.deepEqual(host.violations, []);
  });

  test("a bind whose open NDIS pends completes from ProtocolOpenAdapterCompleteEx", async () => {
    const { host, log } = await stack({ pend: "NdisOpenAdapterEx" });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.ok(log.includes("ProtocolOpenAdapterCompleteEx(passthrough → eth0)"));
    assert.deepEqual(upTo(host), ["eth0:Running", "eth0-pt:Running"]);
    assert.deepEqual(host.violations, []);
  });

  test("removal (orderly, surprise, with a pended close) tears the virtual miniport down first and leaves nothing", async () => {
    for (const [surprise, pend] of [
      [false, undefined],
      [true, undefined],
      [false, "NdisCloseAdapterEx"],
    ] as const) {
      const { host, log } = await stack();
      await host.addAdapter({ driver: "testmp", name: "eth0" });
      // Both closes pend: tcpip's (above the virtual miniport) and passthrough's (below).
      if (pend !== undefined) host.pendOperations(pend, 2);
      log.length = 0;
      await host.removeAdapter("eth0", { surprise });
      // "Removing a NIC" (step 10) and, for surprise removal, "Processing the Surprise Removal
      // of a NIC (Windows 7 and Later Versions)" (steps 4-7): query-remove to the protocols, the
      // miniport told, then pause protocols, pause miniport, unbind, halt.
      const expected = [
        "ProtocolNetPnPEvent(passthrough → eth0: NetEventPause)",
        "MiniportPause(eth0)",
        "ProtocolUnbindAdapterEx(passthrough → eth0)",
        "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventPause)",
        "MiniportPause(eth0-pt)",
        "ProtocolUnbindAdapterEx(tcpip → eth0-pt)",
        ...(pend === undefined ? [] : ["ProtocolCloseAdapterCompleteEx(tcpip → eth0-pt)"]),
        "MiniportHaltEx(eth0-pt)",
        ...(pend === undefined ? [] : ["ProtocolCloseAdapterCompleteEx(passthrough → eth0)"]),
        "MiniportHaltEx(eth0)",
      ];
      const surpriseFirst = [
        "ProtocolNetPnPEvent(passthrough → eth0: NetEvent 2)",
        "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEvent 2)",
        "MiniportDevicePnPEventNotify(eth0)",
      ];
      assert.deepEqual(log, surprise ? [...surpriseFirst, ...expected] : expected);
      for (const name of ["tcpip", "passthrough", "testmp"]) await host.unloadDriver(name);
      assert.deepEqual(host.liveObjects(), []);
      assert.deepEqual(host.violations, []);
    }
  });

  test("disable and re-enable of the virtual miniport", async () => {
    const { host } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    await host.disableAdapter("eth0-pt");
    assert.deepEqual(upTo(host), ["eth0:Running"]);
    await host.enableAdapter("eth0-pt");
    assert.deepEqual(upTo(host), ["eth0:Running", "eth0-pt:Running"]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}:${b.state}`),
      ["passthrough→eth0:Running", "tcpip→eth0-pt:Running"],
    );
    assert.deepEqual(host.violations, []);
  });

  test("unloading passthrough with its binding open, then everything: no object left", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.unloadDriver("passthrough");
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventPause)",
      "MiniportPause(eth0-pt)",
      "ProtocolUnbindAdapterEx(tcpip → eth0-pt)",
      "MiniportHaltEx(eth0-pt)",
      "ProtocolNetPnPEvent(passthrough → eth0: NetEventPause)",
      "ProtocolUnbindAdapterEx(passthrough → eth0)",
      "MiniportDriverUnload()",
    ]);
    await host.unloadDriver("tcpip");
    await host.unloadDriver("testmp");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });

  test("system shutdown with the stack running: MiniportShutdownEx for each adapter, nothing left", async () => {
    const { host, log } = await stack();
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    log.length = 0;
    await host.shutdown();
    assert.deepEqual(log, ["MiniportShutdownEx(eth0)", "MiniportShutdownEx(eth0-pt)"]);
    assert.deepEqual(host.liveObjects(), []);
  });
});

describe("inserting and removing passthrough at run time", () => {
  test("tcpip → eth0 becomes passthrough → eth0 and tcpip → eth0-pt, and back", async () => {
    const host = new NdisHost({ bindings: [{ protocol: "tcpip", adapter: "eth0" }] });
    const log: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.phase === "call" && e.kind === "handler") log.push(`${e.name}(${e.detail ?? ""})`);
    });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    await host.loadDriver({ name: "tcpip", module: scriptedProtocol({ name: "tcpip" }).module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    const bindings = () => host.bindings.map((b) => `${b.protocol}→${b.adapter}:${b.state}`);
    assert.deepEqual(bindings(), ["tcpip→eth0:Running"]);

    log.length = 0;
    await host.setBindingPaths([
      { protocol: "passthrough", adapter: "eth0" },
      { protocol: "tcpip", adapter: "eth0-pt" },
    ]);
    assert.deepEqual(log, [
      "ProtocolNetPnPEvent(tcpip → eth0: NetEventPause)",
      "ProtocolUnbindAdapterEx(tcpip → eth0)",
      "MiniportPause(eth0)",
      "ProtocolBindAdapterEx(passthrough → eth0)",
      "MiniportInitializeEx(eth0-pt)",
      "MiniportDevicePnPEventNotify(eth0-pt)",
      "ProtocolBindAdapterEx(tcpip → eth0-pt)",
      "MiniportOidRequest(eth0-pt)", // tcpip sets its packet filter,
      "MiniportOidRequest(eth0)", // which passthrough passes down
      "MiniportRestart(eth0)",
      "MiniportRestart(eth0-pt)",
      "ProtocolNetPnPEvent(passthrough → eth0: NetEventRestart)",
      "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventRestart)",
    ]);
    assert.deepEqual(bindings(), ["passthrough→eth0:Running", "tcpip→eth0-pt:Running"]);

    await host.setBindingPaths([{ protocol: "tcpip", adapter: "eth0" }]);
    assert.deepEqual(bindings(), ["tcpip→eth0:Running"]);
    assert.deepEqual(
      host.adapters.map((a) => a.name),
      ["eth0"],
    );
    assert.deepEqual(host.violations, []);
  });

  test("binding paths that are not a list of names are refused", async () => {
    const host = new NdisHost();
    await assert.rejects(
      host.setBindingPaths([{ protocol: 1 }] as never),
      /bindings is "all" or a list/,
    );
  });
});
