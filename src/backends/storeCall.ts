/**
 * How every backend calls its store: connect, run one attempt under a deadline, retry what the store's
 * policy calls transient (honouring the delay a server asks for), and turn any failure into a
 * `BackendError` through the store's classifier, from a description with the call's sensitive strings
 * (a value being written, a password) and the store's credentials replaced. The message of the
 * resulting error is scrubbed once more, so a classifier quoting other text can't leak them either.
 */
import type { Logger } from '../core/log';
import { withRetry } from '../core/retry';
import { BackendError } from '../core/store';
import { describeFailure, scrub } from './common';
import { RedirectRefused, ResponseTooLarge } from './http';

/** One call to a store. */
export interface StoreCall<Connection, T> {
  /** What is being done, as messages name it: "list secrets of company.team". */
  operation: string;
  /** One attempt with the store's connection; `signal` aborts when the attempt's deadline passes or the store closes. */
  attempt: (connection: Connection, signal: AbortSignal) => Promise<T>;
  /** Strings no message may contain: a value being written, a password sent to log in. */
  sensitive?: ReadonlyArray<string | undefined>;
  /** True when the call changes the store: one that timed out may have landed, so policies retry writes less. */
  writes?: boolean;
  /** Deadline of one attempt (ms), instead of the policy's: a long paged listing. */
  timeoutMs?: number;
  /** The caller handles the failure (e.g. recovers from it): not logged even when the policy logs failures. */
  quiet?: boolean;
}

/** What a classifier is told about a failed call. */
export interface FailedCall {
  operation: string;
  /** One line describing the failure (the policy's `describe`, else `describeFailure`), scrubbed. */
  detail: string;
  /** True when the last attempt's deadline passed or the store was closed. */
  aborted: boolean;
  /** Replaces the call's sensitive strings and the store's credentials in other text a message quotes. */
  scrub: (text: string) => string;
}

export interface RetryPolicy {
  attempts: number;
  /** Attempts for a call that `writes` (default `attempts`). */
  attemptsForWrites?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Whether a failure is worth another attempt, and the delay the server asked for. */
  retryable: (error: unknown, call: { writes: boolean; aborted: boolean }) => { retry: boolean; afterMs?: number };
}

export interface StorePolicy<Connection> {
  /** The store's label, for the failures classified here (it may change once the store is known better). */
  label: () => string;
  /** What every call runs with (a client, a logged-in client). A `BackendError` it throws passes unchanged and unlogged. */
  connect: (operation: string) => Connection | Promise<Connection>;
  /** Classifies a failure that is not already a `BackendError`, a refused redirect or a too-large answer. */
  classify: (error: unknown, failed: FailedCall) => BackendError;
  /** One line for a failure, before scrubbing (default `describeFailure`). */
  describe?: (error: unknown) => string;
  /** None: one attempt (the store's client retries itself). */
  retry?: RetryPolicy;
  /** Deadline of one attempt (ms); none: the client's own timeouts bound it. */
  timeoutMs?: number;
  /** Aborted when the store is closed: every attempt in flight stops. */
  lifetime?: AbortSignal;
  /** The store's credentials, never to be quoted in a message. */
  credentials?: () => ReadonlyArray<string | undefined>;
  /** Hints for a redirect that was not followed and for an answer past the size limit. */
  hints?: { redirect?: string; tooLarge?: string };
  /** Where failures are logged (warn), and which; none: the caller reports them. */
  log?: { logger: Logger; when: (error: BackendError) => boolean };
  /** After a failure: repairs the connection (a fresh login) and returns true to run the call once more. */
  recover?: (error: BackendError) => Promise<boolean>;
}

export class StoreCaller<Connection> {
  constructor(private readonly policy: StorePolicy<Connection>) {}

  /** Runs the call; resolves with its result, or rejects with a `BackendError` whose message holds no sensitive string. */
  async run<T>(call: StoreCall<Connection, T>): Promise<T> {
    try {
      return await this.once(call);
    } catch (error) {
      if (!(error instanceof BackendError) || !this.policy.recover || !(await this.policy.recover(error))) throw error;
      return this.once(call);
    }
  }

