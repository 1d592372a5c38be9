import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startKestraServer, type FakeKestraServer } from '../fakes/kestraServer';
import { VISIBLE_KEYS, activatedApi, flattenTree, waitFor, workspaceRoot } from './helpers';

/**
 * Runs only in a workspace that is NOT trusted (scripts/vscode/run.mjs starts a second server with Workspace
 * Trust on): an endpoint or configuration file supplied by the workspace is ignored, and nothing is sent to it.
 */
describe('an untrusted workspace', function () {
  let fake: FakeKestraServer | undefined;

  before(async function () {
    if (vscode.workspace.isTrusted) this.skip();
    fake = await startKestraServer({ edition: 'ee', readOnly: false, secrets: [{ namespace: 'company.team', key: 'FROM_WORKSPACE_SERVER' }] });
    const root = workspaceRoot();
    fs.mkdirSync(path.join(root, '.vscode'), { recursive: true });
    // diagnostics.enabled is not restricted: seeing its workspace value proves the file was read.
    fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), JSON.stringify({
      'kestraSecrets.server': { url: fake.url, tenant: 'main' },
      'kestraSecrets.diagnostics.enabled': true,
    }));
    await waitFor('the workspace settings to be read', () =>
      vscode.workspace.getConfiguration('kestraSecrets').inspect('diagnostics.enabled')?.workspaceValue === true ? true : undefined);
  });

  after(async () => {
    await fake?.stop();
  });

  it('ignores a server set in the workspace settings: env secrets, no request', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await activatedApi();
    await vscode.commands.executeCommand('kestraSecrets.refresh');
    await api.catalogReady();
    const labels = flattenTree(await api.treeItems()).map((item) => item.label);
    for (const key of VISIBLE_KEYS) assert.ok(labels.includes(key), `${key} listed; got ${labels.join(', ')}`);
    assert.ok(!labels.includes('FROM_WORKSPACE_SERVER'), 'the workspace-supplied server was used');
    assert.deepEqual(fake?.requests.map((request) => request.path), [], 'no request may reach a workspace-supplied endpoint');
  });

  it("says a workspace's kestra-secrets.yml waits for trust, and sends nothing", async () => {
    assert.ok(fake);
    fs.writeFileSync(path.join(workspaceRoot(), 'kestra-secrets.yml'), `server:\n  url: ${fake.url}\n  tenant: main\n`);
    const api = await activatedApi();
    const explained = await waitFor('the tree to explain the untrusted configuration', async () => {
      await vscode.commands.executeCommand('kestraSecrets.refresh');
      const items = flattenTree(await api.treeItems());
      return items.find((item) => /trust/i.test(`${item.label} ${item.tooltip ?? ''}`));
    }, 20_000);
    assert.match(explained.label + (explained.tooltip ?? ''), /kestra-secrets\.yml/);
    assert.deepEqual(fake.requests.map((request) => request.path), [], 'no request may reach a workspace-supplied endpoint');
  });
});
