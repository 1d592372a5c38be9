/**
 * The keys "Move to secret" gives the credentials it moves: the proposal made unique among the keys
 * the namespace sees, one key per distinct value, upper-cased for Kestra's env secrets.
 */
import { findVisible, type VisibleSecrets } from '../../core/catalogTypes';
import { l10n } from './l10n';

/** Keys `secret('KEY')` can name and a `.env` can hold: letters, digits, `_`, `.`, `-`. */
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MAX_KEY_LENGTH = 255;

/** Where the credentials go: a writable store, a `.env` file (env secrets), or a read-only store. */
export interface MoveTarget {
  kind: 'store' | 'env' | 'read-only';
  label: string;
  visible: VisibleSecrets;
}

export interface MovedCredential {
  suggestedKey: string;
  value(): string;
}

/** Upper-cased: a proposal never differs from an existing key by case alone. */
export function takenKeys(visible: VisibleSecrets): Set<string> {
  return new Set(visible.secrets.map((secret) => secret.key.toUpperCase()));
}

export function uniqueKey(proposal: string, taken: Set<string>): string {
  if (!taken.has(proposal.toUpperCase())) return proposal;
  for (let n = 2; ; n++) {
    const candidate = `${proposal}_${n}`;
    if (!taken.has(candidate.toUpperCase())) return candidate;
  }
}

/** One key per distinct value: the same credential twice in a flow becomes one secret. */
export function planKeys<T extends MovedCredential>(secrets: T[], target: MoveTarget): { secret: T; key: string }[] {
  const taken = takenKeys(target.visible);
  const byValue = new Map<string, string>();
  return secrets.map((secret) => {
    const value = secret.value();
    let key = byValue.get(value);
    if (key === undefined) {
      key = uniqueKey(normaliseKey(secret.suggestedKey, target), taken);
      taken.add(key.toUpperCase());
      byValue.set(value, key);
    }
    return { secret, key };
  });
}

/** Kestra upper-cases env secret names: a key for a `.env` is written upper-cased. */
export function normaliseKey(key: string, target: MoveTarget): string {
  return target.kind === 'env' ? key.toUpperCase() : key;
}

/** Why a key can't take the credential (badly formed, or taken for this namespace), or undefined. */
export function moveKeyProblem(key: string, target: MoveTarget, namespace: string): string | undefined {
  if (!KEY_PATTERN.test(key) || key.length > MAX_KEY_LENGTH)
    return l10n.t('A key is letters, digits, _, . and -, starting with a letter or _.');
  const caseInsensitive = target.visible.caseInsensitive || target.kind === 'env';
  const existing = findVisible({ ...target.visible, caseInsensitive }, caseInsensitive ? key.toUpperCase() : key);
  if (existing)
    return l10n.t(
      "Secret '{0}' already exists for namespace {1} ({2}): choose another key.",
      existing.key,
      namespace,
      existing.fromNamespace ?? target.label,
    );
  return undefined;
}

/** The key as given (trimmed, normalised), or an error saying why it can't be used. */
export function checkedKey(key: string, target: MoveTarget, namespace: string): string {
  const trimmed = normaliseKey(key.trim(), target);
  const problem = moveKeyProblem(trimmed, target, namespace);
  if (problem) throw new Error(problem);
  return trimmed;
}
