/**
 * Issue 8, points 4, 5 and 6, through the real binary: a repository holding every shape met in real
 * projects — flows Kestra accepts in unusual forms, prose in descriptions, an unquoted template, and
 * paths the walk can't use (named pipe, broken and looping links, unreadable folders and files) — is
 * checked to the end, each real problem once, each skipped path named once on stderr.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, hasNoStackTrace, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';

interface JsonProblem {
  file: string;
  line: number;
  column: number;
  severity: string;
  code: string;
  message: string;
}

const TASK = '    type: io.kestra.plugin.core.log.Log\n';

/** Flow files as real projects write them; API_TOKEN exists, every MISSING_* key does not. */
const FLOWS: Record<string, string> = {
  'flows/bom.yaml': `\uFEFFid: bom\nnamespace: company.team\ntasks:\n  - id: log\n${TASK}    message: "{{ secret('API_TOKEN') }} {{ secret('MISSING_BOM') }}"\n`,
  'flows/indented.yaml': `  id: indented\n  namespace: company.team\n  tasks:\n    - id: log\n      type: io.kestra.plugin.core.log.Log\n      message: "{{ secret('MISSING_INDENTED') }}"\n`,
  'flows/json-style.yaml':
    '{"id": "json", "namespace": "company.team", "tasks": [\n  {"id": "log", "type": "io.kestra.plugin.core.log.Log", "message": "{{ secret(\'MISSING_JSON\') }}"}\n]}\n',
  'flows/quoted-keys.yaml': `"id": quoted\n"namespace": company.team\n"tasks":\n  - "id": log\n${TASK}    "message": "{{ secret('MISSING_QUOTED') }}"\n`,
  'flows/two-flows.yaml': [
    'id: first',
    'namespace: team.one',
    'tasks:',
    '  - id: log',
    TASK.trimEnd(),
    '    message: "{{ secret(\'MISSING_ONE\') }}"',
    '---',
    'id: second',
    'namespace: team.two',
    'tasks:',
    '  - id: log',
    TASK.trimEnd(),
    '    message: "{{ secret(\'MISSING_TWO\') }}"',
    '',
  ].join('\n'),
  'flows/described.yaml': [
    'id: described',
    'namespace: company.team',
    "description: This flow references no {{ secret('NAME') }} values",
    'inputs:',
    '  - id: region',
    '    type: STRING',
    "    description: Read from {{ secret('INPUT_PROSE') }} when empty",
    'tasks:',
    '  - id: log',
    TASK.trimEnd(),
    '    description: "Logs {{ secret(\'TASK_PROSE\') }}"',
    '    message: "{{ secret(\'API_TOKEN\') }}"',
    'triggers:',
    '  - id: daily',
    '    type: io.kestra.plugin.core.trigger.Schedule',
    '    description: "{{ secret(\'TRIGGER_PROSE\') }}"',
    '    cron: "0 9 * * *"',
    '',
  ].join('\n'),
  'flows/unquoted.yaml': `id: gcp\nnamespace: company.team\ntasks:\n  - id: query\n    type: io.kestra.plugin.gcp.bigquery.Query\n    projectId: {{ secret('GCP_PROJECT_ID') }}\n`,
  'shared/linked.yaml': `id: linked\nnamespace: company.team\ntasks:\n  - id: log\n${TASK}    message: "{{ secret('MISSING_LINKED') }}"\n`,
  'node_modules/some-package/flow.yaml': `id: vendored\nnamespace: company.team\ntasks:\n  - id: log\n${TASK}    message: "{{ secret('MISSING_VENDORED') }}"\n`,
};

const EXPECTED = [
  ['flows/bom.yaml', 6, 'error', 'missing-secret', 'MISSING_BOM'],
  ['flows/indented.yaml', 6, 'error', 'missing-secret', 'MISSING_INDENTED'],
  ['flows/json-style.yaml', 2, 'error', 'missing-secret', 'MISSING_JSON'],
  ['flows/quoted-keys.yaml', 6, 'error', 'missing-secret', 'MISSING_QUOTED'],
  ['flows/two-flows.yaml', 6, 'error', 'missing-secret', 'MISSING_ONE'],
  ['flows/two-flows.yaml', 13, 'error', 'missing-secret', 'MISSING_TWO'],
  ['flows/unquoted.yaml', 6, 'warning', 'unquoted-template', ''],
  ['shared/linked.yaml', 6, 'error', 'missing-secret', 'MISSING_LINKED'],
];

