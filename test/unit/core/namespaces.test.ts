import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { isValidNamespace, namespaceChain } from '../../../src/core/namespaces';

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/);
const namespace = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));

describe('namespaces', () => {
  it('lists a namespace then its parents, nearest first', () => {
    assert.deepEqual(namespaceChain('company.team.sub'), ['company.team.sub', 'company.team', 'company']);
    assert.deepEqual(namespaceChain('company'), ['company']);
    assert.deepEqual(namespaceChain(''), []);
  });

  it('chain: every element is an ancestor of the namespace, each one segment shorter', () => {
    fc.assert(
      fc.property(namespace, (ns) => {
        const chain = namespaceChain(ns);
        assert.equal(chain.length, ns.split('.').length);
        assert.equal(chain[0], ns);
        chain.forEach((ancestor, index) => {
          assert.ok(ns === ancestor || ns.startsWith(`${ancestor}.`), `${ancestor} is not ${ns} or one of its parents`);
          assert.equal(ancestor.split('.').length, chain.length - index);
        });
      }),
    );
  });

  it("validates namespaces with Kestra's rule", () => {
    for (const ok of ['company', 'company.team', 'a1.b-c.d_e', '0abc']) assert.ok(isValidNamespace(ok), ok);
    for (const bad of ['', 'Company', '.a', '-a', '_a', 'a b', 'a/b', 'é', 'a'.repeat(151)]) assert.ok(!isValidNamespace(bad), bad);
    assert.ok(isValidNamespace('a'.repeat(150)));
  });

  it('generated namespaces are valid', () => {
    fc.assert(fc.property(namespace, (ns) => ns.length > 150 || isValidNamespace(ns)));
  });
});
