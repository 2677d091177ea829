/**
 * A C driver in a stack file, end to end: examples/c-passthrough.yaml (two hosts on a hub, each
 * behind the C passthrough IM driver built from c/samples/passthrough) runs its pings on a
 * ManualClock under the strict verifier and tears down to nothing; `ndis run` reports the hosts'
 * counters; `ndis trace` — in a fresh process of the CLI — shows the C driver's handlers and DDI
 * calls by its service name. The example's module (./cpassthru.wasm) is built into a temporary
 * folder beside a copy of the example. The same for examples/c-filter-ping.yaml: the passthrough
 * filter in C (c/samples/filter-passthrough) on a hub port and on the IM's virtual miniport.
 * Skipped without clang and lld.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/commands/run.js";
import { createOutput } from "../../src/cli/output.js";
import { ManualClock, type TraceEvent } from "../../src/index.js";
import { durationMs, loadStackFile, startStack, stopStack } from "../../src/stack/index.js";
import { buildSample, cSkipReason, FILTER_PASSTHROUGH, PASSTHROUGH } from "../helpers/cdriver.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const skip = cSkipReason() ?? false;

interface HostCounters {
  echoRequestsSent: number;
  echoRepliesReceived: number;
}

/** A temporary folder holding a copy of example `name` and the C module `module` it names. */
function exampleWithModule(name: string, module: string, sources: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), "ndis-c-stack-"));
  const yaml = join(dir, name);
  before(async () => {
    const wasm = await buildSample(module, sources);
    copyFileSync(wasm, join(dir, `${module}.wasm`));
    copyFileSync(join(ROOT, "examples", name), yaml);
  });
  return yaml;
}

/**
 * Runs the stack file for its duration on a ManualClock, strict verifier, and checks that both
 * hosts sent 4 echo requests and got 4 replies; returns the running stack (not yet stopped).
 */
async function pingsAnswered(yaml: string, events?: TraceEvent[]) {
  const stack = await loadStackFile(yaml);
  const clock = new ManualClock();
  const running = await startStack(stack, {
    clock,
    verifier: "strict",
    ...(events === undefined ? {} : { setup: (host) => host.onTrace((e) => events.push(e)) }),
  });
  assert.deepEqual(running.problems, []);
  const ms = durationMs(stack.spec.run?.duration ?? "1s");
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await running.host.settle();
  }
  for (const driver of ["host-a", "host-b"]) {
    const data = running.reports().find((r) => r.driver === driver)?.data as {
      interfaces: { counters: HostCounters }[];
    };
    assert.equal(data.interfaces[0]?.counters.echoRequestsSent, 4, driver);
    assert.equal(data.interfaces[0]?.counters.echoRepliesReceived, 4, driver);
  }
  return running;
}

/** Stops the stack: nothing left, no problem, no violation. */
async function stopsClean(running: Awaited<ReturnType<typeof pingsAnswered>>) {
  const { liveObjects, problems } = await stopStack(running);
  assert.deepEqual(problems, []);
  assert.deepEqual(liveObjects, []);
  assert.deepEqual(running.host.violations, []);
}

describe("examples/c-passthrough.yaml: the C passthrough in a stack file", { skip }, () => {
  const yaml = exampleWithModule("c-passthrough.yaml", "cpassthru", PASSTHROUGH);

  test("both hosts ping through the C driver and are answered; strict verifier, clean teardown", async () => {
    const running = await pingsAnswered(yaml);
    // The frames went through the C driver's virtual miniports.
    const eth1pt = running.host.statistics().adapters.find((a) => a.name === "eth1-pt");
    assert.ok((eth1pt?.sentPackets ?? 0) >= 8, "requests and replies left through eth1-pt");
    await stopsClean(running);
  });

  test("ndis run: the stack runs its duration and reports the hosts' counters", async () => {
    let text = "";
    const out = createOutput(
      (t) => {
        text += t;
      },
      { json: true },
    );
    const clock = new ManualClock();
    const done = run({ stack: yaml, interval: "1m" }, out, { clock });
    const records = () =>
      text
        .trim()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    for (let i = 0; i < 20_000 && !records().some((r) => r.type === "summary"); i++) {
      if (records().some((r) => r.type === "up")) clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await done, 0);
    const all = records();
    const hostA = all.find((r) => r.type === "report" && r.driver === "host-a") as unknown as {
      interfaces: { counters: HostCounters }[];
    };
    assert.equal(hostA.interfaces[0]?.counters.echoRepliesReceived, 4);
    const summary = all.at(-1) as { type: string; violations: number; leaked: number };
    assert.equal(summary.type, "summary");
    assert.equal(summary.violations, 0);
    assert.equal(summary.leaked, 0);
  });

  test("ndis trace (a fresh CLI process): the C driver's handlers and DDI calls by its name", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "trace", yaml, "--format", "mermaid"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sequenceDiagram\n/);
    assert.match(r.stdout, /participant cpassthru/);
    assert.match(r.stdout, /cpassthru->>NDIS: NdisOpenAdapterEx/);
    assert.match(r.stdout, /NDIS->>cpassthru: MiniportInitializeEx \(eth0-pt\)/);
    assert.ok(readFileSync(yaml, "utf8").includes("module: ./cpassthru.wasm"));
  });
});

describe("examples/c-filter-ping.yaml: the passthrough filter in C in a stack file", {
  skip,
}, () => {
  const yaml = exampleWithModule("c-filter-ping.yaml", "cfilter", FILTER_PASSTHROUGH);

  test("both hosts ping through the C filter's modules; strict verifier, clean teardown", async () => {
    const events: TraceEvent[] = [];
    const running = await pingsAnswered(yaml, events);
    // The C filter's handlers ran: attached on both adapters, traffic through each way.
    const calls = (name: string) =>
      events.filter(
        (e) =>
          e.name === name && e.driver === "cfilter" && e.phase === "call" && e.kind !== "state",
      ).length;
    assert.equal(calls("FilterAttach"), 2);
    assert.ok(calls("FilterSendNetBufferLists") >= 8, "requests and replies went down through it");
    assert.ok(calls("FilterReceiveNetBufferLists") >= 8, "and came up through it");
    assert.ok(calls("FilterOidRequest") > 0, "OID requests went through it");
    await stopsClean(running);
    assert.equal(calls("FilterDetach"), 2);
  });
});
