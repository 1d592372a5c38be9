/**
 * The messages between the editor's thread and the analysis worker, and the work each one asks for.
 * Pure Node (no `vscode`): the worker runs it on its own thread, the fallback in the editor's thread.
 * A `FlowAnalysis` crosses the thread boundary as JSON text (nothing here lists its fields; an analysis is
 * plain data, and an absent optional field reads back absent), its lists cut in parts that the editor's thread
 * reads back one slice of time at a time (see EncodedAnalysis).
 */
import * as fs from 'node:fs';
import { analyzeFlow, hasFlowHeaderLines, looksLikeFlow, type FlowAnalysis } from '../core/flow';
import { resolveEditorEnvSources, type EditorEnvSourceRequest, type EditorEnvSources } from './logic/envSources';

export interface TextOutcome {
  analysis: FlowAnalysis;
  /** `id` and `namespace` keys at the start of a line: a file meant as a flow even when it can't be read as one. */
  flowHeaderLines: boolean;
  /** Time spent analysing, in milliseconds. */
  ms: number;
}

export interface FileToAnalyse {
  path: string;
  /** The stamp of the analysis already held: an unchanged file is not read again. */
  knownStamp?: string;
}

export type FileOutcome =
  | { path: string; kind: 'analysed'; stamp: string; analysis: FlowAnalysis }
  | { path: string; kind: 'unchanged' }
  | { path: string; kind: 'not-a-flow'; stamp: string }
  | { path: string; kind: 'missing' }
  | { path: string; kind: 'not-a-file' }
  | { path: string; kind: 'unreadable'; message: string };

export type AnalysisRequest =
  | { id: number; type: 'texts'; texts: string[] }
  | { id: number; type: 'files'; files: FileToAnalyse[] }
  /** The env store's sources (logic/envSources.ts): it reads and parses Compose files, tens of milliseconds of work. */
  | { id: number; type: 'envSources'; request: EditorEnvSourceRequest };

export type AnalysisResponse =
  | { id: number; ok: true; type: 'texts'; outcomes: TextOutcome[] }
  | { id: number; ok: true; type: 'files'; outcomes: FileOutcome[] }
  | { id: number; ok: true; type: 'envSources'; outcomes: [EditorEnvSources] }
  | { id: number; ok: false; message: string };

/**
 * A `FlowAnalysis` as JSON text, its lists (references, errors, …) cut in parts of PART_ITEMS items. Reading a whole
 * 5,000-line flow's analysis back takes the receiving thread 5–15 ms in one go, more for bigger flows; read part
 * by part, the editor's thread can yield between parts whatever the flow's size. A string is what a message
 * copies cheapest, and `JSON.parse` reads these analyses back in about half the time `v8.deserialize` takes.
 */
export interface EncodedAnalysis {
  /** The analysis with each list emptied, or the whole analysis when its lists hold PART_ITEMS items or fewer. */
  head: string;
  parts: { field: string; items: string }[];
}

/** Well under a millisecond's reading per part on an idle machine, so that a slice ends close to its budget under load too. */
const PART_ITEMS = 100;

type WithEncodedAnalysis<T> = T extends { analysis: FlowAnalysis } ? Omit<T, 'analysis'> & { analysis: EncodedAnalysis } : T;
export type EncodedTextOutcome = WithEncodedAnalysis<TextOutcome>;
export type EncodedFileOutcome = WithEncodedAnalysis<FileOutcome>;

/** What the worker sends: an `AnalysisResponse` with every analysis encoded. */
export type EncodedResponse =
  | { id: number; ok: true; type: 'texts'; outcomes: EncodedTextOutcome[] }
  | { id: number; ok: true; type: 'files'; outcomes: EncodedFileOutcome[] }
  | { id: number; ok: true; type: 'envSources'; outcomes: [EditorEnvSources] }
  | { id: number; ok: false; message: string };

export function encodeAnalysis(analysis: FlowAnalysis): EncodedAnalysis {
  // Most flows have a few dozen list items in all: one piece, read back in one call, like a single part.
  const items = Object.values(analysis).reduce<number>((sum, value) => sum + (Array.isArray(value) ? value.length : 0), 0);
  if (items <= PART_ITEMS) return { head: JSON.stringify(analysis), parts: [] };
  const head: Record<string, unknown> = { ...analysis };
  const parts: EncodedAnalysis['parts'] = [];
  for (const [field, value] of Object.entries(analysis)) {
    if (!Array.isArray(value)) continue;
    head[field] = [];
    for (let start = 0; start < value.length; start += PART_ITEMS)
      parts.push({ field, items: JSON.stringify(value.slice(start, start + PART_ITEMS)) });
  }
  return { head: JSON.stringify(head), parts };
}

/** The analysis with its lists still empty unless it came whole: fill them with `readPart`, one part at a time. */
export function readHead(encoded: EncodedAnalysis): FlowAnalysis {
  return JSON.parse(encoded.head) as FlowAnalysis;
}

export function readPart(analysis: FlowAnalysis, part: EncodedAnalysis['parts'][number]): void {
  const list = (analysis as unknown as Record<string, unknown[]>)[part.field];
  for (const item of JSON.parse(part.items) as unknown[]) list.push(item);
}

export function decodeAnalysis(encoded: EncodedAnalysis): FlowAnalysis {
  const analysis = readHead(encoded);
  for (const part of encoded.parts) readPart(analysis, part);
  return analysis;
}

