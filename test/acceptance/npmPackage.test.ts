/**
 * Issue 11, point 7: the npm package works outside this checkout. The package is built and packed the way
 * `npm pack` does it here (scripts/build.mjs, then the .npmignore selection), installed with
 * `npm install --omit=dev --offline` from the tarball into an empty folder, and its `kestra-secrets` must give
 * the same results as the checkout's binary. Offline proves the bundle needs no runtime dependency.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acceptanceFixture, buildCli, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';

const REPO = path.resolve(__dirname, '..', '..');
const PACKAGE_JSON = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
const EXPECTED_FILES = [
  'CHANGELOG.md',
  'LICENSE',
  'README.md',
  'bin/kestra-secrets',
  'dist/cli.js',
  'dist/sdk/aws.js',
  'dist/sdk/azure.js',
  'dist/sdk/google.js',
  'dist/sdk/vault.js',
  'package.json',
];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs the installed launcher as npm linked it (shebang, executable bit) with the acceptance runs' minimal environment. */
function runInstalled(bin: string, args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('the npm package, packed, installed from the tarball into an empty folder (issue 11, point 7)', function () {
  this.timeout(240_000);
  let temp: string;
  let app: string;
  let installedBin: string;
  let packedFiles: string[];
  let checkout: BuiltCli;

  before(async () => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-pack-'));
    const stage = path.join(temp, 'stage');
    app = path.join(temp, 'app');
    fs.mkdirSync(stage);
    fs.mkdirSync(app);
    // A copy of the package root whose dist/ is built apart from the checkout's (other runs may use that one).
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.npmignore'])
      fs.copyFileSync(path.join(REPO, file), path.join(stage, file));
    fs.cpSync(path.join(REPO, 'bin'), path.join(stage, 'bin'), { recursive: true });
    for (const folder of ['src', 'scripts']) fs.symlinkSync(path.join(REPO, folder), path.join(stage, folder));
    const built = await run(process.execPath, ['scripts/build.mjs'], stage);
    assert.equal(built.code, 0, built.stderr);
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], stage);
    assert.equal(packed.code, 0, packed.stderr);
    const [summary] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    packedFiles = summary.files.map((file) => file.path).sort();
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'empty-app', private: true }));
    const installed = await run(
      'npm',
      ['install', '--omit=dev', '--offline', '--no-audit', '--no-fund', path.join(temp, summary.filename)],
      app,
    );
    assert.equal(installed.code, 0, installed.stderr);
    installedBin = path.join(app, 'node_modules', '.bin', 'kestra-secrets');
    checkout = await buildCli();
  });

  after(() => {
    checkout?.dispose();
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  it('holds only the CLI bundle, the SDK chunks it loads, the launcher, README, LICENSE and CHANGELOG', () => {
    assert.deepEqual(packedFiles, EXPECTED_FILES);
  });

  it('installs with no dependency at all (the bundle is self-contained)', () => {
    assert.deepEqual(
      fs.readdirSync(path.join(app, 'node_modules')).filter((name) => !name.startsWith('.')),
      [PACKAGE_JSON.name],
    );
  });

  it('loads every SDK chunk from the installed package without the checkout nearby', async () => {
    for (const chunk of ['aws', 'azure', 'google', 'vault']) {
      const loaded = await run(process.execPath, ['-e', `require(${JSON.stringify(`${PACKAGE_JSON.name}/dist/sdk/${chunk}.js`)})`], app, {
        PATH: process.env.PATH,
      });
      assert.equal(loaded.code, 0, `${chunk}: ${loaded.stderr}`);
    }
  });

  it('prints the version through the installed launcher and through npx', async () => {
    const direct = await runInstalled(installedBin, ['--version'], app);
    assert.deepEqual([direct.code, direct.stdout], [0, `${PACKAGE_JSON.version}\n`]);
    const npx = await run('npx', ['--offline', '--no-install', 'kestra-secrets', '--version'], app);
    assert.deepEqual([npx.code, npx.stdout], [0, `${PACKAGE_JSON.version}\n`], npx.stderr);
  });

  for (const [name, cwd, args] of [
    ['examples/oss-compose', REPO, ['examples/oss-compose']],
    ['test workspace mixed', acceptanceFixture('mixed'), []],
    ['test workspace ci-formats', acceptanceFixture('ci-formats'), []],
  ] as const) {
    it(`checks ${name} exactly as the checkout does, in every format`, async () => {
      for (const format of ['text', 'json', 'sarif', 'github', 'gitlab']) {
        const [installed, reference] = await Promise.all([
          runInstalled(installedBin, ['check', ...args, '--format', format], cwd),
          checkout.run(['check', ...args, '--format', format], { cwd }),
        ]);
        assert.deepEqual(installed, reference, format);
        assert.ok(installed.stdout.length > 0, format);
      }
    });
  }
});
