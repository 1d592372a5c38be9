import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { analyzePebble } from '../../../src/core/pebble';

/** Pieces that reach the lexer's and parser's deeper states (and Pebble's hang: a trailing backslash in "…). */
const PIECES = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  '-',
  ' ',
  '\n',
  '\r',
  '\u2028',
  "'",
  '"',
  '\\',
  '#{',
  '}',
  '{',
  '(',
  ')',
  '[',
  ']',
  ',',
  '=',
  '|',
  '~',
  '?',
  ':',
  '.',
  'secret(',
  "'K'",
  '"K"',
  'key=',
  'subkey=',
  'full=TRUE',
  'null',
  'NONE',
  'raw',
  'endraw',
  'verbatim',
  'endverbatim',
  '{% raw %}',
  '{% endraw %}',
  'if ',
  'endif',
  'for x in ',
  'endfor',
  'macro ',
  'endmacro',
  'set x = ',
  'is ',
  'not ',
  '??',
  '???',
  'isIn',
  '1',
  '9999999999999999999999',
  'é',
];
const piece = fc.constantFrom(...PIECES);
const pebbleish = fc.array(fc.oneof(piece, fc.string({ maxLength: 3 })), { maxLength: 60 }).map((parts) => parts.join(''));
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 }).map((codes) => String.fromCharCode(...codes));

/** Least CPU time of a few runs, in milliseconds (CPU time: other processes on the machine don't count). */
function timeOf(text: string): number {
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const started = process.cpuUsage();
    analyzePebble(text);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

describe('analyzePebble under fuzzing', () => {
  it('never throws, and returns calls and errors that lie inside the text', () => {
    fc.assert(
      fc.property(fc.oneof(pebbleish, anyText), (text) => {
        const { calls, error } = analyzePebble(text);
        for (const call of calls) {
          assert.ok(call.start >= 0 && call.start < call.end && call.end <= text.length, JSON.stringify(text));
          assert.ok(text.startsWith('secret', call.start), JSON.stringify(text));
          assert.ok(call.key !== undefined || call.dynamicKey !== undefined);
          if (!error) assert.ok(call.line !== undefined && call.line >= 1);
        }
        if (error) {
          assert.ok(error.start >= 0 && error.start <= error.end && error.end <= text.length, JSON.stringify(text));
          assert.ok(error.message.length > 0);
        }
      }),
      { numRuns: 3000, seed: 9 },
    );
  });

  // Sixteen times the text: a linear scan takes about 16 times as long, a quadratic one 256 times;
  // the bound of 64 leaves room for a loaded machine's noise and garbage collection.
  const GROWTH = 16;
  const BOUND = 64;

  it('stays linear: sixteen times the text takes about sixteen times as long, for any repeated fragment', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
        (fragment) => {
          const count = Math.ceil(10000 / fragment.length);
          const small = fragment.repeat(count);
          const large = fragment.repeat(count * GROWTH);
          timeOf(large);
          const ratio = timeOf(large) / Math.max(timeOf(small), 0.5);
          assert.ok(ratio < BOUND, `${JSON.stringify(fragment)}: ${ratio.toFixed(1)}× for ${GROWTH}× the text`);
        },
      ),
      { numRuns: 15, seed: 7 },
    );
  });

  it('stays linear on the shapes that make regular-expression scanners quadratic', () => {
    const families: [string, (n: number) => string][] = [
      ['raw blocks that never end on their line', (n) => '{% raw %}'.repeat(n) + '\n{% endraw %}'],
      ['calls between raw blocks', (n) => "{% raw %}x{% endraw %}{{ secret('A') }}".repeat(n)],
      ['unclosed comment before many calls', (n) => "{# x {{ secret('A') }}".repeat(n)],
      ['a string that never closes', (n) => '{{ "' + 'a\\"#'.repeat(n)],
      ['the backslash Pebble hangs on', (n) => '{{ "' + 'C:'.repeat(n) + '\\'],
      ['open brackets', (n) => '{{ ' + '('.repeat(n)],
      ['verbatim never closed', (n) => '{% verbatim %}{%'.repeat(n)],
      ['whitespace before a close', (n) => '{{ x' + ' '.repeat(n) + '-}}'],
      ['interpolations in interpolations', (n) => '{{ "' + '#{"'.repeat(n)],
    ];
    for (const [name, make] of families) {
      const small = make(1000);
      const large = make(1000 * GROWTH);
      timeOf(large);
      const ratio = timeOf(large) / Math.max(timeOf(small), 0.5);
      assert.ok(ratio < BOUND, `${name}: ${ratio.toFixed(1)}× for ${GROWTH}× the text`);
    }
  });

  it('fails cleanly on nesting deeper than the call stack', () => {
    const deep = '{{ ' + '('.repeat(200000) + 'x' + ')'.repeat(200000) + ' }}';
    const { error } = analyzePebble(deep);
    assert.ok(error);
  });
});
