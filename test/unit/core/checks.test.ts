import { strict as assert } from 'node:assert';
import { checkFlow, referencedNamespaces } from '../../../src/core/checks';
import type { VisibleLookup } from '../../../src/core/checks';
import type { VisibleSecret, VisibleSecrets } from '../../../src/core/catalogTypes';
import { analyzeFlow } from '../../../src/core/flow';
import { LineIndex } from '../../../src/core/lineIndex';
import type { Problem } from '../../../src/core/types';

function secret(key: string, extra: Partial<VisibleSecret> = {}): VisibleSecret {
  return { key, inherited: false, shadows: [], ...extra };
}

function visible(namespace: string, secrets: VisibleSecret[], extra: Partial<VisibleSecrets> = {}): VisibleSecrets {
  return {
    namespace,
    backendType: 'env',
    backendLabel: 'Env (SECRET_)',
    readOnly: true,
    caseInsensitive: false,
    secrets: [...secrets].sort((a, b) => a.key.localeCompare(b.key)),
    ...extra,
  };
}

function lookupFrom(...listings: VisibleSecrets[]): VisibleLookup {
  return (namespace) => listings.find((listing) => listing.namespace === namespace);
}

function flow(messages: string[]): string {
  const tasks = messages.map((message, i) => `  - id: t${i}\n    type: io.kestra.plugin.core.log.Log\n    message: "${message}"\n`);
  return `id: f\nnamespace: company.team\ntasks:\n${tasks.join('')}`;
}

function check(text: string, lookup: VisibleLookup): Problem[] {
  return checkFlow('flows/f.yaml', analyzeFlow(text), lookup);
}

function textAt(text: string, problem: Problem): string {
  const lines = new LineIndex(text);
  return text.slice(lines.offsetAt(problem.range.start), lines.offsetAt(problem.range.end));
}

const team = visible('company.team', [
  secret('DB_PASSWORD', { valueKind: 'not-json-object' }),
  secret('CREDS', { valueKind: 'json-object', subkeys: ['user', 'password', 'a.b'] }),
  secret('OPAQUE', { valueKind: 'unknown' }),
  secret('PARENT_TOKEN', { inherited: true, fromNamespace: 'company' }),
]);
const other = visible('other.ns', [secret('OTHER_ONLY')]);

