import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  encodedFileFor,
  findConfigFile,
  findRepositoryRoot,
  namesOnlyFileFor,
  namesOnlySiblingFor,
  plainFileFor,
  resolveEnvSources,
  searchFolders,
  tenantFor,
} from '../../../src/core/setup';
import { defaultConfig } from '../../../src/core/config';

const COMPOSE = 'services:\n  kestra:\n    image: kestra/kestra:latest\n    env_file: .env_encoded\n';

describe('setup resolution (core/setup.ts), shared by the CLI and the editor', () => {
  let root: string;
  const write = (relative: string, text = '') => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'setup-')));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the encoded file of a .env one way: FILE + _encoded, beside it (prod.env never overwrites .env_encoded)', () => {
    assert.equal(encodedFileFor('/p/.env'), '/p/.env_encoded');
    assert.equal(encodedFileFor('/p/prod.env'), '/p/prod.env_encoded');
    assert.equal(plainFileFor('/p/prod.env_encoded'), '/p/prod.env');
    assert.equal(plainFileFor('/p/.env_encoded'), '/p/.env');
    assert.equal(plainFileFor('/p/secrets.txt'), undefined);
    assert.equal(namesOnlyFileFor('/p/.env_encoded'), '/p/.env_encoded.example');
  });

  it('finds a names-only stand-in beside the encoded file first, then beside the .env that encodes to it', () => {
    const encoded = path.join(root, '.env_encoded');
    assert.equal(namesOnlySiblingFor(encoded), undefined);
    write('.env.dist', 'A=\n');
    assert.deepEqual(namesOnlySiblingFor(encoded), { file: path.join(root, '.env.dist'), form: 'plain' });
    write('.env_encoded.sample', 'SECRET_A=\n');
    assert.deepEqual(namesOnlySiblingFor(encoded), { file: path.join(root, '.env_encoded.sample'), form: 'encoded' });
    fs.mkdirSync(path.join(root, '.env_encoded.example'));
    assert.equal(namesOnlySiblingFor(encoded)?.file, path.join(root, '.env_encoded.sample'), 'a folder is not a stand-in');
  });

  it('searches from PATH up to the repository root, like linters, and no higher', () => {
    fs.mkdirSync(path.join(root, 'repo', '.git'), { recursive: true });
    write('kestra-secrets.yml', 'kestra: { secret: { type: env } }\n');
    const deep = path.join(root, 'repo', 'kestra', 'automations');
    fs.mkdirSync(deep, { recursive: true });
    assert.equal(findRepositoryRoot(deep), path.join(root, 'repo'));
    assert.deepEqual(searchFolders(deep), [deep, path.join(root, 'repo', 'kestra'), path.join(root, 'repo')]);
    assert.equal(findConfigFile([deep]), undefined, 'the file above the repository is not used');
    const config = write('repo/kestra-secrets.yml', 'kestra: { secret: { type: env } }\n');
    assert.equal(findConfigFile([deep]), config);
    assert.equal(findConfigFile([path.join(deep, 'flow.yml')]), config, 'from a file PATH too');
  });

  it('without a repository, stops at the boundary (the working folder), or searches PATH alone', () => {
    const deep = path.join(root, 'a', 'b');
    fs.mkdirSync(deep, { recursive: true });
    write('kestra-secrets.yml', 'x');
    assert.equal(findConfigFile([deep], root), path.join(root, 'kestra-secrets.yml'));
    assert.equal(findConfigFile([deep]), undefined);
    assert.equal(findConfigFile([deep], path.join(root, 'elsewhere')), undefined);
  });

  it('finds Compose files in another folder of the repository when PATH has none (check kestra/automations)', () => {
    fs.mkdirSync(path.join(root, '.git'));
    const compose = write('deploy/docker-compose.yml', COMPOSE);
    write('kestra/automations/flow.yml', 'id: f');
    const sources = resolveEnvSources({ targets: [path.join(root, 'kestra', 'automations')] });
    assert.deepEqual(sources.composeFiles, [compose]);
    assert.deepEqual(sources.envFiles, []);
    assert.ok(sources.displayRoots.includes(root));
  });

  it('prefers the nearest folder: an .env_encoded beside the flows wins over a Compose file higher up', () => {
    fs.mkdirSync(path.join(root, '.git'));
    write('docker-compose.yml', COMPOSE);
    const encoded = write('flows/.env_encoded', 'SECRET_A=YQ==\n');
    const sources = resolveEnvSources({ targets: [path.join(root, 'flows')] });
    assert.deepEqual(sources, { composeFiles: [], envFiles: [encoded], displayRoots: [path.join(root, 'flows')] });
  });

  it('without Compose or a configured file, reads .env_encoded, or stands it in by its names-only sibling', () => {
    write('ci/.env_encoded.template', 'SECRET_A=\n');
    const sources = resolveEnvSources({ targets: [root] });
    assert.deepEqual(sources.envFiles, [path.join(root, 'ci', '.env_encoded')]);
    const configured = resolveEnvSources({ targets: [root], configuredEnvFiles: [path.join(root, 'x.env_encoded')] });
    assert.deepEqual(configured.envFiles, [path.join(root, 'x.env_encoded')], 'a configured file replaces the convention');
  });

  it('takes the tenant from the server block, else main, an explicit one first', () => {
    assert.equal(tenantFor(defaultConfig()), 'main');
    assert.equal(tenantFor({ ...defaultConfig(), server: { url: 'http://k', tenant: 'acme' } }), 'acme');
    assert.equal(tenantFor({ ...defaultConfig(), server: { url: 'http://k', tenant: 'acme' } }, 'other'), 'other');
  });
});
