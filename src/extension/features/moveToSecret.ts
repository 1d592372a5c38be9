/**
 * "Move to secret…" for the `hardcoded-secret` warnings: stores the credential where the flow's
 * namespace reads secrets (a writable store: a new secret there; Kestra's env secrets: a line in the
 * workspace's `.env`, re-encoded), then replaces the literal with `{{ secret('KEY') }}` in one edit.
 * A read-only store is said so, and only the reference is offered. The credential is read from the
 * document at the moment of the move and goes nowhere else: no message, log line or command result.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import type { VisibleSecrets } from '../../core/catalogTypes';
import { analyzeFlow } from '../../core/flow';
import type { HardcodedSecret } from '../../core/hardcoded';
import { LineIndex } from '../../core/lineIndex';
import { encodedFileFor } from '../../core/setup';
import type { Range } from '../../core/types';
import { COMMANDS } from '../contributions';
import { plainEnvFilesBeside } from '../logic/envFiles';
import { checkedKey, moveKeyProblem, normaliseKey, planKeys, takenKeys, uniqueKey } from '../logic/moveKeys';
import { secretReference } from '../logic/secretReferences';
import type { Services } from '../services';
import { runCommand } from '../shared/commandRegistration';
import { toVsRange } from '../shared/convert';
import { addToEnvFile } from '../shared/envFileEdits';
import type { ProblemSource } from '../shared/problemSource';

const CODE = 'hardcoded-secret';

export interface MoveToSecretArgs {
  /** The flow file (a URI string or a Uri); the active editor's when absent. */
  uri?: string | vscode.Uri;
  /** The credential's range, as the warning gives it. */
  range: Range;
  /** The secret key; asked, pre-filled with the proposal, when absent. */
  key?: string;
  /** Env secrets: the plain `.env` to append to; asked when there are several. */
  envFile?: string;
}

export interface MoveAllArgs {
  uri?: string | vscode.Uri;
  /** Skips the confirmation listing the keys (the keys are the proposals, made unique). */
  confirmed?: boolean;
  envFile?: string;
}

/** What a move did, for callers and tests: never the value. */
export interface MoveResult {
  moved: string[];
  destination: 'store' | 'env' | 'read-only';
}

type Destination =
  | { kind: 'store'; label: string; visible: VisibleSecrets }
  | { kind: 'env'; label: string; visible: VisibleSecrets; envFile: string; encodedFile: string }
  | { kind: 'read-only'; label: string; visible: VisibleSecrets };

interface PlannedMove {
  secret: HardcodedSecret;
  key: string;
}

export function registerMoveToSecret(context: vscode.ExtensionContext, services: Services, diagnostics: ProblemSource): void {
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider({ language: 'yaml' }, new MoveToSecretActions(diagnostics), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    vscode.commands.registerCommand(COMMANDS.moveToSecret, (args: MoveToSecretArgs) =>
      runCommand(services, COMMANDS.moveToSecret, () => moveToSecret(services, args)),
    ),
    vscode.commands.registerCommand(COMMANDS.moveAllToSecrets, (args?: MoveAllArgs) =>
      runCommand(services, COMMANDS.moveAllToSecrets, () => moveAllToSecrets(services, args)),
    ),
  );
}

class MoveToSecretActions implements vscode.CodeActionProvider {
  constructor(private readonly diagnostics: ProblemSource) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const here = this.diagnostics.problemsAt(document.uri, range).filter((problem) => problem.code === CODE);
    if (here.length === 0) return [];
    const inFlow = vscode.languages.getDiagnostics(document.uri).filter((diagnostic) => diagnostic.code === CODE);
    const actions = here.map((problem) => {
      const title = vscode.l10n.t('Move to secret…');
      const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      const args: MoveToSecretArgs = { uri: document.uri.toString(), range: problem.range };
      action.command = { title, command: COMMANDS.moveToSecret, arguments: [args] };
      action.diagnostics = inFlow.filter((diagnostic) => diagnostic.range.isEqual(toVsRange(problem.range)));
      action.isPreferred = true;
      return action;
    });
    if (inFlow.length > 1) {
      const title = vscode.l10n.t('Move all hardcoded credentials in this flow');
      const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      const args: MoveAllArgs = { uri: document.uri.toString() };
      action.command = { title, command: COMMANDS.moveAllToSecrets, arguments: [args] };
      action.diagnostics = inFlow;
      actions.push(action);
    }
    return actions;
  }
}

