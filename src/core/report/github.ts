/**
 * GitHub Actions workflow commands (`::error file=…::message`), which annotate the changed lines of a pull
 * request. Escaping is GitHub's own (@actions/core's `escapeData` and `escapeProperty`).
 */
import type { Problem, Severity } from '../types';
import { toPosixPath } from './fingerprint';
import { ruleFor } from './rules';

const COMMANDS: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', info: 'notice' };

export function formatGithub(problems: readonly Problem[]): string {
  return problems.map((problem) => `${workflowCommand(problem)}\n`).join('');
}

function workflowCommand(problem: Problem): string {
  const properties: [string, string | number][] = [
    ['file', toPosixPath(problem.file)],
    ['line', problem.range.start.line + 1],
    ['col', problem.range.start.character + 1],
    ['endLine', problem.range.end.line + 1],
    ['endColumn', problem.range.end.character + 1],
    ['title', `${ruleFor(problem.code).shortDescription} (${problem.code})`],
  ];
  const rendered = properties.map(([name, value]) => `${name}=${escapeProperty(String(value))}`).join(',');
  return `::${COMMANDS[problem.severity]} ${rendered}::${escapeData(problem.message)}`;
}

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
