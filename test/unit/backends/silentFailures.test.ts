/**
 * Issue 13, finding 7 (failures that looked like success), the parts below the CLI's exit codes:
 * an invalid Compose file is reported, and a Kestra server answering 200 with something that is not
 * JSON is called that, not "404 on every known path".
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError } from '../../../src/core/store';
import { envBackendFactory } from '../../../src/backends/env';
import { createKestraServerBackend } from '../../../src/backends/kestraServer';
import type { SecretBackendConfig } from '../../../src/core/configTypes';
import { testBackendContext } from '../recordingLogger';

const CANARY = 'c2VjcmV0LWNhbmFyeS12YWx1ZQ==';

function config(type: SecretBackendConfig['type']): SecretBackendConfig {
  return { type, readOnly: true, tags: {}, cache: { enabled: false, maximumSize: 0, expireAfterWriteMs: 0 } };
}

describe('failures that looked like success', () => {
  it('prevents a Compose file with invalid YAML from being ignored without a word', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-invalid-'));
    try {
      fs.writeFileSync(
        path.join(root, 'docker-compose.yml'),
        `services:\n  kestra:\n    image: kestra/kestra\n    environment:\n      SECRET_A: ${CANARY}\n     bad: [indent\n`,
      );
      const lines: string[] = [];
      const backend = envBackendFactory({ workspaceRoots: [root], envFiles: [] })(config('env'), testBackendContext(lines));
      assert.deepEqual(await backend.list(''), []);
      const warning = lines.find((line) => line.includes('docker-compose.yml'));
      assert.ok(warning, `no warning among: ${lines.join(' | ')}`);
      assert.match(
        warning,
        /^warn env secrets: .*docker-compose\.yml: not valid YAML at line \d+, column \d+; its services are ignored\.$/,
      );
      assert.ok(!lines.join('\n').includes(CANARY), 'a value reached the log');
      backend.dispose();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('prevents a 200 with malformed JSON from a Kestra server being reported as 404 on every path', async () => {
    const server = http.createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"results": [ {"key": "A"');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const lines: string[] = [];
      const backend = createKestraServerBackend({ ...config('env'), server: { url, tenant: 'main' } }, testBackendContext(lines), {
        attempts: 1,
        timeoutMs: 2000,
      });
      try {
        await backend.list('company.team');
        assert.fail('the listing should fail');
      } catch (error) {
        assert.ok(error instanceof BackendError, String(error));
        assert.match(error.message, /unexpected answer from the server: HTTP 200 with a body that is not JSON/);
        assert.doesNotMatch(error.message, /404/);
      }
      backend.dispose();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
