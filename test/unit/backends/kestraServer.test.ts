import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { BackendError, type BackendContext, type SecretBackend } from '../../../src/core/store';
import { createKestraServerBackend, parseServerUrl, type KestraServerTuning } from '../../../src/backends/kestraServer';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import type { Logger } from '../../../src/core/log';
import { authorizationHeader, serverCredentialsFromEnv, toServerCredentials } from '../../../src/core/serverAuth';
import { startKestraServer, type FakeKestraSecret, type FakeKestraServer, type FakeKestraServerOptions } from '../../fakes/kestraServer';

const PASSWORD = 'hunter2-very-secret';
const TOKEN = 'tok-0123456789abcdef';
const BASIC_B64 = Buffer.from(`admin:${PASSWORD}`).toString('base64');
const FORBIDDEN_IN_OUTPUT = [PASSWORD, TOKEN, BASIC_B64];

function config(overrides: Partial<SecretBackendConfig> = {}): SecretBackendConfig {
  return {
    type: 'kestra-server',
    readOnly: false,
    tags: {},
    cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
    ...overrides,
  };
}

class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  trace = (message: string) => this.lines.push(message);
  debug = (message: string) => this.lines.push(message);
  info = (message: string) => this.lines.push(message);
  warn = (message: string) => this.lines.push(message);
  error = (message: string) => this.lines.push(message);
}

function context(log: Logger, credentials?: Record<string, string>): BackendContext {
  return { log, tenant: 'main', credentials, readValuesForSubkeys: false, env: {} };
}

const fastTuning: KestraServerTuning = { timeoutMs: 2000, attempts: 3, baseDelayMs: 1, maxDelayMs: 5, sleep: async () => undefined };

async function expectBackendError(promise: Promise<unknown>, kind: string): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BackendError, `expected a BackendError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected a BackendError of kind ${kind}`);
}

function ee(namespace: string, key: string, extra: Partial<FakeKestraSecret> = {}): FakeKestraSecret {
  return { namespace, key, ...extra };
}

