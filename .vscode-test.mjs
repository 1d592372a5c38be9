// @vscode/test-cli configuration, for machines that can download VS Code: `npx vscode-test` runs the very
// suites that `npm run test:integration` runs inside code-server here (test/integration/*.test.ts, bundled
// to .vscode-test/integration/ by scripts/vscode/build-tests.mjs), on a fresh copy of the test workspace.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildIntegrationTests } from './scripts/vscode/build-tests.mjs';
import { harnessDir, repoRoot } from './scripts/vscode/paths.mjs';
import { testWorkspace } from './scripts/vscode/workspace.mjs';

if (!existsSync(join(repoRoot, 'dist', 'extension.js')) || process.env.KESTRA_SECRETS_REBUILD === '1') {
  const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}
const bundleDir = await buildIntegrationTests();

// The suites write into the workspace (the encode command's output): never into the fixture itself.
const workspace = join(harnessDir, 'test-cli-workspace');
rmSync(workspace, { recursive: true, force: true });
cpSync(testWorkspace, workspace, { recursive: true });

export default {
  label: 'integration',
  files: join(bundleDir, '*.test.js'),
  extensionDevelopmentPath: repoRoot,
  workspaceFolder: workspace,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  env: { KESTRA_SECRETS_REPO: repoRoot },
  mocha: { ui: 'bdd', timeout: 60_000, color: true },
};
