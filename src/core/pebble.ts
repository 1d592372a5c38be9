/**
 * Kestra's `secret(...)` calls in a Pebble template. `analyzePebble` / `scanPebble` parse the
 * template exactly as Kestra's Pebble 4.1.2 does (Kestra's raw-block pre-pass here, then the port
 * of Pebble's lexer and parser in pebbleLexer.ts / pebbleParser.ts) and return the calls with their
 * arguments bound as Pebble binds them, or Pebble's syntax error. A template Pebble rejects still
 * gets its calls from a tolerant scan (the editor's half-typed text), flagged `inInvalidTemplate`.
 * `completionContextAt` uses the tolerant lexer on raw YAML source around a cursor.
 * Offsets are UTF-16 indices into the string given. Never throws.
 */

import { PebbleError } from './pebbleLexer';
import { parseTemplate } from './pebbleParser';
import type { ExpressionNode, ParsedCall } from './pebbleParser';

export interface Literal {
  value: string;
  /** Start of the content, after the opening quote. */
  start: number;
  /** End of the content (exclusive), before the closing quote. */
  end: number;
  quote: "'" | '"';
}

export interface PebbleCall {
  key?: Literal;
  dynamicKey?: string;
  namespace?: Literal;
  dynamicNamespace?: string;
  subkey?: Literal;
  dynamicSubkey?: string;
  full: boolean;
  /** The `s` of `secret`. */
  start: number;
  /** After the closing `)`, or the end of the expression when the call is not closed. */
  end: number;
  /** Pebble's line number of the call in the template (1-based), when the template parses. */
  line?: number;
  /** Found in a template Pebble can't parse: Kestra fails before looking the secret up. */
  inInvalidTemplate?: true;
}

export interface CompletionContext {
  argument: 'key' | 'subkey' | 'namespace';
  typed: string;
  replaceStart: number;
  replaceEnd: number;
  quote: "'" | '"' | undefined;
  /** The call's static key, when completing another argument. */
  key?: string;
  /** The call's literal namespace argument, when completing another argument. */
  namespace?: string;
}

type CloseDelimiter = '}}' | '%}';

interface Token {
  kind: 'name' | 'string' | 'number' | 'punct';
  start: number;
  end: number;
  /** Name or punctuation text. */
  text: string;
  quote?: "'" | '"';
  contentStart?: number;
  contentEnd?: number;
  closed?: boolean;
  interpolated?: boolean;
  /**
   * How the string is delimited in the text: `'` or `"`, or in raw YAML source `\"` (inside a
   * double-quoted scalar) or `''` (inside a single-quoted scalar).
   */
  delimiter?: string;
}

interface LexResult {
  tokens: Token[];
  /** Where the expression ends: the close delimiter's start, or the limit. */
  end: number;
  /** After the close delimiter, or the limit. */
  resumeAt: number;
  closedByDelimiter: boolean;
  /** A string still open when the limit was reached. */
  openString?: Token;
}

const ARGUMENT_NAMES = ['key', 'namespace', 'subkey', 'full'] as const;
type ArgumentName = (typeof ARGUMENT_NAMES)[number];

/** How far back completion looks for the `{{` / `{%` that opens the expression. */
const LOOKBACK = 2000;
/** How far ahead completion looks for the rest of the call. */
const LOOKAHEAD = 1000;

/** Kestra's RAW_PATTERN, and Pebble's own `verbatim` tag: text in these blocks is not evaluated. */
const RAW_START = /\{%-*\s*(raw|verbatim)\s*-*%\}/y;
const RAW_END = { raw: /\{%-*\s*endraw\s*-*%\}/g, verbatim: /\{%-*\s*endverbatim\s*-*%\}/g };
const NAME_START = /[\p{L}_]/u;
const NAME_PART = /[\p{L}\p{N}_]/u;
const KEY_CHAR = /[\p{L}\p{N}_.\-/@+=:]/u;

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11;
}

function isAsciiNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isAsciiNamePart(code: number): boolean {
  return isAsciiNameStart(code) || (code >= 48 && code <= 57);
}

function isNameStart(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 ? isAsciiNameStart(code) : NAME_START.test(text[i]);
}

function isNamePart(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 ? isAsciiNamePart(code) : NAME_PART.test(text[i]);
}

/** Skips a `#{…}` interpolation starting at `i` (on the `#`); returns the index after its `}`. */
function skipInterpolation(text: string, i: number, limit: number): number {
  let depth = 0;
  let j = i + 1;
  while (j < limit) {
    const ch = text[j];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return j + 1;
    } else if (ch === "'" || ch === '"') {
      j = skipSimpleString(text, j, limit);
      continue;
    }
    j++;
  }
  return limit;
}

