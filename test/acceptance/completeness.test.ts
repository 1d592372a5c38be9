/**
 * Issue 8, points 1, 2, 3, 8, 9 and 10, through the real `kestra-secrets` binary, on repositories shaped
 * like the ones that cried wolf: an uncommitted `.env_encoded` named by Compose, a names-only stand-in
 * committed instead, a Compose file in another folder than the flows, no source at all, a configuration
 * pasted without its wrapper, a plain value in an encoded file, and `encode prod.env`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';

interface JsonProblem {
  file: string;
  line: number;
  column: number;
  severity: string;
  code: string;
  message: string;
}

const b64 = (value: string) => Buffer.from(value).toString('base64');

/** Values that must never reach an output. */
const VALUES = ['db-pass-CANARY-41', 'slack-CANARY-hook'];

const FLOW = [
  'id: nightly_sync',
  'namespace: company.automations',
  'tasks:',
  '  - id: dump',
  '    type: io.kestra.plugin.jdbc.postgresql.Query',
  '    password: "{{ secret(\'DB_PASSWORD\') }}"',
  '    url: "{{ secret(\'DB_URL\') }}"',
  '  - id: notify',
  '    type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook',
  '    url: "{{ secret(\'SLACK_WEBHOOK\') }}"',
  '',
].join('\n');

/** Compose at the repository root, naming an env file the team never commits. */
const COMPOSE = [
  'services:',
  '  postgres:',
  '    image: postgres:16',
  '  kestra:',
  '    image: kestra/kestra:latest',
  '    command: server standalone',
  '    env_file:',
  '      - .env_encoded',
  '    environment:',
  `      SECRET_SLACK_WEBHOOK: ${b64(VALUES[1])}`,
  '',
].join('\n');

