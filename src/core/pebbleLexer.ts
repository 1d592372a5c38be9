/**
 * A port of Pebble 4.1.2's LexerImpl as Kestra configures it (default syntax, no new-line trimming,
 * Kestra's `??` / `???` operators), over the text left by Kestra's raw-block pre-pass. Tokens keep
 * their offsets in that text. Errors carry Pebble's own message and line; where Pebble never
 * returns (a template ending inside a double-quoted string on a backslash) this lexer stops with an
 * error instead. Every loop advances, so lexing is linear in the text's length.
 */

export type TokenType =
  | 'EOF'
  | 'TEXT'
  | 'EXECUTE_START'
  | 'EXECUTE_END'
  | 'PRINT_START'
  | 'PRINT_END'
  | 'NAME'
  | 'NUMBER'
  | 'LONG'
  | 'STRING'
  | 'OPERATOR'
  | 'PUNCTUATION'
  | 'STRING_INTERPOLATION_START'
  | 'STRING_INTERPOLATION_END';

export interface Token {
  type: TokenType;
  /** Pebble's token value (null where Pebble stores none). */
  value: string | null;
  /** Pebble's line number for the token (1-based). */
  line: number;
  start: number;
  end: number;
  /** For STRING tokens: the quote around the literal and where its content is. */
  quote?: "'" | '"';
  contentStart?: number;
  contentEnd?: number;
}

/** An error Pebble raises while reading a template, or one we raise where Pebble would hang. */
export class PebbleError extends Error {
  constructor(
    /** The Java exception's simple class name: `ParserException`, `ClassCastException`… */
    readonly kind: string,
    /** Pebble's message, without the line. */
    readonly pebbleMessage: string,
    /** Pebble's line number, when Pebble reports one. */
    readonly line: number | undefined,
    /** Where in the text the problem is (offsets into the lexed text). */
    readonly start: number,
    readonly end: number,
    /** True where Pebble itself never returns (it would hang). */
    readonly hangs = false,
  ) {
    super(pebbleMessage);
  }
}

type State = 'DATA' | 'EXECUTE' | 'PRINT' | 'COMMENT' | 'STRING' | 'STRING_INTERPOLATION';

interface Bracket {
  symbol: string;
  offset: number;
}

/** Operators of Pebble's core extension plus Kestra's, longest first (Pebble sorts them so). */
const OPERATORS = [
  'contains',
  'equals',
  'is not',
  'not in',
  'notIn',
  'isIn',
  'not',
  'and',
  '???',
  'or',
  'is',
  '==',
  '!=',
  '>=',
  '<=',
  '..',
  '??',
  '+',
  '-',
  '>',
  '<',
  '*',
  '/',
  '%',
  '|',
  '~',
];
export const UNARY_OPERATORS = new Set(['not', '+', '-']);
export const BINARY_OPERATORS = new Map<string, { precedence: number; type: 'NORMAL' | 'FILTER' | 'TEST'; cls: string }>([
  ['or', { precedence: 10, type: 'NORMAL', cls: 'OrExpression' }],
  ['and', { precedence: 15, type: 'NORMAL', cls: 'AndExpression' }],
  ['is', { precedence: 20, type: 'TEST', cls: 'PositiveTestExpression' }],
  ['is not', { precedence: 20, type: 'TEST', cls: 'NegativeTestExpression' }],
  ['contains', { precedence: 20, type: 'NORMAL', cls: 'ContainsExpression' }],
  ['==', { precedence: 30, type: 'NORMAL', cls: 'EqualsExpression' }],
  ['equals', { precedence: 30, type: 'NORMAL', cls: 'EqualsExpression' }],
  ['!=', { precedence: 30, type: 'NORMAL', cls: 'NotEqualsExpression' }],
  ['>', { precedence: 30, type: 'NORMAL', cls: 'GreaterThanExpression' }],
  ['<', { precedence: 30, type: 'NORMAL', cls: 'LessThanExpression' }],
  ['>=', { precedence: 30, type: 'NORMAL', cls: 'GreaterThanEqualsExpression' }],
  ['<=', { precedence: 30, type: 'NORMAL', cls: 'LessThanEqualsExpression' }],
  ['+', { precedence: 40, type: 'NORMAL', cls: 'AddExpression' }],
  ['-', { precedence: 40, type: 'NORMAL', cls: 'SubtractExpression' }],
  ['*', { precedence: 60, type: 'NORMAL', cls: 'MultiplyExpression' }],
  ['/', { precedence: 60, type: 'NORMAL', cls: 'DivideExpression' }],
  ['%', { precedence: 60, type: 'NORMAL', cls: 'ModulusExpression' }],
  ['|', { precedence: 100, type: 'FILTER', cls: 'FilterExpression' }],
  ['~', { precedence: 110, type: 'NORMAL', cls: 'ConcatenateExpression' }],
  ['..', { precedence: 120, type: 'NORMAL', cls: 'RangeExpression' }],
  ['??', { precedence: 120, type: 'NORMAL', cls: 'NullCoalescingExpression' }],
  ['???', { precedence: 120, type: 'NORMAL', cls: 'UndefinedCoalescingExpression' }],
  ['isIn', { precedence: 30, type: 'NORMAL', cls: 'InExpression' }],
  ['notIn', { precedence: 30, type: 'NORMAL', cls: 'NotInExpression' }],
  ['not in', { precedence: 30, type: 'NORMAL', cls: 'NotInExpression' }],
]);

