/**
 * The `.env` parser. Parses Docker Compose's documented `env_file` syntax exactly as compose-go does
 * (the file is usually handed to Compose), and spells a value back in that syntax.
 *
 * Compose rules followed to the letter: `KEY: value` works like `KEY=value`; only ` #` (a space, not a
 * tab) starts an inline comment in an unquoted value; `\'` is the only escape in single quotes;
 * unquoted and double-quoted values are interpolated (`$$` is a literal `$`, an unset `$VAR` becomes
 * empty with a warning). Variables are looked up in `options.lookup` (Compose's own environment), then
 * among those defined earlier in the file; the CLI passes no lookup, so its output does not depend on
 * the shell it runs in.
 *
 * Where this deliberately differs from Compose: text after a closing quote that is not a comment is an
 * error (Compose would start a new statement there), and a `KEY` line without `=` is skipped with a
 * warning (Compose copies the variable from its own environment).
 */
import { interpolate, InterpolationError, type VariableLookup } from './interpolation';
import { LineIndex } from './lineIndex';

export interface EnvEntry {
  key: string;
  /** The value Docker Compose gives the variable (quotes, escapes and interpolation applied). */
  value: string;
  /** 0-based position of the key (after any `export `). */
  line: number;
  column: number;
  /** Column just after the key, on `line`. */
  keyEnd: number;
  /** 0-based start of the value's source text (its opening quote when quoted). */
  valueLine: number;
  valueColumn: number;
  /** 0-based end (exclusive) of the value's source text (after its closing quote when quoted). */
  valueEndLine: number;
  valueEndColumn: number;
}

/** A malformed file. `line`/`column` are 0-based; the message shows them 1-based: `FILE:LINE:COL: reason`. */
export class DotenvSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** What is wrong, without the position; never contains a value. */
    readonly reason: string,
  ) {
    super(`${file}:${line + 1}:${column + 1}: ${reason}`);
    this.name = 'DotenvSyntaxError';
  }
}

export interface DotenvParseResult {
  /** Every assignment in file order, duplicates included (the last one wins, as in Compose). */
  entries: EnvEntry[];
  /** `FILE:LINE:COL: warning: …` lines. */
  warnings: string[];
}

export interface DotenvParseOptions {
  /** Compose's environment for interpolation; it wins over variables defined earlier in the file. */
  lookup?: VariableLookup;
}

const NEWLINE = 10;
const HASH = 35;
const BACKSLASH = 92;
const EQUALS = 61;
const COLON = 58;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;

/** Go's `unicode.IsSpace`. */
function isGoSpace(code: number): boolean {
  if (code <= 0xff) return code === 32 || (code >= 9 && code <= 13) || code === 0x85 || code === 0xa0;
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** compose-go's `isSpace`: blanks that are not a line feed. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12 || code === 13 || code === 0x85 || code === 0xa0;
}

const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;

function isAsciiKeyChar(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 46 ||
    code === 45 ||
    code === 91 ||
    code === 93
  );
}

function isKeyChar(char: string): boolean {
  return KEY_CHAR.test(char);
}

function hasBlank(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (isBlank(key.charCodeAt(i))) return true;
  return false;
}

