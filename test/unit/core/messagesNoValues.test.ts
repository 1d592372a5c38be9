/**
 * Issue 13, finding 4: a value never reaches a message. Configuration errors don't show what a `${ENV}`
 * placeholder resolved to, encode and decode don't echo a line's content, and store errors don't quote
 * a response body.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAwsBackend } from '../../../src/backends/aws';
import { withoutResponseBody } from '../../../src/backends/common';
import { parseConfigText } from '../../../src/core/config';
import { decodeEncodedEnv, encodeDotenv } from '../../../src/core/secretEnv';
import { testBackendContext } from '../recordingLogger';

const CANARY = 'wJalrXUtnFEMI-CANARY-K7MDENG';

describe('no value in messages (issue 13, finding 4)', () => {
  for (const field of [
    'read-only: "${AWS_SECRET_ACCESS_KEY}"',
    'cache:\n      enabled: true\n      maximum-size: "${AWS_SECRET_ACCESS_KEY}"',
    'cache:\n      enabled: true\n      expire-after-write: "${AWS_SECRET_ACCESS_KEY}"',
  ]) {
    it(`prevents a configuration error from printing a resolved placeholder (${field.split(':')[0]})`, () => {
      const text = `kestra:\n  secret:\n    type: env\n    ${field}\n`;
      assert.throws(
        () => parseConfigText(text, { source: 'c.yml', env: { AWS_SECRET_ACCESS_KEY: CANARY } }),
        (error: Error) => {
          assert.ok(!error.message.includes(CANARY), error.message);
          assert.ok(!error.message.includes(CANARY.slice(0, 12)), error.message);
          assert.match(error.message, /placeholder resolved to something else \(the value is not shown\)/);
          return true;
        },
      );
    });
  }

  it('still shows a wrong value that was written literally', () => {
    assert.throws(
      () => parseConfigText('kestra:\n  secret:\n    type: env\n    read-only: maybe\n', { source: 'c.yml', env: {} }),
      /got "maybe"/,
    );
  });

  it('prevents encode from echoing a line without =, however long', () => {
    const line = `${CANARY}${'x'.repeat(1_000_000)}`;
    const result = encodeDotenv(`A=1\n${line}\n`, { file: '.env' });
    const warnings = result.warnings.join('\n');
    assert.ok(!warnings.includes(CANARY));
    assert.ok(warnings.length < 300, `${warnings.length} characters of warnings`);
    assert.match(warnings, /^\.env:2:1: warning: this line has no '='/);
  });

  it('prevents decode of a wrapped encoded file from printing part of the base64 value', () => {
    const encoded = Buffer.from(`${CANARY}-and-more-secret-text-to-wrap`).toString('base64');
    const wrapped = `SECRET_A=${encoded.slice(0, 20)}\n${encoded.slice(20)}\n`;
    const result = decodeEncodedEnv(wrapped, { file: '.env_encoded' });
    const warnings = result.warnings.join('\n');
    assert.ok(!warnings.includes(encoded.slice(20)), warnings);
    assert.ok(!warnings.includes(encoded.slice(20, 40)), warnings);
  });

  it('prevents an SDK parse error from quoting the response body (Azure shape)', () => {
    const sdkMessage = `Error "Unexpected end of JSON input" occurred while parsing the response body - {"value":"${CANARY}","id":"https://v.vault.azure.net/secrets/db`;
    const detail = withoutResponseBody(sdkMessage, 'Key Vault');
    assert.equal(detail, 'the answer is not the JSON Key Vault sends (its content is not shown)');
    assert.equal(withoutResponseBody('access denied', 'Key Vault'), 'access denied');
  });

  it('prevents an AWS answer that is not JSON from being quoted', async () => {
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(`{"SecretList": [{"Name": "${CANARY}"`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const lines: string[] = [];
      const aws = createAwsBackend(
        {
          type: 'aws-secret-manager',
          readOnly: true,
          tags: {},
          cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
          aws: { region: 'us-east-1', endpointOverride: url, accessKeyId: 'AKIATEST', secretKeyId: 'secret' },
        },
        testBackendContext(lines, { env: { AWS_EC2_METADATA_DISABLED: 'true', KESTRA_SECRETS_TIMEOUT_MS: '3000' } }),
      );
      await assert.rejects(aws.list('company.team'), (error: Error) => {
        assert.ok(!error.message.includes(CANARY), error.message);
        assert.match(error.message, /is not the JSON AWS sends/);
        return true;
      });
      assert.ok(!lines.join('\n').includes(CANARY));
      aws.dispose();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