export async function moveToSecret(services: Services, args: MoveToSecretArgs | undefined): Promise<MoveResult | undefined> {
  if (!args?.range)
    throw new Error(vscode.l10n.t('Move to secret needs the position of a hardcoded credential: use the quick fix on its warning.'));
  const document = await flowDocument(args.uri);
  const analysis = analyzeFlow(document.getText());
  const secret = (analysis.hardcoded ?? []).find((found) => sameRange(found.range, args.range));
  if (!secret) throw new Error(vscode.l10n.t('There is no hardcoded credential at that place any more.'));
  const namespace = requireNamespace(analysis.namespace);
  const destination = await destinationFor(services, namespace, args.envFile);
  const proposal = uniqueKey(secret.suggestedKey, takenKeys(destination.visible));
  const key = args.key ?? (await askKey(proposal, destination, namespace));
  if (key === undefined) return undefined;
  const finalKey = checkedKey(key, destination, namespace);
  if (destination.kind === 'read-only') {
    offerReference(services, destination, finalKey);
    return { moved: [], destination: 'read-only' };
  }
  await store(services, destination, namespace, finalKey, secret.value(), analysis.id);
  await rewriteFlow(document, [{ secret, key: finalKey }]);
  services.log.info(
    `Moved the credential of \`${secret.property}\` in ${vscode.workspace.asRelativePath(document.uri)} to secret ${finalKey} (${destination.label}).`,
  );
  void vscode.window.showInformationMessage(vscode.l10n.t('Moved the credential to secret {0} ({1}).', finalKey, destination.label));
  return { moved: [finalKey], destination: destination.kind };
}

export async function moveAllToSecrets(services: Services, args: MoveAllArgs | undefined): Promise<MoveResult | undefined> {
  const document = await flowDocument(args?.uri);
  const analysis = analyzeFlow(document.getText());
  const secrets = analysis.hardcoded ?? [];
  if (secrets.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This flow has no hardcoded credential.'));
    return { moved: [], destination: 'store' };
  }
  const namespace = requireNamespace(analysis.namespace);
  const destination = await destinationFor(services, namespace, args?.envFile);
  const plan = planKeys(secrets, destination);
  if (destination.kind === 'read-only') {
    offerReference(services, destination, plan[0].key);
    return { moved: [], destination: 'read-only' };
  }
  const keys = [...new Set(plan.map((move) => move.key))];
  if (!args?.confirmed && !(await confirmMoveAll(keys, destination))) return undefined;
  const stored = new Set<string>();
  for (const move of plan) {
    if (stored.has(move.key)) continue;
    await store(services, destination, namespace, move.key, move.secret.value(), analysis.id);
    stored.add(move.key);
  }
  await rewriteFlow(document, plan);
  services.log.info(
    `Moved ${plan.length} credential(s) of ${vscode.workspace.asRelativePath(document.uri)} to secrets ${keys.join(', ')} (${destination.label}).`,
  );
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Moved {0} credential(s) to secrets {1} ({2}).', plan.length, keys.join(', '), destination.label),
  );
  return { moved: keys, destination: destination.kind };
}

// ---------------------------------------------------------------------------------------------------

async function flowDocument(uri: string | vscode.Uri | undefined): Promise<vscode.TextDocument> {
  if (uri === undefined) {
    const active = vscode.window.activeTextEditor?.document;
    if (!active) throw new Error(vscode.l10n.t('Open a flow first.'));
    return active;
  }
  return vscode.workspace.openTextDocument(typeof uri === 'string' ? vscode.Uri.parse(uri) : uri);
}

function requireNamespace(namespace: string | undefined): string {
  if (namespace === undefined) throw new Error(vscode.l10n.t('This file is not a Kestra flow with a namespace.'));
  return namespace;
}

function requireCatalog(services: Services): SecretCatalog {
  const catalog = services.catalog;
  if (!catalog) throw new Error(services.configError ?? vscode.l10n.t('The secret store is not configured.'));
  return catalog;
}

async function destinationFor(services: Services, namespace: string, envFile: string | undefined): Promise<Destination> {
  const catalog = requireCatalog(services);
  const visible = await catalog.visible(namespace);
  if (visible.error && !visible.stale)
    throw new Error(vscode.l10n.t('Secrets of namespace {0} could not be listed: {1}', namespace, visible.error));
  const label = visible.backendLabel;
  if (!visible.readOnly) return { kind: 'store', label, visible };
  if (catalog.backendFor(namespace).type !== 'env') return { kind: 'read-only', label, visible };
  const chosen = envFile ?? (await chooseEnvFile(services));
  if (!chosen) {
    throw new Error(
      vscode.l10n.t(
        'No plain .env file was found beside the encoded env files the env backend reads. Create the .env, then encode it with "Kestra Secrets: Encode .env File".',
      ),
    );
  }
  return { kind: 'env', label: vscode.workspace.asRelativePath(chosen), visible, envFile: chosen, encodedFile: encodedFileFor(chosen) };
}

