/**
 * Issue 13, finding 7: `check --read-values` must fail when the sub-keys it was asked to check could
 * not be read, instead of passing with the references unchecked.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAwsSecretsManager, type FakeAwsSecretsManager } from '../fakes/awsSecretsManager';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const FLOW =
  "id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ secret('DB', subkey='user') }}\"\n";

describe('CLI check --read-values: unreadable sub-keys are a failure', function () {
  this.timeout(120_000);
  let cli: BuiltCli;
  let fake: FakeAwsSecretsManager;
  let folder: string;

  before(async () => {
    cli = await buildCli({ sdks: ['aws'] });
  });
  after(() => cli.dispose());
  beforeEach(async () => {
    fake = await startAwsSecretsManager();
    fake.seed('kestra/main/company.team/DB', '{"user":"u","password":"CANARY-pw"}', {
      namespace: 'company.team',
      key: 'DB',
      prefix: 'kestra',
    });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-read-values-'));
    fs.writeFileSync(path.join(folder, 'flow.yml'), FLOW);
    const [credentials] = fake.credentials;
    fs.writeFileSync(
      path.join(folder, 'kestra-secrets.yml'),
      `kestra:\n  secret:\n    type: aws-secret-manager\n    read-only: true\n    aws-secret-manager:\n      region: ${fake.region}\n      endpoint-override: ${fake.url}\n      access-key-id: ${credentials!.accessKeyId}\n      secret-key-id: ${credentials!.secretAccessKey}\n`,
    );
  });
  afterEach(async () => {
    await fake.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const env = { AWS_EC2_METADATA_DISABLED: 'true', KESTRA_SECRETS_TIMEOUT_MS: '2000' };

  it('passes when the sub-keys could be read', async () => {
    const run = await cli.run(['check', '--read-values', '.'], { cwd: folder, env });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(fake.count('GetSecretValue') > 0);
  });

  it('prevents exit 0 when reading the sub-keys was refused', async () => {
    fake.inject({ kind: 'access-denied', count: 100, target: 'GetSecretValue' });
    const run = await cli.run(['check', '--read-values', '.'], { cwd: folder, env });
    assert.equal(run.code, 1, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, /kestra-secrets: error: .*read subkeys of DB failed.*\(sub-key references there were not checked\)/);
    assert.ok(!run.stderr.includes('CANARY') && !run.stdout.includes('CANARY'));
  });
});
