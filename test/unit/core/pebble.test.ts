import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { completionContextAt, scanPebble, secretSnippetContextAt } from '../../../src/core/pebble';
import type { Literal, PebbleCall } from '../../../src/core/pebble';

/** Arbitrary UTF-16 strings, lone surrogates included (fast to generate). */
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 60 }).map((codes) => String.fromCharCode(...codes));

const pebbleAlphabet = fc.constantFrom(...'{}%#-()\'",=.|~ \n\\secrtkyunamspbfl_0ABxK#'.split(''));
/** Text made of Pebble-ish fragments, to reach the scanner's deeper states. */
const pebbleish = fc
  .array(fc.oneof(pebbleAlphabet, fc.constantFrom('{{', '}}', '{%', '%}', 'secret(', "'K'", 'key=', 'subkey=', 'raw', 'endraw', '\\"')), {
    maxLength: 80,
  })
  .map((parts) => parts.join(''));

/** The source text a literal covers (its content inside the quotes). */
function sliceOf(text: string, literal: Literal | undefined): string | undefined {
  return literal ? text.slice(literal.start, literal.end) : undefined;
}

function keys(text: string): (string | undefined)[] {
  return scanPebble(text).map((call) => call.key?.value);
}

function only(text: string): PebbleCall {
  const calls = scanPebble(text);
  assert.equal(calls.length, 1, `expected one call in ${text}, got ${JSON.stringify(calls)}`);
  return calls[0];
}

