/**
 * Hover on a `secret(...)` reference: what the key resolves to (namespace, what it shadows,
 * backend, read-only, tags, description, last change, where it is defined, subkeys) and never
 * its value. Missing keys get a "did you mean"; dynamic keys an explanation.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import { findVisible, type VisibleSecret, type VisibleSecrets } from '../../core/catalogTypes';
import { completionContextAt, type CompletionContext } from '../../core/pebble';
import { closestMatches } from '../../core/suggest';
import type { SecretReference } from '../../core/types';
import { quickNamespace } from '../flowIndex';
import { describeError } from '../log';
import type { Services } from '../services';
import { code, escapeIconMarkdown as escapeMarkdown, escapeOutsideCode } from '../logic/secretText';
import { rangeContains, toVsRange } from '../shared/convert';
import { ANY_NAMESPACE, textWindowAt, type TextWindow } from '../shared/documentContext';
import { appendListingState, appendSecret, newMarkdown } from '../shared/secretMarkdown';

/** The argument of a reference under the cursor, resolved to static values where possible. */
interface HoverTarget {
  argument: 'key' | 'subkey' | 'namespace' | 'call';
  range: vscode.Range;
  key?: string;
  subkey?: string;
  namespace?: string;
  dynamic?: string;
}

export function registerHover(services: Services): vscode.Disposable {
  return vscode.languages.registerHoverProvider({ language: 'yaml' }, new SecretHoverProvider(services));
}

export class SecretHoverProvider implements vscode.HoverProvider {
  constructor(private readonly services: Services) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    try {
      const target = await this.targetAt(document, position);
      if (!target) return undefined;
      const markdown = await this.describe(target);
      return markdown ? new vscode.Hover(markdown, target.range) : undefined;
    } catch (error) {
      this.services.log.warn(`Hover failed: ${describeError(error)}`);
      return undefined;
    }
  }

  /** From the analysis of the document as it is, or, while that is not ready, from the text under the cursor. */
  private async targetAt(document: vscode.TextDocument, position: vscode.Position): Promise<HoverTarget | undefined> {
    const analysis = await this.services.flows.freshAnalysis(document);
    const flowNamespace = analysis?.namespace ?? quickNamespace(document);
    const reference = analysis?.references.find((candidate) => rangeContains(candidate.callRange, position));
    if (reference) return referenceTarget(reference, position, flowNamespace);
    return literalTarget(textWindowAt(document, position), flowNamespace);
  }

  private async describe(target: HoverTarget): Promise<vscode.MarkdownString | undefined> {
    const markdown = newMarkdown();
    if (target.dynamic) {
      markdown.appendMarkdown(
        `$(question) ${escapeOutsideCode(vscode.l10n.t('This reference cannot be checked: {0}.', trimPeriod(target.dynamic)))}\n\n`,
      );
      markdown.appendMarkdown(escapeMarkdown(vscode.l10n.t('Kestra resolves it only when the flow runs.')));
      return markdown;
    }
    await this.services.ready();
    const catalog = this.services.catalog;
    if (!catalog) {
      const error = this.services.configError;
      markdown.appendMarkdown(
        error
          ? `$(error) ${escapeMarkdown(vscode.l10n.t('Kestra Secrets: invalid configuration: {0}', error))}`
          : escapeMarkdown(vscode.l10n.t('Kestra Secrets is loading.')),
      );
      return markdown;
    }
    if (target.namespace === undefined) {
      if (catalog.backendFor(ANY_NAMESPACE).namespaced) {
        markdown.appendMarkdown(escapeMarkdown(vscode.l10n.t('This file has no flow namespace, so the secret cannot be resolved.')));
        return markdown;
      }
    }
    const namespace = target.namespace ?? ANY_NAMESPACE;
    const visible = await catalog.visible(namespace);
    if (target.argument === 'namespace') return describeNamespace(markdown, visible);
    if (target.key === undefined) return undefined;
    if (visible.error && !visible.stale) {
      markdown.appendMarkdown(`$(key) **${escapeMarkdown(target.key)}**\n\n$(error) ${escapeMarkdown(visible.error)}`);
      return markdown;
    }
    const secret = findVisible(visible, target.key);
    if (!secret) return describeMissing(markdown, target.key, visible);
    if (target.argument === 'subkey' && target.subkey !== undefined) {
      return describeSubkey(markdown, secret, target.subkey, await knownSubkeys(catalog, secret, namespace));
    }
    appendSecret(markdown, secret, visible, await knownSubkeys(catalog, secret, namespace));
    return markdown;
  }
}

function referenceTarget(reference: SecretReference, position: vscode.Position, flowNamespace: string | undefined): HoverTarget {
  const namespace = reference.namespace ?? reference.flowNamespace ?? flowNamespace;
  const base = { key: reference.key, subkey: reference.subkey, namespace };
  if (rangeContains(reference.subkeyRange, position) && reference.subkeyRange) {
    return { ...base, argument: 'subkey', range: toVsRange(reference.subkeyRange), dynamic: reference.dynamicKey };
  }
  if (rangeContains(reference.namespaceRange, position) && reference.namespaceRange) {
    return { ...base, argument: 'namespace', range: toVsRange(reference.namespaceRange) };
  }
  const range = toVsRange(reference.keyRange ?? reference.callRange);
  const dynamic = reference.dynamicKey ?? (reference.key !== undefined ? reference.dynamicNamespace : undefined);
  return { ...base, argument: reference.keyRange && !dynamic ? 'key' : 'call', range, dynamic };
}

