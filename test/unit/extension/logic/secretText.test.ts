/** What the Secrets view says about a secret: context values the menus match, descriptions, tags and escaped Markdown. */
import { strict as assert } from 'node:assert';
import { secretContextValue } from '../../../../src/extension/contributions';
import { escapeIconMarkdown, escapeMarkdown, secretDescription, userTags } from '../../../../src/extension/logic/secretText';

describe('secrets in the Secrets view', () => {
  it('gives read-only secrets a context value no write menu matches', () => {
    const writeMenu = /^secret\b.*\bwritable\b/;
    assert.equal(secretContextValue({ readOnly: true, canReveal: true }), 'secret.revealable');
    assert.equal(secretContextValue({ readOnly: true, canReveal: false }), 'secret');
    assert.ok(!writeMenu.test(secretContextValue({ readOnly: true, canReveal: true })));
    assert.ok(writeMenu.test(secretContextValue({ readOnly: false, canReveal: false })));
  });

  it('describes a secret by origin, user tags or source, and marks stale listings', () => {
    const base = { key: 'K', inherited: false, shadows: [] };
    assert.equal(secretDescription({ secret: { ...base, source: '.env_encoded:3' }, stale: false }), '.env_encoded:3');
    assert.equal(
      secretDescription({
        secret: { ...base, inherited: true, fromNamespace: 'a', tags: { namespace: 'a', key: 'K', env: 'prod' } },
        stale: true,
      }),
      'inherited from a · env=prod · (stale)',
    );
    assert.deepEqual(userTags({ namespace: 'a', key: 'K', prefix: 'kestra', tenant: 'main' }), undefined);
  });

  it('escapes Markdown in store-provided text', () => {
    assert.equal(escapeMarkdown('*bold* [link](x)'), '\\*bold\\* \\[link\\]\\(x\\)');
  });

  it('escapes $ where theme icons render, so store text cannot show an icon', () => {
    assert.equal(escapeIconMarkdown('$(key) a_b'), '\\$\\(key\\) a\\_b');
  });
});
