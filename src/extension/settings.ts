/**
 * The extension's settings, read with Workspace Trust in mind: in an untrusted workspace the
 * settings that can point the extension at an endpoint or a file (`RESTRICTED_SETTINGS`, also
 * declared in package.json `capabilities.untrustedWorkspaces.restrictedConfigurations`) only take
 * their user/remote value, never the workspace's.
 */
import * as vscode from 'vscode';

export const SECTION = 'kestraSecrets';

export const RESTRICTED_SETTINGS = ['configFile', 'secret', 'namespaces', 'server', 'envFiles'] as const;

/** Read when `kestraSecrets.envFiles` is empty and the workspace has no Compose file to say which files Kestra reads. */
export const FALLBACK_ENV_FILES = ['**/.env_encoded', '**/.env_encoded.{example,sample,template,dist}'];
export const DEFAULT_CACHE_TTL_SECONDS = 60;

export interface EditorSettings {
  configFile: string | undefined;
  secret: unknown;
  namespaces: unknown;
  server: unknown;
  envFiles: string[];
  diagnosticsEnabled: boolean;
  readValuesForSubkeys: boolean;
  cacheTtlMs: number;
}

export function readSettings(trusted: boolean): EditorSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const restricted = <T>(name: (typeof RESTRICTED_SETTINGS)[number]): T | undefined =>
    trusted ? config.get<T>(name) : userValue<T>(config, name);
  const ttlSeconds = config.get<number>('cache.ttlSeconds', DEFAULT_CACHE_TTL_SECONDS);
  return {
    configFile: nonEmptyString(restricted<string>('configFile')),
    secret: nonEmptyObject(restricted<unknown>('secret')),
    namespaces: nonEmptyObject(restricted<unknown>('namespaces')),
    server: nonEmptyObject(restricted<unknown>('server')),
    envFiles: stringArray(restricted<unknown>('envFiles')) ?? [],
    diagnosticsEnabled: config.get<boolean>('diagnostics.enabled', true),
    // Restricted too (package.json), and ignored even from user settings: a workspace must not turn on value reads.
    readValuesForSubkeys: trusted && config.get<boolean>('readValuesForSubkeys', false),
    cacheTtlMs: Math.max(0, Number.isFinite(ttlSeconds) ? ttlSeconds : DEFAULT_CACHE_TTL_SECONDS) * 1000,
  };
}

/** The official Kestra extension's server settings (`kestra.api.url`, `kestra.api.tenant`), if set. */
export function kestraExtensionServer(trusted: boolean): { url: string; tenant: string | undefined } | undefined {
  const config = vscode.workspace.getConfiguration('kestra.api');
  const url = nonEmptyString(trusted ? config.get<string>('url') : userValue<string>(config, 'url'));
  if (!url) return undefined;
  const tenant = nonEmptyString(trusted ? config.get<string>('tenant') : userValue<string>(config, 'tenant'));
  return { url, tenant };
}

/** Whether a configuration change concerns how the catalog is built (as opposed to diagnostics only). */
export function affectsCatalog(event: vscode.ConfigurationChangeEvent): boolean {
  return (
    RESTRICTED_SETTINGS.some((name) => event.affectsConfiguration(`${SECTION}.${name}`)) ||
    event.affectsConfiguration(`${SECTION}.readValuesForSubkeys`) ||
    event.affectsConfiguration(`${SECTION}.cache`)
  );
}

/** Read at the moment of use: a diagnostics pass must not run on a stale value. */
export function diagnosticsEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('diagnostics.enabled', true);
}

export function affectsDiagnostics(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(`${SECTION}.diagnostics`);
}

function userValue<T>(config: vscode.WorkspaceConfiguration, name: string): T | undefined {
  const inspected = config.inspect<T>(name);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function nonEmptyObject(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.keys(value).length > 0 ? value : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string' && item.trim() !== '');
}
