/**
 * The Azure backend runs in a child process (test/fakes/tls.ts) because the only product-free way to
 * trust the fake's certificate is NODE_EXTRA_CA_CERTS, read when Node starts. The child reaches
 * `kestra-test.vault.azure.net` through HTTPS_PROXY (the fake's CONNECT proxy, loopback only) and gets its
 * token from the `az` stand-in (AZURE_TOKEN_CREDENTIALS=AzureCliCredential) or from the fake's Entra
 * token endpoint (client-secret).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { startAzureKeyVault, type AzureFake } from '../../fakes/azureKeyVault';
import { createTestCertificate, runCli, startBackendHost, type BackendHost, type HostResult, type TestCertificate } from '../../fakes/tls';

const CANARY = 'CANARY-2b81e4-never-show-me';
const AZ_TOKEN = 'az-cli-token-for-tests';
const VAULT = 'kestra-test';
const BACKEND_MODULE = 'src/backends/azure.ts';
const BIN = path.resolve(__dirname, '..', '..', 'fixtures', 'bin');

interface Failure {
  name: string;
  kind?: string;
  message: string;
  hint?: string;
}

describe('Azure Key Vault backend against the loopback HTTPS fake', function () {
  this.timeout(60000);
  let cert: TestCertificate;
  let fake: AzureFake;
  let host: BackendHost;
  const handles: number[] = [];

  function childEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      HTTPS_PROXY: fake.proxyUrl,
      https_proxy: fake.proxyUrl,
      NO_PROXY: '',
      no_proxy: '',
      PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}`,
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      KESTRA_TEST_AZ_TOKEN: AZ_TOKEN,
      KESTRA_SECRETS_TIMEOUT_MS: '3000',
      ...extra,
    };
  }

  before(async () => {
    cert = createTestCertificate(['*.vault.azure.net', 'login.microsoftonline.com', 'localhost', '127.0.0.1']);
    fake = await startAzureKeyVault({ cert: cert.cert, key: cert.key });
    fake.tokens.add(AZ_TOKEN);
    host = await startBackendHost(cert.certFile, childEnv());
  });

  after(async () => {
    await host?.close();
    await fake?.close();
    cert?.remove();
  });

  beforeEach(() => fake.reset());

  afterEach(async () => {
    for (const handle of handles.splice(0)) {
      const lines = (await host.logs(handle)).join('\n');
      assert.ok(!lines.includes(CANARY), 'the canary value reached a log line');
    }
  });

  function config(
    overrides: Partial<SecretBackendConfig> = {},
    azure: NonNullable<SecretBackendConfig['azure']> = { vaultName: VAULT },
  ): SecretBackendConfig {
    return {
      type: 'azure-key-vault',
      readOnly: true,
      tags: {},
      cache: { enabled: false, maximumSize: 1000, expireAfterWriteMs: 0 },
      azure,
      ...overrides,
    };
  }

  async function backend(cfg: SecretBackendConfig, context: Record<string, unknown> = {}, on: BackendHost = host) {
    const handle = await on.create(BACKEND_MODULE, 'createAzureBackend', cfg, { tenant: 'main', ...context });
    if (on === host) handles.push(handle);
    const call = (method: string, ...args: unknown[]) => on.invoke(handle, method, args);
    const value = async <T>(method: string, ...args: unknown[]): Promise<T> => {
      const result = await call(method, ...args);
      if (!result.ok) assert.fail(`${method} failed: ${result.error.message}`);
      assertNoCanary(result);
      return result.value as T;
    };
    const failure = async (method: string, ...args: unknown[]): Promise<Failure> => {
      const result: HostResult = await call(method, ...args);
      if (result.ok) assert.fail(`${method} succeeded but should have failed`);
      assertNoCanary(result.error);
      assert.doesNotMatch(result.error.message, /\n\s+at /, 'a stack trace reached the message');
      return result.error;
    };
    const keys = async (namespace: string) => (await value<{ key: string }[]>('list', namespace)).map((secret) => secret.key);
    return { handle, value, failure, keys, property: (name: string) => on.invoke(handle, name) };
  }

  function assertNoCanary(value: unknown): void {
    assert.ok(!JSON.stringify(value ?? null).includes(CANARY), 'the canary value leaked');
  }

  const tagged = (namespace: string, key: string, extra: Record<string, string> = {}) => ({ namespace, key, prefix: 'kestra', ...extra });
  const listCalls = () =>
    fake.requests.filter((request) => request.authorized && request.method === 'GET' && request.path === '/secrets').length;
  const valueReads = () => fake.requests.filter((request) => request.method === 'GET' && /^\/secrets\/[^/]+\/?/.test(request.path)).length;

  describe('read-only', () => {
    afterEach(() => assert.equal(fake.writeRequests(), 0, 'a read-only backend sent a write request'));

    it('pages through hundreds of secrets by tags only, after the bearer challenge, and labels itself by host', async () => {
      for (let i = 0; i < 300; i++)
        fake.addSecret(`app-${String(i).padStart(3, '0')}`, { value: CANARY, tags: tagged('company.team', `KEY_${i}`) });
      fake.addSecret('other', { value: CANARY, tags: tagged('other', 'X') });
      const azure = await backend(config());
      const secrets = await azure.value<{ key: string; namespace: string; tags: Record<string, string> }[]>('list', 'company.team');
      assert.equal(secrets.length, 300);
      assert.ok(secrets.every((secret) => secret.namespace === 'company.team'));
      assert.equal(listCalls(), 13, '301 secrets in pages of 25');
      assert.equal(valueReads(), 0);
      assert.ok(
        fake.requests.some((request) => !request.authorized),
        'the SDK never went through the challenge',
      );
      assert.ok(fake.requests.every((request) => request.host === 'kestra-test.vault.azure.net'));
      assert.deepEqual(await azure.property('label'), { ok: true, value: 'Azure Key Vault (kestra-test.vault.azure.net)' });
    });

    it('shares one vault listing between a namespace and its parents', async () => {
      fake.addSecret('a', { tags: tagged('a.b.c', 'C') });
      fake.addSecret('b', { tags: tagged('a.b', 'B') });
      fake.addSecret('c', { tags: tagged('a', 'A') });
      const azure = await backend(config());
      const [c, b, a] = await Promise.all([azure.keys('a.b.c'), azure.keys('a.b'), azure.keys('a')]);
      assert.deepEqual([c, b, a], [['C'], ['B'], ['A']]);
      assert.deepEqual(await azure.value('listNamespaces'), ['a', 'a.b', 'a.b.c']);
      assert.equal(listCalls(), 1);
    });

    it('applies filter-on-tags, excluded-tags, the prefix and tenant tags, and hides disabled secrets', async () => {
      fake.addSecret('s1', { tags: tagged('ns', 'PROD', { application: 'kestra-production' }) });
      fake.addSecret('s2', { tags: tagged('ns', 'HIDDEN', { application: 'kestra-production', hidden: 'yes' }) });
      fake.addSecret('s3', { tags: tagged('ns', 'DEV', { application: 'dev' }) });
      fake.addSecret('s4', { tags: tagged('ns', 'OFF', { application: 'kestra-production' }), enabled: false });
      fake.addSecret('s5', { tags: tagged('ns', 'OTHER_TENANT', { application: 'kestra-production', tenant: 'acme' }) });
      fake.addSecret('s6', { tags: tagged('ns', 'OTHER_PREFIX', { application: 'kestra-production', prefix: 'team2' }) });
      fake.addSecret('s7', { tags: { namespace: 'ns', application: 'kestra-production' } });
      const filtered = await backend(
        config({ filterOnTags: { application: 'kestra-production' }, excludedTags: { hidden: 'yes' }, prefix: 'kestra' }),
      );
      assert.deepEqual(await filtered.keys('ns'), ['PROD']);
      const unfiltered = await backend(config());
      assert.deepEqual(await unfiltered.keys('ns'), ['DEV', 'HIDDEN', 'OTHER_PREFIX', 'PROD']);
    });

    it('filter-on-prefix keys secrets by name and shows namespace-less ones in every namespace', async () => {
      fake.addSecret('prod-db', { tags: {} });
      fake.addSecret('prod-api', { tags: { namespace: 'team' } });
      fake.addSecret('dev-db', { tags: {} });
      const stripped = await backend(config({ filterOnPrefix: { prefix: 'prod-', keepPrefix: false } }));
      assert.deepEqual(await stripped.keys('anything'), ['db']);
      assert.deepEqual(await stripped.keys('team'), ['api', 'db']);
      const kept = await backend(config({ filterOnPrefix: { prefix: 'prod-', keepPrefix: true } }));
      assert.deepEqual(await kept.keys('anything'), ['prod-db']);
    });

    it('reveals on request and learns subkeys only when reading values is allowed', async () => {
      fake.addSecret('creds', { value: JSON.stringify({ user: 'u', password: CANARY }), tags: tagged('ns', 'CREDS') });
      const azure = await backend(config());
      assert.equal(await azure.value('subkeys', 'ns', 'CREDS'), null);
      assert.equal(valueReads(), 0);
      const reading = await backend(config(), { readValuesForSubkeys: true });
      assert.deepEqual(await reading.value('subkeys', 'ns', 'CREDS'), ['user', 'password']);
      const missing = await azure.failure('reveal', 'ns', 'NOPE');
      assert.equal(missing.kind, 'not-found');
    });

    it('refuses writes before any request', async () => {
      const azure = await backend(config());
      assert.equal((await azure.failure('put', 'ns', 'K', CANARY)).kind, 'read-only');
      assert.equal((await azure.failure('delete', 'ns', 'K')).kind, 'read-only');
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('through the CLI', () => {
    it('lists and checks with a Kestra-shaped configuration file, trusting the vault through NODE_EXTRA_CA_CERTS', async function () {
      this.timeout(90000);
      fake.addSecret('one', { value: CANARY, tags: tagged('company.team', 'DB_PASSWORD') });
      fake.addSecret('two', { value: CANARY, tags: tagged('company', 'API_TOKEN') });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-acli-'));
      try {
        const configFile = path.join(dir, 'application.yml');
        fs.writeFileSync(
          configFile,
          [
            'kestra:',
            '  secret:',
            '    type: azure-key-vault',
            '    read-only: true',
            '    azure-key-vault:',
            `      vault-name: ${VAULT}`,
            '',
          ].join('\n'),
        );
        fs.mkdirSync(path.join(dir, 'flows'));
        fs.writeFileSync(
          path.join(dir, 'flows', 'flow.yml'),
          [
            'id: f',
            'namespace: company.team',
            'tasks:',
            '  - id: t',
            '    type: io.kestra.plugin.core.log.Log',
            `    message: "{{ secret('DB_PASSWORD') }} {{ secret('API_TOKEN') }} {{ secret('db_password') }}"`,
            '',
          ].join('\n'),
        );
        const env = { ...childEnv(), NODE_EXTRA_CA_CERTS: cert.certFile };
        const listed = await runCli(['list', '--namespace', 'company.team', '--config', configFile, '--format', 'json'], env);
        assert.equal(listed.code, 0, listed.stderr);
        const json = JSON.parse(listed.stdout) as { backend: string; readOnly: boolean; secrets: { key: string; namespace: string }[] };
        assert.equal(json.backend, 'azure-key-vault');
        assert.equal(json.readOnly, true);
        assert.deepEqual(
          json.secrets.map((secret) => [secret.key, secret.namespace]),
          [
            ['API_TOKEN', 'company'],
            ['DB_PASSWORD', 'company.team'],
          ],
        );
        const checked = await runCli(['check', path.join(dir, 'flows'), '--config', configFile, '--format', 'json'], env);
        assert.equal(checked.code, 1, checked.stderr);
        const problems = JSON.parse(checked.stdout) as { code: string; message: string }[];
        assert.deepEqual(
          problems.map((problem) => problem.code),
          ['missing-secret'],
        );
        assert.match(problems[0]!.message, /db_password/);
        assertNoCanary([listed, checked]);
        assert.equal(fake.writeRequests(), 0);
        assert.equal(valueReads(), 0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('managed mode', () => {
    it('creates a tagged secret under a derived name, re-tags new versions, and deletes through the poller', async () => {
      const azure = await backend(config({ readOnly: false, tags: { application: 'kestra-production' } }));
      await azure.value('put', 'company.team', 'DB_PASSWORD', 'first');
      await azure.value('put', 'company.team', 'DB_PASSWORD', 'second', { tags: { owner: 'data' } });
      assert.equal(fake.secrets.size, 1);
      const [stored] = [...fake.secrets.values()];
      assert.match(stored!.name, /^kestra-company-team-DB-PASSWORD-[0-9a-f]{8}$/);
      assert.equal(stored!.versions.length, 2);
      assert.deepEqual(stored!.versions[1]!.tags, {
        application: 'kestra-production',
        owner: 'data',
        namespace: 'company.team',
        key: 'DB_PASSWORD',
        prefix: 'kestra',
        tenant: 'main',
      });
      assert.equal(await azure.value('reveal', 'company.team', 'DB_PASSWORD'), 'second');
      await azure.value('delete', 'company.team', 'DB_PASSWORD');
      assert.deepEqual(await azure.keys('company.team'), []);
      assert.ok(fake.requests.some((request) => request.path === `/deletedsecrets/${stored!.name}`));
    });

    it('keeps namespaces that differ only in punctuation apart', async () => {
      const azure = await backend(config({ readOnly: false }));
      await azure.value('put', 'a.b', 'K', 'one');
      await azure.value('put', 'a_b', 'K', 'two');
      assert.equal(fake.secrets.size, 2);
      assert.equal(await azure.value('reveal', 'a_b', 'K'), 'two');
    });
  });

  describe('faults', () => {
    beforeEach(() => fake.addSecret('s', { value: CANARY, tags: tagged('ns', 'K') }));

    it('retries throttling (Retry-After) and 5xx, then succeeds', async () => {
      const azure = await backend(config());
      fake.inject({ kind: 'status', status: 429, count: 1, retryAfterSeconds: 1 });
      fake.inject({ kind: 'status', status: 503, count: 1 });
      assert.deepEqual(await azure.keys('ns'), ['K']);
      assert.equal(listCalls(), 3);
    });

    it('gives up after a bounded number of attempts', async () => {
      const azure = await backend(config());
      fake.inject({ kind: 'status', status: 500, count: 20 });
      const failure = await azure.failure('list', 'ns');
      assert.equal(failure.kind, 'server');
      assert.equal(listCalls(), 4);
    });

    it("reports lasting throttling as throttled, after the SDK's bounded retries", async () => {
      const azure = await backend(config());
      fake.inject({ kind: 'status', status: 429, count: 20, retryAfterSeconds: 0 });
      const failure = await azure.failure('list', 'ns');
      assert.equal(failure.kind, 'throttled');
      assert.equal(listCalls(), 4);
    });

    it('bounds a hanging request by the request timeout and retries it', async () => {
      const azure = await backend(config());
      fake.inject({ kind: 'hang', count: 1 });
      const started = Date.now();
      assert.deepEqual(await azure.keys('ns'), ['K']);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 2900 && elapsed < 15000, `took ${elapsed} ms`);
    });

    it('reports an unreachable vault (here: the proxy refuses connections) with the vault URL', async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as net.AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const unreachable = await startBackendHost(
        cert.certFile,
        childEnv({ HTTPS_PROXY: `http://127.0.0.1:${port}`, https_proxy: `http://127.0.0.1:${port}` }),
      );
      try {
        const azure = await backend(config(), {}, unreachable);
        const failure = await azure.failure('list', 'ns');
        assert.equal(failure.kind, 'unreachable');
        assert.match(failure.message, /https:\/\/kestra-test\.vault\.azure\.net/);
      } finally {
        await unreachable.close();
      }
    });

    it('never puts a written value into an error message', async () => {
      const azure = await backend(config({ readOnly: false }));
      await azure.keys('ns');
      fake.inject({ kind: 'status', status: 500, count: 4 });
      const failure = await azure.failure('put', 'ns', 'NEW', CANARY);
      assert.equal(failure.kind, 'server');
    });
  });

  describe('authentication', () => {
    it('tells a logged-out Azure CLI user to run az login', async () => {
      const loggedOut = await startBackendHost(cert.certFile, childEnv({ KESTRA_TEST_AZ_TOKEN: '' }));
      try {
        const azure = await backend(config(), {}, loggedOut);
        const failure = await azure.failure('list', 'ns');
        assert.equal(failure.kind, 'auth');
        assert.match(failure.message, /az login/);
      } finally {
        await loggedOut.close();
      }
    });

    it('gets a token with client-secret from Microsoft Entra, and reports a wrong secret as an auth error', async () => {
      fake.apps.set('kestra-app', 'right-secret');
      fake.addSecret('s', { tags: tagged('ns', 'K') });
      const before = fake.tokenRequests;
      const good = await backend(
        config({}, { vaultName: VAULT, clientSecret: { tenantId: fake.tenantId, clientId: 'kestra-app', clientSecret: 'right-secret' } }),
      );
      assert.deepEqual(await good.keys('ns'), ['K']);
      assert.equal(fake.tokenRequests, before + 1);
      const bad = await backend(
        config({}, { vaultName: VAULT, clientSecret: { tenantId: fake.tenantId, clientId: 'kestra-app', clientSecret: CANARY } }),
      );
      const failure = await bad.failure('list', 'ns');
      assert.equal(failure.kind, 'auth');
      assert.match(failure.message, /AADSTS7000215/);
    });

    it('uses client-secret credentials from SecretStorage', async () => {
      fake.apps.set('stored-app', 'stored-secret');
      fake.addSecret('s', { tags: tagged('ns', 'K') });
      const azure = await backend(config(), {
        credentials: { tenantId: fake.tenantId, clientId: 'stored-app', clientSecret: 'stored-secret' },
      });
      assert.deepEqual(await azure.keys('ns'), ['K']);
    });

    it('keeps the challenge-resource check: a key-vault-uri on another host gets no token', async () => {
      const azure = await backend(config({}, { keyVaultUri: fake.directUrl }));
      const failure = await azure.failure('list', 'ns');
      assert.equal(failure.kind, 'config');
      assert.match(failure.message, /not a Key Vault host/);
      assert.ok(
        fake.requests.every((request) => !request.authorized),
        'a token was sent to a non-vault host',
      );
    });

    it('rejects a partial client-secret block, naming what is missing', async () => {
      const azure = await backend(config({}, { vaultName: VAULT, clientSecret: { tenantId: 't' } }));
      const failure = await azure.failure('list', 'ns');
      assert.equal(failure.kind, 'config');
      assert.match(failure.message, /client-id, client-secret/);
    });
  });
});
