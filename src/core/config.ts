/**
 * Parses and validates the configuration: Kestra's own `kestra.secret` block (so a team's whole
 * `application.yml` works unchanged) plus the extension's top-level `namespaces` and `server` keys.
 *
 * Rules worth knowing:
 * - Keys bind in kebab-case and camelCase (Micronaut's rule); map keys (tag names) stay verbatim.
 * - `${VAR}` and `${VAR:default}` resolve from the environment only in credential fields (tokens,
 *   passwords, keys, secrets) and in booleans, numbers and durations. Anywhere else (an address, a
 *   region, a prefix, a name) a placeholder is an error: the configuration would decide where the
 *   variable's value is sent (`server.url: http://host/${AWS_SECRET_ACCESS_KEY}`). A deliberate
 *   difference from Kestra, whose configuration is trusted by whoever starts the server.
 * - Inside `kestra.secret`, an unknown key is an error (a typo must not fall back to defaults), except
 *   Kestra options irrelevant here (`isolation`, `encoding`, blocks of backends we don't support).
 * - `prefix`, `tags`, `filter-on-tags`, `filter-on-prefix` and `excluded-tags` are read beside `type`
 *   and inside the selected backend's block (where Kestra's docs put them); the block's value wins.
 * - `server` present → the global backend is the Kestra server (`kestra-server`), whatever
 *   `kestra.secret.type` says; `namespaces` entries still win for their subtrees.
 * - Error messages name the key path and never contain a string value (it could be a credential).
 */
import { promises as fs } from 'node:fs';
import { isMap, isScalar, LineCounter, type Document, type Pair, type Scalar } from 'yaml';
import type {
  AwsOptions,
  AzureOptions,
  BackendType,
  CacheOptions,
  GoogleOptions,
  KestraSecretsConfig,
  SecretBackendConfig,
  ServerOptions,
  VaultOptions,
} from './configTypes';
import { isValidNamespace, namespaceChain } from './namespaces';
import { closestMatches } from './suggest';
import { parseBoundedDocument } from './yamlSafe';

export class ConfigError extends Error {
  /** Where the problem is in a configuration file (1-based), when it came from one and the key was found. */
  location?: { file: string; line: number; column: number };

