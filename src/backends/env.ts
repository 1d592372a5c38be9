/**
 * Kestra's open-source secret backend: environment variables named `SECRET_<KEY>` with base64 values
 * (kestra-semantics.md §2). The variables are gathered from where a Kestra server would get them in
 * this workspace — the `env_file` and `environment` entries of the Kestra services in its Compose
 * files, the encoded env files named in the configuration, and (opt-in) the process environment —
 * and decoded exactly as Kestra's SecretService does. Read-only: Kestra cannot write env variables.
 */
import * as path from 'node:path';
import { explainBase64Error, removeJavaLineBreaks, strictBase64Decode } from '../core/base64';
import { rememberSecretValue } from '../core/redaction';
import { incompleteCauseProblem } from '../core/catalogTypes';
import type { DroppedDefinition, IncompleteCause } from '../core/store';
import { composeProjects, findComposeFiles, openComposeFile, type ComposeEnvFile, type ComposeSecretSource } from '../core/compose';
import { DotenvSyntaxError, parseDotenv, type EnvEntry } from '../core/dotenv';
import { isInside, namesOnlySiblingFor, plainFileFor, type NamesOnlySibling } from '../core/setup';
import { readRegularFile, readRegularFileSync, UnreadableFileError } from '../core/safeRead';
import type { Problem, Range } from '../core/types';
import { BackendError, type BackendContext, type BackendFactory, type SecretBackend, type SecretMeta } from '../core/store';

/** Where this workspace's SECRET_ definitions are: the env backend's own inputs, found by the setup resolution. */
export interface EnvSources {
  /** Workspace folders (absolute paths): file names in messages are relative to them; Compose files are found there. */
  workspaceRoots: string[];
  /** Encoded env files (absolute paths) named in the configuration. */
  envFiles: string[];
  /** Compose files to read (absolute paths), as the setup resolution found them; default: those under `workspaceRoots`. */
  composeFiles?: string[];
  /**
   * Those Compose files already read and parsed (parseComposeProjects), so that the thread loading the store parses
   * no YAML: the editor has its analysis worker do it. Read here when absent.
   */
  composeProjects?: ParsedComposeProject[];
  /** Whether to include the process environment's SECRET_ variables. */
  includeProcessEnv?: boolean;
  /**
   * Untrusted editor workspaces: no file outside these folders is read (a Compose
   * `env_file: ${HOME}/…` or `../../…` is reported once and skipped). Unset: no restriction.
   */
  confineToFolders?: string[];
}

/** One Compose project (the files of one folder, base first), read and parsed: plain data, so a worker can send it. */
export interface ParsedComposeProject {
  /** Every file of the project, readable or not. */
  files: string[];
  /** The Kestra services' sources of each file that could be read. */
  sources: [file: string, sources: ComposeSecretSource[]][];
  /** Why a file could not be read or used, one sentence each, for the store's log. */
  warnings: string[];
}

/** The shared context and the env backend's sources, as the backend's parts read them. */
type EnvContext = BackendContext & EnvSources;

const SECRET_PREFIX = 'SECRET_';
const LABEL = 'Kestra SECRET_ environment variables';

/** Where a definition comes from; a higher rank wins, as Compose layers them. */
const enum Rank {
  ProcessEnv = 0,
  ConfiguredFile = 1,
  ComposeEnvFile = 2,
  ComposeEnvironment = 3,
}

interface Definition {
  /** The variable's full name, `SECRET_…`. */
  name: string;
  /** Kestra's key: the name without the prefix, upper-cased. */
  key: string;
  /** The raw (encoded) value; undefined when it is unknown here. */
  value: string | undefined;
  rank: Rank;
  /** Reading order; a later definition wins over an earlier one of the same rank. */
  order: number;
  /** The environment (container, file, process) the variable lives in, for collision checks. */
  group: string;
  source: string;
  file?: string;
  nameRange?: Range;
  valueRange?: Range;
  /** Read from a names-only file standing in for an absent env file: the name is all that is known. */
  namesOnly?: boolean;
}

interface EnvSecret {
  definition: Definition;
  /** Decoded value; undefined when unknown here. */
  value: string | undefined;
}

interface LoadedState {
  secrets: Map<string, EnvSecret>;
  problems: Problem[];
  gaps: IncompleteCause[];
  dropped: DroppedDefinition[];
}

