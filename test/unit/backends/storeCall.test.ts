import { strict as assert } from 'node:assert';
import { BackendError } from '../../../src/core/store';
import { networkFailureKind } from '../../../src/backends/common';
import { RedirectRefused } from '../../../src/backends/http';
import { StoreCaller, type FailedCall, type StorePolicy } from '../../../src/backends/storeCall';
import { recordingLogger } from '../recordingLogger';

const VALUE = 'value-being-written-CANARY';
const TOKEN = 'store-token-CANARY';

/** A policy whose classifier quotes the raw failure, as a careless one would. */
function policy(overrides: Partial<StorePolicy<string>> = {}): StorePolicy<string> {
  return {
    label: () => 'Test store',
    connect: () => 'connection',
    classify: (error: unknown, failed: FailedCall) =>
      new BackendError(networkFailureKind(error) ?? 'server', 'Test store', failed.operation, `${String((error as Error).message)}.`),
    credentials: () => [TOKEN],
    ...overrides,
  };
}

describe('StoreCaller: the one way backends call their store', () => {
  it('never lets a value being written or a credential through, even when the classifier quotes the raw failure', async () => {
    const lines: string[] = [];
    const caller = new StoreCaller(policy({ log: { logger: recordingLogger(lines), when: () => true } }));
    const failure = caller.run({
      operation: 'save K',
      sensitive: [VALUE],
      attempt: async () => {
        throw new Error(`the store echoed ${VALUE} with ${TOKEN}`);
      },
    });
    await assert.rejects(failure, (error: unknown) => error instanceof BackendError && !/CANARY/.test(error.message));
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines.join('\n'), /CANARY/);
  });

  it('retries what the policy calls transient, fewer times for a write, and then classifies the last failure', async () => {
    const attemptsFor = async (writes: boolean) => {
      let attempts = 0;
      const caller = new StoreCaller(
        policy({
          retry: { attempts: 3, attemptsForWrites: 2, baseDelayMs: 1, maxDelayMs: 1, retryable: () => ({ retry: true }) },
        }),
      );
      await assert.rejects(
        caller.run({
          operation: 'op',
          writes,
          attempt: async () => {
            attempts++;
            throw new Error('HTTP 503');
          },
        }),
        { name: 'BackendError', kind: 'server' },
      );
      return attempts;
    };
    assert.equal(await attemptsFor(false), 3);
    assert.equal(await attemptsFor(true), 2);
  });

  it('ends an attempt that ignores its signal at the deadline, as a timeout, and cancels it', async () => {
    let cancelled = false;
    let aborted: boolean | undefined;
    const caller = new StoreCaller(
      policy({
        timeoutMs: 50,
        classify: (error, failed) => {
          aborted = failed.aborted;
          return new BackendError(networkFailureKind(error) ?? 'server', 'Test store', failed.operation, failed.detail);
        },
      }),
    );
    const hanging = Object.assign(new Promise<never>(() => undefined), { cancel: () => (cancelled = true) });
    await assert.rejects(caller.run({ operation: 'list', attempt: () => hanging }), { kind: 'timeout' });
    assert.equal(aborted, true);
    assert.equal(cancelled, true);
  });

  it('passes a BackendError from connect unchanged and unlogged, and classifies a refused redirect with the policy hint', async () => {
    const lines: string[] = [];
    const refused = new BackendError('config', 'Test store', 'connect', 'no address is configured.');
    const unconfigured = new StoreCaller(
      policy({
        connect: () => {
          throw refused;
        },
        log: { logger: recordingLogger(lines), when: () => true },
      }),
    );
    await assert.rejects(unconfigured.run({ operation: 'list', attempt: async () => 'never' }), (error: unknown) => error === refused);
    assert.deepEqual(lines, []);

    const redirected = new StoreCaller(policy({ hints: { redirect: 'Set the address to the one it redirects to.' } }));
    const error = await redirected
      .run({
        operation: 'list',
        attempt: async () => {
          throw new RedirectRefused(302, 'https://elsewhere.example');
        },
      })
      .catch((failure: unknown) => failure);
    assert.ok(error instanceof BackendError);
    assert.equal(error.kind, 'config');
    assert.match(error.message, /redirect \(HTTP 302\) to https:\/\/elsewhere\.example.*Set the address/);
  });

  it('runs the call once more after the policy repaired the connection (an expired login)', async () => {
    let attempts = 0;
    let renewals = 0;
    const caller = new StoreCaller(
      policy({
        classify: (_error, failed) => new BackendError('permission', 'Test store', failed.operation, 'permission denied.'),
        recover: async (error) => error.kind === 'permission' && renewals++ === 0,
      }),
    );
    const result = await caller.run({
      operation: 'read',
      attempt: async () => {
        attempts++;
        if (attempts === 1) throw new Error('403');
        return 'value';
      },
    });
    assert.equal(result, 'value');
    assert.equal(attempts, 2);
    assert.equal(renewals, 1);
  });
});
