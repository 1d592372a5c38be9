/**
 * How every feature registers its commands: a failure becomes one error message (no stack) and a log
 * line, never an unhandled rejection; details go to the log, never a value.
 */
import * as vscode from 'vscode';
import type { CommandId } from '../contributions';
import { describeError } from '../log';
import type { Services } from '../services';

/** Runs a command; a failure becomes one error message (no stack) and a log line. */
export async function runCommand<T>(services: Services, id: string, body: () => T | Thenable<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    const message = describeError(error);
    services.log.error(`${id}: ${message}`);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}

/** Registers each handler under its command id, run through `runCommand`. */
export function registerCommands(
  context: vscode.ExtensionContext,
  services: Services,
  handlers: Partial<Record<CommandId, (...args: unknown[]) => unknown>>,
): void {
  for (const [id, handler] of Object.entries(handlers)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => runCommand(services, id, () => handler(...args))),
    );
  }
}
