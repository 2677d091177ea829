/**
 * docs/mux-inventory.md — every NDIS name Microsoft's NDIS 6 MUX sample uses, with yes / differs /
 * missing — held to the code: what the page calls present is exported from src/ddi.ts (as a value
 * or a type), what it calls missing is not, and its counts are its rows'. So "missing" can only
 * shrink by a change that exports the name and updates the page with it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import ts from "typescript";

const ROOT = new URL("../../", import.meta.url);
const page = readFileSync(new URL("docs/mux-inventory.md", ROOT), "utf8");

interface Row {
  readonly name: string;
  readonly status: "yes" | "differs" | "missing";
  readonly section: string;
}

function rows(): Row[] {
  const out: Row[] = [];
  let section = "";
  for (const line of page.split("\n")) {
    const heading = /^#### (.+?) \(/.exec(line);
    if (heading !== null) section = heading[1] as string;
    const row = /^\|\s*`([^`]+)`\s*\|\s*\d+\s*\|\s*(yes|differs|missing)\b/.exec(line);
    if (row !== null)
      out.push({ name: row[1] as string, status: row[2] as Row["status"], section });
  }
  return out;
}

/** Every name src/ddi.ts exports, values and types alike, as the compiler sees them. */
function ddiExports(): Set<string> {
  const file = new URL("src/ddi.ts", ROOT).pathname;
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source !== undefined);
  const symbol = checker.getSymbolAtLocation(source);
  assert.ok(symbol !== undefined);
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.getName()));
}

test("docs/mux-inventory.md: every yes/differs name is exported from src/ddi.ts, no missing one is, and the counts add up", () => {
  const all = rows();
  assert.equal(all.length, 307, "the inventory lists the 307 names the MUX sample uses");
  assert.equal(new Set(all.map((r) => r.name)).size, all.length, "no name twice");
  const exported = ddiExports();
  const absent = all.filter((r) => r.status !== "missing" && !exported.has(r.name));
  assert.deepEqual(absent, [], "called present but not exported");
  const present = all.filter((r) => r.status === "missing" && exported.has(r.name));
  assert.deepEqual(present, [], "called missing but exported: update the page");

  const count = (rs: Row[], s: Row["status"]) => rs.filter((r) => r.status === s).length;
  for (const m of page.matchAll(
    /^#### (.+?) \((\d+): (\d+) yes, (\d+) differ, (\d+) missing\)$/gm,
  )) {
    const inSection = all.filter((r) => r.section === m[1]);
    assert.deepEqual(
      [
        inSection.length,
        count(inSection, "yes"),
        count(inSection, "differs"),
        count(inSection, "missing"),
      ],
      [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])],
      `the heading of ${m[1]}`,
    );
  }
  const total = /\*\*(\d+) names: (\d+) yes, (\d+) differ, (\d+) missing\*\*/.exec(page);
  assert.ok(total !== null);
  assert.deepEqual(
    [Number(total[1]), Number(total[2]), Number(total[3]), Number(total[4])],
    [all.length, count(all, "yes"), count(all, "differs"), count(all, "missing")],
  );
});
