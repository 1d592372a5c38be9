/**
 * Azure Key Vault, configured like Kestra's `azure-key-vault` backend.
 *
 * - Vault URL: `key-vault-uri`, else `https://<vault-name>.vault.azure.net`.
 * - Credential: `client-secret.{tenant-id,client-id,client-secret}` → ClientSecretCredential; else the same
 *   three from SecretStorage (Set Credentials); else DefaultAzureCredential (environment, workload/managed
 *   identity, Azure CLI…; `AZURE_TOKEN_CREDENTIALS` narrows the chain as the SDK documents).
 * - The SDK's challenge-resource check stays on: a vault host must lie under the domain its 401 challenge
 *   names (`*.vault.azure.net`), so a workspace configuration can't make us hand a Key Vault token to another
 *   host. Private endpoints and proxies work through the standard `HTTPS_PROXY`/`NODE_EXTRA_CA_CERTS`.
 * - Identity from the tags `namespace`/`key`/`prefix`/`tenant` (rules in ./common). Key Vault has no
 *   server-side filter, so every filter option applies client-side to one paged `listPropertiesOfSecrets`
 *   (names and tags only, never values), shared by concurrent calls and reused for a couple of seconds so
 *   that listing a namespace and its parents costs one vault listing.
 * - Names allow only alphanumerics and `-` (1-127). Secrets we create are named
 *   `<prefix>-<namespace>-<KEY>-<hash>` with every other character as `-` and the first 8 hex digits of
 *   SHA-256(tenant/namespace/key) so that `a.b`/`a_b`/`a-b` or tenants never collide. An existing secret
 *   is found by its tags, whatever its name; tags live on versions, so a new version re-writes them.
 */
import { createHash } from 'node:crypto';
import type { SecretBackendConfig } from '../core/configTypes';
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
  DEFAULT_PREFIX,
  belongsTo,
  withoutResponseBody,
  jsonObjectKeys,
  identityOf,
  kestraTags,
  kindForStatus,
  networkFailureKind,
  requestTimeoutMs,
  type KestraIdentity,
  type Tags,
} from './common';
import { rememberSecretValue } from '../core/redaction';
import { loadSdk } from './sdk';
import { StoreCaller, type FailedCall } from './storeCall';

type AzureSdk = typeof import('../sdk/azure');
type Client = InstanceType<AzureSdk['SecretClient']>;

interface VaultSecret extends KestraIdentity {
  name: string;
  tags: Tags;
  updated?: string;
}

/** How long a vault listing is reused by the next calls (a namespace, then its parents). */
const LISTING_REUSE_MS = 2000;
const SDK_RETRIES = 3;
const AUTH_ERROR_NAMES = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

export const createAzureBackend: BackendFactory = (config, context) => new AzureKeyVaultBackend(config, context);

class AzureKeyVaultBackend implements SecretBackend {
  readonly type = 'azure-key-vault' as const;
  readonly label: string;
  readonly readOnly: boolean;
  readonly namespaced = true;
  readonly caseInsensitiveKeys = false;
  readonly canReveal = true;
  private readonly vaultUrl?: string;
  private readonly timeoutMs: number;
  private client?: Client;
  private listing?: { at: number; secrets: Promise<VaultSecret[]> };
  private readonly calls: StoreCaller<Client>;

  constructor(
    private readonly config: SecretBackendConfig,
    private readonly context: BackendContext,
  ) {
    this.readOnly = config.readOnly;
    this.timeoutMs = requestTimeoutMs(context.env);
    this.vaultUrl = vaultUrlOf(config);
    this.label = `Azure Key Vault (${this.vaultUrl ? hostOf(this.vaultUrl) : 'no vault configured'})`;
    // The SDK retries throttling (honouring Retry-After) and 5xx/network failures itself, `SDK_RETRIES`
    // times, each attempt bounded by the request timeout; an operation's deadline bounds them all, waits
    // included. The SDK does not retry an attempt that timed out: a read gets one more chance.
    this.calls = new StoreCaller<Client>({
      label: () => this.label,
      connect: () => this.connect(),
      classify: (error, failed) => this.classify(error, failed),
      timeoutMs: this.timeoutMs * (SDK_RETRIES + 1) + 5000,
      retry: {
        attempts: 2,
        attemptsForWrites: 1,
        baseDelayMs: 200,
        maxDelayMs: 1000,
        retryable: (error, { aborted }) => ({ retry: !aborted && networkFailureKind(error) === 'timeout' }),
      },
    });
  }

  readOnlyFor(): boolean {
    return this.readOnly;
  }

  async listNamespaces(): Promise<string[]> {
    const namespaces = (await this.listVault()).map((secret) => secret.namespace).filter((ns): ns is string => ns !== undefined);
    return [...new Set(namespaces)].sort();
  }

