import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { CANARY_FIELDS, VISIBLE_KEYS, activatedApi, assertNoCanary, openDocument, positionOf, revertAndClose } from './helpers';

/** Our items only: the editor may add word-based (Text) suggestions of its own. */
async function secretCompletions(
  document: vscode.TextDocument,
  position: vscode.Position,
  trigger?: string,
): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    document.uri,
    position,
    trigger,
    100,
  );
  return list.items.filter((item) => item.kind !== vscode.CompletionItemKind.Text);
}

function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

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

describe('completion', () => {
  before(async () => {
    await activatedApi();
  });

  afterEach(async () => {
    await revertAndClose();
  });

  it("lists exactly the keys visible to the flow's namespace inside secret('", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, `    description: "{{ secret('`);
    const items = await secretCompletions(document, position, "'");
    assert.deepEqual(items.map(labelOf).sort(), [...VISIBLE_KEYS].sort());
    for (const item of items) {
      assertNoCanary(`${labelOf(item)} ${item.detail ?? ''}`, `completion item ${labelOf(item)}`);
      assert.ok(item.range, 'items replace only the literal');
      const range = item.range instanceof vscode.Range ? item.range : item.range.replacing;
      assert.deepEqual([range.start.line, range.start.character], [position.line, position.character]);
    }
  });

  it('replaces only the content of an existing literal', async () => {
    const document = await openDocument('flows/company.team/etl.yml');
    const literalStart = positionOf(document, "secret('API_TOKEN')", "secret('".length);
    const inside = literalStart.translate(0, 3);
    const items = await secretCompletions(document, inside);
    const item = items.find((candidate) => labelOf(candidate) === 'API_TOKEN');
    assert.ok(item, 'API_TOKEN offered inside an existing literal');
    const range = item.range instanceof vscode.Range ? item.range : item.range?.replacing;
    assert.ok(range);
    assert.equal(document.getText(range), 'API_TOKEN');
  });

  it("lists the fields of a JSON secret inside subkey='", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, `    description: "{{ secret('DB_CREDENTIALS', subkey='`);
    const items = await secretCompletions(document, position, "'");
    assert.deepEqual(items.map(labelOf).sort(), CANARY_FIELDS);
    for (const item of items) assertNoCanary(`${labelOf(item)} ${item.detail ?? ''}`, 'subkey completion');
  });

  it("lists the workspace's namespaces inside namespace='", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, `    description: "{{ secret('DB_PASSWORD', namespace='`);
    const labels = (await secretCompletions(document, position, "'")).map(labelOf);
    for (const namespace of ['company.team', 'company.team.sub'])
      assert.ok(labels.includes(namespace), `${namespace} in ${labels.join(', ')}`);
    assert.deepEqual(
      labels.filter((label) => VISIBLE_KEYS.includes(label)),
      [],
      'no keys where a namespace goes',
    );
  });

  it("respects an explicit namespace='…' argument", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const line = `    description: "{{ secret('', namespace='company.team.sub') }}"`;
    const end = await appendLine(document, line);
    const inside = new vscode.Position(end.line, line.indexOf("('") + 2);
    const labels = (await secretCompletions(document, inside, "'")).map(labelOf);
    assert.deepEqual([...labels].sort(), [...VISIBLE_KEYS].sort(), 'OSS env secrets are visible from every namespace');
  });

  it('still completes in half-typed YAML (an unclosed quote)', async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    await appendLine(document, `    broken: "unclosed`);
    const position = await appendLine(document, `  - message: {{ secret("DB_`);
    const items = await secretCompletions(document, position, '"');
    const labels = items.map(labelOf);
    assert.ok(labels.includes('DB_PASSWORD') && labels.includes('DB_CREDENTIALS'), `got ${labels.join(', ')}`);
    assert.deepEqual([...labels].sort(), [...VISIBLE_KEYS].sort());
  });

  it("offers a secret('…') snippet after {{ sec", async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, '    description: "{{ sec');
    const items = await secretCompletions(document, position);
    const snippet = items.find((item) => item.kind === vscode.CompletionItemKind.Snippet && /secret\(/.test(labelOf(item)));
    assert.ok(snippet, `no secret snippet among ${items.map(labelOf).join(', ')}`);
    const insert = snippet.insertText instanceof vscode.SnippetString ? snippet.insertText.value : String(snippet.insertText);
    assert.match(insert, /^secret\(/);
  });

  it('offers nothing outside a secret() call', async () => {
    const document = await openDocument('flows/company.team/typing.yml');
    const position = await appendLine(document, "    description: 'plain text'");
    const items = await secretCompletions(document, position.translate(0, -2), "'");
    const keys = items.map(labelOf).filter((label) => VISIBLE_KEYS.includes(label));
    assert.deepEqual(keys, []);
  });
});