function skipSimpleString(text: string, i: number, limit: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < limit) {
    if (text[j] === '\\') j += 2;
    else if (text[j] === quote) return j + 1;
    else j++;
  }
  return limit;
}

function lexString(text: string, i: number, limit: number, delimiter: string): Token {
  const quote = delimiter[delimiter.length - 1] as "'" | '"';
  const quoteCode = quote.charCodeAt(0);
  const firstCode = delimiter.charCodeAt(0);
  const doubled = delimiter.length === 2;
  const contentStart = i + delimiter.length;
  let interpolated = false;
  let j = contentStart;
  while (j < limit) {
    const code = text.charCodeAt(j);
    if (code === firstCode && (!doubled || (j + 1 < limit && text.charCodeAt(j + 1) === quoteCode))) {
      return {
        kind: 'string',
        start: i,
        end: j + delimiter.length,
        text: '',
        quote,
        contentStart,
        contentEnd: j,
        closed: true,
        interpolated,
        delimiter,
      };
    }
    if (code === 92 /* \\ */) {
      j += 2;
    } else if (quoteCode === 34 /* " */ && code === 35 /* # */ && text.charCodeAt(j + 1) === 123 /* { */) {
      interpolated = true;
      j = skipInterpolation(text, j, limit);
    } else {
      j++;
    }
  }
  return { kind: 'string', start: i, end: limit, text: '', quote, contentStart, contentEnd: limit, closed: false, interpolated, delimiter };
}

/** How Pebble quotes appear in the text being lexed. */
type Quoting = 'pebble' | 'yaml-double' | 'yaml-single';

/** The string delimiter starting at `i`, if any, for this quoting. */
function stringDelimiterAt(text: string, i: number, limit: number, quoting: Quoting): string | undefined {
  const ch = text[i];
  if (quoting === 'yaml-single') {
    if (ch === "'") return text[i + 1] === "'" && i + 2 <= limit ? "''" : undefined;
  } else if (ch === "'") return ch;
  if (ch === '"') return ch;
  if (quoting === 'yaml-double' && ch === '\\' && text[i + 1] === '"' && i + 2 <= limit) return '\\"';
  return undefined;
}

/**
 * Lexes one expression from `from` until its close delimiter (outside strings and `{ }` maps)
 * or `limit`. `quoting` says how Pebble quotes are written (raw YAML source escapes them).
 */
