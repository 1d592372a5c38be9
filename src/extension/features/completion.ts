/**
 * Completion inside `secret('…')` literals: keys visible to the flow's namespace (own, then
 * inherited; a `namespace='…'` argument respected), a secret's fields after `subkey='`, namespaces
 * after `namespace='`, and a `secret('…')` snippet after `{{ sec`. Only a bounded window of text
 * before the cursor is examined, so a keystroke costs the same in a 5,000-line flow.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import { findVisible, type VisibleSecret, type VisibleSecrets } from '../../core/catalogTypes';
import { completionContextAt, secretSnippetContextAt, type CompletionContext } from '../../core/pebble';
import { rankByCloseness } from '../../core/suggest';
import { describeError } from '../log';
import type { Services } from '../services';
import { lookupNamespace, textWindowAt, type TextWindow } from '../shared/documentContext';
import { appendSecret, newMarkdown } from '../shared/secretMarkdown';

export const TRIGGER_CHARACTERS = ["'", '"', '('];

export function registerCompletion(services: Services): vscode.Disposable {
  return vscode.languages.registerCompletionItemProvider(
    { language: 'yaml' },
    new SecretCompletionProvider(services),
    ...TRIGGER_CHARACTERS,
  );
}

export class SecretCompletionProvider implements vscode.CompletionItemProvider {
  private readonly loggedFailures = new Set<string>();

  constructor(private readonly services: Services) {}

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    try {
      const started = performance.now();
      const window = textWindowAt(document, position);
      const context = completionContextAt(window.text, window.offset);
      if (context) {
        const items = await this.literalItems(document, window, context);
        this.services.log.trace(`Completion: ${items?.length ?? 0} items in ${(performance.now() - started).toFixed(2)} ms`);
        return items;
      }
      const snippet = secretSnippetContextAt(window.text, window.offset);
      if (snippet && snippet.typed.length > 0) return [snippetItem(window.positionAt(snippet.start), position)];
      return undefined;
    } catch (error) {
      this.logOnce(describeError(error));
      return undefined;
    }
  }

  private async literalItems(
    document: vscode.TextDocument,
    window: TextWindow,
    context: CompletionContext,
  ): Promise<vscode.CompletionItem[] | undefined> {
    await this.services.ready();
    const catalog = this.services.catalog;
    if (!catalog) return undefined;
    const range = new vscode.Range(window.positionAt(context.replaceStart), window.positionAt(context.replaceEnd));
    const wrap = (text: string) => (context.quote === undefined ? `'${text}'` : text);
    if (context.argument === 'namespace') {
      const namespaces = await this.knownNamespaces(catalog);
      return rankByCloseness(context.typed, namespaces).map((namespace, index) =>
        item(namespace, vscode.CompletionItemKind.Module, range, wrap(namespace), index),
      );
    }
    const namespace = lookupNamespace(catalog, context.namespace, document);
    if (namespace === undefined) return undefined;
    const visible = await catalog.visible(namespace);
    if (visible.error && !visible.stale) this.logOnce(visible.error);
    if (context.argument === 'key') return keyItems(visible, context.typed, range, wrap);
    return this.subkeyItems(catalog, visible, context, range, wrap);
  }

  resolveCompletionItem(completion: vscode.CompletionItem): vscode.CompletionItem {
    const pending = pendingDocumentation.get(completion);
    if (pending && completion.documentation === undefined) {
      const documentation = newMarkdown();
      appendSecret(documentation, pending.secret, pending.visible, pending.secret.subkeys);
      completion.documentation = documentation;
    }
    return completion;
  }

  private async subkeyItems(
    catalog: SecretCatalog,
    visible: VisibleSecrets,
    context: CompletionContext,
    range: vscode.Range,
    wrap: (text: string) => string,
  ): Promise<vscode.CompletionItem[] | undefined> {
    if (context.key === undefined) return undefined;
    const secret = findVisible(visible, context.key);
    if (!secret) return undefined;
    const subkeys = secret.subkeys ?? (await catalog.subkeys(secret.fromNamespace ?? visible.namespace, secret.key));
    if (!subkeys) return undefined;
    return rankByCloseness(context.typed, subkeys).map((subkey, index) => {
      const completion = item(subkey, vscode.CompletionItemKind.Field, range, wrap(subkey), index);
      completion.detail = vscode.l10n.t('field of {0}', secret.key);
      return completion;
    });
  }

  private async knownNamespaces(catalog: SecretCatalog): Promise<string[]> {
    const fromStore = await catalog.namespaces().catch(() => [] as string[]);
    return [...new Set([...fromStore, ...this.services.flows.namespaces()])];
  }

  private logOnce(message: string): void {
    if (this.loggedFailures.has(message)) return;
    this.loggedFailures.add(message);
    this.services.log.warn(`Secret completion: ${message}`);
  }
}

/** Documentation is built only for the item the user looks at (resolveCompletionItem). */
const pendingDocumentation = new WeakMap<vscode.CompletionItem, { secret: VisibleSecret; visible: VisibleSecrets }>();

