/** `kestra-secrets check`: every flow under the given paths against the configured secret store. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFlow, keysWithSubkeys, referencedNamespaces, type VisibleLookup } from '../core/checks';
import { describeIncompleteCause, type VisibleSecrets } from '../core/catalogTypes';
import type { IncompleteCause } from '../core/store';
import type { SecretCatalog } from '../core/catalog';
import { readTextFile, walkFiles, type SkippedPath, type WalkResult } from '../core/files';
import { analyzeFlow, hasFlowHeaderLines, looksLikeFlow, type FlowAnalysis } from '../core/flow';
import type { Problem } from '../core/types';
import { formatForCi } from './formats';
import { printableName, type CliIo } from './io';
import { createCliCatalog, parseStoreOptions, reportFailure, resolveConfig, UsageError } from './options';

const HELP = `Usage: kestra-secrets check [PATH...] [--config FILE] [--server URL] [--tenant T]
                            [--encoded-env FILE] [--read-values] [--strict]
                            [--format text|json|sarif|github|gitlab]

Checks every Kestra flow (YAML with id, namespace and tasks or triggers) under each PATH
(default .) against the configured secret store: missing keys, missing sub-keys, sub-keys of
non-JSON secrets, and invalid SECRET_ definitions in encoded env files. Dynamic keys are
reported as information, credentials written in clear in a flow as warnings
(hardcoded-secret). Secret values are never printed.

A source that exists but can't be read here (an absent env_file, a store that fails or
refuses) gets one warning; references that may live there are unverified (information).
An absent env file's names-only stand-in (X.example, .sample, .template, .dist beside it or
beside the .env that encodes to it) supplies its keys.

  --read-values   let stores without a keys-only API read values (in memory) to check sub-keys
  --strict        unverified references are errors (CI that must prove every key exists)
  --trust-config  let a kestra-secrets.yml found under PATH send credentials from the environment
                  to the non-default addresses it names (or pass it with --config)
  --format json   one JSON array of {file, line, column, endLine, endColumn, severity, code, message}
  --format sarif  SARIF 2.1.0 (GitHub code scanning); paths relative to the current folder (%SRCROOT%)
  --format github GitHub Actions workflow commands, which annotate pull requests
  --format gitlab GitLab Code Quality report (JSON)

Exit codes: 0 no errors (unverified references are not errors without --strict),
1 errors found, 2 bad usage or configuration.
`;

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.vscode-test', 'dist', 'out']);

interface ScannedFlow {
  file: string;
  analysis: FlowAnalysis;
}

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  let catalog: SecretCatalog | undefined;
  try {
    const options = parseStoreOptions(argv, ['--config', '--server', '--tenant', '--encoded-env', '--format', '--read-values', '--strict']);
    if (options.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const roots = options.positionals.length > 0 ? options.positionals : ['.'];
    const config = await resolveConfig(options, io);
    const { files, skipped } = yamlFilesUnder(roots.map((root) => path.resolve(io.cwd, root)));
    const { flows, problems, unread, notices } = scanFlows(files, io.cwd);
    writeSkipped([...skipped, ...unread], io);
    for (const notice of notices) io.stderr.write(`kestra-secrets: warning: ${notice}\n`);
    catalog = createCliCatalog(config, options, io);
    const checked = await checkAgainstCatalog(flows, catalog, io);
    problems.push(...checked.problems.map((problem) => (options.strict ? failUnverified(problem) : problem)));
    problems.push(...(await definitionProblemsFor(catalog, io)));
    sortProblems(problems);
    io.stdout.write(
      options.format === 'json'
        ? formatJson(problems)
        : options.format === 'text'
          ? formatText(problems)
          : formatForCi(options.format, problems, io.cwd),
    );
    const sourceWarnings = reportUnknownSources(checked.causes, io);
    writeSummary(problems, sourceWarnings, flows.length, files.length - unread.length, io);
    return checked.subkeysFailed || problems.some((problem) => problem.severity === 'error') ? 1 : 0;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    catalog?.dispose();
  }
}

/**
 * The YAML files under the given paths, each once. A path that does not exist is bad usage; anything
 * the walk can't read is skipped with a reason and the rest is still checked.
 */
export function yamlFilesUnder(targets: string[]): WalkResult {
  for (const target of targets) {
    try {
      fs.lstatSync(target);
    } catch {
      throw new UsageError(`no such file or directory: ${target}`);
    }
  }
  return walkFiles(targets, (name) => /\.ya?ml$/i.test(name), { skipFolders: SKIPPED_DIRS });
}

/**
 * A large flow met while the parser is still cold waits until this many flows are analysed: V8 runs a fresh
 * parser in its slow tiers, where a 5,000-line flow takes about three times as long as once it is warm.
 */
const WARM_AFTER_FLOWS = 200;
const LARGE_FLOW_CHARS = 32 * 1024;
/** Texts held back at most, so that a folder of large flows costs no more memory than a few of them. */
const MAX_HELD_BACK = 16;