const PUNCTUATION = '()[]{}?:.,|=';
const CLOSING: Record<string, string | undefined> = { '(': ')', '[': ']', '{': '}' };
const IDENTIFIER = /[\p{L}_][\p{L}\p{Nd}_]*/uy;

/** Java's `\s` (no UNICODE_CHARACTER_CLASS): space, \t, \n, \x0B, \f, \r. */
function isRegexSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Java's Character.isWhitespace. */
export function isJavaWhitespace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 0x1c && code <= 0x1f);
  if (code < 0x1680) return false;
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a && code !== 0x2007) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x205f ||
    code === 0x3000
  );
}

function isAsciiWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The size of Pebble's TemplateSource buffer for a text of this length (it grows from 1,024 chars, reading 4,096 at a time). */
function bufferCapacity(length: number): number {
  let capacity = 1024;
  let size = 0;
  while (size < length) {
    const amount = Math.min(4096, length - size);
    if (capacity - (size + amount) < 0) capacity = Math.max(capacity * 2, size + amount);
    size += amount;
  }
  return capacity;
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private readonly tokens: Token[] = [];
  private readonly states: State[] = ['DATA'];
  private readonly brackets: Bracket[] = [];
  private trimNextData = false;
  /** The `{{` / `{%` whose end has not been seen yet, to point at when the template ends inside it. */
  openDelimiter: number | undefined;
  private readonly length: number;
  /** Pebble reads one char past the end of its buffer in places: out of bounds when the text fills it exactly. */
  private readonly fillsBuffer: boolean;

  constructor(private readonly src: string) {
    this.length = src.length;
    this.fillsBuffer = src.length === bufferCapacity(src.length);
  }

  private outOfBounds(offset: number): PebbleError {
    return new PebbleError(
      'ArrayIndexOutOfBoundsException',
      `Index ${this.length} out of bounds for length ${this.length}`,
      undefined,
      offset,
      offset,
    );
  }

  tokenize(): Token[] {
    while (this.pos < this.length) {
      switch (this.states[this.states.length - 1]) {
        case 'DATA':
          this.tokenizeData();
          break;
        case 'EXECUTE':
          this.tokenizeBetweenDelimiters('%}', 'EXECUTE_END');
          break;
        case 'PRINT':
          this.tokenizeBetweenDelimiters('}}', 'PRINT_END');
          break;
        case 'COMMENT':
          this.tokenizeComment();
          break;
        case 'STRING':
          this.tokenizeString();
          break;
        case 'STRING_INTERPOLATION':
          this.tokenizeStringInterpolation();
          break;
      }
    }
    this.push('EOF', null, this.length, this.length);
    this.states.pop();
    const open = this.brackets.pop();
    if (open) throw this.error(`Unclosed "${open.symbol}"`, open.offset, open.offset + open.symbol.length);
    return this.tokens;
  }

  private error(message: string, start: number, end: number): PebbleError {
    return new PebbleError('ParserException', message, this.line, start, end);
  }

  private code(offset: number): number {
    return offset < this.length ? this.src.charCodeAt(offset) : 0;
  }

  private push(type: TokenType, value: string | null, start: number, end: number): Token {
    const token: Token = { type, value, line: this.line, start, end };
    this.tokens.push(token);
    return token;
  }

  /** TemplateSource.advance: moves on, counting line breaks as Pebble does. */
  private advance(amount: number): void {
    const stop = this.pos + amount;
    let index = this.pos;
    while (index < stop) {
      index += this.newlineAt(index) || 1;
    }
    this.pos = stop;
  }

  private newlineAt(index: number): number {
    const code = this.code(index);
    if (code === 13 && index + 1 >= this.length && this.fillsBuffer) throw this.outOfBounds(index);
    if (code === 13 && this.code(index + 1) === 10) {
      this.line++;
      return 2;
    }
    if (code === 10 || code === 13 || code === 0x85 || code === 0x2028 || code === 0x2029) {
      this.line++;
      return 1;
    }
    return 0;
  }

  private advanceThroughWhitespace(): void {
    let index = this.pos;
    while (isJavaWhitespace(this.code(index))) index += this.newlineAt(index) || 1;
    if (index >= this.length && this.fillsBuffer) throw this.outOfBounds(index);
    this.pos = index;
  }

  /** Offset after `\s*` from `from`. */
  private skipRegexSpace(from: number): number {
    let index = from;
    while (index < this.length && isRegexSpace(this.src.charCodeAt(index))) index++;
    return index;
  }

  private nextStartDelimiter(): number {
    let index = this.src.indexOf('{', this.pos);
    while (index >= 0 && index + 1 < this.length) {
      const next = this.src.charCodeAt(index + 1);
      if (next === 123 || next === 37 || next === 35) return index;
      index = this.src.indexOf('{', index + 1);
    }
    return -1;
  }

  private tokenizeData(): void {
    const found = this.nextStartDelimiter();
    const textStart = this.pos;
    const textEnd = found < 0 ? this.length : found;
    let text = this.src.slice(textStart, textEnd);
    this.advance((found < 0 ? this.length : found + 2) - this.pos);
    if (this.trimNextData) {
      let i = 0;
      while (i < text.length && isJavaWhitespace(text.charCodeAt(i))) i++;
      text = text.slice(i);
      this.trimNextData = false;
    }
    if (text !== '') this.push('TEXT', text, textStart, textEnd);
    if (found < 0) return;
    this.checkForLeadingWhitespaceTrim();
    const delimiter = this.src[found + 1];
    if (delimiter === '#') {
      this.states.push('COMMENT');
      this.commentStart = found;
    } else if (delimiter === '{') {
      this.push('PRINT_START', null, found, found + 2);
      this.openDelimiter = found;
      this.states.push('PRINT');
    } else {
      const verbatimEnd = this.verbatimStartEnd();
      if (verbatimEnd !== undefined) {
        this.lexVerbatim(found, verbatimEnd);
        this.states.push('DATA');
      } else {
        this.push('EXECUTE_START', null, found, found + 2);
        this.openDelimiter = found;
        this.states.push('EXECUTE');
      }
    }
  }

  private commentStart = 0;

  /** `-\s+` right after a start delimiter. */
  private checkForLeadingWhitespaceTrim(): void {
    if (this.code(this.pos) !== 45) return;
    const end = this.skipRegexSpace(this.pos + 1);
    if (end > this.pos + 1) this.advance(end - this.pos);
  }

  /** `^\s*verbatim\s*(-)?%}`: where it ends, or undefined. */
  private verbatimStartEnd(): number | undefined {
    let index = this.skipRegexSpace(this.pos);
    if (!this.src.startsWith('verbatim', index)) return undefined;
    index = this.skipRegexSpace(index + 8);
    if (this.code(index) === 45) index++;
    return this.src.startsWith('%}', index) ? index + 2 : undefined;
  }

  /** `{%(-)?\s*endverbatim\s*(-)?%}` at `from`: its end and groups, or undefined. */
  private verbatimEndAt(from: number): { end: number; leadingTrim: boolean; trailingTrim: boolean } | undefined {
    let index = from + 2;
    const leadingTrim = this.code(index) === 45;
    if (leadingTrim) index++;
    index = this.skipRegexSpace(index);
    if (!this.src.startsWith('endverbatim', index)) return undefined;
    index = this.skipRegexSpace(index + 11);
    const trailingTrim = this.code(index) === 45;
    if (trailingTrim) index++;
    return this.src.startsWith('%}', index) ? { end: index + 2, leadingTrim, trailingTrim } : undefined;
  }

  private lexVerbatim(open: number, startEnd: number): void {
    this.advance(startEnd - this.pos);
    let candidate = this.src.indexOf('{%', this.pos);
    let match: ReturnType<Lexer['verbatimEndAt']>;
    while (candidate >= 0) {
      match = this.verbatimEndAt(candidate);
      if (match) break;
      candidate = this.src.indexOf('{%', candidate + 1);
    }
    if (!match || candidate < 0) throw this.error('Unclosed verbatim tag.', open, startEnd);
    let text = this.src.slice(this.pos, candidate);
    let from = 0;
    while (from < text.length && isJavaWhitespace(text.charCodeAt(from))) from++;
    text = text.slice(from);
    if (match.leadingTrim) {
      let to = text.length;
      while (to > 0 && isJavaWhitespace(text.charCodeAt(to - 1))) to--;
      text = text.slice(0, to);
    }
    if (match.trailingTrim) this.trimNextData = true;
    const textStart = this.pos;
    this.advance(match.end - this.pos);
    if (text !== '') this.push('TEXT', text, textStart, candidate);
  }

  private tokenizeBetweenDelimiters(close: '}}' | '%}', type: 'PRINT_END' | 'EXECUTE_END'): void {
    const space = this.skipRegexSpace(this.pos);
    let afterDash = space;
    if (this.code(space) === 45) {
      afterDash = space + 1;
      if (this.src.startsWith('}}', afterDash) || this.src.startsWith('%}', afterDash) || this.src.startsWith('#}', afterDash))
        this.trimNextData = true;
    }
    if (this.brackets.length === 0) {
      const at = this.src.startsWith(close, afterDash) ? afterDash : this.src.startsWith(close, space) ? space : -1;
      if (at >= 0) {
        this.push(type, close, at, at + 2);
        this.advance(at + 2 - this.pos);
        this.openDelimiter = undefined;
        this.states.pop();
        return;
      }
    }
    this.tokenizeExpression();
  }

  private tokenizeComment(): void {
    const close = this.src.indexOf('#}', this.pos);
    if (close < 0) throw this.error('Unclosed comment.', this.commentStart, this.commentStart + 2);
    if (close - 1 > this.pos && this.code(close - 1) === 45 && isRegexSpace(this.code(close - 2)) && close - 2 >= this.pos) {
      this.trimNextData = true;
    }
    this.advance(close + 2 - this.pos);
    this.states.pop();
  }

  private tokenizeString(): void {
    const start = this.pos;
    if (this.src.startsWith('#{', start)) {
      this.brackets.push({ symbol: '#{', offset: start });
      this.push('STRING_INTERPOLATION_START', null, start, start + 2);
      this.advance(2);
      this.states.push('STRING_INTERPOLATION');
      return;
    }
    const end = this.nonInterpolatedPartEnd(start);
    if (end > start) {
      const value = this.src.slice(start, end);
      this.advance(end - start);
      const token = this.push('STRING', value, start, end);
      token.quote = '"';
      token.contentStart = start;
      token.contentEnd = end;
      return;
    }
    if (this.code(start) === 34) {
      this.brackets.pop();
      this.states.pop();
      this.advance(1);
      return;
    }
    // Only a backslash at the very end gets here: Pebble 4.1.2 loops forever on it.
    const open = this.brackets[this.brackets.length - 1];
    const error = new PebbleError('ParserException', 'Unclosed """', undefined, open?.offset ?? start, (open?.offset ?? start) + 1, true);
    throw error;
  }

  /** `[^#"\\]*(?:(?:\\.|#(?!\{))[^#"\\]*)*` from `from`. */
  private nonInterpolatedPartEnd(from: number): number {
    let index = from;
    while (index < this.length) {
      const code = this.src.charCodeAt(index);
      if (code === 34) break;
      if (code === 92) {
        if (index + 1 >= this.length) break;
        index += 2;
      } else if (code === 35) {
        if (this.code(index + 1) === 123) break;
        index++;
      } else index++;
    }
    return index;
  }

  private tokenizeStringInterpolation(): void {
    const top = this.brackets[this.brackets.length - 1];
    const space = this.skipRegexSpace(this.pos);
    if (top && top.symbol === '#{' && this.code(space) === 125) {
      this.brackets.pop();
      this.push('STRING_INTERPOLATION_END', null, space, space + 1);
      this.advance(space + 1 - this.pos);
      this.states.pop();
      return;
    }
    this.tokenizeExpression();
  }

  private tokenizeExpression(): void {
    this.advanceThroughWhitespace();
    const start = this.pos;
    const operator = this.operatorAt(start);
    if (operator) {
      this.push('OPERATOR', operator, start, start + operator.length);
      this.advance(operator.length);
      return;
    }
    IDENTIFIER.lastIndex = start;
    const name = IDENTIFIER.exec(this.src);
    if (name) {
      this.push('NAME', name[0], start, start + name[0].length);
      this.advance(name[0].length);
      return;
    }
    let digits = start;
    while (isDigit(this.code(digits))) digits++;
    if (digits > start) {
      if (this.code(digits) === 76 /* L */) {
        this.push('LONG', this.src.slice(start, digits), start, digits + 1);
        this.advance(digits + 1 - start);
        return;
      }
      let end = digits;
      if (this.code(digits) === 46 && isDigit(this.code(digits + 1))) {
        end = digits + 1;
        while (isDigit(this.code(end))) end++;
      }
      this.push('NUMBER', this.src.slice(start, end), start, end);
      this.advance(end - start);
      return;
    }
    const ch = start < this.length ? this.src[start] : '\u0000';
    if (PUNCTUATION.includes(ch)) {
      this.punctuation(ch, start);
      return;
    }
    if (ch === "'" || ch === '"') {
      const end = this.plainStringEnd(start, ch);
      if (end !== undefined) {
        const raw = this.src.slice(start + 1, end - 1);
        this.advance(end - start);
        const value = ch === "'" ? raw.replace(/\\'/g, "'") : raw.replace(/\\"/g, '"');
        const token = this.push('STRING', value, start, end);
        token.quote = ch;
        token.contentStart = start + 1;
        token.contentEnd = end - 1;
        return;
      }
      if (ch === '"') {
        this.brackets.push({ symbol: '"', offset: start });
        this.states.push('STRING');
        this.advance(1);
        return;
      }
    }
    throw this.error(`Unexpected character [${ch}]`, start, Math.min(this.length, start + 1));
  }

  private punctuation(ch: string, start: number): void {
    if (ch === '(' || ch === '[' || ch === '{') {
      this.brackets.push({ symbol: ch, offset: start });
    } else if (ch === ')' || ch === ']' || ch === '}') {
      const open = this.brackets.pop();
      if (!open) throw this.error(`Unexpected "${ch}"`, start, start + 1);
      const expected = CLOSING[open.symbol];
      if (expected === undefined) {
        throw new PebbleError(
          'NullPointerException',
          'Cannot invoke "String.equals(Object)" because "<local6>" is null',
          undefined,
          start,
          start + 1,
        );
      }
      if (expected !== ch) throw this.error(`Unclosed "${expected}"`, open.offset, open.offset + 1);
    }
    this.push('PUNCTUATION', ch, start, start + 1);
    this.advance(1);
  }

  /** REGEX_STRING_PLAIN: a whole `"…"` without `#`, or `'…'`, with backslash escapes; its end or undefined. */
  private plainStringEnd(start: number, quote: string): number | undefined {
    const quoteCode = quote.charCodeAt(0);
    const double = quoteCode === 34;
    let index = start + 1;
    while (index < this.length) {
      const code = this.src.charCodeAt(index);
      if (code === quoteCode) return index + 1;
      if (code === 92) {
        if (index + 1 >= this.length) return undefined;
        index += 2;
      } else if (double && code === 35) return undefined;
      else index++;
    }
    return undefined;
  }

  private operatorAt(start: number): string | undefined {
    const first = this.src[start];
    for (const operator of OPERATORS) {
      if (operator[0] !== first || !this.src.startsWith(operator, start)) continue;
      const last = operator.charCodeAt(operator.length - 1);
      if (isAsciiWordChar(last) && !isDigit(last) && isAsciiWordChar(this.code(start + operator.length))) continue;
      return operator;
    }
    return undefined;
  }
}
