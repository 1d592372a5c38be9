import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as tls from 'node:tls';
import type { AccessToken, GetTokenOptions } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { startAzureKeyVault, type AzureFake } from './azureKeyVault';
import { createTestCertificate, type TestCertificate } from './tls';

describe('fake Azure Key Vault, driven by the official SDK', function () {
  this.timeout(30000);
  let cert: TestCertificate;
  let fake: AzureFake;
  const token = 'sdk-test-token';
  const tokenRequests: { scopes: string[]; tenantId?: string }[] = [];

  const credential = {
    getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> => {
      tokenRequests.push({ scopes: ([] as string[]).concat(scopes), tenantId: options?.tenantId });
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };

  // The SDK reaches the TLS server directly here (localhost), so the challenge's resource can't match the
  // host: verification is switched off in this test of the fake only. The backend tests keep it on.
  const client = (retries = 3) =>
    new SecretClient(fake.directUrl, credential, {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: cert.cert },
      retryOptions: { maxRetries: retries, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    });

  before(() => {
    cert = createTestCertificate(['localhost', '*.vault.azure.net', 'login.microsoftonline.com', '127.0.0.1']);
  });
  after(() => cert.remove());
  beforeEach(async () => {
    fake = await startAzureKeyVault({ cert: cert.cert, key: cert.key, tenantId: 'tenant-1' });
    fake.tokens.add(token);
    tokenRequests.length = 0;
  });
  afterEach(() => fake.close());

  it('challenges the first request and accepts the token the SDK then gets for vault.azure.net', async () => {
    fake.addSecret('one', { value: 'v', tags: { namespace: 'ns' } });
    const secret = await client().getSecret('one');
    assert.equal(secret.value, 'v');
    assert.equal(fake.requests[0]?.authorized, false);
    assert.equal(fake.requests[1]?.authorized, true);
    assert.deepEqual(tokenRequests[0], { scopes: ['https://vault.azure.net/.default'], tenantId: 'tenant-1' });
  });

  it('pages listPropertiesOfSecrets with nextLink and returns tags, never values', async () => {
    for (let i = 0; i < 60; i++) fake.addSecret(`s-${String(i).padStart(2, '0')}`, { value: `value-${i}`, tags: { key: `K${i}` } });
    const pages: number[] = [];
    const names: string[] = [];
    for await (const page of client().listPropertiesOfSecrets().byPage({ maxPageSize: 25 })) {
      pages.push(page.length);
      for (const properties of page) {
        names.push(properties.name);
        assert.equal((properties as { value?: string }).value, undefined);
      }
    }
    assert.deepEqual(pages, [25, 25, 10]);
    assert.equal(names.length, 60);
    assert.equal(names[0], 's-00');
  });

  it('sets versions with tags, updates properties, deletes through the poller, and counts writes', async () => {
    const sdk = client();
    await sdk.setSecret('db', 'first', { tags: { namespace: 'ns', key: 'DB' } });
    const second = await sdk.setSecret('db', 'second', { tags: { namespace: 'ns', key: 'DB', v: '2' } });
    assert.equal((await sdk.getSecret('db')).value, 'second');
    assert.equal(fake.secrets.get('db')?.versions.length, 2);
    await sdk.updateSecretProperties('db', second.properties.version!, { tags: { changed: 'yes' } });
    assert.deepEqual((await sdk.getSecret('db')).properties.tags, { changed: 'yes' });
    const poller = await sdk.beginDeleteSecret('db', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.name, 'db');
    assert.equal((await sdk.getDeletedSecret('db')).name, 'db');
    await sdk.purgeDeletedSecret('db');
    assert.equal(fake.secrets.size, 0);
    assert.equal(fake.writeRequests(), 5);
  });

  it('answers Key Vault errors: SecretNotFound, invalid names, a token it does not know', async () => {
    await assert.rejects(
      client().getSecret('missing'),
      (error: { statusCode?: number; code?: string }) => error.statusCode === 404 && error.code === 'SecretNotFound',
    );
    await assert.rejects(client().setSecret('bad_name', 'x'), (error: { statusCode?: number }) => error.statusCode === 400);
    fake.tokens.delete(token);
    await assert.rejects(client().getSecret('missing'), (error: { statusCode?: number }) => error.statusCode === 401);
  });

  it('throttles with 429 + Retry-After, which the SDK honours and retries', async () => {
    fake.addSecret('one', { value: 'v' });
    fake.inject({ kind: 'status', status: 429, count: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    assert.equal((await client().getSecret('one')).value, 'v');
    assert.ok(Date.now() - started >= 900, 'Retry-After was not honoured');
    fake.inject({ kind: 'status', status: 503, count: 5 });
    await assert.rejects(client(1).getSecret('one'), (error: { statusCode?: number }) => error.statusCode === 503);
  });

  it('tunnels CONNECT to vault hosts into its TLS server and refuses any other host', async () => {
    const proxy = new URL(fake.proxyUrl);
    const connect = (target: string) =>
      new Promise<{ status: number; socket: import('node:net').Socket }>((resolve, reject) => {
        const request = http.request({ host: proxy.hostname, port: Number(proxy.port), method: 'CONNECT', path: `${target}:443` });
        request.on('connect', (response, socket) => resolve({ status: response.statusCode ?? 0, socket }));
        request.on('error', reject);
        request.end();
      });
    const refused = await connect('example.com');
    assert.equal(refused.status, 403);
    refused.socket.destroy();

    const tunnel = await connect('kestra-test.vault.azure.net');
    assert.equal(tunnel.status, 200);
    const secure = tls.connect({ socket: tunnel.socket, servername: 'kestra-test.vault.azure.net', ca: cert.cert });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      secure.on('data', (chunk: Buffer) => (text += chunk.toString()));
      secure.on('end', () => resolve(text));
      secure.write('GET /secrets?api-version=7.6 HTTP/1.1\r\nHost: kestra-test.vault.azure.net\r\nConnection: close\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 401/);
    assert.match(
      answer,
      /www-authenticate: Bearer authorization="https:\/\/login\.microsoftonline\.com\/tenant-1", resource="https:\/\/vault\.azure\.net"/i,
    );
    assert.equal(fake.requests.at(-1)?.host, 'kestra-test.vault.azure.net');
  });
});
