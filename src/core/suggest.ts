/**
 * Near-miss suggestions ("did you mean") and completion ordering, by optimal-string-alignment
 * Damerau-Levenshtein distance (insert, delete, substitute, swap two adjacent characters).
 */

export interface ClosestMatchOptions {
  /** At most this many suggestions (default 3). */
  max?: number;
  /** Compare ignoring case (Kestra OSS upper-cases keys). */
  caseInsensitive?: boolean;
}

export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, beforePrevious[j - 2] + 1);
      }
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length];
}

/** How many edits still count as a near miss for a word of this length. */
function allowedDistance(length: number): number {
  if (length <= 2) return 1;
  if (length <= 5) return 2;
  return Math.min(4, Math.floor(length / 3) + 1);
}

export function closestMatches(word: string, candidates: string[], options: ClosestMatchOptions = {}): string[] {
  const max = options.max ?? 3;
  const normalise = options.caseInsensitive ? (s: string) => s.toUpperCase() : (s: string) => s;
  const wanted = normalise(word);
  const limit = allowedDistance(word.length);
  const scored: { candidate: string; distance: number }[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    const normalised = normalise(candidate);
    if (normalised === wanted) continue;
    // Differing only by case is the likeliest mistake of all when keys are case-sensitive.
    const distance = normalised.toUpperCase() === wanted.toUpperCase() ? 0.5 : editDistance(wanted, normalised, limit);
    if (distance <= limit) scored.push({ candidate, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, max).map((entry) => entry.candidate);
}

/** Orders completion candidates: prefix matches, then substring matches, then by edit distance. */
export function rankByCloseness(typed: string, candidates: string[]): string[] {
  const wanted = typed.toUpperCase();
  const scored = candidates.map((candidate) => {
    const upper = candidate.toUpperCase();
    let group = 2;
    if (upper.startsWith(wanted)) group = 0;
    else if (upper.includes(wanted)) group = 1;
    const distance = group === 2 ? editDistance(wanted, upper) : upper.length - wanted.length;
    return { candidate, group, distance };
  });
  scored.sort((x, y) => x.group - y.group || x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.map((entry) => entry.candidate);
}
