/**
 * HashiCorp Vault (KV v2 only), laid out as Kestra documents it.
 *
 * Managed mode: a secret of namespace `a.b` is `<root-engine>/data/[<secret-path-prefix>/]<tenant>/a/b/<KEY>`
 * (the prefix segment only when `secret-path-prefix` is set); we write the value in the KV field
 * `value`, and Kestra's tags (`namespace`, `key`, `prefix`, `tenant`, default tags, description) as the
 * secret's `custom_metadata`. A namespace's keys are the non-folder children of its metadata folder.
 *
 * Read-only mode: the non-folder children of `<root-engine>/metadata/<secret-path-prefix>/` are the
 * secrets, visible from every namespace (the store is not namespaced); their KV fields are the
 * subkeys, listed with KV v2's `subkeys` endpoint without reading a value.
 *
 * Reveal returns the single field's value when the secret has one field, else the data map as JSON.
 * Subkeys are the KV field names, except for a managed secret holding only our `value` field, whose
 * subkeys are those of the JSON in that value (learned only when `readValuesForSubkeys` allows).
 *
 * Transport: node-vault, with its request hook pointed at `fetch` so that every call has a timeout
 * and a 429/5xx answer keeps its Retry-After for `withRetry`. node-vault's own debug output (which
 * would print written data) is switched off.
 */
import type { SecretBackendConfig, VaultOptions } from '../core/configTypes';
import { parseRetryAfter } from '../core/retry';
import {
  BackendError,
  readOnlyError,
  type BackendContext,
  type BackendFactory,
  type SecretBackend,
  type SecretMeta,
  type WriteOptions,
} from '../core/store';
import {
  CERTIFICATE_HINT,
  isCertificateFailure,
  jsonObjectKeys,
  kestraTags,
  kindForStatus,
  mapLimit,
  networkFailureKind,
  requestTimeoutMs,
} from './common';
import { loadSdk } from './sdk';
import { fetchSameOrigin, readTextCapped } from './http';
import { StoreCaller, type FailedCall } from './storeCall';

type VaultSdk = typeof import('../sdk/vault');
type VaultClient = ReturnType<VaultSdk['createVaultClient']>;

const SERVICE = 'HashiCorp Vault';
const VALUE_FIELD = 'value';
const DEFAULT_ADDRESS = 'http://127.0.0.1:8200';
const NAMESPACE_DEPTH_LIMIT = 12;
const CREDENTIALS_HINT = 'Set `token`, `password` or `app-role` under `vault`, VAULT_TOKEN, or use Kestra Secrets: Set Credentials.';

/** A 429 or 5xx answer, kept apart from node-vault's errors so that its Retry-After survives. */
class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(detail);
    this.name = 'VaultHttpError';
  }
}

interface VaultResponseError {
  response: { statusCode: number; body?: { errors?: unknown[] } };
  message: string;
}

const isResponseError = (error: unknown): error is VaultResponseError =>
  typeof (error as VaultResponseError)?.response?.statusCode === 'number';

export const createVaultBackend: BackendFactory = (config, context) => new VaultBackend(config, context);

class VaultBackend implements SecretBackend {
  readonly type = 'vault' as const;
  readonly label: string;
  readonly readOnly: boolean;
  readonly namespaced: boolean;
  readonly caseInsensitiveKeys = false;
  readonly canReveal = true;
  private readonly options: VaultOptions;
  private readonly address: string;
  private readonly mount: string;
  private client: VaultClient | undefined;
  private login: Promise<void> | undefined;
  /** Calls with a token (logging in first when needed). */
  private readonly calls: StoreCaller<VaultClient>;
  /** The login calls themselves. */
  private readonly logins: StoreCaller<VaultClient>;

  constructor(
    private readonly config: SecretBackendConfig,
    private readonly context: BackendContext,
  ) {
    this.options = config.vault ?? { rootEngine: 'secret', engineVersion: 2 };
    this.readOnly = config.readOnly;
    this.namespaced = !config.readOnly;
    this.address = (this.options.address || context.env.VAULT_ADDR || DEFAULT_ADDRESS).replace(/\/+$/, '');
    this.mount = trimSlashes(this.options.rootEngine || 'secret');
    this.label = `${SERVICE} (${hostOf(this.address)})`;
    // Retries for 429/5xx, honouring Retry-After (the transport keeps it on a VaultHttpError).
    const policy = {
      label: () => this.label,
      classify: (error: unknown, failed: FailedCall) => this.classify(error, failed),
      retry: {
        attempts: 3,
        baseDelayMs: 250,
        maxDelayMs: 5000,
        retryable: (error: unknown) => (error instanceof VaultHttpError ? { retry: true, afterMs: error.retryAfterMs } : { retry: false }),
      },
      hints: { redirect: "Set `address` to the server Vault redirects to if it is yours (for HA, the active node's address)." },
      log: { logger: context.log, when: (error: BackendError) => error.kind !== 'not-found' },
    };
    this.calls = new StoreCaller({
      ...policy,
      connect: async () => {
        const client = this.getClient();
        await this.authenticate(client);
        return client;
      },
      recover: (error) => this.renewExpiredLogin(error),
    });
    this.logins = new StoreCaller({ ...policy, connect: () => this.getClient() });
  }

