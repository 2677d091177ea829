/**
 * The mutation generator (test/helpers/mutation.ts) stays honest: every operator still finds
 * places to mutate in the shipped drivers, a generated TypeScript mutant is the driver with exactly
 * its one edit, and a few representative generated mutants — one per bug class that matters most
 * — are found by `ndis verify` in the scenario that found them in bench/mutation.bench.ts's run
 * (BENCHMARKS.md, "Session 9: mutants of the shipped drivers"), in that scenario's plain run where
 * it shows there. The full evaluation is `npm run bench:mutation`, not part of this suite.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { builtinVerifyConfig } from "../../src/verify/config.js";
import { importDriver, runConformance } from "../../src/verify/index.js";
import { type Mutant, materialize, mutantDir, mutantSources } from "../helpers/mutants.js";
import {
  asMutant,
  type GeneratedMutant,
  generate,
  OPERATORS,
  type Operator,
  TARGETS,
} from "../helpers/mutation.js";

const ROOT = resolve(import.meta.dirname, "../..");
const written: Mutant[] = [];
after(() => {
  for (const mutant of written) rmSync(mutantDir(mutant), { recursive: true, force: true });
});

function target(id: string) {
  const found = TARGETS.find((t) => t.id === id);
  assert.ok(found, `no target ${id}`);
  return found;
}

/** The one generated mutant of `targetId`'s `file` by `operator` whose original text has `text`. */
function pick(targetId: string, file: string, operator: Operator, text: string): GeneratedMutant {
  const all = generate(target(targetId)).filter(
    (m) => m.file === file && m.operator === operator && m.original.includes(text),
  );
  assert.equal(
    all.length,
    1,
    `${targetId}/${file}: ${all.length} ${operator} mutant(s) of text with ${JSON.stringify(text)}: ${all.map((m) => m.id).join(", ")}`,
  );
  return all[0] as GeneratedMutant;
}

describe("the mutation generator", () => {
  test("every operator has places to mutate in the shipped drivers", () => {
    const counts = new Map<string, number>();
    for (const t of TARGETS)
      for (const m of generate(t)) counts.set(m.operator, (counts.get(m.operator) ?? 0) + 1);
    for (const op of Object.keys(OPERATORS))
      assert.ok((counts.get(op) ?? 0) > 0, `${op}: no mutants`);
  });

  test("a TypeScript mutant is the driver with its one edit, and only that", () => {
    const mutant = pick("passthrough", "datapath.ts", "delete-complete", "NdisMPauseComplete");
    const sources = mutantSources(asMutant(mutant));
    const original = readFileSync(join(ROOT, "src/drivers/passthrough/datapath.ts"), "utf8");
    const mutated = sources.get("datapath.ts") ?? "";
    assert.equal(
      mutated,
      original.slice(0, mutant.start) + mutant.replacement + original.slice(mutant.end),
    );
    assert.doesNotMatch(
      mutated.slice(mutant.start, mutant.start + mutant.replacement.length),
      /NdisMPauseComplete\(/,
    );
    for (const [file, text] of sources)
      if (file !== "datapath.ts")
        assert.equal(text, readFileSync(join(ROOT, "src/drivers/passthrough", file), "utf8"), file);
  });
});

/** Representative mutants and the scenario ndis verify finds each in. */
const FOUND: readonly {
  readonly target: string;
  readonly file: string;
  readonly operator: Operator;
  readonly text: string;
  readonly scenario: string;
  readonly plain: boolean;
  /** The rule it is found by, when a rule finds it. */
  readonly rule?: string;
}[] = [
  // A VELAN pause that never completes.
  {
    target: "passthrough",
    file: "datapath.ts",
    operator: "delete-complete",
    text: "NdisMPauseComplete",
    scenario: "pause-restart-under-traffic",
    plain: true,
  },
  // A forwarded OID's clone never freed.
  {
    target: "passthrough",
    file: "oid.ts",
    operator: "delete-complete",
    text: "NdisFreeCloneOidRequest(adapt",
    scenario: "oid-requests",
    plain: true,
  },
  // A binding's pause completed with NDIS_STATUS_PENDING (a survivor of the first evaluation:
  // nothing looked at the status a completion carried).
  {
    target: "passthrough",
    file: "datapath.ts",
    operator: "bad-status",
    text: "NDIS_STATUS_SUCCESS",
    scenario: "pause-restart-under-traffic",
    plain: true,
    rule: "Completion_StatusPending",
  },
  // A clone freed twice (a survivor of the first evaluation: nothing looked at a second free).
  {
    target: "vlan-mux",
    file: "oid.ts",
    operator: "duplicate-complete",
    text: "NdisFreeCloneOidRequest(adapt.BindingHandle as NDIS_HANDLE, OidRequest)",
    scenario: "oid-requests",
    plain: true,
    rule: "NdisFreeCloneOidRequest_NotAllocated",
  },
];

describe("representative generated mutants are found by ndis verify", () => {
  for (const spec of FOUND) {
    test(`${spec.target}/${spec.file}: ${spec.operator} of ${spec.text} (${spec.scenario})`, async () => {
      const mutant = pick(spec.target, spec.file, spec.operator, spec.text);
      const source = asMutant(mutant);
      written.push(source);
      const module = await importDriver(materialize(source));
      const config = builtinVerifyConfig(spec.target);
      const report = await runConformance(module, {
        only: [spec.scenario],
        ...(spec.plain ? { plain: true } : {}),
        ...(config === undefined ? {} : { config }),
        shrink: false,
      });
      assert.equal(report.results[0]?.status, "fail", `${mutant.id} passed ${spec.scenario}`);
      if (spec.rule !== undefined)
        assert.equal(report.results[0]?.rule, spec.rule, report.results[0]?.failure ?? "");
    });
  }
});
