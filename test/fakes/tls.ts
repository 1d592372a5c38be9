/**
 * TLS and child-process helpers for tests: a throw-away self-signed certificate (openssl CLI), a child
 * Node process that trusts it, and a runner for the real CLI. `NODE_EXTRA_CA_CERTS` is read only when Node starts, so code that must trust the
 * certificate through the standard mechanism (no test-only option in the product) runs in that child,
 * driven over stdin/stdout JSON lines.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface TestCertificate {
  cert: string;
  key: string;
  /** The certificate's PEM file, for `NODE_EXTRA_CA_CERTS`. */
  certFile: string;
  remove(): void;
}

/** A self-signed certificate valid for `hosts` (DNS names or IPv4 addresses). */
export function createTestCertificate(hosts: string[]): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const altNames = hosts.map((host) => (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${hosts[0]}`,
      '-addext',
      `subjectAltName=${altNames}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
    certFile,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** What a backend call in the child returned: its value, or the error's user-facing fields. */
export type HostResult =
  { ok: true; value: unknown } | { ok: false; error: { name: string; kind?: string; message: string; hint?: string } };

export interface BackendHost {
  /** Creates a backend in the child with `factory` from `modulePath`; returns its handle. */
  create(modulePath: string, factory: string, config: unknown, context: Record<string, unknown>): Promise<number>;
  /** Calls a backend method (or reads a property when `args` is undefined). */
  invoke(handle: number, method: string, args?: unknown[]): Promise<HostResult>;
  /** Every line the backend logged so far. */
  logs(handle: number): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts a child Node process with `NODE_EXTRA_CA_CERTS=certFile` (plus `env`) hosting backends. */
export async function startBackendHost(certFile: string, env: Record<string, string>): Promise<BackendHost> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', __filename, '--backend-host'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: certFile },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const pending = new Map<number, (reply: { result?: unknown; fatal?: string }) => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as { id: number; result?: unknown; fatal?: string };
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  child.on('exit', () => {
    for (const resolve of pending.values()) resolve({ fatal: `backend host exited: ${stderr.join('')}` });
    pending.clear();
  });
  let nextId = 1;
  const request = (message: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (reply) => (reply.fatal ? reject(new Error(reply.fatal)) : resolve(reply.result)));
      child.stdin!.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  return {
    create: async (modulePath, factory, config, context) =>
      (await request({ op: 'create', modulePath, factory, config, context })) as number,
    invoke: async (handle, method, args) => (await request({ op: 'invoke', handle, method, args })) as HostResult,
    logs: async (handle) => (await request({ op: 'logs', handle })) as string[],
    close: () => stopChild(child),
  };
}

/** Runs the real CLI (`src/cli/main.ts` under tsx) in a child process, asynchronously so in-process fakes keep serving. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = path.resolve(__dirname, '..', '..');
  const main = path.join(root, 'src', 'cli', 'main.ts');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', 'tsx/cjs', main, ...args],
      { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin?.end();
    setTimeout(() => child.kill(), 2000).unref();
  });
}

// ---- child side -------------------------------------------------------------------------------

interface HostedBackend {
  backend: Record<string, unknown>;
  lines: string[];
}

async function serveBackends(): Promise<void> {
  const hosted = new Map<number, HostedBackend>();
  const lines = readline.createInterface({ input: process.stdin });
  const write = (reply: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(reply)}\n`);
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown> & { id: number };
    handle(message, hosted).then(
      (result) => write({ id: message.id, result }),
      (error: unknown) => write({ id: message.id, fatal: error instanceof Error ? error.message : String(error) }),
    );
  });
  lines.on('close', () => {
    for (const { backend } of hosted.values()) (backend.dispose as () => void)();
    process.exit(0);
  });
}

async function handle(message: Record<string, unknown>, hosted: Map<number, HostedBackend>): Promise<unknown> {
  if (message.op === 'create') {
    const module = require(path.resolve(message.modulePath as string)) as Record<string, unknown>;
    const factory = module[message.factory as string] as (config: unknown, context: unknown) => Record<string, unknown>;
    const lines: string[] = [];
    const record = (level: string) => (text: string) => lines.push(`${level} ${text}`);
    const log = { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const context = {
      readValuesForSubkeys: false,
      workspaceRoots: [],
      envFiles: [],
      ...(message.context as object),
      log,
      env: process.env,
    };
    const handle = hosted.size + 1;
    hosted.set(handle, { backend: factory(message.config, context), lines });
    return handle;
  }
  const target = hosted.get(message.handle as number);
  if (!target) throw new Error(`no backend ${String(message.handle)}`);
  if (message.op === 'logs') return target.lines;
  const member = target.backend[message.method as string];
  if (message.args === undefined || message.args === null) return { ok: true, value: member };
  try {
    const value = await (member as (...args: unknown[]) => Promise<unknown>).apply(target.backend, message.args as unknown[]);
    return { ok: true, value: value ?? null };
  } catch (error) {
    const { name, message: text, kind, hint } = error as Error & { kind?: string; hint?: string };
    return { ok: false, error: { name, message: text, kind, hint } };
  }
}

if (require.main === module && process.argv.includes('--backend-host')) void serveBackends();
