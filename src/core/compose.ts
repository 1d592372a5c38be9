/**
 * Docker Compose discovery for the env secrets backend: finds Compose files, picks the services that
 * run Kestra, and reads their `environment` and `env_file` entries with source positions. Values are
 * interpolated as Compose does (`${VAR}`, `${VAR:-default}`, `$$`) from the process environment and
 * the `.env` beside the Compose file; a value that cannot be resolved here is `undefined` ("unknown").
 */
import * as path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLError, type YAMLMap } from 'yaml';
import { parseDotenv } from './dotenv';
import { interpolate, type VariableLookup } from './interpolation';
import { findFilesUnder } from './files';
import { LineIndex } from './lineIndex';
import type { Range } from './types';
import { parseBoundedDocument } from './yamlSafe';
import { readRegularFileSync } from './safeRead';

export interface ComposeEnvironmentEntry {
  name: string;
  /** The value Compose gives the variable, or undefined when it is unknown here. */
  value: string | undefined;
  /** 0-based position of the variable's name in the Compose file. */
  line: number;
  column: number;
  /** Where the value is written in the Compose file, when it is. */
  valueRange?: Range;
}

export interface ComposeSecretSource {
  composeFile: string;
  service: string;
  /** The service's `environment`, later entries winning over earlier ones of the same name. */
  environment: ComposeEnvironmentEntry[];
  /** Absolute paths, in Compose's order (a later file wins over an earlier one). */
  envFiles: ComposeEnvFile[];
}

export interface ComposeEnvFile {
  path: string;
  required: boolean;
  /** True when the path names a variable that is not set here (`path` is then the text as written). */
  unresolved?: boolean;
  /** 0-based position of the path in the Compose file. */
  line?: number;
  column?: number;
}

export interface ComposeReadOptions {
  /** The environment `docker compose` runs in; default `process.env`. It wins over the project `.env`. */
  env?: NodeJS.ProcessEnv;
  /** Variables of the project's `.env`; default: read from beside the Compose file. */
  projectEnv?: Record<string, string>;
  /** Services to read even without a Kestra image: those an override file extends from its base file. */
  kestraServices?: Iterable<string>;
  /** Told when the file is not valid YAML (its services are then ignored); the message quotes no content. */
  onInvalid?: (message: string) => void;
}

const COMPOSE_FILE = /^(docker-)?compose(\.[^/\\]+)?\.ya?ml$/i;
/** Compose files (`compose.yaml`, `docker-compose.yml`, `docker-compose.prod.yml`, …) under `root`, sorted. */
export function findComposeFiles(root: string, maxDepth = 4): string[] {
  return findFilesUnder(root, (name) => COMPOSE_FILE.test(name), { maxDepth });
}

/**
 * Compose files grouped by folder, each group in the order Compose applies them: the base file
 * (`compose.yaml`, `docker-compose.yml`) first, then overrides (`docker-compose.override.yml`, …).
 */
