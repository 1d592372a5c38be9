/**
 * Issue 8, points 5 and 6: every flow shape Kestra accepts is recognised (BOM, indented root, JSON,
 * quoted keys, several documents each with its own namespace), an unquoted template that YAML reads
 * as a map is flagged, and `description` prose is never read as references.
 */
import { strict as assert } from 'node:assert';
import { checkFlow, keysWithSubkeys, referencedNamespaces, type VisibleLookup } from '../../../src/core/checks';
import type { VisibleSecrets } from '../../../src/core/catalogTypes';
import { analyzeFlow, hasFlowHeaderLines, looksLikeFlow } from '../../../src/core/flow';
import { LineIndex } from '../../../src/core/lineIndex';
import type { Range } from '../../../src/core/types';

function slice(text: string, range: Range | undefined): string | undefined {
  if (!range) return undefined;
  const lines = new LineIndex(text);
  return text.slice(lines.offsetAt(range.start), lines.offsetAt(range.end));
}

function listing(namespace: string, keys: string[]): VisibleSecrets {
  return {
    namespace,
    backendType: 'env',
    backendLabel: 'Env (SECRET_)',
    readOnly: true,
    caseInsensitive: false,
    secrets: keys.map((key) => ({ key, inherited: false, shadows: [] })),
  };
}

function lookupOf(...listings: VisibleSecrets[]): VisibleLookup {
  return (namespace) => listings.find((candidate) => candidate.namespace === namespace);
}

const SHAPES: Record<string, string> = {
  'a UTF-8 BOM before id':
    '\uFEFFid: bom\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'API_TOKEN\') }}"\n',
  'an indented root mapping':
    '  id: indented\n  namespace: company.team\n  tasks:\n    - id: log\n      type: io.kestra.plugin.core.log.Log\n      message: "{{ secret(\'API_TOKEN\') }}"\n',
  'a JSON flow':
    '{\n  "id": "json",\n  "namespace": "company.team",\n  "tasks": [\n    {"id": "log", "type": "io.kestra.plugin.core.log.Log", "message": "{{ secret(\'API_TOKEN\') }}"}\n  ]\n}\n',
  'quoted keys':
    '"id": quoted\n\'namespace\': company.team\n"tasks":\n  - "id": log\n    "type": io.kestra.plugin.core.log.Log\n    "message": "{{ secret(\'API_TOKEN\') }}"\n',
};

describe('analyzeFlow: every flow shape Kestra accepts', () => {
  for (const [shape, text] of Object.entries(SHAPES)) {
    it(`recognises ${shape}, passes the pre-filter and maps the reference to its source`, () => {
      assert.equal(looksLikeFlow(text), true, 'the cheap pre-filter dropped the flow');
      const analysis = analyzeFlow(text);
      assert.equal(analysis.isFlow, true);
      assert.equal(analysis.namespace, 'company.team');
      assert.deepEqual(analysis.errors, []);
      assert.equal(analysis.references.length, 1);
      assert.equal(slice(text, analysis.references[0].keyRange), 'API_TOKEN');
      assert.equal(analysis.references[0].flowNamespace, 'company.team');
    });
  }

  it('reports a missing secret in each shape with the flow namespace', () => {
    for (const text of Object.values(SHAPES)) {
      const problems = checkFlow('f.yaml', analyzeFlow(text), lookupOf(listing('company.team', ['OTHER'])));
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.data?.namespace]),
        [['missing-secret', 'company.team']],
      );
    }
  });

  it('keeps YAML errors of quoted-key and BOM files that mean to be flows, and not of other YAML', () => {
    assert.equal(hasFlowHeaderLines('\uFEFF"id": a\n"namespace": b\n'), true);
    assert.equal(hasFlowHeaderLines('items:\n  - id: a\n    namespace: b\n'), false);
  });
});

describe('analyzeFlow: each document of a multi-document file with its own namespace', () => {
  const text = [
    'id: first',
    'namespace: team.one',
    'tasks:',
    '  - id: a',
    '    type: io.kestra.plugin.core.log.Log',
    "    message: \"{{ secret('ONE_KEY') }} {{ secret('JSON_KEY', subkey='user') }}\"",
    '---',
    'id: second',
    'namespace: team.two',
    'tasks:',
    '  - id: b',
    '    type: io.kestra.plugin.core.log.Log',
    "    message: \"{{ secret('TWO_KEY') }} {{ secret('ELSEWHERE', namespace='team.three') }}\"",
    '',
  ].join('\n');

  it('gives each reference the namespace of the document it is in', () => {
    const analysis = analyzeFlow(text);
    assert.deepEqual(
      analysis.references.map((reference) => [reference.key, reference.flowNamespace]),
      [
        ['ONE_KEY', 'team.one'],
        ['JSON_KEY', 'team.one'],
        ['TWO_KEY', 'team.two'],
        ['ELSEWHERE', 'team.two'],
      ],
    );
    assert.deepEqual(analysis.flowNamespaces, ['team.one', 'team.two']);
    assert.deepEqual(referencedNamespaces(analysis).sort(), ['team.one', 'team.three', 'team.two']);
    assert.deepEqual([...keysWithSubkeys([analysis]).keys()], ['team.one']);
  });

  it('checks the second flow against its own namespace, not the first one', () => {
    const problems = checkFlow(
      'f.yaml',
      analyzeFlow(text),
      lookupOf(listing('team.one', ['ONE_KEY', 'JSON_KEY']), listing('team.two', ['ONE_KEY']), listing('team.three', ['ELSEWHERE'])),
    );
    assert.deepEqual(
      problems.map((problem) => [problem.data?.key, problem.data?.namespace, problem.range.start.line]),
      [['TWO_KEY', 'team.two', 12]],
    );
  });
});

