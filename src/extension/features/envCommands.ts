/**
 * The `.env` commands of Kestra open source: encode a `.env` into the `SECRET_<KEY>=<base64>` file
 * Kestra reads (the core encoder, so the same bytes as `kestra-secrets encode`), decode one into an
 * untitled editor, and add a missing key to the `.env` then re-encode it (shared/envFileEdits.ts).
 * Values never reach a log or a message; a malformed file is reported by line and column and nothing
 * is written.
 */
import * as vscode from 'vscode';
import { DotenvSyntaxError } from '../../core/dotenv';
import { decodeEncodedEnv, encodeDotenv, type EncodeResult } from '../../core/secretEnv';
import { encodedFileFor } from '../../core/setup';
import { COMMANDS } from '../contributions';
import { registerCommands } from '../shared/commandRegistration';
import { addToEnvFile, droppedDetail, exists, readText, relative, reportResult, writeFileAtomic } from '../shared/envFileEdits';
import { droppedKeys, isEncodedEnvFile, isPlainEnvFile, syntaxErrorMessage } from '../logic/envFiles';
import type { AddToEnvFileArgs, Services } from '../services';

export function registerEnvCommands(context: vscode.ExtensionContext, services: Services): void {
  registerCommands(context, services, {
    [COMMANDS.encodeEnvFile]: (argument) => encodeEnvFile(services, argument),
    [COMMANDS.decodeEnvFile]: (argument) => decodeEnvFile(services, argument),
    [COMMANDS.addToEnvFile]: (argument) => addToEnvFile(services, argument as Partial<AddToEnvFileArgs> | undefined),
  });
}

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

async function reportSyntaxError(source: vscode.Uri, error: DotenvSyntaxError): Promise<void> {
  const goTo = vscode.l10n.t('Go to Line');
  const answer = await vscode.window.showErrorMessage(syntaxErrorMessage(error), goTo);
  if (answer !== goTo) return;
  const position = new vscode.Position(error.line, error.column);
  await vscode.window.showTextDocument(source, { selection: new vscode.Range(position, position) });
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
