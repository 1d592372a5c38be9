/**
 * Flow analysis off the editor's thread: requests go to one worker thread (dist/analysisWorker.js) and come
 * back in order. Failure is normal: when the worker can't start or dies, the analyzer says so once and
 * analyses on the calling thread from then on, in slices that yield to the event loop between files
 * (requests in flight are answered that way too).
 */
import { Worker } from 'node:worker_threads';
import {
  analyseFile,
  analyseText,
  type AnalysisResponse,
  type FileOutcome,
  type FileToAnalyse,
  type TextOutcome,
} from './analysisProtocol';

export interface AnalyzerLog {
  warn(message: string): void;
}

/** In-thread analysis yields to the event loop once it has run this long. */
const SLICE_MS = 12;

type Work = { type: 'texts'; texts: string[] } | { type: 'files'; files: FileToAnalyse[] };

interface Pending {
  work: Work;
  resolve(outcomes: unknown[]): void;
  reject(error: Error): void;
}

export class AnalyzerStoppedError extends Error {
  constructor() {
    super('The flow analyzer was stopped.');
  }
}

export class FlowAnalyzer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why analysis runs on the calling thread, once it does. */
  private fallbackReason: string | undefined;
  private disposed = false;

  /** `workerFile` undefined: analyse on the calling thread from the start. */
  constructor(
    private readonly workerFile: string | undefined,
    private readonly log: AnalyzerLog,
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

  dispose(): void {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate().catch(() => undefined);
    for (const pending of this.pending.values()) pending.reject(new AnalyzerStoppedError());
    this.pending.clear();
  }

  private request(work: Work): Promise<unknown[]> {
    if (this.disposed) return Promise.reject(new AnalyzerStoppedError());
    const worker = this.startedWorker();
    if (!worker) return this.inThread(work);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { work, resolve, reject });
      try {
        worker.postMessage({ id, ...work });
      } catch (error) {
        this.onWorkerLost(`could not be sent a request (${messageOf(error)})`);
      }
    });
  }

  private startedWorker(): Worker | undefined {
    if (this.worker || !this.offThread) return this.worker;
    if (!this.workerFile) {
      this.fallBack('has no worker file');
      return undefined;
    }
    try {
      const worker = new Worker(this.workerFile);
      worker.on('message', (response: AnalysisResponse) => this.onResponse(response));
      worker.on('messageerror', (error) => this.onWorkerLost(`sent an unreadable answer (${messageOf(error)})`));
      worker.on('error', (error) => this.onWorkerLost(`failed: ${messageOf(error)}`));
      worker.on('exit', (code) => this.onWorkerLost(`stopped with exit code ${code}`));
      this.worker = worker;
      return worker;
    } catch (error) {
      this.fallBack(`could not start: ${messageOf(error)}`);
      return undefined;
    }
  }

  private onResponse(response: AnalysisResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (response.ok) pending.resolve(response.outcomes);
    else pending.reject(new Error(response.message));
  }

  /** The worker is gone: what it was asked is answered on this thread, and so is everything after. */
  private onWorkerLost(reason: string): void {
    if (this.disposed || !this.offThread) return;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate().catch(() => undefined);
    this.fallBack(reason);
    const orphans = [...this.pending.values()];
    this.pending.clear();
    for (const orphan of orphans) this.inThread(orphan.work).then(orphan.resolve, orphan.reject);
  }

  private fallBack(reason: string): void {
    if (!this.offThread) return;
    this.fallbackReason = reason;
    this.log.warn(`Flows are analysed on the editor's thread from now on, which can make typing in large flows less smooth: the analysis worker ${reason}.`);
  }

  private async inThread(work: Work): Promise<unknown[]> {
    const items: (() => unknown)[] =
      work.type === 'texts' ? work.texts.map((text) => () => analyseText(text)) : work.files.map((file) => () => analyseFile(file));
    const outcomes: unknown[] = [];
    let sliceStart = performance.now();
    for (const analyse of items) {
      if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      if (this.disposed) throw new AnalyzerStoppedError();
      outcomes.push(analyse());
    }
    return outcomes;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