  async list(namespace: string): Promise<SecretMeta[]> {
    return (await this.listVault())
      .filter((secret) => belongsTo(secret, namespace))
      .map((secret) => ({
        key: secret.key,
        namespace: secret.namespace,
        tags: secret.tags,
        source: `Azure secret ${secret.name}`,
        updated: secret.updated,
        valueKind: 'unknown' as const,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    if (!this.context.readValuesForSubkeys) return undefined;
    const value = await this.readValue(await this.find(namespace, key, 'read subkeys'), 'read subkeys');
    return jsonObjectKeys(value);
  }

  async reveal(namespace: string, key: string): Promise<string> {
    return this.readValue(await this.find(namespace, key, 'reveal'), 'reveal');
  }

  async put(namespace: string, key: string, value: string, options?: WriteOptions): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.label, 'put');
    const existing = (await this.listVault(true)).find((secret) => secret.namespace === namespace && secret.key === key);
    const name = existing?.name ?? this.createdSecretName(namespace, key);
    const tags = { ...existing?.tags, ...kestraTags(this.config, this.context.tenant, namespace, key, options?.tags) };
    await this.calls.run({
      operation: 'put',
      attempt: (client, abortSignal) => client.setSecret(name, value, { tags, abortSignal }),
      sensitive: [value],
      writes: true,
    });
    this.listing = undefined;
    this.context.log.info(`${this.label}: stored a new version of ${name} (${namespace}/${key}).`);
  }

  async delete(namespace: string, key: string): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.label, 'delete');
    const secret = await this.find(namespace, key, 'delete', true);
    await this.calls.run({
      operation: 'delete',
      attempt: async (client, abortSignal) => {
        const poller = await client.beginDeleteSecret(secret.name, { abortSignal, intervalInMs: 250 });
        await poller.pollUntilDone({ abortSignal });
      },
      writes: true,
    });
    this.listing = undefined;
    this.context.log.info(`${this.label}: deleted ${secret.name} (${namespace}/${key}).`);
  }

  async definitionProblems() {
    return [];
  }

  dispose(): void {
    this.client = undefined;
    this.listing = undefined;
  }

  /** All visible secrets; concurrent and closely following calls share one paged listing. */
  private listVault(fresh = false): Promise<VaultSecret[]> {
    const reusable = this.listing && Date.now() - this.listing.at < LISTING_REUSE_MS;
    if (!fresh && reusable) return this.listing!.secrets;
    const secrets = this.fetchListing();
    const entry = { at: Date.now(), secrets };
    this.listing = entry;
    secrets.then(
      () => (entry.at = Date.now()),
      () => {
        if (this.listing === entry) this.listing = undefined;
      },
    );
    return secrets;
  }

  private async fetchListing(): Promise<VaultSecret[]> {
    return this.calls.run({
      operation: 'list',
      attempt: async (client, abortSignal) => {
        const found: VaultSecret[] = [];
        let pages = 0;
        for await (const page of client.listPropertiesOfSecrets({ abortSignal }).byPage({ maxPageSize: 25 })) {
          pages++;
          for (const properties of page) {
            if (properties.enabled === false || properties.managed) continue;
            const tags = properties.tags ?? {};
            const identity = identityOf(properties.name, tags, this.config, this.context.tenant);
            if (identity) found.push({ ...identity, name: properties.name, tags, updated: properties.updatedOn?.toISOString() });
          }
        }
        this.context.log.debug(`${this.label}: listed ${found.length} visible secrets in ${pages} page(s).`);
        return found;
      },
      timeoutMs: this.timeoutMs * 10,
    });
  }

  private async find(namespace: string, key: string, operation: string, fresh = false): Promise<VaultSecret> {
    const secret = (await this.listVault(fresh)).find((candidate) => belongsTo(candidate, namespace) && candidate.key === key);
    if (secret) return secret;
    throw new BackendError(
      'not-found',
      this.label,
      operation,
      `no secret with key ${key} in namespace ${namespace}.`,
      'Check the key, the `namespace`/`key` tags and the filters in the configuration.',
    );
  }

  private async readValue(secret: VaultSecret, operation: string): Promise<string> {
    const bundle = await this.calls.run({ operation, attempt: (client, abortSignal) => client.getSecret(secret.name, { abortSignal }) });
    rememberSecretValue(bundle.value);
    return bundle.value ?? '';
  }

  private createdSecretName(namespace: string, key: string): string {
    const hash = createHash('sha256').update(`${this.context.tenant}/${namespace}/${key}`).digest('hex').slice(0, 8);
    const readable = [this.config.prefix || DEFAULT_PREFIX, namespace, key]
      .join('-')
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 127 - hash.length - 1);
    return `${readable}-${hash}`;
  }

  private connect(): Client {
    if (this.client) return this.client;
    if (!this.vaultUrl) {
      throw new BackendError(
        'config',
        this.label,
        'connect',
        'no vault is configured.',
        'Set `vault-name` or `key-vault-uri` under `azure-key-vault`.',
      );
    }
    const sdk = loadSdk<AzureSdk>('azure');
    const timeoutMs = this.timeoutMs;
    this.client = new sdk.SecretClient(this.vaultUrl, this.credential(sdk), {
      retryOptions: { maxRetries: SDK_RETRIES, retryDelayInMs: 400, maxRetryDelayInMs: 4000 },
      // The SDK already skips cross-origin redirects and drops Authorization on any; following none
      // at all keeps the bearer token on the vault the configuration named.
      redirectOptions: { maxRetries: 0 },
      additionalPolicies: [
        {
          position: 'perRetry',
          policy: {
            name: 'kestraSecretsRequestTimeout',
            sendRequest: (request, next) => {
              if (!request.timeout) request.timeout = timeoutMs;
              return next(request);
            },
          },
        },
      ],
    });
    return this.client;
  }

  private credential(sdk: AzureSdk) {
    const fromConfig = this.config.azure?.clientSecret;
    const stored = this.context.credentials;
    const secret = fromConfig && Object.values(fromConfig).some(Boolean) ? fromConfig : stored?.clientSecret ? stored : undefined;
    if (!secret) return new sdk.DefaultAzureCredential();
    const { tenantId, clientId, clientSecret } = secret;
    if (!tenantId || !clientId || !clientSecret) {
      const missing = [!tenantId && 'tenant-id', !clientId && 'client-id', !clientSecret && 'client-secret'].filter(Boolean).join(', ');
      throw new BackendError(
        'config',
        this.label,
        'connect',
        `\`client-secret\` lacks ${missing}.`,
        'Give all three of tenant-id, client-id and client-secret, or none to use the default Azure credentials.',
      );
    }
    return new sdk.ClientSecretCredential(tenantId, clientId, clientSecret);
  }

  private classify(error: unknown, { operation, detail: described, aborted }: FailedCall): BackendError {
    const detail = withoutResponseBody(described, 'Key Vault');
    const { name, statusCode } = (error ?? {}) as { name?: string; statusCode?: number };
    const signIn = 'Run `az login`, set `client-secret` in the configuration, or use Kestra Secrets: Set Credentials.';
    if (
      AUTH_ERROR_NAMES.has(name ?? '') ||
      statusCode === 401 ||
      /\bAADSTS\d+|invalid_client|unauthorized_client|invalid_grant/.test(detail)
    ) {
      return new BackendError('auth', this.label, operation, `could not authenticate (${detail})`, signIn);
    }
    if (/challenge resource/i.test(detail)) {
      return new BackendError(
        'config',
        this.label,
        operation,
        `${this.vaultUrl} is not a Key Vault host (its authentication challenge names another domain).`,
        "Use the vault's own URL (https://<vault-name>.vault.azure.net) as `key-vault-uri`; for a private endpoint or proxy keep that host name and use HTTPS_PROXY.",
      );
    }
    if (statusCode === 403) {
      return new BackendError(
        'permission',
        this.label,
        operation,
        `access denied (${detail})`,
        'Grant the identity the Key Vault Secrets User role (Get, List) or Secrets Officer (Set, Delete) on the vault, or add it to the access policy.',
      );
    }
    if (statusCode === 429) {
      const retryAfter = (error as { response?: { headers?: { get(name: string): string | undefined } } }).response?.headers?.get(
        'retry-after',
      );
      return new BackendError(
        'throttled',
        this.label,
        operation,
        `throttled by the vault (${detail})`,
        'Wait a moment and refresh.',
        parseRetryAfter(retryAfter),
      );
    }
    if (statusCode !== undefined && statusCode >= 300 && statusCode < 400) {
      return new BackendError(
        'config',
        this.label,
        operation,
        `${this.vaultUrl} answered with a redirect (HTTP ${statusCode}), which is never followed.`,
        "Use the vault's own URL (https://<vault-name>.vault.azure.net) as `key-vault-uri`.",
      );
    }
    const network = networkFailureKind(error);
    if (aborted || network === 'timeout') {
      return new BackendError(
        'timeout',
        this.label,
        operation,
        `no answer from ${this.vaultUrl} in time.`,
        'Check the network (VPN, proxy, firewall) and refresh.',
      );
    }
    if (network === 'unreachable')
      return new BackendError(
        'unreachable',
        this.label,
        operation,
        `cannot reach ${this.vaultUrl} (${detail})`,
        'Check `vault-name`/`key-vault-uri` and the network.',
      );
    if (statusCode)
      return new BackendError(kindForStatus(statusCode), this.label, operation, detail, statusCode >= 500 ? 'Try again later.' : undefined);
    return new BackendError('server', this.label, operation, detail);
  }
}

function vaultUrlOf(config: SecretBackendConfig): string | undefined {
  const uri = config.azure?.keyVaultUri;
  if (uri) return uri.replace(/\/+$/, '');
  const name = config.azure?.vaultName;
  return name ? `https://${name}.vault.azure.net` : undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
