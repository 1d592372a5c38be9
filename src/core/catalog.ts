/**
 * The secret catalog: routes each namespace to the backend responsible for it (nearest `namespaces`
 * entry, else the global one), merges a namespace's own and inherited secrets (child first, nearest
 * wins), caches and coalesces listings, falls back to stale data on failure, and guards writes.
 * Everything the checks, the CLI and the editor know about secrets comes through here.
 */
import {
  BackendError,
  readOnlyError,
  type BackendContext,
  type BackendFactory,
  type DroppedDefinition,
  type IncompleteCause,
  type SecretBackend,
  type SecretMeta,
  type WriteOptions,
} from './store';
import { CachedLoader, type Loaded } from './cache';
import type { VisibleSecret, VisibleSecrets } from './catalogTypes';
import { backendForNamespace } from './config';
import type { KestraSecretsConfig, SecretBackendConfig } from './configTypes';
import { namespaceChain } from './namespaces';
import { rememberSecretValue } from './redaction';
import type { Problem } from './types';

export interface SecretCatalogOptions {
  /** Builds a backend for a configuration: the stores live outside the core (src/backends), which hands this in. */
  factory: BackendFactory;
  /** Listing TTL when the configuration's `cache.enabled` is false (the editor passes e.g. 30 s); none: coalescing only. */
  editorDefaultTtlMs?: number;
  /** Clock for cache expiry (tests). */
  now?: () => number;
}

/** One backend with its caches; shared by every scope whose configuration is identical. */
interface Managed {
  backend: SecretBackend;
  lists: CachedLoader<SecretMeta[]>;
  subkeys: CachedLoader<string[] | undefined>;
  namespaces: CachedLoader<string[]>;
}

/** The listing of one level of a namespace chain. */
interface LevelListing {
  managed: Managed;
  /** The namespace this level stands for (for a namespace-less store: where it was reached). */
  level: string;
  secrets: SecretMeta[];
  stale: boolean;
  error?: string;
  /** Why this level's listing may lack keys. */
  gaps: IncompleteCause[];
  dropped: DroppedDefinition[];
}

/** Cache key of a namespace-less store's listing: the same for every namespace. */
const ALL_NAMESPACES = '*';
const SEPARATOR = '\u0000';

