/**
 * The analysis worker (bundled as dist/analysisWorker.js): parses flows on its own thread so that the
 * extension host's thread never waits for the YAML parser. One answer per request, in order, its analyses
 * encoded so that the editor's thread reads them back in slices.
 */
import { parentPort } from 'node:worker_threads';
import { answer, encodeResponse } from './analysisProtocol';
import { warmUpAnalysis } from './analysisWarmUp';

let analysing = false;
parentPort?.on('message', (request: unknown) => {
  analysing = true;
  parentPort?.postMessage(encodeResponse(answer(request)));
});
// Until it is asked to analyse, the worker analyses a sample flow: the first hundred files a cold parser reads take
// several times longer than the next ones, and the first files to analyse wait for the folders' listing anyway.
if (parentPort) void warmUpAnalysis(() => analysing);
