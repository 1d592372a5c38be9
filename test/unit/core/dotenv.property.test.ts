import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { encodeBase64, strictBase64Decode } from '../../../src/core/base64';
import { DotenvSyntaxError, formatDotenvValue, parseDotenv } from '../../../src/core/dotenv';
import { decodeEncodedEnv, encodeDotenv } from '../../../src/core/secretEnv';

const keyArbitrary = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/);

/** Keys distinct once upper-cased, so Kestra would accept them all. */
const secretsArbitrary = fc.uniqueArray(fc.tuple(keyArbitrary, fc.string({ unit: 'binary', maxLength: 30 })), {
  selector: ([key]) => key.toUpperCase(),
  maxLength: 8,
});

const encodedFile = (secrets: [string, string][]) => secrets.map(([key, value]) => `SECRET_${key}=${encodeBase64(value)}\n`).join('');

/** Text biased towards the characters the parser cares about. */
const dotenvishText = fc
  .array(
    fc.oneof(
      fc.constantFrom('=', '"', "'", '\\', '#', ' ', '\n', '\r\n', '\t', '$', '{', '}', ':-', 'export ', 'KEY', ':', '\u2028', '\ufeff'),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('.env codec properties (fast-check)', () => {
  it('decode → encode → decode reproduces every secret exactly', () => {
    fc.assert(
      fc.property(secretsArbitrary, (secrets) => {
        const encoded = encodedFile(secrets);
        const decoded = decodeEncodedEnv(encoded);
        assert.deepEqual(decoded.warnings, []);
        const reencoded = encodeDotenv(decoded.text);
        assert.deepEqual(reencoded.warnings, []);
        assert.equal(reencoded.text, encoded);
        assert.equal(decodeEncodedEnv(reencoded.text).text, decoded.text);
      }),
      { numRuns: 300 },
    );
  });

  it('formatDotenvValue spells every value so that the parser reads it back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const entries = parseDotenv(`K=${formatDotenvValue(value)}\n# next\nN=1`).entries;
        assert.deepEqual(
          entries.map((entry) => [entry.key, entry.value]),
          [
            ['K', value],
            ['N', '1'],
          ],
        );
      }),
      { numRuns: 500 },
    );
  });

  it('every encoded line strict-base64-decodes to the parsed value', () => {
    fc.assert(
      fc.property(secretsArbitrary, (secrets) => {
        const dotenv = secrets.map(([key, value]) => `${key}=${formatDotenvValue(value)}`).join('\r\n');
        const lines = encodeDotenv(dotenv).text.split('\n').filter(Boolean);
        assert.equal(lines.length, secrets.length);
        lines.forEach((line, index) => {
          const [key, value] = secrets[index];
          assert.ok(line.startsWith(`SECRET_${key}=`));
          assert.equal(strictBase64Decode(line.slice(`SECRET_${key}=`.length))?.toString('utf8'), value);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('parse, encode and decode throw nothing but DotenvSyntaxError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(dotenvishText, fc.string({ unit: 'binary' })), (text) => {
        for (const run of [
          () => parseDotenv(text),
          () => encodeDotenv(text),
          () => encodeDotenv(text, { raw: true }),
          () => decodeEncodedEnv(text),
        ]) {
          try {
            run();
          } catch (error) {
            if (!(error instanceof DotenvSyntaxError)) throw error;
            assert.ok(error.line >= 0 && error.column >= 0);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
