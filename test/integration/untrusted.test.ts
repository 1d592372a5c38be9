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
    fake = await startKestraServer({
      edition: 'ee',
      readOnly: false,
      secrets: [{ namespace: 'company.team', key: 'FROM_WORKSPACE_SERVER' }],
    });
    // Written through VS Code, which reloads its settings at once; a file written behind its back waits for the
    // file watcher, which on VS Code 1.90 under load sometimes took longer than 15 s to report a new .vscode/.
    const settings = vscode.workspace.getConfiguration('kestraSecrets');
    await settings.update('server', { url: fake.url, tenant: 'main' }, vscode.ConfigurationTarget.Workspace);
    // diagnostics.enabled is not restricted: seeing its workspace value proves the file was read.
    await settings.update('diagnostics.enabled', true, vscode.ConfigurationTarget.Workspace);
    await waitFor('the workspace settings to be read', () =>
      vscode.workspace.getConfiguration('kestraSecrets').inspect('diagnostics.enabled')?.workspaceValue === true ? true : undefined,
    );
    const written = JSON.parse(fs.readFileSync(path.join(workspaceRoot(), '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written['kestraSecrets.server'], { url: fake.url, tenant: 'main' }, 'the workspace settings name the server');
  });

  after(async () => {
    fs.rmSync(path.join(workspaceRoot(), '.vscode'), { recursive: true, force: true });
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
    assert.deepEqual(
      fake?.requests.map((request) => request.path),
      [],
      'no request may reach a workspace-supplied endpoint',
    );
  });

  it('reads no Compose env_file outside the workspace folder, and names the entry', async () => {
    const root = workspaceRoot();
    const composeFile = path.join(root, 'docker-compose.yml');
    const original = fs.readFileSync(composeFile, 'utf8');
    const outsideFile = path.join(path.dirname(root), 'outside-untrusted.env_encoded');
    fs.writeFileSync(outsideFile, 'SECRET_FROM_OUTSIDE_WORKSPACE=b3V0c2lkZQ==\n');
    fs.writeFileSync(
      composeFile,
      original.replace('    env_file: .env_encoded\n', '    env_file:\n      - .env_encoded\n      - ../outside-untrusted.env_encoded\n'),
    );
    try {
      const api = await activatedApi();
      const diagnostic = await waitFor(
        'a problem on the env_file entry outside the workspace',
        async () => {
          await vscode.commands.executeCommand('kestraSecrets.refresh');
          await api.catalogReady();
          return vscode.languages
            .getDiagnostics(vscode.Uri.file(composeFile))
            .find((item) => /outside the workspace folder/.test(item.message));
        },
        20_000,
      );
      assert.match(diagnostic.message, /\.\.\/outside-untrusted\.env_encoded/);
      const labels = flattenTree(await api.treeItems()).map((item) => item.label);
      assert.ok(!labels.includes('FROM_OUTSIDE_WORKSPACE'), 'a file outside the untrusted workspace was read');
      for (const key of VISIBLE_KEYS) assert.ok(labels.includes(key), `${key} listed; got ${labels.join(', ')}`);
    } finally {
      fs.writeFileSync(composeFile, original);
      fs.rmSync(outsideFile, { force: true });
    }
  });

  it('never lets the workspace turn on value reads (readValuesForSubkeys is restricted)', async () => {
    const settingsFile = path.join(workspaceRoot(), '.vscode', 'settings.json');
    const original = fs.readFileSync(settingsFile, 'utf8');
    // cache.ttlSeconds is not restricted: seeing its workspace value proves the file was read.
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({ ...JSON.parse(original), 'kestraSecrets.readValuesForSubkeys': true, 'kestraSecrets.cache.ttlSeconds': 61 }),
    );
    try {
      const config = () => vscode.workspace.getConfiguration('kestraSecrets');
      await waitFor('the workspace settings to be read', () =>
        config().inspect('cache.ttlSeconds')?.workspaceValue === 61 ? true : undefined,
      );
      assert.equal(config().get('readValuesForSubkeys'), false, 'VS Code applied a restricted workspace setting in an untrusted workspace');
    } finally {
      fs.writeFileSync(settingsFile, original);
    }
  });

  it('does not resolve a relative configFile from the user settings inside the untrusted workspace', async () => {
    assert.ok(fake);
    fs.mkdirSync(path.join(workspaceRoot(), 'custom'), { recursive: true });
    fs.writeFileSync(path.join(workspaceRoot(), 'custom', 'team.yml'), `server:\n  url: ${fake.url}\n  tenant: main\n`);
    const config = vscode.workspace.getConfiguration('kestraSecrets');
    await config.update('configFile', 'custom/team.yml', vscode.ConfigurationTarget.Global);
    try {
      const api = await activatedApi();
      const explained = await waitFor(
        'the tree to explain that the file waits for trust',
        async () => {
          await vscode.commands.executeCommand('kestraSecrets.refresh');
          const items = flattenTree(await api.treeItems());
          return items.find((item) => /trust/i.test(`${item.label} ${item.tooltip ?? ''}`));
        },
        20_000,
      );
      assert.match(explained.label + (explained.tooltip ?? ''), /team\.yml/);
      assert.deepEqual(
        fake.requests.map((request) => request.path),
        [],
        'no request may reach an endpoint from a file inside the untrusted workspace',
      );
    } finally {
      await config.update('configFile', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(path.join(workspaceRoot(), 'custom'), { recursive: true, force: true });
    }
  });

  it("says a workspace's kestra-secrets.yml waits for trust, and sends nothing", async () => {
    assert.ok(fake);
    const configFile = path.join(workspaceRoot(), 'kestra-secrets.yml');
    fs.writeFileSync(configFile, `server:\n  url: ${fake.url}\n  tenant: main\n`);
    try {
      const api = await activatedApi();
      const explained = await waitFor(
        'the tree to explain the untrusted configuration',
        async () => {
          await vscode.commands.executeCommand('kestraSecrets.refresh');
          const items = flattenTree(await api.treeItems());
          return items.find((item) => /trust/i.test(`${item.label} ${item.tooltip ?? ''}`));
        },
        20_000,
      );
      assert.match(explained.label + (explained.tooltip ?? ''), /kestra-secrets\.yml/);
      assert.deepEqual(
        fake.requests.map((request) => request.path),
        [],
        'no request may reach a workspace-supplied endpoint',
      );
    } finally {
      fs.rmSync(configFile, { force: true });
    }
  });
});
