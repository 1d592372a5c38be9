import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { startKestraServer, type FakeKestraServer } from '../fakes/kestraServer';
import {
  EXTENSION_ID,
  VISIBLE_KEYS,
  activatedApi,
  completionLabelsAfter,
  flattenTree,
  hoverText,
  openDocument,
  positionOf,
  revertAndClose,
  waitFor,
} from './helpers';

/** Kestra Enterprise over its REST API (a loopback fake): namespaces see their own secrets, then their parents'. */
const SERVER_SECRETS = [
  { namespace: 'company', key: 'COMPANY_WIDE' },
  { namespace: 'company.team', key: 'TEAM_DB', tags: { owner: 'data' } },
  { namespace: 'company.team', key: 'SHARED_TOKEN' },
  { namespace: 'company.team.sub', key: 'TEAM_DB' },
  { namespace: 'company.team.sub', key: 'SUB_ONLY' },
  { namespace: 'other', key: 'OTHER_KEY' },
];

describe('a writable Kestra Enterprise server', () => {
  let fake: FakeKestraServer;
  const settings = () => vscode.workspace.getConfiguration('kestraSecrets');

  before(async () => {
    await activatedApi();
    fake = await startKestraServer({ edition: 'ee', readOnly: false, secrets: SERVER_SECRETS });
    await settings().update('server', { url: fake.url, tenant: 'main' }, vscode.ConfigurationTarget.Global);
    const api = await activatedApi();
    await waitFor(
      'the server listing in the tree',
      async () => {
        const labels = flattenTree(await api.treeItems()).map((item) => item.label);
        return labels.includes('SUB_ONLY') && labels.includes('SHARED_TOKEN') ? true : undefined;
      },
      30_000,
    );
  });

  after(async () => {
    await settings().update('server', undefined, vscode.ConfigurationTarget.Global);
    const api = await activatedApi();
    await waitFor(
      'the env secrets back in the tree',
      async () => {
        const labels = flattenTree(await api.treeItems()).map((item) => item.label);
        return VISIBLE_KEYS.every((key) => labels.includes(key)) && !labels.includes('SUB_ONLY') ? true : undefined;
      },
      30_000,
    );
    await fake?.stop();
  });

  it("completes exactly the keys visible to each flow's namespace, inherited ones included", async () => {
    assert.deepEqual(await completionLabelsAfter('flows/company.team.sub/report.yml', `    description: "{{ secret('`), [
      'COMPANY_WIDE',
      'SHARED_TOKEN',
      'SUB_ONLY',
      'TEAM_DB',
    ]);
    assert.deepEqual(await completionLabelsAfter('flows/company.team/typing.yml', `    description: "{{ secret('`), [
      'COMPANY_WIDE',
      'SHARED_TOKEN',
      'TEAM_DB',
    ]);
  });

  it('hover tells which namespace a key resolves from and what it shadows', async () => {
    const document = await openDocument('flows/company.team.sub/report.yml');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, document.lineAt(document.lineCount - 1).range.end, `\n    description: "{{ secret('TEAM_DB') }}"`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      document.uri,
      positionOf(document, "secret('TEAM_DB')", "secret('TE".length),
    );
    const text = hoverText(hovers);
    await revertAndClose(document);
    assert.match(text, /company\.team\.sub/);
    assert.match(text, /shadows[^\n]*company\.team\b/);
  });

  it('offers edit and delete on its secrets, without locks', async () => {
    const api = await activatedApi();
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const menus = (extension.packageJSON.contributes?.menus?.['view/item/context'] ?? []) as { command: string; when?: string }[];
    const editWhen = menus.find((entry) => entry.command === 'kestraSecrets.editSecret')?.when ?? '';
    const viewItem = /viewItem\s*=~\s*\/((?:\\\/|[^/])+)\//.exec(editWhen);
    assert.ok(viewItem, `editSecret is offered on some items: ${editWhen}`);
    const secrets = flattenTree(await api.treeItems()).filter((item) => ['SUB_ONLY', 'SHARED_TOKEN'].includes(item.label));
    assert.ok(secrets.length >= 2);
    for (const item of secrets) {
      assert.notEqual(item.icon, 'lock', `${item.label} of a writable server shows no lock`);
      assert.match(item.contextValue ?? '', new RegExp(viewItem[1]), `${item.label} gets the edit/delete menu`);
    }
  });
});