function scanFlows(files: string[], cwd: string): { flows: ScannedFlow[]; problems: Problem[]; unread: SkippedPath[]; notices: string[] } {
  const scanned: ScannedFlow[] = [];
  const problems: Problem[] = [];
  const unread: SkippedPath[] = [];
  const notices: string[] = [];
  const heldBack: { index: number; file: string; text: string }[] = [];
  let analysed = 0;
  const analyse = (index: number, file: string, text: string) => {
    analysed++;
    const analysis = analyzeFlow(text);
    if (analysis.isFlow) {
      scanned[index] = { file, analysis };
    } else if (analysis.errors.length > 0 && hasFlowHeaderLines(text)) {
      // Meant as a flow but does not parse as one: say why instead of skipping it silently.
      problems.push(...checkFlow(file, analysis, () => undefined));
    }
  };
  files.forEach((absolute, index) => {
    const read = readTextFile(absolute);
    if ('skipped' in read) {
      unread.push(read.skipped);
      return;
    }
    // Editors don't count a BOM as a column: neither do the positions printed here.
    const text = read.text.startsWith('\uFEFF') ? read.text.slice(1) : read.text;
    if (!looksLikeFlow(text)) return;
    const file = displayPath(absolute, cwd);
    if (read.utf16)
      notices.push(
        `${file} is ${read.utf16.toUpperCase()} (with a byte order mark): checked here, but Kestra reads flows as UTF-8; save it as UTF-8.`,
      );
    if (text.length > LARGE_FLOW_CHARS && analysed < WARM_AFTER_FLOWS && heldBack.length < MAX_HELD_BACK) {
      heldBack.push({ index, file, text });
      return;
    }
    analyse(index, file, text);
  });
  for (const { index, file, text } of heldBack) analyse(index, file, text);
  // In the walk's order, whatever order they were analysed in.
  const flows = scanned.filter((flow) => flow !== undefined);
  return { flows, problems, unread, notices };
}

/** One warning per path the walk could not use, on stderr: the check goes on without it. */
function writeSkipped(skipped: SkippedPath[], io: CliIo): void {
  for (const { path: skippedPath, reason } of skipped) {
    io.stderr.write(`kestra-secrets: warning: skipped ${printableName(displayPath(skippedPath, io.cwd))}: ${reason}.\n`);
  }
}

async function checkAgainstCatalog(
  flows: ScannedFlow[],
  catalog: SecretCatalog,
  io: CliIo,
): Promise<{ problems: Problem[]; causes: IncompleteCause[]; subkeysFailed: boolean }> {
  const namespaces = [...new Set(flows.flatMap((flow) => referencedNamespaces(flow.analysis)))];
  const listings = new Map<string, VisibleSecrets>();
  const subkeyed = keysWithSubkeys(flows.map((flow) => flow.analysis));
  await Promise.all(
    namespaces.map(async (namespace) => {
      const visible = await catalog.visible(namespace);
      listings.set(namespace, await catalog.withSubkeys(visible, subkeyed.get(namespace) ?? []));
    }),
  );
  // A failed listing is incomplete, not empty: what it lacks is unverified, and its cause is said once.
  const lookup: VisibleLookup = (namespace) => listings.get(namespace);
  // Sub-keys were asked for with --read-values: failing to read them must not pass as checked.
  const subkeysFailed = reportSubkeyErrors(listings, io);
  const causes = [...listings.values()].flatMap((visible) => visible.incomplete ?? []);
  return { problems: flows.flatMap((flow) => checkFlow(flow.file, flow.analysis, lookup)), causes, subkeysFailed };
}

/** --strict: a reference that can't be verified fails like a missing one. */
function failUnverified(problem: Problem): Problem {
  return problem.code === 'unverified-secret' ? { ...problem, severity: 'error' } : problem;
}

/** One warning per cause that has no line of its own to be reported on (a failed store, no source at all); returns how many. */
function reportUnknownSources(causes: IncompleteCause[], io: CliIo): number {
  const written = new Set<string>();
  for (const cause of causes) {
    if (cause.reported || cause.location || written.has(cause.id)) continue;
    written.add(cause.id);
    io.stderr.write(`kestra-secrets: warning: ${describeIncompleteCause(cause)} [unknown-source]\n`);
  }
  return written.size;
}

/** Sub-keys that could not be read were not checked: with --read-values asked for, that is a failure. */
function reportSubkeyErrors(listings: Map<string, VisibleSecrets>, io: CliIo): boolean {
  const errors = new Set([...listings.values()].flatMap((visible) => visible.subkeyErrors ?? []));
  for (const error of errors) io.stderr.write(`kestra-secrets: error: ${error} (sub-key references there were not checked)\n`);
  return errors.size > 0;
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
    (a, b) => a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
}

export function formatText(problems: Problem[]): string {
  return problems
    .map(
      (p) => `${printableName(p.file)}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.severity}: ${p.message} [${p.code}]\n`,
    )
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

function writeSummary(problems: Problem[], sourceWarnings: number, flowCount: number, fileCount: number, io: CliIo): void {
  const count = (severity: Problem['severity']) => problems.filter((problem) => problem.severity === severity).length;
  io.stderr.write(
    `${count('error')} error(s), ${count('warning') + sourceWarnings} warning(s), ${count('info')} info in ${flowCount} flow(s) (${fileCount} YAML file(s) scanned)\n`,
  );
}
