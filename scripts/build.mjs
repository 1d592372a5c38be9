// Bundles the extension, the CLI and one chunk per cloud SDK with esbuild.
// The SDK chunks are separate entry points so that neither activation nor the CLI loads an SDK
// until its backend is used (see src/backends/sdk.ts).
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = !watch && process.env.KESTRA_SECRETS_DEV !== '1';

const sdkChunks = ['aws', 'azure', 'google', 'vault'].filter((name) => existsSync(`src/sdk/${name}.ts`));

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * The `yaml` parser reads `process.env.LOG_TOKENS` for every lexeme and the composer `process.env.LOG_STREAM` for
 * every token: its maintainers' debugging switches. Each read of `process.env` is a call into C++, about a tenth
 * of a flow's analysis; the bundles read them as `false`. A `yaml` release that drops or renames them fails the
 * build here rather than silently losing the fix.
 */
const yamlDebugSwitches = {
  name: 'yaml-debug-switches',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const switches = /\bnode_process\.env\.LOG_(TOKENS|STREAM)\b/g;
      if (!switches.test(source)) throw new Error(`${args.path} no longer reads LOG_TOKENS or LOG_STREAM: update scripts/build.mjs`);
      return { contents: source.replace(switches, 'false'), loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  plugins: [yamlDebugSwitches],
  // `kestra-secrets --version` without bundling package.json (src/cli/version.ts).
  define: { KESTRA_SECRETS_VERSION: JSON.stringify(version) },
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: 'none',
  logLevel: 'warning',
  // Pulled in by the SDKs only on code paths we never take (optional native helpers).
  external: ['vscode', 'encoding', 'supports-color', '@azure/msal-node-extensions', 'keytar'],
};

const builds = [
  // The entry starts the first analysis worker, then loads the rest (src/extension/bootstrap.ts).
  { ...common, entryPoints: { extension: 'src/extension/bootstrap.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { extensionMain: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' },
  // Flow analysis runs on its own thread in the editor (src/extension/flowAnalyzer.ts).
  { ...common, entryPoints: { analysisWorker: 'src/extension/analysisWorker.ts' }, outdir: 'dist' },
  ...sdkChunks.map((name) => ({ ...common, entryPoints: { [name]: `src/sdk/${name}.ts` }, outdir: 'dist/sdk' })),
];

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  console.log(`esbuild: built ${builds.length} bundles in ${Date.now() - started} ms`);
}
