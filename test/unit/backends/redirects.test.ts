/**
 * A store that answers with a redirect to another origin must never get the credential sent there:
 * each backend talks to a loopback server that redirects every request (307, the status Vault uses
 * for standby nodes) to a second loopback server on another origin, which records what it receives.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAwsBackend } from '../../../src/backends/aws';
import { BackendError, type SecretBackend } from '../../../src/core/store';
import { createGoogleBackend } from '../../../src/backends/google';
import { createKestraServerBackend } from '../../../src/backends/kestraServer';
import { createVaultBackend } from '../../../src/backends/vault';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { startGoogleSecretManager, type GoogleFake } from '../../fakes/googleSecretManager';
import { testBackendContext } from '../recordingLogger';

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Loopback {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

async function listen(
  host: string,
  handler: (request: http.IncomingMessage, body: string, response: http.ServerResponse) => void,
): Promise<Loopback> {
  const requests: Recorded[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What an attacker-controlled origin would see: every header and body sent to it. */
function startElsewhere(): Promise<Loopback> {
  return listen('localhost', (_request, _body, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
}

function startRedirector(target: string, status = 307): Promise<Loopback> {
  return listen('127.0.0.1', (request, _body, response) => {
    response.writeHead(status, { location: `${target}${request.url ?? '/'}` });
    response.end();
  });
}

const CANARY_TOKEN = 'CANARY-redirect-token-9d3f';

function assertNothingSent(elsewhere: Loopback, secrets: string[]): void {
  const seen = JSON.stringify(elsewhere.requests);
  for (const secret of secrets) assert.ok(!seen.includes(secret), `a credential reached the other origin: ${seen.slice(0, 300)}`);
  for (const request of elsewhere.requests) {
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['x-vault-token'], undefined);
  }
}

async function expectFailure(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BackendError, `expected a BackendError, got ${String(error)}`);
    return error;
  }
  return assert.fail('expected the call to fail');
}

function baseConfig(overrides: Partial<SecretBackendConfig>): SecretBackendConfig {
  return {
    type: 'env',
    readOnly: true,
    tags: {},
    cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
    ...overrides,
  } as SecretBackendConfig;
}

describe('no credential on a cross-origin redirect', () => {
  let elsewhere: Loopback;
  let redirector: Loopback;
  let lines: string[];
  const backends: SecretBackend[] = [];

  beforeEach(async () => {
    elsewhere = await startElsewhere();
    redirector = await startRedirector(elsewhere.url);
    lines = [];
  });
  afterEach(async () => {
    for (const backend of backends.splice(0)) backend.dispose();
    await redirector.close();
    await elsewhere.close();
    assert.ok(!lines.join('\n').includes(CANARY_TOKEN), 'the token reached a log line');
  });

  for (const status of [307, 302]) {
    it(`Vault: prevents X-Vault-Token from following a ${status} to another origin`, async () => {
      await redirector.close();
      redirector = await startRedirector(elsewhere.url, status);
      const vault = createVaultBackend(
        baseConfig({
          type: 'vault',
          vault: { address: redirector.url, rootEngine: 'secret', engineVersion: 2, token: { token: CANARY_TOKEN } },
        }),
        testBackendContext(lines),
      );
      backends.push(vault);
      const error = await expectFailure(vault.reveal('company.team', 'DB_PASSWORD'));
      assert.match(error.message, /redirect/i);
      assert.ok(!error.message.includes(CANARY_TOKEN));
      assertNothingSent(elsewhere, [CANARY_TOKEN]);
      assert.ok(redirector.requests.length > 0);
    });
  }

  it('Kestra server: prevents the Bearer token from following a redirect to another origin', async () => {
    const server = createKestraServerBackend(
      { ...baseConfig({}), server: { url: redirector.url, tenant: 'main' } },
      testBackendContext(lines, { credentials: { token: CANARY_TOKEN } }),
      { timeoutMs: 2000, attempts: 1, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined },
    );
    backends.push(server);
    const error = await expectFailure(server.list('company.team'));
    assert.match(error.message, /redirect/i);
    assertNothingSent(elsewhere, [CANARY_TOKEN]);
  });

  it('Kestra server: prevents basic-auth credentials from following a redirect to another origin', async () => {
    const server = createKestraServerBackend(
      { ...baseConfig({}), server: { url: redirector.url, tenant: 'main' } },
      testBackendContext(lines, { credentials: { username: 'admin@kestra.io', password: CANARY_TOKEN } }),
      { timeoutMs: 2000, attempts: 1, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined },
    );
    backends.push(server);
    await expectFailure(server.list('company.team'));
    assertNothingSent(elsewhere, [CANARY_TOKEN, Buffer.from(`admin@kestra.io:${CANARY_TOKEN}`).toString('base64')]);
  });

  it('AWS: prevents the signed request from following a redirect, and names the redirect', async () => {
    const aws = createAwsBackend(
      baseConfig({
        type: 'aws-secret-manager',
        aws: { region: 'us-east-1', endpointOverride: redirector.url, accessKeyId: 'AKIAREDIRECTTEST', secretKeyId: CANARY_TOKEN },
      }),
      testBackendContext(lines, { env: { AWS_EC2_METADATA_DISABLED: 'true', KESTRA_SECRETS_TIMEOUT_MS: '2000' } }),
    );
    backends.push(aws);
    const error = await expectFailure(aws.list('company.team'));
    assert.match(error.message, /redirect/i);
    assert.doesNotMatch(error.message, /UnknownError/);
    assertNothingSent(elsewhere, [CANARY_TOKEN, 'AKIAREDIRECTTEST']);
  });

  describe('Google', () => {
    let fake: GoogleFake;
    const savedDetection = process.env.METADATA_SERVER_DETECTION;
    before(() => {
      process.env.METADATA_SERVER_DETECTION = 'none';
    });
    after(() => {
      if (savedDetection === undefined) delete process.env.METADATA_SERVER_DETECTION;
      else process.env.METADATA_SERVER_DETECTION = savedDetection;
    });
    beforeEach(async () => {
      fake = await startGoogleSecretManager({ maxPageSize: 100 });
    });
    afterEach(() => fake.close());

    it('prevents the service-account token from following a redirect to another origin', async () => {
      const key = JSON.parse(fake.serviceAccountKey()) as Record<string, string>;
      const google = createGoogleBackend(
        baseConfig({
          type: 'google-secret-manager',
          google: { project: fake.project, serviceAccount: JSON.stringify(key), endpointOverride: redirector.url },
        }),
        testBackendContext(lines, {}, 3000),
      );
      backends.push(google);
      const error = await expectFailure(google.list('company.team'));
      assert.match(error.message, /redirect/i);
      assert.doesNotMatch(error.message, /\{\}/);
      const tokens = fake.requests.length;
      assert.ok(tokens >= 0);
      assertNothingSent(elsewhere, [key.private_key.slice(40, 80)]);
    });
  });
});
