import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDotenv } from '../../src/core/dotenv';
import { decodeEncodedEnv, encodeDotenv } from '../../src/core/secretEnv';
import type { MoveResult, MoveToSecretArgs } from '../../src/extension/features/moveToSecret';
import { startKestraServer, type FakeKestraServer } from '../fakes/kestraServer';
import {
  VISIBLE_KEYS,
  activatedApi,
  canaries,
  diagnosticCode,
  openDocument,
  secretDiagnostics,
  waitFor,
  waitForTreeLabels,
  workspaceRoot,
  workspaceUri,
} from './helpers';

/**
 * A password planted in a flow is the canary's own password field: the run's canary scan then proves
 * that the moved value reached no log and no file but `.env` / `.env_encoded`.
 */
const FLOW = 'flows/company.team/hardcoded.yml';

function planted(): string {
  const field = canaries().find((canary) => /^CANARY-/.test(canary));
  assert.ok(field, 'the canary has a password field');
  return field;
}

function plantFlow(): void {
  const text = [
    'id: hardcoded',
    'namespace: company.team',
    'tasks:',
    '  - id: query',
    '    type: io.kestra.plugin.jdbc.postgresql.Query',
    '    url: jdbc:postgresql://db.internal:5432/app',
    '    username: etl',
    `    password: ${planted()}`,
    '    sql: select 1',
    '',
  ].join('\n');
  fs.writeFileSync(workspaceUri(FLOW).fsPath, text);
}

async function hardcodedWarning(document: vscode.TextDocument): Promise<vscode.Diagnostic> {
  return waitFor(
    'the hardcoded-secret warning',
    () => secretDiagnostics(document.uri).find((diagnostic) => diagnosticCode(diagnostic) === 'hardcoded-secret'),
    30_000,
  );
}

async function moveFixFor(document: vscode.TextDocument, warning: vscode.Diagnostic): Promise<MoveToSecretArgs> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider',
    document.uri,
    warning.range,
  );
  const move = actions.find((action) => action.title === 'Move to secret…');
  assert.ok(move?.command, `"Move to secret…" is offered (got ${actions.map((action) => action.title).join(', ')})`);
  assert.equal(move.command.command, 'kestraSecrets.moveToSecret');
  return move.command.arguments?.[0] as MoveToSecretArgs;
}

/** The warning is gone once the flow was checked again, and the new reference resolves. */
async function assertResolved(document: vscode.TextDocument): Promise<void> {
  const api = await activatedApi();
  await waitFor(
    'the warning to go',
    () => (secretDiagnostics(document.uri).some((diagnostic) => diagnosticCode(diagnostic) === 'hardcoded-secret') ? undefined : true),
    30_000,
  );
  await api.catalogReady();
  const codes = secretDiagnostics(document.uri).map(diagnosticCode);
  assert.deepEqual(
    codes.filter((code) => code === 'hardcoded-secret' || code === 'missing-secret'),
    [],
  );
}

/** Every workspace file but the env files the move was asked to write: none holds the value. */
function assertValueOnlyInEnvFiles(value: string): void {
  const root = workspaceRoot();
  const allowed = new Set(['.env', '.env_encoded']);
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full);
      if (entry.isDirectory()) visit(full);
      else if (!allowed.has(relative) && !relative.startsWith('encode')) {
        assert.ok(!fs.readFileSync(full, 'utf8').includes(value), `${relative} holds the moved value`);
      }
    }
  };
  visit(root);
}

