import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { BackendError, type BackendContext, type SecretBackend } from '../../../src/core/store';
import { createAwsBackend, serverFilters } from '../../../src/backends/aws';
import { hasAllTags, hasAnyTag, identityOf, keyFromPrefixedName, scrub } from '../../../src/backends/common';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { startAwsSecretsManager, type FakeAwsSecretsManager } from '../../fakes/awsSecretsManager';
import { runCli } from '../../fakes/tls';
import { testBackendContext } from '../recordingLogger';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CANARY = 'CANARY-7f3a9c-do-not-leak';

describe('AWS Secrets Manager backend against the fake', () => {
  let fake: FakeAwsSecretsManager;
  let logLines: string[];
  const backends: SecretBackend[] = [];

  const config = (
    overrides: Partial<SecretBackendConfig> = {},
    aws: Partial<NonNullable<SecretBackendConfig['aws']>> = {},
  ): SecretBackendConfig => ({
    type: 'aws-secret-manager',
    readOnly: false,
    tags: {},
    cache: { enabled: false, maximumSize: 1000, expireAfterWriteMs: 60_000 },
    aws: {
      region: fake.region,
      endpointOverride: fake.url,
      accessKeyId: fake.credentials[0]!.accessKeyId,
      secretKeyId: fake.credentials[0]!.secretAccessKey,
      ...aws,
    },
    ...overrides,
  });
  const context = (overrides: Partial<BackendContext> = {}): BackendContext => testBackendContext(logLines, overrides);
  const backend = (cfg: SecretBackendConfig, ctx: BackendContext = context()) => {
    const created = createAwsBackend(cfg, ctx);
    backends.push(created);
    return created;
  };
  const keys = (metas: { key: string }[]) => metas.map((meta) => meta.key).sort();

  beforeEach(async () => {
    fake = await startAwsSecretsManager();
    logLines = [];
  });
  afterEach(async () => {
    for (const created of backends.splice(0)) created.dispose();
    await fake.close();
  });

  it('lists 10,000 secrets of a namespace in at most 100 ListSecrets calls and no GetSecretValue', async function () {
    this.timeout(60_000);
    for (let i = 0; i < 10_000; i++) fake.seed(`team/s${i}`, `v${i}`, { namespace: 'company.team', key: `KEY_${i}`, prefix: 'kestra' });
    fake.seed('other/x', 'x', { namespace: 'company.other', key: 'X', prefix: 'kestra' });
    const listed = await backend(config({ readOnly: true })).list('company.team');
    assert.equal(listed.length, 10_000);
    assert.ok(fake.count('ListSecrets') <= 100, `${fake.count('ListSecrets')} calls`);
    assert.equal(fake.count('GetSecretValue'), 0);
    assert.equal(fake.writeRequests(), 0);
  });

  it('maps tags to (namespace, key), lists distinct namespaces and hides other tenants and prefixes', async () => {
    fake.seed('a', 'x', { namespace: 'company', key: 'ROOT', prefix: 'kestra' });
    fake.seed('b', 'x', { namespace: 'company.team', key: 'DB', prefix: 'kestra', tenant: 'main' });
    fake.seed('c', 'x', { namespace: 'company.team', key: 'OTHER_TENANT', prefix: 'kestra', tenant: 'acme' });
    fake.seed('d', 'x', { namespace: 'company.team', key: 'OTHER_PREFIX', prefix: 'staging' });
    fake.seed('e', 'x', { namespace: 'company.team' });
    fake.seed('f', 'x', {});
    const managed = backend(config());
    assert.deepEqual(await managed.listNamespaces(), ['company', 'company.team']);
    const team = await managed.list('company.team');
    assert.deepEqual(keys(team), ['DB']);
    assert.equal(team[0]!.namespace, 'company.team');
    assert.equal(team[0]!.source, 'AWS secret b');
    assert.match(team[0]!.updated ?? '', /^\d{4}-\d\d-\d\dT/);
    // read-only checks the prefix tag too (Kestra's docs ask admins to set it); `prefix` picks another instance's
    assert.deepEqual(keys(await backend(config({ readOnly: true, prefix: 'kestra' })).list('company.team')), ['DB']);
    assert.deepEqual(keys(await backend(config({ readOnly: true, prefix: 'staging' })).list('company.team')), ['OTHER_PREFIX']);
    assert.equal(fake.count('GetSecretValue'), 0);
  });

  it('applies filter-on-tags server-side and excluded-tags client-side', async () => {
    fake.seed('p1', 'x', { namespace: 'ns', key: 'PROD', application: 'kestra-production', prefix: 'kestra' });
    fake.seed('p2', 'x', { namespace: 'ns', key: 'PROD_HIDDEN', application: 'kestra-production', hidden: 'yes', prefix: 'kestra' });
    fake.seed('s1', 'x', { namespace: 'ns', key: 'STAGING', application: 'kestra-staging', prefix: 'kestra' });
    const filtered = backend(
      config({ readOnly: true, filterOnTags: { application: 'kestra-production' }, excludedTags: { hidden: 'yes' } }),
    );
    assert.deepEqual(keys(await filtered.list('ns')), ['PROD']);
    assert.deepEqual(await filtered.listNamespaces(), ['ns']);
    const list = fake.requests.filter((request) => request.target === 'ListSecrets');
    assert.deepEqual(list[0]!.body.Filters, [
      { Key: 'tag-key', Values: ['namespace'] },
      { Key: 'tag-value', Values: ['ns'] },
    ]);
    assert.deepEqual(list[1]!.body.Filters, [
      { Key: 'tag-key', Values: ['namespace'] },
      { Key: 'tag-value', Values: ['kestra-production'] },
    ]);
  });

  it('filter-on-prefix derives keys from names, with and without keep-prefix', async () => {
    fake.seed('prod_DB_PASSWORD', 'x', {});
    fake.seed('prod_API', 'x', { namespace: 'company.team' });
    fake.seed('dev_DB_PASSWORD', 'x', {});
    const strip = backend(config({ readOnly: true, prefix: 'kestra', filterOnPrefix: { prefix: 'prod_', keepPrefix: false } }));
    assert.deepEqual(keys(await strip.list('company.team')), ['API', 'DB_PASSWORD']);
    assert.deepEqual(keys(await strip.list('elsewhere')), ['DB_PASSWORD'], 'untagged prefix secrets are visible from every namespace');
    const keep = backend(config({ readOnly: true, filterOnPrefix: { prefix: 'prod_', keepPrefix: true } }));
    assert.deepEqual(keys(await keep.list('company.team')), ['prod_API', 'prod_DB_PASSWORD']);
    assert.deepEqual(fake.requests.find((request) => request.target === 'ListSecrets')!.body.Filters, [{ Key: 'name', Values: ['prod_'] }]);
    assert.deepEqual(
      serverFilters(config({ filterOnPrefix: { prefix: '!neg', keepPrefix: false } })),
      [],
      'values AWS would misread are not sent',
    );
  });

  it('managed mode creates, updates, reveals, deletes and re-creates with Kestra tags and a documented name', async () => {
    const managed = backend(config({ tags: { team: 'data' } }));
    await managed.put('company.team', 'DB_PASSWORD', 's3cret', { description: 'db' });
    const stored = fake.secrets.get('kestra/main/company.team/DB_PASSWORD');
    assert.ok(stored);
    assert.equal(stored.value, 's3cret');
    assert.deepEqual(Object.fromEntries(stored.tags.map((tag) => [tag.Key, tag.Value])), {
      team: 'data',
      namespace: 'company.team',
      key: 'DB_PASSWORD',
      prefix: 'kestra',
      tenant: 'main',
    });
    assert.equal(stored.description, 'db');
    await managed.put('company.team', 'DB_PASSWORD', 'n3w');
    assert.equal(fake.count('CreateSecret'), 1);
    assert.equal(fake.count('PutSecretValue'), 1);
    assert.equal(await managed.reveal('company.team', 'DB_PASSWORD'), 'n3w');
    assert.deepEqual(keys(await managed.list('company.team')), ['DB_PASSWORD']);
    await managed.delete('company.team', 'DB_PASSWORD');
    assert.deepEqual(await managed.list('company.team'), []);
    assert.ok(fake.secrets.get('kestra/main/company.team/DB_PASSWORD')?.deleted, 'deleted with a recovery window, not forced');
    await managed.put('company.team', 'DB_PASSWORD', 'again');
    assert.equal(fake.count('RestoreSecret'), 1);
    assert.ok(!logLines.some((line) => line.startsWith('warn ')), 'a recovered create is not reported as a failure');
    assert.equal(await managed.reveal('company.team', 'DB_PASSWORD'), 'again');
    await assert.rejects(managed.delete('company.team', 'MISSING'), (error: BackendError) => error.kind === 'not-found');
    await assert.rejects(managed.put('ns', 'bad key!', 'v'), (error: BackendError) => error.kind === 'config');
  });

  it('read-only refuses writes before any request and records zero write requests', async () => {
    fake.seed('x', 'v', { namespace: 'ns', key: 'K', prefix: 'kestra' });
    const readOnly = backend(config({ readOnly: true }));
    assert.equal(readOnly.readOnly, true);
    const before = fake.requests.length;
    await assert.rejects(readOnly.put('ns', 'K', 'v'), (error: BackendError) => error.kind === 'read-only');
    await assert.rejects(readOnly.delete('ns', 'K'), (error: BackendError) => error.kind === 'read-only');
    assert.equal(fake.requests.length, before);
    await readOnly.list('ns');
    await readOnly.reveal('ns', 'K');
    assert.equal(fake.writeRequests(), 0);
  });

  it('learns subkeys only when reading values is allowed', async () => {
    fake.seed('j', '{"user":"u","password":"p"}', { namespace: 'ns', key: 'JSON', prefix: 'kestra' });
    fake.seed('t', 'plain', { namespace: 'ns', key: 'TEXT', prefix: 'kestra' });
    assert.equal(await backend(config({ readOnly: true })).subkeys('ns', 'JSON'), undefined);
    assert.equal(fake.count('GetSecretValue'), 0);
    const reading = backend(config({ readOnly: true }), context({ readValuesForSubkeys: true }));
    assert.deepEqual(await reading.subkeys('ns', 'JSON'), ['user', 'password']);
    assert.deepEqual(await reading.subkeys('ns', 'TEXT'), []);
  });

  describe('credentials', () => {
    it('uses credentials from SecretStorage when the configuration has none', async () => {
      fake.seed('x', 'v', { namespace: 'ns', key: 'K', prefix: 'kestra' });
      const [known] = fake.credentials;
      const stored = backend(
        config({}, { accessKeyId: undefined, secretKeyId: undefined }),
        context({ credentials: { accessKeyId: known!.accessKeyId, secretAccessKey: known!.secretAccessKey } }),
      );
      assert.deepEqual(keys(await stored.list('ns')), ['K']);
      assert.equal(fake.requests.at(-1)!.accessKeyId, known!.accessKeyId);
    });

    it('falls back to the SDK default chain (environment variables)', async () => {
      const [known] = fake.credentials;
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
      process.env.AWS_ACCESS_KEY_ID = known!.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = known!.secretAccessKey;
      try {
        const chain = backend(config({}, { accessKeyId: undefined, secretKeyId: undefined }));
        assert.deepEqual(await chain.list('ns'), []);
        assert.equal(fake.requests.at(-1)!.accessKeyId, known!.accessKeyId);
      } finally {
        if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
        else process.env.AWS_ACCESS_KEY_ID = saved.id;
        if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
        else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      }
    });

    it('checks session tokens and reports unknown keys as auth errors with a hint', async () => {
      await fake.close();
      fake = await startAwsSecretsManager({
        credentials: [{ accessKeyId: 'ASIATEMP', secretAccessKey: 'temp-secret', sessionToken: 'session-1' }],
      });
      const withToken = backend(config({}, { accessKeyId: 'ASIATEMP', secretKeyId: 'temp-secret', sessionToken: 'session-1' }));
      assert.deepEqual(await withToken.list('ns'), []);
      const stale = backend(config({}, { accessKeyId: 'ASIATEMP', secretKeyId: 'temp-secret', sessionToken: 'expired' }));
      await assert.rejects(
        stale.list('ns'),
        (error: BackendError) =>
          error.kind === 'auth' && /aws sso login/.test(error.message) && /AWS Secrets Manager \(eu-west-1\)/.test(error.message),
      );
      const unknown = backend(config({}, { accessKeyId: 'AKIANOBODY', secretKeyId: 'x' }));
      await assert.rejects(unknown.list('ns'), (error: BackendError) => error.kind === 'auth' && !/\n\s+at /.test(error.message));
    });
  });

  describe('faults', () => {
    it('retries throttling and 5xx with the SDK retry, then reports throttling clearly', async () => {
      fake.seed('x', 'v', { namespace: 'ns', key: 'K', prefix: 'kestra' });
      fake.inject({ kind: 'throttle', count: 1 });
      fake.inject({ kind: 'server-error', count: 1, status: 503 });
      assert.deepEqual(keys(await backend(config()).list('ns')), ['K']);
      assert.equal(fake.count('ListSecrets'), 3);
      fake.inject({ kind: 'throttle', count: 3 });
      await assert.rejects(
        backend(config()).list('ns'),
        (error: BackendError) => error.kind === 'throttled' && error.operation === 'list secrets of ns',
      );
      fake.inject({ kind: 'access-denied', count: 1 });
      await assert.rejects(backend(config()).list('ns'), (error: BackendError) => error.kind === 'permission');
    });

    it('bounds a hanging request by the timeout and the attempt count', async () => {
      fake.inject({ kind: 'hang', count: 10 });
      const started = Date.now();
      const impatient = backend(config(), context({ env: { KESTRA_SECRETS_TIMEOUT_MS: '300' } }));
      await assert.rejects(
        impatient.list('ns'),
        (error: BackendError) => error.kind === 'timeout' && /No answer from http:\/\/127\.0\.0\.1/.test(error.message),
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      assert.ok(fake.count('ListSecrets') <= 3);
    });

    it('reports an unreachable endpoint', async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const nowhere = backend(config({}, { endpointOverride: `http://127.0.0.1:${port}` }));
      await assert.rejects(
        nowhere.list('ns'),
        (error: BackendError) => error.kind === 'unreachable' && error.message.includes(`127.0.0.1:${port}`),
      );
    });
  });

  describe('through the CLI, with a Kestra-shaped application.yml', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-aws-cli-'));
      fs.mkdirSync(path.join(dir, 'flows'));
      fs.writeFileSync(
        path.join(dir, 'flows', 'flow.yml'),
        [
          'id: f',
          'namespace: company.team',
          'tasks:',
          '  - id: t',
          '    type: io.kestra.plugin.core.log.Log',
          `    message: "{{ secret('DB_PASSWORD') }} {{ secret('API_TOKEN') }} {{ secret('MISSING_ONE') }}"`,
          '',
        ].join('\n'),
      );
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const writeConfig = (lines: string[]) => {
      const file = path.join(dir, 'application.yml');
      fs.writeFileSync(
        file,
        [
          'kestra:',
          '  secret:',
          '    type: aws-secret-manager',
          ...lines.map((line) => `    ${line}`),
          '    aws-secret-manager:',
          `      region: ${fake.region}`,
          `      endpoint-override: ${fake.url}`,
          '      access-key-id: ${TEST_AWS_KEY}',
          '      secret-key-id: ${TEST_AWS_SECRET}',
          '',
        ].join('\n'),
      );
      return file;
    };
    const env = () => ({
      AWS_EC2_METADATA_DISABLED: 'true',
      TEST_AWS_KEY: fake.credentials[0]!.accessKeyId,
      TEST_AWS_SECRET: fake.credentials[0]!.secretAccessKey,
      KESTRA_SECRETS_TIMEOUT_MS: '2000',
    });

    it('lists own and inherited keys with tag filters and checks flows, reading no value and writing nothing', async function () {
      this.timeout(90_000);
      fake.seed('prod/db', CANARY, { namespace: 'company.team', key: 'DB_PASSWORD', prefix: 'kestra', application: 'prod' });
      fake.seed('prod/api', CANARY, { namespace: 'company', key: 'API_TOKEN', prefix: 'kestra', application: 'prod' });
      fake.seed('staging/missing', CANARY, { namespace: 'company.team', key: 'MISSING_ONE', prefix: 'kestra', application: 'staging' });
      const config = writeConfig(['read-only: true', 'filter-on-tags:', '  tags:', '    application: prod']);
      const listed = await runCli(['list', '--namespace', 'company.team', '--config', config, '--format', 'json'], env());
      assert.equal(listed.code, 0, listed.stderr);
      const json = JSON.parse(listed.stdout) as { backend: string; readOnly: boolean; secrets: { key: string; namespace: string }[] };
      assert.equal(json.backend, 'aws-secret-manager');
      assert.equal(json.readOnly, true);
      assert.deepEqual(
        json.secrets.map((secret) => [secret.key, secret.namespace]),
        [
          ['API_TOKEN', 'company'],
          ['DB_PASSWORD', 'company.team'],
        ],
      );
      const checked = await runCli(['check', path.join(dir, 'flows'), '--config', config, '--format', 'json'], env());
      assert.equal(checked.code, 1, checked.stderr);
      const problems = JSON.parse(checked.stdout) as { code: string; message: string }[];
      assert.deepEqual(
        problems.map((problem) => problem.code),
        ['missing-secret'],
      );
      assert.match(problems[0]!.message, /MISSING_ONE/);
      for (const output of [listed.stdout, listed.stderr, checked.stdout, checked.stderr]) assert.ok(!output.includes(CANARY));
      assert.equal(fake.count('GetSecretValue'), 0);
      assert.equal(fake.writeRequests(), 0);
    });

    it('reports bad credentials as a clear one-line error without a stack trace', async function () {
      this.timeout(90_000);
      const config = writeConfig(['read-only: true']);
      const listed = await runCli(['list', '--namespace', 'company.team', '--config', config], { ...env(), TEST_AWS_KEY: 'AKIANOBODY' });
      assert.notEqual(listed.code, 0);
      assert.match(listed.stderr, /AWS Secrets Manager \(eu-west-1\).*aws sso login/);
      assert.ok(!/\n\s+at /.test(listed.stderr), listed.stderr);
    });
  });

  it('never lets a value reach errors, labels, metadata or log lines', async () => {
    fake.seed('canary', CANARY, { namespace: 'ns', key: 'CANARY', note: 'plain', prefix: 'kestra' }, 'the canary');
    fake.seed('json', JSON.stringify({ token: CANARY }), { namespace: 'ns', key: 'JSON', prefix: 'kestra' });
    const managed = backend(config({ tags: { owner: 'ops' } }), context({ readValuesForSubkeys: true }));
    const seen: string[] = [managed.label];
    seen.push(JSON.stringify(await managed.list('ns')), JSON.stringify(await managed.listNamespaces()));
    seen.push(JSON.stringify(await managed.subkeys('ns', 'JSON')));
    assert.equal(await managed.reveal('ns', 'CANARY'), CANARY);
    fake.inject({ kind: 'access-denied', count: 1, target: 'PutSecretValue' });
    await managed.put('ns', 'CANARY', CANARY).catch((error: Error) => seen.push(error.message, String(error.stack)));
    await managed.put('ns', 'NEW', CANARY);
    fake.inject({ kind: 'server-error', count: 3, target: 'CreateSecret' });
    await managed.put('ns', 'OTHER', CANARY).catch((error: Error) => seen.push(error.message));
    const readOnly = backend(config({ readOnly: true }));
    await readOnly.put('ns', 'CANARY', CANARY).catch((error: Error) => seen.push(error.message));
    assert.ok(seen.length >= 6);
    for (const text of [...seen, ...logLines]) assert.ok(!text.includes(CANARY), `leaked in: ${text.slice(0, 120)}`);
    assert.ok(
      logLines.some((line) => line.startsWith('warn ')),
      'failures are logged (without values)',
    );
  });
});

