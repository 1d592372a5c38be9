/**
 * The first analysis worker, started before the extension's code is loaded (earlyWorker.ts): what happens to it
 * before the analyzer adopts it is kept and handed over, and it is handed over once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EarlyWorker } from '../../../src/extension/earlyWorker';

/** What the worker hands over once it has failed (it fails on its own, soon after it starts). */
async function adoptedAfterFailure(early: EarlyWorker): Promise<ReturnType<EarlyWorker['adopt']>> {
  const state = early as unknown as { failure?: string };
  for (let waited = 0; waited < 5_000 && !state.failure; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return early.adopt();
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
    assert.deepEqual(await adoptedAfterFailure(EarlyWorker.start(file)), { failure: 'stopped with exit code 5' });
  });

  it('keeps an error thrown while the worker loads its code', async () => {
    const file = path.join(dir, 'throws.js');
    fs.writeFileSync(file, "throw new Error('broken bundle');\n");
    assert.deepEqual(await adoptedAfterFailure(EarlyWorker.start(file)), { failure: 'failed: broken bundle' });
  });
});
