/**
 * NDIS's watchdogs on the host clock: a pause that never completes, an OID request never
 * completed, a send the miniport keeps, sends that stop making progress — each reported once, at
 * Driver Verifier's limit and not before, naming what is outstanding; a healthy stack never trips
 * them however long it runs. The watchdog looks once a second, so a report comes between the
 * limit and two seconds past it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_STATUS_PENDING,
  NdisError,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
  type VerifierMode,
} from "../../src/index.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

async function stack(mp: Script, verifier: VerifierMode = "record") {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier });
  const miniport = scriptedMiniport(mp);
  // It sets no packet filter: the tests pend or count the miniport's OID requests.
  const proto = scriptedProtocol({ name: "p", packetFilter: 0 });
  await host.loadDriver({ name: "mp", module: miniport.module });
  await host.loadDriver({ name: "p", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
  const send = (n: number) =>
    NdisSendNetBufferLists(binding, allocateNbls(pool, n, binding)[0] as NET_BUFFER_LIST, 0, 0);
  return { clock, host, binding, send };
}

describe("watchdogs", () => {
  test("a pause that never completes is reported at 10 s with the sends still in the miniport", async () => {
    // The miniport keeps the sends and never completes its pause.
    const s = await stack({ send: () => {}, pause: () => NDIS_STATUS_PENDING });
    s.send(3);
    const paused = s.host.pauseStack("eth0").then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setImmediate(resolve)); // let the pause reach the miniport
    s.clock.advance(9_000);
    assert.ok(!rules(s.host).includes("NdisTimedPauseComplete"));
    s.clock.advance(3_000);
    const report = s.host.violations.find((v) => v.rule === "NdisTimedPauseComplete");
    assert.ok(report !== undefined);
    assert.equal(report.driver, "mp");
    assert.match(report.message, /adapter eth0/);
    assert.match(report.message, /3 send\(s\) not completed \[NBL #0 of .*pending in the miniport/);
    s.clock.advance(60_000);
    assert.equal(rules(s.host).filter((r) => r === "NdisTimedPauseComplete").length, 1);
    // The host operation does not wait forever: it fails naming what is outstanding.
    const failure = await paused;
    assert.ok(NdisError.is(failure) && failure.code === "NDIS_ERR_TIMEOUT");
    assert.match(failure.message, /MiniportPause of adapter eth0 .*3 send\(s\) not completed/);
  });

  test("an OID request the miniport pended and never completed is reported at 12 s", async () => {
    const s = await stack({ oid: () => NDIS_STATUS_PENDING });
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_VENDOR_DESCRIPTION,
      InformationBuffer: new Uint8Array(64),
    });
    assert.equal(NdisOidRequest(s.binding, request), NDIS_STATUS_PENDING);
    s.clock.advance(11_000);
    assert.deepEqual(rules(s.host), []);
    s.clock.advance(3_000);
    assert.deepEqual(rules(s.host), ["NdisTimedOidComplete"]);
    assert.match(s.host.violations[0]?.message ?? "", /OID_GEN_VENDOR_DESCRIPTION/);
  });

  test("sends the miniport keeps: no progress at 22 s, the oldest NBLs at 30 s", async () => {
    const s = await stack({ send: () => {} });
    s.send(2);
    s.clock.advance(21_000);
    assert.deepEqual(rules(s.host), []);
    s.clock.advance(3_000);
    assert.deepEqual(rules(s.host), ["NdisTimedDataHang"]);
    s.clock.advance(8_000);
    assert.deepEqual(rules(s.host), [
      "NdisTimedDataHang",
      "NdisTimedDataSend",
      "NdisTimedDataSend",
    ]);
    assert.equal(s.host.violations[1]?.driver, "mp");
  });

  test("in strict mode the watchdog stops the offending stack and the host goes on", async () => {
    const s = await stack({ send: () => {} }, "strict");
    s.send(1);
    s.clock.advance(23_000);
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisTimedDataHang", "mp"]],
    );
    await s.host.settle();
    assert.equal(s.host.bugCheck, null);
  });

  test("a healthy stack under traffic never trips a watchdog, and an idle host has no timer", async () => {
    const s = await stack({});
    for (let i = 0; i < 120; i++) {
      s.send(4);
      s.clock.advance(1_000);
    }
    await s.host.pauseStack("eth0");
    await s.host.restartStack("eth0");
    s.clock.advance(60_000);
    assert.deepEqual(s.host.violations, []);
    await s.host.removeAdapter("eth0");
    s.clock.advance(2_000);
    assert.equal(s.clock.pending, 0);
  });

  test("limits are options; a bad one is refused by name", () => {
    assert.throws(
      () => new NdisHost({ watchdogs: { pauseMs: -1 } }),
      (e: unknown) => e instanceof NdisError && /watchdogs\.pauseMs/.test(e.message),
    );
  });
});
