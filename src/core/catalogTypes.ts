/**
 * What a namespace can see: its own secrets, then its parents' (Kestra Enterprise inheritance,
 * child first, nearest wins), or every key for namespace-less stores (Kestra OSS env secrets).
 * Produced by `SecretCatalog` (src/core/catalog.ts), consumed by checks, the CLI and the editor.
 */
import type { DroppedDefinition, IncompleteCause, SecretMeta } from './store';
import type { BackendType } from './configTypes';
import type { Problem } from './types';

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
