/**
 * Caching for backend calls: a TTL + LRU cache that keeps expired values for stale fallback, a
 * coalescer that makes concurrent identical requests share one call, and `CachedLoader` combining both.
 */

export interface TtlCacheOptions {
  /** Entries kept at most (least recently used evicted first); 0 keeps nothing. */
  maximumSize: number;
  /** How long a value is fresh after it was set; 0 means never fresh (only kept for stale fallback). */
  ttlMs: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly now: () => number;

  constructor(private readonly options: TtlCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The fresh value, or undefined when absent or expired. */
  get(key: string): V | undefined {
    return this.getFresh(key)?.value;
  }

  /** The fresh entry (distinguishes a cached `undefined` from a miss). */
  getFresh(key: string): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    this.touch(key, entry);
    return { value: entry.value };
  }

  /** The last value set, even when expired: for showing stale data when a refresh fails. */
  getStale(key: string): V | undefined {
    return this.getStaleEntry(key)?.value;
  }

  getStaleEntry(key: string): { value: V } | undefined {
    const entry = this.entries.get(key);
    return entry ? { value: entry.value } : undefined;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.options.maximumSize <= 0) return;
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maximumSize) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Makes matching entries expire now while keeping them for stale fallback. */
  expire(matches: (key: string) => boolean = () => true): void {
    for (const [key, entry] of this.entries) {
      if (matches(key)) entry.expiresAt = Number.NEGATIVE_INFINITY;
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}

/** Concurrent `run` calls with the same key share one in-flight promise. */
export class Coalescer<V> {
  private readonly inFlight = new Map<string, Promise<V>>();

  get size(): number {
    return this.inFlight.size;
  }

  run(key: string, task: () => Promise<V>): Promise<V> {
    const current = this.inFlight.get(key);
    if (current) return current;
    const shared = invoke(task).finally(() => {
      if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
    });
    this.inFlight.set(key, shared);
    return shared;
  }

  /** Later calls for matching keys start a new task even while the current one still runs. */
  forget(matches: (key: string) => boolean = () => true): void {
    for (const key of [...this.inFlight.keys()]) {
      if (matches(key)) this.inFlight.delete(key);
    }
  }
}

function invoke<V>(task: () => Promise<V>): Promise<V> {
  try {
    return Promise.resolve(task());
  } catch (error) {
    return Promise.reject(error);
  }
}

export interface Loaded<V> {
  value: V;
  /** True when the loader failed and this is the last known value. */
  stale: boolean;
  /** The failure, when stale. */
  error?: unknown;
}

/**
 * `load(key, loader)`: the cached value within the TTL, else one shared call of `loader`; when that
 * fails, the last known value marked stale, else the error is rethrown.
 */
export class CachedLoader<V> {
  private readonly cache: TtlCache<V>;
  private readonly coalescer = new Coalescer<V>();
  /** Identifies the current load of each key, so a load overtaken by `invalidate` does not fill the cache. */
  private readonly currentLoads = new Map<string, object>();

  constructor(options: TtlCacheOptions) {
    this.cache = new TtlCache<V>(options);
  }

  async load(key: string, loader: () => Promise<V>): Promise<Loaded<V>> {
    const fresh = this.cache.getFresh(key);
    if (fresh) return { value: fresh.value, stale: false };
    try {
      const value = await this.coalescer.run(key, () => this.loadAndStore(key, loader));
      return { value, stale: false };
    } catch (error) {
      const last = this.cache.getStaleEntry(key);
      if (last) return { value: last.value, stale: true, error };
      throw error;
    }
  }

  /** Forces the next `load` of matching keys (all when no predicate) to call its loader again. */
  invalidate(matches: (key: string) => boolean = () => true): void {
    this.cache.expire(matches);
    this.coalescer.forget(matches);
    for (const key of [...this.currentLoads.keys()]) {
      if (matches(key)) this.currentLoads.delete(key);
    }
  }

  clear(): void {
    this.invalidate();
    this.cache.clear();
  }

  private async loadAndStore(key: string, loader: () => Promise<V>): Promise<V> {
    const token = {};
    this.currentLoads.set(key, token);
    try {
      const value = await loader();
      if (this.currentLoads.get(key) === token) this.cache.set(key, value);
      return value;
    } finally {
      if (this.currentLoads.get(key) === token) this.currentLoads.delete(key);
    }
  }
}
