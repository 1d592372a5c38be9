/**
 * Finding files in a workspace folder tree, for the CLI and the Compose reader. The walk never
 * throws and never opens anything but regular files: what it can't use is returned as a skipped
 * path with the reason, for the caller to show (the CLI on stderr, the editor in its log).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularBytesSync, UnreadableFileError } from './safeRead';
import { decodeTextFile, InvalidUtf8Error } from './textDecoding';

export const DEFAULT_SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git']);

export interface FindFilesOptions {
  /** How many folder levels below `root` to enter (default: no limit). */
  maxDepth?: number;
  skipFolders?: ReadonlySet<string>;
  /** Throw when a folder can't be read instead of passing over it. */
  strict?: boolean;
}

/** A path the walk passed over, and why (a sentence fragment such as "it is a broken symbolic link"). */
export interface SkippedPath {
  path: string;
  reason: string;
}

export interface WalkResult {
  /** Matching regular files, each once (by real path), in walk order: roots as given, folders sorted. */
  files: string[];
  skipped: SkippedPath[];
}

/** Files under `root` whose name `matches`, sorted. */
export function findFilesUnder(root: string, matches: (name: string) => boolean, options: FindFilesOptions = {}): string[] {
  const result = walkFiles([root], matches, options);
  if (options.strict && result.skipped.length > 0) {
    const [first] = result.skipped;
    throw new Error(`${first.path}: ${first.reason}`);
  }
  return result.files.sort();
}

/**
 * Matching files under each root (a root that is a file is taken whatever its name). Symbolic links
 * to files and folders are followed, each real file and folder visited once: overlapping roots and
 * link cycles give every file once. Unreadable folders, broken or looping links, and matching names
 * that are not regular files (named pipes, sockets, devices) are skipped with a reason.
 */
export function walkFiles(roots: readonly string[], matches: (name: string) => boolean, options: FindFilesOptions = {}): WalkResult {
  const { maxDepth = Infinity, skipFolders = DEFAULT_SKIPPED_FOLDERS } = options;
  const walk = new Walk(matches, maxDepth, skipFolders);
  for (const root of roots) walk.root(root);
  walk.followLinks();
  return { files: walk.files, skipped: walk.skipped };
}

class Walk {
  readonly files: string[] = [];
  readonly skipped: SkippedPath[] = [];
  private readonly seenFiles = new Set<string>();
  private readonly seenFolders = new Set<string>();
  /** Links inside the tree, followed after everything else so that a file is named by its own path when it can be. */
  private readonly links: { full: string; name: string; depth: number }[] = [];

  constructor(
    private readonly matches: (name: string) => boolean,
    private readonly maxDepth: number,
    private readonly skipFolders: ReadonlySet<string>,
  ) {}

  root(root: string): void {
    const target = this.followed(root);
    if (!target) return;
    if (target.isDirectory()) this.folder(root, 0);
    else if (target.isFile()) this.file(root);
    else this.skip(root, notRegular(target));
  }

  private folder(folder: string, depth: number): void {
    const real = realPath(folder);
    if (this.seenFolders.has(real)) return;
    this.seenFolders.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      this.skip(folder, unreadable(error));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) this.entry(folder, entry, depth);
  }

  /** The entry's full path is made only when it is used: a flows folder holds thousands of files that don't match. */
  private entry(folder: string, entry: fs.Dirent, depth: number): void {
    const full = () => path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (depth < this.maxDepth && !this.skipFolders.has(entry.name)) this.folder(full(), depth + 1);
    } else if (entry.isFile()) {
      if (this.matches(entry.name)) this.file(full());
    } else if (entry.isSymbolicLink()) {
      this.links.push({ full: full(), name: entry.name, depth });
    } else if (this.matches(entry.name)) {
      this.skip(full(), notRegular(entry));
    }
  }

  followLinks(): void {
    for (let next = this.links.shift(); next; next = this.links.shift()) this.link(next.full, next.name, next.depth);
  }

  private link(full: string, name: string, depth: number): void {
    const target = this.followed(full);
    if (!target) return;
    if (target.isDirectory()) {
      if (depth < this.maxDepth && !this.skipFolders.has(name)) this.folder(full, depth + 1);
    } else if (!this.matches(name)) {
      return;
    } else if (target.isFile()) {
      this.file(full);
    } else {
      this.skip(full, notRegular(target));
    }
  }

  private file(file: string): void {
    const real = realPath(file);
    if (this.seenFiles.has(real)) return;
    this.seenFiles.add(real);
    this.files.push(file);
  }

  /** What `target` points to, following links; undefined (and skipped) when that can't be known. */
  private followed(target: string): fs.Stats | undefined {
    try {
      return fs.statSync(target);
    } catch (error) {
      this.skip(target, unfollowable(target, error));
      return undefined;
    }
  }

  private skip(target: string, reason: string): void {
    this.skipped.push({ path: target, reason });
  }
}

function realPath(target: string): string {
  try {
    return fs.realpathSync.native(target);
  } catch {
    return path.resolve(target);
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function unreadable(error: unknown): string {
  const code = codeOf(error);
  if (code === 'EACCES' || code === 'EPERM') return "it can't be read (permission denied)";
  return `it can't be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

function unfollowable(target: string, error: unknown): string {
  const code = codeOf(error);
  if (code === 'ELOOP') return 'it is a symbolic link loop';
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return isLink(target) ? 'it is a broken symbolic link (its target does not exist)' : 'it does not exist';
  return unreadable(error);
}

function isLink(target: string): boolean {
  try {
    return fs.lstatSync(target).isSymbolicLink();
  } catch {
    return false;
  }
}

function notRegular(kind: fs.Stats | fs.Dirent): string {
  if (kind.isDirectory()) return 'it is a folder, not a regular file';
  if (kind.isFIFO()) return 'it is a named pipe, not a regular file';
  if (kind.isSocket()) return 'it is a socket, not a regular file';
  if (kind.isCharacterDevice() || kind.isBlockDevice()) return 'it is a device, not a regular file';
  return 'it is not a regular file';
}

/** `utf16`: the file was UTF-16 with a byte order mark, decoded here though Kestra reads flows as UTF-8. */
export type ReadText = { text: string; utf16?: 'utf-16le' | 'utf-16be' } | { skipped: SkippedPath };

/** Node.js decodes a file name that is not UTF-8 lossily (U+FFFD) and can't open it again by that name. */
function missingReason(file: string): string {
  return path.basename(file).includes('\uFFFD') ? 'its name is not valid UTF-8, so Node.js cannot open it by name' : 'it no longer exists';
}

/**
 * Reads a UTF-8 file without ever blocking, through the same non-blocking regular-file read as every
 * other file we read (safeRead.ts): a named pipe swapped in after the walk would otherwise hang the read.
 * No size limit here: an oversized flow is the YAML reader's to refuse, with its position.
 */
export function readTextFile(file: string): ReadText {
  try {
    return decodeTextFile(readRegularBytesSync(file, Infinity), file);
  } catch (error) {
    if (error instanceof UnreadableFileError && error.stats) return { skipped: { path: file, reason: notRegular(error.stats) } };
    if (error instanceof InvalidUtf8Error) {
      return {
        skipped: {
          path: file,
          reason: `it is not UTF-8 text (first invalid byte at line ${error.line}, column ${error.column}); Kestra reads flows as UTF-8, so save it as UTF-8`,
        },
      };
    }
    return { skipped: { path: file, reason: codeOf(error) === 'ENOENT' ? missingReason(file) : unreadable(error) } };
  }
}
