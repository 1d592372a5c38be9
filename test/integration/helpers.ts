/**
 * Shared by the integration suites: the extension's API, the test workspace (test/workspaces/oss, opened
 * as a copy), positions of text in its files, and the canary that must never leak.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

import type { KestraSecretsApi, TreeItemSnapshot } from '../../src/extension/api';

export const EXTENSION_ID = 'kestra-secrets.kestra-secrets';

export type { KestraSecretsApi, TreeItemSnapshot };

/**
 * The keys Kestra OSS would load from the workspace: every `SECRET_*` of `.env_encoded` and of the Compose
 * file's `environment`, upper-cased, except SECRET_BROKEN_VALUE whose value is not base64 (Kestra drops it).
 */
export const VISIBLE_KEYS = ['API_TOKEN', 'DB_CREDENTIALS', 'DB_PASSWORD', 'SLACK_CHANNEL', 'SMTP_CONFIG'];
/** The top-level fields of the JSON secret DB_CREDENTIALS (the canary). */
export const CANARY_FIELDS = ['password', 'user'];

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration suite needs the test workspace (test/workspaces/oss) open');
  return folder.uri.fsPath;
}

export function workspaceUri(relative: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), relative));
}

/** The repository (for the CLI): given by the runner, else two levels above the bundled suites. */
export function repoRoot(): string {
  return process.env.KESTRA_SECRETS_REPO ?? path.resolve(__dirname, '..', '..');
}

let api: KestraSecretsApi | undefined;

/** Activates the extension (as opening a YAML file would) and waits for its first full pass. */
export async function activatedApi(): Promise<KestraSecretsApi> {
  if (api) return api;
  const extension = vscode.extensions.getExtension<KestraSecretsApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  const exported = await extension.activate();
  assert.ok(exported && typeof exported.catalogReady === 'function', 'activate() must return the Kestra Secrets API');
  await exported.catalogReady();
  api = exported;
  return exported;
}

/** The canary strings: the JSON value of the `.env` entry holding "CANARY", its string fields, its base64. */
export function canaries(): string[] {
  const env = fs.readFileSync(path.join(workspaceRoot(), '.env'), 'utf8');
  const line = env.split(/\r?\n/).find((entry) => entry.includes('CANARY'));
  assert.ok(line, '.env of the test workspace must hold the canary');
  const value = line.slice(line.indexOf('=') + 1);
  const fields = Object.values(JSON.parse(value) as Record<string, unknown>).filter((field): field is string => typeof field === 'string');
  return [value, ...fields, Buffer.from(value, 'utf8').toString('base64')];
}

export function assertNoCanary(text: string | undefined, where: string): void {
  if (text === undefined) return;
  for (const canary of canaries()) {
    assert.ok(!text.includes(canary), `${where} shows (part of) the canary secret value`);
  }
}

export async function openDocument(relative: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(workspaceUri(relative));
  await vscode.window.showTextDocument(document, { preview: false });
  return document;
}

/** The position of the `occurrence`-th `needle` in the document, plus `offset` characters. */
export function positionOf(document: vscode.TextDocument, needle: string, offset = 0, occurrence = 1): vscode.Position {
  const text = document.getText();
  let index = -1;
  for (let seen = 0; seen < occurrence; seen++) {
    index = text.indexOf(needle, index + 1);
    assert.ok(index >= 0, `'${needle}' (occurrence ${seen + 1}) not found in ${document.uri.fsPath}`);
  }
  return document.positionAt(index + offset);
}

/** Polls until `check` returns a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function diagnosticCode(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (code === undefined) return undefined;
  return typeof code === 'object' ? String(code.value) : String(code);
}

/** Our diagnostics only (other extensions may report on the same files). */
export function secretDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => /kestra/i.test(diagnostic.source ?? ''));
}

/**
 * Undoes a test's unsaved edits, then closes every editor. Every open document is restored first, not only
 * `document`: closing an editor with unsaved changes (hot exit off) leaves, on VS Code 1.90, a document that
 * says it is saved but keeps the edited text, which the next suite would then read.
 */