/** For half-typed YAML the parser may not see the call: read the literal under the cursor directly. */
function literalTarget(window: TextWindow, flowNamespace: string | undefined): HoverTarget | undefined {
  const context: CompletionContext | undefined = completionContextAt(window.text, window.offset);
  if (!context || context.quote === undefined) return undefined;
  const value = window.text.slice(context.replaceStart, context.replaceEnd);
  if (value === '') return undefined;
  const range = new vscode.Range(window.positionAt(context.replaceStart), window.positionAt(context.replaceEnd));
  const namespace = context.namespace ?? flowNamespace;
  switch (context.argument) {
    case 'key':
      return { argument: 'key', range, key: value, namespace };
    case 'subkey':
      return context.key === undefined ? undefined : { argument: 'subkey', range, key: context.key, subkey: value, namespace };
    case 'namespace':
      return { argument: 'namespace', range, namespace: value };
  }
}

async function knownSubkeys(catalog: SecretCatalog, secret: VisibleSecret, namespace: string): Promise<string[] | undefined> {
  if (secret.subkeys) return secret.subkeys;
  if (secret.valueKind === 'not-json-object') return undefined;
  try {
    return await catalog.subkeys(secret.fromNamespace ?? namespace, secret.key);
  } catch {
    return undefined;
  }
}

function describeNamespace(markdown: vscode.MarkdownString, visible: VisibleSecrets): vscode.MarkdownString {
  markdown.appendMarkdown(`$(symbol-namespace) **${escapeMarkdown(visible.namespace)}**\n\n`);
  const own = visible.secrets.filter((secret) => !secret.inherited).length;
  markdown.appendMarkdown(
    escapeMarkdown(
      vscode.l10n.t(
        '{0} secrets visible ({1} own, {2} inherited) · {3}',
        visible.secrets.length,
        own,
        visible.secrets.length - own,
        visible.backendLabel,
      ),
    ),
  );
  appendListingState(markdown, visible);
  return markdown;
}

function describeMissing(markdown: vscode.MarkdownString, key: string, visible: VisibleSecrets): vscode.MarkdownString {
  markdown.appendMarkdown(`$(warning) **${escapeMarkdown(key)}**\n\n`);
  markdown.appendMarkdown(
    escapeMarkdown(vscode.l10n.t('No secret with this key is visible to namespace {0} ({1}).', visible.namespace, visible.backendLabel)),
  );
  for (const cause of visible.incomplete ?? []) {
    // Unknown is not missing: say what could not be read.
    markdown.appendMarkdown(`\n\n$(info) ${escapeMarkdown(vscode.l10n.t('Not verified: {0} {1}.', cause.source, cause.reason))}`);
  }
  const suggestions = closestMatches(
    key,
    visible.secrets.map((secret) => secret.key),
    { caseInsensitive: visible.caseInsensitive },
  );
  if (suggestions.length > 0) {
    markdown.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Did you mean:'))} ${suggestions.map(code).join(', ')}`);
  }
  appendListingState(markdown, visible);
  return markdown;
}

function describeSubkey(
  markdown: vscode.MarkdownString,
  secret: VisibleSecret,
  subkey: string,
  subkeys: string[] | undefined,
): vscode.MarkdownString {
  markdown.appendMarkdown(
    `$(symbol-field) **${escapeMarkdown(subkey)}** · ${escapeMarkdown(vscode.l10n.t('field of secret {0}', secret.key))}\n\n`,
  );
  if (secret.valueKind === 'not-json-object') {
    markdown.appendMarkdown(escapeMarkdown(vscode.l10n.t('The secret is not a JSON object, so it has no fields.')));
  } else if (!subkeys) {
    markdown.appendMarkdown(
      escapeMarkdown(
        vscode.l10n.t(
          'The fields of this secret are unknown: the store cannot list them without reading the value (see the setting kestraSecrets.readValuesForSubkeys).',
        ),
      ),
    );
  } else if (subkeys.includes(subkey)) {
    markdown.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Fields:'))} ${subkeys.map(code).join(', ')}`);
  } else {
    markdown.appendMarkdown(`$(warning) ${escapeMarkdown(vscode.l10n.t('The secret has no field with this name.'))}`);
    const suggestions = closestMatches(subkey, subkeys);
    if (suggestions.length > 0)
      markdown.appendMarkdown(` ${escapeMarkdown(vscode.l10n.t('Did you mean:'))} ${suggestions.map(code).join(', ')}`);
    markdown.appendMarkdown(`\n\n${escapeMarkdown(vscode.l10n.t('Fields:'))} ${subkeys.map(code).join(', ')}`);
  }
  return markdown;
}

function trimPeriod(text: string): string {
  return text.replace(/\.\s*$/, '');
}
