/**
 * One setup resolution for the CLI and the editor: where the configuration file is, which Compose
 * files and encoded env files the env secrets come from, the tenant, and how a `.env` names its
 * encoded file and its names-only stand-ins. Both front ends call these functions, so they cannot
 * disagree about which files Kestra would read.
 *
 * Discovery works like a linter's: from each PATH up to the repository root (the nearest folder
 * holding `.git`), or up to the given boundary when there is no repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findComposeFiles } from './compose';
import type { KestraSecretsConfig } from './configTypes';
import { findFilesUnder } from './files';

export const CONFIG_FILE_NAME = 'kestra-secrets.yml';
export const ENCODED_SUFFIX = '_encoded';
/** The encoded file read when nothing names one (e.g. `docker run --env-file .env_encoded`). */
export const DEFAULT_ENCODED_FILE = '.env_encoded';
/** Suffixes of a names-only file committed in place of a file that holds secret values. */
export const NAMES_ONLY_SUFFIXES = ['.example', '.sample', '.template', '.dist'] as const;
/** The same with `_` (`.env_example`), as found in real repositories; looked for after the dotted ones. */
const NAMES_ONLY_CANDIDATES = [...NAMES_ONLY_SUFFIXES, ...NAMES_ONLY_SUFFIXES.map((suffix) => `_${suffix.slice(1)}`)];
const COMPOSE_SEARCH_DEPTH = 4;
const ENCODED_SEARCH_DEPTH = 8;

/** Where the encoded twin of a `.env` file goes: `.env` → `.env_encoded`, `prod.env` → `prod.env_encoded`. */
export function encodedFileFor(envFile: string): string {
  return path.join(path.dirname(envFile), `${path.basename(envFile)}${ENCODED_SUFFIX}`);
}

/** The `.env` that encodes to an encoded file (`prod.env_encoded` → `prod.env`); undefined for other names. */
export function plainFileFor(encodedFile: string): string | undefined {
  const base = path.basename(encodedFile);
  if (!base.endsWith(ENCODED_SUFFIX) || base.length === ENCODED_SUFFIX.length) return undefined;
  return path.join(path.dirname(encodedFile), base.slice(0, -ENCODED_SUFFIX.length));
}

export interface NamesOnlySibling {
  /** The names-only file (absolute). */
  file: string;
  /**
   * 'encoded': `SECRET_<KEY>` names as in the encoded file; 'plain': `.env` names, each encoded as
   * `SECRET_<name>` — except names already written `SECRET_…`, a stand-in evidently written in the encoded form.
   */
  form: 'encoded' | 'plain';
}

/**
 * The names-only stand-in for an encoded env file: `X.example|.sample|.template|.dist` (or `X_example`…)
 * beside it, else beside the `.env` that encodes to it. Undefined when there is none.
 */
export function namesOnlySiblingFor(encodedFile: string): NamesOnlySibling | undefined {
  for (const suffix of NAMES_ONLY_CANDIDATES) {
    const candidate = `${encodedFile}${suffix}`;
    if (isFile(candidate)) return { file: candidate, form: 'encoded' };
  }
  const plain = plainFileFor(encodedFile);
  if (plain === undefined) return undefined;
  for (const suffix of NAMES_ONLY_CANDIDATES) {
    const candidate = `${plain}${suffix}`;
    if (isFile(candidate)) return { file: candidate, form: 'plain' };
  }
  return undefined;
}

/** The names-only file `encode --names-only` writes for an encoded file: `X.example`. */
export function namesOnlyFileFor(encodedFile: string): string {
  return `${encodedFile}${NAMES_ONLY_SUFFIXES[0]}`;
}

/** The nearest folder at or above `start` holding `.git` (a folder, or a file in worktrees and submodules). */
export function findRepositoryRoot(start: string): string | undefined {
  for (const folder of ancestors(start)) {
    if (fs.existsSync(path.join(folder, '.git'))) return folder;
  }
  return undefined;
}

/**
 * The folders to search from `target` upwards: its own folder, then each parent up to the repository
 * root, or up to `boundary` (inclusive) when there is no repository; only `target`'s folder when neither applies.
 */
