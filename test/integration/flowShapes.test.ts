import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  activatedApi,
  completionLabelsAfter,
  diagnosticCode,
  openDocument,
  positionOf,
  revertAndClose,
  secretDiagnostics,
  waitFor,
  workspaceRoot,
} from './helpers';

const FOLDER = 'flows/shapes';
const TASK = ['  - id: log', '    type: io.kestra.plugin.core.log.Log'];

/** Flows written as real projects write them (issue 8, points 5 and 6); created for this suite and removed after it. */
const FILES: Record<string, string> = {
  'bom-two-flows.yml': `\uFEFF${[
    'id: first',
    'namespace: team.one',
    'tasks:',
    ...TASK,
    "    message: \"{{ secret('API_TOKEN') }} {{ secret('MISSING_IN_ONE') }}\"",
    '---',
    'id: second',
    'namespace: team.two',
    'tasks:',
    ...TASK,
    '    message: "{{ secret(\'MISSING_IN_TWO\') }}"',
    '',
  ].join('\n')}`,
  'described.yml': [
    'id: described',
    'namespace: company.team',
    "description: This flow references no {{ secret('NAME') }} values",
    'tasks:',
    ...TASK,
    '    description: "Logs {{ secret(\'TASK_PROSE\') }}"',
    '    message: "{{ secret(\'MISSING_RENDERED\') }}"',
    '',
  ].join('\n'),
  'unquoted.yml': [
    'id: gcp',
    'namespace: company.team',
    'tasks:',
    '  - id: query',
    '    type: io.kestra.plugin.gcp.bigquery.Query',
    "    projectId: {{ secret('GCP_PROJECT_ID') }}",
    '',
  ].join('\n'),
};

function summary(diagnostics: vscode.Diagnostic[]): string {
  return diagnostics.map((d) => `${diagnosticCode(d)}@${d.range.start.line}:${d.range.start.character} ${d.message}`).join('\n');
}

async function diagnosticsOf(document: vscode.TextDocument, count: number): Promise<vscode.Diagnostic[]> {
  return waitFor(`${count} diagnostic(s) on ${path.basename(document.uri.fsPath)}`, () => {
    const found = secretDiagnostics(document.uri);
    return found.length >= count ? found : undefined;
  });
}

describe('flow shapes Kestra accepts, and what it renders (issue 8)', () => {
  before(async () => {
    await activatedApi();
    fs.mkdirSync(path.join(workspaceRoot(), FOLDER), { recursive: true });
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(workspaceRoot(), FOLDER, name), text);
  });

  after(async () => {
    await revertAndClose();
    fs.rmSync(path.join(workspaceRoot(), FOLDER), { recursive: true, force: true });
  });

  it('checks each flow of a BOM file with several documents against its own namespace', async () => {
    const document = await openDocument(`${FOLDER}/bom-two-flows.yml`);
    const diagnostics = await diagnosticsOf(document, 2);
    assert.equal(diagnostics.length, 2, summary(diagnostics));
    const one = diagnostics.find((diagnostic) => diagnostic.range.start.isEqual(positionOf(document, 'MISSING_IN_ONE')));
    const two = diagnostics.find((diagnostic) => diagnostic.range.start.isEqual(positionOf(document, 'MISSING_IN_TWO')));
    assert.ok(one && two, summary(diagnostics));
    assert.equal(diagnosticCode(one), 'missing-secret');
    assert.equal(one.severity, vscode.DiagnosticSeverity.Error);
    assert.match(one.message, /namespace team\.one/);
    assert.match(two.message, /namespace team\.two/);
    assert.equal(document.getText(two.range), 'MISSING_IN_TWO');
  });

  it('reports nothing for a secret() call in a description', async () => {
    const document = await openDocument(`${FOLDER}/described.yml`);
    const diagnostics = await diagnosticsOf(document, 1);
    assert.deepEqual(
      diagnostics.map((diagnostic) => document.getText(diagnostic.range)),
      ['MISSING_RENDERED'],
      summary(diagnostics),
    );
  });

  it('warns on the line of an unquoted template, saying to quote it', async () => {
    const document = await openDocument(`${FOLDER}/unquoted.yml`);
    const [warning, ...others] = await diagnosticsOf(document, 1);
    assert.deepEqual(others, [], summary(others));
    assert.equal(diagnosticCode(warning), 'unquoted-template');
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(warning.range.start.line, positionOf(document, 'projectId').line);
    assert.equal(document.getText(warning.range), "{{ secret('GCP_PROJECT_ID') }}");
    assert.match(warning.message, /quote/);
  });

  it("offers the namespace of a file's second flow inside namespace='", async () => {
    const labels = await waitFor('team.two among the namespaces', async () => {
      const found = await completionLabelsAfter(`${FOLDER}/described.yml`, `    message: "{{ secret('X', namespace='`);
      return found.includes('team.two') ? found : undefined;
    });
    assert.ok(labels.includes('team.one'), labels.join(', '));
  });
});
