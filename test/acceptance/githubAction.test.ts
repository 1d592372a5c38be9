/**
 * Issue 11, point 6: the GitHub Action (action.yml). Its shell steps are scripts/action/*.sh; the check step
 * runs here for real with the action's inputs as environment variables, against the real binary, and must
 * print what `kestra-secrets check` prints for the same arguments.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { acceptanceFixture, buildCli, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';
import { sarifSchemaErrors } from '../fixtures/sarif/validate';

const REPO = path.resolve(__dirname, '..', '..');
const CHECK_SCRIPT = path.join(REPO, 'scripts', 'action', 'check.sh');

interface ActionStep {
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
}

interface ActionManifest {
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: ActionStep[] };
}

describe('GitHub Action (action.yml) and its check step', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let temp: string;

  before(async () => {
    cli = await buildCli();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-action-'));
  });
  after(() => {
    cli?.dispose();
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  /** Runs the check step's script as the runner would: bash, inputs as INPUT_* variables. */
  function runStep(inputs: Record<string, string>, cwd: string): Promise<CliRun> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', KESTRA_SECRETS_BIN: cli.bin };
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = value;
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [CHECK_SCRIPT], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
      );
    });
  }

  it('declares the inputs path, config, strict, format and sarif-file, each passed to the check step as INPUT_*', () => {
    const action = parse(fs.readFileSync(path.join(REPO, 'action.yml'), 'utf8')) as ActionManifest;
    assert.deepEqual(Object.keys(action.inputs).sort(), ['config', 'format', 'path', 'sarif-file', 'strict']);
    assert.equal(action.runs.using, 'composite');
    const check = action.runs.steps.find((step) => step.run?.includes('scripts/action/check.sh'));
    assert.ok(check, 'no step runs scripts/action/check.sh');
    for (const name of Object.keys(action.inputs)) {
      assert.equal(check.env?.[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`], `\${{ inputs.${name} }}`, name);
    }
    for (const step of action.runs.steps.filter((each) => each.run)) {
      assert.equal(step.shell, 'bash');
      const script = /"\$GITHUB_ACTION_PATH\/(scripts\/action\/[\w-]+\.sh)"/.exec(step.run!)?.[1];
      assert.ok(script && fs.existsSync(path.join(REPO, script)), `step runs a missing script: ${step.run}`);
    }
  });

  it('with the defaults (path ., format github) annotates exactly what check --format github prints, and fails on errors', async () => {
    const cwd = acceptanceFixture('mixed');
    const [step, direct] = await Promise.all([
      runStep({ path: '.', config: '', strict: 'false', format: 'github', 'sarif-file': '' }, cwd),
      cli.run(['check', '.', '--format', 'github'], { cwd }),
    ]);
    assert.deepEqual(step, direct);
    assert.equal(step.code, 1);
    assert.match(step.stdout, /^::error file=flows\/company\/data\/etl\.yml,line=6,/m);
  });

  it('checks several paths given on separate lines, in the chosen format', async () => {
    const cwd = acceptanceFixture('mixed');
    const [step, direct] = await Promise.all([
      runStep({ path: 'flows/company/team\n  flows/broken\n', format: 'json' }, cwd),
      cli.run(['check', 'flows/company/team', 'flows/broken', '--format', 'json'], { cwd }),
    ]);
    assert.deepEqual(step, direct);
    const files = new Set((JSON.parse(step.stdout) as { file: string }[]).map((problem) => problem.file));
    assert.ok(
      files.has('flows/company/team/notify.yml') && files.has('flows/broken/broken.yml') && !files.has('flows/company/data/etl.yml'),
      [...files].join(', '),
    );
  });

  it('also writes valid SARIF to sarif-file (creating its folder) while printing annotations', async () => {
    const cwd = acceptanceFixture('ci-formats');
    const sarifFile = path.join(temp, 'reports', 'kestra-secrets.sarif');
    const [step, direct, directSarif] = await Promise.all([
      runStep({ path: '.', format: 'github', 'sarif-file': sarifFile }, cwd),
      cli.run(['check', '.', '--format', 'github'], { cwd }),
      cli.run(['check', '.', '--format', 'sarif'], { cwd }),
    ]);
    assert.deepEqual(step, direct);
    const written = fs.readFileSync(sarifFile, 'utf8');
    assert.equal(written, directSarif.stdout);
    assert.deepEqual(sarifSchemaErrors(JSON.parse(written)), []);
  });

  it('passes config to --config (a bad configuration exits 2 with the CLI message)', async () => {
    const cwd = acceptanceFixture('mixed');
    const config = path.join('..', 'bad-config', 'unknown-type.yml');
    const [step, direct] = await Promise.all([
      runStep({ config }, cwd),
      cli.run(['check', '.', '--config', config, '--format', 'github'], { cwd }),
    ]);
    assert.deepEqual(step, direct);
    assert.equal(step.code, 2);
    assert.match(step.stderr, /configuration error: .*unknown type 'not-a-secret-manager'/);
  });

  it('refuses a strict or format input it does not know with an error annotation and exit 2', async () => {
    const cwd = acceptanceFixture('clean');
    const [strict, format] = await Promise.all([runStep({ strict: 'yes' }, cwd), runStep({ format: 'xml' }, cwd)]);
    assert.deepEqual(
      [strict.code, strict.stdout],
      [2, "::error title=kestra-secrets::The strict input must be true or false, not 'yes'.\n"],
    );
    assert.deepEqual(
      [format.code, format.stdout],
      [2, "::error title=kestra-secrets::The format input must be github, text, json, sarif or gitlab, not 'xml'.\n"],
    );
  });

  it("passes strict: true on as check's --strict", async function () {
    const help = await cli.run(['check', '--help'], { cwd: REPO });
    if (!help.stdout.includes('--strict')) {
      console.log('    this build of check has no --strict option yet: nothing to pass it to');
      this.skip();
    }
    const cwd = acceptanceFixture('mixed');
    const [step, direct] = await Promise.all([
      runStep({ strict: 'true', format: 'json' }, cwd),
      cli.run(['check', '.', '--strict', '--format', 'json'], { cwd }),
    ]);
    assert.deepEqual(step, direct);
  });
});

describe("GitHub Action: its install step builds the CLI in the action's folder", function () {
  this.timeout(600_000);
  let actionPath: string;

  before(() => {
    // The action's folder as the runner checks it out: this repository's tracked files, nothing built.
    actionPath = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-action-path-'));
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of tracked) {
      if (!fs.existsSync(path.join(REPO, file))) continue;
      fs.mkdirSync(path.dirname(path.join(actionPath, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO, file), path.join(actionPath, file));
    }
  });
  after(() => {
    if (actionPath) fs.rmSync(actionPath, { recursive: true, force: true });
  });

  it('installs with npm ci, and the check step then runs the CLI it built', async () => {
    const env = { ...process.env, GITHUB_ACTION_PATH: actionPath };
    const installed = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [path.join(actionPath, 'scripts', 'action', 'install.sh')], {
        cwd: os.tmpdir(),
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const stderr: Buffer[] = [];
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(code) : reject(new Error(`install.sh exited ${code}: ${Buffer.concat(stderr).toString('utf8')}`)),
      );
    });
    assert.equal(installed, 0);
    const cwd = acceptanceFixture('mixed');
    const step = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn('bash', [path.join(actionPath, 'scripts', 'action', 'check.sh')], {
        cwd,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          KESTRA_SECRETS_BIN: path.join(actionPath, 'bin', 'kestra-secrets'),
          INPUT_PATH: '.',
          INPUT_FORMAT: 'json',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: '' }));
    });
    const cli = await buildCli();
    try {
      const direct = await cli.run(['check', '.', '--format', 'json'], { cwd });
      assert.deepEqual([step.code, step.stdout], [direct.code, direct.stdout]);
    } finally {
      cli.dispose();
    }
  });
});
