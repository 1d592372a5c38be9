import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../../../src/core/report/rules';

const SRC = path.resolve(__dirname, '..', '..', '..', '..', 'src');

function sourceFiles(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every `code: '…'` literal in src/ (how problems are produced) and every member of the ProblemCode union. */
function problemCodesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\bcode:\s*['"]([a-z][a-z0-9-]*)['"]/g)) found.set(match[1], path.relative(SRC, file));
  }
  const types = fs.readFileSync(path.join(SRC, 'core', 'types.ts'), 'utf8');
  const union = /export type ProblemCode\s*=([^;]+);/.exec(types);
  assert.ok(union, 'src/core/types.ts no longer declares ProblemCode');
  for (const match of union[1].matchAll(/'([^']+)'/g)) found.set(match[1], 'core/types.ts (ProblemCode)');
  return found;
}

describe('report rules: one described rule per problem code', () => {
  it('has a rule for every problem code produced anywhere in src/, so no SARIF result points at an unlisted rule', () => {
    const codes = problemCodesInSource();
    assert.ok(codes.size >= 10, `only ${codes.size} problem codes found: the scan is broken`);
    const missing = [...codes].filter(([code]) => !(code in RULES)).map(([code, where]) => `${code} (${where})`);
    assert.deepEqual(missing, [], `add these codes to RULES in src/core/report/rules.ts: ${missing.join(', ')}`);
  });

  it('lists no rule for a code nothing produces', () => {
    const codes = problemCodesInSource();
    assert.deepEqual(
      Object.keys(RULES).filter((code) => !codes.has(code)),
      [],
    );
  });

  it('describes each rule with a short title and whole sentences, none of which can name a secret value', () => {
    for (const [code, rule] of Object.entries(RULES)) {
      assert.match(rule.shortDescription, /^[A-Z][^\n]*[^.]$/, `${code}: short description`);
      assert.ok(rule.shortDescription.length <= 60, `${code}: short description longer than 60 characters`);
      assert.match(rule.fullDescription, /^[A-Z].*\.$/s, `${code}: full description`);
      assert.match(rule.help, /^[A-Z].*\.$/s, `${code}: help`);
      assert.ok(['error', 'warning', 'info'].includes(rule.defaultSeverity), code);
    }
  });
});
