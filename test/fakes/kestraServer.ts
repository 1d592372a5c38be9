/**
 * A loopback Kestra server speaking the secrets part of the REST API (kestra-semantics.md §3):
 * the global listing `GET {root}/secrets` with paging and `filters[namespace|q][EQUALS]`, the deprecated
 * `GET {root}/namespaces/{ns}/secrets`, `inherited-secrets`, `namespaces/search`, and the Enterprise
 * writes (PUT / PATCH / DELETE). `{root}` is `/api/v1/{tenant}`, or `/api/v1` for an old tenantless
 * server. It keeps values (never returned, like the real API) so tests can check what a write sent.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeKestraSecret {
  /** Undefined for OSS env secrets. */
  namespace?: string;
  key: string;
  description?: string;
  tags?: Record<string, string>;
  value?: string;
}

export interface FakeKestraServerOptions {
  edition: 'oss' | 'ee';
  /** The `readOnly` flag of listings; OSS is always read-only. */
  readOnly?: boolean;
  secrets?: FakeKestraSecret[];
  /** No auth block: every request is accepted. */
  auth?: { basic?: { user: string; password: string }; token?: string };
  tenant?: string;
  /** An old server: paths without the tenant segment (`/api/v1/...`). */
  tenantless?: boolean;
  /** An old server without the global `GET /secrets` listing (only `/namespaces/{ns}/secrets`). */
  legacyOnly?: boolean;
  /** A server without `GET /namespaces/{ns}/inherited-secrets`. */
  noInherited?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, decoded. */
  url: string;
  path: string;
  query: URLSearchParams;
  /** The scheme of the Authorization header, never its value. */
  auth: 'basic' | 'bearer' | 'none' | 'other';
  status?: number;
  /** The request body as sent (for tests asserting where a value travelled). */
  bodyText?: string;
}

export interface FakeKestraServer {
  /** Base URL, `http://127.0.0.1:<port>` (no `/api/v1`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests with PUT, PATCH, POST or DELETE that reached the server, whatever their answer. */
  readonly writeCount: number;
  secrets(): FakeKestraSecret[];
  valueOf(namespace: string | undefined, key: string): string | undefined;
  addSecret(secret: FakeKestraSecret): void;
  setReadOnly(readOnly: boolean): void;
  /** Every following request is answered 401, as if the token or password had expired. */
  expireCredentials(): void;
  /** Every following request is answered 403. */
  forbid(): void;
  /** The next `times` requests are answered `status`, with an optional Retry-After (seconds). */
  failNext(status: number, times: number, retryAfterSeconds?: number): void;
  /** After `n` more requests, every request has its socket destroyed (the server went away). */
  goAwayAfter(n: number): void;
  /** Every following request is accepted but never answered (until `restore` or `stop`). */
  hang(): void;
  /** Clears every fault switch. */
  restore(): void;
  stop(): Promise<void>;
}

interface Faults {
  expired: boolean;
  forbidden: boolean;
  failures: { status: number; times: number; retryAfterSeconds?: number } | undefined;
  goAwayCountdown: number | undefined;
  hanging: boolean;
}

