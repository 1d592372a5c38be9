/**
 * `check` analyses a large flow met early after the small ones (a cold parser is slow on it): what it reports,
 * and in which order, must not depend on that.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

interface JsonProblem {
  file: string;
  line: number;
  code: string;
  message: string;
}

/** A flow of `tasks` tasks whose last one reads the missing secret `key`; 40 tasks are over 32 KiB. */
function flow(id: string, key: string, tasks: number): string {
  const lines = [`id: ${id}`, 'namespace: company.team', 'tasks:'];
  for (let task = 0; task < tasks; task++) {
    const secret = task === tasks - 1 ? key : 'KNOWN';
    lines.push(
      `  - id: task_${task}`,
      '    type: io.kestra.plugin.core.log.Log',
      `    message: "{{ secret('${secret}') }} ${'padding '.repeat(100)}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('check: large flows held back until the parser is warm', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-large-'));
    fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_KNOWN=a25vd24=\n');
    // More large flows than are ever held back (16), walked before the small ones, and one large YAML error.
    for (let index = 0; index < 20; index++)
      fs.writeFileSync(path.join(folder, `a_large_${index}.yml`), flow(`l${index}`, `L${index}`, 40));
    fs.writeFileSync(path.join(folder, 'a_large_broken.yml'), `${flow('broken', 'B', 40)}  - id: [unclosed\n`);
    for (let index = 0; index < 5; index++) fs.writeFileSync(path.join(folder, `b_small_${index}.yml`), flow(`s${index}`, `S${index}`, 2));
  });
  after(() => {
    cli?.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('reports every flow, large or small, at its line and in file order', async () => {
    assert.ok(fs.statSync(path.join(folder, 'a_large_0.yml')).size > 32 * 1024);
    const run = await cli.run(['check', '--format', 'json'], { cwd: folder });
    assert.equal(run.code, 1, run.stderr);
    const problems = JSON.parse(run.stdout) as JsonProblem[];
    const missing = problems.filter((problem) => problem.code === 'missing-secret');
    const expected = [
      ...Array.from({ length: 20 }, (_, index) => ({ file: `a_large_${index}.yml`, key: `L${index}`, line: 3 + 40 * 3 })),
      { file: 'a_large_broken.yml', key: 'B', line: 3 + 40 * 3 },
      ...Array.from({ length: 5 }, (_, index) => ({ file: `b_small_${index}.yml`, key: `S${index}`, line: 3 + 2 * 3 })),
    ].sort((a, b) => (a.file < b.file ? -1 : 1));
    assert.deepEqual(
      missing.map((problem) => ({ file: problem.file, key: /'([^']+)'/.exec(problem.message)?.[1], line: problem.line })),
      expected,
    );
    assert.ok(
      problems.some((problem) => problem.file === 'a_large_broken.yml' && problem.code === 'yaml-error'),
      run.stdout,
    );
    assert.match(run.stderr, /in 26 flow\(s\) \(26 YAML file\(s\) scanned\)/);
  });
});