export async function revertAndClose(document?: vscode.TextDocument): Promise<void> {
  for (const open of new Set([...(document ? [document] : []), ...vscode.workspace.textDocuments])) await restoreFromDisk(open);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * Puts an open file's document back to the text of its file and leaves it clean, so that the next suite sees
 * the fixture; true when it had to change the document. `workbench.action.files.revert` acts on the active
 * editor, which is not always the one just shown: when it did not help, the file's own text replaces the
 * document's and is saved (the same bytes).
 */
export async function restoreFromDisk(document: vscode.TextDocument): Promise<boolean> {
  const file = document.uri.fsPath;
  if (document.isClosed || document.uri.scheme !== 'file' || !fs.existsSync(file)) return false;
  // The editor shows a file without its byte order mark.
  const fileText = () => fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (!document.isDirty) {
    // A clean document follows its file by itself once the change on disk is seen.
    const reloaded = await waitFor(`${file} to follow its file`, () => (document.getText() === fileText() ? true : undefined), 3_000).catch(
      () => false,
    );
    if (reloaded) return false;
  } else {
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  if (document.isDirty || document.getText() !== fileText()) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), fileText());
    assert.ok(await vscode.workspace.applyEdit(edit), `could not restore ${file}`);
    if (document.isDirty) assert.ok(await document.save(), `could not save ${file} back to its own text`);
  }
  assert.equal(document.getText(), fileText(), `${file} is back to its file`);
  return true;
}

export function flattenTree(items: TreeItemSnapshot[]): TreeItemSnapshot[] {
  return items.flatMap((item) => [item, ...flattenTree(item.children)]);
}

/** The hovers' text as a reader sees it: Markdown backslash escapes removed. */
export function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1');
}

/**
 * The labels of our completion items (sorted) at the end of `line`, appended in memory to the flow at
 * `relative` (never saved; the document is reverted and closed afterwards).
 */
export async function completionLabelsAfter(relative: string, line: string): Promise<string[]> {
  const document = await openDocument(relative);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(document.uri, document.lineAt(document.lineCount - 1).range.end, `\n${line}`);
  assert.ok(await vscode.workspace.applyEdit(edit));
  const last = document.lineCount - 1;
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    document.uri,
    new vscode.Position(last, document.lineAt(last).text.length),
    "'",
  );
  await revertAndClose(document);
  return list.items
    .filter((item) => item.kind !== vscode.CompletionItemKind.Text)
    .map((item) => (typeof item.label === 'string' ? item.label : item.label.label))
    .sort();
}

/** Sets environment variables of the extension host (the suites run in it); returns what puts them back. */
export function setProcessEnv(values: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Waits until the tree shows every key in `present` and none in `absent` (30 s: a reload may list a store). */
export async function waitForTreeLabels(what: string, present: string[], absent: string[] = []): Promise<TreeItemSnapshot[]> {
  const extensionApi = await activatedApi();
  return waitFor(
    what,
    async () => {
      const items = flattenTree(await extensionApi.treeItems());
      const labels = new Set(items.map((item) => item.label));
      return present.every((label) => labels.has(label)) && !absent.some((label) => labels.has(label)) ? items : undefined;
    },
    30_000,
  );
}

/** The `viewItem` pattern under which package.json offers `command` on tree items (e.g. kestraSecrets.editSecret). */
export function viewItemPattern(command: string): RegExp {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  const menus = (extension.packageJSON.contributes?.menus?.['view/item/context'] ?? []) as { command: string; when?: string }[];
  const when = menus.find((entry) => entry.command === command)?.when ?? '';
  const viewItem = /viewItem\s*=~\s*\/((?:\\\/|[^/])+)\//.exec(when);
  assert.ok(viewItem, `${command} is offered on some tree items: ${when}`);
  return new RegExp(viewItem[1] as string);
}
