/**
 * Google Secret Manager, configured like Kestra's `google-secret-manager` backend.
 *
 * Mapping (Kestra documents tags as GCP labels, nothing more; the rest is ours):
 * - Labels can't hold dots or upper case, so `namespace`/`key`/`prefix`/`tenant` are read from the secret's
 *   annotations when present (exact), else from its labels, where the namespace's dots are written as
 *   `-` or `_` and the key is compared case-insensitively (`secret('DB_PASSWORD')` finds label `db_password`).
 *   Keys are therefore case-insensitive for this backend.
 * - Listing filters server-side (`filter`: `labels.k="v"` for `filter-on-tags`, the `prefix` label and the
 *   namespace, `name:` for `filter-on-prefix`) and pages fully; it never accesses a version.
 * - Secrets we create get both annotations (exact) and labels (sanitised), plus the default `tags` as labels.
 *   Their id is `<prefix>_<namespace, dots as ->_<KEY>_<hash>`: characters outside `[A-Za-z0-9_-]` become
 *   `_`, and the 8 hex digits of SHA-256(tenant/namespace/key) keep `a.b`/`a_b` or tenants apart.
 *   An existing secret is found by its labels/annotations, whatever its id, and gets a new version.
 * - `endpoint-override` (extension-specific): a Secret Manager REST endpoint (`http://` allowed), used
 *   through the client's REST transport, which this backend always uses.
 */
import { createHash } from 'node:crypto';
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
  DEFAULT_PREFIX,
  TAG_KEY,
  TAG_NAMESPACE,
  TAG_PREFIX,
  TAG_TENANT,
  describeFailure,
  jsonObjectKeys,
  expectedPrefixTag,
  identityOf,
  kestraTags,
  networkFailureKind,
  PageTokens,
  requestTimeoutMs,
  type Tags,
} from './common';
import { readRegularFileSync, UnreadableFileError } from '../core/safeRead';
import { loadSdk } from './sdk';
import { StoreCaller, type FailedCall } from './storeCall';

type GoogleSdk = typeof import('../sdk/google');
type Client = InstanceType<GoogleSdk['SecretManagerServiceClient']>;

interface GoogleConnection {
  client: Client;
  project: string;
}

interface GoogleSecretResource {
  name?: string | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

/** A store secret as Kestra sees it; `labelNamespace` when the namespace came from a (sanitised) label. */
interface FoundSecret {
  id: string;
  key: string;
  namespace?: string;
  labelNamespace: boolean;
  labels: Tags;
  annotations: Tags;
}

const IDENTITY_TAGS = [TAG_NAMESPACE, TAG_KEY, TAG_PREFIX, TAG_TENANT];
const RETRYABLE_CODES = new Set([4, 8, 13, 14]);
const CODE = {
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  resourceExhausted: 8,
  unavailable: 14,
  unauthenticated: 16,
  deadlineExceeded: 4,
  invalidArgument: 3,
  internal: 13,
};

export const createGoogleBackend: BackendFactory = (config, context) => new GoogleSecretManagerBackend(config, context);

class GoogleSecretManagerBackend implements SecretBackend {
  readonly type = 'google-secret-manager' as const;
  readonly label: string;
  readonly readOnly: boolean;
  readonly namespaced = true;
  readonly caseInsensitiveKeys = true;
  readonly canReveal = true;
  private connection?: Promise<GoogleConnection>;
  private readonly timeoutMs: number;
  private readonly calls: StoreCaller<GoogleConnection>;

  constructor(
    private readonly config: SecretBackendConfig,
    private readonly context: BackendContext,
  ) {
    this.readOnly = config.readOnly;
    this.timeoutMs = requestTimeoutMs(context.env);
    this.label = `Google Secret Manager (${config.google?.project ?? 'project from credentials'})`;
    // Retries are ours, so that every operation has one bounded policy (the client's are off, see callOptions).
    // The REST transport ignores the call's `timeout` while waiting for an answer: the attempt's deadline
    // is the helper's, which cancels the gax promise when it passes.
    this.calls = new StoreCaller<GoogleConnection>({
      label: () => this.label,
      connect: () => this.connect(),
      classify: (error, failed) => this.classify(error, failed),
      describe: serverMessage,
      timeoutMs: this.timeoutMs,
      retry: {
        attempts: 3,
        attemptsForWrites: 2,
        baseDelayMs: 250,
        maxDelayMs: 4000,
        retryable: (error, { writes }) => ({
          retry: RETRYABLE_CODES.has(codeOf(error) ?? -1) || (!writes && networkFailureKind(error) === 'timeout'),
        }),
      },
    });
  }

