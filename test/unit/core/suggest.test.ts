import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { closestMatches, editDistance, rankByCloseness } from '../../../src/core/suggest';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    assert.equal(editDistance('DB_PASSWORD', 'DB_PASSWORD'), 0);
    assert.equal(editDistance('DB_PASSWRD', 'DB_PASSWORD'), 1);
    assert.equal(editDistance('DB_PASWSORD', 'DB_PASSWORD'), 1);
    assert.equal(editDistance('DB_PASSWORX', 'DB_PASSWORD'), 1);
    assert.equal(editDistance('', 'ABC'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('is a symmetric distance bounded by the longer length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const distance = editDistance(a, b);
        assert.equal(distance, editDistance(b, a));
        assert.ok(distance <= Math.max(a.length, b.length));
        assert.equal(distance === 0, a === b);
      }),
    );
  });

  it('stops early past a limit', () => {
    assert.ok(editDistance('AAAAAAAAAA', 'BBBBBBBBBB', 2) > 2);
  });
});

describe('closestMatches', () => {
  const keys = ['DB_PASSWORD', 'DB_USER', 'API_TOKEN', 'GITHUB_TOKEN', 'SLACK_WEBHOOK'];

  it('suggests near misses, closest first', () => {
    assert.deepEqual(closestMatches('DB_PASWORD', keys), ['DB_PASSWORD']);
    assert.deepEqual(closestMatches('API_TOKN', keys), ['API_TOKEN']);
    assert.deepEqual(closestMatches('DB_USR', keys), ['DB_USER']);
  });

  it('suggests nothing for unrelated words or an exact match', () => {
    assert.deepEqual(closestMatches('COMPLETELY_DIFFERENT', keys), []);
    assert.deepEqual(closestMatches('DB_USER', keys), []);
  });

  it('ranks a case-only difference first when keys are case-sensitive', () => {
    assert.deepEqual(closestMatches('db_user', ['DB_USER', 'db_usr']), ['DB_USER', 'db_usr']);
  });

  it('ignores case when asked, treating a case-only difference as a match', () => {
    assert.deepEqual(closestMatches('db_user', ['DB_USER'], { caseInsensitive: true }), []);
    assert.deepEqual(closestMatches('db_usr', ['DB_USER'], { caseInsensitive: true }), ['DB_USER']);
  });

  it('limits the number of suggestions and the distance for short words', () => {
    const many = ['KEY1', 'KEY2', 'KEY3', 'KEY4', 'KEY5'];
    assert.equal(closestMatches('KEY', many, { max: 2 }).length, 2);
    assert.deepEqual(closestMatches('AB', ['XY', 'AC']), ['AC']);
  });

  it('always suggests a candidate one edit away', () => {
    const word = fc.string({ minLength: 1, maxLength: 12 });
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('insert', 'delete', 'replace', 'swap'),
      ch: fc.constantFrom('a', 'Z', '_', 'é', '1'),
    });
    fc.assert(
      fc.property(word, edit, (original, { at, kind, ch }) => {
        const i = at % original.length;
        let variant = original;
        if (kind === 'insert') variant = original.slice(0, i) + ch + original.slice(i);
        else if (kind === 'delete') variant = original.slice(0, i) + original.slice(i + 1);
        else if (kind === 'replace') variant = original.slice(0, i) + ch + original.slice(i + 1);
        else if (i + 1 < original.length) variant = original.slice(0, i) + original[i + 1] + original[i] + original.slice(i + 2);
        fc.pre(variant !== original && variant.length > 0);
        assert.equal(editDistance(original, variant), 1);
        assert.deepEqual(closestMatches(original, ['unrelated-candidate-xyz', variant]), [variant]);
      }),
      { numRuns: 500 },
    );
  });

  it('only ever returns given candidates, each once', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 10 }), (word, candidates) => {
        const result = closestMatches(word, [...candidates, ...candidates], { max: 20 });
        assert.equal(new Set(result).size, result.length);
        for (const match of result) assert.ok(candidates.includes(match));
      }),
    );
  });
});

describe('rankByCloseness', () => {
  it('puts prefix matches first, then substring matches, then the rest by distance', () => {
    const ranked = rankByCloseness('tok', ['GITHUB_TOKEN', 'TOKEN', 'TOKEN_2', 'DB_PASSWORD', 'TAK']);
    assert.deepEqual(ranked, ['TOKEN', 'TOKEN_2', 'GITHUB_TOKEN', 'TAK', 'DB_PASSWORD']);
  });

  it('lists every key A to Z when nothing is typed yet', () => {
    assert.deepEqual(rankByCloseness('', ['SMTP_CONFIG', 'API_TOKEN', 'DB_CREDENTIALS', 'DB_PASSWORD']), [
      'API_TOKEN',
      'DB_CREDENTIALS',
      'DB_PASSWORD',
      'SMTP_CONFIG',
    ]);
  });

  it('keeps every candidate', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 12 }), (typed, candidates) => {
        assert.deepEqual([...rankByCloseness(typed, candidates)].sort(), [...candidates].sort());
      }),
    );
  });
});

describe('closestMatches by words', () => {
  it('suggests a key with one word more or less, after closer spellings', () => {
    assert.deepEqual(closestMatches('AWS_SECRET_KEY', ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'GITHUB_TOKEN']), [
      'AWS_SECRET_ACCESS_KEY',
    ]);
    assert.deepEqual(closestMatches('DB_PASSWORD_PROD', ['DB_PASSWORD', 'DB_PASSWORDS_PROD']), ['DB_PASSWORDS_PROD', 'DB_PASSWORD']);
  });

  it('does not match on a single shared word', () => {
    assert.deepEqual(closestMatches('SLACK_URL', ['SLACK', 'URL_SLACK_HOOK']), []);
  });
});
