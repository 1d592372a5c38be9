/**
 * Issue 12, point 7: a big flow is checked on the editor's thread a slice of references at a time. The slices
 * must give exactly the problems `checkFlow` gives for the whole flow (every kind, in the same order), and let
 * the event loop run between them.
 */
import { strict as assert } from 'node:assert';
import type { VisibleSecrets } from '../../../../src/core/catalogTypes';
import { checkFlow, type VisibleLookup } from '../../../../src/core/checks';
import { analyzeFlow } from '../../../../src/core/flow';
import { checkFlowInSlices } from '../../../../src/extension/logic/slicedChecks';

const visible: VisibleSecrets = {
  namespace: 'company.team',
  backendType: 'env',
  backendLabel: 'Env (SECRET_)',
  readOnly: true,
  caseInsensitive: false,
  secrets: ['JSON_SECRET', 'KNOWN'].map((key) => ({
    key,
    inherited: false,
    shadows: [],
    subkeys: key === 'JSON_SECRET' ? ['user'] : undefined,
  })),
};
const lookup: VisibleLookup = (namespace) => (namespace === visible.namespace ? visible : undefined);

/** Tasks whose messages cycle through a known key, a missing one, a wrong sub-key, a dynamic key and a broken template. */
function bigFlow(tasks: number): string {
  const messages = [
    "{{ secret('KNOWN') }}",
    "{{ secret('MISSING_KEY') }}",
    "{{ secret('JSON_SECRET', subkey='nope') }}",
    '{{ secret(inputs.key) }}',
    "{{ secret('KNOWN' }}",
  ];
  const lines = ['id: big', 'namespace: company.team', 'tasks:'];
  for (let task = 0; task < tasks; task++)
    lines.push(`  - id: t${task}`, '    type: io.kestra.plugin.core.log.Log', `    message: "${messages[task % messages.length]}"`);
  lines.push(
    '  - id: db',
    '    type: io.kestra.plugin.jdbc.postgresql.Query',
    '    url: jdbc:postgresql://db:5432/app',
    '    password: k3stra',
    '  - id: broken',
    '    message: [unclosed',
  );
  return `${lines.join('\n')}\n`;
}

describe('checking a big flow in slices on the editor thread', () => {
  it('gives exactly the problems checkFlow gives for the whole flow, every kind, in the same order', async () => {
    const analysis = analyzeFlow(bigFlow(2_000));
    assert.ok(analysis.references.length > 1_000);
    const whole = checkFlow('flows/big.yml', analysis, lookup);
    assert.ok(new Set(whole.map((problem) => problem.code)).size >= 4, [...new Set(whole.map((problem) => problem.code))].join(', '));
    const sliced = await checkFlowInSlices('flows/big.yml', analysis, lookup, () => new Promise((resolve) => setImmediate(resolve)));
    assert.deepEqual(sliced, whole);
  });

  it('yields to the event loop once a slice has taken its time, never within a small flow', async () => {
    let yields = 0;
    const counting = () => {
      yields++;
      return Promise.resolve();
    };
    // A clock that moves 1 ms at each look: a slice is over after four steps of 25 references.
    let clock = 0;
    const ticking = () => clock++;
    const big = analyzeFlow(bigFlow(2_000));
    const steps = Math.ceil(big.references.length / 25);
    const sliced = await checkFlowInSlices('flows/big.yml', big, lookup, counting, ticking);
    assert.deepEqual(sliced, checkFlow('flows/big.yml', big, lookup));
    assert.ok(yields >= Math.floor((steps - 1) / 4) - 1 && yields <= steps, `${yields} yields over ${steps} steps`);
    // A clock that stands still: no yield, however many references.
    yields = 0;
    await checkFlowInSlices('flows/big.yml', big, lookup, counting, () => 0);
    assert.equal(yields, 0);
    const small = analyzeFlow(bigFlow(10));
    assert.deepEqual(
      await checkFlowInSlices('flows/small.yml', small, lookup, counting, ticking),
      checkFlow('flows/small.yml', small, lookup),
    );
    assert.equal(yields, 0);
  });

  it('yields every other step when checking is slow, with the same problems', async () => {
    let yields = 0;
    const big = analyzeFlow(bigFlow(2_000));
    // Every look at the clock finds 2 ms more gone: a thread much slower than any real one.
    let clock = 0;
    const slow = () => (clock += 2);
    const sliced = await checkFlowInSlices(
      'flows/big.yml',
      big,
      lookup,
      () => (yields++, new Promise((resolve) => setImmediate(resolve))),
      slow,
    );
    assert.deepEqual(sliced, checkFlow('flows/big.yml', big, lookup));
    assert.ok(yields >= Math.ceil(big.references.length / 25) / 2 - 1, `${yields} yields`);
  });
});
