/**
 * SARIF 2.1.0 (OASIS) for GitHub code scanning and other SARIF viewers: one run, every rule listed,
 * one result per problem with a `%SRCROOT%`-relative location and a stable partial fingerprint.
 */
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import type { Problem, Severity } from '../types';
import { fingerprints, toPosixPath } from './fingerprint';
import { ruleFor, ruleIds } from './rules';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The partialFingerprints key; the version suffix changes if the recipe does. */
export const FINGERPRINT_KEY = 'kestraSecrets/v1';
const SOURCE_ROOT = '%SRCROOT%';

export interface ToolInfo {
  name: string;
  version: string;
  informationUri: string;
}

export interface SarifOptions {
  tool: ToolInfo;
  /** Absolute folder that relative problem paths start from (the CLI's working directory). */
  sourceRoot: string;
}

const LEVELS: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function formatSarif(problems: readonly Problem[], options: SarifOptions): string {
  const ids = ruleIds();
  const prints = fingerprints(problems);
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: options.tool.name,
            version: options.tool.version,
            semanticVersion: options.tool.version,
            informationUri: options.tool.informationUri,
            rules: ids.map(describeRule),
          },
        },
        originalUriBaseIds: { [SOURCE_ROOT]: { uri: folderUri(options.sourceRoot) } },
        // Our columns, like VS Code's, count UTF-16 code units: SARIF's default, stated for readers.
        columnKind: 'utf16CodeUnits',
        results: problems.map((problem, index) => ({
          ruleId: problem.code,
          ruleIndex: ids.indexOf(problem.code),
          level: LEVELS[problem.severity],
          message: { text: problem.message },
          locations: [{ physicalLocation: { artifactLocation: artifactLocation(problem.file), region: region(problem) } }],
          partialFingerprints: { [FINGERPRINT_KEY]: prints[index] },
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function describeRule(id: ReturnType<typeof ruleIds>[number]) {
  const rule = ruleFor(id);
  return {
    id,
    name: id.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, letter: string) => letter.toUpperCase()),
    shortDescription: { text: rule.shortDescription },
    fullDescription: { text: rule.fullDescription },
    help: { text: rule.help },
    defaultConfiguration: { level: LEVELS[rule.defaultSeverity] },
  };
}

/** Relative paths become URI references under %SRCROOT%; a file outside the root keeps its absolute file URI. */
function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  if (path.isAbsolute(file)) return { uri: pathToFileURL(file).href };
  return { uri: toPosixPath(file).split('/').map(encodeURIComponent).join('/'), uriBaseId: SOURCE_ROOT };
}

function folderUri(folder: string): string {
  const href = pathToFileURL(folder).href;
  return href.endsWith('/') ? href : `${href}/`;
}

function region(problem: Problem) {
  return {
    startLine: problem.range.start.line + 1,
    startColumn: problem.range.start.character + 1,
    endLine: problem.range.end.line + 1,
    endColumn: problem.range.end.character + 1,
  };
}
