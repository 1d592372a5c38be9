/**
 * Fingerprints that let GitHub code scanning and GitLab Code Quality follow a problem across commits:
 * they hash what the problem is about (rule, file, key or message) and how many same problems precede it
 * in that file, never its line or column, so an edit elsewhere in the file does not turn it into a new alert.
 * The problem's source text is deliberately left out: for some codes it is a secret value, and a hash of a
 * short secret can be reversed by guessing.
 */
import { createHash } from 'node:crypto';
import type { Problem } from '../types';

export function fingerprints(problems: readonly Problem[]): string[] {
  const seen = new Map<string, number>();
  const ordered = problems.map((problem, index) => ({ problem, index })).sort((a, b) => byFileAndPosition(a.problem, b.problem));
  const result = new Array<string>(problems.length);
  for (const { problem, index } of ordered) {
    const identity = [problem.code, toPosixPath(problem.file), identityOf(problem)].join('\u0000');
    const occurrence = seen.get(identity) ?? 0;
    seen.set(identity, occurrence + 1);
    result[index] = createHash('sha256').update(`${identity}\u0000${occurrence}`).digest('hex');
  }
  return result;
}

/**
 * The key, sub-key and namespace when the problem names them (a missing secret's did-you-mean list changes
 * when unrelated secrets are added, so the message is not used); otherwise the message without positions.
 */
function identityOf(problem: Problem): string {
  const { key, subkey, namespace } = problem.data ?? {};
  if (key !== undefined || subkey !== undefined || namespace !== undefined)
    return JSON.stringify([key ?? null, subkey ?? null, namespace ?? null]);
  return problem.message.replace(/\b(line|column|character|col)\s+\d+/gi, '$1');
}

function byFileAndPosition(a: Problem, b: Problem): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.range.end.line - b.range.end.line ||
    a.range.end.character - b.range.end.character
  );
}

/** A report path with forward slashes, whatever the platform. */
export function toPosixPath(file: string): string {
  return file.replace(/\\/g, '/');
}
