/** Finding files in a workspace folder tree, for the CLI and the Compose reader. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git']);

export interface FindFilesOptions {
  /** How many folder levels below `root` to enter (default: no limit). */
  maxDepth?: number;
  skipFolders?: ReadonlySet<string>;
  /** Throw when a folder can't be read instead of passing over it. */
  strict?: boolean;
}

/** Files under `root` whose name `matches`, sorted. */
export function findFilesUnder(root: string, matches: (name: string) => boolean, options: FindFilesOptions = {}): string[] {
  const { maxDepth = Infinity, skipFolders = DEFAULT_SKIPPED_FOLDERS, strict = false } = options;
  const found: string[] = [];
  const visit = (folder: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      if (strict) throw error;
      return;
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isFile() && matches(entry.name)) found.push(full);
      else if (entry.isDirectory() && depth < maxDepth && !skipFolders.has(entry.name)) visit(full, depth + 1);
    }
  };
  visit(root, 0);
  return found.sort();
}
