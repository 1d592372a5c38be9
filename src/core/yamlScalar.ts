/**
 * YAML scalar decoding with an offset map: for a scalar node, which source offsets each character of
 * its decoded value came from, so a Pebble offset in the value maps back to the file. A port of the
 * `yaml` package's compose/resolve-flow-scalar.js and resolve-block-scalar.js that records where each
 * unit came from.
 */
import type { Scalar } from 'yaml';

/** Maps a [start, end) span of a scalar's decoded value to source offsets. */
export type SourceMapper = (start: number, end: number) => [number, number];

/**
 * The mapper for `node`: character by character when our decoding agrees with the `yaml` package's
 * value, else every span maps to the whole scalar (never a wrong position).
 */
export function sourceMapperOf(node: Scalar): SourceMapper {
  const decoded = decodeScalar(node);
  return decoded && decoded.value === node.value ? spanMapper(decoded) : wholeScalar(node);
}

function spanMapper(decoded: DecodedScalar): (start: number, end: number) => [number, number] {
  const length = decoded.value.length;
  return (start, end) => {
    const sourceStart = start < length ? decoded.starts[start] : length > 0 ? decoded.ends[length - 1] : 0;
    const sourceEnd = end > start ? decoded.ends[Math.min(end, length) - 1] : sourceStart;
    return [sourceStart, sourceEnd];
  };
}

/** When a scalar can't be mapped character by character, point at the whole scalar. */
function wholeScalar(node: Scalar): (start: number, end: number) => [number, number] {
  const [start, end] = node.range ?? [0, 0];
  return () => [start, end];
}

