import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activatedApi, diagnosticCode, secretDiagnostics, waitFor, workspaceRoot, workspaceUri } from './helpers';

/** Runs last (files are sorted): it changes the workspace on disk, as a person or git would, then restores it. */
describe('workspace changes', () => {
  before(async () => {
    await activatedApi();
  });

  it('checks a flow created on disk, and forgets it once deleted', async () => {
    const file = path.join(workspaceRoot(), 'flows', 'company.team', 'added-later.yml');
    const uri = vscode.Uri.file(file);
    fs.writeFileSync(
      file,
      [
        'id: added_later',
        'namespace: company.team',
        'tasks:',
        '  - id: log',
        '    type: io.kestra.plugin.core.log.Log',
        `    message: "{{ secret('NOT_DEFINED_ANYWHERE') }}"`,
        '',
      ].join('\n'),
    );
    try {
      const diagnostic = await waitFor('a diagnostic on the new flow', () =>
        secretDiagnostics(uri).find((candidate) => diagnosticCode(candidate) === 'missing-secret'),
      );
      assert.equal(diagnostic.range.start.line, 5);
      assert.match(diagnostic.message, /NOT_DEFINED_ANYWHERE/);
    } finally {
      fs.rmSync(file, { force: true });
    }
    await waitFor('the diagnostics of the deleted flow to go', () => (secretDiagnostics(uri).length === 0 ? true : undefined));
  });

  it('picks up a key added to the encoded env file', async () => {
    const api = await activatedApi();
    const encoded = workspaceUri('.env_encoded').fsPath;
    const original = fs.readFileSync(encoded, 'utf8');
    const flow = workspaceUri('flows/company.team/etl.yml');
    const missing = () => secretDiagnostics(flow).find((diagnostic) => /MISSING_KEY/.test(diagnostic.message));
    assert.ok(missing(), 'MISSING_KEY is reported before the change');
    fs.writeFileSync(encoded, `${original}SECRET_MISSING_KEY=${Buffer.from('now defined').toString('base64')}\n`);
    try {
      await waitFor(
        'MISSING_KEY to be found',
        async () => {
          const tree = JSON.stringify(await api.treeItems());
          return !missing() && tree.includes('MISSING_KEY') ? true : undefined;
        },
        20_000,
      );
    } finally {
      fs.writeFileSync(encoded, original);
    }
    await waitFor('MISSING_KEY to be reported again', () => missing(), 20_000);
  });

  it('clears its diagnostics when kestraSecrets.diagnostics.enabled is off', async () => {
    const flow = workspaceUri('flows/company.team/etl.yml');
    const settings = vscode.workspace.getConfiguration('kestraSecrets');
    await waitFor('diagnostics on etl.yml', () => (secretDiagnostics(flow).length > 0 ? true : undefined));
    await settings.update('diagnostics.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('diagnostics to be cleared', () => (secretDiagnostics(flow).length === 0 ? true : undefined));
    } finally {
      await settings.update('diagnostics.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor('diagnostics to come back', () => (secretDiagnostics(flow).length > 0 ? true : undefined));
  });
});
