/**
 * Issue 11, points 1–4: `check --format sarif|github|gitlab` through the real binary carry exactly the
 * problems of `--format json` (same files, lines, columns, severities, codes, messages), on the example and
 * the test workspaces, which together produce every problem code; SARIF is valid against the official schema.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../src/core/report/rules';
import { acceptanceFixture, buildCli, FIXTURE_CANARIES, leakedCanary, type BuiltCli, type CliRun } from '../fixtures/acceptance/cli';
import { sarifSchemaErrors } from '../fixtures/sarif/validate';

const REPO = path.resolve(__dirname, '..', '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
/** Decoded and encoded values of the ci-formats and example workspaces: none may ever be printed. */
const CANARIES = [
  ...FIXTURE_CANARIES,
  ...['ci-formats', 'mixed'].flatMap((name) => encodedValues(acceptanceFixture(name, '.env_encoded'))),
  ...encodedValues(path.join(REPO, 'examples', 'oss-compose', '.env_encoded')),
  'RELAY-VALUE',
  'plain-value',
  '"host":"db"',
  'example-only',
  'EXAMPLEEXAMPLE',
  'ghp_example',
  'AKIAEXAMPLE',
  'wJalrXUtnFEMI',
  'sk-example',
];

/** The first 12 characters of each SECRET_ value of an encoded env file. */
function encodedValues(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(/^SECRET_\w+=(.{12})/gm)].map((match) => match[1]);
}

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

const WORKSPACES = [
  { name: 'examples/oss-compose', cwd: REPO, args: ['examples/oss-compose'] },
  { name: 'test workspace mixed', cwd: acceptanceFixture('mixed'), args: [] },
  { name: 'test workspace ci-formats', cwd: acceptanceFixture('ci-formats'), args: [] },
];

const SARIF_LEVELS = { error: 'error', warning: 'warning', info: 'note' };
const GITHUB_COMMANDS = { error: 'error', warning: 'warning', info: 'notice' };
const GITLAB_SEVERITIES = { error: 'major', warning: 'minor', info: 'info' };

