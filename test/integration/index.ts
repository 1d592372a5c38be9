/**
 * Test-runner index for the extension host, shaped like a @vscode/test-electron suite index: the host
 * calls `run()` with the bundled suites beside this file (see scripts/vscode/build-tests.mjs).
 *
 * The extension host's console does not reach the terminal that started code-server, so when
 * KESTRA_SECRETS_TEST_RESULTS names a folder the mocha report is also written there
 * (`mocha.log`, and `results.json` with the counts) for scripts/vscode/run.mjs to print.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { isolateTopLevelSuites } from './isolation';

interface ResultsSummary {
  passes: number;
  failures: number;
  pending: number;
  failed: string[];
  durationMs: number;
}

type ConsoleLog = (...args: unknown[]) => void;

export async function run(): Promise<void> {
  const resultsDir = process.env.KESTRA_SECRETS_TEST_RESULTS;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.KESTRA_SECRETS_TEST_GREP;
  if (grep) mocha.grep(grep);
  isolateTopLevelSuites(mocha.suite);
  for (const file of suiteFiles(__dirname)) mocha.addFile(file);

  const restoreLog = resultsDir ? teeReporterOutput(path.join(resultsDir, 'mocha.log')) : () => undefined;
  const started = Date.now();
  try {
    const summary = await runMocha(mocha);
    summary.durationMs = Date.now() - started;
    if (resultsDir) fs.writeFileSync(path.join(resultsDir, 'results.json'), JSON.stringify(summary, null, 2));
    if (summary.failures > 0) throw new Error(`${summary.failures} integration test(s) failed`);
  } finally {
    restoreLog();
  }
}

/**
 * The bundled suites beside the index (see scripts/vscode/build-tests.mjs): in an untrusted workspace
 * (KESTRA_SECRETS_TRUST_MODE=untrusted) only `untrusted.test.js`, otherwise every other `*.test.js`.
 */
function suiteFiles(dir: string): string[] {
  const untrusted = process.env.KESTRA_SECRETS_TRUST_MODE === 'untrusted';
  return fs
    .readdirSync(dir)
    .filter((name) => /\.test\.js$/.test(name) && (name === 'untrusted.test.js') === untrusted)
    .sort()
    .map((name) => path.join(dir, name));
}

function runMocha(mocha: Mocha): Promise<ResultsSummary> {
  return new Promise((resolve, reject) => {
    const failed: string[] = [];
    try {
      const runner = mocha.run(() => {
        resolve({
          passes: runner.stats?.passes ?? 0,
          failures: runner.failures,
          pending: runner.stats?.pending ?? 0,
          failed,
          durationMs: 0,
        });
      });
      runner.on('fail', (test) => failed.push(test.fullTitle()));
    } catch (error) {
      reject(error);
    }
  });
}

/** Mirrors everything the reporter prints into a file, line by line as it happens. */
function teeReporterOutput(file: string): () => void {
  fs.writeFileSync(file, '');
  const base = Mocha.reporters.Base as unknown as { consoleLog: ConsoleLog };
  const original = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    fs.appendFileSync(file, `${format(...args)}\n`);
    original(...args);
  };
  return () => {
    base.consoleLog = original;
  };
}
