/**
 * A store that answers with a redirect to another origin must never get the credential sent there:
 * each backend talks to a loopback server that redirects every request (307, the status Vault uses
 * for standby nodes) to a second loopback server on another origin, which records what it receives.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAwsBackend } from '../../../src/backends/aws';
import { BackendError, type SecretBackend } from '../../../src/core/store';
import { createGoogleBackend } from '../../../src/backends/google';
import { createKestraServerBackend } from '../../../src/backends/kestraServer';
import { createVaultBackend } from '../../../src/backends/vault';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { startAzureKeyVault, type AzureFake } from '../../fakes/azureKeyVault';
import { startGoogleSecretManager, type GoogleFake } from '../../fakes/googleSecretManager';
import { createTestCertificate, startBackendHost, type BackendHost, type TestCertificate } from '../../fakes/tls';
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
  tls?: { cert: string; key: string },
): Promise<Loopback> {
  const requests: Recorded[] = [];
  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, body, response);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What an attacker-controlled origin would see: every header and body sent to it. */
function startElsewhere(host = 'localhost', body = '{}', tls?: { cert: string; key: string }): Promise<Loopback> {
  return listen(
    host,
    (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    },
    tls,
  );
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

  describe('Azure Key Vault', function () {
    this.timeout(60000);
    const CLIENT_SECRET = 'CANARY-azure-client-secret-51c7';
    let cert: TestCertificate;
    let vault: AzureFake;
    let azureElsewhere: Loopback;
    let host: BackendHost;

    // The vault is the loopback Key Vault reached as redirecting.vault.azure.net through its CONNECT proxy
    // (the SDK's challenge check wants a vault host); it answers the unauthenticated first request with the
    // real bearer challenge and every authenticated one with a 307 to https://127.0.0.1:<port> (the proxy
    // tunnels to that port as it is), which records every request and would answer like an empty vault.
    before(async () => {
      cert = createTestCertificate(['*.vault.azure.net', 'login.microsoftonline.com', 'localhost', '127.0.0.1']);
      vault = await startAzureKeyVault({ cert: cert.cert, key: cert.key });
      vault.apps.set('redirect-app', CLIENT_SECRET);
      host = await startBackendHost(cert.certFile, {
        HTTPS_PROXY: vault.proxyUrl,
        https_proxy: vault.proxyUrl,
        NO_PROXY: '',
        no_proxy: '',
        KESTRA_SECRETS_TIMEOUT_MS: '3000',
      });
    });
    after(async () => {
      await host?.close();
      await vault?.close();
      cert?.remove();
    });
    beforeEach(async () => {
      azureElsewhere = await startElsewhere('127.0.0.1', '{"value":[],"nextLink":null}', cert);
      vault.redirectAuthenticatedTo = azureElsewhere.url;
    });
    afterEach(() => azureElsewhere.close());

    it('prevents the bearer token from following a redirect to another origin, and names the redirect', async () => {
      const config = baseConfig({
        type: 'azure-key-vault',
        azure: {
          keyVaultUri: 'https://redirecting.vault.azure.net',
          clientSecret: { tenantId: vault.tenantId, clientId: 'redirect-app', clientSecret: CLIENT_SECRET },
        },
      });
      const handle = await host.create('src/backends/azure.ts', 'createAzureBackend', config, { tenant: 'main' });
      const result = await host.invoke(handle, 'list', ['company.team']);
      assert.ok(!result.ok, 'the listing succeeded, so the redirect was followed');
      assert.equal(result.error.kind, 'config');
      assert.match(result.error.message, /answered with a redirect \(HTTP 307\), which is never followed\./);
      const credentials = [CLIENT_SECRET, ...vault.tokens];
      assert.ok(vault.tokens.size > 0, 'no token was issued');
      assert.ok(
        vault.requests.some((request) => !request.authorized) && vault.requests.some((request) => request.authorized),
        'the vault never saw the challenge and then an authenticated request',
      );
      assert.deepEqual(azureElsewhere.requests, [], 'a request followed the redirect to the other origin');
      assertNothingSent(azureElsewhere, credentials);
      const logged = JSON.stringify([result.error, await host.logs(handle)]);
      for (const credential of credentials) assert.ok(!logged.includes(credential), 'a credential reached the message or a log line');
    });
  });
});
