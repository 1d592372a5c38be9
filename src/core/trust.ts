/**
 * The CLI's trust model for a configuration file found automatically in the workspace (a
 * `kestra-secrets.yml` that whoever wrote the repository controls): it may choose a store, but it may
 * not point the user's own credentials — from the environment or the SDKs' default chains — at an
 * address of its choosing. A file given with `--config`, or `--trust-config`, is trusted.
 *
 * An address is "default" when it is the store's own public endpoint, the one the user's environment
 * names (`VAULT_ADDR`), or this machine (loopback).
 */
import { hasCredentialPlaceholders } from './config';
import type { KestraSecretsConfig, SecretBackendConfig } from './configTypes';
import { serverCredentialsFromEnv, SERVER_TOKEN_ENV, SERVER_USERNAME_ENV } from './serverAuth';

/** Azure Key Vault's public DNS suffixes (public, China, US Government clouds and managed HSM). */
const AZURE_VAULT_SUFFIXES = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.managedhsm.azure.net'];

/** One endpoint of an untrusted file that would receive credentials the file does not hold. */
export interface UntrustedEndpoint {
  /** The key path of the address, e.g. `kestra.secret.vault.address`. */
  path: string;
  /** Where the credentials would come from, e.g. `VAULT_TOKEN` or `the AWS default credential chain`. */
  credentials: string;
}

/** Every endpoint of `config` that would receive credentials from the environment (empty when none). */
export function untrustedEndpoints(config: KestraSecretsConfig, env: NodeJS.ProcessEnv): UntrustedEndpoint[] {
  const found: UntrustedEndpoint[] = [];
  if (config.server && !isLoopback(config.server.url) && serverCredentialsFromEnv(env)) {
    found.push({
      path: 'server.url',
      credentials: env[SERVER_TOKEN_ENV]?.trim() ? SERVER_TOKEN_ENV : `${SERVER_USERNAME_ENV} and KESTRA_PASSWORD`,
    });
  }
  const backends: [string, SecretBackendConfig][] = [
    ['kestra.secret', config.secret],
    ...Object.entries(config.namespaces).map(([namespace, backend]): [string, SecretBackendConfig] => [`namespaces.${namespace}`, backend]),
  ];
  for (const [path, backend] of backends) {
    const endpoint = untrustedBackendEndpoint(backend, env);
    if (endpoint) found.push({ path: `${path}.${endpoint.path}`, credentials: endpoint.credentials });
  }
  return found;
}

/** The sentence the CLI prints when it refuses an untrusted file (names and key paths only). */
export function untrustedEndpointMessage(file: string, endpoints: UntrustedEndpoint[]): string {
  const uses = endpoints.map((endpoint) => `${endpoint.path} would receive ${endpoint.credentials}`).join('; ');
  return `${file} was found in the workspace, not given with --config, and points your credentials at an address it chooses (${uses}). Check the file, then pass it with --config FILE or add --trust-config.`;
}

function untrustedBackendEndpoint(backend: SecretBackendConfig, env: NodeJS.ProcessEnv): UntrustedEndpoint | undefined {
  const fromPlaceholders = hasCredentialPlaceholders(backend);
  const address = backend.vault?.address;
  if (address && !isLoopback(address) && trimSlashes(address) !== trimSlashes(env.VAULT_ADDR ?? '')) {
    const vault = backend.vault;
    const configured = Boolean(vault?.token?.token || vault?.password?.password || vault?.appRole?.secretId);
    if (fromPlaceholders) return { path: 'vault.address', credentials: 'credentials from ${…} placeholders' };
    if (!configured && env.VAULT_TOKEN) return { path: 'vault.address', credentials: 'VAULT_TOKEN' };
  }
  const aws = backend.aws;
  if (aws?.endpointOverride && !isLoopback(aws.endpointOverride) && (fromPlaceholders || !aws.accessKeyId)) {
    return {
      path: 'aws-secret-manager.endpoint-override',
      credentials: fromPlaceholders ? 'credentials from ${…} placeholders' : 'the AWS default credential chain',
    };
  }
  // The service-account JWT (or the default credentials' token) goes wherever the override points.
  const google = backend.google;
  if (google?.endpointOverride && !isLoopback(google.endpointOverride)) {
    return {
      path: 'google-secret-manager.endpoint-override',
      credentials: google.serviceAccount ? 'a token signed with the service account' : 'the Google default credentials',
    };
  }
  const azure = backend.azure;
  if (
    azure?.keyVaultUri &&
    !isAzureVault(azure.keyVaultUri) &&
    !isLoopback(azure.keyVaultUri) &&
    (fromPlaceholders || !azure.clientSecret?.clientSecret)
  ) {
    return {
      path: 'azure-key-vault.key-vault-uri',
      credentials: fromPlaceholders ? 'credentials from ${…} placeholders' : 'the Azure default credential chain',
    };
  }
  return undefined;
}

function hostOf(address: string): string | undefined {
  try {
    return new URL(address).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopback(address: string): boolean {
  const host = hostOf(address);
  return host === 'localhost' || host === '[::1]' || (host !== undefined && /^127(\.\d{1,3}){3}$/.test(host));
}

function isAzureVault(address: string): boolean {
  const host = hostOf(address);
  return host !== undefined && new URL(address).protocol === 'https:' && AZURE_VAULT_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

function trimSlashes(address: string): string {
  return address.replace(/\/+$/, '');
}
