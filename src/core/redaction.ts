/**
 * The last line of defence for "a value never reaches a message": every secret value this process
 * reads or is given (a store's value, a `.env` value being encoded or decoded, a value typed into the
 * editor, a credential found in a flow) is remembered here, and every sink that shows text to a person
 * (the CLI's stderr and reports, the editor's log, its notifications) passes that text through
 * `redact`. Messages are built not to carry values in the first place; this catches the one that
 * would, whatever code built it.
 *
 * The base64 spelling of each value is remembered too, as `.env_encoded` files and Kestra's
 * environment carry values that way.
 */
import { encodeBase64 } from './base64';
import type { Logger } from './log';

/** Shorter values are too likely to be ordinary words of a message ("true", "prod", "1234"). */
export const MIN_REDACTED_LENGTH = 6;
/** Bounds memory and the cost of each `redact` on a run that reads a huge `.env`. */
const MAX_REMEMBERED = 50_000;
export const REDACTED = '(value not shown)';

const remembered = new Set<string>();
/** Longest first, so a value that contains another is replaced whole. */
let ordered: string[] | undefined;

/** Remembers `value` (and its base64 spelling) so that no sink shows it; ignores values too short to matter. */
export function rememberSecretValue(value: string | undefined): void {
  // The env store decodes every value on each listing: a value seen before costs one look-up, not a base64 encoding.
  if (value === undefined || remembered.has(value) || remembered.size >= MAX_REMEMBERED) return;
  for (const spelling of spellingsOf(value)) {
    if (spelling.length < MIN_REDACTED_LENGTH || remembered.has(spelling) || remembered.size >= MAX_REMEMBERED) continue;
    remembered.add(spelling);
    ordered = undefined;
  }
}

function spellingsOf(value: string): string[] {
  const trimmed = value.trim();
  const spellings = [value, trimmed, encodeBase64(value)];
  // A multi-line value (a PEM key, a JSON document) can leak one line at a time.
  if (/[\r\n]/.test(trimmed)) for (const line of trimmed.split(/\r?\n|\r/)) spellings.push(line.trim());
  return spellings;
}

/** `text` with every remembered value replaced by "(value not shown)". */
export function redact(text: string): string {
  if (remembered.size === 0 || text.length < MIN_REDACTED_LENGTH) return text;
  ordered ??= [...remembered].sort((a, b) => b.length - a.length);
  let result = text;
  for (const value of ordered) if (result.includes(value)) result = result.split(value).join(REDACTED);
  return result;
}

/** A logger that redacts every message before `inner` sees it. */
export function redactingLogger(inner: Logger): Logger {
  return {
    trace: (message) => inner.trace(redact(message)),
    debug: (message) => inner.debug(redact(message)),
    info: (message) => inner.info(redact(message)),
    warn: (message) => inner.warn(redact(message)),
    error: (message) => inner.error(redact(message)),
  };
}

/** For tests: forgets every remembered value. */
export function forgetSecretValuesForTests(): void {
  remembered.clear();
  ordered = undefined;
}
