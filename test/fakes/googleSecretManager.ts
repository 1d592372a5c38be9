/**
 * A loopback Google Secret Manager speaking the v1 REST API (the wire protocol of the official client's
 * REST transport): list with `filter`/`pageSize`/`pageToken`, create, get, patch (labels/annotations),
 * delete, addVersion, access.
 * Requests must carry `Authorization: Bearer <JWT>` signed (RS256) by a registered service-account key,
 * which is what google-auth-library sends for a service-account key (a self-signed JWT).
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultQueue, type InjectedFault, type StatusFault } from './faults';

export interface StoredGoogleSecret {
  id: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createTime: string;
  versions: Buffer[];
}

export type GoogleFault = Exclude<InjectedFault, { kind: 'status' }> | Omit<StatusFault, 'retryAfterSeconds'>;

export interface RecordedGoogleRequest {
  method: string;
  path: string;
  filter?: string;
  write: boolean;
}

export interface GoogleFake {
  /** `http://127.0.0.1:<port>`, for `endpoint-override`. */
  url: string;
  project: string;
  secrets: Map<string, StoredGoogleSecret>;
  requests: RecordedGoogleRequest[];
  addSecret(id: string, init: { labels?: Record<string, string>; annotations?: Record<string, string>; value?: string }): void;
  /** A service-account key JSON (the file's content) the fake accepts. */
  serviceAccountKey(email?: string): string;
  writeRequests(): number;
  inject(fault: GoogleFault): void;
  close(): Promise<void>;
}

export interface GoogleFakeOptions {
  project?: string;
  /** The largest page the fake returns, whatever pageSize asks (the real service caps at 25,000). */
  maxPageSize?: number;
}

export async function startGoogleSecretManager(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const project = options.project ?? 'kestra-test';
  const maxPageSize = options.maxPageSize ?? 100;
  const secrets = new Map<string, StoredGoogleSecret>();
  const requests: RecordedGoogleRequest[] = [];
  const publicKeys = new Map<string, crypto.KeyObject>();
  const faults = new FaultQueue();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void serve(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const write = method !== 'GET';
    requests.push({ method, path: url.pathname, filter: url.searchParams.get('filter') ?? undefined, write });
    const fault = await faults.apply(res);
    if (fault === 'hung') return;
    if (fault) return sendError(res, fault.status, fault.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', 'Injected fault.');
    if (!authorized(req.headers.authorization)) {
      return sendError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    route(method, url, body, res);
  }

  function authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const [head, payload, signature] = token?.split('.') ?? [];
    if (!head || !payload || !signature) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string; exp?: number };
    const key = publicKeys.get(claims.iss ?? '');
    if (!key || (claims.exp ?? 0) * 1000 < Date.now()) return false;
    return crypto.verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), key, Buffer.from(signature, 'base64url'));
  }

  function route(method: string, url: URL, body: string, res: http.ServerResponse): void {
    const match = /^\/v1\/projects\/([^/]+)\/secrets(?:\/([^/:]+))?(?:\/versions\/([^/:]+))?(?::(addVersion|access))?$/.exec(url.pathname);
    if (!match || match[1] !== project) return sendError(res, 404, 'NOT_FOUND', `Unknown resource ${url.pathname}.`);
    const [, , secretId, version, verb] = match;
    if (!secretId && method === 'GET') return list(url, res);
    if (!secretId && method === 'POST') return create(url.searchParams.get('secretId') ?? '', body, res);
    const secret = secrets.get(secretId ?? '');
    if (!secret) return sendError(res, 404, 'NOT_FOUND', `Secret [projects/${project}/secrets/${secretId}] not found.`);
    if (verb === 'addVersion' && method === 'POST') return addVersion(secret, body, res);
    if (verb === 'access' && method === 'GET') return access(secret, version ?? 'latest', res);
    if (!verb && !version && method === 'GET') return send(res, 200, resource(secret));
    if (!verb && !version && method === 'PATCH') return update(secret, url.searchParams.get('updateMask') ?? '', body, res);
    if (!verb && !version && method === 'DELETE') {
      secrets.delete(secret.id);
      return send(res, 200, {});
    }
    sendError(res, 400, 'INVALID_ARGUMENT', `Unsupported ${method} ${url.pathname}.`);
  }

  function list(url: URL, res: http.ServerResponse): void {
    let matches: (secret: StoredGoogleSecret) => boolean;
    try {
      matches = parseFilter(url.searchParams.get('filter') ?? '', project);
    } catch (error) {
      return sendError(res, 400, 'INVALID_ARGUMENT', (error as Error).message);
    }
    const all = [...secrets.values()].filter(matches).sort((a, b) => a.id.localeCompare(b.id));
    const start = Number(url.searchParams.get('pageToken') || '0');
    const size = Math.min(maxPageSize, Number(url.searchParams.get('pageSize') || maxPageSize));
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    send(res, 200, { secrets: page.map(resource), ...(next ? { nextPageToken: next } : {}), totalSize: all.length });
  }

  function create(id: string, body: string, res: http.ServerResponse): void {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) return sendError(res, 400, 'INVALID_ARGUMENT', `Invalid secret id "${id}".`);
    if (secrets.has(id)) return sendError(res, 409, 'ALREADY_EXISTS', `Secret [projects/${project}/secrets/${id}] already exists.`);
    const input = JSON.parse(body || '{}') as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const badLabel = Object.entries(input.labels ?? {}).find(
      ([k, v]) => !/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v),
    );
    if (badLabel) return sendError(res, 400, 'INVALID_ARGUMENT', `Invalid label ${badLabel[0]}.`);
    const secret = {
      id,
      labels: input.labels ?? {},
      annotations: input.annotations ?? {},
      createTime: new Date().toISOString(),
      versions: [],
    };
    secrets.set(id, secret);
    send(res, 200, resource(secret));
  }

  function update(secret: StoredGoogleSecret, mask: string, body: string, res: http.ServerResponse): void {
    const input = JSON.parse(body || '{}') as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const fields = mask.split(',').filter(Boolean);
    if (fields.length === 0 || fields.some((field) => field !== 'labels' && field !== 'annotations')) {
      return sendError(res, 400, 'INVALID_ARGUMENT', `Unsupported update mask "${mask}".`);
    }
    if (fields.includes('labels')) secret.labels = input.labels ?? {};
    if (fields.includes('annotations')) secret.annotations = input.annotations ?? {};
    send(res, 200, resource(secret));
  }

  function addVersion(secret: StoredGoogleSecret, body: string, res: http.ServerResponse): void {
    const input = JSON.parse(body || '{}') as { payload?: { data?: string } };
    secret.versions.push(Buffer.from(input.payload?.data ?? '', 'base64'));
    const name = `projects/${project}/secrets/${secret.id}/versions/${secret.versions.length}`;
    send(res, 200, { name, createTime: new Date().toISOString(), state: 'ENABLED' });
  }

  function access(secret: StoredGoogleSecret, version: string, res: http.ServerResponse): void {
    const index = version === 'latest' ? secret.versions.length : Number(version);
    const data = secret.versions[index - 1];
    if (!data)
      return sendError(res, 404, 'NOT_FOUND', `Secret Version [projects/${project}/secrets/${secret.id}/versions/${version}] not found.`);
    const name = `projects/${project}/secrets/${secret.id}/versions/${index}`;
    send(res, 200, { name, payload: { data: data.toString('base64') } });
  }

  function resource(secret: StoredGoogleSecret): Record<string, unknown> {
    return {
      name: `projects/${project}/secrets/${secret.id}`,
      replication: { automatic: {} },
      createTime: secret.createTime,
      labels: secret.labels,
      annotations: secret.annotations,
      etag: `"${secret.versions.length}"`,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    project,
    secrets,
    requests,
    addSecret(id, init) {
      const versions = init.value === undefined ? [] : [Buffer.from(init.value, 'utf8')];
      secrets.set(id, {
        id,
        labels: init.labels ?? {},
        annotations: init.annotations ?? {},
        createTime: new Date().toISOString(),
        versions,
      });
    },
    serviceAccountKey(email = `kestra@${project}.iam.gserviceaccount.com`) {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      publicKeys.set(email, publicKey);
      return JSON.stringify({
        type: 'service_account',
        project_id: project,
        private_key_id: crypto.randomBytes(8).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: '1234567890',
        token_uri: `http://127.0.0.1:${port}/token`,
      });
    },
    writeRequests: () => requests.filter((request) => request.write).length,
    inject: (fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        faults.releaseHanging();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code: status, message, status: code } });
}

