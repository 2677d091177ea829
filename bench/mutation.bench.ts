/**
 * Mutation evaluation of `ndis verify`: every mutant test/helpers/mutation.ts generates from the
 * shipped drivers (TypeScript and C), run through the suite with the default budget (100 explored
 * runs per scenario after the plain one, random strategy, faults on, no shrinking — shrinking
 * changes what is printed, not whether something is found), on --jobs worker threads.
 *
 * Each mutant first gets the plain run of every scenario (cheap; what it finds, the default budget
 * finds too, the plain run being part of it); only what survives that gets the explored runs. The
 * unmutated drivers are run first the same way: a driver that fails unmutated would make its
 * mutants' kills meaningless, and the bench stops.
 *
 * `npm run bench:mutation` (not part of `npm test`). Environment: JOBS (worker threads, default 2),
 * TARGETS (comma-separated target ids, default all), OPS (operators), ONLY (mutant ids), LIMIT (at
 * most this many mutants per target, taken evenly), OUT (a JSON-lines file of results, appended to;
 * mutants already in it are not run again), RUNS (explored runs, default 100), SKIP_BASELINE=1
 * (do not first check that each unmutated driver passes: for a re-run of survivors).
 * Prints the kill table per target and operator as Markdown, and the survivors.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDriver } from "../src/index.js";
import { builtinVerifyConfig } from "../src/verify/config.js";
import { runConformance } from "../src/verify/index.js";
import { materialize, mutantDir } from "../test/helpers/mutants.js";
import {
  asMutant,
  cSources,
  type GeneratedMutant,
  generate,
  OPERATORS,
  type Operator,
  TARGETS,
  type Target,
} from "../test/helpers/mutation.js";

const ROOT = resolve(import.meta.dirname, "..");
const JOBS = Number(process.env.JOBS ?? 2);
const RUNS = Number(process.env.RUNS ?? 100);
const WANT_TARGETS = process.env.TARGETS?.split(",");
const WANT_OPS = process.env.OPS?.split(",");
const ONLY = process.env.ONLY?.split(",");
const LIMIT = process.env.LIMIT === undefined ? Infinity : Number(process.env.LIMIT);
const OUT = process.env.OUT ?? join(tmpdir(), "ndis-mutation.jsonl");
/** Skip the check that each unmutated driver passes (a re-run of survivors, the check made already). */
const SKIP_BASELINE = process.env.SKIP_BASELINE === "1";
const C_OUT = join(tmpdir(), `ndis-mutation-c-${process.pid}`);

export interface Outcome {
  readonly id: string;
  readonly target: string;
  readonly operator: Operator;
  /** killed (a scenario failed, or the driver did not come up), survived, or invalid (did not build/load). */
  readonly verdict: "killed" | "survived" | "invalid";
  /** plain: found by a plain run; explored: only by the explored runs. */
  readonly stage?: "plain" | "explored" | "bring-up";
  readonly scenarios?: readonly string[];
  readonly rule?: string | null;
  readonly detail?: string;
  readonly ms: number;
}

function configOf(target: Target) {
  const config = target.language === "ts" ? builtinVerifyConfig(target.id) : undefined;
  return {
    ...(config === undefined ? {} : { config }),
    ...(target.service === undefined ? {} : { service: target.service }),
  };
}

/** Builds a C target's sources (a mutant's, or the original) into a .wasm; null when it does not build. */
async function buildC(target: Target, files: Map<string, string>, name: string) {
  const dir = join(C_OUT, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of files) writeFileSync(join(dir, f), text);
  const output = join(dir, "driver.wasm");
  const result = await buildDriver({
    sources: (target.sources ?? []).map((s) => join(dir, s)),
    output,
    cflags: [...(target.cflags ?? [])],
  });
  return result.ok ? output : { diagnostics: result.diagnostics };
}

/** Runs the suite on `path`: plain first, then explored; what it found. */
async function verify(
  path: string,
  target: Target,
): Promise<Omit<Outcome, "id" | "target" | "operator" | "ms">> {
  const options = { ...configOf(target), jobs: JOBS, shrink: false, runTimeoutMs: 20_000 };
  for (const stage of ["plain", "explored"] as const) {
    let report: Awaited<ReturnType<typeof runConformance>>;
    try {
      report = await runConformance(path, {
        ...options,
        ...(stage === "plain" ? { plain: true } : { runs: RUNS }),
      });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // The driver did not come up on the rig (exit 1), or is not a driver the suite takes (exit 2):
      // either way `ndis verify` does not pass it.
      return { verdict: "killed", stage: "bring-up", detail: message.slice(0, 300) };
    }
    const failed = report.results.filter((r) => r.status === "fail");
    if (failed.length > 0)
      return {
        verdict: "killed",
        stage,
        scenarios: failed.map((r) => r.name),
        rule: failed[0]?.rule ?? null,
        detail: ((failed[0]?.failure ?? "").split("\n")[0] ?? "").slice(0, 300),
      };
  }
  return { verdict: "survived" };
}

