/** Keys a user can give a new secret: those a `secret('…')` literal can name, others refused with a reason. */
import { strict as assert } from 'node:assert';
import { createArguments, keyProblem } from '../../../../src/extension/logic/secretKeys';

describe('keys of new secrets', () => {
  it('accepts keys a secret() literal can name and refuses others with a reason', () => {
    for (const key of ['DB_PASSWORD', 'db.password', 'app/api-key', '_x']) assert.equal(keyProblem(key), undefined, key);
    for (const key of ['', 'two words', "it's", '-lead', 'x'.repeat(256)]) assert.ok(keyProblem(key), key);
  });

  it('says why a key is refused, with the limit filled in', () => {
    assert.equal(keyProblem('x'.repeat(256)), 'At most 255 characters.');
  });

  it('keeps only the valid namespace and key of a command argument', () => {
    assert.deepEqual(createArguments({ namespace: 'company.team', key: 'DB' }), { namespace: 'company.team', key: 'DB' });
    assert.deepEqual(createArguments({ namespace: 'Not A Namespace', key: 'two words' }), { namespace: undefined, key: undefined });
    assert.deepEqual(createArguments(undefined), {});
  });
});