export class SecretCatalog {
  private readonly byScope = new Map<string, Managed>();
  private readonly byFingerprint = new Map<string, Managed>();
  private readonly factory: BackendFactory;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly config: KestraSecretsConfig,
    private readonly context: BackendContext,
    private readonly options: SecretCatalogOptions,
  ) {
    this.factory = options.factory;
  }

  /** The backend responsible for a namespace (nearest-ancestor routing). May throw when it can't be created. */
  backendFor(namespace: string): SecretBackend {
    return this.managedFor(namespace).backend;
  }

  /** Every configured backend (global and dedicated), created on first call; ones that fail to start are logged and skipped. */
  backends(): SecretBackend[] {
    return this.allManaged().map((managed) => managed.backend);
  }

  /** What `namespace` can see, sorted by key. Never throws for listing failures: see `error` and `stale`. */
  async visible(namespace: string): Promise<VisibleSecrets> {
    let own: Managed;
    try {
      own = this.managedFor(namespace);
    } catch (error) {
      return this.unavailable(namespace, error);
    }
    const levels = await this.levelListings(namespace, own);
    const errors = [...new Set(levels.flatMap((listing) => (listing.error ? [listing.error] : [])))];
    const result: VisibleSecrets = {
      namespace,
      backendType: own.backend.type,
      backendLabel: own.backend.label,
      readOnly: own.backend.readOnlyFor(namespace),
      caseInsensitive: own.backend.caseInsensitiveKeys,
      secrets: mergeLevels(namespace, levels, own.backend.caseInsensitiveKeys),
    };
    if (levels.some((listing) => listing.stale)) result.stale = true;
    if (errors.length > 0) result.error = errors.join(' ');
    const gaps = uniqueById(levels.flatMap((listing) => listing.gaps));
    if (gaps.length > 0) result.incomplete = gaps;
    const dropped = levels.flatMap((listing) => listing.dropped);
    if (dropped.length > 0) result.dropped = dropped;
    return result;
  }

  /** Namespaces known to the backends (each kept only where it routes to the backend that reported it), plus the dedicated ones. */
  /**
   * `visible` with the fields of the given keys filled in where the listing did not know them
   * (stores without a keys-only API, when reading values is allowed). Field names only, never values.
   */
  async withSubkeys(visible: VisibleSecrets, keys: Iterable<string>): Promise<VisibleSecrets> {
    if (!this.context.readValuesForSubkeys) return visible;
    const wanted = new Set([...keys].map((key) => (visible.caseInsensitive ? key.toUpperCase() : key)));
    const subkeyErrors: string[] = [];
    const secrets = await Promise.all(
      visible.secrets.map(async (secret) => {
        const name = visible.caseInsensitive ? secret.key.toUpperCase() : secret.key;
        if (secret.subkeys !== undefined || !wanted.has(name)) return secret;
        const { subkeys, error } = await this.subkeysOrError(secret.fromNamespace ?? visible.namespace, secret.key);
        if (error) subkeyErrors.push(error);
        return subkeys === undefined
          ? secret
          : { ...secret, subkeys, valueKind: subkeys.length > 0 ? ('json-object' as const) : secret.valueKind };
      }),
    );
    return subkeyErrors.length > 0 ? { ...visible, secrets, subkeyErrors } : { ...visible, secrets };
  }

  async namespaces(): Promise<string[]> {
    const { namespaces, errors } = await this.namespacesWithErrors();
    for (const error of errors) this.context.log.warn(error);
    return namespaces;
  }

  /** `namespaces()`, with the failures of the stores that could not list theirs (one message each). */
  async namespacesWithErrors(): Promise<{ namespaces: string[]; errors: string[] }> {
    const found = new Set(Object.keys(this.config.namespaces));
    const errors: string[] = [];
    await Promise.all(
      this.allManaged().map(async (managed) => {
        try {
          const { value } = await managed.namespaces.load('', () => managed.backend.listNamespaces());
          for (const namespace of value) if (this.routesTo(namespace, managed)) found.add(namespace);
        } catch (error) {
          errors.push(this.messageFor(error, managed.backend, 'list namespaces'));
        }
      }),
    );
    return { namespaces: [...found].sort(compareKeys), errors };
  }

  /** Forgets cached listings: all of them, or what `visible(namespace)` depends on. Last known data stays for stale fallback. */
  refresh(namespace?: string): void {
    if (namespace === undefined) {
      for (const managed of this.byFingerprint.values()) {
        managed.lists.invalidate();
        managed.subkeys.invalidate();
        managed.namespaces.invalidate();
      }
    } else {
      const levels = new Set([...namespaceChain(namespace), ALL_NAMESPACES]);
      for (const managed of this.byFingerprint.values()) {
        managed.lists.invalidate((key) => levels.has(key));
        managed.subkeys.invalidate((key) => levels.has(key.split(SEPARATOR)[0]));
        managed.namespaces.invalidate();
      }
    }
    this.changed();
  }

  /** Creates or updates a secret; refuses without calling the backend when it is read-only. */
  async put(namespace: string, key: string, value: string, options?: WriteOptions): Promise<void> {
    rememberSecretValue(value);
    const managed = this.writableManaged(namespace, `save secret '${key}' in ${namespace}`);
    await managed.backend.put(namespace, key, value, options);
    this.afterWrite(managed, namespace, key);
  }

  /** Deletes a secret; refuses without calling the backend when it is read-only. */
  async delete(namespace: string, key: string): Promise<void> {
    const managed = this.writableManaged(namespace, `delete secret '${key}' in ${namespace}`);
    await managed.backend.delete(namespace, key);
    this.afterWrite(managed, namespace, key);
  }

  /** The value, for an explicit user request. Pass the namespace the secret is defined in (`fromNamespace`). */
  async reveal(namespace: string, key: string): Promise<string> {
    const value = await this.managedFor(namespace).backend.reveal(namespace, key);
    rememberSecretValue(value);
    return value;
  }

  /** Top-level JSON fields of a secret (cached); undefined when unknown or when the store can't tell. Never throws. */
  async subkeys(namespace: string, key: string): Promise<string[] | undefined> {
    const { subkeys, error } = await this.subkeysOrError(namespace, key);
    if (error) this.context.log.warn(error);
    return subkeys;
  }

  /** `subkeys`, with the failure's message instead of a warning (never throws). */
  private async subkeysOrError(namespace: string, key: string): Promise<{ subkeys?: string[]; error?: string }> {
    let managed: Managed | undefined;
    try {
      managed = this.managedFor(namespace);
      const backend = managed.backend;
      const loaded = await managed.subkeys.load(`${namespace}${SEPARATOR}${key}`, () => backend.subkeys(namespace, key));
      return {
        subkeys: loaded.value,
        error: loaded.stale ? this.messageFor(loaded.error, backend, `read the fields of '${key}'`) : undefined,
      };
    } catch (error) {
      return { error: managed ? this.messageFor(error, managed.backend, `read the fields of '${key}'`) : errorText(error) };
    }
  }

  /** Problems in the stores' own definitions (env backend: invalid base64, key collisions). */
  async definitionProblems(): Promise<Problem[]> {
    const perBackend = await Promise.all(
      this.backends().map(async (backend) => {
        try {
          return await backend.definitionProblems();
        } catch (error) {
          this.context.log.warn(this.messageFor(error, backend, 'check its definitions'));
          return [];
        }
      }),
    );
    return perBackend.flat();
  }

  /** Called after writes and refreshes, so views can re-query. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    for (const managed of this.byFingerprint.values()) {
      try {
        managed.backend.dispose();
      } catch (error) {
        this.context.log.debug(`disposing ${managed.backend.label}: ${errorText(error)}`);
      }
      managed.lists.clear();
      managed.subkeys.clear();
      managed.namespaces.clear();
    }
    this.byFingerprint.clear();
    this.byScope.clear();
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------------

  private managedFor(namespace: string): Managed {
    const { config, scope } = backendForNamespace(this.config, namespace);
    return this.managedForScope(scope ?? '', config);
  }

  private managedForScope(scope: string, config: SecretBackendConfig): Managed {
    const existing = this.byScope.get(scope);
    if (existing) return existing;
    // Identical configurations (e.g. two dedicated entries pointing at one store) share one backend and cache.
    const fingerprint = JSON.stringify(config);
    let managed = this.byFingerprint.get(fingerprint);
    if (!managed) {
      managed = this.createManaged(config);
      this.byFingerprint.set(fingerprint, managed);
    }
    this.byScope.set(scope, managed);
    return managed;
  }

  private createManaged(config: SecretBackendConfig): Managed {
    const backend = this.factory(config, this.context);
    const cacheOptions = {
      maximumSize: config.cache.maximumSize,
      ttlMs: config.cache.enabled ? config.cache.expireAfterWriteMs : (this.options.editorDefaultTtlMs ?? 0),
      now: this.options.now,
    };
    return {
      backend,
      lists: new CachedLoader<SecretMeta[]>(cacheOptions),
      subkeys: new CachedLoader<string[] | undefined>(cacheOptions),
      namespaces: new CachedLoader<string[]>(cacheOptions),
    };
  }

  private allManaged(): Managed[] {
    const scopes: [string, SecretBackendConfig][] = [['', this.config.secret], ...Object.entries(this.config.namespaces)];
    const all = new Set<Managed>();
    for (const [scope, config] of scopes) {
      try {
        all.add(this.managedForScope(scope, config));
      } catch (error) {
        this.context.log.error(
          `${scope ? `namespace ${scope}` : 'global'} secrets backend (${config.type}) unavailable: ${errorText(error)}`,
        );
      }
    }
    return [...all];
  }

  private routesTo(namespace: string, managed: Managed): boolean {
    try {
      return this.managedFor(namespace) === managed;
    } catch {
      return false;
    }
  }

  /** The listings `namespace` sees: each chain level through the backend owning that level. */
  private async levelListings(namespace: string, own: Managed): Promise<LevelListing[]> {
    if (!own.backend.namespaced) return [await this.listLevel(own, namespace)];
    const seenNamespaceLess = new Set<Managed>();
    const pending: Promise<LevelListing>[] = [];
    for (const level of namespaceChain(namespace)) {
      let managed: Managed;
      try {
        managed = this.managedFor(level);
      } catch (error) {
        const message = errorText(error);
        pending.push(
          Promise.resolve({
            managed: own,
            level,
            secrets: [],
            stale: false,
            error: message,
            gaps: [storeGap(own.backend.label, message, false)],
            dropped: [],
          }),
        );
        continue;
      }
      if (!managed.backend.namespaced) {
        // A namespace-less store shows the same keys at every level: list it once, where first reached.
        if (seenNamespaceLess.has(managed)) continue;
        seenNamespaceLess.add(managed);
      }
      pending.push(this.listLevel(managed, level));
    }
    return Promise.all(pending);
  }

  private async listLevel(managed: Managed, level: string): Promise<LevelListing> {
    const backend = managed.backend;
    const cacheKey = backend.namespaced ? level : ALL_NAMESPACES;
    try {
      const loaded: Loaded<SecretMeta[]> = await managed.lists.load(cacheKey, () => backend.list(level));
      const { gaps, dropped } = await this.listingNotes(backend);
      const listing: LevelListing = { managed, level, secrets: loaded.value, stale: loaded.stale, gaps, dropped };
      if (loaded.stale) {
        listing.error = this.messageFor(loaded.error, backend, `list secrets of ${level}`);
        listing.gaps = [...gaps, storeGap(backend.label, listing.error, true)];
      }
      return listing;
    } catch (error) {
      const message = this.messageFor(error, backend, `list secrets of ${level}`);
      return { managed, level, secrets: [], stale: false, error: message, gaps: [storeGap(backend.label, message, false)], dropped: [] };
    }
  }

  /** What the backend says about its own listing's completeness; nothing when it can't say. */
  private async listingNotes(backend: SecretBackend): Promise<{ gaps: IncompleteCause[]; dropped: DroppedDefinition[] }> {
    try {
      const [gaps, dropped] = await Promise.all([backend.listingGaps?.() ?? [], backend.droppedDefinitions?.() ?? []]);
      return { gaps, dropped };
    } catch (error) {
      this.context.log.debug(`${backend.label}: listing notes: ${errorText(error)}`);
      return { gaps: [], dropped: [] };
    }
  }

  private writableManaged(namespace: string, operation: string): Managed {
    const managed = this.managedFor(namespace);
    if (managed.backend.readOnlyFor(namespace)) throw readOnlyError(managed.backend.label, operation);
    return managed;
  }

  private afterWrite(managed: Managed, namespace: string, key: string): void {
    managed.lists.invalidate((cacheKey) => cacheKey === namespace || cacheKey === ALL_NAMESPACES);
    managed.subkeys.invalidate((cacheKey) => cacheKey === `${namespace}${SEPARATOR}${key}`);
    managed.namespaces.invalidate();
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.context.log.debug(`change listener failed: ${errorText(error)}`);
      }
    }
  }

  /** A user-facing message: a BackendError's own, else a generic but actionable one (details go to the debug log). */
  private messageFor(error: unknown, backend: SecretBackend, operation: string): string {
    if (error instanceof BackendError) return error.message;
    this.context.log.debug(`${backend.label}: ${operation}: ${errorText(error)}`);
    return `${backend.label}: ${operation} failed unexpectedly. Check the configuration and the connection, then refresh.`;
  }

  private unavailable(namespace: string, error: unknown): VisibleSecrets {
    const { config } = backendForNamespace(this.config, namespace);
    return {
      namespace,
      backendType: config.type,
      backendLabel: config.type,
      readOnly: config.readOnly,
      caseInsensitive: false,
      secrets: [],
      error: errorText(error),
      incomplete: [storeGap(config.type, errorText(error), false)],
    };
  }
}

