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
  // With a finite limit only the cells within `limit` of the diagonal can stay under it (O(n·limit)).
  const band = Number.isFinite(limit) ? limit : Math.max(a.length, width);
  const outside = Number.isFinite(limit) ? limit + 1 : a.length + width;
  let [beforePrevious, previous, current] = scratchRows(width);
  for (let j = 0; j < width; j++) previous[j] = j <= band ? j : outside;
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - band);
    const to = Math.min(width - 1, i + band);
    current[0] = i <= band ? i : outside;
    if (from > 1) current[from - 1] = outside;
    if (to + 1 < width) current[to + 1] = outside;
    let rowMinimum = current[0];
    const charA = a.charCodeAt(i - 1);
    for (let j = from; j <= to; j++) {
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

/** Character counts (folded into 128 buckets, which keeps the bound below valid). */
function characterCounts(word: string): Int32Array {
  const counts = new Int32Array(BUCKETS);
  for (let i = 0; i < word.length; i++) counts[word.charCodeAt(i) & (BUCKETS - 1)]++;
  return counts;
}

/**
 * A cheap lower bound of the edit distance: every edit fixes at most one surplus and one missing
 * character, and swaps fix none, so the distance is at least the larger of the two counts.
 * `wordCounts` is borrowed and restored, so the cost is the candidate's length only.
 */
function characterBound(wordCounts: Int32Array, wordLength: number, candidate: string): number {
  let surplus = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (--wordCounts[candidate.charCodeAt(i) & (BUCKETS - 1)] < 0) surplus++;
  }
  for (let i = 0; i < candidate.length; i++) wordCounts[candidate.charCodeAt(i) & (BUCKETS - 1)]++;
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
  // If removing any one word works, removing the one at the first difference does.
  let skip = 0;
  while (skip < shorter.length && shorter[skip] === longer[skip]) skip++;
  for (let index = skip; index < shorter.length; index++) if (shorter[index] !== longer[index + 1]) return false;
  return true;
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

/**
 * Prepares candidates once for many look-ups (e.g. every missing key of a namespace). Each look-up
 * scores only the candidates an index can't rule out, so thousands of keys against thousands of
 * candidates stay fast: a bigram index (strings within k edits share at least n - 1 - 3k bigram
 * occurrences; a swap can break three), a length index for words too short for that bound, the
 * upper-cased spelling, and the first two words for keys one word apart.
 */
export function nearMissFinder(candidates: string[], options: ClosestMatchOptions = {}): (word: string) => string[] {
  const max = options.max ?? 3;
  const normalise = options.caseInsensitive ? (s: string) => s.toUpperCase() : (s: string) => s;
  const unique = [...new Set(candidates)];
  const normalised = unique.map(normalise);
  const upper = unique.map((candidate) => candidate.toUpperCase());
  const wordSets = upper.map(wordsOf);
  // The index pays off from the second look-up on; a single one (closestMatches) scans.
  let index: CandidateIndex | undefined;
  let lookups = 0;
  const everyCandidate = unique.map((_, i) => i);
  return (word) => {
    if (++lookups === 2 && unique.length > 50) index = new CandidateIndex(normalised, upper, wordSets);
    const wanted = normalise(word);
    const wantedUpper = word.toUpperCase();
    const wantedWords = wordsOf(wantedUpper);
    const limit = allowedDistance(word.length);
    const scored: { candidate: string; distance: number }[] = [];
    const wantedCounts = characterCounts(wanted);
    for (const i of index ? index.possibleMatches(wanted, wantedUpper, wantedWords, limit) : everyCandidate) {
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

const BIGRAM_SEPARATOR = '\u0000';

/** Each bigram with its occurrence number (the n-th `AB`), so shared entries count the multiset intersection. */
function bigramOccurrences(text: string): number[] {
  const seen = new Map<number, number>();
  const keys: number[] = [];
  for (let i = 0; i + 1 < text.length; i++) {
    const gram = text.charCodeAt(i) * 65_536 + text.charCodeAt(i + 1);
    const occurrence = (seen.get(gram) ?? 0) + 1;
    seen.set(gram, occurrence);
    // Exact in a double: the bigram needs 32 bits, the occurrence (at most the length) fits the rest.
    keys.push(gram * 2 ** 20 + Math.min(occurrence, 2 ** 20 - 1));
  }
  return keys;
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

class CandidateIndex {
  private readonly bigrams = new Map<number, number[]>();
  private readonly byLength = new Map<number, number[]>();
  private readonly byUpper = new Map<string, number[]>();
  /** `<word count>\0<first or second word>`. */
  private readonly byLeadingWord = new Map<string, number[]>();

  /** Shared bigram counts per candidate, reset after each look-up. */
  private readonly shared: Int32Array;

  constructor(normalised: string[], upper: string[], wordSets: string[][]) {
    this.shared = new Int32Array(normalised.length);
    normalised.forEach((candidate, i) => {
      for (const key of new Set(bigramOccurrences(candidate))) push(this.bigrams, key, i);
      push(this.byLength, candidate.length, i);
      push(this.byUpper, upper[i], i);
      const words = wordSets[i];
      for (const leading of new Set(words.slice(0, 2))) push(this.byLeadingWord, `${words.length}${BIGRAM_SEPARATOR}${leading}`, i);
    });
  }

  possibleMatches(wanted: string, wantedUpper: string, wantedWords: string[], limit: number): Set<number> {
    const found = new Set<number>(this.byUpper.get(wantedUpper) ?? []);
    const threshold = wanted.length - 1 - 3 * limit;
    if (threshold > 0) {
      const touched: number[] = [];
      for (const key of bigramOccurrences(wanted)) {
        for (const i of this.bigrams.get(key) ?? []) {
          if (this.shared[i]++ === 0) touched.push(i);
        }
      }
      for (const i of touched) {
        if (this.shared[i] >= threshold) found.add(i);
        this.shared[i] = 0;
      }
    } else {
      for (let length = Math.max(0, wanted.length - limit); length <= wanted.length + limit; length++) {
        for (const i of this.byLength.get(length) ?? []) found.add(i);
      }
    }
    if (wantedWords.length >= 2) {
      // One word more: its first word is ours, or its second is (when the extra word comes first).
      for (const i of this.byLeadingWord.get(`${wantedWords.length + 1}${BIGRAM_SEPARATOR}${wantedWords[0]}`) ?? []) found.add(i);
    }
    if (wantedWords.length >= 3) {
      // One word fewer: its first word is our first or our second.
      for (const leading of wantedWords.slice(0, 2)) {
        for (const i of this.byLeadingWord.get(`${wantedWords.length - 1}${BIGRAM_SEPARATOR}${leading}`) ?? []) found.add(i);
      }
    }
    return found;
  }
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