  readOnlyFor(): boolean {
    return this.readOnly;
  }

  async listNamespaces(): Promise<string[]> {
    const secrets = await this.listSecrets(undefined);
    const namespaces = secrets.map((secret) => secret.namespace).filter((ns): ns is string => ns !== undefined);
    return [...new Set(namespaces)].sort();
  }

  async list(namespace: string): Promise<SecretMeta[]> {
    const secrets = await this.listSecrets(namespace);
    return secrets
      .filter((secret) => belongsTo(secret, namespace))
      .map((secret) => ({
        key: secret.key,
        namespace: secret.namespace === undefined ? undefined : namespace,
        tags: secret.labels,
        source: `Google secret ${secret.id}`,
        valueKind: 'unknown' as const,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    if (!this.context.readValuesForSubkeys) return undefined;
    const value = await this.access(await this.find(namespace, key, 'read subkeys'), 'read subkeys');
    return jsonObjectKeys(value);
  }

  async reveal(namespace: string, key: string): Promise<string> {
    return this.access(await this.find(namespace, key, 'reveal'), 'reveal');
  }

  async put(namespace: string, key: string, value: string, options?: WriteOptions): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.label, 'put');
    const existing = await this.tryFind(namespace, key);
    const id = existing?.id ?? this.createdSecretId(namespace, key);
    if (existing) await this.retag(existing, namespace, key, options, value);
    else await this.createSecret(id, namespace, key, options, value);
    await this.calls.run({
      operation: 'put',
      attempt: async ({ client, project }) => {
        await client.addSecretVersion(
          { parent: `projects/${project}/secrets/${id}`, payload: { data: Buffer.from(value, 'utf8') } },
          this.callOptions(),
        );
      },
      sensitive: [value],
      writes: true,
    });
    this.context.log.info(`${this.label}: stored a new version of ${id} (${namespace}/${key}).`);
  }

  async delete(namespace: string, key: string): Promise<void> {
    if (this.readOnly) throw readOnlyError(this.label, 'delete');
    const secret = await this.find(namespace, key, 'delete');
    await this.calls.run({
      operation: 'delete',
      attempt: ({ client, project }) => client.deleteSecret({ name: `projects/${project}/secrets/${secret.id}` }, this.callOptions()),
      writes: true,
    });
    this.context.log.info(`${this.label}: deleted ${secret.id} (${namespace}/${key}).`);
  }

  async definitionProblems() {
    return [];
  }

  dispose(): void {
    void this.connection?.then(({ client }) => client.close()).catch(() => undefined);
    this.connection = undefined;
  }

  /** Every visible secret, narrowed server-side to `namespace` when given. Never reads a value. */
  private async listSecrets(namespace: string | undefined): Promise<FoundSecret[]> {
    const filter = this.serverFilter(namespace);
    const found: FoundSecret[] = [];
    // 200 pages of 1,000: far more than a project holds, far fewer requests than a runaway listing makes.
    const tokens = new PageTokens(200);
    const tooManyPages = (message: string) => new BackendError('server', this.label, 'list', message, 'Check `endpoint-override`.');
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [secrets, , response] = await this.calls.run({
        operation: 'list',
        attempt: ({ client, project }) =>
          client.listSecrets(
            { parent: `projects/${project}`, filter, pageSize: 1000, pageToken: token },
            { ...this.callOptions(), autoPaginate: false },
          ),
      });
      for (const secret of secrets) {
        const visible = this.identity(secret);
        if (visible) found.push(visible);
      }
      pageToken = tokens.next((response as { nextPageToken?: string | null } | undefined)?.nextPageToken, tooManyPages);
    } while (pageToken);
    this.context.log.debug(`${this.label}: listed ${found.length} secrets in ${tokens.count} page(s) (filter: ${filter || 'none'}).`);
    return found;
  }

  private serverFilter(namespace: string | undefined): string {
    const terms = Object.entries(this.config.filterOnTags ?? {}).map(([name, value]) => `labels.${name}=${JSON.stringify(value)}`);
    const prefix = expectedPrefixTag(this.config);
    if (prefix !== undefined) terms.push(`labels.${TAG_PREFIX}=${JSON.stringify(labelValue(prefix))}`);
    if (this.config.filterOnPrefix) terms.push(`name:${JSON.stringify(this.config.filterOnPrefix.prefix)}`);
    else if (namespace !== undefined) {
      const variants = [...new Set(namespaceLabelVariants(namespace))].map((value) => `labels.${TAG_NAMESPACE}=${JSON.stringify(value)}`);
      terms.push(variants.length === 1 ? variants[0]! : `(${variants.join(' OR ')})`);
    }
    return terms.join(' AND ');
  }

