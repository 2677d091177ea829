/**
 * `ndis verify <driver>`: runs the conformance suite (src/verify/, docs/verify.md) against an IM
 * driver module. Each scenario runs plain, then under the explorer (seeded random by default, PCT
 * on request, faults as choices); a failure is shrunk and printed with the command that
 * replays it (`--replay TOKEN`). A progress line on a terminal (stderr), a line per scenario as
 * it finishes, then each failure in full and the totals; `--junit` writes JUnit XML, `--html` a
 * self-contained report with a sequence diagram of each failure, `--json` one record per
 * scenario and a summary. Exit code 0 only when every scenario passed, 1 when one failed, 2 for
 * bad usage or a module that cannot be loaded (a VerifyUsageError, printed on stderr).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { extname, isAbsolute, resolve } from "node:path";
import { loadStackFile } from "../../stack/index.js";
import {
  builtinNeedsAWire,
  builtinPath,
  builtinVerifyConfig,
  configFromRegistryArgs,
  configFromStack,
  mergeConfig,
} from "../../verify/config.js";
import {
  type ConformanceOptions,
  type ConformanceReport,
  conformanceScenarios,
  formatDetails,
  formatJUnit,
  formatScenarioLine,
  parseToken,
  renderHtmlReport,
  replayRun,
  runConformance,
  type ScenarioResult,
  type StrategyName,
  selectScenarios,
  type VerifyConfig,
} from "../../verify/index.js";
import type { Output } from "../output.js";

export interface VerifyOptions {
  /** The driver module as typed: a file path (from the current directory) or a package specifier. */
  readonly driver: string;
  /** The module to load, resolved from `driver` (set by verify itself). */
  readonly module?: string;
  /** Write JUnit XML here. */
  readonly junit?: string;
  /** Only these scenarios. */
  readonly only?: readonly string[];
  readonly json?: boolean;
  /** Write the HTML report here. */
  readonly html?: string;
  /** Runs per scenario after the plain one. */
  readonly runs?: number;
  readonly strategy?: readonly StrategyName[];
  readonly seed?: number;
  readonly depth?: number;
  readonly bound?: number;
  /** Only the plain run of each scenario. */
  readonly plain?: boolean;
  /** The service name the driver loads under. Default "imtest". */
  readonly service?: string;
  readonly shrink?: boolean;
  readonly faults?: boolean;
  /** Replay one run from its token instead of running the suite. */
  readonly replay?: string;
  /** Where the progress line goes (a terminal); none when absent. */
  readonly progress?: (text: string) => void;
  /** Worker threads. Default: the number of cores. */
  readonly jobs?: number;
  /** This machine's share of the scenarios. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Fail scenarios whose exploration was not exhaustive and complete. */
  readonly strict?: boolean;
  /** Real-time limit of one run before the driver is stopped. */
  readonly runTimeoutMs?: number;
  /** Write the whole report as JSON here. */
  readonly save?: string;
  /** Merge these shard reports instead of running anything. */
  readonly merge?: readonly string[];
  /** A stack file that configures the driver under test (its registry, bindings, devices). */
  readonly stack?: string;
  /** Registry values (`key=value`, `binding.key=value`, `DEVICE.key=value`) or files of them. */
  readonly registry?: readonly string[];
}

/** The configuration `--stack` and `--registry` give the driver under test, if any. */
async function configOf(options: VerifyOptions, module: string): Promise<VerifyConfig | undefined> {
  // A miniport whose wire only the real world has runs with the one given, or not at all.
  const needs = builtinNeedsAWire(options.driver);
  if (needs !== undefined && options.stack === undefined && (options.registry ?? []).length === 0)
    throw new VerifyUsageError(needs);
  // A built-in driver that needs configuration has a default one, unless a stack file gives it.
  let config: VerifyConfig | undefined =
    options.stack === undefined ? builtinVerifyConfig(options.driver) : undefined;
  try {
    if (options.stack !== undefined) {
      const { name: _name, ...fromStack } = configFromStack(
        await loadStackFile(options.stack),
        module,
      );
      config = fromStack;
    }
    if (options.registry !== undefined && options.registry.length > 0)
      config = mergeConfig(config ?? {}, configFromRegistryArgs(options.registry));
  } catch (err) {
    if (err instanceof Error && err.name === "StackFileError") throw err;
    throw new VerifyUsageError(err instanceof Error ? err.message : String(err));
  }
  return config;
}

/**
 * Bad usage: an unknown scenario, a malformed replay token, a module that cannot be loaded. The
 * CLI prints it on stderr as `ndis: …` and exits 2; nothing has run.
 */
