// `npm run test:integration`: the integration suite inside a real VS Code (code-server + headless Chromium),
// then the UI checks in a fresh server with the packaged .vsix installed.
// Options: --skip-ui, --skip-integration, --no-build (reuse dist/ and kestra-secrets.vsix),
//          --no-package (reuse kestra-secrets.vsix), --keep (keep .vscode-test/run-*),
//          --grep <pattern> (integration tests only).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIntegrationTests } from './build-tests.mjs';
import { ensureInstalled } from './install.mjs';
import { repoRoot, testResultsDir, vsixPath } from './paths.mjs';
import { copyWorkspace, createRunDir, installVsix, removeRunDir, runInExtensionHost, writeUserSettings } from './server.mjs';
import { scanForCanary, testWorkspace, workspaceCanaries } from './workspace.mjs';

const INTEGRATION_TIMEOUT_MS = 4 * 60_000;
const OVERALL_TIMEOUT_MS = 10 * 60_000;
const MAX_VSIX_MB = 3;
const untrustedSettings = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': false,
};

const cleanups = new Set();

function log(message) {
  console.log(`[test:integration] ${message}`);
}

function parseArgs(argv) {
  const grepIndex = argv.indexOf('--grep');
  return {
    skipUi: argv.includes('--skip-ui'),
    skipIntegration: argv.includes('--skip-integration'),
    noBuild: argv.includes('--no-build'),
    noPackage: argv.includes('--no-package') || argv.includes('--no-build'),
    keep: argv.includes('--keep'),
    grep: grepIndex >= 0 ? argv[grepIndex + 1] : undefined,
  };
}

