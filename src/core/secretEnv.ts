/**
 * Kestra's `SECRET_<KEY>=<base64>` form of a `.env` file: encodes a Compose `.env` to it, and decodes
 * such a file back to a `.env` that encodes to the same secrets. Both read their input with the `.env`
 * parser, so a value means here what it means to Docker Compose.
 */
import { encodeBase64, explainBase64Error, removeJavaLineBreaks, strictBase64Decode } from './base64';
import { DotenvSyntaxError, formatDotenvValue, parseDotenv, type EnvEntry } from './dotenv';
import type { VariableLookup } from './interpolation';
import { rememberSecretValue } from './redaction';

export interface EncodeResult {
  text: string;
  count: number;
  warnings: string[];
}

export interface EncodeOptions {
  file?: string;
  /** Write `SECRET_<KEY>=<value>` unencoded, for servers with `kestra.secret.encoding: RAW`. */
  raw?: boolean;
  lookup?: VariableLookup;
}

const SECRET_PREFIX = 'SECRET_';

function warningAt(file: string, entry: EnvEntry, message: string): string {
  return `${file}:${entry.line + 1}:${entry.column + 1}: warning: ${message}`;
}

/** The last definition of each key, in order of first appearance; warns about redefinitions. */
function lastDefinitions(entries: EnvEntry[], file: string, warnings: string[]): EnvEntry[] {
  const byKey = new Map<string, EnvEntry>();
  for (const entry of entries) {
    const earlier = byKey.get(entry.key);
    if (earlier) {
      warnings.push(
        warningAt(
          file,
          entry,
          `${entry.key} is defined again (first on line ${earlier.line + 1}); the last definition wins, as in Docker Compose`,
        ),
      );
    }
    byKey.set(entry.key, entry);
  }
  return [...byKey.values()];
}

/** Warns where two names differ only in case: Kestra upper-cases keys and then fails to start. */
function warnCaseCollisions(entries: EnvEntry[], file: string, warnings: string[], kestraKey: (key: string) => string): void {
  const seen = new Map<string, EnvEntry>();
  for (const entry of entries) {
    const upper = kestraKey(entry.key).toUpperCase();
    const first = seen.get(upper);
    if (first) {
      warnings.push(
        warningAt(
          file,
          entry,
          `${entry.key} and ${first.key} (line ${first.line + 1}) both become the Kestra secret '${upper}' once upper-cased; ` +
            'Kestra fails to start with both. Rename or remove one',
        ),
      );
    } else {
      seen.set(upper, entry);
    }
  }
}

export function encodeDotenv(text: string, options: EncodeOptions = {}): EncodeResult {
  const file = options.file ?? '<stdin>';
  const { entries, warnings } = parseDotenv(text, file, { lookup: options.lookup });
  const unique = lastDefinitions(entries, file, warnings);
  warnCaseCollisions(unique, file, warnings, (key) => key);
  let out = '';
  for (const entry of unique) {
    rememberSecretValue(entry.value);
    if (entry.key.startsWith(SECRET_PREFIX)) {
      warnings.push(
        warningAt(
          file,
          entry,
          `${entry.key} already starts with SECRET_; it is written as SECRET_${entry.key}, so the flow must use secret('${entry.key}')`,
        ),
      );
    }
    out += `${SECRET_PREFIX}${entry.key}=${options.raw ? rawValue(entry, file) : encodeBase64(entry.value)}\n`;
  }
  return { text: out, count: unique.length, warnings };
}

function rawValue(entry: EnvEntry, file: string): string {
  if (/[\n\r]/.test(entry.value)) {
    throw new DotenvSyntaxError(
      file,
      entry.valueLine,
      entry.valueColumn,
      `the value of ${entry.key} spans several lines, which RAW encoding cannot write on one line; encode it in base64 (without --raw)`,
    );
  }
  return formatDotenvValue(entry.value);
}

export interface DecodeOptions {
  file?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads `SECRET_X=<base64>` lines (Compose syntax) back into a `.env` that encodes to the same secrets. */
export function decodeEncodedEnv(text: string, options: DecodeOptions = {}): EncodeResult {
  const file = options.file ?? '<stdin>';
  const { entries, warnings } = parseDotenv(text, file);
  const secrets: EnvEntry[] = [];
  for (const entry of entries) {
    if (!entry.key.startsWith(SECRET_PREFIX)) {
      warnings.push(warningAt(file, entry, `${entry.key} does not start with SECRET_, so Kestra ignores it; skipped`));
    } else if (entry.key === SECRET_PREFIX) {
      warnings.push(warningAt(file, entry, 'SECRET_ alone gives an empty key, which a .env file cannot hold; skipped'));
    } else {
      secrets.push(entry);
    }
  }
  const unique = lastDefinitions(secrets, file, warnings);
  warnCaseCollisions(unique, file, warnings, (key) => key.slice(SECRET_PREFIX.length));
  let out = '';
  for (const entry of unique) {
    const key = entry.key.slice(SECRET_PREFIX.length);
    const value = decodeSecretValue(entry, file, warnings);
    rememberSecretValue(value);
    out += `${key}=${formatDotenvValue(value)}\n`;
  }
  return { text: out, count: unique.length, warnings };
}

function decodeSecretValue(entry: EnvEntry, file: string, warnings: string[]): string {
  const cleaned = removeJavaLineBreaks(entry.value);
  const bytes = strictBase64Decode(cleaned);
  if (!bytes) {
    const reason = explainBase64Error(cleaned) ?? 'not base64';
    throw new DotenvSyntaxError(
      file,
      entry.valueLine,
      entry.valueColumn,
      `${entry.key} is not valid base64, so Kestra drops it: ${reason}`,
    );
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    warnings.push(
      warningAt(
        file,
        entry,
        `${entry.key} does not decode to UTF-8 text; Kestra replaces the invalid bytes with U+FFFD, and so does this file`,
      ),
    );
    return utf8.decode(bytes);
  }
}
