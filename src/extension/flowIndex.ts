/**
 * The workspace's Kestra flows, analysed once per file version: open documents from their
 * TextDocument (re-analysed shortly after an edit, or on demand), other files from disk.
 * The first scan runs in the background in batches so that it never blocks the editor.
 */
import * as vscode from 'vscode';
import { analyzeFlow, hasFlowHeaderLines, looksLikeFlow, type FlowAnalysis } from '../core/flow';
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
  /** The analysis of an open document at its current version (analysed now if stale). */
  analysisFor(document: vscode.TextDocument): FlowAnalysis;
  /** Fired (debounced) when flows were added, changed or removed. */
  readonly onDidChange: vscode.Event<void>;
  /** The files whose entry changed or was removed (for diagnostics). */
  readonly onDidUpdate: vscode.Event<vscode.Uri[]>;
  /** Resolves once the first workspace scan has finished. */
  ready(): Promise<void>;
}

const FLOW_GLOB = '**/*.{yml,yaml}';
const EXCLUDE_GLOB = '**/{node_modules,.git,.vscode-test}/**';
const BATCH_SIZE = 64;
const EDIT_DEBOUNCE_MS = 300;
/** Background work yields to the event loop once it has run this long. */
const SLICE_MS = 12;
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
  private sliceStart = performance.now();
  private pendingUpdates = new Map<string, vscode.Uri>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private scanned: Promise<void> | undefined;
  private disposed = false;

  readonly onDidChange = this.changeEmitter.event;
  readonly onDidUpdate = this.updateEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

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

  analysisFor(document: vscode.TextDocument): FlowAnalysis {
    return this.indexIfChanged(document, true).analysis;
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
    const uris = await vscode.workspace.findFiles(FLOW_GLOB, EXCLUDE_GLOB);
    const open = new Map(vscode.workspace.textDocuments.map((document) => [document.uri.toString(), document]));
    for (let index = 0; index < uris.length && !this.disposed; index += BATCH_SIZE) {
      const batch = uris.slice(index, index + BATCH_SIZE);
      await Promise.all(
        batch.map((uri) => {
          const document = open.get(uri.toString());
          return document ? this.indexIfChanged(document, false) : this.indexFromDisk(uri, false);
        }),
      );
      await yieldToEventLoop();
    }
    for (const document of open.values()) if (isFlowCandidate(document)) this.indexIfChanged(document, false);
    const present = new Set([...uris.map((uri) => uri.toString()), ...open.keys()]);
    for (const flow of this.all()) if (!present.has(flow.uri.toString())) this.remove(flow.uri);
    this.log.debug(
      `Indexed ${this.entries.size} flows among ${uris.length} YAML files in ${Math.round(performance.now() - started)} ms`,
    );
    this.changeEmitter.fire();
  }

  private onOpen(document: vscode.TextDocument): void {
    if (isFlowCandidate(document)) this.indexIfChanged(document, true);
  }

  private onEdit(document: vscode.TextDocument): void {
    if (!isFlowCandidate(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.editTimers.get(key));
    this.editTimers.set(
      key,
      setTimeout(() => {
        this.editTimers.delete(key);
        if (!document.isClosed) this.analysisFor(document);
      }, Math.max(EDIT_DEBOUNCE_MS, 3 * (this.analysisCost.get(key) ?? 0))),
    );
  }

  private onClose(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.openNonFlows.delete(key);
    this.analysisCost.delete(key);
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
      if (!open.isDirty && isFlowCandidate(open)) this.indexIfChanged(open, true);
      return;
    }
    void this.indexFromDisk(uri, true);
  }

  private indexIfChanged(document: vscode.TextDocument, notify: boolean): IndexedFlow {
    const key = document.uri.toString();
    const known = this.entries.get(key) ?? this.openNonFlows.get(key);
    if (known && known.version === document.version) return known;
    return this.indexDocument(document, notify);
  }

  private indexDocument(document: vscode.TextDocument, notify: boolean): IndexedFlow {
    const text = document.getText();
    const started = performance.now();
    const flow: IndexedFlow = { uri: document.uri, version: document.version, analysis: safeAnalyze(text) };
    const key = document.uri.toString();
    this.analysisCost.set(key, performance.now() - started);
    if (isFlowCandidate(document) && (flow.analysis.isFlow || hasFlowHeaderLines(text))) {
      this.openNonFlows.delete(key);
      this.store(flow, notify);
    } else {
      this.openNonFlows.set(key, flow);
      if (this.entries.has(key)) this.remove(document.uri);
    }
    return flow;
  }

  private async indexFromDisk(uri: vscode.Uri, notify: boolean): Promise<void> {
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
      await this.yieldIfBusy();
      this.store({ uri, version: stamp, analysis: safeAnalyze(text) }, notify);
    } catch (error) {
      if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') this.remove(uri);
      else this.log.warn(`Could not read ${vscode.workspace.asRelativePath(uri)}: ${describeError(error)}`);
    }
  }

  private warnSkippedOnce(uri: vscode.Uri, reason: string): void {
    if (this.skippedPaths.has(uri.toString())) return;
    this.skippedPaths.add(uri.toString());
    this.log.warn(`Skipped ${vscode.workspace.asRelativePath(uri)}: ${reason}.`);
  }

  /** Keeps background analysis in short slices so that the extension host stays responsive. */
  private async yieldIfBusy(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
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

function safeAnalyze(text: string): FlowAnalysis {
  try {
    return analyzeFlow(text);
  } catch {
    return { isFlow: false, references: [], errors: [] };
  }
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
