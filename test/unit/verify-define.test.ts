/**
 * Scenarios of one's own (docs/verify.md "Your own scenarios"): defineScenario and the scriptable
 * drivers — receives given as bytes, sends held by pattern and released or failed one by one, an
 * OID pended and completed with a chosen status, link changes — run like the suite's scenarios,
 * under the explorer. The documented example is examples/verify-scenario.ts, run here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { lostFramesStayLost, verifyNetemLoss } from "../../examples/verify-scenario.js";
import {
  MediaConnectStateDisconnected,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
} from "../../src/index.js";
import { builtinPath } from "../../src/verify/config.js";
import { defineScenario, runConformance } from "../../src/verify/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const netem = builtinPath("netem") as string;
const filter = builtinPath("filter-passthrough") as string;

describe("defineScenario", () => {
  test("the documented example passes on netem told to lose everything, under the explorer", async () => {
    const report = await verifyNetemLoss(netem);
    assert.equal(report.results[0]?.status, "pass", report.results[0]?.failure ?? "");
    assert.equal(report.results[0]?.runs, 21);
  });

  test("the same scenario fails when netem loses nothing: its check can fail", async () => {
    const report = await runConformance(netem, { scenarios: [lostFramesStayLost], plain: true });
    assert.equal(report.results[0]?.status, "fail");
    assert.match(report.results[0]?.failure ?? "", /3 lost frame\(s\) reached the protocol/);
  });

  test("docs/verify.md shows the example as it is", () => {
    const doc = readFileSync(`${ROOT}docs/verify.md`, "utf8");
    const example = readFileSync(`${ROOT}examples/verify-scenario.ts`, "utf8");
    assert.ok(
      doc.includes(example.trim()),
      "docs/verify.md must include examples/verify-scenario.ts verbatim",
    );
  });

  test("the scriptable drivers: bytes in and out, sends held by pattern and released or failed one by one, an OID pended and completed with a chosen status, a link change", async () => {
    const scenario = defineScenario({
      name: "scripted",
      run: async (t) => {
        await t.up();
        const ipv4 = (n: number) => t.frame({ etherType: 0x0800, payload: Uint8Array.of(n) });
        const other = t.frame({ etherType: 0x86dd, payload: Uint8Array.of(7) });
        // Receives given as bytes arrive above exactly as sent.
        t.receive([ipv4(1), other]);
        await t.settle();
        t.check(t.received().length === 2, `${t.received().length} of 2 frames arrived`);
        t.check(t.received()[1]?.[14] === 7, "the second frame arrived altered");
        // Sends matching a pattern are held; the others go through.
        t.holdSends((frame) => frame[12] === 0x08 && frame[13] === 0x00);
        t.send([ipv4(2), other, ipv4(3)]);
        await t.settle();
        t.check(t.held() === 2, `${t.held()} sends held, not 2`);
        t.check(t.sent().length === 3, "the lower miniport saw every frame");
        const up = t.rig.upperOver(t.lowers[0] as string);
        t.check(up.outstanding.size === 2, `${up.outstanding.size} sends outstanding, not 2`);
        t.releaseSends({ count: 1 });
        t.releaseSends({ status: NDIS_STATUS_FAILURE });
        await t.settle();
        t.check(
          up.completionStatuses.slice(-2).join() ===
            [NDIS_STATUS_SUCCESS, NDIS_STATUS_FAILURE].join(),
          `completions ${up.completionStatuses.join()}`,
        );
        // An OID pended below, completed later with the status chosen.
        t.pendOids();
        const pending = await t.oid({ Oid: 0xff000001 });
        t.check(pending.status === undefined, "the pended OID completed early");
        t.completeOid(NDIS_STATUS_NOT_SUPPORTED);
        await t.settle();
        const done = up.oidCompletions.find((c) => c.request === pending.request);
        t.check(done?.status === NDIS_STATUS_NOT_SUPPORTED, "the OID did not complete as chosen");
        t.pendOids(false);
        t.link(false);
        await t.settle();
        t.check(
          t.linkStates().at(-1) === MediaConnectStateDisconnected,
          "the link-down never arrived",
        );
        await t.down();
      },
    });
    const report = await runConformance(filter, { scenarios: [scenario], runs: 10 });
    assert.equal(report.results[0]?.status, "pass", report.results[0]?.failure ?? "");
  });

  test("a scenario's name starts replay tokens: one that cannot is refused", () => {
    assert.throws(
      () => defineScenario({ name: "My Scenario", run: async () => {} }),
      /lowercase words joined by "-"/,
    );
  });
});