function trimEndGoSpace(text: string): string {
  let end = text.length;
  while (end > 0 && isGoSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

export function parseDotenv(text: string, file = '<stdin>', options: DotenvParseOptions = {}): DotenvParseResult {
  return new DotenvParser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file, options).parse();
}

class DotenvParser {
  private readonly lines: LineIndex;
  private readonly entries: EnvEntry[] = [];
  private readonly warnings: string[] = [];
  private readonly defined = new Map<string, string>();
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly options: DotenvParseOptions,
  ) {
    this.lines = new LineIndex(text);
  }

  parse(): DotenvParseResult {
    const { text } = this;
    while (true) {
      while (this.pos < text.length && isGoSpace(text.charCodeAt(this.pos))) this.pos++;
      if (this.pos >= text.length) break;
      if (text.charCodeAt(this.pos) === HASH) this.pos = this.lineEnd(this.pos);
      else this.parseStatement();
    }
    return { entries: this.entries, warnings: this.warnings };
  }

  private lineEnd(from: number): number {
    const end = this.text.indexOf('\n', from);
    return end < 0 ? this.text.length : end;
  }

  private error(offset: number, reason: string): DotenvSyntaxError {
    const at = this.lines.positionAt(offset);
    return new DotenvSyntaxError(this.file, at.line, at.character, reason);
  }

  private warn(offset: number, message: string): void {
    const at = this.lines.positionAt(offset);
    this.warnings.push(`${this.file}:${at.line + 1}:${at.character + 1}: warning: ${message}`);
  }

  private skipExport(start: number): number {
    const { text } = this;
    if (!text.startsWith('export', start)) return start;
    const after = text.charCodeAt(start + 6);
    if (after !== 32 && after !== 9 && after !== 12 && after !== 13) return start;
    let index = start + 6;
    while (index < text.length && isBlank(text.charCodeAt(index))) index++;
    return index;
  }

  private parseStatement(): void {
    const { text } = this;
    const keyStart = this.skipExport(this.pos);
    let index = keyStart;
    let separator = -1;
    while (index < text.length) {
      const code = text.charCodeAt(index);
      if (code === NEWLINE) break;
      if (code === EQUALS || code === COLON) {
        separator = index;
        break;
      }
      if (isBlank(code)) {
        index++;
        continue;
      }
      if (isAsciiKeyChar(code)) {
        index++;
        continue;
      }
      const char = String.fromCodePoint(text.codePointAt(index) ?? code);
      if (code < 128 || !isKeyChar(char)) {
        throw this.error(
          index,
          "unexpected character in a variable name (allowed: letters, digits, '_', '.', '-'); " +
            'if this line continues a multi-line value, put the whole value in quotes',
        );
      }
      index += char.length;
    }
    const key = trimEndGoSpace(text.slice(keyStart, separator < 0 ? index : separator));
    if (hasBlank(key)) {
      throw this.error(keyStart, 'a variable name cannot contain spaces; expected KEY=VALUE');
    }
    if (separator < 0) {
      if (key) {
        // The line is not echoed: without '=' it may well be a value (a wrapped line, a pasted token).
        this.warn(keyStart, "this line has no '=' (Docker Compose would take a variable of that name from its own environment); skipped");
      }
      this.pos = index;
      return;
    }
    if (!key) throw this.error(separator, "missing variable name before '='");
    let valueStart = separator + 1;
    while (valueStart < text.length && isBlank(text.charCodeAt(valueStart))) valueStart++;
    const quote = text.charCodeAt(valueStart);
    const parsed =
      quote === SINGLE_QUOTE || quote === DOUBLE_QUOTE ? this.parseQuotedValue(valueStart, quote) : this.parseUnquotedValue(valueStart);
    this.defined.set(key, parsed.value);
    const keyAt = this.lines.positionAt(keyStart);
    const valueAt = this.lines.positionAt(valueStart);
    const valueEndAt = this.lines.positionAt(parsed.end);
    this.entries.push({
      key,
      value: parsed.value,
      line: keyAt.line,
      column: keyAt.character,
      keyEnd: keyAt.character + key.length,
      valueLine: valueAt.line,
      valueColumn: valueAt.character,
      valueEndLine: valueEndAt.line,
      valueEndColumn: valueEndAt.character,
    });
  }

  private parseUnquotedValue(start: number): { value: string; end: number } {
    const lineEnd = this.lineEnd(start);
    let raw = this.text.slice(start, lineEnd);
    const comment = raw.indexOf(' #');
    if (comment >= 0) raw = raw.slice(0, comment);
    raw = trimEndGoSpace(raw);
    if (raw.charCodeAt(0) === HASH) {
      this.warn(start, "the value starts with '#': Docker Compose takes it as the value, not as a comment");
    }
    this.pos = lineEnd;
    return { value: this.interpolateAt(raw, start), end: start + raw.length };
  }

  private parseQuotedValue(start: number, quote: number): { value: string; end: number } {
    const inner = this.readQuoted(start, quote);
    const end = inner.end;
    let index = end;
    while (index < this.text.length && isBlank(this.text.charCodeAt(index))) index++;
    if (this.text.charCodeAt(index) === HASH) {
      index = this.lineEnd(index);
    } else if (index < this.text.length && this.text.charCodeAt(index) !== NEWLINE) {
      throw this.error(
        index,
        "unexpected text after the closing quote; put the whole value inside the quotes, or start a comment with '#'",
      );
    }
    this.pos = index;
    const value = quote === DOUBLE_QUOTE ? this.interpolateAt(expandEscapes(inner.text), start) : inner.text;
    return { value, end };
  }

  /** compose-go's extractQuotedValue: `\<quote>` gives the quote, any other `\x` is kept as is. */
  private readQuoted(start: number, quote: number): { text: string; end: number } {
    const { text } = this;
    let out = '';
    let chunkStart = start + 1;
    for (let index = start + 1; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code === BACKSLASH) {
        if (text.charCodeAt(index + 1) === quote) {
          out += text.slice(chunkStart, index);
          chunkStart = index + 1;
        }
        index++;
      } else if (code === quote) {
        return { text: out + text.slice(chunkStart, index), end: index + 1 };
      }
    }
    const kind = quote === DOUBLE_QUOTE ? 'double' : 'single';
    throw this.error(start, `unclosed ${kind} quote: the value starting here never ends`);
  }

  private readonly lookup: VariableLookup = (name) => this.options.lookup?.(name) ?? this.defined.get(name);

  private interpolateAt(template: string, offset: number): string {
    if (!template.includes('$')) return template;
    try {
      const result = interpolate(template, this.lookup);
      // The variable's name is not shown: in a secret value, "$word" may be part of the secret.
      if (result.missing.length > 0) {
        this.warn(
          offset,
          'the value has a $ followed by the name of a variable that is not set, so Docker Compose replaces that part ' +
            'with an empty string; write $$ for a literal $, or use single quotes',
        );
      }
      return result.value;
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      const reason =
        error.kind === 'required'
          ? 'the value has a ${NAME:?…} (or ${NAME?…}) whose variable is not set, so Docker Compose refuses the file'
          : error.message;
      throw this.error(offset, reason);
    }
  }
}

