/**
 * AWS Secrets Manager, mapped the way Kestra does it: a secret's Kestra identity is its `namespace`,
 * `key` and `prefix` tags (see common.ts for the filter rules); the AWS name is not shown.
 *
 * Physical names of secrets created here (Kestra leaves them undocumented): `<prefix>/<tenant>/<namespace>/<KEY>`,
 * with `prefix` from the configuration (default `kestra`), e.g. `kestra/main/company.team/DB_PASSWORD`.
 *
 * Listing uses ListSecrets only (100 per page, server-side `Filters`, following `NextToken`), never
 * GetSecretValue. AWS has no keys-only API, so subkeys are learned by reading the value only when the
 * user enabled `readValuesForSubkeys`. The SDK is loaded on first use.
 */
import type { SecretsManagerClient, SecretListEntry, Filter } from '@aws-sdk/client-secrets-manager';
import type { SecretBackendConfig } from '../core/configTypes';
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
  DEFAULT_PREFIX,
  TAG_KEY,
  TAG_NAMESPACE,
  belongsTo,
  identityOf,
  isCertificateFailure,
  jsonObjectKeys,
  kestraTags,
  kindForStatus,
  networkFailureKind,
  PageTokens,
  requestTimeoutMs,
  type KestraIdentity,
  type Tags,
} from './common';
import { loadSdk } from './sdk';
import { StoreCaller, type FailedCall } from './storeCall';

type AwsSdk = typeof import('../sdk/aws');

