/**
 * `.env` files of Kestra open source, as text and as file names: the line a new variable takes, the
 * variables a re-encoding would drop, and which file is the plain or the encoded twin of which.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DotenvSyntaxError, formatDotenvValue, parseDotenv } from '../../core/dotenv';
import { ENCODED_SUFFIX } from '../../core/setup';
import { l10n } from './l10n';

/** Names a `.env` variable can take (the editor's commands add only these). */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** `KEY=<value>` on a line of its own, the value spelled by the core printer (Compose reads it back exactly). */
export function appendVariable(text: string, key: string, value: string): string {
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}${key}=${formatDotenvValue(value)}\n`;
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

/** The 0-based line where `key` is defined (compared as Kestra does, upper-cased), or undefined. */
export function definitionLine(text: string, file: string, key: string): number | undefined {
  try {
    return parseDotenv(text, file).entries.find((entry) => entry.key.toUpperCase() === key)?.line;
  } catch {
    return undefined;
  }
}

/** Defence against a printer/parser mismatch: the appended line must read back as exactly the value. */
export function assertReadsBack(text: string, file: string, key: string, value: string): void {
  const entries = parseDotenv(text, file).entries.filter((entry) => entry.key === key);
  if (entries.at(-1)?.value !== value) {
    throw new Error(l10n.t('{0} could not be written so that Docker Compose reads it back unchanged; nothing was written.', key));
  }
}

export function syntaxErrorMessage(error: DotenvSyntaxError): string {
  return l10n.t('{0}:{1}:{2}: {3}. Nothing was written.', error.file, error.line + 1, error.column + 1, error.reason);
}

/** `.env`, `.env.local`, `prod.env`: what the encode command takes from the active editor. */
export function isPlainEnvFile(file: string): boolean {
  const base = path.basename(file);
  return !base.includes(ENCODED_SUFFIX) && (/^\.env(\..+)?$/.test(base) || /.\.env$/.test(base));
}

export function isEncodedEnvFile(file: string): boolean {
  return path.basename(file).endsWith(ENCODED_SUFFIX);
}

/** `.env_encoded` → `.env`, `prod.env_encoded` → `prod.env`, when that file exists. */
export function plainEnvFileFor(encodedFile: string): string | undefined {
  const base = path.basename(encodedFile);
  if (!base.endsWith('_encoded')) return undefined;
  const candidate = path.join(path.dirname(encodedFile), base.slice(0, -'_encoded'.length));
  return fs.existsSync(candidate) ? candidate : undefined;
}

/** The plain `.env` files beside the encoded env files the env backend reads, each once. */
export function plainEnvFilesBeside(encodedFiles: string[]): string[] {
  return [...new Set(encodedFiles.flatMap((encoded) => plainEnvFileFor(encoded) ?? []))];
}
