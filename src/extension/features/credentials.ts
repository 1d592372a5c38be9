/**
 * "Kestra Secrets: Set Credentials": asks for one kind of credential with password inputs and keeps
 * it as JSON in SecretStorage (the OS keychain) under `kestraSecrets.credentials.<backend-type>`,
 * the record each backend reads from `BackendContext.credentials`. Never in settings, never logged.
 */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { BackendType } from '../../core/configTypes';
import { COMMANDS } from '../contributions';
import { serviceAccountProblem } from '../logic/serviceAccount';
import { credentialsStorageKey, type Services } from '../services';
import { registerCommands } from '../shared/commandRegistration';

export function registerCredentialsCommand(context: vscode.ExtensionContext, services: Services): void {
  registerCommands(context, services, { [COMMANDS.setCredentials]: () => setCredentials(services) });
}

interface CredentialField {
  name: string;
  prompt: string;
  password: boolean;
  optional?: boolean;
  placeHolder?: string;
}

export interface CredentialKind {
  id: string;
  label: string;
  detail: string;
  backendType: BackendType;
  fields: CredentialField[];
}

/** Every kind offered, with the record keys the backends read (see src/backends/*). */
export function credentialKinds(): CredentialKind[] {
  const t = vscode.l10n.t;
  return [
    {
      id: 'aws',
      label: t('AWS access key'),
      detail: t('Access key id and secret access key (and a session token for temporary keys).'),
      backendType: 'aws-secret-manager',
      fields: [
        { name: 'accessKeyId', prompt: t('AWS access key id'), password: false, placeHolder: 'AKIA…' },
        { name: 'secretAccessKey', prompt: t('AWS secret access key'), password: true },
        { name: 'sessionToken', prompt: t('AWS session token (leave empty for long-term keys)'), password: true, optional: true },
      ],
    },
    {
      id: 'azure',
      label: t('Azure client secret'),
      detail: t('A service principal: tenant id, client id and client secret.'),
      backendType: 'azure-key-vault',
      fields: [
        { name: 'tenantId', prompt: t('Azure tenant id'), password: false },
        { name: 'clientId', prompt: t('Azure client (application) id'), password: false },
        { name: 'clientSecret', prompt: t('Azure client secret'), password: true },
      ],
    },
    {
      id: 'vault-token',
      label: t('Vault token'),
      detail: t('A HashiCorp Vault token (replaces VAULT_TOKEN).'),
      backendType: 'vault',
      fields: [{ name: 'token', prompt: t('Vault token'), password: true }],
    },
    {
      id: 'vault-userpass',
      label: t('Vault userpass password'),
      detail: t('The password of the user named in `password.user` of the configuration.'),
      backendType: 'vault',
      fields: [{ name: 'password', prompt: t('Vault userpass password'), password: true }],
    },
    {
      id: 'vault-approle',
      label: t('Vault AppRole secret id'),
      detail: t('The secret id of the role named in `app-role.role-id` of the configuration.'),
      backendType: 'vault',
      fields: [{ name: 'secretId', prompt: t('Vault AppRole secret id'), password: true }],
    },
    {
      id: 'google',
      label: t('Google service-account key file'),
      detail: t('A JSON key file; its content is stored, the file can be deleted afterwards.'),
      backendType: 'google-secret-manager',
      fields: [],
    },
    {
      id: 'server-token',
      label: t('Kestra server API token'),
      detail: t('An Enterprise API token, sent as Authorization: Bearer.'),
      backendType: 'kestra-server',
      fields: [{ name: 'token', prompt: t('Kestra API token'), password: true }],
    },
    {
      id: 'server-basic',
      label: t('Kestra server user and password'),
      detail: t('Basic authentication (open source since 0.24, or Enterprise).'),
      backendType: 'kestra-server',
      fields: [
        { name: 'username', prompt: t('Kestra user name (e.g. admin@kestra.io)'), password: false },
        { name: 'password', prompt: t('Kestra password'), password: true },
      ],
    },
  ];
}

interface KindPick extends vscode.QuickPickItem {
  credential?: CredentialKind;
  clear?: true;
}