export class VerifyUsageError extends Error {
  override readonly name = "VerifyUsageError";
}

/** What `--json` prints for a scenario: everything but the trace. */
function record(result: ScenarioResult): object {
  const { events: _events, ...rest } = result;
  return rest;
}

function htmlOf(report: ConformanceReport, service: string): string {
  return renderHtmlReport({
    driver: report.driver,
    services: { upper: "vfyupper", im: service, lower: "vfylower" },
    generatedAt: new Date().toISOString(),
    durationMs: report.durationMs,
    scenarios: report.results.map((r) => ({
      name: r.name,
      description: r.description,
      contract: r.contract,
      status: r.status,
      runs: r.runs ?? 1,
      steps: r.steps ?? 0,
      durationMs: r.durationMs,
      failure:
        r.failure === null
          ? null
          : {
              message: r.failure,
              rule: r.rule,
              replay: `ndis verify ${report.driver} --replay ${r.replay ?? "?"}`,
              seed: r.replay ?? "",
              choices: r.choices ?? [],
              events: r.events ?? [],
              states: r.states ?? [],
            },
    })),
  });
}

function writeOutputs(options: VerifyOptions, report: ConformanceReport, out: Output): void {
  if (options.junit !== undefined) writeFileSync(options.junit, formatJUnit(report));
  if (options.html !== undefined) {
    writeFileSync(options.html, htmlOf(report, options.service ?? "imtest"));
    if (!options.json) out.line(`HTML report: ${options.html}`);
  }
}

const MODULE_EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".cjs", ".cts"];
const STACK_EXTENSIONS = [".yaml", ".yml", ".json"];

/**
 * The driver argument as a module to load: a path (anything starting with `.` or `/`, or ending in
 * a script or stack-file extension) is resolved from the current directory and must be a file of
 * a driver module; anything else is a package specifier, resolved as Node resolves it.
 */
export function driverModuleArgument(driver: string, cwd = process.cwd()): string {
  const ext = extname(driver).toLowerCase();
  const isPath =
    driver.startsWith(".") ||
    isAbsolute(driver) ||
    MODULE_EXTENSIONS.includes(ext) ||
    STACK_EXTENSIONS.includes(ext);
  if (!isPath) return builtinPath(driver) ?? driver;
  const path = resolve(cwd, driver);
  const expected =
    "expected an IM driver module: a .ts or .js file exporting DriverEntry (or a package name)";
  if (STACK_EXTENSIONS.includes(ext))
    throw new VerifyUsageError(
      `${driver} is a stack file, not a driver module: ${expected}. To run a stack: ndis run ${driver}`,
    );
  if (!existsSync(path))
    throw new VerifyUsageError(`${driver}: no such file (looked for ${path}); ${expected}`);
  if (!statSync(path).isFile())
    throw new VerifyUsageError(`${driver} (${path}) is not a file; ${expected}`);
  return path;
}