  constructor(
    /** The key path the problem is at, e.g. `kestra.secret.vault.address`. */
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigOptions {
  /** Where the configuration comes from (file path or "settings"), kept in the result for messages. */
  source: string;
  env: NodeJS.ProcessEnv;
}

const SUPPORTED_TYPES = ['env', 'aws-secret-manager', 'azure-key-vault', 'google-secret-manager', 'vault'] as const;
type SupportedType = (typeof SUPPORTED_TYPES)[number];
/** Kestra backends we can't reach directly: their blocks are accepted (and ignored) when not selected. */
const UNSUPPORTED_TYPES = [
  'aws-ssm-parameter-store',
  'cyberark',
  'doppler',
  'jdbc',
  'elasticsearch',
  '1password',
  'beyondtrust',
  'delinea',
  'bitwarden',
];
const DEFAULT_CLOUD_PREFIX = 'kestra';
const DEFAULT_CACHE: CacheOptions = { enabled: false, maximumSize: 1000, expireAfterWriteMs: 60_000 };

const COMMON_KEYS = ['prefix', 'tags', 'filter-on-tags', 'filter-on-prefix', 'excluded-tags'];
const SECRET_KEYS = ['type', 'read-only', 'cache', ...COMMON_KEYS, ...SUPPORTED_TYPES.filter((type) => type !== 'env')];
const SECRET_IGNORED = ['isolation', 'encoding', ...UNSUPPORTED_TYPES];

// ---------------------------------------------------------------------------------------------------
// Public API

export function defaultConfig(): KestraSecretsConfig {
  return { secret: defaultBackendConfig('env'), namespaces: {}, source: 'default' };
}

/** A configuration file's text: it must say which store to use (see `requireSecretBlock`). */
/**
 * Points the configuration and every `kestra-server` backend in it at `server` (the CLI's `--server`
 * and `--tenant` replace the file's block after parsing).
 */
export function useServer(config: KestraSecretsConfig, server: ServerOptions): void {
  config.server = server;
  for (const backend of [config.secret, ...Object.values(config.namespaces)]) {
    if (backend.type === 'kestra-server') backend.server = server;
  }
}

export function parseConfigText(text: string, options: ConfigOptions): KestraSecretsConfig {
  const parsed = parseYaml(text, options.source);
  try {
    if (parsed.value === null || parsed.value === undefined)
      throw new ConfigError('', `${options.source}: the file is empty; ${EXPECTED_BLOCK}`);
    const root = asMapping(parsed.value, '(top level)');
    requireSecretBlock(root, isMapping(root.kestra) ? root.kestra : undefined, options.source);
    return configFromObject(parsed.value, options);
  } catch (error) {
    if (error instanceof ConfigError) error.location = locate(parsed, error.path, options.source);
    throw error;
  }
}

/** A parsed configuration document: `{ kestra: { secret }, namespaces, server }`; other keys are ignored. */
export function configFromObject(value: unknown, options: ConfigOptions): KestraSecretsConfig {
  if (value === null || value === undefined) return { ...defaultConfig(), source: options.source };
  const root = asMapping(value, '(top level)');
  const kestra = root.kestra === null || root.kestra === undefined ? undefined : asMapping(root.kestra, 'kestra');
  return buildConfig(
    [
      { value: kestra?.secret, path: 'kestra.secret' },
      { value: root.namespaces, path: 'namespaces' },
      { value: root.server, path: 'server' },
    ],
    options,
  );
}

const EXPECTED_BLOCK =
  "expected a `kestra.secret` block (kestra:, then secret: indented under it, then type: and the backend's options), as in Kestra's application.yml, or a top-level `server` or `namespaces` block.";

/** Backend options Kestra's docs print without their wrapper, by backend (for saying where they belong). */
const BARE_BACKEND_OPTIONS: Record<string, string[]> = {
  vault: ['address', 'root-engine', 'secret-path-prefix', 'token', 'app-role', 'engine-version'],
  'aws-secret-manager': ['region', 'access-key-id', 'secret-key-id', 'session-token', 'endpoint-override'],
  'azure-key-vault': ['vault-name', 'key-vault-uri', 'client-secret'],
  'google-secret-manager': ['project', 'service-account'],
};

/**
 * A configuration file must say which store to use: without a `kestra.secret` block (or `server` /
 * `namespaces`), a pasted snippet missing its wrapper or a typo would silently mean env secrets.
 */
function requireSecretBlock(root: Record<string, unknown>, kestra: Record<string, unknown> | undefined, source: string): void {
  const hasSecret = kestra !== undefined && 'secret' in kestra;
  if (hasSecret || root.server !== undefined || root.namespaces !== undefined) {
    if ('secret' in root && !hasSecret)
      throw misplaced(
        source,
        'secret',
        'a top-level `secret:` block',
        'Kestra reads it only under `kestra:` — indent it under a `kestra:` line',
      );
    return;
  }
  if ('secret' in root)
    throw misplaced(
      source,
      'secret',
      'a top-level `secret:` block',
      'Kestra reads it only under `kestra:` — indent it under a `kestra:` line',
    );
  const typo = kestra ? Object.keys(kestra).find((key) => closestMatches(key, ['secret']).length > 0 && key !== 'secret') : undefined;
  if (typo) throw misplaced(source, `kestra.${typo}`, `\`kestra.${typo}\``, 'did you mean `kestra.secret`?');
  const rootKeys = Object.keys(root).map(normaliseKey);
  for (const [type, keys] of Object.entries(BARE_BACKEND_OPTIONS)) {
    const bare = Object.keys(root).filter((key) => keys.includes(normaliseKey(key)));
    if (rootKeys.includes(type)) {
      throw misplaced(
        source,
        Object.keys(root)[rootKeys.indexOf(type)],
        `a bare \`${type}:\` block at the top level`,
        `put it under \`kestra.secret\`, with \`type: ${type}\` beside it`,
      );
    }
    if (bare.length > 0) {
      const found = `the ${type} options ${bare.map((key) => `\`${key}\``).join(', ')} at the top level`;
      throw misplaced(source, bare[0], found, `put them under \`kestra.secret.${type}\`, with \`type: ${type}\` under \`kestra.secret\``);
    }
  }
  const found =
    Object.keys(root).length > 0
      ? `only ${Object.keys(root)
          .map((key) => (key === 'kestra' && kestra ? describeKestraKeys(kestra) : `\`${key}\``))
          .join(', ')}`
      : 'nothing';
  throw new ConfigError(Object.keys(root)[0] ?? '', `${source}: no \`kestra.secret\` block: found ${found}; ${EXPECTED_BLOCK}`);
}

