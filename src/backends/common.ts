/**
 * Helpers shared by the cloud backends (AWS, Azure, Google, Vault): how a store's secret (its name and
 * tags/labels) maps to Kestra's (namespace, key), the filter options of `kestra.secret`, the tags
 * written on create, and turning low-level failures into `BackendError`s without leaking values.
 *
 * Identity rules (Kestra documents the tags, not every corner; the choices here are ours):
 * - `excluded-tags`: a secret carrying ANY of the excluded `tag: value` pairs is hidden.
 * - `filter-on-tags.tags`: a secret must carry ALL the listed `tag: value` pairs.
 * - `filter-on-prefix`: a secret's name must start with the prefix; its Kestra key is then its name
 *   (minus the prefix unless `keep-prefix`), and a secret without a `namespace` tag is visible from
 *   every namespace (`namespace` undefined), like a namespace-less store.
 * - otherwise the key is the `key` tag and the namespace the `namespace` tag; both are required.
 * - without `filter-on-prefix`, the `prefix` tag must equal Kestra's `prefix` (the configuration
 *   defaults it to `kestra`), in read-only mode too: Kestra's docs require admins to set it, and it
 *   separates Kestra instances sharing one store. A config object without `prefix` (not produced by
 *   the parser) accepts any prefix tag in read-only mode. With `filter-on-prefix` the name selects
 *   and the tag is not checked.
 * - a `tenant` tag, when present, must equal the context's tenant.
 */
import type { SecretBackendConfig } from '../core/configTypes';
import type { BackendErrorKind } from '../core/store';

export const DEFAULT_PREFIX = 'kestra';
export const TAG_NAMESPACE = 'namespace';
export const TAG_KEY = 'key';
export const TAG_PREFIX = 'prefix';
export const TAG_TENANT = 'tenant';

export type Tags = Record<string, string>;

/** A store secret seen as Kestra sees it. `namespace` undefined: visible from every namespace. */
export interface KestraIdentity {
  key: string;
  namespace?: string;
}

/** True when `tags` carries every `name: value` pair of `wanted` (an empty or absent filter matches). */
export function hasAllTags(tags: Tags, wanted: Tags | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([name, value]) => tags[name] === value);
}

/** True when `tags` carries at least one `name: value` pair of `excluded`. */
export function hasAnyTag(tags: Tags, excluded: Tags | undefined): boolean {
  return Object.entries(excluded ?? {}).some(([name, value]) => tags[name] === value);
}

/** The Kestra key for a store name under `filter-on-prefix`, or undefined when the name lacks the prefix. */
export function keyFromPrefixedName(name: string, filter: { prefix: string; keepPrefix: boolean }): string | undefined {
  if (!name.startsWith(filter.prefix)) return undefined;
  const key = filter.keepPrefix ? name : name.slice(filter.prefix.length);
  return key === '' ? undefined : key;
}

/** The `prefix` tag value a secret must carry, or undefined when any value (or none) is accepted. */
export function expectedPrefixTag(config: SecretBackendConfig): string | undefined {
  if (config.filterOnPrefix) return undefined;
  if (config.prefix) return config.prefix;
  return config.readOnly ? undefined : DEFAULT_PREFIX;
}

/** Applies the identity rules above; undefined when the secret is not visible to Kestra. */
export function identityOf(name: string, tags: Tags, config: SecretBackendConfig, tenant: string): KestraIdentity | undefined {
  if (hasAnyTag(tags, config.excludedTags)) return undefined;
  if (!hasAllTags(tags, config.filterOnTags)) return undefined;
  const prefix = expectedPrefixTag(config);
  if (prefix !== undefined && tags[TAG_PREFIX] !== prefix) return undefined;
  if (tags[TAG_TENANT] !== undefined && tags[TAG_TENANT] !== tenant) return undefined;
  const namespace = tags[TAG_NAMESPACE] || undefined;
  if (config.filterOnPrefix) {
    const key = keyFromPrefixedName(name, config.filterOnPrefix);
    return key === undefined ? undefined : { key, namespace };
  }
  const key = tags[TAG_KEY];
  if (!key || !namespace) return undefined;
  return { key, namespace };
}

/** Whether a secret with this identity belongs to `namespace`'s own listing. */
export function belongsTo(identity: KestraIdentity, namespace: string): boolean {
  return identity.namespace === undefined || identity.namespace === namespace;
}

/** The tags Kestra writes on a secret it creates or updates: default tags, then the caller's, then identity. */
export function kestraTags(config: SecretBackendConfig, tenant: string, namespace: string, key: string, extra?: Tags): Tags {
  return {
    ...config.tags,
    ...extra,
    [TAG_NAMESPACE]: namespace,
    [TAG_KEY]: key,
    [TAG_PREFIX]: config.prefix || DEFAULT_PREFIX,
    [TAG_TENANT]: tenant,
  };
}