/** The decoded value of `node` with its offset map, or undefined when its source token can't be decoded. */
export function decodeScalar(node: Scalar): DecodedScalar | undefined {
  const token = node.srcToken;
  if (!token) return undefined;
  try {
    if (token.type === 'scalar' || token.type === 'single-quoted-scalar' || token.type === 'double-quoted-scalar') {
      return decodeFlowScalar(token.type, token.source, token.offset);
    }
    if (token.type === 'block-scalar') {
      const headerToken = token.props[0];
      if (!headerToken || headerToken.type !== 'block-scalar-header') return undefined;
      const headerLength = token.props.reduce(
        (sum, prop) => sum + ('source' in prop && typeof prop.source === 'string' ? prop.source.length : 0),
        0,
      );
      return decodeBlockScalar(parseBlockHeader(headerToken.source), token.source, token.offset + headerLength, token.indent);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export interface DecodedScalar {
  value: string;
  /** Source offset where decoded unit i starts. */
  starts: number[];
  /** Source offset where decoded unit i ends (exclusive). */
  ends: number[];
}

class Decoder {
  value = '';
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  constructor(private readonly base: number) {}

  /** Appends `text`, all of it coming from source [start, end) (relative offsets). */
  emit(text: string, start: number, end: number): void {
    for (let k = 0; k < text.length; k++) {
      this.starts.push(this.base + start);
      this.ends.push(this.base + end);
    }
    this.value += text;
  }

  /** Appends source characters [start, end) verbatim, each mapped to itself. */
  copy(source: string, start: number, end: number): void {
    for (let k = start; k < end; k++) {
      this.starts.push(this.base + k);
      this.ends.push(this.base + k + 1);
    }
    this.value += source.slice(start, end);
  }

  result(): DecodedScalar {
    return { value: this.value, starts: this.starts, ends: this.ends };
  }
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/**
 * Plain and single-quoted scalars: lines trimmed, one line break folds to a space, n > 1 to n - 1
 * newlines. `pairQuotes` turns `''` into `'` (single-quoted).
 */
function unfoldLines(source: string, from: number, to: number, out: Decoder, pairQuotes: boolean): void {
  const copyText = (start: number, end: number): void => {
    if (!pairQuotes) {
      out.copy(source, start, end);
      return;
    }
    for (let k = start; k < end; k++) {
      if (source[k] === "'" && source[k + 1] === "'" && k + 1 < end) {
        out.emit("'", k, k + 2);
        k++;
      } else out.copy(source, k, k + 1);
    }
  };
  const lines: { start: number; end: number; breakAt: number }[] = [];
  let lineStart = from;
  for (let k = from; k < to; k++) {
    if (source[k] === '\n') {
      const end = k > lineStart && source[k - 1] === '\r' ? k - 1 : k;
      lines.push({ start: lineStart, end, breakAt: end });
      lineStart = k + 1;
    }
  }
  if (lines.length === 0) {
    copyText(from, to);
    return;
  }
  const first = lines[0];
  let firstEnd = first.end;
  while (firstEnd > first.start && isBlank(source[firstEnd - 1])) firstEnd--;
  copyText(first.start, firstEnd);
  let sep = ' ';
  let sepAt = first.breakAt;
  for (let n = 1; n < lines.length; n++) {
    let { start, end } = lines[n];
    while (start < end && isBlank(source[start])) start++;
    while (end > start && isBlank(source[end - 1])) end--;
    if (start === end) {
      if (sep === '\n') out.emit('\n', lines[n].breakAt, lines[n].breakAt + 1);
      else {
        sep = '\n';
        sepAt = lines[n].breakAt;
      }
    } else {
      out.emit(sep, sepAt, sepAt + 1);
      copyText(start, end);
      sep = ' ';
      sepAt = lines[n].breakAt;
    }
  }
  let lastStart = lineStart;
  while (lastStart < to && isBlank(source[lastStart])) lastStart++;
  out.emit(sep, sepAt, sepAt + 1);
  copyText(lastStart, to);
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

function decodeDoubleQuoted(source: string, out: Decoder): void {
  for (let i = 1; i < source.length - 1; ++i) {
    const ch = source[i];
    if (ch === '\r' && source[i + 1] === '\n') continue;
    if (ch === '\n') {
      i = foldNewline(source, i, out);
    } else if (ch === '\\') {
      const escapeStart = i;
      let next = source[++i];
      const code = ESCAPES[next];
      if (code) out.emit(code, escapeStart, i + 1);
      else if (next === '\n') {
        next = source[i + 1];
        while (next === ' ' || next === '\t') next = source[++i + 1];
      } else if (next === '\r' && source[i + 1] === '\n') {
        next = source[++i + 1];
        while (next === ' ' || next === '\t') next = source[++i + 1];
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = source.substr(i + 1, length);
        const valid = hex.length === length && /^[0-9a-fA-F]+$/.test(hex);
        let decoded: string | undefined;
        try {
          decoded = String.fromCodePoint(valid ? parseInt(hex, 16) : NaN);
        } catch {
          decoded = undefined;
        }
        if (decoded === undefined) out.copy(source, escapeStart, Math.min(source.length, escapeStart + length + 2));
        else out.emit(decoded, escapeStart, Math.min(source.length, i + 1 + length));
        i += length;
      } else {
        out.copy(source, escapeStart, Math.min(source.length, escapeStart + 2));
      }
    } else if (ch === ' ' || ch === '\t') {
      const wsStart = i;
      let next = source[i + 1];
      while (next === ' ' || next === '\t') next = source[++i + 1];
      if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n')) out.copy(source, wsStart, i + 1);
    } else {
      out.copy(source, i, i + 1);
    }
  }
}

/** Folds the line break at `offset`; returns the index of the last character consumed. */
function foldNewline(source: string, offset: number, out: Decoder): number {
  let folded = false;
  let ch = source[offset + 1];
  while (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
    if (ch === '\r' && source[offset + 2] !== '\n') break;
    if (ch === '\n') {
      out.emit('\n', offset + 1, offset + 2);
      folded = true;
    }
    offset += 1;
    ch = source[offset + 1];
  }
  if (!folded) out.emit(' ', offset, offset + 1);
  return offset;
}

type FlowScalarType = 'scalar' | 'single-quoted-scalar' | 'double-quoted-scalar';

/** Decodes a flow scalar whose raw `source` starts at absolute offset `base`. */
function decodeFlowScalar(type: FlowScalarType, source: string, base: number): DecodedScalar {
  const out = new Decoder(base);
  if (type === 'scalar') unfoldLines(source, 0, source.length, out, false);
  else if (type === 'single-quoted-scalar') unfoldLines(source, 1, Math.max(1, source.length - 1), out, true);
  else decodeDoubleQuoted(source, out);
  return out.result();
}

interface BlockHeader {
  mode: '|' | '>';
  /** Explicit indentation indicator, 0 when none. */
  indent: number;
  chomp: '' | '-' | '+';
}

function parseBlockHeader(header: string): BlockHeader {
  let indent = 0;
  let chomp: BlockHeader['chomp'] = '';
  for (let i = 1; i < header.length; ++i) {
    const ch = header[i];
    if (!chomp && (ch === '-' || ch === '+')) chomp = ch;
    else {
      const n = Number(ch);
      if (!indent && n) indent = n;
    }
  }
  return { mode: header[0] === '>' ? '>' : '|', indent, chomp };
}

/**
 * Decodes a block scalar's content `source` (starting at absolute offset `base`, just after the
 * header line). `parentIndent` is the CST token's `indent`.
 */
function decodeBlockScalar(header: BlockHeader, source: string, base: number, parentIndent: number): DecodedScalar {
  const out = new Decoder(base);
  const lines = splitLines(source);
  let chompStart = lines.length;
  for (let i = lines.length - 1; i >= 0; --i) {
    const content = lines[i].content;
    if (content === '' || content === '\r') chompStart = i;
    else break;
  }
  if (chompStart === 0) {
    if (header.chomp === '+' && lines.length > 0) out.emit('\n'.repeat(Math.max(1, lines.length - 1)), 0, source.length);
    return out.result();
  }
  let trimIndent = parentIndent + header.indent;
  let contentStart = 0;
  for (let i = 0; i < chompStart; ++i) {
    const { indent, content } = lines[i];
    if (content === '' || content === '\r') {
      if (header.indent === 0 && indent > trimIndent) trimIndent = indent;
    } else {
      if (header.indent === 0) trimIndent = indent;
      contentStart = i;
      break;
    }
  }
  for (let i = lines.length - 1; i >= chompStart; --i) {
    if (lines[i].indent > trimIndent) chompStart = i + 1;
  }
  const indentText = (line: Line, from: number): void => {
    if (line.indent > from) out.copy(source, line.start + from, line.start + line.indent);
  };
  let sep = '';
  let sepAt = 0;
  let prevMoreIndented = false;
  for (let i = 0; i < contentStart; ++i) {
    indentText(lines[i], trimIndent);
    out.emit('\n', lines[i].breakAt, lines[i].breakAt + 1);
  }
  for (let i = contentStart; i < chompStart; ++i) {
    const line = lines[i];
    let { content, indent } = line;
    const contentAt = line.start + line.indent;
    if (content.endsWith('\r')) content = content.slice(0, -1);
    if (content && indent < trimIndent) indent = 0;
    const emitSep = (): void => {
      if (sep) out.emit(sep, sepAt, sepAt + 1);
    };
    if (header.mode === '|') {
      emitSep();
      if (indent === line.indent) indentText(line, trimIndent);
      out.copy(source, contentAt, contentAt + content.length);
      sep = '\n';
    } else if (indent > trimIndent || content[0] === '\t') {
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
      emitSep();
      indentText(line, trimIndent);
      out.copy(source, contentAt, contentAt + content.length);
      sep = '\n';
      prevMoreIndented = true;
    } else if (content === '') {
      if (sep === '\n') out.emit('\n', line.breakAt, line.breakAt + 1);
      else sep = '\n';
    } else {
      emitSep();
      out.copy(source, contentAt, contentAt + content.length);
      sep = ' ';
      prevMoreIndented = false;
    }
    sepAt = line.breakAt;
  }
  const end = source.length;
  switch (header.chomp) {
    case '-':
      break;
    case '+':
      for (let i = chompStart; i < lines.length; ++i) {
        out.emit('\n', lines[i].start - 1, lines[i].start);
        indentText(lines[i], trimIndent);
      }
      if (!out.value.endsWith('\n')) out.emit('\n', end, end);
      break;
    default:
      out.emit('\n', Math.min(sepAt, end), Math.min(sepAt + 1, end));
  }
  return out.result();
}

interface Line {
  /** Offset of the line's first character (its indentation) in the block source. */
  start: number;
  indent: number;
  /** The rest of the line, possibly ending in `\r`. */
  content: string;
  /** Offset of the line's `\n` (or the end of the source). */
  breakAt: number;
}

function splitLines(source: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    let indent = 0;
    while (source[start + indent] === ' ') indent++;
    const newline = source.indexOf('\n', start + indent);
    const breakAt = newline < 0 ? source.length : newline;
    lines.push({ start, indent, content: source.slice(start + indent, breakAt), breakAt });
    if (newline < 0) return lines;
    start = newline + 1;
  }
}
