import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzePebble } from '../../../src/core/pebble';
import type { PebbleCall, PebbleScan } from '../../../src/core/pebble';
import { CONSTRUCTS, GENERATED_COUNT, SEED, generateTemplates, templateHash } from '../../fixtures/pebble-golden/corpus';

/** What Kestra's Pebble 4.1.2 answered (recorded by scripts/pebble-golden.ts record). */
interface OracleValue {
  kind: 'absent' | 'null' | 'string' | 'boolean' | 'number' | 'dynamic';
  value?: string | boolean;
}
interface GoldenEntry {
  source: 'construct' | 'generated' | 'real';
  sha1: string;
  ok: boolean;
  error?: string;
  calls: { line: number; key: OracleValue; namespace: OracleValue; subkey: OracleValue; full: OracleValue }[];
}

const FIXTURES = join(__dirname, '../../fixtures/pebble-golden');

function corpus(): { source: string; template: string }[] {
  const real = JSON.parse(readFileSync(join(FIXTURES, 'real.json'), 'utf8')) as string[];
  return [
    ...CONSTRUCTS.map((template) => ({ source: 'construct', template })),
    ...generateTemplates(SEED, GENERATED_COUNT).map((template) => ({ source: 'generated', template })),
    ...real.map((template) => ({ source: 'real', template })),
  ];
}

function golden(): GoldenEntry[] {
  return readFileSync(join(FIXTURES, 'golden.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as GoldenEntry);
}

/** Pebble puts raw blocks back after rendering: a literal holding one is not a key we can know. */
const RAW_PLACEHOLDER = 'ORACLE_RAW_BLOCK_';

/** The oracle's call in the terms of PebbleCall: what Kestra looks up. */
function expectedCall(call: GoldenEntry['calls'][number]): string {
  const key = call.key.kind === 'string' && !String(call.key.value).includes(RAW_PLACEHOLDER) ? `key=${String(call.key.value)}` : 'key=?';
  const namespace =
    call.namespace.kind === 'string'
      ? `ns=${String(call.namespace.value)}`
      : call.namespace.kind === 'absent' || call.namespace.kind === 'null'
        ? 'ns=flow'
        : 'ns=?';
  const subkey =
    call.subkey.kind === 'string'
      ? call.subkey.value === ''
        ? 'subkey=none'
        : `subkey=${String(call.subkey.value)}`
      : call.subkey.kind === 'absent' || call.subkey.kind === 'null'
        ? 'subkey=none'
        : 'subkey=?';
  const full = call.full.kind === 'boolean' && call.full.value === true;
  return `line ${call.line} ${key} ${namespace} ${subkey} full=${full}`;
}

function actualCall(call: PebbleCall): string {
  const key = call.key ? `key=${call.key.value}` : call.dynamicKey ? 'key=?' : 'key=MISSING-EXPLANATION';
  const namespace = call.namespace ? `ns=${call.namespace.value}` : call.dynamicNamespace ? 'ns=?' : 'ns=flow';
  const subkey = call.subkey ? `subkey=${call.subkey.value}` : call.dynamicSubkey ? 'subkey=?' : 'subkey=none';
  return `line ${call.line} ${key} ${namespace} ${subkey} full=${call.full}`;
}

function errorText(scan: PebbleScan): string | undefined {
  const error = scan.error;
  if (!error) return undefined;
  if (error.hangs) return 'Timeout';
  return error.line === undefined ? `${error.kind}: ${error.message}` : `${error.kind}: ${error.message} (line ${error.line})`;
}

/** The oracle names its own stand-in class for Kestra's `??` nodes; Kestra's differ. */
function comparableError(error: string | undefined): string | undefined {
  if (error?.startsWith('Timeout:')) return 'Timeout';
  return error?.replace(/^(ClassCastException): .*$/s, '$1');
}

describe("Pebble fidelity: scanPebble against Kestra's Pebble 4.1.2 (golden files)", () => {
  const templates = corpus();
  const answers = golden();

  it('covers the recorded corpus: every construct, ≥ 3,000 generated templates and the real strings', () => {
    assert.equal(answers.length, templates.length, 'the corpus changed: run `npx tsx scripts/pebble-golden.ts record`');
    templates.forEach((entry, index) =>
      assert.equal(answers[index].sha1, templateHash(entry.template), `template ${index} changed: record the golden file again`),
    );
    assert.ok(templates.filter((entry) => entry.source === 'generated').length >= 3000);
    assert.ok(templates.filter((entry) => entry.source === 'real').length >= 1000);
  });

  it('finds 0 missed, 0 false and 0 mismatched calls and accepts and rejects exactly the templates Pebble does, with its message', () => {
    const tally = { missed: 0, false: 0, mismatched: 0, acceptance: 0, message: 0 };
    const failures: string[] = [];
    templates.forEach(({ template }, index) => {
      const answer = answers[index];
      const scan = analyzePebble(template);
      const show = JSON.stringify(template).slice(0, 160);
      if (answer.ok !== (scan.error === undefined)) {
        tally.acceptance++;
        failures.push(
          `${show}: Pebble ${answer.ok ? 'accepts' : `rejects (${answer.error})`}, we ${scan.error ? `reject (${errorText(scan)})` : 'accept'}`,
        );
        return;
      }
      if (!answer.ok) {
        const ours = comparableError(errorText(scan));
        if (ours !== comparableError(answer.error)) {
          tally.message++;
          failures.push(`${show}: Pebble says ${answer.error}, we say ${ours}`);
        }
        return;
      }
      const expected = answer.calls.map(expectedCall).sort();
      const actual = scan.calls.map(actualCall).sort();
      const unmatched = actual.filter((call) => {
        const at = expected.indexOf(call);
        if (at < 0) return true;
        expected.splice(at, 1);
        return false;
      });
      const mismatched = Math.min(unmatched.length, expected.length);
      tally.mismatched += mismatched;
      tally.missed += expected.length - mismatched;
      tally.false += unmatched.length - mismatched;
      if (expected.length > 0 || unmatched.length > 0)
        failures.push(`${show}: Pebble ${JSON.stringify(expected)}, we ${JSON.stringify(unmatched)}`);
    });
    assert.deepEqual(
      { tally, failures: failures.slice(0, 15) },
      { tally: { missed: 0, false: 0, mismatched: 0, acceptance: 0, message: 0 }, failures: [] },
    );
  });
});
