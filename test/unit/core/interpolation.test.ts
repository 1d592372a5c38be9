import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { interpolate, InterpolationError } from '../../../src/core/interpolation';

describe('interpolate (compose-go template rules)', () => {
  const env: Record<string, string> = { SET: 'v', EMPTY: '' };
  const lookup = (name: string) => env[name];
  const cases: [string, string][] = [
    ['$SET', 'v'],
    ['${SET}x', 'vx'],
    ['$$SET', '$SET'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?msg}', 'v'],
    ['${UNSET:-${SET}}/', 'v/'],
    ['${UNSET:-a}b}', 'ab}'],
    ['a$', 'a$'],
    ['$1 $ x', '$1 $ x'],
  ];
  for (const [template, expected] of cases) {
    it(`${template} → ${JSON.stringify(expected)}`, () => assert.equal(interpolate(template, lookup).value, expected));
  }

  it('throws nothing but InterpolationError on arbitrary templates', () => {
    const template = fc
      .array(fc.oneof(fc.constantFrom('$', '{', '}', ':-', ':?', '+', 'SET', 'UNSET', '\n'), fc.string({ maxLength: 3 })), {
        maxLength: 20,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(template, (text) => {
        try {
          assert.equal(typeof interpolate(text, lookup).value, 'string');
        } catch (error) {
          if (!(error instanceof InterpolationError)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reports missing variables and rejects malformed braces', () => {
    assert.deepEqual(interpolate('$A ${B} ${C:-x}', lookup).missing, ['A', 'B']);
    assert.throws(() => interpolate('${1}', lookup), InterpolationError);
    assert.throws(() => interpolate('${A:x}', lookup), InterpolationError);
    assert.throws(() => interpolate('${EMPTY:?}', lookup), /required variable EMPTY/);
    assert.throws(() => interpolate('${UNSET?why}', lookup), /required variable UNSET is missing a value: why/);
  });

  describe('only the branch taken is interpolated (compose-go 2.10.1 and later)', () => {
    it('a set variable keeps its value without evaluating a required default', () => {
      const result = interpolate('${SET:-${UNSET:?err}}', lookup);
      assert.deepEqual(result, { value: 'v', missing: [] });
    });

    it('an unset variable takes the default branch, whose required variable then fails', () => {
      assert.throws(
        () => interpolate('${UNSET:-${OTHER:?needs OTHER}}', lookup),
        /required variable OTHER is missing a value: needs OTHER/,
      );
    });

    it('an unused default does not report its variables missing', () => {
      assert.deepEqual(interpolate('${SET:-$UNSET}', lookup).missing, []);
      assert.deepEqual(interpolate('${UNSET:-$ALSO_UNSET}', lookup).missing, ['ALSO_UNSET']);
    });

    it('an alternative is evaluated only when the variable is set', () => {
      assert.equal(interpolate('${UNSET:+${OTHER:?err}}', lookup).value, '');
      assert.throws(() => interpolate('${SET:+${OTHER:?err}}', lookup), /required variable OTHER/);
    });

    it('a satisfied required variable does not evaluate its message', () => {
      assert.deepEqual(interpolate('${SET:?${UNSET:?err}}', lookup), { value: 'v', missing: [] });
    });
  });
});
