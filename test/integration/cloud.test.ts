/**
 * Issue 4's acceptance in the editor: the configuration the CLI reads, given inline in the user settings,
 * drives the tree, completion, hover and diagnostics against loopback stand-ins of HashiCorp Vault and
 * AWS Secrets Manager (test/fakes). Credentials come from the environment of the extension host (the
 * suites run in it), never from the settings. The stores hold the workspace's canary as values: the
 * runner's scan of every log then also proves no store value was logged.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { startAwsSecretsManager, type FakeAwsSecretsManager } from '../fakes/awsSecretsManager';
import { startVault, type FakeVault } from '../fakes/vault';
import {
  CANARY_FIELDS,
  VISIBLE_KEYS,
  assertNoCanary,
  canaries,
  completionLabelsAfter,
  diagnosticCode,
  hoverText,
  openDocument,
  positionOf,
  revertAndClose,
  secretDiagnostics,
  setProcessEnv,
  viewItemPattern,
  waitFor,
  waitForTreeLabels,
  workspaceUri,
  type TreeItemSnapshot,
} from './helpers';

const TEAM_FLOW = 'flows/company.team/typing.yml';
/** For diagnostics only: the diagnostics suite needs report.yml never opened before it runs. */
const SUB_FLOW = 'flows/company.team.sub/report.yml';
/** A flow of company.team.sub that this suite writes into the workspace copy, opens, and deletes. */
const PROBE_FLOW = 'flows/company.team.sub/cloud-probe.yml';
const PROBE_TEXT = [
  'id: cloud-probe',
  'namespace: company.team.sub',
  '',
  'tasks:',
  '  - id: notify',
  '    type: io.kestra.plugin.core.log.Log',
  `    message: "{{ secret('SLACK_CHANNEL') }}"`,
  '',
].join('\n');
const ETL_FLOW = 'flows/company.team/etl.yml';
const SECRET_CALL = `    description: "{{ secret('`;

const settings = () => vscode.workspace.getConfiguration('kestraSecrets');

async function useSettings(values: { secret?: unknown; namespaces?: unknown }): Promise<void> {
  await settings().update('secret', values.secret, vscode.ConfigurationTarget.Global);
  await settings().update('namespaces', values.namespaces, vscode.ConfigurationTarget.Global);
}

/** Back to the workspace's env secrets, waited for in the tree so that the next suites start from them. */
async function restoreEnvSecrets(restoreEnv: () => void, storeOnlyKeys: string[]): Promise<void> {
  await useSettings({ secret: undefined, namespaces: undefined });
  await waitForTreeLabels('the env secrets back in the tree', VISIBLE_KEYS, storeOnlyKeys);
  restoreEnv();
}

/** The canary of the workspace's `.env` (a JSON object whose fields are CANARY_FIELDS), as the stores' values. */
const canaryJson = () => canaries()[0] as string;

async function hoverAt(relative: string, needle: string, offset: number): Promise<string> {
  const document = await openDocument(relative);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
    'vscode.executeHoverProvider',
    document.uri,
    positionOf(document, needle, offset),
  );
  await revertAndClose(document);
  return hoverText(hovers);
}

/** Waits for our diagnostics of a flow (never opened) to name exactly `missing` as missing keys. */
async function missingKeysOf(relative: string, missing: string[]): Promise<vscode.Diagnostic[]> {
  const uri = workspaceUri(relative);
  return waitFor(
    `missing-secret diagnostics of ${relative} for ${missing.join(', ')}`,
    () => {
      const found = secretDiagnostics(uri);
      const reported = found
        .filter((diagnostic) => diagnosticCode(diagnostic) === 'missing-secret')
        .map((diagnostic) => diagnostic.message);
      const exact =
        reported.length === missing.length &&
        missing.every((key) => reported.some((message) => message.includes(`'${key}'`) || message.includes(key)));
      return exact ? found : undefined;
    },
    20_000,
  );
}

