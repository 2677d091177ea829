/**
 * The explorer (src/verify/explore.ts, docs/verify.md): five realistic concurrency bugs planted in
 * copies of passthrough (test/fixtures/racy-im.ts) pass every scenario in the plain order, and
 * `ndis verify` finds each within its default budget, shrinks it, and replays it from the seed it
 * was found with and from the shrunk choice list — while passthrough itself passes those very
 * schedules. Exhaustive search finds the OID race within bound 2 and proves the clean driver
 * within bound 1. Replay tokens read back what they wrote.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  conformanceScenarios,
  decodePicks,
  ENVIRONMENT_FAULTS,
  encodePicks,
  explore,
  importDriver,
  parseToken,
  replayRun,
  runConformance,
  runOnce,
  specToken,
} from "../../src/verify/index.js";
import { racyIm } from "../fixtures/racy-im.js";
import { materialize } from "../helpers/mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const scenario = (name: string) => {
  const found = conformanceScenarios().find((s) => s.name === name);
  assert.ok(found !== undefined, `scenario ${name} exists`);
  return found;
};
const nonzero = (picks: readonly number[]) => picks.filter((p) => p !== 0).length;

describe("planted concurrency bugs", () => {
  for (const mutant of Object.values(racyIm)) {
    test(`${mutant.name}: passes every plain run; found in ${mutant.scenario} within the default budget, shrunk, replayed`, async () => {
      const module = await importDriver(materialize(mutant));

      const plain = await runConformance(module, { plain: true });
      const failedPlain = plain.results.filter((r) => r.status === "fail");
      assert.deepEqual(
        failedPlain.map((r) => `${r.name}: ${r.failure?.split("\n")[0]}`),
        [],
        "invisible to the plain runs",
      );

      const report = await runConformance(module, { only: [mutant.scenario] });
      const result = report.results[0];
      assert.ok(result !== undefined);
      assert.equal(result.status, "fail", `${mutant.name} was not found in ${result.runs} runs`);
      assert.ok(mutant.rules.includes(result.rule ?? ""), result.failure ?? "");
      assert.ok((result.runs ?? 0) <= 101, "within the default budget (the plain run + 100)");
      const replay = result.replay ?? "";
      const found = result.found ?? "";
      assert.match(replay, new RegExp(`^${mutant.scenario}:picks:`));
      assert.match(found, new RegExp(`^${mutant.scenario}:(random|pct3):\\d+$`));
      const shrunk = result.choices ?? [];
      assert.ok(nonzero(shrunk) >= 1, "a failing run is not the plain order");
      // Shrunk: no more non-plain choices than the run as found, and 1-minimal — putting any one
      // of its non-plain choices back to the plain one no longer fails the same way.
      const asFound = await replayRun(found, module);
      assert.ok(
        nonzero(shrunk) <= nonzero(asFound.choices ?? []),
        `shrunk ${encodePicks(shrunk)} from ${encodePicks(asFound.choices ?? [])}`,
      );
      for (let i = 0; i < shrunk.length; i++) {
        if (shrunk[i] === 0) continue;
        const fewer = [...shrunk];
        fewer[i] = 0;
        const token = specToken(mutant.scenario, { kind: "picks", picks: fewer });
        const run = await replayRun(token, module);
        assert.ok(
          run.status === "pass" || run.rule !== result.rule,
          `${token} still fails with ${result.rule}: ${encodePicks(shrunk)} was not minimal`,
        );
      }
      assert.ok(
        (result.events ?? []).some((e) => e.kind === "violation"),
        "the trace shows it",
      );
      // Explored runs keep no flight recorder; the reported replay does, so the report still
      // names the calls that led to the violation.
      assert.match(result.failure ?? "", /the calls that led there:\n +[→←·]/);

      // The shrunk choice list and the seed both replay it exactly.
      const twice = await replayRun(replay, module);
      for (const [token, again] of [
        [replay, twice],
        [found, asFound],
      ] as const) {
        assert.equal(again.status, "fail", `${token} replays the failure`);
        assert.equal(again.rule, result.rule);
      }
      assert.deepEqual([...(twice.choices ?? [])], [...(result.choices ?? [])]);
      assert.deepEqual(
        twice.events?.map((e) => `${e.kind} ${e.name}`),
        result.events?.map((e) => `${e.kind} ${e.name}`),
        "the same trace, event for event",
      );

      // The schedule is legal: passthrough itself passes it.
      const clean = await replayRun(replay, passthrough);
      assert.equal(clean.status, "pass", clean.failure ?? "");
    });
  }
});

describe("what the explorer injects and found", () => {
  const injectedActs: Record<string, readonly string[]> = {
    "link flap": [
      "vfylower: link down on lower0 (injected)",
      "vfylower: link up on lower0 (injected)",
    ],
    "send cancel": ["vfyupper: cancel its sends (injected)"],
    "OID cancel": ["vfyupper: cancel its pending OID requests (injected)"],
  };
  for (const site of ENVIRONMENT_FAULTS) {
    test(`${site} is a fault of the environment: some seeds inject it into a race, never the plain run, and passthrough passes`, async () => {
      const race = scenario("race-surprise-removal");
      let injected = 0;
      for (let seed = 1; seed <= 300 && injected < 3; seed++) {
        const run = await runOnce(race, passthrough, { kind: "random", seed }, { trace: true });
        if (!run.decisions.some((d) => d.label === site && d.pick === 1)) continue;
        assert.equal(run.passed, true, run.failure ?? "");
        // An injected act shows among the decisions when it was chosen among other tasks; one
        // that ran as the only task ready was no choice, and such a run is not counted.
        const acts = run.decisions.map((d) => d.chosen);
        if (acts.includes(injectedActs[site]?.[0] ?? "?")) injected++;
      }
      assert.equal(injected, 3, `300 seeds injected ${site} at least 3 times`);
      const plain = await runOnce(race, passthrough, { kind: "fifo" }, { trace: true });
      assert.ok(
        plain.decisions.every((d) => d.kind !== "fault" || d.pick === 0),
        "no fault in the plain run",
      );
      assert.ok(
        plain.decisions.some((d) => d.label === "link flap"),
        "the plain run is offered the environment's faults, and declines them",
      );
    });
  }

  test("the schedule that caught the suite's own miniport completing a recycled NBL SEND_ABORTED now passes", async () => {
    // Found by the explorer against passthrough: the lower miniport re-queued a cancelled send to
    // abort it later, so the send's own completion took it first; the NBL went back to its pool,
    // was sent again with another cancel ID, and the late abort completed that send instead.
    const run = await runOnce(
      scenario("race-send-cancel"),
      passthrough,
      { kind: "picks", picks: decodePicks("z7.4.2.2.1.2.0.2.2.0.1.1.0.1.1") },
      { trace: true },
    );
    const acts = run.decisions.map((d) => d.chosen);
    const resent = acts.indexOf("vfyupper: send 4 NBLs (ID b)");
    const aborted = acts.indexOf("vfylower: complete 4 cancelled send(s)");
    assert.ok(
      resent >= 0 && aborted > resent,
      `the late abort follows the resend: ${acts.join(", ")}`,
    );
    assert.equal(run.passed, true, run.failure ?? "");
  });
});

describe("exhaustive search", () => {
  test("finds the OID cancel race with at most 2 non-plain choices", async () => {
    const module = await importDriver(materialize(racyIm["oid-cancel-completes-early"]));
    const result = await explore(scenario("race-oid-cancel"), module, {
      strategies: ["exhaustive"],
      bound: 2,
      runs: 500,
    });
    assert.equal(result.failure?.rule, "NdisMOidRequestComplete_NotPending");
    assert.equal(result.found?.spec.kind, "picks");
  });

  test("enumerates every schedule of the clean driver within bound 1 and finds nothing", async () => {
    const result = await explore(scenario("race-oid-cancel"), passthrough, {
      strategies: ["exhaustive"],
      bound: 1,
      runs: 2000,
    });
    assert.equal(result.failure, null);
    assert.equal(result.complete, true);
    assert.ok(result.runs > 5, `${result.runs} runs`);
  });
});

describe("replay tokens", () => {
  test("choice lists survive encoding", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 9 }), { maxLength: 60 }), (picks) => {
        const decoded = decodePicks(encodePicks(picks));
        let end = picks.length;
        while (end > 0 && picks[end - 1] === 0) end--;
        assert.deepEqual(decoded, picks.slice(0, end));
      }),
    );
    assert.equal(encodePicks([0, 0, 0, 2, 1, 0, 0, 1, 0]), "z3.2.1.z2.1");
  });

  test("tokens read back the run they name; malformed ones are refused with the expected shape", () => {
    for (const spec of [
      { kind: "fifo" } as const,
      { kind: "random", seed: 7 } as const,
      { kind: "pct", seed: 9, depth: 3 } as const,
      { kind: "picks", picks: [0, 2, 0, 1] } as const,
    ]) {
      const token = specToken("race-oid-cancel", spec);
      assert.deepEqual(parseToken(token), { scenario: "race-oid-cancel", spec });
    }
    for (const bad of ["", "x", "x:random", "x:random:-1", "x:pct:5", "x:picks:1.q", "x:fifo:1:2"])
      assert.throws(() => parseToken(bad), /expected SCENARIO|choice list/, bad);
  });
});

describe("ndis verify (CLI) with the explorer", () => {
  const dir = mkdtempSync(join(tmpdir(), "ndis-explore-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      // The patterns below read plain text; CI=true would otherwise turn colour on.
      env: { ...process.env, NO_COLOR: "1" },
    });

  test("a race is printed with its replay command; --replay reruns it; --html writes the report", () => {
    const driver = materialize(racyIm["oid-cancel-completes-early"]);
    const html = join(dir, "report.html");
    const run = cli("verify", driver, "--only", "race-oid-cancel", "--html", html);
    assert.equal(run.status, 1, run.stderr);
    const line = /replay: .* --replay (race-oid-cancel:picks:[-z0-9.]+)/.exec(run.stdout);
    assert.ok(line !== null, run.stdout);
    const token = line[1] as string;
    const page = readFileSync(html, "utf8");
    assert.match(page, /NdisMOidRequestComplete_NotPending/);
    assert.ok(page.includes(token), "the report names the replay token");

    const again = cli("verify", driver, "--replay", token);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stdout, /✖ race-oid-cancel .*NdisMOidRequestComplete_NotPending/);
    const clean = cli("verify", "src/drivers/passthrough/index.ts", "--replay", token);
    assert.equal(clean.status, 0, clean.stdout);
    const bad = cli("verify", driver, "--replay", "race-oid-cancel:nonsense");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /expected SCENARIO/);
  });
});
