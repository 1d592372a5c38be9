/**
 * The flow model: whether a YAML file is a Kestra flow, its id and namespace, and every `secret()`
 * reference in any string scalar (keys included), with ranges in the file's source. Built on the
 * `yaml` package's AST with its CST source tokens; each scalar is decoded again here with an offset
 * map (decoded index → source offset) so Pebble offsets in the decoded value map back to the file.
 * Never throws.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Scalar, YAMLMap } from 'yaml';
import { findHardcodedSecrets, type HardcodedSecret } from './hardcoded';
import { parseBoundedDocuments } from './yamlSafe';
import { LineIndex } from './lineIndex';
import { analyzePebble } from './pebble';
import type { Literal } from './pebble';
import type { ProblemCode, Range, SecretReference, Severity } from './types';

/** Something Kestra would reject or misread in a flow that is not a YAML syntax error. */
export interface FlowNotice {
  severity: Severity;
  code: ProblemCode;
  message: string;
  range: Range;
}

export interface FlowAnalysis {
  isFlow: boolean;
  /** Id and namespace of the first flow of the file; each reference carries its own flow's namespace. */
  id?: string;
  namespace?: string;
  namespaceRange?: Range;
  /** The namespace of every flow of the file, in order, each once (several in a multi-document file). */
  flowNamespaces?: string[];
  references: SecretReference[];
  errors: { message: string; range: Range }[];
  notices?: FlowNotice[];
  /** Templates Pebble (as Kestra configures it) can't parse: Kestra fails when it renders them. */
  pebbleErrors?: PebbleTemplateError[];
  /** Credentials written in clear in the flow (see hardcoded.ts). */
  hardcoded?: HardcodedSecret[];
}

export interface PebbleTemplateError {
  /** Pebble's own message, e.g. `Unclosed comment.`. */
  message: string;
  /** The Java exception Pebble raises, e.g. `ParserException`. */
  kind: string;
  /** Pebble 4.1.2 never returns on this template. */
  hangs?: boolean;
  range: Range;
}

interface FlowHeader {
  id: string;
  namespace: string;
  /** Offsets of the namespace value's content. */
  namespaceSpan?: [number, number];
}

/**
 * Cheap pre-check for workspace scans: an `id` and a `namespace` key anywhere, in any style Kestra
 * accepts (indented root, JSON, quoted keys, after a BOM). It may let non-flows through; it must
 * never drop a flow.
 */
export function looksLikeFlow(text: string): boolean {
  return flowKey('namespace').test(text) && flowKey('id').test(text);
}

/**
 * `id` and `namespace` keys at the start of a line (after a BOM, quoted or not): a file meant as a
 * flow, whose YAML errors are worth reporting even when it can't be read as one.
 */
export function hasFlowHeaderLines(text: string): boolean {
  return topLevelKey('namespace').test(text) && topLevelKey('id').test(text);
}

function flowKey(name: string): RegExp {
  return new RegExp(`(?:^|[\\s{,])(?:${name}|"${name}"|'${name}')[ \\t]*:`, 'm');
}

function topLevelKey(name: string): RegExp {
  return new RegExp(`^\uFEFF?(?:${name}|"${name}"|'${name}')[ \\t]*:`, 'm');
}

export function analyzeFlow(text: string): FlowAnalysis {
  const analysis: FlowAnalysis = { isFlow: false, references: [], errors: [], pebbleErrors: [] };
  if (typeof text !== 'string') return analysis;
  const lines = new LineIndex(text);
  const range = (start: number, end: number): Range => ({ start: lines.positionAt(start), end: lines.positionAt(end) });
  let documents: Document.Parsed[];
  try {
    documents = parseBoundedDocuments(text, { keepSourceTokens: true, prettyErrors: false, logLevel: 'silent' });
    if (!Array.isArray(documents)) documents = [documents];
  } catch (error) {
    analysis.errors.push({ message: `The YAML could not be parsed: ${(error as Error).message}`, range: range(0, 0) });
    return analysis;
  }
  const collector: Collector = {
    text,
    range,
    scanScalars: PEBBLE_DELIMITER.test(text),
    references: analysis.references,
    pebbleErrors: [],
    notices: [],
  };
  let header: FlowHeader | undefined;
  const namespaces = new Set<string>();
  let hasErrors = false;
  for (const document of documents) {
    for (const error of document.errors) {
      hasErrors = true;
      const [start, end] = error.pos;
      analysis.errors.push({ message: withoutSource(error.message), range: range(start, Math.max(start, end)) });
    }
    const documentHeader = flowHeaderOf(document);
    if (!documentHeader) continue;
    header ??= documentHeader;
    (analysis.hardcoded ??= []).push(...findHardcodedSecrets(document, decodeNode, range));
    namespaces.add(documentHeader.namespace);
    collectReferences(document, documentHeader.namespace, collector);
  }
  if (!header && hasErrors) {
    header = flowHeaderFromLines(text);
    if (header) for (const document of documents) collectReferences(document, header.namespace, collector);
    if (header) namespaces.add(header.namespace);
  }
  if (collector.notices.length > 0) analysis.notices = collector.notices;
  if (collector.pebbleErrors.length > 0) analysis.pebbleErrors = collector.pebbleErrors;
  if (header) {
    analysis.isFlow = true;
    analysis.id = header.id;
    analysis.namespace = header.namespace;
    analysis.flowNamespaces = [...namespaces];
    if (header.namespaceSpan) analysis.namespaceRange = range(...header.namespaceSpan);
  }
  return analysis;
}

