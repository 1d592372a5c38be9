// `npm run try`: code-server on 127.0.0.1 with the freshly built extension installed and examples/oss-compose
// open, the way a newcomer first sees the product. Runs until Ctrl+C, then removes everything it created.
// Options: --port <n> (default 8080, or any free port when 8080 is taken), --no-build, --keep.
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureInstalled } from './install.mjs';
import { repoRoot, vsixPath } from './paths.mjs';
import { buildAndPackage, onCleanup, runCleanups } from './run.mjs';
import { copyWorkspace, createRunDir, installVsix, removeRunDir, startCodeServer, writeUserSettings } from './server.mjs';
import { testWorkspace } from './workspace.mjs';

function exampleWorkspace() {
  const example = join(repoRoot, 'examples', 'oss-compose');
  return existsSync(example) && readdirSync(example).length > 0 ? example : testWorkspace;
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const portIndex = argv.indexOf('--port');
  const wantedPort = portIndex >= 0 ? Number(argv[portIndex + 1]) : 8080;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.log('\nStopping code-server…');
      void runCleanups().finally(() => process.exit(0));
    });
  }
  ensureInstalled();
  buildAndPackage({ noBuild: argv.includes('--no-build'), noPackage: argv.includes('--no-build') });
  const run = createRunDir('try');
  if (!argv.includes('--keep')) onCleanup(() => removeRunDir(run));
  // A person is typing here: keep the editor's usual conveniences, only silence telemetry and first-run pages.
  writeUserSettings(run, {
    'files.autoSave': 'afterDelay',
    'files.hotExit': 'onExit',
    'editor.autoClosingQuotes': 'languageDefined',
    'editor.autoClosingBrackets': 'languageDefined',
    'editor.autoClosingOvertype': 'auto',
    'editor.autoSurround': 'languageDefined',
    'editor.autoIndent': 'full',
  });
  installVsix(run, vsixPath);
  const source = exampleWorkspace();
  const workspace = copyWorkspace(run, source, 'oss-compose');
  const port = (await portIsFree(wantedPort)) ? wantedPort : 0;
  const server = await startCodeServer(run, { folder: workspace, port });
  onCleanup(() => server.stop());
  console.log('');
  console.log(`  Kestra Secrets in VS Code (code-server): ${server.baseUrl}/?folder=${encodeURIComponent(workspace)}`);
  console.log(`  Workspace: a copy of ${source.slice(repoRoot.length + 1)} in ${workspace}`);
  console.log('  Press Ctrl+C to stop.');
  console.log('');
  server.child.once('exit', (code) => {
    console.error(`code-server stopped (exit code ${code})`);
    void runCleanups().finally(() => process.exit(code === 0 ? 0 : 1));
  });
}

main().catch((error) => {
  console.error(`[try] ${error instanceof Error ? error.message : String(error)}`);
  void runCleanups().finally(() => process.exit(1));
});
