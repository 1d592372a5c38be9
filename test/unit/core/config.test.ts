import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import {
  backendForNamespace,
  ConfigError,
  configFromObject,
  configFromSettings,
  defaultConfig,
  loadConfigFile,
  normaliseKey,
  parseConfigText,
  parseDurationMs,
} from '../../../src/core/config';

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'config');
const options = { source: 'test.yml', env: {} as NodeJS.ProcessEnv };

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, { source: 'test.yml', env });
}

function secretBlock(block: Record<string, unknown>) {
  return configFromObject({ kestra: { secret: block } }, options).secret;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  describe('defaults', () => {
    it("defaults to the read-only env backend with Kestra's cache defaults", () => {
      const config = defaultConfig();
      assert.equal(config.secret.type, 'env');
      assert.equal(config.secret.readOnly, true);
      assert.deepEqual(config.secret.cache, { enabled: false, maximumSize: 1000, expireAfterWriteMs: 60_000 });
      assert.deepEqual(config.namespaces, {});
      assert.equal(config.server, undefined);
    });

    it('an empty file, or one without kestra.secret, server or namespaces, is an error saying what it found', () => {
      assert.match(configError(() => parse('')).message, /^test\.yml: the file is empty; expected a `kestra\.secret` block/);
      assert.match(
        configError(() => parse('micronaut: { server: { port: 8080 } }')).message,
        /found only `micronaut`; expected a `kestra\.secret` block/,
      );
      assert.match(
        configError(() => parse('kestra: { repository: { type: postgres } }')).message,
        /found only `kestra\.repository`; expected/,
      );
    });

    it("a pasted snippet without its kestra.secret wrapper is an error naming where its keys belong (the Vault docs' read-only snippet)", () => {
      const bare = configError(() =>
        parse('address: "http://localhost:8200"\nroot-engine: secret\nsecret-path-prefix: kestra\ntoken:\n  token: ${VAULT_TOKEN}\n'),
      );
      assert.equal(
        bare.message,
        'test.yml: no `kestra.secret` block: found the vault options `address`, `root-engine`, `secret-path-prefix`, `token` at the top level; put them under `kestra.secret.vault`, with `type: vault` under `kestra.secret`.',
      );
      assert.deepEqual(bare.location, { file: 'test.yml', line: 1, column: 1 });
      assert.match(
        configError(() => parse('vault:\n  address: http://x\n')).message,
        /found a bare `vault:` block at the top level; put it under `kestra\.secret`, with `type: vault` beside it\.$/,
      );
      assert.match(configError(() => parse('aws-secret-manager: { region: eu-west-1 }')).message, /bare `aws-secret-manager:` block/);
      assert.match(
        configError(() => parse('region: eu-west-1\naccess-key-id: x\n')).message,
        /the aws-secret-manager options `region`, `access-key-id`/,
      );
    });

    it('a top-level secret: block or a typo of kestra.secret is an error, located at the key', () => {
      const topLevel = configError(() => parse('secret:\n  type: vault\n'));
      assert.match(topLevel.message, /found a top-level `secret:` block; Kestra reads it only under `kestra:`/);
      const typo = configError(() => parse('kestra:\n  secrets:\n    type: env\n'));
      assert.equal(typo.message, 'test.yml: no `kestra.secret` block: found `kestra.secrets`; did you mean `kestra.secret`?');
      assert.deepEqual(typo.location, { file: 'test.yml', line: 2, column: 3 });
      assert.match(
        configError(() => parse('server: { url: http://localhost:8080 }\nsecret: { type: vault }\n')).message,
        /top-level `secret:`/,
      );
    });

    it('a file with only server or namespaces, or an empty kestra.secret, is still a configuration', () => {
      assert.equal(parse('server: { url: http://localhost:8080 }').secret.type, 'kestra-server');
      assert.equal(parse('namespaces: { company: { type: vault, vault: { address: http://x } } }').secret.type, 'env');
      assert.equal(parse('kestra:\n  secret:\n').secret.type, 'env');
      assert.equal(parse('micronaut: { server: { port: 8080 } }\nkestra: { secret: { type: env } }').source, 'test.yml');
    });

    it('placeholders and odd values outside kestra.secret are never looked at', () => {
      const config = parse('datasources: { url: "${UNSET_DB_URL}" }\nkestra:\n  encryption: { secret-key: "${UNSET_KEY}" }\n  secret:\n');
      assert.equal(config.secret.type, 'env');
    });

    it('env is always read-only, even when configured otherwise', () => {
      assert.equal(secretBlock({ type: 'env', 'read-only': false }).readOnly, true);
    });

    it('cloud backends default to prefix kestra, Vault to root engine secret / KV v2, writes allowed', () => {
      for (const type of ['aws-secret-manager', 'google-secret-manager']) {
        const config = secretBlock({ type });
        assert.equal(config.prefix, 'kestra', type);
        assert.equal(config.readOnly, false, type);
      }
      assert.equal(secretBlock({ type: 'azure-key-vault', 'azure-key-vault': { 'vault-name': 'kv' } }).prefix, 'kestra');
      const vault = secretBlock({ type: 'vault', vault: { address: 'http://127.0.0.1:8200' } });
      assert.equal(vault.prefix, undefined);
      assert.deepEqual(vault.vault, { address: 'http://127.0.0.1:8200', rootEngine: 'secret', engineVersion: 2 });
      assert.deepEqual(secretBlock({ type: 'vault' }).vault, { rootEngine: 'secret', engineVersion: 2 });
    });
  });

  describe('a whole Kestra application.yml', () => {
    it('reads kestra.secret, ignores everything else, resolves placeholders in credentials', async () => {
      const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI' };
      const config = await loadConfigFile(path.join(fixtures, 'application.yml'), env);
      assert.equal(config.source, path.join(fixtures, 'application.yml'));
      assert.equal(config.secret.type, 'aws-secret-manager');
      assert.equal(config.secret.readOnly, true);
      assert.deepEqual(config.secret.cache, { enabled: true, maximumSize: 500, expireAfterWriteMs: 300_000 });
      assert.deepEqual(config.secret.aws, {
        accessKeyId: 'AKIDEXAMPLE',
        secretKeyId: 'wJalrXUtnFEMI',
        region: 'eu-west-1',
        endpointOverride: 'http://127.0.0.1:4566',
      });
      assert.deepEqual(config.secret.filterOnTags, { application: 'kestra-production' });
      assert.deepEqual(config.secret.excludedTags, { 'Team.Name': 'legacy' }, 'map keys are kept verbatim');
      assert.deepEqual(config.secret.tags, { application: 'kestra-production' });
      assert.equal(config.secret.vault?.address, 'http://localhost:8200', 'unselected supported blocks are read too');
    });

    it('reads the camelCase spelling of the docs', async () => {
      const config = await loadConfigFile(path.join(fixtures, 'camel-case.yml'), { VAULT_ROLE_ID: 'role-1', VAULT_SECRET_ID: 'sid-1' });
      assert.equal(config.secret.type, 'vault');
      assert.equal(config.secret.readOnly, true);
      assert.deepEqual(config.secret.vault, {
        address: 'http://127.0.0.1:8200',
        namespace: 'admin',
        rootEngine: 'kv',
        engineVersion: 2,
        secretPathPrefix: 'app1',
        appRole: { path: 'approle', roleId: 'role-1', secretId: 'sid-1' },
      });
    });

    it("reads the issue's dedicated-namespaces example", async () => {
      const config = await loadConfigFile(path.join(fixtures, 'dedicated-namespaces.yml'), { VAULT_TOKEN: 'hvs.x' });
      assert.equal(config.secret.vault?.token?.token, 'hvs.x');
      const team = config.namespaces['company.team'];
      assert.equal(team.type, 'aws-secret-manager');
      assert.equal(team.readOnly, true);
      assert.deepEqual(team.aws, { region: 'eu-west-1' });
      assert.deepEqual(team.cache, config.secret.cache, 'an entry without cache inherits the global cache settings');
      const data = config.namespaces['company.team.data'];
      assert.equal(data.prefix, 'data', 'prefix inside the backend block');
      assert.equal(data.google?.endpointOverride, 'http://127.0.0.1:9090');
      assert.equal(data.cache.enabled, false);
      assert.equal(data.readOnly, false, 'nothing else is inherited');
    });

    it('server present: the global backend is the Kestra server, even over a store we cannot read', async () => {
      const config = await loadConfigFile(path.join(fixtures, 'server.yml'), {});
      assert.deepEqual(config.server, { url: 'http://127.0.0.1:8080', tenant: 'main' });
      assert.equal(config.secret.type, 'kestra-server');
      assert.equal(config.secret.readOnly, false);
    });

    it('a missing file is a ConfigError naming the file', async () => {
      await assert.rejects(loadConfigFile(path.join(fixtures, 'nope.yml'), {}), (error: unknown) => {
        return error instanceof ConfigError && error.message.includes('nope.yml') && /not found/.test(error.message);
      });
    });

    it("errors from a file carry the key's position, even under dotted namespace keys", () => {
      const text = [
        'kestra:',
        '  secret:',
        '    type: vault',
        '    vault:',
        '      secret-path-prefx: app1',
        'namespaces:',
        '  company.team:',
        '    type: env',
        '    readOnli: true',
      ].join('\n');
      const error = configError(() => parse(text));
      assert.deepEqual(error.location, { file: 'test.yml', line: 5, column: 7 });
      const nsError = configError(() => parse(text.replace('secret-path-prefx', 'secret-path-prefix')));
      assert.equal(nsError.path, 'namespaces.company.team.readOnli');
      assert.deepEqual(nsError.location, { file: 'test.yml', line: 9, column: 5 });
      const yamlError = configError(() => parse('kestra:\n  secret: [\n'));
      assert.equal(yamlError.location?.file, 'test.yml');
    });

    it('a typo in the file is reported with its path and a suggestion', async () => {
      await assert.rejects(loadConfigFile(path.join(fixtures, 'typo.yml'), {}), {
        name: 'ConfigError',
        message: 'kestra.secret.vault.secret-path-prefx: unknown key (did you mean secret-path-prefix?)',
      });
    });
  });

  describe('spelling', () => {
    it('normalises camelCase to kebab-case', () => {
      assert.equal(normaliseKey('secretPathPrefix'), 'secret-path-prefix');
      assert.equal(normaliseKey('readOnly'), 'read-only');
      assert.equal(normaliseKey('awsSecretManager'), 'aws-secret-manager');
      assert.equal(normaliseKey('key-vault-uri'), 'key-vault-uri');
      assert.equal(normaliseKey('keyVaultUri'), 'key-vault-uri');
    });

    it('kebab-case and camelCase spellings give the same configuration (fuzzed)', () => {
      const kebabToCamel = (key: string) => key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      const respell = (value: unknown, camel: boolean[], index = { i: 0 }): unknown => {
        if (typeof value !== 'object' || value === null) return value;
        return Object.fromEntries(
          Object.entries(value).map(([key, child]) => {
            const useCamel = camel[index.i++ % camel.length];
            // Map keys (tag names) are data, not options: keep them.
            const isMapValue = key === 'application' || key === 'team';
            return [
              useCamel && !isMapValue ? kebabToCamel(key) : key,
              key === 'tags' || key === 'excluded-tags' ? child : respell(child, camel, index),
            ];
          }),
        );
      };
      const block = {
        type: 'aws-secret-manager',
        'read-only': true,
        cache: { enabled: true, 'maximum-size': 10, 'expire-after-write': '1m' },
        'aws-secret-manager': {
          'access-key-id': 'a',
          'secret-key-id': 'b',
          'session-token': 'c',
          region: 'us-east-1',
          'endpoint-override': 'http://127.0.0.1:1',
          'filter-on-prefix': { prefix: 'prod_', 'keep-prefix': true },
          'filter-on-tags': { tags: { application: 'x' } },
          'excluded-tags': { team: 'y' },
        },
      };
      const expected = secretBlock(block);
      fc.assert(
        fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), (camel) => {
          assert.deepEqual(secretBlock(respell(block, camel) as Record<string, unknown>), expected);
        }),
      );
      assert.deepEqual(expected.filterOnPrefix, { prefix: 'prod_', keepPrefix: true });
    });

    it('the type value may be camelCase too', () => {
      assert.equal(secretBlock({ type: 'googleSecretManager' }).type, 'google-secret-manager');
    });

    it('the same key in both spellings is an error', () => {
      const error = configError(() => secretBlock({ 'read-only': true, readOnly: false }));
      assert.match(error.message, /kestra\.secret\.readOnly: set twice \(also as kestra\.secret\.read-only\)/);
    });
  });

  describe('placeholders', () => {
    it('resolves ${VAR} and ${VAR:default} in credential fields, booleans, numbers and durations', () => {
      const text = [
        'kestra:',
        '  secret:',
        '    type: vault',
        '    read-only: ${RO}',
        '    cache: { enabled: "${CACHE:true}", maximum-size: "${SIZE}", expire-after-write: "${TTL:30s}" }',
        '    vault: { address: "http://127.0.0.1:8200", token: { token: "${EMPTY:}" }, app-role: { role-id: "${ROLE}", secret-id: "s-${SID}" } }',
      ].join('\n');
      const config = parse(text, { RO: 'true', SIZE: '42', ROLE: 'r1', SID: 'x' });
      assert.equal(config.secret.readOnly, true);
      assert.deepEqual(config.secret.cache, { enabled: true, maximumSize: 42, expireAfterWriteMs: 30_000 });
      assert.equal(config.secret.vault?.token?.token, '');
      assert.deepEqual(config.secret.vault?.appRole, { roleId: 'r1', secretId: 's-x' });
    });

    it('refuses a placeholder in an address, so a configuration cannot send a variable to the host it names', () => {
      const env = { AWS_SECRET_ACCESS_KEY: 'CANARY-aws-key' };
      const cases: [string, string][] = [
        ['server: { url: "http://host/x/${AWS_SECRET_ACCESS_KEY}" }', 'server.url'],
        [
          'kestra: { secret: { type: vault, vault: { address: "http://${AWS_SECRET_ACCESS_KEY}.example" } } }',
          'kestra.secret.vault.address',
        ],
        [
          'kestra: { secret: { type: aws-secret-manager, aws-secret-manager: { endpoint-override: "https://e/${AWS_SECRET_ACCESS_KEY}" } } }',
          'kestra.secret.aws-secret-manager.endpoint-override',
        ],
        [
          'kestra: { secret: { type: google-secret-manager, google-secret-manager: { endpoint-override: "https://e/?k=${AWS_SECRET_ACCESS_KEY}" } } }',
          'kestra.secret.google-secret-manager.endpoint-override',
        ],
        [
          'kestra: { secret: { type: azure-key-vault, azure-key-vault: { key-vault-uri: "https://${AWS_SECRET_ACCESS_KEY}.vault.azure.net" } } }',
          'kestra.secret.azure-key-vault.key-vault-uri',
        ],
      ];
      for (const [text, keyPath] of cases) {
        const error = configError(() => parse(text, env));
        assert.equal(error.path, keyPath);
        assert.match(
          error.message,
          /placeholders are expanded only in credential fields .*in an address it would send the variable to the host it names/,
          keyPath,
        );
        assert.doesNotMatch(error.message, /CANARY/);
      }
    });

    it('refuses a placeholder in names, regions, prefixes, paths and tags, which are sent to the store', () => {
      const env = { SECRET: 'CANARY-value' };
      const blocks = [
        { type: '${SECRET}' },
        { type: 'aws-secret-manager', 'aws-secret-manager': { region: '${SECRET}' } },
        { type: 'google-secret-manager', 'google-secret-manager': { project: 'p-${SECRET}' } },
        { type: 'vault', vault: { 'secret-path-prefix': '${SECRET}' } },
        { type: 'vault', vault: { 'app-role': { path: '${SECRET}' } } },
        { type: 'vault', prefix: '${SECRET}' },
        { type: 'vault', tags: { owner: '${SECRET}' } },
      ];
      for (const block of blocks) {
        const error = configError(() => configFromObject({ kestra: { secret: block } }, { source: 's', env }));
        assert.match(error.message, /placeholders are expanded only in credential fields/, JSON.stringify(block));
        assert.doesNotMatch(error.message, /CANARY/);
      }
    });

    it('an unset variable without default names the path and the variable', () => {
      const error = configError(() => parse('kestra: { secret: { type: vault, vault: { token: { token: "${VAULT_TOKEN}" } } } }'));
      assert.equal(error.path, 'kestra.secret.vault.token.token');
      assert.match(error.message, /^kestra\.secret\.vault\.token\.token: environment variable VAULT_TOKEN is not set/);
    });

    it('fuzz: any environment value round-trips through a placeholder', () => {
      fc.assert(
        fc.property(fc.string(), (value) => {
          const config = configFromObject(
            { kestra: { secret: { type: 'google-secret-manager', 'google-secret-manager': { 'service-account': '${P}' } } } },
            { source: 's', env: { P: value } },
          );
          assert.equal(config.secret.google?.serviceAccount, value);
        }),
      );
    });
  });

  describe('durations', () => {
    it('parses Micronaut durations', () => {
      const cases: [unknown, number][] = [
        ['60s', 60_000],
        ['5m', 300_000],
        ['1h', 3_600_000],
        ['500ms', 500],
        ['2d', 172_800_000],
        ['PT1M', 60_000],
        ['PT1H30M', 5_400_000],
        ['PT0.5S', 500],
        ['P1D', 86_400_000],
        ['1500', 1500],
        [250, 250],
      ];
      for (const [input, ms] of cases) assert.equal(parseDurationMs(input), ms, String(input));
      for (const bad of ['soon', '5 minutes', 'PT', 'P', '-5s', '', true, {}]) assert.equal(parseDurationMs(bad), undefined, String(bad));
    });
  });

  describe('errors name the key path', () => {
    it('an unknown type lists the supported ones', () => {
      const error = configError(() => secretBlock({ type: 'vautl' }));
      assert.equal(
        error.message,
        "kestra.secret.type: unknown type 'vautl' (expected env, aws-secret-manager, azure-key-vault, google-secret-manager, vault)",
      );
      assert.equal(error.path, 'kestra.secret.type');
    });

    it('a wrong number is shown', () => {
      const error = configError(() => secretBlock({ cache: { 'maximum-size': 'lots' } }));
      assert.equal(error.message, 'kestra.secret.cache.maximum-size: expected a number, got "lots"');
    });

    it('wrong value types are errors', () => {
      assert.match(configError(() => secretBlock({ 'read-only': 'maybe' })).message, /^kestra\.secret\.read-only: expected true or false/);
      assert.match(
        configError(() => secretBlock({ cache: { 'expire-after-write': 'soon' } })).message,
        /^kestra\.secret\.cache\.expire-after-write: expected a duration/,
      );
      assert.match(configError(() => secretBlock({ cache: { 'maximum-size': -1 } })).message, /expected a number, got -1/);
      assert.match(configError(() => secretBlock({ tags: ['a'] })).message, /^kestra\.secret\.tags: expected a mapping/);
      assert.match(configError(() => secretBlock({ type: 'vault', vault: 'x' })).message, /^kestra\.secret\.vault: expected a mapping/);
      assert.match(
        configError(() => secretBlock({ type: 'vault', vault: { address: 'ftp://x' } })).message,
        /^kestra\.secret\.vault\.address: expected an http/,
      );
      assert.match(configError(() => configFromObject({ kestra: 'x' }, options)).message, /^kestra: expected a mapping/);
      assert.match(configError(() => configFromObject(['x'], options)).message, /expected a mapping/);
    });

    it('a wrong-typed credential never shows the value', () => {
      const error = configError(() => secretBlock({ type: 'vault', vault: { token: { token: 987654321 } } }));
      assert.equal(error.message, 'kestra.secret.vault.token.token: expected a string, got a number (put the value in quotes)');
      const listError = configError(() =>
        secretBlock({ type: 'aws-secret-manager', 'aws-secret-manager': { 'secret-key-id': ['hunter2'] } }),
      );
      assert.doesNotMatch(listError.message, /hunter2/);
    });

    it('fuzz: no string value ever appears in an error message', () => {
      const canary = fc.string({ minLength: 6 }).map((s) => `CANARY${s}`);
      const keys = ['token', 'password', 'secret-id', 'session-token', 'client-secret', 'service-account', 'address', 'region', 'user'];
      fc.assert(
        fc.property(
          canary,
          fc.constantFrom(...keys),
          fc.constantFrom('vault', 'aws-secret-manager', 'azure-key-vault', 'google-secret-manager'),
          (value, key, type) => {
            const attempts = [
              { type, [type]: { [key]: value } },
              { type, [type]: { [key]: { nested: value } } },
              { type, [type]: { token: { token: [value] } } },
              { type, 'read-only': value },
              { type: value },
            ];
            for (const block of attempts) {
              try {
                secretBlock(block);
              } catch (error) {
                assert.ok(error instanceof ConfigError);
                // Short non-credential values (types, booleans) may be quoted; a credential-length value never.
                if (value.length > 40) assert.ok(!error.message.includes(value), error.message);
              }
            }
          },
        ),
      );
    });

    it('a YAML syntax error gives the position but never the offending line', () => {
      const error = configError(() => parse('kestra:\n  secret:\n    vault: { token: { token: "s3cr3t-v4lue" }\n    type: [vault'));
      assert.match(error.message, /^test\.yml: invalid YAML at line \d+, column \d+/);
      assert.doesNotMatch(error.message, /s3cr3t/);
    });

    it('vault engine versions other than 2 are refused', () => {
      assert.match(
        configError(() => secretBlock({ type: 'vault', vault: { 'engine-version': 1 } })).message,
        /^kestra\.secret\.vault\.engine-version: only the KV secrets engine version 2 is supported/,
      );
      assert.equal(secretBlock({ type: 'vault', vault: { engineVersion: '2' } }).vault?.engineVersion, 2);
    });

    it('azure needs a vault name or URI', () => {
      assert.match(configError(() => secretBlock({ type: 'azure-key-vault' })).message, /set vault-name or key-vault-uri/);
      assert.equal(
        secretBlock({ type: 'azure-key-vault', azureKeyVault: { keyVaultUri: 'https://kv.vault.azure.net' } }).azure?.keyVaultUri,
        'https://kv.vault.azure.net',
      );
    });

    it('selecting a store we cannot read without a server says what to do', () => {
      assert.match(
        configError(() => secretBlock({ type: 'jdbc' })).message,
        /kestra\.secret\.type: type 'jdbc' can't be read directly; add a top-level server block/,
      );
      assert.match(configError(() => secretBlock({ type: 'kestra-server' })).message, /needs the top-level server block/);
    });
  });

  describe('Kestra options that do not concern us', () => {
    it('accepts isolation, encoding and blocks of other backends when not selected', () => {
      const config = secretBlock({
        type: 'google-secret-manager',
        isolation: { enabled: true, 'denied-services': ['EXECUTOR'] },
        encoding: 'RAW',
        'aws-ssm-parameter-store': { 'kms-key-id': 'k' },
        cyberark: { anything: 1 },
        doppler: {},
        jdbc: { secret: 'x' },
        elasticsearch: { secret: 'x' },
        'google-secret-manager': { project: 'p' },
      });
      assert.deepEqual(config.google, { project: 'p' });
    });

    it('accepts Kestra-only options inside the AWS and Vault blocks', () => {
      assert.equal(secretBlock({ type: 'aws-secret-manager', awsSecretManager: { stsRoleArn: 'arn:x', region: 'r' } }).aws?.region, 'r');
      assert.equal(
        secretBlock({ type: 'vault', vault: { kubernetes: { role: 'r' }, 'read-timeout': '5s', address: 'http://a:1' } }).vault?.address,
        'http://a:1',
      );
    });
  });

  describe('options beside type and inside the backend block', () => {
    it('reads prefix, tags and filters at either level; the block wins', () => {
      const config = secretBlock({
        type: 'aws-secret-manager',
        prefix: 'outer',
        tags: { a: 'outer' },
        'filter-on-tags': { tags: { env: 'prod' } },
        'aws-secret-manager': { prefix: 'inner', tags: { a: 'inner', n: 1 } },
      });
      assert.equal(config.prefix, 'inner');
      assert.deepEqual(config.tags, { a: 'inner', n: '1' });
      assert.deepEqual(config.filterOnTags, { env: 'prod' });
    });

    it('filter-on-prefix needs a prefix; keep-prefix defaults to false', () => {
      assert.deepEqual(secretBlock({ type: 'aws-secret-manager', 'filter-on-prefix': { prefix: 'prod_' } }).filterOnPrefix, {
        prefix: 'prod_',
        keepPrefix: false,
      });
      assert.match(
        configError(() => secretBlock({ type: 'aws-secret-manager', 'filter-on-prefix': { 'keep-prefix': true } })).message,
        /filter-on-prefix\.prefix: required/,
      );
    });

    it('Vault read-only inside the vault block is honoured (the docs contradict themselves)', () => {
      assert.equal(secretBlock({ type: 'vault', vault: { 'read-only': true } }).readOnly, true);
      assert.equal(secretBlock({ type: 'vault', 'read-only': true, vault: { readOnly: false } }).readOnly, true);
      assert.equal(secretBlock({ type: 'vault', vault: {} }).readOnly, false);
    });

    it('reads every Azure, Google and Vault auth option', () => {
      const azure = secretBlock({
        type: 'azure-key-vault',
        'azure-key-vault': { 'vault-name': 'kv', 'client-secret': { 'tenant-id': 't', 'client-id': 'c', 'client-secret': 's' } },
      });
      assert.deepEqual(azure.azure, { vaultName: 'kv', clientSecret: { tenantId: 't', clientId: 'c', clientSecret: 's' } });
      const google = secretBlock({
        type: 'google-secret-manager',
        googleSecretManager: { project: 'p', serviceAccount: '{"type":"service_account"}' },
      });
      assert.deepEqual(google.google, { project: 'p', serviceAccount: '{"type":"service_account"}' });
      const vault = secretBlock({ type: 'vault', vault: { password: { user: 'john', password: 'foo' }, token: { token: 't' } } });
      assert.deepEqual(vault.vault?.password, { user: 'john', password: 'foo' });
      assert.deepEqual(vault.vault?.token, { token: 't' });
    });
  });

  describe('namespaces and server', () => {
    it('validates namespace names and entries the same way as kestra.secret', () => {
      assert.match(
        configError(() => configFromObject({ namespaces: { 'Company.Team': { type: 'vault' } } }, options)).message,
        /^namespaces\.Company\.Team: 'Company\.Team' is not a valid Kestra namespace/,
      );
      assert.match(
        configError(() => configFromObject({ namespaces: { 'company.team': { typ: 'vault' } } }, options)).message,
        /^namespaces\.company\.team\.typ: unknown key \(did you mean type\?\)/,
      );
    });

    it('server needs an http(s) url; tenant defaults to main', () => {
      assert.deepEqual(configFromObject({ server: { url: 'https://kestra.example.test', tenant: 'acme' } }, options).server, {
        url: 'https://kestra.example.test',
        tenant: 'acme',
      });
      assert.match(
        configError(() => configFromObject({ server: { url: 'kestra:8080' } }, options)).message,
        /^server\.url: expected an http/,
      );
      assert.match(configError(() => configFromObject({ server: { tenant: 'x' } }, options)).message, /^server\.url: required/);
      assert.match(
        configError(() => configFromObject({ server: { url: 'http://a', user: 'x' } }, options)).message,
        /^server\.user: unknown key/,
      );
      assert.equal(configFromObject({ server: {} }, options).server, undefined);
    });

    it('routes a namespace to the nearest ancestor entry, else the global backend', () => {
      const config = configFromObject(
        {
          kestra: { secret: { type: 'vault' } },
          namespaces: {
            company: { type: 'google-secret-manager' },
            'company.team': { type: 'aws-secret-manager' },
            'company.team2': { type: 'env' },
          },
        },
        options,
      );
      assert.deepEqual(backendForNamespace(config, 'company.team.sub'), {
        config: config.namespaces['company.team'],
        scope: 'company.team',
      });
      assert.deepEqual(backendForNamespace(config, 'company.team'), { config: config.namespaces['company.team'], scope: 'company.team' });
      assert.deepEqual(backendForNamespace(config, 'company.teams'), { config: config.namespaces.company, scope: 'company' });
      assert.deepEqual(backendForNamespace(config, 'other'), { config: config.secret, scope: undefined });
    });

    it('with a server, namespace entries still win for their subtrees', () => {
      const config = configFromObject(
        { server: { url: 'http://127.0.0.1:8080' }, namespaces: { 'company.team': { type: 'vault' } } },
        options,
      );
      assert.equal(backendForNamespace(config, 'company').config.type, 'kestra-server');
      assert.equal(backendForNamespace(config, 'company.team.x').config.type, 'vault');
    });
  });

  describe('editor settings', () => {
    it('reads the kestra.secret block alone, namespaces and server, with settings paths in errors', () => {
      const config = configFromSettings(
        {
          secret: { type: 'vault', readOnly: true, vault: { address: 'http://127.0.0.1:8200' } },
          namespaces: { 'a.b': { type: 'env' } },
          server: {},
        },
        { source: 'settings', env: {} },
      );
      assert.equal(config.secret.type, 'vault');
      assert.equal(config.secret.readOnly, true);
      assert.equal(config.namespaces['a.b'].type, 'env');
      assert.equal(config.server, undefined);
      assert.equal(config.source, 'settings');
      const error = configError(() =>
        configFromSettings({ secret: { type: 'vault', vault: { adress: 'x' } } }, { source: 'settings', env: {} }),
      );
      assert.equal(error.message, 'kestraSecrets.secret.vault.adress: unknown key (did you mean address?)');
      assert.equal(configFromSettings({}, { source: 'settings', env: {} }).secret.type, 'env');
    });

    it('a file and the equivalent settings give the same configuration', () => {
      const text = stringify({
        kestra: { secret: { type: 'vault', vault: { address: 'http://127.0.0.1:8200' } } },
        namespaces: { x: { type: 'env' } },
        server: { url: 'http://127.0.0.1:1' },
      });
      const fromFile = parseConfigText(text, { source: 's', env: {} });
      const fromSettings = configFromSettings(
        {
          secret: { type: 'vault', vault: { address: 'http://127.0.0.1:8200' } },
          namespaces: { x: { type: 'env' } },
          server: { url: 'http://127.0.0.1:1' },
        },
        { source: 's', env: {} },
      );
      assert.deepEqual(fromSettings, fromFile);
    });
  });
});
