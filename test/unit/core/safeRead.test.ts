import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRegularBytesSync, readRegularFile, readRegularFileSync, UnreadableFileError } from '../../../src/core/safeRead';

const isEfbig = (error: unknown) => error instanceof UnreadableFileError && error.code === 'EFBIG';

describe('safeRead: one buffer per file, every byte and nothing more', () => {
  let root: string;
  before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-read-'))));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  // Around the buffer pool's and the old chunk's sizes, and a multi-byte character across them.
  for (const size of [0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 200_000]) {
    it(`reads a file of ${size} bytes exactly, synchronously and not`, async () => {
      const bytes = Buffer.alloc(size);
      for (let index = 0; index < size; index++) bytes[index] = (index * 31 + 7) % 251;
      const file = path.join(root, `f${size}`);
      fs.writeFileSync(file, bytes);
      assert.ok(readRegularBytesSync(file, Infinity).equals(bytes));
      const text = 'é'.repeat(Math.floor(size / 2));
      fs.writeFileSync(file, text);
      assert.equal(readRegularFileSync(file, Infinity), text);
      assert.equal(await readRegularFile(file, Infinity), text);
    });
  }

  it('reads a file right at the limit, and refuses one byte more', async () => {
    const file = path.join(root, 'limit');
    fs.writeFileSync(file, 'x'.repeat(100));
    assert.equal(readRegularFileSync(file, 100), 'x'.repeat(100));
    assert.equal(await readRegularFile(file, 100), 'x'.repeat(100));
    assert.throws(() => readRegularFileSync(file, 99), isEfbig);
    await assert.rejects(readRegularFile(file, 99), isEfbig);
  });

  // A file whose size fstat can't tell (procfs says 0) reads as one that grew after fstat: the buffer grows.
  const procFile = '/proc/self/status';
  const procIt = fs.existsSync(procFile) && fs.statSync(procFile).size === 0 ? it : it.skip;

  procIt('reads a file longer than fstat said, whole', async () => {
    const text = readRegularFileSync(procFile, Infinity);
    assert.match(text, /^Name:/);
    assert.match(text, /\nVmRSS:|\nThreads:/);
    assert.ok(text.endsWith('\n'));
    assert.match(await readRegularFile(procFile, Infinity), /^Name:[^]*\n$/);
  });

  procIt('stops a file that grows past the limit after fstat', async () => {
    assert.throws(() => readRegularBytesSync(procFile, 10), isEfbig);
    await assert.rejects(readRegularFile(procFile, 10), isEfbig);
  });
});
