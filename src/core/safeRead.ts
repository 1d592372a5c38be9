/**
 * Reading a file a workspace names (a Compose `env_file`, a project `.env`, a Compose file): only a
 * regular file, and only up to a size limit. `env_file: /dev/stdin` or a FIFO would block forever,
 * `/dev/zero` would fill memory. The file is opened non-blocking and checked with fstat on the same
 * descriptor, so it can't be swapped between the check and the read.
 */
import * as fs from 'node:fs';

/** Default limit for one file we read: far above any real `.env` or Compose file. */
export const MAX_READ_BYTES = 1024 * 1024;

/** Error codes: ENOTREG (not a regular file) and EFBIG (over the limit), like the system's own. */
export class UnreadableFileError extends Error {
  constructor(
    readonly code: 'ENOTREG' | 'EFBIG',
    readonly file: string,
    limit: number,
    /** What the path is when it is not a regular file (folder, pipe, socket, device). */
    readonly stats?: fs.Stats,
  ) {
    super(code === 'ENOTREG' ? `${file} is not a regular file; it is not read.` : `${file} is larger than ${limit} bytes; it is not read.`);
    this.name = 'UnreadableFileError';
  }
}

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

export async function readRegularFile(file: string, limit = MAX_READ_BYTES): Promise<string> {
  const handle = await fs.promises.open(file, OPEN_FLAGS);
  try {
    const stat = await handle.stat();
    checkStat(stat, file, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total = addChunk(chunks, chunk, bytesRead, total, file, limit);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

export function readRegularFileSync(file: string, limit = MAX_READ_BYTES): string {
  return readRegularBytesSync(file, limit).toString('utf8');
}

/** The bytes of a regular file, for callers that decode them themselves (strict UTF-8, UTF-16 with a BOM). */
export function readRegularBytesSync(file: string, limit = MAX_READ_BYTES): Buffer {
  const descriptor = fs.openSync(file, OPEN_FLAGS);
  try {
    const stat = fs.fstatSync(descriptor);
    checkStat(stat, file, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK);
      const bytesRead = fs.readSync(descriptor, chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total = addChunk(chunks, chunk, bytesRead, total, file, limit);
    }
    return Buffer.concat(chunks);
  } finally {
    fs.closeSync(descriptor);
  }
}

const CHUNK = 64 * 1024;

/** Keeps a chunk; the size read so far, or an EFBIG error past the limit (a file may grow after fstat). */
function addChunk(chunks: Buffer[], chunk: Buffer, bytesRead: number, total: number, file: string, limit: number): number {
  const next = total + bytesRead;
  if (next > limit) throw new UnreadableFileError('EFBIG', file, limit);
  chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
  return next;
}

function checkStat(stat: fs.Stats, file: string, limit: number): void {
  if (!stat.isFile()) throw new UnreadableFileError('ENOTREG', file, limit, stat);
  if (stat.size > limit) throw new UnreadableFileError('EFBIG', file, limit);
}
