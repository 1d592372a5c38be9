import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strictBase64Decode } from '../../../src/core/base64';
import { DotenvSyntaxError, formatDotenvValue, parseDotenv } from '../../../src/core/dotenv';
import { decodeEncodedEnv, encodeDotenv } from '../../../src/core/secretEnv';

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'dotenv');
const readFixture = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** What Docker Compose gives each variable of every-rule.env, worked out by hand from its documented rules. */
const COMPOSE_VALUES: Record<string, string> = {
  PLAIN: 'postgres',
  SPACES_AROUND: 'spaced value',
  EXPORTED: 'exported-value',
  EXPORTED_SPACES: 'spaced-export',
  INLINE_COMMENT: 'value',
  HASH_INSIDE: 'a#b',
  HASH_NO_SPACE: 'value# not a comment',
  TAB_BEFORE_HASH: 'value\t#only a space starts a comment',
  URL: 'https://example.com/path?a=1&b=2#frag',
  EQUALS_IN_VALUE: 'a=b==',
  EMPTY: '',
  EMPTY_DOUBLE: '',
  EMPTY_SINGLE: '',
  SINGLE: 'literal $HOME \\n # not a comment',
  SINGLE_ESCAPED_QUOTE: "Let's go!",
  SINGLE_MULTILINE: 'first\nsecond',
  DOUBLE: 'tab\there\nnewline "quoted" back\\slash',
  DOUBLE_OTHER_BACKSLASH: 'C:\\path\\dir',
  DOUBLE_HASH: 'VAL # not a comment',
  DOUBLE_THEN_COMMENT: 'VAL',
  SINGLE_THEN_COMMENT: 'VAL',
  DOUBLE_MULTILINE: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
  OCTAL: 'A',
  JSON: '{"user":"admin","password":"p@ss"}',
  JSON_DOUBLE: '{"hello": "json"}',
  DOLLAR_ESCAPED: 'pa$word',
  DOLLAR_LITERAL: 'cost$5',
  INTERPOLATED: 'postgres-db',
  INTERPOLATED_BARE: 'postgres',
  DEFAULT: 'fallback',
  DOUBLE_INTERPOLATED: 'user:postgres',
  DOUBLE_DOLLAR_ESCAPE: '$HOME',
  UNICODE: 'héllo wörld ✓ 日本',
  EMOJI: '🔑 key',
  YAML_STYLE: 'colon-value',
  'dotted.lower-case': 'mixed',
  DUPLICATE: 'second',
  LAST_LINE: 'no-newline',
};

function valuesOf(text: string, file = 'test.env'): Record<string, string> {
  const values: Record<string, string> = {};
  for (const entry of parseDotenv(text, file).entries) values[entry.key] = entry.value;
  return values;
}

