/**
 * Resolves a flow's `secret()` references against what each namespace can see and reports
 * problems with Kestra's own runtime messages. Messages never contain a secret value.
 */
import { isComplete, type VisibleSecret, type VisibleSecrets } from './catalogTypes';
import type { DroppedDefinition, IncompleteCause } from './store';
import type { FlowAnalysis } from './flow';
import { hardcodedProblems } from './hardcoded';
import { closestMatches, nearMissFinder } from './suggest';
import type { Problem, Range, SecretReference } from './types';

/**
 * What a namespace can see; undefined when nothing is known at all. A listing marked incomplete makes
 * references it lacks *unverified* (information), never missing.
 */
export type VisibleLookup = (namespace: string) => VisibleSecrets | undefined;

export function referencedNamespaces(analysis: FlowAnalysis): string[] {
  const namespaces = new Set<string>();
  if (analysis.namespace !== undefined) namespaces.add(analysis.namespace);
  for (const reference of analysis.references) {
    if (reference.namespace !== undefined && !reference.dynamicNamespace) namespaces.add(reference.namespace);
    else if (reference.namespace === undefined && !reference.dynamicNamespace && reference.flowNamespace !== undefined)
      namespaces.add(reference.flowNamespace);
  }
  return [...namespaces];
}

/** Keys referenced with a static sub-key, by the namespace they are looked up in. */
export function keysWithSubkeys(analyses: Iterable<FlowAnalysis>): Map<string, Set<string>> {
  const byNamespace = new Map<string, Set<string>>();
  for (const analysis of analyses) {
    for (const reference of analysis.references) {
      const namespace = reference.namespace ?? reference.flowNamespace ?? analysis.namespace;
      if (!reference.key || !reference.subkey || namespace === undefined) continue;
      const keys = byNamespace.get(namespace) ?? new Set<string>();
      keys.add(reference.key);
      byNamespace.set(namespace, keys);
    }
  }
  return byNamespace;
}

export function checkFlow(file: string, analysis: FlowAnalysis, lookup: VisibleLookup): Problem[] {
  const problems: Problem[] = analysis.errors.map((error) => ({
    file,
    range: error.range,
    severity: 'warning',
    code: 'yaml-error',
    message: `Invalid YAML: ${error.message}`,
  }));
  for (const notice of analysis.notices ?? []) problems.push({ file, ...notice });
  if (analysis.isFlow) {
    problems.push(...pebbleSyntaxProblems(file, analysis));
    for (const reference of analysis.references) {
      if (reference.inInvalidTemplate) continue;
      const problem = checkReference(file, reference, reference.flowNamespace ?? analysis.namespace, lookup);
      if (problem) problems.push(problem);
    }
    problems.push(...hardcodedProblems(file, analysis.hardcoded ?? []));
  }
  return problems.sort(byPosition);
}

/** Templates Kestra can't render: an error on the template, in Pebble's own words. */
export function pebbleSyntaxProblems(file: string, analysis: FlowAnalysis): Problem[] {
  return (analysis.pebbleErrors ?? []).map((error) => {
    // Pebble quotes the character it stopped at, a NUL at the end of the text included.
    const message = [...withoutLiteralText(error.message)]
      .map((ch) => (ch.charCodeAt(0) < 32 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch))
      .join('');
    const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
    const consequence = error.hangs
      ? 'Kestra never finishes rendering it: Pebble 4.1.2 loops forever on a double-quoted string ending in a backslash.'
      : 'Kestra fails when it renders it.';
    const detail = error.kind === 'ParserException' ? '' : ` (${error.kind})`;
    return {
      file,
      range: error.range,
      severity: 'error' as const,
      code: 'pebble-syntax' as const,
      message: `Pebble can't parse this template: ${sentence}${detail} ${consequence}`,
    };
  });
}

/** Pebble quotes string and number literals in some messages; a literal may be a credential written inline. */
function withoutLiteralText(message: string): string {
  return message
    .replace(/^(Unexpected token of value )".*"( and type (?:STRING|NUMBER|LONG),)/s, '$1"…"$2')
    .replace(/^(Unexpected token "(?:STRING|NUMBER|LONG)" of value )".*"$/s, '$1"…"')
    .replace(/^(For input string: )".*"$/s, '$1"…"');
}

