/**
 * HTTP for the stores we call with `fetch` ourselves (Vault, the Kestra server, and Google's REST
 * transport): redirects are followed only within one origin, so a credential header (X-Vault-Token,
 * Authorization) never reaches another host, port or scheme; and response bodies are read with a size
 * limit, so a hostile or broken server can't make us buffer hundreds of megabytes. `JsonClient` is
 * the JSON API client built on both (the Kestra server's REST API).
 */
import { parseRetryAfter } from '../core/retry';

const MAX_REDIRECTS = 5;

/** Default limit for one response body: far above any listing page, far below what hurts the editor. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** A redirect we did not follow; `target` is the origin only (a path or query could carry anything). */
export class RedirectRefused extends Error {
  constructor(
    readonly status: number,
    readonly target: string | undefined,
  ) {
    super(
      target
        ? `the server answered with a redirect (HTTP ${status}) to ${target}; credentials are never sent to another address.`
        : `the server answered with a redirect (HTTP ${status}) that was not followed.`,
    );
    this.name = 'RedirectRefused';
  }
}

/** A response body larger than the limit; reading stopped there. */
export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the server's answer is larger than ${Math.round(limit / (1024 * 1024))} MB; reading stopped.`);
    this.name = 'ResponseTooLarge';
  }
}

/**
 * `fetch` that follows a redirect only to the same origin (and only when the method can stay the
 * same), up to 5 times; any other redirect is a `RedirectRefused`, before anything is sent there.
 */
export async function fetchSameOrigin(input: string | URL, init: RequestInit = {}): Promise<Response> {
  let current = new URL(String(input));
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { ...init, redirect: 'manual' });
    if (response.status < 300 || response.status > 399 || response.status === 304) return response;
    await response.body?.cancel().catch(() => undefined);
    const next = locationOf(response, current);
    if (!next) throw new RedirectRefused(response.status, undefined);
    const method = (init.method ?? 'GET').toUpperCase();
    const keepsMethod = response.status === 307 || response.status === 308 || method === 'GET' || method === 'HEAD';
    if (next.origin !== current.origin || !keepsMethod || hop >= MAX_REDIRECTS) throw new RedirectRefused(response.status, next.origin);
    current = next;
  }
}

function locationOf(response: Response, base: URL): URL | undefined {
  const location = response.headers.get('location');
  if (!location) return undefined;
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** The body as text, reading at most `limit` bytes (a `ResponseTooLarge` past it, the rest never read). */
export async function readTextCapped(response: Response, limit = MAX_RESPONSE_BYTES): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLarge(limit);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An answer of a JSON API: its status and its parsed body (undefined when empty). */
export interface JsonAnswer {
  status: number;
  json: unknown;
}

/** A 2xx answer whose body is not JSON: a proxy's page, a truncated answer, not the server we expect. */
export class MalformedAnswer extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status} with a body that is not JSON`);
    this.name = 'MalformedAnswer';
  }
}

/** A 429 or 5xx answer: worth another attempt, after the delay the server asked for (Retry-After). */
export class TransientStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    /** The parsed body, which may explain the failure. */
    readonly json: unknown,
    /** `METHOD URL`, for debug lines. */
    readonly request: string,
  ) {
    super(`HTTP ${status}`);
    this.name = 'TransientStatus';
  }
}

export interface JsonClientOptions {
  /** Sent with every request (`Authorization`); never logged. */
  headers?: Record<string, string>;
  /** Receives one debug line per exchange: method, URL, status, duration. */
  debug?: (line: string) => void;
  /** Largest response body read (default MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

/**
 * One JSON exchange at a time over `fetchSameOrigin`: a JSON body out, the status and parsed JSON back,
 * the body read within the size limit. A 429/5xx is thrown as `TransientStatus` and a 2xx body that is
 * not JSON as `MalformedAnswer`; every other status is the caller's to interpret.
 */
export class JsonClient {
  constructor(private readonly options: JsonClientOptions = {}) {}

  async exchange(method: string, url: string, init: { body?: unknown; signal?: AbortSignal } = {}): Promise<JsonAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const started = Date.now();
    const response = await fetchSameOrigin(url, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
    const text = await readTextCapped(response, this.options.maxResponseBytes);
    this.options.debug?.(`${method} ${url} → ${response.status} (${Date.now() - started} ms)`);
    const json = parseJson(text);
    const ok = response.status >= 200 && response.status < 300;
    if (ok && json === undefined && text.trim() !== '') throw new MalformedAnswer(response.status);
    if (response.status === 429 || response.status >= 500) {
      throw new TransientStatus(response.status, parseRetryAfter(response.headers.get('retry-after')), json, `${method} ${url}`);
    }
    return { status: response.status, json };
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
