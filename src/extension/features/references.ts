/**
 * `{{ secret('KEY') }}` references: how they are written, copying one to the clipboard and
 * inserting one at the cursor from a pick of the keys the active flow's namespace can see.
 */
import * as vscode from 'vscode';
import type { VisibleSecret, VisibleSecrets } from '../../core/catalogTypes';
import { COMMANDS } from '../contributions';
import { insideExpression, secretCall, secretReference, type ReferenceTarget } from '../logic/secretReferences';
import { referenceTarget, type TreeSelection } from '../logic/treeNodes';
import type { Services } from '../services';
import { registerCommands } from '../shared/commandRegistration';
import { lookupNamespace } from '../shared/documentContext';

/** Copy Reference (a view item, a `{ key, subkey? }`, the view's selection, else a pick) and Insert Secret Reference. */
export function registerReferenceCommands(context: vscode.ExtensionContext, services: Services, selection: TreeSelection): void {
  registerCommands(context, services, {
    [COMMANDS.copyReference]: async (argument) => {
      const target = referenceTarget(argument, selection) ?? (await pickReference(services, vscode.window.activeTextEditor?.document));
      if (target) await copyReference(target);
    },
    [COMMANDS.insertReference]: () => insertReference(services),
  });
}

/** Copies the reference to the clipboard and says so in the status bar (the reference holds no value). */
async function copyReference(target: ReferenceTarget): Promise<void> {
  const reference = secretReference(target.key, target.subkey);
  await vscode.env.clipboard.writeText(reference);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', reference), 3000);
}

/** Asks for a key visible to the active flow's namespace (then a field, when known) and inserts its reference. */
async function insertReference(services: Services): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a flow to insert a secret reference.'));
    return;
  }
  const target = await pickReference(services, editor.document);
  if (!target) return;
  await editor.edit((edit) => {
    for (const selection of editor.selections) {
      const lineBefore = editor.document.lineAt(selection.start.line).text.slice(0, selection.start.character);
      const text = insideExpression(lineBefore) ? secretCall(target.key, target.subkey) : secretReference(target.key, target.subkey);
      edit.replace(selection, text);
    }
  });
}

/** A key (and optional field) picked among those visible to the document's namespace. */
async function pickReference(services: Services, document: vscode.TextDocument | undefined): Promise<ReferenceTarget | undefined> {
  await services.ready();
  const catalog = services.catalog;
  if (!catalog) throw new Error(services.configError ?? vscode.l10n.t('No secrets backend is configured.'));
  const namespace = (document && lookupNamespace(catalog, undefined, document)) ?? (await pickNamespace(services));
  if (namespace === undefined) return undefined;
  const visible = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Kestra Secrets: listing secrets of {0}', namespace) },
    () => catalog.visible(namespace),
  );
  if (visible.secrets.length === 0) {
    const reason = visible.error ?? vscode.l10n.t('No secret is visible to the namespace {0}.', namespace);
    void vscode.window.showWarningMessage(reason);
    return undefined;
  }
  const secret = await pickSecret(visible);
  if (!secret) return undefined;
  const subkey = await pickSubkey(secret);
  return subkey === undefined ? undefined : { key: secret.key, subkey: subkey || undefined };
}

async function pickNamespace(services: Services): Promise<string | undefined> {
  const namespaces = services.flows.namespaces();
  if (namespaces.length === 0) {
    return vscode.window.showInputBox({
      prompt: vscode.l10n.t('Namespace of the flow'),
      placeHolder: 'company.team',
      ignoreFocusOut: true,
    });
  }
  return vscode.window.showQuickPick(namespaces, { placeHolder: vscode.l10n.t('The namespace whose secrets to list') });
}

interface SecretPick extends vscode.QuickPickItem {
  secret: VisibleSecret;
}

async function pickSecret(visible: VisibleSecrets): Promise<VisibleSecret | undefined> {
  const items: SecretPick[] = visible.secrets.map((secret) => ({
    label: secret.key,
    description: secretOrigin(secret, visible),
    detail: secret.description,
    secret,
  }));
  const title = visible.stale
    ? vscode.l10n.t('Secrets visible to {0} (stale: {1})', visible.namespace, visible.error ?? '')
    : vscode.l10n.t('Secrets visible to {0}', visible.namespace);
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: vscode.l10n.t('Secret to reference'),
    matchOnDescription: true,
  });
  return picked?.secret;
}

/** '' for the whole value, a field name, or undefined when cancelled. */
async function pickSubkey(secret: VisibleSecret): Promise<string | undefined> {
  const fields = secret.subkeys ?? [];
  if (fields.length === 0) return '';
  const whole = vscode.l10n.t('(whole value)');
  const picked = await vscode.window.showQuickPick([whole, ...fields], { placeHolder: vscode.l10n.t('Field of {0} (subkey)', secret.key) });
  if (picked === undefined) return undefined;
  return picked === whole ? '' : picked;
}

/** Where a key resolves from, in a few words (never a value). */
function secretOrigin(secret: VisibleSecret, visible: VisibleSecrets): string {
  if (secret.fromNamespace === undefined) return secret.source ?? visible.backendLabel;
  return secret.inherited ? vscode.l10n.t('inherited from {0}', secret.fromNamespace) : secret.fromNamespace;
}
