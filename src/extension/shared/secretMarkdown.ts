/**
 * Markdown about a secret, shared by hovers and completion documentation: everything known about it
 * (namespace, what it shadows, backend, read-only, tags, description, last change, where it is
 * defined, fields) and never its value. Untrusted: no command link can run from it.
 */
import * as vscode from 'vscode';
import type { VisibleSecret, VisibleSecrets } from '../../core/catalogTypes';
import { code, escapeIconMarkdown as escapeMarkdown } from '../logic/secretText';

export function newMarkdown(): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString('', true);
  markdown.isTrusted = false;
  return markdown;
}

/** Everything known about a secret, never its value. */
export function appendSecret(
  markdown: vscode.MarkdownString,
  secret: VisibleSecret,
  visible: VisibleSecrets,
  subkeys: string[] | undefined,
): void {
  const lock = visible.readOnly ? ` · $(lock) ${escapeMarkdown(vscode.l10n.t('read-only'))}` : '';
  markdown.appendMarkdown(`$(key) **${escapeMarkdown(secret.key)}**${lock}\n\n`);
  const lines: string[] = [];
  const origin = resolutionLine(secret, visible);
  if (origin) lines.push(origin);
  lines.push(`${escapeMarkdown(vscode.l10n.t('Backend:'))} ${escapeMarkdown(visible.backendLabel)}`);
  if (secret.description) lines.push(escapeMarkdown(secret.description));
  const tags = Object.entries(secret.tags ?? {});
  if (tags.length > 0)
    lines.push(`${escapeMarkdown(vscode.l10n.t('Tags:'))} ${tags.map(([name, value]) => code(`${name}=${value}`)).join(' ')}`);
  if (secret.updated) lines.push(`${escapeMarkdown(vscode.l10n.t('Last changed:'))} ${escapeMarkdown(formatDate(secret.updated))}`);
  if (secret.namesOnly && secret.source) {
    lines.push(escapeMarkdown(vscode.l10n.t('Name only, from {0}: the value and its fields are unknown here.', secret.source)));
  }
  const definedAt = definitionLink(secret);
  if (definedAt) lines.push(`${escapeMarkdown(vscode.l10n.t('Defined in'))} ${definedAt}`);
  else if (secret.source) lines.push(`${escapeMarkdown(vscode.l10n.t('Source:'))} ${escapeMarkdown(secret.source)}`);
  if (subkeys && subkeys.length > 0) lines.push(`${escapeMarkdown(vscode.l10n.t('Fields:'))} ${subkeys.map(code).join(', ')}`);
  else if (secret.valueKind === 'not-json-object') lines.push(escapeMarkdown(vscode.l10n.t('Not a JSON object (no fields).')));
  markdown.appendMarkdown(lines.join('  \n'));
  appendListingState(markdown, visible);
}

/** A stale or failed listing says so below what it shows. */
export function appendListingState(markdown: vscode.MarkdownString, visible: VisibleSecrets): void {
  if (visible.stale) {
    markdown.appendMarkdown(`\n\n$(warning) ${escapeMarkdown(vscode.l10n.t('Last known listing: {0}', visible.error ?? ''))}`);
  } else if (visible.error) {
    markdown.appendMarkdown(`\n\n$(error) ${escapeMarkdown(visible.error)}`);
  }
}

function resolutionLine(secret: VisibleSecret, visible: VisibleSecrets): string | undefined {
  if (secret.fromNamespace === undefined) return undefined;
  const from = secret.inherited
    ? vscode.l10n.t('Inherited from namespace {0} (used by {1})', secret.fromNamespace, visible.namespace)
    : vscode.l10n.t('Own secret of namespace {0}', secret.fromNamespace);
  const shadows = secret.shadows.length > 0 ? ` · ${vscode.l10n.t('shadows the one in {0}', secret.shadows.join(', '))}` : '';
  return escapeMarkdown(from + shadows);
}

function definitionLink(secret: VisibleSecret): string | undefined {
  if (secret.location) {
    const { file, line } = secret.location;
    const uri = vscode.Uri.file(file).with({ fragment: `L${line + 1}` });
    const label = `${vscode.workspace.asRelativePath(file)}:${line + 1}`;
    return `[${escapeMarkdown(label)}](${uri.toString()})`;
  }
  return undefined;
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
