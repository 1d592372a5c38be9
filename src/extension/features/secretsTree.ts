/**
 * The Secrets view: backend → namespace → secret → subkey. Namespaces come from the stores and from
 * the workspace's flows, each under the backend it routes to; a namespace shows what it can see (own
 * and inherited secrets). Labels, descriptions and tooltips carry keys and metadata, never a value.
 * Listing failures become an error item with a retry; the view never throws.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import type { VisibleSecret, VisibleSecrets } from '../../core/catalogTypes';
import type { SecretBackend } from '../../core/store';
import { COMMANDS, CONTEXT_KEYS, secretContextValue, TREE_ITEM_CONTEXT, VIEW_ID } from '../contributions';
import { describeError } from '../log';
import { secretReference } from '../logic/secretReferences';
import { escapeMarkdown, secretDescription } from '../logic/secretText';
import type { BackendNode, MessageNode, NamespaceNode, SecretNode, SecretsNode, SubkeyNode, TreeSelection } from '../logic/treeNodes';
import type { Services } from '../services';
import { registerCommands } from '../shared/commandRegistration';
import { ANY_NAMESPACE } from '../shared/documentContext';

const REFRESH_DEBOUNCE_MS = 150;

export class SecretsTreeProvider implements vscode.TreeDataProvider<SecretsNode>, TreeSelection, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<SecretsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  /** Stale state of each namespace node's last listing, to mark the node and re-render it on change. */
  private readonly staleByNamespace = new Map<string, boolean>();
  private readonly namespaceNodes = new Map<string, NamespaceNode>();
  private readonly backendNodes = new Map<string, BackendNode>();
  /** Read-only state each listing reported, per backend and namespace (the Kestra server says it per listing). */
  private readOnlySeen = new WeakMap<SecretBackend, Map<string, boolean>>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  view: vscode.TreeView<SecretsNode> | undefined;

  constructor(private readonly services: Services) {
    this.disposables.push(services.onDidChange(() => this.scheduleRefresh()));
  }

  /** Re-queries everything; what listings said about read-only state is learnt again. */
  refresh(): void {
    this.readOnlySeen = new WeakMap();
    this.backendNodes.clear();
    this.namespaceNodes.clear();
    this.changeEmitter.fire(undefined);
  }

  /** The namespace of the selected item, if any (default for "Create secret"). */
  selectedNamespace(): string | undefined {
    const node = this.view?.selection[0];
    if (!node) return undefined;
    if (node.kind === 'namespace') return node.allNamespaces ? undefined : node.namespace;
    if (node.kind === 'secret') return node.origin;
    if (node.kind === 'subkey') return node.parent.origin;
    return undefined;
  }

  selectedSecret(): SecretNode | undefined {
    const node = this.view?.selection[0];
    if (node?.kind === 'secret') return node;
    return node?.kind === 'subkey' ? node.parent : undefined;
  }

  getTreeItem(node: SecretsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'backend':
        return backendItem(node, this.backendReadOnly(node.backend));
      case 'namespace':
        return namespaceItem(node, this.staleByNamespace.get(nodeId(node)) === true, this.namespaceReadOnly(node));
      case 'secret':
        return secretItem(node);
      case 'subkey':
        return subkeyItem(node);
      case 'message':
        return messageItem(node);
    }
  }

  async getChildren(node?: SecretsNode): Promise<SecretsNode[]> {
    try {
      return await this.withViewProgress(() => this.childrenOf(node));
    } catch (error) {
      this.services.log.warn(`Secrets view: ${describeError(error)}`);
      return [listingError(describeError(error))];
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  private async childrenOf(node: SecretsNode | undefined): Promise<SecretsNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'backend':
        return this.namespacesOf(node);
      case 'namespace':
        return this.secretsOf(node);
      case 'secret':
        return this.subkeysOf(node);
      default:
        return [];
    }
  }

  private async roots(): Promise<SecretsNode[]> {
    await this.services.ready();
    if (this.services.configError) {
      return [listingError(this.services.configError, vscode.l10n.t('Configuration error: {0}', this.services.configError))];
    }
    const catalog = this.services.catalog;
    if (!catalog) return [];
    const backends = catalog.backends();
    if (backends.length === 0) {
      return [
        { kind: 'message', label: vscode.l10n.t('No secrets backend could start: see the log.'), icon: 'error', command: showLogCommand() },
      ];
    }
    const routed = await this.namespacesByBackend(catalog);
    const nodes = backends.map((backend) => this.backendNode({ kind: 'backend', backend, namespaces: routed.get(backend) ?? [] }));
    await this.syncContextKeys();
    return (await this.nothingToShow(catalog, nodes)) ? [] : nodes;
  }

  /** Every known namespace (stores, dedicated entries, flows) under the backend it routes to. */
  private async namespacesByBackend(catalog: SecretCatalog): Promise<Map<SecretBackend, string[]>> {
    const known = new Set([...(await catalog.namespaces()), ...this.services.flows.namespaces()]);
    const routed = new Map<SecretBackend, string[]>();
    for (const namespace of [...known].sort()) {
      const backend = safeBackendFor(catalog, namespace);
      if (!backend) continue;
      const list = routed.get(backend) ?? [];
      list.push(namespace);
      routed.set(backend, list);
    }
    return routed;
  }

  /** Only namespace-less stores with nothing in them, and no failure: the welcome content says what to do. */
  private async nothingToShow(catalog: SecretCatalog, nodes: BackendNode[]): Promise<boolean> {
    if (nodes.some((node) => node.backend.namespaced)) return false;
    for (const node of nodes) {
      const visible = await catalog.visible(this.namespaceLessScope(catalog, node));
      if (visible.secrets.length > 0 || visible.error) return false;
    }
    return true;
  }

  private namespacesOf(node: BackendNode): SecretsNode[] {
    if (!node.backend.namespaced) {
      const catalog = this.services.catalog;
      const namespace = catalog ? this.namespaceLessScope(catalog, node) : ANY_NAMESPACE;
      return [this.namespaceNode({ kind: 'namespace', backend: node.backend, namespace, allNamespaces: true })];
    }
    if (node.namespaces.length === 0) {
      return [{ kind: 'message', label: vscode.l10n.t('No namespace yet: open a folder with flows, or create a secret.'), icon: 'info' }];
    }
    return node.namespaces.map((namespace) =>
      this.namespaceNode({ kind: 'namespace', backend: node.backend, namespace, allNamespaces: false }),
    );
  }

  /** A namespace that routes to a namespace-less backend, to ask the catalog with. */
  private namespaceLessScope(catalog: SecretCatalog, node: BackendNode): string {
    if (node.namespaces.length > 0) return node.namespaces[0];
    return safeBackendFor(catalog, ANY_NAMESPACE) === node.backend ? ANY_NAMESPACE : '';
  }

  /** Keeps one object per backend node so that a re-render can target it. */
  private backendNode(node: BackendNode): BackendNode {
    const id = nodeId(node);
    const existing = this.backendNodes.get(id);
    if (existing && existing.backend === node.backend) {
      existing.namespaces = node.namespaces;
      return existing;
    }
    this.backendNodes.set(id, node);
    return node;
  }

  /** Keeps one object per namespace node so that a re-render can target it. */
  private namespaceNode(node: NamespaceNode): NamespaceNode {
    const id = nodeId(node);
    const existing = this.namespaceNodes.get(id);
    if (existing && existing.backend === node.backend) return existing;
    this.namespaceNodes.set(id, node);
    return node;
  }

  private async secretsOf(node: NamespaceNode): Promise<SecretsNode[]> {
    const catalog = this.services.catalog;
    if (!catalog) return [];
    const visible = await catalog.visible(node.namespace);
    this.noteStale(node, visible.stale === true);
    this.noteReadOnly(node, visible.readOnly);
    const nodes: SecretsNode[] = [];
    if (visible.error) nodes.push(listingError(visible.error, undefined, visible.stale));
    for (const secret of visible.secrets) nodes.push(await secretNode(catalog, node, visible, secret));
    if (nodes.length === 0) nodes.push({ kind: 'message', label: vscode.l10n.t('No secrets.'), icon: 'info' });
    return nodes;
  }

  private noteStale(node: NamespaceNode, stale: boolean): void {
    const id = nodeId(node);
    const before = this.staleByNamespace.get(id) === true;
    this.staleByNamespace.set(id, stale);
    if (before !== stale) setTimeout(() => this.changeEmitter.fire(node), 0);
  }

  /** Records a listing's read-only state; re-renders the backend node and the menus' context keys when it changes. */
  private noteReadOnly(node: NamespaceNode, readOnly: boolean): void {
    const seen = this.readOnlySeen.get(node.backend) ?? new Map<string, boolean>();
    this.readOnlySeen.set(node.backend, seen);
    const backendBefore = this.backendReadOnly(node.backend);
    const namespaceBefore = seen.get(node.namespace);
    seen.set(node.namespace, readOnly);
    void this.syncContextKeys();
    if (namespaceBefore !== undefined && namespaceBefore !== readOnly) setTimeout(() => this.changeEmitter.fire(node), 0);
    const backendNode = [...this.backendNodes.values()].find((candidate) => candidate.backend === node.backend);
    if (backendNode && backendBefore !== this.backendReadOnly(node.backend)) setTimeout(() => this.changeEmitter.fire(backendNode), 0);
  }

  /** Read-only for the backend's own flag, or when every listing seen so far said so. */
  backendReadOnly(backend: SecretBackend): boolean {
    if (backend.readOnly) return true;
    const seen = [...(this.readOnlySeen.get(backend)?.values() ?? [])];
    return seen.length > 0 && seen.every(Boolean);
  }

  private namespaceReadOnly(node: NamespaceNode): boolean {
    return node.allNamespaces || (this.readOnlySeen.get(node.backend)?.get(node.namespace) ?? node.backend.readOnly);
  }

  /** Sets the context keys behind the write and reveal menus from what the backends and listings say. */
  async syncContextKeys(): Promise<void> {
    await updateContextKeys(this.services.catalog, (backend) => this.backendReadOnly(backend));
  }

  private async subkeysOf(node: SecretNode): Promise<SecretsNode[]> {
    const fields = node.secret.subkeys ?? (await this.services.catalog?.subkeys(node.origin, node.secret.key)) ?? [];
    if (fields.length === 0) {
      return [
        {
          kind: 'message',
          label: vscode.l10n.t('Fields unknown'),
          icon: 'info',
          tooltip: vscode.l10n.t('The store cannot list the fields of this secret without reading its value.'),
        },
      ];
    }
    return fields.map((field) => ({ kind: 'subkey', parent: node, field }));
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  private withViewProgress<T>(work: () => Promise<T>): Thenable<T> {
    return vscode.window.withProgress({ location: { viewId: VIEW_ID } }, work);
  }
}

