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
