/** Commands read their target from a clicked view item, a plain `{ key, subkey? }` or the view's selection. */
import { strict as assert } from 'node:assert';
import type { VisibleSecret } from '../../../../src/core/catalogTypes';
import { referenceTarget, secretArgument, type SecretNode, type TreeSelection } from '../../../../src/extension/logic/treeNodes';

function secretNode(key: string): SecretNode {
  const secret: VisibleSecret = { key, inherited: false, shadows: [] };
  return { kind: 'secret', namespace: 'a', origin: 'a', secret, backendLabel: 'env', readOnly: false, canReveal: true, stale: false };
}

function selecting(node: SecretNode | undefined): TreeSelection {
  return { selectedSecret: () => node, selectedNamespace: () => node?.origin };
}

describe('Secrets view nodes as command arguments', () => {
  it('reads reference targets from tree nodes and plain arguments', () => {
    assert.deepEqual(referenceTarget({ key: 'K' }, undefined), { key: 'K', subkey: undefined });
    assert.deepEqual(referenceTarget({ key: 'K', subkey: 'f' }, undefined), { key: 'K', subkey: 'f' });
    assert.equal(referenceTarget(undefined, undefined), undefined);
  });

  it('takes a field node as its secret and field, and falls back to the selection', () => {
    const node = secretNode('DB');
    assert.deepEqual(referenceTarget({ kind: 'subkey', parent: node, field: 'user' }, undefined), { key: 'DB', subkey: 'user' });
    assert.deepEqual(referenceTarget(undefined, selecting(node)), { key: 'DB' });
    assert.equal(secretArgument({ kind: 'subkey', parent: node, field: 'user' }, undefined), node);
  });

  it('asks for a selection, in a sentence, when a secret command has no secret', () => {
    assert.throws(() => secretArgument(undefined, selecting(undefined)), /Select a secret in the Kestra Secrets view first\./);
  });
});
