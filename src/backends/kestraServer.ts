/**
 * The Kestra server backend: asks a running Kestra (open source or Enterprise) which secret keys each
 * namespace has, over its REST API (kestra-semantics.md §3). The API never returns values, so this
 * backend never reveals one.
 *
 * Choices the API leaves open, decided here:
 * - The listing endpoint is detected on the first listing and remembered: `GET {root}/secrets` with
 *   `filters[namespace][EQUALS]`, else the deprecated `GET {root}/namespaces/{ns}/secrets`, first under
 *   `/api/v1/{tenant}`, then under `/api/v1` (servers older than 0.23). Only 404 moves to the next one.
 * - With the per-namespace endpoint, a 404 after detection means "no such namespace": an empty listing.
 * - `readOnly` (the getter) is true until a listing says otherwise, so nothing offers a write before
 *   we know. Namespaces with a dedicated secret manager can differ, so each listing's flag is kept per
 *   namespace (`readOnlyFor`) and the getter turns false once any listing reports a writable store.
 *   A write first lists its namespace when that namespace's state is unknown (a read, never a
 *   write), then refuses or proceeds.
 * - A listing whose results carry no `namespace` and which is read-only is the OSS env backend:
 *   namespace-less, case-insensitive keys.
 * - Results of another namespace than the one asked are dropped (EE filter semantics are unverified).
 */
import type { SecretBackendConfig, ServerOptions } from '../core/configTypes';
import type { Logger } from '../core/log';
import { SERVER_CREDENTIALS_HINT, authorizationHeader, toServerCredentials, type ServerCredentials } from '../core/serverAuth';
import type { Problem } from '../core/types';
import { BackendError, readOnlyError, type BackendContext, type SecretBackend, type SecretMeta, type WriteOptions } from '../core/store';
import { describeFailure, describeNetworkFailure, networkFailureKind, requestTimeoutMs, scrub } from './common';
import { JsonClient, MalformedAnswer, TransientStatus, type JsonAnswer } from './http';
import { StoreCaller, type FailedCall } from './storeCall';