  private async once<T>(call: StoreCall<Connection, T>): Promise<T> {
    let connection: Connection;
    try {
      connection = await this.policy.connect(call.operation);
    } catch (error) {
      if (error instanceof BackendError) throw error;
      throw this.failed(error, call, false);
    }
    let signal: AbortSignal | undefined;
    const writes = call.writes ?? false;
    const retry = this.policy.retry;
    try {
      return await withRetry(
        () => {
          const deadline = this.attemptDeadline(call);
          signal = deadline.signal;
          return deadlined(call.attempt(connection, signal), signal).finally(deadline.dispose);
        },
        {
          attempts: retry ? (writes ? (retry.attemptsForWrites ?? retry.attempts) : retry.attempts) : 1,
          baseDelayMs: retry?.baseDelayMs ?? 0,
          maxDelayMs: retry?.maxDelayMs ?? 0,
          sleep: retry?.sleep,
          retryable: (error) => retry?.retryable(error, { writes, aborted: signal?.aborted ?? false }) ?? { retry: false },
        },
      );
    } catch (error) {
      throw this.failed(error, call, signal?.aborted ?? false);
    }
  }

  /**
   * The signal of one attempt: aborted when its deadline passes or the store is closed. A timer of our own
   * rather than `AbortSignal.timeout` inside `AbortSignal.any`: Node may collect that timeout signal before
   * it fires (it is held weakly), and the attempt then waits forever.
   */
  private attemptDeadline(call: StoreCall<Connection, unknown>): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const timeoutMs = call.timeoutMs ?? this.policy.timeoutMs;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    const lifetime = this.policy.lifetime;
    const onClose = () => controller.abort(lifetime?.reason);
    if (lifetime?.aborted) onClose();
    else lifetime?.addEventListener('abort', onClose, { once: true });
    const dispose = () => {
      clearTimeout(timer);
      lifetime?.removeEventListener('abort', onClose);
    };
    return { signal: controller.signal, dispose };
  }

  private failed(error: unknown, call: StoreCall<Connection, unknown>, aborted: boolean): BackendError {
    if (error instanceof BackendError) return error;
    const secrets = [...(call.sensitive ?? []), ...(this.policy.credentials?.() ?? [])];
    const scrubbed = (text: string) => scrub(text, secrets);
    const detail = scrubbed((this.policy.describe ?? describeFailure)(error));
    const mapped = this.classify(error, { operation: call.operation, detail, aborted, scrub: scrubbed });
    mapped.message = scrubbed(mapped.message);
    const log = this.policy.log;
    if (log && !call.quiet && log.when(mapped)) log.logger.warn(mapped.message);
    return mapped;
  }

  private classify(error: unknown, failed: FailedCall): BackendError {
    const { hints = {} } = this.policy;
    if (error instanceof RedirectRefused)
      return new BackendError('config', this.policy.label(), failed.operation, error.message, hints.redirect);
    if (error instanceof ResponseTooLarge)
      return new BackendError('server', this.policy.label(), failed.operation, error.message, hints.tooLarge);
    return this.policy.classify(error, failed);
  }
}

/**
 * The attempt, or a rejection as soon as `signal` aborts: some clients (Google's REST transport) ignore
 * their own timeout while waiting for an answer. A cancellable promise (gax) is cancelled then.
 */
function deadlined<T>(attempt: Promise<T>, signal: AbortSignal): Promise<T> {
  attempt.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      (attempt as Promise<T> & { cancel?: () => void }).cancel?.();
      reject(abortReason(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    attempt.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A plain error named like the abort's reason (`TimeoutError` or `AbortError`), which classifiers recognise. */
function abortReason(signal: AbortSignal): Error {
  const name = signal.reason instanceof Error ? signal.reason.name : 'AbortError';
  return Object.assign(new Error(name === 'TimeoutError' ? 'no answer before the deadline' : 'the call was aborted'), { name });
}
