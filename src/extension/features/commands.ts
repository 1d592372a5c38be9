/**
 * The palette and view commands. Every command catches its failures and shows the (user-facing)
 * message without a stack; details go to the log, never a value. Writes go through the catalog,
 * whose read-only guard refuses them even when a menu was bypassed.
 */
import * as vscode from 'vscode';
import { readOnlyError } from '../../core/store';
import type { SecretCatalog } from '../../core/catalog';
import type { VisibleSecrets } from '../../core/catalogTypes';
import { isValidNamespace } from '../../core/namespaces';
import { setCredentials } from './credentials';
import { addToEnvFile, decodeEnvFile, encodeEnvFile } from './envCommands';
import { quickNamespace } from '../flowIndex';
import { describeError } from '../log';
import { copyReference, insertReference, pickReference, type ReferenceTarget } from './references';
import { updateContextKeys, userTags, VIEW_ID, type SecretNode, type SecretsNode, type SecretsTreeProvider } from './secretsTree';
import type { AddToEnvFileArgs, CreateSecretArgs, Services } from '../services';

/** Kestra keys: no blanks or quotes, so that `secret('KEY')` can name them; stores add their own limits. */
const KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
const MAX_KEY_LENGTH = 255;
const NODE_KINDS = new Set(['backend', 'namespace', 'secret', 'subkey', 'message']);

export function registerCommands(context: vscode.ExtensionContext, services: Services, tree?: SecretsTreeProvider): void {
  const handlers: Record<string, (...args: unknown[]) => unknown> = {
    'kestraSecrets.encodeEnvFile': (argument) => encodeEnvFile(services, argument),
    'kestraSecrets.decodeEnvFile': (argument) => decodeEnvFile(services, argument),
    'kestraSecrets.addToEnvFile': (argument) => addToEnvFile(services, argument as Partial<AddToEnvFileArgs> | undefined),
    'kestraSecrets.refresh': () => refresh(services, tree),
    'kestraSecrets.copyReference': async (argument) => {
      const target = referenceTarget(argument, tree) ?? (await pickReference(services, vscode.window.activeTextEditor?.document));
      if (target) await copyReference(target);
    },
    'kestraSecrets.insertReference': () => insertReference(services),
    'kestraSecrets.revealValue': (argument) => revealValue(services, secretArgument(argument, tree)),
    'kestraSecrets.createSecret': (argument) => createSecret(services, argument, tree),
    'kestraSecrets.editSecret': (argument) => editSecret(services, secretArgument(argument, tree)),
    'kestraSecrets.deleteSecret': (argument) => deleteSecret(services, secretArgument(argument, tree)),
    'kestraSecrets.setCredentials': () => setCredentials(services),
    'kestraSecrets.showLog': () => services.log.show(true),
  };
  for (const [id, handler] of Object.entries(handlers)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => runCommand(services, id, () => handler(...args))),
    );
  }
  const syncContextKeys = () => (tree ? tree.syncContextKeys() : updateContextKeys(services.catalog));
  context.subscriptions.push(services.onDidChange(() => void syncContextKeys().catch(() => undefined)));
  void syncContextKeys().catch(() => undefined);
}

/** Runs a command; a failure becomes one error message (no stack) and a log line. */
export async function runCommand<T>(services: Services, id: string, body: () => T | Thenable<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    const message = describeError(error);
    services.log.error(`${id}: ${message}`);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}

async function refresh(services: Services, tree: SecretsTreeProvider | undefined): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: VIEW_ID } }, () => services.refresh());
  tree?.refresh();
}

// ---------------------------------------------------------------------------------------------------
// Arguments

/** A tree secret/subkey node, or `{ key, subkey? }` from other callers, or the view's selection. */
export function referenceTarget(argument: unknown, tree: SecretsTreeProvider | undefined): ReferenceTarget | undefined {
  const node = asNode(argument);
  if (node?.kind === 'secret') return { key: node.secret.key };
  if (node?.kind === 'subkey') return { key: node.parent.secret.key, subkey: node.field };
  const plain = argument as { key?: unknown; subkey?: unknown } | undefined;
  if (plain && typeof plain.key === 'string' && plain.key !== '') {
    return { key: plain.key, subkey: typeof plain.subkey === 'string' && plain.subkey !== '' ? plain.subkey : undefined };
  }
  const selected = tree?.selectedSecret();
  return selected ? { key: selected.secret.key } : undefined;
}

