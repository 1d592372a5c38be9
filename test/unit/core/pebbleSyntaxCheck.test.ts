import { strict as assert } from 'node:assert';
import { checkFlow } from '../../../src/core/checks';
import { analyzeFlow } from '../../../src/core/flow';
import type { VisibleSecrets } from '../../../src/core/catalogTypes';

const nothingVisible = (namespace: string): VisibleSecrets => ({
  namespace,
  backendType: 'env',
  backendLabel: 'Kestra SECRET_ environment variables',
  readOnly: true,
  caseInsensitive: true,
  secrets: [],
});

function flow(body: string): string {
  return `id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n${body}\n`;
}

describe('checkFlow: Pebble syntax errors', () => {
  it('reports an unclosed comment on its line and no missing secret for the calls in that template', () => {
    const text = flow('    message: "echo ${#arr[@]} {{ secret(\'A\') }}"');
    const problems = checkFlow('f.yml', analyzeFlow(text), nothingVisible);
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity, problem.range.start.line, problem.range.start.character]),
      [['pebble-syntax', 'error', 5, 20]],
    );
    assert.equal(problems[0].message, "Pebble can't parse this template: Unclosed comment. Kestra fails when it renders it.");
  });

  it('maps the error through YAML escapes to the source', () => {
    const text = flow('    message: "a\\tb {{ \\"x\\" ~ }}"');
    const [problem] = checkFlow('f.yml', analyzeFlow(text), nothingVisible);
    assert.equal(problem.code, 'pebble-syntax');
    assert.equal(text.split('\n')[problem.range.start.line].slice(problem.range.start.character, problem.range.end.character), '}}');
  });

  it('puts the error of a block scalar on the line of the block where Pebble stops', () => {
    const text = flow("    commands: |\n      keys=(a b)\n      echo ok\n      echo ${#keys[@]}\n      echo {{ secret('A') }}");
    const [problem] = checkFlow('f.yml', analyzeFlow(text), nothingVisible);
    assert.equal(problem.code, 'pebble-syntax');
    assert.equal(text.split('\n')[problem.range.start.line], '      echo ${#keys[@]}');
    assert.equal(problem.range.start.character, '      echo $'.length);
  });

  it('never quotes a string literal of the template in the message', () => {
    const text = flow("    message: \"{{ 'hunter2-token' 'p4ssw0rd' }}\"");
    const [problem] = checkFlow('f.yml', analyzeFlow(text), nothingVisible);
    assert.equal(problem.code, 'pebble-syntax');
    assert.doesNotMatch(problem.message, /p4ssw0rd|hunter2/);
  });

  it('reports nothing for map keys, which Kestra does not render, nor for files that are not flows', () => {
    assert.deepEqual(checkFlow('f.yml', analyzeFlow(flow('    "${#x}": 1\n    message: ok')), nothingVisible), []);
    assert.deepEqual(checkFlow('f.yml', analyzeFlow('a: "${#x}"\n'), nothingVisible), []);
  });

  it('still checks the templates of a flow that parse, beside one that does not', () => {
    const text = flow('    message: "{{ secret(\'A\') }}"\n    format: "{{ "');
    const codes = checkFlow('f.yml', analyzeFlow(text), nothingVisible).map((problem) => problem.code);
    assert.deepEqual(codes, ['missing-secret', 'pebble-syntax']);
  });
});
