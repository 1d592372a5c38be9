import type { Logger } from '../../src/core/log';

/** A Logger that keeps every line as `<level> <message>`, so tests can assert that no value leaks. */
export function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}
