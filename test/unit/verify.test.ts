/**
 * `ndis verify` (src/verify/, docs/verify.md): the passthrough driver passes every conformance
 * scenario; four broken copies of it (mutants of passthrough, test/fixtures/broken-im.ts) fail the
 * scenario that covers their bug, with the rule or check that names it; the JUnit XML is
 * well-formed and counts its failures; and the CLI exits 0 only when everything passed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  type ConformanceReport,
  conformanceScenarios,
  formatJUnit,
  formatSummary,
  notFor,
  runConformance,
  type ScenarioResult,
} from "../../src/verify/index.js";
import { type BrokenIm, brokenIm } from "../fixtures/broken-im.js";
import { materialize } from "../helpers/mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The path of the index.ts of a broken copy of passthrough, written for this run. */
const fixture = (name: BrokenIm): string => materialize(brokenIm[name]);
const dir = mkdtempSync(join(tmpdir(), "ndis-verify-"));

function byName(report: ConformanceReport, name: string): ScenarioResult {
  const result = report.results.find((r) => r.name === name);
  assert.ok(result !== undefined, `scenario ${name} ran`);
  return result;
}

describe("the conformance suite", () => {
  test("the passthrough driver passes every scenario", async () => {
    const report = await runConformance(passthrough);
    // Every scenario for an intermediate driver; those for other kinds are skipped, with why.
    const names = conformanceScenarios()
      .filter((s) => notFor(s, "im") === null)
      .map((s) => s.name);
    assert.ok(report.skipped?.every((s) => /^not for an intermediate driver/.test(s.reason)));
    assert.deepEqual(
      report.results.map((r) => r.name),
      names,
    );
    for (const r of report.results) {
      assert.equal(r.status, "pass", `${r.name}: ${r.failure ?? ""}`);
      assert.equal(r.failure, null);
      assert.deepEqual(r.violations, []);
    }
    assert.equal(report.failed, 0);
    assert.equal(report.passed, names.length);
    assert.ok(names.length >= 10);
  });

  test("a module path is imported and --only picks scenarios", async () => {
    const report = await runConformance("src/drivers/passthrough/index.ts", {
      only: ["link-status", "oid-requests"],
    });
    assert.deepEqual(
      report.results.map((r) => [r.name, r.status]),
      [
        ["oid-requests", "pass"],
        ["link-status", "pass"],
      ],
    );
    await assert.rejects(runConformance(passthrough, { only: ["nope"] }), /no scenario named nope/);
  });

  test("a pause that does not wait for its indications fails pause-restart-under-traffic: MiniportPause_NblsOutstanding", async () => {
    const report = await runConformance(fixture("pause-success"), {
      only: ["send-receive-matrix", "pause-restart-under-traffic"],
    });
    assert.equal(byName(report, "send-receive-matrix").status, "pass");
    const pause = byName(report, "pause-restart-under-traffic");
    assert.equal(pause.status, "fail");
    assert.equal(pause.rule, "MiniportPause_NblsOutstanding");
    assert.equal(pause.violations[0]?.driver, "imtest");
    assert.match(pause.failure ?? "", /the calls that led there/);
    assert.equal(report.failed, 1);
  });

  test("a lower binding whose pause does not wait for its sends fails pause-restart-under-traffic: ProtocolPause_SendsOutstanding", async () => {
    const report = await runConformance(fixture("binding-pause-success"), {
      only: ["send-receive-matrix", "pause-restart-under-traffic"],
    });
    assert.equal(byName(report, "send-receive-matrix").status, "pass");
    const pause = byName(report, "pause-restart-under-traffic");
    assert.equal(pause.status, "fail");
    assert.equal(pause.rule, "ProtocolPause_SendsOutstanding");
    assert.match(
      pause.failure ?? "",
      /completed NetEventPause on lower0 with 16 send\(s\) not completed/,
    );
  });

  test("receives never returned below fail send-receive-matrix by the suite's own count", async () => {
    const report = await runConformance(fixture("keep-receives"), {
      only: ["send-receive-matrix", "oid-requests"],
    });
    const matrix = byName(report, "send-receive-matrix");
    assert.equal(matrix.status, "fail");
    assert.equal(matrix.rule, null);
    assert.match(
      matrix.failure ?? "",
      /receive 1 NBL\(s\).*0 of 1 indicated NBLs came back to the lower miniport \(NdisReturnNetBufferLists\)/,
    );
    assert.equal(byName(report, "oid-requests").status, "pass");
  });

  test("an OID completed and returned with a final status fails oid-requests: NdisMOidRequestComplete_NotPending", async () => {
    const report = await runConformance(fixture("complete-sync-oid"), {
      only: ["send-receive-matrix", "oid-requests", "link-status"],
    });
    // The upper protocol sets its packet filter through the IM when it binds, so every scenario
    // meets the bug at bring-up now, not only the OID one.
    for (const name of ["send-receive-matrix", "link-status"]) {
      assert.equal(byName(report, name).status, "fail");
      assert.equal(byName(report, name).rule, "NdisMOidRequestComplete_NotPending");
    }
    const oids = byName(report, "oid-requests");
    assert.equal(oids.status, "fail");
    assert.equal(oids.rule, "NdisMOidRequestComplete_NotPending");
    assert.equal(oids.violations[0]?.rule, "NdisMOidRequestComplete_NotPending");
    const summary = formatSummary(report);
    assert.match(
      summary,
      /✖ oid-requests \(\d+ ms, 1 run\) — \[error\] NdisMOidRequestComplete_NotPending/,
    );
    assert.match(summary, /0 passed, 3 failed \(3 scenarios/);
  });
});

/** Checks that `text` is a balanced tree of elements (no DOM): returns the element names seen. */
function parseXml(text: string): string[] {
  const body = text.replace(/^<\?xml [^?]*\?>\s*/, "");
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z]+)((?:\s+[a-z]+="[^"<>]*")*)\s*(\/?)>|<|>/g)) {
    assert.ok(m[2] !== undefined, `a stray ${m[0]} in the XML`);
    const [, closing, name, , selfClosing] = m;
    if (closing === "/") assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else {
      seen.push(name);
      if (selfClosing !== "/") stack.push(name);
    }
  }
  assert.deepEqual(stack, [], "every element is closed");
  // Text outside tags holds no raw '&' that is not an entity.
  assert.doesNotMatch(body, /&(?!amp;|lt;|gt;|quot;|apos;)/);
  return seen;
}

