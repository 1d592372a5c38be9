/** Text shown about a secret (never its value): its description in the view, its tags, and Markdown escaping. */
import type { VisibleSecret } from '../../core/catalogTypes';
import { l10n } from './l10n';

/** Tags every Kestra-managed secret carries; repeating them in a description adds nothing. */
const IDENTITY_TAGS = new Set(['namespace', 'key', 'prefix', 'tenant']);

/** A secret's tags without the identity tags Kestra writes itself (namespace, key, prefix, tenant). */
export function userTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!tags) return undefined;
  const kept = Object.entries(tags).filter(([name]) => !IDENTITY_TAGS.has(name));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** "inherited from a.b", tags, else the source; "(stale)" when the listing is the last known one. */
export function secretDescription(node: { secret: VisibleSecret; stale: boolean }): string | undefined {
  const { secret } = node;
  const parts: string[] = [];
  if (secret.inherited && secret.fromNamespace) parts.push(l10n.t('inherited from {0}', secret.fromNamespace));
  const tags = Object.entries(userTags(secret.tags) ?? {});
  if (tags.length > 0) parts.push(tags.map(([name, value]) => `${name}=${value}`).join(', '));
  else if (!secret.inherited && secret.source) parts.push(secret.source);
  if (node.stale) parts.push(l10n.t('(stale)'));
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** Escapes Markdown so that store-provided text (descriptions, tags) renders literally where theme icons are off. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}

/** Escapes Markdown where theme icons are on (hovers, completion documentation): `$` too, so `$(x)` stays text. */
export function escapeIconMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, (char) => `\\${char}`);
}

/** Escapes Markdown except inside `code spans` (which the core uses for expressions). */
export function escapeOutsideCode(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? part : escapeIconMarkdown(part)))
    .join('');
}

/** A code span; a backtick inside becomes a quote, so the span can't be closed early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