export async function verify(options: VerifyOptions, out: Output): Promise<number> {
  if (options.merge !== undefined) return merge(options, options.merge, out);
  const names = conformanceScenarios().map((s) => s.name);
  const unknown = (options.only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new VerifyUsageError(
      `no scenario named ${unknown.join(", ")}; the scenarios are ${names.join(", ")}`,
    );
  }
  let explore: ConformanceOptions = {
    ...(options.runs === undefined ? {} : { runs: options.runs }),
    ...(options.strategy === undefined ? {} : { strategies: options.strategy }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.depth === undefined ? {} : { depth: options.depth }),
    ...(options.bound === undefined ? {} : { bound: options.bound }),
    ...(options.plain === true ? { plain: true } : {}),
    ...(options.shrink === false ? { shrink: false } : {}),
    ...(options.faults === false ? { faults: false } : {}),
    ...(options.service === undefined ? {} : { service: options.service }),
    ...(options.runTimeoutMs === undefined ? {} : { runTimeoutMs: options.runTimeoutMs }),
  };
  const module = driverModuleArgument(options.driver);
  if (module !== options.driver) options = { ...options, module };
  const config = await configOf(options, module);
  if (config !== undefined) explore = { ...explore, config };
  if (options.replay !== undefined) return replay(options, options.replay, explore, out);
  let total: number;
  try {
    total = selectScenarios(options.only, options.shard).length;
  } catch (err) {
    throw new VerifyUsageError(err instanceof Error ? err.message : String(err));
  }
  let done = 0;
  if (!options.json) out.line(`ndis verify ${options.driver}: ${total} scenario(s)`);
  let report: ConformanceReport;
  let current = "";
  let shown = 0;
  try {
    report = await runConformance(options.module ?? options.driver, {
      ...explore,
      jobs: options.jobs ?? availableParallelism(),
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      ...(options.only === undefined ? {} : { only: options.only }),
      onScenarioStart: (scenario) => {
        current = scenario.name;
      },
      ...(options.progress === undefined
        ? {}
        : {
            onRun: (runs: number, budget: number) => {
              // Redraw every 5 runs or so (worker threads report their runs in batches).
              if (runs !== budget && runs >= shown && runs < shown + 5) return;
              shown = runs;
              const width = 20;
              const filled = Math.round((width * runs) / budget);
              options.progress?.(
                `[${done + 1}/${total}] ${current} [${"#".repeat(filled)}${".".repeat(width - filled)}] run ${runs}/${budget}`,
              );
            },
          }),
      onScenarioEnd: (result) => {
        done++;
        // A scenario for another kind of driver: counted, said once in the totals.
        if (result.skipped !== undefined) return;
        options.progress?.("");
        if (options.json) out.record("scenario", record(result));
        else out.verdict(`[${done}/${total}] ${formatScenarioLine(result)}`);
      },
    });
  } catch (err) {
    options.progress?.("");
    // A driver that hung or ended its thread while loading failed; anything else is bad usage.
    if (err instanceof Error && err.name === "DriverHung") {
      out.problem(err.message);
      return 1;
    }
    // A driver that did not come up failed too (it may need configuration, or have a bug that
    // keeps it down): one failed result instead of one per scenario, in every output.
    if (err instanceof Error && err.name === "DriverNotUp") {
      const module = options.module;
      const failure =
        module === undefined ? err.message : err.message.split(module).join(options.driver);
      report = notUpReport(options.driver, failure);
      if (options.json) out.record("scenario", record(report.results[0] as ScenarioResult));
      else out.verdict(`[1/1] ${formatScenarioLine(report.results[0] as ScenarioResult)}`);
      return finish(options, report, out);
    }
    // The driver named as the user typed it (a built-in id, a relative path), not as resolved.
    const text = err instanceof Error ? err.message : String(err);
    const module = options.module;
    throw new VerifyUsageError(
      module === undefined ? text : text.split(module).join(options.driver),
    );
  }
  return finish(options, report, out);
}

/** The report of a driver that did not come up on the rig: one failed result, `bring-up`. */
function notUpReport(driver: string, failure: string): ConformanceReport {
  const result: ScenarioResult = {
    name: "bring-up",
    description: "the stack brought up once in the plain order, before any scenario",
    contract:
      "the driver comes up on the suite's rig: an IM driver starts its virtual miniports, a protocol binds, a miniport initializes and the upper protocol binds to it",
    status: "fail",
    durationMs: 0,
    failure,
    rule: null,
    runs: 1,
    violations: [],
  };
  return { driver, results: [result], passed: 0, failed: 1, durationMs: 0 };
}

/** Writes the outputs asked for and the totals; the exit code (0 when nothing failed, else 1). */
function finish(options: VerifyOptions, report: ConformanceReport, out: Output): number {
  if (options.strict === true) report = strictly(report);
  writeOutputs(options, report, out);
  if (options.save !== undefined) writeFileSync(options.save, `${JSON.stringify(report)}\n`);
  if (options.json)
    out.record("summary", {
      driver: report.driver,
      passed: report.passed,
      failed: report.failed,
      durationMs: report.durationMs,
    });
  else
    for (const line of formatDetails(report, `ndis verify ${options.driver}`).trimEnd().split("\n"))
      out.verdict(line);
  return report.failed === 0 ? 0 : 1;
}