function checkReference(
  file: string,
  reference: SecretReference,
  flowNamespace: string | undefined,
  lookup: VisibleLookup,
): Problem | undefined {
  if (reference.key === undefined) {
    return {
      file,
      range: reference.callRange,
      severity: 'info',
      code: 'dynamic-key',
      message: `This secret can't be checked before run time: ${reference.dynamicKey ?? 'the key is not a plain string'}.`,
    };
  }
  const key = reference.key;
  if (reference.dynamicNamespace) {
    return {
      file,
      range: reference.keyRange ?? reference.callRange,
      severity: 'info',
      code: 'dynamic-namespace',
      message: `Secret '${key}' can't be checked before run time: ${reference.dynamicNamespace}.`,
      data: { key },
    };
  }
  const namespace = reference.namespace ?? flowNamespace;
  if (namespace === undefined) return undefined;
  const visible = lookup(namespace);
  if (!visible) return undefined;
  const listing = indexOf(visible);
  const secret = listing.find(key);
  const keyRange = reference.keyRange ?? reference.callRange;
  if (!secret) {
    const suggestions = listing.suggest(key);
    const dropped = droppedDefinition(visible, key);
    if (!isComplete(visible)) {
      return {
        file,
        range: keyRange,
        severity: 'info',
        code: 'unverified-secret',
        message: `Secret '${key}' can't be verified: it is not among the secrets known here, and ${describeCauses(visible.incomplete ?? [])}.${droppedNote(dropped)}${didYouMean(suggestions)}`,
        data: { key, namespace, suggestions },
      };
    }
    return {
      file,
      range: keyRange,
      severity: 'error',
      code: 'missing-secret',
      message: `Cannot find secret for key '${key}'. (namespace ${namespace}, backend ${visible.backendLabel})${droppedNote(dropped)}${didYouMean(suggestions)}`,
      data: { key, namespace, suggestions },
    };
  }
  if (reference.dynamicSubkey) {
    return {
      file,
      range: reference.callRange,
      severity: 'info',
      code: 'dynamic-subkey',
      message: `The sub-key of secret '${key}' can't be checked before run time: ${reference.dynamicSubkey}.`,
      data: { key, namespace },
    };
  }
  if (reference.subkey === undefined) return undefined;
  const subkey = reference.subkey;
  const subkeyRange = reference.subkeyRange ?? reference.callRange;
  if (secret.valueKind === 'not-json-object') {
    return {
      file,
      range: subkeyRange,
      severity: 'error',
      code: 'subkey-not-json',
      message: `Failed to read secret sub-key '${subkey}' from secret '${key}': the secret is not a JSON object.`,
      data: { key, subkey, namespace },
    };
  }
  if (secret.subkeys && !secret.subkeys.includes(subkey)) {
    const suggestions = closestMatches(subkey, secret.subkeys);
    return {
      file,
      range: subkeyRange,
      severity: 'error',
      code: 'missing-subkey',
      message: `Cannot find secret sub-key '${subkey}' in secret '${key}'.${didYouMean(suggestions)}`,
      data: { key, subkey, namespace, suggestions },
    };
  }
  return undefined;
}

interface IndexedListing {
  /** Same result as `findVisible`, in constant time. */
  find(key: string): VisibleSecret | undefined;
  /** Did-you-mean candidates for a missing key, computed once per key. */
  suggest(key: string): string[];
}

/** Listings are shared by every flow of a namespace: index each once (rebuilt if its secrets change). */
const listingIndexes = new WeakMap<
  VisibleSecrets,
  { secrets: VisibleSecret[]; length: number; caseInsensitive: boolean; listing: IndexedListing }
>();

function indexOf(visible: VisibleSecrets): IndexedListing {
  const cached = listingIndexes.get(visible);
  if (
    cached &&
    cached.secrets === visible.secrets &&
    cached.length === visible.secrets.length &&
    cached.caseInsensitive === visible.caseInsensitive
  ) {
    return cached.listing;
  }
  const normalise = visible.caseInsensitive ? (key: string) => key.toUpperCase() : (key: string) => key;
  const byKey = new Map<string, VisibleSecret>();
  for (const secret of visible.secrets) {
    const normalised = normalise(secret.key);
    if (!byKey.has(normalised)) byKey.set(normalised, secret);
  }
  const nearMisses = nearMissFinder(
    visible.secrets.map((secret) => secret.key),
    { caseInsensitive: visible.caseInsensitive },
  );
  const suggestions = new Map<string, string[]>();
  const listing: IndexedListing = {
    find: (key) => byKey.get(normalise(key)),
    suggest: (key) => {
      let found = suggestions.get(key);
      if (!found) {
        found = nearMisses(key);
        suggestions.set(key, found);
      }
      return [...found];
    },
  };
  listingIndexes.set(visible, {
    secrets: visible.secrets,
    length: visible.secrets.length,
    caseInsensitive: visible.caseInsensitive,
    listing,
  });
  return listing;
}

function droppedDefinition(visible: VisibleSecrets, key: string): DroppedDefinition | undefined {
  const wanted = visible.caseInsensitive ? key.toUpperCase() : key;
  return visible.dropped?.find((dropped) => (visible.caseInsensitive ? dropped.key.toUpperCase() : dropped.key) === wanted);
}

/** The definition Kestra drops is why the key is missing: point at it. */
function droppedNote(dropped: DroppedDefinition | undefined): string {
  return dropped ? ` It is defined at ${dropped.source}, but Kestra drops that definition: ${dropped.reason}.` : '';
}

/** "<source> <reason>" for each cause, for a reference's message (the fix is in the cause's own warning). */
function describeCauses(causes: IncompleteCause[]): string {
  const described = causes.slice(0, 2).map((cause) => `${cause.source} ${cause.reason}`);
  const more = causes.length > 2 ? ` (and ${causes.length - 2} more source(s))` : '';
  return `${described.join('; ')}${more}`;
}

function didYouMean(suggestions: string[]): string {
  if (suggestions.length === 0) return '';
  return ` Did you mean ${suggestions.map((suggestion) => `'${suggestion}'`).join(' or ')}?`;
}

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

function byPosition(a: Problem, b: Problem): number {
  return comparePositions(a.range.start, b.range.start) || comparePositions(a.range.end, b.range.end);
}
