/**
 * The Pebble injection grammar (syntaxes/pebble-injection.tmLanguage.json): its contribution in
 * package.json, every regex compiling, and, through a small single-line TextMate scanner (earliest
 * match wins; on a tie the end pattern wins unless `applyEndPatternLast`), where its regions end —
 * above all, that an unclosed `{{` never runs past the quote that closes the YAML string around it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Capture {
  name?: string;
}

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  patterns?: Rule[];
  captures?: Record<string, Capture>;
  applyEndPatternLast?: number;
}

interface Grammar extends Rule {
  scopeName: string;
  injectionSelector: string;
  repository: Record<string, Rule>;
}

const root = path.resolve(__dirname, '..', '..', '..');
const grammarFile = path.join(root, 'syntaxes', 'pebble-injection.tmLanguage.json');
const grammar = JSON.parse(fs.readFileSync(grammarFile, 'utf8')) as Grammar;

/** The rules a `patterns` list stands for, includes resolved and pattern-only groups flattened. */
function resolve(patterns: Rule[] = []): Rule[] {
  return patterns.flatMap((rule) => {
    const target = rule.include ? grammar.repository[rule.include.slice(1)] : rule;
    assert.ok(target, `unknown include ${rule.include}`);
    return target.match || target.begin ? [target] : resolve(target.patterns);
  });
}

function regex(source: string): RegExp {
  return new RegExp(source, 'dg');
}

interface Found {
  rule: Rule | 'end';
  match: RegExpExecArray;
}

function earliest(line: string, from: number, candidates: Array<{ rule: Rule | 'end'; source: string }>): Found | undefined {
  let best: Found | undefined;
  for (const candidate of candidates) {
    const pattern = regex(candidate.source);
    pattern.lastIndex = from;
    const match = pattern.exec(line);
    if (match && (!best || match.index < best.match.index)) best = { rule: candidate.rule, match };
  }
  return best;
}

interface Region {
  rule: Rule;
  start: number;
  /** Index where the end match starts. */
  end: number;
  /** Text and scope of each captured group of the match rules met inside. */
  captures: Array<{ text: string; scope: string }>;
}

/** Scans `line` (the content of a YAML string) from `from`; returns the first Pebble region found. */
function firstRegion(line: string, from = 0): Region | undefined {
  const opening = earliest(
    line,
    from,
    resolve(grammar.patterns).map((rule) => ({ rule, source: rule.begin as string })),
  );
  if (!opening || opening.rule === 'end') return undefined;
  const region = opening.rule;
  const inner = resolve(region.patterns).map((rule) => ({ rule: rule as Rule | 'end', source: (rule.match ?? rule.begin) as string }));
  const end = { rule: 'end' as const, source: region.end as string };
  const candidates = region.applyEndPatternLast ? [...inner, end] : [end, ...inner];
  const captures: Region['captures'] = [];
  let position = opening.match.index + opening.match[0].length;
  for (;;) {
    const found = earliest(line, position, candidates);
    assert.ok(found, `the region opened at ${opening.match.index} never ends in ${JSON.stringify(line)}`);
    if (found.rule === 'end') return { rule: region, start: opening.match.index, end: found.match.index, captures };
    for (const [group, capture] of Object.entries(found.rule.captures ?? {})) {
      const text = found.match[Number(group)];
      if (text !== undefined && capture.name) captures.push({ text, scope: capture.name });
    }
    position = found.match.index + Math.max(found.match[0].length, 1);
  }
}

function allRegexSources(rule: Rule | Grammar, into: string[] = []): string[] {
  for (const source of [rule.match, rule.begin, rule.end]) if (source) into.push(source);
  for (const child of rule.patterns ?? []) allRegexSources(child, into);
  return into;
}

function keysIn(region: Region): string[] {
  return region.captures.filter((capture) => capture.scope.includes('entity.name.secret.key')).map((capture) => capture.text);
}

