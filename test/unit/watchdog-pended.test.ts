/**
 * A watchdog for every operation NDIS waits for a driver to complete — a miniport's restart, a
 * protocol's pended bind, unbind, NetEventPause, NetEventRestart, any other NetPnPEvent — and
 * blame for the driver that HOLDS what is outstanding (per NDIS's ownership records), not for a
 * healthy neighbour waiting on it. A host operation stuck on a driver never hangs: in strict mode
 * the driver at fault is stopped and the operation finishes; otherwise it fails with
 * NDIS_ERR_TIMEOUT naming what is outstanding. A stuck teardown in `ndis run` ends in the report,
 * a summary and exit 1, on a virtual clock and on the real one.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/commands/run.js";
import { trace } from "../../src/cli/commands/trace.js";
import { createOutput } from "../../src/cli/output.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisError,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NetEventPause,
  NetEventReconfigure,
  NetEventRestart,
  OID_GEN_VENDOR_DESCRIPTION,
  type VerifierMode,
} from "../../src/index.js";
import { loadStackFile, startStack, stopStack } from "../../src/stack/index.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

const HOARDER = fileURLToPath(new URL("../fixtures/hoarder.ts", import.meta.url));
const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Advances `clock` in 500 ms steps, letting promise chains run, until `work` settles. */
async function drive<T>(clock: ManualClock, work: Promise<T>, maxMs = 120_000): Promise<T> {
  let settled = false;
  work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let t = 0; t < maxMs; t += 500) {
    for (let i = 0; i < 20 && !settled; i++) await turn();
    if (settled) break;
    clock.advance(500);
  }
  for (let i = 0; i < 20 && !settled; i++) await turn();
  assert.ok(settled, `still waiting after ${maxMs} ms of virtual time`);
  return work;
}

const failure = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (e: unknown) => e,
  );

function assertTimeout(error: unknown, pattern: RegExp): void {
  assert.ok(NdisError.is(error), `expected an NdisError, got ${String(error)}`);
  assert.equal(error.code, "NDIS_ERR_TIMEOUT");
  assert.match(error.message, pattern);
}

const blamed = (host: NdisHost) => host.violations.map((v) => [v.rule, v.driver]);

async function oneStack(mode: VerifierMode, mp: Script, proto: ProtocolScript) {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier: mode });
  const miniport = scriptedMiniport(mp);
  const protocol = scriptedProtocol({ name: "p", ...proto });
  await host.loadDriver({ name: "mp", module: miniport.module });
  await host.loadDriver({ name: "p", module: protocol.module });
  return { clock, host, miniport, protocol };
}

const pend =
  (code: number) =>
  (_b: unknown, e: { NetPnPEvent: { NetEvent: number } }): number =>
    e.NetPnPEvent.NetEvent === code ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS;

describe("every pended operation NDIS waits for has a watchdog", () => {
  test("a protocol's pended NetEventPause: reported against it; the pause fails with what is outstanding", async () => {
    const s = await oneStack("record", {}, { pnp: pend(NetEventPause) });
    await s.host.addAdapter({ driver: "mp", name: "eth0" });
    const error = await drive(s.clock, failure(s.host.pauseStack("eth0")));
    assertTimeout(error, /ProtocolNetPnPEvent\(NetEventPause\) of p → eth0 has not completed/);
    assert.deepEqual(blamed(s.host), [["NdisTimedPauseComplete", "p"]]);
  });

  test("strict: the protocol that never completes its pause is stopped, the pause goes on", async () => {
    const s = await oneStack("strict", {}, { pnp: pend(NetEventPause) });
    await s.host.addAdapter({ driver: "mp", name: "eth0" });
    const info = await drive(s.clock, s.host.pauseStack("eth0"));
    assert.equal(info.state, "Paused");
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisTimedPauseComplete", "p"]],
    );
  });

  test("a protocol's pended NetEventRestart", async () => {
    const s = await oneStack("record", {}, { pnp: pend(NetEventRestart) });
    const error = await drive(s.clock, failure(s.host.addAdapter({ driver: "mp", name: "eth0" })));
    assertTimeout(error, /NetEventRestart\) of p → eth0/);
    assert.deepEqual(blamed(s.host), [["NdisTimedRestartComplete", "p"]]);
  });

  test("a miniport's pended restart", async () => {
    const s = await oneStack("record", { restart: () => NDIS_STATUS_PENDING }, {});
    const error = await drive(s.clock, failure(s.host.addAdapter({ driver: "mp", name: "eth0" })));
    assertTimeout(error, /MiniportRestart of adapter eth0/);
    assert.deepEqual(blamed(s.host), [["NdisTimedRestartComplete", "mp"]]);
  });

  test("a pended bind that is never completed", async () => {
    const s = await oneStack("record", {}, { bind: () => NDIS_STATUS_PENDING });
    const error = await drive(s.clock, failure(s.host.addAdapter({ driver: "mp", name: "eth0" })));
    assertTimeout(error, /ProtocolBindAdapterEx of p → eth0/);
    assert.deepEqual(blamed(s.host), [["NdisTimedBindComplete", "p"]]);
  });

  test("a pended unbind that is never completed", async () => {
    const s = await oneStack("record", {}, { unbind: () => NDIS_STATUS_PENDING });
    await s.host.addAdapter({ driver: "mp", name: "eth0" });
    const error = await drive(s.clock, failure(s.host.removeAdapter("eth0")));
    assertTimeout(error, /ProtocolUnbindAdapterEx of p → eth0/);
    assert.deepEqual(blamed(s.host), [["NdisTimedBindComplete", "p"]]);
  });

  test("any other pended NetPnPEvent (reconfigure)", async () => {
    const s = await oneStack("record", {}, { pnp: pend(NetEventReconfigure) });
    await s.host.addAdapter({ driver: "mp", name: "eth0" });
    const error = await drive(s.clock, failure(s.host.reconfigure("p", "eth0")));
    assertTimeout(error, /ProtocolNetPnPEvent\(NetEventReconfigure\) of p → eth0/);
    assert.deepEqual(blamed(s.host), [["NdisTimedPnPEventComplete", "p"]]);
  });
});

