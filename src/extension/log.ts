/** The extension's log: one LogOutputChannel, adapted to the core's `Logger`. Never given a secret value. */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { redact } from '../core/redaction';

export const LOG_CHANNEL_NAME = 'Kestra Secrets';

const WRITERS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/** The extension's one log channel; whatever is written to it passes through core/redaction first. */
export function createLogChannel(): vscode.LogOutputChannel {
  const channel = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  return new Proxy(channel, {
    get(target, property, receiver) {
      const member: unknown = Reflect.get(target, property, receiver);
      if (!WRITERS.has(property) || typeof member !== 'function') return member;
      return (message: unknown, ...rest: unknown[]) =>
        (member as (...args: unknown[]) => unknown).call(target, redactedMessage(message), ...rest);
    },
  });
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

function redactedMessage(message: unknown): unknown {
  if (typeof message === 'string') return redact(message);
  return message instanceof Error ? redact(message.message) : message;
}

/** A message for the log or a notification from anything thrown: the error's own message, never its stack, redacted. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return redact(error.message);
  return typeof error === 'string' ? redact(error) : 'unknown error';
}

/** Runs background work, logging a failure instead of leaving an unhandled rejection. */
export function runInBackground(log: vscode.LogOutputChannel, what: string, work: () => Promise<unknown>): void {
  work().catch((error: unknown) => log.error(`${what} failed: ${describeError(error)}`));
}