describe('checkFlow', () => {
  it('reports nothing when every reference resolves', () => {
    const text = flow([
      "{{ secret('DB_PASSWORD') }}",
      "{{ secret('CREDS', subkey='user') }} {{ secret('CREDS', subkey='a.b') }}",
      "{{ secret('PARENT_TOKEN') }}",
      "{{ secret('OPAQUE', subkey='anything') }}",
      "{{ secret('OTHER_ONLY', namespace='other.ns') }}",
    ]);
    assert.deepEqual(check(text, lookupFrom(team, other)), []);
  });

  it('reports a missing key on the key literal with context and a suggestion', () => {
    const text = flow(["{{ secret('DB_PASSWRD') }}"]);
    const problems = check(text, lookupFrom(team));
    assert.equal(problems.length, 1);
    const [problem] = problems;
    assert.equal(problem.code, 'missing-secret');
    assert.equal(problem.severity, 'error');
    assert.equal(problem.file, 'flows/f.yaml');
    assert.equal(
      problem.message,
      "Cannot find secret for key 'DB_PASSWRD'. (namespace company.team, backend Env (SECRET_)) Did you mean 'DB_PASSWORD'?",
    );
    assert.equal(textAt(text, problem), 'DB_PASSWRD');
    assert.deepEqual(problem.data, { key: 'DB_PASSWRD', namespace: 'company.team', suggestions: ['DB_PASSWORD'] });
  });

  it('omits the suggestion when nothing is close', () => {
    const [problem] = check(flow(["{{ secret('ZZZZZZZZZZ') }}"]), lookupFrom(team));
    assert.equal(problem.message, "Cannot find secret for key 'ZZZZZZZZZZ'. (namespace company.team, backend Env (SECRET_))");
    assert.deepEqual(problem.data?.suggestions, []);
  });

  it('looks up a literal namespace argument in that namespace', () => {
    const text = flow(["{{ secret('DB_PASSWORD', namespace='other.ns') }} {{ secret('OTHER_ONLY', 'other.ns') }}"]);
    const problems = check(text, lookupFrom(team, other));
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'missing-secret');
    assert.match(problems[0].message, /^Cannot find secret for key 'DB_PASSWORD'\. \(namespace other\.ns, backend /);
    assert.equal(problems[0].data?.namespace, 'other.ns');
  });

  it('reports nothing missing where the namespace listing is unknown', () => {
    const text = flow(["{{ secret('ANYTHING') }} {{ secret('X', namespace='unknown.ns') }}"]);
    assert.deepEqual(
      check(text, () => undefined),
      [],
    );
    assert.deepEqual(check(text, lookupFrom(visible('company.team', [secret('ANYTHING')]))), []);
  });

  it('respects case-insensitive stores, and suggests the right case otherwise', () => {
    const text = flow(["{{ secret('db_password') }}"]);
    const insensitive = visible('company.team', [secret('DB_PASSWORD')], { caseInsensitive: true });
    assert.deepEqual(check(text, lookupFrom(insensitive)), []);
    const [problem] = check(text, lookupFrom(visible('company.team', [secret('DB_PASSWORD')])));
    assert.equal(problem.code, 'missing-secret');
    assert.deepEqual(problem.data?.suggestions, ['DB_PASSWORD']);
  });

  it('reports a subkey on a secret that is not a JSON object', () => {
    const text = flow(["{{ secret('DB_PASSWORD', subkey='user') }}"]);
    const [problem] = check(text, lookupFrom(team));
    assert.equal(problem.code, 'subkey-not-json');
    assert.equal(problem.severity, 'error');
    assert.equal(problem.message, "Failed to read secret sub-key 'user' from secret 'DB_PASSWORD': the secret is not a JSON object.");
    assert.equal(textAt(text, problem), 'user');
  });

  it('reports a missing top-level subkey with a suggestion; dotted subkeys are literal field names', () => {
    const text = flow(["{{ secret('CREDS', subkey='pasword') }}", "{{ secret('CREDS', subkey='user.name') }}"]);
    const problems = check(text, lookupFrom(team));
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ['missing-subkey', 'missing-subkey'],
    );
    assert.equal(problems[0].message, "Cannot find secret sub-key 'pasword' in secret 'CREDS'. Did you mean 'password'?");
    assert.equal(textAt(text, problems[0]), 'pasword');
    assert.match(problems[1].message, /^Cannot find secret sub-key 'user\.name' in secret 'CREDS'\./);
  });

  it('does not check a subkey when the fields are unknown, or when subkey is empty', () => {
    const text = flow(["{{ secret('OPAQUE', subkey='x') }} {{ secret('DB_PASSWORD', subkey='') }}"]);
    assert.deepEqual(check(text, lookupFrom(team)), []);
  });

  it('reports dynamic keys, namespaces and subkeys as information', () => {
    const text = flow([
      '{{ secret(inputs.name) }}',
      "{{ secret('DB_PASSWORD', namespace=inputs.ns) }}",
      "{{ secret('CREDS', subkey=inputs.field) }}",
    ]);
    const problems = check(text, lookupFrom(team));
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity]),
      [
        ['dynamic-key', 'info'],
        ['dynamic-namespace', 'info'],
        ['dynamic-subkey', 'info'],
      ],
    );
    assert.equal(problems[0].message, "This secret can't be checked before run time: the key is the expression `inputs.name`.");
    assert.equal(textAt(text, problems[0]), 'secret(inputs.name)');
    assert.equal(
      problems[1].message,
      "Secret 'DB_PASSWORD' can't be checked before run time: the namespace is the expression `inputs.ns`.",
    );
  });

  it('ignores commented-out and raw references', () => {
    const text = flow(["{# {{ secret('GONE') }} #} {% raw %}{{ secret('RAW') }}{% endraw %}"]);
    assert.deepEqual(check(text, lookupFrom(team)), []);
  });

  it('reports YAML errors as warnings, sorted with the other problems by position', () => {
    const text = flow(["{{ secret('MISSING_ONE') }}"]) + '  - id: broken\n    x: [unclosed\n';
    const problems = check(text, lookupFrom(team));
    assert.ok(problems.some((problem) => problem.code === 'yaml-error' && problem.severity === 'warning'));
    assert.equal(problems[0].code, 'missing-secret');
    for (let i = 1; i < problems.length; i++) {
      const a = problems[i - 1].range.start;
      const b = problems[i].range.start;
      assert.ok(a.line < b.line || (a.line === b.line && a.character <= b.character));
    }
  });

  it('reports YAML errors of a file that only looks like a flow', () => {
    const analysis = analyzeFlow('id: x\nnamespace: a\n  bad: : indent\n');
    assert.equal(analysis.isFlow, false);
    const problems = checkFlow('x.yaml', analysis, lookupFrom(team));
    assert.ok(problems.length > 0);
    assert.ok(problems.every((problem) => problem.code === 'yaml-error'));
  });

  it('never puts a secret value in a message', () => {
    const value = 'hunter2-super-secret-value';
    const withValue = visible('company.team', [secret('DB', { description: value, source: 'x', valueKind: 'not-json-object' })]);
    const text = flow(["{{ secret('DB', subkey='f') }} {{ secret('DX') }}"]);
    for (const problem of check(text, lookupFrom(withValue))) assert.ok(!JSON.stringify(problem).includes(value));
  });
});

