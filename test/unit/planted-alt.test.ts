/**
 * Planted bugs in drivers not shaped like passthrough (test/fixtures/planted-alt.ts): each is
 * found by `ndis verify` in its scenario within the default budget, with one of its rules, and
 * the plain run shows it only when `visiblePlain` says so. The unpatched fixture drivers pass
 * every scenario with the default budget: alt-im, a correct IM that clones its sends, pends every
 * pause and completes it from a work item, and keeps a context on every receive; alt-filter, a
 * correct filter that returns receives down from a timer and completes every pause from a work
 * item.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { importDriver, runConformance } from "../../src/verify/index.js";
import { correctAlt, plantedAlt } from "../fixtures/planted-alt.js";
import { materialize } from "../helpers/mutants.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/drivers/${name}/index.ts`, import.meta.url));

describe("planted bugs in drivers written differently", () => {
  for (const name of ["alt-im", "alt-filter"]) {
    test(`${name}, correct, passes every scenario with the default budget`, async () => {
      const report = await runConformance(await importDriver(fixture(name)));
      const failed = report.results.filter((r) => r.status !== "pass");
      assert.deepEqual(
        failed.map((r) => `${r.name}: ${r.failure?.split("\n")[0]}`),
        [],
      );
      assert.ok(report.results.length >= 21);
    });
  }

  for (const variant of Object.values(correctAlt)) {
    test(`${variant.name}, correct, passes every scenario with the default budget`, async () => {
      const report = await runConformance(await importDriver(materialize(variant)));
      const failed = report.results.filter((r) => r.status !== "pass");
      assert.deepEqual(
        failed.map((r) => `${r.name}: ${r.failure?.split("\n")[0]}`),
        [],
      );
    });
  }

  for (const mutant of Object.values(plantedAlt)) {
    test(`${mutant.name}: found in ${mutant.scenario} within the default budget`, async () => {
      const module = await importDriver(materialize(mutant));
      const plain = await runConformance(module, { plain: true, only: [mutant.scenario] });
      assert.equal(
        plain.results[0]?.status,
        mutant.visiblePlain ? "fail" : "pass",
        plain.results[0]?.failure ?? "the plain run",
      );
      const report = await runConformance(module, { only: [mutant.scenario] });
      const result = report.results[0];
      assert.equal(result?.status, "fail", `not found in ${result?.runs} runs`);
      assert.ok(mutant.rules.includes(result?.rule ?? null), result?.failure ?? "");
      assert.ok((result?.runs ?? 0) <= 101);
    });
  }

  test("a receive context not freed is named at the return that carries it back", async () => {
    const module = await importDriver(materialize(plantedAlt["alt-rx-context-leaked"]));
    const report = await runConformance(module, { plain: true, only: ["send-receive-matrix"] });
    const result = report.results[0];
    assert.equal(result?.rule, "NetBufferListContext_Leaked");
    assert.match(
      result?.failure ?? "",
      /NdisReturnNetBufferLists on imtest → lower0: NBL #0 goes back still holding 1 context allocation\(s\) imtest made/,
    );
  });
});
