import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { Scalar, stringify } from 'yaml';
import { analyzeFlow, looksLikeFlow } from '../../../src/core/flow';
import { LineIndex } from '../../../src/core/lineIndex';
import type { Range, SecretReference } from '../../../src/core/types';

function slice(text: string, range: Range | undefined): string | undefined {
  if (!range) return undefined;
  const lines = new LineIndex(text);
  return text.slice(lines.offsetAt(range.start), lines.offsetAt(range.end));
}

function flow(body: string): string {
  return `id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n${body}`;
}

function referencesOf(text: string): SecretReference[] {
  const analysis = analyzeFlow(text);
  assert.ok(analysis.isFlow, 'expected a flow');
  return analysis.references;
}

describe('analyzeFlow: flow recognition', () => {
  it('recognises a flow and reads id and namespace with its range', () => {
    const text = flow('    message: hi\n');
    const analysis = analyzeFlow(text);
    assert.equal(analysis.isFlow, true);
    assert.equal(analysis.id, 'hello');
    assert.equal(analysis.namespace, 'company.team');
    assert.deepEqual(analysis.namespaceRange, { start: { line: 1, character: 11 }, end: { line: 1, character: 23 } });
    assert.deepEqual(analysis.errors, []);
  });

  it('accepts triggers instead of tasks and a quoted namespace', () => {
    const text = 'id: t\nnamespace: "a.b"\ntriggers:\n  - id: s\n    type: Schedule\n';
    const analysis = analyzeFlow(text);
    assert.equal(analysis.isFlow, true);
    assert.equal(analysis.namespace, 'a.b');
    assert.equal(slice(text, analysis.namespaceRange), 'a.b');
  });

  it('rejects documents missing id, namespace or tasks/triggers', () => {
    for (const text of [
      'namespace: a\ntasks: [x]\n',
      'id: a\ntasks: [x]\n',
      'id: a\nnamespace: b\n',
      'id: a\nnamespace: b\ntasks:\n',
      '- a\n- b\n',
      'plain',
      '',
    ]) {
      assert.equal(analyzeFlow(text).isFlow, false, text);
    }
  });

  it('does not scan non-flow documents', () => {
    assert.deepEqual(analyzeFlow('services:\n  x: "{{ secret(\'A\') }}"\n').references, []);
  });

  it('uses the first flow document and references from all flow documents', () => {
    const text = [
      'kind: other',
      'x: "{{ secret(\'NOT_A_FLOW\') }}"',
      '---',
      'id: first',
      'namespace: one',
      'tasks: [{ id: a, v: "{{ secret(\'A\') }}" }]',
      '---',
      'id: second',
      'namespace: two',
      'tasks: [{ id: b, v: "{{ secret(\'B\') }}" }]',
      '',
    ].join('\n');
    const analysis = analyzeFlow(text);
    assert.equal(analysis.id, 'first');
    assert.equal(analysis.namespace, 'one');
    assert.deepEqual(
      analysis.references.map((reference) => reference.key),
      ['A', 'B'],
    );
  });

  it('reports YAML errors with ranges and keeps scanning what was recovered', () => {
    const text = flow('    message: "{{ secret(\'KEEP\') }}"\n    bad: [unclosed\n');
    const analysis = analyzeFlow(text);
    assert.ok(analysis.errors.length > 0);
    for (const error of analysis.errors) {
      assert.ok(error.message.length > 0);
      assert.ok(!error.message.includes('KEEP'));
      assert.ok(error.range.start.line >= 0);
    }
    assert.equal(analysis.isFlow, true);
    assert.deepEqual(
      analysis.references.map((reference) => reference.key),
      ['KEEP'],
    );
  });

  it('still knows a half-typed flow (unclosed quote) and its namespace', () => {
    const text = flow('    message: "{{ secret(\'DB\n    other: 1\n');
    const analysis = analyzeFlow(text);
    assert.equal(analysis.isFlow, true);
    assert.equal(analysis.namespace, 'company.team');
    const early = "id: x\nnamespace: company.team\nlabels: 'unclosed\ntasks:\n  - id: a\n";
    const earlyAnalysis = analyzeFlow(early);
    assert.equal(earlyAnalysis.isFlow, true);
    assert.equal(earlyAnalysis.namespace, 'company.team');
    assert.equal(slice(early, earlyAnalysis.namespaceRange), 'company.team');
    assert.ok(earlyAnalysis.errors.length > 0);
  });

  it('skips the scalar scan without the word secret but still reads the header', () => {
    const analysis = analyzeFlow(flow('    message: "{{ kv(\'X\') }}"\n'));
    assert.equal(analysis.isFlow, true);
    assert.deepEqual(analysis.references, []);
  });

  it('looksLikeFlow needs an id and a namespace key, in any style Kestra reads', () => {
    assert.equal(looksLikeFlow('id: a\nnamespace: b\n'), true);
    assert.equal(looksLikeFlow('namespace: b\r\nid: a\r\n'), true);
    assert.equal(looksLikeFlow('  id: a\n  namespace: b\n'), true);
    assert.equal(looksLikeFlow('id: a\n'), false);
    assert.equal(looksLikeFlow('identity: a\nnamespaces: b\n'), false);
  });
});