function describeKestraKeys(kestra: Record<string, unknown>): string {
  const keys = Object.keys(kestra);
  return keys.length > 0 ? keys.map((key) => `\`kestra.${key}\``).join(', ') : '`kestra` with nothing under it';
}

function misplaced(source: string, path: string, found: string, fix: string): ConfigError {
  return new ConfigError(path, `${source}: no \`kestra.secret\` block: found ${found}; ${fix}${/[.?]$/.test(fix) ? '' : '.'}`);
}

/** The editor's inline settings `kestraSecrets.secret` (the `kestra.secret` block alone), `.namespaces`, `.server`. */
export function configFromSettings(
  parts: { secret?: unknown; namespaces?: unknown; server?: unknown },
  options: ConfigOptions,
): KestraSecretsConfig {
  return buildConfig(
    [
      { value: parts.secret, path: 'kestraSecrets.secret' },
      { value: parts.namespaces, path: 'kestraSecrets.namespaces' },
      { value: parts.server, path: 'kestraSecrets.server' },
    ],
    options,
  );
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<KestraSecretsConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'file not readable';
    throw new ConfigError('', `${file}: cannot read the configuration (${reason}).`);
  }
  return parseConfigText(text, { source: file, env });
}

/** The backend responsible for a namespace: the nearest ancestor `namespaces` entry, else the global one. */
export function backendForNamespace(
  config: KestraSecretsConfig,
  namespace: string,
): { config: SecretBackendConfig; scope: string | undefined } {
  for (const candidate of namespaceChain(namespace)) {
    // Own entries only: a namespace named `constructor` must not find Object.prototype's.
    const entry = Object.hasOwn(config.namespaces, candidate) ? config.namespaces[candidate] : undefined;
    if (entry) return { config: entry, scope: candidate };
  }
  return { config: config.secret, scope: undefined };
}

// ---------------------------------------------------------------------------------------------------
// Document level

interface Part {
  value: unknown;
  path: string;
}

function buildConfig([secretPart, namespacesPart, serverPart]: Part[], options: ConfigOptions): KestraSecretsConfig {
  const context: Context = { env: options.env, credentialPlaceholder: false };
  const server = readServer(serverPart, context);
  const secret = readBackend(secretPart.value, secretPart.path, context, {
    cache: DEFAULT_CACHE,
    server,
    global: true,
  });
  const namespaces = readNamespaces(namespacesPart, context, secret.cache, server);
  const config: KestraSecretsConfig = { secret, namespaces, source: options.source };
  if (server) config.server = server;
  return config;
}

function readServer(part: Part, context: Context): ServerOptions | undefined {
  if (isUnset(part.value) || (isMapping(part.value) && Object.keys(part.value).length === 0)) return undefined;
  const block = openBlock(part.value, part.path, context, ['url', 'tenant']);
  const url = block.url('url');
  if (!url)
    throw new ConfigError(`${part.path}.url`, `${part.path}.url: required (the Kestra server's address, e.g. http://localhost:8080)`);
  return { url: url.replace(/\/+$/, ''), tenant: block.string('tenant') || 'main' };
}