/**
 * Creates the view and its provider (which also serves the API's `treeItems()`), registers Refresh,
 * and keeps the context keys behind the write menus in step with the backends.
 */
export function registerSecretsTree(context: vscode.ExtensionContext, services: Services): SecretsTreeProvider {
  const provider = new SecretsTreeProvider(services);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  provider.view = view;
  context.subscriptions.push(provider, view);
  registerCommands(context, services, { [COMMANDS.refresh]: () => refresh(services, provider) });
  context.subscriptions.push(services.onDidChange(() => void provider.syncContextKeys().catch(() => undefined)));
  void provider.syncContextKeys().catch(() => undefined);
  return provider;
}

async function refresh(services: Services, tree: SecretsTreeProvider): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: VIEW_ID } }, () => services.refresh());
  tree.refresh();
}

/** Sets the context keys behind the write menus from the backends' current state. */
async function updateContextKeys(catalog: SecretCatalog | undefined, isReadOnly: (backend: SecretBackend) => boolean): Promise<void> {
  const backends = catalog ? catalog.backends() : [];
  await vscode.commands.executeCommand(
    'setContext',
    CONTEXT_KEYS.writable,
    backends.some((backend) => !isReadOnly(backend)),
  );
}

// ---------------------------------------------------------------------------------------------------
// Nodes