  readOnlyFor(): boolean {
    return this.readOnly;
  }

  async listNamespaces(): Promise<string[]> {
    if (!this.namespaced) return [];
    const found: string[] = [];
    const walk = async (parts: string[]): Promise<void> => {
      const children = await this.listFolder(this.folder(parts), 'list namespaces');
      if (parts.length && children.some((child) => !child.endsWith('/'))) found.push(parts.join('.'));
      if (parts.length >= NAMESPACE_DEPTH_LIMIT) return;
      const folders = children.filter((child) => child.endsWith('/')).map((child) => [...parts, child.slice(0, -1)]);
      await mapLimit(folders, 4, walk);
    };
    await walk([]);
    return found.sort();
  }

  async list(namespace: string): Promise<SecretMeta[]> {
    const operation = `list secrets of ${namespace}`;
    if (!this.namespaced) return this.listReadOnly(operation);
    const folder = this.folder(namespace.split('.'));
    const keys = (await this.listFolder(folder, operation)).filter((child) => !child.endsWith('/'));
    return keys.map((key) => ({ key, namespace, source: `Vault ${this.mount}/${joinPath(folder, key)}`, valueKind: 'unknown' }));
  }

  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    const path = this.secretPath(namespace, key);
    const fields = await this.fieldNames(path, `read subkeys of ${key}`);
    if (!this.namespaced || fields.length !== 1 || fields[0] !== VALUE_FIELD) return fields;
    if (!this.context.readValuesForSubkeys) return undefined;
    return jsonObjectKeys(await this.reveal(namespace, key));
  }

  async reveal(namespace: string, key: string): Promise<string> {
    const operation = `reveal ${key}`;
    const response = await this.calls.run({
      operation,
      attempt: (client) => client.read(`${this.mount}/data/${encodePath(this.secretPath(namespace, key))}`),
    });
    const data = (response?.data?.data ?? {}) as Record<string, unknown>;
    const fields = Object.keys(data);
    if (fields.length === 1) {
      const only = data[fields[0] as string];
      return typeof only === 'string' ? only : JSON.stringify(only);
    }
    return JSON.stringify(data);
  }

  async put(namespace: string, key: string, value: string, options: WriteOptions = {}): Promise<void> {
    const operation = `save ${key} in ${namespace}`;
    if (this.readOnly) throw readOnlyError(this.label, operation);
    const path = encodePath(this.secretPath(namespace, key));
    await this.calls.run({
      operation,
      attempt: (client) => client.write(`${this.mount}/data/${path}`, { data: { [VALUE_FIELD]: value } }),
      sensitive: [value],
      writes: true,
    });
    this.context.log.info(`${this.label}: saved ${this.mount}/${this.secretPath(namespace, key)}`);
    const metadata = {
      ...kestraTags(this.config, this.context.tenant, namespace, key, options.tags),
      ...(options.description ? { description: options.description } : {}),
    };
    try {
      await this.calls.run({
        operation,
        attempt: (client) => client.write(`${this.mount}/metadata/${path}`, { custom_metadata: metadata }),
        writes: true,
      });
    } catch (error) {
      // The value is saved; tags are informative in Vault, so a policy without metadata write only warns.
      if (!(error instanceof BackendError) || error.kind !== 'permission') throw error;
      this.context.log.warn(`${this.label}: saved ${key} but could not write its tags (custom_metadata): permission denied.`);
    }
  }

  async delete(namespace: string, key: string): Promise<void> {
    const operation = `delete ${key} from ${namespace}`;
    if (this.readOnly) throw readOnlyError(this.label, operation);
    await this.calls.run({
      operation,
      attempt: (client) => client.delete(`${this.mount}/metadata/${encodePath(this.secretPath(namespace, key))}`),
      writes: true,
    });
    this.context.log.info(`${this.label}: deleted ${this.mount}/${this.secretPath(namespace, key)} and its versions`);
  }

  async definitionProblems() {
    return [];
  }

  dispose(): void {
    this.client = undefined;
    this.login = undefined;
  }

  /** Read-only mode: every secret under `secret-path-prefix`, with its fields as subkeys. */
  private async listReadOnly(operation: string): Promise<SecretMeta[]> {
    const folder = trimSlashes(this.options.secretPathPrefix ?? '');
    const keys = (await this.listFolder(folder, operation)).filter((child) => !child.endsWith('/'));
    return mapLimit(keys, 8, async (key): Promise<SecretMeta> => {
      const meta: SecretMeta = { key, source: `Vault ${this.mount}/${joinPath(folder, key)}`, valueKind: 'unknown' };
      try {
        const response = await this.calls.run({
          operation,
          attempt: (client) => client.read(`${this.mount}/subkeys/${encodePath(joinPath(folder, key))}?depth=1`),
        });
        meta.subkeys = Object.keys(response?.data?.subkeys ?? {});
        if (meta.subkeys.length > 1) meta.valueKind = 'json-object';
        meta.updated = response?.data?.metadata?.created_time || undefined;
      } catch (error) {
        if (!(error instanceof BackendError) || (error.kind !== 'permission' && error.kind !== 'not-found')) throw error;
        this.context.log.debug(`${this.label}: subkeys of ${key} unavailable (${error.kind})`);
      }
      return meta;
    });
  }

  private async fieldNames(path: string, operation: string): Promise<string[]> {
    const response = await this.calls.run({
      operation,
      attempt: (client) => client.read(`${this.mount}/subkeys/${encodePath(path)}?depth=1`),
    });
    return Object.keys(response?.data?.subkeys ?? {});
  }

  /** Children of a metadata folder (`name` or `folder/`); [] when the folder does not exist. */
  private async listFolder(folder: string, operation: string): Promise<string[]> {
    try {
      const response = await this.calls.run({
        operation,
        attempt: (client) => client.list(`${this.mount}/metadata/${encodePath(folder)}`),
      });
      const keys: unknown = response?.data?.keys;
      return Array.isArray(keys) ? keys.filter((child): child is string => typeof child === 'string') : [];
    } catch (error) {
      if (error instanceof BackendError && error.kind === 'not-found') return [];
      throw error;
    }
  }

  private folder(namespaceParts: string[]): string {
    return joinPath(trimSlashes(this.options.secretPathPrefix ?? ''), this.context.tenant, ...namespaceParts);
  }

  private secretPath(namespace: string, key: string): string {
    return this.namespaced
      ? joinPath(this.folder(namespace.split('.')), key)
      : joinPath(trimSlashes(this.options.secretPathPrefix ?? ''), key);
  }

  private getClient(): VaultClient {
    if (this.client) return this.client;
    if (this.options.engineVersion && this.options.engineVersion !== 2) {
      throw new BackendError(
        'unsupported',
        this.label,
        'connect',
        `KV engine version ${this.options.engineVersion} is not supported.`,
        'Kestra supports the KV secrets engine version 2 only; set `engine-version: 2`.',
      );
    }
    const sdk = loadSdk<VaultSdk>('vault');
    const timeoutMs = requestTimeoutMs(this.context.env);
    const client = sdk.createVaultClient({
      endpoint: this.address,
      apiVersion: 'v1',
      debug: () => undefined,
      'request-promise': { defaults: () => fetchTransport(timeoutMs) },
    });
    // node-vault falls back to process.env for these; the context's environment decides instead.
    client.token = '';
    (client as unknown as { pathPrefix: string }).pathPrefix = '';
    (client as unknown as { namespace?: string }).namespace = this.options.namespace || this.context.env.VAULT_NAMESPACE || undefined;
    this.client = client;
    return client;
  }

  /** Sets the client's token from the configuration, SecretStorage or the environment, logging in when needed. */
  private authenticate(client: VaultClient): Promise<void> {
    this.login ??= this.logIn(client).catch((error: unknown) => {
      this.login = undefined;
      throw error;
    });
    return this.login;
  }

  private async logIn(client: VaultClient): Promise<void> {
    const { token, password, appRole } = this.options;
    const stored = this.context.credentials ?? {};
    if (token?.token) {
      client.token = token.token;
    } else if (password?.user) {
      const secret = password.password ?? stored.password;
      const response = await this.logins.run({
        operation: 'log in with userpass',
        attempt: () => client.write(`auth/userpass/login/${encodeURIComponent(password.user as string)}`, { password: secret }),
        sensitive: [secret],
      });
      client.token = response?.auth?.client_token ?? '';
    } else if (appRole?.roleId) {
      const secretId = appRole.secretId ?? stored.secretId;
      const mount = trimSlashes(appRole.path || 'approle');
      const response = await this.logins.run({
        operation: 'log in with AppRole',
        attempt: () => client.write(`auth/${mount}/login`, { role_id: appRole.roleId, secret_id: secretId }),
        sensitive: [secretId],
      });
      client.token = response?.auth?.client_token ?? '';
    } else {
      client.token = stored.token || this.context.env.VAULT_TOKEN || '';
    }
    if (!client.token) throw new BackendError('auth', this.label, 'authenticate', 'no Vault token is configured.', CREDENTIALS_HINT);
  }

  private get usesLogin(): boolean {
    return !this.options.token?.token && Boolean(this.options.password?.user || this.options.appRole?.roleId);
  }

  /** After a refused call: true (run it again) when a login token had expired and a fresh login is due. */
  private async renewExpiredLogin(error: BackendError): Promise<boolean> {
    if (error.kind !== 'permission' || !this.usesLogin) return false;
    if (await this.tokenStillValid(this.getClient())) return false;
    this.login = undefined;
    return true;
  }

  /** Distinguishes a policy denial (token fine) from an expired login token. */
  private async tokenStillValid(client: VaultClient): Promise<boolean> {
    try {
      await client.tokenLookupSelf();
      return true;
    } catch {
      return false;
    }
  }

  private classify(error: unknown, { operation, detail: described }: FailedCall): BackendError {
    const detail = described.replace(/\s*\n\s*\*?\s*/g, ' ').trim();
    const fail = (kind: BackendError['kind'], hint?: string, retryAfterMs?: number) =>
      new BackendError(kind, this.label, operation, detail, hint, retryAfterMs);
    if (error instanceof VaultHttpError) {
      if (error.status === 429) return fail('throttled', 'Vault is rate-limiting requests; try again in a moment.', error.retryAfterMs);
      return fail(
        'server',
        error.status === 503
          ? `Vault at ${this.address} is unavailable or sealed; try again later.`
          : 'Vault reported a server error; try again later.',
        error.retryAfterMs,
      );
    }
    if (isResponseError(error)) {
      const status = error.response.statusCode;
      if (operation.startsWith('log in') && (status === 400 || status === 403))
        return fail('auth', `Check the ${operation.slice('log in with '.length)} credentials. ${CREDENTIALS_HINT}`);
      if (status === 403)
        return fail(
          'permission',
          `The Vault token is invalid, expired, or its policy does not allow this path under \`${this.mount}\`. ${CREDENTIALS_HINT}`,
        );
      if (status === 404) return fail('not-found', 'Refresh the secrets view; it may have been deleted.');
      return fail(kindForStatus(status));
    }
    const network = networkFailureKind(error);
    if (network === 'timeout') return fail('timeout', `No answer from ${this.address}; check the network or \`address\`.`);
    if (isCertificateFailure(error)) return fail('unreachable', CERTIFICATE_HINT);
    if (network === 'unreachable')
      return fail('unreachable', `Cannot reach Vault at ${this.address}; check \`address\` and that Vault is running.`);
    return fail('server');
  }
}

interface TransportOptions {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
}

/** node-vault's request hook, on `fetch` with a timeout; 429/5xx become VaultHttpError with Retry-After. */
function fetchTransport(timeoutMs: number) {
  return async (options: TransportOptions) => {
    const hasBody = options.json !== undefined && typeof options.json === 'object';
    const response = await fetchSameOrigin(options.uri, {
      method: options.method,
      headers: { ...options.headers, ...(hasBody ? { 'Content-Type': 'application/json' } : {}) },
      body: hasBody ? JSON.stringify(options.json) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readTextCapped(response);
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.status === 429 || response.status >= 500) {
      const errors = (body as { errors?: unknown[] } | undefined)?.errors;
      const detail = Array.isArray(errors) && errors.length ? String(errors[0]) : `HTTP ${response.status}`;
      throw new VaultHttpError(response.status, detail, parseRetryAfter(response.headers.get('retry-after')));
    }
    return { statusCode: response.status, body, request: { path: new URL(options.uri).pathname } };
  };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function hostOf(address: string): string {
  try {
    return new URL(address).host;
  } catch {
    return address;
  }
}
