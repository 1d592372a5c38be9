/**
 * The nodes of the Secrets view and how commands read them: a command from the view's menus receives
 * the clicked node, one from elsewhere a plain `{ key, subkey? }` or nothing (then the view's selection).
 */
import type { VisibleSecret } from '../../core/catalogTypes';
import type { SecretBackend } from '../../core/store';
import { l10n } from './l10n';
import type { ReferenceTarget } from './secretReferences';

export interface BackendNode {
  kind: 'backend';
  backend: SecretBackend;
  namespaces: string[];
}

export interface NamespaceNode {
  kind: 'namespace';
  backend: SecretBackend;
  /** The namespace to ask the catalog with (any routed one for namespace-less stores). */
  namespace: string;
  /** True for the single node of a namespace-less store (Kestra OSS env secrets). */
  allNamespaces: boolean;
}

export interface SecretNode {
  kind: 'secret';
  /** The namespace whose listing shows it. */
  namespace: string;
  /** The namespace the secret is defined in: where reveal, edit and delete go. */
  origin: string;
  secret: VisibleSecret;
  backendLabel: string;
  readOnly: boolean;
  canReveal: boolean;
  stale: boolean;
}

export interface SubkeyNode {
  kind: 'subkey';
  parent: SecretNode;
  field: string;
}

export interface MessageNode {
  kind: 'message';
  label: string;
  icon: 'error' | 'info' | 'warning';
  tooltip?: string;
  description?: string;
  command?: { command: string; title: string };
}

export type SecretsNode = BackendNode | NamespaceNode | SecretNode | SubkeyNode | MessageNode;

/** What the Secrets view has selected, for commands run from elsewhere (the palette, a keybinding). */
export interface TreeSelection {
  selectedSecret(): SecretNode | undefined;
  selectedNamespace(): string | undefined;
}

const NODE_KINDS = new Set(['backend', 'namespace', 'secret', 'subkey', 'message']);

/** A node of the Secrets view (commands from its menus receive the clicked one). */
export function asNode(argument: unknown): SecretsNode | undefined {
  const kind = (argument as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' && NODE_KINDS.has(kind) ? (argument as SecretsNode) : undefined;
}

/** A tree secret/subkey node, or `{ key, subkey? }` from other callers, or the view's selection. */
export function referenceTarget(argument: unknown, selection: TreeSelection | undefined): ReferenceTarget | undefined {
  const node = asNode(argument);
  if (node?.kind === 'secret') return { key: node.secret.key };
  if (node?.kind === 'subkey') return { key: node.parent.secret.key, subkey: node.field };
  const plain = argument as { key?: unknown; subkey?: unknown } | undefined;
  if (plain && typeof plain.key === 'string' && plain.key !== '') {
    return { key: plain.key, subkey: typeof plain.subkey === 'string' && plain.subkey !== '' ? plain.subkey : undefined };
  }
  const selected = selection?.selectedSecret();
  return selected ? { key: selected.secret.key } : undefined;
}

/** The secret a reveal, edit or delete applies to: the clicked node (a field's secret), else the selection. */
export function secretArgument(argument: unknown, selection: TreeSelection | undefined): SecretNode {
  const node = asNode(argument);
  if (node?.kind === 'secret') return node;
  if (node?.kind === 'subkey') return node.parent;
  const selected = selection?.selectedSecret();
  if (selected) return selected;
  throw new Error(l10n.t('Select a secret in the Kestra Secrets view first.'));
}

/** The namespace of the clicked or selected item, if any (the default for "Create secret"). */
export function nodeNamespace(argument: unknown, selection: TreeSelection | undefined): string | undefined {
  const node = asNode(argument);
  if (node?.kind === 'namespace' && !node.allNamespaces) return node.namespace;
  if (node?.kind === 'secret') return node.origin;
  return selection?.selectedNamespace();
}
