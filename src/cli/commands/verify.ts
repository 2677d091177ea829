/**
 * `ndis verify <driver>`: runs the conformance suite (src/verify/, docs/verify.md) against an IM
 * driver module. A line per scenario as it finishes, then each failure in full and the totals;
 * `--junit` writes JUnit XML for CI, `--json` prints one record per scenario and a summary.
 * Exit code 0 only when every scenario passed, 1 when one failed, 2 for bad usage or a module
 * that cannot be loaded.
 */
import { writeFileSync } from "node:fs";
import {
  type ConformanceReport,
  conformanceScenarios,
  formatDetails,
  formatJUnit,
  formatScenarioLine,
  runConformance,
} from "../../verify/index.js";
import type { Output } from "../output.js";

export interface VerifyOptions {
  /** The driver module: a file path or a package specifier. */
  readonly driver: string;
  /** Write JUnit XML here. */
  readonly junit?: string;
  /** Only these scenarios. */
  readonly only?: readonly string[];
  readonly json?: boolean;
}

export async function verify(options: VerifyOptions, out: Output): Promise<number> {
  const names = conformanceScenarios().map((s) => s.name);
  const unknown = (options.only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    out.problem(`no scenario named ${unknown.join(", ")}; the scenarios are ${names.join(", ")}`);
    return 2;
  }
  const total = options.only?.length ?? names.length;
  let done = 0;
  if (!options.json) out.line(`ndis verify ${options.driver}: ${total} scenario(s)`);
  let report: ConformanceReport;
  try {
    report = await runConformance(options.driver, {
      ...(options.only === undefined ? {} : { only: options.only }),
      onScenarioEnd: (result) => {
        done++;
        if (options.json) out.record("scenario", result);
        else out.line(`[${done}/${total}] ${formatScenarioLine(result)}`);
      },
    });
  } catch (err) {
    out.problem(`ndis verify: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  if (options.junit !== undefined) writeFileSync(options.junit, formatJUnit(report));
  if (options.json)
    out.record("summary", {
      driver: report.driver,
      passed: report.passed,
      failed: report.failed,
      durationMs: report.durationMs,
    });
  else for (const line of formatDetails(report).trimEnd().split("\n")) out.line(line);
  return report.failed === 0 ? 0 : 1;
}