const SERVICE = 'AWS Secrets Manager';
const PAGE_SIZE = 100;
/** 100,000 secrets: far more than a store holds, far fewer requests than a runaway listing makes. */
const MAX_PAGES = 1000;
const MAX_ATTEMPTS = 3;
/** Characters AWS accepts in a ListSecrets filter value (a leading `!` would negate, so it is excluded). */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.-]{1,512}$/;
/** Characters AWS accepts in a secret name. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const CREDENTIALS_HINT = 'Run `aws sso login` (or `aws configure`), or set credentials with Kestra Secrets: Set Credentials.';

interface AwsConnection {
  client: SecretsManagerClient;
  sdk: AwsSdk;
}

interface Located extends KestraIdentity {
  arn: string;
  name: string;
  entry: SecretListEntry;
}

export const createAwsBackend: BackendFactory = (config, context) => new AwsSecretsManagerBackend(config, context);

class AwsSecretsManagerBackend implements SecretBackend {
  readonly type = 'aws-secret-manager' as const;
  readonly label: string;
  readonly readOnly: boolean;
  readonly namespaced = true;
  readonly caseInsensitiveKeys = false;
  readonly canReveal = true;
  private readonly region: string | undefined;
  private client: SecretsManagerClient | undefined;
  private readonly calls: StoreCaller<AwsConnection>;

  constructor(
    private readonly config: SecretBackendConfig,
    private readonly context: BackendContext,
  ) {
    this.readOnly = config.readOnly;
    this.region = config.aws?.region || context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION || undefined;
    this.label = this.region ? `${SERVICE} (${this.region})` : SERVICE;
    // The SDK retries (`MAX_ATTEMPTS`) and times out itself; failures are logged unless the caller recovers.
    this.calls = new StoreCaller<AwsConnection>({
      label: () => this.label,
      connect: () => this.connect(),
      classify: (error, failed) => this.classify(error, failed),
      log: { logger: context.log, when: () => true },
    });
  }

  readOnlyFor(): boolean {
    return this.readOnly;
  }

  async listNamespaces(): Promise<string[]> {
    const located = await this.listLocated(serverFilters(this.config), 'list namespaces');
    const namespaces = new Set(located.flatMap((secret) => (secret.namespace ? [secret.namespace] : [])));
    return [...namespaces].sort();
  }

  async list(namespace: string): Promise<SecretMeta[]> {
    const located = await this.listLocated(serverFilters(this.config, namespace), `list secrets of ${namespace}`);
    return located.filter((secret) => belongsTo(secret, namespace)).map(toMeta);
  }

  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    if (!this.context.readValuesForSubkeys) return undefined;
    const value = await this.readValue(namespace, key, `read subkeys of ${key}`);
    return jsonObjectKeys(value);
  }

  reveal(namespace: string, key: string): Promise<string> {
    return this.readValue(namespace, key, `reveal ${key}`);
  }

  async put(namespace: string, key: string, value: string, options: WriteOptions = {}): Promise<void> {
    const operation = `save ${key} in ${namespace}`;
    if (this.readOnly) throw readOnlyError(this.label, operation);
    const tags = awsTags(kestraTags(this.config, this.context.tenant, namespace, key, options.tags));
    const existing = await this.find(namespace, key, operation);
    if (existing) {
      await this.updateExisting(existing.arn, value, tags, options.description, operation);
      return;
    }
    const name = this.physicalName(namespace, key, operation);
    try {
      await this.calls.run({
        operation,
        attempt: ({ client, sdk }) =>
          client.send(new sdk.CreateSecretCommand({ Name: name, SecretString: value, Description: options.description, Tags: tags })),
        sensitive: [value],
        writes: true,
        quiet: true,
      });
      this.context.log.info(`${this.label}: created ${name} for ${namespace}/${key}`);
    } catch (error) {
      if (!(error instanceof BackendError) || error.kind !== 'config' || !/scheduled for deletion/i.test(error.message)) {
        if (error instanceof Error) this.context.log.warn(error.message);
        throw error;
      }
      // The same key was deleted recently: AWS keeps the name during the recovery window, so restore it.
      await this.calls.run({
        operation,
        attempt: ({ client, sdk }) => client.send(new sdk.RestoreSecretCommand({ SecretId: name })),
        writes: true,
      });
      await this.updateExisting(name, value, tags, options.description, operation);
      this.context.log.info(`${this.label}: restored ${name} for ${namespace}/${key}`);
    }
  }

  async delete(namespace: string, key: string): Promise<void> {
    const operation = `delete ${key} from ${namespace}`;
    if (this.readOnly) throw readOnlyError(this.label, operation);
    const existing = await this.require(namespace, key, operation);
    await this.calls.run({
      operation,
      attempt: ({ client, sdk }) => client.send(new sdk.DeleteSecretCommand({ SecretId: existing.arn, ForceDeleteWithoutRecovery: false })),
      writes: true,
    });
    this.context.log.info(`${this.label}: scheduled ${existing.name} for deletion (${namespace}/${key})`);
  }

  async definitionProblems() {
    return [];
  }

  dispose(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  private async updateExisting(
    secretId: string,
    value: string,
    tags: { Key: string; Value: string }[],
    description: string | undefined,
    operation: string,
  ) {
    await this.calls.run({
      operation,
      attempt: ({ client, sdk }) => client.send(new sdk.PutSecretValueCommand({ SecretId: secretId, SecretString: value })),
      sensitive: [value],
      writes: true,
    });
    await this.calls.run({
      operation,
      attempt: ({ client, sdk }) => client.send(new sdk.TagResourceCommand({ SecretId: secretId, Tags: tags })),
      writes: true,
    });
    if (description !== undefined) {
      await this.calls.run({
        operation,
        attempt: ({ client, sdk }) => client.send(new sdk.UpdateSecretCommand({ SecretId: secretId, Description: description })),
        writes: true,
      });
    }
  }

  private async readValue(namespace: string, key: string, operation: string): Promise<string> {
    const secret = await this.require(namespace, key, operation);
    const output = await this.calls.run({
      operation,
      attempt: ({ client, sdk }) => client.send(new sdk.GetSecretValueCommand({ SecretId: secret.arn })),
    });
    if (output.SecretString !== undefined) return output.SecretString;
    if (output.SecretBinary !== undefined) return Buffer.from(output.SecretBinary).toString('utf8');
    throw new BackendError(
      'not-found',
      this.label,
      operation,
      `the secret ${secret.name} has no current value.`,
      'Set a value in AWS, or save one from Kestra Secrets.',
    );
  }

  private async require(namespace: string, key: string, operation: string): Promise<Located> {
    const found = await this.find(namespace, key, operation);
    if (found) return found;
    throw new BackendError(
      'not-found',
      this.label,
      operation,
      `no secret with key ${key} in namespace ${namespace}.`,
      'Refresh the secrets view; it may have been deleted or re-tagged.',
    );
  }

  /** Finds one secret with a narrow server-side filter, then checks its identity exactly. */
  private async find(namespace: string, key: string, operation: string): Promise<Located | undefined> {
    const located = await this.listLocated(lookupFilters(this.config, key), operation);
    const matches = located.filter((secret) => secret.key === key && belongsTo(secret, namespace));
    return matches.find((secret) => secret.namespace === namespace) ?? matches[0];
  }

  private async listLocated(filters: Filter[], operation: string): Promise<Located[]> {
    const entries: SecretListEntry[] = [];
    const tokens = new PageTokens(MAX_PAGES);
    const tooManyPages = (message: string) =>
      new BackendError(
        'server',
        this.label,
        operation,
        message,
        'Narrow the listing (filter-on-tags or filter-on-prefix), or check `endpoint-override`.',
      );
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.calls.run({
        operation,
        attempt: ({ client, sdk }) =>
          client.send(
            new sdk.ListSecretsCommand({ MaxResults: PAGE_SIZE, NextToken: token, Filters: filters.length ? filters : undefined }),
          ),
      });
      entries.push(...(page.SecretList ?? []));
      nextToken = tokens.next(page.NextToken, tooManyPages);
    } while (nextToken);
    this.context.log.debug(`${this.label}: ${operation}: ${entries.length} secrets in ${tokens.count} ListSecrets page(s)`);
    return entries.flatMap((entry) => {
      const identity = entry.Name ? identityOf(entry.Name, tagMap(entry), this.config, this.context.tenant) : undefined;
      return identity ? [{ ...identity, arn: entry.ARN ?? entry.Name ?? '', name: entry.Name ?? '', entry }] : [];
    });
  }

  private physicalName(namespace: string, key: string, operation: string): string {
    const name = `${this.config.prefix || DEFAULT_PREFIX}/${this.context.tenant}/${namespace}/${key}`;
    if (SECRET_NAME.test(name)) return name;
    throw new BackendError(
      'config',
      this.label,
      operation,
      `the AWS secret name ${name} is not allowed.`,
      'Use a key of letters, digits and /_+=.@- only.',
    );
  }

  /** The SDK and its client, loaded and built on first use. */
  private connect(): AwsConnection {
    const sdk = loadSdk<AwsSdk>('aws');
    return { sdk, client: this.getClient(sdk) };
  }

  private getClient(sdk: AwsSdk): SecretsManagerClient {
    if (this.client) return this.client;
    const aws = this.config.aws ?? {};
    const timeout = requestTimeoutMs(this.context.env);
    // The SDK warns on every Node < 22 (VS Code ships Node 20) on stderr, which users can't act on.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new sdk.SecretsManagerClient({
      region: this.region,
      endpoint: aws.endpointOverride || undefined,
      credentials: this.explicitCredentials(),
      maxAttempts: MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: Math.min(timeout, 5000), requestTimeout: timeout, throwOnRequestTimeout: true },
    });
    return this.client;
  }

  /** Credentials from the configuration, else from SecretStorage; undefined lets the SDK's default chain decide. */
  private explicitCredentials() {
    const aws = this.config.aws ?? {};
    if (aws.accessKeyId && aws.secretKeyId) {
      return { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretKeyId, sessionToken: aws.sessionToken || undefined };
    }
    const stored = this.context.credentials ?? {};
    if (stored.accessKeyId && stored.secretAccessKey) {
      return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, sessionToken: stored.sessionToken || undefined };
    }
    return undefined;
  }

  private classify(error: unknown, { operation, detail }: FailedCall): BackendError {
    const name = (error as { name?: unknown })?.name;
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const fail = (kind: BackendError['kind'], hint?: string) => new BackendError(kind, this.label, operation, detail, hint);
    const network = networkFailureKind(error);
    switch (name) {
      case 'AccessDeniedException':
        return fail(
          'permission',
          'Grant the identity in use the secretsmanager permissions Kestra documents (ListSecrets, GetSecretValue, CreateSecret, PutSecretValue, TagResource, DeleteSecret...).',
        );
      case 'UnrecognizedClientException':
      case 'InvalidSignatureException':
      case 'IncompleteSignatureException':
      case 'ExpiredTokenException':
      case 'InvalidClientTokenId':
      case 'CredentialsProviderError':
        return fail('auth', CREDENTIALS_HINT);
      case 'ThrottlingException':
      case 'TooManyRequestsException':
        return fail('throttled', 'AWS is throttling requests; try again in a moment, or enable `cache` in the configuration.');
      case 'ResourceNotFoundException':
        return fail('not-found', 'Refresh the secrets view; it may have been deleted.');
    }
    if (status !== undefined && status >= 300 && status < 400) {
      return new BackendError(
        'config',
        this.label,
        operation,
        `${this.endpoint()} answered with a redirect (HTTP ${status}), which is never followed.`,
        'Check `region` and `endpoint-override`.',
      );
    }
    if (isUnreadableAnswer(error)) {
      // The SDK's parse errors quote the start of the body, which may be anything the server sent.
      return new BackendError(
        'server',
        this.label,
        operation,
        `the answer from ${this.endpoint()} is not the JSON AWS sends${status ? ` (HTTP ${status})` : ''}.`,
        'Check `endpoint-override`.',
      );
    }
    if (name === 'UnknownError' && status !== undefined)
      return new BackendError(kindForStatus(status), this.label, operation, `unexpected HTTP ${status} from ${this.endpoint()}.`);
    if (network === 'timeout')
      return fail('timeout', `No answer from ${this.endpoint()}; check the network, a proxy or \`endpoint-override\`.`);
    if (isCertificateFailure(error)) return fail('unreachable', CERTIFICATE_HINT);
    if (network === 'unreachable')
      return fail('unreachable', `Cannot reach ${this.endpoint()}; check the network or \`endpoint-override\`.`);
    if (/region is missing/i.test(detail)) return fail('config', 'Set `region` under `aws-secret-manager`, or AWS_REGION.');
    if (status !== undefined && status >= 500) return fail('server', 'AWS reported a server error; try again later.');
    return fail(status !== undefined ? kindForStatus(status) : 'server');
  }

  private endpoint(): string {
    return this.config.aws?.endpointOverride || `secretsmanager.${this.region ?? '<region>'}.amazonaws.com`;
  }
}

