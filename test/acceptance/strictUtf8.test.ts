/**
 * Issue 13, finding 8: no silent corruption. A .env that is not UTF-8 is refused with its position
 * (Kestra would decode the byte as U+FFFD), a UTF-16 flow is checked and reported, and any other
 * non-UTF-8 flow file is named in a warning instead of being skipped without a word.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const FLOW =
  'id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'MISSING_ONE\') }}"\n';

describe('CLI: files that are not UTF-8 are never silently corrupted or skipped', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
  });

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-utf8-'));
    fs.mkdirSync(path.join(folder, '.git'));
    fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_OTHER=b3RoZXI=\n');
  });

  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));
  after(() => cli.dispose());

  it('encode refuses a Latin-1 .env value with FILE:LINE:COL, writes nothing and never prints the value', async () => {
    fs.rmSync(path.join(folder, '.env_encoded'));
    fs.writeFileSync(path.join(folder, '.env'), Buffer.from('OK=fine\nA=caf\xe9-CANARY\n', 'latin1'));
    const run = await cli.run(['encode'], { cwd: folder });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^\.env:2:6: error: not valid UTF-8 text .*save the file as UTF-8\n$/);
    assert.doesNotMatch(run.stderr, /caf|CANARY/);
    assert.equal(fs.existsSync(path.join(folder, '.env_encoded')), false);
  });

  it('encode to stdout prints nothing for a Latin-1 file', async () => {
    fs.writeFileSync(path.join(folder, 'in.env'), Buffer.from('A=caf\xe9\n', 'latin1'));
    const run = await cli.run(['encode', 'in.env', '-o', '-'], { cwd: folder });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^in\.env:1:6: error: not valid UTF-8/);
    assert.equal(run.stdout, '');
  });

  it('check decodes a UTF-16 flow, checks it and warns that Kestra reads flows as UTF-8', async () => {
    fs.writeFileSync(path.join(folder, 'flow.yml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(FLOW, 'utf16le')]));
    const run = await cli.run(['check'], { cwd: folder });
    assert.match(
      run.stderr,
      /warning: flow\.yml is UTF-16LE \(with a byte order mark\): checked here, but Kestra reads flows as UTF-8; save it as UTF-8\./,
    );
    assert.match(run.stdout, /flow\.yml:6:\d+: .*MISSING_ONE/);
    assert.equal(run.code, 1, run.stdout + run.stderr);
  });

  it('check names a flow file that is neither UTF-8 nor UTF-16 in a warning and checks the others', async () => {
    fs.writeFileSync(path.join(folder, 'latin1.yml'), Buffer.from(FLOW.replace('tasks:', 'description: caf\xe9\ntasks:'), 'latin1'));
    fs.writeFileSync(path.join(folder, 'ok.yml'), FLOW);
    const run = await cli.run(['check'], { cwd: folder });
    assert.match(
      run.stderr,
      /warning: skipped latin1\.yml: it is not UTF-8 text \(first invalid byte at line 3, column 17\); Kestra reads flows as UTF-8, so save it as UTF-8\./,
    );
    assert.match(run.stdout, /ok\.yml:6:\d+: .*MISSING_ONE/);
  });
});
