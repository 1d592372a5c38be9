/**
 * Issue 13, finding 9: work a store or a workspace can make unbounded. Runaway page tokens stop at a
 * page cap, a Kestra server answer is read up to a size limit, and a Compose `env_file` that is not a
 * regular file (a FIFO, /dev/stdin, /dev/zero) is refused instead of read.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createAwsBackend } from '../../../src/backends/aws';
import { BackendError } from '../../../src/core/store';
import { envBackendFactory } from '../../../src/backends/env';
import { createGoogleBackend } from '../../../src/backends/google';
import { createKestraServerBackend } from '../../../src/backends/kestraServer';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { readRegularFile, UnreadableFileError } from '../../../src/core/safeRead';
import { testBackendContext } from '../recordingLogger';

interface Loopback {
  url: string;
  requests: number;
  close(): Promise<void>;
}

async function serve(handler: (request: http.IncomingMessage, response: http.ServerResponse, count: number) => void): Promise<Loopback> {
  const state = { requests: 0 };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => handler(request, response, ++state.requests));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function config(overrides: Partial<SecretBackendConfig>): SecretBackendConfig {
  return {
    type: 'env',
    readOnly: true,
    tags: {},
    cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 },
    ...overrides,
  } as SecretBackendConfig;
}

async function failure(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BackendError, String(error));
    return error;
  }
  return assert.fail('expected a failure');
}

describe('bounded work (issue 13, finding 9)', function () {
  this.timeout(60_000);

  it('AWS: prevents endless paging when the server keeps sending new tokens', async () => {
    const store = await serve((_request, response, count) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ SecretList: [], NextToken: `token-${count}` }));
    });
    try {
      const lines: string[] = [];
      const aws = createAwsBackend(
        config({
          type: 'aws-secret-manager',
          aws: { region: 'us-east-1', endpointOverride: store.url, accessKeyId: 'AKIATEST', secretKeyId: 'secret' },
        }),
        testBackendContext(lines, { env: { AWS_EC2_METADATA_DISABLED: 'true', KESTRA_SECRETS_TIMEOUT_MS: '5000' } }),
      );
      const error = await failure(aws.list('company.team'));
      assert.match(error.message, /stopped after 1000 pages: the store kept sending new page tokens/);
      assert.equal(store.requests, 1000);
      aws.dispose();
    } finally {
      await store.close();
    }
  });

  it('Google: prevents endless paging when the server keeps sending new tokens', async () => {
    const saved = process.env.METADATA_SERVER_DETECTION;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const store = await serve((request, response, count) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      if (request.url?.startsWith('/token'))
        response.end(JSON.stringify({ access_token: 'test-access-token', expires_in: 3600, token_type: 'Bearer' }));
      else response.end(JSON.stringify({ secrets: [], nextPageToken: `token-${count}` }));
    });
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = {
        type: 'service_account',
        project_id: 'p',
        client_email: 'sa@p.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        token_uri: `${store.url}/token`,
      };
      const lines: string[] = [];
      const google = createGoogleBackend(
        config({
          type: 'google-secret-manager',
          google: { project: 'p', serviceAccount: JSON.stringify(key), endpointOverride: store.url },
        }),
        testBackendContext(lines, {}, 5000),
      );
      const error = await failure(google.list('company.team'));
      assert.match(error.message, /stopped after 200 pages: the store kept sending new page tokens/);
      assert.ok(store.requests <= 202, `${store.requests} requests`);
      google.dispose();
    } finally {
      await store.close();
      if (saved === undefined) delete process.env.METADATA_SERVER_DETECTION;
      else process.env.METADATA_SERVER_DETECTION = saved;
    }
  });

  it('Kestra server: prevents reading a huge answer whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const store = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('error', () => undefined);
      pump();
    });
    try {
      const lines: string[] = [];
      const server = createKestraServerBackend({ ...config({}), server: { url: store.url, tenant: 'main' } }, testBackendContext(lines), {
        attempts: 1,
        timeoutMs: 20_000,
        maxResponseBytes: 1024 * 1024,
      });
      const error = await failure(server.list('company.team'));
      assert.match(error.message, /the server's answer is larger than 1 MB; reading stopped/);
      assert.ok(sent < 64 * 1024 * 1024, 'the whole body was sent and read');
      server.dispose();
    } finally {
      await store.close();
    }
  });

  (process.platform === 'win32' ? it.skip : it)(
    'prevents env_file entries that are not regular files (FIFO, /dev/stdin, /dev/zero) from hanging or filling memory',
    async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'env-file-special-'));
      try {
        const fifo = path.join(root, 'secrets.fifo');
        execFileSync('mkfifo', [fifo]);
        fs.writeFileSync(path.join(root, 'ok.env'), 'SECRET_OK=b2s=\n');
        fs.writeFileSync(
          path.join(root, 'docker-compose.yml'),
          `services:\n  kestra:\n    image: kestra/kestra\n    env_file:\n      - ${fifo}\n      - /dev/stdin\n      - /dev/zero\n      - ok.env\n`,
        );
        const lines: string[] = [];
        const backend = envBackendFactory({ workspaceRoots: [root], envFiles: [] })(config({ type: 'env' }), testBackendContext(lines));
        const started = Date.now();
        const listed = await backend.list('');
        assert.ok(Date.now() - started < 5000);
        assert.deepEqual(
          listed.map((secret) => secret.key),
          ['OK'],
        );
        for (const file of [fifo, '/dev/stdin', '/dev/zero']) {
          assert.ok(
            lines.some((line) => line.includes(`${file} is not a regular file; it is not read.`)),
            `${file}: ${lines.join(' | ')}`,
          );
        }
        backend.dispose();
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it('prevents reading a regular file past the size limit', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'env-file-large-'));
    try {
      const file = path.join(root, '.env');
      fs.writeFileSync(file, 'A=1\n'.repeat(1000));
      await assert.rejects(readRegularFile(file, 100), (error: unknown) => error instanceof UnreadableFileError && error.code === 'EFBIG');
      assert.equal(await readRegularFile(file, 4000), 'A=1\n'.repeat(1000));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
