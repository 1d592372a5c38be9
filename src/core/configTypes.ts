/**
 * The typed form of Kestra's `kestra.secret` configuration block (kebab-case or camelCase in YAML,
 * normalised here to camelCase), plus the extension-specific top-level keys `namespaces` and `server`.
 * `src/core/config.ts` parses and validates YAML into these types.
 */

export type BackendType = 'env' | 'aws-secret-manager' | 'azure-key-vault' | 'google-secret-manager' | 'vault' | 'kestra-server';

export interface CacheOptions {
  enabled: boolean;
  maximumSize: number;
  expireAfterWriteMs: number;
}

export interface AwsOptions {
  accessKeyId?: string;
  secretKeyId?: string;
  sessionToken?: string;
  region?: string;
  endpointOverride?: string;
}

export interface AzureOptions {
  vaultName?: string;
  keyVaultUri?: string;
  clientSecret?: { tenantId?: string; clientId?: string; clientSecret?: string };
}

export interface GoogleOptions {
  project?: string;
  /** Service-account key JSON (the file's content), as Kestra takes it. */
  serviceAccount?: string;
  /** Extension-specific: URL of a Secret Manager REST endpoint (http:// allowed). */
  endpointOverride?: string;
}

export interface VaultOptions {
  address?: string;
  namespace?: string;
  rootEngine: string;
  engineVersion: number;
  secretPathPrefix?: string;
  token?: { token?: string };
  password?: { user?: string; password?: string };
  appRole?: { path?: string; roleId?: string; secretId?: string };
}

export interface SecretBackendConfig {
  type: BackendType;
  readOnly: boolean;
  /** Kestra's `prefix` (AWS/Azure/Google default `kestra`). */
  prefix?: string;
  /** Default tags written on every create/update. */
  tags: Record<string, string>;
  filterOnTags?: Record<string, string>;
  filterOnPrefix?: { prefix: string; keepPrefix: boolean };
  excludedTags?: Record<string, string>;
  cache: CacheOptions;
  aws?: AwsOptions;
  azure?: AzureOptions;
  google?: GoogleOptions;
  vault?: VaultOptions;
  /** The Kestra server a `kestra-server` backend asks: the top-level `server` block. */
  server?: ServerOptions;
}

export interface ServerOptions {
  url: string;
  tenant: string;
}

export interface KestraSecretsConfig {
  secret: SecretBackendConfig;
  /** Dedicated secrets managers: the nearest ancestor namespace's entry wins. */
  namespaces: Record<string, SecretBackendConfig>;
  server?: ServerOptions;
  /** Where the configuration came from (file path or "settings"), for messages. */
  source?: string;
}
