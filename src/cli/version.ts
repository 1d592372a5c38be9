/**
 * The CLI's version. Bundles get it as a build-time constant (esbuild `define` in scripts/build.mjs), so
 * package.json is not inlined into dist/cli.js; running from source (tsx) reads package.json instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

declare const KESTRA_SECRETS_VERSION: string | undefined;

export function cliVersion(): string {
  if (typeof KESTRA_SECRETS_VERSION === 'string') return KESTRA_SECRETS_VERSION;
  const packageJson = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }).version;
}