function readNamespaces(
  part: Part,
  context: Context,
  globalCache: CacheOptions,
  server: ServerOptions | undefined,
): Record<string, SecretBackendConfig> {
  if (isUnset(part.value)) return {};
  const entries = asMapping(part.value, part.path);
  // Keyed by user input: no prototype, so `__proto__` is an ordinary namespace.
  const namespaces: Record<string, SecretBackendConfig> = Object.create(null) as Record<string, SecretBackendConfig>;
  for (const [namespace, value] of Object.entries(entries)) {
    const path = `${part.path}.${namespace}`;
    if (!isValidNamespace(namespace)) {
      throw new ConfigError(path, `${path}: '${namespace}' is not a valid Kestra namespace (lower-case letters, digits, '.', '_', '-')`);
    }
    namespaces[namespace] = readBackend(value, path, context, { cache: globalCache, server, global: false });
  }
  return namespaces;
}

// ---------------------------------------------------------------------------------------------------
// One backend (`kestra.secret` or a `namespaces` entry)

interface BackendDefaults {
  /** Cache settings used when the block has none: Kestra's defaults globally, the global ones for entries. */
  cache: CacheOptions;
  /** The top-level `server` block, when there is one. */
  server: ServerOptions | undefined;
  /** True for `kestra.secret`, false for `namespaces` entries. */
  global: boolean;
}

function defaultBackendConfig(type: BackendType): SecretBackendConfig {
  return { type, readOnly: type === 'env', tags: {}, cache: { ...DEFAULT_CACHE } };
}

function readBackend(value: unknown, path: string, outerContext: Context, defaults: BackendDefaults): SecretBackendConfig {
  const context: Context = { env: outerContext.env, credentialPlaceholder: false };
  const block = openBlock(value ?? {}, path, context, SECRET_KEYS, SECRET_IGNORED);
  const type = readType(block, defaults);
  const config = defaultBackendConfig(type);
  config.cache = readCache(block, defaults.cache);
  const readOnly = block.boolean('read-only') ?? false;
  config.readOnly = type === 'env' || readOnly;
  readCommonOptions(block, config);
  readBackendBlocks(block, config);
  if (type === 'kestra-server') config.server = defaults.server;
  if (config.prefix === undefined && isCloudType(type)) config.prefix = DEFAULT_CLOUD_PREFIX;
  if (context.credentialPlaceholder) BACKENDS_WITH_CREDENTIAL_PLACEHOLDERS.add(config);
  return config;
}

const BACKENDS_WITH_CREDENTIAL_PLACEHOLDERS = new WeakSet<SecretBackendConfig>();

/** True when one of this backend's credential fields came from an `${ENV}` placeholder (see core/trust.ts). */
export function hasCredentialPlaceholders(backend: SecretBackendConfig): boolean {
  return BACKENDS_WITH_CREDENTIAL_PLACEHOLDERS.has(backend);
}

function readType(block: Block, { server, global }: BackendDefaults): BackendType {
  const serverConfigured = server !== undefined;
  const written = block.string('type');
  const type = written === undefined ? 'env' : normaliseKey(written);
  const path = block.childPath('type');
  const known = (SUPPORTED_TYPES as readonly string[]).includes(type) || UNSUPPORTED_TYPES.includes(type) || type === 'kestra-server';
  if (!known) throw new ConfigError(path, `${path}: unknown type '${written}' (expected ${SUPPORTED_TYPES.join(', ')})`);
  // With `server` set, the server reads the configured store for us (even one we can't reach directly).
  if (global && serverConfigured) return 'kestra-server';
  if (type === 'kestra-server') {
    if (serverConfigured) return 'kestra-server';
    throw new ConfigError(path, `${path}: type 'kestra-server' needs the top-level server block ({ url, tenant })`);
  }
  if (UNSUPPORTED_TYPES.includes(type)) {
    throw new ConfigError(
      path,
      `${path}: type '${written}' can't be read directly; add a top-level server block ({ url, tenant }) to list secrets through the Kestra server`,
    );
  }
  return type as SupportedType;
}

