/** docs/verifier.md lists exactly the catalogue's rules, as `npm run docs:verifier` generates it. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { VERIFIER_RULES } from "../../src/index.js";
import { verifierCatalogueMarkdown } from "../../src/verifier/catalogue-doc.js";

function rows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, "|")),
    );
}

test("docs/verifier.md is the catalogue, rule for rule (regenerate with npm run docs:verifier)", () => {
  const page = readFileSync(new URL("../../docs/verifier.md", import.meta.url), "utf8");
  assert.deepEqual(rows(page), rows(verifierCatalogueMarkdown()));
  const ids = rows(page).map((r) => (r[0] ?? "").replace(/`/g, ""));
  assert.deepEqual(
    ids,
    Object.keys(VERIFIER_RULES).sort((a, b) => a.localeCompare(b)),
  );
});

test("every rule in the catalogue is made to fire by some test (a driver that breaks it)", () => {
  const dir = new URL("../", import.meta.url);
  const sources = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => readFileSync(new URL(f, dir), "utf8"))
    .join("\n");
  const untested = Object.keys(VERIFIER_RULES).filter((id) => !sources.includes(`"${id}"`));
  assert.deepEqual(untested, [], "rules no test names (and so none proves they fire)");
});

test("Windows' NDIS checkers: SDV's 51 rules in its 7 sets, each mapped to catalogue rules or said why not", async () => {
  const { WINDOWS_RULES } = await import("../../src/verifier/windows-rules.js");
  const sets = new Map<string, number>();
  for (const r of WINDOWS_RULES) sets.set(r.set, (sets.get(r.set) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries([...sets].filter(([set]) => set !== "Driver Verifier")), {
    IRQL: 20,
    "Memory usage": 8,
    "DDI usage": 7,
    Miscellaneous: 7,
    Locking: 5,
    "OID processing": 3,
    Warning: 1,
  });
  const names = WINDOWS_RULES.map((r) => `${r.set}/${r.name}`);
  assert.equal(new Set(names).size, names.length, "no rule twice");
  for (const r of WINDOWS_RULES) {
    for (const id of r.covered)
      assert.ok(id in VERIFIER_RULES, `${r.name}: ${id} is not a rule here`);
    assert.ok(
      r.covered.length > 0 || /^not /.test(r.note),
      `${r.name}: says why it is not covered`,
    );
  }
  const page = readFileSync(new URL("../../docs/verifier.md", import.meta.url), "utf8").replace(
    / +/g,
    " ",
  );
  for (const r of WINDOWS_RULES)
    assert.ok(page.includes(`| ${r.set} | ${r.name.replace(/\|/g, "\\|")} |`), r.name);
});
