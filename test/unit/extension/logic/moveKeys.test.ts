/** "Move to secret" never proposes a key the namespace already sees, and gives one credential one key. */
import { strict as assert } from 'node:assert';
import type { VisibleSecrets } from '../../../../src/core/catalogTypes';
import { checkedKey, moveKeyProblem, planKeys, uniqueKey, type MoveTarget } from '../../../../src/extension/logic/moveKeys';

function target(kind: MoveTarget['kind'], keys: string[]): MoveTarget {
  const visible: VisibleSecrets = {
    namespace: 'company.team',
    backendType: 'vault',
    backendLabel: 'Vault',
    readOnly: kind === 'read-only',
    caseInsensitive: false,
    secrets: keys.map((key) => ({ key, inherited: false, shadows: [] })),
  };
  return { kind, label: 'Vault', visible };
}

function credential(suggestedKey: string, value: string) {
  return { suggestedKey, value: () => value };
}

describe('keys of moved credentials', () => {
  it('makes a proposal unique among the keys seen, whatever their case', () => {
    assert.equal(uniqueKey('DB_PASSWORD', new Set(['OTHER'])), 'DB_PASSWORD');
    assert.equal(uniqueKey('db_password', new Set(['DB_PASSWORD', 'DB_PASSWORD_2'])), 'db_password_3');
  });

  it('gives the same value one key and different values different keys', () => {
    const plan = planKeys([credential('TOKEN', 'a'), credential('TOKEN', 'b'), credential('PASSWORD', 'a')], target('store', ['TOKEN']));
    assert.deepEqual(
      plan.map((move) => move.key),
      ['TOKEN_2', 'TOKEN_3', 'TOKEN_2'],
    );
  });

  it('upper-cases keys for Kestra env secrets', () => {
    assert.deepEqual(
      planKeys([credential('apiToken', 'x')], target('env', [])).map((move) => move.key),
      ['APITOKEN'],
    );
    assert.equal(checkedKey(' token ', target('env', []), 'company.team'), 'TOKEN');
  });

  it('refuses a key taken for the namespace, or one secret() cannot name, with a reason', () => {
    assert.match(moveKeyProblem('TOKEN', target('store', ['TOKEN']), 'company.team') ?? '', /already exists for namespace company\.team/);
    assert.match(moveKeyProblem('token', target('env', ['TOKEN']), 'company.team') ?? '', /already exists/);
    assert.equal(moveKeyProblem('token', target('store', ['TOKEN']), 'company.team'), undefined);
    assert.ok(moveKeyProblem('two words', target('store', []), 'company.team'));
    assert.throws(() => checkedKey('a/b', target('store', []), 'company.team'), /A key is letters/);
  });
});
