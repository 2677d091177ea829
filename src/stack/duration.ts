/**
 * Durations as stack files and the CLI write them (`"250ms"`, `"3s"`, `"1.5s"`, `"2m"`, `"1h"`).
 * No imports, so the CLI can check its options without loading the rest of the package.
 */

/** A duration: `"250ms"`, `"3s"`, `"1.5s"`, `"2m"`, `"1h"`. */
export const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Milliseconds of a duration string that matches DURATION. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (m === null) throw new RangeError(`${JSON.stringify(text)} is not a duration`);
  const value = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return value * unit;
}
