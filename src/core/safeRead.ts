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
    const reading = new SizedRead(stat.size, file, limit);
    while (reading.take((await handle.read(reading.room())).bytesRead));
    return reading.bytes().toString('utf8');
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
    const reading = new SizedRead(stat.size, file, limit);
    for (;;) {
      const { buffer, offset, length } = reading.room();
      if (!reading.take(fs.readSync(descriptor, buffer, offset, length, null))) break;
    }
    return reading.bytes();
  } finally {
    fs.closeSync(descriptor);
  }
}

/**
 * The bytes of one read, in one buffer sized from fstat: a file costs one allocation of its own size, not
 * fixed chunks (2,000 flows read through 64 KiB zero-filled chunks spent a tenth of a check allocating).
 * One byte more than the size is asked for, so that a read reaches the end of the file; a file that grew
 * after fstat gets a buffer twice as big, up to the limit.
 */
class SizedRead {
  private buffer: Buffer;
  private filled = 0;

  constructor(
    size: number,
    private readonly file: string,
    private readonly limit: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(size, limit) + 1);
  }

  /** Where the next read goes. */
  room(): { buffer: Buffer; offset: number; length: number } {
    if (this.filled === this.buffer.length) this.grow();
    return { buffer: this.buffer, offset: this.filled, length: this.buffer.length - this.filled };
  }

  /** Counts `bytesRead`; false at the end of the file. */
  take(bytesRead: number): boolean {
    if (bytesRead === 0) return false;
    this.filled += bytesRead;
    if (this.filled > this.limit) throw new UnreadableFileError('EFBIG', this.file, this.limit);
    return true;
  }

  /** Only the bytes read: the rest of an unsafe allocation is never handed out. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.filled);
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.limit + 1));
    this.buffer.copy(bigger, 0, 0, this.filled);
    this.buffer = bigger;
  }
}

function checkStat(stat: fs.Stats, file: string, limit: number): void {
  if (!stat.isFile()) throw new UnreadableFileError('ENOTREG', file, limit, stat);
  if (stat.size > limit) throw new UnreadableFileError('EFBIG', file, limit);
}
