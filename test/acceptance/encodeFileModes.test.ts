/**
 * Issue 13, finding 6: `encode` writes secrets, so its output is owner-only whatever was there before,
 * a symbolic link at the output is replaced and never written through, and an interrupted or failed
 * write leaves no temporary copy of the secrets.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/core/atomicWrite';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const isPosix = process.platform !== 'win32';

function modeOf(file: string): number {
  return fs.lstatSync(file).mode & 0o777;
}

function leftovers(folder: string): string[] {
  return fs.readdirSync(folder).filter((name) => name.endsWith('.tmp'));
}

describe('CLI encode: file modes and temporary files', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
  });
  after(() => cli.dispose());
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-modes-'));
    fs.writeFileSync(path.join(folder, '.env'), 'DB_PASSWORD=s3cret\n');
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  (isPosix ? it : it.skip)('prevents --force from keeping an existing 0644 mode: the output ends 0600', async () => {
    const output = path.join(folder, '.env_encoded');
    fs.writeFileSync(output, 'OLD=1\n', { mode: 0o644 });
    fs.chmodSync(output, 0o644);
    const run = await cli.run(['encode', '--force'], { cwd: folder });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(output), 0o600);
    assert.equal(fs.readFileSync(output, 'utf8'), 'SECRET_DB_PASSWORD=czNjcmV0\n');
    assert.deepEqual(leftovers(folder), []);
  });

  (isPosix ? it : it.skip)(
    'prevents -o LINK --force from writing through or keeping the link: a 0600 regular file replaces it',
    async () => {
      const elsewhere = path.join(folder, 'elsewhere.txt');
      fs.writeFileSync(elsewhere, 'untouched\n', { mode: 0o644 });
      fs.symlinkSync(elsewhere, path.join(folder, 'LINK'));
      const refused = await cli.run(['encode', '-o', 'LINK'], { cwd: folder });
      assert.equal(refused.code, 1);
      const run = await cli.run(['encode', '-o', 'LINK', '--force'], { cwd: folder });
      assert.equal(run.code, 0, run.stderr);
      const link = fs.lstatSync(path.join(folder, 'LINK'));
      assert.ok(link.isFile() && !link.isSymbolicLink());
      assert.equal(modeOf(path.join(folder, 'LINK')), 0o600);
      assert.equal(fs.readFileSync(elsewhere, 'utf8'), 'untouched\n');
    },
  );

  (isPosix ? it : it.skip)('a new output is 0600 whatever the umask', async () => {
    const run = await cli.run(['encode', '-o', 'fresh'], { cwd: folder });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(path.join(folder, 'fresh')), 0o600);
  });

  it('prevents a failed write from leaving its temporary file (partial secrets)', async () => {
    const target = path.join(folder, 'out');
    const rename = fs.promises.rename;
    fs.promises.rename = async () => {
      throw Object.assign(new Error('injected'), { code: 'EIO' });
    };
    try {
      await assert.rejects(writeFileAtomic(target, 'SECRET_A=YQ==\n'), /injected/);
    } finally {
      fs.promises.rename = rename;
    }
    assert.deepEqual(leftovers(folder), []);
    assert.equal(fs.existsSync(target), false);
  });

  (isPosix ? it : it.skip)('prevents an interrupted write (SIGTERM, SIGINT) from leaving its temporary file', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const target = path.join(folder, `out-${signal}`);
      // A child whose rename never completes: it reports the temporary file, then waits for the signal.
      const script = `
        const fs = require('node:fs');
        const { writeFileAtomic } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/atomicWrite.ts'))});
        fs.promises.rename = (from) => { process.stdout.write(from + '\\n'); return new Promise(() => setInterval(() => undefined, 1000)); };
        writeFileAtomic(${JSON.stringify(target)}, 'SECRET_A=YQ==\\n', { cleanupOnSignals: true });
      `;
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
        cwd: path.resolve(__dirname, '../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const temporary = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
        child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
      });
      assert.ok(fs.existsSync(temporary), 'the temporary file should exist while the write is pending');
      assert.equal(modeOf(temporary), 0o600);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, how) => resolve(how)));
      child.kill(signal);
      assert.equal(await exited, signal);
      assert.equal(fs.existsSync(temporary), false, `the temporary file survived ${signal}`);
    }
  });
});
