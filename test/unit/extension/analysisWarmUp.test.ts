/**
 * The analysis worker warms its parser up on a sample flow until it is asked to analyse: the sample must take
 * the paths real flows take (a flow, secret references, sub-keys, Pebble), and the warm-up must give way at once.
 */
import { strict as assert } from 'node:assert';
import { analyseText } from '../../../src/extension/analysisProtocol';
import { SAMPLE_FLOW, warmUpAnalysis } from '../../../src/extension/analysisWarmUp';

describe('analysis warm-up', () => {
  it('analyses a sample that exercises what real flows use: a valid flow with secret references and sub-keys', () => {
    const { analysis } = analyseText(SAMPLE_FLOW);
    assert.equal(analysis.isFlow, true);
    assert.deepEqual(analysis.errors, []);
    assert.deepEqual(analysis.pebbleErrors ?? [], []);
    assert.ok(analysis.references.length >= 16, `only ${analysis.references.length} references`);
    assert.ok(analysis.references.some((reference) => reference.subkey === 'token'));
  });

  it('stops before its next step once asked to, so that a request is never held behind it', async () => {
    let asked = false;
    const steps = warmUpAnalysis(() => asked, 1000, 60_000);
    setImmediate(() => (asked = true));
    assert.ok((await steps) <= 2);
  });

  it('ends after its steps or its time budget even when nothing asks', async () => {
    assert.equal(await warmUpAnalysis(() => false, 3, 60_000), 3);
    assert.ok((await warmUpAnalysis(() => false, 1000, 0)) <= 1);
  });
});
