/**
 * The docs stay true: every NDIS name used in their code blocks is exported, and every source
 * path they mention exists.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as api from "../../src/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)].filter(
  (p) => p.endsWith(".md"),
);

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

describe("docs", () => {
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), "utf8");

    test(`${page}: the NDIS names in its TypeScript code are exported`, () => {
      const exported = new Set(Object.keys(api));
      const typeOnly = new Set(["DRIVER_OBJECT", "NDIS_HANDLE", "NDIS_STATUS", "Out"]);
      for (const block of codeBlocks(text)) {
        const code = block.replace(/\/\/.*$/gm, "");
        const declared = new Set(
          [...code.matchAll(/\b(?:const|let|function)\s+(\w+)/g)].map((m) => m[1]),
        );
        for (const [name] of code.matchAll(/\b(?:Ndis[A-Z]\w*|NDIS_[A-Z0-9_]+|Ke[A-Z]\w*)\b/g)) {
          if (
            /^NDIS_[A-Z0-9_]+_CHARACTERISTICS$/.test(name) ||
            typeOnly.has(name) ||
            declared.has(name)
          )
            continue;
          assert.ok(exported.has(name), `${page} uses ${name}, which the package does not export`);
        }
      }
    });

    test(`${page}: the source paths it names exist`, () => {
      for (const [, path] of text.matchAll(/`((?:src|test|bench|docs)\/[\w./-]+)`/g)) {
        assert.ok(
          existsSync(join(ROOT, path as string)),
          `${page} names ${path}, which does not exist`,
        );
      }
    });
  }
});
