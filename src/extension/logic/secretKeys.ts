/** The keys the editor lets a user give a new secret. */
import { isValidNamespace } from '../../core/namespaces';
import { l10n } from './l10n';

/** Kestra keys: no blanks or quotes, so that `secret('KEY')` can name them; stores add their own limits. */
export const KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
export const MAX_KEY_LENGTH = 255;

/** Why a key can't be used, in a sentence, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return l10n.t('Enter a key.');
  if (key.length > MAX_KEY_LENGTH) return l10n.t('At most {0} characters.', MAX_KEY_LENGTH);
  if (!KEY_PATTERN.test(key)) return l10n.t('Use letters, digits, _, ., - and /, starting with a letter, a digit or _.');
  return undefined;
}

/** The valid parts of a `{ namespace, key }` command argument (quick fixes pass one). */
export function createArguments(argument: unknown): { namespace?: string; key?: string } {
  const given = argument as { namespace?: unknown; key?: unknown } | undefined;
  if (!given || typeof given !== 'object') return {};
  return {
    namespace: typeof given.namespace === 'string' && isValidNamespace(given.namespace) ? given.namespace : undefined,
    key: typeof given.key === 'string' && KEY_PATTERN.test(given.key) ? given.key : undefined,
  };
}
