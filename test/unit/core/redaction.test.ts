/**
 * Issue 13 ("one place … that can't carry a value"): whatever code builds a message, a secret value the
 * process has seen never reaches a sink that passes through core/redaction.
 */
import { strict as assert } from 'node:assert';
import { encodeBase64 } from '../../../src/core/base64';
import { decodeEncodedEnv, encodeDotenv } from '../../../src/core/secretEnv';
import {
  forgetSecretValuesForTests,
  MIN_REDACTED_LENGTH,
  REDACTED,
  redact,
  redactingLogger,
  rememberSecretValue,
} from '../../../src/core/redaction';
import { analyzeFlow } from '../../../src/core/flow';

const CANARY = 'hunter2-CANARY-9f8e7d';

describe('redaction of remembered secret values', () => {
  beforeEach(forgetSecretValuesForTests);
  after(forgetSecretValuesForTests);

  it('prevents a remembered value, or its base64 spelling, from reaching a message', () => {
    rememberSecretValue(CANARY);
    assert.equal(redact(`failed near "${CANARY}"`), `failed near "${REDACTED}"`);
    assert.equal(redact(`SECRET_X=${encodeBase64(CANARY)}`), `SECRET_X=${REDACTED}`);
  });

  it('prevents one line of a multi-line value (a PEM key) from reaching a message', () => {
    rememberSecretValue('-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n');
    assert.ok(!redact('unexpected MIIEvQIBADANBgkqhkiG9w0BAQEFAASC at 3').includes('MIIEvQIBADANBgkq'));
  });

  it('replaces a value that contains another remembered value whole, not in pieces', () => {
    rememberSecretValue('abcdefgh');
    rememberSecretValue('xxabcdefghyy');
    assert.equal(redact('[xxabcdefghyy]'), `[${REDACTED}]`);
  });

  it('keeps ordinary words of a message: values shorter than the minimum are not redacted', () => {
    rememberSecretValue('true');
    rememberSecretValue('x'.repeat(MIN_REDACTED_LENGTH - 1));
    assert.equal(redact('read-only: true'), 'read-only: true');
  });

  it('leaves messages alone when no value was seen', () => {
    assert.equal(redact('nothing to hide'), 'nothing to hide');
  });

  it('remembers the values encode and decode handle, and the credentials found in flows', () => {
    encodeDotenv(`A=${CANARY}\n`);
    assert.equal(redact(CANARY), REDACTED);
    forgetSecretValuesForTests();
    decodeEncodedEnv(`SECRET_A=${encodeBase64(CANARY)}\n`);
    assert.equal(redact(`x ${CANARY} y`), `x ${REDACTED} y`);
    forgetSecretValuesForTests();
    const flow = `id: f\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    password: Sup3rS3cretPassw0rd!\n`;
    assert.ok((analyzeFlow(flow).hardcoded ?? []).length > 0, 'the flow has a hardcoded password');
    assert.equal(redact('Sup3rS3cretPassw0rd!'), REDACTED);
  });

  it('redacts every level of a logger', () => {
    rememberSecretValue(CANARY);
    const seen: string[] = [];
    const logger = redactingLogger({
      trace: (m) => seen.push(m),
      debug: (m) => seen.push(m),
      info: (m) => seen.push(m),
      warn: (m) => seen.push(m),
      error: (m) => seen.push(m),
    });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) logger[level](`${level}: ${CANARY}`);
    assert.equal(seen.length, 5);
    for (const message of seen) assert.ok(!message.includes(CANARY), message);
  });
});
