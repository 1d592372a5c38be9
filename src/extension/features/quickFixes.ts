/**
 * Quick fixes for the problems `diagnostics.ts` shows: "Change to 'X'" for each near miss, create
 * the missing secret where the store is writable, add it to the workspace's `.env` and re-encode
 * (env secrets), and re-encode an encoded env file whose value is not valid base64.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import type { SecretBackend } from '../../core/store';
import type { Problem } from '../../core/types';
import { COMMANDS, type CommandId } from '../contributions';
import { plainEnvFileFor } from '../logic/envFiles';
import type { AddToEnvFileArgs, CreateSecretArgs, Services } from '../services';
import { toVsRange } from '../shared/convert';
import { lookupNamespace } from '../shared/documentContext';
import type { ProblemSource } from '../shared/problemSource';

const MAX_ENV_FILE_FIXES = 3;

export function registerQuickFixes(services: Services, diagnostics: ProblemSource): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(
    [{ language: 'yaml' }, { language: 'dotenv' }, { pattern: '**/*.env_encoded' }, { pattern: '**/.env*' }],
    new SecretQuickFixes(services, diagnostics),
    { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
  );
}

export class SecretQuickFixes implements vscode.CodeActionProvider {
  constructor(
    private readonly services: Services,
    private readonly diagnostics: ProblemSource,
  ) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const problem of this.diagnostics.problemsAt(document.uri, range)) {
      const diagnostic = this.matchingDiagnostic(document.uri, problem);
      switch (problem.code) {
        case 'missing-secret':
          actions.push(...renameActions(document, problem, diagnostic), ...this.createActions(document, problem, diagnostic));
          break;
        case 'missing-subkey':
        case 'unverified-secret':
          actions.push(...renameActions(document, problem, diagnostic));
          break;
        case 'invalid-base64':
        case 'key-collision':
          actions.push(...reencodeActions(document, diagnostic));
          break;
        case 'backend-error':
          actions.push(...backendErrorActions(diagnostic));
          break;
        case 'pebble-syntax':
          actions.push(...bashLengthEscapeActions(document, problem, diagnostic));
          break;
      }
    }
    return actions;
  }

  private matchingDiagnostic(uri: vscode.Uri, problem: Problem): vscode.Diagnostic | undefined {
    const range = toVsRange(problem.range);
    return vscode.languages
      .getDiagnostics(uri)
      .find((diagnostic) => diagnostic.code === problem.code && diagnostic.range.isEqual(range) && diagnostic.message === problem.message);
  }

  private createActions(document: vscode.TextDocument, problem: Problem, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
    const key = problem.data?.key;
    const catalog = this.services.catalog;
    if (!key || !catalog) return [];
    const namespace = problem.data?.namespace ?? safeLookupNamespace(catalog, document);
    if (!namespace) return [];
    let backend: SecretBackend;
    try {
      backend = catalog.backendFor(namespace);
    } catch {
      return [];
    }
    if (!backend.readOnly) {
      const args: CreateSecretArgs = { namespace, key };
      const title = backend.namespaced
        ? vscode.l10n.t("Create secret '{0}' in {1}", key, namespace)
        : vscode.l10n.t("Create secret '{0}' in {1}", key, backend.label);
      return [commandAction(title, COMMANDS.createSecret, args, diagnostic)];
    }
    if (backend.type === 'env') return this.envFileActions(key, diagnostic);
    return [];
  }

  /** For Kestra's env secrets: the plain `.env` files whose encoded twin the backend reads. */
  private envFileActions(key: string, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
    const pairs: { envFile: string; encodedFile: string }[] = [];
    for (const encodedFile of this.services.envSourceFiles()) {
      const envFile = plainEnvFileFor(encodedFile);
      if (envFile && pairs.length < MAX_ENV_FILE_FIXES) pairs.push({ envFile, encodedFile });
    }
    return pairs.map((pair) => {
      const args: AddToEnvFileArgs = { key, envFile: pair.envFile, encodedFile: pair.encodedFile };
      const title = vscode.l10n.t("Add '{0}' to {1} and re-encode", key, vscode.workspace.asRelativePath(pair.envFile));
      return commandAction(title, COMMANDS.addToEnvFile, args, diagnostic);
    });
  }
}

/**
 * Kestra cuts `{% raw %}…{% endraw %}` out before Pebble parses and puts its content back after
 * rendering, so this prints `{#` exactly; it holds no quote, so it is safe in every YAML scalar style.
 */
export const ESCAPED_COMMENT_OPENER = '{% raw %}{#{% endraw %}';

/** Bash's `${#…}` (an array's length) opens a Pebble comment Kestra can't close: escape the `{#`. */
function bashLengthEscapeActions(
  document: vscode.TextDocument,
  problem: Problem,
  diagnostic: vscode.Diagnostic | undefined,
): vscode.CodeAction[] {
  if (!problem.message.includes('Unclosed comment.')) return [];
  const range = toVsRange(problem.range);
  if (!range.isSingleLine || range.start.character === 0 || document.getText(range) !== '{#') return [];
  if (document.getText(new vscode.Range(range.start.translate(0, -1), range.start)) !== '$') return [];
  const action = new vscode.CodeAction(
    vscode.l10n.t('Write {0} so that Kestra prints it as written', ESCAPED_COMMENT_OPENER),
    vscode.CodeActionKind.QuickFix,
  );
  action.edit = new vscode.WorkspaceEdit();
  action.edit.replace(document.uri, range, ESCAPED_COMMENT_OPENER);
  action.isPreferred = true;
  if (diagnostic) action.diagnostics = [diagnostic];
  return [action];
}

function renameActions(document: vscode.TextDocument, problem: Problem, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
  const range = toVsRange(problem.range);
  if (!range.isSingleLine) return [];
  return (problem.data?.suggestions ?? []).map((suggestion, index) => {
    const action = new vscode.CodeAction(vscode.l10n.t("Change to '{0}'", suggestion), vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, range, suggestion);
    action.isPreferred = index === 0;
    if (diagnostic) action.diagnostics = [diagnostic];
    return action;
  });
}

/** A store that can't be listed: usually credentials, sometimes a store that was down for a moment. */
function backendErrorActions(diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
  return [
    commandAction(vscode.l10n.t('Set credentials…'), COMMANDS.setCredentials, undefined, diagnostic),
    commandAction(vscode.l10n.t('Retry (refresh the secrets)'), COMMANDS.refresh, undefined, diagnostic),
    commandAction(vscode.l10n.t('Show the Kestra Secrets log'), COMMANDS.showLog, undefined, diagnostic),
  ];
}

/** An encoded env file with a bad value is best regenerated from its plain `.env`, when there is one. */
function reencodeActions(document: vscode.TextDocument, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
  if (document.uri.scheme !== 'file') return [];
  const envFile = plainEnvFileFor(document.uri.fsPath);
  if (!envFile) return [];
  const title = vscode.l10n.t('Re-encode from {0}', vscode.workspace.asRelativePath(envFile));
  return [commandAction(title, COMMANDS.encodeEnvFile, vscode.Uri.file(envFile), diagnostic)];
}

function commandAction(title: string, command: CommandId, argument: unknown, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction {
  const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
  action.command = { title, command, arguments: argument === undefined ? [] : [argument] };
  if (diagnostic) action.diagnostics = [diagnostic];
  return action;
}

function safeLookupNamespace(catalog: SecretCatalog, document: vscode.TextDocument): string | undefined {
  try {
    return lookupNamespace(catalog, undefined, document);
  } catch {
    return undefined;
  }
}