/**
 * compose-go's expandEscapes for double-quoted values: `\a \b \f \n \r \t \v \\ \"`, `\$` (a literal
 * `$`), octal `\0NNN`; any other backslash stays.
 */
function expandEscapes(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    const slash = text.indexOf('\\', index);
    if (slash < 0 || slash === text.length - 1) return out + text.slice(index);
    out += text.slice(index, slash);
    const next = text[slash + 1];
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      index = slash + 2;
    } else if (next === '0') {
      const digits = /^\d{0,3}/.exec(text.slice(slash + 2, slash + 5))?.[0] ?? '';
      out += octalEscape(digits);
      index = slash + 2 + digits.length;
    } else {
      out += '\\';
      index = slash + 1;
    }
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  c: '\\c',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  $: '$$',
  '"': '"',
  '\\': '\\',
};

/** Go's UnquoteChar on `\NNN` after compose-go drops the `0`: a byte value as a code point, else kept. */
function octalEscape(digits: string): string {
  if (/^[0-7]{3}$/.test(digits)) {
    const value = parseInt(digits, 8);
    if (value <= 255) return String.fromCharCode(value);
  }
  return `\\${digits}`;
}

// ---------------------------------------------------------------------------------------------
// Writing values back (the decoder and the RAW encoder)
// ---------------------------------------------------------------------------------------------

/** Safe unquoted: no blank or quote or '#' first, no blank last, no control chars, '$', or ' #'. */
function isPlainSafe(value: string): boolean {
  if (value === '') return true;
  if (/^[\s'"#]/u.test(value) || /\s$/u.test(value)) return false;
  return !/[\p{Cc}$]|\s#|[^\S ]/u.test(value);
}

/**
 * The shortest `.env` spelling of a value that Docker Compose reads back as exactly that value:
 * plain when safe, single quotes when they suffice, else double quotes with escapes (`$` as `$$`).
 */
export function formatDotenvValue(value: string): string {
  if (isPlainSafe(value)) return value;
  if (!/['\\\n\r]/.test(value)) return `'${value}'`;
  let out = '"';
  for (const char of value) out += DOUBLE_QUOTED_ESCAPES[char] ?? char;
  return `${out}"`;
}

const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  $: '$$',
};