/** Knobs for tests and slow networks; every field has a sensible default. */
export interface KestraServerTuning {
  timeoutMs?: number;
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  pageSize?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Largest response body read (default MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

/** A `BackendFactory` (the server is `config.server`), with knobs for tests. */
export function createKestraServerBackend(
  config: SecretBackendConfig,
  context: BackendContext,
  tuning: KestraServerTuning = {},
): SecretBackend {
  if (!config.server) throw missingServer();
  return new KestraServer(config, context, config.server, tuning);
}

function missingServer(): BackendError {
  return new BackendError(
    'config',
    'Kestra server',
    'connect',
    'no server is configured.',
    'Set `server: { url, tenant }` in the configuration file or the kestraSecrets.server setting.',
  );
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGES = 1000;
const API_PREFIX = '/api/v1';

/** Where listings live on this server: the four layouts Kestra has had, newest first. */
interface ListingStyle {
  tenantInPath: boolean;
  perNamespacePath: boolean;
}

const LISTING_STYLES: readonly ListingStyle[] = [
  { tenantInPath: true, perNamespacePath: false },
  { tenantInPath: true, perNamespacePath: true },
  { tenantInPath: false, perNamespacePath: false },
  { tenantInPath: false, perNamespacePath: true },
];

interface WireSecret {
  key: string;
  namespace?: string;
  description?: string;
  tags?: Record<string, string>;
}

interface ListingPage {
  readOnly?: boolean;
  results: WireSecret[];
  total?: number;
}

/** What a failed request should be called in its error message. */
interface Failure {
  operation: string;
  namespace?: string;
  key?: string;
  /** The RBAC permission a 403 means is missing, e.g. "SECRET LIST". */
  permission: string;
  /** Extra strings to keep out of messages (a value being written). */
  sensitive?: string[];
}

type ParsedUrl = { base: string; display: string; plainHttpRemote: boolean } | { problem: string };

/** Accepts the Kestra base URL or one ending in `/api/v1` (the official extension's `kestra.api.url`). */
export function parseServerUrl(raw: string): ParsedUrl {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { problem: 'server.url is not a valid URL.' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'server.url must be an http:// or https:// URL.' };
  if (url.username || url.password) return { problem: 'server.url must not contain a user name or password.' };
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(API_PREFIX)) path = path.slice(0, -API_PREFIX.length);
  const base = `${url.origin}${path}`;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return { base, display: base, plainHttpRemote: url.protocol === 'http:' && !loopback };
}

class KestraServer implements SecretBackend {
  readonly type = 'kestra-server' as const;
  readonly canReveal = false;

  private readonly url: ParsedUrl;
  private readonly tenant: string;
  private readonly credentials: ServerCredentials | undefined;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly lifetime = new AbortController();
  private readonly calls: StoreCaller<JsonClient>;

  private style: ListingStyle | undefined;
  private probing: Promise<{ style: ListingStyle; page: ListingPage }> | undefined;
  private edition: 'oss' | 'ee' | undefined;
  private serverReadOnly: boolean | undefined;
  private readonly readOnlyByNamespace = new Map<string, boolean>();
  private readonly seenNamespaces = new Set<string>();
  private warnedPlainHttp = false;

  constructor(
    private readonly config: SecretBackendConfig,
    context: BackendContext,
    server: ServerOptions,
    private readonly tuning: KestraServerTuning,
  ) {
    this.url = parseServerUrl(server.url);
    this.tenant = server.tenant || context.tenant || 'main';
    this.credentials = toServerCredentials(context.credentials);
    this.log = context.log;
    this.timeoutMs = tuning.timeoutMs ?? requestTimeoutMs(context.env);
    this.pageSize = tuning.pageSize ?? DEFAULT_PAGE_SIZE;
    const authorization = authorizationHeader(this.credentials);
    const client = new JsonClient({
      headers: authorization ? { authorization } : {},
      debug: (line) => this.log.debug(line),
      maxResponseBytes: tuning.maxResponseBytes,
    });
    // Retries on 429/5xx (honouring Retry-After), never once the backend is closed.
    this.calls = new StoreCaller<JsonClient>({
      label: () => this.label,
      connect: (operation) => this.connect(client, operation),
      classify: (error, failed) => this.transportError(error, failed),
      describe: networkDetail,
      timeoutMs: this.timeoutMs,
      lifetime: this.lifetime.signal,
      credentials: () => this.credentialStrings(),
      hints: {
        redirect: 'Set server.url to the address the server redirects to if it is yours.',
        tooLarge: 'Check that server.url points to a Kestra server.',
      },
      retry: {
        attempts: tuning.attempts ?? 3,
        baseDelayMs: tuning.baseDelayMs ?? 250,
        maxDelayMs: tuning.maxDelayMs ?? 5000,
        sleep: tuning.sleep,
        retryable: (error) => this.retryVerdict(error),
      },
    });
  }

  get label(): string {
    const where = 'display' in this.url ? this.url.display.replace(/^https?:\/\//, '') : 'invalid URL';
    if (this.edition === 'oss') return `Kestra OSS server (env secrets) at ${where}`;
    return `Kestra server (${where}, tenant ${this.tenant})`;
  }

  get readOnly(): boolean {
    return this.config.readOnly || this.edition === 'oss' || this.serverReadOnly !== false;
  }

  get namespaced(): boolean {
    return this.edition !== 'oss';
  }

  get caseInsensitiveKeys(): boolean {
    return this.edition === 'oss';
  }

  readOnlyFor(namespace: string): boolean {
    return this.readOnly || this.reportedReadOnly(namespace) === true;
  }

  /** The read-only state the server reported for this namespace's listing; undefined before one. */
  private reportedReadOnly(namespace: string): boolean | undefined {
    if (this.config.readOnly || this.edition === 'oss') return true;
    return this.readOnlyByNamespace.get(namespace);
  }

  // ---- listing -------------------------------------------------------------------------------

  async list(namespace: string): Promise<SecretMeta[]> {
    const failure: Failure = { operation: `list secrets of namespace ${namespace}`, namespace, permission: 'SECRET LIST' };
    const { style, page: first } = await this.firstListingPage(namespace, failure);
    this.learn(namespace, first);
    const pages = await this.remainingPages(first, (number) => this.listingPage(style, namespace, number, failure));
    const secrets = pages
      .flatMap((page) => page.results)
      .filter((secret) => secret.namespace === undefined || secret.namespace === namespace);
    if (secrets.length > 0) this.seenNamespaces.add(namespace);
    return dedupe(secrets).map((secret) => this.toMeta(secret));
  }

  async listNamespaces(): Promise<string[]> {
    const failure: Failure = { operation: 'list namespaces', permission: 'SECRET LIST' };
    if (this.edition === 'oss') return [];
    const everything = await this.listEverything(failure);
    if (everything) return sortedUnique(everything.flatMap((secret) => (secret.namespace ? [secret.namespace] : [])));
    const searched = await this.searchNamespaces({ ...failure, permission: 'NAMESPACE LIST' });
    return sortedUnique(searched ?? [...this.seenNamespaces]);
  }

  /** The first page of a listing, detecting (once, shared by concurrent callers) where listings live. */
  private async firstListingPage(namespace: string, failure: Failure): Promise<{ style: ListingStyle; page: ListingPage }> {
    if (this.style) {
      const style = this.style;
      return { style, page: await this.listingPage(style, namespace, 1, failure) };
    }
    if (this.probing) {
      await this.probing;
      return this.firstListingPage(namespace, failure);
    }
    const probe = this.probeListing(namespace, failure);
    this.probing = probe;
    try {
      const found = await probe;
      this.style = found.style;
      return found;
    } finally {
      this.probing = undefined;
    }
  }

  private async probeListing(namespace: string, failure: Failure): Promise<{ style: ListingStyle; page: ListingPage }> {
    for (const style of LISTING_STYLES) {
      const json = await this.request('GET', this.listingUrl(style, namespace, 1), failure, { allow404: true });
      if (json !== undefined) {
        this.log.debug(`${this.label}: listings at ${describeStyle(style)}`);
        return { style, page: this.parseListing(json, failure) };
      }
    }
    throw this.tooOld(failure);
  }

  private async listingPage(style: ListingStyle, namespace: string, number: number, failure: Failure): Promise<ListingPage> {
    const json = await this.request('GET', this.listingUrl(style, namespace, number), failure, { allow404: true });
    if (json !== undefined) return this.parseListing(json, failure);
    if (style.perNamespacePath) return { results: [] };
    this.style = undefined;
    throw this.tooOld(failure);
  }

  /** Follows the pages after `first` until fewer than a page, the total, or no new key. */
  private async remainingPages(first: ListingPage, fetchPage: (number: number) => Promise<ListingPage>): Promise<ListingPage[]> {
    const pages = [first];
    const seen = new Set(first.results.map(identity));
    let received = first.results.length;
    for (let number = 2; number <= MAX_PAGES; number++) {
      const previous = pages[pages.length - 1];
      if (previous.results.length < this.pageSize) return pages;
      if (previous.total !== undefined && received >= previous.total) return pages;
      const page = await fetchPage(number);
      const fresh = page.results.filter((secret) => !seen.has(identity(secret)));
      if (fresh.length === 0) return pages;
      fresh.forEach((secret) => seen.add(identity(secret)));
      received += page.results.length;
      pages.push(page);
    }
    this.log.warn(`${this.label}: stopped after ${MAX_PAGES} pages of secrets.`);
    return pages;
  }

  /** Every secret of the tenant via the global listing (no filter); undefined when the server lacks it. */
  private async listEverything(failure: Failure): Promise<WireSecret[] | undefined> {
    const styles = this.style ? [this.style] : LISTING_STYLES;
    for (const style of styles.filter((candidate) => !candidate.perNamespacePath)) {
      const json = await this.request('GET', this.listingUrl(style, undefined, 1), failure, { allow404: true });
      if (json === undefined) continue;
      const first = this.parseListing(json, failure);
      this.style ??= style;
      const pages = await this.remainingPages(first, async (number) => {
        const next = await this.request('GET', this.listingUrl(style, undefined, number), failure);
        return this.parseListing(next, failure);
      });
      const secrets = pages.flatMap((page) => page.results);
      if (isOssListing(first)) this.edition = 'oss';
      return secrets;
    }
    return undefined;
  }

  /** Namespace ids from `GET {root}/namespaces/search`, or undefined when the server lacks it. */
  private async searchNamespaces(failure: Failure): Promise<string[] | undefined> {
    for (const root of this.candidateRoots()) {
      const ids: string[] = [];
      for (let number = 1; number <= MAX_PAGES; number++) {
        const query = new URLSearchParams({ page: String(number), size: String(this.pageSize) });
        const json = await this.request('GET', `${root}/namespaces/search?${query}`, failure, { allow404: true });
        if (json === undefined) break;
        const page = parseNamespacePage(json);
        if (!page) throw this.unexpectedAnswer(failure, 'not a page of namespaces');
        ids.push(...page.ids);
        if (page.ids.length < this.pageSize || (page.total !== undefined && ids.length >= page.total)) return ids;
      }
      if (ids.length > 0) return ids;
    }
    return undefined;
  }

  private learn(namespace: string, first: ListingPage): void {
    if (isOssListing(first)) this.edition = 'oss';
    else if (first.results.some((secret) => secret.namespace !== undefined)) this.edition = 'ee';
    if (first.readOnly === undefined) return;
    this.readOnlyByNamespace.set(namespace, first.readOnly);
    this.serverReadOnly = this.serverReadOnly === false ? false : first.readOnly;
  }

  private toMeta(secret: WireSecret): SecretMeta {
    const where = 'display' in this.url ? this.url.display : '';
    return {
      key: secret.key,
      namespace: secret.namespace,
      ...(secret.description ? { description: secret.description } : {}),
      ...(secret.tags && Object.keys(secret.tags).length > 0 ? { tags: secret.tags } : {}),
      source: secret.namespace ? `Kestra server ${where}, namespace ${secret.namespace}` : `Kestra server ${where} (env secret)`,
      valueKind: 'unknown',
    };
  }

  // ---- writes --------------------------------------------------------------------------------

  async put(namespace: string, key: string, value: string, options: WriteOptions = {}): Promise<void> {
    const failure: Failure = {
      operation: `save secret ${key} in namespace ${namespace}`,
      namespace,
      key,
      permission: 'SECRET UPDATE',
      sensitive: [value],
    };
    await this.assertWritable(namespace, failure.operation);
    if (!key || !value) {
      throw new BackendError('config', this.label, failure.operation, 'the Kestra API needs a non-empty key and value.');
    }
    const body = { key, value, ...optionalDescription(options.description), tags: wireTags({ ...this.config.tags, ...options.tags }) };
    await this.request('PUT', `${this.root()}/namespaces/${segment(namespace)}/secrets`, failure, { body });
  }

  async delete(namespace: string, key: string): Promise<void> {
    const failure: Failure = { operation: `delete secret ${key} in namespace ${namespace}`, namespace, key, permission: 'SECRET DELETE' };
    await this.assertWritable(namespace, failure.operation);
    await this.request('DELETE', this.secretUrl(namespace, key), failure);
  }

  /** Throws `read-only` before any write request; learns the namespace's state by listing when unknown. */
  private async assertWritable(namespace: string, operation: string): Promise<void> {
    if (this.config.readOnly) throw readOnlyError(this.label, operation);
    if (this.reportedReadOnly(namespace) === undefined) await this.list(namespace);
    if (this.edition === 'oss') {
      throw new BackendError(
        'read-only',
        this.label,
        operation,
        'the open-source Kestra server has no secret write API; its secrets are SECRET_ environment variables.',
        'Edit the .env file, encode it again and restart Kestra.',
      );
    }
    if (this.reportedReadOnly(namespace) !== false) {
      throw new BackendError(
        'read-only',
        this.label,
        operation,
        `the server reports the secrets of namespace ${namespace} as read-only.`,
        'Change the secret in the secret manager behind Kestra, or ask an administrator to lift read-only mode.',
      );
    }
  }

  // ---- the rest of the interface -------------------------------------------------------------

  async subkeys(): Promise<string[] | undefined> {
    return undefined;
  }

  async reveal(namespace: string, key: string): Promise<string> {
    throw new BackendError(
      'unsupported',
      this.label,
      `reveal ${key} in namespace ${namespace}`,
      'the Kestra API never returns secret values.',
      'Read the value where it is stored (the secret manager behind Kestra or its environment).',
    );
  }

  async definitionProblems(): Promise<Problem[]> {
    return [];
  }

  dispose(): void {
    this.lifetime.abort();
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private root(tenantInPath = this.style?.tenantInPath ?? true): string {
    const base = 'base' in this.url ? this.url.base : '';
    return tenantInPath ? `${base}${API_PREFIX}/${segment(this.tenant)}` : `${base}${API_PREFIX}`;
  }

  /** The detected root, or both (with tenant first) when no listing has told us yet. */
  private candidateRoots(): string[] {
    return this.style ? [this.root()] : [this.root(true), this.root(false)];
  }

  private listingUrl(style: ListingStyle, namespace: string | undefined, page: number): string {
    const query = new URLSearchParams();
    if (namespace !== undefined && !style.perNamespacePath) query.set('filters[namespace][EQUALS]', namespace);
    query.set('page', String(page));
    query.set('size', String(this.pageSize));
    const root = this.root(style.tenantInPath);
    if (style.perNamespacePath && namespace !== undefined) return `${root}/namespaces/${segment(namespace)}/secrets?${query}`;
    return `${root}/secrets?${query}`;
  }

  private secretUrl(namespace: string, key: string): string {
    return `${this.root()}/namespaces/${segment(namespace)}/secrets/${segment(key)}`;
  }

  /**
   * One API call with retries on 429/5xx; the parsed JSON body (undefined when empty), or undefined
   * on 404 when `allow404`. Every failure becomes a `BackendError` naming the operation.
   */
  private async request(
    method: string,
    url: string,
    failure: Failure,
    options: { body?: unknown; allow404?: boolean } = {},
  ): Promise<unknown> {
    const answer = await this.calls.run({
      operation: failure.operation,
      attempt: (client, signal) => client.exchange(method, url, { body: options.body, signal }),
      sensitive: failure.sensitive,
      writes: method !== 'GET',
    });
    if (answer.status === 404 && options.allow404) return undefined;
    if (answer.status >= 200 && answer.status < 300) return answer.json;
    throw this.statusError(answer, failure);
  }

  /** The client, once server.url is known to be usable. */
  private connect(client: JsonClient, operation: string): JsonClient {
    if ('problem' in this.url) {
      throw new BackendError(
        'config',
        this.label,
        operation,
        this.url.problem,
        'Set server.url to the Kestra base URL, e.g. http://localhost:8080.',
      );
    }
    this.warnOnPlainHttp();
    return client;
  }

  private retryVerdict(error: unknown): { retry: boolean; afterMs?: number } {
    if (!(error instanceof TransientStatus) || this.lifetime.signal.aborted) return { retry: false };
    this.log.debug(`${error.request} → ${error.status}, retrying`);
    return { retry: true, afterMs: error.retryAfterMs };
  }

  private warnOnPlainHttp(): void {
    if (this.warnedPlainHttp || !this.credentials || !('plainHttpRemote' in this.url) || !this.url.plainHttpRemote) return;
    this.warnedPlainHttp = true;
    this.log.warn(`${this.label}: credentials are sent over plain http; prefer an https:// server.url.`);
  }

  // ---- errors --------------------------------------------------------------------------------

  private transportError(error: unknown, failure: FailedCall): BackendError {
    if (error instanceof MalformedAnswer) return this.unexpectedAnswer(failure, `HTTP ${error.status} with a body that is not JSON`);
    const where = 'display' in this.url ? this.url.display : 'the server';
    if (error instanceof TransientStatus) return this.exhaustedError(error, failure);
    if (this.lifetime.signal.aborted) {
      return new BackendError('unreachable', this.label, failure.operation, 'the backend was closed (the configuration changed).');
    }
    const kind = networkFailureKind(error) ?? 'unreachable';
    if (kind === 'timeout') {
      return new BackendError(
        'timeout',
        this.label,
        failure.operation,
        `no answer from ${where} within ${Math.round(this.timeoutMs / 100) / 10} s.`,
        'Check that the Kestra server is healthy, or raise KESTRA_SECRETS_TIMEOUT_MS.',
      );
    }
    return new BackendError(
      'unreachable',
      this.label,
      failure.operation,
      `cannot reach ${where} (${describeFailure(failure.detail).slice(0, 200)}).`,
      'Check that the Kestra server is running and that server.url is right.',
    );
  }

  private exhaustedError(error: TransientStatus, failure: FailedCall): BackendError {
    const attempts = this.tuning.attempts ?? 3;
    const message = serverMessage(error.json);
    const said = message ? `: ${describeFailure(failure.scrub(message)).slice(0, 200)}` : '';
    if (error.status === 429) {
      return new BackendError(
        'throttled',
        this.label,
        failure.operation,
        `the server is throttling requests (429) after ${attempts} attempts.`,
        'Wait a moment and try again.',
        error.retryAfterMs,
      );
    }
    return new BackendError(
      'server',
      this.label,
      failure.operation,
      `server error ${error.status} after ${attempts} attempts${said}.`,
      'Check the Kestra server logs.',
      error.retryAfterMs,
    );
  }

  private statusError(answer: JsonAnswer, failure: Failure): BackendError {
    const said = serverMessage(answer.json);
    switch (answer.status) {
      case 401:
        return new BackendError(
          'auth',
          this.label,
          failure.operation,
          this.credentials ? 'the server rejected the credentials (401).' : 'the server requires sign-in (401) and no credentials are set.',
          `Sign in again: ${SERVER_CREDENTIALS_HINT}`,
        );
      case 403:
        return new BackendError(
          'permission',
          this.label,
          failure.operation,
          `missing permission ${failure.permission}${failure.namespace ? ` in namespace ${failure.namespace}` : ''} (403).`,
          `Ask a Kestra administrator for a role granting ${failure.permission}${failure.namespace ? ` on ${failure.namespace}` : ''}.`,
        );
      case 404:
        return failure.key ? this.notFound(failure) : this.tooOld(failure);
      case 405:
        return new BackendError(
          'unsupported',
          this.label,
          failure.operation,
          'the server does not accept this request (405); the open-source edition has no secret write API.',
        );
      case 408:
        return new BackendError('timeout', this.label, failure.operation, 'the server timed out (408).', 'Try again.');
      default:
        return new BackendError(
          'server',
          this.label,
          failure.operation,
          `the server refused the request (${answer.status}${said ? `: ${this.clean(said, failure)}` : ''}).`,
        );
    }
  }

  private notFound(failure: Failure): BackendError {
    return new BackendError(
      'not-found',
      this.label,
      failure.operation,
      `no secret ${failure.key} in namespace ${failure.namespace} on the server.`,
      'Refresh the secrets view.',
    );
  }

  private tooOld(failure: Failure): BackendError {
    return new BackendError(
      'unsupported',
      this.label,
      failure.operation,
      `the server has no secrets API for tenant ${this.tenant} (404 on every known path); it is too old or server.url is wrong.`,
      'Check server.url and server.tenant, or upgrade Kestra.',
    );
  }

  private unexpectedAnswer(failure: { operation: string }, what: string): BackendError {
    return new BackendError(
      'server',
      this.label,
      failure.operation,
      `unexpected answer from the server: ${what}.`,
      'Check that server.url points to a Kestra server.',
    );
  }

  private parseListing(json: unknown, failure: Failure): ListingPage {
    const page = parseListingPage(json);
    if (!page) throw this.unexpectedAnswer(failure, 'not a secrets listing');
    return page;
  }

  /** A server-provided text made safe for a message: no credentials, no value being written, one short line. */
  private clean(text: string, failure: Failure): string {
    return describeFailure(scrub(text, [...this.credentialStrings(), ...(failure.sensitive ?? [])])).slice(0, 200);
  }

  /** What a message must never quote: the token, or the password and its basic-auth encoding. */
  private credentialStrings(): string[] {
    if (!this.credentials) return [];
    if ('token' in this.credentials) return [this.credentials.token];
    return [this.credentials.password, authorizationHeader(this.credentials)?.slice('Basic '.length) ?? ''];
  }
}

// ---- wire format helpers ---------------------------------------------------------------------

function segment(text: string): string {
  return encodeURIComponent(text);
}

function describeStyle(style: ListingStyle): string {
  const root = style.tenantInPath ? `${API_PREFIX}/{tenant}` : API_PREFIX;
  return style.perNamespacePath ? `${root}/namespaces/{ns}/secrets` : `${root}/secrets`;
}

function identity(secret: WireSecret): string {
  return `${secret.namespace ?? ''}\u0000${secret.key}`;
}

function dedupe(secrets: WireSecret[]): WireSecret[] {
  const byIdentity = new Map<string, WireSecret>();
  for (const secret of secrets) if (!byIdentity.has(identity(secret))) byIdentity.set(identity(secret), secret);
  return [...byIdentity.values()];
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** OSS env secrets: read-only and keys without a namespace. */
function isOssListing(page: ListingPage): boolean {
  return page.readOnly === true && page.results.length > 0 && page.results.every((secret) => secret.namespace === undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseListingPage(json: unknown): ListingPage | undefined {
  if (!isRecord(json) || !Array.isArray(json.results)) return undefined;
  const results: WireSecret[] = [];
  for (const item of json.results) {
    if (!isRecord(item) || typeof item.key !== 'string' || item.key === '') continue;
    results.push({
      key: item.key,
      namespace: typeof item.namespace === 'string' && item.namespace !== '' ? item.namespace : undefined,
      description: typeof item.description === 'string' ? item.description : undefined,
      tags: tagRecord(item.tags),
    });
  }
  return {
    readOnly: typeof json.readOnly === 'boolean' ? json.readOnly : undefined,
    results,
    total: typeof json.total === 'number' ? json.total : undefined,
  };
}

/** `[{key, value}]` (the documented shape) or a plain map, to a record. */
function tagRecord(tags: unknown): Record<string, string> | undefined {
  const record: Record<string, string> = {};
  if (Array.isArray(tags)) {
    for (const tag of tags) if (isRecord(tag) && typeof tag.key === 'string') record[tag.key] = String(tag.value ?? '');
  } else if (isRecord(tags)) {
    for (const [name, value] of Object.entries(tags)) record[name] = String(value ?? '');
  }
  return Object.keys(record).length > 0 ? record : undefined;
}

function wireTags(tags: Record<string, string>): Array<{ key: string; value: string }> {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function optionalDescription(description: string | undefined): { description?: string } {
  return description === undefined ? {} : { description };
}

function parseNamespacePage(json: unknown): { ids: string[]; total?: number } | undefined {
  if (!isRecord(json) || !Array.isArray(json.results)) return undefined;
  const ids = json.results.flatMap((item) => (isRecord(item) && typeof item.id === 'string' ? [item.id] : []));
  return { ids, total: typeof json.total === 'number' ? json.total : undefined };
}

function serverMessage(json: unknown): string | undefined {
  return isRecord(json) && typeof json.message === 'string' ? json.message : undefined;
}

function networkDetail(error: unknown): string {
  const named = describeNetworkFailure(error);
  if (named) return named;
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return code === 'UND_ERR_SOCKET' ? 'the connection was closed' : code;
    current = (current as { cause?: unknown }).cause;
  }
  return describeFailure(error);
}
