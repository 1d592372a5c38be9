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

let scratch: Int32Array[] = [];

/** Three reusable rows of at least `width` cells (distances are computed often, one at a time). */
function scratchRows(width: number): Int32Array[] {
  if (scratch.length === 0 || scratch[0].length < width) {
    const size = Math.max(width, 64);
    scratch = [new Int32Array(size), new Int32Array(size), new Int32Array(size)];
  }
  return [scratch[0], scratch[1], scratch[2]];
}

export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const width = b.length + 1;
  let [beforePrevious, previous, current] = scratchRows(width);
  for (let j = 0; j < width; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMinimum = i;
    const charA = a.charCodeAt(i - 1);
    for (let j = 1; j < width; j++) {
      const charB = b.charCodeAt(j - 1);
      const cost = charA === charB ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && charA === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === charB) {
        value = Math.min(value, beforePrevious[j - 2] + 1);
      }
      current[j] = value;
      if (value < rowMinimum) rowMinimum = value;
    }
    if (rowMinimum > limit) return limit + 1;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return previous[b.length];
}

const BUCKETS = 128;
const countsScratch = new Int16Array(BUCKETS);

/** Character counts (folded into 128 buckets, which keeps the bound below valid). */
function characterCounts(word: string): Int16Array {
  const counts = new Int16Array(BUCKETS);
  for (let i = 0; i < word.length; i++) counts[word.charCodeAt(i) & (BUCKETS - 1)]++;
  return counts;
}

/**
 * A cheap lower bound of the edit distance: every edit fixes at most one surplus and one missing
 * character, and swaps fix none, so the distance is at least the larger of the two counts.
 */
function characterBound(wordCounts: Int16Array, wordLength: number, candidate: string): number {
  countsScratch.set(wordCounts);
  let surplus = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (--countsScratch[candidate.charCodeAt(i) & (BUCKETS - 1)] < 0) surplus++;
  }
  const missing = wordLength - (candidate.length - surplus);
  return Math.max(surplus, missing);
}

function wordsOf(key: string): string[] {
  return key.split(/[_\-.\s]+/).filter(Boolean);
}

/** True when one key's words are the other's with exactly one word added (order kept), at least two shared. */
function sharesAllWordsButOne(a: string[], b: string[]): boolean {
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  if (shorter.length < 2 || longer.length !== shorter.length + 1) return false;
  for (let skip = 0; skip < longer.length; skip++) {
    if (shorter.every((word, index) => word === longer[index < skip ? index : index + 1])) return true;
  }
  return false;
}

/** How many edits still count as a near miss for a word of this length. */
function allowedDistance(length: number): number {
  if (length <= 2) return 1;
  if (length <= 5) return 2;
  return Math.min(3, Math.floor(length / 3) + 1);
}

export function closestMatches(word: string, candidates: string[], options: ClosestMatchOptions = {}): string[] {
  return nearMissFinder(candidates, options)(word);
}

/** Prepares candidates once for many look-ups (e.g. every missing key of a namespace). */
export function nearMissFinder(candidates: string[], options: ClosestMatchOptions = {}): (word: string) => string[] {
  const max = options.max ?? 3;
  const normalise = options.caseInsensitive ? (s: string) => s.toUpperCase() : (s: string) => s;
  const unique = [...new Set(candidates)];
  const normalised = unique.map(normalise);
  const upper = unique.map((candidate) => candidate.toUpperCase());
  const wordSets = upper.map(wordsOf);
  return (word) => {
    const wanted = normalise(word);
    const wantedUpper = word.toUpperCase();
    const wantedWords = wordsOf(wantedUpper);
    const limit = allowedDistance(word.length);
    const scored: { candidate: string; distance: number }[] = [];
    const wantedCounts = characterCounts(wanted);
    for (let i = 0; i < unique.length; i++) {
      if (normalised[i] === wanted) continue;
      if (sharesAllWordsButOne(wantedWords, wordSets[i])) {
        // AWS_SECRET_KEY for AWS_SECRET_ACCESS_KEY: a word left out or added is a near miss too.
        scored.push({ candidate: unique[i], distance: limit + 0.5 });
        continue;
      }
      if (Math.abs(normalised[i].length - wanted.length) > limit) continue;
      if (upper[i] !== wantedUpper && characterBound(wantedCounts, wanted.length, normalised[i]) > limit) continue;
      // Differing only by case is the likeliest mistake of all when keys are case-sensitive.
      const distance = upper[i] === wantedUpper ? 0.5 : editDistance(wanted, normalised[i], limit);
      if (distance <= limit) scored.push({ candidate: unique[i], distance });
    }
    scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
    return scored.slice(0, max).map((entry) => entry.candidate);
  };
}

/** Orders completion candidates: prefix matches A to Z, then substring matches (earliest first), then by edit distance. */
export function rankByCloseness(typed: string, candidates: string[]): string[] {
  const wanted = typed.toUpperCase();
  const scored = candidates.map((candidate) => {
    const upper = candidate.toUpperCase();
    let group = 2;
    if (upper.startsWith(wanted)) group = 0;
    else if (upper.includes(wanted)) group = 1;
    // Prefix matches read best in alphabetical order (nothing typed yet lists every key A to Z).
    const distance = group === 2 ? editDistance(wanted, upper) : group === 1 ? upper.indexOf(wanted) : 0;
    return { candidate, group, distance };
  });
  scored.sort((x, y) => x.group - y.group || x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.map((entry) => entry.candidate);
}