function readCache(block: Block, fallback: CacheOptions): CacheOptions {
  const cache = block.block('cache', ['enabled', 'maximum-size', 'expire-after-write']);
  if (!cache) return { ...fallback };
  return {
    enabled: cache.boolean('enabled') ?? DEFAULT_CACHE.enabled,
    maximumSize: cache.integer('maximum-size') ?? DEFAULT_CACHE.maximumSize,
    expireAfterWriteMs: cache.duration('expire-after-write') ?? DEFAULT_CACHE.expireAfterWriteMs,
  };
}

/** `prefix`, `tags` and the filters, from `kestra.secret` or the backend's block (which wins). */
function readCommonOptions(block: Block, config: SecretBackendConfig): void {
  const prefix = block.string('prefix');
  if (prefix !== undefined) config.prefix = prefix === '' ? undefined : prefix;
  const tags = block.stringMap('tags');
  if (tags) config.tags = tags;
  const filterOnTags = block.block('filter-on-tags', ['tags']);
  if (filterOnTags) config.filterOnTags = filterOnTags.stringMap('tags') ?? {};
  const filterOnPrefix = block.block('filter-on-prefix', ['prefix', 'keep-prefix']);
  if (filterOnPrefix) config.filterOnPrefix = readFilterOnPrefix(filterOnPrefix);
  const excludedTags = block.stringMap('excluded-tags');
  if (excludedTags) config.excludedTags = excludedTags;
}

function readFilterOnPrefix(block: Block): { prefix: string; keepPrefix: boolean } {
  const prefix = block.string('prefix');
  if (!prefix)
    throw new ConfigError(block.childPath('prefix'), `${block.childPath('prefix')}: required (the name prefix of the secrets to show)`);
  // Kestra's default for keep-prefix is undocumented; false (strip it) follows Java's boolean default.
  return { prefix, keepPrefix: block.boolean('keep-prefix') ?? false };
}

/** Reads every supported backend block (typos are reported even in unselected ones). */
function readBackendBlocks(block: Block, config: SecretBackendConfig): void {
  const aws = block.block(
    'aws-secret-manager',
    [...COMMON_KEYS, 'access-key-id', 'secret-key-id', 'session-token', 'region', 'endpoint-override'],
    AWS_IGNORED,
  );
  const azure = block.block('azure-key-vault', [...COMMON_KEYS, 'vault-name', 'key-vault-uri', 'client-secret']);
  const google = block.block('google-secret-manager', [...COMMON_KEYS, 'project', 'service-account', 'endpoint-override']);
  const vault = block.block('vault', [...COMMON_KEYS, ...VAULT_KEYS], VAULT_IGNORED);
  if (aws) config.aws = readAws(aws);
  if (azure) config.azure = readAzure(azure);
  if (google) config.google = readGoogle(google);
  if (vault) config.vault = readVault(vault);
  if (config.type === 'vault') config.vault ??= { rootEngine: 'secret', engineVersion: 2 };
  if (vault && config.type === 'vault' && vault.boolean('read-only')) config.readOnly = true;
  const blocks: Partial<Record<BackendType, Block>> = {
    'aws-secret-manager': aws,
    'azure-key-vault': azure,
    'google-secret-manager': google,
    vault,
  };
  const selected = blocks[config.type];
  if (selected) readCommonOptions(selected, config);
  if (config.type === 'azure-key-vault' && !config.azure?.vaultName && !config.azure?.keyVaultUri) {
    const path = block.childPath('azure-key-vault');
    throw new ConfigError(path, `${path}: set vault-name or key-vault-uri`);
  }
}

/** Kestra options of these blocks that don't change what we list (role assumption, timeouts, k8s auth). */
const AWS_IGNORED = ['sts-role-arn', 'sts-role-external-id', 'sts-role-session-name', 'sts-role-session-duration', 'sts-endpoint-override'];
const VAULT_KEYS = [
  'address',
  'namespace',
  'root-engine',
  'engine-version',
  'secret-path-prefix',
  'token',
  'password',
  'app-role',
  'read-only',
];
const VAULT_IGNORED = ['kubernetes', 'connect-timeout', 'read-timeout'];

