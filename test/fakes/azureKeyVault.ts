/**
 * A loopback Azure Key Vault speaking the Key Vault REST API 7.x over HTTPS, with its bearer challenge:
 * an unauthenticated request gets `401` + `WWW-Authenticate: Bearer authorization=…, resource=https://vault.azure.net`.
 *
 * Reaching it under a real vault host name (`<vault>.vault.azure.net`, which the SDK's challenge check
 * requires) without touching DNS: the fake is also an HTTP proxy (for `HTTPS_PROXY`) that answers
 * `CONNECT` for `*.vault.azure.net`, `login.microsoftonline.com` and localhost by handing the tunnel to its
 * own TLS server (another loopback port is tunnelled to as it is), and refuses every other host, so nothing
 * leaves loopback. The TLS certificate comes from
 * `createTestCertificate` (trusted by the client through `NODE_EXTRA_CA_CERTS`).
 * `login.microsoftonline.com` serves a minimal Microsoft Entra token endpoint (client credentials).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { FaultQueue, type InjectedFault } from './faults';

export interface StoredAzureSecret {
  name: string;
  versions: { id: string; value: string; tags: Record<string, string>; created: number; enabled: boolean }[];
  deleted?: boolean;
}

export type AzureFault = InjectedFault;

export interface RecordedAzureRequest {
  method: string;
  host: string;
  path: string;
  authorized: boolean;
  write: boolean;
}

export interface AzureFake {
  /** `http://127.0.0.1:<port>`: the proxy, for `HTTPS_PROXY`. */
  proxyUrl: string;
  /** `https://localhost:<port>`: the TLS server directly. */
  directUrl: string;
  tenantId: string;
  secrets: Map<string, StoredAzureSecret>;
  requests: RecordedAzureRequest[];
  /** Access tokens the vault accepts (the az stand-in prints one of these). */
  tokens: Set<string>;
  /** Client-credential apps the token endpoint knows: client id → client secret. */
  apps: Map<string, string>;
  tokenRequests: number;
  /** When set, every authenticated vault request is answered with a 307 to this origin (same path and query). */
  redirectAuthenticatedTo?: string;
  addSecret(name: string, init: { value?: string; tags?: Record<string, string>; enabled?: boolean }): void;
  writeRequests(): number;
  inject(fault: AzureFault): void;
  /** Forgets secrets, recorded requests and pending faults (tokens and apps stay). */
  reset(): void;
  close(): Promise<void>;
}

export interface AzureFakeOptions {
  cert: string;
  key: string;
  tenantId?: string;
  /** Key Vault returns at most 25 items a page. */
  maxPageSize?: number;
}

const API_VERSION_PATTERN = /^7\.\d+(-preview)?$/;