/** A node of the Secrets view (commands from its menus receive the clicked one). */
function asNode(argument: unknown): SecretsNode | undefined {
  const kind = (argument as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' && NODE_KINDS.has(kind) ? (argument as SecretsNode) : undefined;
}

function secretArgument(argument: unknown, tree: SecretsTreeProvider | undefined): SecretNode {
  const node = asNode(argument);
  if (node?.kind === 'secret') return node;
  if (node?.kind === 'subkey') return node.parent;
  const selected = tree?.selectedSecret();
  if (selected) return selected;
  throw new Error(vscode.l10n.t('Select a secret in the Kestra Secrets view first.'));
}

function requireCatalog(services: Services): SecretCatalog {
  const catalog = services.catalog;
  if (!catalog) throw new Error(services.configError ?? vscode.l10n.t('No secrets backend is configured.'));
  return catalog;
}

// ---------------------------------------------------------------------------------------------------
// Reveal

async function revealValue(services: Services, node: SecretNode): Promise<void> {
  const catalog = requireCatalog(services);
  if (!node.canReveal) throw new Error(vscode.l10n.t('{0} never returns secret values.', node.backendLabel));
  const reveal = vscode.l10n.t('Reveal');
  const confirmed = await vscode.window.showWarningMessage(
    vscode.l10n.t('Reveal the value of {0}?', node.secret.key),
    {
      modal: true,
      detail: vscode.l10n.t('It will be shown once, in a dialog, and is never logged. Make sure nobody is watching your screen.'),
    },
    reveal,
  );
  if (confirmed !== reveal) return;
  const value = await catalog.reveal(node.origin, node.secret.key);
  services.log.info(`Revealed the value of ${node.secret.key} (${node.origin}) on request.`);
  const copy = vscode.l10n.t('Copy');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t('Value of {0}', node.secret.key),
    { modal: true, detail: value },
    copy,
  );
  if (answer === copy) await vscode.env.clipboard.writeText(value);
}

// ---------------------------------------------------------------------------------------------------
// Create, edit, delete