/** Replaces every occurrence of the given values (e.g. a value being written) in a message. */
export function scrub(text: string, values: ReadonlyArray<string | undefined>): string {
  let result = text;
  for (const value of values) {
    if (value && value.length >= 3) result = result.split(value).join('***');
  }
  return result;
}

/** One line describing an unknown failure: no stack, bounded length; a generic message gets its cause. */
export function describeFailure(error: unknown): string {
  const network = describeNetworkFailure(error);
  if (network) return network;
  let raw = error instanceof Error ? error.message : String(error);
  if (/^UnknownError$/.test(raw.trim())) {
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    raw = `the store answered with an error it did not describe (UnknownError${status ? `, HTTP ${status}` : ''})`;
  }
  const cause = (error as { cause?: unknown })?.cause;
  if (/^fetch failed$/i.test(raw.trim()) && cause instanceof Error && cause.message) raw = `${raw.trim()} (${cause.message})`;
  const firstLine = raw.split('\n')[0]?.trim() || 'unknown error';
  return firstLine.length > 300 ? `${firstLine.slice(0, 297)}...` : firstLine;
}

const NETWORK_DESCRIPTIONS: [RegExp, (code: string, host: string) => string][] = [
  [/^ECONNRESET$|^EPIPE$|^UND_ERR_SOCKET$/, (code) => `the connection was reset before the answer was complete (${code})`],
  [/^ENOTFOUND$|^EAI_AGAIN$|^EAI_NONAME$/, (code, host) => `the host name${host} could not be resolved (DNS lookup failed, ${code})`],
  [/^ECONNREFUSED$/, (code, host) => `the connection to${host || ' the server'} was refused: nothing listens there (${code})`],
  [/^EHOSTUNREACH$|^ENETUNREACH$/, (code, host) => `the network route to${host || ' the server'} is unreachable (${code})`],
  [/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|^ERR_TLS|^ERR_SSL|^EPROTO$/, (code) => `the TLS handshake failed (${code})`],
];

/** A transport failure named as what it is (reset, DNS, refused, TLS), from its code or its causes' codes. */
export function describeNetworkFailure(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, hostname, address } = current as { code?: unknown; hostname?: unknown; address?: unknown };
    if (typeof code === 'string') {
      const host = typeof hostname === 'string' ? ` ${hostname}` : typeof address === 'string' ? ` ${address}` : '';
      const match = NETWORK_DESCRIPTIONS.find(([pattern]) => pattern.test(code));
      if (match) return match[1](code, host);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const BODY_PARSE_FAILURE =
  /while parsing the response body|is not valid JSON|Unexpected token|Unexpected end of JSON|JSON at position|Deserialization error/i;

/**
 * `detail` unless it is a parse failure: those messages quote the response body (an SDK's
 * "…occurred while parsing the response body - {"value":"…"}" carries a secret's JSON), so they are
 * replaced by a sentence that quotes nothing.
 */
export function withoutResponseBody(detail: string, store: string): string {
  return BODY_PARSE_FAILURE.test(detail) ? `the answer is not the JSON ${store} sends (its content is not shown)` : detail;
}

/** The error kind for an HTTP status code of a store's API. */
export function kindForStatus(status: number): BackendErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server';
  return 'config';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ECONNABORTED',
]);

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/** True when a transport failure (or its cause) is an untrusted or mismatched TLS certificate. */
export function isCertificateFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && CERTIFICATE_CODES.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export const CERTIFICATE_HINT = "The server's TLS certificate is not trusted: add its CA with NODE_EXTRA_CA_CERTS (or fix the host name).";

/** 'unreachable' or 'timeout' for a transport-level failure (also inside `cause`), else undefined. */
export function networkFailureKind(error: unknown): 'unreachable' | 'timeout' | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) return 'timeout';
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return 'unreachable';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Follows a store's page tokens: stops at a token already seen, and fails past `maxPages`, so a store
 * that keeps inventing tokens can't keep us requesting forever.
 */
export class PageTokens {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(private readonly maxPages: number) {}

  /** The token to request next, or undefined when the listing is complete. Throws past the page cap. */
  next(token: string | null | undefined, fail: (message: string) => Error): string | undefined {
    this.pages++;
    if (!token || this.seen.has(token)) return undefined;
    if (this.pages >= this.maxPages) throw fail(`stopped after ${this.maxPages} pages: the store kept sending new page tokens.`);
    this.seen.add(token);
    return token;
  }

  get count(): number {
    return this.pages;
  }
}

/** Maps `items` through `fn` with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Request timeout for cloud stores: `KESTRA_SECRETS_TIMEOUT_MS` from the environment, else 10 s. */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const fromEnv = Number(env.KESTRA_SECRETS_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 10_000;
}

/** The field names of a JSON object value; [] for any other value (no subkey can resolve). */
export function jsonObjectKeys(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  } catch {
    return [];
  }
}