export function encodeResponse(response: AnalysisResponse): EncodedResponse {
  if (!response.ok || response.type === 'envSources') return response;
  if (response.type === 'texts')
    return { ...response, outcomes: response.outcomes.map((outcome) => ({ ...outcome, analysis: encodeAnalysis(outcome.analysis) })) };
  return {
    ...response,
    outcomes: response.outcomes.map((outcome) =>
      outcome.kind === 'analysed' ? { ...outcome, analysis: encodeAnalysis(outcome.analysis) } : outcome,
    ),
  };
}

export function analyseText(text: string): TextOutcome {
  const started = performance.now();
  let analysis: FlowAnalysis;
  try {
    analysis = analyzeFlow(text);
  } catch {
    analysis = { isFlow: false, references: [], errors: [] };
  }
  return { analysis, flowHeaderLines: hasFlowHeaderLines(text), ms: performance.now() - started };
}

/** `disk:<mtime>:<size>`: what tells an unchanged file without reading it. */
export function diskStamp(stat: fs.Stats): string {
  return `disk:${Math.trunc(stat.mtimeMs)}:${stat.size}`;
}

export function analyseFile(file: FileToAnalyse): FileOutcome {
  const stat = statOf(file.path);
  return 'kind' in stat ? stat : analyseStatedFile(file, stat);
}

/**
 * The files' outcomes in the order asked, analysed smallest first: a fresh thread's parser runs in V8's slow
 * tiers until it has seen a few dozen flows, and a 5,000-line flow read first would take it three times as long.
 */
export function analyseFiles(files: FileToAnalyse[]): FileOutcome[] {
  const stats = files.map((file) => statOf(file.path));
  const bySize = files.map((_, index) => index);
  bySize.sort((a, b) => sizeOf(stats[a]) - sizeOf(stats[b]));
  const outcomes: FileOutcome[] = new Array(files.length);
  for (const index of bySize) {
    const stat = stats[index];
    outcomes[index] = 'kind' in stat ? stat : analyseStatedFile(files[index], stat);
  }
  return outcomes;
}

function statOf(path: string): fs.Stats | FileOutcome {
  try {
    const stat = fs.statSync(path);
    // A named pipe or socket with a YAML name: reading it could block forever.
    return stat.isFile() ? stat : { path, kind: 'not-a-file' };
  } catch (error) {
    return failedOutcome(path, error);
  }
}

function sizeOf(stat: fs.Stats | FileOutcome): number {
  return 'kind' in stat ? 0 : stat.size;
}

function analyseStatedFile(file: FileToAnalyse, stat: fs.Stats): FileOutcome {
  const { path } = file;
  try {
    const stamp = diskStamp(stat);
    if (stamp === file.knownStamp) return { path, kind: 'unchanged' };
    // As the editor reads a document: UTF-8 with a byte-order mark dropped, so ranges match its lines.
    const text = new TextDecoder().decode(fs.readFileSync(path));
    if (!looksLikeFlow(text)) return { path, kind: 'not-a-flow', stamp };
    return { path, kind: 'analysed', stamp, analysis: analyseText(text).analysis };
  } catch (error) {
    return failedOutcome(path, error);
  }
}

function failedOutcome(path: string, error: unknown): FileOutcome {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'missing' };
  return { path, kind: 'unreadable', message: error instanceof Error ? error.message : String(error) };
}

/** Answers one request whole; a malformed one gets an error answer, never an exception. */
export function answer(request: unknown): AnalysisResponse {
  const id = idOf(request);
  try {
    if (isTextsRequest(request)) return { id, ok: true, type: 'texts', outcomes: request.texts.map(analyseText) };
    if (isFilesRequest(request)) return { id, ok: true, type: 'files', outcomes: analyseFiles(request.files) };
    if (isEnvSourcesRequest(request)) return { id, ok: true, type: 'envSources', outcomes: [resolveEditorEnvSources(request.request)] };
    return { id, ok: false, message: 'The analysis worker received a request it does not understand.' };
  } catch (error) {
    return { id, ok: false, message: `The analysis worker failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function idOf(request: unknown): number {
  const id = (request as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? id : -1;
}

function isTextsRequest(request: unknown): request is Extract<AnalysisRequest, { type: 'texts' }> {
  const candidate = request as { type?: unknown; texts?: unknown } | null;
  return candidate?.type === 'texts' && Array.isArray(candidate.texts) && candidate.texts.every((text) => typeof text === 'string');
}

function isEnvSourcesRequest(request: unknown): request is Extract<AnalysisRequest, { type: 'envSources' }> {
  const candidate = request as { type?: unknown; request?: Partial<Record<keyof EditorEnvSourceRequest, unknown>> | null } | null;
  const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
  const inner = candidate?.request;
  return (
    candidate?.type === 'envSources' && strings(inner?.roots) && strings(inner?.configuredEnvFiles) && typeof inner?.trusted === 'boolean'
  );
}

function isFilesRequest(request: unknown): request is Extract<AnalysisRequest, { type: 'files' }> {
  const candidate = request as { type?: unknown; files?: unknown } | null;
  return (
    candidate?.type === 'files' &&
    Array.isArray(candidate.files) &&
    candidate.files.every((file: { path?: unknown } | null) => typeof file?.path === 'string')
  );
}
