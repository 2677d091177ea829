/** How a conformance report is shown: a terminal summary and JUnit XML for CI. */
import type { ConformanceReport, ScenarioResult } from "./result.js";

const KIND_TITLES = {
  im: "intermediate driver",
  filter: "filter driver",
  miniport: "miniport driver",
  protocol: "protocol driver",
} as const;

function ms(durationMs: number): string {
  return durationMs < 1000 ? `${Math.round(durationMs)} ms` : `${(durationMs / 1000).toFixed(2)} s`;
}

/** One line per scenario: ✔ or ✖, the name, the time, and for a failure its first line. */
export function formatScenarioLine(result: ScenarioResult): string {
  if (result.skipped !== undefined) return `○ ${result.name} — skipped: ${result.skipped}`;
  const mark = result.status === "pass" ? "✔" : "✖";
  const reason = result.failure === null ? "" : ` — ${result.failure.split("\n")[0] ?? ""}`;
  const runs =
    result.runs === undefined ? "" : `, ${result.runs} run${result.runs === 1 ? "" : "s"}`;
  return `${mark} ${result.name} (${ms(result.durationMs)}${runs}${coverageOf(result)})${reason}`;
}

/**
 * How much of the schedule space a passing result covered, as its line says it: `exhaustive:
 * complete`, or `incomplete` (a sample). A failure says how far in its first bug was in the
 * details.
 */
function coverageOf(result: ScenarioResult): string {
  if (result.status === "fail") return "";
  const coverage = result.coverage;
  if (coverage === undefined) return "";
  return coverage.complete ? ", exhaustive: complete" : ", incomplete";
}

/**
 * Each failure in full (its contract section, reason and — when `command` is given — the command
 * that replays it), then the totals.
 */
export function formatDetails(report: ConformanceReport, command?: string): string {
  const lines: string[] = [];
  for (const r of report.results) {
    if (r.failure === null) continue;
    lines.push("", `✖ ${r.name} — ${r.contract}`);
    for (const line of r.failure.split("\n")) lines.push(`    ${line}`);
    if (r.firstBug != null)
      lines.push(`    first bug: at run ${r.firstBug.runs}, after ${ms(r.firstBug.ms)}`);
    if (r.replay != null) {
      const found = r.found != null && r.found !== r.replay ? ` (found as ${r.found})` : "";
      lines.push(`    replay: ${command ?? "ndis verify DRIVER"} --replay ${r.replay}${found}`);
    }
  }
  const skipped = report.skipped ?? [];
  lines.push(
    "",
    `${report.passed} passed, ${report.failed} failed (${report.results.length} scenarios, ${ms(report.durationMs)})${skipped.length === 0 ? "" : `; ${skipped.length} skipped${skipped.length > 4 ? ` (not for this kind of driver)` : `: ${skipped.map((s) => s.name).join(", ")}`}`}`,
  );
  return `${lines.join("\n")}\n`;
}

/** The summary: every scenario's line, each failure in full, then the totals. */
export function formatSummary(report: ConformanceReport): string {
  const kind = report.kind === undefined ? "" : ` (${KIND_TITLES[report.kind]})`;
  const lines = [`ndis verify ${report.driver}${kind}`, ""];
  for (const r of report.results) lines.push(formatScenarioLine(r));
  for (const s of report.skipped ?? []) lines.push(`○ ${s.name} — skipped: ${s.reason}`);
  return `${lines.join("\n")}\n${formatDetails(report)}`;
}

function xml(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    // Control characters XML 1.0 cannot carry at all are dropped.
    if (code < 0x20 && ch !== "\t" && ch !== "\n" && ch !== "\r") continue;
    out +=
      ch === "&"
        ? "&amp;"
        : ch === "<"
          ? "&lt;"
          : ch === ">"
            ? "&gt;"
            : ch === '"'
              ? "&quot;"
              : ch === "'"
                ? "&apos;"
                : ch;
  }
  return out;
}

/** JUnit XML: one <testsuite> named after the driver, one <testcase> per scenario. */
export function formatJUnit(report: ConformanceReport): string {
  const seconds = (d: number) => (d / 1000).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ndis verify" tests="${report.results.length}" failures="${report.failed}" errors="0" time="${seconds(report.durationMs)}">`,
    `  <testsuite name="${xml(report.driver)}" tests="${report.results.length}" failures="${report.failed}" errors="0" skipped="0" time="${seconds(report.durationMs)}">`,
  ];
  for (const r of report.results) {
    const open = `    <testcase classname="ndis.verify" name="${xml(r.name)}" time="${seconds(r.durationMs)}"`;
    if (r.failure === null) {
      lines.push(`${open}/>`);
      continue;
    }
    const message = r.failure.split("\n")[0] ?? "";
    lines.push(
      `${open}>`,
      `      <failure message="${xml(message)}" type="${xml(r.rule ?? "check")}">${xml(r.failure)}</failure>`,
      "    </testcase>",
    );
  }
  lines.push("  </testsuite>", "</testsuites>");
  return `${lines.join("\n")}\n`;
}
