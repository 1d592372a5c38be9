/** Fault injection shared by the loopback fakes: throttling/5xx answers, hung requests, added latency. */
import type * as http from 'node:http';

export type InjectedFault =
  | { kind: 'status'; status: 429 | 500 | 503; count: number; retryAfterSeconds?: number }
  | { kind: 'hang'; count: number }
  | { kind: 'latency'; ms: number; count: number };

export type StatusFault = Extract<InjectedFault, { kind: 'status' }>;

export class FaultQueue {
  private readonly queue: InjectedFault[] = [];
  private readonly hanging = new Set<http.ServerResponse>();

  push(fault: InjectedFault): void {
    this.queue.push({ ...fault });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Ends every request left hanging (on close). */
  releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
  }

  /**
   * Uses up one occurrence of the next fault: `'hung'` when the request is left unanswered, the status
   * fault for the caller to answer in its service's error shape, or undefined (after any latency) to go on.
   */
  async apply(res: http.ServerResponse): Promise<'hung' | StatusFault | undefined> {
    const fault = this.queue[0];
    if (!fault) return undefined;
    if (--fault.count <= 0) this.queue.shift();
    if (fault.kind === 'hang') {
      this.hanging.add(res);
      return 'hung';
    }
    if (fault.kind === 'latency') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return undefined;
    }
    return fault;
  }
}
