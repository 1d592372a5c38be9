/**
 * The early listing of the workspace folders (src/extension/folderListing.ts): what the editor's workspace search
 * finds with the index's glob, read through the thread pool and handed over folder by folder.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listYamlFiles } from '../../../src/extension/folderListing';

async function listed(roots: string[], excluded: string[], limit: number): Promise<{ paths: string[][]; complete: boolean }> {
  const paths: string[][] = [];
  const { complete } = await listYamlFiles(roots, excluded, limit, (files) => paths.push(files));
  return { paths, complete };
}

describe('folder listing: the YAML files of the workspace folders, without blocking', () => {
  let dir: string;
  let tree: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-listing-'));
    tree = path.join(dir, 'tree');
    for (const folder of ['sub/deeper', 'node_modules/pkg', '.git', '.github/workflows'])
      fs.mkdirSync(path.join(tree, folder), { recursive: true });
    for (const file of [
      'a.yml',
      'b.yaml',
      'c.txt',
      'yml',
      'sub/deeper/d.yml',
      'node_modules/pkg/e.yml',
      '.git/f.yml',
      '.github/workflows/ci.yml',
    ])
      fs.writeFileSync(path.join(tree, file), 'id: x\n');
    fs.symlinkSync(path.join(tree, 'sub'), path.join(tree, 'sub', 'deeper', 'loop'));
    fs.symlinkSync(path.join(tree, 'a.yml'), path.join(tree, 'linked.yml'));
    fs.symlinkSync(path.join(tree, 'nowhere.yml'), path.join(tree, 'dangling.yml'));
    execFileSync('mkfifo', [path.join(tree, 'pipe.yml')]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds what the workspace search finds: regular YAML files, through links, each folder once, excluded folders left out', async () => {
    const { paths, complete } = await listed([tree], ['node_modules', '.git'], 1_000);
    assert.deepEqual(
      paths
        .flat()
        .map((file) => path.relative(tree, file))
        .sort(),
      ['.github/workflows/ci.yml', 'a.yml', 'b.yaml', 'linked.yml', 'sub/deeper/d.yml'],
    );
    assert.equal(complete, true);
  });

  it('hands the files over folder by folder, so parsing starts before the listing ends', async () => {
    const { paths } = await listed([tree], ['node_modules', '.git'], 1_000);
    assert.ok(paths.length >= 3, `one call per folder with YAML files, got ${JSON.stringify(paths)}`);
    for (const files of paths) assert.equal(new Set(files.map((file) => path.dirname(file))).size, 1);
  });

  it('stops at its limit of directory entries and says the listing is incomplete', async () => {
    assert.equal((await listed([tree], ['node_modules', '.git'], 3)).complete, false);
  });

  it('passes over a folder that does not exist or cannot be read', async () => {
    assert.deepEqual(await listed([path.join(dir, 'no-such-folder')], [], 1_000), { paths: [], complete: true });
    // A root that is a file: reading it as a folder fails (ENOTDIR), as an unreadable folder's would.
    assert.deepEqual(await listed([path.join(tree, 'a.yml'), tree], ['node_modules', '.git', 'sub', '.github'], 1_000), {
      paths: [['a.yml', 'b.yaml', 'linked.yml'].map((name) => path.join(tree, name))],
      complete: true,
    });
  });
});
