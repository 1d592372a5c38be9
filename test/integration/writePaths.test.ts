/**
 * Issue 13, finding 12: the editor's write paths end to end, inside VS Code, against loopback stores (a Kestra
 * Enterprise server and AWS Secrets Manager, test/fakes) and the workspace's `.env`. A scripted user answers
 * the input boxes and dialogs (./scriptedUser). Each test checks exactly which requests the command made (every
 * other request is a listing, which carries no value) and that the value it handled is in no file of the
 * workspace copy but the env files asked for, and in no log or other file of the user data. The values hold
 * the workspace's canary, so the runner's final scan (after the logs are flushed) checks them again.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDotenv } from '../../src/core/dotenv';
import { decodeEncodedEnv } from '../../src/core/secretEnv';
import { startAwsSecretsManager, type FakeAwsSecretsManager } from '../fakes/awsSecretsManager';
import { startKestraServer, type FakeKestraServer } from '../fakes/kestraServer';
import {
  VISIBLE_KEYS,
  activatedApi,
  canaries,
  setProcessEnv,
  waitFor,
  waitForTreeLabels,
  workspaceRoot,
  type TreeItemSnapshot,
} from './helpers';
import { ScriptedUser, type Prompt } from './scriptedUser';

const NAMESPACE = 'company.team';
const settings = () => vscode.workspace.getConfiguration('kestraSecrets');

/** A value that holds the canary's password field, so that the runner's canary scan also looks for it. */
function secretValue(purpose: string): string {
  const field = canaries().find((canary) => /^CANARY-/.test(canary));
  assert.ok(field, 'the canary has a password field');
  return `${field}-${purpose}`;
}

/** The label path to `key` listed under `namespace`, found in the view's snapshot. */
function pathTo(items: TreeItemSnapshot[], key: string, trail: string[] = []): string[] | undefined {
  for (const item of items) {
    if (item.label === NAMESPACE && item.children.some((child) => child.label === key && /^secret\b/.test(child.contextValue ?? ''))) {
      return [...trail, NAMESPACE, key];
    }
    const found = pathTo(item.children, key, [...trail, item.label]);
    if (found) return found;
  }
  return undefined;
}

/** The tree element a right-click on `key` in company.team hands to the context menu's command. */
async function secretItem(key: string): Promise<unknown> {
  const api = await activatedApi();
  const labels = pathTo(await waitForTreeLabels(`${key} in the tree`, [key]), key);
  assert.ok(labels, `${key} is listed under ${NAMESPACE}`);
  const element = await api.treeElement(labels);
  assert.ok(element, `the view has an element at ${labels.join(' > ')}`);
  return element;
}

/** Runs a command the way a click does, and waits for the catalog to settle after it. */
async function run(command: string, argument?: unknown): Promise<void> {
  const api = await activatedApi();
  await vscode.commands.executeCommand(command, ...(argument === undefined ? [] : [argument]));
  await api.catalogReady();
}

/** The folder of the run (code-server's user data beside the workspace copy), when the harness made one. */
function userDataDir(): string | undefined {
  const dir = path.join(path.dirname(workspaceRoot()), 'user-data');
  return fs.existsSync(dir) ? dir : undefined;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const full = path.join(entry.parentPath, entry.name);
    return entry.isFile() && fs.statSync(full).size < 20 * 1024 * 1024 ? [full] : [];
  });
}

/** No file of the workspace copy (but `allowed`, relative) and none of the user data holds the value or its base64. */
function assertValueNowhere(value: string, allowed: string[] = []): void {
  const forms = [value, Buffer.from(value, 'utf8').toString('base64')];
  const root = workspaceRoot();
  const files = filesUnder(root).filter((file) => !allowed.includes(path.relative(root, file)));
  const dataDir = userDataDir();
  if (dataDir) files.push(...filesUnder(dataDir));
  for (const file of files) {
    const text = fs.readFileSync(file, 'latin1');
    assert.ok(!forms.some((form) => text.includes(form)), `${file} holds the value`);
  }
}

