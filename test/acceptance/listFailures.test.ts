/**
 * Issue 13, finding 7: `list` against a store that is unreachable, rejects the credentials, throttles or
 * hangs must exit non-zero with a sentence on stderr, never print an empty listing and exit 0.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, type BuiltCli } from '../fixtures/acceptance/cli';

type Behaviour = 'unreachable' | 401 | 429 | 'hang';

interface Store {
  url: string;
  close(): Promise<void>;
}

/** A loopback server that answers every request the same way (or never, for 'hang'). */
async function startStore(behaviour: Exclude<Behaviour, 'unreachable'>): Promise<Store> {
  const server = http.createServer((request, response) => {
    request.resume();
    if (behaviour === 'hang') return;
    response.writeHead(behaviour, { 'content-type': 'application/json', ...(behaviour === 429 ? { 'retry-after': '0' } : {}) });
    response.end(
      JSON.stringify({ errors: ['nope'], message: 'nope', error: { code: behaviour, message: 'nope', status: 'UNAUTHENTICATED' } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function unreachableUrl(): Promise<string> {
  const store = await startStore(401);
  await store.close();
  return store.url;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function configFor(type: string, url: string): string {
  switch (type) {
    case 'vault':
      return `kestra:\n  secret:\n    type: vault\n    vault:\n      address: ${url}\n      token:\n        token: test-token\n`;
    case 'aws':
      return `kestra:\n  secret:\n    type: aws-secret-manager\n    aws-secret-manager:\n      region: us-east-1\n      endpoint-override: ${url}\n      access-key-id: AKIATEST\n      secret-key-id: test-secret\n`;
    case 'google': {
      const key = {
        type: 'service_account',
        project_id: 'p',
        client_email: 'sa@p.iam.gserviceaccount.com',
        private_key: PRIVATE_KEY,
        token_uri: `${url}/token`,
      };
      return `kestra:\n  secret:\n    type: google-secret-manager\n    google-secret-manager:\n      project: p\n      endpoint-override: ${url}\n      service-account: '${JSON.stringify(key)}'\n`;
    }
    default:
      return `server:\n  url: ${url}\n  tenant: main\n`;
  }
}

describe('CLI list: a failing store is a failure, not an empty listing', function () {
  this.timeout(120_000);
  let cli: BuiltCli;
  let folder: string;

  before(async () => {
    cli = await buildCli({ sdks: ['aws', 'google', 'vault'] });
  });
  after(() => cli.dispose());
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-list-failures-'));
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  const behaviours: Behaviour[] = ['unreachable', 401, 429, 'hang'];
  for (const type of ['vault', 'kestra-server', 'aws', 'google']) {
    for (const behaviour of behaviours) {
      // One namespace was already an error before; its hang case guards the exit after a timeout.
      const variants = behaviour === 'hang' ? [[], ['--namespace', 'company.team']] : [[]];
      for (const namespaceArgs of variants) {
        it(`${type}, ${behaviour}${namespaceArgs.length ? ', one namespace' : ', every namespace'}: exits 1 with a message`, async () => {
          const store = behaviour === 'unreachable' ? undefined : await startStore(behaviour);
          try {
            const url = store?.url ?? (await unreachableUrl());
            fs.writeFileSync(path.join(folder, 'kestra-secrets.yml'), configFor(type, url));
            const env = {
              KESTRA_SECRETS_TIMEOUT_MS: '800',
              AWS_EC2_METADATA_DISABLED: 'true',
              METADATA_SERVER_DETECTION: 'none',
              KESTRA_API_TOKEN: 'test-token',
            };
            const run = await cli.run(['list', ...namespaceArgs, '--format', 'json'], { cwd: folder, env });
            assert.equal(run.code, 1, `exit ${run.code}; stdout: ${run.stdout}; stderr: ${run.stderr}`);
            assert.match(run.stderr, /kestra-secrets: .*failed/);
            assert.doesNotMatch(run.stderr, /Cannot find module|unexpectedly/);
            assert.doesNotMatch(run.stdout, /"secrets": \[\]/);
          } finally {
            await store?.close();
          }
        });
      }
    }
  }
});
