/**
 * Issue 10: `check` reports credentials written in clear as `hardcoded-secret` warnings, in every
 * format, without failing the run and without printing any part of the values.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const PASSWORD = 'Pg-Pr0d-7731';
const URL_PASSWORD = 'Mq-R4bbit-42';
const TOKEN = 'ghp_' + 'R8kq2Lw9Zt4Xv7Nm1Pb6Yc3Hd5Jf0Gs2Ua8E';
const FLOW = [
  'id: hardcoded',
  'namespace: company.team',
  'tasks:',
  '  - id: query',
  '    type: io.kestra.plugin.jdbc.postgresql.Query',
  '    url: jdbc:postgresql://db.internal:5432/app',
  '    username: etl',
  `    password: ${PASSWORD}`,
  '  - id: publish',
  '    type: io.kestra.plugin.amqp.Publish',
  `    host: amqp://etl:${URL_PASSWORD}@mq.internal:5672/`,
  '  - id: call',
  '    type: io.kestra.plugin.core.http.Request',
  '    uri: https://api.github.com/user',
  '    headers:',
  `      Authorization: "Bearer ${TOKEN}"`,
  '  - id: fine',
  '    type: io.kestra.plugin.core.log.Log',
  `    message: "{{ secret('API_TOKEN') }}"`,
  '',
].join('\n');

interface JsonProblem {
  line: number;
  column: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
}

describe('CLI: check reports hardcoded credentials', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-hardcoded-'));
    fs.writeFileSync(path.join(folder, 'flow.yml'), FLOW);
    fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_API_TOKEN=dG9rZW4=\n');
  });

  after(() => {
    cli.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const assertNoValue = (output: string) => {
    for (const value of [PASSWORD, URL_PASSWORD, TOKEN, TOKEN.slice(0, 8)])
      assert.ok(!output.includes(value), 'the output shows (part of) a credential');
  };

  it('--format json carries each as a hardcoded-secret warning on the value, and exits 0', async () => {
    const run = await cli.run(['check', '--format', 'json'], { cwd: folder });
    assert.equal(run.code, 0, run.stderr);
    assertNoValue(run.stdout + run.stderr);
    const problems = JSON.parse(run.stdout) as JsonProblem[];
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity, problem.line, problem.column, problem.endColumn]),
      [
        ['hardcoded-secret', 'warning', 8, 15, 15 + PASSWORD.length],
        ['hardcoded-secret', 'warning', 11, 22, 22 + URL_PASSWORD.length],
        ['hardcoded-secret', 'warning', 16, 30, 30 + TOKEN.length],
      ],
    );
    assert.match(problems[0].message, /the `password` of io\.kestra\.plugin\.jdbc\.postgresql\.Query is a credential written in clear/i);
  });

  it('the text format says the same, and the summary counts them as warnings', async () => {
    const run = await cli.run(['check'], { cwd: folder });
    assert.equal(run.code, 0, run.stderr);
    assertNoValue(run.stdout + run.stderr);
    assert.equal(run.stdout.match(/: warning: .*\[hardcoded-secret\]$/gm)?.length, 3);
    assert.match(run.stderr, /0 error\(s\), 3 warning\(s\)/);
  });
});
