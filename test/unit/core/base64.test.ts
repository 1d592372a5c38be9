import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { encodeBase64, explainBase64Error, removeJavaLineBreaks, strictBase64Decode } from '../../../src/core/base64';

const decodedText = (text: string) => strictBase64Decode(text)?.toString('utf8');

describe('base64 (Java Base64.getDecoder semantics)', () => {
  it('decodes padded and unpadded final units', () => {
    assert.equal(decodedText('aGVsbG8='), 'hello');
    assert.equal(decodedText('aGVsbG8'), 'hello');
    assert.equal(decodedText('aGk='), 'hi');
    assert.equal(decodedText('aA=='), 'h');
    assert.equal(decodedText('aA'), 'h');
    assert.equal(decodedText(''), '');
  });

  it('accepts + and / and non-zero trailing bits, as Java does', () => {
    assert.deepEqual([...(strictBase64Decode('+/+/') ?? [])], [0xfb, 0xff, 0xbf]);
    assert.equal(decodedText('aB=='), 'h');
  });

  it('rejects characters outside the RFC 4648 alphabet, blanks included', () => {
    for (const bad of ['aGVs bG8=', ' aGk=', 'aGk= ', 'aGk=\n', 'a-_b', 'aGk*', '"aGk="', 'aGk\t']) {
      assert.equal(strictBase64Decode(bad), undefined, JSON.stringify(bad));
    }
  });

  it('rejects wrong padding and data after padding', () => {
    for (const bad of ['=', '==', 'a', 'aGVsb', 'aA=', 'aGk==', 'aGVsbG8==', 'aGVs=', 'aA==aA==', 'aGk=x']) {
      assert.equal(strictBase64Decode(bad), undefined, bad);
    }
  });

  it('explains failures without quoting the value', () => {
    assert.match(explainBase64Error('abc-') ?? '', /character 4 is URL-safe/);
    assert.match(explainBase64Error('ab cd') ?? '', /character 3 is a space/);
    assert.match(explainBase64Error('aA=') ?? '', /padding/);
    assert.match(explainBase64Error('aGVsb') ?? '', /single character/);
    assert.equal(explainBase64Error('aGk='), undefined);
    const secret = 'hunter2!';
    assert.ok(!(explainBase64Error(secret) ?? '').includes(secret));
  });

  it('removes every Java \\R line break, nothing else', () => {
    assert.equal(removeJavaLineBreaks('a\r\nb\nc\rd\u000be\u000cf\u0085g\u2028h\u2029i'), 'abcdefghi');
    assert.equal(removeJavaLineBreaks(' a\tb '), ' a\tb ');
  });

  it('encodes UTF-8 without wrapping and round-trips any string', () => {
    assert.equal(encodeBase64('é'), 'w6k=');
    assert.ok(!encodeBase64('x'.repeat(500)).includes('\n'));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        assert.equal(decodedText(encodeBase64(value)), value);
      }),
    );
  });

  it('agrees with Node on every valid padded input and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        assert.deepEqual(strictBase64Decode(text), Buffer.from(bytes));
        assert.deepEqual(strictBase64Decode(text.replace(/=+$/, '')), Buffer.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (text) => {
        const decoded = strictBase64Decode(text);
        assert.equal(decoded === undefined, explainBase64Error(text) !== undefined);
      }),
    );
  });
});