describe('Kestra server backend', () => {
  let server: FakeKestraServer | undefined;
  let log: RecordingLogger;
  let backend: SecretBackend | undefined;

  async function start(options: FakeKestraServerOptions, credentials?: Record<string, string>, tuning = fastTuning, url?: string) {
    server = await startKestraServer(options);
    backend = createKestraServerBackend(
      { ...config(), server: { url: url ?? server.url, tenant: options.tenant ?? 'main' } },
      context(log, credentials),
      tuning,
    );
    return { server, backend };
  }

  beforeEach(() => {
    log = new RecordingLogger();
  });

  afterEach(async () => {
    backend?.dispose();
    backend = undefined;
    await server?.stop();
    server = undefined;
    for (const line of log.lines) {
      for (const secret of FORBIDDEN_IN_OUTPUT) assert.ok(!line.includes(secret), `a log line leaks a credential: ${line}`);
    }
  });

  describe('listing (Enterprise)', () => {
    it('lists exactly one namespace with tags, description and namespace, through the namespace filter', async () => {
      const { server, backend } = await start({
        edition: 'ee',
        secrets: [
          ee('company.team', 'DB_PASSWORD', { description: 'main db', tags: { owner: 'data', env: 'prod' } }),
          ee('company.team', 'API_KEY'),
          ee('company', 'PARENT_ONLY'),
          ee('company.team.sub', 'CHILD_ONLY'),
        ],
      });
      const secrets = await backend.list('company.team');
      assert.deepEqual(
        secrets.map(({ key, namespace, description, tags }) => ({ key, namespace, description, tags })),
        [
          { key: 'API_KEY', namespace: 'company.team', description: undefined, tags: undefined },
          { key: 'DB_PASSWORD', namespace: 'company.team', description: 'main db', tags: { owner: 'data', env: 'prod' } },
        ],
      );
      assert.equal(server.requests.length, 1);
      const request = server.requests[0];
      assert.equal(request.path, '/api/v1/main/secrets');
      assert.equal(request.query.get('filters[namespace][EQUALS]'), 'company.team');
      assert.equal(request.query.get('page'), '1');
      assert.equal(request.query.get('size'), '100');
      assert.equal(backend.namespaced, true);
      assert.equal(backend.caseInsensitiveKeys, false);
      assert.equal(backend.canReveal, false);
      assert.match(backend.label, /^Kestra server \(127\.0\.0\.1:\d+, tenant main\)$/);
    });

    it('follows every page of a 250-secret namespace (3 requests) without duplicates', async () => {
      const secrets = Array.from({ length: 250 }, (_, index) => ee('big', `KEY_${String(index).padStart(3, '0')}`));
      const { server, backend } = await start({ edition: 'ee', secrets: [...secrets, ee('other', 'NOT_MINE')] });
      const listed = await backend.list('big');
      assert.equal(listed.length, 250);
      assert.equal(new Set(listed.map((secret) => secret.key)).size, 250);
      assert.deepEqual(
        server.requests.map((request) => request.query.get('page')),
        ['1', '2', '3'],
      );
    });

    it('lists every secret whatever the count and page size (fuzz)', async () => {
      server = await startKestraServer({ edition: 'ee' });
      const url = server.url;
      // fast-check may draw the same pair twice: a fresh namespace each run, or the fake would hold every key twice.
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 25 }), async (count, pageSize) => {
          const namespace = `fuzz.r${run++}.n${count}.s${pageSize}`;
          for (let index = 0; index < count; index++) server?.addSecret(ee(namespace, `K${index}`));
          const fuzzed = createKestraServerBackend({ ...config(), server: { url, tenant: 'main' } }, context(log), {
            ...fastTuning,
            pageSize,
          });
          const listed = await fuzzed.list(namespace);
          assert.deepEqual(listed.map((secret) => secret.key).sort(), Array.from({ length: count }, (_, index) => `K${index}`).sort());
        }),
        { numRuns: 40 },
      );
    });

    it('accepts a URL ending in /api/v1 (the official extension setting) and a trailing slash', async () => {
      const started = await start({ edition: 'ee', secrets: [ee('n', 'K')] });
      const viaApi = createKestraServerBackend(
        { ...config(), server: { url: `${started.server.url}/api/v1/`, tenant: 'main' } },
        context(log),
        fastTuning,
      );
      assert.deepEqual(
        (await viaApi.list('n')).map((secret) => secret.key),
        ['K'],
      );
      assert.ok(started.server.requests.every((request) => request.path === '/api/v1/main/secrets'));
      assert.deepEqual(parseServerUrl('https://kestra.example.com/proxy/api/v1'), {
        base: 'https://kestra.example.com/proxy',
        display: 'https://kestra.example.com/proxy',
        plainHttpRemote: false,
      });
      assert.equal((parseServerUrl('http://kestra.example.com:8080') as { plainHttpRemote: boolean }).plainHttpRemote, true);
      assert.equal((parseServerUrl('http://localhost:8080/api/v1') as { base: string }).base, 'http://localhost:8080');
      assert.deepEqual(parseServerUrl('ftp://host'), { problem: 'server.url must be an http:// or https:// URL.' });
      assert.deepEqual(parseServerUrl('not a url'), { problem: 'server.url is not a valid URL.' });
    });

    it('uses the configured tenant in every path', async () => {
      const { server, backend } = await start({ edition: 'ee', tenant: 'acme', secrets: [ee('n', 'K')] });
      assert.equal((await backend.list('n')).length, 1);
      assert.ok(server.requests.every((request) => request.path.startsWith('/api/v1/acme/')));
    });

    it('lists namespaces from the unfiltered listing', async () => {
      const { backend } = await start({
        edition: 'ee',
        secrets: [ee('b.x', 'K1'), ee('a', 'K2'), ee('b.x', 'K3'), ee('c.d.e', 'K4')],
      });
      assert.deepEqual(await backend.listNamespaces(), ['a', 'b.x', 'c.d.e']);
    });
  });

  describe('read-only state', () => {
    it('is read-only until a listing says otherwise, then follows the server', async () => {
      const { backend } = await start({ edition: 'ee', readOnly: false, secrets: [ee('n', 'K')] });
      assert.equal(backend.readOnly, true);
      assert.equal(backend.readOnlyFor('n'), true);
      await backend.list('n');
      assert.equal(backend.readOnly, false);
      assert.equal(backend.readOnlyFor('n'), false);
    });

    it('keeps the read-only state per namespace (dedicated secret managers differ)', async () => {
      const { server, backend } = await start({ edition: 'ee', readOnly: true, secrets: [ee('locked', 'K'), ee('open', 'K')] });
      await backend.list('locked');
      assert.equal(backend.readOnly, true);
      server.setReadOnly(false);
      await backend.list('open');
      assert.equal(backend.readOnly, false);
      assert.equal(backend.readOnlyFor('locked'), true);
      assert.equal(backend.readOnlyFor('open'), false);
      await expectBackendError(backend.delete('locked', 'K'), 'read-only');
      assert.equal(server.writeCount, 0);
      await backend.delete('open', 'K');
      assert.equal(server.writeCount, 1);
    });

    it('EE read-only: put and delete throw read-only and send zero write requests', async () => {
      const { server, backend } = await start({ edition: 'ee', readOnly: true, secrets: [ee('n', 'K')] });
      await expectBackendError(backend.put('n', 'NEW', 'value'), 'read-only');
      await backend.list('n');
      assert.equal(backend.readOnly, true);
      await expectBackendError(backend.put('n', 'K', 'value'), 'read-only');
      await expectBackendError(backend.delete('n', 'K'), 'read-only');
      assert.equal(server.writeCount, 0);
      assert.ok(server.requests.every((request) => request.method === 'GET'));
    });

    it('read-only in the configuration: refused before any request at all', async () => {
      server = await startKestraServer({ edition: 'ee', secrets: [ee('n', 'K')] });
      backend = createKestraServerBackend(
        { ...config({ readOnly: true }), server: { url: server.url, tenant: 'main' } },
        context(log),
        fastTuning,
      );
      await expectBackendError(backend.put('n', 'K', 'v'), 'read-only');
      await expectBackendError(backend.delete('n', 'K'), 'read-only');
      assert.equal(server.requests.length, 0);
      await backend.list('n');
      assert.equal(backend.readOnly, true);
    });

    it('reveal is unsupported and sends nothing', async () => {
      const { server, backend } = await start({ edition: 'ee', secrets: [ee('n', 'K', { value: 'v' })] });
      const error = await expectBackendError(backend.reveal('n', 'K'), 'unsupported');
      assert.match(error.message, /never returns secret values/);
      assert.equal(server.requests.length, 0);
      assert.equal(await backend.subkeys('n', 'K'), undefined);
    });
  });

  describe('open-source server', () => {
    it('reports env secrets: namespace-less, case-insensitive, read-only, no writes', async () => {
      const { server, backend } = await start(
        { edition: 'oss', secrets: [{ key: 'db_password' }, { key: 'API_TOKEN' }] },
        { username: 'admin', password: PASSWORD },
      );
      const listed = await backend.list('company.team');
      assert.deepEqual(
        listed.map((secret) => [secret.key, secret.namespace]),
        [
          ['API_TOKEN', undefined],
          ['DB_PASSWORD', undefined],
        ],
      );
      assert.equal(backend.namespaced, false);
      assert.equal(backend.caseInsensitiveKeys, true);
      assert.equal(backend.readOnly, true);
      assert.match(backend.label, /Kestra OSS server \(env secrets\)/);
      assert.deepEqual(await backend.listNamespaces(), []);
      const error = await expectBackendError(backend.put('company.team', 'NEW', 'value'), 'read-only');
      assert.match(error.message, /SECRET_ environment variables/);
      assert.equal(server.writeCount, 0);
      assert.ok(server.requests.every((request) => request.auth === 'basic'));
    });
  });

  describe('writes (Enterprise)', () => {
    it('put sends key, value, description and tags; delete removes', async () => {
      const { server } = await start(
        { edition: 'ee', secrets: [ee('n', 'OLD', { tags: { keep: 'me' }, description: 'old' })] },
        { token: TOKEN },
      );
      const backend = createKestraServerBackend(
        { ...config({ tags: { managed: 'kestra-secrets' } }), server: { url: server.url, tenant: 'main' } },
        context(log, { token: TOKEN }),
        fastTuning,
      );
      await backend.put('n', 'NEW', 'the-value', { description: 'fresh', tags: { team: 'x' } });
      assert.equal(server.valueOf('n', 'NEW'), 'the-value');
      const listed = await backend.list('n');
      assert.deepEqual(listed.find((secret) => secret.key === 'NEW')?.tags, { managed: 'kestra-secrets', team: 'x' });
      assert.equal(listed.find((secret) => secret.key === 'NEW')?.description, 'fresh');

      await backend.delete('n', 'OLD');
      assert.deepEqual(
        (await backend.list('n')).map((secret) => secret.key),
        ['NEW'],
      );
      await expectBackendError(backend.delete('n', 'OLD'), 'not-found');
      assert.ok(server.requests.every((request) => request.auth === 'bearer'));
    });

    it('learns the read-only state with a listing before the first write', async () => {
      const { server, backend } = await start({ edition: 'ee', readOnly: false });
      await backend.put('fresh.ns', 'K', 'v');
      assert.deepEqual(
        server.requests.map((request) => request.method),
        ['GET', 'PUT'],
      );
      assert.equal(server.writeCount, 1);
    });

    it('a 403 names the missing permission and namespace, for each operation', async () => {
      const { server, backend } = await start({ edition: 'ee', secrets: [ee('company.team', 'K')] });
      await backend.list('company.team');
      server.forbid();
      let error = await expectBackendError(backend.list('company.team'), 'permission');
      assert.match(error.message, /SECRET LIST in namespace company\.team/);
      error = await expectBackendError(backend.put('company.team', 'K', 'new-value-123'), 'permission');
      assert.match(error.message, /SECRET UPDATE in namespace company\.team/);
      assert.ok(!error.message.includes('new-value-123'));
      error = await expectBackendError(backend.delete('company.team', 'K'), 'permission');
      assert.match(error.message, /SECRET DELETE in namespace company\.team/);
    });

    it('a refused write never echoes the value in its message', async () => {
      const { server, backend } = await start({ edition: 'ee' });
      await backend.list('n');
      server.failNext(500, 3);
      const error = await expectBackendError(backend.put('n', 'K', 'Try again later'), 'server');
      assert.ok(!error.message.includes('Try again later'));
      assert.match(error.message, /server error 500 after 3 attempts/);
    });
  });

  describe('older servers', () => {
    it('falls back to /namespaces/{ns}/secrets and remembers it', async () => {
      const { server, backend } = await start({ edition: 'ee', legacyOnly: true, secrets: [ee('n', 'K'), ee('m', 'J')] });
      assert.deepEqual(
        (await backend.list('n')).map((secret) => secret.key),
        ['K'],
      );
      assert.equal(server.requests.length, 2);
      assert.deepEqual(
        (await backend.list('m')).map((secret) => secret.key),
        ['J'],
      );
      assert.equal(server.requests.length, 3);
      assert.equal(server.requests[2].path, '/api/v1/main/namespaces/m/secrets');
      assert.deepEqual(await backend.list('unknown'), []);
      assert.deepEqual(await backend.listNamespaces(), ['m', 'n']);
      assert.ok(server.requests.some((request) => request.path === '/api/v1/main/namespaces/search'));
    });

    it('falls back to tenantless paths, detecting once even for concurrent first listings', async () => {
      const { server, backend } = await start({
        edition: 'ee',
        tenantless: true,
        legacyOnly: true,
        secrets: [ee('a', 'K1'), ee('b', 'K2')],
      });
      const results = await Promise.all(['a', 'b', 'a', 'b', 'a'].map((namespace) => backend.list(namespace)));
      assert.deepEqual(
        results.map((secrets) => secrets.map((secret) => secret.key)),
        [['K1'], ['K2'], ['K1'], ['K2'], ['K1']],
      );
      assert.equal(server.requests.length, 4 + 4, 'four probes, then one request per remaining listing');
      assert.deepEqual(
        server.requests.slice(0, 4).map((request) => request.path),
        ['/api/v1/main/secrets', '/api/v1/main/namespaces/a/secrets', '/api/v1/secrets', '/api/v1/namespaces/a/secrets'],
      );
      const before = server.requests.length;
      await backend.put('a', 'NEW', 'v');
      assert.equal(server.requests.length, before + 1);
      assert.equal(server.requests[before].path, '/api/v1/namespaces/a/secrets');
      assert.equal(server.valueOf('a', 'NEW'), 'v');
    });

    it('tenantless server with the global listing: third probe wins', async () => {
      const { server, backend } = await start({ edition: 'ee', tenantless: true, secrets: [ee('a', 'K1'), ee('a.b', 'K2')] });
      assert.equal((await backend.list('a.b')).length, 1);
      assert.equal(server.requests.length, 3);
    });

    it('a server with none of the endpoints: unsupported, server too old', async () => {
      const other = await startKestraServer({ edition: 'ee', tenant: 'other', secrets: [ee('n', 'K')] });
      server = other;
      backend = createKestraServerBackend({ ...config(), server: { url: other.url, tenant: 'main' } }, context(log), fastTuning);
      const error = await expectBackendError(backend.list('n'), 'unsupported');
      assert.match(error.message, /too old or server\.url is wrong/);
      assert.equal(other.requests.length, 4);
    });
  });

  describe('authentication', () => {
    it('sends a Bearer token or basic auth, and maps 401 to sign in again without leaking credentials', async () => {
      const auth = { basic: { user: 'admin', password: PASSWORD }, token: TOKEN };
      const { server } = await start({ edition: 'ee', auth, secrets: [ee('n', 'K')] });
      const url = server.url;
      const make = (credentials?: Record<string, string>) =>
        createKestraServerBackend({ ...config(), server: { url, tenant: 'main' } }, context(log, credentials), fastTuning);

      assert.equal((await make({ token: TOKEN }).list('n')).length, 1);
      assert.equal((await make({ username: 'admin', password: PASSWORD }).list('n')).length, 1);
      assert.deepEqual(
        server.requests.map((request) => request.auth),
        ['bearer', 'basic'],
      );

      const anonymous = await expectBackendError(make().list('n'), 'auth');
      assert.match(anonymous.message, /no credentials are set/);
      const wrong = await expectBackendError(make({ username: 'admin', password: `${PASSWORD}-wrong` }).list('n'), 'auth');
      assert.match(wrong.message, /Set Credentials/);
      assert.match(wrong.message, /KESTRA_API_TOKEN/);

      const expiring = make({ token: TOKEN });
      await expiring.list('n');
      server.expireCredentials();
      const expired = await expectBackendError(expiring.list('n'), 'auth');
      assert.ok(
        log.lines.some((line) => line.includes('→ 401')),
        'requests are logged',
      );
      for (const error of [anonymous, wrong, expired]) {
        for (const secret of FORBIDDEN_IN_OUTPUT) assert.ok(!error.message.includes(secret));
      }
    });

    it('refuses a URL with embedded credentials without echoing them', async () => {
      backend = createKestraServerBackend(
        { ...config(), server: { url: `http://admin:${PASSWORD}@127.0.0.1:9/`, tenant: 'main' } },
        context(log),
        fastTuning,
      );
      const error = await expectBackendError(backend.list('n'), 'config');
      assert.ok(!error.message.includes(PASSWORD));
      assert.ok(!backend.label.includes(PASSWORD));
      assert.match(error.message, /must not contain a user name or password/);
    });
  });

  describe('failures', () => {
    it('a stopped server is unreachable, naming the URL', async () => {
      const started = await start({ edition: 'ee' }, { token: TOKEN });
      const url = started.server.url;
      await started.server.stop();
      server = undefined;
      const error = await expectBackendError(started.backend.list('n'), 'unreachable');
      assert.ok(error.message.includes(url), error.message);
      assert.match(error.message, /ECONNREFUSED/);
    });

    it('a hanging server times out', async () => {
      const { server, backend } = await start({ edition: 'ee' }, undefined, { ...fastTuning, timeoutMs: 150 });
      server.hang();
      const error = await expectBackendError(backend.list('n'), 'timeout');
      assert.match(error.message, /no answer from http:\/\/127\.0\.0\.1:\d+ within 0\.2 s/);
    });

    it('a server going away mid-listing gives one clear unreachable error', async () => {
      const secrets = Array.from({ length: 250 }, (_, index) => ee('big', `K${index}`));
      const { server, backend } = await start({ edition: 'ee', secrets }, { token: TOKEN });
      server.goAwayAfter(1);
      const error = await expectBackendError(backend.list('big'), 'unreachable');
      assert.match(error.message, /cannot reach http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(server.requests.length, 2);
    });

    it('retries 503 and 429, honouring Retry-After within the bound', async () => {
      const delays: number[] = [];
      const tuning = { ...fastTuning, maxDelayMs: 3000, sleep: async (ms: number) => void delays.push(ms) };
      const { server, backend } = await start({ edition: 'ee', secrets: [ee('n', 'K')] }, undefined, tuning);
      server.failNext(503, 2, 2);
      assert.equal((await backend.list('n')).length, 1);
      assert.equal(server.requests.length, 3);
      assert.deepEqual(delays, [2000, 2000]);

      server.failNext(429, 10, 60);
      const error = await expectBackendError(backend.list('n'), 'throttled');
      assert.equal(error.retryAfterMs, 60_000);
      assert.equal(server.requests.length, 6);
      assert.deepEqual(delays.slice(2), [3000, 3000]);
    });

    it('an answer that is not a listing is a clear server error', async () => {
      const foreign = http.createServer((_req, res) => res.end('{"hello":"world"}'));
      await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = foreign.address() as AddressInfo;
        backend = createKestraServerBackend(
          { ...config(), server: { url: `http://127.0.0.1:${port}`, tenant: 'main' } },
          context(log),
          fastTuning,
        );
        const error = await expectBackendError(backend.list('n'), 'server');
        assert.match(error.message, /not a secrets listing/);
      } finally {
        foreign.closeAllConnections();
        await new Promise<void>((resolve) => foreign.close(() => resolve()));
      }
    });

    it('after dispose, calls fail cleanly', async () => {
      const { server, backend } = await start({ edition: 'ee' });
      server.hang();
      const pending = backend.list('n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      backend.dispose();
      const error = await expectBackendError(pending, 'unreachable');
      assert.match(error.message, /closed/);
    });
  });
});

