/** References the editor writes (copy, insert, quick fixes) are ones the core Pebble scanner reads back. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { scanPebble } from '../../../../src/core/pebble';
import { insideExpression, pebbleString, secretReference } from '../../../../src/extension/logic/secretReferences';

describe('secret references the editor writes', () => {
  it('writes references the Pebble scanner reads back, for any key and field', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
        (key, subkey) => {
          fc.pre(!/[\\\n\r{}%#]/.test(key + (subkey ?? '')));
          const [call] = scanPebble(secretReference(key, subkey));
          assert.equal(call?.key?.value, key);
          assert.equal(call?.subkey?.value, subkey);
        },
      ),
    );
  });

  it('uses the plain single-quoted form when it can', () => {
    assert.equal(secretReference('DB_PASSWORD'), "{{ secret('DB_PASSWORD') }}");
    assert.equal(secretReference('DB', 'user'), "{{ secret('DB', subkey='user') }}");
    assert.equal(pebbleString("it's"), '"it\'s"');
  });

  it('inserts only the call inside an open {{', () => {
    assert.equal(insideExpression('message: "{{ '), true);
    assert.equal(insideExpression('message: "{{ a }} and '), false);
    assert.equal(insideExpression('message: '), false);
  });
});
