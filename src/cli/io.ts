/**
 * CLI plumbing shared by the commands: the injectable streams, reading a FILE or `-` (stdin), and
 * writing an output atomically (core/atomicWrite: owner-only, never through a symbolic link) without
 * overwriting an existing file unless asked to.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { OWNER_ONLY, writeFileAtomic } from '../core/atomicWrite';
import { redact } from '../core/redaction';
import { decodeUtf8Strict } from '../core/textDecoding';

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

/** A failure to report as `kestra-secrets: <message>` with this exit code (1 failure, 2 bad usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const STDIO = '-';

/**
 * `target` behind core/redaction: no remembered secret value gets through. Each write goes on to
 * `target` at once (nothing is held back), so output order and the exit-time flush are unchanged.
 */
export function redactingStream(target: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      target.write(redact(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
      done();
    },
  });
}

export interface TextInput {
  text: string;
  /** How messages name the input: the path as given, or `<stdin>`. */
  displayName: string;
  /** Absolute path, undefined for stdin. */
  path?: string;
}

/** The stream's bytes as UTF-8; throws InvalidUtf8Error (named `name`) rather than replace a byte with U+FFFD. */
export async function readStream(stream: NodeJS.ReadableStream, name = '<stdin>'): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return decodeUtf8Strict(Buffer.concat(chunks), name);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * Reads FILE (relative to io.cwd) or `-` for stdin, as strict UTF-8 (InvalidUtf8Error otherwise). A
 * missing file is bad usage (exit 2).
 */
export async function readTextInput(spec: string, io: CliIo): Promise<TextInput> {
  if (spec === STDIO) return { text: await readStream(io.stdin), displayName: '<stdin>' };
  const absolute = path.resolve(io.cwd, spec);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(absolute);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(`cannot read ${spec}: ${describeFsError(error)}`, missing ? 2 : 1);
  }
  return { text: decodeUtf8Strict(bytes, spec), displayName: spec, path: absolute };
}

export interface WriteOptions {
  force: boolean;
  /** Permissions of a new file; default 0o600, as outputs hold secrets. */
  mode?: number;
}

/**
 * Writes `text` to OUT (relative to io.cwd) or to stdout for `-`. The file appears complete or not
 * at all; an existing file is replaced only with `force`.
 */
export async function writeTextOutput(target: string, text: string, io: CliIo, options: WriteOptions): Promise<void> {
  if (target === STDIO) {
    io.stdout.write(text);
    return;
  }
  const absolute = path.resolve(io.cwd, target);
  const existing = await fsp.lstat(absolute).catch(() => undefined);
  if (existing?.isDirectory()) throw new CliError(`cannot write ${target}: it is a folder`, 1);
  if (existing && !options.force) {
    throw new CliError(`${target} already exists; nothing was written. Use --force to overwrite it`, 1);
  }
  try {
    // Always the requested mode (0600): an existing file's wider mode or a symbolic link is not kept.
    await writeFileAtomic(absolute, text, { mode: options.mode ?? OWNER_ONLY, cleanupOnSignals: true });
  } catch (error) {
    throw new CliError(`cannot write ${target}: ${describeFsError(error)}`, 1);
  }
}

/**
 * A file name fit for one line of text output: control characters (a newline could forge a whole
 * report line) are written as escapes, e.g. `\n`, `\x1b`.
 */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (character) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[character] ?? `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Runs a command body, turning CliError into its message and exit code. */
export async function reportCliErrors(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`kestra-secrets: ${error.message}\n`);
    return error.exitCode;
  }
}
