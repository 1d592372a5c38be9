// Installs the Debian tools the unit and acceptance suites run for real, idempotently and without stdin:
// pre-commit (test/acceptance/preCommitHook.test.ts). Run by `npm test` before the unit suite.
// Usage: node scripts/test-tools.mjs
import { spawnSync } from 'node:child_process';

const packages = [{ command: 'pre-commit', debianPackage: 'pre-commit' }];

const missing = packages.filter(({ command }) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0);
if (missing.length === 0) {
  console.log(`[test-tools] ${packages.map(({ command }) => command).join(', ')} already present`);
} else if (process.getuid?.() !== 0) {
  const names = missing.map(({ debianPackage }) => debianPackage).join(' ');
  console.log(`[test-tools] missing and not root: run \`sudo apt-get install -y ${names}\`; the tests that need them skip outside CI`);
} else {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing.map(({ debianPackage }) => debianPackage)],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      console.error(`[test-tools] apt-get ${args.join(' ')} failed with exit code ${result.status ?? result.error?.message}`);
      process.exit(1);
    }
  }
}