function readAws(block: Block): AwsOptions {
  return prune({
    accessKeyId: block.credential('access-key-id'),
    secretKeyId: block.credential('secret-key-id'),
    sessionToken: block.credential('session-token'),
    region: block.string('region'),
    endpointOverride: block.url('endpoint-override'),
  });
}

function readAzure(block: Block): AzureOptions {
  const clientSecret = block.block('client-secret', ['tenant-id', 'client-id', 'client-secret']);
  return prune({
    vaultName: block.string('vault-name'),
    keyVaultUri: block.url('key-vault-uri'),
    clientSecret:
      clientSecret &&
      prune({
        tenantId: clientSecret.credential('tenant-id'),
        clientId: clientSecret.credential('client-id'),
        clientSecret: clientSecret.credential('client-secret'),
      }),
  });
}

function readGoogle(block: Block): GoogleOptions {
  return prune({
    project: block.string('project'),
    serviceAccount: block.credential('service-account'),
    endpointOverride: block.url('endpoint-override'),
  });
}

function readVault(block: Block): VaultOptions {
  const engineVersion = block.integer('engine-version') ?? 2;
  if (engineVersion !== 2) {
    const path = block.childPath('engine-version');
    throw new ConfigError(path, `${path}: only the KV secrets engine version 2 is supported, got ${engineVersion}`);
  }
  const token = block.block('token', ['token']);
  const password = block.block('password', ['user', 'password']);
  const appRole = block.block('app-role', ['path', 'role-id', 'secret-id']);
  return prune({
    address: block.url('address'),
    namespace: block.string('namespace'),
    rootEngine: block.string('root-engine') || 'secret',
    engineVersion,
    secretPathPrefix: block.string('secret-path-prefix'),
    token: token && prune({ token: token.credential('token') }),
    password: password && prune({ user: password.credential('user'), password: password.credential('password') }),
    appRole:
      appRole && prune({ path: appRole.string('path'), roleId: appRole.credential('role-id'), secretId: appRole.credential('secret-id') }),
  });
}

function isCloudType(type: BackendType): boolean {
  return type === 'aws-secret-manager' || type === 'azure-key-vault' || type === 'google-secret-manager';
}

/** Drops undefined properties so results compare and print cleanly. */
function prune<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Typed reading of one mapping, with key normalisation, unknown-key errors and placeholders

interface Context {
  env: NodeJS.ProcessEnv;
  /** Set when a credential field of the block being read used an `${ENV}` placeholder. */
  credentialPlaceholder: boolean;
}

interface Field {
  value: unknown;
  /** The path as written (original key spelling). */
  path: string;
}

/** `secretPathPrefix` → `secret-path-prefix`; kebab-case stays as is. */
export function normaliseKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function openBlock(value: unknown, path: string, context: Context, allowed: string[], ignored: string[] = []): Block {
  const mapping = asMapping(value, path);
  const fields = new Map<string, Field>();
  for (const [written, fieldValue] of Object.entries(mapping)) {
    const key = normaliseKey(written);
    const fieldPath = `${path}.${written}`;
    if (ignored.includes(key)) continue;
    if (!allowed.includes(key)) throw unknownKey(fieldPath, key, allowed);
    const previous = fields.get(key);
    if (previous) throw new ConfigError(fieldPath, `${fieldPath}: set twice (also as ${previous.path})`);
    fields.set(key, { value: fieldValue, path: fieldPath });
  }
  return new Block(fields, path, context);
}

function unknownKey(path: string, key: string, allowed: string[]): ConfigError {
  const [suggestion] = closestMatches(key, allowed, { max: 1 });
  return new ConfigError(
    path,
    `${path}: unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ` (expected one of ${allowed.join(', ')})`}`,
  );
}

class Block {
  constructor(
    private readonly fields: Map<string, Field>,
    readonly path: string,
    private readonly context: Context,
  ) {}

  childPath(key: string): string {
    return this.fields.get(key)?.path ?? `${this.path}.${key}`;
  }

  block(key: string, allowed: string[], ignored: string[] = []): Block | undefined {
    const field = this.field(key);
    return field && openBlock(field.value, field.path, this.context, allowed, ignored);
  }