describe('Move to secret (hardcoded credentials)', () => {
  const envPath = () => path.join(workspaceRoot(), '.env');
  const encodedPath = () => path.join(workspaceRoot(), '.env_encoded');
  let originalEnv = '';
  let originalEncoded = '';

  before(async () => {
    await activatedApi();
    originalEnv = fs.readFileSync(envPath(), 'utf8');
    originalEncoded = fs.readFileSync(encodedPath(), 'utf8');
    // The fixture's encoded file holds a key its .env lacks (a broken value other suites need); re-encoding
    // would ask before dropping it, so this suite starts from an encoded file that matches the .env.
    fs.writeFileSync(encodedPath(), encodeDotenv(originalEnv).text);
    await vscode.commands.executeCommand('kestraSecrets.refresh');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(workspaceUri(FLOW).fsPath, { force: true });
    fs.writeFileSync(envPath(), originalEnv);
    fs.writeFileSync(encodedPath(), originalEncoded);
    await vscode.commands.executeCommand('kestraSecrets.refresh');
    await (await activatedApi()).catalogReady();
  });

  it('warns on a planted password without showing it, and moves it to .env and .env_encoded (env secrets)', async () => {
    const value = planted();
    plantFlow();
    const document = await openDocument(FLOW);
    const warning = await hardcodedWarning(document);
    assert.equal(document.getText(warning.range), value);
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(warning.message, /`password` of io\.kestra\.plugin\.jdbc\.postgresql\.Query is a credential written in clear/);
    assert.ok(!warning.message.includes(value));
    const args = await moveFixFor(document, warning);

    const refused = await vscode.commands.executeCommand<MoveResult | undefined>('kestraSecrets.moveToSecret', {
      ...args,
      key: 'DB_PASSWORD',
      envFile: envPath(),
    });
    assert.equal(refused, undefined, 'an existing key is refused');
    assert.equal(fs.readFileSync(envPath(), 'utf8'), originalEnv);
    assert.ok(document.getText().includes(value), 'the flow is unchanged after a refusal');

    const result = await vscode.commands.executeCommand<MoveResult>('kestraSecrets.moveToSecret', {
      ...args,
      key: 'POSTGRES_PASSWORD',
      envFile: envPath(),
    });
    assert.deepEqual(result, { moved: ['POSTGRES_PASSWORD'], destination: 'env' });

    const env = parseDotenv(fs.readFileSync(envPath(), 'utf8')).entries;
    assert.equal(env.find((entry) => entry.key === 'POSTGRES_PASSWORD')?.value, value);
    const decoded = parseDotenv(decodeEncodedEnv(fs.readFileSync(encodedPath(), 'utf8')).text).entries;
    assert.equal(decoded.find((entry) => entry.key === 'POSTGRES_PASSWORD')?.value, value, '.env_encoded decodes to the value');
    assert.equal(decoded.length, env.length, 'every other variable is still encoded');

    assert.match(document.getText(), /^ {4}password: "\{\{ secret\('POSTGRES_PASSWORD'\) \}\}"$/m);
    assert.ok(!document.isDirty, 'the flow is saved, so the value is not left on disk');
    await assertResolved(document);
    assertValueOnlyInEnvFiles(value);

    await vscode.commands.executeCommand('undo');
    assert.ok(document.getText().includes(`password: ${value}`), 'one undo step restores the literal');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  /** A Kestra Enterprise server fake as the store while the suite runs, with TEAM_DB in company.team; the env secrets back after. */
  function useKestraServer(readOnly: boolean): () => FakeKestraServer {
    let fake: FakeKestraServer | undefined;
    const settings = () => vscode.workspace.getConfiguration('kestraSecrets');
    before(async () => {
      fake = await startKestraServer({ edition: 'ee', readOnly, secrets: [{ namespace: 'company.team', key: 'TEAM_DB' }] });
      await settings().update('server', { url: fake.url, tenant: 'main' }, vscode.ConfigurationTarget.Global);
      await waitForTreeLabels('the server listing in the tree', ['TEAM_DB']);
    });
    after(async () => {
      await settings().update('server', undefined, vscode.ConfigurationTarget.Global);
      await waitForTreeLabels('the env secrets back in the tree', VISIBLE_KEYS, ['TEAM_DB']);
      await fake?.stop();
    });
    return () => fake!;
  }

  describe('with a writable Kestra Enterprise server', () => {
    const server = useKestraServer(false);

    it('creates the secret with exactly one request carrying the value, then references it', async () => {
      const value = planted();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      plantFlow();
      const document = await openDocument(FLOW);
      const warning = await hardcodedWarning(document);
      const args = await moveFixFor(document, warning);
      const result = await vscode.commands.executeCommand<MoveResult>('kestraSecrets.moveToSecret', { ...args, key: 'POSTGRES_PASSWORD' });
      assert.deepEqual(result, { moved: ['POSTGRES_PASSWORD'], destination: 'store' });

      const carrying = server().requests.filter((request) => request.url.includes(value) || (request.bodyText ?? '').includes(value));
      assert.equal(carrying.length, 1, 'one request carries the value');
      assert.equal(carrying[0].method, 'PUT');
      assert.match(carrying[0].path, /\/namespaces\/company\.team\/secrets/);
      assert.equal(server().valueOf('company.team', 'POSTGRES_PASSWORD'), value);

      assert.match(document.getText(), /^ {4}password: "\{\{ secret\('POSTGRES_PASSWORD'\) \}\}"$/m);
      await assertResolved(document);
      assertValueOnlyInEnvFiles(value);
    });

    it('moves all credentials of a flow, one secret per distinct value, in one undo step', async () => {
      const token = 'tok-' + '7fK2mQ9xLp4Rz8Wt';
      const flow = [
        'id: several',
        'namespace: company.team',
        'tasks:',
        '  - id: call',
        '    type: io.kestra.plugin.core.http.Request',
        '    uri: https://api.acme.io',
        '    headers:',
        `      Authorization: "Bearer ${token}"`,
        '  - id: again',
        '    type: io.kestra.plugin.core.http.Request',
        `    uri: https://etl:${token}@api.acme.io/export`,
        '',
      ].join('\n');
      const relative = 'flows/company.team/several.yml';
      fs.writeFileSync(workspaceUri(relative).fsPath, flow);
      try {
        const document = await openDocument(relative);
        await hardcodedWarning(document);
        const before = server().requests.length;
        const result = await vscode.commands.executeCommand<MoveResult>('kestraSecrets.moveAllToSecrets', {
          uri: document.uri.toString(),
          confirmed: true,
        });
        assert.deepEqual(result, { moved: ['API_TOKEN'], destination: 'store' });
        const carrying = server()
          .requests.slice(before)
          .filter((request) => request.url.includes(token) || (request.bodyText ?? '').includes(token));
        assert.deepEqual(
          carrying.map((request) => request.method),
          ['PUT'],
          'the same value is stored once',
        );
        assert.ok(document.getText().includes(`Authorization: "Bearer {{ secret('API_TOKEN') }}"`));
        assert.ok(document.getText().includes(`uri: "https://etl:{{ secret('API_TOKEN') }}@api.acme.io/export"`));
        await assertResolved(document);
        await vscode.commands.executeCommand('undo');
        assert.equal(document.getText(), flow, 'one undo step restores both literals');
        await vscode.commands.executeCommand('workbench.action.files.revert');
      } finally {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        fs.rmSync(workspaceUri(relative).fsPath, { force: true });
      }
    });
  });

  describe('with a read-only Kestra server', () => {
    const server = useKestraServer(true);

    it('stores nothing, sends the value nowhere and leaves the flow as it is', async () => {
      const value = planted();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      plantFlow();
      const document = await openDocument(FLOW);
      const args = await moveFixFor(document, await hardcodedWarning(document));
      const result = await vscode.commands.executeCommand<MoveResult>('kestraSecrets.moveToSecret', { ...args, key: 'POSTGRES_PASSWORD' });
      assert.deepEqual(result, { moved: [], destination: 'read-only' });
      assert.equal(server().writeCount, 0);
      assert.ok(!server().requests.some((request) => request.url.includes(value) || (request.bodyText ?? '').includes(value)));
      assert.ok(document.getText().includes(`password: ${value}`));
      assert.ok(!document.isDirty);
      fs.rmSync(workspaceUri(FLOW).fsPath, { force: true });
    });
  });
});