function syntaxError(text: string): DotenvSyntaxError {
  try {
    parseDotenv(text, 'bad.env');
  } catch (error) {
    assert.ok(error instanceof DotenvSyntaxError, `expected DotenvSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a DotenvSyntaxError');
}

describe('parseDotenv (Docker Compose env_file syntax)', () => {
  it('gives every variable of the fixture the value Compose gives it', () => {
    const parsed = parseDotenv(readFixture('every-rule.env'), 'every-rule.env');
    const values: Record<string, string> = {};
    for (const entry of parsed.entries) values[entry.key] = entry.value;
    assert.deepEqual(values, COMPOSE_VALUES);
    assert.deepEqual(parsed.warnings, [
      "every-rule.env:45:1: warning: this line has no '=' (Docker Compose would take a variable of that name from its own environment); skipped",
    ]);
  });

  it('reads CRLF files, a multi-line quoted value keeping its CR as Compose does', () => {
    assert.deepEqual(valuesOf(readFixture('crlf.env')), {
      FIRST: 'one',
      SECOND: 'two',
      THIRD: 'three',
      MULTI: 'a\r\nb',
      LAST: 'last',
    });
  });

  it('strips a UTF-8 byte order mark', () => {
    assert.deepEqual(valuesOf('\ufeffA=1\n'), { A: '1' });
  });

  it('records 0-based positions of keys and values', () => {
    const [first, second, third] = parseDotenv('# c\nexport  KEY = "v"  # x\nB=\'multi\nline\'\nC=plain  \n').entries;
    assert.deepEqual(
      { line: first.line, column: first.column, keyEnd: first.keyEnd, valueLine: first.valueLine, valueColumn: first.valueColumn },
      { line: 1, column: 8, keyEnd: 11, valueLine: 1, valueColumn: 14 },
    );
    assert.deepEqual([first.valueEndLine, first.valueEndColumn], [1, 17]);
    assert.deepEqual([second.valueLine, second.valueColumn, second.valueEndLine, second.valueEndColumn], [2, 2, 3, 5]);
    assert.deepEqual([third.valueColumn, third.valueEndColumn], [2, 7]);
  });

  it('takes an unquoted value starting with # as the value, with a warning', () => {
    const parsed = parseDotenv('A= #not-a-comment\n', 'x.env');
    assert.equal(parsed.entries[0].value, '#not-a-comment');
    assert.match(parsed.warnings[0], /^x\.env:1:4: warning: the value starts with '#'/);
  });

  it('warns about unset variables and substitutes an empty string, as Compose does', () => {
    const parsed = parseDotenv('A=pa$word${other}\n', 'x.env');
    assert.equal(parsed.entries[0].value, 'pa');
    assert.equal(parsed.warnings.length, 1);
    assert.match(parsed.warnings[0], /^x\.env:1:3: warning: the value has a \$ followed by the name of a variable that is not set/);
    assert.ok(!parsed.warnings[0].includes('word'), 'the name may be part of the secret');
  });

  it('prefers the lookup environment over earlier variables, as compose-go does', () => {
    const parsed = parseDotenv('HOST=file\nURL=http://${HOST}\n', 'x.env', { lookup: (name) => (name === 'HOST' ? 'env' : undefined) });
    assert.equal(parsed.entries[1].value, 'http://env');
  });

  it('reports malformed lines with file, 1-based line and column, never the value', () => {
    const unclosed = syntaxError('A=1\nPASSWORD="hunter2\nB=2\n');
    assert.equal(unclosed.message, 'bad.env:2:10: unclosed double quote: the value starting here never ends');
    assert.deepEqual([unclosed.line, unclosed.column], [1, 9]);
    assert.ok(!unclosed.message.includes('hunter2'));
    assert.match(syntaxError("A='x").message, /^bad\.env:1:3: unclosed single quote/);
    assert.match(syntaxError('A="x" trailing\n').message, /^bad\.env:1:7: unexpected text after the closing quote/);
    assert.match(syntaxError('MY KEY=x\n').message, /^bad\.env:1:1: a variable name cannot contain spaces/);
    assert.match(syntaxError('A/B=x\n').message, /^bad\.env:1:2: unexpected character in a variable name/);
    assert.match(syntaxError('=x\n').message, /^bad\.env:1:1: missing variable name/);
    assert.match(syntaxError('A=${\n').message, /^bad\.env:1:3: invalid interpolation/);
    const required = syntaxError('A=${SECRETISH:?hint}\n');
    assert.match(required.message, /^bad\.env:1:3: the value has a \$\{NAME:\?…\}/);
    assert.ok(!required.message.includes('SECRETISH') && !required.message.includes('hint'));
    assert.match(syntaxError('just some words\n').message, /cannot contain spaces/);
  });
});

describe('encodeDotenv', () => {
  it('writes one SECRET_ line per variable, each decoding to the value Compose gives it', () => {
    const result = encodeDotenv(readFixture('every-rule.env'), { file: 'every-rule.env' });
    const lines = result.text.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(result.count, Object.keys(COMPOSE_VALUES).length);
    const decoded: Record<string, string> = {};
    for (const line of lines) {
      const match = /^SECRET_([^=]+)=([A-Za-z0-9+/=]*)$/.exec(line);
      assert.ok(match, line);
      decoded[match[1]] = strictBase64Decode(match[2])?.toString('utf8') ?? '<invalid>';
    }
    assert.deepEqual(decoded, COMPOSE_VALUES);
    assert.ok(
      result.warnings.some((warning) => /every-rule\.env:44:1: warning: DUPLICATE is defined again \(first on line 43\)/.test(warning)),
    );
  });

  it('keeps the key spelling and warns where keys collide once upper-cased', () => {
    const result = encodeDotenv('db_pass=a\nDB_PASS=b\n', { file: '.env' });
    assert.equal(result.text, 'SECRET_db_pass=YQ==\nSECRET_DB_PASS=Yg==\n');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0], /^\.env:2:1: warning: DB_PASS and db_pass \(line 1\) both become the Kestra secret 'DB_PASS'/);
  });

  it('warns about keys already starting with SECRET_ but keeps them', () => {
    const result = encodeDotenv('SECRET_X=1\n');
    assert.equal(result.text, 'SECRET_SECRET_X=MQ==\n');
    assert.match(result.warnings[0], /already starts with SECRET_/);
  });

  it('never wraps long values', () => {
    const result = encodeDotenv(`LONG=${'x'.repeat(1000)}`);
    assert.equal(result.text.split('\n').length, 2);
  });

  it('writes RAW values unencoded, quoted where Compose needs it, and refuses multi-line values', () => {
    assert.equal(
      encodeDotenv('A=plain\nB="has $dollar"\nC="a # b"\n', { raw: true }).text,
      "SECRET_A=plain\nSECRET_B='has '\nSECRET_C='a # b'\n",
    );
    assert.equal(encodeDotenv("B='has $dollar'\n", { raw: true }).text, "SECRET_B='has $dollar'\n");
    assert.throws(
      () => encodeDotenv('OK=1\nKEY="a\\nb"\n', { raw: true, file: 'r.env' }),
      (error: unknown) => error instanceof DotenvSyntaxError && /^r\.env:2:5: the value of KEY spans several lines/.test(error.message),
    );
  });

  it('returns an empty text for a file of comments', () => {
    assert.deepEqual(encodeDotenv('# only\n\n  # comments\n'), { text: '', count: 0, warnings: [] });
  });

  // A few ms on an idle machine (see `npm run bench`); the bound is loose because CI machines are shared.
  it('encodes a 10,000-line file in well under a second', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++)
      lines.push(i % 3 === 0 ? `KEY_${i}="value ${i} with \\"quotes\\""` : `KEY_${i}=value-${i}-${'x'.repeat(80)} # c`);
    const text = lines.join('\n');
    encodeDotenv(text);
    const started = performance.now();
    const result = encodeDotenv(text);
    const elapsed = performance.now() - started;
    assert.equal(result.count, 10_000);
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(1)} ms`);
  });
});

describe('decodeEncodedEnv', () => {
  it('decodes back to a .env that encodes to the same file', () => {
    const encoded = encodeDotenv(readFixture('every-rule.env')).text;
    const decoded = decodeEncodedEnv(encoded, { file: '.env_encoded' });
    assert.deepEqual(decoded.warnings, []);
    assert.equal(encodeDotenv(decoded.text).text, encoded);
    assert.deepEqual(valuesOf(decoded.text), COMPOSE_VALUES);
  });

  it('accepts quoted values and base64 wrapped over lines, as Kestra removes line breaks', () => {
    const decoded = decodeEncodedEnv('SECRET_A="aGVs\nbG8="\nSECRET_B=\'d29y\'\n');
    assert.equal(decoded.text, 'A=hello\nB=wor\n');
  });

  it('skips lines without the SECRET_ prefix with a warning', () => {
    const decoded = decodeEncodedEnv('OTHER=eA==\nsecret_low=eA==\nSECRET_=eA==\nSECRET_OK=eA==\n', { file: 'e' });
    assert.equal(decoded.text, 'OK=x\n');
    assert.equal(decoded.count, 1);
    assert.equal(decoded.warnings.length, 3);
    assert.match(decoded.warnings[0], /^e:1:1: warning: OTHER does not start with SECRET_/);
  });

  it('fails on invalid base64 at the value, without showing it', () => {
    assert.throws(
      () => decodeEncodedEnv('SECRET_OK=eA==\nSECRET_BAD=not base64!\n', { file: 'e' }),
      (error: unknown) =>
        error instanceof DotenvSyntaxError &&
        error.message ===
          'e:2:12: SECRET_BAD is not valid base64, so Kestra drops it: it is plain text that was never base64-encoded (character 4 is a space or tab; base64 must not contain blanks)',
    );
  });

  it('warns when the bytes are not UTF-8', () => {
    const decoded = decodeEncodedEnv('SECRET_BIN=/w==\n');
    assert.equal(decoded.text, 'BIN=\ufffd\n');
    assert.match(decoded.warnings[0], /does not decode to UTF-8/);
  });
});

describe('formatDotenvValue', () => {
  const samples = [
    '',
    'plain',
    'a b',
    ' lead',
    'trail ',
    'a #b',
    '#x',
    "'q'",
    '"dq"',
    '$x',
    'back\\slash',
    "it's $5",
    'a\nb',
    'c\r\nd',
    '\t',
    'x\\"y',
    'end\\',
    'ünï 😀',
    '\u2028',
    '\\0101',
  ];
  for (const value of samples) {
    it(`writes ${JSON.stringify(value)} so that Compose reads it back`, () => {
      const parsed = parseDotenv(`K=${formatDotenvValue(value)}\n`);
      assert.deepEqual(
        parsed.entries.map((entry) => entry.value),
        [value],
      );
      assert.deepEqual(parsed.warnings, []);
    });
  }

  it('leaves safe values unquoted', () => {
    assert.equal(formatDotenvValue('postgres://u@h:5432/db?x=1#f'), 'postgres://u@h:5432/db?x=1#f');
  });
});
