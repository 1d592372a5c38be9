/**
 * A loopback stand-in for HashiCorp Vault's HTTP API: health, token lookup, userpass and AppRole
 * logins, and the KV v2 engine (`data`, `metadata` incl. LIST, `subkeys`), with `X-Vault-Token`
 * checks (403 `{"errors":["permission denied"]}`), `X-Vault-Namespace` partitioning, a write-request
 * counter and fault injection. Binds 127.0.0.1 on an ephemeral port.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeVaultToken {
  /** Path prefixes (e.g. `secret/data/app1`) this token may use; undefined: everything (root). */
  paths?: string[];
  /** Denies writes and deletes. */
  readOnly?: boolean;
}

export type VaultFault =
  | { kind: 'status'; status: number; count: number; retryAfter?: string; path?: string }
  | { kind: 'latency'; ms: number; count: number; path?: string }
  | { kind: 'hang'; count: number; path?: string };

export interface FakeVaultOptions {
  tokens?: Record<string, FakeVaultToken>;
  userpass?: Record<string, { password: string; token?: FakeVaultToken }>;
  approle?: { mount?: string; roles: Record<string, { secretId: string; token?: FakeVaultToken }> };
  /** KV v2 mounts per Vault namespace ('' is the root namespace). Default `{'': ['secret']}`. */
  mounts?: Record<string, string[]>;
  /** Serve HTTPS with this certificate (PEM) instead of HTTP. */
  tls?: { cert: string; key: string };
}

interface KvVersion {
  data: Record<string, unknown>;
  created: string;
  deleted?: string;
}

interface KvEntry {
  versions: KvVersion[];
  customMetadata: Record<string, string> | null;
  created: string;
  updated: string;
}

export interface FakeVault {
  url: string;
  rootToken: string;
  requests: { method: string; path: string; namespace: string; token?: string }[];
  /** Writes a KV v2 secret directly (as an admin would), bypassing the API. */
  seed(path: string, data: Record<string, unknown>, options?: { mount?: string; namespace?: string }): void;
  read(path: string, options?: { mount?: string; namespace?: string }): Record<string, unknown> | undefined;
  writeRequests(): number;
  /** Revokes every token issued by a login (as their TTL running out would). */
  revokeLoginTokens(): void;
  inject(fault: VaultFault): void;
  close(): Promise<void>;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startVault(options: FakeVaultOptions = {}): Promise<FakeVault> {
  const rootToken = 'root-token-' + randomBytes(6).toString('hex');
  const tokens = new Map<string, FakeVaultToken>([[rootToken, {}], ...Object.entries(options.tokens ?? {})]);
  const mounts = options.mounts ?? { '': ['secret'] };
  const approleMount = options.approle?.mount ?? 'approle';
  const stores = new Map<string, Map<string, KvEntry>>();
  const requests: FakeVault['requests'] = [];
  const faults: VaultFault[] = [];
  const sockets = new Set<Socket>();

  const store = (namespace: string, mount: string) => {
    const id = `${namespace}|${mount}`;
    let entries = stores.get(id);
    if (!entries) stores.set(id, (entries = new Map()));
    return entries;
  };
  const writeKv = (namespace: string, mount: string, path: string, data: Record<string, unknown>): KvEntry => {
    const now = new Date().toISOString();
    const entries = store(namespace, mount);
    const entry = entries.get(path) ?? { versions: [], customMetadata: null, created: now, updated: now };
    entry.versions.push({ data, created: now });
    entry.updated = now;
    entries.set(path, entry);
    return entry;
  };
  const versionMetadata = (entry: KvEntry) => {
    const latest = entry.versions[entry.versions.length - 1] as KvVersion;
    return {
      created_time: latest.created,
      custom_metadata: entry.customMetadata,
      deletion_time: latest.deleted ?? '',
      destroyed: false,
      version: entry.versions.length,
    };
  };

  const takeFault = (path: string): VaultFault | undefined => {
    const index = faults.findIndex((fault) => fault.count > 0 && (!fault.path || path.startsWith(fault.path)));
    if (index < 0) return undefined;
    const fault = faults[index] as VaultFault;
    fault.count--;
    if (fault.count === 0) faults.splice(index, 1);
    return fault;
  };

  const send = (_response: unknown, status: number, body?: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    body,
    headers,
  });
  const errors = (response: unknown, status: number, ...messages: string[]) => send(response, status, { errors: messages });
  const envelope = (data: unknown, auth: unknown = null) => ({
    request_id: randomBytes(8).toString('hex'),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth,
  });
  const issueToken = (grant: FakeVaultToken | undefined, policies: string[]) => {
    const token = 'hvs.' + randomBytes(12).toString('hex');
    tokens.set(token, grant ?? {});
    return {
      client_token: token,
      accessor: randomBytes(8).toString('hex'),
      policies,
      token_policies: policies,
      lease_duration: 3600,
      renewable: true,
    };
  };

