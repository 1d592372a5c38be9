/**
 * What every editor feature shares: the log, the secret catalog built from the configuration,
 * the index of workspace flows, and one change event. Features (tree, completion, hover,
 * diagnostics, commands) receive `Services` and never build any of these themselves.
 */
import type * as vscode from 'vscode';
import type { SecretCatalog } from '../core/catalog';
import type { FlowIndex } from './flowIndex';

export interface Services {
  readonly log: vscode.LogOutputChannel;
  /** Undefined while the configuration is invalid (then `configError` is set). */
  readonly catalog: SecretCatalog | undefined;
  readonly configError: string | undefined;
  /** Where the configuration came from: 'kestra-secrets.yml', 'settings', 'default (env secrets)'. */
  readonly configSource: string;
  /** Workspace flows: namespaces(), flowsIn(ns), get(uri). */
  readonly flows: FlowIndex;
  /** Configuration reloaded, catalog refreshed or flows changed. */
  readonly onDidChange: vscode.Event<void>;
  readonly secretStorage: vscode.SecretStorage;
  /** Invalidate catalog caches, rescan, fire onDidChange. */
  refresh(): Promise<void>;
  /** Re-read configuration and credentials, rebuild the catalog, fire onDidChange. */
  reload(): Promise<void>;
  workspaceTrusted(): boolean;
}

/**
 * Command argument contracts between the editor features (quick fixes, hover links) and the
 * commands engineer H2 implements in commands.ts / envCommands.ts:
 *
 * - `kestraSecrets.createSecret` with `CreateSecretArgs` (or a tree item, or nothing: then it asks).
 * - `kestraSecrets.addToEnvFile` with `AddToEnvFileArgs`: append `KEY=` (value asked from the user)
 *   to the plain `.env` file and re-encode it into the `.env_encoded` beside it.
 *
 * Credentials: `kestraSecrets.setCredentials` stores JSON (a flat string record, e.g.
 * `{"token":"…"}` or `{"username":"…","password":"…"}`) in SecretStorage under
 * `credentialsStorageKey(backendType)`; services reads it into `BackendContext.credentials`.
 */
export interface CreateSecretArgs {
  namespace: string;
  key: string;
}

export interface AddToEnvFileArgs {
  key: string;
  /** Absolute path of the plain `.env` file (the encoded file is written beside it). */
  envFile: string;
  /** Absolute path of the `.env_encoded` file to write, when known. */
  encodedFile?: string;
}

export function credentialsStorageKey(backendType: string): string {
  return `kestraSecrets.credentials.${backendType}`;
}
