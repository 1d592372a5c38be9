/**
 * The workspace's Kestra flows, analysed once per file version: open documents from their
 * TextDocument (re-analysed shortly after an edit, or on demand), other files from disk.
 * Analysis runs in a worker thread (see flowAnalyzer.ts), which also reads local files in large
 * batches, so the extension host's thread only stores results, whatever the flows' size.
 */
import * as vscode from 'vscode';
import { looksLikeFlow, type FlowAnalysis } from '../core/flow';
import type { FileOutcome, TextOutcome } from './analysisProtocol';
import { AnalyzerStoppedError, type FlowAnalyzer } from './flowAnalyzer';
import { listYamlFiles } from './folderListing';
import { yieldToEventLoop } from './logic/timeSlice';
import { describeError } from './log';

export interface IndexedFlow {
  readonly uri: vscode.Uri;
  /** Document version for open documents, a disk stamp (`disk:<mtime>:<size>`) otherwise. */
  readonly version: number | string;
  readonly analysis: FlowAnalysis;
}

export interface FlowIndex {
  /** Namespaces of all flows in the workspace, sorted. */
  namespaces(): string[];
  flowsIn(namespace: string): IndexedFlow[];
  get(uri: vscode.Uri): IndexedFlow | undefined;
  /** Every indexed file that is a flow or looks like one. */
  all(): IndexedFlow[];
  /**
   * The analysis of an open document at its current version, waiting for it at most `budgetMs`;
   * undefined when it takes longer (never an analysis of an older version).
   */
  freshAnalysis(document: vscode.TextDocument, budgetMs?: number): Promise<FlowAnalysis | undefined>;
  /** Fired (debounced) when flows were added, changed or removed. */
  readonly onDidChange: vscode.Event<void>;
  /** The files whose entry changed or was removed (for diagnostics). */
  readonly onDidUpdate: vscode.Event<vscode.Uri[]>;
  /** Resolves once the first workspace scan has finished. */
  ready(): Promise<void>;
}

const FLOW_GLOB = '**/*.{yml,yaml}';
const EXCLUDED_FOLDERS = ['node_modules', '.git', '.vscode-test'];
const EXCLUDE_GLOB = `**/{${EXCLUDED_FOLDERS.join(',')}}/**`;
/** Directory entries listed while the workspace search runs (see folderListing.ts): a huge tree is left to the search. */
const EARLY_LISTING_LIMIT = 100_000;
/** Listed files turned into URIs (and sent once a batch is full) per task of the editor's thread. */
const LISTED_SLICE = 50;
/** Local files per worker request: round trips don't count at this size, and each answer is quick to take in. */
const FILE_BATCH_SIZE = 100;
/** Files of other schemes (read through vscode.workspace.fs) per batch. */
const BATCH_SIZE = 64;
/** Typing pause before re-analysis when the worker does it, and the least pause when the editor's thread does. */
const EDIT_DEBOUNCE_MS = 150;
const IN_THREAD_EDIT_DEBOUNCE_MS = 300;
/** How long a hover waits for the analysis of the current version before reading the text under the cursor only. */
export const FRESH_ANALYSIS_BUDGET_MS = 1000;
const CHANGE_DEBOUNCE_MS = 100;
const INDEXED_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

export function isFlowCandidate(document: vscode.TextDocument): boolean {
  return document.languageId === 'yaml' && INDEXED_SCHEMES.has(document.uri.scheme);
}

