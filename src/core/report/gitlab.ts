/**
 * GitLab Code Quality report: a JSON array of issues that merge requests show inline and in their widget.
 * Severities use GitLab's scale (info, minor, major, critical, blocker).
 */
import type { Problem, Severity } from '../types';
import { fingerprints, toPosixPath } from './fingerprint';

const SEVERITIES: Record<Severity, 'major' | 'minor' | 'info'> = { error: 'major', warning: 'minor', info: 'info' };

export function formatGitlab(problems: readonly Problem[]): string {
  const prints = fingerprints(problems);
  const issues = problems.map((problem, index) => ({
    type: 'issue',
    check_name: problem.code,
    description: problem.message,
    categories: ['Bug Risk'],
    fingerprint: prints[index],
    severity: SEVERITIES[problem.severity],
    location: {
      path: toPosixPath(problem.file),
      lines: { begin: problem.range.start.line + 1, end: problem.range.end.line + 1 },
    },
  }));
  return `${JSON.stringify(issues, null, 2)}\n`;
}
