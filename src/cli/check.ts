/** `kestra-secrets check`: every flow under the given paths against the configured secret store. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFlow, keysWithSubkeys, referencedNamespaces, type VisibleLookup } from '../core/checks';
import type { VisibleSecrets } from '../core/catalogTypes';
import type { SecretCatalog } from '../core/catalog';
import { findFilesUnder } from '../core/files';
import { analyzeFlow, looksLikeFlow, type FlowAnalysis } from '../core/flow';
import type { Problem } from '../core/types';
import { formatForCi } from './formats';
import type { CliIo } from './io';
import { createCliCatalog, parseStoreOptions, reportFailure, resolveConfig, UsageError } from './options';

const HELP = `Usage: kestra-secrets check [PATH...] [--config FILE] [--server URL] [--tenant T]
                            [--encoded-env FILE] [--read-values]
                            [--format text|json|sarif|github|gitlab]

Checks every Kestra flow (YAML with id, namespace and tasks or triggers) under each PATH
(default .) against the configured secret store: missing keys, missing sub-keys, sub-keys of
non-JSON secrets, and invalid SECRET_ definitions in encoded env files. Dynamic keys are
reported as information. Secret values are never printed.

  --read-values   let stores without a keys-only API read values (in memory) to check sub-keys
  --format json   one JSON array of {file, line, column, endLine, endColumn, severity, code, message}
  --format sarif  SARIF 2.1.0 (GitHub code scanning); paths relative to the current folder (%SRCROOT%)
  --format github GitHub Actions workflow commands, which annotate pull requests
  --format gitlab GitLab Code Quality report (JSON)

Exit codes: 0 no errors, 1 errors found or the secret store could not be listed,
2 bad usage or configuration.
`;

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.vscode-test', 'dist', 'out']);

interface ScannedFlow {
  file: string;
  analysis: FlowAnalysis;
}

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  let catalog: SecretCatalog | undefined;
  try {
    const options = parseStoreOptions(argv, ['--config', '--server', '--tenant', '--encoded-env', '--format', '--read-values']);
    if (options.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const roots = options.positionals.length > 0 ? options.positionals : ['.'];
    const config = await resolveConfig(options, io);
    const files = roots.flatMap((root) => yamlFilesUnder(path.resolve(io.cwd, root)));
    const { flows, problems } = scanFlows(files, io.cwd);
    catalog = createCliCatalog(config, options, roots, io);
    const checked = await checkAgainstCatalog(flows, catalog, io);
    problems.push(...checked.problems);
    problems.push(...(await definitionProblemsFor(catalog, io)));
    sortProblems(problems);
    io.stdout.write(options.format === 'json' ? formatJson(problems) : options.format === 'text' ? formatText(problems) : formatForCi(options.format, problems, io.cwd));
    writeSummary(problems, flows.length, files.length, io);
    // A store that could not be listed checked nothing: that must not pass a CI step.
    return checked.storeFailed || problems.some((problem) => problem.severity === 'error') ? 1 : 0;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    catalog?.dispose();
  }
}

export function yamlFilesUnder(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new UsageError(`no such file or directory: ${target}`);
  }
  if (stat.isFile()) return [target];
  return findFilesUnder(target, (name) => /\.ya?ml$/i.test(name), { skipFolders: SKIPPED_DIRS, strict: true });
}

function scanFlows(files: string[], cwd: string): { flows: ScannedFlow[]; problems: Problem[] } {
  const flows: ScannedFlow[] = [];
  const problems: Problem[] = [];
  for (const absolute of files) {
    const text = fs.readFileSync(absolute, 'utf8');
    if (!looksLikeFlow(text)) continue;
    const file = displayPath(absolute, cwd);
    const analysis = analyzeFlow(text);
    if (analysis.isFlow) {
      flows.push({ file, analysis });
    } else if (analysis.errors.length > 0) {
      // Looked like a flow but does not parse as one: say why instead of skipping it silently.
      problems.push(...checkFlow(file, analysis, () => undefined));
    }
  }
  return { flows, problems };
}

async function checkAgainstCatalog(flows: ScannedFlow[], catalog: SecretCatalog, io: CliIo): Promise<{ problems: Problem[]; storeFailed: boolean }> {
  const namespaces = [...new Set(flows.flatMap((flow) => referencedNamespaces(flow.analysis)))];
  const listings = new Map<string, VisibleSecrets>();
  const subkeyed = keysWithSubkeys(flows.map((flow) => flow.analysis));
  await Promise.all(
    namespaces.map(async (namespace) => {
      const visible = await catalog.visible(namespace);
      listings.set(namespace, await catalog.withSubkeys(visible, subkeyed.get(namespace) ?? []));
    }),
  );
  const storeFailed = reportBackendErrors(listings, io);
  const lookup: VisibleLookup = (namespace) => {
    const visible = listings.get(namespace);
    return visible && !(visible.error && !visible.stale) ? visible : undefined;
  };
  return { problems: flows.flatMap((flow) => checkFlow(flow.file, flow.analysis, lookup)), storeFailed };
}

function reportBackendErrors(listings: Map<string, VisibleSecrets>, io: CliIo): boolean {
  const failed = [...listings.values()].filter((visible) => visible.error);
  const written = new Set<string>();
  for (const { error, stale } of failed) {
    if (written.has(error!)) continue;
    written.add(error!);
    const consequence = stale ? 'checked against the last listing' : 'references there were not checked';
    io.stderr.write(`kestra-secrets: ${stale ? 'warning' : 'error'}: ${error} (${consequence})\n`);
  }
  return failed.some((visible) => !visible.stale);
}

async function definitionProblemsFor(catalog: SecretCatalog, io: CliIo): Promise<Problem[]> {
  const problems = await catalog.definitionProblems();
  return problems.map((problem) => ({ ...problem, file: displayPath(path.resolve(io.cwd, problem.file), io.cwd) }));
}

function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

function sortProblems(problems: Problem[]): void {
  problems.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character,
  );
}

export function formatText(problems: Problem[]): string {
  return problems
    .map((p) => `${p.file}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.severity}: ${p.message} [${p.code}]\n`)
    .join('');
}

export function formatJson(problems: Problem[]): string {
  const rows = problems.map((p) => ({
    file: p.file,
    line: p.range.start.line + 1,
    column: p.range.start.character + 1,
    endLine: p.range.end.line + 1,
    endColumn: p.range.end.character + 1,
    severity: p.severity,
    code: p.code,
    message: p.message,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

function writeSummary(problems: Problem[], flowCount: number, fileCount: number, io: CliIo): void {
  const count = (severity: Problem['severity']) => problems.filter((problem) => problem.severity === severity).length;
  io.stderr.write(
    `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info in ${flowCount} flow(s) (${fileCount} YAML file(s) scanned)\n`,
  );
}