async function createSecret(services: Services, argument: unknown, tree: SecretsTreeProvider | undefined): Promise<void> {
  const catalog = requireCatalog(services);
  const given = createArguments(argument);
  const namespace = given.namespace ?? (await askNamespace(services, defaultNamespace(argument, tree)));
  if (namespace === undefined) return;
  const visible = await listed(catalog, namespace);
  if (visible.readOnly) throw readOnlyError(visible.backendLabel, vscode.l10n.t('create a secret in {0}', namespace));
  const key = given.key ?? (await askKey(visible));
  if (key === undefined) return;
  if (ownKeys(visible).has(key) && !(await confirmReplace(key, namespace))) return;
  const value = await askValue(vscode.l10n.t('Value of {0} in {1}', key, namespace));
  if (value === undefined) return;
  const description = await vscode.window.showInputBox({
    prompt: vscode.l10n.t('Description of {0} (optional)', key),
    placeHolder: vscode.l10n.t('Press Enter to leave it empty'),
    ignoreFocusOut: true,
  });
  if (description === undefined) return;
  await saving(vscode.l10n.t('Saving secret {0} in {1}…', key, namespace), () =>
    catalog.put(namespace, key, value, description.trim() ? { description: description.trim() } : undefined),
  );
  services.log.info(`Created secret ${key} in ${namespace}.`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Saved secret {0} in {1}.', key, namespace));
}

async function editSecret(services: Services, node: SecretNode): Promise<void> {
  const catalog = requireCatalog(services);
  const { key, description } = node.secret;
  // A store replaces metadata on write: keep the description and the user's tags.
  const options = { description, tags: userTags(node.secret.tags) };
  const visible = await listed(catalog, node.origin);
  if (visible.readOnly) throw readOnlyError(visible.backendLabel, vscode.l10n.t('edit secret {0}', key));
  const value = await askValue(vscode.l10n.t('New value of {0} in {1}', key, node.origin));
  if (value === undefined) return;
  await saving(vscode.l10n.t('Saving secret {0} in {1}…', key, node.origin), () => catalog.put(node.origin, key, value, options));
  services.log.info(`Updated secret ${key} in ${node.origin}.`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Saved secret {0} in {1}.', key, node.origin));
}

async function deleteSecret(services: Services, node: SecretNode): Promise<void> {
  const catalog = requireCatalog(services);
  const { key } = node.secret;
  const visible = await listed(catalog, node.origin);
  if (visible.readOnly) throw readOnlyError(visible.backendLabel, vscode.l10n.t('delete secret {0}', key));
  const remove = vscode.l10n.t('Delete');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t("Delete secret '{0}' from namespace {1}?", key, node.origin),
    { modal: true, detail: vscode.l10n.t('{0} deletes it for every flow that uses it. This cannot be undone here.', node.backendLabel) },
    remove,
  );
  if (answer !== remove) return;
  await saving(vscode.l10n.t('Deleting secret {0} from {1}…', key, node.origin), () => catalog.delete(node.origin, key));
  services.log.info(`Deleted secret ${key} from ${node.origin}.`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Deleted secret {0} from {1}.', key, node.origin));
}

function createArguments(argument: unknown): Partial<CreateSecretArgs> {
  const node = argument as Partial<CreateSecretArgs> | undefined;
  if (!node || typeof node !== 'object' || asNode(argument)) return {};
  return {
    namespace: typeof node.namespace === 'string' && isValidNamespace(node.namespace) ? node.namespace : undefined,
    key: typeof node.key === 'string' && KEY_PATTERN.test(node.key) ? node.key : undefined,
  };
}

/** The namespace of the clicked or selected tree item, else the active flow's. */
function defaultNamespace(argument: unknown, tree: SecretsTreeProvider | undefined): string | undefined {
  const node = asNode(argument);
  if (node?.kind === 'namespace' && !node.allNamespaces) return node.namespace;
  if (node?.kind === 'secret') return node.origin;
  const selected = tree?.selectedNamespace();
  if (selected) return selected;
  const document = vscode.window.activeTextEditor?.document;
  return document?.languageId === 'yaml' ? quickNamespace(document) : undefined;
}

async function askNamespace(services: Services, suggested: string | undefined): Promise<string | undefined> {
  const known = services.flows.namespaces();
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Create secret'),
    prompt: vscode.l10n.t('Namespace of the new secret'),
    value: suggested ?? known[0] ?? '',
    placeHolder: 'company.team',
    ignoreFocusOut: true,
    validateInput: (text) =>
      isValidNamespace(text)
        ? undefined
        : vscode.l10n.t('A namespace is lower-case letters, digits, dots, _ and -, starting with a letter or digit.'),
  });
}

export function keyProblem(key: string): string | undefined {
  if (key === '') return vscode.l10n.t('Enter a key.');
  if (key.length > MAX_KEY_LENGTH) return vscode.l10n.t('At most {0} characters.', MAX_KEY_LENGTH);
  if (!KEY_PATTERN.test(key)) return vscode.l10n.t('Use letters, digits, _, ., - and /, starting with a letter, a digit or _.');
  return undefined;
}

async function askKey(visible: VisibleSecrets): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Create secret in {0}', visible.namespace),
    prompt: vscode.l10n.t("Key, as flows will write it in secret('KEY')"),
    placeHolder: 'DB_PASSWORD',
    ignoreFocusOut: true,
    validateInput: keyProblem,
  });
}

function askValue(prompt: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    prompt,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value === '' ? vscode.l10n.t('Enter a value.') : undefined),
  });
}

async function confirmReplace(key: string, namespace: string): Promise<boolean> {
  const replace = vscode.l10n.t('Replace');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} already exists in {1}. Replace its value?', key, namespace),
    { modal: true },
    replace,
  );
  return answer === replace;
}

function ownKeys(visible: VisibleSecrets): Set<string> {
  return new Set(visible.secrets.filter((secret) => !secret.inherited).map((secret) => secret.key));
}

function listed(catalog: SecretCatalog, namespace: string): Thenable<VisibleSecrets> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Kestra Secrets: listing {0}', namespace) },
    () => catalog.visible(namespace),
  );
}

function saving(title: string, work: () => Promise<void>): Thenable<void> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, work);
}
