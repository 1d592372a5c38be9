/**
 * Issue 11, point 9: the .vsix is ready for the VS Code Marketplace and Open VSX. A copy of the extension's
 * root is built and packaged with vsce as `npm run package` does; `vsce ls` must list exactly what the
 * extension needs, README images included, and the manifest must carry what the galleries show.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const VSCE = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function readmeImages(): string[] {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  return [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]);
}

describe('the .vsix for the Marketplace and Open VSX', function () {
  this.timeout(240_000);
  let stage: string;
  let listed: string[];

  before(async () => {
    stage = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-vsix-'));
    for (const file of ['package.json', '.vscodeignore', 'README.md', 'LICENSE', 'CHANGELOG.md'])
      fs.copyFileSync(path.join(REPO, file), path.join(stage, file));
    for (const folder of ['media', 'syntaxes', 'l10n']) fs.cpSync(path.join(REPO, folder), path.join(stage, folder), { recursive: true });
    for (const folder of ['src', 'scripts', 'node_modules']) fs.symlinkSync(path.join(REPO, folder), path.join(stage, folder));
    const built = await run(['scripts/build.mjs'], stage);
    assert.equal(built.code, 0, built.stderr);
    const ls = await run([VSCE, 'ls', '--no-dependencies'], stage);
    assert.equal(ls.code, 0, ls.stderr);
    listed = ls.stdout.split('\n').filter(Boolean).sort();
  });

  after(() => {
    if (stage) fs.rmSync(stage, { recursive: true, force: true });
  });

  it('lists only the manifest, README, LICENSE, CHANGELOG, the extension bundle, its SDK chunks, grammar, l10n, icons and README images', () => {
    const expected = [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
      'dist/analysisWorker.js',
      'dist/extension.js',
      'dist/extensionMain.js',
      'dist/sdk/aws.js',
      'dist/sdk/azure.js',
      'dist/sdk/google.js',
      'dist/sdk/vault.js',
      'l10n/bundle.l10n.json',
      'media/icon.png',
      'media/kestra-secrets.svg',
      'syntaxes/pebble-injection.tmLanguage.json',
      ...readmeImages(),
    ].sort();
    assert.deepEqual(listed, expected);
  });

  it('packs every image the README shows, and no README image is an SVG (the Marketplace refuses them)', () => {
    const images = readmeImages();
    assert.ok(images.length >= 4, images.join(', '));
    for (const image of images) {
      assert.ok(listed.includes(image), `${image} is not packed`);
      assert.ok(!/\.svg$/i.test(image), image);
    }
  });

  it('has the manifest fields the galleries show: a 128 px PNG icon, repository, bugs, homepage, banner', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const icon = fs.readFileSync(path.join(REPO, manifest.icon));
    assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(icon.readUInt32BE(16) >= 128 && icon.readUInt32BE(20) >= 128, 'icon smaller than 128x128');
    assert.match(manifest.repository.url, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    assert.match(manifest.bugs.url, /^https:\/\/github\.com\/.+\/issues$/);
    assert.match(manifest.homepage, /^https:\/\//);
    assert.match(manifest.galleryBanner.color, /^#[0-9A-Fa-f]{6}$/);
    assert.ok(['dark', 'light'].includes(manifest.galleryBanner.theme));
  });

  it('packages with vsce as `npm run package` does', async () => {
    const packaged = await run([VSCE, 'package', '--no-dependencies', '-o', 'kestra-secrets.vsix'], stage);
    assert.equal(packaged.code, 0, packaged.stderr);
    assert.ok(fs.statSync(path.join(stage, 'kestra-secrets.vsix')).size > 100_000);
  });
});
