/**
 * The `.env` commands of Kestra open source: encode a `.env` into the `SECRET_<KEY>=<base64>` file
 * Kestra reads (the core encoder, so the same bytes as `kestra-secrets encode`), decode one into an
 * untitled editor, and add a missing key to the `.env` then re-encode it. Values never reach a log or
 * a message; a malformed file is reported by line and column and nothing is written.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic as writeFileAtomicOnDisk } from '../../core/atomicWrite';
import { decodeEncodedEnv, DotenvSyntaxError, encodeDotenv, formatDotenvValue, parseDotenv, type EncodeResult } from '../../core/dotenv';
import { ENCODED_SUFFIX, encodedFileFor } from '../../core/setup';
import { plainEnvFileFor } from './quickFixes';
import type { AddToEnvFileArgs, Services } from '../services';

/** Mode of a new encoded file: it holds secrets (the CLI uses the same). */
const NEW_FILE_MODE = 0o600;
const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Where the encoded twin of a `.env` file goes: one rule, in the core, shared with the CLI. */
export { encodedFileFor };

/** `kestraSecrets.encodeEnvFile`: returns the written file, or undefined when nothing was written. */
export async function encodeEnvFile(services: Services, argument?: unknown): Promise<vscode.Uri | undefined> {
  const source = await targetFile(argument, isPlainEnvFile, vscode.l10n.t('Choose the .env file to encode'));
  if (!source) return undefined;
  const output = vscode.Uri.file(encodedFileFor(source.fsPath));
  const result = await convert(source, (text, file) => encodeDotenv(text, { file }));
  if (!result) return undefined;
  if ((await exists(output)) && !(await confirmOverwrite(output, result.text))) return undefined;
  await writeFileAtomic(output, result.text);
  reportResult(
    services,
    result,
    vscode.l10n.t('Encoded {0} variable(s) from {1} into {2}.', result.count, relative(source), relative(output)),
  );
  return output;
}

/** `kestraSecrets.decodeEnvFile`: opens the decoded `.env` text in an untitled editor; writes no file. */
export async function decodeEnvFile(services: Services, argument?: unknown): Promise<vscode.TextDocument | undefined> {
  const source = await targetFile(argument, isEncodedEnvFile, vscode.l10n.t('Choose the encoded env file to decode'));
  if (!source) return undefined;
  const result = await convert(source, (text, file) => decodeEncodedEnv(text, { file }));
  if (!result) return undefined;
  const language = (await vscode.languages.getLanguages()).includes('dotenv') ? 'dotenv' : 'properties';
  const document = await vscode.workspace.openTextDocument({ language, content: result.text });
  await vscode.window.showTextDocument(document, { preview: false });
  reportResult(services, result, vscode.l10n.t('Decoded {0} variable(s) from {1} into an unsaved editor.', result.count, relative(source)));
  return document;
}

