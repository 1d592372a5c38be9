/**
 * activate(): builds the services, registers the editor features and pushes every disposable;
 * nothing heavy happens here. It is loaded by the extension's entry (bootstrap.ts, dist/extension.js), which
 * has started the first analysis worker by then. Configuration loading, the workspace scan and the first diagnostics
 * pass start right after activation, in the background.
 *
 * Each feature under `features/` registers its own providers and commands and imports no other
 * feature; what they share is under `shared/` (editor helpers) and `logic/` (vscode-free). The
 * Secrets view's provider also serves the API's `treeItems()` through `snapshotTree` (./api).
 */
import * as vscode from 'vscode';
import { findTreeElement, snapshotTree, type KestraSecretsApi } from './api';
import type { EarlyWorker } from './earlyWorker';
import { registerSecretCommands } from './features/commands';
import { registerCompletion } from './features/completion';
import { registerCredentialsCommand } from './features/credentials';
import { SecretDiagnostics } from './features/diagnostics';
import { registerEnvCommands } from './features/envCommands';
import { registerHover } from './features/hover';
import { registerMoveToSecret } from './features/moveToSecret';
import { registerQuickFixes } from './features/quickFixes';
import { registerReferenceCommands } from './features/references';
import { registerSecretsTree, type SecretsTreeProvider } from './features/secretsTree';
import { createLogChannel, runInBackground } from './log';
import { useTranslator } from './logic/l10n';
import { ExtensionServices } from './services';

/** `earlyWorker`: the first analysis worker, which the extension's entry started before loading this (bootstrap.ts). */
export function activate(context: vscode.ExtensionContext, earlyWorker?: EarlyWorker): KestraSecretsApi {
  const started = performance.now();
  useTranslator(vscode.l10n.t);
  const log = createLogChannel();
  const logReady = performance.now();
  const services = new ExtensionServices(context, log, earlyWorker);
  const diagnostics = new SecretDiagnostics(services);
  context.subscriptions.push(
    log,
    services,
    diagnostics,
    registerCompletion(services),
    registerHover(services),
    registerQuickFixes(services, diagnostics),
  );
  registerMoveToSecret(context, services, diagnostics);
  const featuresReady = performance.now();
  const tree = registerViewAndCommands(context, services);

  const background = new Promise<void>((resolve) => {
    setTimeout(() => {
      services.start();
      runInBackground(log, 'Checking the workspace', () => diagnostics.start());
      resolve();
    }, 0);
  });
  const activationMs = performance.now() - started;
  log.debug(
    `Activated in ${activationMs.toFixed(1)} ms (log ${(logReady - started).toFixed(1)}, editor features ${(featuresReady - logReady).toFixed(1)}, view and commands ${(started + activationMs - featuresReady).toFixed(1)})`,
  );

  return {
    activationMs,
    async catalogReady() {
      await background;
      await Promise.all([services.ready(), services.flows.ready()]);
      await diagnostics.settled();
    },
    treeItems: async () => snapshotTree(tree),
    treeElement: async (labels) => findTreeElement(tree, labels),
  };
}

/** The Secrets view, then the commands that read its selection when run from elsewhere. */
function registerViewAndCommands(context: vscode.ExtensionContext, services: ExtensionServices): SecretsTreeProvider {
  const tree = registerSecretsTree(context, services);
  registerSecretCommands(context, services, tree);
  registerReferenceCommands(context, services, tree);
  registerEnvCommands(context, services);
  registerCredentialsCommand(context, services);
  return tree;
}

export function deactivate(): void {}