export function searchFolders(target: string, boundary?: string): string[] {
  const start = folderOf(target);
  const stop = findRepositoryRoot(start) ?? (boundary !== undefined && isInside(start, boundary) ? path.resolve(boundary) : start);
  const folders: string[] = [];
  for (const folder of ancestors(start)) {
    folders.push(folder);
    if (folder === stop) break;
  }
  return folders;
}

/** `kestra-secrets.yml` in the nearest folder from one of `targets` upwards (see `searchFolders`). */
export function findConfigFile(targets: string[], boundary?: string): string | undefined {
  for (const target of targets) {
    for (const folder of searchFolders(target, boundary)) {
      const candidate = path.join(folder, CONFIG_FILE_NAME);
      if (isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

export interface EnvSourceRequest {
  /** The files or folders being checked (absolute), e.g. the CLI's PATHs or the editor's workspace folders. */
  targets: string[];
  /** Where the upward search stops when there is no repository (the CLI's working directory). */
  boundary?: string;
  /** Encoded env files named explicitly (`--encoded-env`, `kestraSecrets.envFiles`); absolute. */
  configuredEnvFiles?: string[];
}

export interface EnvSources {
  /** Compose files whose Kestra services say which env files and variables Kestra gets. */
  composeFiles: string[];
  /** Encoded env files to read besides those the Compose files name (absent ones may have a names-only stand-in). */
  envFiles: string[];
  /** Folders locations are shown relative to (the targets, then the folders the sources were found in). */
  displayRoots: string[];
}

/**
 * The env secret sources of a check: the Compose files found from each target upwards (the nearest
 * folder that has any, searching a few levels down from it), the configured env files, and — only when
 * neither Compose nor configuration names any — every `.env_encoded` (or its names-only stand-in)
 * found the same way.
 */
export function resolveEnvSources(request: EnvSourceRequest): EnvSources {
  const targets = request.targets.map((target) => path.resolve(target));
  const configured = (request.configuredEnvFiles ?? []).map((file) => path.resolve(file));
  const displayRoots = new Set(targets.map(folderOf));
  const composeFiles = new Set<string>();
  const defaultFiles = new Set<string>();
  for (const target of targets) {
    for (const folder of searchFolders(target, request.boundary)) {
      const compose = findComposeFiles(folder, COMPOSE_SEARCH_DEPTH);
      // Without a Compose file or a configured one, nothing says which files Kestra reads: `.env_encoded` by convention.
      const encoded = compose.length === 0 && configured.length === 0 ? findDefaultEncodedFiles(folder) : [];
      if (compose.length === 0 && encoded.length === 0) continue;
      displayRoots.add(folder);
      for (const file of compose) composeFiles.add(file);
      for (const file of encoded) defaultFiles.add(file);
      break;
    }
  }
  const envFiles = composeFiles.size > 0 ? configured : [...new Set([...configured, ...defaultFiles])];
  return { composeFiles: [...composeFiles].sort(), envFiles: [...envFiles].sort(), displayRoots: [...displayRoots] };
}

/** The Kestra tenant: the server block's, else Kestra's default `main`. */
export function tenantFor(config: KestraSecretsConfig, override?: string): string {
  return override ?? config.server?.tenant ?? 'main';
}

/** Every `.env_encoded` under `folder`, and those absent but standing in by a names-only sibling. */
function findDefaultEncodedFiles(folder: string): string[] {
  const standIns = new Set<string>(NAMES_ONLY_CANDIDATES.map((suffix) => `${DEFAULT_ENCODED_FILE}${suffix}`));
  const found = findFilesUnder(folder, (name) => name === DEFAULT_ENCODED_FILE || standIns.has(name), { maxDepth: ENCODED_SEARCH_DEPTH });
  return [...new Set(found.map((file) => path.join(path.dirname(file), DEFAULT_ENCODED_FILE)))];
}

function folderOf(target: string): string {
  const resolved = path.resolve(target);
  try {
    return fs.statSync(resolved).isDirectory() ? resolved : path.dirname(resolved);
  } catch {
    return path.dirname(resolved);
  }
}

function* ancestors(start: string): Generator<string> {
  let folder = path.resolve(start);
  for (;;) {
    yield folder;
    const parent = path.dirname(folder);
    if (parent === folder) return;
    folder = parent;
  }
}

/** Whether `child` is `parent` or under it (lexically: paths are resolved, links are not followed). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
