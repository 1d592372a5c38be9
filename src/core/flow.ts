/**
 * The flow model: whether a YAML file is a Kestra flow, its id and namespace, and every `secret()`
 * reference in any string scalar (keys included), with ranges in the file's source. Built on the
 * `yaml` package's AST with its CST source tokens; yamlScalar.ts maps Pebble offsets in a decoded
 * value back to the file. Never throws.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Scalar, YAMLMap } from 'yaml';
import { findHardcodedSecrets, type HardcodedSecret } from './hardcoded';
import { parseBoundedDocuments } from './yamlSafe';
import { decodeScalar, sourceMapperOf } from './yamlScalar';
import { LineIndex } from './lineIndex';
import { analyzePebble } from './pebble';
import type { Literal, PebbleScan } from './pebble';
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
    (analysis.hardcoded ??= []).push(...findHardcodedSecrets(document, range));
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
  const decoded = typeof node.value === 'string' ? decodeScalar(node) : undefined;
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

/**
 * Flows repeat their templates (`{{ secret('GITHUB_TOKEN') }}` in every flow that uses it, `{{ outputs.x.uri }}`
 * task after task): close to half the template strings of Kestra's blueprints are repeats, and a workspace of one
 * team's flows repeats more. A scan depends on the string alone, so the last scans are kept, read-only, by text.
 */
const TEMPLATE_SCANS_KEPT = 4096;
/** Longer templates (scripts, queries) rarely repeat; they are scanned each time rather than held. */
const LONGEST_TEMPLATE_KEPT = 1024;
const templateScans = new Map<string, PebbleScan>();

function scanTemplate(value: string): PebbleScan {
  const known = templateScans.get(value);
  if (known) return known;
  const scan = analyzePebble(value);
  if (value.length <= LONGEST_TEMPLATE_KEPT) {
    if (templateScans.size >= TEMPLATE_SCANS_KEPT) templateScans.delete(templateScans.keys().next().value as string);
    templateScans.set(value, scan);
  }
  return scan;
}

function scanScalar(node: Scalar, range: RangeOf, findings: ScalarFindings, isKey: boolean): void {
  const value = node.value as string;
  const { calls, error } = scanTemplate(value);
  // Kestra renders values, not map keys: a key that isn't a valid template fails nothing.
  if (calls.length === 0 && (!error || isKey)) return;
  const references = findings.references;
  const toSource = sourceMapperOf(node);
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
