/**
 * Writing the `.env` files of Kestra open source from the editor: adding a variable to a plain `.env`
 * and re-encoding it into its `.env_encoded` (the quick fix and "Move to secret" both do), and the file
 * operations the `.env` commands share. Values never reach a log or a message; a malformed file is
 * reported and nothing is written.
 */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { writeFileAtomic as writeFileAtomicOnDisk } from '../../core/atomicWrite';
import { DotenvSyntaxError } from '../../core/dotenv';
import { encodeDotenv, type EncodeResult } from '../../core/secretEnv';
import { encodedFileFor } from '../../core/setup';
import {
  appendVariable,
  assertReadsBack,
  definitionLine,
  droppedKeys,
  ENV_KEY_PATTERN,
  plainEnvFilesBeside,
  syntaxErrorMessage,
} from '../logic/envFiles';
import type { AddToEnvFileArgs, Services } from '../services';

/** Mode of a new encoded file: it holds secrets (the CLI uses the same). */
const NEW_FILE_MODE = 0o600;

/**
 * Asks for the value of `key` (unless `value` is given: "Move to secret" passes the credential it
 * moves), appends `KEY=<value>` to the plain `.env` and re-encodes it into its `.env_encoded`, then
 * refreshes so the missing-key diagnostic goes away.
 */
export async function addToEnvFile(services: Services, args: Partial<AddToEnvFileArgs> | undefined, value?: string): Promise<boolean> {
  const key = args?.key?.trim();
  if (!key || !ENV_KEY_PATTERN.test(key)) {
    throw new Error(vscode.l10n.t("'{0}' cannot be a .env variable name: use letters, digits and underscores.", key ?? ''));
  }
  const envFile = args?.envFile ?? (await defaultEnvFile(services));
  if (!envFile) return false;
  const encodedFile = args?.encodedFile ?? encodedFileFor(envFile);
  const envUri = vscode.Uri.file(envFile);
  await refuseUnsaved(envUri);
  const text = await fs.readFile(envFile, 'utf8');
  if (!encodeOrReport(text, relative(envUri))) return false;
  const name = key.toUpperCase();
  const defined = definitionLine(text, envFile, name);
  let updated = text;
  if (defined === undefined) {
    const entered = value ?? (await askValue(name, envFile));
    if (entered === undefined) return false;
    updated = appendVariable(text, name, entered);
    assertReadsBack(updated, envFile, name, entered);
  } else if (value !== undefined) {
    throw new Error(vscode.l10n.t('{0} is already in {1} (line {2}): choose another key.', name, relative(envUri), defined + 1));
  } else {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} is already in {1} (line {2}); re-encoding it.', name, relative(envUri), defined + 1),
    );
  }
  const result = encodeOrReport(updated, relative(envUri));
  if (!result) return false;
  const encodedUri = vscode.Uri.file(encodedFile);
  const dropped = (await exists(encodedUri)) ? droppedKeys(await readText(encodedUri), result.text) : [];
  if (dropped.length > 0 && !(await confirmDropping(encodedUri, dropped))) return false;
  if (updated !== text) await writeFileAtomic(envUri, updated, { keepExistingMode: true });
  await writeFileAtomic(encodedUri, result.text);
  await services.refresh();
  reportResult(
    services,
    result,
    vscode.l10n.t('Added {0} to {1} and re-encoded {2}.', name, relative(envUri), relative(vscode.Uri.file(encodedFile))),
  );
  return true;
}

/** The summary in a message and the log, the warnings in the log (the message says how many). */
export function reportResult(services: Services, result: EncodeResult, summary: string): void {
  services.log.info(summary);
  for (const warning of result.warnings) services.log.warn(warning);
  if (result.warnings.length === 0) {
    void vscode.window.showInformationMessage(summary);
    return;
  }
  const showLog = vscode.l10n.t('Show Log');
  const message = vscode.l10n.t('{0} {1} warning(s): {2}', summary, result.warnings.length, result.warnings[0]);
  void vscode.window.showWarningMessage(message, showLog).then((answer) => {
    if (answer === showLog) services.log.show(true);
  });
}

/** The editor's text when the file is open, else the file's. */
export async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open) return open.getText();
  if (uri.scheme === 'file') return fs.readFile(uri.fsPath, 'utf8');
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export function droppedDetail(dropped: string[]): string {
  return vscode.l10n.t('These variables are in it but not in the .env file, and would be lost: {0}.', dropped.join(', '));
}

/**
 * Writes through a temporary file and a rename (core/atomicWrite): owner-only, and never through a
 * symbolic link; `keepExistingMode` keeps a plain `.env`'s own permissions.
 */
export async function writeFileAtomic(uri: vscode.Uri, text: string, options: { keepExistingMode?: boolean } = {}): Promise<void> {
  if (uri.scheme !== 'file') {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    return;
  }
  const file = uri.fsPath;
  const existing = await fs.stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(vscode.l10n.t('Cannot write {0}: it is a folder.', relative(uri)));
  try {
    await writeFileAtomicOnDisk(file, text, { mode: NEW_FILE_MODE, keepExistingMode: options.keepExistingMode });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException)?.code ?? vscode.l10n.t('write failed');
    throw new Error(vscode.l10n.t('Cannot write {0} ({1}).', relative(uri), reason));
  }
}

export function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

function encodeOrReport(text: string, file: string): EncodeResult | undefined {
  try {
    return encodeDotenv(text, { file });
  } catch (error) {
    if (!(error instanceof DotenvSyntaxError)) throw error;
    void vscode.window.showErrorMessage(syntaxErrorMessage(error));
    return undefined;
  }
}

async function confirmDropping(uri: vscode.Uri, dropped: string[]): Promise<boolean> {
  const replace = vscode.l10n.t('Re-encode Anyway');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Re-encoding replaces {0}.', relative(uri)),
    { modal: true, detail: droppedDetail(dropped) },
    replace,
  );
  return answer === replace;
}

/** The plain `.env` whose encoded twin the env backend reads; asks when there are several. */
async function defaultEnvFile(services: Services): Promise<string | undefined> {
  const candidates = plainEnvFilesBeside(services.envSourceFiles());
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    throw new Error(
      vscode.l10n.t(
        'No plain .env file was found beside the encoded env files the env backend reads. Create the .env, then encode it with "Kestra Secrets: Encode .env File".',
      ),
    );
  }
  return vscode.window.showQuickPick(candidates, { placeHolder: vscode.l10n.t('The .env file to add the secret to') });
}

async function refuseUnsaved(uri: vscode.Uri): Promise<void> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open?.isDirty) throw new Error(vscode.l10n.t('{0} has unsaved changes: save it first.', relative(uri)));
}

async function askValue(key: string, envFile: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Add {0} to {1}', key, relative(vscode.Uri.file(envFile))),
    prompt: vscode.l10n.t('Value of {0} (stored in the .env file and encoded for Kestra)', key),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value === '' ? vscode.l10n.t('Enter a value.') : undefined),
  });
}
