/**
 * What a namespace can see: its own secrets, then its parents' (Kestra Enterprise inheritance,
 * child first, nearest wins), or every key for namespace-less stores (Kestra OSS env secrets).
 * Produced by `SecretCatalog` (src/core/catalog.ts), consumed by checks, the CLI and the editor.
 */
import type { SecretMeta } from './store';
import type { BackendType } from './configTypes';
import type { Problem, Range } from './types';

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

export interface VisibleSecret extends SecretMeta {
  /** The namespace the key resolves from, for the asking namespace (undefined for namespace-less stores). */
  fromNamespace?: string;
  /** True when it comes from a parent namespace. */
  inherited: boolean;
  /** Farther namespaces whose secret of the same key this one hides. */
  shadows: string[];
}

export interface VisibleSecrets {
  /** The asking namespace. */
  namespace: string;
  backendType: BackendType;
  backendLabel: string;
  readOnly: boolean;
  caseInsensitive: boolean;
  /** Sorted by key. */
  secrets: VisibleSecret[];
  /** True when the backend failed and this is the last known listing. */
  stale?: boolean;
  /** The last failure's user-facing message, when stale or empty because of an error. */
  error?: string;
  /** Present and non-empty when the listing may lack keys: a reference not found is then unverified, not missing. */
  incomplete?: IncompleteCause[];
  /** Definitions Kestra drops (keys that look defined but are missing at run time). */
  dropped?: DroppedDefinition[];
  /** Failures to read the fields of some secrets (`withSubkeys`): their sub-key references went unchecked. */
  subkeyErrors?: string[];
}

export function isComplete(visible: VisibleSecrets): boolean {
  return !visible.incomplete || visible.incomplete.length === 0;
}

/** One warning for a cause of incompleteness that has a place in a file (the Compose entry naming the source). */
export function incompleteCauseProblem(cause: IncompleteCause & { location: NonNullable<IncompleteCause['location']> }): Problem {
  return {
    file: cause.location.file,
    range: cause.location.range,
    severity: 'warning',
    code: 'unknown-source',
    message: describeIncompleteCause(cause),
  };
}

/** "<Source> <reason>, so references … can't be verified. <fix>" — whole sentences, no value. */
export function describeIncompleteCause(cause: IncompleteCause): string {
  return `${capitalise(cause.source)} ${cause.reason}, so references to secrets defined there can't be verified. ${cause.fix}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function findVisible(visible: VisibleSecrets, key: string): VisibleSecret | undefined {
  if (visible.caseInsensitive) {
    const wanted = key.toUpperCase();
    return visible.secrets.find((secret) => secret.key.toUpperCase() === wanted);
  }
  return visible.secrets.find((secret) => secret.key === key);
}