interface Route {
  /** Path below the root, split in segments. */
  segments: string[];
  method: string;
  request: RecordedRequest;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const DEFAULT_PAGE_SIZE = 10;

export async function startKestraServer(options: FakeKestraServerOptions): Promise<FakeKestraServer> {
  const state = new FakeState(options);
  const sockets = new Set<Socket>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    void handle(state, req, res, hanging);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const releaseHanging = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests: state.requests,
    get writeCount() {
      return state.writeCount;
    },
    secrets: () => state.store.map(({ value: _value, ...meta }) => ({ ...meta })),
    valueOf: (namespace, key) => state.find(namespace, key)?.value,
    addSecret: (secret) => state.store.push({ ...secret }),
    setReadOnly: (readOnly) => {
      state.readOnly = readOnly;
    },
    expireCredentials: () => {
      state.faults.expired = true;
    },
    forbid: () => {
      state.faults.forbidden = true;
    },
    failNext: (status, times, retryAfterSeconds) => {
      state.faults.failures = { status, times, retryAfterSeconds };
    },
    goAwayAfter: (n) => {
      state.faults.goAwayCountdown = n;
    },
    hang: () => {
      state.faults.hanging = true;
    },
    restore: () => {
      state.faults = noFaults();
      releaseHanging();
    },
    stop: async () => {
      releaseHanging();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function noFaults(): Faults {
  return { expired: false, forbidden: false, failures: undefined, goAwayCountdown: undefined, hanging: false };
}

class FakeState {
  readonly requests: RecordedRequest[] = [];
  writeCount = 0;
  faults = noFaults();
  readOnly: boolean;
  readonly store: FakeKestraSecret[];

  constructor(readonly options: FakeKestraServerOptions) {
    this.readOnly = options.edition === 'oss' || (options.readOnly ?? false);
    this.store = (options.secrets ?? []).map((secret) =>
      options.edition === 'oss' ? { key: secret.key.toUpperCase(), value: secret.value } : { ...secret },
    );
  }

  get isEnterprise(): boolean {
    return this.options.edition === 'ee';
  }

  find(namespace: string | undefined, key: string): FakeKestraSecret | undefined {
    return this.store.find((secret) => secret.namespace === namespace && secret.key === key);
  }
}

async function handle(
  state: FakeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  hanging: Set<http.ServerResponse>,
): Promise<void> {
  const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
  const request: RecordedRequest = {
    method: req.method ?? 'GET',
    url: safeDecode(parsed.pathname + parsed.search),
    path: parsed.pathname,
    query: parsed.searchParams,
    auth: authScheme(req.headers.authorization),
  };
  state.requests.push(request);
  if (['PUT', 'PATCH', 'POST', 'DELETE'].includes(request.method)) state.writeCount++;

  const { faults } = state;
  if (faults.goAwayCountdown !== undefined) {
    if (faults.goAwayCountdown <= 0) {
      req.socket.destroy();
      return;
    }
    faults.goAwayCountdown--;
  }
  if (faults.hanging) {
    hanging.add(res);
    return;
  }
  const text = await readBodyText(req);
  if (text !== undefined) request.bodyText = text;
  const body = parseBody(text);
  const reply = answer(state, req.headers.authorization, request, body);
  request.status = reply.status;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function authScheme(header: string | undefined): RecordedRequest['auth'] {
  if (!header) return 'none';
  const scheme = header.split(' ')[0].toLowerCase();
  return scheme === 'basic' || scheme === 'bearer' ? scheme : 'other';
}

async function readBodyText(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function answer(state: FakeState, authorization: string | undefined, request: RecordedRequest, body: unknown): Reply {
  const { faults } = state;
  if (faults.failures && faults.failures.times > 0) {
    faults.failures.times--;
    const headers: Record<string, string> =
      faults.failures.retryAfterSeconds === undefined ? {} : { 'retry-after': String(faults.failures.retryAfterSeconds) };
    return { status: faults.failures.status, body: { message: 'Try again later' }, headers };
  }
  if (faults.expired || !authorized(state.options.auth, authorization)) {
    return { status: 401, body: { message: 'Unauthorized' }, headers: { 'www-authenticate': 'Basic realm="Kestra"' } };
  }
  if (faults.forbidden) return { status: 403, body: { message: 'Forbidden' } };

  const segments = belowRoot(state, request.path);
  if (!segments) return notFound();
  return route(state, { segments, method: request.method, request, body });
}

function authorized(auth: FakeKestraServerOptions['auth'], header: string | undefined): boolean {
  if (!auth || (!auth.basic && !auth.token)) return true;
  if (!header) return false;
  const [scheme, credential = ''] = header.split(' ');
  if (scheme.toLowerCase() === 'bearer') return auth.token !== undefined && credential === auth.token;
  if (scheme.toLowerCase() === 'basic' && auth.basic) {
    return Buffer.from(credential, 'base64').toString('utf8') === `${auth.basic.user}:${auth.basic.password}`;
  }
  return false;
}

/** The path's segments below `/api/v1/{tenant}` (or `/api/v1` when tenantless); undefined when outside. */
function belowRoot(state: FakeState, path: string): string[] | undefined {
  const segments = path.split('/').filter(Boolean).map(safeDecode);
  const root = state.options.tenantless ? ['api', 'v1'] : ['api', 'v1', state.options.tenant ?? 'main'];
  if (!root.every((segment, index) => segments[index] === segment)) return undefined;
  return segments.slice(root.length);
}

function notFound(): Reply {
  return { status: 404, body: { message: 'Page Not Found' } };
}

function route(state: FakeState, call: Route): Reply {
  const [first, namespace, third, key, ...rest] = call.segments;
  if (first === 'secrets' && call.segments.length === 1) {
    if (state.options.legacyOnly) return notFound();
    return call.method === 'GET' ? listGlobal(state, call.request.query) : methodNotAllowed();
  }
  if (first !== 'namespaces' || namespace === undefined || rest.length > 0) return notFound();
  if (namespace === 'search' && third === undefined) {
    return call.method === 'GET' ? searchNamespaces(state, call.request.query) : methodNotAllowed();
  }
  if (third === 'inherited-secrets' && key === undefined) {
    if (state.options.noInherited) return notFound();
    return call.method === 'GET' ? inherited(state, namespace) : methodNotAllowed();
  }
  if (third !== 'secrets') return notFound();
  if (key === undefined) {
    if (call.method === 'GET') return listNamespace(state, namespace, call.request.query);
    if (call.method === 'PUT') return put(state, namespace, call.body);
    return methodNotAllowed();
  }
  if (call.method === 'PATCH') return patch(state, namespace, key, call.body);
  if (call.method === 'DELETE') return remove(state, namespace, key);
  return methodNotAllowed();
}

function methodNotAllowed(): Reply {
  return { status: 405, body: { message: 'Method Not Allowed' } };
}

function listGlobal(state: FakeState, query: URLSearchParams): Reply {
  let secrets = textFiltered(state.store, query.get('filters[q][EQUALS]'));
  const namespace = query.get('filters[namespace][EQUALS]');
  if (namespace !== null && state.isEnterprise) secrets = secrets.filter((secret) => secret.namespace === namespace);
  return { status: 200, body: page(state, secrets, query) };
}

function listNamespace(state: FakeState, namespace: string, query: URLSearchParams): Reply {
  const secrets = state.isEnterprise ? state.store.filter((secret) => secret.namespace === namespace) : state.store;
  return { status: 200, body: page(state, textFiltered(secrets, query.get('filters[q][EQUALS]')), query) };
}

/** OSS honours only `q`: a case-insensitive "contains" on the key. */
function textFiltered(secrets: FakeKestraSecret[], text: string | null): FakeKestraSecret[] {
  if (!text) return secrets;
  return secrets.filter((secret) => secret.key.toLowerCase().includes(text.toLowerCase()));
}

function page(state: FakeState, secrets: FakeKestraSecret[], query: URLSearchParams) {
  const number = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const size = Math.max(1, Number(query.get('size') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE);
  const sorted = [...secrets].sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.key.localeCompare(b.key));
  const results = sorted.slice((number - 1) * size, number * size).map((secret) => wireMeta(state, secret));
  return { readOnly: state.readOnly, results, total: sorted.length };
}

function wireMeta(state: FakeState, secret: FakeKestraSecret) {
  if (!state.isEnterprise) return { key: secret.key };
  return {
    key: secret.key,
    namespace: secret.namespace,
    ...(secret.description === undefined ? {} : { description: secret.description }),
    tags: Object.entries(secret.tags ?? {}).map(([key, value]) => ({ key, value })),
  };
}

function inherited(state: FakeState, namespace: string): Reply {
  if (!state.isEnterprise) return { status: 200, body: { [namespace]: state.store.map((secret) => secret.key) } };
  const byNamespace: Record<string, string[]> = {};
  for (const parent of parentsOf(namespace)) {
    const keys = state.store.filter((secret) => secret.namespace === parent).map((secret) => secret.key);
    if (keys.length > 0) byNamespace[parent] = keys.sort();
  }
  return { status: 200, body: byNamespace };
}

function parentsOf(namespace: string): string[] {
  const parts = namespace.split('.');
  return parts.slice(1).map((_part, index) => parts.slice(0, index + 1).join('.'));
}

function searchNamespaces(state: FakeState, query: URLSearchParams): Reply {
  const ids = new Set<string>();
  for (const secret of state.store) {
    if (secret.namespace === undefined) continue;
    for (const namespace of [...parentsOf(secret.namespace), secret.namespace]) ids.add(namespace);
  }
  const sorted = [...ids].sort();
  const number = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const size = Math.max(1, Number(query.get('size') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE);
  const results = sorted.slice((number - 1) * size, number * size).map((id) => ({ id, deleted: false }));
  return { status: 200, body: { results, total: sorted.length } };
}

function writeRefusal(state: FakeState): Reply | undefined {
  if (!state.isEnterprise) return methodNotAllowed();
  if (state.readOnly) return { status: 403, body: { message: 'The secret manager is read-only' } };
  return undefined;
}

function put(state: FakeState, namespace: string, body: unknown): Reply {
  const refusal = writeRefusal(state);
  if (refusal) return refusal;
  const input = body as { key?: unknown; value?: unknown; description?: unknown; tags?: unknown } | null;
  if (!input || typeof input.key !== 'string' || !input.key || typeof input.value !== 'string' || !input.value) {
    return { status: 422, body: { message: 'Invalid entity: key and value are required' } };
  }
  const existing = state.find(namespace, input.key);
  const secret: FakeKestraSecret = existing ?? { namespace, key: input.key };
  secret.value = input.value;
  secret.description = typeof input.description === 'string' ? input.description : undefined;
  secret.tags = tagRecord(input.tags);
  if (!existing) state.store.push(secret);
  return { status: 200, body: [wireMeta(state, secret)] };
}

function patch(state: FakeState, namespace: string, key: string, body: unknown): Reply {
  const refusal = writeRefusal(state);
  if (refusal) return refusal;
  const secret = state.find(namespace, key);
  if (!secret) return { status: 404, body: { message: `Secret '${key}' not found` } };
  const input = (body ?? {}) as { description?: unknown; tags?: unknown };
  if ('description' in input) secret.description = typeof input.description === 'string' ? input.description : undefined;
  if ('tags' in input) secret.tags = tagRecord(input.tags);
  return { status: 200, body: [wireMeta(state, secret)] };
}

function remove(state: FakeState, namespace: string, key: string): Reply {
  const refusal = writeRefusal(state);
  if (refusal) return refusal;
  const index = state.store.findIndex((secret) => secret.namespace === namespace && secret.key === key);
  if (index < 0) return { status: 404, body: { message: `Secret '${key}' not found` } };
  state.store.splice(index, 1);
  return { status: 200 };
}

function tagRecord(tags: unknown): Record<string, string> {
  if (!Array.isArray(tags)) return {};
  const record: Record<string, string> = {};
  for (const tag of tags as Array<{ key?: unknown; value?: unknown }>) {
    if (typeof tag?.key === 'string' && typeof tag.value === 'string') record[tag.key] = tag.value;
  }
  return record;
}
