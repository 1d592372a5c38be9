import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { composeProjects, findComposeFiles, openComposeFile, readComposeFile, readProjectEnv } from '../../../src/core/compose';

const COMPOSE = `x-common-env: &common
  SECRET_SHARED: c2hhcmVk
services:
  postgres:
    image: postgres:16
    environment:
      SECRET_NOT_KESTRA: eA==
  kestra:
    image: kestra/kestra:latest
    env_file:
      - .env_encoded
      - path: ./optional.env
        required: false
    environment:
      <<: *common
      SECRET_INLINE: b3BzLWFsZXJ0cw==
      "SECRET_QUOTED": 'cXVvdGVk'
      SECRET_FROM_SHELL:
      SECRET_INTERPOLATED: \${TOKEN_B64}
      SECRET_DEFAULTED: \${MISSING_B64:-ZGVm}
      SECRET_UNKNOWN: \${NOT_SET_ANYWHERE}
      SECRET_ESCAPED: pa$$word
      PLAIN: value
  worker:
    image: \${KESTRA_IMAGE}
    env_file: ../shared/worker.env
    environment:
      - SECRET_LIST=bGlzdA==
      - "SECRET_QUOTED_LIST=cQ=="
      - SECRET_LIST_FROM_SHELL
  my-kestra-sidecar:
    build: .
`;