  /** A string that is not a credential: an `${ENV}` placeholder in it is refused (see the file comment). */
  string(key: string, kind: 'address' | 'value' = 'value'): string | undefined {
    const field = this.stringField(key);
    if (!field) return undefined;
    refusePlaceholder(field.value, field.path, kind);
    return field.value;
  }

  /** A token, password, key or secret: `${ENV}` placeholders resolve. Never shows the value in an error. */
  credential(key: string): string | undefined {
    const field = this.stringField(key);
    if (!field) return undefined;
    if (hasPlaceholder(field.value)) this.context.credentialPlaceholder = true;
    return resolvePlaceholders(field.value, field.path, this.context.env);
  }

  private stringField(key: string): { value: string; path: string } | undefined {
    const field = this.field(key);
    if (!field) return undefined;
    if (typeof field.value !== 'string') {
      const hint = typeof field.value === 'number' || typeof field.value === 'boolean' ? ' (put the value in quotes)' : '';
      throw typeError(field.path, 'a string', field.value, false, hint);
    }
    return { value: field.value, path: field.path };
  }

  url(key: string): string | undefined {
    const text = this.string(key, 'address');
    if (text === undefined || text === '') return undefined;
    if (!isHttpUrl(text)) throw new ConfigError(this.childPath(key), `${this.childPath(key)}: expected an http:// or https:// URL`);
    return text;
  }

  boolean(key: string): boolean | undefined {
    const value = this.scalar(key);
    if (value === undefined || typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    if (['true', 'yes', 'on'].includes(text)) return true;
    if (['false', 'no', 'off'].includes(text)) return false;
    throw this.valueError(key, 'true or false', value);
  }

  integer(key: string): number | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number === 'number' && Number.isInteger(number) && number >= 0) return number;
    throw this.valueError(key, 'a number', value);
  }

  duration(key: string): number | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    const ms = parseDurationMs(value);
    if (ms === undefined) throw this.valueError(key, 'a duration like 60s, 5m, 1h, 500ms or PT1M', value);
    return ms;
  }

  /** A map of tag name → value; names are kept verbatim, scalar values become strings. */
  stringMap(key: string): Record<string, string> | undefined {
    const field = this.field(key);
    if (!field) return undefined;
    const mapping = asMapping(field.value, field.path);
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(mapping)) {
      const path = `${field.path}.${name}`;
      if (typeof value === 'string') {
        refusePlaceholder(value, path, 'value');
        result[name] = value;
      } else if (typeof value === 'number' || typeof value === 'boolean') result[name] = String(value);
      else throw typeError(path, 'a string', value, false);
    }
    return result;
  }

  /** A wrong value is shown only when written literally: one resolved from `${ENV}` may be a credential. */
  private valueError(key: string, expected: string, value: unknown): ConfigError {
    const raw = this.fields.get(key)?.value;
    if (typeof raw === 'string' && raw.includes('${')) {
      return new ConfigError(
        this.childPath(key),
        `${this.childPath(key)}: expected ${expected}, but its \${…} placeholder resolved to something else (the value is not shown)`,
      );
    }
    return typeError(this.childPath(key), expected, value, true);
  }

  /** A boolean/number/string field's value with placeholders resolved. */
  private scalar(key: string): unknown {
    const field = this.field(key);
    if (!field) return undefined;
    return typeof field.value === 'string' ? resolvePlaceholders(field.value, field.path, this.context.env) : field.value;
  }

  /** The field, or undefined when absent or empty (`key:` with no value, as Micronaut treats it). */
  private field(key: string): Field | undefined {
    const field = this.fields.get(key);
    return field && !isUnset(field.value) ? field : undefined;
  }
}

function typeError(path: string, expected: string, value: unknown, showValue: boolean, hint = ''): ConfigError {
  return new ConfigError(path, `${path}: expected ${expected}, got ${describeValue(value, showValue)}${hint}`);
}

function describeValue(value: unknown, showValue: boolean): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  if (!showValue) return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
  const text = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  return text;
}

