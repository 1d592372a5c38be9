import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { CANARY_FIELDS, activatedApi, assertNoCanary, hoverText, openDocument, positionOf } from './helpers';

async function hoverAt(document: vscode.TextDocument, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
  return hoverText(hovers);
}

describe('hover', () => {
  before(async () => {
    await activatedApi();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows the metadata of a secret and never its value', async () => {
    const document = await openDocument('flows/company.team/etl.yml');
    const text = await hoverAt(document, positionOf(document, "secret('DB_CREDENTIALS'", "secret('DB".length));
    assert.match(text, /DB_CREDENTIALS/);
    assert.match(text, /read-only/i, 'the env backend is read-only');
    for (const field of CANARY_FIELDS) assert.ok(text.includes(field), `hover lists the field '${field}'`);
    assertNoCanary(text, 'the hover of DB_CREDENTIALS');
  });

  it('describes a subkey without its value', async () => {
    const document = await openDocument('flows/company.team/etl.yml');
    const text = await hoverAt(document, positionOf(document, "subkey='user'", "subkey='u".length));
    assert.match(text, /user/);
    assertNoCanary(text, 'the hover of a subkey');
  });

  it('explains why a dynamic key cannot be checked', async () => {
    const document = await openDocument('flows/company.team/etl.yml');
    const text = await hoverAt(document, positionOf(document, 'secret(inputs.key)', 'secret(inp'.length));
    assert.match(text, /inputs\.key/);
    assert.match(text, /run/i);
  });

  it('offers a close key for a missing one', async () => {
    const document = await openDocument('flows/company.team.sub/report.yml');
    const text = await hoverAt(document, positionOf(document, 'DB_PASWORD', 2));
    assert.match(text, /DB_PASSWORD/);
    assertNoCanary(text, 'the hover of a missing key');
  });
});
