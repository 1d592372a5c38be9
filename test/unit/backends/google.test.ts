import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError, type BackendContext, type SecretBackend } from '../../../src/core/store';
import { createGoogleBackend } from '../../../src/backends/google';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { startGoogleSecretManager, type GoogleFake } from '../../fakes/googleSecretManager';
import { runCli } from '../../fakes/tls';
import { testBackendContext } from '../recordingLogger';

const CANARY = 'CANARY-7f3a9c-never-show-me';

describe('Google Secret Manager backend against the loopback REST fake', function () {
  this.timeout(30000);
  let fake: GoogleFake;
  let keyJson: string;
  let lines: string[];
  const backends: SecretBackend[] = [];
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
    keyJson = fake.serviceAccountKey();
    lines = [];
  });

  afterEach(async () => {
    for (const backend of backends.splice(0)) backend.dispose();
    await fake.close();
    const everything = lines.join('\n');
    assert.ok(!everything.includes(CANARY), 'the canary value reached a log line');
  });

  function config(
    overrides: Partial<SecretBackendConfig> = {},
    google: Partial<NonNullable<SecretBackendConfig['google']>> = {},
  ): SecretBackendConfig {
    return {
      type: 'google-secret-manager',
      readOnly: true,
      tags: {},
      cache: { enabled: false, maximumSize: 1000, expireAfterWriteMs: 0 },
      google: { project: fake.project, serviceAccount: keyJson, endpointOverride: fake.url, ...google },
      ...overrides,
    };
  }

  function backend(cfg: SecretBackendConfig, context: Partial<BackendContext> = {}): SecretBackend {
    const created = createGoogleBackend(cfg, testBackendContext(lines, context, 5000));
    backends.push(created);
    return created;
  }

  const listCalls = () => fake.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/secrets')).length;
  const accessCalls = () => fake.requests.filter((request) => request.path.endsWith(':access')).length;

  function assertNoCanary(value: unknown): void {
    assert.ok(!JSON.stringify(value ?? null).includes(CANARY), 'the canary value leaked');
  }

  describe('read-only listing', () => {
    afterEach(() => assert.equal(fake.writeRequests(), 0, 'a read-only backend sent a write request'));

    it('pages over hundreds of secrets with a server-side namespace filter and never accesses a value', async () => {
      for (let i = 0; i < 450; i++) {
        fake.addSecret(`app-${String(i).padStart(3, '0')}`, {
          labels: { namespace: 'company-team', key: `key_${i}`, prefix: 'kestra' },
          value: CANARY,
        });
      }
      fake.addSecret('elsewhere', { labels: { namespace: 'other', key: 'x' }, value: CANARY });
      const secrets = await backend(config()).list('company.team');
      assert.equal(secrets.length, 450);
      assert.equal(listCalls(), 5);
      assert.equal(accessCalls(), 0);
      assert.match(fake.requests[0]?.filter ?? '', /labels\.namespace="company-team" OR labels\.namespace="company_team"/);
      assert.ok(secrets.every((secret) => secret.namespace === 'company.team'));
      assertNoCanary(secrets);
    });

    it('reads namespace and key from annotations first, else from labels (dots as - or _, keys case-insensitive)', async () => {
      fake.addSecret('a', {
        labels: { namespace: 'company-team', key: 'db_password' },
        annotations: { namespace: 'company.team', key: 'DB_PASSWORD' },
        value: 'one',
      });
      fake.addSecret('b', { labels: { namespace: 'company_team', key: 'api_token' }, value: 'two' });
      fake.addSecret('c', { labels: { namespace: 'company-team', key: 'smtp' }, value: 'three' });
      fake.addSecret('d', { labels: { namespace: 'company-team', key: 'x' }, annotations: { namespace: 'company-team' }, value: 'four' });
      fake.addSecret('e', { labels: { namespace: 'company', key: 'parent_key' }, value: 'five' });
      const google = backend(config());
      assert.equal(google.caseInsensitiveKeys, true);
      const keys = (await google.list('company.team')).map((secret) => secret.key);
      assert.deepEqual(keys, ['api_token', 'DB_PASSWORD', 'smtp']);
      assert.equal(await google.reveal('company.team', 'API_TOKEN'), 'two');
      assert.equal(await google.reveal('company.team', 'DB_PASSWORD'), 'one');
      assert.deepEqual(await google.listNamespaces(), ['company', 'company-team', 'company.team', 'company_team']);
      await assert.rejects(google.reveal('company.team', 'missing'), (error: BackendError) => error.kind === 'not-found');
    });

    it('applies filter-on-tags server-side and excluded-tags client-side', async () => {
      fake.addSecret('prod', { labels: { namespace: 'ns', key: 'a', application: 'kestra-production' } });
      fake.addSecret('prod-hidden', { labels: { namespace: 'ns', key: 'b', application: 'kestra-production', hidden: 'true' } });
      fake.addSecret('dev', { labels: { namespace: 'ns', key: 'c', application: 'dev' } });
      const google = backend(config({ filterOnTags: { application: 'kestra-production' }, excludedTags: { hidden: 'true' } }));
      assert.deepEqual(
        (await google.list('ns')).map((secret) => secret.key),
        ['a'],
      );
      assert.match(fake.requests[0]?.filter ?? '', /^labels\.application="kestra-production" AND /);
    });

    it('filter-on-prefix selects by id, strips the prefix unless keep-prefix, and shows namespace-less secrets everywhere', async () => {
      fake.addSecret('prod_DB', { value: 'x' });
      fake.addSecret('prod_API', { labels: { namespace: 'other' } });
      fake.addSecret('dev_DB', {});
      const stripped = backend(config({ filterOnPrefix: { prefix: 'prod_', keepPrefix: false } }));
      assert.deepEqual(
        (await stripped.list('company.team')).map((secret) => secret.key),
        ['DB'],
      );
      assert.deepEqual(
        (await stripped.list('other')).map((secret) => secret.key),
        ['API', 'DB'],
      );
      assert.match(fake.requests[0]?.filter ?? '', /name:"prod_"/);
      const kept = backend(config({ filterOnPrefix: { prefix: 'prod_', keepPrefix: true } }));
      assert.deepEqual(
        (await kept.list('company.team')).map((secret) => secret.key),
        ['prod_DB'],
      );
    });

    it("honours the prefix tag: a configured prefix hides other instances' secrets", async () => {
      fake.addSecret('mine', { labels: { namespace: 'ns', key: 'a', prefix: 'team1' } });
      fake.addSecret('theirs', { labels: { namespace: 'ns', key: 'b', prefix: 'team2' } });
      assert.deepEqual(
        (await backend(config({ prefix: 'team1' })).list('ns')).map((secret) => secret.key),
        ['a'],
      );
    });

    it('learns subkeys only when reading values is allowed', async () => {
      fake.addSecret('json', { labels: { namespace: 'ns', key: 'creds' }, value: JSON.stringify({ user: 'u', password: CANARY }) });
      assert.equal(await backend(config()).subkeys('ns', 'creds'), undefined);
      assert.equal(accessCalls(), 0);
      const allowed = await backend(config(), { readValuesForSubkeys: true }).subkeys('ns', 'creds');
      assert.deepEqual(allowed, ['user', 'password']);
      assert.equal(accessCalls(), 1);
    });

    it('refuses writes before any request when read-only', async () => {
      const google = backend(config());
      await assert.rejects(
        google.put('ns', 'K', CANARY),
        (error: BackendError) => error.kind === 'read-only' && !error.message.includes(CANARY),
      );
      await assert.rejects(google.delete('ns', 'K'), (error: BackendError) => error.kind === 'read-only');
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('through the CLI', () => {
    it('lists and checks flows with a Kestra-shaped configuration file, read-only, never printing a value', async function () {
      this.timeout(90000);
      fake.addSecret('a', { labels: { namespace: 'company-team', key: 'db_password', prefix: 'kestra' }, value: CANARY });
      fake.addSecret('b', { labels: { namespace: 'company', key: 'api', prefix: 'kestra' }, annotations: { key: 'API' }, value: CANARY });
      fake.addSecret('c', { labels: { namespace: 'company', key: 'creds', prefix: 'kestra' }, value: JSON.stringify({ user: CANARY }) });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-gcli-'));
      try {
        const configFile = path.join(dir, 'application.yml');
        const keyLines = keyJson.split('\n').join('\n        ');
        fs.writeFileSync(
          configFile,
          [
            'kestra:',
            '  secret:',
            '    type: google-secret-manager',
            '    read-only: true',
            '    google-secret-manager:',
            `      project: ${fake.project}`,
            `      endpoint-override: ${fake.url}`,
            '      service-account: |',
            `        ${keyLines}`,
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
            `    message: "{{ secret('DB_PASSWORD') }} {{ secret('api') }} {{ secret('MISSING') }} {{ secret('CREDS', subkey='user') }} {{ secret('CREDS', subkey='nope') }}"`,
            '',
          ].join('\n'),
        );
        const env = { METADATA_SERVER_DETECTION: 'none' };
        const listed = await runCli(['list', '--namespace', 'company.team', '--config', configFile, '--format', 'json'], env);
        assert.equal(listed.code, 0, listed.stderr);
        const json = JSON.parse(listed.stdout) as { backend: string; readOnly: boolean; secrets: { key: string; namespace: string }[] };
        assert.equal(json.backend, 'google-secret-manager');
        assert.equal(json.readOnly, true);
        assert.deepEqual(
          json.secrets.map((secret) => [secret.key, secret.namespace]),
          [
            ['API', 'company'],
            ['creds', 'company'],
            ['db_password', 'company.team'],
          ],
        );
        const checked = await runCli(['check', path.join(dir, 'flows'), '--config', configFile, '--format', 'json'], env);
        assert.equal(checked.code, 1, checked.stderr);
        const problems = JSON.parse(checked.stdout) as { code: string; message: string }[];
        assert.deepEqual(
          problems.map((problem) => problem.code),
          ['missing-secret'],
        );
        assert.match(problems[0]!.message, /MISSING/);
        assert.equal(accessCalls(), 0);
        assertNoCanary([listed, checked]);
        assert.equal(fake.writeRequests(), 0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('managed mode', () => {
    it('creates with annotations and sanitised labels, adds versions to the same secret, and deletes', async () => {
      const google = backend(config({ readOnly: false, tags: { application: 'Kestra.Prod' } }));
      await google.put('company.team', 'DB_PASSWORD', 'first');
      await google.put('company.team', 'DB_PASSWORD', 'second');
      assert.equal(fake.secrets.size, 1);
      const [stored] = [...fake.secrets.values()];
      assert.match(stored!.id, /^kestra_company-team_DB_PASSWORD_[0-9a-f]{8}$/);
      assert.deepEqual(stored!.annotations, { namespace: 'company.team', key: 'DB_PASSWORD', prefix: 'kestra', tenant: 'main' });
      assert.deepEqual(stored!.labels, {
        application: 'kestra-prod',
        namespace: 'company-team',
        key: 'db_password',
        prefix: 'kestra',
        tenant: 'main',
      });
      assert.equal(stored!.versions.length, 2);
      assert.equal(await google.reveal('company.team', 'DB_PASSWORD'), 'second');
      assert.deepEqual(
        (await google.list('company.team')).map((secret) => secret.key),
        ['DB_PASSWORD'],
      );
      await google.delete('company.team', 'DB_PASSWORD');
      assert.equal(fake.secrets.size, 0);
    });

    it('adds the default tags to an existing secret it updates, keeping its own labels', async () => {
      fake.addSecret('admin-made', { labels: { namespace: 'ns', key: 'token', prefix: 'kestra', team: 'data' }, value: 'old' });
      const google = backend(config({ readOnly: false, tags: { application: 'kestra-production' } }));
      await google.put('ns', 'TOKEN', 'new');
      const stored = fake.secrets.get('admin-made')!;
      assert.equal(fake.secrets.size, 1);
      assert.deepEqual(stored.labels, {
        namespace: 'ns',
        key: 'token',
        prefix: 'kestra',
        team: 'data',
        application: 'kestra-production',
        tenant: 'main',
      });
      assert.deepEqual(stored.annotations, { namespace: 'ns', key: 'TOKEN', prefix: 'kestra', tenant: 'main' });
      assert.equal(await google.reveal('ns', 'token'), 'new');
      const patches = fake.requests.filter((request) => request.method === 'PATCH').length;
      await google.put('ns', 'TOKEN', 'newer');
      assert.equal(fake.requests.filter((request) => request.method === 'PATCH').length, patches, 'unchanged tags were written again');
    });

    it('keeps a.b and a_b apart in created ids', async () => {
      const google = backend(config({ readOnly: false }));
      await google.put('a.b', 'K', 'one');
      await google.put('a_b', 'K', 'two');
      assert.equal(fake.secrets.size, 2);
      assert.equal(await google.reveal('a.b', 'K'), 'one');
      assert.equal(await google.reveal('a_b', 'K'), 'two');
    });

    it('hides secrets without the kestra prefix label in managed mode', async () => {
      fake.addSecret('foreign', { labels: { namespace: 'ns', key: 'a' } });
      assert.deepEqual(await backend(config({ readOnly: false })).list('ns'), []);
    });
  });

  describe('authentication', () => {
    beforeEach(() => fake.addSecret('s', { labels: { namespace: 'ns', key: 'k' } }));

    it('uses credentials from SecretStorage when the configuration has none', async () => {
      const google = backend(config({}, { serviceAccount: undefined }), { credentials: { serviceAccount: keyJson } });
      assert.equal((await google.list('ns')).length, 1);
    });

    it("uses GOOGLE_APPLICATION_CREDENTIALS (ADC) and the key's project when none is configured", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-gsa-'));
      const file = path.join(dir, 'key.json');
      fs.writeFileSync(file, keyJson);
      try {
        const google = backend(config({}, { serviceAccount: undefined, project: undefined }), {
          env: { GOOGLE_APPLICATION_CREDENTIALS: file, KESTRA_SECRETS_TIMEOUT_MS: '5000' },
        });
        assert.equal((await google.list('ns')).length, 1);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reports a refused key as an auth error with what to do', async () => {
      const stranger = await startGoogleSecretManager();
      try {
        const google = backend(config({}, { serviceAccount: stranger.serviceAccountKey() }));
        await assert.rejects(
          google.list('ns'),
          (error: BackendError) =>
            error instanceof BackendError &&
            error.kind === 'auth' &&
            /gcloud auth application-default login/.test(error.message) &&
            !/\n\s+at /.test(error.message),
        );
      } finally {
        await stranger.close();
      }
    });

    it('reports a malformed service-account key without echoing it', async () => {
      const google = backend(config({}, { serviceAccount: `{"private_key": "${CANARY}"` }));
      await assert.rejects(google.list('ns'), (error: BackendError) => error.kind === 'config' && !error.message.includes(CANARY));
    });
  });

  describe('faults', () => {
    beforeEach(() => fake.addSecret('s', { labels: { namespace: 'ns', key: 'k' }, value: CANARY }));

    it('retries throttling and 5xx, then succeeds', async () => {
      fake.inject({ kind: 'status', status: 429, count: 1 });
      fake.inject({ kind: 'status', status: 503, count: 1 });
      assert.equal((await backend(config()).list('ns')).length, 1);
      assert.equal(listCalls(), 3);
    });

    it('gives up after bounded attempts with a server error', async () => {
      fake.inject({ kind: 'status', status: 500, count: 10 });
      await assert.rejects(backend(config()).list('ns'), (error: BackendError) => error.kind === 'server');
      assert.equal(listCalls(), 3);
    });

    it('bounds a hanging request by the timeout and retries reads', async function () {
      // The bound under test is the 8 s below; the first, recovering listing may take longer on a loaded machine.
      this.timeout(60_000);
      fake.inject({ kind: 'hang', count: 1 });
      const google = backend(config(), { env: { KESTRA_SECRETS_TIMEOUT_MS: '800' } });
      assert.equal((await google.list('ns')).length, 1);
      fake.inject({ kind: 'hang', count: 5 });
      const started = Date.now();
      await assert.rejects(google.list('ns'), (error: BackendError) => error.kind === 'timeout');
      assert.ok(Date.now() - started < 8000, 'the timeout was not bounded');
    });

    it('reports an unreachable endpoint', async () => {
      const port = await closedPort();
      const google = backend(config({}, { endpointOverride: `http://127.0.0.1:${port}` }));
      await assert.rejects(
        google.list('ns'),
        (error: BackendError) => error.kind === 'unreachable' && error.message.includes(`127.0.0.1:${port}`),
      );
    });

    it('never puts a written value into an error message', async () => {
      fake.inject({ kind: 'status', status: 500, count: 10 });
      const google = backend(config({ readOnly: false }));
      await assert.rejects(google.put('ns', 'new', CANARY), (error: BackendError) => {
        assertNoCanary({ message: error.message, hint: error.hint });
        return error instanceof BackendError;
      });
      assertNoCanary(google.label);
    });
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
