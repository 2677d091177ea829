/**
 * docs/verifier.md, generated from the rule catalogue: one table row per rule (id, the Windows rule
 * or bug check it stands for, severity, meaning). `npm run docs:verifier` writes it; a test fails
 * when the page and the catalogue disagree.
 */

import { VERIFIER_RULES } from "./rules.js";
import { WINDOWS_RULES, type WindowsRule } from "./windows-rules.js";

const escapeCell = (text: string): string => text.replace(/\|/g, "\\|");

export function verifierCatalogueMarkdown(): string {
  const rules = Object.values(VERIFIER_RULES).sort((a, b) => a.id.localeCompare(b.id));
  const errors = rules.filter((r) => r.severity === "error").length;
  const lines = [
    "# Verifier rules",
    "",
    "<!-- Generated from src/verifier/rules.ts by `npm run docs:verifier`; do not edit by hand. -->",
    "",
    `The verifier's closed catalogue: ${rules.length} rules, ${errors} of them errors (in strict mode an`,
    "error stops the offending driver's stack, as a bug check would stop Windows) and",
    `${rules.length - errors} ${rules.length - errors === 1 ? "warning" : "warnings"} (recorded, never stopping anything). Every violation a host reports names`,
    "one of these ids; an id that matches a Windows rule keeps Windows' spelling.",
    "",
    "| Rule | Stands for | Severity | Meaning |",
    "| --- | --- | --- | --- |",
    ...rules.map(
      (r) => `| \`${r.id}\` | ${escapeCell(r.ndis)} | ${r.severity} | ${escapeCell(r.meaning)} |`,
    ),
    "",
    ...windowsCoverage(),
  ];
  return lines.join("\n");
}

/** Windows' NDIS checkers (SDV's 51 rules, Driver Verifier's NDIS rules) against the catalogue. */
function windowsCoverage(): string[] {
  const sdv = WINDOWS_RULES.filter((r) => r.set !== "Driver Verifier");
  const dv = WINDOWS_RULES.filter((r) => r.set === "Driver Verifier");
  const covered = (list: readonly WindowsRule[]) => list.filter((r) => r.covered.length > 0).length;
  const row = (r: WindowsRule) =>
    `| ${r.set} | ${escapeCell(r.name)} | ${r.covered.length === 0 ? "—" : r.covered.map((id) => `\`${id}\``).join(", ")} | ${escapeCell(r.note)} |`;
  return [
    "## Windows' NDIS checkers, rule by rule",
    "",
    `Static Driver Verifier (discontinued since the 24H2 WDK) has ${sdv.length} NDIS rules in 7 sets; ${covered(sdv)} are`,
    "checked here — at run time, on the paths a run takes, not statically on every path. Most of the",
    "rest need what a user-space NDIS does not have (interrupts, DMA, I/O space, IRQL above",
    "DISPATCH_LEVEL, CoNDIS), or DDIs not modelled. Driver Verifier's NDIS rules are watchdogs; all of",
    `its NDIS ones are here (${covered(dv)} of ${dv.length} rows; the WLAN ones are not).`,
    "",
    "| Set | Windows rule | Checked here by | How, or why not |",
    "| --- | --- | --- | --- |",
    ...WINDOWS_RULES.map(row),
    "",
  ];
}
