/**
 * Loads a cloud SDK only when its backend is first used. In the bundle, each SDK is its own chunk
 * (`dist/sdk/<name>.js`, built from `src/sdk/<name>.ts`); from sources (tests, tsx) the module is
 * required directly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type SdkName = 'aws' | 'azure' | 'google' | 'vault';

const loaded = new Map<SdkName, unknown>();

export function loadSdk<T>(name: SdkName): T {
  const cached = loaded.get(name);
  if (cached) return cached as T;
  const chunk = path.join(__dirname, 'sdk', `${name}.js`);
  // A variable, not a template literal: esbuild would bundle every src/sdk module into the caller.
  const fromSources = `../sdk/${name}`;
  const sdk = fs.existsSync(chunk) ? require(chunk) : require(fromSources);
  loaded.set(name, sdk);
  return sdk as T;
}