const PLACEHOLDER = /\$\{([^}:]*)(?::([^}]*))?\}/g;

function hasPlaceholder(text: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(text);
}

function refusePlaceholder(text: string, path: string, kind: 'address' | 'value'): void {
  if (!hasPlaceholder(text)) return;
  const risk =
    kind === 'address'
      ? 'in an address it would send the variable to the host it names'
      : 'here it would send the variable to the store or server the configuration names';
  throw new ConfigError(
    path,
    `${path}: \${…} placeholders are expanded only in credential fields (tokens, passwords, keys, secrets), not in addresses, names, paths or regions: ${risk}. Write the value itself.`,
  );
}

export function resolvePlaceholders(text: string, path: string, env: NodeJS.ProcessEnv): string {
  return text.replace(PLACEHOLDER, (_match, rawName: string, fallback: string | undefined) => {
    const name = rawName.trim();
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(
      path,
      `${path}: environment variable ${name || '(empty name)'} is not set (set it, or give a default: \${${name}:default})`,
    );
  });
}

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Micronaut durations: `500ms`, `60s`, `5m`, `1h`, `2d`, ISO-8601 (`PT1M`), or a bare number of milliseconds. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const simple = /^(\d+(?:\.\d+)?)\s*(ns|ms|s|m|h|d)$/i.exec(text);
  if (simple) return Math.round(Number(simple[1]) * DURATION_UNITS_MS[simple[2].toLowerCase()]);
  return parseIsoDurationMs(text);
}

function parseIsoDurationMs(text: string): number | undefined {
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!iso || text.toUpperCase() === 'P' || text.toUpperCase().endsWith('T')) return undefined;
  const [days, hours, minutes, seconds] = iso.slice(1).map((part) => Number(part ?? 0));
  return Math.round(days * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1000);
}

// ---------------------------------------------------------------------------------------------------
// YAML and value-shape helpers

interface ParsedYaml {
  value: unknown;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

function parseYaml(text: string, source: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseBoundedDocument(text, { merge: true, prettyErrors: false, lineCounter });
  const [error] = document.errors;
  if (error) {
    // Only the first line of the parser's message: later lines quote the source, which may hold credentials.
    const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const position = lineCounter.linePos(error.pos[0]);
    const configError = new ConfigError('', `${source}: invalid YAML at line ${position.line}, column ${position.col}: ${reason}`);
    configError.location = { file: source, line: position.line, column: position.col };
    throw configError;
  }
  // parseBoundedDocument already bounded what aliases expand to; yaml's own count check is quadratic.
  return { value: document.toJS({ maxAliasCount: -1 }), document, lineCounter };
}

/**
 * The position of the key at `path` (e.g. `namespaces.company.team.type`) in the document. Keys may
 * contain dots (namespace names), so each step takes the longest key matching the rest of the path.
 */
function locate(parsed: ParsedYaml, path: string, file: string): ConfigError['location'] {
  let node: unknown = parsed.document.contents;
  let rest = path;
  let offset: number | undefined;
  while (rest !== '' && isMap(node)) {
    const pair = longestMatchingPair(node.items, rest);
    if (!pair) break;
    const key = String((pair.key as Scalar).value);
    offset = (pair.key as Scalar).range?.[0];
    rest = rest === key ? '' : rest.slice(key.length + 1);
    node = pair.value;
  }
  if (offset === undefined) return undefined;
  const position = parsed.lineCounter.linePos(offset);
  return { file, line: position.line, column: position.col };
}

function longestMatchingPair(pairs: Pair[], rest: string): Pair | undefined {
  let best: Pair | undefined;
  for (const pair of pairs) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const matches = rest === key || rest.startsWith(`${key}.`);
    if (matches && (!best || key.length > String((best.key as Scalar).value).length)) best = pair;
  }
  return best;
}

function isUnset(value: unknown): boolean {
  return value === null || value === undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asMapping(value: unknown, path: string): Record<string, unknown> {
  if (isMapping(value)) return value;
  throw new ConfigError(path, `${path}: expected a mapping (key: value pairs), got ${describeValue(value, false)}`);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
