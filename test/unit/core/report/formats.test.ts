import { strict as assert } from 'node:assert';
import { checkFlow, type VisibleLookup } from '../../../../src/core/checks';
import type { VisibleSecrets } from '../../../../src/core/catalogTypes';
import { analyzeFlow } from '../../../../src/core/flow';
import { fingerprints } from '../../../../src/core/report/fingerprint';
import { escapeData, escapeProperty, formatGithub } from '../../../../src/core/report/github';
import { formatGitlab } from '../../../../src/core/report/gitlab';
import { FINGERPRINT_KEY, formatSarif } from '../../../../src/core/report/sarif';
import type { Problem } from '../../../../src/core/types';
import { sarifSchemaErrors } from '../../../fixtures/sarif/validate';

const lookup: VisibleLookup = (namespace) =>
  ({
    namespace,
    backendType: 'env',
    backendLabel: 'Env (SECRET_)',
    readOnly: true,
    caseInsensitive: false,
    secrets: [{ key: 'API_TOKEN', inherited: false, shadows: [] }],
  }) satisfies VisibleSecrets;

function flowProblems(file: string, messages: string[], before = ''): Problem[] {
  const tasks = messages
    .map((message, index) => `  - id: t${index}\n    type: io.kestra.plugin.core.log.Log\n    message: "${message}"\n`)
    .join('');
  return checkFlow(file, analyzeFlow(`${before}id: f\nnamespace: company.team\ntasks:\n${tasks}`), lookup);
}

const TOOL = { name: 'kestra-secrets', version: '9.9.9', informationUri: 'https://example.invalid/kestra-secrets' };

describe('report fingerprints', () => {
  it('stay the same when lines and other problems are added around a problem, so GitHub keeps tracking its alert', () => {
    const original = flowProblems('flows/a.yml', ["{{ secret('MISSING_A') }}", "{{ secret('MISSING_B') }}"]);
    const edited = flowProblems(
      'flows/a.yml',
      ["{{ secret('NEW_MISSING') }}", "{{ secret('MISSING_A') }}", 'plain', "{{ secret('MISSING_B') }}"],
      '# a comment\n\n',
    );
    const printOf = (problems: Problem[], key: string) =>
      fingerprints(problems)[problems.findIndex((problem) => problem.data?.key === key)];
    for (const key of ['MISSING_A', 'MISSING_B']) assert.equal(printOf(edited, key), printOf(original, key), key);
    assert.notEqual(original[0].range.start.line, edited[1].range.start.line, 'the edit did not move the problem');
    assert.equal(new Set(fingerprints(edited)).size, edited.length);
  });

  it('tell apart two identical references in one file by their order, and the same reference in two files', () => {
    const twice = flowProblems('flows/a.yml', ["{{ secret('MISSING_A') }}", "{{ secret('MISSING_A') }}"]);
    const elsewhere = flowProblems('flows/b.yml', ["{{ secret('MISSING_A') }}"]);
    const prints = fingerprints([...twice, ...elsewhere]);
    assert.equal(new Set(prints).size, 3);
  });

  it('do not change when a near-miss suggestion appears in the message', () => {
    const [withoutSuggestion] = flowProblems('flows/a.yml', ["{{ secret('API_TOKEN_X') }}"]);
    const withSuggestion: Problem = { ...withoutSuggestion, message: `${withoutSuggestion.message} Did you mean 'API_TOKEN'?` };
    assert.deepEqual(fingerprints([withSuggestion]), fingerprints([withoutSuggestion]));
  });
});

describe('GitHub workflow commands', () => {
  it("escape %, CR and LF in messages, and also ',' and ':' in properties, as @actions/core does", () => {
    assert.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b');
    assert.equal(escapeProperty('dir/a, b: 100%.yml'), 'dir/a%2C b%3A 100%25.yml');
  });

  it('write one command per problem with 1-based positions and notice for information', () => {
    const problems = flowProblems('flows\\a.yml', ["{{ secret('MISSING_A') }}", '{{ secret(inputs.name) }}']);
    const lines = formatGithub(problems).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    assert.match(
      lines[0],
      /^::error file=flows\/a\.yml,line=6,col=\d+,endLine=6,endColumn=\d+,title=Missing secret \(missing-secret\)::Cannot find secret for key 'MISSING_A'\./,
    );
    assert.match(lines[1], /^::notice file=flows\/a\.yml,line=9,/);
  });
});

describe('SARIF', () => {
  it('is valid against the SARIF 2.1.0 schema with a file outside the source root (absolute file URI, no base id)', () => {
    const problems = [
      ...flowProblems('flows/a b#1.yml', ["{{ secret('MISSING_A') }}"]),
      ...flowProblems('/elsewhere/flow.yml', ["{{ secret('MISSING_B') }}"]),
    ];
    const log = JSON.parse(formatSarif(problems, { tool: TOOL, sourceRoot: '/work/repo' }));
    assert.deepEqual(sarifSchemaErrors(log), []);
    const [inside, outside] = log.runs[0].results.map(
      (result: { locations: { physicalLocation: { artifactLocation: unknown } }[] }) =>
        result.locations[0].physicalLocation.artifactLocation,
    );
    assert.deepEqual(inside, { uri: 'flows/a%20b%231.yml', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(outside, { uri: 'file:///elsewhere/flow.yml' });
    assert.deepEqual(log.runs[0].originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/repo/' } });
  });

  it('is valid and lists every rule when there is no problem at all', () => {
    const log = JSON.parse(formatSarif([], { tool: TOOL, sourceRoot: '/work/repo' }));
    assert.deepEqual(sarifSchemaErrors(log), []);
    assert.deepEqual(log.runs[0].results, []);
    assert.ok(log.runs[0].tool.driver.rules.length >= 10);
  });

  it('is rejected by the schema validator when a required field is missing (the validator really validates)', () => {
    const log = JSON.parse(formatSarif(flowProblems('flows/a.yml', ["{{ secret('MISSING_A') }}"]), { tool: TOOL, sourceRoot: '/r' }));
    delete log.runs[0].results[0].message;
    log.runs[0].results[0].level = 'fatal';
    assert.equal(sarifSchemaErrors(log).length >= 2, true);
    assert.ok(typeof log.runs[0].results[0].partialFingerprints[FINGERPRINT_KEY] === 'string');
  });
});

describe('GitLab Code Quality', () => {
  it('maps severities to GitLab scale and gives each issue its path, begin line and a unique fingerprint', () => {
    const problems = flowProblems('flows\\a.yml', ["{{ secret('MISSING_A') }}", '{{ secret(inputs.name) }}', "{{ secret('MISSING_A') }}"]);
    const issues = JSON.parse(formatGitlab(problems));
    assert.deepEqual(
      issues.map((issue: { severity: string; check_name: string; location: { path: string; lines: { begin: number } } }) => [
        issue.severity,
        issue.check_name,
        issue.location.path,
        issue.location.lines.begin,
      ]),
      [
        ['major', 'missing-secret', 'flows/a.yml', 6],
        ['info', 'dynamic-key', 'flows/a.yml', 9],
        ['major', 'missing-secret', 'flows/a.yml', 12],
      ],
    );
    assert.equal(new Set(issues.map((issue: { fingerprint: string }) => issue.fingerprint)).size, 3);
  });
});