/** `--replay TOKEN`: the one run the token names, traced; exit 0 when it passes. */
async function replay(
  options: VerifyOptions,
  token: string,
  explore: ConformanceOptions,
  out: Output,
): Promise<number> {
  let result: ScenarioResult;
  try {
    parseToken(token);
    result = await replayRun(token, options.module ?? options.driver, explore);
  } catch (err) {
    throw new VerifyUsageError(err instanceof Error ? err.message : String(err));
  }
  const report: ConformanceReport = {
    driver: options.driver,
    results: [result],
    passed: result.status === "pass" ? 1 : 0,
    failed: result.status === "pass" ? 0 : 1,
    durationMs: result.durationMs,
  };
  writeOutputs(options, report, out);
  if (options.json) {
    out.record("scenario", record(result));
    return result.status === "pass" ? 0 : 1;
  }
  out.line(`ndis verify ${options.driver} --replay ${token}`);
  out.verdict(formatScenarioLine(result));
  out.line(`choices: ${(result.choices ?? []).join(" ") || "(none: the plain order)"}`);
  // Each choice, labelled: which task ran, which fault was injected, which mode a driver took.
  const decisions = result.decisions ?? [];
  decisions.forEach((d, i) => {
    const what = d.kind === "order" ? `ran ${d.chosen} (option ${d.pick} of ${d.width})` : d.chosen;
    out.line(`  ${String(i + 1).padStart(4)}. ${d.label}: ${what}`);
  });
  if (result.refused != null) out.line(`refused: ${result.refused} (a correct answer)`);
  const events = result.events ?? [];
  out.line(`trace: ${events.length} event(s)`);
  for (const event of events) out.trace(event);
  for (const line of formatDetails(report, `ndis verify ${options.driver}`).trimEnd().split("\n"))
    out.line(line);
  return result.status === "pass" ? 0 : 1;
}

/** `--strict`: a pass whose exploration was not exhaustive and complete counts as a failure. */
function strictly(report: ConformanceReport): ConformanceReport {
  const results = report.results.map((r): ScenarioResult => {
    if (r.status === "fail" || r.coverage?.complete === true) return r;
    return {
      ...r,
      status: "fail",
      failure: `--strict: the exploration was incomplete (${r.coverage?.schedules ?? r.runs ?? 0} schedules run, not every schedule within the bound); use --strategy exhaustive with a larger --runs or a smaller --bound`,
      rule: null,
    };
  });
  const failed = results.filter((r) => r.status === "fail").length;
  return { ...report, results, failed, passed: results.length - failed };
}

/** Reads one shard's report: a --save file (one JSON object), or --json output (JSON lines). */
function readShard(file: string): ConformanceReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new VerifyUsageError(
      `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    const whole = JSON.parse(text) as Partial<ConformanceReport>;
    if (Array.isArray(whole.results)) return whole as ConformanceReport;
  } catch {
    // JSON lines, then.
  }
  const results: ScenarioResult[] = [];
  let driver = "";
  let durationMs = 0;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let record: { type?: string; data?: unknown } & Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      throw new VerifyUsageError(
        `${file}:${i + 1}: not JSON (expected ndis verify --save or --json output)`,
      );
    }
    const { type: _type, ...data } = record as Record<string, unknown>;
    if (record.type === "scenario") results.push(data as unknown as ScenarioResult);
    else if (record.type === "summary") {
      driver = String(data.driver ?? "");
      durationMs = Number(data.durationMs ?? 0);
    }
  });
  if (results.length === 0)
    throw new VerifyUsageError(
      `${file}: no scenario results (expected ndis verify --save or --json output)`,
    );
  const failed = results.filter((r) => r.status === "fail").length;
  return { driver, results, passed: results.length - failed, failed, durationMs };
}

/** `--merge`: the shards' reports as one, in suite order; a scenario in two shards is an error. */
function merge(options: VerifyOptions, files: readonly string[], out: Output): number {
  const shards = files.map(readShard);
  const order = conformanceScenarios().map((s) => s.name);
  const byName = new Map<string, ScenarioResult>();
  shards.forEach((shard, i) => {
    for (const r of shard.results) {
      if (byName.has(r.name))
        throw new VerifyUsageError(`${files[i]}: scenario ${r.name} is in two of the reports`);
      byName.set(r.name, r);
    }
  });
  const results = [...byName.values()].sort(
    (a, b) => order.indexOf(a.name) - order.indexOf(b.name),
  );
  const failed = results.filter((r) => r.status === "fail").length;
  const report: ConformanceReport = {
    driver: shards.find((s) => s.driver !== "")?.driver ?? options.driver,
    results,
    passed: results.length - failed,
    failed,
    durationMs: Math.max(0, ...shards.map((s) => s.durationMs)),
  };
  writeOutputs(options, report, out);
  if (options.save !== undefined) writeFileSync(options.save, `${JSON.stringify(report)}\n`);
  if (options.json)
    out.record("summary", {
      driver: report.driver,
      passed: report.passed,
      failed: report.failed,
      durationMs: report.durationMs,
      merged: files.length,
    });
  else {
    out.line(`ndis verify --merge: ${files.length} report(s), ${results.length} scenario(s)`);
    for (const r of results) out.line(formatScenarioLine(r));
    for (const line of formatDetails(report, `ndis verify ${report.driver}`).trimEnd().split("\n"))
      out.line(line);
  }
  return failed === 0 ? 0 : 1;
}