const utf8 = new TextDecoder('utf-8');

function decodeSecret(raw: string): string | undefined {
  const bytes = strictBase64Decode(removeJavaLineBreaks(raw));
  const value = bytes && utf8.decode(bytes);
  rememberSecretValue(value);
  return value;
}

function lineRange(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** `examples/oss-compose/.env_encoded:3`, relative to the workspace folder holding the file. */
function describeLocation(roots: string[], file: string, line: number): string {
  return `${describeFile(roots, file)}:${line + 1}`;
}

/** The file relative to the first workspace folder holding it, else absolute. */
function describeFile(roots: string[], file: string): string {
  for (const root of roots) {
    const relative = path.relative(root, file);
    if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) return relative.split(path.sep).join('/');
  }
  return file;
}

/**
 * The Kestra services of one Compose project (the files of one folder, base first): a service is a
 * Kestra service when any of the files says so, so an override without `image` still counts.
 */
function readComposeProject(
  texts: Map<string, string>,
  env: NodeJS.ProcessEnv,
  onInvalid?: (message: string) => void,
): Map<string, ComposeSecretSource[]> {
  const files = [...texts].map(([file, text]) => ({ file, servicesKnowing: openComposeFile(file, text, { env, onInvalid }) }));
  const kestraServices = new Set<string>();
  for (const { servicesKnowing } of files) {
    for (const source of servicesKnowing(new Set())) kestraServices.add(source.service);
  }
  const sources = new Map<string, ComposeSecretSource[]>();
  for (const { file, servicesKnowing } of files) sources.set(file, servicesKnowing(kestraServices));
  return sources;
}

/** Files the env backend reads (Compose files, their project `.env` and `env_file`s, configured files). */
export function describeEnvSources(sources: EnvSources, env: NodeJS.ProcessEnv): string[] {
  const ctx = { ...sources, env };
  const files = new Set<string>();
  const addWithStandIns = (file: string) => {
    files.add(file);
    const sibling = namesOnlySiblingFor(file);
    if (sibling) files.add(sibling.file);
  };
  for (const project of ctx.composeProjects ?? parseComposeProjects(ctx, env)) {
    // An unreadable file is still watched, so that it is read once it appears.
    for (const composeFile of project.files) {
      files.add(composeFile);
      files.add(path.join(path.dirname(composeFile), '.env'));
    }
    for (const [, sources] of project.sources) {
      for (const envFile of sources.flatMap((source) => source.envFiles))
        if (!envFile.unresolved && isAllowed(ctx, envFile.path)) addWithStandIns(envFile.path);
    }
  }
  for (const file of ctx.envFiles) addWithStandIns(path.resolve(file));
  return [...files];
}