describe('check --format sarif, github and gitlab (issue 11), through the real binary', function () {
  this.timeout(60_000);
  let cli: BuiltCli;
  const seenCodes = new Set<string>();

  before(async () => {
    cli = await buildCli();
  });
  after(() => cli?.dispose());

  for (const workspace of WORKSPACES) {
    describe(workspace.name, () => {
      const runs: Record<string, CliRun> = {};
      let expected: JsonProblem[];

      before(async () => {
        const formats = ['json', 'sarif', 'github', 'gitlab'];
        const results = await Promise.all(
          formats.map((format) => cli.run(['check', ...workspace.args, '--format', format], { cwd: workspace.cwd })),
        );
        formats.forEach((format, index) => (runs[format] = results[index]));
        expected = JSON.parse(runs.json.stdout) as JsonProblem[];
        for (const problem of expected) seenCodes.add(problem.code);
      });

      it('finds problems, and every format exits like json and prints no secret value', () => {
        assert.ok(expected.length > 0);
        for (const [format, run] of Object.entries(runs)) {
          assert.equal(run.code, runs.json.code, `${format}: ${run.stderr}`);
          assert.equal(run.stderr, runs.json.stderr, format);
          assert.equal(leakedCanary(run, CANARIES), undefined, format);
        }
      });

      it('SARIF: valid against the SARIF 2.1.0 schema, with the same results as json, field by field', () => {
        const log = JSON.parse(runs.sarif.stdout);
        assert.deepEqual(sarifSchemaErrors(log), []);
        assert.equal(log.version, '2.1.0');
        assert.match(log.$schema, /sarif-schema-2\.1\.0\.json$/);
        assert.equal(log.runs.length, 1);
        const [run] = log.runs;
        assert.equal(run.columnKind, 'utf16CodeUnits');
        assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: `file://${workspace.cwd}/` } });
        assert.deepEqual(
          { ...run.tool.driver, rules: undefined },
          {
            name: 'kestra-secrets',
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: 'https://github.com/kestra-secrets/kestra-secrets',
            rules: undefined,
          },
        );
        assert.deepEqual(
          run.tool.driver.rules.map((rule: { id: string }) => rule.id),
          Object.keys(RULES),
        );
        for (const rule of run.tool.driver.rules) {
          for (const field of ['shortDescription', 'fullDescription', 'help'])
            assert.ok(rule[field].text.length > 0, `${rule.id}.${field}`);
        }
        assert.equal(run.results.length, expected.length);
        run.results.forEach((result: SarifResult, index: number) => {
          const problem = expected[index];
          const { artifactLocation, region } = result.locations[0].physicalLocation;
          assert.deepEqual(
            {
              file: decodeURIComponent(artifactLocation.uri),
              line: region.startLine,
              column: region.startColumn,
              endLine: region.endLine,
              endColumn: region.endColumn,
              severity: result.level,
              code: result.ruleId,
              message: result.message.text,
            },
            { ...problem, severity: SARIF_LEVELS[problem.severity] },
          );
          assert.equal(artifactLocation.uriBaseId, '%SRCROOT%');
          assert.ok(!artifactLocation.uri.includes('\\'));
          assert.equal(run.tool.driver.rules[result.ruleIndex].id, result.ruleId);
          assert.match(result.partialFingerprints['kestraSecrets/v1'], /^[0-9a-f]{64}$/);
        });
        const prints = run.results.map((result: SarifResult) => result.partialFingerprints['kestraSecrets/v1']);
        assert.equal(new Set(prints).size, prints.length, 'fingerprints must be unique');
      });

      it('GitHub: one workflow command per problem, which unescaped gives the json fields back', () => {
        const lines = runs.github.stdout.split('\n');
        assert.equal(lines.pop(), '');
        assert.equal(lines.length, expected.length);
        lines.forEach((line, index) => {
          const problem = expected[index];
          const command = parseWorkflowCommand(line);
          assert.deepEqual(command, {
            command: GITHUB_COMMANDS[problem.severity],
            properties: {
              file: problem.file,
              line: String(problem.line),
              col: String(problem.column),
              endLine: String(problem.endLine),
              endColumn: String(problem.endColumn),
              title: `${RULES[problem.code as keyof typeof RULES].shortDescription} (${problem.code})`,
            },
            message: problem.message,
          });
        });
      });

      it('GitLab: a Code Quality issue per problem with the json path, line, code and message', () => {
        const issues = JSON.parse(runs.gitlab.stdout) as GitlabIssue[];
        assert.equal(issues.length, expected.length);
        issues.forEach((issue, index) => {
          const problem = expected[index];
          assert.deepEqual(
            { ...issue, fingerprint: undefined },
            {
              type: 'issue',
              check_name: problem.code,
              description: problem.message,
              categories: ['Bug Risk'],
              fingerprint: undefined,
              severity: GITLAB_SEVERITIES[problem.severity],
              location: { path: problem.file, lines: { begin: problem.line, end: problem.endLine } },
            },
          );
        });
        assert.equal(
          new Set(issues.map((issue) => issue.fingerprint)).size,
          issues.length,
          'GitLab drops issues with a repeated fingerprint',
        );
        const sarif = JSON.parse(runs.sarif.stdout).runs[0].results.map(
          (result: SarifResult) => result.partialFingerprints['kestraSecrets/v1'],
        );
        assert.deepEqual(
          issues.map((issue) => issue.fingerprint),
          sarif,
        );
      });
    });
  }

  // Mocha runs a suite's own tests before its nested suites: these come after the workspaces above.
  describe('across the workspaces', () => {
    it('the workspaces together produce every problem code known when the formats were written, each checked in every format', () => {
      // Every code that has a rule (rules.test.ts makes every produced code have one) is produced by a workspace.
      assert.deepEqual(
        Object.keys(RULES).filter((code) => !seenCodes.has(code)),
        [],
      );
      assert.deepEqual(
        [...seenCodes].filter((code) => !(code in RULES)),
        [],
      );
    });

    it('escapes the properties and message of a GitHub command (a file named with "," and "%" (":" cannot be in a Windows file name; the unit tests cover it), a key with a line break)', async () => {
      const run = await cli.run(['check', '--format', 'github'], { cwd: acceptanceFixture('ci-formats') });
      const line = run.stdout.split('\n').find((text) => text.includes('ONE'))!;
      // The workspace's team.env_encoded is absent, so the key is unverified: a notice.
      assert.match(
        line,
        /^::notice file=flows\/report%2C final 100%25\.yml,line=22,col=18,endLine=23,endColumn=10,title=Secret that could not be verified \(unverified-secret\)::Secret 'ONE%0ATWO' can't be verified: /,
      );
    });

    it('refuses an unknown format and the CI formats on list, with exit code 2', async () => {
      const [check, list] = await Promise.all([
        cli.run(['check', '--format', 'junit'], { cwd: acceptanceFixture('ci-formats') }),
        cli.run(['list', '--format', 'sarif'], { cwd: acceptanceFixture('ci-formats') }),
      ]);
      assert.equal(check.code, 2);
      assert.match(check.stderr, /--format must be one of text, json, sarif, github, gitlab; not 'junit'/);
      assert.equal(list.code, 2);
      assert.match(list.stderr, /list --format must be text or json, not 'sarif'/);
    });
  });
});

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
    };
  }[];
  partialFingerprints: Record<string, string>;
}

interface GitlabIssue {
  fingerprint: string;
  [field: string]: unknown;
}

/** Parses `::command key=value,…::message` the way the Actions runner does, undoing @actions/core's escaping. */
function parseWorkflowCommand(line: string): { command: string; properties: Record<string, string>; message: string } {
  const match = /^::([a-z]+) ([^:]*)::(.*)$/.exec(line);
  assert.ok(match, `not a workflow command: ${line}`);
  const unescape = (text: string) =>
    text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  const properties = Object.fromEntries(
    match[2].split(',').map((pair) => {
      const equals = pair.indexOf('=');
      return [pair.slice(0, equals), unescape(pair.slice(equals + 1))];
    }),
  );
  return { command: match[1], properties, message: unescape(match[3]) };
}
