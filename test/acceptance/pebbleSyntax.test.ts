/**
 * Issue 8 point 7 / issue 9 point 2: a template Kestra's Pebble can't parse is an error on its line,
 * in Pebble's words, and the secrets inside it are not reported missing on top of it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

const FLOW = [
  'id: counts',
  'namespace: company.team',
  'tasks:',
  '  - id: script',
  '    type: io.kestra.plugin.scripts.shell.Commands',
  '    commands:',
  '      - |',
  '        keys=(a b c)',
  '        echo "${#keys[@]} keys" {{ secret(\'HIDDEN_BEHIND_COMMENT\') }}',
  '  - id: log',
  '    type: io.kestra.plugin.core.log.Log',
  "    message: \"{{ secret('API_TOKEN') }} {{ 'x' | secret('ns') }}\"",
  '',
].join('\n');

describe('CLI: Pebble syntax errors (templates Kestra fails to render)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-pebble-'));
    fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_API_TOKEN=dG9rZW4=\n');
    fs.writeFileSync(path.join(folder, 'flow.yml'), FLOW);
  });

  after(() => {
    cli.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("reports bash's ${#…} as Pebble's unclosed comment on its line, exits 1, and nothing else", async () => {
    const run = await cli.run(['check', '--encoded-env', '.env_encoded', '--format', 'json'], { cwd: folder });
    assert.equal(run.code, 1, run.stderr);
    const problems = JSON.parse(run.stdout) as { line: number; column: number; severity: string; code: string; message: string }[];
    assert.deepEqual(
      problems.map((problem) => [problem.line, problem.column, problem.severity, problem.code]),
      [[9, 16, 'error', 'pebble-syntax']],
    );
    assert.match(problems[0].message, /Unclosed comment\./);
  });

  it('prints the error compiler-style in text form', async () => {
    const run = await cli.run(['check', '--encoded-env', '.env_encoded'], { cwd: folder });
    assert.match(
      run.stdout,
      /flow\.yml:9:16: error: Pebble can't parse this template: Unclosed comment\. Kestra fails when it renders it\. \[pebble-syntax\]/,
    );
  });
});
