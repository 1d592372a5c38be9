/**
 * The YAML files under local folders, listed without blocking the calling thread: each folder is read through
 * libuv's thread pool, and its files are handed over as soon as it is read, so that the workers parse while the
 * rest is listed (and while the editor's own workspace search, which stays the truth, runs). Pure Node.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

const YAML_FILE = /\.ya?ml$/;

/**
 * Calls `onFiles` with the regular `.yml` and `.yaml` files of each folder under `roots` as it is read. Symbolic
 * links are followed, each folder once (by its real path); folders named in `excludedFolders` are not entered; an
 * unreadable folder or a dangling link is passed over. Stops after `limit` directory entries: `complete` false.
 */
export async function listYamlFiles(
  roots: string[],
  excludedFolders: string[],
  limit: number,
  onFiles: (paths: string[]) => void,
): Promise<{ complete: boolean }> {
  const excluded = new Set(excludedFolders);
  const seen = new Set<string>();
  let entries = 0;
  let complete = true;

  const visit = async (folder: string): Promise<void> => {
    const children = await readFolderOnce(folder, seen);
    if (!children || !complete) return;
    if (entries + children.length > limit) {
      complete = false;
      return;
    }
    entries += children.length;
    const kinds = await Promise.all(children.map((child) => kindOf(folder, child)));
    const files: string[] = [];
    const folders: string[] = [];
    children.forEach((child, index) => {
      const full = join(folder, child.name);
      if (kinds[index] === 'folder' && !excluded.has(child.name)) folders.push(full);
      else if (kinds[index] === 'file' && YAML_FILE.test(child.name)) files.push(full);
    });
    if (files.length > 0 && complete) onFiles(files);
    await Promise.all(folders.map(visit));
  };

  await Promise.all(roots.map(visit));
  return { complete };
}

/** The folder's entries, or undefined when it can't be read or its real path was read already. */
async function readFolderOnce(folder: string, seen: Set<string>): Promise<Dirent[] | undefined> {
  try {
    const real = await realpath(folder);
    if (seen.has(real)) return undefined;
    seen.add(real);
    return await readdir(folder, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

/** What an entry is, through a symbolic link: a named pipe or socket is neither file nor folder. */
async function kindOf(folder: string, child: Dirent): Promise<'file' | 'folder' | 'other'> {
  let entry: Dirent | { isFile(): boolean; isDirectory(): boolean } = child;
  if (child.isSymbolicLink()) {
    try {
      entry = await stat(join(folder, child.name));
    } catch {
      return 'other';
    }
  }
  if (entry.isDirectory()) return 'folder';
  return entry.isFile() ? 'file' : 'other';
}
