import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError, type BackendContext, type SecretBackend } from '../../../src/core/store';
import { describeEnvSources, envBackendFactory, parseComposeProjects, type EnvSources } from '../../../src/backends/env';
import { encodeBase64 } from '../../../src/core/base64';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import type { Logger } from '../../../src/core/log';

const config: SecretBackendConfig = {
  type: 'env',
  readOnly: true,
  tags: {},
  cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
};

const b64 = encodeBase64;
const JSON_VALUE = '{"user":"kestra","password":"pw-json"}';
const SECRET_VALUES = [
  'db-password',
  'pw-json',
  'inline-value',
  'override-new',
  'extra-value',
  'process-value',
  'wrapped value that is long enough',
];

function write(root: string, file: string, text: string): string {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  return full;
}

function recordingLogger(messages: string[]): Logger {
  const record = (message: string) => void messages.push(message);
  return { trace: record, debug: record, info: record, warn: record, error: record };
}

/** The env backend over a context that also carries its sources (as the CLI and the editor hand them to its factory). */
function envBackend(config: SecretBackendConfig, context: BackendContext & EnvSources): SecretBackend {
  return envBackendFactory(context)(config, context);
}

describe('env secrets backend (Kestra OSS SECRET_ variables)', () => {
  let root: string;
  let logs: string[];
  let context: BackendContext & EnvSources;
  const wrapped = b64('wrapped value that is long enough');

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'env-backend-'));
    logs = [];
    write(
      root,
      'deploy/docker-compose.yml',
      [
        'services:',
        '  kestra:',
        '    image: kestra/kestra:latest',
        '    env_file: .env_encoded',
        '    environment:',
        `      SECRET_INLINE: ${b64('inline-value')}`,
        `      SECRET_OVERRIDE: ${b64('override-new')}`,
        '      SECRET_BROKEN_INLINE: not base64',
        '      SECRET_FROM_SHELL: ${SHELL_ONLY}',
        '  postgres:',
        '    image: postgres',
        '    environment:',
        `      SECRET_POSTGRES_ONLY: ${b64('x')}`,
        '',
      ].join('\n'),
    );
    write(
      root,
      'deploy/.env_encoded',
      [
        '# encoded by kestra-secrets',
        `SECRET_DB_PASSWORD=${b64('db-password')}`,
        `SECRET_json=${b64(JSON_VALUE)}`,
        `SECRET_OVERRIDE=${b64('override-old')}`,
        'SECRET_BAD=aGVsbG8 gd29ybGQ=',
        `SECRET_WRAPPED="${wrapped.slice(0, 10)}\n${wrapped.slice(10)}"`,
        `SECRET_foo=${b64('a')}`,
        `SECRET_FOO=${b64('b')}`,
        `secret_lower=${b64('ignored')}`,
        `OTHER=${b64('ignored')}`,
        `SECRET_EMPTY=`,
        '',
      ].join('\n'),
    );
    const extra = write(
      root,
      'config/extra.env_encoded',
      `SECRET_EXTRA=${b64('extra-value')}\nSECRET_DB_PASSWORD=${b64('lower-precedence')}\n`,
    );
    context = {
      log: recordingLogger(logs),
      tenant: 'main',
      readValuesForSubkeys: false,
      workspaceRoots: [root],
      envFiles: [extra],
      env: { SECRET_PROC: b64('process-value'), SECRET_EXTRA: b64('lowest'), PATH: '/bin' },
      includeProcessEnv: true,
    };
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('describes itself as read-only, namespace-less and case-insensitive', () => {
    const backend = envBackend(config, context);
    assert.equal(backend.type, 'env');
    assert.equal(backend.readOnly, true);
    assert.equal(backend.namespaced, false);
    assert.equal(backend.caseInsensitiveKeys, true);
    assert.equal(backend.canReveal, true);
  });

  it('lists every usable secret with its upper-cased key, source and location', async () => {
    const backend = envBackend(config, context);
    const listed = await backend.list('company.team');
    assert.deepEqual(
      listed.map((meta) => meta.key),
      ['DB_PASSWORD', 'EMPTY', 'EXTRA', 'FOO', 'FROM_SHELL', 'INLINE', 'JSON', 'OVERRIDE', 'PROC', 'WRAPPED'],
    );
    const byKey = new Map(listed.map((meta) => [meta.key, meta]));
    assert.deepEqual(byKey.get('DB_PASSWORD'), {
      key: 'DB_PASSWORD',
      source: 'deploy/.env_encoded:2',
      location: { file: path.join(root, 'deploy', '.env_encoded'), line: 1, character: 0 },
      subkeys: undefined,
      valueKind: 'not-json-object',
    });
    assert.deepEqual(byKey.get('JSON')?.subkeys, ['user', 'password']);
    assert.equal(byKey.get('JSON')?.valueKind, 'json-object');
    assert.equal(byKey.get('INLINE')?.source, 'deploy/docker-compose.yml:6 (service kestra)');
    assert.equal(byKey.get('EXTRA')?.source, 'config/extra.env_encoded:1');
    assert.equal(byKey.get('PROC')?.source, 'process environment');
    assert.equal(byKey.get('PROC')?.location, undefined);
    assert.equal(byKey.get('FROM_SHELL')?.valueKind, 'unknown');
    assert.deepEqual(await backend.listNamespaces(), []);
  });

  it('reveals decoded values case-insensitively, following Compose precedence', async () => {
    const backend = envBackend(config, context);
    assert.equal(await backend.reveal('any', 'db_password'), 'db-password');
    assert.equal(await backend.reveal('any', 'Override'), 'override-new');
    assert.equal(await backend.reveal('any', 'extra'), 'extra-value');
    assert.equal(await backend.reveal('any', 'WRAPPED'), 'wrapped value that is long enough');
    assert.equal(await backend.reveal('any', 'EMPTY'), '');
    assert.deepEqual(await backend.subkeys('any', 'json'), ['user', 'password']);
    assert.equal(await backend.subkeys('any', 'DB_PASSWORD'), undefined);
  });

  it('drops undecodable values, so references to them are missing', async () => {
    const backend = envBackend(config, context);
    const keys = (await backend.list('x')).map((meta) => meta.key);
    assert.ok(!keys.includes('BAD') && !keys.includes('BROKEN_INLINE'));
    await assert.rejects(backend.reveal('x', 'bad'), (error: unknown) => error instanceof BackendError && error.kind === 'not-found');
    await assert.rejects(
      backend.reveal('x', 'from_shell'),
      (error: unknown) => error instanceof BackendError && error.kind === 'unsupported',
    );
  });

  it('ignores names without the exact SECRET_ prefix and services that are not Kestra', async () => {
    const keys = (await envBackend(config, context).list('x')).map((meta) => meta.key);
    assert.ok(!keys.includes('LOWER') && !keys.includes('OTHER') && !keys.includes('POSTGRES_ONLY'));
  });

  it('reads the process environment only when asked', async () => {
    const keys = (await envBackend(config, { ...context, includeProcessEnv: false }).list('x')).map((meta) => meta.key);
    assert.ok(!keys.includes('PROC'));
  });

  it('reports invalid base64 and key collisions where they are defined, without values', async () => {
    const problems = await envBackend(config, context).definitionProblems();
    const summary = problems.map((problem) => [
      problem.code,
      path.relative(root, problem.file),
      problem.range.start.line,
      problem.range.start.character,
      problem.range.end.character,
    ]);
    assert.deepEqual(summary, [
      ['invalid-base64', path.join('deploy', '.env_encoded'), 4, 11, 28],
      ['invalid-base64', path.join('deploy', 'docker-compose.yml'), 7, 28, 38],
      ['key-collision', path.join('deploy', '.env_encoded'), 7, 0, 10],
      ['key-collision', path.join('deploy', '.env_encoded'), 8, 0, 10],
    ]);
    assert.equal(
      problems[0].message,
      "Secret 'BAD' is not valid base64, so Kestra drops it: character 8 is a space or tab; base64 must not contain blanks. Write the plain value in the .env file and encode it with `kestra-secrets encode` (or `--raw` for a server with `encoding: RAW`).",
    );
    assert.equal(problems[0].severity, 'error');
    assert.deepEqual(problems[0].data, { key: 'BAD' });
    assert.match(problems[2].message, /^SECRET_foo and SECRET_FOO both give the secret key 'FOO'/);
    for (const problem of problems) for (const value of SECRET_VALUES) assert.ok(!problem.message.includes(value));
  });

  it('reports a malformed env file as a backend error at its position', async () => {
    write(root, 'deploy/.env_encoded', 'SECRET_A="unclosed\n');
    const problems = await envBackend(config, context).definitionProblems();
    const broken = problems.find((problem) => problem.code === 'backend-error');
    assert.ok(broken);
    assert.equal(broken.file, path.join(root, 'deploy', '.env_encoded'));
    assert.deepEqual(broken.range.start, { line: 0, character: 9 });
    assert.match(broken.message, /unclosed double quote/);
  });

  it('warns once, at the env_file entry, when a required env file is absent, and calls the listing incomplete', async () => {
    fs.rmSync(path.join(root, 'deploy', '.env_encoded'));
    const backend = envBackend(config, context);
    const problems = await backend.definitionProblems();
    const missing = problems.filter((problem) => problem.code === 'unknown-source');
    assert.equal(missing.length, 1);
    assert.equal(missing[0].file, path.join(root, 'deploy', 'docker-compose.yml'));
    assert.equal(missing[0].severity, 'warning');
    assert.deepEqual(missing[0].range, { start: { line: 3, character: 14 }, end: { line: 3, character: 26 } });
    assert.match(
      missing[0].message,
      /^The env_file \.env_encoded \(deploy\/docker-compose\.yml:4\) does not exist, so references to secrets defined there can't be verified\. Create it/,
    );
    assert.match(missing[0].message, /names-only \.env_encoded\.example/);
    const gaps = await backend.listingGaps!();
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].reported, true, 'its warning is already on the Compose line');
  });

  for (const [standIn, form] of [
    ['.env_encoded.example', 'encoded'],
    ['.env_encoded.sample', 'encoded'],
    ['.env.template', 'plain'],
    ['.env.dist', 'plain'],
  ] as const) {
    it(`reads the names of ${standIn} when .env_encoded is absent: names only, no warning, no base64 judgement`, async () => {
      fs.rmSync(path.join(root, 'deploy', '.env_encoded'));
      const lines =
        form === 'encoded'
          ? ['SECRET_DB_PASSWORD=', 'SECRET_API_TOKEN=changeme', 'NOT_A_SECRET=']
          : ['DB_PASSWORD=', 'API_TOKEN=<your token>'];
      write(root, `deploy/${standIn}`, `# names only\n${lines.join('\n')}\n`);
      const backend = envBackend(config, context);
      const listed = await backend.list('x');
      const token = listed.find((meta) => meta.key === 'API_TOKEN');
      assert.ok(token, JSON.stringify(listed.map((meta) => meta.key)));
      assert.equal(token.namesOnly, true);
      assert.equal(token.valueKind, 'unknown');
      assert.equal(token.subkeys, undefined);
      assert.equal(token.source, `deploy/${standIn}:3 (stands in for the absent .env_encoded)`);
      assert.ok(!listed.some((meta) => meta.key === 'NOT_A_SECRET'));
      const problems = await backend.definitionProblems();
      assert.ok(!problems.some((problem) => problem.code === 'unknown-source' || problem.file.endsWith(standIn)), JSON.stringify(problems));
      assert.deepEqual(await backend.listingGaps!(), []);
    });
  }

  it('reads a .env_example written with SECRET_ names as those names (kestra-io/examples ships one)', async () => {
    fs.rmSync(path.join(root, 'deploy', '.env_encoded'));
    write(root, 'deploy/.env_example', 'SECRET_GITHUB_ACCESS_TOKEN=\nPLAIN_NAME=\n');
    const keys = (await envBackend(config, context).list('x')).map((meta) => meta.key);
    assert.ok(
      keys.includes('GITHUB_ACCESS_TOKEN') && keys.includes('PLAIN_NAME') && !keys.includes('SECRET_GITHUB_ACCESS_TOKEN'),
      keys.join(','),
    );
  });

  it('prefers the stand-in beside the encoded file over the one beside the .env', async () => {
    fs.rmSync(path.join(root, 'deploy', '.env_encoded'));
    write(root, 'deploy/.env_encoded.example', 'SECRET_FROM_ENCODED=\n');
    write(root, 'deploy/.env.example', 'FROM_PLAIN=\n');
    const keys = (await envBackend(config, context).list('x')).map((meta) => meta.key);
    assert.ok(keys.includes('FROM_ENCODED') && !keys.includes('FROM_PLAIN'), keys.join(','));
  });

  it('calls an env_file whose path names an unset variable a gap at its line', async () => {
    write(
      root,
      'deploy/docker-compose.yml',
      ['services:', '  kestra:', '    image: kestra/kestra', '    env_file: ${SECRETS_FILE}', ''].join('\n'),
    );
    const backend = envBackend(config, { ...context, envFiles: [] });
    const problems = (await backend.definitionProblems()).filter((problem) => problem.code === 'unknown-source');
    assert.equal(problems.length, 1);
    assert.equal(problems[0].range.start.line, 3);
    assert.match(problems[0].message, /names a variable that is not set here/);
  });

  it('says when there is no source at all, and names the definitions Kestra drops', async () => {
    const none = envBackend(config, { ...context, composeFiles: [], envFiles: [], includeProcessEnv: false });
    const gaps = await none.listingGaps!();
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].id, 'env:no-source');
    assert.equal(gaps[0].location, undefined);
    const dropped = await envBackend(config, context).droppedDefinitions!();
    assert.deepEqual(
      dropped.map((definition) => [definition.key, definition.source]),
      [
        ['BAD', 'deploy/.env_encoded:5'],
        ['BROKEN_INLINE', 'deploy/docker-compose.yml:8 (service kestra)'],
      ],
    );
    for (const definition of dropped) assert.match(definition.reason, /^its value is not valid base64 \(/);
  });

  it('applies docker-compose.override.yml over the base file, as one container environment', async () => {
    write(
      root,
      'deploy/docker-compose.override.yml',
      [
        'services:',
        '  kestra:',
        '    environment:',
        `      - SECRET_INLINE=${b64('from-override')}`,
        `      - SECRET_db_password=${b64('x')}`,
        '',
      ].join('\n'),
    );
    const backend = envBackend(config, context);
    assert.equal(await backend.reveal('x', 'INLINE'), 'from-override');
    const collisions = (await backend.definitionProblems()).filter((problem) => problem.code === 'key-collision');
    assert.deepEqual(
      collisions.filter((problem) => problem.data?.key === 'DB_PASSWORD').map((problem) => path.basename(problem.file)),
      ['.env_encoded', 'docker-compose.override.yml'],
    );
    assert.ok(describeEnvSources(context, context.env).includes(path.join(root, 'deploy', 'docker-compose.override.yml')));
  });

  it('refuses writes as read-only, without touching anything', async () => {
    const backend = envBackend(config, context);
    await assert.rejects(backend.put('x', 'NEW', 'value'), (error: unknown) => error instanceof BackendError && error.kind === 'read-only');
    await assert.rejects(
      backend.delete('x', 'DB_PASSWORD'),
      (error: unknown) => error instanceof BackendError && error.kind === 'read-only',
    );
  });

  it('takes Compose projects parsed elsewhere as they are, and reads the files again only after dispose', async () => {
    const composeProjects = parseComposeProjects(context, context.env);
    const parsedHere = envBackend(config, context);
    const parsedBefore = envBackend(config, { ...context, composeProjects });
    assert.deepEqual(await parsedBefore.list('x'), await parsedHere.list('x'));
    assert.deepEqual(await parsedBefore.definitionProblems(), await parsedHere.definitionProblems());

    write(
      root,
      'deploy/docker-compose.yml',
      `services:\n  kestra:\n    image: kestra/kestra\n    environment:\n      SECRET_NEW: ${b64('n')}\n`,
    );
    const taken = envBackend(config, { ...context, composeProjects });
    assert.equal(await taken.reveal('x', 'INLINE'), 'inline-value');
    assert.ok(!(await taken.list('x')).some((meta) => meta.key === 'NEW'));
    taken.dispose();
    assert.equal(await taken.reveal('x', 'NEW'), 'n');
    await assert.rejects(taken.reveal('x', 'INLINE'), /no usable SECRET_INLINE/);
  });

  it('logs the warnings of Compose files parsed elsewhere when it loads, as when it reads them itself', async () => {
    const missing = path.join(root, 'gone', 'docker-compose.yml');
    const invalid = write(root, 'bad/docker-compose.yml', 'services: [unclosed\n');
    const sources = { ...context, composeFiles: [missing, invalid] };
    const composeProjects = parseComposeProjects(sources, context.env);
    assert.equal(logs.length, 0, 'parsing logs nothing: the backend that takes the projects does');
    await envBackend(config, sources).list('x');
    const readHere = logs.filter((message) => message.includes('docker-compose.yml'));
    logs.length = 0;
    await envBackend(config, { ...sources, composeProjects }).list('x');
    assert.deepEqual(
      logs.filter((message) => message.includes('docker-compose.yml')),
      readHere,
    );
    assert.ok(
      readHere.some((message) => /cannot read .*gone.*ENOENT/.test(message)),
      readHere.join('\n'),
    );
    assert.ok(
      readHere.some((message) => /bad.docker-compose\.yml: not valid YAML/.test(message)),
      readHere.join('\n'),
    );
  });

  it('loads lazily, caches, and reloads after dispose', async () => {
    const backend = envBackend(config, context);
    assert.equal(await backend.reveal('x', 'EXTRA'), 'extra-value');
    write(root, 'config/extra.env_encoded', `SECRET_EXTRA=${b64('changed')}\n`);
    assert.equal(await backend.reveal('x', 'EXTRA'), 'extra-value');
    backend.dispose();
    assert.equal(await backend.reveal('x', 'EXTRA'), 'changed');
  });

  it('never logs a value', async () => {
    const backend = envBackend(config, context);
    await backend.list('x');
    await backend.definitionProblems();
    for (const message of logs) for (const value of [...SECRET_VALUES, b64('db-password')]) assert.ok(!message.includes(value), message);
  });

  it('describes the files it reads, so the editor can watch them', () => {
    const files = describeEnvSources(context, context.env).map((file) => path.relative(root, file));
    assert.deepEqual(files, [
      path.join('deploy', 'docker-compose.yml'),
      path.join('deploy', '.env'),
      path.join('deploy', '.env_encoded'),
      path.join('config', 'extra.env_encoded'),
    ]);
  });

  it('works with an empty workspace', async () => {
    const backend = envBackend(config, {
      ...context,
      workspaceRoots: [path.join(root, 'none')],
      envFiles: [],
      includeProcessEnv: false,
    });
    assert.deepEqual(await backend.list('x'), []);
    assert.deepEqual(await backend.definitionProblems(), []);
  });
});
