/**
 * Strict mode stops the offending driver's stack, not the host (issue 4, "Bad input and faults";
 * issue 8's strict mode): what depends on the driver is torn down in NDIS order without calling
 * the driver again, waits on its objects end, and every other stack keeps running.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMRestartComplete,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

async function twoStacks(bad: Parameters<typeof scriptedMiniport>[0]) {
  const host = new NdisHost({
    verifier: "strict",
    bindings: [
      { protocol: "passthrough", adapter: "eth0" },
      { protocol: "passthrough", adapter: "eth1" },
      { protocol: "tcpip", adapter: "eth0-pt" },
      { protocol: "tcpip", adapter: "eth1-pt" },
    ],
  });
  const badMp = scriptedMiniport(bad);
  const goodMp = scriptedMiniport();
  await host.loadDriver({ name: "bad", module: badMp.module });
  await host.loadDriver({ name: "good", module: goodMp.module });
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const tcpip = scriptedProtocol({ name: "tcpip" });
  await host.loadDriver({ name: "tcpip", module: tcpip.module });
  await host.addAdapter({ driver: "bad", name: "eth0" });
  await host.addAdapter({ driver: "good", name: "eth1" });
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.phase === "call" && e.kind === "handler") log.push(`${e.name}(${e.detail ?? ""})`);
  });
  return { host, badMp, goodMp, tcpip, log };
}

const states = (host: NdisHost) => host.adapters.map((a) => `${a.name}:${a.state}`);

describe("strict mode contains a misbehaving driver to its stack", () => {
  test("a miniport whose MiniportPause fails: its stack is torn down above it, the other stack runs on", async () => {
    const { host, badMp, log } = await twoStacks({ pause: () => NDIS_STATUS_FAILURE });
    assert.deepEqual(states(host), [
      "eth0:Running",
      "eth0-pt:Running",
      "eth1:Running",
      "eth1-pt:Running",
    ]);
    await host.pauseStack("eth0");
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["MiniportPause_Return", "bad"]],
    );
    assert.deepEqual(log.slice(-7), [
      "ProtocolNetPnPEvent(passthrough → eth0: NetEventPause)",
      "MiniportPause(eth0)",
      // containment: passthrough's binding to the dead adapter is unbound, so its virtual
      // miniport goes, and tcpip above it is unbound first
      "ProtocolUnbindAdapterEx(passthrough → eth0)",
      "ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventPause)",
      "MiniportPause(eth0-pt)",
      "ProtocolUnbindAdapterEx(tcpip → eth0-pt)",
      "MiniportHaltEx(eth0-pt)",
    ]);
    assert.ok(
      !badMp.calls.some((c) => c.startsWith("MiniportHaltEx")),
      "the stopped driver is never called again",
    );
    assert.deepEqual(states(host), ["eth1:Running", "eth1-pt:Running"]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}:${b.state}`),
      ["passthrough→eth1:Running", "tcpip→eth1-pt:Running"],
    );
    assert.equal(host.driver("bad"), undefined);
    assert.equal(host.bugCheck, null);
    // The rest of the host works as before.
    await host.removeAdapter("eth1");
    for (const name of ["tcpip", "passthrough", "good"]) await host.unloadDriver(name);
    assert.deepEqual(host.liveObjects(), []);
  });

  test("a pause the stopped driver pended ends when NDIS gives up on it", async () => {
    let pend = false;
    const { host, badMp } = await twoStacks({
      pause: () => (pend ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS),
    });
    pend = true;
    let paused = false;
    const pausing = host.pauseStack("eth0").then(
      () => {
        paused = true;
      },
      () => {
        paused = true;
      },
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(paused, false, "the pause waits for the driver");
    // The driver breaks a rule: a restart completion with no restart pending.
    NdisMRestartComplete(badMp.adapters[0]?.handle as never, NDIS_STATUS_SUCCESS);
    await pausing;
    await host.settle();
    assert.equal(paused, true, "NDIS stopped waiting on the stopped driver");
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.rule),
      ["NdisMRestartComplete_NotPending"],
    );
    assert.deepEqual(states(host), ["eth1:Running", "eth1-pt:Running"]);
  });

  test("a protocol that breaks a rule loses its bindings; the adapters below keep running", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const good = scriptedProtocol({ name: "good" });
    // Returns SUCCESS from its bind without opening: ProtocolBindAdapterEx_SuccessWithoutOpen.
    const bad = scriptedProtocol({
      name: "bad",
      bind: (_b, _c, open) => (_b.adapter === "eth1" ? NDIS_STATUS_SUCCESS : open()),
    });
    await host.loadDriver({ name: "good", module: good.module });
    await host.loadDriver({ name: "bad", module: bad.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["ProtocolBindAdapterEx_SuccessWithoutOpen", "bad"]],
    );
    assert.deepEqual(states(host), ["eth0:Running", "eth1:Running"]);
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}→${b.adapter}`),
      ["good→eth0", "good→eth1"],
    );
    assert.deepEqual(
      host.liveObjects().filter((o) => o.driver === "bad"),
      [],
    );
  });
});