/**
 * The parser quotes source text in a few messages (an invalid escape, an unexpected token); that
 * text could be part of a secret written inline, so only the description is kept.
 */
function withoutSource(message: string): string {
  return message
    .replace(/^(Invalid escape sequence|Not a YAML token|Block scalar header includes extra characters)\b.*$/s, '$1')
    .replace(/: ".*"$/s, '');
}

function truthy(value: unknown): boolean {
  return Boolean(value);
}

/** vscode-kestra's isFlow: `id` and `namespace` and (`tasks` or `triggers`). */
function flowHeaderOf(document: Document.Parsed): FlowHeader | undefined {
  try {
    if (!isMap(document.contents)) return undefined;
    const id = document.get('id');
    const namespace = document.get('namespace');
    if (!truthy(id) || !truthy(namespace) || !(truthy(document.get('tasks')) || truthy(document.get('triggers')))) return undefined;
    const namespaceNode = document.get('namespace', true);
    return {
      id: String(id),
      namespace: String(namespace),
      namespaceSpan: isScalar(namespaceNode) ? contentSpan(namespaceNode) : undefined,
    };
  } catch {
    return undefined;
  }
}

/** For a document the parser could not make sense of (e.g. a half-typed quote): read the top-level lines. */
function flowHeaderFromLines(text: string): FlowHeader | undefined {
  const id = topLevelValue(text, 'id');
  const namespace = topLevelValue(text, 'namespace');
  if (!id || !namespace || !/^\uFEFF?["']?(tasks|triggers)["']?[ \t]*:/m.test(text)) return undefined;
  return { id: id.value, namespace: namespace.value, namespaceSpan: [namespace.start, namespace.start + namespace.value.length] };
}

function topLevelValue(text: string, key: string): { value: string; start: number } | undefined {
  const match = new RegExp(`^\uFEFF?["']?${key}["']?[ \\t]*:[ \\t]*(["']?)([^\\s"'#]+)\\1[ \\t]*(?:#.*)?$`, 'm').exec(text);
  if (!match) return undefined;
  return { value: match[2], start: match.index + match[0].indexOf(match[2], key.length + 1) };
}

/** Source offsets of a scalar's value content (inside quotes). */
function contentSpan(node: Scalar): [number, number] | undefined {
  const decoded = typeof node.value === 'string' ? decodeNode(node) : undefined;
  if (decoded && decoded.value.length > 0) return [decoded.starts[0], decoded.ends[decoded.value.length - 1]];
  return node.range ? [node.range[0], node.range[1]] : undefined;
}

type RangeOf = (start: number, end: number) => Range;

/** Where Pebble finds anything to parse (Kestra renders only strings with a `{`). */
const PEBBLE_DELIMITER = /\{[{%#]/;

interface Collector {
  text: string;
  range: RangeOf;
  /** False when the file has no `secret` at all: only the notices are looked for. */
  scanScalars: boolean;
  references: SecretReference[];
  pebbleErrors: PebbleTemplateError[];
  notices: FlowNotice[];
}

function collectReferences(document: Document.Parsed, flowNamespace: string, collector: Collector): void {
  const onScalar = (node: Scalar, isKey: boolean): void => {
    if (!collector.scanScalars || typeof node.value !== 'string' || !PEBBLE_DELIMITER.test(node.value)) return;
    const found: SecretReference[] = [];
    scanScalar(node, collector.range, { references: found, pebbleErrors: collector.pebbleErrors }, isKey);
    for (const reference of found) collector.references.push({ ...reference, flowNamespace });
  };
  const onTemplateMap = (node: YAMLMap): void => {
    const [start, end] = node.range ?? [0, 0];
    collector.notices.push({
      severity: 'warning',
      code: 'unquoted-template',
      message: 'This template is not quoted, so YAML reads it as a map and Kestra rejects the flow: put it in quotes ("{{ … }}").',
      range: collector.range(start, end),
    });
  };
  try {
    walkRendered(document.contents, { text: collector.text, onScalar, onTemplateMap }, true);
  } catch {
    // A malformed tree: keep what was found so far.
  }
}

interface RenderedVisitor {
  text: string;
  onScalar(scalar: Scalar, isKey: boolean): void;
  /** An unquoted `{{ … }}` that YAML read as a flow map. */
  onTemplateMap(map: YAMLMap): void;
}

/**
 * Every scalar under `node` that Kestra renders, map keys included, in document order: all but the
 * `description` of the flow and of each task, trigger, input and output (a map with `id` and `type`),
 * which Kestra keeps as documentation and never renders, and the flow's blueprint `extend` block.
 */
/** The blueprint catalogue's metadata block (title, description, tags): documentation, never rendered. */
const BLUEPRINT_METADATA = 'extend';

function walkRendered(node: unknown, visitor: RenderedVisitor, isFlowRoot: boolean, isKey = false): void {
  if (isScalar(node)) {
    visitor.onScalar(node, isKey);
  } else if (isMap(node)) {
    if (isUnquotedTemplate(node, visitor.text)) {
      visitor.onTemplateMap(node);
      return;
    }
    const skipDescription = isFlowRoot || isDocumentedElement(node);
    for (const pair of node.items) {
      walkRendered(pair.key, visitor, false, true);
      if (isFlowRoot && isScalar(pair.key) && pair.key.value === BLUEPRINT_METADATA) continue;
      if (skipDescription && isScalar(pair.key) && pair.key.value === 'description') {
        // Not rendered, but still a string field: a map there makes Kestra reject the flow too.
        if (isMap(pair.value) && isUnquotedTemplate(pair.value, visitor.text)) visitor.onTemplateMap(pair.value);
        continue;
      }
      walkRendered(pair.value, visitor, false);
    }
  } else if (isPair(node)) {
    walkRendered(node.key, visitor, false, true);
    walkRendered(node.value, visitor, false);
  } else if (isSeq(node)) {
    for (const item of node.items) walkRendered(item, visitor, false);
  }
}

function isUnquotedTemplate(node: YAMLMap, text: string): boolean {
  return node.flow === true && node.range !== undefined && node.range !== null && text.startsWith('{{', node.range[0]);
}

/**
 * Task types whose own `description` property replaces the documentation field and is rendered
 * (found in the plugins' source: the Jira issue tasks render it into the issue, Linear's into the issue).
 */
const RENDERED_DESCRIPTION_TYPES: ReadonlySet<string> = new Set([
  'io.kestra.plugin.jira.issues.Create',
  'io.kestra.plugin.jira.issues.CreateComment',
  'io.kestra.plugin.jira.issues.UpdateFields',
  'io.kestra.plugin.linear.issues.Create',
]);

/** A task, trigger, input or output: a map with an `id` and a `type` whose `description` is documentation. */
function isDocumentedElement(node: YAMLMap): boolean {
  const type = node.get('type');
  return node.has('id') && typeof type === 'string' && !RENDERED_DESCRIPTION_TYPES.has(type);
}

interface ScalarFindings {
  references: SecretReference[];
  pebbleErrors: PebbleTemplateError[];
}

function scanScalar(node: Scalar, range: RangeOf, findings: ScalarFindings, isKey: boolean): void {
  const value = node.value as string;
  const { calls, error } = analyzePebble(value);
  // Kestra renders values, not map keys: a key that isn't a valid template fails nothing.
  if (calls.length === 0 && (!error || isKey)) return;
  const references = findings.references;
  const decoded = decodeNode(node);
  const toSource = decoded && decoded.value === value ? spanMapper(decoded) : wholeScalar(node);
  const mapped = (start: number, end: number): Range => range(...toSource(start, end));
  if (error && !isKey) {
    const pebbleError: PebbleTemplateError = {
      message: error.message,
      kind: error.kind,
      range: mapped(error.start, Math.max(error.end, error.start + 1)),
    };
    if (error.hangs) pebbleError.hangs = true;
    findings.pebbleErrors.push(pebbleError);
  }
  const literalRange = (literal: Literal | undefined): Range | undefined => (literal ? mapped(literal.start, literal.end) : undefined);
  for (const call of calls) {
    const reference: SecretReference = { full: call.full, callRange: mapped(call.start, call.end) };
    if (call.key) {
      reference.key = call.key.value;
      reference.keyRange = literalRange(call.key);
    }
    if (call.dynamicKey) reference.dynamicKey = call.dynamicKey;
    if (call.namespace) {
      reference.namespace = call.namespace.value;
      reference.namespaceRange = literalRange(call.namespace);
    }
    if (call.dynamicNamespace) reference.dynamicNamespace = call.dynamicNamespace;
    if (call.subkey) {
      reference.subkey = call.subkey.value;
      reference.subkeyRange = literalRange(call.subkey);
    }
    if (call.dynamicSubkey) reference.dynamicSubkey = call.dynamicSubkey;
    if (call.inInvalidTemplate) reference.inInvalidTemplate = true;
    references.push(reference);
  }
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

function decodeNode(node: Scalar): DecodedScalar | undefined {
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

// ---- YAML scalar decoding with an offset map: a port of the `yaml` package's
// compose/resolve-flow-scalar.js and resolve-block-scalar.js that records where each unit came from.

interface DecodedScalar {
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