describe("suspend after a driver stops completing: the healthy stacks are not left paused", () => {
  // Issue 22: with no watchdog for a pended NetEventPause, a suspend() waited for ever on the
  // faulty protocol and the healthy stacks it had paused stayed paused. Now the protocol is named
  // and (strict) stopped, the suspend completes, and resume() brings the healthy stack back.
  test("a protocol that never completes its low-power pause is stopped; the other stack sleeps and wakes", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      verifier: "strict",
      bindings: [
        { protocol: "good", adapter: "eth0" },
        { protocol: "bad", adapter: "eth1" },
      ],
    });
    const miniport = scriptedMiniport({});
    const good = scriptedProtocol({ name: "good" });
    const bad = scriptedProtocol({ name: "bad", pnp: pend(NetEventPause) });
    await host.loadDriver({ name: "mp", module: miniport.module });
    await host.loadDriver({ name: "good", module: good.module });
    await host.loadDriver({ name: "bad", module: bad.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    const states = () => host.bindings.map((b) => `${b.protocol} → ${b.adapter}: ${b.state}`);
    assert.deepEqual(states(), ["good → eth0: Running", "bad → eth1: Running"]);

    assert.equal(await drive(clock, host.suspend()), NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisTimedPauseComplete", "bad"]],
    );
    await drive(clock, host.resume());
    assert.equal(host.adapter("eth0")?.state, "Running", "the healthy adapter runs again");
    assert.ok(states().includes("good → eth0: Running"), `the healthy binding runs: ${states()}`);
    assert.equal(
      host.bindings.some((b) => b.protocol === "bad"),
      false,
      "the stopped protocol is not bound again",
    );
  });
});

