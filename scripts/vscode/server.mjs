// Starting and stopping one isolated code-server + headless Chromium pair.
// Each run gets its own folder under .vscode-test/run-* holding the user data, extensions, browser profile,
// TMPDIR, XDG and HOME directories, so nothing is written to /tmp or the real $HOME.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, codeServerEntry, harnessDir } from './paths.mjs';

const STARTUP_TIMEOUT_MS = 60_000;
const supervisorScript = fileURLToPath(new URL('./supervise.mjs', import.meta.url));

// What makes an editor deterministic for tests: nothing saved behind our back, nothing typed for us.
export const testUserSettings = {
  'files.autoSave': 'off',
  'files.hotExit': 'off',
  'editor.autoClosingQuotes': 'never',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingOvertype': 'never',
  'editor.autoSurround': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
};

function log(message) {
  console.log(`[vscode] ${message}`);
}

/** Creates .vscode-test/run-<label>-XXXX with every directory a server and a browser need. */
export function createRunDir(label) {
  mkdirSync(harnessDir, { recursive: true });
  const dir = mkdtempSync(join(harnessDir, `run-${label}-`));
  const paths = {
    dir,
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    profileDir: join(dir, 'browser-profile'),
    tmpDir: join(dir, 'tmp'),
    homeDir: join(dir, 'home'),
    xdgConfig: join(dir, 'xdg', 'config'),
    xdgData: join(dir, 'xdg', 'data'),
    xdgCache: join(dir, 'xdg', 'cache'),
    xdgState: join(dir, 'xdg', 'state'),
    xdgRuntime: join(dir, 'xdg', 'runtime'),
    resultsDir: join(dir, 'results'),
  };
  for (const path of Object.values(paths)) mkdirSync(path, { recursive: true, mode: 0o700 });
  return paths;
}

/** Environment that keeps every process of the run inside its run folder. */
export function isolatedEnv(run, extra = {}) {
  return {
    ...process.env,
    HOME: run.homeDir,
    TMPDIR: run.tmpDir,
    XDG_CONFIG_HOME: run.xdgConfig,
    XDG_DATA_HOME: run.xdgData,
    XDG_CACHE_HOME: run.xdgCache,
    XDG_STATE_HOME: run.xdgState,
    XDG_RUNTIME_DIR: run.xdgRuntime,
    EXTENSIONS_GALLERY: '{}',
    VSCODE_CLI_DISABLE_TELEMETRY: '1',
    ...extra,
  };
}

export function writeUserSettings(run, extra = {}) {
  const userDir = join(run.userDataDir, 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.json'), JSON.stringify({ ...testUserSettings, ...extra }, null, 2));
}

/** Copies a workspace into the run folder so that nothing typed or written by a test reaches the original. */
export function copyWorkspace(run, source, name = 'workspace') {
  const target = join(run.dir, name);
  cpSync(source, target, { recursive: true });
  return target;
}

function codeServerArgs(run, extensionsDir = run.extensionsDir, { workspaceTrust = false } = {}) {
  return [
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--config',
    join(run.dir, 'code-server.yaml'),
    '--user-data-dir',
    run.userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
}

/**
 * Installs a .vsix with code-server's own CLI into the run's extensions folder (or `extensionsDir`),
 * and returns the folder it was unpacked into.
 */
export function installVsix(run, vsixPath, extensionsDir = run.extensionsDir) {
  const before = new Set(existsSync(extensionsDir) ? readdirSync(extensionsDir) : []);
  const result = spawnSync(
    process.execPath,
    [codeServerEntry, ...codeServerArgs(run, extensionsDir), '--force', '--install-extension', vsixPath],
    {
      env: isolatedEnv(run),
      encoding: 'utf8',
      timeout: STARTUP_TIMEOUT_MS,
    },
  );
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsixPath} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  log(`installed ${vsixPath}`);
  const added = readdirSync(extensionsDir).find((name) => !before.has(name) && statSync(join(extensionsDir, name)).isDirectory());
  return added ? join(extensionsDir, added) : undefined;
}

/**
 * Starts code-server on 127.0.0.1 (port 0 = any free port, or the given one) in its own process group,
 * and resolves once /healthz answers. `stop()` kills the whole group, extension host included.
 */
export async function startCodeServer(run, { folder, port = 0, env = {}, quiet = true, logLevel, workspaceTrust = false } = {}) {
  writeFileSync(join(run.dir, 'code-server.yaml'), 'auth: none\ncert: false\n');
  const args = [codeServerEntry, ...codeServerArgs(run, run.extensionsDir, { workspaceTrust }), '--bind-addr', `127.0.0.1:${port}`];
  if (logLevel) args.push('--log', logLevel);
  if (folder) args.push(folder);
  // The supervisor leads the new process group and takes it down if this process dies without cleaning up.
  const child = spawn(process.execPath, [supervisorScript, String(process.pid), '--', process.execPath, ...args], {
    env: isolatedEnv(run, env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk) => {
    output += chunk.toString();
    if (!quiet) process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const stop = () => stopProcessGroup(child);
  try {
    const boundPort = await waitForListening(child, () => output);
    const baseUrl = `http://127.0.0.1:${boundPort}`;
    await waitForHealthz(baseUrl);
    return { child, port: boundPort, baseUrl, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForListening(child, output) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`code-server did not start within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output()}`)),
      STARTUP_TIMEOUT_MS,
    );
    const poll = setInterval(() => {
      const match = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output());
      if (match) finish(undefined, Number(match[1]));
    }, 50);
    const onExit = (code) => finish(new Error(`code-server exited with code ${code} before listening:\n${output()}`));
    child.once('exit', onExit);
    function finish(error, port) {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(port);
    }
  });
}

