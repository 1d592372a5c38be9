/** Issue 11, point 7: `kestra-secrets --version` prints the package version without package.json in the bundle. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const REPO = path.resolve(__dirname, '..', '..');

describe('CLI --version', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  before(async () => {
    cli = await buildCli();
  });
  after(() => cli?.dispose());

  it("prints package.json's version from a bundle that does not carry package.json (nor its manifest fields)", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    const [long, short] = await Promise.all([cli.run(['--version'], { cwd: REPO }), cli.run(['-v'], { cwd: REPO })]);
    assert.deepEqual([long.code, long.stdout, long.stderr], [0, `${version}\n`, '']);
    assert.equal(short.stdout, `${version}\n`);
    const bundle = fs.readFileSync(path.join(path.dirname(cli.bin), '..', 'dist', 'cli.js'), 'utf8');
    for (const manifestOnly of ['kestraSecrets.configFile', 'activationEvents', 'devDependencies'])
      assert.ok(!bundle.includes(manifestOnly), manifestOnly);
  });
});
