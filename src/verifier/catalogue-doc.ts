/**
 * docs/verifier.md, generated from the rule catalogue: one table row per rule (id, the Windows rule
 * or bug check it stands for, severity, meaning). `npm run docs:verifier` writes it; a test fails
 * when the page and the catalogue disagree.
 */
import { VERIFIER_RULES } from "./rules.js";

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
  ];
  return lines.join("\n");
}
