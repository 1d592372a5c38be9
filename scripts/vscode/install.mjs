// Installs what the real-VS-Code harness needs on a clean Debian machine, idempotently and without stdin:
// Debian's Chromium and ripgrep (+ libkrb5-dev to compile code-server's kerberos addon), then code-server
// from npm into .vscode-test/code-server, outside the project's own dependencies.
// Usage: node scripts/vscode/install.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  chromiumPath,
  codeServerEntry,
  codeServerPackage,
  codeServerPrefix,
  codeServerVersion,
  installTmpDir,
  installedMarker,
} from './paths.mjs';

// npm 11 blocks dependency install scripts unless allowed. code-server's own postinstall runs nested
// project-scoped `npm install`s (lib/vscode, lib/vscode/extensions) that must read the policy from a user .npmrc,
// and npm exports that setting as an env var to lifecycle scripts, which nested installs reject (EALLOWSCRIPTS).
// So npm runs argon2's script only, and we run code-server's postinstall ourselves with a clean environment.
const topLevelScripts = { argon2: true, 'code-server': false };
// Not listed, so not built: @vscode/windows-process-tree, @vscode/windows-registry and @vscode/deviceid, whose
// native parts only serve Windows (VS Code reads the Linux device id from a file).
const nestedPackagesWithInstallScripts = [
  '@parcel/watcher',
  '@vscode/ripgrep',
  '@vscode/spdlog',
  'kerberos',
  'native-watchdog',
  'node-pty',
  'esbuild',
];
// The @vscode/ripgrep version each code-server pins in lib/vscode/npm-shrinkwrap.json, and the asset its
// postinstall fetches (the same for both).
const ripgrepPackageVersions = { '4.100.3': '1.15.11', '4.90.3': '1.15.9' };
const ripgrepAsset = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
// kerberos 2.0.1 (pinned by code-server 4.90.3) bundles a node-addon-api that current Node 20 headers reject
// (finalizers now take a const napi_env): g++ accepts it as a warning with -fpermissive.
const nativeBuildEnv = { '4.90.3': { CXXFLAGS: '-fpermissive' } };

function log(message) {
  console.error(`[vscode-install] ${message}`);
}

// Installers write to stderr so that a caller's stdout (the benchmark's JSON) carries only its own result.
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['inherit', 2, 2], ...options });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
}

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function kerberosHeadersPresent() {
  return existsSync('/usr/include/gssapi/gssapi.h') || existsSync('/usr/include/gssapi.h');
}

function ensureDebianPackages({ needKerberos }) {
  if (existsSync(chromiumPath) && commandExists('rg') && (!needKerberos || kerberosHeadersPresent())) {
    log('chromium, ripgrep (and libkrb5-dev) already present');
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'chromium, ripgrep and libkrb5-dev are missing and this is not root: run ' +
        '`sudo apt-get install -y chromium libkrb5-dev ripgrep` then retry',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'libkrb5-dev', 'ripgrep'], { env });
}

// @vscode/ripgrep's postinstall downloads rg from GitHub; give it Debian's binary in the cache it checks first.
function seedRipgrepCache(tmpDir) {
  const ripgrepPackageVersion = ripgrepPackageVersions[codeServerVersion];
  if (!ripgrepPackageVersion) {
    throw new Error(
      `no @vscode/ripgrep version known for code-server ${codeServerVersion}: add the one its lib/vscode/npm-shrinkwrap.json pins to install.mjs`,
    );
  }
  const cacheDir = join(tmpDir, `vscode-ripgrep-cache-${ripgrepPackageVersion}`);
  mkdirSync(cacheDir, { recursive: true });
  const rgPath = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  const rgDir = rgPath.slice(0, rgPath.lastIndexOf('/'));
  run('tar', ['-czf', join(cacheDir, ripgrepAsset), '-C', rgDir, 'rg']);
}

// The policy for the nested installs, extending the invoking user's own .npmrc (registry, CA, nodedir for offline node-gyp builds).
function writeHarnessUserConfig() {
  const ownUserConfig = process.env.npm_config_userconfig || join(homedir(), '.npmrc');
  const inherited = existsSync(ownUserConfig) ? readFileSync(ownUserConfig, 'utf8') : '';
  const harnessUserConfig = join(installTmpDir, 'npmrc');
  writeFileSync(harnessUserConfig, `${inherited}\nallow-scripts=${nestedPackagesWithInstallScripts.join(',')}\n`);
  return harnessUserConfig;
}

// Drops npm_config_* inherited from an enclosing `npm run`, which would override our settings.
function withoutNpmConfigEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_config_(allow_scripts|userconfig|user_agent)$/i.test(name)));
}

function installCodeServer() {
  rmSync(codeServerPrefix, { recursive: true, force: true });
  rmSync(installTmpDir, { recursive: true, force: true });
  mkdirSync(codeServerPrefix, { recursive: true });
  mkdirSync(installTmpDir, { recursive: true });
  seedRipgrepCache(installTmpDir);
  writeFileSync(
    join(codeServerPrefix, 'package.json'),
    JSON.stringify(
      {
        name: 'kestra-secrets-vscode-harness',
        private: true,
        description: 'code-server for the Kestra Secrets integration tests (installed by scripts/vscode/install.mjs)',
        allowScripts: topLevelScripts,
      },
      null,
      2,
    ),
  );
  const env = withoutNpmConfigEnv({
    ...process.env,
    TMPDIR: installTmpDir,
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
  });
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${codeServerVersion}`], { cwd: codeServerPrefix, env });
  const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8', env }).stdout.trim();
  run('sh', ['./postinstall.sh'], {
    cwd: codeServerPackage,
    env: {
      ...env,
      npm_config_userconfig: writeHarnessUserConfig(),
      // postinstall.sh picks npm and checks the Node major version from the user agent npm would have set.
      npm_config_user_agent: `npm/${npmVersion} node/${process.version} ${process.platform} ${process.arch} workspaces/false`,
      npm_config_unsafe_perm: 'true',
      ...nativeBuildEnv[codeServerVersion],
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    },
  });
  if (!existsSync(codeServerEntry)) throw new Error(`code-server installed but ${codeServerEntry} is missing`);
  rmSync(installTmpDir, { recursive: true, force: true });
  writeFileSync(installedMarker, `${new Date().toISOString()}\n`);
}

export function codeServerInstalled() {
  return existsSync(installedMarker) && existsSync(codeServerEntry);
}

export function ensureInstalled() {
  const started = Date.now();
  const needCodeServer = !codeServerInstalled();
  ensureDebianPackages({ needKerberos: needCodeServer });
  if (needCodeServer) {
    log(`installing code-server@${codeServerVersion} into ${codeServerPrefix}`);
    installCodeServer();
  } else {
    log(`code-server@${codeServerVersion} already installed`);
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    ensureInstalled();
  } catch (error) {
    console.error(`[vscode-install] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