  private identity(secret: GoogleSecretResource): FoundSecret | undefined {
    const id = secret.name?.split('/').pop() ?? '';
    const labels: Tags = { ...(secret.labels ?? {}) };
    const annotations = secret.annotations ?? {};
    const tags: Tags = { ...labels };
    for (const name of IDENTITY_TAGS) if (annotations[name] !== undefined) tags[name] = annotations[name]!;
    const identity = identityOf(id, this.comparableTags(tags, annotations), this.config, this.context.tenant);
    if (!identity) return undefined;
    return {
      id,
      key: identity.key,
      namespace: identity.namespace,
      labelNamespace: annotations[TAG_NAMESPACE] === undefined,
      labels,
      annotations: { ...annotations },
    };
  }

  /** Label values are sanitised: compare the prefix and tenant tags in their label form when they come from labels. */
  private comparableTags(tags: Tags, annotations: Tags): Tags {
    const result = { ...tags };
    const prefix = expectedPrefixTag(this.config);
    if (annotations[TAG_PREFIX] === undefined && prefix !== undefined && tags[TAG_PREFIX] === labelValue(prefix))
      result[TAG_PREFIX] = prefix;
    if (annotations[TAG_TENANT] === undefined && tags[TAG_TENANT] === labelValue(this.context.tenant))
      result[TAG_TENANT] = this.context.tenant;
    return result;
  }

  private async tryFind(namespace: string, key: string): Promise<FoundSecret | undefined> {
    const candidates = (await this.listSecrets(namespace)).filter((secret) => belongsTo(secret, namespace));
    return candidates.find((secret) => secret.key === key) ?? candidates.find((secret) => secret.key.toLowerCase() === key.toLowerCase());
  }

  private async find(namespace: string, key: string, operation: string): Promise<FoundSecret> {
    const secret = await this.tryFind(namespace, key);
    if (secret) return secret;
    throw new BackendError(
      'not-found',
      this.label,
      operation,
      `no secret with key ${key} in namespace ${namespace}.`,
      'Check the key, the namespace labels/annotations and the filters in the configuration.',
    );
  }

  private async access(secret: FoundSecret, operation: string): Promise<string> {
    const [version] = await this.calls.run({
      operation,
      attempt: ({ client, project }) =>
        client.accessSecretVersion({ name: `projects/${project}/secrets/${secret.id}/versions/latest` }, this.callOptions()),
    });
    const data = version.payload?.data;
    if (data === undefined || data === null) return '';
    return typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  }

  /** Annotations (exact identity, description) and labels (sanitised tags) Kestra writes on a secret. */
  private metadata(namespace: string, key: string, options: WriteOptions | undefined): { labels: Tags; annotations: Tags } {
    const tags = kestraTags(this.config, this.context.tenant, namespace, key, options?.tags);
    const annotations: Tags = {};
    for (const name of IDENTITY_TAGS) annotations[name] = tags[name]!;
    if (options?.description) annotations.description = options.description;
    const labels = Object.fromEntries(Object.entries(tags).map(([name, text]) => [labelKey(name), labelValue(text)]));
    return { labels, annotations };
  }

  /** An update carries the default tags too (as Kestra's do): merge them into the existing labels when missing. */
  private async retag(
    existing: FoundSecret,
    namespace: string,
    key: string,
    options: WriteOptions | undefined,
    value: string,
  ): Promise<void> {
    const wanted = this.metadata(namespace, key, options);
    const labels = { ...existing.labels, ...wanted.labels };
    const annotations = { ...existing.annotations, ...wanted.annotations };
    if (sameEntries(labels, existing.labels) && sameEntries(annotations, existing.annotations)) return;
    await this.calls.run({
      operation: 'put',
      attempt: ({ client, project }) =>
        client.updateSecret(
          {
            secret: { name: `projects/${project}/secrets/${existing.id}`, labels, annotations },
            updateMask: { paths: ['labels', 'annotations'] },
          },
          this.callOptions(),
        ),
      sensitive: [value],
      writes: true,
    });
  }

