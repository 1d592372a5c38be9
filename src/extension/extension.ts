/**
 * activate(): builds the services, registers the editor features and pushes every disposable;
 * nothing heavy happens here. Configuration loading, the workspace scan and the first diagnostics
 * pass start right after activation, in the background.
 *
 * The Secrets view and the commands plug in through
 * `registerSecretsTree(context, services): vscode.TreeDataProvider<T>` (./secretsTree) and
 * `registerCommands(context, services): void` (./commands); the API's `treeItems()` walks the
 * returned provider with `snapshotTree` (./api).
 */
import * as vscode from 'vscode';
import { snapshotTree, type KestraSecretsApi } from './api';
import { registerCommands } from './features/commands';
import { registerCompletion } from './features/completion';
import { SecretDiagnostics } from './features/diagnostics';
import { registerHover } from './features/hover';
import { registerMoveToSecret } from './features/moveToSecret';
import { createLogChannel, runInBackground } from './log';
import { registerQuickFixes } from './features/quickFixes';
import { registerSecretsTree, type SecretsNode } from './features/secretsTree';
import { ExtensionServices } from './services';

export function activate(context: vscode.ExtensionContext): KestraSecretsApi {
  const started = performance.now();
  const log = createLogChannel();
  const logReady = performance.now();
  const services = new ExtensionServices(context, log);
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
    treeItems: async () => (tree ? snapshotTree(tree) : []),
  };
}

function registerViewAndCommands(context: vscode.ExtensionContext, services: ExtensionServices): vscode.TreeDataProvider<SecretsNode> {
  const tree = registerSecretsTree(context, services);
  registerCommands(context, services, tree);
  return tree;
}

export function deactivate(): void {}