describe('Pebble injection grammar', () => {
  it('is contributed to YAML in package.json', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const entry = (manifest.contributes.grammars as Array<Record<string, unknown>>).find((item) => item.scopeName === grammar.scopeName);
    assert.ok(entry, 'no contributes.grammars entry for the injection');
    assert.deepEqual(entry.injectTo, ['source.yaml']);
    assert.equal(path.resolve(root, entry.path as string), grammarFile);
  });

  it('is injected into the string scopes of VS Code YAML grammars, not into comments', () => {
    for (const scope of ['string.quoted.double.yaml', 'string.quoted.single.yaml', 'string.unquoted']) {
      assert.match(grammar.injectionSelector, new RegExp(`L:${scope.replace(/\./g, '\\.')} -comment`));
    }
  });

  it('has regexes that all compile', () => {
    const sources = [...allRegexSources(grammar), ...Object.values(grammar.repository).flatMap((rule) => allRegexSources(rule))];
    assert.ok(sources.length > 15);
    for (const source of sources) assert.doesNotThrow(() => regex(source), source);
  });

  it('ends an expression at its }} and marks the secret key', () => {
    const line = "{{ secret('DB_PASSWORD') }} tail";
    const region = firstRegion(line);
    assert.ok(region);
    assert.equal(region.rule.name, 'meta.embedded.expression.pebble');
    assert.equal(region.end, line.indexOf('}}'));
    assert.deepEqual(keysIn(region), ['DB_PASSWORD']);
    assert.ok(region.captures.some((capture) => capture.text === 'secret' && capture.scope === 'support.function.secret.pebble'));
  });

  it('reads the key in each quoting a YAML string allows', () => {
    assert.deepEqual(keysIn(firstRegion("{{ secret(''API'', subkey=''user'') }}")!), ['API']);
    assert.deepEqual(keysIn(firstRegion('{{ secret(\\"ESCAPED\\") }}')!), ['ESCAPED']);
    assert.deepEqual(keysIn(firstRegion('{{ secret("PLAIN", namespace="a.b") }}')!), ['PLAIN']);
    const named = firstRegion("{{ secret('K', subkey='f') }}")!;
    assert.ok(named.captures.some((capture) => capture.text === 'subkey' && capture.scope === 'variable.parameter.pebble'));
  });

  it('stops an unclosed expression before the quote closing a double-quoted YAML string', () => {
    const line = `{{ secret('K' " next: value`;
    assert.equal(firstRegion(line)?.end, line.indexOf('"'));
  });

  it('stops an unclosed expression before the quote closing a single-quoted YAML string', () => {
    const line = "{{ secret(''K'' ' next: value";
    assert.equal(firstRegion(line)?.end, line.lastIndexOf("'"));
  });

  it('keeps Pebble strings inside the expression (the end waits for them)', () => {
    const line = "{{ prefix ~ 'abc' ~ x }}";
    assert.equal(firstRegion(line)?.end, line.indexOf('}}'));
  });

  it('ends an unclosed expression at the end of its line', () => {
    const line = '{{ inputs.name';
    assert.equal(firstRegion(line)?.end, line.length);
  });

  it('ends tags at %} and comments at #}, with their own scopes', () => {
    const tag = '{% if x % 2 == 0 %}body';
    const tagRegion = firstRegion(tag)!;
    assert.equal(tagRegion.rule.name, 'meta.embedded.tag.pebble');
    assert.equal(tagRegion.end, tag.indexOf('%}'));
    const comment = 'a {# note #} b';
    const commentRegion = firstRegion(comment)!;
    assert.equal(commentRegion.rule.name, 'comment.block.pebble');
    assert.equal(commentRegion.end, comment.indexOf('#}'));
  });

  it('finds nothing in text without Pebble delimiters', () => {
    assert.equal(firstRegion('just { a plain } value with # hash'), undefined);
  });
});