describe("the watchdog blames the driver that holds the object", () => {
  test("a lower miniport's never-completed OID: the miniport, not the IM that forwarded it", async () => {
    const clock = new ManualClock();
    const host = new NdisHost({
      clock,
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "p", adapter: "eth0-pt" },
      ],
    });
    const mp = scriptedMiniport({ oid: () => NDIS_STATUS_PENDING });
    const proto = scriptedProtocol({ name: "p" });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const status = NdisOidRequest(
      proto.bindings[0]?.handle as NDIS_HANDLE,
      makeOidRequest({
        RequestType: NdisRequestQueryInformation,
        Oid: OID_GEN_VENDOR_DESCRIPTION,
        InformationBuffer: new Uint8Array(64),
      }),
    );
    assert.equal(status, NDIS_STATUS_PENDING);
    clock.advance(30_000);
    assert.deepEqual(blamed(host), [["NdisTimedOidComplete", "mp"]]);
  });

  async function hoardStack(mode: VerifierMode, middle: "hub" | "passthrough") {
    const dir = mkdtempSync(join(tmpdir(), "ndis-hoard-"));
    const file = join(dir, "hoard.yaml");
    const top = middle === "hub" ? "eth1" : "eth1-pt";
    writeFileSync(
      file,
      [
        "drivers:",
        "  - { name: host-a, module: ipv4-host }",
        `  - { name: hoarder, module: ${JSON.stringify(HOARDER)} }`,
        "  - { name: passthrough, module: passthrough }",
        "  - { name: hub, module: hub }",
        "adapters:",
        "  - { name: eth0, driver: hub, registry: { Hub: lab } }",
        "  - { name: eth1, driver: hub, registry: { Hub: lab } }",
        "bindings:",
        "  - protocol: host-a",
        "    adapter: eth0",
        "    registry: { IPAddress: 198.51.100.1, PrefixLength: 24, PingTarget: 198.51.100.2, PingCount: 2, PingIntervalMs: 100 }",
        ...(middle === "passthrough" ? ["  - { protocol: passthrough, adapter: eth1 }"] : []),
        `  - { protocol: hoarder, adapter: ${top} }`,
        `ndis: { verifier: ${mode} }`,
        "run: { duration: 1s }",
      ].join("\n"),
    );
    return file;
  }

  for (const middle of ["hub", "passthrough"] as const) {
    test(`receives never returned through ${middle}: the protocol holding them is blamed and (strict) stopped; teardown completes`, async () => {
      const stack = await loadStackFile(await hoardStack("strict", middle));
      const clock = new ManualClock();
      const running = await startStack(stack, { clock });
      await drive(
        clock,
        (async () => {
          for (let i = 0; i < 4; i++) {
            clock.advance(250);
            await running.host.settle();
          }
        })(),
      );
      const teardown = await drive(clock, stopStack(running));
      assert.deepEqual(
        running.host.stoppedDrivers.map((v) => [v.rule, v.driver]),
        [["NdisTimedPauseComplete", "hoarder"]],
      );
      assert.match(
        running.host.stoppedDrivers[0]?.message ?? "",
        // Through passthrough the lower adapter's MiniportPause now waits (protocols, then the
        // miniport are paused before anything is unbound: "Removing a NIC"), and names the
        // protocol the IM's forwarded indications are stuck in.
        /indication\(s\) not returned( \[held by hoarder: NBLs? #0|; held up by hoarder$)/,
      );
      assert.deepEqual(teardown.problems, []);
      assert.deepEqual(teardown.liveObjects, []);
    });
  }

  test("ndis run on a virtual clock: a stuck teardown ends in the report, the summary and exit 1", async () => {
    const file = await hoardStack("record", "hub");
    const clock = new ManualClock();
    let text = "";
    const out = createOutput(
      (t) => {
        text += t;
      },
      { json: true },
    );
    const code = await drive(
      clock,
      run({ stack: file, interval: "1m" }, out, {
        clock,
        signals: new EventEmitter(),
      }),
    );
    assert.equal(code, 1);
    const records = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const problems = records.filter((r) => r.type === "problem").map((r) => String(r.message));
    assert.ok(
      problems.some((p) =>
        /^removing eth1: NDIS gave up waiting: MiniportPause of adapter eth1 .*held by hoarder.*held up by hoarder/.test(
          p,
        ),
      ),
      problems.join("\n"),
    );
    const violation = records.find((r) => r.type === "violation");
    assert.equal(violation?.driver, "hoarder");
    assert.equal(records.at(-1)?.type, "summary");
  });

  test("ndis trace runs a stuck stack's teardown on its virtual clock to the end: exit 1, not 13", async () => {
    const file = await hoardStack("record", "hub");
    const output = join(mkdtempSync(join(tmpdir(), "ndis-hoard-trace-")), "t.json");
    assert.equal(await trace({ input: file, output }, () => {}), 1);
  });
});

describe("on the real clock nothing hangs silently", () => {
  test("await host.removeAdapter() of a stuck stack fails with the report instead of exiting 13", () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-stuck-"));
    const script = join(dir, "stuck.mts");
    writeFileSync(
      script,
      `
import { NdisHost, NDIS_STATUS_PENDING } from ${JSON.stringify(join(ROOT, "src/index.ts"))};
import { scriptedMiniport } from ${JSON.stringify(join(ROOT, "test/helpers/miniport.ts"))};
const host = new NdisHost({ verifier: "record", watchdogs: { pauseMs: 300 } });
await host.loadDriver({ name: "mp", module: scriptedMiniport({ pause: () => NDIS_STATUS_PENDING }).module });
await host.addAdapter({ driver: "mp", name: "eth0" });
try {
  await host.removeAdapter("eth0");
  console.log("removed");
} catch (e) {
  console.log("failed:", e.code, e.message);
}
`,
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^failed: NDIS_ERR_TIMEOUT NDIS gave up waiting: MiniportPause of adapter eth0/,
    );
  });

  test("ndis run: a stuck teardown prints the watchdog report and the summary, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-hoard-cli-"));
    const file = join(dir, "hoard.yaml");
    writeFileSync(
      file,
      [
        "drivers:",
        "  - { name: host-a, module: ipv4-host }",
        `  - { name: hoarder, module: ${JSON.stringify(HOARDER)} }`,
        "  - { name: hub, module: hub }",
        "adapters:",
        "  - { name: eth0, driver: hub, registry: { Hub: lab } }",
        "  - { name: eth1, driver: hub, registry: { Hub: lab } }",
        "bindings:",
        "  - protocol: host-a",
        "    adapter: eth0",
        "    registry: { IPAddress: 198.51.100.1, PrefixLength: 24, PingTarget: 198.51.100.2, PingCount: 2, PingIntervalMs: 100 }",
        "  - { protocol: hoarder, adapter: eth1 }",
        "run: { duration: 1s }",
      ].join("\n"),
    );
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "run", file, "--interval", "1m"],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /removing eth1: NDIS gave up waiting: MiniportPause of adapter eth1/);
    assert.match(r.stdout, /NdisTimedPauseComplete \(driver hoarder\)/);
    assert.match(r.stdout, /live objects after teardown: \d+/);
  });
});
