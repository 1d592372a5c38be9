/**
 * Issue 13, finding 11: a file name is data. A newline in one must not forge report lines, and a name
 * that is not valid UTF-8 must not stop `check` from checking the other files.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const FLOW =
  'id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'MISSING\') }}"\n';

describe('CLI check: hostile file names', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
  });
  after(() => cli.dispose());
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-names-'));
    // A complete listing (one known secret), so the flows' reference is missing rather than unverified.
    fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_OTHER=b3RoZXI=\n');
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  (process.platform === 'win32' ? it.skip : it)(
    'prevents a newline in a file name from injecting a line into the text report',
    async () => {
      fs.writeFileSync(path.join(folder, 'a\nforged.yml:1:1: error: injected [x].yml'), FLOW);
      const run = await cli.run(['check', '.'], { cwd: folder });
      assert.equal(run.code, 1);
      const lines = run.stdout.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, run.stdout);
      assert.match(lines[0], /^a\\nforged\.yml:1:1: error: injected \[x\]\.yml:6:26: error: .*\[missing-secret\]$/);
    },
  );

  (process.platform === 'linux' ? it : it.skip)('prevents a non-UTF-8 file name from stopping check', async () => {
    fs.writeFileSync(Buffer.concat([Buffer.from(`${folder}/caf`), Buffer.from([0xe9]), Buffer.from('.yml')]), FLOW);
    fs.writeFileSync(path.join(folder, 'ok.yml'), FLOW);
    const run = await cli.run(['check', '.'], { cwd: folder });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^ok\.yml:6:26: error: .*\[missing-secret\]$/m);
    assert.match(
      run.stderr,
      /kestra-secrets: warning: skipped caf.*\.yml: its name is not valid UTF-8, so Node\.js cannot open it by name\./,
    );
  });
});
