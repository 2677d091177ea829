/**
 * A correct driver must pass `ndis verify` (docs/verify.md, "False positives"): passthrough with a
 * periodic statistics timer, with a 50 ms link-state debounce, and with allocations in
 * MiniportInitializeEx that it frees when a later one fails (test/fixtures/correct-im.ts) pass the
 * scenarios that exercise those behaviours with the default budget — timers that would race
 * ahead of the tasks, allocation faults injected into MiniportInitializeEx, a link indication
 * that comes 50 ms late. The copy that mishandles the allocation failure (it leaks the pool) is
 * caught, and the very run that catches it passes the correct driver.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importDriver, replayRun, runConformance } from "../../src/verify/index.js";
import { correctIm, initFailureLeaksPool } from "../fixtures/correct-im.js";
import { materialize } from "../helpers/mutants.js";

/** The scenarios where timers, bring-up faults and link changes meet the explorer. */
const SCENARIOS = [
  "pause-restart-under-traffic",
  "link-status",
  "race-pause-traffic",
  "race-oid-cancel",
  "race-disable-vm",
];

describe("correct drivers pass", () => {
  for (const mutant of Object.values(correctIm)) {
    test(`${mutant.name} passes ${SCENARIOS.join(", ")} with the default budget`, async () => {
      const module = await importDriver(materialize(mutant));
      const report = await runConformance(module, { only: SCENARIOS });
      assert.deepEqual(
        report.results
          .filter((r) => r.status === "fail")
          .map((r) => `${r.name}: ${r.failure?.split("\n")[0]} (${r.replay})`),
        [],
      );
      for (const r of report.results) assert.equal(r.runs, 101, `${r.name}: the whole budget ran`);
    });
  }
});

describe("an allocation failure in MiniportInitializeEx", () => {
  test("mishandled (the pool leaks) is found; the same run passes the driver that frees it", async () => {
    const leaky = await importDriver(materialize(initFailureLeaksPool));
    const report = await runConformance(leaky, { only: ["race-oid-cancel"] });
    const result = report.results[0];
    assert.equal(result?.status, "fail");
    assert.equal(result?.rule, "Pool_LeakedAtHalt", result?.failure ?? "");
    const token = result?.replay ?? "";
    const correct = await importDriver(materialize(correctIm["ok-init-allocations"]));
    const again = await replayRun(token, correct);
    assert.equal(again.status, "pass", again.failure ?? "");
    // The run did inject the fault into MiniportInitializeEx's timer allocation: the correct
    // driver refused its virtual miniport there, and the run still passed.
    assert.match(again.refused ?? "", /started 0 virtual miniport\(s\).*after an injected fault/);
  });
});
