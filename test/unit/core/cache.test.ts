import { strict as assert } from 'node:assert';
import { CachedLoader, Coalescer, TtlCache } from '../../../src/core/cache';

function clock(start = 1000) {
  const state = { now: start };
  return { now: () => state.now, advance: (ms: number) => (state.now += ms) };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TtlCache', () => {
  it('returns values until they expire, then keeps them as stale', () => {
    const time = clock();
    const cache = new TtlCache<string>({ maximumSize: 10, ttlMs: 100, now: time.now });
    cache.set('k', 'v');
    assert.equal(cache.get('k'), 'v');
    time.advance(99);
    assert.equal(cache.get('k'), 'v');
    time.advance(1);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.getStale('k'), 'v');
    cache.delete('k');
    assert.equal(cache.getStale('k'), undefined);
  });

  it('evicts the least recently used entry beyond maximum size', () => {
    const cache = new TtlCache<number>({ maximumSize: 2, ttlMs: 1000 });
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recently used
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.getStale('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  it('distinguishes a cached undefined from a miss', () => {
    const cache = new TtlCache<string | undefined>({ maximumSize: 5, ttlMs: 1000 });
    cache.set('k', undefined);
    assert.deepEqual(cache.getFresh('k'), { value: undefined });
    assert.equal(cache.getFresh('other'), undefined);
  });

  it('keeps nothing with maximum size 0 and nothing fresh with ttl 0', () => {
    const none = new TtlCache<number>({ maximumSize: 0, ttlMs: 1000 });
    none.set('a', 1);
    assert.equal(none.getStale('a'), undefined);
    const neverFresh = new TtlCache<number>({ maximumSize: 5, ttlMs: 0 });
    neverFresh.set('a', 1);
    assert.equal(neverFresh.get('a'), undefined);
    assert.equal(neverFresh.getStale('a'), 1);
  });

  it('expire() makes entries stale, clear() drops them', () => {
    const cache = new TtlCache<number>({ maximumSize: 5, ttlMs: 1000 });
    cache.set('x:1', 1);
    cache.set('y:1', 2);
    cache.expire((key) => key.startsWith('x:'));
    assert.equal(cache.get('x:1'), undefined);
    assert.equal(cache.getStale('x:1'), 1);
    assert.equal(cache.get('y:1'), 2);
    cache.clear();
    assert.equal(cache.size, 0);
  });
});

describe('Coalescer', () => {
  it('shares one in-flight call between concurrent callers of the same key', async () => {
    const coalescer = new Coalescer<number>();
    let calls = 0;
    const gate = deferred<number>();
    const task = () => {
      calls++;
      return gate.promise;
    };
    const results = Array.from({ length: 50 }, () => coalescer.run('k', task));
    const other = coalescer.run('other', async () => 7);
    gate.resolve(42);
    assert.deepEqual(await Promise.all(results), Array(50).fill(42));
    assert.equal(await other, 7);
    assert.equal(calls, 1);
    assert.equal(coalescer.size, 0);
    await coalescer.run('k', task);
    assert.equal(calls, 2, 'a call after completion starts a new task');
  });

  it('shares failures too and turns synchronous throws into rejections', async () => {
    const coalescer = new Coalescer<number>();
    const boom = () => {
      throw new Error('sync boom');
    };
    await assert.rejects(coalescer.run('k', boom), /sync boom/);
    const failing = () => Promise.reject(new Error('async boom'));
    await assert.rejects(Promise.all([coalescer.run('k', failing), coalescer.run('k', failing)]), /async boom/);
    assert.equal(coalescer.size, 0);
  });

  it('forget() lets the next caller start afresh', async () => {
    const coalescer = new Coalescer<string>();
    const first = deferred<string>();
    const p1 = coalescer.run('k', () => first.promise);
    coalescer.forget();
    const p2 = coalescer.run('k', async () => 'second');
    assert.equal(await p2, 'second');
    first.resolve('first');
    assert.equal(await p1, 'first');
  });
});

describe('CachedLoader', () => {
  it('serves within the TTL without calling the loader, then reloads', async () => {
    const time = clock();
    const loader = new CachedLoader<number>({ maximumSize: 10, ttlMs: 60_000, now: time.now });
    let calls = 0;
    const load = async () => ++calls;
    assert.deepEqual(await loader.load('k', load), { value: 1, stale: false });
    assert.deepEqual(await loader.load('k', load), { value: 1, stale: false });
    time.advance(60_000);
    assert.deepEqual(await loader.load('k', load), { value: 2, stale: false });
    assert.equal(calls, 2);
  });

  it('coalesces concurrent loads even with ttl 0', async () => {
    const loader = new CachedLoader<number>({ maximumSize: 10, ttlMs: 0 });
    let calls = 0;
    const gate = deferred<number>();
    const pending = Array.from({ length: 50 }, () =>
      loader.load('k', () => {
        calls++;
        return gate.promise;
      }),
    );
    gate.resolve(5);
    const results = await Promise.all(pending);
    assert.ok(results.every((result) => result.value === 5 && !result.stale));
    assert.equal(calls, 1);
    await loader.load('k', async () => ++calls);
    assert.equal(calls, 2, 'ttl 0: nothing is fresh afterwards');
  });

  it('falls back to the last value marked stale, or rethrows when there is none', async () => {
    const time = clock();
    const loader = new CachedLoader<string>({ maximumSize: 10, ttlMs: 10, now: time.now });
    const failure = new Error('unreachable');
    await assert.rejects(
      loader.load('k', () => Promise.reject(failure)),
      /unreachable/,
    );
    await loader.load('k', async () => 'good');
    time.advance(10);
    const result = await loader.load('k', () => Promise.reject(failure));
    assert.deepEqual(result, { value: 'good', stale: true, error: failure });
    assert.deepEqual(await loader.load('k', async () => 'better'), { value: 'better', stale: false });
  });

  it('invalidate() forces a reload and a load overtaken by it does not fill the cache', async () => {
    const loader = new CachedLoader<string>({ maximumSize: 10, ttlMs: 60_000 });
    await loader.load('a', async () => 'a1');
    await loader.load('b', async () => 'b1');
    loader.invalidate((key) => key === 'a');
    assert.equal((await loader.load('a', async () => 'a2')).value, 'a2');
    assert.equal((await loader.load('b', async () => 'b2')).value, 'b1');

    const slow = deferred<string>();
    const old = loader.load('c', () => slow.promise);
    loader.invalidate();
    const fresh = await loader.load('c', async () => 'new');
    slow.resolve('old');
    assert.equal((await old).value, 'old');
    assert.equal(fresh.value, 'new');
    assert.equal((await loader.load('c', async () => 'newer')).value, 'new', 'the overtaken load did not overwrite');
  });

  it('invalidate() keeps the last value for stale fallback', async () => {
    const loader = new CachedLoader<string>({ maximumSize: 10, ttlMs: 60_000 });
    await loader.load('k', async () => 'known');
    loader.invalidate();
    const result = await loader.load('k', () => Promise.reject(new Error('down')));
    assert.equal(result.value, 'known');
    assert.equal(result.stale, true);
    loader.clear();
    await assert.rejects(
      loader.load('k', () => Promise.reject(new Error('down'))),
      /down/,
    );
  });
});