describe('scanPebble', () => {
  it('finds a call in a print block with exact offsets', () => {
    const text = "{{ secret('DB_PASSWORD') }}";
    const call = only(text);
    assert.deepEqual(call.key, { value: 'DB_PASSWORD', start: 11, end: 22, quote: "'" });
    assert.equal(call.start, 3);
    assert.equal(call.end, 24);
    assert.equal(text.slice(call.start, call.end), "secret('DB_PASSWORD')");
    assert.equal(call.full, false);
    assert.equal(call.dynamicKey, undefined);
  });

  it('finds calls in execute blocks and with trim markers', () => {
    assert.deepEqual(keys("{% set c = secret('X', full=true) %}"), ['X']);
    assert.deepEqual(keys("{{- secret('A') -}} {%- if secret('B') == 'x' -%}{%- endif -%}"), ['A', 'B']);
  });

  it('maps positional arguments to key, namespace, subkey, full', () => {
    const text = "{{ secret('K', 'other.ns', 'field', true) }}";
    const call = only(text);
    assert.equal(call.key?.value, 'K');
    assert.equal(call.namespace?.value, 'other.ns');
    assert.equal(sliceOf(text, call.namespace), 'other.ns');
    assert.equal(call.subkey?.value, 'field');
    assert.equal(sliceOf(text, call.subkey), 'field');
    assert.equal(call.full, true);
  });

  it('maps named arguments in any order', () => {
    const text = `{{ secret(subkey="user", namespace='a.b', key='CREDS') }}`;
    const call = only(text);
    assert.equal(call.key?.value, 'CREDS');
    assert.equal(call.key?.quote, "'");
    assert.equal(call.namespace?.value, 'a.b');
    assert.equal(call.subkey?.value, 'user');
    assert.equal(call.subkey?.quote, '"');
    assert.equal(sliceOf(text, call.subkey), 'user');
  });

  it('treats a null positional namespace as the flow namespace', () => {
    const call = only("{{ secret('K', null, 'field') }}");
    assert.equal(call.namespace, undefined);
    assert.equal(call.dynamicNamespace, undefined);
    assert.equal(call.subkey?.value, 'field');
  });

  it('accepts whitespace and newlines anywhere inside the expression', () => {
    const text = '{{\n  secret (\n \'K\' ,\n subkey = "f"\n )\n}}';
    const call = only(text);
    assert.equal(sliceOf(text, call.key), 'K');
    assert.equal(call.subkey?.value, 'f');
    assert.equal(text.slice(call.end - 1, call.end), ')');
  });

  it('finds calls wrapped in filters, functions, concatenations and ??', () => {
    assert.deepEqual(keys("{{ secret('K') | trim }}"), ['K']);
    assert.deepEqual(keys("{{ fromJson(secret('CREDS')).user }}"), ['CREDS']);
    assert.deepEqual(keys("{{ secret('A') ~ ':' ~ secret('B') }}"), ['A', 'B']);
    assert.deepEqual(keys("{{ secret('K') ?? 'x' }}"), ['K']);
    assert.deepEqual(keys("{{ secret('K', full=true).value }}"), ['K']);
    assert.deepEqual(keys("{{ {'a': secret('M')} }}"), ['M']);
  });

  it('does not match other names ending or starting with secret', () => {
    assert.deepEqual(scanPebble("{{ x.secret('A') ~ mysecret('B') ~ my_secret('C') ~ secrets('D') ~ secret_x('E') }}"), []);
    assert.deepEqual(scanPebble('{{ secret }}'), []);
  });

  it('ignores comments, raw blocks and text outside expressions', () => {
    assert.deepEqual(scanPebble("{# secret('C') #}"), []);
    assert.deepEqual(scanPebble("{% raw %}{{ secret('R') }}{% endraw %}"), []);
    assert.deepEqual(scanPebble("{%- raw -%}\n{{ secret('R') }}\n{%- endraw -%}"), []);
    assert.deepEqual(scanPebble("{% verbatim %}{{ secret('V') }}{% endverbatim %}"), []);
    assert.deepEqual(keys("{% raw %}{{ secret('R') }}{% endverbatim %}{% endraw %}{{ secret('OUT') }}"), ['OUT']);
    assert.deepEqual(scanPebble("secret('PLAIN') and { secret('BRACE') }"), []);
    assert.deepEqual(keys("{# a #}{{ secret('AFTER_COMMENT') }}{% raw %}x{% endraw %}{{ secret('AFTER_RAW') }}"), [
      'AFTER_COMMENT',
      'AFTER_RAW',
    ]);
  });

  it('does not end an expression at }} inside a string', () => {
    assert.deepEqual(keys("{{ 'a }}' ~ secret('K') }}"), ['K']);
  });

  it('unescapes only \\\' in single and \\" in double quotes, keeping other backslashes', () => {
    const single = only("{{ secret('it\\'s\\n') }}");
    assert.equal(single.key?.value, "it's\\n");
    const double = only('{{ secret("say \\"hi\\"\\t") }}');
    assert.equal(double.key?.value, 'say "hi"\\t');
    assert.equal(only('{{ secret("a\'b") }}').key?.value, "a'b");
  });

  it('reports non-literal keys as dynamic with an explanation', () => {
    const cases: [string, string][] = [
      ['{{ secret(inputs.key) }}', 'the key is the expression `inputs.key`'],
      ["{{ secret('a' ~ x) }}", "the key is the expression `'a' ~ x`"],
      ['{{ secret("#{x}_TOKEN") }}', 'the key is the interpolated string `"#{x}_TOKEN"`'],
      ['{{ secret(key=vars.k) }}', 'the key is the expression `vars.k`'],
      ['{{ secret(render(vars.x)) }}', 'the key is the expression `render(vars.x)`'],
      ['{{ secret() }}', 'no key is given'],
      ["{{ secret(namespace='a') }}", 'no key is given'],
    ];
    for (const [text, why] of cases) {
      const call = only(text);
      assert.equal(call.key, undefined, text);
      assert.equal(call.dynamicKey, why, text);
    }
  });

  it('keeps a static key when only the namespace or subkey is dynamic', () => {
    const call = only("{{ secret('K', namespace=inputs.ns, subkey=vars.field) }}");
    assert.equal(call.key?.value, 'K');
    assert.equal(call.dynamicNamespace, 'the namespace is the expression `inputs.ns`');
    assert.equal(call.dynamicSubkey, 'the sub-key is the expression `vars.field`');
  });

  it('counts an empty subkey as none', () => {
    const call = only("{{ secret('K', subkey='') }}");
    assert.equal(call.subkey, undefined);
    assert.equal(call.dynamicSubkey, undefined);
  });

  it('reads full only when it is literally true', () => {
    assert.equal(only("{{ secret('K', full=true) }}").full, true);
    assert.equal(only("{{ secret('K', full=false) }}").full, false);
    assert.equal(only("{{ secret('K', full=inputs.f) }}").full, false);
  });

  it('ends an unclosed call at the end of the expression', () => {
    const text = "{{ secret('K' }} after";
    const call = only(text);
    assert.equal(call.key?.value, 'K');
    assert.equal(call.end, text.indexOf('}}'));
    const eof = "{{ secret('K', ";
    assert.equal(only(eof).end, eof.length);
  });

  it('reports an unterminated key string as dynamic, not missing', () => {
    const call = only("{{ secret('DB");
    assert.equal(call.key, undefined);
    assert.equal(call.dynamicKey, "the key's string literal is not closed");
  });

  it('finds nested calls', () => {
    assert.deepEqual(keys("{{ secret(secret('INNER')) }}"), [undefined, 'INNER']);
  });

  it('never throws and returns well-formed calls on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, pebbleish), (text) => {
        for (const call of scanPebble(text)) {
          assert.ok(call.start >= 0 && call.start < call.end && call.end <= text.length);
          assert.ok(text.startsWith('secret', call.start));
          for (const literal of [call.key, call.namespace, call.subkey]) {
            if (!literal) continue;
            assert.ok(literal.start <= literal.end && literal.end <= text.length);
            assert.equal(text[literal.start - 1], literal.quote);
            assert.equal(text[literal.end], literal.quote);
          }
          assert.ok(call.key !== undefined || call.dynamicKey !== undefined);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('round-trips generated keys in generated expressions', () => {
    const keyArb = fc.stringMatching(/^[A-Za-z0-9_.\-/ ']{1,20}$/);
    fc.assert(
      fc.property(
        keyArb,
        fc.constantFrom("'", '"'),
        fc.constantFrom('', ' ', '\n  '),
        fc.constantFrom('', ' | trim', ' ~ "x"'),
        (key, quote, space, tail) => {
          const escaped = key.split(quote).join(`\\${quote}`);
          const text = `prefix {{${space}secret(${space}${quote}${escaped}${quote}${space})${tail}${space}}} suffix`;
          const call = only(text);
          assert.equal(call.key?.value, key);
          assert.equal(sliceOf(text, call.key), escaped);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

describe('completionContextAt', () => {
  it('completes the key right after the opening quote', () => {
    const { text, offset } = at("{{ secret('| }}");
    assert.deepEqual(completionContextAt(text, offset), { argument: 'key', typed: '', replaceStart: 11, replaceEnd: 11, quote: "'" });
  });

  it('covers the typed prefix and the rest of the literal up to its closing quote', () => {
    const { text, offset } = at("{{ secret('DB_|PASS') }}");
    assert.deepEqual(completionContextAt(text, offset), { argument: 'key', typed: 'DB_', replaceStart: 11, replaceEnd: 18, quote: "'" });
  });

  it('works while the quote and call are still open, at the end of the text', () => {
    const text = "{{ secret('DB_";
    assert.deepEqual(completionContextAt(text, text.length), {
      argument: 'key',
      typed: 'DB_',
      replaceStart: 11,
      replaceEnd: 14,
      quote: "'",
    });
  });

  it('works inside a YAML double-quoted string with no closing quote yet', () => {
    const text = '    message: "{{ secret(\'DB"\n    next: 1';
    const offset = text.indexOf('DB') + 2;
    const context = completionContextAt(text, offset);
    assert.equal(context?.argument, 'key');
    assert.equal(context?.typed, 'DB');
    assert.equal(context?.replaceStart, text.indexOf('DB'));
    assert.equal(context?.replaceEnd, offset);
  });

  it('stops the replacement at the first character that cannot be part of a key', () => {
    const { text, offset } = at('x: "{{ secret(\'DB|_X }}"');
    const context = completionContextAt(text, offset);
    assert.equal(context?.replaceEnd, text.indexOf(' }}'));
  });

  it('supports double quotes and escaped double quotes from YAML source', () => {
    const plain = at('{{ secret("A|") }}');
    assert.equal(completionContextAt(plain.text, plain.offset)?.quote, '"');
    const escaped = at('x: "{{ secret(\\"AB|C\\") }}"');
    const context = completionContextAt(escaped.text, escaped.offset);
    assert.equal(context?.quote, '"');
    assert.equal(context?.typed, 'AB');
    assert.equal(escaped.text.slice(context!.replaceStart, context!.replaceEnd), 'ABC');
  });

  it("supports Pebble quotes written '' inside a YAML single-quoted scalar", () => {
    const { text, offset } = at("    message: 'Hi {{ secret(''DB_|PASS'') }}'");
    const context = completionContextAt(text, offset);
    assert.equal(context?.argument, 'key');
    assert.equal(context?.typed, 'DB_');
    assert.equal(context?.quote, "'");
    assert.equal(text.slice(context!.replaceStart, context!.replaceEnd), 'DB_PASS');
    const subkey = at("    message: '{{ secret(''CREDS'', subkey=''u|'') }}'");
    const subkeyContext = completionContextAt(subkey.text, subkey.offset);
    assert.equal(subkeyContext?.argument, 'subkey');
    assert.equal(subkeyContext?.key, 'CREDS');
    assert.equal(subkeyContext?.typed, 'u');
  });

  it('completes the key with no quote typed yet', () => {
    const { text, offset } = at('{{ secret(| }}');
    assert.deepEqual(completionContextAt(text, offset), {
      argument: 'key',
      typed: '',
      replaceStart: offset,
      replaceEnd: offset,
      quote: undefined,
    });
    assert.equal(completionContextAt("{{ secret(|'X') }}".replace('|', ''), 10), undefined);
  });

  it('completes subkey and namespace with the call key and namespace', () => {
    const subkey = at("{{ secret('X', subkey='us|') }}");
    assert.deepEqual(completionContextAt(subkey.text, subkey.offset), {
      argument: 'subkey',
      typed: 'us',
      replaceStart: 23,
      replaceEnd: 25,
      quote: "'",
      key: 'X',
    });
    const namespace = at("{{ secret('X', namespace='comp|') }}");
    assert.equal(completionContextAt(namespace.text, namespace.offset)?.argument, 'namespace');
    assert.equal(completionContextAt(namespace.text, namespace.offset)?.key, 'X');
    const positional = at("{{ secret('X', 'a.b', '|') }}");
    assert.deepEqual(completionContextAt(positional.text, positional.offset), {
      argument: 'subkey',
      typed: '',
      replaceStart: positional.offset,
      replaceEnd: positional.offset,
      quote: "'",
      key: 'X',
      namespace: 'a.b',
    });
    const later = at("{{ secret(key='Y', subkey='|', namespace='n.s') }}");
    const context = completionContextAt(later.text, later.offset);
    assert.equal(context?.key, 'Y');
    assert.equal(context?.namespace, 'n.s');
  });

  it('completes in execute blocks and maps the second positional argument to namespace', () => {
    const execute = at("{% set creds = secret('|') %}");
    assert.equal(completionContextAt(execute.text, execute.offset)?.argument, 'key');
    const namespace = at("{{ secret('X', 'comp|') }}");
    const context = completionContextAt(namespace.text, namespace.offset);
    assert.equal(context?.argument, 'namespace');
    assert.equal(context?.typed, 'comp');
    assert.equal(context?.key, 'X');
    const named = at('{{ secret(subkey=| }}');
    assert.equal(completionContextAt(named.text, named.offset)?.argument, 'subkey');
  });

  it('returns undefined outside a secret call literal', () => {
    for (const marked of [
      "secret('|')",
      "{{ secret('X') }} '|'",
      "{{ other('|') }}",
      "{{ x.secret('|') }}",
      "{{ secret('X', full='|') }}",
      "{{ secret('X') ~ '|' }}",
      "{{ secret('X', subkey=vars.a ~ '|') }}",
      "{% raw %} secret('|",
      '{{ secret|',
    ]) {
      const { text, offset } = at(marked);
      assert.equal(completionContextAt(text, offset), undefined, marked);
    }
  });

  it('only looks back a bounded distance', () => {
    const text = "{{ secret('" + ' '.repeat(5000) + 'x';
    assert.equal(completionContextAt(text, text.length), undefined);
  });

  it('is fast on a 5,000-line file', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `    message${i}: "{{ secret('KEY_${i}') }}"`);
    const text = lines.join('\n');
    const started = performance.now();
    for (let i = 0; i < 1000; i++) completionContextAt(text, text.length - 5);
    assert.ok(performance.now() - started < 500);
  });

  it('never throws on arbitrary input and offsets', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.string(), pebbleish), fc.nat(), (text, n) => {
        const offset = text.length === 0 ? 0 : n % (text.length + 1);
        const context = completionContextAt(text, offset);
        if (context) {
          assert.ok(context.replaceStart <= offset && offset <= context.replaceEnd && context.replaceEnd <= text.length);
        }
        secretSnippetContextAt(text, offset);
      }),
      { numRuns: 1500 },
    );
    assert.equal(completionContextAt('abc', -1), undefined);
  });

  it('finds the typed prefix of generated calls at every cursor position inside the key', () => {
    const keyArb = fc.stringMatching(/^[A-Za-z0-9_.-]{0,12}$/);
    fc.assert(
      fc.property(
        keyArb,
        fc.constantFrom("'", '"'),
        fc.constantFrom('', ' ', '\n '),
        fc.boolean(),
        fc.boolean(),
        (key, quote, space, closed, subkey) => {
          const head = subkey ? `${quote}K${quote},${space}subkey=${space}` : '';
          const before = `msg: "{{${space}secret(${space}${head}${quote}`;
          const text = `${before}${key}${closed ? `${quote}) }}` : ''}`;
          for (let cut = 0; cut <= key.length; cut++) {
            const context = completionContextAt(text, before.length + cut);
            assert.ok(context, text);
            assert.equal(context.argument, subkey ? 'subkey' : 'key');
            assert.equal(context.typed, key.slice(0, cut));
            assert.equal(context.replaceStart, before.length);
            assert.equal(context.replaceEnd, before.length + key.length);
            assert.equal(context.quote, quote);
            assert.equal(context.key, subkey ? 'K' : undefined);
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(completionContextAt('abc', 99), undefined);
  });
});

describe('secretSnippetContextAt', () => {
  it('detects a partial secret identifier inside an open expression', () => {
    assert.deepEqual(secretSnippetContextAt('{{ sec', 6), { start: 3, typed: 'sec' });
    assert.deepEqual(secretSnippetContextAt('x: "{% set a = s', 16), { start: 15, typed: 's' });
    assert.deepEqual(secretSnippetContextAt('{{ secret', 9), { start: 3, typed: 'secret' });
  });

  it('ignores other identifiers, attributes, strings and closed expressions', () => {
    assert.equal(secretSnippetContextAt('{{ x.sec', 8), undefined);
    assert.equal(secretSnippetContextAt('{{ sex', 6), undefined);
    assert.equal(secretSnippetContextAt("{{ 'sec", 7), undefined);
    assert.equal(secretSnippetContextAt('{{ a }} sec', 11), undefined);
    assert.equal(secretSnippetContextAt('sec', 3), undefined);
    assert.equal(secretSnippetContextAt('{{ ', 3), undefined);
  });
});