function keyItems(visible: VisibleSecrets, typed: string, range: vscode.Range, wrap: (text: string) => string): vscode.CompletionItem[] {
  const byKey = new Map(visible.secrets.map((secret) => [secret.key, secret]));
  return rankByCloseness(typed, [...byKey.keys()]).map((key, index) => {
    const secret = byKey.get(key) as VisibleSecret;
    const completion = item(
      key,
      secret.inherited ? vscode.CompletionItemKind.Reference : vscode.CompletionItemKind.Constant,
      range,
      wrap(key),
      index,
    );
    completion.label = { label: key, description: secretOrigin(secret) };
    completion.detail = secretDetail(secret, visible);
    pendingDocumentation.set(completion, { secret, visible });
    return completion;
  });
}

/** Shown on every row: the namespace a key resolves from, or the file that defines it. */
function secretOrigin(secret: VisibleSecret): string | undefined {
  if (secret.fromNamespace === undefined) return secret.location ? vscode.workspace.asRelativePath(secret.location.file) : secret.source;
  return secret.inherited ? vscode.l10n.t('inherited from {0}', secret.fromNamespace) : secret.fromNamespace;
}

/** Where a key resolves from, in a few words: the namespace (inherited or own) or the defining file. */
function secretDetail(secret: VisibleSecret, visible: VisibleSecrets): string {
  if (secret.fromNamespace === undefined) return secret.source ?? visible.backendLabel;
  const origin = secret.inherited ? vscode.l10n.t('inherited from {0}', secret.fromNamespace) : secret.fromNamespace;
  return `${origin} · ${visible.backendLabel}`;
}

function item(
  label: string,
  kind: vscode.CompletionItemKind,
  range: vscode.Range,
  insertText: string,
  rank: number,
): vscode.CompletionItem {
  const completion = new vscode.CompletionItem(label, kind);
  completion.range = range;
  completion.insertText = insertText;
  completion.filterText = label;
  completion.sortText = String(rank).padStart(5, '0');
  return completion;
}

function snippetItem(start: vscode.Position, position: vscode.Position): vscode.CompletionItem {
  const completion = new vscode.CompletionItem("secret('…')", vscode.CompletionItemKind.Snippet);
  completion.insertText = new vscode.SnippetString("secret('${1}')$0");
  completion.range = new vscode.Range(start, position);
  completion.filterText = 'secret';
  completion.sortText = '00000';
  completion.detail = vscode.l10n.t('Kestra secret reference');
  completion.documentation = new vscode.MarkdownString(vscode.l10n.t("Inserts `secret('KEY')` and lists the keys visible to this flow."));
  completion.command = { command: 'editor.action.triggerSuggest', title: vscode.l10n.t('Suggest secret keys') };
  return completion;
}