function buildRepository(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-shapes-'));
  for (const [file, text] of Object.entries(FLOWS)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  fs.writeFileSync(path.join(root, '.env_encoded'), 'SECRET_API_TOKEN=dG9rZW4=\n');
  execFileSync('mkfifo', [path.join(root, 'flows', 'pipe.yaml')]);
  fs.symlinkSync(path.join(root, 'flows', 'deleted.yaml'), path.join(root, 'flows', 'broken.yaml'));
  fs.symlinkSync('loop', path.join(root, 'flows', 'loop'));
  fs.symlinkSync(path.join(root, 'shared'), path.join(root, 'flows', 'shared-link'));
  return root;
}

function problemsOf(run: CliRun): [string, number, string, string, string][] {
  const rows = JSON.parse(run.stdout) as JsonProblem[];
  return rows.map((row) => [row.file, row.line, row.severity, row.code, /'([A-Z_]+)'/.exec(row.message)?.[1] ?? '']);
}

describe('CLI check: every flow Kestra reads is checked, nothing aborts (issue 8)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let root: string;

  before(async () => {
    cli = await buildCli();
    root = buildRepository();
  });

  after(() => {
    cli.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('checks every flow shape, skips the pipe and the broken and looping links with one warning each, and finishes', async () => {
    const run = await cli.run(['check', '.', '--encoded-env', '.env_encoded', '--format', 'json'], { cwd: root });
    assert.deepEqual(problemsOf(run), EXPECTED, run.stderr);
    const skipped = run.stderr.split('\n').filter((line) => line.includes('skipped'));
    assert.deepEqual(skipped.sort(), [
      'kestra-secrets: warning: skipped flows/broken.yaml: it is a broken symbolic link (its target does not exist).',
      'kestra-secrets: warning: skipped flows/loop: it is a symbolic link loop.',
      'kestra-secrets: warning: skipped flows/pipe.yaml: it is a named pipe, not a regular file.',
    ]);
    assert.match(run.stderr, / in 8 flow\(s\)/);
    assert.ok(hasNoStackTrace(run.stderr), run.stderr);
    assert.equal(run.code, 1);
  });

  it('reports the second flow of a file against its own namespace', async () => {
    const run = await cli.run(['check', 'flows/two-flows.yaml', '--encoded-env', '.env_encoded', '--format', 'json'], { cwd: root });
    const messages = (JSON.parse(run.stdout) as JsonProblem[]).map((row) => row.message);
    assert.equal(messages.length, 2);
    assert.match(messages[0], /'MISSING_ONE'.*namespace team\.one/);
    assert.match(messages[1], /'MISSING_TWO'.*namespace team\.two/);
  });

  it('places a problem on the first line of a BOM file at the column an editor shows', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-bom-'));
    try {
      const json =
        '\uFEFF{"id": "one-line", "namespace": "company.team", "tasks": [{"id": "log", "type": "io.kestra.plugin.core.log.Log", "message": "{{ secret(\'MISSING_FIRST_LINE\') }}"}]}\n';
      fs.writeFileSync(path.join(folder, 'one-line.yaml'), json);
      fs.writeFileSync(path.join(folder, '.env_encoded'), 'SECRET_API_TOKEN=dG9rZW4=\n');
      const run = await cli.run(['check', '.', '--encoded-env', '.env_encoded'], { cwd: folder });
      const column = json.indexOf('MISSING_FIRST_LINE');
      assert.match(
        run.stdout,
        new RegExp(`^one-line\\.yaml:1:${column}: error: Cannot find secret for key 'MISSING_FIRST_LINE'`, 'm'),
        run.stderr,
      );
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports each problem once when the PATH arguments overlap', async () => {
    const run = await cli.run(['check', '.', 'flows', 'flows/bom.yaml', 'shared', '--encoded-env', '.env_encoded', '--format', 'json'], {
      cwd: root,
    });
    assert.deepEqual(problemsOf(run), EXPECTED);
    assert.equal(run.stderr.split('\n').filter((line) => line.includes('skipped')).length, 3, run.stderr);
  });

  it('reads no description as a reference and warns on the unquoted template with a sentence', async () => {
    const run = await cli.run(['check', 'flows/described.yaml', 'flows/unquoted.yaml', '--encoded-env', '.env_encoded'], { cwd: root });
    assert.equal(
      run.stdout,
      'flows/unquoted.yaml:6:16: warning: This template is not quoted, so YAML reads it as a map and Kestra rejects the flow: put it in quotes ("{{ … }}"). [unquoted-template]\n',
    );
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('CLI check: folders and files the user cannot read (run as nobody)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let root: string;
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => fs.existsSync(candidate));

  before(async function () {
    if (!setpriv || process.getuid?.() !== 0) this.skip();
    cli = await buildCli();
    fs.chmodSync(path.dirname(path.dirname(cli.bin)), 0o755);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-eacces-'));
    fs.chmodSync(root, 0o755);
    const flow = (key: string) => `id: f\nnamespace: company.team\ntasks:\n  - id: log\n${TASK}    message: "{{ secret('${key}') }}"\n`;
    fs.mkdirSync(path.join(root, 'data', 'postgres'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'postgres', 'flow.yaml'), flow('HIDDEN'));
    fs.chmodSync(path.join(root, 'data', 'postgres'), 0o700);
    fs.chmodSync(path.join(root, 'data'), 0o755);
    fs.writeFileSync(path.join(root, 'private.yaml'), flow('UNREAD'));
    fs.chmodSync(path.join(root, 'private.yaml'), 0o600);
    fs.writeFileSync(path.join(root, 'readable.yaml'), flow('MISSING_READABLE'));
    fs.writeFileSync(path.join(root, '.env_encoded'), 'SECRET_API_TOKEN=dG9rZW4=\n');
  });

  after(() => {
    cli?.dispose();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('skips the unreadable folder and file with a warning each and checks the rest', () => {
    const run = spawnSync(
      setpriv!,
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        cli.bin,
        'check',
        '.',
        '--encoded-env',
        '.env_encoded',
        '--format',
        'json',
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    const result: CliRun = { code: run.status, stdout: run.stdout, stderr: run.stderr };
    assert.deepEqual(problemsOf(result), [['readable.yaml', 6, 'error', 'missing-secret', 'MISSING_READABLE']], result.stderr);
    const skipped = result.stderr.split('\n').filter((line) => line.includes('skipped'));
    assert.deepEqual(skipped.sort(), [
      "kestra-secrets: warning: skipped data/postgres: it can't be read (permission denied).",
      "kestra-secrets: warning: skipped private.yaml: it can't be read (permission denied).",
    ]);
    assert.match(result.stderr, /\(1 YAML file\(s\) scanned\)/, 'an unread file is not counted as scanned');
    assert.ok(hasNoStackTrace(result.stderr), result.stderr);
    assert.equal(result.code, 1);
  });
});
