import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError, type BackendContext, type SecretBackend } from '../../../src/core/store';
import { createVaultBackend } from '../../../src/backends/vault';
import type { SecretBackendConfig, VaultOptions } from '../../../src/core/configTypes';
import { createTestCertificate, runCli } from '../../fakes/tls';
import { startVault, type FakeVault, type FakeVaultOptions } from '../../fakes/vault';
import { testBackendContext } from '../recordingLogger';

const CANARY = 'CANARY-vault-4b1e-do-not-leak';

const fakeOptions: FakeVaultOptions = {
  tokens: {
    'reader-token': { paths: ['secret/metadata/app1', 'secret/subkeys/app1', 'secret/data/app1'], readOnly: true },
    'no-subkeys-token': { paths: ['secret/metadata/app1'] },
    'data-writer': { paths: ['secret/data/', 'secret/metadata/main/company/team/DB_PASSWORD'] },
  },
  userpass: { kestra: { password: 'userpass-password' } },
  approle: { mount: 'kestra-approle', roles: { 'role-id-1': { secretId: 'secret-id-1' } } },
  mounts: { '': ['secret', 'kv'], 'team-a': ['secret'] },
};

describe('Vault backend against the fake', () => {
  let fake: FakeVault;
  let logLines: string[];
  const backends: SecretBackend[] = [];

  const config = (overrides: Partial<SecretBackendConfig> = {}, vault: Partial<VaultOptions> = {}): SecretBackendConfig => ({
    type: 'vault',
    readOnly: false,
    tags: {},
    cache: { enabled: false, maximumSize: 1000, expireAfterWriteMs: 60_000 },
    vault: { address: fake.url, rootEngine: 'secret', engineVersion: 2, token: { token: fake.rootToken }, ...vault },
    ...overrides,
  });
  const context = (overrides: Partial<BackendContext> = {}): BackendContext => testBackendContext(logLines, overrides);
  const backend = (cfg: SecretBackendConfig, ctx: BackendContext = context()) => {
    const created = createVaultBackend(cfg, ctx);
    backends.push(created);
    return created;
  };
  const keys = (metas: { key: string }[]) => metas.map((meta) => meta.key).sort();

  beforeEach(async () => {
    fake = await startVault(fakeOptions);
    logLines = [];
    fake.seed('app1/db', { DATABASE_USERNAME: 'u', DATABASE_PASSWORD: 'p' });
    fake.seed('app1/api', { keys: { a: 1 }, API_TOKEN: 't' });
    fake.seed('app1/nested/deeper', { x: 'y' });
    fake.seed('app2/config', { c: 'd' });
    fake.seed('main/company/ROOT_KEY', { value: 'r' });
    fake.seed('main/company/team/DB_PASSWORD', { value: 'pw' });
    fake.seed('main/company/team/JSON_CREDS', { value: '{"user":"u","password":"p"}' });
    fake.seed('acme/company/OTHER_TENANT', { value: 'x' });
  });
  afterEach(async () => {
    for (const created of backends.splice(0)) created.dispose();
    await fake.close();
  });

  describe('read-only mode (secret-path-prefix)', () => {
    const readOnlyConfig = (vault: Partial<VaultOptions> = {}) => config({ readOnly: true }, { secretPathPrefix: 'app1', ...vault });

    it('lists the children of the prefix in every namespace, with fields as subkeys, and writes nothing', async () => {
      const vault = backend(readOnlyConfig());
      assert.equal(vault.namespaced, false);
      assert.deepEqual(await vault.listNamespaces(), []);
      const listed = await vault.list('company.team');
      assert.deepEqual(keys(listed), ['api', 'db']);
      const db = listed.find((meta) => meta.key === 'db')!;
      assert.deepEqual(db.subkeys?.sort(), ['DATABASE_PASSWORD', 'DATABASE_USERNAME']);
      assert.equal(db.namespace, undefined);
      assert.equal(db.valueKind, 'json-object');
      assert.match(db.updated ?? '', /^\d{4}-/);
      assert.deepEqual(keys(await vault.list('anything.else')), ['api', 'db']);
      assert.deepEqual((await vault.subkeys('x', 'api'))?.sort(), ['API_TOKEN', 'keys']);
      assert.ok(!fake.requests.some((request) => request.path.startsWith('secret/data/')), 'listing and subkeys never read values');
      await assert.rejects(vault.put('ns', 'db', 'v'), (error: BackendError) => error.kind === 'read-only');
      await assert.rejects(vault.delete('ns', 'db'), (error: BackendError) => error.kind === 'read-only');
      assert.equal(JSON.parse(await vault.reveal('ns', 'db')).DATABASE_USERNAME, 'u');
      assert.equal(fake.writeRequests(), 0);
    });

    it('works with a token limited to the prefix, and without subkeys permission', async () => {
      const reader = backend(readOnlyConfig({ token: { token: 'reader-token' } }));
      assert.deepEqual(keys(await reader.list('ns')), ['api', 'db']);
      const noSubkeys = backend(readOnlyConfig({ token: { token: 'no-subkeys-token' } }));
      const listed = await noSubkeys.list('ns');
      assert.deepEqual(keys(listed), ['api', 'db']);
      assert.equal(listed[0]!.subkeys, undefined);
      const outside = backend(readOnlyConfig({ token: { token: 'reader-token' }, secretPathPrefix: 'app2' }));
      await assert.rejects(
        outside.list('ns'),
        (error: BackendError) => error.kind === 'permission' && /policy/.test(error.message) && !/\n/.test(error.message),
      );
      assert.equal(fake.writeRequests(), 0);
    });

    it('uses another root engine and a Vault namespace', async () => {
      fake.seed('app1/only-in-kv', { a: 'b' }, { mount: 'kv' });
      fake.seed('app1/team-a-secret', { a: 'b' }, { namespace: 'team-a' });
      assert.deepEqual(keys(await backend(readOnlyConfig({ rootEngine: 'kv' })).list('ns')), ['only-in-kv']);
      assert.deepEqual(keys(await backend(readOnlyConfig({ namespace: 'team-a' })).list('ns')), ['team-a-secret']);
      assert.ok(fake.requests.some((request) => request.namespace === 'team-a'));
    });
  });

  describe('managed mode (<root-engine>/<tenant>/<namespace parts>/<KEY>)', () => {
    it('lists namespaces and own keys of the tenant', async () => {
      const vault = backend(config());
      assert.equal(vault.namespaced, true);
      assert.deepEqual(await vault.listNamespaces(), ['company', 'company.team']);
      assert.deepEqual(keys(await vault.list('company.team')), ['DB_PASSWORD', 'JSON_CREDS']);
      assert.deepEqual(keys(await vault.list('company')), ['ROOT_KEY']);
      assert.deepEqual(await vault.list('nothing.here'), []);
      assert.deepEqual(await backend(config(), context({ tenant: 'acme' })).listNamespaces(), ['company']);
    });

    it('creates with a value field and Kestra metadata, reveals, deletes', async () => {
      const vault = backend(config({ tags: { team: 'data' } }));
      await vault.put('company.team', 'NEW_KEY', 'new-value', { description: 'desc' });
      assert.deepEqual(fake.read('main/company/team/NEW_KEY'), { value: 'new-value' });
      assert.equal(await vault.reveal('company.team', 'NEW_KEY'), 'new-value');
      const meta = fake.requests.find(
        (request) => request.method === 'POST' && request.path === 'secret/metadata/main/company/team/NEW_KEY',
      );
      assert.ok(meta, 'custom metadata written');
      const metadata = (await (
        await fetch(`${fake.url}/v1/secret/metadata/main/company/team/NEW_KEY`, { headers: { 'X-Vault-Token': fake.rootToken } })
      ).json()) as { data: { custom_metadata: Record<string, string> } };
      assert.deepEqual(metadata.data.custom_metadata, {
        team: 'data',
        namespace: 'company.team',
        key: 'NEW_KEY',
        prefix: 'kestra',
        tenant: 'main',
        description: 'desc',
      });
      assert.deepEqual(keys(await vault.list('company.team')), ['DB_PASSWORD', 'JSON_CREDS', 'NEW_KEY']);
      await vault.delete('company.team', 'NEW_KEY');
      assert.equal(fake.read('main/company/team/NEW_KEY'), undefined);
      assert.deepEqual(keys(await vault.list('company.team')), ['DB_PASSWORD', 'JSON_CREDS']);
      await assert.rejects(vault.reveal('company.team', 'NEW_KEY'), (error: BackendError) => error.kind === 'not-found');
    });

    it('saves a value even when the policy forbids writing its metadata, with a warning', async () => {
      const writer = backend(config({}, { token: { token: 'data-writer' } }));
      await writer.put('company.team', 'NEW_KEY', 'v');
      assert.deepEqual(fake.read('main/company/team/NEW_KEY'), { value: 'v' });
      assert.ok(logLines.some((line) => line.startsWith('warn ') && /could not write its tags/.test(line)));
    });

    it('learns subkeys of a value-field secret only when reading values is allowed', async () => {
      assert.equal(await backend(config()).subkeys('company.team', 'JSON_CREDS'), undefined);
      assert.deepEqual(await backend(config(), context({ readValuesForSubkeys: true })).subkeys('company.team', 'JSON_CREDS'), [
        'user',
        'password',
      ]);
      fake.seed('main/company/MULTI', { a: '1', b: '2' });
      assert.deepEqual(await backend(config()).subkeys('company', 'MULTI'), ['a', 'b']);
    });
  });

  describe('authentication', () => {
    it('takes the token from SecretStorage or VAULT_TOKEN when the configuration has none', async () => {
      const fromStorage = backend(config({}, { token: undefined }), context({ credentials: { token: fake.rootToken } }));
      assert.deepEqual(keys(await fromStorage.list('company')), ['ROOT_KEY']);
      const fromEnv = backend(config({}, { token: undefined }), context({ env: { VAULT_TOKEN: fake.rootToken } }));
      assert.deepEqual(keys(await fromEnv.list('company')), ['ROOT_KEY']);
      const none = backend(config({}, { token: undefined }));
      await assert.rejects(none.list('company'), (error: BackendError) => error.kind === 'auth' && /VAULT_TOKEN/.test(error.message));
      const wrong = backend(config({}, { token: { token: 'not-a-token' } }));
      await assert.rejects(wrong.list('company'), (error: BackendError) => error.kind === 'permission');
    });

    it('logs in with userpass', async () => {
      const vault = backend(config({}, { token: undefined, password: { user: 'kestra', password: 'userpass-password' } }));
      assert.deepEqual(keys(await vault.list('company')), ['ROOT_KEY']);
      assert.ok(fake.requests.some((request) => request.path === 'auth/userpass/login/kestra'));
      const bad = backend(config({}, { token: undefined, password: { user: 'kestra', password: 'wrong' } }));
      await assert.rejects(bad.list('company'), (error: BackendError) => error.kind === 'auth' && /userpass/.test(error.message));
    });

    it('logs in again when a login token expires, but not when a policy denies a path', async () => {
      const logins = () => fake.requests.filter((request) => request.path.startsWith('auth/userpass/login/')).length;
      const vault = backend(config({}, { token: undefined, password: { user: 'kestra', password: 'userpass-password' } }));
      assert.deepEqual(keys(await vault.list('company')), ['ROOT_KEY']);
      fake.revokeLoginTokens();
      assert.deepEqual(keys(await vault.list('company')), ['ROOT_KEY']);
      assert.equal(logins(), 2);
      await fake.close();
      fake = await startVault({ ...fakeOptions, userpass: { limited: { password: 'pw', token: { paths: ['secret/metadata/app1'] } } } });
      const limited = backend(config({}, { token: undefined, password: { user: 'limited', password: 'pw' } }));
      await assert.rejects(limited.list('company'), (error: BackendError) => error.kind === 'permission');
      assert.equal(fake.requests.filter((request) => request.path === 'auth/userpass/login/limited').length, 1);
    });

    it('refuses KV version 1 with a clear message', async () => {
      await assert.rejects(
        backend(config({}, { engineVersion: 1 })).list('company'),
        (error: BackendError) => error.kind === 'unsupported' && /engine-version: 2/.test(error.message),
      );
      assert.equal(fake.requests.length, 0);
    });

    it('logs in with AppRole on a custom path, taking the secret id from SecretStorage', async () => {
      const vault = backend(
        config({}, { token: undefined, appRole: { path: 'kestra-approle', roleId: 'role-id-1' } }),
        context({ credentials: { secretId: 'secret-id-1' } }),
      );
      assert.deepEqual(keys(await vault.list('company')), ['ROOT_KEY']);
      const bad = backend(config({}, { token: undefined, appRole: { path: 'kestra-approle', roleId: 'role-id-1', secretId: 'nope' } }));
      await assert.rejects(bad.list('company'), (error: BackendError) => error.kind === 'auth' && /AppRole/.test(error.message));
    });
  });

  describe('faults', () => {
    it('retries 5xx and 429, honouring Retry-After', async () => {
      fake.inject({ kind: 'status', status: 503, count: 1 });
      fake.inject({ kind: 'status', status: 429, count: 1, retryAfter: '1' });
      const started = Date.now();
      assert.deepEqual(keys(await backend(config()).list('company')), ['ROOT_KEY']);
      assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
      fake.inject({ kind: 'status', status: 500, count: 5 });
      await assert.rejects(
        backend(config()).list('company'),
        (error: BackendError) => error.kind === 'server' && error.operation === 'list secrets of company',
      );
    });

    it('bounds a hanging Vault by the timeout', async () => {
      fake.inject({ kind: 'hang', count: 5 });
      const started = Date.now();
      const vault = backend(config(), context({ env: { KESTRA_SECRETS_TIMEOUT_MS: '300' } }));
      await assert.rejects(vault.list('company'), (error: BackendError) => error.kind === 'timeout' && error.message.includes(fake.url));
      assert.ok(Date.now() - started < 2000);
    });

    it('reports connection refused as unreachable with the address', async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const vault = backend(config({}, { address: `http://127.0.0.1:${port}` }));
      assert.equal(vault.label, `HashiCorp Vault (127.0.0.1:${port})`);
      await assert.rejects(
        vault.list('company'),
        (error: BackendError) => error.kind === 'unreachable' && error.message.includes(`http://127.0.0.1:${port}`),
      );
    });
  });

  describe('through the CLI, with a Kestra-shaped application.yml', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-vault-cli-'));
      fs.mkdirSync(path.join(dir, 'flows'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const writeFile = (name: string, lines: string[]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, [...lines, ''].join('\n'));
      return file;
    };
    const flow = (namespace: string, message: string) =>
      writeFile(path.join('flows', 'flow.yml'), [
        'id: f',
        `namespace: ${namespace}`,
        'tasks:',
        '  - id: t',
        '    type: io.kestra.plugin.core.log.Log',
        `    message: "${message}"`,
      ]);

    it('read-only over HTTPS (trusted through NODE_EXTRA_CA_CERTS): secrets with subkeys, checked without reading a value', async function () {
      this.timeout(90_000);
      const cert = createTestCertificate(['127.0.0.1']);
      const secure = await startVault({ ...fakeOptions, tls: { cert: cert.cert, key: cert.key } });
      try {
        secure.seed('app1/db', { DATABASE_USERNAME: CANARY, DATABASE_PASSWORD: CANARY });
        secure.seed('app1/api', { API_TOKEN: CANARY, keys: CANARY });
        const config = writeFile('application.yml', [
          'kestra:',
          '  secret:',
          '    type: vault',
          '    read-only: true',
          '    vault:',
          `      address: ${secure.url}`,
          '      root-engine: secret',
          '      secret-path-prefix: app1',
        ]);
        flow('company.team', "{{ secret('api', subkey='API_TOKEN') }} {{ secret('db', subkey='NOPE') }} {{ secret('gone') }}");
        const env = { NODE_EXTRA_CA_CERTS: cert.certFile, VAULT_TOKEN: 'reader-token', KESTRA_SECRETS_TIMEOUT_MS: '2000' };
        const listed = await runCli(['list', '--namespace', 'company.team', '--config', config, '--format', 'json'], env);
        assert.equal(listed.code, 0, listed.stderr);
        const json = JSON.parse(listed.stdout) as {
          backend: string;
          readOnly: boolean;
          secrets: { key: string; namespace: string | null; subkeys?: string[] }[];
        };
        assert.equal(json.backend, 'vault');
        assert.equal(json.readOnly, true);
        assert.deepEqual(
          json.secrets.map((secret) => [secret.key, secret.namespace, secret.subkeys?.sort()]),
          [
            ['api', null, ['API_TOKEN', 'keys']],
            ['db', null, ['DATABASE_PASSWORD', 'DATABASE_USERNAME']],
          ],
        );
        const checked = await runCli(['check', path.join(dir, 'flows'), '--config', config, '--format', 'json'], env);
        assert.equal(checked.code, 1, checked.stderr);
        const problems = JSON.parse(checked.stdout) as { code: string }[];
        assert.deepEqual(problems.map((problem) => problem.code).sort(), ['missing-secret', 'missing-subkey']);
        for (const output of [listed.stdout, listed.stderr, checked.stdout, checked.stderr]) assert.ok(!output.includes(CANARY));
        assert.equal(secure.writeRequests(), 0);
        assert.ok(!secure.requests.some((request) => request.path.startsWith('secret/data/')), 'no value read');
        const untrusted = await runCli(['list', '--namespace', 'company.team', '--config', config], {
          VAULT_TOKEN: 'reader-token',
          KESTRA_SECRETS_TIMEOUT_MS: '2000',
        });
        assert.notEqual(untrusted.code, 0);
        assert.match(untrusted.stderr, /HashiCorp Vault.*NODE_EXTRA_CA_CERTS/);
        assert.ok(!/\n\s+at /.test(untrusted.stderr), untrusted.stderr);
      } finally {
        await secure.close();
        cert.remove();
      }
    });

    it('managed mode with AppRole: namespaces from the tenant layout, inherited keys', async function () {
      this.timeout(90_000);
      const config = writeFile('application.yml', [
        'kestra:',
        '  secret:',
        '    type: vault',
        '    vault:',
        `      address: ${fake.url}`,
        '      app-role:',
        '        path: kestra-approle',
        '        role-id: role-id-1',
        '        secret-id: ${TEST_SECRET_ID}',
      ]);
      const env = { TEST_SECRET_ID: 'secret-id-1', KESTRA_SECRETS_TIMEOUT_MS: '2000' };
      const listed = await runCli(['list', '--namespace', 'company.team', '--config', config, '--format', 'json'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const json = JSON.parse(listed.stdout) as { readOnly: boolean; secrets: { key: string; namespace: string }[] };
      assert.equal(json.readOnly, false);
      assert.deepEqual(
        json.secrets.map((secret) => [secret.key, secret.namespace]),
        [
          ['DB_PASSWORD', 'company.team'],
          ['JSON_CREDS', 'company.team'],
          ['ROOT_KEY', 'company'],
        ],
      );
      assert.equal(fake.writeRequests(), 0);
    });
  });

  it('never lets a value reach errors, labels, metadata or log lines', async () => {
    fake.seed('app1/canary', { API_TOKEN: CANARY, other: CANARY });
    fake.seed('main/company/CANARY', { value: JSON.stringify({ token: CANARY }) });
    const seen: string[] = [];
    const readOnly = backend(config({ readOnly: true }, { secretPathPrefix: 'app1' }), context({ readValuesForSubkeys: true }));
    const managed = backend(config({ tags: { owner: 'ops' } }), context({ readValuesForSubkeys: true }));
    seen.push(readOnly.label, managed.label);
    seen.push(
      JSON.stringify(await readOnly.list('ns')),
      JSON.stringify(await managed.list('company')),
      JSON.stringify(await managed.subkeys('company', 'CANARY')),
    );
    await readOnly.put('ns', 'canary', CANARY).catch((error: Error) => seen.push(error.message));
    fake.inject({ kind: 'status', status: 500, count: 5 });
    await managed.put('company', 'CANARY', CANARY).catch((error: Error) => seen.push(error.message));
    const userpass = backend(config({}, { token: undefined, password: { user: 'kestra', password: CANARY } }));
    await userpass.list('company').catch((error: Error) => seen.push(error.message));
    assert.ok(seen.length >= 8);
    for (const text of [...seen, ...logLines]) assert.ok(!text.includes(CANARY), `leaked in: ${text.slice(0, 160)}`);
    assert.ok(logLines.some((line) => line.startsWith('warn ')));
  });
});