function lexExpression(text: string, from: number, limit: number, close: CloseDelimiter, quoting: Quoting = 'pebble'): LexResult {
  const tokens: Token[] = [];
  let braceDepth = 0;
  let i = from;
  while (i < limit) {
    const code = text.charCodeAt(i);
    if (isWhitespace(code)) {
      i++;
      continue;
    }
    const ch = text[i];
    if (braceDepth === 0) {
      if (ch === '-' && text.startsWith(close, i + 1) && i + 3 <= limit) {
        return { tokens, end: i, resumeAt: i + 3, closedByDelimiter: true };
      }
      if (text.startsWith(close, i) && i + 2 <= limit) {
        return { tokens, end: i, resumeAt: i + 2, closedByDelimiter: true };
      }
    }
    const delimiter = stringDelimiterAt(text, i, limit, quoting);
    if (delimiter) {
      const token = lexString(text, i, limit, delimiter);
      tokens.push(token);
      if (!token.closed) return { tokens, end: limit, resumeAt: limit, closedByDelimiter: false, openString: token };
      i = token.end;
      continue;
    }
    if (isNameStart(text, i)) {
      let j = i + 1;
      while (j < limit && isNamePart(text, j)) j++;
      tokens.push({ kind: 'name', start: i, end: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (code >= 48 && code <= 57) {
      let j = i + 1;
      while (j < limit && /[0-9.]/.test(text[j])) j++;
      tokens.push({ kind: 'number', start: i, end: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === '{') braceDepth++;
    else if (ch === '}' && braceDepth > 0) braceDepth--;
    const twoChar = '=!<>'.includes(ch) && text[i + 1] === '=' && i + 2 <= limit;
    const length = twoChar ? 2 : 1;
    tokens.push({ kind: 'punct', start: i, end: i + length, text: text.slice(i, i + length) });
    i += length;
  }
  return { tokens, end: limit, resumeAt: limit, closedByDelimiter: false };
}

function isPunct(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

function isSecretCallAt(tokens: Token[], index: number): boolean {
  const token = tokens[index];
  return token.kind === 'name' && token.text === 'secret' && isPunct(tokens[index + 1], '(') && !isPunct(tokens[index - 1], '.');
}

function unescapeLiteral(raw: string, quote: "'" | '"'): string {
  return quote === "'" ? raw.replace(/\\'/g, "'") : raw.replace(/\\"/g, '"');
}

type ArgumentValue =
  | { kind: 'absent' }
  | { kind: 'null' }
  | { kind: 'literal'; literal: Literal }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'unclosed' }
  | { kind: 'interpolated'; source: string }
  | { kind: 'expression'; source: string };

/** Longest expression quoted in a "dynamic" explanation. */
const MAX_QUOTED_SOURCE = 80;

function sourceOf(text: string, tokens: Token[]): string {
  const start = tokens[0].start;
  const end = tokens[tokens.length - 1].end;
  const quoted = text.slice(start, Math.min(end, start + MAX_QUOTED_SOURCE)).replace(/\s+/g, ' ');
  return end - start > MAX_QUOTED_SOURCE ? `${quoted}…` : quoted;
}

function classifyArgument(text: string, tokens: Token[] | undefined): ArgumentValue {
  if (!tokens || tokens.length === 0) return { kind: 'absent' };
  if (tokens.length === 1) {
    const token = tokens[0];
    if (token.kind === 'string') {
      if (!token.closed) return { kind: 'unclosed' };
      if (token.interpolated) return { kind: 'interpolated', source: sourceOf(text, tokens) };
      const quote = token.quote ?? "'";
      const start = token.contentStart ?? token.start;
      const end = token.contentEnd ?? token.end;
      return { kind: 'literal', literal: { value: unescapeLiteral(text.slice(start, end), quote), start, end, quote } };
    }
    if (token.kind === 'name' && token.text === 'null') return { kind: 'null' };
    if (token.kind === 'name' && (token.text === 'true' || token.text === 'false')) {
      return { kind: 'boolean', value: token.text === 'true' };
    }
  }
  return { kind: 'expression', source: sourceOf(text, tokens) };
}

/** Maps positional and named arguments to Kestra's argument names (first binding wins). */
function bindArguments(args: Token[][]): Partial<Record<ArgumentName, Token[]>> {
  const bound: Partial<Record<ArgumentName, Token[]>> = {};
  if (args.length === 1 && args[0].length === 0) return bound;
  let position = 0;
  for (const arg of args) {
    if (arg.length >= 2 && arg[0].kind === 'name' && isPunct(arg[1], '=')) {
      const name = arg[0].text as ArgumentName;
      if (ARGUMENT_NAMES.includes(name) && bound[name] === undefined) bound[name] = arg.slice(2);
      continue;
    }
    if (position < ARGUMENT_NAMES.length) {
      const name = ARGUMENT_NAMES[position];
      if (bound[name] === undefined) bound[name] = arg;
    }
    position++;
  }
  return bound;
}

function describeDynamic(what: 'key' | 'namespace' | 'sub-key', value: ArgumentValue): string {
  switch (value.kind) {
    case 'unclosed':
      return `the ${what}'s string literal is not closed`;
    case 'interpolated':
      return `the ${what} is the interpolated string \`${value.source}\``;
    case 'expression':
      return `the ${what} is the expression \`${value.source}\``;
    case 'boolean':
      return `the ${what} is the boolean \`${value.value}\``;
    default:
      return `no ${what} is given`;
  }
}

function buildCall(text: string, args: Token[][], start: number, end: number): PebbleCall {
  const bound = bindArguments(args);
  const call: PebbleCall = { full: false, start, end };

  const key = classifyArgument(text, bound.key);
  if (key.kind === 'literal') call.key = key.literal;
  else call.dynamicKey = describeDynamic('key', key);

  const namespace = classifyArgument(text, bound.namespace);
  if (namespace.kind === 'literal') call.namespace = namespace.literal;
  else if (namespace.kind !== 'absent' && namespace.kind !== 'null') call.dynamicNamespace = describeDynamic('namespace', namespace);

  const subkey = classifyArgument(text, bound.subkey);
  if (subkey.kind === 'literal') {
    if (subkey.literal.value !== '') call.subkey = subkey.literal;
  } else if (subkey.kind !== 'absent' && subkey.kind !== 'null') {
    call.dynamicSubkey = describeDynamic('sub-key', subkey);
  }

  const full = classifyArgument(text, bound.full);
  call.full = full.kind === 'boolean' && full.value;
  return call;
}

interface Frame {
  /** Start of `secret` when this frame is a secret call's argument list. */
  secretStart?: number;
  /** Where the call's PebbleCall goes in the output. */
  slot?: number;
  args: Token[][];
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/**
 * One pass over the tokens keeping a stack of bracket frames; a nested bracket adds only its
 * opening and closing tokens to the enclosing argument. Returns the frames still open at the end
 * (the root frame first).
 */
function walkFrames(tokens: Token[], onOpened?: (frame: Frame) => void, onClosed?: (frame: Frame, end: number) => void): Frame[] {
  const frames: Frame[] = [{ args: [[]] }];
  const currentArg = (): Token[] => {
    const top = frames[frames.length - 1];
    return top.args[top.args.length - 1];
  };
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    if (token.kind === 'punct') {
      if (OPENERS.has(token.text)) {
        currentArg().push(token);
        const secret = token.text === '(' && t > 0 && isSecretCallAt(tokens, t - 1);
        const frame: Frame = { args: [[]], secretStart: secret ? tokens[t - 1].start : undefined };
        frames.push(frame);
        onOpened?.(frame);
        continue;
      }
      if (CLOSERS.has(token.text) && frames.length > 1) {
        onClosed?.(frames.pop() as Frame, token.end);
        currentArg().push(token);
        continue;
      }
      if (token.text === ',' && frames.length > 1) {
        frames[frames.length - 1].args.push([]);
        continue;
      }
    }
    currentArg().push(token);
  }
  return frames;
}

function collectCalls(text: string, lexed: LexResult, calls: PebbleCall[]): void {
  const { tokens } = lexed;
  const finish = (frame: Frame, end: number): void => {
    if (frame.slot !== undefined && frame.secretStart !== undefined)
      calls[frame.slot] = buildCall(text, frame.args, frame.secretStart, end);
  };
  // Reserve each call's slot when its `(` is seen so calls come out in source order.
  const reserve = (frame: Frame): void => {
    if (frame.secretStart === undefined) return;
    frame.slot = calls.length;
    calls.push({ full: false, start: frame.secretStart, end: frame.secretStart });
  };
  const frames = walkFrames(tokens, reserve, finish);
  const last = tokens[tokens.length - 1];
  while (frames.length > 1) {
    finish(frames.pop() as Frame, lexed.end);
    const top = frames[frames.length - 1];
    top.args[top.args.length - 1].push(last);
  }
}

/** The index after a `{% raw %}…{% endraw %}` (or verbatim) block starting at `open`, or undefined when none starts there. */
function rawBlockEnd(text: string, open: number): number | undefined {
  RAW_START.lastIndex = open;
  const start = RAW_START.exec(text);
  if (!start) return undefined;
  const endPattern = RAW_END[start[1] as keyof typeof RAW_END];
  endPattern.lastIndex = RAW_START.lastIndex;
  const end = endPattern.exec(text);
  return end ? end.index + end[0].length : text.length;
}

/**
 * The tolerant scan used where Pebble rejects the template (half-typed text, an unclosed `{#`):
 * it still finds the calls, so that completion, hover and the tree keep working, but Kestra can't
 * render the template, so nothing is reported about them beyond the syntax error.
 */
function scanLenient(text: string): PebbleCall[] {
  const calls: PebbleCall[] = [];
  let commentCloseMissing = false;
  if (typeof text !== 'string' || !text.includes('secret')) return calls;
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0 || open + 1 >= text.length) break;
    const next = text[open + 1];
    if (next === '#') {
      // An unclosed `{#` is the error itself (often bash's `${#…}`): keep reading after it.
      // Once no `#}` is left, none is searched for again (that would be quadratic).
      const close = commentCloseMissing ? -1 : text.indexOf('#}', open + 2);
      if (close < 0) commentCloseMissing = true;
      i = close < 0 ? open + 2 : close + 2;
    } else if (next === '%' || next === '{') {
      const rawEnd = next === '%' ? rawBlockEnd(text, open) : undefined;
      if (rawEnd !== undefined) {
        i = rawEnd;
        continue;
      }
      const lexed = lexExpression(text, open + 2, text.length, next === '%' ? '%}' : '}}');
      collectCalls(text, lexed, calls);
      i = Math.max(lexed.resumeAt, open + 2);
    } else {
      i = open + 1;
    }
  }
  return calls;
}

export interface PebbleSyntaxError {
  /** Pebble's message, e.g. `Unclosed comment.`. */
  message: string;
  /** The Java exception Pebble raises: `ParserException` for syntax errors. */
  kind: string;
  /** Pebble's line number in the template (1-based), when Pebble gives one. */
  line?: number;
  /** What the error points at (UTF-16 offsets into the text scanned). */
  start: number;
  end: number;
  /** Pebble 4.1.2 itself never returns on this template (Kestra hangs rendering it). */
  hangs?: boolean;
}

export interface PebbleScan {
  calls: PebbleCall[];
  /** Set when Pebble (as Kestra configures it) can't parse the template: Kestra fails at run time. */
  error?: PebbleSyntaxError;
}

/** Whether Pebble has anything to parse: Kestra renders text with a `{`, Pebble looks for `{{`, `{%`, `{#`. */
const DELIMITER = /\{[{%#]/;

/** Finds every `secret()` call exactly as Kestra's Pebble 4.1.2 parses the template, or its syntax error. Never throws. */
export function analyzePebble(text: string): PebbleScan {
  if (typeof text !== 'string' || !DELIMITER.test(text)) return { calls: [] };
  const { source, toOriginal, containsRaw } = kestraRawPrePass(text);
  try {
    const parsed = parseTemplate(source);
    return { calls: parsed.calls.map((call) => buildParsedCall(text, call, toOriginal, containsRaw)) };
  } catch (caught) {
    const error = syntaxErrorOf(caught, source, toOriginal);
    const calls = text.includes('secret') ? scanLenient(text).map((call) => ({ ...call, inInvalidTemplate: true as const })) : [];
    return { calls, error };
  }
}

export function scanPebble(text: string): PebbleCall[] {
  return analyzePebble(text).calls;
}

function syntaxErrorOf(caught: unknown, source: string, toOriginal: (offset: number) => number): PebbleSyntaxError {
  if (caught instanceof PebbleError) {
    const error: PebbleSyntaxError = {
      message: caught.pebbleMessage,
      kind: caught.kind,
      start: toOriginal(caught.start),
      end: toOriginal(Math.max(caught.start, caught.end)),
    };
    if (caught.line !== undefined) error.line = caught.line;
    if (caught.hangs) error.hangs = true;
    return error;
  }
  // Only a nesting deeper than the call stack gets here; Pebble runs out of stack too.
  return {
    message: 'The template is nested too deeply to be parsed.',
    kind: 'StackOverflowError',
    start: 0,
    end: toOriginal(source.length),
  };
}

// ---- Kestra's raw-block pre-pass (VariableRenderer.RAW_PATTERN, no DOTALL), in linear time.

/** What Kestra puts in place of a raw block before Pebble parses the text (the oracle's placeholder). */
const RAW_PLACEHOLDER = 'ORACLE_RAW_BLOCK_';

interface RawPrePass {
  source: string;
  /** Maps an offset in `source` back to the original text. */
  toOriginal: (offset: number) => number;
  /** Whether source range [start, end) covers a replaced raw block. */
  containsRaw: (start: number, end: number) => boolean;
}

/** Java `\s`. */
function isJavaRegexSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Java's `.` without DOTALL stops at these. */
function isLineTerminator(code: number): boolean {
  return code === 10 || code === 13 || code === 0x85 || code === 0x2028 || code === 0x2029;
}

/** The end of `\{%-*\s*WORD\s*-*%\}` at `at`, or -1. */
function rawTagEnd(text: string, at: number, word: string): number {
  if (!text.startsWith('{%', at)) return -1;
  let i = at + 2;
  while (text.charCodeAt(i) === 45) i++;
  while (i < text.length && isJavaRegexSpace(text.charCodeAt(i))) i++;
  if (!text.startsWith(word, i)) return -1;
  i += word.length;
  while (i < text.length && isJavaRegexSpace(text.charCodeAt(i))) i++;
  while (text.charCodeAt(i) === 45) i++;
  return text.startsWith('%}', i) ? i + 2 : -1;
}

function kestraRawPrePass(text: string): RawPrePass {
  const identity: RawPrePass = { source: text, toOriginal: (offset) => offset, containsRaw: () => false };
  if (!text.includes('raw')) return identity;
  // Every `{%` where an endraw tag starts, in order, and where the next line terminator is.
  const endTags: { start: number; end: number }[] = [];
  for (let at = text.indexOf('{%'); at >= 0; at = text.indexOf('{%', at + 1)) {
    const end = rawTagEnd(text, at, 'endraw');
    if (end >= 0) endTags.push({ start: at, end });
  }
  if (endTags.length === 0) return identity;
  const blocks: { start: number; end: number }[] = [];
  let nextEnd = 0;
  let searchFrom = 0;
  let lineBreakAfter = -1;
  for (let at = text.indexOf('{%', searchFrom); at >= 0; at = text.indexOf('{%', Math.max(at + 1, searchFrom))) {
    if (at < searchFrom) continue;
    const contentStart = rawTagEnd(text, at, 'raw');
    if (contentStart < 0) continue;
    while (nextEnd < endTags.length && endTags[nextEnd].start < contentStart) nextEnd++;
    if (nextEnd >= endTags.length) break;
    if (lineBreakAfter < contentStart) {
      lineBreakAfter = contentStart;
      while (lineBreakAfter < text.length && !isLineTerminator(text.charCodeAt(lineBreakAfter))) lineBreakAfter++;
    }
    const endTag = endTags[nextEnd];
    if (endTag.start > lineBreakAfter) continue;
    blocks.push({ start: at, end: endTag.end });
    searchFrom = endTag.end;
  }
  if (blocks.length === 0) return identity;
  let source = '';
  let last = 0;
  const spans: { sourceStart: number; sourceEnd: number; originalStart: number; originalEnd: number }[] = [];
  blocks.forEach((block, index) => {
    source += text.slice(last, block.start);
    const placeholder = RAW_PLACEHOLDER + index;
    spans.push({
      sourceStart: source.length,
      sourceEnd: source.length + placeholder.length,
      originalStart: block.start,
      originalEnd: block.end,
    });
    source += placeholder;
    last = block.end;
  });
  source += text.slice(last);
  /** The last span starting at or before `offset` (binary search: calls × raw blocks stays linear-log). */
  const spanAtOrBefore = (offset: number): number => {
    let low = 0;
    let high = spans.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (spans[middle].sourceStart <= offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };
  const toOriginal = (offset: number): number => {
    const index = spanAtOrBefore(offset);
    if (index < 0) return offset;
    const span = spans[index];
    if (offset < span.sourceEnd) return span.originalStart;
    return offset + span.originalEnd - span.sourceEnd;
  };
  const containsRaw = (start: number, end: number): boolean => {
    const index = spanAtOrBefore(Math.max(start, end - 1));
    return index >= 0 && spans[index].sourceEnd > start && spans[index].sourceStart < end;
  };
  return { source, toOriginal, containsRaw };
}

// ---- Binding a parsed call's arguments as Kestra's SecretFunction receives them.

type BoundValue =
  | { kind: 'absent' }
  | { kind: 'null' }
  | { kind: 'string'; literal: Literal }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'dynamic'; why: string };

function boundValue(
  text: string,
  node: ExpressionNode | undefined,
  toOriginal: (offset: number) => number,
  containsRaw: RawPrePass['containsRaw'],
  what: string,
): BoundValue {
  if (!node || node.cls === 'absent') return { kind: 'absent' };
  const source = (): string => sourceText(text, toOriginal(node.start), toOriginal(node.end));
  switch (node.cls) {
    case 'LiteralNullExpression':
      return { kind: 'null' };
    case 'LiteralBooleanExpression':
      return { kind: 'boolean', value: node.bool === true };
    case 'LiteralStringExpression': {
      const token = node.stringToken;
      if (!token || token.contentStart === undefined || token.contentEnd === undefined) break;
      if (containsRaw(token.contentStart, token.contentEnd)) return { kind: 'dynamic', why: `the ${what} contains a raw block` };
      const literal: Literal = {
        value: token.value ?? '',
        start: toOriginal(token.contentStart),
        end: toOriginal(token.contentEnd),
        quote: token.quote ?? "'",
      };
      return { kind: 'string', literal };
    }
    case 'LiteralLongExpression':
    case 'LiteralDoubleExpression':
      return { kind: 'dynamic', why: `the ${what} is the number \`${source()}\`` };
    default:
      break;
  }
  if (node.interpolated) return { kind: 'dynamic', why: `the ${what} is the interpolated string \`${source()}\`` };
  return { kind: 'dynamic', why: `the ${what} is the expression \`${source()}\`` };
}

function sourceText(text: string, start: number, end: number): string {
  const quoted = text.slice(start, Math.min(end, start + MAX_QUOTED_SOURCE)).replace(/\s+/g, ' ');
  return end - start > MAX_QUOTED_SOURCE ? `${quoted}…` : quoted;
}

/** Positional `key, namespace, subkey, full`, then named ones; a later binding replaces an earlier one (Pebble's ArgumentsNode). */
function bindParsed(call: ParsedCall): Partial<Record<ArgumentName, ExpressionNode>> {
  const bound: Partial<Record<ArgumentName, ExpressionNode>> = {};
  call.positional.forEach((value, index) => {
    if (index < ARGUMENT_NAMES.length) bound[ARGUMENT_NAMES[index]] = value;
  });
  for (const argument of call.named) {
    if ((ARGUMENT_NAMES as readonly string[]).includes(argument.name ?? '')) bound[argument.name as ArgumentName] = argument.value;
  }
  return bound;
}

function buildParsedCall(
  text: string,
  parsed: ParsedCall,
  toOriginal: (offset: number) => number,
  containsRaw: RawPrePass['containsRaw'],
): PebbleCall {
  const bound = bindParsed(parsed);
  const call: PebbleCall = { full: false, start: toOriginal(parsed.start), end: toOriginal(parsed.end), line: parsed.line };
  const value = (name: ArgumentName, what: string): BoundValue => boundValue(text, bound[name], toOriginal, containsRaw, what);

  const key = value('key', 'key');
  if (key.kind === 'string') call.key = key.literal;
  else
    call.dynamicKey =
      key.kind === 'absent'
        ? 'no key is given'
        : key.kind === 'null'
          ? 'the key is null'
          : key.kind === 'boolean'
            ? `the key is the boolean \`${key.value}\``
            : key.why;

  const namespace = value('namespace', 'namespace');
  if (namespace.kind === 'string') call.namespace = namespace.literal;
  else if (namespace.kind === 'boolean') call.dynamicNamespace = `the namespace is the boolean \`${namespace.value}\``;
  else if (namespace.kind === 'dynamic') call.dynamicNamespace = namespace.why;

  const subkey = value('subkey', 'sub-key');
  if (subkey.kind === 'string') {
    if (subkey.literal.value !== '') call.subkey = subkey.literal;
  } else if (subkey.kind === 'boolean') call.dynamicSubkey = `the sub-key is the boolean \`${subkey.value}\``;
  else if (subkey.kind === 'dynamic') call.dynamicSubkey = subkey.why;

  const full = value('full', 'full');
  call.full = full.kind === 'boolean' && full.value;
  return call;
}

/** The nearest expression opener before `offset`, within the look-back window. */
function openerBefore(text: string, offset: number): { start: number; close: CloseDelimiter } | undefined {
  const stop = Math.max(0, offset - LOOKBACK);
  for (let i = offset - 2; i >= stop; i--) {
    if (text.charCodeAt(i) !== 123 /* { */) continue;
    const next = text[i + 1];
    if (next === '{') return { start: i, close: '}}' };
    if (next === '%') return { start: i, close: '%}' };
  }
  return undefined;
}

/** Which argument the current (last) argument of a call is, if it is one we complete. */
function currentArgument(args: Token[][], current: Token[]): 'key' | 'namespace' | 'subkey' | undefined {
  if (current.length === 2 && current[0].kind === 'name' && isPunct(current[1], '=')) {
    const name = current[0].text;
    return name === 'key' || name === 'namespace' || name === 'subkey' ? name : undefined;
  }
  if (current.length !== 0) return undefined;
  const named = args.slice(0, -1).some((arg) => arg.length >= 2 && arg[0].kind === 'name' && isPunct(arg[1], '='));
  if (named) return undefined;
  const position = args.length - 1;
  return position === 0 ? 'key' : position === 1 ? 'namespace' : position === 2 ? 'subkey' : undefined;
}

/** Arguments after `from` up to the call's `)`, within the look-ahead window. */
function followingArguments(text: string, from: number, close: CloseDelimiter, quoting: Quoting): Token[][] {
  const limit = Math.min(text.length, from + LOOKAHEAD);
  const { tokens } = lexExpression(text, from, limit, close, quoting);
  const args: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'punct') {
      if (OPENERS.has(token.text)) depth++;
      else if (CLOSERS.has(token.text)) {
        if (depth === 0) break;
        depth--;
      } else if (token.text === ',' && depth === 0) {
        args.push([]);
        continue;
      }
    }
    args[args.length - 1].push(token);
  }
  return args;
}

/** The closing quote of a literal being typed, on the same line and before any `}}` / `%}`. */
function closingQuote(text: string, from: number, literal: Token): number | undefined {
  const limit = Math.min(text.length, from + LOOKAHEAD);
  for (let j = from; j < limit; j++) {
    const ch = text[j];
    if (ch === '\n' || ch === '\r') return undefined;
    if ((ch === '}' || ch === '%') && text[j + 1] === '}') return undefined;
    const delimiter = literal.delimiter ?? literal.quote ?? "'";
    if (text.startsWith(delimiter, j)) return j;
    if (ch === '\\') j++;
  }
  return undefined;
}

/**
 * How quotes are written around the expression opened at `openerStart` in raw source: inside a
 * YAML single-quoted scalar (`'…{{ secret(''K'') }}'`), a Pebble `'` is written `''`, and inside a
 * double-quoted one a Pebble `"` is written `\"` (recognised everywhere, as it can't mean anything else).
 */
function quotingAt(text: string, openerStart: number): Quoting {
  let lineStart = openerStart;
  while (lineStart > 0 && text[lineStart - 1] !== '\n' && text[lineStart - 1] !== '\r' && openerStart - lineStart < LOOKBACK) lineStart--;
  const prefix = text.slice(lineStart, openerStart);
  return /(?:^|[\s:,[{-])'(?:[^']|'')*$/.test(prefix) ? 'yaml-single' : 'yaml-double';
}

function keyCharsEnd(text: string, from: number): number {
  let j = from;
  const limit = Math.min(text.length, from + LOOKAHEAD);
  while (j < limit && KEY_CHAR.test(text[j])) j++;
  return j;
}

function literalOf(text: string, args: Token[][], name: ArgumentName): string | undefined {
  const value = classifyArgument(text, bindArguments(args)[name]);
  return value.kind === 'literal' ? value.literal.value : undefined;
}

export function completionContextAt(text: string, offset: number): CompletionContext | undefined {
  if (typeof text !== 'string' || !Number.isInteger(offset) || offset < 0 || offset > text.length) return undefined;
  const opener = openerBefore(text, offset);
  if (!opener) return undefined;
  const quoting = quotingAt(text, opener.start);
  const lexed = lexExpression(text, opener.start + 2, offset, opener.close, quoting);
  if (lexed.closedByDelimiter) return undefined;
  const literal = lexed.openString;
  const before = literal ? lexed.tokens.slice(0, -1) : lexed.tokens;
  const frames = walkFrames(before);
  const frame = frames[frames.length - 1];
  if (frames.length < 2 || frame.secretStart === undefined) return undefined;
  const current = frame.args[frame.args.length - 1];
  const argument = currentArgument(frame.args, current);
  if (!argument) return undefined;

  let context: CompletionContext;
  let following: Token[][];
  if (literal) {
    const contentStart = literal.contentStart ?? offset;
    const quote = literal.quote ?? "'";
    const close = closingQuote(text, offset, literal);
    const replaceEnd = close ?? keyCharsEnd(text, offset);
    const delimiter = literal.delimiter ?? quote;
    const rawTyped = text.slice(contentStart, offset);
    const typed = delimiter.length === 1 ? unescapeLiteral(rawTyped, quote) : rawTyped;
    context = { argument, typed, replaceStart: contentStart, replaceEnd, quote };
    const afterLiteral = close === undefined ? undefined : close + delimiter.length;
    following = afterLiteral === undefined ? [] : followingArguments(text, afterLiteral, opener.close, quoting);
    const placeholder: Token = { ...literal, end: afterLiteral ?? offset, contentEnd: replaceEnd, closed: true };
    current.push(placeholder);
    if (following.length > 0) current.push(...following[0]);
  } else {
    following = followingArguments(text, offset, opener.close, quoting);
    if (following[0]?.length) return undefined;
    context = { argument, typed: '', replaceStart: offset, replaceEnd: offset, quote: undefined };
  }
  const allArgs = [...frame.args, ...following.slice(1)];
  if (argument !== 'key') {
    const key = literalOf(text, allArgs, 'key');
    if (key !== undefined) context.key = key;
  }
  if (argument !== 'namespace') {
    const namespace = literalOf(text, allArgs, 'namespace');
    if (namespace !== undefined) context.namespace = namespace;
  }
  return context;
}

export function secretSnippetContextAt(text: string, offset: number): { start: number; typed: string } | undefined {
  if (typeof text !== 'string' || !Number.isInteger(offset) || offset < 0 || offset > text.length) return undefined;
  const opener = openerBefore(text, offset);
  if (!opener) return undefined;
  const lexed = lexExpression(text, opener.start + 2, offset, opener.close, quotingAt(text, opener.start));
  if (lexed.closedByDelimiter || lexed.openString) return undefined;
  const last = lexed.tokens[lexed.tokens.length - 1];
  if (!last || last.kind !== 'name' || last.end !== offset) return undefined;
  if (isPunct(lexed.tokens[lexed.tokens.length - 2], '.')) return undefined;
  if (!'secret'.startsWith(last.text)) return undefined;
  return { start: last.start, typed: last.text };
}
