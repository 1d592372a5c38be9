/**
 * The first analysis worker, started before the extension's code is loaded (earlyWorker.ts): what happens to it
 * before the analyzer adopts it is kept and handed over, and it is handed over once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EarlyWorker } from '../../../src/extension/earlyWorker';

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('EarlyWorker: a worker started before the analyzer exists', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-early-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hands over the running worker once, and says it was adopted already the second time', async () => {
    const file = path.join(dir, 'echo.js');
    fs.writeFileSync(
      file,
      "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));\n",
    );
    const early = EarlyWorker.start(file);
    const adopted = early.adopt();
    assert.ok('worker' in adopted, JSON.stringify(adopted));
    const echoed = new Promise((resolve) => adopted.worker.once('message', resolve));
    adopted.worker.postMessage('ping');
    assert.equal(await echoed, 'ping');
    assert.deepEqual(early.adopt(), { failure: 'was already adopted' });
    await adopted.worker.terminate();
  });

  it('keeps an exit that came before adoption, and hands over the reason instead of a dead worker', async () => {
    const file = path.join(dir, 'exits.js');
    fs.writeFileSync(file, 'process.exit(5);\n');
    const early = EarlyWorker.start(file);
    for (let waited = 0; waited < 5_000; waited += 20) {
      await settle(20);
      const state = early as unknown as { failure?: string };
      if (state.failure) break;
    }
    assert.deepEqual(early.adopt(), { failure: 'stopped with exit code 5' });
  });

  it('keeps an error thrown while the worker loads its code', async () => {
    const file = path.join(dir, 'throws.js');
    fs.writeFileSync(file, "throw new Error('broken bundle');\n");
    const early = EarlyWorker.start(file);
    for (let waited = 0; waited < 5_000; waited += 20) {
      await settle(20);
      if ((early as unknown as { failure?: string }).failure) break;
    }
    assert.deepEqual(early.adopt(), { failure: 'failed: broken bundle' });
  });
});