/** The plain `.env` beside an encoded env file the env backend reads; asks when there are several. */
async function chooseEnvFile(services: Services): Promise<string | undefined> {
  const candidates = plainEnvFilesBeside(services.envSourceFiles());
  if (candidates.length <= 1) return candidates[0];
  return vscode.window.showQuickPick(candidates, { placeHolder: vscode.l10n.t('The .env file to add the secret to') });
}

async function askKey(proposal: string, destination: Destination, namespace: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Move to secret ({0})', destination.label),
    prompt: vscode.l10n.t('Key of the new secret for namespace {0}; the flow will read it with secret().', namespace),
    value: normaliseKey(proposal, destination),
    ignoreFocusOut: true,
    validateInput: (value) => moveKeyProblem(normaliseKey(value.trim(), destination), destination, namespace),
  });
}

async function confirmMoveAll(keys: string[], destination: Destination): Promise<boolean> {
  const move = vscode.l10n.t('Move');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Move the hardcoded credentials of this flow to {0}?', destination.label),
    { modal: true, detail: vscode.l10n.t('New secrets: {0}.', keys.join(', ')) },
    move,
  );
  return answer === move;
}

/** Not awaited: the command is done (nothing stored, the flow unchanged) whether or not the user answers. */
function offerReference(services: Services, destination: Destination, key: string): void {
  const copy = vscode.l10n.t('Copy Reference');
  services.log.info(`Move to secret: ${destination.label} is read-only; nothing was stored and the flow is unchanged.`);
  void vscode.window
    .showWarningMessage(
      vscode.l10n.t(
        '{0} is read-only: the credential cannot be stored from here. Store it as {1} in the secret store, then refer to it.',
        destination.label,
        key,
      ),
      copy,
    )
    .then((answer) => (answer === copy ? vscode.env.clipboard.writeText(secretReference(key)) : undefined));
}

async function store(
  services: Services,
  destination: Destination,
  namespace: string,
  key: string,
  value: string,
  flowId: string | undefined,
): Promise<void> {
  if (destination.kind === 'env') {
    const added = await addToEnvFile(services, { key, envFile: destination.envFile, encodedFile: destination.encodedFile }, value);
    if (!added) throw new Error(vscode.l10n.t('{0} was not added to {1}; the flow is unchanged.', key, destination.label));
    return;
  }
  const description = flowId ? vscode.l10n.t('Moved from flow {0}.{1}', namespace, flowId) : undefined;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Saving secret {0} in {1}…', key, namespace) },
    () => requireCatalog(services).put(namespace, key, value, description ? { description } : undefined),
  );
  await services.refresh();
}

/**
 * Replaces each credential with its reference, re-reading the flow after each replacement (two
 * credentials of one scalar move it twice), then applies the whole change as one edit (one undo step)
 * and saves a flow that had no unsaved changes, so that the value is left nowhere on disk.
 */
async function rewriteFlow(document: vscode.TextDocument, moves: PlannedMove[]): Promise<void> {
  const original = document.getText();
  const wasDirty = document.isDirty;
  let text = original;
  const pending = moves.map((move) => ({ value: move.secret.value(), property: move.secret.property, key: move.key }));
  for (let round = 0; pending.length > 0 && round < moves.length * 2; round++) {
    const found = analyzeFlow(text).hardcoded ?? [];
    const match = found
      .map((secret) => ({ secret, index: pending.findIndex((move) => move.value === secret.value() && move.property === secret.property) }))
      .filter((candidate) => candidate.index >= 0)
      .at(-1);
    if (!match) break;
    text = applyReplacement(text, match.secret.replacement(pending[match.index].key));
    pending.splice(match.index, 1);
  }
  if (pending.length > 0)
    throw new Error(
      vscode.l10n.t('The flow changed while moving; {0} credential(s) were stored but not replaced: undo and retry.', pending.length),
    );
  const edit = new vscode.WorkspaceEdit();
  const [start, end, replacement] = changedSpan(original, text);
  edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), replacement);
  if (!(await vscode.workspace.applyEdit(edit)))
    throw new Error(vscode.l10n.t('The flow could not be edited; the secret was stored: replace the value by hand.'));
  if (!wasDirty) await document.save();
}

function applyReplacement(text: string, replacement: { range: Range; text: string }): string {
  const lines = new LineIndex(text);
  return text.slice(0, lines.offsetAt(replacement.range.start)) + replacement.text + text.slice(lines.offsetAt(replacement.range.end));
}

/** The smallest span of `before` to replace to get `after`. */
function changedSpan(before: string, after: string): [number, number, string] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end])
    end++;
  return [start, before.length - end, after.slice(start, after.length - end)];
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}
