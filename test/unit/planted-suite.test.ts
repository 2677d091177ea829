/**
 * Planted bugs for the reset of the miniport below an IM or a filter and for a protocol that
 * sends (test/fixtures/planted-suite.ts): each is found by `ndis verify` in its scenario within
 * the default budget, with one of its rules, and the plain run shows it only when `visiblePlain`
 * says so. The shipped drivers they are copies of pass those scenarios, and so does each correct
 * variant, with every scenario.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { importDriver, runConformance } from "../../src/verify/index.js";
import { correctSuite, plantedSuite } from "../fixtures/planted-suite.js";
import { materialize } from "../helpers/mutants.js";

const shipped = (name: string) =>
  fileURLToPath(new URL(`../../src/drivers/${name}/index.ts`, import.meta.url));

describe("planted bugs for a reset below and for a protocol that sends", () => {
  for (const [name, only] of [
    ["passthrough", ["reset-below"]],
    ["filter-passthrough", ["reset-below"]],
    ["raw", ["protocol-send-pause", "protocol-send-unbind"]],
  ] as const) {
    test(`${name}, shipped, passes ${only.join(" and ")} with the default budget`, async () => {
      const report = await runConformance(await importDriver(shipped(name)), { only: [...only] });
      assert.deepEqual(
        report.results.filter((r) => r.status !== "pass").map((r) => `${r.name}: ${r.failure}`),
        [],
      );
      assert.equal(report.results.length, only.length);
    });
  }

  for (const variant of Object.values(correctSuite)) {
    test(`${variant.name}, correct, passes every scenario with the default budget`, async () => {
      const report = await runConformance(await importDriver(materialize(variant)));
      assert.deepEqual(
        report.results
          .filter((r) => r.status !== "pass")
          .map((r) => `${r.name}: ${r.failure?.split("\n")[0]}`),
        [],
      );
    });
  }

  for (const mutant of Object.values(plantedSuite)) {
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
});
