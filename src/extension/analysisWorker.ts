/**
 * The analysis worker (bundled as dist/analysisWorker.js): parses flows on its own thread so that the
 * extension host's thread never waits for the YAML parser. One answer per request, in order.
 */
import { parentPort } from 'node:worker_threads';
import { answer } from './analysisProtocol';

parentPort?.on('message', (request: unknown) => parentPort?.postMessage(answer(request)));
