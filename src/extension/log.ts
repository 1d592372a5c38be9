/** The extension's log: one LogOutputChannel, adapted to the core's `Logger`. Never given a secret value. */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';

export const LOG_CHANNEL_NAME = 'Kestra Secrets';

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
}

export function coreLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (message) => channel.trace(message),
    debug: (message) => channel.debug(message),
    info: (message) => channel.info(message),
    warn: (message) => channel.warn(message),
    error: (message) => channel.error(message),
  };
}

/** A message for the log from anything thrown: the error's own message, never its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}

/** Runs background work, logging a failure instead of leaving an unhandled rejection. */
export function runInBackground(log: vscode.LogOutputChannel, what: string, work: () => Promise<unknown>): void {
  work().catch((error: unknown) => log.error(`${what} failed: ${describeError(error)}`));
}