async function secretNode(
  catalog: SecretCatalog,
  parent: NamespaceNode,
  visible: VisibleSecrets,
  secret: VisibleSecret,
): Promise<SecretNode> {
  const origin = secret.fromNamespace ?? parent.namespace;
  // An inherited secret is written where it is defined; that level's listing is already cached.
  const readOnly = origin === parent.namespace ? visible.readOnly : (await catalog.visible(origin)).readOnly;
  const backend = safeBackendFor(catalog, origin) ?? parent.backend;
  return {
    kind: 'secret',
    namespace: parent.namespace,
    origin,
    secret,
    backendLabel: visible.backendLabel,
    readOnly,
    canReveal: backend.canReveal,
    stale: visible.stale === true,
  };
}

function listingError(message: string, label?: string, stale = false): MessageNode {
  return {
    kind: 'message',
    label: label ?? vscode.l10n.t('Could not list secrets: {0}', message),
    icon: 'error',
    tooltip: stale ? vscode.l10n.t('{0} Showing the last known listing.', message) : message,
    description: stale ? vscode.l10n.t('(stale)') : undefined,
    command: { command: COMMANDS.refresh, title: vscode.l10n.t('Retry') },
  };
}

function showLogCommand(): vscode.Command {
  return { command: COMMANDS.showLog, title: vscode.l10n.t('Show Log') };
}

