/** Issue 8, point 9: failure messages are whole sentences and name what happened. */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { BackendError } from '../../../src/core/store';
import { describeFailure, describeNetworkFailure } from '../../../src/backends/common';
import { explainBase64Error } from '../../../src/core/base64';

/** A real socket error from Node, as a store's SDK would see it. */
function socketError(connect: (done: (error: Error) => void) => void): Promise<Error> {
  return new Promise((resolve) => connect(resolve));
}

describe('failure messages (issue 8, point 9)', () => {
  it('never runs two parts together: each part of a backend message ends as a sentence', () => {
    const error = new BackendError(
      'config',
      'AWS Secrets Manager',
      'list secrets',
      'Region is missing',
      'Set `region` under `aws-secret-manager`, or AWS_REGION',
    );
    assert.equal(
      error.message,
      'AWS Secrets Manager: list secrets failed: Region is missing. Set `region` under `aws-secret-manager`, or AWS_REGION.',
    );
    const host = new BackendError(
      'unreachable',
      'AWS',
      'list',
      'getaddrinfo ENOTFOUND secretsmanager.eu-west-1.amazonaws.com',
      'Cannot reach it.',
    );
    assert.match(host.message, /amazonaws\.com\. Cannot reach/);
  });

  it('names a refused connection, from a real refused socket', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await socketError((done) => net.connect(port, '127.0.0.1').on('error', done));
    assert.match(describeFailure(error), /^the connection to 127\.0\.0\.1 was refused: nothing listens there \(ECONNREFUSED\)$/);
  });

  it('names a connection reset, from a real server that resets it', async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const error = await socketError((done) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
      socket.on('error', done);
    });
    server.close();
    assert.equal(describeFailure(error), 'the connection was reset before the answer was complete (ECONNRESET)');
  });

  it('names DNS and TLS failures, also when wrapped as the cause of a generic error', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND vault.internal'), { code: 'ENOTFOUND', hostname: 'vault.internal' });
    assert.equal(
      describeNetworkFailure(new TypeError('fetch failed', { cause: dns })),
      'the host name vault.internal could not be resolved (DNS lookup failed, ENOTFOUND)',
    );
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    assert.equal(describeFailure(new TypeError('fetch failed', { cause: tls })), 'the TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const unknown = Object.assign(new Error('UnknownError'), { $metadata: { httpStatusCode: 502 } });
    assert.equal(describeFailure(unknown), 'the store answered with an error it did not describe (UnknownError, HTTP 502)');
  });

  it('calls a value that was never encoded plain text, and URL-safe base64 what is', () => {
    assert.equal(
      explainBase64Error('us-east-1'),
      'it is plain text that was never base64-encoded (character 3 is not in the base64 alphabet)',
    );
    assert.equal(
      explainBase64Error('postgres://db:5432/app'),
      "it is plain text that was never base64-encoded (character 9 is not in the base64 alphabet (A-Z, a-z, 0-9, '+', '/', '='))",
    );
    assert.match(explainBase64Error('aGk-dGhlcmU_') ?? '', /^character 4 is URL-safe base64/);
    assert.match(
      explainBase64Error('aGVsbG8 gd29ybGQ=') ?? '',
      /^character 8 is a space or tab/,
      'base64 with a stray blank is not plain text',
    );
  });
});