describe("JUnit XML", () => {
  const result = (name: string, failure: string | null): ScenarioResult => ({
    name,
    description: "",
    contract: "",
    status: failure === null ? "pass" : "fail",
    durationMs: 12.5,
    failure,
    rule: failure === null ? null : "MiniportPause_NblsOutstanding",
    violations: [],
  });

  test("every testcase is closed, failures are counted in the testsuite, markup in messages is escaped", () => {
    const report: ConformanceReport = {
      driver: 'my<driver>&"x"',
      results: [
        result("a", null),
        result("b", 'pause <lower0> & "it" returned\n  the calls that led there:\n    → x'),
        result("c", null),
        result("d", "second\u0001failure"),
      ],
      passed: 2,
      failed: 2,
      durationMs: 50,
    };
    const xml = formatJUnit(report);
    const elements = parseXml(xml);
    assert.equal(elements.filter((e) => e === "testcase").length, 4);
    assert.equal(elements.filter((e) => e === "failure").length, 2);
    assert.match(
      xml,
      /<testsuite name="my&lt;driver&gt;&amp;&quot;x&quot;" tests="4" failures="2"/,
    );
    assert.match(xml, /<testcase classname="ndis.verify" name="a" time="0.013"\/>/);
    assert.ok(!xml.includes(String.fromCharCode(1)), "control characters are dropped");
    assert.match(xml, /secondfailure/);
  });

  test("the checker itself rejects an unclosed testcase", () => {
    assert.throws(() => parseXml('<testsuite tests="1"><testcase name="a"></testsuite>'));
    assert.throws(() => parseXml('<testsuite><failure message="a<b"/></testsuite>'));
  });
});

describe("ndis verify (CLI)", () => {
  const ndis = (...args: string[]) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test("the passthrough driver: every scenario ✔, exit 0", () => {
    const r = ndis("verify", "src/drivers/passthrough/index.ts");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const count = conformanceScenarios().filter((s) => notFor(s, "im") === null).length;
    assert.equal((r.stdout.match(/^\[\d+\/\d+\] ✔ /gm) ?? []).length, count);
    assert.match(r.stdout, new RegExp(`${count} passed, 0 failed`));
  });

  test("a broken driver: exit 1, the failing scenario with its rule, JUnit written", () => {
    const junit = join(dir, "out.xml");
    const r = ndis(
      "verify",
      fixture("pause-success"),
      "--only",
      "link-status,pause-restart-under-traffic",
      "--junit",
      junit,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /\[1\/2\] ✖ pause-restart-under-traffic .*MiniportPause_NblsOutstanding/,
    );
    assert.match(r.stdout, /\[2\/2\] ✔ link-status/);
    const xml = readFileSync(junit, "utf8");
    parseXml(xml);
    assert.match(xml, /tests="2" failures="1"/);
    assert.match(xml, /<failure message="[^"]*" type="MiniportPause_NblsOutstanding">/);
  });

  test("--json prints a record per scenario and a summary; an unknown scenario is bad usage", () => {
    const r = ndis("verify", fixture("complete-sync-oid"), "--only", "oid-requests", "--json");
    assert.equal(r.code, 1, r.stderr);
    const records = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; [k: string]: unknown });
    assert.deepEqual(
      records.map((x) => [x.type, x.name ?? null, x.status ?? null]),
      [
        ["scenario", "oid-requests", "fail"],
        ["summary", null, null],
      ],
    );
    assert.equal(records[0]?.rule, "NdisMOidRequestComplete_NotPending");
    assert.equal(records[1]?.failed, 1);
    assert.equal(ndis("verify", "src/drivers/passthrough/index.ts", "--only", "nope").code, 2);
  });
});
