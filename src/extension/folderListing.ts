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
    const kinds = await kindsOf(folder, children);
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

type Kind = 'file' | 'folder' | 'other';

/**
 * What each entry is, through symbolic links. Only links need a call (`stat`): the other entries are told from
 * their directory entry, with no promise each (one promise per entry settled in bursts on the editor's thread).
 */
async function kindsOf(folder: string, children: Dirent[]): Promise<Kind[]> {
  const kinds = children.map((child) => (child.isSymbolicLink() ? 'other' : kindOf(child)));
  const links = children.flatMap((child, index) => (child.isSymbolicLink() ? [index] : []));
  if (links.length === 0) return kinds;
  const targets = await Promise.all(links.map((index) => linkTargetKind(join(folder, children[index].name))));
  links.forEach((index, at) => (kinds[index] = targets[at]));
  return kinds;
}

/** A named pipe or socket is neither file nor folder. */
function kindOf(entry: { isFile(): boolean; isDirectory(): boolean }): Kind {
  if (entry.isDirectory()) return 'folder';
  return entry.isFile() ? 'file' : 'other';
}

/** What a symbolic link points to; a dangling link is passed over. */
async function linkTargetKind(link: string): Promise<Kind> {
  try {
    return kindOf(await stat(link));
  } catch {
    return 'other';
  }
}
