import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, VISIBLE_KEYS, activatedApi, assertNoCanary, flattenTree } from './helpers';

interface MenuEntry {
  command: string;
  when?: string;
}

/** The view/item menu entries of the manifest for a command. */
function itemMenus(command: string): MenuEntry[] {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  const manifest = JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'package.json'), 'utf8'));
  const menus = (manifest.contributes?.menus ?? {}) as Record<string, MenuEntry[]>;
  return (menus['view/item/context'] ?? []).filter((entry) => entry.command === command);
}

/** Whether a `viewItem == x` / `viewItem =~ /re/` clause of a `when` can hold for this contextValue. */
function viewItemClauseMatches(when: string | undefined, contextValue: string): boolean {
  if (!when) return true;
  const equals = [...when.matchAll(/viewItem\s*==\s*'?([\w.-]+)'?/g)].map((match) => match[1]);
  const regexes = [...when.matchAll(/viewItem\s*=~\s*\/((?:\\\/|[^/])+)\/(\w*)/g)].map((match) => new RegExp(match[1], match[2]));
  if (equals.length === 0 && regexes.length === 0) return true;
  return equals.includes(contextValue) || regexes.some((regex) => regex.test(contextValue));
}

describe('secrets tree', () => {
  it('shows every secret of the read-only env backend with a lock and no write action', async () => {
    const api = await activatedApi();
    const items = flattenTree(await api.treeItems());
    assert.ok(items.length > 0, 'the Secrets view is empty');
    const secretItems = items.filter((item) => VISIBLE_KEYS.includes(item.label));
    const shown = [...new Set(secretItems.map((item) => item.label))].sort();
    assert.deepEqual(shown, [...VISIBLE_KEYS].sort());
    for (const item of secretItems) {
      assert.equal(item.icon, 'lock', `${item.label} shows the lock icon`);
      for (const command of ['kestraSecrets.editSecret', 'kestraSecrets.deleteSecret']) {
        const offered = itemMenus(command).filter((entry) => viewItemClauseMatches(entry.when, item.contextValue ?? ''));
        assert.deepEqual(offered, [], `${command} must not be offered on read-only ${item.label} (contextValue ${item.contextValue})`);
      }
    }
    for (const item of items) {
      assertNoCanary(item.label, 'a tree label');
      assertNoCanary(item.description, `the description of ${item.label}`);
      assertNoCanary(item.tooltip, `the tooltip of ${item.label}`);
    }
  });

  it('shows the JSON fields of a secret, not their values', async () => {
    const api = await activatedApi();
    const items = flattenTree(await api.treeItems());
    const credentials = items.find((item) => item.label === 'DB_CREDENTIALS');
    assert.ok(credentials);
    assert.deepEqual(credentials.children.map((child) => child.label).sort(), ['password', 'user']);
  });

  it('shows the read-only backend with a lock', async () => {
    const api = await activatedApi();
    const roots = await api.treeItems();
    assert.ok(
      roots.some((root) => root.icon === 'lock' || /read-only/i.test(`${root.description ?? ''} ${root.tooltip ?? ''}`)),
      `a backend root marked read-only, got ${roots.map((root) => `${root.label}[${root.icon}] ${root.description ?? ''}`).join('; ')}`,
    );
  });
});
