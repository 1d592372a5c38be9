/**
 * Builds the Pebble differential corpus and records what Kestra's real parser (Pebble 4.1.2, the
 * oracle in ../shared/tools/pebble-oracle) answers for each template, as golden files that
 * `test/unit/core/pebbleGolden.test.ts` checks `scanPebble` against (CI never needs Java).
 *
 *   npx tsx scripts/pebble-golden.ts extract DIR...   # template strings of the YAML flows under DIR → real.json
 *   npx tsx scripts/pebble-golden.ts record [--oracle JAR]   # constructs + generated + real → golden.jsonl
 *
 * The generated part is a grammar-based generator with a fixed seed: the same templates each run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCollection, isPair, isScalar, parseAllDocuments } from 'yaml';
import { CONSTRUCTS, GENERATED_COUNT, SEED, generateTemplates, templateHash } from '../test/fixtures/pebble-golden/corpus';

const FIXTURES = resolve(__dirname, '../test/fixtures/pebble-golden');
const DEFAULT_ORACLE = resolve(__dirname, '../../../shared/tools/pebble-oracle/pebble-oracle.jar');

function yamlFiles(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

function strings(node: unknown, out: Set<string>): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string' && /\{[{%#]/.test(node.value)) out.add(node.value);
  } else if (isPair(node)) {
    strings(node.key, out);
    strings(node.value, out);
  } else if (isCollection(node)) {
    for (const item of node.items) strings(item, out);
  }
}

function extract(dirs: string[]): void {
  const found = new Set<string>();
  for (const dir of dirs) {
    for (const file of yamlFiles(dir, [])) {
      for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) strings(document.contents, found);
    }
  }
  const templates = [...found].sort();
  writeFileSync(join(FIXTURES, 'real.json'), `${JSON.stringify(templates, null, 0)}\n`);
  console.log(`${templates.length} template strings → ${join(FIXTURES, 'real.json')}`);
}

function record(oracle: string): void {
  const real = JSON.parse(readFileSync(join(FIXTURES, 'real.json'), 'utf8')) as string[];
  const corpus: { source: string; template: string }[] = [
    ...CONSTRUCTS.map((template) => ({ source: 'construct', template })),
    ...generateTemplates(SEED, GENERATED_COUNT).map((template) => ({ source: 'generated', template })),
    ...real.map((template) => ({ source: 'real', template })),
  ];
  const output = execFileSync('java', ['-jar', oracle], {
    input: JSON.stringify(corpus.map((entry) => entry.template)),
    maxBuffer: 1 << 28,
  }).toString('utf8');
  const answers = JSON.parse(output) as { ok: boolean; error?: string; calls: unknown[] }[];
  if (answers.length !== corpus.length) throw new Error(`The oracle answered ${answers.length} times for ${corpus.length} templates.`);
  const golden = corpus.map((entry, index) => ({ source: entry.source, sha1: templateHash(entry.template), ...slim(answers[index]) }));
  writeFileSync(join(FIXTURES, 'golden.jsonl'), `${golden.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
  const rejected = golden.filter((entry) => !entry.ok).length;
  console.log(`${golden.length} templates (${rejected} rejected by Pebble) → ${join(FIXTURES, 'golden.jsonl')}`);
}

interface OracleValue {
  kind: string;
  value?: unknown;
}

/** Keeps what the test compares: acceptance, the error, and each call's line and bound arguments. */
function slim(answer: { ok: boolean; error?: string; calls: unknown[] }): {
  ok: boolean;
  error?: string;
  calls: Record<string, unknown>[];
} {
  const calls = (answer.calls as Record<string, unknown>[]).map((call) => {
    const bound = (name: string): OracleValue => {
      const value = call[name] as OracleValue;
      return value.value === undefined ? { kind: value.kind } : { kind: value.kind, value: value.value };
    };
    return { line: call.line, key: bound('key'), namespace: bound('namespace'), subkey: bound('subkey'), full: bound('full') };
  });
  return answer.ok ? { ok: true, calls } : { ok: false, error: answer.error, calls };
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'extract') extract(rest);
else if (command === 'record') {
  const at = rest.indexOf('--oracle');
  record(at >= 0 ? resolve(rest[at + 1]) : DEFAULT_ORACLE);
} else {
  console.error('usage: tsx scripts/pebble-golden.ts extract DIR... | record [--oracle JAR]');
  process.exitCode = 2;
}
