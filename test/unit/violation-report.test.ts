/**
 * A violation report names the rule, the driver, the objects, and the calls that led there (the
 * verifier's flight recorder keeps the latest control-path events even when nobody listens).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatViolationReport, NdisHost } from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";

test("a report carries the calls that led to the violation, oldest first, ending at the culprit", async () => {
  const host = new NdisHost({ verifier: "record" });
  const mp = scriptedMiniport({ pause: () => 12345 });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  await host.pauseStack("eth0");
  const v = host.violations.find((x) => x.rule === "MiniportPause_Return");
  assert.ok(v !== undefined);
  assert.equal(v.driver, "mp");
  assert.ok(v.recent.length > 2 && v.recent.length <= 16);
  const last = v.recent.slice(-3).join("\n");
  assert.match(last, /→ MiniportPause \[mp\] eth0/);
  assert.match(last, /← MiniportPause \[mp\]/);
  const report = formatViolationReport(v);
  assert.match(
    report,
    /^\[error\] MiniportPause_Return \(driver mp\): MiniportPause of adapter eth0/,
  );
  assert.match(report, /the calls that led there:\n {4}/);
});

test("with the verifier off nothing is recorded or reported", async () => {
  const host = new NdisHost({ verifier: "off" });
  const mp = scriptedMiniport({ pause: () => 12345 });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  await host.pauseStack("eth0");
  assert.deepEqual(host.violations, []);
});

test("a host made without the flight recorder reports the same violation, naming no calls; a listener still hears them", async () => {
  const host = new NdisHost({ verifier: "record", flightRecorder: false });
  const mp = scriptedMiniport({ pause: () => 12345 });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const heard: string[] = [];
  host.onTrace((e) => heard.push(`${e.kind} ${e.name}`));
  await host.pauseStack("eth0");
  const v = host.violations.find((x) => x.rule === "MiniportPause_Return");
  assert.ok(v !== undefined, "the verifier's rules fire as before");
  assert.deepEqual(v.recent, []);
  assert.doesNotMatch(formatViolationReport(v), /the calls that led there/);
  assert.ok(heard.includes("handler MiniportPause"), "trace listeners hear every call");
});
