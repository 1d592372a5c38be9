/**
 * The API `activate()` returns, used by the integration tests and open to other extensions.
 * Keep it stable: `activationMs`, `catalogReady()`, `treeItems()` and `treeElement()`.
 */
import * as vscode from 'vscode';

/** A rendered tree item of the Secrets view, with its children (expanded recursively). */
export interface TreeItemSnapshot {
  label: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  /** Codicon id of a ThemeIcon (e.g. 'lock'), or the icon path as a string. */
  icon?: string;
  children: TreeItemSnapshot[];
}

export interface KestraSecretsApi {
  /** Time spent in activate(), in milliseconds. */
  readonly activationMs: number;
  /** Resolves once the configuration is loaded, the flows indexed and the first diagnostics pass done. */
  catalogReady(): Promise<void>;
  /** The Secrets view as it would render now, every level expanded. */
  treeItems(): Promise<TreeItemSnapshot[]>;
  /**
   * The element of the Secrets view at a path of labels (e.g. backend, namespace, key), as the view passes it
   * to the command of a context menu clicked on that item; undefined when no item has that path.
   */
  treeElement(labels: string[]): Promise<unknown>;
}

const MAX_DEPTH = 6;

/** Walks any TreeDataProvider the way the view does: getChildren, then getTreeItem for each. */
export async function snapshotTree<T>(provider: vscode.TreeDataProvider<T>, parent?: T, depth = 0): Promise<TreeItemSnapshot[]> {
  const children = (await provider.getChildren(parent)) ?? [];
  const snapshots: TreeItemSnapshot[] = [];
  for (const child of children) {
    const item = await provider.getTreeItem(child);
    const expandable = item.collapsibleState !== undefined && item.collapsibleState !== vscode.TreeItemCollapsibleState.None;
    snapshots.push({
      label: labelText(item.label),
      description: typeof item.description === 'string' ? item.description : undefined,
      tooltip: tooltipText(item.tooltip),
      contextValue: item.contextValue,
      icon: iconText(item.iconPath),
      children: expandable && depth < MAX_DEPTH ? await snapshotTree(provider, child, depth + 1) : [],
    });
  }
  return snapshots;
}

/** Follows `labels` down the provider's levels, matching each item's label. */
export async function findTreeElement<T>(provider: vscode.TreeDataProvider<T>, labels: string[], parent?: T): Promise<T | undefined> {
  const [label, ...rest] = labels;
  if (label === undefined) return parent;
  for (const child of (await provider.getChildren(parent)) ?? []) {
    if (labelText((await provider.getTreeItem(child)).label) === label) return findTreeElement(provider, rest, child);
  }
  return undefined;
}

function labelText(label: string | vscode.TreeItemLabel | undefined): string {
  if (label === undefined) return '';
  return typeof label === 'string' ? label : label.label;
}

function tooltipText(tooltip: string | vscode.MarkdownString | undefined): string | undefined {
  if (tooltip === undefined) return undefined;
  return typeof tooltip === 'string' ? tooltip : tooltip.value;
}

function iconText(icon: vscode.TreeItem['iconPath']): string | undefined {
  if (icon instanceof vscode.ThemeIcon) return icon.id;
  if (typeof icon === 'string') return icon;
  if (icon instanceof vscode.Uri) return icon.toString();
  return undefined;
}
