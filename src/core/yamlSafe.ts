/**
 * Bounded YAML parsing for every file the tool reads (Compose files, configuration, flows). Those files
 * come from workspaces nobody vetted, and YAML lets a few hundred bytes describe an exponential amount
 * of work: aliases of aliases, merge keys (`<<`) merging the same anchor many times, or tens of thousands
 * of aliases that a naive resolver looks up one full-document walk at a time. Every limit that is
 * exceeded becomes an ordinary parse error on the document (code RESOURCE_EXHAUSTION), so callers report
 * it like any other YAML error and nothing is expanded.
 */
import {
  Document,
  isAlias,
  isCollection,
  isPair,
  isScalar,
  parseAllDocuments,
  parseDocument,
  YAMLParseError,
  type DocumentOptions,
  type Node,
  type Pair,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';

export interface YamlLimits {
  /** Largest text parsed, in UTF-16 code units (about bytes for YAML). */
  maxLength: number;
  /** Most aliases (`*name`) in one document. */
  maxAliases: number;
  /** Most nodes that aliases and merge keys may add when expanded (the document's own nodes don't count). */
  maxExpandedNodes: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxLength: 1024 * 1024, maxAliases: 1000, maxExpandedNodes: 100_000 };

export type BoundedParseOptions = ParseOptions &
  DocumentOptions &
  SchemaOptions & {
    limits?: Partial<YamlLimits>;
    /**
     * Replace every alias by the node it names, so a caller that walks the tree resolves no alias itself
     * (`Alias.resolve` walks the whole document on each call). The tree becomes a graph with shared
     * nodes (and a cycle for `&a [*a]`): only for callers that walk to a fixed depth and never call toJS.
     */
    inlineAliases?: boolean;
  };

/** `parseDocument` with the limits above; an exceeded limit is an error in `document.errors`. */
export function parseBoundedDocument(text: string, options: BoundedParseOptions = {}): Document.Parsed {
  const { limits: partial, inlineAliases, ...parseOptions } = options;
  const limits = { ...DEFAULT_YAML_LIMITS, ...partial };
  if (text.length > limits.maxLength) return failedDocument(tooLargeMessage(text.length, limits), parseOptions);
  let document: Document.Parsed;
  try {
    document = parseDocument(text, parseOptions);
  } catch (error) {
    return failedDocument(unparsableMessage(error), parseOptions);
  }
  if (mayHoldAliases(text)) bound(document, limits, inlineAliases === true);
  return document;
}

/** `parseAllDocuments` with the limits above, applied to each document (the length to the whole text). */
export function parseBoundedDocuments(text: string, options: BoundedParseOptions = {}): Document.Parsed[] {
  const { limits: partial, inlineAliases, ...parseOptions } = options;
  const limits = { ...DEFAULT_YAML_LIMITS, ...partial };
  if (text.length > limits.maxLength) return [failedDocument(tooLargeMessage(text.length, limits), parseOptions)];
  let parsed: Document.Parsed[] | { empty: true };
  try {
    parsed = parseAllDocuments(text, parseOptions) as Document.Parsed[] | { empty: true };
  } catch (error) {
    return [failedDocument(unparsableMessage(error), parseOptions)];
  }
  const documents = Array.isArray(parsed) ? parsed : [];
  if (mayHoldAliases(text)) for (const document of documents) bound(document, limits, inlineAliases === true);
  return documents;
}

function tooLargeMessage(length: number, limits: YamlLimits): string {
  return `The file is too large to read as YAML (${length} characters; the limit is ${limits.maxLength}).`;
}

function unparsableMessage(error: unknown): string {
  // A RangeError here is a stack overflow on absurdly deep nesting; no parser message quotes source text.
  return error instanceof RangeError ? 'The YAML is nested too deeply to read.' : 'The YAML could not be parsed.';
}

function failedDocument(message: string, options: ParseOptions & DocumentOptions & SchemaOptions): Document.Parsed {
  const document = new Document(null, options) as unknown as Document.Parsed;
  document.errors.push(new YAMLParseError([0, 0], 'RESOURCE_EXHAUSTION', message));
  return document;
}

interface AliasSite {
  alias: Node;
  target: Node | undefined;
  /** Where the alias sits, so it can be replaced by its target. */
  replace: (node: Node) => void;
}

/**
 * Every alias is written `*name`: a text without `*` has none, and its documents need no walk (most flows;
 * the walk is a tenth of a small flow's analysis).
 */
function mayHoldAliases(text: string): boolean {
  return text.includes('*');
}

function bound(document: Document.Parsed, limits: YamlLimits, inline: boolean): void {
  if (document.errors.length > 0) return;
  const sites = aliasSites(document);
  const fail = (message: string, at: Node) => {
    const start = at.range?.[0] ?? 0;
    document.errors.push(new YAMLParseError([start, start], 'RESOURCE_EXHAUSTION', message));
  };
  if (sites.length > limits.maxAliases) {
    fail(`The YAML has ${sites.length} aliases; the limit is ${limits.maxAliases}.`, sites[limits.maxAliases].alias);
    return;
  }
  const unresolved = sites.find((site) => !site.target);
  if (unresolved) {
    fail(`The YAML has an alias (*${aliasName(unresolved.alias)}) with no anchor of that name before it.`, unresolved.alias);
    return;
  }
  const targets = new Map(sites.map((site) => [site.alias, site.target]));
  const weights = new Map<Node, number>();
  let added = 0;
  for (const site of sites) {
    const weight = site.target ? weightOf(site.target, targets, weights, limits.maxExpandedNodes) : 0;
    if (weight === CYCLE) {
      fail(`The YAML has an alias inside the node it names (*${aliasName(site.alias)}).`, site.alias);
      return;
    }
    added += weight;
    if (added > limits.maxExpandedNodes) {
      fail(`The YAML's aliases and merge keys expand to more than ${limits.maxExpandedNodes} nodes.`, site.alias);
      return;
    }
  }
  if (inline) for (const site of sites) if (site.target) site.replace(site.target);
}

/** Every alias in document order with the node it names: the last node with that anchor before it. */
function aliasSites(document: Document.Parsed): AliasSite[] {
  const sites: AliasSite[] = [];
  const anchors = new Map<string, Node>();
  const stack: Array<{ node: Node | Pair; replace: (node: Node) => void }> = [];
  if (document.contents) stack.push({ node: document.contents, replace: (node) => (document.contents = node as typeof document.contents) });
  while (stack.length > 0) {
    const { node, replace } = stack.pop()!;
    if (isPair(node)) {
      const children: typeof stack = [];
      if (isNodeValue(node.key)) children.push({ node: node.key, replace: (next) => (node.key = next) });
      if (isNodeValue(node.value)) children.push({ node: node.value, replace: (next) => (node.value = next) });
      stack.push(...children.reverse());
      continue;
    }
    if (isAlias(node)) {
      sites.push({ alias: node, target: anchors.get(node.source), replace });
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isCollection(node)) {
      const items = node.items as Array<Node | Pair>;
      for (let index = items.length - 1; index >= 0; index--) {
        const item = items[index];
        if (isPair(item) || isNodeValue(item)) stack.push({ node: item, replace: (next) => (items[index] = next) });
      }
    }
  }
  return sites;
}

function aliasName(node: Node): string {
  return isAlias(node) ? node.source : '';
}

function isNodeValue(value: unknown): value is Node {
  return isScalar(value) || isCollection(value) || isAlias(value);
}

const CYCLE = -1;

/**
 * How many nodes `root` stands for once its aliases are expanded (memoized, so shared anchors cost
 * once), or CYCLE when an alias names its own ancestor (Compose's parser rejects that too, and a merge
 * of itself would expand forever). Stops adding once past `cap`, so the numbers stay finite.
 */
function weightOf(root: Node, targets: Map<Node, Node | undefined>, weights: Map<Node, number>, cap: number): number {
  const known = weights.get(root);
  if (known !== undefined) return known;
  const inProgress = new Set<Node>();
  // Iterative post-order, so deep nesting can't overflow the stack.
  const stack: Array<{ node: Node; expanded: boolean }> = [{ node: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (weights.has(top.node)) {
      stack.pop();
      continue;
    }
    const children = childrenOf(top.node, targets);
    if (!top.expanded) {
      top.expanded = true;
      inProgress.add(top.node);
      for (const child of children) {
        if (inProgress.has(child)) return CYCLE;
        if (!weights.has(child)) stack.push({ node: child, expanded: false });
      }
      continue;
    }
    stack.pop();
    inProgress.delete(top.node);
    let weight = isAlias(top.node) ? 0 : 1;
    for (const child of children) weight = Math.min(cap + 1, weight + (weights.get(child) ?? 1));
    weights.set(top.node, weight);
  }
  return weights.get(root) ?? 1;
}

function childrenOf(node: Node, targets: Map<Node, Node | undefined>): Node[] {
  if (isAlias(node)) {
    const target = targets.get(node);
    return target ? [target] : [];
  }
  if (!isCollection(node)) return [];
  const children: Node[] = [];
  for (const item of node.items as unknown[]) {
    if (isPair(item)) {
      if (isNodeValue(item.key)) children.push(item.key);
      if (isNodeValue(item.value)) children.push(item.value);
    } else if (isNodeValue(item)) {
      children.push(item);
    }
  }
  return children;
}