function safeBackendFor(catalog: SecretCatalog, namespace: string): SecretBackend | undefined {
  try {
    return catalog.backendFor(namespace);
  } catch {
    return undefined;
  }
}

const backendIds = new WeakMap<SecretBackend, number>();
let nextBackendId = 0;

/** A per-object id: two backends may share a label (same store type, other options). */
function backendId(backend: SecretBackend): number {
  let id = backendIds.get(backend);
  if (id === undefined) {
    id = nextBackendId++;
    backendIds.set(backend, id);
  }
  return id;
}

function nodeId(node: BackendNode | NamespaceNode): string {
  const backend = `${backendId(node.backend)}:${node.backend.label}`;
  return node.kind === 'backend' ? `backend:${backend}` : `namespace:${backend}:${node.allNamespaces ? '*' : node.namespace}`;
}

// ---------------------------------------------------------------------------------------------------
// Tree items

function backendItem(node: BackendNode, readOnly: boolean): vscode.TreeItem {
  const { backend } = node;
  const item = new vscode.TreeItem(backend.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = nodeId(node);
  item.description = readOnly ? `${backend.type} · ${vscode.l10n.t('read-only')}` : backend.type;
  item.iconPath = new vscode.ThemeIcon(readOnly ? 'lock' : 'database');
  item.contextValue = readOnly ? TREE_ITEM_CONTEXT.backend : TREE_ITEM_CONTEXT.writableBackend;
  item.tooltip = readOnly
    ? vscode.l10n.t('{0} ({1}): read-only, no secret can be created, edited or deleted here.', backend.label, backend.type)
    : vscode.l10n.t('{0} ({1})', backend.label, backend.type);
  return item;
}

function namespaceItem(node: NamespaceNode, stale: boolean, readOnly: boolean): vscode.TreeItem {
  const label = node.allNamespaces ? allNamespacesLabel(node.backend) : node.namespace;
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = nodeId(node);
  item.iconPath = new vscode.ThemeIcon(node.allNamespaces ? 'globe' : 'symbol-namespace');
  item.description = stale ? vscode.l10n.t('(stale)') : undefined;
  item.contextValue = readOnly ? TREE_ITEM_CONTEXT.namespace : TREE_ITEM_CONTEXT.writableNamespace;
  item.tooltip = node.allNamespaces
    ? allNamespacesTooltip(node.backend)
    : vscode.l10n.t('Secrets visible to {0}: its own, then inherited from its parents.', node.namespace);
  if (node.allNamespaces) item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
  return item;
}

/** Kestra OSS env secrets, a read-only Vault path prefix…: stores whose keys every namespace sees. */
function allNamespacesLabel(backend: SecretBackend): string {
  return backend.type === 'env' ? vscode.l10n.t('All namespaces (OSS env secrets)') : vscode.l10n.t('All namespaces');
}

function allNamespacesTooltip(backend: SecretBackend): string {
  return backend.type === 'env'
    ? vscode.l10n.t('Kestra open source secrets have no namespace: every flow sees every key.')
    : vscode.l10n.t('These secrets are not tied to a namespace: every flow sees every key.');
}

function secretItem(node: SecretNode): vscode.TreeItem {
  const { secret } = node;
  const item = new vscode.TreeItem(secret.key, secretCollapsible(secret));
  item.id = `secret:${node.backendLabel}:${node.namespace}:${node.origin}:${secret.key}`;
  item.description = secretDescription(node);
  item.tooltip = secretTooltip(node);
  item.iconPath = new vscode.ThemeIcon(node.readOnly ? 'lock' : 'key');
  item.contextValue = secretContextValue(node);
  return item;
}

function secretCollapsible(secret: VisibleSecret): vscode.TreeItemCollapsibleState {
  const hasFields = secret.subkeys ? secret.subkeys.length > 0 : secret.valueKind === 'json-object';
  return hasFields ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
}

function secretTooltip(node: SecretNode): vscode.MarkdownString {
  const { secret } = node;
  const lines = [`**${escapeMarkdown(secret.key)}**`, ''];
  const row = (name: string, value: string | undefined) => {
    if (value) lines.push(`${name}: ${escapeMarkdown(value)}  `);
  };
  row(vscode.l10n.t('Namespace'), secret.fromNamespace);
  if (secret.inherited && secret.fromNamespace) row(vscode.l10n.t('Inherited by'), node.namespace);
  if (secret.shadows.length > 0) row(vscode.l10n.t('Shadows'), secret.shadows.join(', '));
  row(vscode.l10n.t('Backend'), node.readOnly ? `${node.backendLabel} (${vscode.l10n.t('read-only')})` : node.backendLabel);
  row(vscode.l10n.t('Source'), secret.source);
  row(vscode.l10n.t('Description'), secret.description);
  const tags = Object.entries(secret.tags ?? {});
  if (tags.length > 0) row(vscode.l10n.t('Tags'), tags.map(([name, value]) => `${name}=${value}`).join(', '));
  if (secret.subkeys && secret.subkeys.length > 0) row(vscode.l10n.t('Fields'), secret.subkeys.join(', '));
  row(vscode.l10n.t('Updated'), secret.updated);
  if (node.stale) lines.push('', vscode.l10n.t('_Last known listing: the backend could not be reached._'));
  const markdown = new vscode.MarkdownString(lines.join('\n'));
  markdown.supportThemeIcons = false;
  return markdown;
}

function subkeyItem(node: SubkeyNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.field, vscode.TreeItemCollapsibleState.None);
  item.id = `subkey:${node.parent.backendLabel}:${node.parent.namespace}:${node.parent.secret.key}:${node.field}`;
  item.iconPath = new vscode.ThemeIcon('symbol-field');
  item.contextValue = TREE_ITEM_CONTEXT.subkey;
  item.tooltip = vscode.l10n.t(
    'Field {0} of {1}: {2}',
    node.field,
    node.parent.secret.key,
    secretReference(node.parent.secret.key, node.field),
  );
  return item;
}

function messageItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(node.icon, node.icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
  item.tooltip = node.tooltip;
  item.description = node.description;
  item.command = node.command;
  item.contextValue =
    node.icon === 'error' && node.command?.command === COMMANDS.refresh ? TREE_ITEM_CONTEXT.error : TREE_ITEM_CONTEXT.message;
  return item;
}