function assertLockedSecrets(items: TreeItemSnapshot[], keys: string[]): void {
  const writable = viewItemPattern('kestraSecrets.editSecret');
  for (const key of keys) {
    const nodes = items.filter((item) => item.label === key && /^secret\b/.test(item.contextValue ?? ''));
    assert.ok(nodes.length > 0, `${key} is in the tree`);
    for (const node of nodes) {
      assert.equal(node.icon, 'lock', `${key} shows a lock`);
      assert.doesNotMatch(node.contextValue ?? '', writable, `${key} gets no edit/delete menu`);
    }
  }
  for (const item of items) assertNoCanary(`${item.label} ${item.description ?? ''} ${item.tooltip ?? ''}`, `tree item ${item.label}`);
}

describe('cloud stores in the editor', function () {
  this.timeout(60_000);

  before(() => fs.writeFileSync(workspaceUri(PROBE_FLOW).fsPath, PROBE_TEXT));
  after(() => fs.rmSync(workspaceUri(PROBE_FLOW).fsPath, { force: true }));

  describe('HashiCorp Vault, read-only with secret-path-prefix', () => {
    let vault: FakeVault;
    let restoreEnv: () => void = () => undefined;
    const VAULT_KEYS = ['API_TOKEN', 'DB_CREDENTIALS'];

    before(async () => {
      vault = await startVault();
      vault.seed('app1/DB_CREDENTIALS', JSON.parse(canaryJson()) as Record<string, unknown>);
      vault.seed('app1/API_TOKEN', { token: canaryJson() });
      vault.seed('app1/nested/DEEPER', { x: 'y' });
      vault.seed('app2/OUTSIDE_PREFIX', { x: 'y' });
      restoreEnv = setProcessEnv({ VAULT_TOKEN: vault.rootToken });
      await useSettings({
        secret: { type: 'vault', 'read-only': true, vault: { address: vault.url, 'root-engine': 'secret', 'secret-path-prefix': 'app1' } },
      });
      await waitForTreeLabels('the Vault secrets in the tree', VAULT_KEYS, ['SLACK_CHANNEL']);
    });

    after(async () => {
      // Vault's keys are env keys too: the env-only ones coming back is the sign.
      await restoreEnvSecrets(restoreEnv, []);
      await vault?.close();
    });

    it('shows the children of the prefix with locks, their KV fields, and nothing writable', async () => {
      const items = await waitForTreeLabels('the Vault fields in the tree', [...VAULT_KEYS, ...CANARY_FIELDS]);
      const labels = items.map((item) => item.label);
      const backend = items.find((item) => item.label.startsWith('HashiCorp Vault'));
      assert.ok(backend, `a Vault backend node in ${labels.join(', ')}`);
      assert.equal(backend.icon, 'lock');
      assert.ok(backend.label.includes(new URL(vault.url).host), backend.label);
      for (const absent of ['nested', 'DEEPER', 'OUTSIDE_PREFIX', 'SLACK_CHANNEL'])
        assert.ok(!labels.includes(absent), `${absent} is not a secret here`);
      assertLockedSecrets(items, VAULT_KEYS);
      const fields = items
        .find((item) => item.label === 'DB_CREDENTIALS')
        ?.children.map((child) => child.label)
        .sort();
      assert.deepEqual(fields, CANARY_FIELDS);
    });

    it("completes every secret under the prefix in any namespace, and the KV fields inside subkey='", async () => {
      assert.deepEqual(await completionLabelsAfter(TEAM_FLOW, SECRET_CALL), VAULT_KEYS);
      assert.deepEqual(await completionLabelsAfter(PROBE_FLOW, SECRET_CALL), VAULT_KEYS);
      assert.deepEqual(await completionLabelsAfter(TEAM_FLOW, `${SECRET_CALL}DB_CREDENTIALS', subkey='`), CANARY_FIELDS);
      assert.deepEqual(await completionLabelsAfter(TEAM_FLOW, `${SECRET_CALL}API_TOKEN', subkey='`), ['token']);
    });

    it('hover names the Vault store and read-only, never a value', async () => {
      const text = await hoverAt(ETL_FLOW, "secret('DB_CREDENTIALS'", "secret('DB".length);
      assert.match(text, /HashiCorp Vault/);
      assert.ok(text.includes(new URL(vault.url).host), text);
      assert.match(text, /read-only/i);
      assertNoCanary(text, 'the hover of DB_CREDENTIALS');
    });

    it('reports the keys Vault does not hold, and unknown KV fields', async () => {
      await missingKeysOf(SUB_FLOW, ['DB_PASWORD', 'SMTP_CONFIG', 'SLACK_CHANNEL']);
      const etl = await missingKeysOf(ETL_FLOW, ['MISSING_KEY']);
      const subkeyProblems = etl
        .filter((diagnostic) => diagnosticCode(diagnostic) === 'missing-subkey')
        .map((diagnostic) => diagnostic.message)
        .join('\n');
      assert.match(subkeyProblems, /port/);
      for (const diagnostic of etl) assertNoCanary(diagnostic.message, 'a diagnostic');
    });

    it('reads no value to list, and records zero write requests', () => {
      assert.ok(
        vault.requests.some((request) => request.path.startsWith('secret/subkeys/app1/')),
        'fields come from the subkeys endpoint',
      );
      assert.deepEqual(
        vault.requests.filter((request) => request.path.startsWith('secret/data/')),
        [],
      );
      assert.equal(vault.writeRequests(), 0);
    });
  });

  describe('AWS Secrets Manager, read-only with namespace/key/prefix tags', () => {
    let aws: FakeAwsSecretsManager;
    let restoreEnv: () => void = () => undefined;
    const AWS_ONLY = ['COMPANY_WIDE', 'SUB_ONLY', 'OTHER_KEY'];

    before(async () => {
      aws = await startAwsSecretsManager();
      const tags = (namespace: string, key: string, prefix = 'kestra') => ({ namespace, key, prefix });
      aws.seed('company/wide', canaryJson(), tags('company', 'COMPANY_WIDE'));
      aws.seed('team/db', canaryJson(), tags('company.team', 'DB_CREDENTIALS'));
      aws.seed('team/api', canaryJson(), tags('company.team', 'API_TOKEN'));
      aws.seed('sub/only', canaryJson(), tags('company.team.sub', 'SUB_ONLY'));
      aws.seed('other/key', canaryJson(), tags('other', 'OTHER_KEY'));
      aws.seed('staging/team', canaryJson(), tags('company.team', 'STAGING_ONLY', 'staging'));
      const [credentials] = aws.credentials;
      assert.ok(credentials);
      restoreEnv = setProcessEnv({
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      await useSettings({
        secret: {
          type: 'aws-secret-manager',
          'read-only': true,
          'aws-secret-manager': { region: aws.region, 'endpoint-override': aws.url },
        },
      });
      await waitForTreeLabels('the AWS secrets in the tree', ['SUB_ONLY', 'COMPANY_WIDE', 'DB_CREDENTIALS'], ['SLACK_CHANNEL']);
    });

    after(async () => {
      await restoreEnvSecrets(restoreEnv, AWS_ONLY);
      await aws?.close();
    });

    it('shows the tagged secrets per namespace with locks and nothing writable', async () => {
      const items = await waitForTreeLabels('the AWS namespaces in the tree', ['company', 'company.team', 'company.team.sub', 'other']);
      const backend = items.find((item) => item.label.startsWith('AWS Secrets Manager'));
      assert.ok(backend);
      assert.equal(backend.icon, 'lock');
      assert.ok(backend.label.includes(aws.region), backend.label);
      assert.ok(!items.some((item) => item.label === 'STAGING_ONLY'), "another instance's prefix stays hidden");
      assertLockedSecrets(items, ['COMPANY_WIDE', 'DB_CREDENTIALS', 'API_TOKEN', 'SUB_ONLY', 'OTHER_KEY']);
      const team = items.find((item) => item.label === 'company.team');
      assert.deepEqual(team?.children.map((child) => child.label).sort(), ['API_TOKEN', 'COMPANY_WIDE', 'DB_CREDENTIALS']);
    });

    it("completes exactly the keys of the flow's namespace and its parents", async () => {
      assert.deepEqual(await completionLabelsAfter(TEAM_FLOW, SECRET_CALL), ['API_TOKEN', 'COMPANY_WIDE', 'DB_CREDENTIALS']);
      assert.deepEqual(await completionLabelsAfter(PROBE_FLOW, SECRET_CALL), ['API_TOKEN', 'COMPANY_WIDE', 'DB_CREDENTIALS', 'SUB_ONLY']);
    });

    it('hover names the AWS store, the namespace and read-only, never a value', async () => {
      const text = await hoverAt(ETL_FLOW, "secret('API_TOKEN')", "secret('AP".length);
      assert.match(text, /AWS Secrets Manager/);
      assert.match(text, /company\.team/);
      assert.match(text, /read-only/i);
      assertNoCanary(text, 'the hover of API_TOKEN');
    });

    it('reports the keys the namespace cannot see', async () => {
      const report = await missingKeysOf(SUB_FLOW, ['DB_PASWORD', 'SMTP_CONFIG', 'SLACK_CHANNEL']);
      await missingKeysOf(ETL_FLOW, ['MISSING_KEY']);
      for (const diagnostic of report) assertNoCanary(diagnostic.message, 'a diagnostic');
    });

    it('reads no value and records zero write requests', () => {
      assert.ok(aws.count('ListSecrets') > 0);
      assert.equal(aws.count('GetSecretValue'), 0);
      assert.equal(aws.writeRequests(), 0);
    });
  });

  describe('a dedicated namespaces entry (AWS) beside a global store (Vault)', () => {
    let vault: FakeVault;
    let aws: FakeAwsSecretsManager;
    let restoreEnv: () => void = () => undefined;

    before(async () => {
      vault = await startVault();
      vault.seed('app1/GLOBAL_ONLY', { token: canaryJson() });
      aws = await startAwsSecretsManager();
      aws.seed('sub/only', canaryJson(), { namespace: 'company.team.sub', key: 'SUB_ONLY', prefix: 'kestra' });
      aws.seed('team/db', canaryJson(), { namespace: 'company.team', key: 'TEAM_IN_AWS', prefix: 'kestra' });
      const [credentials] = aws.credentials;
      assert.ok(credentials);
      restoreEnv = setProcessEnv({
        VAULT_TOKEN: vault.rootToken,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      await useSettings({
        secret: { type: 'vault', 'read-only': true, vault: { address: vault.url, 'secret-path-prefix': 'app1' } },
        namespaces: {
          'company.team.sub': {
            type: 'aws-secret-manager',
            'read-only': true,
            'aws-secret-manager': { region: aws.region, 'endpoint-override': aws.url },
          },
        },
      });
      await waitForTreeLabels('both stores in the tree', ['GLOBAL_ONLY', 'SUB_ONLY'], ['SLACK_CHANNEL']);
    });

    after(async () => {
      await restoreEnvSecrets(restoreEnv, ['GLOBAL_ONLY', 'SUB_ONLY']);
      await aws?.close();
      await vault?.close();
    });

    it('routes the namespace to its own store and inherits the global one above it', async () => {
      assert.deepEqual(await completionLabelsAfter(TEAM_FLOW, SECRET_CALL), ['GLOBAL_ONLY']);
      assert.deepEqual(await completionLabelsAfter(PROBE_FLOW, SECRET_CALL), ['GLOBAL_ONLY', 'SUB_ONLY']);
      const text = await hoverAt(PROBE_FLOW, "secret('SLACK_CHANNEL')", "secret('SL".length);
      assert.match(text, /AWS Secrets Manager/);
      assertNoCanary(text, 'the hover of a missing key');
      await missingKeysOf(SUB_FLOW, ['DB_PASWORD', 'SMTP_CONFIG', 'SLACK_CHANNEL']);
      assert.equal(aws.writeRequests() + vault.writeRequests(), 0);
      assert.equal(aws.count('GetSecretValue'), 0);
    });
  });
});
