/** Interrupt request levels. The model has no interrupts; it tracks the level per call so that
 * the IRQL rules of each DDI function can be checked. */

/** KIRQL: an interrupt request level. */
export type KIRQL = number;

export const PASSIVE_LEVEL: KIRQL = 0;
export const APC_LEVEL: KIRQL = 1;
export const DISPATCH_LEVEL: KIRQL = 2;
/** The level a bug-check shutdown runs at (x64). */
export const HIGH_LEVEL: KIRQL = 15;

const irqlNames: readonly string[] = ["PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL"];

/** `DISPATCH_LEVEL`, or the number for levels above it. */
export function irqlToString(irql: KIRQL): string {
  if (irql === HIGH_LEVEL) return "HIGH_LEVEL";
  return irqlNames[irql] ?? `IRQL ${irql}`;
}
