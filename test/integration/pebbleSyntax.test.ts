import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { VISIBLE_KEYS, activatedApi, diagnosticCode, openDocument, revertAndClose, secretDiagnostics, waitFor } from './helpers';

/** Appends a line to the document in memory (never saved) and returns the position at its end. */
async function appendLine(document: vscode.TextDocument, line: string): Promise<vscode.Position> {
  const end = document.lineAt(document.lineCount - 1).range.end;
  const edit = new vscode.WorkspaceEdit();
  const prefix = document.lineAt(document.lineCount - 1).text === '' ? '' : '\n';
  edit.insert(document.uri, end, `${prefix}${line}`);
  assert.ok(await vscode.workspace.applyEdit(edit));
  const last = document.lineCount - 1;
  return new vscode.Position(last, document.lineAt(last).text.length);
}

function summary(diagnostics: vscode.Diagnostic[]): string {
  return diagnostics.map((d) => `${diagnosticCode(d)}@${d.range.start.line}:${d.range.start.character}`).join(', ');
}

describe('Pebble syntax errors in the editor', () => {
  before(async () => {
    await activatedApi();
  });

  afterEach(async () => {
    await revertAndClose();
  });

  it("shows bash's ${#…} as Pebble's unclosed comment on its line, and its quick fix escapes it", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const line = `    commands: "echo \${#arr[@]} {{ secret('NOT_THERE') }}"`;
    const end = await appendLine(document, line);
    const opener = new vscode.Position(end.line, line.indexOf('{#'));
    const diagnostic = await waitFor('the pebble-syntax diagnostic', () =>
      secretDiagnostics(document.uri).find((d) => diagnosticCode(d) === 'pebble-syntax' && d.range.start.isEqual(opener)),
    );
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.match(diagnostic.message, /Unclosed comment\./);
    const onLine = secretDiagnostics(document.uri).filter((d) => d.range.start.line === end.line);
    assert.deepEqual(onLine.map(diagnosticCode), ['pebble-syntax'], `only the syntax error on its line, got ${summary(onLine)}`);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      document.uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((action) => action.edit && action.title.includes('{% raw %}'));
    assert.ok(fix?.edit, `an escape quick fix, got: ${actions.map((action) => action.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.lineAt(end.line).text, `    commands: "echo \${% raw %}{#{% endraw %}arr[@]} {{ secret('NOT_THERE') }}"`);
    await waitFor('the syntax error to give way to the missing secret', () => {
      const codes = secretDiagnostics(document.uri)
        .filter((d) => d.range.start.line === end.line)
        .map(diagnosticCode);
      return codes.length === 1 && codes[0] === 'missing-secret' ? true : undefined;
    });
  });

  it('still completes keys inside a half-typed call, where Pebble reports the template', async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, `    script: "{{ secret('DB_"`);
    const cursor = position.translate(0, -1);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      document.uri,
      cursor,
      "'",
      100,
    );
    const labels = list.items
      .filter((item) => item.kind !== vscode.CompletionItemKind.Text)
      .map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    assert.deepEqual([...labels].sort(), [...VISIBLE_KEYS].sort());
    const diagnostics = await waitFor('the pebble-syntax diagnostic of the half-typed call', () => {
      const found = secretDiagnostics(document.uri).filter((d) => d.range.start.line === position.line);
      return found.some((d) => diagnosticCode(d) === 'pebble-syntax') ? found : undefined;
    });
    assert.deepEqual(
      diagnostics.map(diagnosticCode),
      ['pebble-syntax'],
      `no missing secret for a half-typed key, got ${summary(diagnostics)}`,
    );
  });
});
