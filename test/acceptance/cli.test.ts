/**
 * Issue 2's acceptance list, end to end through the real `kestra-secrets` binary (bin/ + a private
 * esbuild bundle, see test/fixtures/acceptance/cli.ts): `check` on a mixed workspace, `encode`/`decode`
 * on a .env using every Compose rule, and the docs' shell loop beside ours.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acceptanceFixture, buildCli, hasNoStackTrace, leakedCanary, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';

interface JsonProblem {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

type Located = Omit<JsonProblem, 'message'>;

const at = (file: string, line: number, column: number, endColumn: number, severity: Located['severity'], code: string): Located => ({
  file,
  line,
  column,
  endLine: line,
  endColumn,
  severity,
  code,
});

const ETL = 'flows/company/data/etl.yml';
const NOTIFY = 'flows/company/team/notify.yml';
const WINDOWS = 'flows/company/data/windows.yml';

/**
 * Worked out by hand from the fixture (1-based columns, end exclusive): the key or sub-key literal
 * inside its quotes, the whole `secret(…)` call for dynamic keys, the value of an invalid definition.
 */
const MIXED_EXPECTED: Located[] = [
  at('.env_encoded', 8, 15, 26, 'error', 'invalid-base64'), // SECRET_BROKEN=not base64!
  at('docker-compose.yml', 14, 27, 44, 'error', 'invalid-base64'), // SECRET_INLINE_BAD: "b3Bz LWFsZXJ0cw=="
  at('flows/broken/broken.yml', 6, 1, 2, 'warning', 'yaml-error'), // `message:` indented by 3
  at(ETL, 6, 35, 43, 'error', 'missing-secret'), // variables, single-quoted after '': API_TOKN
  at(ETL, 11, 27, 38, 'error', 'missing-secret'), // inputs default: GITHUB_TOKN
  at(ETL, 16, 73, 86, 'error', 'missing-secret'), // plain scalar: MISSING_PLAIN
  at(ETL, 19, 39, 49, 'error', 'missing-secret'), // double-quoted, after \t and \": DB_PASWORD
  at(ETL, 19, 76, 82, 'error', 'missing-secret'), // after \u00e9: BROKEN, dropped by Kestra
  at(ETL, 25, 57, 63, 'error', 'missing-subkey'), // literal block: subkey='passwd'
  at(ETL, 29, 44, 49, 'error', 'subkey-not-json'), // folded block: API_TOKEN is not JSON
  at(WINDOWS, 6, 57, 69, 'error', 'missing-secret'), // CRLF file, after an emoji (2 UTF-16 units): CRLF_MISSING
  at(WINDOWS, 11, 18, 36, 'error', 'missing-secret'), // CRLF literal block: CRLF_BLOCK_MISSING
  at(NOTIFY, 13, 13, 39, 'info', 'dynamic-key'), // secret(inputs.secret_name)
  at(NOTIFY, 14, 13, 51, 'info', 'dynamic-key'), // secret('PREFIX_' ~ inputs.secret_name)
  at(NOTIFY, 15, 13, 44, 'info', 'dynamic-key'), // secret("#{inputs.secret_name}")
  at(NOTIFY, 20, 75, 86, 'error', 'missing-secret'), // {% set t = secret('SET_MISSING') %} after a raw block
  at(NOTIFY, 26, 82, 92, 'error', 'missing-secret'), // INLINE_BAD: its Compose value is invalid
  at(NOTIFY, 31, 22, 33, 'error', 'missing-secret'), // trigger: WEBHOOK_KEY
  at(NOTIFY, 38, 28, 40, 'error', 'missing-secret'), // pluginDefaults, named key=: SLACK_WEBHOK
];

function assertNoSecretIn(run: CliRun): void {
  const leaked = leakedCanary(run);
  assert.equal(leaked, undefined, `a secret value was printed:\n${run.stdout}\n${run.stderr}`);
}