// ---- the list filter subset: comparisons `labels.k=v`, `labels.k:*`, `name:text`, AND / OR / ( ) ----
// As in Google's filter syntax, OR binds tighter than AND; `name:` matches a substring of the secret id.

type Matcher = (secret: StoredGoogleSecret) => boolean;

export function parseFilter(filter: string, project: string): Matcher {
  const tokens = filter.match(/"(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const conjunction = (): Matcher => {
    const parts = [disjunction()];
    while (peek() !== undefined && peek() !== ')') {
      if (peek() === 'AND') position++;
      parts.push(disjunction());
    }
    return (secret) => parts.every((part) => part(secret));
  };
  const disjunction = (): Matcher => {
    const parts = [primary()];
    while (peek() === 'OR') {
      position++;
      parts.push(primary());
    }
    return (secret) => parts.some((part) => part(secret));
  };
  const primary = (): Matcher => {
    const token = tokens[position++];
    if (token === '(') {
      const inner = conjunction();
      if (tokens[position++] !== ')') throw new Error('Unbalanced parentheses in filter.');
      return inner;
    }
    if (token === undefined) throw new Error('Filter ends unexpectedly.');
    return comparison(token, project);
  };
  if (tokens.length === 0) return () => true;
  const matcher = conjunction();
  if (position !== tokens.length) throw new Error(`Unexpected "${tokens[position]}" in filter.`);
  return matcher;
}

function comparison(token: string, project: string): Matcher {
  const match = /^([a-zA-Z_.]+)([=:])(.+)$/.exec(token);
  if (!match) throw new Error(`Invalid filter term "${token}".`);
  const [, field, operator, raw] = match as unknown as [string, string, string, string];
  const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  if (field.startsWith('labels.')) {
    const label = field.slice('labels.'.length);
    if (operator === ':' && value === '*') return (secret) => label in secret.labels;
    return (secret) => secret.labels[label] === value;
  }
  if (field === 'name') {
    const full = (secret: StoredGoogleSecret) => `projects/${project}/secrets/${secret.id}`;
    return operator === ':' ? (secret) => full(secret).includes(value) : (secret) => secret.id === value;
  }
  throw new Error(`Unsupported filter field "${field}".`);
}