  async function handle(request: RawRequest, raw: Buffer): Promise<Reply | 'hang'> {
    const response = undefined;
    const url = new URL(request.url ?? '/', 'http://vault');
    const method =
      request.method === 'GET' && url.searchParams.get('list') && ['true', '1'].includes(url.searchParams.get('list') as string)
        ? 'LIST'
        : (request.method ?? 'GET');
    const namespace = String(request.headers['x-vault-namespace'] ?? '').replace(/^\/|\/$/g, '');
    const token = typeof request.headers['x-vault-token'] === 'string' ? request.headers['x-vault-token'] : undefined;
    const path = url.pathname
      .replace(/^\/v1\//, '')
      .split('/')
      .map(decodeURIComponent)
      .join('/');
    requests.push({ method, path, namespace, token });
    let body: Record<string, unknown> = {};
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return errors(response, 400, 'failed to parse JSON input');
    }
    if (!url.pathname.startsWith('/v1/')) return errors(response, 404, 'not found');

    const fault = takeFault(path);
    if (fault?.kind === 'hang') return 'hang';
    if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === 'status')
      return send(
        response,
        fault.status,
        { errors: [fault.status === 429 ? 'request path "' + path + '": rate limit quota exceeded' : 'internal error'] },
        fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {},
      );

    if (path === 'sys/health')
      return send(response, 200, {
        initialized: true,
        sealed: false,
        standby: false,
        performance_standby: false,
        version: '1.15.6',
        cluster_name: 'fake-vault',
        server_time_utc: Math.floor(Date.now() / 1000),
      });

    const userpass = /^auth\/userpass\/login\/([^/]+)$/.exec(path);
    if (userpass && method === 'POST') {
      const user = options.userpass?.[userpass[1] as string];
      if (!user || user.password !== body.password) return errors(response, 400, 'invalid username or password');
      return send(response, 200, envelope(null, issueToken(user.token, ['default'])));
    }
    if (path === `auth/${approleMount}/login` && method === 'POST') {
      const role = Object.entries(options.approle?.roles ?? {}).find(([roleId]) => roleId === body.role_id)?.[1];
      if (!role || role.secretId !== body.secret_id) return errors(response, 400, 'invalid role or secret ID');
      return send(response, 200, envelope(null, issueToken(role.token, ['default'])));
    }

    const grant = token ? tokens.get(token) : undefined;
    if (!grant) return errors(response, 403, 'permission denied');
    if (path === 'auth/token/lookup-self' && method === 'GET') {
      return send(
        response,
        200,
        envelope({
          id: token,
          policies: grant.paths ? ['default'] : ['root'],
          ttl: grant.paths ? 3600 : 0,
          display_name: 'token',
          renewable: false,
        }),
      );
    }

    const [mount = '', endpoint = '', ...rest] = path.split('/');
    if (!(mounts[namespace] ?? []).includes(mount) || !['data', 'metadata', 'subkeys'].includes(endpoint)) {
      return errors(response, 404, `no handler for route "${path}". route entry not found.`);
    }
    const allowed =
      (!grant.paths || grant.paths.some((prefix) => path.startsWith(prefix))) && !(grant.readOnly && WRITE_METHODS.has(method));
    if (!allowed) return errors(response, 403, '1 error occurred:\n\t* permission denied\n\n');
    const secretPath = rest.join('/').replace(/\/$/, '');
    const entries = store(namespace, mount);
    const entry = entries.get(secretPath);
    const latestVersion = entry?.versions[entry.versions.length - 1];
    const live = latestVersion && !latestVersion.deleted ? entry : undefined;