/** The extension's own log (its output channel's file), once it holds a line matching `flushed`. */
async function extensionLog(flushed: RegExp): Promise<string | undefined> {
  const dataDir = userDataDir();
  if (!dataDir) return undefined;
  return waitFor('the line in the Kestra Secrets log', () => {
    const text = filesUnder(path.join(dataDir, 'logs'))
      .filter((file) => path.basename(file) === 'Kestra Secrets.log')
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
    return flushed.test(text) ? text : undefined;
  });
}

function dialogs(prompts: Prompt[]): string[] {
  return prompts.filter((prompt) => prompt.modal).map((prompt) => `${prompt.kind}: ${prompt.message}`);
}

describe('write paths of the editor against the stores', function () {
  this.timeout(90_000);
  const user = new ScriptedUser();

  before(async () => {
    await activatedApi();
    user.start();
  });

  after(() => user.stop());

  beforeEach(() => user.clear());

  afterEach(() => user.assertScriptDone());

  describe('a writable Kestra Enterprise server', () => {
    let fake: FakeKestraServer;
    const root = '/api/v1/main';
    /** Every request after `from`, as `METHOD path`, but the GET listings (checked to be listings). */
    const requestsSince = (from: number): string[] => {
      const made = fake.requests.slice(from);
      for (const request of made.filter((request) => request.method === 'GET')) {
        assert.match(request.path, /^\/api\/v1\/main\/(secrets|namespaces\/search|namespaces\/[^/]+\/(secrets|inherited-secrets))$/);
      }
      return made.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.path}`);
    };
    const bodyOf = (request: { bodyText?: string } | undefined) => JSON.parse(request?.bodyText ?? 'null') as Record<string, unknown>;

    before(async () => {
      fake = await startKestraServer({
        edition: 'ee',
        readOnly: false,
        secrets: [
          { namespace: NAMESPACE, key: 'TEAM_DB', description: 'Team database', tags: { owner: 'data' }, value: 'seeded' },
          { namespace: NAMESPACE, key: 'SHARED_TOKEN', value: 'seeded' },
        ],
      });
      await settings().update('server', { url: fake.url, tenant: 'main' }, vscode.ConfigurationTarget.Global);
      await waitForTreeLabels('the server listing in the tree', ['TEAM_DB', 'SHARED_TOKEN']);
    });

    after(async () => {
      await settings().update('server', undefined, vscode.ConfigurationTarget.Global);
      await waitForTreeLabels('the env secrets back in the tree', VISIBLE_KEYS, ['TEAM_DB']);
      await fake?.stop();
    });

    it('creates a secret from the input boxes with exactly one PUT, the value typed in a password box', async () => {
      const value = secretValue('server-create');
      const from = fake.requests.length;
      user.will(NAMESPACE, 'NEW_TOKEN', value, 'Created from the editor');
      await run('kestraSecrets.createSecret');

      assert.deepEqual(requestsSince(from), [`PUT ${root}/namespaces/${NAMESPACE}/secrets`]);
      const put = fake.requests.slice(from).find((request) => request.method === 'PUT');
      assert.deepEqual(bodyOf(put), { key: 'NEW_TOKEN', value, description: 'Created from the editor', tags: [] });
      assert.deepEqual(
        user.prompts.filter((prompt) => prompt.kind === 'input').map((prompt) => prompt.password),
        [false, false, true, false],
        'only the value is typed in a password box',
      );
      assert.equal(fake.valueOf(NAMESPACE, 'NEW_TOKEN'), value);
      await waitForTreeLabels('the new secret in the tree', ['NEW_TOKEN']);
      assertValueNowhere(value);
    });

    it('edits a value and keeps its description and tags', async () => {
      const value = secretValue('server-edit');
      const item = await secretItem('TEAM_DB');
      const from = fake.requests.length;
      user.will(value);
      await run('kestraSecrets.editSecret', item);

      assert.deepEqual(requestsSince(from), [`PUT ${root}/namespaces/${NAMESPACE}/secrets`]);
      const put = fake.requests.slice(from).find((request) => request.method === 'PUT');
      assert.deepEqual(bodyOf(put), { key: 'TEAM_DB', value, description: 'Team database', tags: [{ key: 'owner', value: 'data' }] });
      const stored = fake.secrets().find((secret) => secret.namespace === NAMESPACE && secret.key === 'TEAM_DB');
      assert.ok(fake.valueOf(NAMESPACE, 'TEAM_DB') === value, 'the server holds the new value');
      assert.deepEqual([stored?.description, stored?.tags], ['Team database', { owner: 'data' }]);
      assert.deepEqual(
        user.prompts.filter((prompt) => prompt.kind === 'input').map((prompt) => prompt.password),
        [true],
      );
      assertValueNowhere(value);
    });

    it('deletes only after the confirmation: no request when cancelled, one DELETE when confirmed', async () => {
      const item = await secretItem('SHARED_TOKEN');
      let from = fake.requests.length;
      user.will(undefined);
      await run('kestraSecrets.deleteSecret', item);
      assert.deepEqual(requestsSince(from), [], 'cancelled: nothing deleted');
      assert.deepEqual(dialogs(user.prompts), [`warning: Delete secret 'SHARED_TOKEN' from namespace ${NAMESPACE}?`]);
      assert.ok(fake.secrets().some((secret) => secret.key === 'SHARED_TOKEN'));

      from = fake.requests.length;
      user.will('Delete');
      await run('kestraSecrets.deleteSecret', item);
      assert.deepEqual(requestsSince(from), [`DELETE ${root}/namespaces/${NAMESPACE}/secrets/SHARED_TOKEN`]);
      assert.ok(!fake.secrets().some((secret) => secret.key === 'SHARED_TOKEN'));
      await waitForTreeLabels('the deleted secret gone from the tree', ['TEAM_DB'], ['SHARED_TOKEN']);
    });

    it('refuses to reveal a value, which the Kestra API never returns: no dialog, no request', async () => {
      const item = await secretItem('TEAM_DB');
      const from = fake.requests.length;
      await run('kestraSecrets.revealValue', item);
      assert.deepEqual(requestsSince(from), []);
      assert.deepEqual(dialogs(user.prompts), []);
      assert.deepEqual(
        user.prompts.map((prompt) => prompt.kind),
        ['error'],
      );
      assert.match(user.prompts[0]?.message ?? '', /never returns secret values\.$/);
    });
  });

  describe('a writable AWS Secrets Manager', () => {
    let aws: FakeAwsSecretsManager;
    let restoreEnv: () => void = () => undefined;
    /** The operations after `from`, but the listings (which carry no value). */
    const operationsSince = (from: number): string[] =>
      aws.requests
        .slice(from)
        .map((request) => request.target)
        .filter((target) => target !== 'ListSecrets');
    const bodiesSince = (from: number, target: string) =>
      aws.requests.slice(from).flatMap((request) => (request.target === target ? [request.body] : []));

    before(async () => {
      aws = await startAwsSecretsManager();
      const identity = (key: string) => ({ namespace: NAMESPACE, key, prefix: 'kestra' });
      aws.seed('team/db', 'seeded', { ...identity('TEAM_DB'), owner: 'data' }, 'Team database');
      aws.seed('team/old', 'seeded', identity('OLD_TOKEN'));
      aws.seed('team/api', secretValue('aws-reveal'), identity('API_TOKEN'));
      const [credentials] = aws.credentials;
      assert.ok(credentials);
      restoreEnv = setProcessEnv({
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      await settings().update(
        'secret',
        { type: 'aws-secret-manager', 'aws-secret-manager': { region: aws.region, 'endpoint-override': aws.url } },
        vscode.ConfigurationTarget.Global,
      );
      await waitForTreeLabels('the AWS secrets in the tree', ['TEAM_DB', 'OLD_TOKEN', 'API_TOKEN'], ['SLACK_CHANNEL']);
    });

    after(async () => {
      await settings().update('secret', undefined, vscode.ConfigurationTarget.Global);
      await waitForTreeLabels('the env secrets back in the tree', VISIBLE_KEYS, ['TEAM_DB', 'OLD_TOKEN']);
      restoreEnv();
      await aws?.close();
    });

    it('creates a secret with one CreateSecret carrying the value, the description and the Kestra tags', async () => {
      const value = secretValue('aws-create');
      const from = aws.requests.length;
      user.will(NAMESPACE, 'NEW_TOKEN', value, 'Created from the editor');
      await run('kestraSecrets.createSecret');

      assert.deepEqual(operationsSince(from), ['CreateSecret']);
      const [created] = bodiesSince(from, 'CreateSecret');
      assert.equal(created?.SecretString, value);
      assert.equal(created?.Description, 'Created from the editor');
      assert.deepEqual(
        (created?.Tags as { Key: string; Value: string }[]).filter((tag) => ['namespace', 'key'].includes(tag.Key)),
        [
          { Key: 'namespace', Value: NAMESPACE },
          { Key: 'key', Value: 'NEW_TOKEN' },
        ],
      );
      await waitForTreeLabels('the new secret in the tree', ['NEW_TOKEN']);
      assertValueNowhere(value);
    });

    it('edits a value and keeps its description and tags', async () => {
      const value = secretValue('aws-edit');
      const item = await secretItem('TEAM_DB');
      const from = aws.requests.length;
      user.will(value);
      await run('kestraSecrets.editSecret', item);

      assert.deepEqual(operationsSince(from), ['PutSecretValue', 'TagResource', 'UpdateSecret']);
      assert.equal(bodiesSince(from, 'PutSecretValue')[0]?.SecretString, value);
      const tags = bodiesSince(from, 'TagResource')[0]?.Tags as { Key: string; Value: string }[];
      assert.ok(
        tags.some((tag) => tag.Key === 'owner' && tag.Value === 'data'),
        'the owner tag is written back',
      );
      assert.equal(bodiesSince(from, 'UpdateSecret')[0]?.Description, 'Team database');
      const stored = aws.secrets.get('team/db');
      assert.equal(stored?.value, value);
      assert.equal(stored?.description, 'Team database');
      assert.ok(stored?.tags.some((tag) => tag.Key === 'owner' && tag.Value === 'data'));
      assertValueNowhere(value);
    });

    it('deletes only after the confirmation: no request when cancelled, one DeleteSecret when confirmed', async () => {
      const item = await secretItem('OLD_TOKEN');
      let from = aws.requests.length;
      user.will(undefined);
      await run('kestraSecrets.deleteSecret', item);
      assert.deepEqual(operationsSince(from), [], 'cancelled: nothing deleted');
      assert.deepEqual(dialogs(user.prompts), [`warning: Delete secret 'OLD_TOKEN' from namespace ${NAMESPACE}?`]);

      from = aws.requests.length;
      user.will('Delete');
      await run('kestraSecrets.deleteSecret', item);
      assert.deepEqual(operationsSince(from), ['DeleteSecret']);
      assert.ok(aws.secrets.get('team/old')?.deleted, 'scheduled for deletion');
      await waitForTreeLabels('the deleted secret gone from the tree', ['TEAM_DB'], ['OLD_TOKEN']);
    });

    it('creates again a key it deleted moments ago: AWS keeps the name for its recovery window, so it is restored', async () => {
      const value = secretValue('aws-recreate');
      const stored = () =>
        [...aws.secrets.values()].find((secret) => secret.tags.some((tag) => tag.Key === 'key' && tag.Value === 'NEW_TOKEN'));
      const item = await secretItem('NEW_TOKEN');
      let from = aws.requests.length;
      user.will('Delete');
      await run('kestraSecrets.deleteSecret', item);
      assert.deepEqual(operationsSince(from), ['DeleteSecret']);
      assert.ok(stored()?.deleted, 'scheduled for deletion');
      await waitForTreeLabels('NEW_TOKEN gone from the tree', ['TEAM_DB'], ['NEW_TOKEN']);

      from = aws.requests.length;
      user.will(NAMESPACE, 'NEW_TOKEN', value, '');
      await run('kestraSecrets.createSecret');
      assert.deepEqual(operationsSince(from), ['CreateSecret', 'RestoreSecret', 'PutSecretValue', 'TagResource']);
      assert.equal(stored()?.deleted, undefined);
      assert.equal(stored()?.value, value);
      await waitForTreeLabels('NEW_TOKEN back in the tree', ['NEW_TOKEN']);
      assertValueNowhere(value);
    });

    it('reveals a value only after the confirmation, once, in a modal dialog, and never logs it', async () => {
      const value = secretValue('aws-reveal');
      const item = await secretItem('API_TOKEN');
      let from = aws.requests.length;
      user.will(undefined);
      await run('kestraSecrets.revealValue', item);
      assert.deepEqual(operationsSince(from), [], 'cancelled: the value is not read');

      user.clear();
      from = aws.requests.length;
      user.will('Reveal', undefined);
      await run('kestraSecrets.revealValue', item);
      assert.deepEqual(operationsSince(from), ['GetSecretValue']);
      assert.deepEqual(dialogs(user.prompts), ['warning: Reveal the value of API_TOKEN?', 'information: Value of API_TOKEN']);
      const showing = user.prompts.filter((prompt) =>
        [prompt.message, prompt.detail, ...prompt.items].some((text) => text?.includes(value)),
      );
      assert.equal(showing.length, 1, 'the value is shown once');
      assert.deepEqual([showing[0]?.modal, showing[0]?.detail === value], [true, true], 'in a modal dialog, as its detail');

      const log = await extensionLog(/Revealed the value of API_TOKEN/);
      assert.ok(log === undefined || !log.includes(value), 'the log holds the revealed value');
      assertValueNowhere(value);
    });
  });

  describe("the workspace's .env (env secrets)", () => {
    const envFile = () => path.join(workspaceRoot(), '.env');
    const encodedFile = () => path.join(workspaceRoot(), '.env_encoded');
    let originalEnv = '';
    let originalEncoded = '';

    before(() => {
      originalEnv = fs.readFileSync(envFile(), 'utf8');
      originalEncoded = fs.readFileSync(encodedFile(), 'utf8');
    });

    after(async () => {
      fs.writeFileSync(envFile(), originalEnv);
      fs.writeFileSync(encodedFile(), originalEncoded);
      await run('kestraSecrets.refresh');
    });

    it('adds a key to .env and re-encodes .env_encoded, after asking before dropping a variable only the encoded file has', async () => {
      const value = secretValue('env-add');
      user.will(value, undefined);
      await run('kestraSecrets.addToEnvFile', { key: 'NEW_API_KEY' });
      assert.deepEqual(dialogs(user.prompts), [
        'input: Value of NEW_API_KEY (stored in the .env file and encoded for Kestra)',
        'warning: Re-encoding replaces .env_encoded.',
      ]);
      assert.match(user.prompts[1]?.detail ?? '', /SECRET_BROKEN_VALUE|BROKEN_VALUE/);
      assert.equal(fs.readFileSync(envFile(), 'utf8'), originalEnv, 'cancelled: .env unchanged');
      assert.equal(fs.readFileSync(encodedFile(), 'utf8'), originalEncoded, 'cancelled: .env_encoded unchanged');

      user.clear();
      user.will(value, 'Re-encode Anyway');
      await run('kestraSecrets.addToEnvFile', { key: 'NEW_API_KEY' });
      const env = fs.readFileSync(envFile(), 'utf8');
      assert.ok(env.startsWith(originalEnv), 'the .env keeps every line it had');
      assert.deepEqual(
        parseDotenv(env.slice(originalEnv.length)).entries.map((entry) => [entry.key, entry.value === value]),
        [['NEW_API_KEY', true]],
        'the .env gets exactly the one variable asked for',
      );
      const encoded = fs.readFileSync(encodedFile(), 'utf8');
      assert.ok(encoded.split('\n').includes(`SECRET_NEW_API_KEY=${Buffer.from(value, 'utf8').toString('base64')}`));
      assert.deepEqual(
        parseDotenv(decodeEncodedEnv(encoded).text).entries.map((entry) => [entry.key, entry.value]),
        parseDotenv(env).entries.map((entry) => [entry.key, entry.value]),
        '.env_encoded decodes to the .env',
      );
      await waitForTreeLabels('the new key in the tree', ['NEW_API_KEY']);
      assertValueNowhere(value, ['.env', '.env_encoded']);
    });
  });
});
