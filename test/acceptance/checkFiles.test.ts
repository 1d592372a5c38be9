/**
 * `check FILE…` (how pre-commit calls it, with the changed files) must judge a flow against the same secrets as
 * `check .`: those of the current folder's Compose and encoded env files, not of the file's own folder.
 */
import { strict as assert } from 'node:assert';
import { acceptanceFixture, buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

interface JsonProblem {
  file: string;
  code: string;
}

describe('check on single files reads the secrets of the current folder', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  before(async () => {
    cli = await buildCli();
  });
  after(() => cli?.dispose());

  it('reports for a changed flow file exactly what checking the whole folder reports for it', async () => {
    const cwd = acceptanceFixture('mixed');
    const files = ['flows/company/data/etl.yml', 'flows/company/team/notify.yml'];
    const [single, whole] = await Promise.all([
      cli.run(['check', ...files, '--format', 'json'], { cwd }),
      cli.run(['check', '--format', 'json'], { cwd }),
    ]);
    const wholeProblems = (JSON.parse(whole.stdout) as JsonProblem[]).filter(
      (problem) => files.includes(problem.file) || !problem.file.startsWith('flows/'),
    );
    assert.deepEqual(JSON.parse(single.stdout), wholeProblems);
    assert.ok(
      wholeProblems.some((problem) => problem.code === 'missing-subkey'),
      'the secrets were not read: no sub-key was checked',
    );
    assert.equal(single.code, 1);
  });
});
