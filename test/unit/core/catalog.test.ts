import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { BackendError, type BackendContext, type SecretBackend, type SecretMeta, type WriteOptions } from '../../../src/core/store';
import { backendFactory, type BackendFactoryOptions } from '../../../src/backends/index';
import { SecretCatalog, type SecretCatalogOptions } from '../../../src/core/catalog';
import { findVisible } from '../../../src/core/catalogTypes';
import { configFromObject } from '../../../src/core/config';
import type { BackendType, KestraSecretsConfig, SecretBackendConfig } from '../../../src/core/configTypes';
import type { Logger } from '../../../src/core/log';
import type { Problem } from '../../../src/core/types';

/**
 * An in-memory secret STORE with call counters (a test double of the store, not of the catalog):
 * what is under test is the catalog's routing, merging, caching and guarding.
 */
class MemoryStore implements SecretBackend {
  readonly calls = { list: [] as string[], listNamespaces: 0, subkeys: 0, reveal: 0, put: 0, delete: 0, definitionProblems: 0 };
  secrets: SecretMeta[] = [];
  values = new Map<string, string>();
  failure: Error | undefined;
  gate: Promise<void> | undefined;
  disposed = false;
  problems: Problem[] = [];

  constructor(
    readonly type: BackendType,
    readonly label: string,
    readonly readOnly: boolean,
    readonly namespaced: boolean,
    readonly caseInsensitiveKeys = false,
  ) {}

  readonly canReveal = true;

  readOnlyFor(): boolean {
    return this.readOnly;
  }

  add(key: string, namespace?: string, extra: Partial<SecretMeta> = {}): this {
    this.secrets.push({ key, namespace, ...extra });
    return this;
  }

  async listNamespaces(): Promise<string[]> {
    this.calls.listNamespaces++;
    await this.maybeFail();
    return [...new Set(this.secrets.flatMap((secret) => (secret.namespace ? [secret.namespace] : [])))];
  }

  async list(namespace: string): Promise<SecretMeta[]> {
    this.calls.list.push(namespace);
    await this.maybeFail();
    return this.secrets
      .filter((secret) => !this.namespaced || secret.namespace === undefined || secret.namespace === namespace)
      .map((secret) => ({ ...secret }));
  }

  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    this.calls.subkeys++;
    await this.maybeFail();
    const value = this.values.get(`${namespace}/${key}`);
    return value === undefined ? undefined : Object.keys(JSON.parse(value) as object);
  }

  async reveal(namespace: string, key: string): Promise<string> {
    this.calls.reveal++;
    const value = this.values.get(`${namespace}/${key}`);
    if (value === undefined) throw new BackendError('not-found', this.label, `reveal ${key}`, 'no such secret.');
    return value;
  }

  async put(namespace: string, key: string, value: string, _options?: WriteOptions): Promise<void> {
    this.calls.put++;
    this.secrets = this.secrets.filter((secret) => !(secret.key === key && secret.namespace === namespace));
    this.secrets.push({ key, namespace });
    this.values.set(`${namespace}/${key}`, value);
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.calls.delete++;
    this.secrets = this.secrets.filter((secret) => !(secret.key === key && secret.namespace === namespace));
  }

  async definitionProblems(): Promise<Problem[]> {
    this.calls.definitionProblems++;
    await this.maybeFail();
    return this.problems;
  }

  dispose(): void {
    this.disposed = true;
  }

  private async maybeFail(): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failure) throw this.failure;
  }
}

interface Logged {
  level: string;
  message: string;
}