export function composeProjects(files: string[]): string[][] {
  const byFolder = new Map<string, string[]>();
  for (const file of files) {
    const folder = path.dirname(file);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file]);
  }
  const isBase = (file: string) => /^(docker-)?compose\.ya?ml$/i.test(path.basename(file));
  return [...byFolder.values()].map((group) =>
    [...group].sort((a, b) => Number(isBase(b)) - Number(isBase(a)) || (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** The project `.env` beside a Compose file, as Compose reads it for interpolation ({} when absent or broken). */
export function readProjectEnv(composeFile: string): Record<string, string> {
  const file = path.join(path.dirname(composeFile), '.env');
  try {
    const values: Record<string, string> = {};
    for (const entry of parseDotenv(readRegularFileSync(file), file).entries) values[entry.key] = entry.value;
    return values;
  } catch {
    return {};
  }
}

/** The Kestra services of one Compose file ([] when it is not valid YAML or has none). */
export function readComposeFile(file: string, text: string, options: ComposeReadOptions = {}): ComposeSecretSource[] {
  return openComposeFile(file, text, options)(new Set(options.kestraServices ?? []));
}

/** The Kestra services of a Compose file, given those its project's other files name. */
export type ComposeServicesReader = (known: Set<string>) => ComposeSecretSource[];

/**
 * A Compose file parsed once, with its project `.env`: a project's files are read twice (once to learn which
 * services are Kestra's, once to read them), and the second reading needs no second parse.
 */
export function openComposeFile(
  file: string,
  text: string,
  options: Omit<ComposeReadOptions, 'kestraServices'> = {},
): ComposeServicesReader {
  const doc = parseBoundedDocument(text, { uniqueKeys: false, inlineAliases: true });
  if (doc.errors.length > 0) {
    options.onInvalid?.(invalidComposeMessage(file, text, doc.errors[0]));
    return () => [];
  }
  const env = options.env ?? process.env;
  const projectEnv = options.projectEnv ?? readProjectEnv(file);
  const reader = new ComposeReader(file, doc, new LineIndex(text), (name) => env[name] ?? projectEnv[name]);
  return (known) => reader.kestraServices(known);
}

function invalidComposeMessage(file: string, text: string, error: YAMLError): string {
  const at = new LineIndex(text).positionAt(error.pos[0]);
  // Only our own limit messages are quoted: the parser's may hold source text, i.e. a value.
  const reason = error.code === 'RESOURCE_EXHAUSTION' ? ` (${error.message})` : '';
  return `${file}: not valid YAML at line ${at.line + 1}, column ${at.character + 1}${reason}; its services are ignored.`;
}

type Interpolator = (text: string) => string | undefined;

class ComposeReader {
  private readonly folder: string;
  private readonly interpolateValue: Interpolator;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineIndex,
    private readonly lookup: VariableLookup,
  ) {
    this.folder = path.dirname(file);
    this.interpolateValue = (raw) => {
      try {
        const result = interpolate(raw, this.lookup);
        return result.missing.length > 0 ? undefined : result.value;
      } catch {
        return undefined;
      }
    };
  }

  kestraServices(known: Set<string>): ComposeSecretSource[] {
    const services = this.resolve(this.get(this.doc.contents, 'services'));
    if (!isMap(services)) return [];
    const sources: ComposeSecretSource[] = [];
    for (const pair of this.pairs(services)) {
      const name = this.scalarText(pair.key);
      const service = this.resolve(pair.value as Node | null);
      if (name === undefined || !isMap(service)) continue;
      const image = this.scalarText(this.get(service, 'image'));
      const interpolatedImage = image === undefined ? undefined : this.interpolateValue(image);
      if (!known.has(name) && !/kestra/i.test(name) && !/kestra/i.test(interpolatedImage ?? image ?? '')) continue;
      sources.push({
        composeFile: this.file,
        service: name,
        environment: this.environment(this.resolve(this.get(service, 'environment'))),
        envFiles: this.envFiles(this.resolve(this.get(service, 'env_file'))),
      });
    }
    return sources;
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? undefined;
    return node ?? undefined;
  }

  /** A map's pairs with `<<` merge keys expanded (merged pairs first, so explicit ones win). */
  private pairs(map: YAMLMap, depth = 0): Pair[] {
    const out: Pair[] = [];
    for (const pair of map.items) {
      if (isScalar(pair.key) && pair.key.value === '<<' && depth < 10) {
        const merged = this.resolve(pair.value as Node | null);
        const sources = isSeq(merged) ? merged.items.map((item) => this.resolve(item as Node)) : [merged];
        for (const source of sources) if (isMap(source)) out.push(...this.pairs(source, depth + 1));
      } else {
        out.push(pair);
      }
    }
    return out;
  }

  private get(node: unknown, key: string): Node | undefined {
    if (!isMap(node)) return undefined;
    const pair = this.pairs(node)
      .filter((candidate) => this.scalarText(candidate.key) === key)
      .pop();
    return (pair?.value as Node | null | undefined) ?? undefined;
  }

  private scalarText(node: unknown): string | undefined {
    if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
    if (typeof node.value === 'string') return node.value;
    return typeof node.source === 'string' ? node.source : String(node.value);
  }

  private contentStart(node: Scalar): number {
    const start = node.range?.[0] ?? 0;
    return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? start + 1 : start;
  }

  private contentEnd(node: Scalar): number {
    const end = node.range?.[1] ?? 0;
    return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? end - 1 : end;
  }

  private range(start: number, end: number): Range {
    return { start: this.lines.positionAt(start), end: this.lines.positionAt(end) };
  }

  private environment(node: Node | undefined): ComposeEnvironmentEntry[] {
    const entries = new Map<string, ComposeEnvironmentEntry>();
    const add = (entry: ComposeEnvironmentEntry) => {
      entries.delete(entry.name);
      entries.set(entry.name, entry);
    };
    if (isMap(node)) {
      for (const pair of this.pairs(node)) {
        const entry = this.mapEntry(pair);
        if (entry) add(entry);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const entry = this.listEntry(this.resolve(item as Node));
        if (entry) add(entry);
      }
    }
    return [...entries.values()];
  }

  /** `NAME: value`; a null value comes from the environment `docker compose` runs in. */
  private mapEntry(pair: Pair): ComposeEnvironmentEntry | undefined {
    const name = this.scalarText(pair.key);
    if (name === undefined || !isScalar(pair.key)) return undefined;
    const at = this.lines.positionAt(this.contentStart(pair.key));
    const valueNode = this.resolve(pair.value as Node | null);
    const raw = this.scalarText(valueNode);
    if (raw === undefined || !isScalar(valueNode)) {
      return { name, value: this.lookup(name), line: at.line, column: at.character };
    }
    const valueRange = this.range(this.contentStart(valueNode), this.contentEnd(valueNode));
    return { name, value: this.interpolateValue(raw), line: at.line, column: at.character, valueRange };
  }

  /** `- NAME=value`, or `- NAME` (taken from the environment `docker compose` runs in). */
  private listEntry(node: Node | undefined): ComposeEnvironmentEntry | undefined {
    const text = this.scalarText(node);
    if (text === undefined || !isScalar(node)) return undefined;
    const start = this.contentStart(node);
    const at = this.lines.positionAt(start);
    const equals = text.indexOf('=');
    if (equals < 0) return { name: text, value: this.lookup(text), line: at.line, column: at.character };
    const valueRange = this.range(start + equals + 1, this.contentEnd(node));
    const value = this.interpolateValue(text.slice(equals + 1));
    return { name: text.slice(0, equals), value, line: at.line, column: at.character, valueRange };
  }

  private envFiles(node: Node | undefined): ComposeEnvFile[] {
    const items = isSeq(node) ? node.items.map((item) => this.resolve(item as Node)) : [node];
    const files: ComposeEnvFile[] = [];
    for (const item of items) {
      const pathNode = isMap(item) ? this.get(item, 'path') : item;
      const raw = this.scalarText(pathNode);
      if (raw === undefined || !isScalar(pathNode)) continue;
      const interpolated = this.interpolateValue(raw);
      const required = isMap(item) ? this.scalarText(this.get(item, 'required')) !== 'false' : true;
      const at = this.lines.positionAt(this.contentStart(pathNode));
      if (interpolated === undefined) files.push({ path: raw, required, unresolved: true, line: at.line, column: at.character });
      else files.push({ path: path.resolve(this.folder, interpolated), required, line: at.line, column: at.character });
    }
    return files;
  }
}
