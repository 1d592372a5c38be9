import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeTextFile, decodeUtf8Strict, InvalidUtf8Error } from '../../../src/core/textDecoding';

function invalid(run: () => unknown): InvalidUtf8Error {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof InvalidUtf8Error, `expected an InvalidUtf8Error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an InvalidUtf8Error');
}

describe('strict text decoding', () => {
  it('refuses a Latin-1 byte instead of turning it into U+FFFD, at its line and column', () => {
    const error = invalid(() => decodeUtf8Strict(Buffer.from('A=1\nB=caf\xe9\n', 'latin1'), '.env'));
    assert.deepEqual([error.file, error.line, error.column], ['.env', 2, 6]);
    assert.match(error.message, /^\.env:2:6: not valid UTF-8 text/);
  });

  it('counts columns in characters and skips a literal U+FFFD before the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('é\uFFFDx', 'utf8'), Buffer.from([0xc3])]);
    const error = invalid(() => decodeUtf8Strict(bytes, 'f'));
    assert.deepEqual([error.line, error.column], [1, 4]);
  });

  it('never puts the offending bytes into the message', () => {
    const error = invalid(() => decodeUtf8Strict(Buffer.from('TOKEN=s3cr\xe9t', 'latin1'), '.env'));
    assert.doesNotMatch(error.message, /s3cr|\xe9|é/);
  });

  it('decodes a UTF-16 file with a byte order mark and says which encoding it was', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id: f\n', 'utf16le')]);
    assert.deepEqual(decodeTextFile(le, 'f.yml'), { text: 'id: f\n', utf16: 'utf-16le' });
    const be = Buffer.from(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('id: f\n', 'utf16le').swap16()]));
    assert.deepEqual(decodeTextFile(be, 'f.yml'), { text: 'id: f\n', utf16: 'utf-16be' });
  });

  it('fuzz: valid UTF-8 decodes unchanged, and any invalid input is an error, never replaced', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.equal(decodeUtf8Strict(Buffer.from(text, 'utf8'), 'f'), Buffer.from(text, 'utf8').toString('utf8'));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const valid = Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(Buffer.from(bytes));
        if (valid) assert.equal(decodeUtf8Strict(bytes, 'f'), Buffer.from(bytes).toString('utf8'));
        else assert.throws(() => decodeUtf8Strict(bytes, 'f'), InvalidUtf8Error);
      }),
    );
  });
});
