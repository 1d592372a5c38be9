/** The `check --format` values that CI systems read, and the tool description they carry. */
import type { Problem } from '../core/types';
import { formatGithub } from '../core/report/github';
import { formatGitlab } from '../core/report/gitlab';
import { formatSarif } from '../core/report/sarif';
import { cliVersion } from './version';

export const CI_FORMATS = ['sarif', 'github', 'gitlab'] as const;
export type CiFormat = (typeof CI_FORMATS)[number];

export const INFORMATION_URI = 'https://github.com/kestra-secrets/kestra-secrets';

export function isCiFormat(format: string): format is CiFormat {
  return (CI_FORMATS as readonly string[]).includes(format);
}

/** `problems` carry paths relative to `cwd` (or absolute outside it), as `check` prints them. */
export function formatForCi(format: CiFormat, problems: readonly Problem[], cwd: string): string {
  switch (format) {
    case 'sarif':
      return formatSarif(problems, {
        tool: { name: 'kestra-secrets', version: cliVersion(), informationUri: INFORMATION_URI },
        sourceRoot: cwd,
      });
    case 'github':
      return formatGithub(problems);
    case 'gitlab':
      return formatGitlab(problems);
  }
}
