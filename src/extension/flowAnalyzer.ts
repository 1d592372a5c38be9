/**
 * Flow analysis off the editor's thread: requests go to worker threads (dist/analysisWorker.js). Texts (open
 * documents) always go to the first worker, so their answers come back in order; batches of files go to
 * whichever worker has room (at most FILE_BATCHES_IN_FLIGHT each), so a worker that started late gets fewer;
 * other work goes to the least busy. Answers are read back one at a time, in slices of at most SLICE_MS with a
 * yield to the event loop between them (see EncodedAnalysis). Failure is normal: when a worker can't start or
 * dies, the analyzer says so once and analyses on the calling thread from then on, in slices that yield to the
 * event loop between files (requests in flight are answered that way too).
 */
import { Worker } from 'node:worker_threads';
import type { FlowAnalysis } from '../core/flow';
import type { AdoptedWorker, EarlyWorker } from './earlyWorker';
import { resolveEditorEnvSources, type EditorEnvSourceRequest, type EditorEnvSources } from './logic/envSources';
import { TimeSlice } from './logic/timeSlice';
import {
  analyseFile,
  analyseText,
  type AnalysisRequest,
  readHead,
  readPart,
  type EncodedAnalysis,
  type EncodedFileOutcome,
  type EncodedResponse,
  type EncodedTextOutcome,
  type FileOutcome,
  type FileToAnalyse,
  type TextOutcome,
} from './analysisProtocol';

export interface AnalyzerLog {
  warn(message: string): void;
  trace?(message: string): void;
}

/** Work on the editor's thread (reading answers back, in-thread analysis) yields to the event loop once it has run this long. */
const SLICE_MS = 5;
/** File batches a worker holds at once: one it parses and one ready, so it never waits for this thread. */
const FILE_BATCHES_IN_FLIGHT = 2;

/** The ceiling, not measured past two cores (the bench machine's): each worker compiles the hot code again and holds its own heap. */
const MAX_ANALYSIS_WORKERS = 2;

/**
 * How many analysis workers a machine with `cores` cores runs: one core is left to the editor (the extension host's
 * thread, the workbench, and V8's compiler threads, which make a worker fast). On two cores, one worker's first pass
 * over 2,001 flows is as fast as two workers' over two rounds of paired turns (one faster on a quiet machine, two on
 * a busy one; README, Performance), with one thread and one compiling fewer competing with the editor.
 */
export function analysisWorkerCount(cores: number): number {
  if (!Number.isFinite(cores)) return 1;
  return Math.max(1, Math.min(MAX_ANALYSIS_WORKERS, Math.floor(cores) - 1));
}

/** A request of the protocol before it gets its id. */
type Work = AnalysisRequest extends infer Request ? (Request extends unknown ? Omit<Request, 'id'> : never) : never;

interface Pending {
  work: Work;
  /** The worker it was sent to; undefined while it waits in the queue of file batches. */
  worker?: Worker;
  resolve(outcomes: unknown[]): void;
  reject(error: Error): void;
}

export class AnalyzerStoppedError extends Error {
  constructor() {
    super('The flow analyzer was stopped.');
  }
}

export class FlowAnalyzer {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** File batches not yet sent: each goes to the first worker with room, so a slow worker gets fewer. */
  private readonly fileQueue: number[] = [];
  /** Why analysis runs on the calling thread, once it does. */
  private fallbackReason: string | undefined;
  private disposed = false;
  /** Answers are read back one after the other, in the order they came. */
  private reading: Promise<void> = Promise.resolve();

  /**
   * `workerFile` undefined: analyse on the calling thread from the start. `early`: the pool's first worker, already
   * started (earlyWorker.ts); a failure it met before is the pool's.
   */
  constructor(
    private readonly workerFile: string | undefined,
    private readonly log: AnalyzerLog,
    private readonly poolSize = 1,
    private early?: EarlyWorker,
  ) {}