describe('analyzeFlow: scalar styles and offsets', () => {
  it('maps a plain scalar', () => {
    const text = flow("    message: Hello {{ secret('PLAIN') | trim }}\n");
    const [reference] = referencesOf(text);
    assert.equal(reference.key, 'PLAIN');
    assert.deepEqual(reference.keyRange, { start: { line: 5, character: 30 }, end: { line: 5, character: 35 } });
    assert.equal(slice(text, reference.callRange), "secret('PLAIN')");
  });

  it("maps a single-quoted scalar with '' escapes", () => {
    const text = flow("    message: '{{ secret(''SINGLE'') }} it''s {{ secret(\"IT''S\") }}'\n");
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['SINGLE', "IT'S"],
    );
    assert.equal(slice(text, references[0].keyRange), 'SINGLE');
    assert.equal(slice(text, references[1].keyRange), "IT''S");
  });

  it('maps a double-quoted scalar with YAML escapes', () => {
    const text = flow('    message: "\\t{{ secret(\\"DQ\\") }} \\x41\\u00e9\\\\ {{ secret(\'\\x41B\\u00c9\') }}"\n');
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['DQ', 'ABÉ'],
    );
    assert.equal(slice(text, references[0].keyRange), 'DQ');
    assert.equal(slice(text, references[0].callRange), 'secret(\\"DQ\\")');
    assert.equal(slice(text, references[1].keyRange), '\\x41B\\u00c9');
  });

  it('maps quoted and plain scalars folded over several lines', () => {
    const text = flow(
      [
        '    a: "first {{',
        "      secret('FOLD_DQ') }}\"",
        "    b: 'x {{",
        '',
        "      secret(''FOLD_SQ'') }}'",
        '    c: x {{',
        "      secret('FOLD_PLAIN',",
        "      subkey='f') }}",
        '',
      ].join('\n'),
    );
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['FOLD_DQ', 'FOLD_SQ', 'FOLD_PLAIN'],
    );
    for (const reference of references) assert.equal(slice(text, reference.keyRange), reference.key);
    assert.equal(slice(text, references[2].subkeyRange), 'f');
    assert.equal(references[2].subkeyRange?.start.line, 12);
  });

  it('maps literal and folded block scalars with chomping and indentation indicators', () => {
    const text = flow(
      [
        '    script: |',
        '      echo start',
        "        {{ secret('LITERAL') }}",
        '    folded: >-',
        '      one',
        "      two {{ secret('FOLDED', 'other.ns') }}",
        '',
        '      three',
        '    keep: |+2',
        "         indented {{ secret('KEEP') }}",
        '',
        '    strip: >2-',
        "        {{ secret('STRIP') }}",
        '',
      ].join('\n'),
    );
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['LITERAL', 'FOLDED', 'KEEP', 'STRIP'],
    );
    for (const reference of references) assert.equal(slice(text, reference.keyRange), reference.key);
    assert.equal(references[1].namespace, 'other.ns');
    assert.equal(slice(text, references[1].namespaceRange), 'other.ns');
    assert.deepEqual(references[0].keyRange, { start: { line: 7, character: 19 }, end: { line: 7, character: 26 } });
  });

  it('scans map keys, variables, inputs, triggers and pluginDefaults', () => {
    const text = [
      'id: all',
      'namespace: company.team',
      'variables:',
      '  token: "{{ secret(\'VAR\') }}"',
      'inputs:',
      '  - id: i',
      '    defaults: "{{ secret(\'INPUT\') }}"',
      'tasks:',
      '  - id: t',
      '    type: x',
      '    headers:',
      '      "{{ secret(\'MAPKEY\') }}": value',
      'triggers:',
      '  - id: tr',
      '    password: "{{ secret(\'TRIGGER\') }}"',
      'pluginDefaults:',
      '  - type: x',
      '    values:',
      '      password: "{{ secret(\'DEFAULT\') }}"',
      '',
    ].join('\n');
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['VAR', 'INPUT', 'MAPKEY', 'TRIGGER', 'DEFAULT'],
    );
    for (const reference of references) assert.equal(slice(text, reference.keyRange), reference.key);
  });

  it('handles CRLF line endings', () => {
    const text = flow("    a: |\n      x {{ secret('CRLF_BLOCK') }}\n    b: \"y\n      {{ secret('CRLF_DQ') }}\"\n").replace(/\n/g, '\r\n');
    const references = referencesOf(text);
    assert.deepEqual(
      references.map((reference) => reference.key),
      ['CRLF_BLOCK', 'CRLF_DQ'],
    );
    for (const reference of references) assert.equal(slice(text, reference.keyRange), reference.key);
  });

  it('reports dynamic keys, comments and raw blocks correctly', () => {
    const text = flow("    a: \"{{ secret(inputs.k) }} {# secret('C') #} {% raw %}{{ secret('R') }}{% endraw %}\"\n");
    const references = referencesOf(text);
    assert.equal(references.length, 1);
    assert.equal(references[0].key, undefined);
    assert.equal(references[0].dynamicKey, 'the key is the expression `inputs.k`');
    assert.equal(slice(text, references[0].callRange), 'secret(inputs.k)');
  });

  it('carries subkey, full and dynamic parts', () => {
    const text = flow('    a: "{{ secret(\'K\', namespace=vars.ns, subkey=vars.s, full=true) }}"\n');
    const [reference] = referencesOf(text);
    assert.equal(reference.key, 'K');
    assert.equal(reference.full, true);
    assert.equal(reference.dynamicNamespace, 'the namespace is the expression `vars.ns`');
    assert.equal(reference.dynamicSubkey, 'the sub-key is the expression `vars.s`');
  });
  it('maps a template repeated in other styles and places to each place (scans are shared by text)', () => {
    const template = "Hi {{ secret('SHARED', subkey='user') }} and {{ 'x' | upper( }}";
    const plain = flow(`    message: ${template}\n`);
    const escaped = flow(`    message: "${template.replace(/'/g, '\\x27')}"\n`);
    const inKey = flow(`    env:\n      "${template}": value\n`);
    const expectations = new Map([
      [plain, { call: "secret('SHARED', subkey='user')", errors: 1 }],
      [escaped, { call: 'secret(\\x27SHARED\\x27, subkey=\\x27user\\x27)', errors: 1 }],
      // Keys are not rendered: a syntax error in one fails nothing.
      [inKey, { call: "secret('SHARED', subkey='user')", errors: 0 }],
    ]);
    for (const text of [plain, escaped, plain, inKey, escaped, inKey]) {
      const analysis = analyzeFlow(text);
      const [reference] = analysis.references;
      const expected = expectations.get(text)!;
      assert.equal(reference.key, 'SHARED');
      assert.equal(reference.subkey, 'user');
      assert.equal(slice(text, reference.keyRange), 'SHARED');
      assert.equal(slice(text, reference.subkeyRange), 'user');
      assert.equal(slice(text, reference.callRange), expected.call);
      assert.equal(analysis.pebbleErrors?.length ?? 0, expected.errors);
    }
  });
});

