/**
 * Issue 8, point 4: the folder walk never aborts and never hangs. Built on a real file system with
 * real named pipes, sockets and symbolic links (root ignores permissions, so these are the cases that
 * fail for root too).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFilesUnder, readTextFile, walkFiles } from '../../../src/core/files';

const isYaml = (name: string) => /\.ya?ml$/i.test(name);

describe('walkFiles: every readable file once, every other path skipped with a reason', function () {
  this.timeout(10_000);
  let root: string;
  let server: net.Server | undefined;

  const at = (...parts: string[]) => path.join(root, ...parts);
  const write = (relative: string, text = 'id: a\n') => {
    fs.mkdirSync(path.dirname(at(relative)), { recursive: true });
    fs.writeFileSync(at(relative), text);
  };
  const relative = (files: string[]) => files.map((file) => path.relative(root, file));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-walk-'));
  });

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('skips a named pipe with a yaml name without opening it, and checks its siblings', () => {
    write('flows/a.yaml');
    execFileSync('mkfifo', [at('flows', 'pipe.yaml')]);
    const result = walkFiles([root], isYaml);
    assert.deepEqual(relative(result.files), ['flows/a.yaml']);
    assert.deepEqual(result.skipped, [{ path: at('flows', 'pipe.yaml'), reason: 'it is a named pipe, not a regular file' }]);
  });

  it('skips a socket with a yaml name', async () => {
    write('a.yml');
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(at('socket.yaml'), resolve));
    const result = walkFiles([root], isYaml);
    assert.deepEqual(relative(result.files), ['a.yml']);
    assert.deepEqual(result.skipped, [{ path: at('socket.yaml'), reason: 'it is a socket, not a regular file' }]);
  });

  it('ignores special files whose names are not wanted', () => {
    write('a.yaml');
    execFileSync('mkfifo', [at('notes.pipe')]);
    assert.deepEqual(walkFiles([root], isYaml).skipped, []);
  });

  it('skips broken and looping symbolic links with a reason each', () => {
    write('flows/a.yaml');
    fs.symlinkSync(at('gone.yaml'), at('flows', 'broken.yaml'));
    fs.symlinkSync('loop-b', at('loop-a'));
    fs.symlinkSync('loop-a', at('loop-b'));
    const result = walkFiles([root], isYaml);
    assert.deepEqual(relative(result.files), ['flows/a.yaml']);
    assert.deepEqual(
      result.skipped.map((skipped) => [path.relative(root, skipped.path), skipped.reason]),
      [
        ['flows/broken.yaml', 'it is a broken symbolic link (its target does not exist)'],
        ['loop-a', 'it is a symbolic link loop'],
        ['loop-b', 'it is a symbolic link loop'],
      ],
    );
  });

  it('follows symbolic links to files and folders once, by real path, and survives a link cycle', () => {
    write('shared/common.yaml');
    write('flows/a.yaml');
    fs.symlinkSync(at('shared'), at('flows', 'linked'));
    fs.symlinkSync(at('flows', 'a.yaml'), at('flows', 'alias.yaml'));
    fs.symlinkSync('..', at('shared', 'up'));
    const result = walkFiles([at('flows')], isYaml);
    assert.deepEqual(relative(result.files), ['flows/a.yaml', 'flows/linked/common.yaml']);
    assert.deepEqual(result.skipped, []);
  });

  it('checks each file once when the roots overlap', () => {
    write('flows/a.yaml');
    write('flows/sub/b.yaml');
    write('other.yaml');
    const result = walkFiles([root, at('flows'), at('flows', 'a.yaml'), at('flows', 'sub')], isYaml);
    assert.deepEqual(relative(result.files), ['flows/a.yaml', 'flows/sub/b.yaml', 'other.yaml']);
    const reversed = walkFiles([at('flows', 'a.yaml'), root], isYaml);
    assert.deepEqual(relative(reversed.files), ['flows/a.yaml', 'flows/sub/b.yaml', 'other.yaml']);
  });

  it('skips node_modules and .git, also behind a link', () => {
    write('node_modules/pkg/flow.yaml');
    write('.git/hooks/flow.yaml');
    write('keep/flow.yaml');
    fs.symlinkSync(at('keep'), at('node_modules', 'linked'));
    assert.deepEqual(relative(walkFiles([root], isYaml).files), ['keep/flow.yaml']);
  });

  it('keeps a root file whatever its name and skips a root that is a pipe', () => {
    write('flow.txt');
    execFileSync('mkfifo', [at('pipe.yaml')]);
    const result = walkFiles([at('flow.txt'), at('pipe.yaml')], isYaml);
    assert.deepEqual(relative(result.files), ['flow.txt']);
    assert.deepEqual(result.skipped, [{ path: at('pipe.yaml'), reason: 'it is a named pipe, not a regular file' }]);
  });

  it('findFilesUnder stays quiet and sorted for the Compose and env-file lookups', () => {
    write('b/docker-compose.yml');
    write('a/docker-compose.yml');
    fs.symlinkSync(at('gone'), at('broken'));
    assert.deepEqual(relative(findFilesUnder(root, (name) => name === 'docker-compose.yml')), [
      'a/docker-compose.yml',
      'b/docker-compose.yml',
    ]);
  });
});

describe('readTextFile: reads regular files and never blocks on anything else', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-read-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads UTF-8 text', () => {
    fs.writeFileSync(path.join(root, 'a.yaml'), '\uFEFFid: é\n');
    assert.deepEqual(readTextFile(path.join(root, 'a.yaml')), { text: '\uFEFFid: é\n' });
  });

  it('returns a named pipe as skipped at once instead of waiting for a writer', () => {
    const pipe = path.join(root, 'swapped.yaml');
    execFileSync('mkfifo', [pipe]);
    assert.deepEqual(readTextFile(pipe), { skipped: { path: pipe, reason: 'it is a named pipe, not a regular file' } });
  });

  it('returns a folder or a vanished file as skipped with a reason', () => {
    assert.deepEqual(readTextFile(root), { skipped: { path: root, reason: 'it is a folder, not a regular file' } });
    assert.deepEqual(readTextFile(path.join(root, 'gone.yaml')), {
      skipped: { path: path.join(root, 'gone.yaml'), reason: 'it no longer exists' },
    });
  });
});
