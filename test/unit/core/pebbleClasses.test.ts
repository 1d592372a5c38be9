import { strict as assert } from 'node:assert';
import { analyzePebble, scanPebble } from '../../../src/core/pebble';
import type { PebbleCall } from '../../../src/core/pebble';

function only(text: string): PebbleCall {
  const { calls, error } = analyzePebble(text);
  assert.equal(error, undefined, `${text} should parse: ${JSON.stringify(error)}`);
  assert.equal(calls.length, 1, `expected one call in ${text}, got ${JSON.stringify(calls)}`);
  return calls[0];
}

function syntaxError(text: string): { message: string; line?: number; start: number; end: number } {
  const { error } = analyzePebble(text);
  assert.ok(error, `${text} should not parse`);
  return error;
}

/** One test per row of issue 9's table, each recorded against Pebble 4.1.2 (see pebbleGolden.test.ts). */
describe('Pebble fidelity: each class of issue 9', () => {
  it('finds a call inside #{} interpolation in a double-quoted string', () => {
    const text = `{{ "#{ secret('A') }" }}`;
    const call = only(text);
    assert.equal(call.key?.value, 'A');
    assert.equal(text.slice(call.start, call.end), "secret('A')");
  });

  it('does not take a filter or a test named secret for the function', () => {
    assert.deepEqual(scanPebble("{{ 'K' | secret('ns') }}"), []);
    assert.deepEqual(scanPebble("{% if x is secret('a') %}y{% endif %}"), []);
    assert.deepEqual(scanPebble('{% if x is not secret %}y{% endif %}'), []);
    assert.deepEqual(
      scanPebble("{{ x | default(secret('A')) }}").map((call) => call.key?.value),
      ['A'],
    );
  });

  it('does not take a macro definition named secret for a call', () => {
    assert.deepEqual(scanPebble('{% macro secret(k) %}{% endmacro %}'), []);
    assert.deepEqual(
      scanPebble("{% macro m(k=secret('D')) %}{% endmacro %}").map((call) => call.key?.value),
      ['D'],
    );
  });

  it("cuts raw blocks out with Kestra's regex first, over strings too and never across lines", () => {
    assert.deepEqual(scanPebble("{{ '{% raw %}' }}{{ secret('A') }}{{ '{% endraw %}' }}"), []);
    const multiLine = analyzePebble("{% raw %}\n{{ secret('R') }}\n{% endraw %}");
    assert.equal(multiLine.error?.message, 'Unexpected tag name "raw"');
    const after = "{% raw %}x{% endraw %}{{ secret('OUT') }}";
    const call = only(after);
    assert.equal(after.slice(call.start, call.end), "secret('OUT')");
    assert.equal(call.key?.start, after.indexOf('OUT'));
  });

  it('reads NULL, none and NONE like null: the flow namespace', () => {
    for (const spelling of ['null', 'NULL', 'none', 'NONE']) {
      const call = only(`{{ secret('A', ${spelling}, 'S') }}`);
      assert.equal(call.namespace, undefined, spelling);
      assert.equal(call.dynamicNamespace, undefined, spelling);
      assert.equal(call.subkey?.value, 'S');
    }
    assert.equal(only("{{ secret('A', Null, 'S') }}").dynamicNamespace, 'the namespace is the expression `Null`');
  });

  it('reads TRUE and FALSE like true and false', () => {
    assert.equal(only("{{ secret('A', full=TRUE) }}").full, true);
    assert.equal(only("{{ secret('A', full=FALSE) }}").full, false);
    assert.equal(only("{{ secret('A', full=True) }}").full, false);
  });

  it('knows a key in parentheses or in an interpolation of one literal is static', () => {
    assert.equal(only("{{ secret(('A')) }}").key?.value, 'A');
    const text = `{{ secret("#{'A'}") }}`;
    const call = only(text);
    assert.equal(call.key?.value, 'A');
    assert.equal(text.slice(call.key!.start, call.key!.end), 'A');
    assert.equal(only(`{{ secret("x#{'A'}") }}`).dynamicKey, `the key is the interpolated string \`"x#{'A'}"\``);
  });

  it('lets a later binding replace an earlier one, as Pebble binds arguments', () => {
    assert.equal(only("{{ secret('A', key='B') }}").key?.value, 'B');
    assert.equal(only("{{ secret('A', null, 'S1', subkey='S2') }}").subkey?.value, 'S2');
  });

  it('keeps the backslashes of a double-quoted string that contains #', () => {
    assert.equal(only('{{ secret("a#b\\"c") }}').key?.value, 'a#b\\"c');
    assert.equal(only('{{ secret("ab\\"c") }}').key?.value, 'ab"c');
  });

  it("rejects what Kestra cannot render, with Pebble's message and line", () => {
    const comment = syntaxError("echo ok\necho ${#arr[@]}\n{{ secret('A') }}");
    assert.equal(comment.message, 'Unclosed comment.');
    assert.equal(comment.line, 2);
    assert.equal(comment.start, 'echo ok\necho $'.length);
    assert.equal(syntaxError("{{ secret('A) }}").message, "Unexpected character [']");
    assert.equal(syntaxError("{% include 'x' %}").message, 'Unexpected tag name "include"');
    assert.equal(syntaxError("{{ secret('A')").message, 'Unexpected token of value "null" and type EOF, expected token of type PRINT_END');
    assert.equal(syntaxError("{{ secret('A') ").message, 'Unexpected character [\u0000]');
    assert.equal(syntaxError('{{ "abc').message, 'Unclosed """');
  });

  it('keeps the calls of a template that does not parse, flagged, for completion and hover', () => {
    const { calls, error } = analyzePebble("echo ${#arr[@]} {{ secret('TOKEN') }}");
    assert.ok(error);
    assert.deepEqual(
      calls.map((call) => [call.key?.value, call.inInvalidTemplate]),
      [['TOKEN', true]],
    );
  });

  it('stops where Pebble 4.1.2 itself would hang: a double-quoted string ending on a backslash', () => {
    const error = analyzePebble('{{ "C:\\').error;
    assert.equal(error?.hangs, true);
  });

  it('knows the ?? and ??? operators and comments that end at the first #}', () => {
    assert.deepEqual(
      scanPebble("{{ x ?? secret('A') ??? secret('B') }}").map((call) => call.key?.value),
      ['A', 'B'],
    );
    assert.deepEqual(
      scanPebble("{# '#}' {{ secret('E') }} #}").map((call) => call.key?.value),
      ['E'],
    );
  });
});
