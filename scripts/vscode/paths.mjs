// Where the real-VS-Code harness keeps its tools and its runs. Everything lives under .vscode-test/
// (git-ignored) so that a run leaves nothing in /tmp or $HOME.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** KESTRA_SECRETS_VSCODE_DIR moves it (e.g. to a CI cache); it must not be under /tmp if TMPDIR isolation matters. */
export const harnessDir = process.env.KESTRA_SECRETS_VSCODE_DIR
  ? resolve(process.env.KESTRA_SECRETS_VSCODE_DIR)
  : join(repoRoot, '.vscode-test');
export const defaultCodeServerVersion = '4.100.3';
/**
 * KESTRA_SECRETS_CODE_SERVER picks another code-server, e.g. 4.90.3 (VS Code 1.90, the `engines.vscode` floor),
 * installed beside the default one in `code-server-<version>/`.
 */
export const codeServerVersion = process.env.KESTRA_SECRETS_CODE_SERVER || defaultCodeServerVersion;
const isDefaultVersion = codeServerVersion === defaultCodeServerVersion;
export const codeServerPrefix = join(harnessDir, isDefaultVersion ? 'code-server' : `code-server-${codeServerVersion}`);
export const codeServerPackage = join(codeServerPrefix, 'node_modules', 'code-server');
export const codeServerEntry = join(codeServerPackage, 'out', 'node', 'entry.js');
export const installedMarker = join(codeServerPrefix, `.installed-${codeServerVersion}`);
export const installTmpDir = join(harnessDir, isDefaultVersion ? 'install-tmp' : `install-tmp-${codeServerVersion}`);
export const chromiumPath = process.env.KESTRA_SECRETS_CHROMIUM || '/usr/bin/chromium';
export const integrationBundleDir = join(harnessDir, 'integration');
export const testResultsDir = join(repoRoot, 'test-results');
export const vsixPath = join(repoRoot, 'kestra-secrets.vsix');
export const extensionId = 'kestra-secrets.kestra-secrets';