describe('analyzeFlow: properties', () => {
  it('never throws on arbitrary text', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'id: a\n',
          'namespace: b\n',
          'tasks:\n',
          '  - ',
          '"',
          "'",
          '{{ ',
          'secret(',
          "'K'",
          ')',
          ' }}',
          '|',
          '>-',
          '\n',
          '  ',
          ': ',
          '---\n',
          '\\',
          '#',
          '[',
          '{',
          '\t',
          '\r\n',
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        const analysis = analyzeFlow(text);
        for (const reference of analysis.references) assert.ok(reference.callRange.start.line >= 0);
      }),
      { numRuns: 1500 },
    );
  });

  const keyChar = fc.constantFrom(...'ABCxyz019_.-/ é\'"'.split(''));
  const keyArb = fc.array(keyChar, { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''));

  /** Pebble literal content for `key` in `quote` quotes. */
  function pebbleEscape(key: string, quote: string): string {
    return key.split(quote).join(`\\${quote}`);
  }

  function doubleQuotedEscape(text: string, escapeStyle: number[]): string {
    return [...text]
      .map((ch, i) => {
        if (ch === '"' || ch === '\\') return `\\${ch}`;
        const style = escapeStyle[i % escapeStyle.length];
        const code = ch.charCodeAt(0);
        if (style === 1 && code < 256) return `\\x${code.toString(16).padStart(2, '0')}`;
        if (style === 2) return `\\u${code.toString(16).padStart(4, '0')}`;
        return ch;
      })
      .join('');
  }

  type Style = 'plain' | 'single' | 'double' | 'literal' | 'folded';

  /** A YAML field whose value holds `{{ secret(<pebble>) }}`; returns the line(s) and the source form of the key. */
  function field(
    style: Style,
    name: string,
    pebbleKey: string,
    quote: string,
    fold: boolean,
    escapeStyle: number[],
    header: string,
  ): { source: string; keySource: string } {
    const expression = `{{${fold ? '\n' : ' '}secret(${quote}${pebbleKey}${quote}) }}`;
    switch (style) {
      case 'plain':
        return { source: `    ${name}: x ${expression.replace('\n', '\n      ')}\n`, keySource: pebbleKey };
      case 'single': {
        const keySource = pebbleKey.replace(/'/g, "''");
        return { source: `    ${name}: '${expression.replace(/'/g, "''").replace('\n', '\n      ')}'\n`, keySource };
      }
      case 'double': {
        const keySource = doubleQuotedEscape(pebbleKey, escapeStyle);
        const source = `    ${name}: "{{${fold ? '\n      ' : ' '}secret(${doubleQuotedEscape(quote, [0])}${keySource}${doubleQuotedEscape(quote, [0])}) }}"\n`;
        return { source, keySource };
      }
      default: {
        const indicator = style === 'literal' ? '|' : '>';
        const lines = expression.split('\n').map((line) => `      ${line}`);
        return { source: `    ${name}: ${indicator}${header}\n      first line\n${lines.join('\n')}\n`, keySource: pebbleKey };
      }
    }
  }

  it('round-trips generated keys in every scalar style to their exact source ranges', () => {
    const entry = fc.record({
      key: keyArb,
      style: fc.constantFrom<Style>('plain', 'single', 'double', 'literal', 'folded'),
      quote: fc.constantFrom("'", '"'),
      fold: fc.boolean(),
      escapeStyle: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
      header: fc.constantFrom('', '-', '+', '2', '-2', '+2'),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), fc.boolean(), (entries, crlf) => {
        const usable = entries.filter((e) => !(e.style === 'plain' && /['"]$|^ | $|\s'/.test(e.key)));
        fc.pre(usable.length > 0);
        const fields = usable.map((e, i) =>
          field(e.style, `f${i}`, pebbleEscape(e.key, e.quote), e.quote, e.fold, e.escapeStyle, e.header),
        );
        let text = flow(fields.map((f) => f.source).join(''));
        if (crlf) text = text.replace(/\n/g, '\r\n');
        const analysis = analyzeFlow(text);
        assert.deepEqual(analysis.errors, [], text);
        assert.deepEqual(
          analysis.references.map((reference) => reference.key),
          usable.map((e) => e.key),
          text,
        );
        analysis.references.forEach((reference, i) => {
          assert.equal(slice(text, reference.keyRange), fields[i].keySource, text);
          assert.ok(slice(text, reference.callRange)?.startsWith('secret('));
        });
      }),
      { numRuns: 600 },
    );
  });

  it('maps keys exactly in scalars written by the yaml library in any style and line width', () => {
    const safeText = fc.string({ maxLength: 40 }).filter((s) => !/[{}]|secret/.test(s));
    const key = fc.stringMatching(/^[A-Za-z0-9_]{1,16}$/);
    const type = fc.constantFrom(Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED);
    fc.assert(
      fc.property(
        safeText,
        safeText,
        key,
        type,
        fc.integer({ min: 20, max: 80 }),
        fc.boolean(),
        (before, after, secretKey, scalarType, lineWidth, asMapKey) => {
          const value = `${before}{{ secret('${secretKey}') }}${after}`;
          const scalar = new Scalar(value);
          scalar.type = scalarType;
          const task: Record<string, unknown> = { id: 't', type: 'x' };
          const document = { id: 'f', namespace: 'n', tasks: [task] };
          let text: string;
          if (asMapKey) {
            text = stringify(document, { lineWidth }).replace('type: x', () => `type: x\n    headers:\n      ${JSON.stringify(value)}: v`);
          } else {
            task.message = scalar;
            text = stringify(document, { lineWidth, minContentWidth: 0 });
          }
          const references = analyzeFlow(text).references.filter((reference) => reference.key === secretKey);
          assert.equal(references.length, 1, text);
          // The library may break a long double-quoted line inside the key with an escaped line break.
          const unbroken = (range: Range | undefined): string => (slice(text, range) ?? '').replace(/\\\r?\n[ \t]*/g, '');
          assert.equal(unbroken(references[0].keyRange), secretKey, text);
          const call = unbroken(references[0].callRange);
          assert.match(call, /^secret\(.*\)$/s, text);
          assert.ok(call.includes(secretKey), text);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('maps keys exactly in hand-written scalars full of escapes, folds, blank lines, tabs and CRLF', () => {
    const pieces = (...parts: string[]) => fc.array(fc.constantFrom(...parts), { maxLength: 12 }).map((chosen) => chosen.join(''));
    const doubleNoise = pieces(
      'a',
      ' ',
      '  ',
      '\t',
      '\\t',
      '\\x41',
      '\\u263A',
      '\\U0001F600',
      '\\q',
      '\\\\',
      '\\"',
      '\n',
      '\n\n',
      '\n      ',
      '\r\n',
      '\\\n',
      '\\ ',
      '\\N',
      'é',
      ':',
      "'",
    );
    const singleNoise = pieces('a', ' ', '  ', '\t', "''", '\\', '"', '\n', '\n\n', '\n      ', '\r\n', 'é', ':');
    const plainNoise = pieces('a', 'b', ' x', '\n      y', '\n\n      z', '\t', "'", '"', '\\');
    const blockNoise = pieces('a', ' ', '\t', '\n      ', '\n        ', '\n\n      ', '\n   \n      ', '#', "'", '\r\n      ');
    const style = fc.constantFrom('double', 'single', 'plain', 'literal', 'folded');
    const header = fc.constantFrom('', '-', '+', '2', '-2', '+2', '4', '1');
    fc.assert(
      fc.property(
        style,
        doubleNoise,
        singleNoise,
        plainNoise,
        blockNoise,
        header,
        fc.boolean(),
        (chosen, dq, sq, plain, block, indicator, crlf) => {
          let value: string;
          if (chosen === 'double') value = `"${dq}{{ secret('KEY') }}${dq}"`;
          else if (chosen === 'single') value = `'${sq}{{ secret(''KEY'') }}${sq}'`;
          else if (chosen === 'plain') value = `x${plain} {{ secret('KEY') }}${plain}`;
          else value = `${chosen === 'literal' ? '|' : '>'}${indicator}\n      first\n      ${block}{{ secret('KEY') }}${block}`;
          let text = `id: f\nnamespace: n\ntasks:\n  - id: t\n    v: ${value}\n    w: 1\n`;
          if (crlf) text = text.replace(/\r?\n/g, '\r\n');
          fc.pre(!/\n[ \t]*#/.test(text));
          const analysis = analyzeFlow(text);
          fc.pre(analysis.errors.length === 0);
          const references = analysis.references.filter((reference) => reference.key === 'KEY');
          assert.equal(references.length, 1, JSON.stringify(text));
          assert.equal(slice(text, references[0].keyRange), 'KEY', JSON.stringify(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('analyses 2,000 flows with 5,000 references well under a second', function () {
    this.timeout(60_000);
    const run = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'speed', 'analyzeFlows.ts')], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const { bestMs, references } = JSON.parse(run.stdout) as { bestMs: number; references: number };
    assert.equal(references, 5000);
    assert.ok(bestMs < 1000, `took ${bestMs.toFixed(0)} ms of CPU`);
  });
});

describe('LineIndex', () => {
  it('converts offsets and positions across \\n, \\r\\n and lone \\r', () => {
    const text = 'ab\ncd\r\nef\rgh';
    const lines = new LineIndex(text);
    assert.equal(lines.lineCount, 4);
    const expected: [number, number, number][] = [
      [0, 0, 0],
      [2, 0, 2],
      [3, 1, 0],
      [5, 1, 2],
      [7, 2, 0],
      [9, 2, 2],
      [10, 3, 0],
      [12, 3, 2],
    ];
    for (const [offset, line, character] of expected) {
      assert.deepEqual(lines.positionAt(offset), { line, character }, `offset ${offset}`);
      assert.equal(lines.offsetAt({ line, character }), offset);
    }
  });

  it('clamps out-of-range offsets and positions', () => {
    const lines = new LineIndex('ab\r\ncd');
    assert.deepEqual(lines.positionAt(-5), { line: 0, character: 0 });
    assert.deepEqual(lines.positionAt(99), { line: 1, character: 2 });
    assert.equal(lines.offsetAt({ line: 0, character: 99 }), 2);
    assert.equal(lines.offsetAt({ line: 9, character: 0 }), 6);
    assert.equal(lines.offsetAt({ line: -1, character: 3 }), 0);
  });

  it('round-trips every offset of arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'é', '\n', '\r', '\r\n', '😀'), { maxLength: 30 }).map((parts) => parts.join('')),
        (text) => {
          const lines = new LineIndex(text);
          for (let offset = 0; offset <= text.length; offset++) {
            const position = lines.positionAt(offset);
            const insideCrlf = text[offset - 1] === '\r' && text[offset] === '\n';
            if (!insideCrlf) assert.equal(lines.offsetAt(position), offset);
          }
        },
      ),
    );
  });
});

describe('analyzeFlow: error messages', () => {
  it('never quotes source text from the file in a parse error', () => {
    const text = flow('    password: "p\\qssw0rd-inline"\n    other: "\\xZZsecretvalue"\n');
    const analysis = analyzeFlow(text);
    assert.ok(analysis.errors.length >= 2);
    for (const error of analysis.errors) {
      assert.ok(!/qss|ZZ|secretvalue/.test(error.message), error.message);
    }
    assert.equal(analysis.errors[0].message, 'Invalid escape sequence');
    assert.deepEqual(analysis.errors[0].range.start, { line: 5, character: 16 });
  });
});