    if (endpoint === 'data') {
      if (method === 'GET') {
        if (!live) return errors(response, 404);
        const latest = live.versions[live.versions.length - 1] as KvVersion;
        return send(response, 200, envelope({ data: latest.data, metadata: versionMetadata(live) }));
      }
      if (method === 'POST' || method === 'PUT') {
        if (!body.data || typeof body.data !== 'object') return errors(response, 400, 'no data provided');
        const written = writeKv(namespace, mount, secretPath, body.data as Record<string, unknown>);
        return send(response, 200, envelope(versionMetadata(written)));
      }
      if (method === 'DELETE') {
        const latest = entry?.versions[entry.versions.length - 1];
        if (latest) latest.deleted = new Date().toISOString();
        return send(response, 204);
      }
    }
    if (endpoint === 'metadata') {
      if (method === 'LIST') {
        const prefix = secretPath ? `${secretPath}/` : '';
        const children = new Set<string>();
        for (const key of entries.keys()) {
          if (!key.startsWith(prefix)) continue;
          const remainder = key.slice(prefix.length);
          const slash = remainder.indexOf('/');
          children.add(slash < 0 ? remainder : remainder.slice(0, slash + 1));
        }
        if (children.size === 0) return errors(response, 404);
        return send(response, 200, envelope({ keys: [...children].sort() }));
      }
      if (method === 'GET') {
        if (!entry) return errors(response, 404);
        const versions = Object.fromEntries(
          entry.versions.map((version, index) => [
            String(index + 1),
            { created_time: version.created, deletion_time: version.deleted ?? '', destroyed: false },
          ]),
        );
        return send(
          response,
          200,
          envelope({
            created_time: entry.created,
            updated_time: entry.updated,
            current_version: entry.versions.length,
            custom_metadata: entry.customMetadata,
            max_versions: 0,
            versions,
          }),
        );
      }
      if (method === 'POST' || method === 'PUT') {
        const target = entry ?? {
          versions: [],
          customMetadata: null,
          created: new Date().toISOString(),
          updated: new Date().toISOString(),
        };
        if (body.custom_metadata !== undefined) target.customMetadata = body.custom_metadata as Record<string, string>;
        entries.set(secretPath, target);
        return send(response, 204);
      }
      if (method === 'DELETE') {
        entries.delete(secretPath);
        return send(response, 204);
      }
    }
    if (endpoint === 'subkeys' && method === 'GET') {
      if (!live) return errors(response, 404);
      const depth = Number(url.searchParams.get('depth') ?? '0');
      const latest = live.versions[live.versions.length - 1] as KvVersion;
      return send(response, 200, envelope({ subkeys: subkeysOf(latest.data, depth, 1), metadata: versionMetadata(live) }));
    }
    return errors(response, 405, 'unsupported operation');
  }

  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, handle);
  };
  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    rootToken,
    requests,
    seed: (path, data, where = {}) => void writeKv(where.namespace ?? '', where.mount ?? 'secret', path, data),
    read: (path, where = {}) => {
      const entry = store(where.namespace ?? '', where.mount ?? 'secret').get(path);
      const latest = entry?.versions[entry.versions.length - 1];
      return latest && !latest.deleted ? latest.data : undefined;
    },
    revokeLoginTokens: () => {
      for (const token of tokens.keys()) if (token.startsWith('hvs.')) tokens.delete(token);
    },
    writeRequests: () => requests.filter((entry) => WRITE_METHODS.has(entry.method) && !entry.path.startsWith('auth/')).length,
    inject: (fault) => void faults.push({ ...fault }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** KV v2 `subkeys`: the data's structure with every leaf value replaced by null, down to `depth` (0 = all). */
function subkeysOf(data: Record<string, unknown>, depth: number, level: number): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      value && typeof value === 'object' && !Array.isArray(value) && (depth === 0 || level < depth)
        ? subkeysOf(value as Record<string, unknown>, depth, level + 1)
        : null,
    ]),
  );
}

interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers: Record<string, string>;
}

/**
 * A minimal HTTP/1.1 server loop: Node's HTTP parser rejects Vault's `LIST` method, which real Vault
 * clients (node-vault included) send, so requests are parsed here (Content-Length bodies, keep-alive).
 */
function serveConnection(socket: Socket, handle: (request: RawRequest, body: Buffer) => Promise<Reply | 'hang'>) {
  let buffered = Buffer.alloc(0);
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const [requestLine = '', ...headerLines] = buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
        const [method = '', url = '/'] = requestLine.split(' ');
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? '0');
        if (buffered.length < headEnd + 4 + length) return;
        const body = buffered.subarray(headEnd + 4, headEnd + 4 + length);
        buffered = buffered.subarray(headEnd + 4 + length);
        const reply = await handle({ method, url, headers }, body);
        if (reply === 'hang' || socket.destroyed) return;
        const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
        const head = [
          `HTTP/1.1 ${reply.status} ${http.STATUS_CODES[reply.status] ?? 'Status'}`,
          ...(text ? ['Content-Type: application/json'] : []),
          `Content-Length: ${Buffer.byteLength(text)}`,
          ...Object.entries(reply.headers).map(([name, value]) => `${name}: ${value}`),
          '',
          '',
        ].join('\r\n');
        socket.write(head + text);
      }
    } finally {
      busy = false;
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    void pump();
  });
  socket.on('error', () => socket.destroy());
}