function recordingLogger(into: Logged[]): Logger {
  const at = (level: string) => (message: string) => into.push({ level, message });
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function contextWith(logged: Logged[] = []): BackendContext {
  return { log: recordingLogger(logged), tenant: 'main', readValuesForSubkeys: false, env: {} };
}

function configOf(document: unknown): KestraSecretsConfig {
  return configFromObject(document, { source: 'test', env: {} });
}

/** A factory handing out prepared stores by backend type, counting creations. */
function storesByType(stores: Partial<Record<BackendType, MemoryStore>>) {
  const created: SecretBackendConfig[] = [];
  const factory = (config: SecretBackendConfig): SecretBackend => {
    created.push(config);
    const store = stores[config.type];
    if (!store) throw new Error(`no store for ${config.type}`);
    return store;
  };
  return { factory, created };
}

function catalogWith(
  config: KestraSecretsConfig,
  stores: Partial<Record<BackendType, MemoryStore>>,
  options: Partial<SecretCatalogOptions> = {},
  logged: Logged[] = [],
) {
  const { factory, created } = storesByType(stores);
  return { catalog: new SecretCatalog(config, contextWith(logged), { ...options, factory }), created };
}

const vaultGlobal = { kestra: { secret: { type: 'vault' } } };

describe('SecretCatalog', () => {
  describe('visibility', () => {
    it('merges own and inherited secrets, child first, nearest wins, with shadows', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true)
        .add('DB', 'a')
        .add('DB', 'a.b')
        .add('DB', 'a.b.c')
        .add('API', 'a')
        .add('TOKEN', 'a.b')
        .add('OTHER', 'x')
        .add('CHILD', 'a.b.c.d');
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      const visible = await catalog.visible('a.b.c');
      assert.equal(visible.namespace, 'a.b.c');
      assert.equal(visible.backendType, 'vault');
      assert.equal(visible.backendLabel, 'Vault');
      assert.equal(visible.readOnly, false);
      assert.equal(visible.stale, undefined);
      assert.equal(visible.error, undefined);
      assert.deepEqual(
        visible.secrets.map(({ key, fromNamespace, inherited, shadows }) => ({ key, fromNamespace, inherited, shadows })),
        [
          { key: 'API', fromNamespace: 'a', inherited: true, shadows: [] },
          { key: 'DB', fromNamespace: 'a.b.c', inherited: false, shadows: ['a.b', 'a'] },
          { key: 'TOKEN', fromNamespace: 'a.b', inherited: true, shadows: [] },
        ],
      );
      assert.deepEqual(vault.calls.list.sort(), ['a', 'a.b', 'a.b.c']);
    });

    it('fuzz: nearest definition wins and farther ones are its shadows, for any store content', async () => {
      const namespaces = ['a', 'a.b', 'a.b.c', 'a.x', 'b'];
      const secret = fc.record({ key: fc.constantFrom('K1', 'K2', 'k1', 'K3'), namespace: fc.constantFrom(...namespaces) });
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(secret, { selector: (s) => `${s.namespace}/${s.key}` }),
          fc.constantFrom(...namespaces),
          async (secrets, asking) => {
            const vault = new MemoryStore('vault', 'Vault', false, true);
            for (const { key, namespace } of secrets) vault.add(key, namespace);
            const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
            const visible = await catalog.visible(asking);
            const chain = asking.split('.').map((_, index, parts) => parts.slice(0, parts.length - index).join('.'));
            const expectedKeys = [...new Set(secrets.filter((s) => chain.includes(s.namespace)).map((s) => s.key))].sort();
            assert.deepEqual(
              visible.secrets.map((s) => s.key),
              expectedKeys,
            );
            for (const found of visible.secrets) {
              const definedAt = chain.filter((level) => secrets.some((s) => s.key === found.key && s.namespace === level));
              assert.equal(found.fromNamespace, definedAt[0]);
              assert.deepEqual(found.shadows, definedAt.slice(1));
              assert.equal(found.inherited, definedAt[0] !== asking);
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it('a namespace-less store shows all its keys to every namespace', async () => {
      const env = new MemoryStore('env', 'Kestra env secrets', true, false, true).add('B_KEY').add('A_KEY');
      const { catalog } = catalogWith(configOf({}), { env }, { editorDefaultTtlMs: 30_000 });
      const visible = await catalog.visible('company.team');
      assert.equal(visible.caseInsensitive, true);
      assert.equal(visible.readOnly, true);
      assert.deepEqual(
        visible.secrets.map(({ key, fromNamespace, inherited }) => ({ key, fromNamespace, inherited })),
        [
          { key: 'A_KEY', fromNamespace: undefined, inherited: false },
          { key: 'B_KEY', fromNamespace: undefined, inherited: false },
        ],
      );
      assert.ok(findVisible(visible, 'a_key'), 'case-insensitive lookup');
      await catalog.visible('other.namespace');
      assert.equal(env.calls.list.length, 1, 'one listing serves every namespace');
    });

    it('secrets without a namespace in a namespaced store are visible everywhere and shadow nothing of their own', async () => {
      const aws = new MemoryStore('aws-secret-manager', 'AWS', true, true).add('prod_DB').add('KEY', 'a');
      const { catalog } = catalogWith(configOf({ kestra: { secret: { type: 'aws-secret-manager' } } }), { 'aws-secret-manager': aws });
      const visible = await catalog.visible('a.b');
      assert.deepEqual(
        visible.secrets.map(({ key, fromNamespace, inherited, shadows }) => ({ key, fromNamespace, inherited, shadows })),
        [
          { key: 'KEY', fromNamespace: 'a', inherited: true, shadows: [] },
          { key: 'prod_DB', fromNamespace: undefined, inherited: false, shadows: [] },
        ],
      );
    });

    it("keeps each secret's metadata", async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('DB', 'a', {
        tags: { team: 'x' },
        description: 'the db',
        subkeys: ['user'],
      });
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      const [secret] = (await catalog.visible('a')).secrets;
      assert.deepEqual(secret, {
        key: 'DB',
        namespace: 'a',
        tags: { team: 'x' },
        description: 'the db',
        subkeys: ['user'],
        fromNamespace: 'a',
        inherited: false,
        shadows: [],
      });
    });
  });

  describe('routing to dedicated secrets managers', () => {
    const document = {
      kestra: { secret: { type: 'vault' } },
      namespaces: { 'company.team': { type: 'aws-secret-manager', 'read-only': true }, 'company.data': { type: 'google-secret-manager' } },
    };

    function setup() {
      const vault = new MemoryStore('vault', 'Vault', false, true)
        .add('GLOBAL', 'company')
        .add('SHARED', 'company')
        .add('TEAM_IN_VAULT', 'company.team');
      const aws = new MemoryStore('aws-secret-manager', 'AWS', true, true)
        .add('SHARED', 'company.team')
        .add('SUB', 'company.team.sub')
        .add('STRAY', 'elsewhere');
      const google = new MemoryStore('google-secret-manager', 'Google', false, true).add('DATA', 'company.data');
      return {
        vault,
        aws,
        google,
        ...catalogWith(configOf(document), { vault, 'aws-secret-manager': aws, 'google-secret-manager': google }),
      };
    }

    it('routes each namespace to the nearest ancestor entry, else the global backend', () => {
      const { catalog, vault, aws, google } = setup();
      assert.equal(catalog.backendFor('company.team'), aws);
      assert.equal(catalog.backendFor('company.team.sub.deep'), aws);
      assert.equal(catalog.backendFor('company.data'), google);
      assert.equal(catalog.backendFor('company'), vault);
      assert.equal(catalog.backendFor('company.teams'), vault);
      assert.deepEqual(new Set(catalog.backends()), new Set([vault, aws, google]));
    });

    it('lists each ancestor through the backend owning it', async () => {
      const { catalog, vault, aws } = setup();
      const visible = await catalog.visible('company.team.sub');
      assert.equal(visible.backendType, 'aws-secret-manager');
      assert.equal(visible.readOnly, true);
      assert.deepEqual(aws.calls.list.sort(), ['company.team', 'company.team.sub']);
      assert.deepEqual(vault.calls.list, ['company'], 'vault is not asked about namespaces it does not own');
      assert.deepEqual(
        visible.secrets.map(({ key, fromNamespace, shadows }) => `${key}@${fromNamespace} ${shadows.join(',')}`),
        ['GLOBAL@company ', 'SHARED@company.team company', 'SUB@company.team.sub '],
      );
    });

    it('namespaces(): the union of the backends, each keeping only what routes to it, plus the dedicated entries', async () => {
      const { catalog } = setup();
      assert.deepEqual(await catalog.namespaces(), ['company', 'company.data', 'company.team', 'company.team.sub']);
    });

    it('a namespace-less global store reached from a dedicated subtree is listed once, as inherited', async () => {
      const env = new MemoryStore('env', 'env', true, false, true).add('FROM_ENV').add('OWN');
      const aws = new MemoryStore('aws-secret-manager', 'AWS', false, true).add('OWN', 'a.b');
      const { catalog } = catalogWith(configOf({ namespaces: { 'a.b': { type: 'aws-secret-manager' } } }), {
        env,
        'aws-secret-manager': aws,
      });
      const visible = await catalog.visible('a.b.c');
      assert.equal(env.calls.list.length, 1);
      assert.deepEqual(
        visible.secrets.map(({ key, fromNamespace, inherited, shadows }) => ({ key, fromNamespace, inherited, shadows })),
        [
          { key: 'FROM_ENV', fromNamespace: undefined, inherited: true, shadows: [] },
          { key: 'OWN', fromNamespace: 'a.b', inherited: true, shadows: ['a'] },
        ],
      );
    });

    it('identical configurations share one backend', () => {
      const store = new MemoryStore('vault', 'Vault', false, true);
      const { catalog, created } = catalogWith(configOf({ namespaces: { a: { type: 'vault' }, b: { type: 'vault' } } }), {
        vault: store,
        env: new MemoryStore('env', 'env', true, false),
      });
      assert.equal(catalog.backendFor('a'), catalog.backendFor('b.x'));
      assert.deepEqual(created.map((config) => config.type).sort(), ['vault']);
      catalog.backends();
      assert.deepEqual(created.map((config) => config.type).sort(), ['env', 'vault']);
    });
  });

  describe('caching and coalescing', () => {
    function clock() {
      const state = { now: 0 };
      return { now: () => state.now, advance: (ms: number) => (state.now += ms) };
    }

    it('50 concurrent visible() calls make one list call per namespace level', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('K', 'a');
      let open!: () => void;
      vault.gate = new Promise<void>((resolve) => (open = resolve));
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      const pending = Array.from({ length: 50 }, () => catalog.visible('a.b'));
      open();
      const results = await Promise.all(pending);
      assert.ok(results.every((visible) => visible.secrets.length === 1));
      assert.deepEqual(vault.calls.list.sort(), ['a', 'a.b']);
    });

    it('uses the configured cache: zero calls within expire-after-write, a new listing after', async () => {
      const time = clock();
      const vault = new MemoryStore('vault', 'Vault', false, true).add('K', 'a');
      const config = configOf({ kestra: { secret: { type: 'vault', cache: { enabled: true, 'expire-after-write': '60s' } } } });
      const { catalog } = catalogWith(config, { vault }, { now: time.now });
      await catalog.visible('a');
      time.advance(59_999);
      await catalog.visible('a');
      assert.equal(vault.calls.list.length, 1);
      time.advance(1);
      await catalog.visible('a');
      assert.equal(vault.calls.list.length, 2);
    });

    it('cache disabled: the editor default TTL applies; without one every call lists', async () => {
      const time = clock();
      const withDefault = new MemoryStore('vault', 'Vault', false, true);
      const editor = catalogWith(configOf(vaultGlobal), { vault: withDefault }, { editorDefaultTtlMs: 30_000, now: time.now }).catalog;
      await editor.visible('a');
      await editor.visible('a');
      assert.equal(withDefault.calls.list.length, 1);
      time.advance(30_000);
      await editor.visible('a');
      assert.equal(withDefault.calls.list.length, 2);

      const cli = new MemoryStore('vault', 'Vault', false, true);
      const cliCatalog = catalogWith(configOf(vaultGlobal), { vault: cli }, { now: time.now }).catalog;
      await cliCatalog.visible('a');
      await cliCatalog.visible('a');
      assert.equal(cli.calls.list.length, 2);
    });

    it("refresh(namespace) re-lists that namespace's chain only; refresh() everything", async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true);
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault }, { editorDefaultTtlMs: 60_000 });
      let changes = 0;
      catalog.onDidChange(() => changes++);
      await catalog.visible('a.b');
      await catalog.visible('x');
      vault.calls.list = [];
      catalog.refresh('a.b');
      await catalog.visible('a.b');
      await catalog.visible('x');
      assert.deepEqual(vault.calls.list.sort(), ['a', 'a.b']);
      vault.calls.list = [];
      catalog.refresh();
      await catalog.visible('x');
      assert.deepEqual(vault.calls.list, ['x']);
      assert.equal(changes, 2);
    });

    it('subkeys are cached per (namespace, key), and never throw', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true);
      vault.values.set('a/JSON', '{"user":"u","password":"p"}');
      const logged: Logged[] = [];
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault }, { editorDefaultTtlMs: 60_000 }, logged);
      assert.deepEqual(await catalog.subkeys('a', 'JSON'), ['user', 'password']);
      assert.deepEqual(await catalog.subkeys('a', 'JSON'), ['user', 'password']);
      assert.equal(await catalog.subkeys('a', 'MISSING'), undefined);
      assert.equal(vault.calls.subkeys, 2);
      vault.failure = new BackendError('unreachable', 'Vault', 'read subkeys', 'connection refused.');
      assert.equal(await catalog.subkeys('b', 'JSON'), undefined);
      catalog.refresh();
      assert.deepEqual(await catalog.subkeys('a', 'JSON'), ['user', 'password'], 'stale fields after a failed refresh');
      assert.ok(logged.some((entry) => entry.level === 'warn' && entry.message.includes('connection refused')));
      assert.ok(!logged.some((entry) => entry.message.includes('"p"')));
    });
  });

  describe('failures', () => {
    it("keeps the last known listing, marked stale, with the backend's message", async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('K', 'a');
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      assert.equal((await catalog.visible('a')).secrets.length, 1);
      vault.failure = new BackendError(
        'auth',
        'Vault (127.0.0.1:8200)',
        'list secrets of a',
        'the token was rejected (403).',
        'Set a valid token.',
      );
      const visible = await catalog.visible('a');
      assert.equal(visible.stale, true);
      assert.deepEqual(
        visible.secrets.map((secret) => secret.key),
        ['K'],
      );
      assert.equal(visible.error, 'Vault (127.0.0.1:8200): list secrets of a failed: the token was rejected (403). Set a valid token.');
    });

    it('without a previous listing: no secrets and the error; never throws', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true);
      vault.failure = new BackendError('unreachable', 'Vault', 'list secrets of a', 'connection refused.', 'Start Vault.');
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      const visible = await catalog.visible('a');
      assert.deepEqual(visible.secrets, []);
      assert.equal(visible.stale, undefined);
      assert.match(visible.error ?? '', /connection refused/);
    });

    it('a failed or stale listing is incomplete, with one cause per store whatever the namespace asked', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('K', 'a');
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault });
      assert.equal((await catalog.visible('a')).incomplete, undefined, 'a listing that answered is complete');
      vault.failure = new BackendError('permission', 'Vault', 'list secrets of b', 'forbidden (403).', 'Grant list on the path.');
      const failed = await catalog.visible('b.c');
      assert.deepEqual(
        failed.incomplete?.map((cause) => [cause.id, cause.source, cause.reason]),
        [['store:Vault', 'Vault', 'could not be listed']],
      );
      assert.match(failed.incomplete?.[0].fix ?? '', /forbidden \(403\)\. Grant list on the path\.$/);
      const stale = await catalog.visible('a');
      assert.equal(stale.stale, true);
      assert.deepEqual(
        stale.incomplete?.map((cause) => cause.reason),
        ['could not be listed again, so its last listing is used'],
      );
    });

    it("passes on a backend's own gaps and dropped definitions (the env backend's absent env_file)", async () => {
      const env = new MemoryStore('env', 'Env', true, false, true).add('KNOWN');
      const gap = { id: 'env:x', source: 'the env_file .env_encoded (compose.yaml:5)', reason: 'does not exist', fix: 'Create it.' };
      const dropped = { key: 'REGION', source: '.env_encoded:2', reason: 'its value is not valid base64' };
      Object.assign(env, { listingGaps: async () => [gap], droppedDefinitions: async () => [dropped] });
      const { catalog } = catalogWith(configOf({}), { env });
      const visible = await catalog.visible('company.team');
      assert.deepEqual(visible.incomplete, [gap]);
      assert.deepEqual(visible.dropped, [dropped]);
    });

    it('an unexpected error becomes a generic actionable message without its stack; details only in the debug log', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true);
      vault.failure = new TypeError("Cannot read properties of undefined (reading 'x')");
      const logged: Logged[] = [];
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault }, {}, logged);
      const visible = await catalog.visible('a');
      assert.equal(
        visible.error,
        'Vault: list secrets of a failed unexpectedly. Check the configuration and the connection, then refresh.',
      );
      assert.doesNotMatch(visible.error ?? '', /TypeError|at .*\.ts/);
      assert.ok(logged.some((entry) => entry.level === 'debug' && entry.message.includes('Cannot read properties')));
    });

    it('a parent level failing still shows the rest', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('OWN', 'a.b');
      const aws = new MemoryStore('aws-secret-manager', 'AWS', false, true).add('X', 'a');
      aws.failure = new BackendError('throttled', 'AWS', 'list secrets of a', 'rate exceeded.');
      const { catalog } = catalogWith(
        configOf({ kestra: { secret: { type: 'aws-secret-manager' } }, namespaces: { 'a.b': { type: 'vault' } } }),
        { vault, 'aws-secret-manager': aws },
      );
      const visible = await catalog.visible('a.b');
      assert.deepEqual(
        visible.secrets.map((secret) => secret.key),
        ['OWN'],
      );
      assert.match(visible.error ?? '', /rate exceeded/);
    });

    it('a backend that cannot be created gives an error listing, and namespaces() and definitionProblems() skip it', async () => {
      const env = new MemoryStore('env', 'env', true, false);
      env.problems = [
        {
          file: '.env',
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
          severity: 'error',
          code: 'invalid-base64',
          message: 'bad',
        },
      ];
      const logged: Logged[] = [];
      const { catalog } = catalogWith(configOf({ namespaces: { broken: { type: 'vault' } } }), { env }, {}, logged);
      const visible = await catalog.visible('broken.sub');
      assert.equal(visible.backendType, 'vault');
      assert.deepEqual(visible.secrets, []);
      assert.match(visible.error ?? '', /no store for vault/);
      assert.deepEqual(await catalog.namespaces(), ['broken']);
      assert.equal((await catalog.definitionProblems()).length, 1);
      assert.ok(logged.some((entry) => entry.level === 'error' && entry.message.includes('namespace broken')));
    });

    it('namespaces() and definitionProblems() survive a failing backend', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true).add('K', 'ok');
      const aws = new MemoryStore('aws-secret-manager', 'AWS', false, true);
      aws.failure = new BackendError('permission', 'AWS', 'list namespaces', 'access denied.');
      const logged: Logged[] = [];
      const { catalog } = catalogWith(
        configOf({ kestra: { secret: { type: 'vault' } }, namespaces: { team: { type: 'aws-secret-manager' } } }),
        { vault, 'aws-secret-manager': aws },
        {},
        logged,
      );
      assert.deepEqual(await catalog.namespaces(), ['ok', 'team']);
      assert.deepEqual(await catalog.definitionProblems(), []);
      assert.ok(logged.some((entry) => entry.level === 'warn' && entry.message.includes('access denied')));
    });
  });

  describe('writes', () => {
    it('refuses on a read-only backend without calling it', async () => {
      const aws = new MemoryStore('aws-secret-manager', 'AWS', true, true);
      const env = new MemoryStore('env', 'Kestra env secrets', true, false);
      const { catalog } = catalogWith(configOf({ namespaces: { team: { type: 'aws-secret-manager', 'read-only': true } } }), {
        env,
        'aws-secret-manager': aws,
      });
      await assert.rejects(catalog.put('team.sub', 'DB', 'CANARY-VALUE'), (error: unknown) => {
        assert.ok(error instanceof BackendError);
        assert.equal(error.kind, 'read-only');
        assert.match(error.message, /^AWS: save secret 'DB' in team\.sub failed: the backend is read-only/);
        assert.doesNotMatch(error.message, /CANARY/);
        return true;
      });
      await assert.rejects(catalog.delete('team', 'DB'), { name: 'BackendError', kind: 'read-only' });
      await assert.rejects(catalog.put('other', 'DB', 'v'), { kind: 'read-only' });
      assert.equal(aws.calls.put + aws.calls.delete + env.calls.put + env.calls.delete, 0);
    });

    it('honours a per-namespace read-only state reported by the store (Kestra server)', async () => {
      const server = Object.assign(new MemoryStore('kestra-server', 'Kestra server', false, true), {
        readOnlyFor: (namespace: string) => namespace === 'locked',
      });
      const { catalog } = catalogWith(configOf({ server: { url: 'http://127.0.0.1:1' } }), { 'kestra-server': server });
      await assert.rejects(catalog.put('locked', 'K', 'v'), { kind: 'read-only' });
      assert.equal((await catalog.visible('locked')).readOnly, true);
      await catalog.put('open', 'K', 'v');
      assert.equal(server.calls.put, 1);
    });

    it('writes go to the responsible backend and invalidate its listing', async () => {
      const vault = new MemoryStore('vault', 'Vault', false, true);
      const { catalog } = catalogWith(configOf(vaultGlobal), { vault }, { editorDefaultTtlMs: 60_000 });
      let changes = 0;
      catalog.onDidChange(() => changes++);
      assert.deepEqual((await catalog.visible('a.b')).secrets, []);
      await catalog.put('a', 'NEW', 'value', { description: 'd' });
      assert.deepEqual(
        (await catalog.visible('a.b')).secrets.map((secret) => secret.key),
        ['NEW'],
      );
      assert.equal(await catalog.reveal('a', 'NEW'), 'value');
      await catalog.delete('a', 'NEW');
      assert.deepEqual((await catalog.visible('a.b')).secrets, []);
      assert.equal(changes, 2);
      assert.deepEqual(await catalog.namespaces(), []);
    });
  });

  describe('the real factory (backendFactory, as the CLI and the editor hand it in)', () => {
    const realFactory = (options: BackendFactoryOptions = {}): SecretCatalogOptions => ({ factory: backendFactory(options) });
    it('builds the real env backend: SECRET_ variables, namespace-less, read-only', async () => {
      const context = {
        ...contextWith(),
        env: { SECRET_DB_PASSWORD: Buffer.from('CANARY-VALUE').toString('base64'), OTHER: 'x' },
      };
      const config = configOf({});
      const envSources = { workspaceRoots: [], envFiles: [], includeProcessEnv: true };
      const catalog = new SecretCatalog(config, context, realFactory({ envSources }));
      const visible = await catalog.visible('company.team');
      assert.equal(visible.backendType, 'env');
      assert.equal(visible.readOnly, true);
      assert.equal(visible.caseInsensitive, true);
      assert.deepEqual(
        visible.secrets.map((secret) => [secret.key, secret.fromNamespace, secret.inherited]),
        [['DB_PASSWORD', undefined, false]],
      );
      assert.doesNotMatch(JSON.stringify(visible), /CANARY/);
      await assert.rejects(catalog.put('company.team', 'NEW', 'v'), { kind: 'read-only' });
      catalog.dispose();
    });

    it('a kestra-server entry without a server block is a clear listing error', async () => {
      const config = configOf({});
      config.namespaces['remote'] = { ...config.secret, type: 'kestra-server', readOnly: false };
      const catalog = new SecretCatalog(config, contextWith(), realFactory());
      const visible = await catalog.visible('remote.x');
      assert.deepEqual(visible.secrets, []);
      assert.match(visible.error ?? '', /^Kestra server: connect failed: no server is configured\. Set `server: \{ url, tenant \}`/);
      catalog.dispose();
    });
  });

  it('dispose() disposes every backend', () => {
    const vault = new MemoryStore('vault', 'Vault', false, true);
    const aws = new MemoryStore('aws-secret-manager', 'AWS', false, true);
    const { catalog } = catalogWith(
      configOf({ kestra: { secret: { type: 'vault' } }, namespaces: { t: { type: 'aws-secret-manager' } } }),
      { vault, 'aws-secret-manager': aws },
    );
    catalog.backends();
    catalog.dispose();
    assert.ok(vault.disposed && aws.disposed);
  });
});
