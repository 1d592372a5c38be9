/**
 * Long work on the editor's thread, cut in slices of time: the event loop runs between them, so the thread is
 * never held longer than a slice (plus the step that ends it). Pure Node.
 */

/** Lets the event loop run once: pending I/O, messages and timers go first. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lets the event loop run once the work since the last yield has taken `budgetMs`. */
export class TimeSlice {
  private started: number;

  constructor(
    private readonly budgetMs: number,
    private readonly yieldNow: () => Promise<void> = yieldToEventLoop,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  async yieldIfDue(): Promise<void> {
    if (this.now() - this.started < this.budgetMs) return;
    await this.yieldNow();
    this.started = this.now();
  }
}
