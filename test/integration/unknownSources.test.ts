import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  activatedApi,
  diagnosticCode,
  hoverText,
  openDocument,
  positionOf,
  revertAndClose,
  secretDiagnostics,
  waitFor,
  workspaceRoot,
  workspaceUri,
} from './helpers';

/**
 * Issue 8, points 1 and 2, in the editor: the workspace's Compose file names `.env_encoded`, which a clone
 * or CI does not have. Runs just before `watch` (files are sorted) and restores the workspace.
 */
describe('unknown sources and names-only stand-ins', () => {
  const encoded = () => path.join(workspaceRoot(), '.env_encoded');
  const aside = () => path.join(workspaceRoot(), '.env_encoded.aside');
  const standIn = () => path.join(workspaceRoot(), '.env_encoded.example');
  const compose = () => workspaceUri('docker-compose.yml');
  const etl = () => workspaceUri('flows/company.team/etl.yml');
  const ofCode = (uri: vscode.Uri, code: string) => secretDiagnostics(uri).filter((diagnostic) => diagnosticCode(diagnostic) === code);

  before(async () => {
    await activatedApi();
    fs.renameSync(encoded(), aside());
  });

  after(async () => {
    fs.rmSync(standIn(), { force: true });
    if (fs.existsSync(aside())) fs.renameSync(aside(), encoded());
    await waitFor(
      'the original diagnostics to come back',
      () => (ofCode(etl(), 'missing-secret').length > 0 && ofCode(compose(), 'unknown-source').length === 0 ? true : undefined),
      30_000,
    );
  });

  it('an absent env_file: one warning on its Compose line, and no error on the references it may hold', async () => {
    const warning = await waitFor(
      'the unknown-source warning',
      () => {
        const found = ofCode(compose(), 'unknown-source');
        return found.length > 0 && ofCode(etl(), 'missing-secret').length === 0 ? found : undefined;
      },
      30_000,
    );
    assert.equal(warning.length, 1);
    assert.equal(warning[0].severity, vscode.DiagnosticSeverity.Warning);
    const composeText = fs.readFileSync(compose().fsPath, 'utf8').split('\n');
    assert.equal(
      warning[0].range.start.line,
      composeText.findIndex((line) => line.includes('env_file: .env_encoded')),
    );
    assert.match(warning[0].message, /^The env_file \.env_encoded \(docker-compose\.yml:\d+\) does not exist/);
    const all = vscode.languages
      .getDiagnostics()
      .flatMap(([uri, diagnostics]) => diagnostics.filter((d) => /kestra/i.test(d.source ?? '')).map((d) => ({ uri, d })));
    assert.equal(
      all.filter(({ d }) => diagnosticCode(d) === 'unknown-source').length,
      1,
      'one warning for the cause in the whole Problems panel',
    );
    assert.ok(!all.some(({ d }) => diagnosticCode(d) === 'missing-secret'), 'no reference is called missing');
    const unverified = ofCode(etl(), 'unverified-secret');
    assert.ok(
      unverified.some((diagnostic) => /MISSING_KEY/.test(diagnostic.message)),
      unverified.map((d) => d.message).join('\n'),
    );
    for (const diagnostic of unverified) assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Information);
    const document = await openDocument('flows/company.team/etl.yml');
    try {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        positionOf(document, 'MISSING_KEY', 2),
      );
      assert.match(hoverText(hovers), /Not verified: the env_file \.env_encoded \(docker-compose\.yml:\d+\) does not exist\./);
    } finally {
      await revertAndClose(document);
    }
  });

  it('a names-only .env_encoded.example supplies the names: no warning, a misspelt key is an error again, the hover says where the name came from', async () => {
    fs.writeFileSync(standIn(), '# names only\nSECRET_DB_CREDENTIALS=\nSECRET_API_TOKEN=\nSECRET_DB_PASSWORD=\n');
    await waitFor(
      'the stand-in to be used',
      () =>
        ofCode(compose(), 'unknown-source').length === 0 && ofCode(etl(), 'missing-secret').some((d) => /MISSING_KEY/.test(d.message))
          ? true
          : undefined,
      30_000,
    );
    // Names only: no sub-key judgement on DB_CREDENTIALS or API_TOKEN.
    assert.deepEqual(ofCode(etl(), 'missing-subkey'), []);
    assert.deepEqual(ofCode(etl(), 'subkey-not-json'), []);
    const document = await openDocument('flows/company.team/etl.yml');
    try {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        positionOf(document, "secret('API_TOKEN')", "secret('API".length),
      );
      const text = hoverText(hovers);
      assert.match(
        text,
        /Name only, from \.env_encoded\.example:3 \(stands in for the absent \.env_encoded\): the value and its fields are unknown here\./,
      );
    } finally {
      await revertAndClose(document);
    }
  });
});
