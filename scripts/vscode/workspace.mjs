// The test workspace and its canary: a secret value that must never show up anywhere the suite did not put it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from './server.mjs';
import { repoRoot } from './paths.mjs';

export const testWorkspace = join(repoRoot, 'test', 'workspaces', 'oss');

/**
 * The canary is the value of the `.env` entry whose value holds "CANARY" (a JSON object): the value itself,
 * each of its string fields, and its base64 form (what `.env_encoded` and the process env carry).
 */
export function workspaceCanaries(workspace) {
  const line = readFileSync(join(workspace, '.env'), 'utf8')
    .split(/\r?\n/)
    .find((entry) => entry.includes('CANARY'));
  if (!line) throw new Error(`${workspace}/.env has no CANARY entry`);
  const value = line.slice(line.indexOf('=') + 1);
  const fields = Object.values(JSON.parse(value)).filter((field) => typeof field === 'string');
  return [value, ...fields, Buffer.from(value, 'utf8').toString('base64')];
}

/** Every file under `dirs` holding one of the canaries, except those `allowed(path)` accepts. */
export function scanForCanary(dirs, canaries, allowed = () => false) {
  const leaks = [];
  for (const dir of dirs) {
    for (const file of listFiles(dir)) {
      if (allowed(file)) continue;
      const content = readFileSync(file);
      const found = canaries.find((canary) => content.includes(canary));
      if (found !== undefined) leaks.push(`${file} contains the canary ${found === canaries[0] ? 'value' : 'field/encoding'}`);
    }
  }
  return leaks;
}
