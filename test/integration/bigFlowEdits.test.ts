/**
 * Issue 12, point 7: a 5,000-line flow is analysed off the editor's thread, and its diagnostics still follow
 * every edit — moved lines, a key typed character by character, a fixed key — with no stale intermediate
 * state left behind. The flow is an untitled document: nothing is written to the workspace.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activatedApi, diagnosticCode, EXTENSION_ID, hoverText, secretDiagnostics, waitFor } from './helpers';

const LINES = 5_000;
const TASK_LINES = 4;

function bigFlow(): string {
  const lines = [
    'id: big_edits',
    'namespace: company.team',
    '',
    'tasks:',
    '  - id: top',
    '    type: io.kestra.plugin.core.log.Log',
    `    message: "{{ secret('MISSING_AT_TOP') }}"`,
  ];
  for (let task = 0; lines.length < LINES - TASK_LINES; task++) {
    lines.push(
      `  - id: task_${task}`,
      '    type: io.kestra.plugin.core.log.Log',
      `    message: "{{ secret('API_TOKEN') }} {{ secret('DB_PASSWORD') }}"`,
      '',
    );
  }
  lines.push('  - id: typing_here', '    type: io.kestra.plugin.core.log.Log', `    message: "{{ secret('`);
  return `${lines.join('\n')}\n`;
}

function missingKeys(uri: vscode.Uri): { key: string; line: number }[] {
  return secretDiagnostics(uri)
    .filter((diagnostic) => diagnosticCode(diagnostic) === 'missing-secret')
    .map((diagnostic) => ({ key: /key '([^']+)'/.exec(diagnostic.message)?.[1] ?? '?', line: diagnostic.range.start.line }));
}

function describeMissing(uri: vscode.Uri): string {
  return missingKeys(uri)
    .map((missing) => `${missing.key}@${missing.line}`)
    .join(', ');
}

describe('a 5,000-line flow analysed off the editor thread', function () {
  this.timeout(180_000);
  let editor: vscode.TextEditor;

  before(async () => {
    await activatedApi();
    const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: bigFlow() });
    editor = await vscode.window.showTextDocument(document, { preview: false });
  });

  after(async () => {
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('ships the analysis worker beside the extension, and the entry that starts it before loading the rest', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    for (const bundle of ['analysisWorker.js', 'extension.js', 'extensionMain.js'])
      assert.ok(fs.existsSync(path.join(extension.extensionPath, 'dist', bundle)), `dist/${bundle} is in the package`);
    assert.ok(extension.isActive);
  });

  it('reports the missing key of the big flow on its line', async () => {
    const uri = editor.document.uri;
    const found = await waitFor(
      'the missing key at the top',
      () => (missingKeys(uri).some((missing) => missing.key === 'MISSING_AT_TOP') ? true : undefined),
      60_000,
    );
    assert.ok(found);
    assert.deepEqual(
      missingKeys(uri).map((missing) => `${missing.key}@${missing.line}`),
      ['MISSING_AT_TOP@6'],
    );
  });

  it('moves the diagnostic with its line when lines are inserted above it', async () => {
    const uri = editor.document.uri;
    assert.ok(await editor.edit((edit) => edit.insert(new vscode.Position(3, 0), '# one\n# two\n# three\n')));
    await waitFor(
      `the diagnostic on line 9, got ${describeMissing(uri)}`,
      () => (missingKeys(uri).some((missing) => missing.line === 9) ? true : undefined),
      60_000,
    );
    assert.deepEqual(
      missingKeys(uri).map((missing) => `${missing.key}@${missing.line}`),
      ['MISSING_AT_TOP@9'],
    );
  });

  it('follows a key typed character by character, with no stale partial key left', async () => {
    const document = editor.document;
    let position = document.lineAt(document.lineCount - 2).range.end;
    for (const character of 'TYPED_KEY\') }}"') {
      const at = position;
      assert.ok(await editor.edit((edit) => edit.insert(at, character), { undoStopBefore: false, undoStopAfter: false }));
      position = position.translate(0, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const typedLine = document.lineCount - 2;
    await waitFor(
      `TYPED_KEY reported, got ${describeMissing(document.uri)}`,
      () => (missingKeys(document.uri).some((missing) => missing.key === 'TYPED_KEY') ? true : undefined),
      60_000,
    );
    assert.deepEqual(
      missingKeys(document.uri).map((missing) => `${missing.key}@${missing.line}`),
      ['MISSING_AT_TOP@9', `TYPED_KEY@${typedLine}`],
    );
    const typed = secretDiagnostics(document.uri).find((diagnostic) => diagnostic.message.includes('TYPED_KEY'));
    assert.equal(typed && document.getText(typed.range), 'TYPED_KEY');
  });

  it('hovers the reference under the cursor from the current version, after edits', async () => {
    const document = editor.document;
    const line = document.lineCount - 6;
    const character = document.lineAt(line).text.indexOf('DB_PASSWORD') + 2;
    assert.ok(character > 2, `DB_PASSWORD on line ${line}`);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      document.uri,
      new vscode.Position(line, character),
    );
    assert.match(hoverText(hovers), /DB_PASSWORD/);
  });

  it('drops the diagnostic once the key is fixed', async () => {
    const document = editor.document;
    const start = document.getText().indexOf('MISSING_AT_TOP');
    const range = new vscode.Range(document.positionAt(start), document.positionAt(start + 'MISSING_AT_TOP'.length));
    assert.ok(await editor.edit((edit) => edit.replace(range, 'API_TOKEN')));
    await waitFor(
      `only TYPED_KEY left, got ${describeMissing(document.uri)}`,
      () => (missingKeys(document.uri).length === 1 ? true : undefined),
      60_000,
    );
    assert.deepEqual(
      missingKeys(document.uri).map((missing) => missing.key),
      ['TYPED_KEY'],
    );
  });
});
