import type { Logger } from '../../src/core/log';
import type { BackendContext } from '../../src/core/store';

/** A Logger that keeps every line as `<level> <message>`, so tests can assert that no value leaks. */
export function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** A backend context for the store tests: no workspace, a short request timeout, every line recorded. */
export function testBackendContext(lines: string[], overrides: Partial<BackendContext> = {}, timeoutMs = 2000): BackendContext {
  return {
    log: recordingLogger(lines),
    tenant: 'main',
    readValuesForSubkeys: false,
    env: { KESTRA_SECRETS_TIMEOUT_MS: String(timeoutMs) },
    ...overrides,
  };
}
