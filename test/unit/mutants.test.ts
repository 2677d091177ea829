/**
 * Mutants (test/helpers/mutants.ts): a patch whose text is not in passthrough exactly once fails
 * loudly, naming the mutant, the file and the text; a materialized copy differs from passthrough
 * only where patched, is written idempotently, and loads the same DDI module as the code that
 * imports it; every broken copy of test/fixtures/broken-im.ts still applies to today's passthrough.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as ddi from "../../src/ddi.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import { brokenIm } from "../fixtures/broken-im.js";
import {
  type Mutant,
  materialize,
  mutantDir,
  mutantSources,
  PASSTHROUGH_DIR,
} from "../helpers/mutants.js";

/** Mutants only this file writes (test files run in parallel), removed at the end. */
const written: Mutant[] = [];
after(() => {
  for (const mutant of written) rmSync(mutantDir(mutant), { recursive: true, force: true });
});

const passthroughText = (file: string): string => readFileSync(join(PASSTHROUGH_DIR, file), "utf8");

/** The .ts files of a folder, by name. */
const tsFilesOf = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort();

function countOf(text: string, find: string): number {
  return text.split(find).length - 1;
}

/** Asserts `materialize(mutant)` throws a message holding every one of `parts`, writing nothing. */
function assertRefused(mutant: Mutant, parts: readonly string[]): void {
  assert.throws(
    () => materialize(mutant),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      for (const part of parts)
        assert.ok(error.message.includes(part), `"${part}" in: ${error.message}`);
      return true;
    },
  );
  assert.equal(existsSync(mutantDir(mutant)), false, "nothing is written for a refused mutant");
}

describe("a patch that no longer fits passthrough", () => {
  test("text that occurs nowhere: materialize throws naming the mutant, the file and the text", () => {
    const find = "velan.PausedForEver = true;";
    assert.equal(countOf(passthroughText("miniport.ts"), find), 0);
    assertRefused(
      {
        name: "mechanism-missing",
        bug: "a patch for code passthrough does not have",
        patches: [{ file: "miniport.ts", find, replace: "velan.Paused = true;" }],
      },
      ["mutant mechanism-missing", "src/drivers/passthrough/miniport.ts", find, "occurs nowhere"],
    );
  });

  test("text that occurs twice: materialize throws naming the mutant, the file and the text", () => {
    const find = "return NDIS_STATUS_SUCCESS;";
    assert.ok(countOf(passthroughText("miniport.ts"), find) >= 2, "the text is there twice");
    assertRefused(
      {
        name: "mechanism-twice",
        bug: "a patch whose text is ambiguous",
        patches: [{ file: "miniport.ts", find, replace: "return NDIS_STATUS_FAILURE;" }],
      },
      ["mutant mechanism-twice", "src/drivers/passthrough/miniport.ts", find, "more than once"],
    );
  });

  test("a file passthrough lacks, a patch an earlier one consumed, a no-op patch and a bad name are refused", () => {
    const bug = "malformed";
    assertRefused(
      { name: "mechanism-no-file", bug, patches: [{ file: "nope.ts", find: "a", replace: "b" }] },
      ["mutant mechanism-no-file", "src/drivers/passthrough/nope.ts", "no such file"],
    );
    const line = "export const MPShutdown: MINIPORT_SHUTDOWN = () => {};";
    assert.equal(countOf(passthroughText("miniport.ts"), line), 1);
    assertRefused(
      {
        name: "mechanism-overlap",
        bug,
        patches: [
          { file: "miniport.ts", find: line, replace: "" },
          { file: "miniport.ts", find: "MPShutdown: MINIPORT_SHUTDOWN", replace: "x" },
        ],
      },
      ["mutant mechanism-overlap", "miniport.ts", "earlier patch", "MPShutdown: MINIPORT_SHUTDOWN"],
    );
    assertRefused(
      {
        name: "mechanism-no-op",
        bug,
        patches: [{ file: "miniport.ts", find: line, replace: line }],
      },
      ["mutant mechanism-no-op", "miniport.ts", "changes nothing"],
    );
    assert.throws(
      () => mutantSources({ name: "../escape", bug, patches: [] }),
      /mutant "\.\.\/escape": a name is lowercase words/,
    );
  });
});

describe("a materialized mutant", () => {
  const probe: Mutant = {
    name: "mechanism-probe",
    bug: "Not a bug: it re-exports the DDI module the copy imports, so a test can see which one it is.",
    patches: [
      {
        file: "index.ts",
        find: "export function DriverEntry(",
        replace: 'export * as ddi from "../../ddi.js";\nexport function DriverEntry(',
      },
    ],
  };
  written.push(probe);

  test("is written next to passthrough, idempotently, and a file passthrough lacks is removed", () => {
    const index = materialize(probe);
    const dir = mutantDir(probe);
    assert.equal(index, join(dir, "index.ts"));
    assert.equal(
      dirname(dir),
      dirname(PASSTHROUGH_DIR),
      "a sibling: relative imports resolve alike",
    );
    assert.deepEqual(tsFilesOf(dir), tsFilesOf(PASSTHROUGH_DIR));
    assert.match(readFileSync(join(dir, "MUTANT.md"), "utf8"), /re-exports the DDI module/);

    const stray = join(dir, "stray.ts");
    writeFileSync(stray, "export {};\n");
    const stamps = tsFilesOf(PASSTHROUGH_DIR).map((f) => statSync(join(dir, f)).mtimeMs);
    assert.equal(materialize(probe), index);
    assert.equal(existsSync(stray), false, "the stray file is gone");
    assert.deepEqual(
      tsFilesOf(PASSTHROUGH_DIR).map((f) => statSync(join(dir, f)).mtimeMs),
      stamps,
      "files already right are not rewritten",
    );
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary files are left",
    );
  });

  test("imports the same DDI module instance as the code that loads it", async () => {
    const module = (await import(pathToFileURL(materialize(probe)).href)) as {
      ddi: typeof ddi;
      DriverEntry: unknown;
    };
    assert.equal(typeof module.DriverEntry, "function");
    assert.notEqual(module.DriverEntry, passthrough.DriverEntry, "a copy, not passthrough itself");
    assert.equal(module.ddi.NdisMRegisterMiniportDriver, ddi.NdisMRegisterMiniportDriver);
  });

  for (const mutant of Object.values(brokenIm)) {
    test(`${mutant.name} applies to today's passthrough and differs from it only where patched`, () => {
      const dir = dirname(materialize(mutant));
      assert.deepEqual(tsFilesOf(dir), tsFilesOf(PASSTHROUGH_DIR));
      const patched = new Set(mutant.patches.map((p) => p.file));
      for (const file of tsFilesOf(PASSTHROUGH_DIR)) {
        const original = passthroughText(file);
        const copy = readFileSync(join(dir, file), "utf8");
        if (!patched.has(file)) {
          assert.equal(copy, original, `${file} is passthrough's`);
          continue;
        }
        assert.notEqual(copy, original, `${file} is patched`);
        let restored = copy;
        for (const patch of mutant.patches.filter((p) => p.file === file)) {
          assert.equal(countOf(original, patch.find), 1);
          assert.equal(
            countOf(restored, patch.replace),
            1,
            `${file}: the replacement is there once`,
          );
          restored = restored.replace(patch.replace, () => patch.find);
        }
        assert.equal(restored, original, `${file}: undoing the patches gives passthrough's text`);
      }
      assert.match(mutant.bug, /\w+ \w+ \w+/, "the bug is described");
    });
  }
});