function npmRun(script, extraArgs = []) {
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', script, ...(extraArgs.length ? ['--', ...extraArgs] : [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`npm run ${script} failed with exit code ${result.status}`);
  log(`npm run ${script}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Builds the extension and packages the .vsix the UI checks install (and the size budget applies to). */
export function buildAndPackage({ noBuild = false, noPackage = false, skipUi = false } = {}) {
  if (!noBuild) npmRun('build');
  if (skipUi || (noPackage && existsSync(vsixPath))) return;
  // No stdin: vsce's questions (missing repository/licence) must fail instead of waiting forever.
  npmRun('package', ['--allow-missing-repository', '--skip-license']);
  const sizeMb = statSync(vsixPath).size / (1024 * 1024);
  log(`${vsixPath}: ${sizeMb.toFixed(2)} MB`);
  if (sizeMb > MAX_VSIX_MB) throw new Error(`the .vsix is ${sizeMb.toFixed(2)} MB, over the ${MAX_VSIX_MB} MB budget`);
}

/** Registers a cleanup that also runs on Ctrl+C, the overall timeout, or an error. */
export function onCleanup(cleanup) {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export async function runCleanups() {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      await cleanup();
    } catch (error) {
      console.error(`[test:integration] cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * One run of the suites in the extension host. `untrusted`: Workspace Trust on and the folder not trusted, for
 * the suites that check what a restricted workspace may not do (test/integration/index.ts picks them).
 */
async function runIntegrationSuite({ keep, grep, skipUi, noPackage }, { untrusted = false } = {}) {
  const run = createRunDir(untrusted ? 'untrusted' : 'integration');
  if (!keep) onCleanup(() => removeRunDir(run));
  // Per-run copies: concurrent runs (or a rebuild of dist/) cannot pull files from under this one.
  const bundleDir = await buildIntegrationTests(join(run.dir, 'suites'));
  const extensionUnderTest = extensionForIntegration(run, { packaged: !skipUi || noPackage });
  writeUserSettings(run, untrusted ? untrustedSettings : {});
  const workspace = copyWorkspace(run, testWorkspace);
  const env = { KESTRA_SECRETS_TEST_RESULTS: run.resultsDir, KESTRA_SECRETS_REPO: repoRoot };
  if (untrusted) env.KESTRA_SECRETS_TRUST_MODE = 'untrusted';
  if (grep) env.KESTRA_SECRETS_TEST_GREP = grep;
  const started = Date.now();
  const code = await runInExtensionHost(run, {
    workspace,
    env,
    testsPath: join(bundleDir, 'index.js'),
    extensionDevelopmentPath: extensionUnderTest,
    timeoutMs: INTEGRATION_TIMEOUT_MS,
    onCleanup,
    // Every log line our extension can write reaches its log file, where the canary scan looks.
    logLevel: 'trace',
    workspaceTrust: untrusted,
  });
  log(
    `extension host test run finished in ${((Date.now() - started) / 1000).toFixed(1)} s with ${code === 'timeout' ? 'a timeout' : `exit code ${code}`}`,
  );

  printMochaReport(run.resultsDir);
  const results = readResults(run.resultsDir);
  const leaks = canaryLeaks(run, workspace);
  for (const leak of leaks) console.error(`[test:integration] CANARY LEAK: ${leak}`);
  if (code === 'timeout')
    console.error(
      "[test:integration] timed out: rerun with KESTRA_SECRETS_VSCODE_VERBOSE=1 and --keep to see code-server's output and logs",
    );
  return { ok: code === 0 && results?.failures === 0 && leaks.length === 0, results, leaks };
}

/**
 * The extension the suite runs against: the packaged .vsix, unpacked by code-server's installer into the run
 * folder (what users get), or the repository itself when no package was built (--skip-ui).
 */
function extensionForIntegration(run, { packaged }) {
  if (!packaged || !existsSync(vsixPath)) {
    log('testing the development folder (no .vsix)');
    return repoRoot;
  }
  const unpacked = installVsix(run, vsixPath, join(run.dir, 'packaged-extension'));
  if (!unpacked) throw new Error(`installing ${vsixPath} produced no extension folder`);
  log(`testing the packaged extension unpacked in ${unpacked}`);
  return unpacked;
}

/** Scans the user data (logs of every output channel included) and the workspace copy for the canary. */
export function canaryLeaks(run, workspace) {
  const canaries = workspaceCanaries(testWorkspace);
  // Positive control: the scan must see the canary where the fixtures put it, or it proves nothing.
  if (scanForCanary([workspace], canaries).length === 0) return ['the canary scan found nothing, not even in the fixtures'];
  return scanForCanary([run.userDataDir, workspace], canaries, allowedCanaryFiles(workspace));
}

/** Files of the workspace copy that legitimately hold the canary: the fixtures and what the suite asked to write. */
function allowedCanaryFiles(workspace) {
  return (path) => path.startsWith(workspace) && /^\/(\.env|\.env_encoded|encode\/[^/]+)$/.test(path.slice(workspace.length));
}

function printMochaReport(resultsDir) {
  const report = join(resultsDir, 'mocha.log');
  if (existsSync(report)) process.stdout.write(readFileSync(report, 'utf8'));
  else console.error('[test:integration] the extension host wrote no mocha report (did the suite load?)');
}

function readResults(resultsDir) {
  const file = join(resultsDir, 'results.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => void runCleanups().finally(() => process.exit(130)));
  }
  const started = Date.now();
  let ok = true;
  let overall;
  try {
    // The first install may take minutes (native modules are compiled); the timeout covers the tests.
    ensureInstalled();
    overall = setTimeout(() => {
      console.error(`[test:integration] overall timeout of ${OVERALL_TIMEOUT_MS / 60_000} min reached`);
      void runCleanups().finally(() => process.exit(124));
    }, OVERALL_TIMEOUT_MS);
    mkdirSync(testResultsDir, { recursive: true });
    buildAndPackage(options);
    if (!options.skipIntegration) {
      const integration = await runIntegrationSuite(options);
      const untrusted = await runIntegrationSuite(options, { untrusted: true });
      ok &&= integration.ok && untrusted.ok;
    }
    if (!options.skipUi) {
      const { runUiChecks } = await import('../../test/ui/ui.mjs');
      const ui = await runUiChecks({ keep: options.keep, onCleanup });
      ok &&= ui.ok;
    }
  } catch (error) {
    ok = false;
    const verbose = process.env.KESTRA_SECRETS_VSCODE_VERBOSE === '1';
    console.error(`[test:integration] ${error instanceof Error ? (verbose ? error.stack : error.message) : String(error)}`);
  } finally {
    await runCleanups();
    clearTimeout(overall);
  }
  log(`${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(ok ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
