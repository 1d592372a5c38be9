/**
 * Writing a file that holds secrets: through a fresh temporary file in the same folder (created with
 * O_EXCL, so it never follows or reuses an existing path, symbolic links included), owner-only unless
 * told otherwise, flushed, then renamed over the target. A symbolic link at the target is replaced by
 * the new file, never written through. The temporary file is removed on failure and, when asked, on
 * SIGINT/SIGTERM/SIGHUP, so an interrupted write leaves no partial copy of the secrets behind.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const OWNER_ONLY = 0o600;

export interface AtomicWriteOptions {
  /** The new file's permissions; default owner read/write only. */
  mode?: number;
  /** Keep the permissions of an existing regular file at the target instead (never a link's). */
  keepExistingMode?: boolean;
  /** Remove the temporary file when the process receives SIGINT, SIGTERM or SIGHUP meanwhile (CLI). */
  cleanupOnSignals?: boolean;
}

export async function writeFileAtomic(file: string, text: string, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = await targetMode(file, options);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const untrack = options.cleanupOnSignals ? trackForSignals(temporary) : () => undefined;
  try {
    const handle = await fs.promises.open(
      temporary,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | noFollow(),
      OWNER_ONLY,
    );
    try {
      // The umask may have narrowed the mode further; set exactly what was asked.
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    untrack();
  }
}

async function targetMode(file: string, options: AtomicWriteOptions): Promise<number> {
  const requested = options.mode ?? OWNER_ONLY;
  if (!options.keepExistingMode) return requested;
  const existing = await fs.promises.lstat(file).catch(() => undefined);
  return existing?.isFile() ? existing.mode & 0o777 : requested;
}

function noFollow(): number {
  return fs.constants.O_NOFOLLOW ?? 0;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const pending = new Set<string>();

function onSignal(signal: NodeJS.Signals): void {
  for (const file of pending) {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // Nothing more can be done while the process is going down.
    }
  }
  pending.clear();
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  // Die of the same signal, as if no handler had been installed.
  process.kill(process.pid, signal);
}

function trackForSignals(file: string): () => void {
  if (pending.size === 0) for (const name of SIGNALS) process.on(name, onSignal);
  pending.add(file);
  return () => {
    pending.delete(file);
    if (pending.size === 0) for (const name of SIGNALS) process.removeListener(name, onSignal);
  };
}
