/**
 * Issue 13, finding 11 (and the Google half of finding 4): failures named for what they are. A missing
 * Google key file is one clear error, not an unhandled rejection; a Google error body without Google's
 * message is not printed as `{}`, and a body that is not JSON is not quoted.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendError } from '../../../src/core/store';
import { createGoogleBackend } from '../../../src/backends/google';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { testBackendContext } from '../recordingLogger';

const BODY_CANARY = 'CANARY-body-7f2e';

function googleConfig(google: SecretBackendConfig['google']): SecretBackendConfig {
  return {
    type: 'google-secret-manager',
    readOnly: true,
    tags: {},
    cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
    google,
  };
}

async function failure(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BackendError, String(error));
    return error;
  }
  return assert.fail('expected a failure');
}

describe('Google failures named properly', function () {
  this.timeout(30_000);
  const saved = process.env.METADATA_SERVER_DETECTION;
  before(() => {
    process.env.METADATA_SERVER_DETECTION = 'none';
  });
  after(() => {
    if (saved === undefined) delete process.env.METADATA_SERVER_DETECTION;
    else process.env.METADATA_SERVER_DETECTION = saved;
  });

  it('prevents a missing GOOGLE_APPLICATION_CREDENTIALS file from ending in an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const lines: string[] = [];
      const google = createGoogleBackend(
        googleConfig({ project: 'p', endpointOverride: 'http://127.0.0.1:9' }),
        testBackendContext(lines, { env: { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json', KESTRA_SECRETS_TIMEOUT_MS: '2000' } }),
      );
      const error = await failure(google.list('company.team'));
      assert.equal(error.kind, 'auth');
      assert.match(error.message, /GOOGLE_APPLICATION_CREDENTIALS: \/nonexistent\/key\.json cannot be read \(ENOENT\)\./);
      await new Promise((resolve) => setTimeout(resolve, 500));
      google.dispose();
      assert.deepEqual(unhandled, []);
    } finally {
      process.removeListener('unhandledRejection', record);
    }
  });

  for (const [status, body, expected] of [
    [400, '{}', /list failed: HTTP 400 without an explanation from the server\.$/],
    [500, '{}', /the service failed \(HTTP 500 without an explanation from the server\)/],
    [200, `not json ${BODY_CANARY}`, /list failed: the answer is not the JSON Google sends\.$/],
  ] as const) {
    it(`prevents ${status} with ${body.slice(0, 8)} from being printed as the body`, async () => {
      const server = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          const token = request.url?.startsWith('/token');
          response.writeHead(token ? 200 : status, { 'content-type': 'application/json' });
          response.end(token ? JSON.stringify({ access_token: 'test-access-token', expires_in: 3600, token_type: 'Bearer' }) : body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const key = {
          type: 'service_account',
          client_email: 'sa@p.iam.gserviceaccount.com',
          private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          token_uri: `${url}/token`,
        };
        const lines: string[] = [];
        const google = createGoogleBackend(
          googleConfig({ project: 'p', serviceAccount: JSON.stringify(key), endpointOverride: url }),
          testBackendContext(lines, {}, 3000),
        );
        const error = await failure(google.list('company.team'));
        assert.match(error.message, expected);
        assert.ok(!`${error.message}\n${lines.join('\n')}`.includes(BODY_CANARY), 'the body was quoted');
        google.dispose();
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  }
});
