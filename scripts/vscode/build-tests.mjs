// Bundles test/integration/*.ts into plain CommonJS for the extension host (which cannot load TypeScript):
// .vscode-test/integration/index.js (the suite index exporting run()), one <name>.test.js per suite, and
// bench.js (the benchmark's in-host half, see scripts/vscode/bench.mjs).
// `vscode` and every npm package (mocha, yaml) stay external and resolve from the repository's node_modules.
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { integrationBundleDir, repoRoot } from './paths.mjs';

export async function buildIntegrationTests(outdir = integrationBundleDir) {
  const sourceDir = join(repoRoot, 'test', 'integration');
  const entries = readdirSync(sourceDir).filter((name) => ['index.ts', 'bench.ts'].includes(name) || name.endsWith('.test.ts'));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: Object.fromEntries(entries.map((name) => [name.replace(/\.ts$/, ''), join(sourceDir, name)])),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    packages: 'external',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outdir = await buildIntegrationTests();
  console.log(`integration suites bundled into ${outdir}`);
}
