/**
 * What a namespace can see: its own secrets, then its parents' (Kestra Enterprise inheritance,
 * child first, nearest wins), or every key for namespace-less stores (Kestra OSS env secrets).
 * Produced by `SecretCatalog` (src/core/catalog.ts), consumed by checks, the CLI and the editor.
 */
import type { SecretMeta } from '../backends/backend';
import type { BackendType } from './configTypes';

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
  /** Failures to read the fields of some secrets (`withSubkeys`): their sub-key references went unchecked. */
  subkeyErrors?: string[];
}

export function findVisible(visible: VisibleSecrets, key: string): VisibleSecret | undefined {
  if (visible.caseInsensitive) {
    const wanted = key.toUpperCase();
    return visible.secrets.find((secret) => secret.key.toUpperCase() === wanted);
  }
  return visible.secrets.find((secret) => secret.key === key);
}
