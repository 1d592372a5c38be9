import { strict as assert } from 'node:assert';
import { backendForNamespace, parseConfigText } from '../../../src/core/config';

/** Issue 13, finding 11: namespaces are user input; Object.prototype's members must not answer for them. */
describe('namespaces named like Object.prototype members', () => {
  it('prevents `constructor` from routing to Object.prototype.constructor when it has no entry', () => {
    const config = parseConfigText('kestra:\n  secret:\n    type: env\n', { source: 'c.yml', env: {} });
    for (const namespace of ['constructor', 'tostring', 'constructor.sub']) {
      assert.equal(backendForNamespace(config, namespace).config.type, 'env', namespace);
      assert.equal(backendForNamespace(config, namespace).scope, undefined);
    }
  });

  it('routes a configured `constructor` namespace and its children to its own backend', () => {
    const text =
      'kestra:\n  secret:\n    type: env\nnamespaces:\n  constructor:\n    type: vault\n    vault:\n      address: http://127.0.0.1:8200\n      token:\n        token: t\n';
    const config = parseConfigText(text, { source: 'c.yml', env: {} });
    assert.deepEqual(Object.keys(config.namespaces), ['constructor']);
    assert.equal(backendForNamespace(config, 'constructor').config.type, 'vault');
    assert.equal(backendForNamespace(config, 'constructor.team').scope, 'constructor');
    assert.equal(backendForNamespace(config, 'other').config.type, 'env');
  });
});
