/** Issue 13: the CLI's messages and reports pass through core/redaction; the output the user asked for does not. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main';
import { redactingStream } from '../../../src/cli/io';
import { encodeBase64 } from '../../../src/core/base64';
import { forgetSecretValuesForTests, REDACTED, rememberSecretValue } from '../../../src/core/redaction';

const CANARY = 'hunter2-CANARY-1a2b3c';

function collect(stream: PassThrough): () => string {
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return () => chunks.join('');
}

describe('CLI output redaction', () => {
  beforeEach(forgetSecretValuesForTests);
  after(forgetSecretValuesForTests);

  it('prevents a remembered value from reaching stderr, and keeps the order of writes', () => {
    rememberSecretValue(CANARY);
    const target = new PassThrough();
    const text = collect(target);
    const stream = redactingStream(target);
    stream.write('one ');
    stream.write(Buffer.from(`two ${CANARY} `));
    stream.write('three');
    assert.equal(text(), `one two ${REDACTED} three`);
  });

  it('keeps the values in the output decode was asked for, on stdout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redaction-'));
    try {
      fs.writeFileSync(path.join(dir, '.env_encoded'), `SECRET_A=${encodeBase64(CANARY)}\n`);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out = collect(stdout);
      const err = collect(stderr);
      const code = await main(['decode', '.env_encoded', '-o', '-'], { stdin: new PassThrough(), stdout, stderr, cwd: dir });
      assert.equal(code, 0, err());
      assert.equal(out(), `A=${CANARY}\n`);
      assert.ok(!err().includes(CANARY));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