  private async createSecret(id: string, namespace: string, key: string, options: WriteOptions | undefined, value: string): Promise<void> {
    const { labels, annotations } = this.metadata(namespace, key, options);
    try {
      await this.calls.run({
        operation: 'put',
        attempt: ({ client, project }) =>
          client.createSecret(
            { parent: `projects/${project}`, secretId: id, secret: { replication: { automatic: {} }, labels, annotations } },
            this.callOptions(),
          ),
        sensitive: [value],
        writes: true,
      });
    } catch (error) {
      // A retried create that reached the server already: the secret exists, add the version.
      if (!(error instanceof BackendError && error.kind === 'config' && /already exists/i.test(error.message))) throw error;
    }
  }

  private createdSecretId(namespace: string, key: string): string {
    const hash = createHash('sha256').update(`${this.context.tenant}/${namespace}/${key}`).digest('hex').slice(0, 8);
    const readable = [this.config.prefix || DEFAULT_PREFIX, namespace.replace(/\./g, '-'), key]
      .join('_')
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 255 - hash.length - 1);
    return `${readable}_${hash}`;
  }

  private callOptions() {
    return { timeout: this.timeoutMs, retry: null };
  }

  private connect(): Promise<GoogleConnection> {
    this.connection ??= this.createClient().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async createClient(): Promise<GoogleConnection> {
    const { SecretManagerServiceClient } = loadSdk<GoogleSdk>('google');
    // `follow: 0`: gaxios' node-fetch follows no redirect, so the Authorization header (and the
    // service-account assertion) never reaches an address the configuration didn't name.
    const clientOptions = { transporterOptions: { follow: 0 } };
    const options: Record<string, unknown> = { fallback: true, clientOptions, ...this.endpointOptions(), ...this.credentialOptions() };
    if (this.config.google?.project) options.projectId = this.config.google.project;
    const client = new SecretManagerServiceClient(options as ConstructorParameters<GoogleSdk['SecretManagerServiceClient']>[0]);
    const project = this.config.google?.project ?? (await client.getProjectId().catch(() => undefined));
    if (!project) {
      await client.close();
      throw new BackendError(
        'config',
        this.label,
        'connect',
        'no Google Cloud project is known.',
        'Set `project` under `google-secret-manager` in the configuration.',
      );
    }
    return { client, project };
  }

  private endpointOptions(): Record<string, unknown> {
    const override = this.config.google?.endpointOverride;
    if (!override) return {};
    let url: URL;
    try {
      url = new URL(override);
    } catch {
      throw new BackendError(
        'config',
        this.label,
        'connect',
        '`endpoint-override` is not a URL.',
        'Use e.g. `https://secretmanager.googleapis.com` or `http://127.0.0.1:8085`.',
      );
    }
    const protocol = url.protocol.replace(':', '');
    if (protocol !== 'http' && protocol !== 'https') {
      throw new BackendError('config', this.label, 'connect', '`endpoint-override` must be an http:// or https:// URL.');
    }
    return { apiEndpoint: url.hostname, port: Number(url.port || (protocol === 'http' ? 80 : 443)), protocol };
  }

  /** Credentials: `service-account` (key JSON text), else SecretStorage's, else ADC (GOOGLE_APPLICATION_CREDENTIALS, gcloud). */
  private credentialOptions(): Record<string, unknown> {
    const keyJson = this.config.google?.serviceAccount ?? this.context.credentials?.serviceAccount;
    if (keyJson) return { credentials: parseServiceAccount(keyJson, this.label) };
    const keyFile = this.context.env.GOOGLE_APPLICATION_CREDENTIALS;
    if (!keyFile) return {};
    this.checkKeyFile(keyFile);
    return { keyFilename: keyFile };
  }

  /**
   * The auth library reads the key file in a promise nobody awaits: a missing file would end as an
   * unhandled rejection. Checked here first, it is one clear error.
   */
  private checkKeyFile(keyFile: string): void {
    try {
      readRegularFileSync(keyFile);
    } catch (error) {
      const reason =
        error instanceof UnreadableFileError
          ? error.message
          : `${keyFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`;
      throw new BackendError(
        'auth',
        this.label,
        'connect',
        `GOOGLE_APPLICATION_CREDENTIALS: ${reason}`,
        'Point GOOGLE_APPLICATION_CREDENTIALS at a key file, or run `gcloud auth application-default login`.',
      );
    }
  }

  private classify(error: unknown, { operation, detail }: FailedCall): BackendError {
    const code = codeOf(error);
    const network = networkFailureKind(error);
    const where = this.config.google?.endpointOverride ?? 'secretmanager.googleapis.com';
    if (code === CODE.unauthenticated || /default credentials|invalid_grant|private key|client_email/i.test(detail)) {
      return new BackendError(
        'auth',
        this.label,
        operation,
        `the credentials were refused or are missing (${detail})`,
        'Check `service-account` or GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, or use Kestra Secrets: Set Credentials.',
      );
    }
    if (code === CODE.permissionDenied) {
      return new BackendError(
        'permission',
        this.label,
        operation,
        `permission denied (${detail})`,
        'Grant the service account roles/secretmanager.viewer (listing) or roles/secretmanager.admin (writes) on the project.',
      );
    }
    if (code === CODE.notFound) return new BackendError('not-found', this.label, operation, detail);
    if (code === CODE.resourceExhausted)
      return new BackendError('throttled', this.label, operation, `the quota was exceeded (${detail})`, 'Wait a moment and refresh.');
    if (code === CODE.deadlineExceeded || network === 'timeout') {
      return new BackendError(
        'timeout',
        this.label,
        operation,
        `no answer from ${where} within ${this.timeoutMs} ms.`,
        'Check the network or `endpoint-override`, then refresh.',
      );
    }
    if (network === 'unreachable')
      return new BackendError(
        'unreachable',
        this.label,
        operation,
        `cannot reach ${where} (${detail})`,
        'Check the network or `endpoint-override`.',
      );
    if (code === CODE.unavailable || code === CODE.internal)
      return new BackendError('server', this.label, operation, `the service failed (${detail})`, 'Try again later.');
    return new BackendError('config', this.label, operation, detail);
  }
}

function sameEntries(a: Tags, b: Tags): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((name) => a[name] === b[name]);
}