describe('analyzeFlow: only what Kestra renders is read', () => {
  const text = [
    'id: documented',
    'namespace: company.team',
    "description: This flow references no {{ secret('FLOW_DOC') }} values",
    'inputs:',
    '  - id: name',
    '    type: STRING',
    '    description: "Defaults to {{ secret(\'INPUT_DOC\') }}"',
    'tasks:',
    '  - id: log',
    '    type: io.kestra.plugin.core.log.Log',
    '    description: |',
    "      Logs {{ secret('TASK_DOC') }} for nobody.",
    '    message: "{{ secret(\'RENDERED\') }}"',
    '  - id: group',
    '    type: io.kestra.plugin.core.flow.Sequential',
    '    tasks:',
    '      - id: nested',
    '        type: io.kestra.plugin.core.log.Log',
    '        description: "{{ secret(\'NESTED_DOC\') }}"',
    '        message: "{{ secret(\'NESTED_RENDERED\') }}"',
    '  - id: ticket',
    '    type: io.kestra.plugin.jira.issues.Create',
    '    description: "Token {{ secret(\'JIRA_RENDERED\') }}"',
    '  - id: agent',
    '    type: io.kestra.plugin.ai.agent.AIAgent',
    '    tools:',
    '      - name: lookup',
    '        description: "{{ secret(\'PLUGIN_PROPERTY\') }}"',
    'outputs:',
    '  - id: out',
    '    type: STRING',
    '    value: "{{ secret(\'OUTPUT_VALUE\') }}"',
    '    description: "{{ secret(\'OUTPUT_DOC\') }}"',
    'triggers:',
    '  - id: schedule',
    '    type: io.kestra.plugin.core.trigger.Schedule',
    '    description: "{{ secret(\'TRIGGER_DOC\') }}"',
    'extend:',
    '  title: A blueprint',
    '  description: |',
    "    Reads `{{ secret(...) }}` and {{ secret('BLUEPRINT_DOC') }} for the catalogue.",
    '',
  ].join('\n');

  it('never reads the description of the flow, its inputs, outputs, tasks and triggers, nor the blueprint extend block', () => {
    const keys = analyzeFlow(text).references.map((reference) => reference.key);
    assert.deepEqual(keys, ['RENDERED', 'NESTED_RENDERED', 'JIRA_RENDERED', 'PLUGIN_PROPERTY', 'OUTPUT_VALUE']);
  });

  it('reports no missing secret for prose', () => {
    const problems = checkFlow('f.yaml', analyzeFlow(text), lookupOf(listing('company.team', [])));
    assert.deepEqual(
      problems.map((problem) => problem.data?.key),
      ['RENDERED', 'NESTED_RENDERED', 'JIRA_RENDERED', 'PLUGIN_PROPERTY', 'OUTPUT_VALUE'],
    );
  });
});

describe('analyzeFlow: an unquoted template that YAML reads as a map', () => {
  const text = [
    'id: gcp',
    'namespace: company.team',
    'tasks:',
    '  - id: query',
    '    type: io.kestra.plugin.gcp.bigquery.Query',
    "    projectId: {{ secret('GCP_PROJECT_ID') }}",
    '    sql: "{{ secret(\'QUOTED_OK\') }}"',
    '',
  ].join('\n');

  it('warns on its line with a sentence saying to quote it, and never reads it as a reference', () => {
    const analysis = analyzeFlow(text);
    assert.equal(analysis.isFlow, true);
    assert.deepEqual(
      analysis.references.map((reference) => reference.key),
      ['QUOTED_OK'],
    );
    const problems = checkFlow('f.yaml', analysis, lookupOf(listing('company.team', ['QUOTED_OK'])));
    assert.equal(problems.length, 1);
    const [problem] = problems;
    assert.equal(problem.code, 'unquoted-template');
    assert.equal(problem.severity, 'warning');
    assert.equal(problem.range.start.line, 5);
    assert.equal(slice(text, problem.range), "{{ secret('GCP_PROJECT_ID') }}");
    assert.match(problem.message, /quote/);
    assert.match(problem.message, /^[A-Z].*\.$/);
  });

  it('warns on an unquoted template in a description too, which Kestra rejects the same way', () => {
    const analysis = analyzeFlow("id: a\nnamespace: b\ndescription: {{ secret('X') }}\ntasks:\n  - id: t\n    type: x\n");
    assert.deepEqual(analysis.references, []);
    assert.deepEqual(
      analysis.notices?.map((notice) => [notice.code, notice.range.start.line]),
      [['unquoted-template', 2]],
    );
  });

  it('leaves ordinary flow maps alone', () => {
    const analysis = analyzeFlow('id: a\nnamespace: b\ntasks:\n  - { id: t, type: x, headers: { a: 1 } }\n');
    assert.equal(analysis.notices, undefined);
  });
});