describe('cloud backend identity rules (common.ts)', () => {
  const base: SecretBackendConfig = {
    type: 'aws-secret-manager',
    readOnly: true,
    tags: {},
    cache: { enabled: false, maximumSize: 1, expireAfterWriteMs: 0 },
  };
  const tagMaps = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 5 });

  it('filter-on-prefix: stripping then re-adding the prefix gives the name back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ minLength: 1, maxLength: 12 }), (prefix, rest) => {
        assert.equal(prefix + keyFromPrefixedName(prefix + rest, { prefix, keepPrefix: false }), prefix + rest);
        assert.equal(keyFromPrefixedName(prefix + rest, { prefix, keepPrefix: true }), prefix + rest);
      }),
    );
  });

  it('a secret always carries its own tags, and any excluded tag it carries hides it', () => {
    fc.assert(
      fc.property(tagMaps, (tags) => {
        assert.ok(hasAllTags(tags, tags));
        assert.equal(hasAnyTag(tags, tags), Object.keys(tags).length > 0);
        const tagged = { ...tags, namespace: 'ns', key: 'K', prefix: 'kestra', tenant: 'main' };
        assert.deepEqual(identityOf('n', tagged, base, 'main'), { key: 'K', namespace: 'ns' });
        assert.equal(identityOf('n', tagged, { ...base, excludedTags: { namespace: 'ns' } }, 'main'), undefined);
        assert.equal(identityOf('n', { ...tagged, tenant: 'other' }, base, 'main'), undefined);
      }),
    );
  });

  it('scrub removes every occurrence of a value from a message', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 3, maxLength: 20 }), fc.string(), (before, value, after) => {
        fc.pre(!value.includes('*'));
        assert.ok(!scrub(`${before}${value}${after}${value}`, [value]).includes(value));
      }),
    );
  });
});
