/**
 * "Did you mean": the known name closest to a mistyped one, by edit distance (case-insensitive),
 * when it is close enough to be a typo rather than another name.
 */

function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      previous[j] = Math.min(
        above + 1,
        (previous[j - 1] as number) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/** The candidate closest to `name`, or undefined when none is within a typo's reach. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(wanted, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "eth0"?`, or nothing. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const guess = closest(name, candidates);
  return guess === undefined || guess === name ? "" : `; did you mean ${JSON.stringify(guess)}?`;
}