async function runMutant(mutant: GeneratedMutant): Promise<Outcome> {
  const started = performance.now();
  const head = { id: mutant.id, target: mutant.target.id, operator: mutant.operator };
  let path: string;
  if (mutant.target.language === "ts") {
    path = materialize(asMutant(mutant));
  } else {
    const files = cSources(mutant);
    const built = await buildC(mutant.target, files, asName(mutant.id));
    if (typeof built !== "string")
      return {
        ...head,
        verdict: "invalid",
        detail:
          built.diagnostics
            .split("\n")
            .find((l) => /error/.test(l))
            ?.slice(0, 300) ?? "",
        ms: performance.now() - started,
      };
    path = built;
  }
  const found = await verify(path, mutant.target);
  if (mutant.target.language === "ts")
    rmSync(mutantDir(asMutant(mutant)), { recursive: true, force: true });
  else rmSync(join(C_OUT, asName(mutant.id)), { recursive: true, force: true });
  return { ...head, ...found, ms: performance.now() - started };
}

function asName(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, "-");
}

async function main() {
  const done = new Map<string, Outcome>();
  if (existsSync(OUT))
    for (const line of readFileSync(OUT, "utf8").split("\n"))
      if (line.trim() !== "") {
        const o = JSON.parse(line) as Outcome;
        done.set(o.id, o);
      }
  const targets = TARGETS.filter((t) => WANT_TARGETS === undefined || WANT_TARGETS.includes(t.id));
  for (const target of targets) {
    let mutants = generate(target).filter(
      (m) =>
        (WANT_OPS === undefined || WANT_OPS.includes(m.operator)) &&
        (ONLY === undefined || ONLY.includes(m.id)),
    );
    if (mutants.length > LIMIT) {
      const step = mutants.length / LIMIT;
      mutants = Array.from(
        { length: LIMIT },
        (_, i) => mutants[Math.floor(i * step)] as GeneratedMutant,
      );
    }
    const todo = mutants.filter((m) => !done.has(m.id));
    if (todo.length === 0) continue;
    // The unmutated driver must pass, or its mutants' kills mean nothing.
    const original =
      target.language === "ts"
        ? join(ROOT, target.dir, "index.ts")
        : await buildC(target, allC(target), `${target.id}-original`);
    if (typeof original !== "string")
      throw new Error(`${target.id} does not build:\n${original.diagnostics}`);
    const base = SKIP_BASELINE
      ? ({ verdict: "survived" } as const)
      : await verify(original, target);
    if (base.verdict !== "survived") {
      process.stderr.write(
        `${target.id}: UNMUTATED FAILS, its mutants not run: ${JSON.stringify(base)}\n`,
      );
      continue;
    }
    process.stderr.write(`${target.id}: unmutated passes; ${todo.length} mutant(s) to run\n`);
    for (const mutant of todo) {
      const outcome = await runMutant(mutant);
      done.set(mutant.id, outcome);
      appendFileSync(OUT, `${JSON.stringify(outcome)}\n`);
      process.stderr.write(
        `${outcome.verdict.padEnd(8)} ${mutant.id}${outcome.scenarios ? ` (${outcome.stage}: ${outcome.scenarios.slice(0, 3).join(", ")})` : outcome.stage ? ` (${outcome.stage})` : ""} ${Math.round(outcome.ms)} ms\n`,
      );
    }
  }
  report([...done.values()].filter((o) => targets.some((t) => t.id === o.target)));
  rmSync(C_OUT, { recursive: true, force: true });
}

/** Every .c and .h file of a C target's folder, unchanged. */
function allC(target: Target): Map<string, string> {
  const dir = join(ROOT, target.dir);
  const files = new Map<string, string>();
  for (const f of readdirSync(dir))
    if (/\.(c|h)$/.test(f)) files.set(f, readFileSync(join(dir, f), "utf8"));
  return files;
}

/** The Markdown tables: per target, and per operator; then the survivors. */
export function report(outcomes: readonly Outcome[]): void {
  const ops = Object.keys(OPERATORS) as Operator[];
  const cell = (list: readonly Outcome[]) => {
    const valid = list.filter((o) => o.verdict !== "invalid");
    if (valid.length === 0) return "–";
    return `${valid.filter((o) => o.verdict === "killed").length}/${valid.length}`;
  };
  const targets = [...new Set(outcomes.map((o) => o.target))];
  const lines = [
    `| driver | ${ops.join(" | ")} | killed | invalid |`,
    `| --- | ${ops.map(() => "---").join(" | ")} | --- | --- |`,
  ];
  for (const t of targets) {
    const of = outcomes.filter((o) => o.target === t);
    lines.push(
      `| ${t} | ${ops.map((op) => cell(of.filter((o) => o.operator === op))).join(" | ")} | **${cell(of)}** | ${of.filter((o) => o.verdict === "invalid").length} |`,
    );
  }
  lines.push(
    `| **all** | ${ops.map((op) => cell(outcomes.filter((o) => o.operator === op))).join(" | ")} | **${cell(outcomes)}** | ${outcomes.filter((o) => o.verdict === "invalid").length} |`,
  );
  const plain = outcomes.filter((o) => o.stage === "plain" || o.stage === "bring-up").length;
  const explored = outcomes.filter((o) => o.stage === "explored").length;
  lines.push(
    "",
    `killed by a plain run or at bring-up: ${plain}; only by explored runs: ${explored}`,
    "",
  );
  lines.push("Survivors:", "");
  for (const o of outcomes.filter((x) => x.verdict === "survived")) lines.push(`- \`${o.id}\``);
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