/**
 * `kestraSecrets.addToEnvFile`: asks for the value of `key` (unless `value` is given: "Move to secret"
 * passes the credential it moves), appends `KEY=<value>` to the plain `.env` and re-encodes it into its
 * `.env_encoded`, then refreshes so the missing-key diagnostic goes away.
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
  const defined = definitionOf(text, envFile, name);
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

/** `KEY=<value>` on a line of its own, the value spelled by the core printer (Compose reads it back exactly). */
export function appendVariable(text: string, key: string, value: string): string {
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}${key}=${formatDotenvValue(value)}\n`;
}

// ---------------------------------------------------------------------------------------------------

/** `.env`, `.env.local`, `prod.env`: what the encode command takes from the active editor. */
export function isPlainEnvFile(file: string): boolean {
  const base = path.basename(file);
  return !base.includes(ENCODED_SUFFIX) && (/^\.env(\..+)?$/.test(base) || /.\.env$/.test(base));
}

export function isEncodedEnvFile(file: string): boolean {
  return path.basename(file).endsWith(ENCODED_SUFFIX);
}

/** The Uri argument, else the active editor's file when it fits, else one the user picks. */
async function targetFile(argument: unknown, fits: (file: string) => boolean, title: string): Promise<vscode.Uri | undefined> {
  if (argument instanceof vscode.Uri) return argument;
  const active = vscode.window.activeTextEditor?.document;
  if (active && !active.isUntitled && fits(active.uri.path)) return active.uri;
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, openLabel: vscode.l10n.t('Select') });
  return picked?.[0];
}

/** Reads (the editor's text when open) and converts; a malformed file is reported and gives undefined. */
async function convert(source: vscode.Uri, run: (text: string, file: string) => EncodeResult): Promise<EncodeResult | undefined> {
  const text = await readText(source);
  try {
    return run(text, relative(source));
  } catch (error) {
    if (!(error instanceof DotenvSyntaxError)) throw error;
    await reportSyntaxError(source, error);
    return undefined;
  }
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

export function syntaxErrorMessage(error: DotenvSyntaxError): string {
  return vscode.l10n.t('{0}:{1}:{2}: {3}. Nothing was written.', error.file, error.line + 1, error.column + 1, error.reason);
}

async function reportSyntaxError(source: vscode.Uri, error: DotenvSyntaxError): Promise<void> {
  const goTo = vscode.l10n.t('Go to Line');
  const answer = await vscode.window.showErrorMessage(syntaxErrorMessage(error), goTo);
  if (answer !== goTo) return;
  const position = new vscode.Position(error.line, error.column);
  await vscode.window.showTextDocument(source, { selection: new vscode.Range(position, position) });
}

function reportResult(services: Services, result: EncodeResult, summary: string): void {
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

async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open) return open.getText();
  if (uri.scheme === 'file') return fs.readFile(uri.fsPath, 'utf8');
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function confirmOverwrite(uri: vscode.Uri, replacement: string): Promise<boolean> {
  const dropped = droppedKeys(await readText(uri), replacement);
  const replace = vscode.l10n.t('Replace');
  const detail = dropped.length > 0 ? droppedDetail(dropped) : vscode.l10n.t('Its current content is lost.');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} already exists. Replace it?', relative(uri)),
    { modal: true, detail },
    replace,
  );
  return answer === replace;
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

function droppedDetail(dropped: string[]): string {
  return vscode.l10n.t('These variables are in it but not in the .env file, and would be lost: {0}.', dropped.join(', '));
}

/** Variable names the current file defines and the replacement does not (names only, never values). */
export function droppedKeys(current: string, replacement: string): string[] {
  const names = (text: string) => {
    try {
      return new Set(parseDotenv(text).entries.map((entry) => entry.key));
    } catch {
      return new Set<string>();
    }
  };
  const kept = names(replacement);
  return [...names(current)].filter((name) => !kept.has(name)).sort();
}

/**
 * Writes through a temporary file and a rename (core/atomicWrite): owner-only, and never through a
 * symbolic link; `keepExistingMode` keeps a plain `.env`'s own permissions.
 */
async function writeFileAtomic(uri: vscode.Uri, text: string, options: { keepExistingMode?: boolean } = {}): Promise<void> {
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

/** The plain `.env` whose encoded twin the env backend reads; asks when there are several. */
async function defaultEnvFile(services: Services): Promise<string | undefined> {
  const candidates = [...new Set(services.envSourceFiles().flatMap((encoded) => plainEnvFileFor(encoded) ?? []))];
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

/** The 0-based line where `key` is defined (compared as Kestra does, upper-cased), or undefined. */
function definitionOf(text: string, file: string, key: string): number | undefined {
  try {
    return parseDotenv(text, file).entries.find((entry) => entry.key.toUpperCase() === key)?.line;
  } catch {
    return undefined;
  }
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

/** Defence against a printer/parser mismatch: the appended line must read back as exactly the value. */
function assertReadsBack(text: string, file: string, key: string, value: string): void {
  const entries = parseDotenv(text, file).entries.filter((entry) => entry.key === key);
  if (entries.at(-1)?.value !== value) {
    throw new Error(vscode.l10n.t('{0} could not be written so that Docker Compose reads it back unchanged; nothing was written.', key));
  }
}

function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}
