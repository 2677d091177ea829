/**
 * What every paired-rounds benchmark in bench/ measures with: CPU time of a cell, and the median
 * of per-round figures (each round runs every cell; ratios are taken within a round).
 */

/**
 * Nanoseconds of CPU time this process spent running `batches` steps (process.cpuUsage: user +
 * system). Not wall time: on a shared machine the process is descheduled for whole time slices
 * in the middle of a cell, which wall time would charge to whichever cell was running.
 */
export function cpuTimeNs(step: () => void, batches: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < batches; i++) step();
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
