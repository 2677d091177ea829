/**
 * Mutated stack files never escape as anything but a StackFileError naming file:line:col: every
 * example file mutated hundreds of ways (bytes flipped, lines dropped, duplicated or swapped,
 * YAML anchors, aliases and tags spliced in), plus the hostile shapes the fuzzers found —
 * unresolved aliases, alias bombs, deep nesting, `__proto__` keys, registry names that differ
 * only in case.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseStack, StackFileError } from "../../src/stack/index.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPLICES = [
  "*nope",
  "&a",
  "*a",
  "!!binary",
  "!!map",
  "<<: *a",
  "{",
  "}",
  "[",
  "]",
  ":",
  "- ",
  "__proto__: 1",
  "'",
  '"',
  "|",
  ">",
  "#",
  "%YAML 1.2\n---",
  "\t",
  "~",
  "0x1_0000_0000",
  "-1",
  "1e400",
];

function mutate(text: string, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const lines = text.split("\n");
  switch (Math.floor(random() * 6)) {
    case 0: {
      const at = Math.floor(random() * text.length);
      return (
        text.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + text.slice(at + 1)
      );
    }
    case 1:
      lines.splice(Math.floor(random() * lines.length), 1);
      return lines.join("\n");
    case 2: {
      const i = Math.floor(random() * lines.length);
      lines.splice(i, 0, lines[i] ?? "");
      return lines.join("\n");
    }
    case 3: {
      const i = Math.floor(random() * lines.length);
      const j = Math.floor(random() * lines.length);
      [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
      return lines.join("\n");
    }
    case 4: {
      const at = Math.floor(random() * text.length);
      return `${text.slice(0, at)}${pick(SPLICES)}${text.slice(at)}`;
    }
    default: {
      // Replace a scalar after a colon with an alias or a splice.
      const i = Math.floor(random() * lines.length);
      lines[i] = (lines[i] ?? "").replace(/:\s.*$/, `: ${pick(SPLICES)}`);
      return lines.join("\n");
    }
  }
}

function assertContained(text: string, what: string): void {
  try {
    parseStack(text, "fuzz.yaml", "/tmp");
  } catch (err) {
    assert.ok(
      err instanceof StackFileError,
      `${what}: escaped as ${(err as Error)?.name}: ${(err as Error)?.message}`,
    );
    for (const p of err.problems) {
      assert.ok(p.line >= 1 && p.col >= 1, `${what}: no position in ${err.message}`);
    }
    assert.match(err.message, /^fuzz\.yaml:\d+:\d+: /, what);
  }
}

describe("stack files under mutation", () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));
  test("every mutation of every example is a stack or a StackFileError with file:line:col", () => {
    assert.ok(examples.length >= 5);
    let runs = 0;
    for (const name of examples) {
      const text = readFileSync(join(EXAMPLES, name), "utf8");
      for (let seed = 1; seed <= 150; seed++) {
        const random = prng(seed * 7919 + name.length);
        let mutated = text;
        const rounds = 1 + Math.floor(random() * 3);
        for (let r = 0; r < rounds; r++) mutated = mutate(mutated, random);
        assertContained(mutated, `${name} seed ${seed}`);
        runs++;
      }
    }
    assert.ok(runs >= 750);
  });

  const hostile: [string, string, RegExp][] = [
    ["an unresolved alias", "drivers: *nope\n", /^fuzz\.yaml:1:10: .*alias \*nope/],
    [
      "an alias bomb",
      `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ndrivers: [{name: a, module: hub}]\n`,
      /alias/,
    ],
    ["nesting 200 deep", `drivers: ${"[".repeat(200)}${"]".repeat(200)}\n`, /nest/],
    ["nesting 5000 deep", `drivers: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, /nest/],
    [
      "a __proto__ registry value",
      "drivers: [{name: a, module: hub, registry: {__proto__: 5, X: 1}}]\n",
      /^fuzz\.yaml:1:45: drivers\[0\]\.registry\.__proto__: /,
    ],
    [
      "registry names that differ only in case",
      "drivers:\n  - name: a\n    module: hub\n    registry:\n      Hub: x\n      hub: y\n",
      /^fuzz\.yaml:6:7: drivers\[0\]\.registry\.hub: .*"Hub".*case/,
    ],
  ];
  for (const [what, text, pattern] of hostile) {
    test(`${what}: a StackFileError at its place`, () => {
      assert.throws(
        () => parseStack(text, "fuzz.yaml", "/tmp"),
        (err: unknown) => {
          assert.ok(err instanceof StackFileError, String(err));
          assert.match(err.message, pattern);
          return true;
        },
      );
    });
  }
});
