import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activatedApi, repoRoot, waitFor, workspaceUri } from './helpers';

describe('commands', () => {
  before(async () => {
    await activatedApi();
  });

  after(() => fs.rmSync(workspaceUri('encode/.env_encoded').fsPath, { force: true }));

  it('encodeEnvFile writes the same .env_encoded as the CLI', async () => {
    const envUri = workspaceUri('encode/.env');
    const encodedPath = path.join(path.dirname(envUri.fsPath), '.env_encoded');
    assert.ok(!fs.existsSync(encodedPath), 'encode/.env_encoded must not exist before the command');
    await vscode.commands.executeCommand('kestraSecrets.encodeEnvFile', envUri);
    const fromEditor = await waitFor('encode/.env_encoded', () =>
      fs.existsSync(encodedPath) ? fs.readFileSync(encodedPath, 'utf8') : undefined,
    );

    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-encode-'));
    const cliOut = path.join(outDir, '.env_encoded');
    execFileSync(process.execPath, [path.join(repoRoot(), 'bin', 'kestra-secrets'), 'encode', envUri.fsPath, '-o', cliOut], {
      encoding: 'utf8',
    });
    const fromCli = fs.readFileSync(cliOut, 'utf8');
    fs.rmSync(outDir, { recursive: true, force: true });
    assert.equal(fromEditor, fromCli);
    assert.match(fromEditor, /^SECRET_PLAIN=aGVsbG8gd29ybGQ=$/m, 'base64 of "hello world", unwrapped');
  });

  it('decodeEnvFile opens a .env that encodes back to the same file, and writes nothing', async () => {
    const encodedUri = workspaceUri('encode/.env_encoded');
    const before = fs.readdirSync(path.dirname(encodedUri.fsPath)).sort();
    await vscode.commands.executeCommand('kestraSecrets.decodeEnvFile', encodedUri);
    const decoded = await waitFor('the decoded editor', () => {
      const editor = vscode.window.activeTextEditor;
      return editor?.document.isUntitled ? editor.document : undefined;
    });
    const reencoded = execFileSync(process.execPath, [path.join(repoRoot(), 'bin', 'kestra-secrets'), 'encode', '-'], {
      input: decoded.getText(),
      encoding: 'utf8',
    });
    assert.equal(reencoded, fs.readFileSync(encodedUri.fsPath, 'utf8'));
    assert.deepEqual(fs.readdirSync(path.dirname(encodedUri.fsPath)).sort(), before);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('copyReference puts a secret reference on the clipboard', async () => {
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('kestraSecrets.copyReference', { key: 'DB_PASSWORD' });
    const copied = await vscode.env.clipboard.readText();
    assert.match(copied, /\{\{ secret\('DB_PASSWORD'\) \}\}/);
  });

  it('refresh keeps the catalog usable', async () => {
    const api = await activatedApi();
    await vscode.commands.executeCommand('kestraSecrets.refresh');
    await api.catalogReady();
    const labels = JSON.stringify(await api.treeItems());
    assert.match(labels, /DB_PASSWORD/);
  });
});