function makeRepository(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-complete-'));
  fs.mkdirSync(path.join(root, '.git'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

function problems(run: CliRun): JsonProblem[] {
  return JSON.parse(run.stdout) as JsonProblem[];
}

function summary(run: CliRun): string {
  return run.stderr.split('\n').find((line) => /^\d+ error\(s\)/.test(line)) ?? '';
}

function assertNoValue(run: CliRun): void {
  for (const value of VALUES) assert.ok(!`${run.stdout}${run.stderr}`.includes(value), `a value leaked: ${value}`);
}

describe('check on real-world repository shapes: unknown is not missing (issue 8)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  const made: string[] = [];
  const repository = (files: Record<string, string>) => {
    const root = makeRepository(files);
    made.push(root);
    return root;
  };

  before(async () => {
    cli = await buildCli();
  });

  after(() => {
    cli?.dispose();
    for (const root of made) fs.rmSync(root, { recursive: true, force: true });
  });

  describe('the Compose file names an .env_encoded that is not committed', () => {
    let root: string;
    before(() => {
      root = repository({ 'docker-compose.yml': COMPOSE, 'kestra/automations/nightly.yml': FLOW, '.gitignore': '.env\n.env_encoded\n' });
    });

    it('warns once at the env_file line, calls the references it may hold unverified, and exits 0', async () => {
      const run = await cli.run(['check', 'kestra/automations', '--format', 'json'], { cwd: root });
      assert.equal(run.code, 0, run.stderr);
      const found = problems(run);
      const warnings = found.filter((problem) => problem.severity === 'warning');
      assert.deepEqual(
        warnings.map((p) => [p.file, p.line, p.column, p.code]),
        [['docker-compose.yml', 8, 9, 'unknown-source']],
      );
      assert.match(
        warnings[0].message,
        /^The env_file \.env_encoded \(docker-compose\.yml:8\) does not exist, so references to secrets defined there can't be verified\. /,
      );
      assert.match(warnings[0].message, /kestra-secrets encode --names-only/);
      assert.ok(!found.some((problem) => problem.severity === 'error'), run.stdout);
      const unverified = found.filter((problem) => problem.code === 'unverified-secret');
      assert.deepEqual(
        unverified.map((p) => [p.file, p.line, p.severity]),
        [
          ['kestra/automations/nightly.yml', 6, 'info'],
          ['kestra/automations/nightly.yml', 7, 'info'],
        ],
      );
      assert.match(
        unverified[0].message,
        /^Secret 'DB_PASSWORD' can't be verified: it is not among the secrets known here, and the env_file \.env_encoded \(docker-compose\.yml:8\) does not exist\./,
      );
      assert.equal(summary(run), '0 error(s), 1 warning(s), 2 info in 1 flow(s) (1 YAML file(s) scanned)');
      assertNoValue(run);
    });

    it('--strict makes the unverified references errors, and the summary counts them', async () => {
      const run = await cli.run(['check', 'kestra/automations', '--strict'], { cwd: root });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /^kestra\/automations\/nightly\.yml:6:27: error: Secret 'DB_PASSWORD' can't be verified/m);
      assert.equal(summary(run), '2 error(s), 1 warning(s), 0 info in 1 flow(s) (1 YAML file(s) scanned)');
    });

    it('finds the same Compose file when run from inside the flows folder (upward, to the repository root)', async () => {
      const run = await cli.run(['check', '--format', 'json'], { cwd: path.join(root, 'kestra', 'automations') });
      assert.equal(run.code, 0, run.stderr);
      // SLACK_WEBHOOK comes from the Compose file two folders up: known, so not reported.
      assert.deepEqual(
        problems(run)
          .map((p) => p.code)
          .sort(),
        ['unknown-source', 'unverified-secret', 'unverified-secret'],
      );
    });
  });

  for (const [standIn, text] of [
    ['.env_encoded.example', 'SECRET_DB_PASSWORD=\nSECRET_DB_URL=\n'],
    ['.env.example', '# copy to .env, fill in, then kestra-secrets encode\nDB_PASSWORD=\nDB_URL=postgres://localhost/app\n'],
  ] as const) {
    it(`uses the names of a committed ${standIn}: a misspelt key is an error again, the rest pass, no warning`, async () => {
      const misspelt = FLOW.replace("secret('DB_URL')", "secret('DB_ULR')");
      const root = repository({ 'docker-compose.yml': COMPOSE, [standIn]: text, 'flows/nightly.yml': misspelt });
      const run = await cli.run(['check', '--format', 'json'], { cwd: root });
      assert.equal(run.code, 1, run.stderr);
      const found = problems(run);
      assert.deepEqual(
        found.map((p) => [p.file, p.line, p.code, p.severity]),
        [['flows/nightly.yml', 7, 'missing-secret', 'error']],
      );
      assert.match(found[0].message, /^Cannot find secret for key 'DB_ULR'\..* Did you mean 'DB_URL'\?$/);
      const list = await cli.run(['list', '--format', 'json'], { cwd: root });
      assert.equal(list.code, 0, list.stderr);
      const listed = (JSON.parse(list.stdout) as { secrets: { key: string; namesOnly?: boolean }[] }[])[0].secrets;
      assert.deepEqual(
        listed.map((s) => [s.key, s.namesOnly ?? false]),
        [
          ['DB_PASSWORD', true],
          ['DB_URL', true],
          ['SLACK_WEBHOOK', false],
        ],
      );
    });
  }

  it('finds a Compose file kept in another folder than the flows (check kestra/automations)', async () => {
    const compose = COMPOSE.replace('      - .env_encoded', '      - ../.env_encoded');
    const root = repository({
      'deploy/docker-compose.yml': compose,
      '.env_encoded': `SECRET_DB_PASSWORD=${b64(VALUES[0])}\nSECRET_DB_URL=${b64('postgres://db/app')}\n`,
      'kestra/automations/nightly.yml': FLOW,
    });
    const run = await cli.run(['check', 'kestra/automations', '--format', 'json'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(problems(run), []);
    assert.equal(summary(run), '0 error(s), 0 warning(s), 0 info in 1 flow(s) (1 YAML file(s) scanned)');
    assertNoValue(run);
  });

  it('with no secret source at all: one warning for the run, unverified references, exit 0', async () => {
    const root = repository({ 'flows/nightly.yml': FLOW });
    const run = await cli.run(['check', '--format', 'json'], { cwd: root });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      problems(run).every((p) => p.code === 'unverified-secret' && p.severity === 'info'),
      run.stdout,
    );
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('kestra-secrets: warning: '));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(
      warnings[0],
      /Kestra's SECRET_ environment variables were found nowhere: no Compose file with a Kestra service, no encoded env file and no SECRET_ variable in the environment/,
    );
    assert.match(warnings[0], /\[unknown-source\]$/);
    assert.equal(summary(run), '0 error(s), 1 warning(s), 3 info in 1 flow(s) (1 YAML file(s) scanned)');
  });

  it('points the missing-secret error at the definition Kestra drops, and calls a plain value plain text', async () => {
    const root = repository({
      '.env_encoded': `SECRET_DB_PASSWORD=${b64(VALUES[0])}\nSECRET_DB_URL=us-east-1\nSECRET_SLACK_WEBHOOK=${b64(VALUES[1])}\n`,
      'flows/nightly.yml': FLOW,
    });
    const run = await cli.run(['check', '--format', 'json'], { cwd: root });
    assert.equal(run.code, 1, run.stderr);
    const found = problems(run);
    const invalid = found.find((p) => p.code === 'invalid-base64');
    assert.ok(invalid, run.stdout);
    assert.deepEqual([invalid.file, invalid.line], ['.env_encoded', 2]);
    assert.match(
      invalid.message,
      /^Secret 'DB_URL' is not valid base64, so Kestra drops it: it is plain text that was never base64-encoded \(character 3 is not in the base64 alphabet\)\. /,
    );
    const missing = found.find((p) => p.code === 'missing-secret');
    assert.ok(missing, run.stdout);
    assert.match(
      missing.message,
      /^Cannot find secret for key 'DB_URL'\. \(namespace company\.automations, backend .*\) It is defined at \.env_encoded:2, but Kestra drops that definition: its value is not valid base64 \(it is plain text/,
    );
    assert.ok(!run.stdout.includes('us-east-1'), 'the plain value is never shown');
  });

  describe('a configuration without its kestra.secret wrapper is an error (exit 2), found from PATH upward', () => {
    for (const [name, text, expected] of [
      [
        'the Vault read-only snippet printed bare',
        'address: "http://localhost:8200"\nroot-engine: secret\nsecret-path-prefix: kestra\ntoken:\n  token: ${VAULT_TOKEN}\n',
        /found the vault options `address`, `root-engine`, `secret-path-prefix`, `token` at the top level; put them under `kestra\.secret\.vault`/,
      ],
      ['a typo, kestra.secrets', 'kestra:\n  secrets:\n    type: env\n', /found `kestra\.secrets`; did you mean `kestra\.secret`\?/],
      ['a top-level secret:', 'secret:\n  type: env\n', /found a top-level `secret:` block/],
    ] as const) {
      it(name, async () => {
        const root = repository({ 'kestra-secrets.yml': text, 'kestra/automations/nightly.yml': FLOW });
        for (const command of [['check', 'kestra/automations'], ['list']]) {
          const run = await cli.run(command, { cwd: command[0] === 'list' ? path.join(root, 'kestra') : root });
          assert.equal(run.code, 2, `${command.join(' ')}: ${run.stderr}`);
          assert.match(run.stderr, /^kestra-secrets: configuration error: .*kestra-secrets\.yml: no `kestra\.secret` block: /);
          assert.match(run.stderr, expected);
          assert.equal(run.stdout, '');
        }
      });
    }
  });
});

describe('a store that cannot be reached is named for what happened (issue 8, point 9)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  before(async () => {
    cli = await buildCli();
  });
  after(() => cli?.dispose());

  it('a refused connection: list fails with one sentence naming it; check warns once and exits 0', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const root = makeRepository({ 'flows/nightly.yml': FLOW });
    try {
      const list = await cli.run(['list', '-n', 'company.automations', '--server', `http://127.0.0.1:${port}`], { cwd: root });
      assert.equal(list.code, 1, list.stderr);
      assert.match(
        list.stderr,
        /^kestra-secrets: Kestra server \(127\.0\.0\.1:\d+, tenant main\): list secrets of namespace company\.automations failed: cannot reach http:\/\/127\.0\.0\.1:\d+ \(the connection to 127\.0\.0\.1 was refused: nothing listens there \(ECONNREFUSED\)\)\. Check that/,
      );
      const check = await cli.run(['check', '--server', `http://127.0.0.1:${port}`], { cwd: root });
      assert.equal(check.code, 0, check.stderr);
      assert.equal(check.stderr.split('\n').filter((line) => /\[unknown-source\]$/.test(line)).length, 1, check.stderr);
      assert.match(check.stderr, /^0 error\(s\), 1 warning\(s\), 3 info in 1 flow\(s\)/m);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('encode names the encoded file as the editor does (issue 8, point 10)', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  let dir: string;

  before(async () => {
    cli = await buildCli();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-naming-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(() => cli?.dispose());

  it('encode prod.env writes prod.env_encoded and leaves the development .env_encoded alone', async () => {
    fs.writeFileSync(path.join(dir, 'prod.env'), `DB_PASSWORD=${VALUES[0]}\n`);
    fs.writeFileSync(path.join(dir, '.env_encoded'), 'SECRET_DEV=ZGV2\n');
    const run = await cli.run(['encode', 'prod.env'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'prod.env_encoded'), 'utf8'), `SECRET_DB_PASSWORD=${b64(VALUES[0])}\n`);
    assert.equal(fs.readFileSync(path.join(dir, '.env_encoded'), 'utf8'), 'SECRET_DEV=ZGV2\n');
    const plain = await cli.run(['encode'], { cwd: dir });
    assert.equal(plain.code, 2, 'no .env here');
  });

  it('encode --names-only writes the names alone beside the encoded file, and refreshes it without --force', async () => {
    fs.writeFileSync(path.join(dir, '.env'), `DB_PASSWORD=${VALUES[0]}\nSLACK_WEBHOOK=${VALUES[1]}\n`);
    const first = await cli.run(['encode', '--names-only'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const written = fs.readFileSync(path.join(dir, '.env_encoded.example'), 'utf8');
    assert.match(written, /^# Names only, no values/);
    assert.ok(written.endsWith('SECRET_DB_PASSWORD=\nSECRET_SLACK_WEBHOOK=\n'), written);
    for (const value of VALUES) assert.ok(!written.includes(value) && !written.includes(b64(value)));
    assert.ok(!fs.existsSync(path.join(dir, '.env_encoded')), 'no file with values is written');
    fs.appendFileSync(path.join(dir, '.env'), 'API_TOKEN=t0k3n\n');
    const refreshed = await cli.run(['encode', '--names-only'], { cwd: dir });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.ok(fs.readFileSync(path.join(dir, '.env_encoded.example'), 'utf8').endsWith('SECRET_API_TOKEN=\n'));
    // A file holding values is never replaced without --force.
    fs.writeFileSync(path.join(dir, 'other.example'), 'SECRET_KEPT=dmFsdWU=\n');
    const refused = await cli.run(['encode', '--names-only', '-o', 'other.example'], { cwd: dir });
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'other.example'), 'utf8'), 'SECRET_KEPT=dmFsdWU=\n');
  });
});
