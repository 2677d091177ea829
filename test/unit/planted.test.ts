/**
 * The planted bugs of the newer classes (test/fixtures/planted-im.ts): each is found by
 * `ndis verify` in its scenario within the default budget, with one of its rules; all but the
 * leaked clone pass every plain run (they need an explorer choice: one NBL returned at a time, a
 * RESOURCES receive during a pause, no context room, an allocation failing in
 * MiniportInitializeEx). `--replay` prints every choice labelled, and the DDI trace.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { importDriver, runConformance } from "../../src/verify/index.js";
import { plantedIm } from "../fixtures/planted-im.js";
import { materialize } from "../helpers/mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The ones a plain run shows, once the check exists. */
const VISIBLE_PLAIN = new Set(["clone-leaked-on-abort", "context-leaked"]);

describe("planted bugs of the newer classes", () => {
  for (const mutant of Object.values(plantedIm)) {
    test(`${mutant.name}: found in ${mutant.scenario} within the default budget`, async () => {
      const module = await importDriver(materialize(mutant));
      const plain = await runConformance(module, { plain: true, only: [mutant.scenario] });
      assert.equal(
        plain.results[0]?.status,
        VISIBLE_PLAIN.has(mutant.name) ? "fail" : "pass",
        plain.results[0]?.failure ?? "the plain run",
      );
      const report = await runConformance(module, { only: [mutant.scenario] });
      const result = report.results[0];
      assert.equal(result?.status, "fail", `not found in ${result?.runs} runs`);
      assert.ok(mutant.rules.includes(result?.rule ?? ""), result?.failure ?? "");
      assert.ok((result?.runs ?? 0) <= 101);
    });
  }

  test("a cloned OID request never freed is reported when its binding goes, naming the clone", async () => {
    const module = await importDriver(materialize(plantedIm["clone-leaked-on-abort"]));
    const report = await runConformance(module, { plain: true, only: ["oid-requests"] });
    const result = report.results[0];
    assert.equal(result?.rule, "OidClone_Leaked");
    assert.match(
      result?.failure ?? "",
      /the unbind of imtest from lower0 completed with clone of OID 0xff000001 of imtest on binding imtest → lower0 not freed/,
    );
  });

  test("--replay prints each choice labelled and the whole DDI trace", () => {
    const driver = materialize(plantedIm["init-failure-leaks-pool"]);
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "verify",
        driver,
        "--replay",
        "race-oid-cancel:picks:z3.1",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^\s+\d+\. NdisAllocateTimerObject \(imtest\): fault injected$/m);
    assert.match(run.stdout, /^\s+\d+\. vfylower: pause now or later: option 0 of 2$/m);
    const events = /trace: (\d+) event\(s\)/.exec(run.stdout);
    assert.ok(events !== null && Number(events[1]) > 50, run.stdout.slice(0, 2000));
    assert.match(run.stdout, /→ MiniportInitializeEx \[imtest\]/);
    assert.match(run.stdout, /Pool_LeakedAtHalt/);
  });
});