function isUnreadableAnswer(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return (
    name === 'SyntaxError' ||
    (typeof message === 'string' && /Deserialization error|Unexpected token|is not valid JSON|JSON at position/i.test(message))
  );
}

function tagMap(entry: SecretListEntry): Tags {
  const tags: Tags = {};
  for (const tag of entry.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

function awsTags(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function toMeta(secret: Located): SecretMeta {
  const { entry } = secret;
  return {
    key: secret.key,
    namespace: secret.namespace,
    tags: tagMap(entry),
    description: entry.Description || undefined,
    source: `AWS secret ${secret.name}`,
    updated: entry.LastChangedDate?.toISOString(),
    valueKind: 'unknown',
  };
}

const filterOf = (Key: NonNullable<Filter['Key']>, value: string | undefined): Filter[] =>
  value !== undefined && FILTER_VALUE.test(value) ? [{ Key, Values: [value] }] : [];

/**
 * Server-side narrowing for a listing (of one namespace, or of all namespaces). AWS ORs values within
 * a filter, matches by prefix and pairs no tag key with its value, so every result is re-checked with
 * `identityOf`; at most one filter per filter key is sent.
 */
export function serverFilters(config: SecretBackendConfig, namespace?: string): Filter[] {
  const filters: Filter[] = [];
  if (config.filterOnPrefix) filters.push(...filterOf('name', config.filterOnPrefix.prefix));
  const [firstTag] = Object.entries(config.filterOnTags ?? {});
  if (!config.filterOnPrefix) {
    filters.push(...filterOf('tag-key', TAG_NAMESPACE));
    filters.push(...filterOf('tag-value', namespace ?? firstTag?.[1]));
  } else if (firstTag) {
    filters.push(...filterOf('tag-key', firstTag[0]), ...filterOf('tag-value', firstTag[1]));
  }
  return filters;
}

/** Server-side narrowing for one key. */
function lookupFilters(config: SecretBackendConfig, key: string): Filter[] {
  if (config.filterOnPrefix) return filterOf('name', config.filterOnPrefix.keepPrefix ? key : config.filterOnPrefix.prefix + key);
  return [...filterOf('tag-key', TAG_KEY), ...filterOf('tag-value', key)];
}
