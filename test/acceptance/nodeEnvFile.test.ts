/**
 * Issue 13, finding 1: Node.js 20 reads `--env-file` anywhere on its command line and applies the file's
 * NODE_OPTIONS before our code runs. Our option must be one Node never claims, and the old spelling is refused.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

describe('CLI: an encoded env file cannot run code through Node.js options', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;
  let marker: string;

  before(async () => {
    cli = await buildCli();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-node-options-'));
    marker = path.join(folder, 'payload-ran');
    fs.writeFileSync(path.join(folder, 'payload.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const payload = path.join(folder, 'payload.js');
    fs.writeFileSync(path.join(folder, '.env_encoded'), `NODE_OPTIONS=--require ${payload}\nSECRET_API_TOKEN=dG9rZW4=\n`);
    fs.writeFileSync(
      path.join(folder, 'flow.yml'),
      'id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'API_TOKEN\') }}"\n',
    );
  });

  after(() => {
    cli.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  for (const command of ['check', 'list']) {
    it(`${command} --encoded-env reads the file's SECRET_ variables and never its NODE_OPTIONS`, async () => {
      const run = await cli.run([command, '--encoded-env', '.env_encoded', '--format', 'json'], { cwd: folder });
      assert.equal(fs.existsSync(marker), false, 'the NODE_OPTIONS of the encoded file ran code');
      assert.equal(run.code, 0, run.stderr);
      if (command === 'list')
        assert.deepEqual(
          JSON.parse(run.stdout)[0].secrets.map((secret: { key: string }) => secret.key),
          ['API_TOKEN'],
        );
      else assert.deepEqual(JSON.parse(run.stdout), []);
    });
  }

  it('refuses --env-file with a sentence naming --encoded-env (Node.js claims that option)', async () => {
    const harmless = path.join(folder, 'harmless.env');
    fs.writeFileSync(harmless, 'SECRET_API_TOKEN=dG9rZW4=\n');
    for (const spelling of [['--env-file', harmless], [`--env-file=${harmless}`]]) {
      const run = await cli.run(['check', ...spelling], { cwd: folder });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /'--env-file' is an option of Node\.js itself.*'--encoded-env FILE'/);
    }
  });
});
