/**
 * The analysis worker (bundled as dist/analysisWorker.js): parses flows on its own thread so that the
 * extension host's thread never waits for the YAML parser. One answer per request, in order, its analyses
 * encoded so that the editor's thread reads them back in slices.
 */
import { parentPort } from 'node:worker_threads';
import { answer, encodeResponse } from './analysisProtocol';

parentPort?.on('message', (request: unknown) => parentPort?.postMessage(encodeResponse(answer(request))));