/** A store that failed: its secrets are unknown until it answers (with the last listing kept when `stale`). */
function storeGap(label: string, message: string, stale: boolean): IncompleteCause {
  return {
    id: `store:${label}`,
    source: label,
    reason: stale ? 'could not be listed again, so its last listing is used' : 'could not be listed',
    fix: message,
  };
}

function uniqueById(causes: IncompleteCause[]): IncompleteCause[] {
  const byId = new Map<string, IncompleteCause>();
  for (const cause of causes) if (!byId.has(cause.id)) byId.set(cause.id, cause);
  return [...byId.values()];
}

/** Child first, nearest wins; farther definitions of the same key are recorded in `shadows`. */
function mergeLevels(namespace: string, levels: LevelListing[], caseInsensitive: boolean): VisibleSecret[] {
  const byKey = new Map<string, { secret: VisibleSecret; managed: Managed }>();
  for (const listing of levels) {
    for (const meta of listing.secrets) {
      const name = caseInsensitive ? meta.key.toUpperCase() : meta.key;
      const origin = meta.namespace ?? listing.level;
      const nearer = byKey.get(name);
      if (!nearer) {
        byKey.set(name, {
          secret: { ...meta, fromNamespace: meta.namespace, inherited: origin !== namespace, shadows: [] },
          managed: listing.managed,
        });
      } else if (!isSameSecret(nearer, meta, listing.managed)) {
        if (!nearer.secret.shadows.includes(origin)) nearer.secret.shadows.push(origin);
      }
    }
  }
  return [...byKey.values()].map((entry) => entry.secret).sort((a, b) => compareKeys(a.key, b.key));
}

/** A namespace-less secret (no `namespace`) shows at every level of its store: it does not shadow itself. */
function isSameSecret(nearer: { secret: VisibleSecret; managed: Managed }, meta: SecretMeta, managed: Managed): boolean {
  return nearer.managed === managed && nearer.secret.fromNamespace === undefined && meta.namespace === undefined;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