async function waitForHealthz(baseUrl) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return;
    } catch {
      // not answering yet
    }
    await delay(100);
  }
  throw new Error(`code-server at ${baseUrl} never answered /healthz`);
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stopProcessGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, 'SIGKILL');
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child.pid, 'SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), delay(3000).then(() => false)]);
  // The extension host and other helpers share the group; make sure none survives.
  killGroup(child.pid, 'SIGKILL');
  if (!graceful) await Promise.race([exited, delay(2000)]);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

/** The workbench URL for a folder, with optional development/test payload (the CLI refuses these flags). */
export function workbenchUrl(server, folder, { extensionDevelopmentPath, extensionTestsPath } = {}) {
  const url = new URL(`${server.baseUrl}/`);
  if (folder) url.searchParams.set('folder', folder);
  const payload = [];
  const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  if (payload.length > 0) url.searchParams.set('payload', JSON.stringify(payload));
  return url.toString();
}

/**
 * Launches Debian's Chromium headless through playwright-core with a persistent profile in the run folder.
 * Playwright's own signal handlers are off: the caller cleans up (they would exit before code-server is killed).
 */
export async function launchBrowser(run, { viewport = { width: 1440, height: 900 } } = {}) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run node scripts/vscode/install.mjs`);
  // Playwright makes its artifacts folder in os.tmpdir() of this process: keep that inside the run folder too.
  const ownTmpDir = process.env.TMPDIR;
  process.env.TMPDIR = run.tmpDir;
  const launching = chromium.launchPersistentContext(run.profileDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    // The workbench's clipboard is the browser's: without these, reading it fails (VS Code then returns '').
    permissions: ['clipboard-read', 'clipboard-write'],
    env: isolatedEnv(run),
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await launching.finally(() => {
    if (ownTmpDir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = ownTmpDir;
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, close: () => context.close().catch(() => undefined) };
}

/** Every file under a directory (recursively), for the canary scan. */
export function listFiles(dir) {
  const files = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && statSync(path).size < 50 * 1024 * 1024) files.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}

export function removeRunDir(run) {
  rmSync(run.dir, { recursive: true, force: true });
}

/**
 * Runs an extension-tests module (a `run()` export) in the extension host of a fresh code-server + browser,
 * with the repository as the extension under development. Resolves with the exit code the workbench reports
 * through `window.codeAutomationExit`, or 'timeout'. Server and browser are stopped before it resolves.
 */
export async function runInExtensionHost(
  run,
  { workspace, testsPath, env = {}, timeoutMs, onCleanup, extensionDevelopmentPath, logLevel, workspaceTrust },
) {
  const server = await startCodeServer(run, { folder: workspace, env, logLevel, workspaceTrust });
  const stopServer = onCleanup(() => server.stop());
  try {
    const browser = await launchBrowser(run);
    const closeBrowser = onCleanup(() => browser.close());
    try {
      const exitCode = new Promise((resolve) => {
        browser.page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code))).catch(() => undefined);
      });
      await browser.page.goto(workbenchUrl(server, workspace, { extensionDevelopmentPath, extensionTestsPath: testsPath }));
      return await Promise.race([exitCode, delay(timeoutMs).then(() => 'timeout')]);
    } finally {
      await browser.close();
      closeBrowser();
    }
  } finally {
    await server.stop();
    stopServer();
    if (process.env.KESTRA_SECRETS_VSCODE_VERBOSE === '1') process.stderr.write(server.output());
  }
}