describe('serverAuth', () => {
  it('prefers KESTRA_API_TOKEN, then username and password, trims a pasted newline', () => {
    assert.deepEqual(serverCredentialsFromEnv({ KESTRA_API_TOKEN: ' abc\n', KESTRA_USERNAME: 'u', KESTRA_PASSWORD: 'p' }), {
      token: 'abc',
    });
    assert.deepEqual(serverCredentialsFromEnv({ KESTRA_USERNAME: 'u', KESTRA_PASSWORD: 'p w' }), { username: 'u', password: 'p w' });
    assert.equal(serverCredentialsFromEnv({ KESTRA_USERNAME: 'u' }), undefined);
    assert.equal(serverCredentialsFromEnv({ KESTRA_API_TOKEN: '  ' }), undefined);
    assert.equal(serverCredentialsFromEnv({}), undefined);
  });

  it('builds the Authorization header for each kind', () => {
    assert.equal(authorizationHeader({ token: 't' }), 'Bearer t');
    assert.equal(authorizationHeader({ username: 'admin', password: PASSWORD }), `Basic ${BASIC_B64}`);
    assert.equal(authorizationHeader(undefined), undefined);
    assert.deepEqual(toServerCredentials({ username: 'a', password: 'b' }), { username: 'a', password: 'b' });
    assert.equal(toServerCredentials({ username: 'a' }), undefined);
  });
});
