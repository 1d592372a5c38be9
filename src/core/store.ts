/**
 * The one interface every secret store implements. A backend never logs, returns in metadata or
 * puts in an error message a secret value; only `reveal` returns one, on an explicit user request.
 */
import type { BackendType, SecretBackendConfig } from './configTypes';
import type { Logger } from './log';
import type { Problem, Range } from './types';

export interface SecretMeta {
  /** The key as written in `secret('KEY')`. */
  key: string;
  /** The namespace the secret belongs to; undefined for namespace-less stores (Kestra OSS env secrets). */
  namespace?: string;
  tags?: Record<string, string>;
  description?: string;
  /** Human-readable origin, never a value: "examples/oss-compose/.env_encoded:3", "AWS secret kestra/db". */
  source?: string;
  /** Where the secret is defined in a workspace file, when it is (env backend). */
  location?: { file: string; line: number; character: number };
  /** Top-level JSON field names, when known without exposing values; undefined when unknown. */
  subkeys?: string[];
  /** Whether the value is a JSON object (subkeys usable); 'unknown' when the store was not asked. */
  valueKind?: 'json-object' | 'not-json-object' | 'unknown';
  /** ISO date of the last change, when the store reports it. */
  updated?: string;
  /** True when only the name is known, from a names-only file standing in for an absent env file (`source` says which). */
  namesOnly?: boolean;
}

/** What every store is handed besides its configuration; store-specific inputs travel with its factory or its configuration. */
export interface BackendContext {
  log: Logger;
  /** Kestra tenant, used in Vault paths and server URLs. Default `main`. */
  tenant: string;
  /** Credentials from SecretStorage (editor) or the environment (CLI); keys are backend-specific. */
  credentials?: Record<string, string>;
  /** Opt-in: stores without a keys-only API may read values to learn subkeys (values never leave the backend). */
  readValuesForSubkeys: boolean;
  /** Process environment (injectable for tests): SDK defaults, `KESTRA_SECRETS_TIMEOUT_MS`, SECRET_ variables. */
  env: NodeJS.ProcessEnv;
}

export interface WriteOptions {
  description?: string;
  tags?: Record<string, string>;
}

export interface SecretBackend {
  readonly type: BackendType;
  /** Short label for the tree and messages, e.g. "AWS Secrets Manager (eu-west-1)". Never a credential. */
  readonly label: string;
  /** True when no write is possible (configured `read-only`, or a store that never takes writes). */
  readonly readOnly: boolean;
  /**
   * Whether writes to this namespace are refused, as far as known now: `readOnly`, or a per-namespace
   * state the store reported (the Kestra server tells it with each listing). Never calls the store.
   */
  readOnlyFor(namespace: string): boolean;
  /** False when every key is visible from every namespace (Kestra OSS env secrets). */
  readonly namespaced: boolean;
  /** True when `secret('k')` finds `K` (Kestra OSS upper-cases keys). */
  readonly caseInsensitiveKeys: boolean;
  /** True when `reveal` can return a value (false for the Kestra server, which never returns values). */
  readonly canReveal: boolean;

  /** Namespaces the store has secrets in ([] when not namespaced). */
  listNamespaces(): Promise<string[]>;
  /** Own secrets of exactly this namespace (all secrets when not namespaced). Never reads values. */
  list(namespace: string): Promise<SecretMeta[]>;
  /** Top-level fields of a JSON secret, or undefined when unknown / not allowed to learn them. */
  subkeys(namespace: string, key: string): Promise<string[] | undefined>;
  /** The value, for an explicit user request only. */
  reveal(namespace: string, key: string): Promise<string>;
  /** Create or update. Must throw `BackendError` kind `read-only` before any network call when read-only. */
  put(namespace: string, key: string, value: string, options?: WriteOptions): Promise<void>;
  /** Must throw `BackendError` kind `read-only` before any network call when read-only. */
  delete(namespace: string, key: string): Promise<void>;
  /** Problems in the store's own definitions (env backend: invalid base64, key collisions). */
  definitionProblems(): Promise<Problem[]>;
  /** Sources that exist but could not be read, so a listing may lack keys (env backend: an absent `env_file`). */
  listingGaps?(): Promise<IncompleteCause[]>;
  /** Definitions Kestra drops, so their keys are missing at run time (env backend: values that are not base64). */
  droppedDefinitions?(): Promise<DroppedDefinition[]>;
  dispose(): void;
}

export type BackendFactory = (config: SecretBackendConfig, context: BackendContext) => SecretBackend;

export type BackendErrorKind =
  'read-only' | 'auth' | 'permission' | 'not-found' | 'unreachable' | 'throttled' | 'timeout' | 'server' | 'config' | 'unsupported';

/** An error with a message fit for the user: backend, operation, what went wrong and what to do. */
export class BackendError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    readonly backend: string,
    readonly operation: string,
    detail: string,
    readonly hint?: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${backend}: ${operation} failed: ${asSentence(detail)}${hint ? ` ${asSentence(hint)}` : ''}`);
    this.name = 'BackendError';
  }
}

/** Messages are built from parts; each part must end as a sentence so they never run together. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function readOnlyError(backend: string, operation: string): BackendError {
  return new BackendError(
    'read-only',
    backend,
    operation,
    'the backend is read-only.',
    'Writes are disabled by `read-only: true` in the configuration.',
  );
}

/**
 * Why a listing may lack keys that exist where Kestra runs: a source that exists but can't be read (an
 * absent `env_file`, a store that failed or answered 403), or no source at all. Never holds a value.
 */
export interface IncompleteCause {
  /** Identity for reporting each cause once, whatever the number of references or namespaces it affects. */
  id: string;
  /** The source, named for a person: "env_file .env_encoded (docker-compose.yml:7)", "AWS Secrets Manager (eu-west-1)". */
  source: string;
  /** What is wrong with it, a clause: "does not exist", "could not be listed: … (403)". */
  reason: string;
  /** What to do, a whole sentence. */
  fix: string;
  /** Where the source is named (the Compose entry), when it is in a file. */
  location?: { file: string; range: Range };
  /** True when it is already shown as a problem of its own (at `location`, or as the file's parse error). */
  reported?: boolean;
}

/** A definition Kestra drops (e.g. a SECRET_ value that is not base64), so the key is missing at run time. */
export interface DroppedDefinition {
  key: string;
  /** Where it is defined, "deploy/.env_encoded:3". */
  source: string;
  /** Why Kestra drops it, a clause. */
  reason: string;
}
