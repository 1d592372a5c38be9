/**
 * The first analysis worker, started by the extension's entry (bootstrap.ts) before the rest of the extension's
 * code is loaded: the worker boots and loads its parser on its own thread while the editor's thread loads ours.
 * Until the analyzer adopts it (flowAnalyzer.ts), what happens to it (a failed start, an early exit) is kept here,
 * so that nothing is lost between the two. Pure Node.
 */
import { Worker } from 'node:worker_threads';

/** The analysis worker's bundle, beside the extension's (scripts/build.mjs). */
export const ANALYSIS_WORKER_FILE = 'analysisWorker.js';

/** What the analyzer gets: the running worker, or why there is none. */
export type AdoptedWorker = { worker: Worker; onlineAfterMs?: number } | { failure: string };

export class EarlyWorker {
  private failure: string | undefined;
  private onlineAfterMs: number | undefined;
  private adopted = false;
  private readonly started = performance.now();
  private readonly onOnline = () => (this.onlineAfterMs = performance.now() - this.started);
  private readonly onError = (error: Error) => (this.failure ??= `failed: ${error.message}`);
  private readonly onExit = (code: number) => (this.failure ??= `stopped with exit code ${code}`);

  private constructor(
    private readonly worker: Worker | undefined,
    failure?: string,
  ) {
    this.failure = failure;
    worker?.once('online', this.onOnline).on('error', this.onError).on('exit', this.onExit);
  }

  /** Starts the worker at once; a worker that cannot start is told to the analyzer when it adopts it. */
  static start(file: string): EarlyWorker {
    try {
      return new EarlyWorker(new Worker(file));
    } catch (error) {
      return new EarlyWorker(undefined, `could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Hands the worker over, once: from then on its events are the analyzer's. */
  adopt(): AdoptedWorker {
    if (this.adopted) return { failure: 'was already adopted' };
    this.adopted = true;
    this.worker?.off('online', this.onOnline).off('error', this.onError).off('exit', this.onExit);
    if (this.failure !== undefined || !this.worker) {
      void this.worker?.terminate().catch(() => undefined);
      return { failure: this.failure ?? 'could not start' };
    }
    return { worker: this.worker, onlineAfterMs: this.onlineAfterMs };
  }
}