/** The whole command: pick a kind (or clear), ask, store, reload the backends. */
export async function setCredentials(services: Services): Promise<void> {
  const current = currentBackendTypes(services);
  const picked = await vscode.window.showQuickPick(kindPicks(current), {
    title: vscode.l10n.t('Kestra Secrets: Set Credentials'),
    placeHolder: vscode.l10n.t('Which credentials? They are kept in the OS keychain, never in settings.'),
    matchOnDetail: true,
  });
  if (!picked) return;
  if (picked.clear) {
    await clearCredentials(services);
    return;
  }
  const credential = picked.credential;
  if (!credential) return;
  const record = credential.id === 'google' ? await askServiceAccountKey() : await askFields(credential.fields);
  if (!record) return;
  await storeCredentials(services.secretStorage, credential.backendType, record);
  services.log.info(`Credentials for ${credential.backendType} saved in SecretStorage (${Object.keys(record).join(', ')}).`);
  await services.reload();
  void vscode.window.showInformationMessage(vscode.l10n.t('{0} saved in the OS keychain.', credential.label));
}

export async function storeCredentials(
  storage: vscode.SecretStorage,
  backendType: BackendType,
  record: Record<string, string>,
): Promise<void> {
  await storage.store(credentialsStorageKey(backendType), JSON.stringify(record));
}

function kindPicks(current: Set<string>): KindPick[] {
  const kinds = credentialKinds();
  const inUse = vscode.l10n.t('used by the current configuration');
  const sorted = [...kinds.filter((kind) => current.has(kind.backendType)), ...kinds.filter((kind) => !current.has(kind.backendType))];
  const picks: KindPick[] = sorted.map((credential) => ({
    label: credential.label,
    description: current.has(credential.backendType) ? inUse : undefined,
    detail: credential.detail,
    credential,
  }));
  picks.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  picks.push({ label: vscode.l10n.t('$(trash) Clear stored credentials…'), clear: true });
  return picks;
}

function currentBackendTypes(services: Services): Set<string> {
  const backends = services.catalog?.backends() ?? [];
  return new Set(backends.map((backend) => backend.type));
}

/** Asks each field in turn; undefined when the user cancels or leaves a required field empty. */
async function askFields(fields: CredentialField[]): Promise<Record<string, string> | undefined> {
  const record: Record<string, string> = {};
  for (const field of fields) {
    const value = await vscode.window.showInputBox({
      prompt: field.prompt,
      placeHolder: field.placeHolder,
      password: field.password,
      ignoreFocusOut: true,
      validateInput: (text) => (field.optional || text.trim() !== '' ? undefined : vscode.l10n.t('Required.')),
    });
    if (value === undefined) return undefined;
    const trimmed = field.password ? value.replace(/[\r\n]+$/, '') : value.trim();
    if (trimmed !== '') record[field.name] = trimmed;
  }
  return record;
}

async function askServiceAccountKey(): Promise<Record<string, string> | undefined> {
  const files = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Google service-account key file'),
    canSelectMany: false,
    filters: { JSON: ['json'] },
  });
  const file = files?.[0];
  if (!file) return undefined;
  const text =
    file.scheme === 'file' ? await fs.readFile(file.fsPath, 'utf8') : new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  const problem = serviceAccountProblem(text);
  if (problem) throw new Error(problem);
  return { serviceAccount: text };
}

async function clearCredentials(services: Services): Promise<void> {
  const types = [...new Set(credentialKinds().map((kind) => kind.backendType))];
  const stored = (
    await Promise.all(types.map(async (type) => ((await services.secretStorage.get(credentialsStorageKey(type))) ? type : undefined)))
  ).filter((type): type is BackendType => type !== undefined);
  if (stored.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No credentials are stored.'));
    return;
  }
  const picked = await vscode.window.showQuickPick(stored, {
    placeHolder: vscode.l10n.t('Forget the stored credentials of…'),
    canPickMany: true,
  });
  if (!picked || picked.length === 0) return;
  for (const type of picked) await services.secretStorage.delete(credentialsStorageKey(type));
  services.log.info(`Stored credentials cleared for ${picked.join(', ')}.`);
  await services.reload();
  void vscode.window.showInformationMessage(vscode.l10n.t('Stored credentials cleared for {0}.', picked.join(', ')));
}