/** The Compose projects of these sources, each file read and parsed here; `env`: the environment Compose would run in. */
export function parseComposeProjects(sources: EnvSources, env: NodeJS.ProcessEnv): ParsedComposeProject[] {
  return composeProjects(composeFilesOf(sources)).map((files) => {
    const texts = new Map<string, string>();
    const warnings: string[] = [];
    for (const file of files) {
      try {
        texts.set(file, readRegularFileSync(file));
      } catch (error) {
        warnings.push(
          error instanceof UnreadableFileError
            ? `env secrets: ${error.message}`
            : `env secrets: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    const onInvalid = (message: string) => void warnings.push(`env secrets: ${message}`);
    return { files, sources: [...readComposeProject(texts, env, onInvalid)], warnings };
  });
}

/** False for a file outside `confineToFolders` (untrusted editor workspaces), true otherwise. */
function isAllowed(ctx: EnvSources, file: string): boolean {
  return ctx.confineToFolders === undefined || ctx.confineToFolders.some((folder) => isInside(file, folder));
}

/** The Compose files the setup resolution found, else those under the workspace folders. */
function composeFilesOf(ctx: Pick<EnvSources, 'composeFiles' | 'workspaceRoots'>): string[] {
  return ctx.composeFiles ?? ctx.workspaceRoots.flatMap((root) => findComposeFiles(root));
}

class EnvDefinitionCollector {
  readonly definitions: Definition[] = [];
  readonly problems: Problem[] = [];
  readonly gaps: IncompleteCause[] = [];
  private readonly parsedFiles = new Map<string, EnvEntry[] | undefined>();
  private readonly malformedFiles = new Set<string>();
  private order = 0;
  private kestraServiceCount = 0;

  constructor(private readonly ctx: EnvContext) {}

  async collect(): Promise<void> {
    for (const project of this.ctx.composeProjects ?? parseComposeProjects(this.ctx, this.ctx.env)) {
      for (const warning of project.warnings) this.ctx.log.warn(warning);
      for (const [file, sources] of project.sources) await this.collectCompose(file, sources);
    }
    for (const file of this.ctx.envFiles) {
      const absolute = path.resolve(file);
      if (!(await this.collectEnvFile(absolute, Rank.ConfiguredFile, `file:${absolute}`, true))) {
        const source = `the encoded env file ${this.display(absolute)}`;
        if (!(await this.collectNamesOnly(absolute, Rank.ConfiguredFile, `file:${absolute}`))) this.addGap(source, absolute, undefined);
      }
    }
    if (this.ctx.includeProcessEnv) this.collectProcessEnv();
    if (this.kestraServiceCount === 0 && this.ctx.envFiles.length === 0 && !this.definitions.some((d) => d.rank === Rank.ProcessEnv)) {
      this.gaps.push(noSourceGap(this.ctx));
    }
  }

  private add(definition: Omit<Definition, 'key' | 'order'>): void {
    const key = definition.name.slice(SECRET_PREFIX.length).toUpperCase();
    this.definitions.push({ ...definition, key, order: this.order++ });
  }

  private async collectCompose(composeFile: string, sources: ComposeSecretSource[]): Promise<void> {
    this.kestraServiceCount += sources.length;
    for (const source of sources) {
      const group = `compose:${path.dirname(composeFile)}#${source.service}`;
      for (const envFile of source.envFiles) await this.collectComposeEnvFile(composeFile, envFile, group);
      for (const entry of source.environment) {
        if (!entry.name.startsWith(SECRET_PREFIX)) continue;
        this.add({
          name: entry.name,
          value: entry.value,
          rank: Rank.ComposeEnvironment,
          group,
          source: `${describeLocation(this.ctx.workspaceRoots, composeFile, entry.line)} (service ${source.service})`,
          file: composeFile,
          nameRange: lineRange(entry.line, entry.column, entry.column + entry.name.length),
          valueRange: entry.valueRange,
        });
      }
    }
    this.ctx.log.debug(`env secrets: ${composeFile}: ${sources.length} Kestra service(s)`);
  }

  /**
   * An `env_file` entry: its variables; for an absent file, the names of its names-only stand-in; else,
   * when Compose needs the file, a gap (its secrets exist where Kestra runs but are unknown here).
   */
  private async collectComposeEnvFile(composeFile: string, envFile: ComposeEnvFile, group: string): Promise<void> {
    const written = envFile.unresolved ? envFile.path : path.relative(path.dirname(composeFile), envFile.path).split(path.sep).join('/');
    const entry = `the env_file ${written} (${this.display(composeFile)}:${(envFile.line ?? 0) + 1})`;
    const at = { file: composeFile, range: lineRange(envFile.line ?? 0, envFile.column ?? 0, (envFile.column ?? 0) + written.length) };
    if (envFile.unresolved) {
      this.addGap(
        entry,
        undefined,
        at,
        'names a variable that is not set here',
        'Set the variable in the environment or in the `.env` beside the Compose file.',
      );
      return;
    }
    if (!isAllowed(this.ctx, envFile.path)) {
      this.addGap(
        entry,
        undefined,
        at,
        'is outside the workspace folder, which an untrusted workspace may not read',
        'Trust the workspace to read it.',
      );
      return;
    }
    if (await this.collectEnvFile(envFile.path, Rank.ComposeEnvFile, group, envFile.required)) {
      if (this.malformedFiles.has(envFile.path))
        this.gaps.push({ ...this.gapFor(entry, envFile.path, at, 'cannot be parsed'), reported: true });
      return;
    }
    if (await this.collectNamesOnly(envFile.path, Rank.ComposeEnvFile, group)) return;
    if (envFile.required) this.addGap(entry, envFile.path, at);
  }

  /** Names from the names-only stand-in of an absent env file; false when there is none. */
  private async collectNamesOnly(file: string, rank: Rank, group: string): Promise<boolean> {
    const sibling = namesOnlySiblingFor(file);
    if (!sibling) return false;
    const entries = await this.readEnvFile(sibling.file, true);
    if (entries === undefined) return this.malformedFiles.has(sibling.file);
    for (const entry of entries) {
      const name = sibling.form === 'plain' && !entry.key.startsWith(SECRET_PREFIX) ? `${SECRET_PREFIX}${entry.key}` : entry.key;
      if (!name.startsWith(SECRET_PREFIX)) continue;
      this.add({
        name,
        value: undefined,
        rank,
        group,
        source: `${describeLocation(this.ctx.workspaceRoots, sibling.file, entry.line)} (stands in for the absent ${path.basename(file)})`,
        file: sibling.file,
        nameRange: lineRange(entry.line, entry.column, entry.keyEnd),
        namesOnly: true,
      });
    }
    this.ctx.log.debug(`env secrets: ${file} is absent; read the names of ${describeSibling(sibling)}`);
    return true;
  }

  private addGap(source: string, file: string | undefined, at: IncompleteCause['location'], reason?: string, fix?: string): void {
    const gap = this.gapFor(source, file, at, reason, fix);
    this.gaps.push(at ? { ...gap, reported: true } : gap);
    if (at) this.problems.push(incompleteCauseProblem({ ...gap, location: at }));
  }

  private gapFor(
    source: string,
    file: string | undefined,
    at: IncompleteCause['location'],
    reason = 'does not exist',
    fix?: string,
  ): IncompleteCause {
    const cause: IncompleteCause = { id: `env:${source}`, source, reason, fix: fix ?? absentFileFix(file) };
    if (at) cause.location = at;
    return cause;
  }

  private display(file: string): string {
    return describeFile(this.ctx.workspaceRoots, file);
  }

  private async readEnvFile(file: string, required: boolean): Promise<EnvEntry[] | undefined> {
    if (this.parsedFiles.has(file)) return this.parsedFiles.get(file);
    let entries: EnvEntry[] | undefined;
    try {
      entries = parseDotenv(await readRegularFile(file), file).entries;
    } catch (error) {
      if (error instanceof DotenvSyntaxError) {
        this.malformedFiles.add(file);
        this.problems.push({
          file,
          range: lineRange(error.line, error.column, error.column + 1),
          severity: 'error',
          code: 'backend-error',
          message: `${error.reason}. Docker Compose cannot read this file, so none of its secrets reach Kestra.`,
        });
      } else if (error instanceof UnreadableFileError) {
        this.ctx.log.warn(`env secrets: ${error.message}`);
      } else {
        const level = required ? 'info' : 'debug';
        this.ctx.log[level](`env secrets: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    this.parsedFiles.set(file, entries);
    return entries;
  }

  /** False when the file cannot be read at all (a malformed file is reported separately). */
  private async collectEnvFile(file: string, rank: Rank, group: string, required: boolean): Promise<boolean> {
    const entries = await this.readEnvFile(file, required);
    if (entries === undefined) return this.malformedFiles.has(file);
    for (const entry of entries ?? []) {
      if (!entry.key.startsWith(SECRET_PREFIX)) continue;
      this.add({
        name: entry.key,
        value: entry.value,
        rank,
        group,
        source: describeLocation(this.ctx.workspaceRoots, file, entry.line),
        file,
        nameRange: lineRange(entry.line, entry.column, entry.keyEnd),
        valueRange: {
          start: { line: entry.valueLine, character: entry.valueColumn },
          end: { line: entry.valueEndLine, character: entry.valueEndColumn },
        },
      });
    }
    return true;
  }

  private collectProcessEnv(): void {
    for (const [name, value] of Object.entries(this.ctx.env)) {
      if (name.startsWith(SECRET_PREFIX) && value !== undefined) {
        this.add({ name, value, rank: Rank.ProcessEnv, group: 'process', source: 'process environment' });
      }
    }
  }
}

function describeSibling(sibling: NamesOnlySibling): string {
  return `${sibling.file} (${sibling.form === 'plain' ? '.env names' : 'SECRET_ names'})`;
}

function absentFileFix(file: string | undefined): string {
  const name = file ? path.basename(file) : '.env_encoded';
  const plain = file ? plainFileFor(file) : undefined;
  if (plain === undefined) {
    return `Create it, or commit a names-only ${name}.example beside it (its SECRET_ variable names, no values) so that checks without the secret values know its keys.`;
  }
  return `Create it with \`kestra-secrets encode ${path.basename(plain)}\`, or commit a names-only ${name}.example beside it (\`kestra-secrets encode --names-only ${path.basename(plain)}\`) so that checks without the secret values know its keys.`;
}

function noSourceGap(ctx: EnvSources): IncompleteCause {
  const where = ctx.includeProcessEnv ? ', no encoded env file and no SECRET_ variable in the environment' : ' and no encoded env file';
  return {
    id: 'env:no-source',
    source: "Kestra's SECRET_ environment variables",
    reason: `were found nowhere: no Compose file with a Kestra service${where} (searched from the checked folder up to the repository root)`,
    fix: 'Check from the folder of the Compose file that runs Kestra, name the encoded env file (`--encoded-env FILE`, or the kestraSecrets.envFiles setting), or commit a names-only `.env_encoded.example`.',
  };
}

function problemKey(problem: Problem): string {
  return `${problem.code}|${problem.file}|${problem.range.start.line}|${problem.range.start.character}`;
}

const BASE64_FIX =
  'Write the plain value in the .env file and encode it with `kestra-secrets encode` (or `--raw` for a server with `encoding: RAW`).';

function invalidBase64Problems(definitions: Definition[]): Problem[] {
  const problems: Problem[] = [];
  for (const definition of definitions) {
    if (definition.value === undefined || !definition.file) continue;
    const reason = explainBase64Error(removeJavaLineBreaks(definition.value));
    if (!reason) continue;
    problems.push({
      file: definition.file,
      range: definition.valueRange ?? definition.nameRange ?? lineRange(0, 0, 0),
      severity: 'error',
      code: 'invalid-base64',
      message: `Secret '${definition.key}' is not valid base64, so Kestra drops it: ${reason}. ${BASE64_FIX}`,
      data: { key: definition.key },
    });
  }
  return problems;
}

/** Kestra's Collectors.toMap fails when two names of one environment upper-case to the same key. */
function collisionProblems(definitions: Definition[]): Problem[] {
  const namesByGroupKey = new Map<string, Definition[]>();
  for (const definition of definitions) {
    const groupKey = `${definition.group}\u0000${definition.key}`;
    namesByGroupKey.set(groupKey, [...(namesByGroupKey.get(groupKey) ?? []), definition]);
  }
  const problems: Problem[] = [];
  for (const group of namesByGroupKey.values()) {
    const names = [...new Set(group.map((definition) => definition.name))];
    if (names.length < 2) continue;
    for (const definition of group) {
      if (!definition.file || !definition.nameRange) continue;
      const others = names.filter((name) => name !== definition.name).join(', ');
      problems.push({
        file: definition.file,
        range: definition.nameRange,
        severity: 'error',
        code: 'key-collision',
        message:
          `${definition.name} and ${others} both give the secret key '${definition.key}' once upper-cased; ` +
          'Kestra fails to start with a duplicate key. Keep only one spelling.',
        data: { key: definition.key },
      });
    }
  }
  return problems;
}

/** The winning definition of each key, decoded; undecodable values are dropped, as Kestra does. */
function mergeSecrets(definitions: Definition[]): { secrets: Map<string, EnvSecret>; dropped: DroppedDefinition[] } {
  const winners = new Map<string, Definition>();
  for (const definition of definitions) {
    const current = winners.get(definition.key);
    if (!current || definition.rank > current.rank || (definition.rank === current.rank && definition.order > current.order)) {
      winners.set(definition.key, definition);
    }
  }
  const secrets = new Map<string, EnvSecret>();
  const dropped: DroppedDefinition[] = [];
  for (const [key, definition] of winners) {
    if (definition.value === undefined) {
      secrets.set(key, { definition, value: undefined });
      continue;
    }
    const value = decodeSecret(definition.value);
    if (value !== undefined) secrets.set(key, { definition, value });
    else
      dropped.push({
        key,
        source: definition.source,
        reason: `its value is not valid base64 (${explainBase64Error(removeJavaLineBreaks(definition.value)) ?? 'undecodable'})`,
      });
  }
  return { secrets, dropped };
}

function topLevelFields(value: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed) : undefined;
  } catch {
    return undefined;
  }
}

function toMeta(key: string, secret: EnvSecret): SecretMeta {
  const { definition } = secret;
  const meta: SecretMeta = { key, source: definition.source, valueKind: 'unknown' };
  if (definition.namesOnly) meta.namesOnly = true;
  if (definition.file && definition.nameRange) {
    meta.location = { file: definition.file, line: definition.nameRange.start.line, character: definition.nameRange.start.character };
  }
  if (secret.value !== undefined) {
    meta.subkeys = topLevelFields(secret.value);
    meta.valueKind = meta.subkeys ? 'json-object' : 'not-json-object';
  }
  return meta;
}

class EnvSecretBackend implements SecretBackend {
  readonly type = 'env' as const;
  readonly label = LABEL;
  readonly readOnly = true;
  readonly namespaced = false;
  readonly caseInsensitiveKeys = true;
  readonly canReveal = true;
  private state: Promise<LoadedState> | undefined;
  /** Compose projects parsed before the first load; read again after dispose, like every other file. */
  private parsedProjects: ParsedComposeProject[] | undefined;

  readOnlyFor(): boolean {
    return true;
  }

  constructor(private readonly ctx: EnvContext) {
    this.parsedProjects = ctx.composeProjects;
  }

  private load(): Promise<LoadedState> {
    this.state ??= this.readState();
    return this.state;
  }

  private async readState(): Promise<LoadedState> {
    const collector = new EnvDefinitionCollector({ ...this.ctx, composeProjects: this.parsedProjects });
    await collector.collect();
    const { definitions } = collector;
    const seen = new Set<string>();
    const problems = [...collector.problems, ...invalidBase64Problems(definitions), ...collisionProblems(definitions)].filter(
      (problem) => !seen.has(problemKey(problem)) && seen.add(problemKey(problem)),
    );
    const { secrets, dropped } = mergeSecrets(definitions);
    this.ctx.log.debug(`env secrets: ${definitions.length} SECRET_ definitions, ${secrets.size} usable keys`);
    return { secrets, problems, gaps: collector.gaps, dropped };
  }

  private async find(key: string): Promise<EnvSecret | undefined> {
    return (await this.load()).secrets.get(key.toUpperCase());
  }

  async listNamespaces(): Promise<string[]> {
    return [];
  }

  async list(_namespace: string): Promise<SecretMeta[]> {
    const { secrets } = await this.load();
    return [...secrets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, secret]) => toMeta(key, secret));
  }

  async subkeys(_namespace: string, key: string): Promise<string[] | undefined> {
    const secret = await this.find(key);
    return secret?.value === undefined ? undefined : topLevelFields(secret.value);
  }

  async reveal(_namespace: string, key: string): Promise<string> {
    const secret = await this.find(key);
    const operation = `reveal '${key}'`;
    if (!secret) {
      throw new BackendError(
        'not-found',
        LABEL,
        operation,
        `no usable ${SECRET_PREFIX}${key.toUpperCase()} variable is defined in this workspace.`,
        'Add it to the .env file, run `kestra-secrets encode`, and restart Kestra.',
      );
    }
    if (secret.value === undefined) {
      throw new BackendError(
        'unsupported',
        LABEL,
        operation,
        `the value of ${secret.definition.name} (${secret.definition.source}) comes from the environment docker compose runs in, which is not known here.`,
      );
    }
    return secret.value;
  }

  async put(_namespace: string, key: string): Promise<void> {
    throw this.readOnlyFailure(`write '${key}'`);
  }

  async delete(_namespace: string, key: string): Promise<void> {
    throw this.readOnlyFailure(`delete '${key}'`);
  }

  private readOnlyFailure(operation: string): BackendError {
    return new BackendError(
      'read-only',
      LABEL,
      operation,
      'Kestra reads SECRET_ environment variables only at startup and cannot change them.',
      'Edit the .env file, run `kestra-secrets encode`, and restart Kestra.',
    );
  }

  async definitionProblems(): Promise<Problem[]> {
    return (await this.load()).problems;
  }

  async listingGaps(): Promise<IncompleteCause[]> {
    return (await this.load()).gaps;
  }

  async droppedDefinitions(): Promise<DroppedDefinition[]> {
    return (await this.load()).dropped;
  }

  dispose(): void {
    this.state = undefined;
    this.parsedProjects = undefined;
  }
}

/** The env backend's factory for these sources. */
export function envBackendFactory(sources: EnvSources): BackendFactory {
  return (_config, context) => new EnvSecretBackend({ ...context, ...sources });
}
