import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendContext, SecretBackend } from '../../../src/core/store';
import { describeEnvSources, envBackendFactory, type EnvSources } from '../../../src/backends/env';
import { encodeBase64 } from '../../../src/core/base64';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import type { Logger } from '../../../src/core/log';

const config: SecretBackendConfig = {
  type: 'env',
  readOnly: true,
  tags: {},
  cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
};
const quiet: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Issue 13, finding 10: a Compose file in an untrusted workspace can't make the editor read files outside it. */
/** The env backend over a context that also carries its sources (as the CLI and the editor hand them to its factory). */
function envBackend(config: SecretBackendConfig, context: BackendContext & EnvSources): SecretBackend {
  return envBackendFactory(context)(config, context);
}

describe('env secrets in an untrusted workspace: nothing outside the workspace folder is read', () => {
  let outside: string;
  let workspace: string;
  let composeFile: string;

  beforeEach(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'env-confine-'));
    workspace = path.join(outside, 'project', 'workspace');
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(outside, 'home.env_encoded'), `SECRET_FROM_HOME=${encodeBase64('home-value')}\n`);
    fs.writeFileSync(path.join(workspace, 'inside.env_encoded'), `SECRET_INSIDE=${encodeBase64('inside-value')}\n`);
    composeFile = path.join(workspace, 'docker-compose.yml');
    fs.writeFileSync(
      composeFile,
      [
        'services:',
        '  kestra:',
        '    image: kestra/kestra:latest',
        '    env_file:',
        '      - inside.env_encoded',
        '      - ../../home.env_encoded',
        `      - \${OUTSIDE_DIR}/home.env_encoded`,
        '',
      ].join('\n'),
    );
  });

  afterEach(() => fs.rmSync(outside, { recursive: true, force: true }));

  function context(confine: boolean): BackendContext & EnvSources {
    const ctx: BackendContext & EnvSources = {
      log: quiet,
      tenant: 'main',
      readValuesForSubkeys: false,
      workspaceRoots: [workspace],
      envFiles: [],
      composeFiles: [composeFile],
      env: { OUTSIDE_DIR: outside },
    };
    if (confine) ctx.confineToFolders = [workspace];
    return ctx;
  }

  it('skips env_file entries that resolve outside (../.., ${HOME}-style), with one problem naming each entry', async () => {
    const backend = envBackend(config, context(true));
    const keys = (await backend.list('company.team')).map((secret) => secret.key).sort();
    assert.deepEqual(keys, ['INSIDE']);
    const problems = (await backend.definitionProblems!()).filter((problem) => /outside the workspace folder/.test(problem.message));
    assert.equal(problems.length, 2, problems.map((problem) => problem.message).join('\n'));
    assert.match(problems[0].message, /\.\.\/\.\.\/home\.env_encoded/);
    assert.ok(problems.every((problem) => problem.file === composeFile));
    assert.deepEqual(
      describeEnvSources(context(true), { OUTSIDE_DIR: outside }).filter((file) => file.includes('home.env_encoded')),
      [],
    );
  });

  it('reads the same entries when the workspace is trusted (no confinement)', async () => {
    const keys = (await envBackend(config, context(false)).list('company.team')).map((secret) => secret.key).sort();
    assert.deepEqual(keys, ['FROM_HOME', 'INSIDE']);
  });
});
