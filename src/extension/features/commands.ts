/**
 * The commands that act on one secret of a store: reveal, create, edit, delete (from the Secrets
 * view's menus, the palette or a quick fix), and Show Log. Every command catches its failures and
 * shows the (user-facing) message without a stack; details go to the log, never a value. Writes go
 * through the catalog, whose read-only guard refuses them even when a menu was bypassed.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import type { VisibleSecrets } from '../../core/catalogTypes';
import { isValidNamespace } from '../../core/namespaces';
import { readOnlyError } from '../../core/store';
import { COMMANDS } from '../contributions';
import { quickNamespace } from '../flowIndex';
import { createArguments, keyProblem } from '../logic/secretKeys';
import { userTags } from '../logic/secretText';
import { asNode, nodeNamespace, secretArgument, type SecretNode, type TreeSelection } from '../logic/treeNodes';
import type { Services } from '../services';
import { registerCommands } from '../shared/commandRegistration';

export function registerSecretCommands(context: vscode.ExtensionContext, services: Services, selection: TreeSelection): void {
  registerCommands(context, services, {
    [COMMANDS.revealValue]: (argument) => revealValue(services, secretArgument(argument, selection)),
    [COMMANDS.createSecret]: (argument) => createSecret(services, argument, selection),
    [COMMANDS.editSecret]: (argument) => editSecret(services, secretArgument(argument, selection)),
    [COMMANDS.deleteSecret]: (argument) => deleteSecret(services, secretArgument(argument, selection)),
    [COMMANDS.showLog]: () => services.log.show(true),
  });
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

async function createSecret(services: Services, argument: unknown, selection: TreeSelection): Promise<void> {
  const catalog = requireCatalog(services);
  const given = asNode(argument) ? {} : createArguments(argument);
  const namespace = given.namespace ?? (await askNamespace(services, defaultNamespace(argument, selection)));
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

/** The namespace of the clicked or selected tree item, else the active flow's. */
function defaultNamespace(argument: unknown, selection: TreeSelection): string | undefined {
  const fromTree = nodeNamespace(argument, selection);
  if (fromTree) return fromTree;
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