function parseProblems(run: CliRun): JsonProblem[] {
  try {
    return JSON.parse(run.stdout) as JsonProblem[];
  } catch {
    assert.fail(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

const located = (problems: JsonProblem[]): Located[] => problems.map(({ message: _message, ...rest }) => rest);

/** Strict RFC 4648 base64 (standard alphabet, padded, never wrapped) decoded as UTF-8, or undefined. */
function strictDecode(encoded: string): string | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded ? bytes.toString('utf8') : undefined;
}

/** `SECRET_<KEY>=<base64>` lines to [KEY, decoded value] in file order; fails on any other line. */
function decodeEncoded(text: string): [string, string][] {
  assert.ok(text.endsWith('\n'), 'the encoded file ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const match = /^SECRET_([^=]+)=(.*)$/.exec(line);
      assert.ok(match, `not a SECRET_<KEY>=<base64> line: ${JSON.stringify(line)}`);
      const value = strictDecode(match[2]);
      assert.ok(value !== undefined, `${match[1]}: not strict base64: ${match[2]}`);
      return [match[1], value] as [string, string];
    });
}

describe('kestra-secrets acceptance (issue 2), through the real binary', function () {
  this.timeout(30_000);
  let cli: BuiltCli;
  before(async () => {
    cli = await buildCli();
  });
  after(() => cli?.dispose());

  describe('check on a workspace mixing flows, non-flow YAML, a broken file, Compose and encoded env files', () => {
    const mixed = acceptanceFixture('mixed');

    it('reports exactly the expected problems as JSON, each on the right line and column, and exits 1', async () => {
      const run = await cli.run(['check', '--format', 'json'], { cwd: mixed });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(located(parseProblems(run)), MIXED_EXPECTED);
      assert.match(run.stderr, /\b15 error\(s\), 1 warning\(s\), 3 info in 4 flow\(s\) \(8 YAML file\(s\) scanned\)/);
      assert.ok(hasNoStackTrace(run.stderr), run.stderr);
      assertNoSecretIn(run);
    });

    it("uses Kestra's messages, with a did-you-mean for near misses and none for the rest", async () => {
      const problems = parseProblems(await cli.run(['check', '--format=json', '.'], { cwd: mixed }));
      const message = (line: number, column: number) =>
        problems.find((p) => p.line === line && p.column === column && p.file !== '.env_encoded')?.message ?? '';
      assert.match(message(6, 35), /^Cannot find secret for key 'API_TOKN'\..* Did you mean 'API_TOKEN'\?$/);
      assert.match(message(11, 27), /^Cannot find secret for key 'GITHUB_TOKN'\..* Did you mean 'GITHUB_TOKEN'\?$/);
      assert.match(message(38, 28), /^Cannot find secret for key 'SLACK_WEBHOK'\..* Did you mean 'SLACK_WEBHOOK'\?$/);
      assert.match(message(19, 39), /^Cannot find secret for key 'DB_PASWORD'\..* Did you mean 'DB_PASSWORD'\?$/);
      assert.match(message(25, 57), /^Cannot find secret sub-key 'passwd' in secret 'DB_CREDENTIALS'\. Did you mean 'password'\?$/);
      assert.match(message(29, 44), /sub-key 'value' from secret 'API_TOKEN'.*not a JSON object/);
      for (const [line, column, key] of [
        [16, 73, 'MISSING_PLAIN'],
        [19, 76, 'BROKEN'],
        [20, 75, 'SET_MISSING'],
        [31, 22, 'WEBHOOK_KEY'],
      ] as const) {
        assert.match(message(line, column), new RegExp(`^Cannot find secret for key '${key}'\\.`));
        assert.ok(!message(line, column).includes('Did you mean'), message(line, column));
      }
      const invalid = problems.filter((p) => p.code === 'invalid-base64').map((p) => p.message);
      assert.equal(invalid.length, 2);
      assert.match(invalid[0], /^Secret 'BROKEN' is not valid base64, so Kestra drops it/);
      assert.match(invalid[1], /^Secret 'INLINE_BAD' is not valid base64/);
      assert.match(problems.find((p) => p.code === 'yaml-error')!.message, /^Invalid YAML: /);
    });

    it('prints the same problems as text, like a compiler: file:line:col: severity: message', async () => {
      const [text, json] = await Promise.all([cli.run(['check'], { cwd: mixed }), cli.run(['check', '--format', 'json'], { cwd: mixed })]);
      assert.equal(text.code, 1, text.stderr);
      const lines = text.stdout.split('\n');
      assert.equal(lines.pop(), '', 'the text output ends with a newline');
      assert.deepEqual(
        lines,
        parseProblems(json).map((p) => `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message} [${p.code}]`),
      );
      for (const line of lines) assert.match(line, /^[^:\s]+:\d+:\d+: (error|warning|info): \S/);
      assertNoSecretIn(text);
    });

    it('names files relative to the working folder when given a path', async () => {
      const run = await cli.run(['check', 'mixed', '--format', 'json'], { cwd: path.dirname(mixed) });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(
        located(parseProblems(run)),
        MIXED_EXPECTED.map((problem) => ({ ...problem, file: `mixed/${problem.file}` })),
      );
    });

    it('checks one flow file given alone against the same sources as its folder: the Compose file found upward, plus --encoded-env', async () => {
      const run = await cli.run(['check', NOTIFY, '--format', 'json', '--encoded-env', '.env_encoded'], { cwd: mixed });
      assert.equal(run.code, 1, run.stderr);
      const problems = parseProblems(run);
      assert.deepEqual(
        located(problems),
        MIXED_EXPECTED.filter((problem) => problem.file === NOTIFY || !problem.file.startsWith('flows/')),
      );
      // SLACK_WEBHOOK is defined in the Compose file two folders up: found, so the near miss is offered.
      const slack = problems.find((problem) => problem.line === 38)!.message;
      assert.match(slack, /^Cannot find secret for key 'SLACK_WEBHOK'\..* Did you mean 'SLACK_WEBHOOK'\?$/);
    });

    it('takes SECRET_ variables from the process environment too', async () => {
      const run = await cli.run(['check', '--format', 'json'], { cwd: mixed, env: { SECRET_WEBHOOK_KEY: 'd2ViaG9vaw==' } });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(
        located(parseProblems(run)),
        MIXED_EXPECTED.filter((problem) => !(problem.file === NOTIFY && problem.line === 31)),
      );
    });

    it('never prints a value, even with debug logging on', async () => {
      const run = await cli.run(['check', '--format', 'json'], { cwd: mixed, env: { KESTRA_SECRETS_DEBUG: '1' } });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /debug/);
      assertNoSecretIn(run);
    });

    it('exits 0 on a clean workspace, infos included, reading **/.env_encoded when there is no Compose file', async () => {
      const run = await cli.run(['check', '--format', 'json'], { cwd: acceptanceFixture('clean') });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(located(parseProblems(run)), [at('flow.yml', 9, 22, 40, 'info', 'dynamic-key')]);
      assertNoSecretIn(run);
      const text = await cli.run(['check'], { cwd: acceptanceFixture('clean') });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^flow\.yml:9:22: info: /);
    });

    it('exits 2 with one clear message on bad usage or configuration', async () => {
      const cases: [string[], RegExp][] = [
        [['check', '--bogus'], /unknown option '--bogus'/],
        [['check', '--format', 'xml'], /--format must be one of text, json, sarif, github, gitlab; not 'xml'/],
        [['check', '--format'], /option '--format' needs a value/],
        [['check', 'no-such-folder'], /no such file or directory: .*no-such-folder/],
        [
          ['check', '--config', path.join('..', 'bad-config', 'unknown-type.yml')],
          /configuration error: .*unknown type 'not-a-secret-manager'/,
        ],
        [['check', '--server', 'localhost:8080'], /expected an http\(s\) URL/],
        [['frobnicate'], /unknown command 'frobnicate'/],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli.run(args, { cwd: mixed })));
      runs.forEach((run, index) => {
        const [args, message] = cases[index];
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message, args.join(' '));
        assert.match(run.stderr, /^kestra-secrets: /, args.join(' '));
        assert.equal(run.stdout, '', `${args.join(' ')} prints nothing on stdout`);
        assert.ok(hasNoStackTrace(run.stderr), run.stderr);
      });
    });

    it('answers --help and --version on stdout with exit 0', async () => {
      const [help, checkHelp, version] = await Promise.all([
        cli.run(['--help'], { cwd: mixed }),
        cli.run(['check', '--help'], { cwd: mixed }),
        cli.run(['--version'], { cwd: mixed }),
      ]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: kestra-secrets <command>/);
      for (const command of ['encode', 'decode', 'check', 'list']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
      assert.equal(checkHelp.code, 0);
      assert.match(checkHelp.stdout, /^Usage: kestra-secrets check \[PATH\.\.\.\]/);
      assert.equal(version.code, 0);
      assert.equal(
        version.stdout,
        `${(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version}\n`,
      );
    });
  });

  describe('encode and decode', () => {
    /** What Docker Compose gives each variable of compose-rules.env, worked out by hand from its rules. */
    const COMPOSE_VALUES: [string, string][] = [
      ['PLAIN', 'value'],
      ['EXPORTED', 'exported'],
      ['EXPORT_SPACES', 'x'],
      ['SPACED_EQUALS', 'around equals'],
      ['TRIMMED', 'trimmed value'],
      ['INLINE_COMMENT', 'value'],
      ['HASH_IN_VALUE', 'a#b'],
      ['TAB_HASH', 'value\t#only a space starts a comment'],
      ['EQUALS_IN_VALUE', 'a=b=='],
      ['EMPTY', ''],
      ['EMPTY_SINGLE', ''],
      ['EMPTY_DOUBLE', ''],
      ['SINGLE', 'literal $PLAIN \\n # kept'],
      ['SINGLE_QUOTE_ESCAPE', "it's"],
      ['SINGLE_MULTI', 'line one\nline two'],
      ['DOUBLE', 'tab\tnew\nline cr\rx back\\slash "quoted"'],
      ['DOUBLE_MULTI', '-----BEGIN-----\nbody\n-----END-----'],
      ['DOUBLE_HASH', 'keep # this'],
      ['DOUBLE_COMMENT', 'value'],
      ['SINGLE_COMMENT', 'value'],
      ['COLON_FORM', 'colon value'],
      ['DOLLAR_DOLLAR', 'pa$word'],
      ['INTERPOLATED', 'value-suffix'],
      ['BARE_INTERPOLATED', 'value'],
      ['DEFAULT_UNSET', 'fallback'],
      ['DEFAULT_EMPTY', 'for-empty'],
      ['DASH_DEFAULT_EMPTY', ''],
      ['ALT_SET', 'alternative'],
      ['ALT_UNSET', ''],
      ['DOUBLE_INTERPOLATED', 'user=value'],
      ['DOUBLE_ESCAPED_DOLLAR', '$PLAIN'],
      ['DOLLAR_NOT_A_NAME', 'cost $5'],
      ['UNICODE', 'héllo wörld ✓ 日本'],
      ['EMOJI', '🔑 key'],
      ['JSON', '{"user":"admin","password":"p@ss"}'],
      ['PASSWORD', 'CANARY-enc-93b1'],
      ['mixed.Case-key', 'mixed'],
      ['LAST', 'no final newline'],
    ];
    const RULES = fs.readFileSync(acceptanceFixture('encode', 'compose-rules.env'), 'utf8');
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-acceptance-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (name: string) => path.join(dir, name);

    it('writes one SECRET_ line per variable, each strict base64 of exactly the value Compose gives it', async () => {
      fs.writeFileSync(file('.env'), RULES);
      const run = await cli.run(['encode'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      assert.deepEqual(decodeEncoded(fs.readFileSync(file('.env_encoded'), 'utf8')), COMPOSE_VALUES);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.env', '.env_encoded']);
      assert.match(run.stderr, /^\.env:44:1: warning: this line has no '='/m);
      assert.doesNotMatch(run.stderr, /NO_EQUALS_LINE/);
      assert.match(run.stderr, /encoded 38 variables from \.env to \.env_encoded\n$/);
      assert.ok(!run.stderr.includes('CANARY'), run.stderr);
    });

    it('reads a CRLF file the same way, multi-line quoted values keeping their CR as Compose does', async () => {
      fs.writeFileSync(file('crlf.env'), RULES.replace(/\n/g, '\r\n'));
      const run = await cli.run(['encode', 'crlf.env', '-o', '-'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const multiLine = new Set(['SINGLE_MULTI', 'DOUBLE_MULTI']);
      assert.deepEqual(
        decodeEncoded(run.stdout),
        COMPOSE_VALUES.map(([key, value]) => [key, multiLine.has(key) ? value.replace(/\n/g, '\r\n') : value]),
      );
    });

    it('decode then encode reproduces the encoded file byte for byte', async () => {
      fs.writeFileSync(file('.env'), RULES);
      assert.equal((await cli.run(['encode'], { cwd: dir })).code, 0);
      const decoded = await cli.run(['decode', '.env_encoded', '-o', 'decoded.env'], { cwd: dir });
      assert.equal(decoded.code, 0, decoded.stderr);
      assert.ok(!decoded.stdout.includes('CANARY') && !decoded.stderr.includes('CANARY'));
      const again = await cli.run(['encode', 'decoded.env', '-o', 'again.env_encoded'], { cwd: dir });
      assert.equal(again.code, 0, again.stderr);
      assert.ok(!again.stderr.includes('warning'), again.stderr);
      assert.ok(fs.readFileSync(file('again.env_encoded')).equals(fs.readFileSync(file('.env_encoded'))));
    });

    it('refuses to overwrite an existing output without --force', async () => {
      fs.writeFileSync(file('.env'), 'TOKEN=new\n');
      fs.writeFileSync(file('.env_encoded'), 'SECRET_TOKEN=b2xk\n');
      const refused = await cli.run(['encode'], { cwd: dir });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /\.env_encoded already exists; nothing was written\. Use --force/);
      assert.equal(fs.readFileSync(file('.env_encoded'), 'utf8'), 'SECRET_TOKEN=b2xk\n');
      fs.writeFileSync(file('plain.env'), 'OLD=1\n');
      const refusedDecode = await cli.run(['decode', '-o', 'plain.env'], { cwd: dir });
      assert.equal(refusedDecode.code, 1);
      assert.equal(fs.readFileSync(file('plain.env'), 'utf8'), 'OLD=1\n');
      const forced = await cli.run(['encode', '--force'], { cwd: dir });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(fs.readFileSync(file('.env_encoded'), 'utf8'), 'SECRET_TOKEN=bmV3\n');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.env', '.env_encoded', 'plain.env']);
    });

    it('reports malformed input as FILE:LINE:COL, exits 1 and writes nothing', async () => {
      const cases: [string, string, RegExp][] = [
        ['unclosed.env', 'A=1\nPASSWORD="CANARY-unclosed\nB=2\n', /^unclosed\.env:2:10: error: unclosed double quote/],
        ['unclosed-single.env', "A='CANARY-single\n", /^unclosed-single\.env:1:3: error: unclosed single quote/],
        ['trailing.env', 'A=1\n\nB="CANARY-x" trailing\n', /^trailing\.env:3:14: error: unexpected text after the closing quote/],
      ];
      for (const [name, text] of cases) fs.writeFileSync(file(name), text);
      for (const [name, , message] of cases) {
        const run = await cli.run(['encode', name, '-o', 'out.env_encoded'], { cwd: dir });
        assert.equal(run.code, 1, `${name}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.equal(run.stdout, '');
        assert.ok(!run.stderr.includes('CANARY'), run.stderr);
      }
      assert.deepEqual(fs.readdirSync(dir).sort(), cases.map(([name]) => name).sort(), 'no output, no temporary file');
      fs.writeFileSync(file('bad.env_encoded'), 'SECRET_OK=MQ==\nSECRET_BAD=not base64!\n');
      const decode = await cli.run(['decode', 'bad.env_encoded', '-o', 'out.env'], { cwd: dir });
      assert.equal(decode.code, 1);
      assert.match(decode.stderr, /^bad\.env_encoded:2:12: error: SECRET_BAD is not valid base64/);
      assert.ok(!fs.existsSync(file('out.env')));
    });

    it('reads stdin and writes stdout with -', async () => {
      const encoded = await cli.run(['encode', '-'], { cwd: dir, input: RULES });
      assert.equal(encoded.code, 0, encoded.stderr);
      assert.deepEqual(decodeEncoded(encoded.stdout), COMPOSE_VALUES);
      assert.match(encoded.stderr, /^<stdin>:44:1: warning: /m);
      const decoded = await cli.run(['decode', '-'], { cwd: dir, input: encoded.stdout });
      assert.equal(decoded.code, 0, decoded.stderr);
      const again = await cli.run(['encode', '-', '-o', '-'], { cwd: dir, input: decoded.stdout });
      assert.equal(again.stdout, encoded.stdout);
      const malformed = await cli.run(['encode', '-'], { cwd: dir, input: 'A="open\n' });
      assert.equal(malformed.code, 1);
      assert.match(malformed.stderr, /^<stdin>:1:3: error: /);
      assert.equal(malformed.stdout, '');
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  });

  describe("the docs' shell loop beside encode", () => {
    const LOOP = `while IFS='=' read -r key value; do echo "SECRET_$key=$(echo -n "$value" | base64)"; done < .env > .env_encoded`;
    const LONG = 'x'.repeat(40) + '-a-value-longer-than-57-bytes-' + 'y'.repeat(20);
    const ENV = `# database settings\nexport TOKEN="quoted value"\nLONG=${LONG}\nLAST=final`;
    const hasShellTools = ['bash', 'base64'].every((tool) => {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    });
    let dir: string;
    beforeEach(function () {
      if (!hasShellTools) this.skip();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-loop-'));
    });
    afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it('is wrong on a comment, export, quotes, a long value and a last line without newline; encode is right', async () => {
      fs.mkdirSync(path.join(dir, 'loop'));
      fs.writeFileSync(path.join(dir, 'loop', '.env'), ENV);
      execFileSync('bash', ['-c', LOOP], { cwd: path.join(dir, 'loop') });
      const loopLines = fs
        .readFileSync(path.join(dir, 'loop', '.env_encoded'), 'utf8')
        .split('\n')
        .slice(0, -1);
      assert.ok(loopLines.includes('SECRET_# database settings='), 'the comment became a variable');
      const exported = loopLines.find((line) => line.startsWith('SECRET_export TOKEN='));
      assert.ok(exported, '`export` became part of the name');
      assert.equal(
        Buffer.from(exported.slice('SECRET_export TOKEN='.length), 'base64').toString(),
        '"quoted value"',
        'the quotes were encoded',
      );
      const long = loopLines.findIndex((line) => line.startsWith('SECRET_LONG='));
      assert.ok(long >= 0 && !loopLines[long + 1].startsWith('SECRET_'), 'base64 wrapped the long value onto a second line');
      assert.ok(!loopLines.some((line) => line.startsWith('SECRET_LAST=')), 'the last line without a newline was dropped');

      fs.writeFileSync(path.join(dir, '.env'), ENV);
      const ours = await cli.run(['encode'], { cwd: dir });
      assert.equal(ours.code, 0, ours.stderr);
      assert.deepEqual(decodeEncoded(fs.readFileSync(path.join(dir, '.env_encoded'), 'utf8')), [
        ['TOKEN', 'quoted value'],
        ['LONG', LONG],
        ['LAST', 'final'],
      ]);
    });
  });
});