export async function startAzureKeyVault(options: AzureFakeOptions): Promise<AzureFake> {
  const tenantId = options.tenantId ?? 'kestra-test-tenant';
  const maxPageSize = options.maxPageSize ?? 25;
  const secrets = new Map<string, StoredAzureSecret>();
  const requests: RecordedAzureRequest[] = [];
  const tokens = new Set<string>();
  const apps = new Map<string, string>();
  const faults = new FaultQueue();
  const sockets = new Set<Socket>();
  let tokenRequests = 0;

  const tlsServer = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void serve(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const proxy = http.createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('The loopback proxy only tunnels to the fake Azure hosts.\n');
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const host = (req.url ?? '').replace(/:\d+$/, '');
    if (!host.endsWith('.vault.azure.net') && !['login.microsoftonline.com', 'localhost', '127.0.0.1'].includes(host)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const port = Number(/:(\d+)$/.exec(req.url ?? '')?.[1]);
    if (['localhost', '127.0.0.1'].includes(host) && port && port !== (tlsServer.address() as AddressInfo).port) {
      tunnelToLoopback(port, socket, head);
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    tlsServer.emit('connection', socket);
  });
  /** Another loopback port (a test's other origin) is tunnelled to as it is, like a real proxy would. */
  function tunnelToLoopback(port: number, socket: Socket, head: Buffer): void {
    const upstream = net.connect(port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
  for (const server of [tlsServer, proxy]) {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host === 'login.microsoftonline.com') return serveLogin(req, res, body);
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authorized = token !== undefined && tokens.has(token);
    requests.push({ method, host, path: url.pathname, authorized, write: authorized && method !== 'GET' });
    if (!authorized) {
      res.writeHead(401, {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`,
        'content-type': 'application/json; charset=utf-8',
      });
      res.end(
        JSON.stringify({
          error: {
            code: 'Unauthorized',
            message: token ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.',
          },
        }),
      );
      return;
    }
    if (fake.redirectAuthenticatedTo) {
      res.writeHead(307, { location: `${fake.redirectAuthenticatedTo}${req.url ?? '/'}` });
      res.end();
      return;
    }
    const fault = await faults.apply(res);
    if (fault === 'hung') return;
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return sendError(res, fault.status, fault.status === 429 ? 'Throttled' : 'InternalServerError', 'Injected fault.', headers);
    }
    if (!API_VERSION_PATTERN.test(url.searchParams.get('api-version') ?? '')) {
      return sendError(res, 400, 'BadParameter', 'The api-version query parameter is missing or unsupported.');
    }
    routeVault(method, url, body, res);
  }

  function routeVault(method: string, url: URL, body: string, res: http.ServerResponse): void {
    const origin = url.origin;
    const [collection, name, version] = url.pathname.split('/').slice(1);
    if (collection === 'secrets' && !name && method === 'GET') return listSecrets(url, res);
    if (collection === 'secrets' && name && !validName(name)) {
      return sendError(
        res,
        400,
        'BadParameter',
        'The request URI contains an invalid name: secret names may contain only 0-9, a-z, A-Z, and -.',
      );
    }
    const secret = name ? secrets.get(name) : undefined;
    const live = secret && !secret.deleted ? secret : undefined;
    if (collection === 'secrets' && name && method === 'PUT') return setSecret(origin, name, body, res);
    if (collection === 'secrets' && name && method === 'GET' && version !== 'versions') {
      const bundle = live && (version ? live.versions.find((v) => v.id === version) : live.versions.at(-1));
      if (!live || !bundle) return notFound(res, name);
      return send(res, 200, secretBundle(origin, live.name, bundle, true));
    }
    if (collection === 'secrets' && name && method === 'PATCH' && live) {
      const bundle = live.versions.find((v) => v.id === version) ?? live.versions.at(-1)!;
      const input = JSON.parse(body || '{}') as { tags?: Record<string, string>; attributes?: { enabled?: boolean } };
      if (input.tags) bundle.tags = input.tags;
      if (input.attributes?.enabled !== undefined) bundle.enabled = input.attributes.enabled;
      return send(res, 200, secretBundle(origin, live.name, bundle, false));
    }
    if (collection === 'secrets' && name && method === 'DELETE') {
      if (!live) return notFound(res, name);
      live.deleted = true;
      return send(res, 200, deletedBundle(origin, live));
    }
    if (collection === 'deletedsecrets' && name && method === 'GET') {
      if (!secret?.deleted) return sendError(res, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      return send(res, 200, deletedBundle(origin, secret));
    }
    if (collection === 'deletedsecrets' && name && method === 'DELETE' && secret?.deleted) {
      secrets.delete(name);
      res.writeHead(204).end();
      return;
    }
    if (name && !live) return notFound(res, name);
    sendError(res, 405, 'MethodNotAllowed', `Unsupported ${method} ${url.pathname}.`);
  }

  function listSecrets(url: URL, res: http.ServerResponse): void {
    const all = [...secrets.values()].filter((secret) => !secret.deleted).sort((a, b) => a.name.localeCompare(b.name));
    const size = Math.min(maxPageSize, Number(url.searchParams.get('maxresults') || maxPageSize));
    const start = Number(url.searchParams.get('$skiptoken') || '0');
    const page = all.slice(start, start + size);
    const next =
      start + size < all.length
        ? `${url.origin}/secrets?api-version=${url.searchParams.get('api-version')}&$skiptoken=${start + size}&maxresults=${size}`
        : null;
    send(res, 200, {
      value: page.map((secret) => {
        const latest = secret.versions.at(-1)!;
        return { id: `${url.origin}/secrets/${secret.name}`, attributes: attributes(latest), tags: latest.tags };
      }),
      nextLink: next,
    });
  }

  function setSecret(origin: string, name: string, body: string, res: http.ServerResponse): void {
    const input = JSON.parse(body || '{}') as { value?: unknown; tags?: Record<string, string> };
    if (typeof input.value !== 'string') return sendError(res, 400, 'BadParameter', 'Property value is required.');
    const existing = secrets.get(name);
    if (existing?.deleted) return sendError(res, 409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state.`);
    const secret = existing ?? { name, versions: [] };
    const version = { id: randomUUID().replace(/-/g, ''), value: input.value, tags: input.tags ?? {}, created: now(), enabled: true };
    secret.versions.push(version);
    secrets.set(name, secret);
    send(res, 200, secretBundle(origin, name, version, true));
  }

  function serveLogin(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'https://login.microsoftonline.com');
    const issuer = `https://login.microsoftonline.com/${tenantId}`;
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return send(res, 200, {
        token_endpoint: `${issuer}/oauth2/v2.0/token`,
        authorization_endpoint: `${issuer}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${issuer}/oauth2/v2.0/logout`,
        issuer: `${issuer}/v2.0`,
        jwks_uri: `${issuer}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      });
    }
    if (url.pathname.endsWith('/discovery/instance')) {
      return send(res, 200, {
        tenant_discovery_endpoint: `${issuer}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [
          {
            preferred_network: 'login.microsoftonline.com',
            preferred_cache: 'login.windows.net',
            aliases: ['login.microsoftonline.com', 'login.windows.net'],
          },
        ],
      });
    }
    if (url.pathname === `/${tenantId}/oauth2/v2.0/token` && req.method === 'POST') {
      tokenRequests++;
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials' || apps.get(form.get('client_id') ?? '') !== form.get('client_secret')) {
        return send(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
          error_codes: [7000215],
        });
      }
      const token = `fake-entra-${randomUUID()}`;
      tokens.add(token);
      return send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
    }
    send(res, 404, { error: 'not_found', error_description: `No such endpoint ${url.pathname}.` });
  }

  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const closeServer = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
  const fake: AzureFake = {
    proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    directUrl: `https://localhost:${(tlsServer.address() as AddressInfo).port}`,
    tenantId,
    secrets,
    requests,
    tokens,
    apps,
    get tokenRequests() {
      return tokenRequests;
    },
    addSecret(name, init) {
      const version = {
        id: randomUUID().replace(/-/g, ''),
        value: init.value ?? '',
        tags: init.tags ?? {},
        created: now(),
        enabled: init.enabled ?? true,
      };
      secrets.set(name, { name, versions: [version] });
    },
    writeRequests: () => requests.filter((request) => request.write).length,
    inject: (fault) => faults.push(fault),
    reset: () => {
      secrets.clear();
      requests.length = 0;
      faults.clear();
    },
    close: async () => {
      faults.releaseHanging();
      for (const socket of sockets) socket.destroy();
      await Promise.all([closeServer(tlsServer), closeServer(proxy)]);
    },
  };
  return fake;
}

function validName(name: string): boolean {
  return /^[0-9a-zA-Z-]{1,127}$/.test(name);
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function attributes(version: StoredAzureSecret['versions'][number]) {
  return {
    enabled: version.enabled,
    created: version.created,
    updated: version.created,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
}

function secretBundle(origin: string, name: string, version: StoredAzureSecret['versions'][number], withValue: boolean) {
  return {
    ...(withValue ? { value: version.value } : {}),
    id: `${origin}/secrets/${name}/${version.id}`,
    attributes: attributes(version),
    tags: version.tags,
  };
}

function deletedBundle(origin: string, secret: StoredAzureSecret) {
  const latest = secret.versions.at(-1)!;
  return {
    id: `${origin}/secrets/${secret.name}/${latest.id}`,
    attributes: attributes(latest),
    tags: latest.tags,
    recoveryId: `${origin}/deletedsecrets/${secret.name}`,
    deletedDate: now(),
    scheduledPurgeDate: now() + 90 * 86400,
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { code, message } }, headers);
}

function notFound(res: http.ServerResponse, name: string): void {
  sendError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
}
