/**
 * The extension's entry (dist/extension.js). It starts the first analysis worker, then loads the rest of the
 * extension (dist/extensionMain.js, from extension.ts): the worker boots and loads its parser on its own thread
 * while the editor's thread loads our code, 40–60 ms that the first diagnostics pass no longer waits for.
 */
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type * as extensionModule from './extension';
import { ANALYSIS_WORKER_FILE, EarlyWorker } from './earlyWorker';

const earlyWorker = EarlyWorker.start(path.join(__dirname, ANALYSIS_WORKER_FILE));
const extension = loadTheRest();

/** A path esbuild leaves alone: the rest of the extension is a bundle of its own (scripts/build.mjs). */
function loadTheRest(): typeof extensionModule {
  try {
    return require(path.join(__dirname, 'extensionMain.js')) as typeof extensionModule;
  } catch (error) {
    // No extension to hand the worker to: it stops, and VS Code reports the failed activation.
    const adopted = earlyWorker.adopt();
    if ('worker' in adopted) void adopted.worker.terminate().catch(() => undefined);
    throw error;
  }
}

export function activate(context: vscode.ExtensionContext): ReturnType<typeof extensionModule.activate> {
  return extension.activate(context, earlyWorker);
}

export function deactivate(): void {
  extension.deactivate();
}
