/**
 * Issue 11, point 5: the repository's `.pre-commit-hooks.yaml` hook, run for real by `pre-commit try-repo`
 * against this repository from a temporary git repository: it checks the changed flow files only, against the
 * secrets of the repository root, and fails the commit on a missing secret. pre-commit clones this repository
 * at HEAD (plus uncommitted changes to tracked files) and installs the hook with npm, so it needs the registry.
 * `npm test` installs pre-commit (scripts/test-tools.mjs); outside CI the test skips without it.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

function preCommitAvailable(): boolean {
  return spawnSync('pre-commit', ['--version'], { stdio: 'ignore' }).status === 0;
}

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, encoding: 'utf8', timeout: 420_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

function flow(id: string, key: string): string {
  return `id: ${id}\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret('${key}') }}"\n`;
}

describe('pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit try-repo', function () {
  this.timeout(900_000);
  let temp: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  before(function () {
    if (!preCommitAvailable()) {
      if (process.env.CI === 'true')
        throw new Error('pre-commit is not installed: CI must run this test (npm test installs it with scripts/test-tools.mjs)');
      console.log('    pre-commit is not installed (apt-get install pre-commit): skipping the pre-commit hook test outside CI');
      this.skip();
    }
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-pre-commit-'));
    project = path.join(temp, 'project');
    fs.mkdirSync(path.join(project, 'flows'), { recursive: true });
    // Its own pre-commit cache, so nothing of the user's is used or left behind.
    env = {
      ...process.env,
      PRE_COMMIT_HOME: path.join(temp, 'cache'),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.invalid',
    };
  });

  after(() => {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  it('fails a commit whose changed flow names a missing secret, reports only changed flows, and passes once fixed', async () => {
    const write = (file: string, text: string) => fs.writeFileSync(path.join(project, file), text);
    write('docker-compose.yml', 'services:\n  kestra:\n    image: kestra/kestra:latest\n    env_file: [.env_encoded]\n');
    write('.env_encoded', 'SECRET_API_TOKEN=dG9rZW4=\n');
    write('flows/old.yml', flow('old', 'OLD_TYPO'));
    write('flows/ok.yml', flow('ok', 'API_TOKEN'));
    for (const args of [
      ['init', '-q'],
      ['add', '-A'],
      ['commit', '-qm', 'flows'],
    ])
      assert.equal((await sh('git', args, project, env)).code, 0);

    // A change: a new flow with a near miss, an edited flow that is fine, a YAML file that is no flow.
    write('flows/new.yml', flow('new', 'API_TOKN'));
    write('flows/ok.yml', `${flow('ok', 'API_TOKEN')}description: edited\n`);
    write('settings.yml', 'retries: 3\n');
    assert.equal((await sh('git', ['add', '-A'], project, env)).code, 0);
    const failing = await sh('pre-commit', ['try-repo', REPO, 'kestra-secrets'], project, env);
    assert.equal(failing.code, 1, failing.output);
    assert.match(failing.output, /kestra-secrets check\.+Failed/);
    assert.match(
      failing.output,
      /^flows\/new\.yml:6:26: error: Cannot find secret for key 'API_TOKN'\. .* Did you mean 'API_TOKEN'\? \[missing-secret\]$/m,
    );
    assert.match(failing.output, /1 error\(s\), 0 warning\(s\), 0 info in 2 flow\(s\) \(3 YAML file\(s\) scanned\)/);
    assert.ok(!failing.output.includes('OLD_TYPO'), 'a flow that did not change was checked');
    assert.ok(!failing.output.includes('dG9rZW4') && !failing.output.includes('token\n'), 'a secret value was printed');

    write('flows/new.yml', flow('new', 'API_TOKEN'));
    assert.equal((await sh('git', ['add', '-A'], project, env)).code, 0);
    const passing = await sh('pre-commit', ['try-repo', REPO, 'kestra-secrets'], project, env);
    assert.equal(passing.code, 0, passing.output);
    assert.match(passing.output, /kestra-secrets check\.+Passed/);
  });
});
