import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { workspaceRelativePath } from '../../src/extension/shared/convert';
import {
  activatedApi,
  assertNoCanary,
  diagnosticCode,
  openDocument,
  positionOf,
  revertAndClose,
  secretDiagnostics,
  waitFor,
  workspaceUri,
} from './helpers';

function at(diagnostics: vscode.Diagnostic[], code: string, start: vscode.Position): vscode.Diagnostic | undefined {
  return diagnostics.find((diagnostic) => diagnosticCode(diagnostic) === code && diagnostic.range.start.isEqual(start));
}

function summary(diagnostics: vscode.Diagnostic[]): string {
  return diagnostics.map((d) => `${diagnosticCode(d)}@${d.range.start.line}:${d.range.start.character}`).join(', ');
}

describe('diagnostics', () => {
  before(async () => {
    await activatedApi();
  });

  after(async () => {
    await revertAndClose();
  });

  it("names a flow's file as VS Code's asRelativePath does, without its cost", () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the suite runs in a workspace');
    const uris = [
      workspaceUri('flows/company.team.sub/report.yml'),
      workspaceUri('.env'),
      vscode.Uri.joinPath(folder.uri, '..', 'outside.yml'),
      vscode.Uri.file('/elsewhere/flow.yml'),
      vscode.Uri.parse('untitled:Untitled-1'),
    ];
    for (const uri of uris) assert.equal(workspaceRelativePath(uri), vscode.workspace.asRelativePath(uri), uri.toString());
  });

  it('reports on flows that were never opened', async () => {
    const uri = workspaceUri('flows/company.team.sub/report.yml');
    assert.ok(!vscode.workspace.textDocuments.some((document) => document.uri.fsPath === uri.fsPath), 'report.yml must not be open yet');
    const diagnostics = await waitFor('diagnostics of report.yml', () => {
      const found = secretDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    const missing = diagnostics.find((diagnostic) => diagnosticCode(diagnostic) === 'missing-secret');
    assert.ok(missing, `missing-secret expected, got ${summary(diagnostics)}`);
    assert.match(missing.message, /DB_PASWORD/);
    assert.match(missing.message, /DB_PASSWORD/, 'did you mean DB_PASSWORD');
  });

  it('puts each problem of a flow on its line and columns', async () => {
    const document = await openDocument('flows/company.team/etl.yml');
    const diagnostics = await waitFor('diagnostics of etl.yml', () => {
      const found = secretDiagnostics(document.uri);
      return found.length >= 3 ? found : undefined;
    });
    const missingKey = at(diagnostics, 'missing-secret', positionOf(document, 'MISSING_KEY'));
    assert.ok(missingKey, `missing-secret on MISSING_KEY, got ${summary(diagnostics)}`);
    assert.equal(missingKey.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(document.getText(missingKey.range), 'MISSING_KEY');

    const missingSubkey = at(diagnostics, 'missing-subkey', positionOf(document, "subkey='port'", "subkey='".length));
    assert.ok(missingSubkey, `missing-subkey on 'port', got ${summary(diagnostics)}`);
    assert.equal(document.getText(missingSubkey.range), 'port');

    const notJson = at(diagnostics, 'subkey-not-json', positionOf(document, "subkey='value'", "subkey='".length));
    assert.ok(notJson, `subkey-not-json on API_TOKEN's 'value', got ${summary(diagnostics)}`);

    const dynamicLine = positionOf(document, 'secret(inputs.key)').line;
    const dynamic = diagnostics.find((diagnostic) => diagnosticCode(diagnostic) === 'dynamic-key');
    assert.ok(dynamic, `dynamic-key expected, got ${summary(diagnostics)}`);
    assert.equal(dynamic.range.start.line, dynamicLine);
    assert.notEqual(dynamic.severity, vscode.DiagnosticSeverity.Error, 'a dynamic key is not an error');

    const quiet = [
      positionOf(document, 'COMMENTED_OUT').line,
      positionOf(document, 'RAW_ONLY').line,
      positionOf(document, "secret('API_TOKEN') }}").line,
    ];
    const noisy = diagnostics.filter((diagnostic) => quiet.includes(diagnostic.range.start.line));
    assert.deepEqual(
      noisy.map((d) => d.message),
      [],
      'no problem for commented-out, raw or valid references',
    );

    for (const diagnostic of diagnostics) assertNoCanary(diagnostic.message, `diagnostic ${diagnosticCode(diagnostic)}`);
  });

  it('flags the invalid base64 value of an encoded env file', async () => {
    const document = await vscode.workspace.openTextDocument(workspaceUri('.env_encoded'));
    const diagnostics = await waitFor('diagnostics of .env_encoded', () => {
      const found = secretDiagnostics(document.uri).filter((diagnostic) => diagnosticCode(diagnostic) === 'invalid-base64');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(diagnostics.length, 1, summary(diagnostics));
    assert.equal(diagnostics[0].range.start.line, positionOf(document, 'SECRET_BROKEN_VALUE').line);
    assertNoCanary(diagnostics[0].message, 'the invalid-base64 diagnostic');
  });

  it('applying the "did you mean" quick fix removes the diagnostic', async () => {
    const document = await openDocument('flows/company.team.sub/report.yml');
    const typo = positionOf(document, 'DB_PASWORD');
    const diagnostic = await waitFor('the DB_PASWORD diagnostic', () => at(secretDiagnostics(document.uri), 'missing-secret', typo));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      document.uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((action) => action.edit && /DB_PASSWORD/.test(action.title));
    assert.ok(fix?.edit, `a quick fix to DB_PASSWORD, got: ${actions.map((action) => action.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.ok(document.getText().includes("secret('DB_PASSWORD')"));
    await waitFor('the diagnostic to disappear', () =>
      secretDiagnostics(document.uri).some((d) => diagnosticCode(d) === 'missing-secret') ? undefined : true,
    );
  });
});