function belongsTo(secret: FoundSecret, namespace: string): boolean {
  if (secret.namespace === undefined) return true;
  if (!secret.labelNamespace) return secret.namespace === namespace;
  return namespaceLabelVariants(namespace).includes(secret.namespace.toLowerCase());
}

/** The label values a namespace may have been written as: dots as `-` or `_` (labels can't hold dots). */
function namespaceLabelVariants(namespace: string): string[] {
  const lower = namespace.toLowerCase();
  return [labelValue(lower.replace(/\./g, '-')), labelValue(lower.replace(/\./g, '_'))];
}

/** A GCP label value: lower case `[a-z0-9_-]`, at most 63 characters. */
function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/\./g, '-')
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}

/** A GCP label key: like a value, starting with a letter. */
function labelKey(text: string): string {
  const value = labelValue(text);
  return /^[a-z]/.test(value) ? value : `k${value}`.slice(0, 63);
}

function parseServiceAccount(keyJson: string, label: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(keyJson) as Record<string, unknown>;
    if (typeof parsed.client_email === 'string' && typeof parsed.private_key === 'string') return parsed;
  } catch {
    // The content is a credential: never echo it.
  }
  throw new BackendError(
    'config',
    label,
    'connect',
    '`service-account` is not a service-account key JSON (client_email and private_key are required).',
    'Paste the whole content of the key file.',
  );
}

const GRPC_CODE_FOR_HTTP: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4 };

/** The gRPC status code of a failed call: the REST transport reports some as HTTP statuses (GaxiosError). */
function codeOf(error: unknown): number | undefined {
  const { code, status, response } = (error ?? {}) as { code?: unknown; status?: unknown; response?: unknown };
  if (response !== undefined && typeof status === 'number') return GRPC_CODE_FOR_HTTP[status] ?? (status >= 500 ? 13 : 2);
  return typeof code === 'number' ? code : undefined;
}

/** The server's own message when the client wrapped the JSON error body, else the first line. */
function serverMessage(error: unknown): string {
  const text = describeFailure(error);
  // A parse error quotes the start of the body, which may be anything the server sent.
  if ((error as { name?: unknown })?.name === 'SyntaxError' || /is not valid JSON|Unexpected token|JSON at position/i.test(text)) {
    return 'the answer is not the JSON Google sends';
  }
  try {
    const body = JSON.parse(text) as { error?: { message?: string } } | null;
    if (typeof body?.error?.message === 'string' && body.error.message) return body.error.message;
    // A JSON body without Google's error message (`{}`): say what is known instead of printing it.
    const status = (error as { status?: unknown; code?: unknown })?.status ?? (error as { code?: unknown })?.code;
    return typeof status === 'number' ? `HTTP ${status} without an explanation from the server` : 'the server gave no explanation';
  } catch {
    // Not a JSON body.
  }
  return text;
}