export class WorkspaceFlowIndex implements FlowIndex, vscode.Disposable {
  private readonly entries = new Map<string, IndexedFlow>();
  /** Analyses of open YAML documents that are not flows (for hover), dropped on close. */
  private readonly openNonFlows = new Map<string, IndexedFlow>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly updateEmitter = new vscode.EventEmitter<vscode.Uri[]>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.updateEmitter];
  private readonly editTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** How long the last analysis of each open document took: big flows are re-analysed less often while typing. */
  private readonly analysisCost = new Map<string, number>();
  /** Paths passed over (not regular files), each logged once. */
  private readonly skippedPaths = new Set<string>();
  /** The analysis under way for each open document (one at a time while typing), and whether another edit came since. */
  private readonly documentRuns = new Map<string, { version: number; done: Promise<IndexedFlow | undefined> }>();
  private readonly editedDuringRun = new Set<string>();
  private pendingUpdates = new Map<string, vscode.Uri>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private scanned: Promise<void> | undefined;
  private disposed = false;

  readonly onDidChange = this.changeEmitter.event;
  readonly onDidUpdate = this.updateEmitter.event;

  /** `analyzer`: the worker pool, owned (started and stopped) by the caller. */
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly analyzer: FlowAnalyzer,
  ) {}

  /** Starts watching and the first scan; call after activation. */
  start(): Promise<void> {
    if (!this.scanned) {
      this.watch();
      this.scanned = this.scanWorkspace();
    }
    return this.scanned;
  }

  ready(): Promise<void> {
    return this.scanned ?? this.start();
  }

  /** Scans the workspace again (files unchanged on disk are not re-read) and drops deleted ones. */
  async rescan(): Promise<void> {
    await this.ready();
    this.scanned = this.scanWorkspace();
    await this.scanned;
  }

  namespaces(): string[] {
    const namespaces = new Set<string>();
    for (const flow of this.entries.values()) {
      if (flow.analysis.isFlow) for (const namespace of namespacesOf(flow.analysis)) namespaces.add(namespace);
    }
    return [...namespaces].sort();
  }

  flowsIn(namespace: string): IndexedFlow[] {
    return this.all().filter((flow) => flow.analysis.isFlow && namespacesOf(flow.analysis).includes(namespace));
  }

  get(uri: vscode.Uri): IndexedFlow | undefined {
    return this.entries.get(uri.toString());
  }

  all(): IndexedFlow[] {
    return [...this.entries.values()];
  }

  async freshAnalysis(document: vscode.TextDocument, budgetMs = FRESH_ANALYSIS_BUDGET_MS): Promise<FlowAnalysis | undefined> {
    const version = document.version;
    const flow = await withinBudget(this.indexIfChanged(document, true), budgetMs);
    return flow?.version === version ? flow.analysis : undefined;
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.editTimers.values()) clearTimeout(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  private watch(): void {
    const watcher = vscode.workspace.createFileSystemWatcher(FLOW_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => this.onDiskChange(uri)),
      watcher.onDidChange((uri) => this.onDiskChange(uri)),
      watcher.onDidDelete((uri) => this.remove(uri)),
      vscode.workspace.onDidOpenTextDocument((document) => this.onOpen(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.onEdit(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.onClose(document)),
    );
  }

  private async scanWorkspace(): Promise<void> {
    const started = performance.now();
    const search = vscode.workspace.findFiles(FLOW_GLOB, EXCLUDE_GLOB);
    // While the editor searches (up to a second on a loaded machine), the local folders are listed here without
    // blocking (folderListing.ts) and parsing starts; the search's answer stays the truth: what it adds is indexed
    // below, what it lacks is removed.
    const early = this.indexListedEarly();
    const uris = await search;
    this.log.debug(`Found ${uris.length} YAML files in ${Math.round(performance.now() - started)} ms`);
    const { sent, work: earlyWork } = await early;
    const open = new Map(vscode.workspace.textDocuments.map((document) => [document.uri.toString(), document]));
    // Local files are told apart by path: a URI's first toString() encodes it (tens of microseconds, 2,000 times).
    const openPaths = localPathsOf([...open.values()]);
    const isOpen = (uri: vscode.Uri) => (uri.scheme === 'file' ? openPaths.has(uri.fsPath) : open.has(uri.toString()));
    const onDisk = uris.filter((uri) => !isOpen(uri));
    const local = onDisk.filter((uri) => uri.scheme === 'file' && !sent.has(uri.fsPath));
    const elsewhere = onDisk.filter((uri) => uri.scheme !== 'file');
    const work: Promise<unknown>[] = [
      ...earlyWork,
      ...[...open.values()].filter(isFlowCandidate).map((document) => this.indexIfChanged(document, false)),
    ];
    // Every batch is sent at once: the worker answers them in turn while this thread stores the answers.
    for (let index = 0; index < local.length; index += FILE_BATCH_SIZE) {
      work.push(this.indexLocalFiles(local.slice(index, index + FILE_BATCH_SIZE), false));
    }
    for (let index = 0; index < elsewhere.length && !this.disposed; index += BATCH_SIZE) {
      await Promise.all(elsewhere.slice(index, index + BATCH_SIZE).map((uri) => this.indexFromDisk(uri, false)));
    }
    await Promise.all(work);
    if (this.disposed) return;
    const presentPaths = new Set([...uris.filter((uri) => uri.scheme === 'file').map((uri) => uri.fsPath), ...openPaths]);
    const presentElsewhere = new Set([...uris.filter((uri) => uri.scheme !== 'file').map((uri) => uri.toString()), ...open.keys()]);
    const isPresent = (uri: vscode.Uri) => (uri.scheme === 'file' ? presentPaths.has(uri.fsPath) : presentElsewhere.has(uri.toString()));
    for (const flow of this.all()) if (!isPresent(flow.uri)) this.remove(flow.uri);
    this.log.debug(`Indexed ${this.entries.size} flows among ${uris.length} YAML files in ${Math.round(performance.now() - started)} ms`);
    this.changeEmitter.fire();
  }

  /**
   * Sends the YAML files under the local workspace folders to be indexed, a batch as soon as the listing has found
   * one; resolves once the listing is done, with the paths sent.
   */
  private async indexListedEarly(): Promise<{ sent: Set<string>; work: Promise<void>[] }> {
    const sent = new Set<string>();
    const work: Promise<void>[] = [];
    const roots = (vscode.workspace.workspaceFolders ?? [])
      .filter((folder) => folder.uri.scheme === 'file')
      .map((folder) => folder.uri.fsPath);
    if (roots.length === 0) return { sent, work };
    const started = performance.now();
    const openPaths = localPathsOf(vscode.workspace.textDocuments);
    let batch: vscode.Uri[] = [];
    const send = () => {
      if (batch.length > 0) work.push(this.indexLocalFiles(batch, false));
      batch = [];
    };
    // The listing hands over a folder's files as it reads them; they are taken in small slices, each its own task,
    // so that folders read back to back never hold the editor's thread for long.
    const listed: string[] = [];
    let taking: Promise<void> | undefined;
    const takeListed = async () => {
      while (listed.length > 0 && !this.disposed) {
        for (const file of listed.splice(0, LISTED_SLICE)) {
          const uri = vscode.Uri.file(file);
          if (openPaths.has(uri.fsPath) || sent.has(uri.fsPath)) continue;
          sent.add(uri.fsPath);
          batch.push(uri);
          if (batch.length === FILE_BATCH_SIZE) send();
        }
        await yieldToEventLoop();
      }
      taking = undefined;
    };
    const onFiles = (paths: string[]) => {
      listed.push(...paths);
      taking ??= takeListed();
    };
    const listing = await listYamlFiles(roots, EXCLUDED_FOLDERS, EARLY_LISTING_LIMIT, onFiles).catch((error: unknown) => {
      this.log.debug(`Listing the workspace folders failed, the workspace search will do: ${describeError(error)}`);
      return { complete: false };
    });
    while (taking) await taking;
    send();
    this.log.trace(
      `Listed ${sent.size} YAML files in ${Math.round(performance.now() - started)} ms${listing.complete ? '' : ' (stopped at the limit)'}`,
    );
    return { sent, work };
  }

  private onOpen(document: vscode.TextDocument): void {
    if (isFlowCandidate(document)) void this.indexIfChanged(document, true);
  }

  private onEdit(document: vscode.TextDocument): void {
    if (!isFlowCandidate(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.editTimers.get(key));
    this.editTimers.set(
      key,
      setTimeout(() => {
        this.editTimers.delete(key);
        if (document.isClosed) return;
        // While typing, one analysis at a time per document: the next one starts when it ends.
        if (this.documentRuns.has(key)) this.editedDuringRun.add(key);
        else void this.indexIfChanged(document, true);
      }, this.editDebounceMs(key)),
    );
  }

  /** Off the thread, a short pause; on it, big flows are re-analysed less often while typing. */
  private editDebounceMs(key: string): number {
    if (this.analyzer.offThread) return EDIT_DEBOUNCE_MS;
    return Math.max(IN_THREAD_EDIT_DEBOUNCE_MS, 3 * (this.analysisCost.get(key) ?? 0));
  }

  private onClose(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.openNonFlows.delete(key);
    this.analysisCost.delete(key);
    this.editedDuringRun.delete(key);
    clearTimeout(this.editTimers.get(key));
    this.editTimers.delete(key);
    if (!this.entries.has(key)) return;
    if (document.uri.scheme === 'untitled') this.remove(document.uri);
    else void this.indexFromDisk(document.uri, true);
  }

  private onDiskChange(uri: vscode.Uri): void {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    if (open) {
      // The open document is the truth: unsaved edits win, and a saved one has the disk's text.
      if (!open.isDirty && isFlowCandidate(open)) void this.indexIfChanged(open, true);
      return;
    }
    void this.indexFromDisk(uri, true);
  }

  /** The document's entry at its current version: the one held, the analysis under way, or a new one. */
  private indexIfChanged(document: vscode.TextDocument, notify: boolean): Promise<IndexedFlow | undefined> {
    const key = document.uri.toString();
    const known = this.entries.get(key) ?? this.openNonFlows.get(key);
    if (known && known.version === document.version) return Promise.resolve(known);
    const running = this.documentRuns.get(key);
    if (running?.version === document.version) return running.done;
    const version = document.version;
    const done = this.analyzer.analyzeTexts([document.getText()]).then(
      ([outcome]) => this.storeDocument(document, version, outcome, notify),
      (error: unknown) => {
        if (!(error instanceof AnalyzerStoppedError))
          this.log.warn(`Could not analyse ${vscode.workspace.asRelativePath(document.uri)}: ${describeError(error)}`);
        return undefined;
      },
    );
    const run = { version, done };
    this.documentRuns.set(key, run);
    void done.then(() => this.afterDocumentRun(document, run));
    return done;
  }

  private afterDocumentRun(document: vscode.TextDocument, run: { version: number }): void {
    const key = document.uri.toString();
    if (this.documentRuns.get(key) === run) this.documentRuns.delete(key);
    if (!this.editedDuringRun.delete(key) || document.isClosed || this.disposed) return;
    if (document.version !== run.version) void this.indexIfChanged(document, true);
  }

  private storeDocument(document: vscode.TextDocument, version: number, outcome: TextOutcome, notify: boolean): IndexedFlow | undefined {
    if (this.disposed || document.isClosed) return undefined;
    const key = document.uri.toString();
    const flow: IndexedFlow = { uri: document.uri, version, analysis: outcome.analysis };
    const known = this.entries.get(key) ?? this.openNonFlows.get(key);
    // Answers come in order, but an analysis of an older version never replaces a newer one.
    if (typeof known?.version === 'number' && known.version > version) return flow;
    this.analysisCost.set(key, outcome.ms);
    if (isFlowCandidate(document) && (flow.analysis.isFlow || outcome.flowHeaderLines)) {
      this.openNonFlows.delete(key);
      this.store(flow, notify);
    } else {
      this.openNonFlows.set(key, flow);
      if (this.entries.has(key)) this.remove(document.uri);
    }
    return flow;
  }

  /** Files of the local disk: read and analysed by the worker, in one request. */
  private async indexLocalFiles(uris: vscode.Uri[], notify: boolean): Promise<void> {
    const byPath = new Map(uris.map((uri) => [uri.fsPath, uri]));
    const files = uris.map((uri) => {
      const version = this.get(uri)?.version;
      return { path: uri.fsPath, knownStamp: typeof version === 'string' ? version : undefined };
    });
    let outcomes: FileOutcome[];
    const started = performance.now();
    try {
      outcomes = await this.analyzer.analyzeFiles(files);
      this.log.trace(`Analysed ${files.length} files in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      if (!(error instanceof AnalyzerStoppedError)) this.log.warn(`Could not analyse ${uris.length} flow files: ${describeError(error)}`);
      return;
    }
    if (this.disposed) return;
    const open = new Set(vscode.workspace.textDocuments.map((document) => document.uri.toString()));
    for (const outcome of outcomes) {
      const uri = byPath.get(outcome.path);
      // An open document is the truth: its own analysis wins over the file's.
      if (uri && !open.has(uri.toString())) this.applyFileOutcome(uri, outcome, notify);
    }
  }

  private applyFileOutcome(uri: vscode.Uri, outcome: FileOutcome, notify: boolean): void {
    switch (outcome.kind) {
      case 'analysed':
        this.store({ uri, version: outcome.stamp, analysis: outcome.analysis }, notify);
        break;
      case 'not-a-flow':
      case 'missing':
        this.remove(uri);
        break;
      case 'not-a-file':
        this.warnSkippedOnce(uri, 'it is not a regular file');
        break;
      case 'unreadable':
        this.log.warn(`Could not read ${vscode.workspace.asRelativePath(uri)}: ${outcome.message}`);
        break;
      case 'unchanged':
        break;
    }
  }

  private async indexFromDisk(uri: vscode.Uri, notify: boolean): Promise<void> {
    if (uri.scheme === 'file') return this.indexLocalFiles([uri], notify);
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if ((stat.type & vscode.FileType.File) === 0) {
        // A named pipe or socket with a YAML name: reading it could block forever.
        this.warnSkippedOnce(uri, 'it is not a regular file');
        return;
      }
      const stamp = `disk:${stat.mtime}:${stat.size}`;
      if (this.get(uri)?.version === stamp) return;
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      if (!looksLikeFlow(text)) {
        if (this.entries.has(uri.toString())) this.remove(uri);
        return;
      }
      const [outcome] = await this.analyzer.analyzeTexts([text]);
      if (!this.disposed) this.store({ uri, version: stamp, analysis: outcome.analysis }, notify);
    } catch (error) {
      if (error instanceof AnalyzerStoppedError) return;
      if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') this.remove(uri);
      else this.log.warn(`Could not read ${vscode.workspace.asRelativePath(uri)}: ${describeError(error)}`);
    }
  }

  private warnSkippedOnce(uri: vscode.Uri, reason: string): void {
    if (this.skippedPaths.has(uri.toString())) return;
    this.skippedPaths.add(uri.toString());
    this.log.warn(`Skipped ${vscode.workspace.asRelativePath(uri)}: ${reason}.`);
  }

  private store(flow: IndexedFlow, notify: boolean): void {
    this.entries.set(flow.uri.toString(), flow);
    if (notify) this.queueUpdate(flow.uri);
  }

  private remove(uri: vscode.Uri): void {
    if (this.entries.delete(uri.toString())) this.queueUpdate(uri);
  }

  private queueUpdate(uri: vscode.Uri): void {
    this.pendingUpdates.set(uri.toString(), uri);
    this.flushTimer ??= setTimeout(() => this.flushUpdates(), CHANGE_DEBOUNCE_MS);
  }

  private flushUpdates(): void {
    this.flushTimer = undefined;
    const uris = [...this.pendingUpdates.values()];
    this.pendingUpdates = new Map();
    if (uris.length === 0 || this.disposed) return;
    this.updateEmitter.fire(uris);
    this.changeEmitter.fire();
  }
}

/** Every flow namespace of a file: a multi-document file may hold flows of several namespaces. */
function namespacesOf(analysis: FlowAnalysis): string[] {
  return analysis.flowNamespaces ?? (analysis.namespace ? [analysis.namespace] : []);
}

/** The promise's value if it settles within `ms`, else undefined. */
function withinBudget<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const NAMESPACE_LINE = /^namespace[ \t]*:[ \t]*(?:"([^"]*)"|'([^']*)'|([^\s#]+))/;
const namespaceLines = new WeakMap<vscode.TextDocument, { version: number; line: number | undefined }>();

/**
 * A flow's namespace from a cheap scan of the document's top-level `namespace:` line, remembered
 * per document so that a keystroke costs one line read (completion must not parse the document).
 */
export function quickNamespace(document: vscode.TextDocument): string | undefined {
  const cached = namespaceLines.get(document);
  if (cached?.version === document.version) return namespaceAtLine(document, cached.line);
  if (cached?.line !== undefined && cached.line < document.lineCount) {
    const namespace = namespaceAtLine(document, cached.line);
    if (namespace !== undefined) {
      namespaceLines.set(document, { version: document.version, line: cached.line });
      return namespace;
    }
  }
  let found: number | undefined;
  for (let line = 0; line < document.lineCount; line++) {
    if (NAMESPACE_LINE.test(document.lineAt(line).text)) {
      found = line;
      break;
    }
  }
  namespaceLines.set(document, { version: document.version, line: found });
  return namespaceAtLine(document, found);
}

function namespaceAtLine(document: vscode.TextDocument, line: number | undefined): string | undefined {
  if (line === undefined || line >= document.lineCount) return undefined;
  const match = NAMESPACE_LINE.exec(document.lineAt(line).text);
  const namespace = match?.[1] ?? match?.[2] ?? match?.[3];
  return namespace || undefined;
}

/** The paths of the documents that are local files. */
function localPathsOf(documents: readonly vscode.TextDocument[]): Set<string> {
  return new Set(documents.filter((document) => document.uri.scheme === 'file').map((document) => document.uri.fsPath));
}