describe('readComposeFile', () => {
  const file = path.join(path.sep, 'work', 'app', 'docker-compose.yml');
  const env = { TOKEN_B64: 'dG9rZW4=', SECRET_FROM_SHELL: 'c2hlbGw=' };
  const sources = readComposeFile(file, COMPOSE, { env, projectEnv: { KESTRA_IMAGE: 'kestra/kestra:develop', TOKEN_B64: 'ignored' } });

  it('picks the Kestra services by image (interpolated) or by name', () => {
    assert.deepEqual(
      sources.map((source) => source.service),
      ['kestra', 'worker', 'my-kestra-sidecar'],
    );
    assert.ok(sources.every((source) => source.composeFile === file));
  });

  it('reads the environment map with merge keys, quoting, interpolation and unknown values', () => {
    const kestra = sources[0];
    const values = Object.fromEntries(kestra.environment.map((entry) => [entry.name, entry.value]));
    assert.deepEqual(values, {
      SECRET_SHARED: 'c2hhcmVk',
      SECRET_INLINE: 'b3BzLWFsZXJ0cw==',
      SECRET_QUOTED: 'cXVvdGVk',
      SECRET_FROM_SHELL: 'c2hlbGw=',
      SECRET_INTERPOLATED: 'dG9rZW4=',
      SECRET_DEFAULTED: 'ZGVm',
      SECRET_UNKNOWN: undefined,
      SECRET_ESCAPED: 'pa$word',
      PLAIN: 'value',
    });
  });

  it('gives 0-based positions of names and values', () => {
    const byName = new Map(sources[0].environment.map((entry) => [entry.name, entry]));
    const inline = byName.get('SECRET_INLINE');
    assert.deepEqual([inline?.line, inline?.column], [15, 6]);
    assert.deepEqual(inline?.valueRange, { start: { line: 15, character: 21 }, end: { line: 15, character: 37 } });
    const quoted = byName.get('SECRET_QUOTED');
    assert.deepEqual([quoted?.line, quoted?.column], [16, 7]);
    assert.deepEqual(quoted?.valueRange?.start, { line: 16, character: 24 });
    const shared = byName.get('SECRET_SHARED');
    assert.deepEqual([shared?.line, shared?.column], [1, 2]);
    assert.equal(byName.get('SECRET_FROM_SHELL')?.valueRange, undefined);
  });

  it('reads the list form, quoted or not, and names without a value', () => {
    const worker = sources[1];
    assert.deepEqual(
      worker.environment.map((entry) => [entry.name, entry.value, entry.line, entry.column]),
      [
        ['SECRET_LIST', 'bGlzdA==', 27, 8],
        ['SECRET_QUOTED_LIST', 'cQ==', 28, 9],
        ['SECRET_LIST_FROM_SHELL', undefined, 29, 8],
      ],
    );
    assert.deepEqual(worker.environment[0].valueRange, { start: { line: 27, character: 20 }, end: { line: 27, character: 28 } });
  });

  it('resolves env_file paths (string, list, {path, required}) against the Compose folder', () => {
    assert.deepEqual(sources[0].envFiles, [
      { path: path.join(path.sep, 'work', 'app', '.env_encoded'), required: true, line: 10, column: 8 },
      { path: path.join(path.sep, 'work', 'app', 'optional.env'), required: false, line: 11, column: 14 },
    ]);
    assert.deepEqual(sources[1].envFiles, [
      { path: path.join(path.sep, 'work', 'shared', 'worker.env'), required: true, line: 25, column: 14 },
    ]);
    assert.deepEqual(sources[2].envFiles, []);
  });

  it('reads services named in kestraServices even without a Kestra image (overrides)', () => {
    const override = 'services:\n  server:\n    environment:\n      - SECRET_X=eA==\n  db:\n    image: postgres\n';
    assert.deepEqual(readComposeFile(file, override, { env: {}, projectEnv: {} }), []);
    const sources = readComposeFile(file, override, { env: {}, projectEnv: {}, kestraServices: ['server'] });
    assert.deepEqual(
      sources.map((source) => [source.service, source.environment.map((entry) => entry.name)]),
      [['server', ['SECRET_X']]],
    );
  });

  it('reads an opened file again for other known services as a fresh read would, with the project .env read once', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-open-'));
    try {
      const compose = path.join(folder, 'docker-compose.override.yml');
      const text = 'services:\n  server:\n    image: ${IMAGE}\n    environment:\n      - SECRET_X=eA==\n  db:\n    image: postgres\n';
      fs.writeFileSync(path.join(folder, '.env'), 'IMAGE=kestra/kestra:latest\n');
      const servicesKnowing = openComposeFile(compose, text, { env: {} });
      const byImage = readComposeFile(compose, text, { env: {} });
      assert.deepEqual(servicesKnowing(new Set()), byImage);
      assert.deepEqual(servicesKnowing(new Set(['db'])), readComposeFile(compose, text, { env: {}, kestraServices: ['db'] }));
      assert.deepEqual(
        servicesKnowing(new Set(['db'])).map((source) => source.service),
        ['server', 'db'],
      );
      // The project .env was read when the file was opened: a later change is not seen until it is opened again.
      fs.writeFileSync(path.join(folder, '.env'), 'IMAGE=postgres\n');
      assert.deepEqual(servicesKnowing(new Set()), byImage);
      assert.deepEqual(readComposeFile(compose, text, { env: {} }), []);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('tells an opened invalid file once and reads no service from it', () => {
    const told: string[] = [];
    const servicesKnowing = openComposeFile(file, 'services: [unclosed', {
      env: {},
      projectEnv: {},
      onInvalid: (message) => told.push(message),
    });
    assert.deepEqual(servicesKnowing(new Set()), []);
    assert.deepEqual(servicesKnowing(new Set(['kestra'])), []);
    assert.equal(told.length, 1);
    assert.match(told[0], /not valid YAML at line 1/);
  });

  it('returns nothing for invalid YAML or a file without services', () => {
    assert.deepEqual(readComposeFile(file, 'services: [unclosed', { env: {}, projectEnv: {} }), []);
    assert.deepEqual(readComposeFile(file, 'version: "3"\n', { env: {}, projectEnv: {} }), []);
    assert.deepEqual(readComposeFile(file, 'services:\n  kestra: null\n', { env: {}, projectEnv: {} }), []);
  });
});

describe('findComposeFiles and readProjectEnv', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    const files = [
      'docker-compose.yml',
      'docker-compose.override.yml',
      'a/compose.yaml',
      'a/docker-compose.prod.yml',
      'a/b/c/d/compose.yml',
      'a/b/c/d/e/compose.yml',
      'node_modules/pkg/docker-compose.yml',
      '.git/compose.yml',
      'a/not-compose.yml',
      'a/compose.json',
    ];
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), 'services: {}\n');
    }
    fs.writeFileSync(path.join(root, '.env'), 'IMAGE=kestra/kestra\n# c\nQUOTED="q v"\n');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds Compose files and overrides to the given depth, skipping node_modules and .git', () => {
    const found = findComposeFiles(root).map((file) => path.relative(root, file).split(path.sep).join('/'));
    assert.deepEqual(found, [
      'a/b/c/d/compose.yml',
      'a/compose.yaml',
      'a/docker-compose.prod.yml',
      'docker-compose.override.yml',
      'docker-compose.yml',
    ]);
    assert.deepEqual(findComposeFiles(root, 0).length, 2);
    assert.deepEqual(findComposeFiles(path.join(root, 'missing')), []);
  });

  it('groups Compose files by folder, base file first, as Compose applies them', () => {
    const at = (...parts: string[]) => path.join(root, ...parts);
    assert.deepEqual(
      composeProjects([
        at('a', 'docker-compose.prod.yml'),
        at('docker-compose.override.yml'),
        at('a', 'compose.yaml'),
        at('docker-compose.yml'),
      ]),
      [
        [at('a', 'compose.yaml'), at('a', 'docker-compose.prod.yml')],
        [at('docker-compose.yml'), at('docker-compose.override.yml')],
      ],
    );
  });

  it('reads the project .env beside a Compose file for interpolation', () => {
    assert.deepEqual(readProjectEnv(path.join(root, 'docker-compose.yml')), { IMAGE: 'kestra/kestra', QUOTED: 'q v' });
    assert.deepEqual(readProjectEnv(path.join(root, 'a', 'compose.yaml')), {});
    const sources = readComposeFile(path.join(root, 'docker-compose.yml'), 'services:\n  app:\n    image: ${IMAGE}\n', { env: {} });
    assert.deepEqual(
      sources.map((source) => source.service),
      ['app'],
    );
  });
});

describe('readComposeFile on arbitrary input (fast-check)', () => {
  it('never throws, whatever the YAML', () => {
    const yamlish = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'services:',
            '\n  kestra:',
            '\n    image: kestra',
            '\n    environment:',
            '\n      - ',
            '\n      SECRET_A: ',
            '${',
            '}',
            ':-',
            '$$',
            '&a ',
            '*a',
            '<<: ',
            '\n    env_file: ',
            '[',
            ']',
            '{',
            '"',
            "'",
            '- path: ',
          ),
          fc.string({ maxLength: 5 }),
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(yamlish, (text) => {
        const sources = readComposeFile('/w/compose.yml', text, { env: {}, projectEnv: {} });
        assert.ok(Array.isArray(sources));
      }),
      { numRuns: 500 },
    );
  });
});