  /** False once analysis runs on the calling thread. */
  get offThread(): boolean {
    return this.fallbackReason === undefined;
  }

  analyzeTexts(texts: string[]): Promise<TextOutcome[]> {
    return this.request({ type: 'texts', texts }) as Promise<TextOutcome[]>;
  }

  /** Reads (when changed) and analyses files of the local disk. */
  analyzeFiles(files: FileToAnalyse[]): Promise<FileOutcome[]> {
    return this.request({ type: 'files', files }) as Promise<FileOutcome[]>;
  }

  /** The env store's sources (logic/envSources.ts): reading and parsing Compose files, done by a worker. */
  async resolveEnvSources(request: EditorEnvSourceRequest): Promise<EditorEnvSources> {
    const [sources] = (await this.request({ type: 'envSources', request })) as EditorEnvSources[];
    return sources;
  }

  /** Starts the workers ahead of the first request. */
  warmUp(): void {
    if (!this.disposed) this.startedWorkers();
  }

  dispose(): void {
    this.disposed = true;
    this.adoptEarlyWorker();
    this.stopWorkers();
    for (const pending of this.pending.values()) pending.reject(new AnalyzerStoppedError());
    this.pending.clear();
    this.fileQueue.length = 0;
  }

  private request(work: Work): Promise<unknown[]> {
    if (this.disposed) return Promise.reject(new AnalyzerStoppedError());
    const workers = this.startedWorkers();
    if (workers.length === 0) return this.inThread(work);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { work, resolve, reject });
      if (work.type === 'files') {
        this.fileQueue.push(id);
        this.sendQueuedFiles();
      } else if (work.type === 'texts') {
        // Open documents go to the first worker, so their answers come back in order.
        this.send(id, workers[0]);
      } else {
        this.send(id, this.leastBusy(workers));
      }
    });
  }

  /** Sends queued file batches to the workers with fewer than FILE_BATCHES_IN_FLIGHT requests in hand. */
  private sendQueuedFiles(): void {
    while (this.fileQueue.length > 0 && this.offThread) {
      const worker = this.leastBusyWorker();
      if (!worker) return;
      this.send(this.fileQueue.shift() as number, worker);
    }
  }

  private leastBusyWorker(): Worker | undefined {
    const best = this.leastBusy(this.workers);
    return this.inHand(best) < FILE_BATCHES_IN_FLIGHT ? best : undefined;
  }

  /** The worker with the fewest requests in hand (the first of them on a tie). */
  private leastBusy(workers: Worker[]): Worker {
    return workers.reduce((best, worker) => (this.inHand(worker) < this.inHand(best) ? worker : best));
  }

  private inHand(worker: Worker): number {
    let count = 0;
    for (const pending of this.pending.values()) if (pending.worker === worker) count++;
    return count;
  }

  private send(id: number, worker: Worker): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.worker = worker;
    try {
      worker.postMessage({ id, ...pending.work });
    } catch (error) {
      this.onWorkerLost(`could not be sent a request (${messageOf(error)})`);
    }
  }

  private startedWorkers(): Worker[] {
    if (this.workers.length > 0 || !this.offThread) return this.workers;
    const early = this.adoptEarlyWorker();
    if (early && 'failure' in early) {
      this.fallBack(early.failure);
      return [];
    }
    if (!this.workerFile && !early) {
      this.fallBack('has no worker file');
      return [];
    }
    try {
      if (early) this.workers.push(this.watched(early.worker, early.onlineAfterMs));
      while (this.workerFile && this.workers.length < Math.max(1, this.poolSize)) this.workers.push(this.startWorker(this.workerFile));
      return this.workers;
    } catch (error) {
      this.stopWorkers();
      this.fallBack(`could not start: ${messageOf(error)}`);
      return [];
    }
  }

  /** The early worker, taken over once (and stopped on dispose if it never was). */
  private adoptEarlyWorker(): AdoptedWorker | undefined {
    const early = this.early;
    this.early = undefined;
    if (!early) return undefined;
    const adopted = early.adopt();
    if (this.disposed && 'worker' in adopted) void adopted.worker.terminate().catch(() => undefined);
    return adopted;
  }

  private startWorker(file: string): Worker {
    return this.watched(new Worker(file));
  }

  /** Listens to a worker of the pool; `onlineAfterMs`: it was already online after that long. */
  private watched(worker: Worker, onlineAfterMs?: number): Worker {
    const started = performance.now();
    const traceOnline = (ms: number) => this.log.trace?.(`An analysis worker started in ${Math.round(ms)} ms`);
    if (onlineAfterMs !== undefined) traceOnline(onlineAfterMs);
    else worker.once('online', () => traceOnline(performance.now() - started));
    worker.on('message', (response: EncodedResponse) => this.onResponse(response));
    worker.on('messageerror', (error) => this.onWorkerLost(`sent an unreadable answer (${messageOf(error)})`));
    worker.on('error', (error) => this.onWorkerLost(`failed: ${messageOf(error)}`));
    worker.on('exit', (code) => this.onWorkerLost(`stopped with exit code ${code}`));
    return worker;
  }

  private stopWorkers(): void {
    const workers = this.workers;
    this.workers = [];
    for (const worker of workers) void worker.terminate().catch(() => undefined);
  }

  private onResponse(response: EncodedResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    this.sendQueuedFiles();
    if (!response.ok) {
      pending.reject(new Error(response.message));
      return;
    }
    this.reading = this.reading.then(() => this.readOutcomes(response.outcomes).then(pending.resolve, pending.reject));
  }

  /** The outcomes with their analyses read back, yielding between slices. */
  private async readOutcomes(outcomes: (EncodedTextOutcome | EncodedFileOutcome | EditorEnvSources)[]): Promise<unknown[]> {
    const slice = new TimeSlice(SLICE_MS);
    const read: unknown[] = [];
    for (const outcome of outcomes) {
      if (!('analysis' in outcome)) {
        read.push(outcome);
        continue;
      }
      read.push({ ...outcome, analysis: await this.readAnalysis(outcome.analysis, slice) });
    }
    return read;
  }

  private async readAnalysis(encoded: EncodedAnalysis, slice: TimeSlice): Promise<FlowAnalysis> {
    await slice.yieldIfDue();
    const analysis = readHead(encoded);
    for (const part of encoded.parts) {
      await slice.yieldIfDue();
      if (this.disposed) throw new AnalyzerStoppedError();
      readPart(analysis, part);
    }
    return analysis;
  }

  /** A worker is gone: what the pool was asked is answered on this thread, and so is everything after. */
  private onWorkerLost(reason: string): void {
    if (this.disposed || !this.offThread) return;
    this.stopWorkers();
    this.fallBack(reason);
    const orphans = [...this.pending.values()];
    this.pending.clear();
    this.fileQueue.length = 0;
    for (const orphan of orphans) this.inThread(orphan.work).then(orphan.resolve, orphan.reject);
  }

  private fallBack(reason: string): void {
    if (!this.offThread) return;
    this.fallbackReason = reason;
    this.log.warn(
      `Flows are analysed on the editor's thread from now on, which can make typing in large flows less smooth: the analysis worker ${reason}.`,
    );
  }

  private async inThread(work: Work): Promise<unknown[]> {
    if (work.type === 'envSources') return [resolveEditorEnvSources(work.request)];
    const items: (() => unknown)[] =
      work.type === 'texts' ? work.texts.map((text) => () => analyseText(text)) : work.files.map((file) => () => analyseFile(file));
    const outcomes: unknown[] = [];
    const slice = new TimeSlice(SLICE_MS);
    for (const analyse of items) {
      await slice.yieldIfDue();
      if (this.disposed) throw new AnalyzerStoppedError();
      outcomes.push(analyse());
    }
    return outcomes;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