describe('referencedNamespaces', () => {
  it('lists the flow namespace and literal namespace arguments once each', () => {
    const analysis = analyzeFlow(
      flow([
        "{{ secret('A', namespace='other.ns') }} {{ secret('B', 'other.ns') }} {{ secret('C', 'third') }} {{ secret('D', namespace=x) }}",
      ]),
    );
    assert.deepEqual(referencedNamespaces(analysis), ['company.team', 'other.ns', 'third']);
  });

  it('is empty for a non-flow', () => {
    assert.deepEqual(referencedNamespaces(analyzeFlow('a: 1\n')), []);
  });
});

describe('checkFlow: unknown is not missing (issue 8)', () => {
  const cause = { id: 'env:a', source: 'the env_file .env_encoded (docker-compose.yml:8)', reason: 'does not exist', fix: 'Create it.' };
  const text = flow(["{{ secret('DB_PASSWORD') }}", "{{ secret('DB_PASWORD') }}", "{{ secret('CREDS', subkey='nope') }}"]);

  it('a key not found in an incomplete listing is unverified information naming the cause, never missing', () => {
    const incomplete = visible('company.team', team.secrets, { incomplete: [cause] });
    const problems = check(text, lookupFrom(incomplete));
    const unverified = problems.filter((problem) => problem.code === 'unverified-secret');
    assert.equal(unverified.length, 1);
    assert.equal(unverified[0].severity, 'info');
    assert.equal(textAt(text, unverified[0]), 'DB_PASWORD');
    assert.equal(
      unverified[0].message,
      "Secret 'DB_PASWORD' can't be verified: it is not among the secrets known here, and the env_file .env_encoded (docker-compose.yml:8) does not exist. Did you mean 'DB_PASSWORD'?",
    );
    assert.ok(!problems.some((problem) => problem.code === 'missing-secret'));
    // What the listing does know is still checked.
    assert.ok(problems.some((problem) => problem.code === 'missing-subkey'));
  });

  it('a failed listing (no secrets, its error as the cause) gives information only', () => {
    const failed = visible('company.team', [], {
      error: 'Vault: list failed.',
      incomplete: [{ id: 'store:Vault', source: 'Vault', reason: 'could not be listed', fix: 'Vault: list failed.' }],
    });
    const problems = check(text, lookupFrom(failed));
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.severity]),
      [
        ['unverified-secret', 'info'],
        ['unverified-secret', 'info'],
        ['unverified-secret', 'info'],
      ],
    );
  });

  it('the missing-secret error points at the definition Kestra drops', () => {
    const withDropped = visible('company.team', [], {
      dropped: [
        {
          key: 'db_paSSword',
          source: '.env_encoded:2',
          reason: 'its value is not valid base64 (it is plain text that was never base64-encoded)',
        },
      ],
      caseInsensitive: true,
    });
    const [problem] = check(flow(["{{ secret('DB_PASSWORD') }}"]), lookupFrom(withDropped));
    assert.equal(problem.code, 'missing-secret');
    assert.match(
      problem.message,
      /\) It is defined at \.env_encoded:2, but Kestra drops that definition: its value is not valid base64 \(it is plain text that was never base64-encoded\)\.$/,
    );
  });
});
