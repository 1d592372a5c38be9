/**
 * Problems for every flow in the workspace (not only open files) and for the store's own
 * definitions (invalid base64 or colliding keys in encoded env files), from the core's checks.
 * Whole-workspace passes run in slices of time with yields so that typing is never blocked; a file's
 * problems are re-checked shortly after it changes, all of them when the catalog changes.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import { describeIncompleteCause, type VisibleSecrets } from '../../core/catalogTypes';
import type { IncompleteCause } from '../../core/store';
import { keysWithSubkeys, referencedNamespaces, type VisibleLookup } from '../../core/checks';
import type { FlowAnalysis } from '../../core/flow';
import type { Problem } from '../../core/types';
import type { IndexedFlow } from '../flowIndex';
import { TimeSlice, yieldToEventLoop } from '../logic/timeSlice';
import { describeError } from '../log';
import { checkFlowInSlices } from '../logic/slicedChecks';
import type { Services } from '../services';
import { DIAGNOSTIC_SOURCE, problemUri, toDiagnostic, toVsRange, workspaceRelativePath } from '../shared/convert';
import type { ProblemSource } from '../shared/problemSource';

export const DIAGNOSTIC_COLLECTION = 'kestra-secrets';
/** A whole-workspace pass yields to the event loop once it has run this long. */
const SLICE_MS = 5;
/** How often the first pass looks for flows the index has just analysed. */
const INDEX_POLL_MS = 20;
const YAML_EXTENSION_ID = 'redhat.vscode-yaml';

export class SecretDiagnostics implements ProblemSource, vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_COLLECTION);
  /** The problems behind the diagnostics shown, per URI, for quick fixes. */
  private readonly problems = new Map<string, Problem[]>();
  private definitionUris = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private generation = 0;
  private lastPass: Promise<void> = Promise.resolve();
  private readonly loggedErrors = new Set<string>();
  /** Causes of incompleteness already told (once per session): those with no line of their own to carry a warning. */
  private readonly toldCauses = new Set<string>();

  constructor(private readonly services: Services) {}

  /** Starts listening and schedules the first whole-workspace pass. */
  start(): Promise<void> {
    this.disposables.push(
      this.services.flows.onDidUpdate((uris) => void this.checkFiles(uris)),
      this.services.onDidChangeCatalog(() => void this.runFullPass()),
      this.services.onDidChangeSettings((change) => {
        if (change.effects.has('recheck-flows')) void this.runFullPass();
      }),
    );
    return this.runFullPass();
  }

  /** Resolves when the latest whole-workspace pass has finished. */
  settled(): Promise<void> {
    return this.lastPass;
  }

  /** The problems shown in a file that intersect a range (for quick fixes). */
  problemsAt(uri: vscode.Uri, range: vscode.Range): Problem[] {
    return (this.problems.get(uri.toString()) ?? []).filter((problem) => toVsRange(problem.range).intersection(range) !== undefined);
  }

  dispose(): void {
    this.generation++;
    for (const disposable of this.disposables) disposable.dispose();
    this.problems.clear();
  }

  private enabled(): boolean {
    return this.services.settings().diagnosticsEnabled;
  }

  runFullPass(): Promise<void> {
    const generation = ++this.generation;
    this.lastPass = this.fullPass(generation).catch((error: unknown) =>
      this.services.log.error(`Checking the workspace failed: ${describeError(error)}`),
    );
    return this.lastPass;
  }

  private async fullPass(generation: number): Promise<void> {
    await this.services.ready();
    const catalog = this.services.catalog;
    if (generation !== this.generation) return;
    if (!this.enabled() || !catalog) {
      await this.services.flows.ready();
      if (generation !== this.generation) return;
      this.clear();
      if (this.enabled()) this.showConfigError();
      return;
    }
    const started = performance.now();
    // Flows are checked as the index answers them, while the worker parses the rest.
    let indexed = false;
    const flowsReady = this.services.flows.ready().then(() => (indexed = true));
    // An entry is replaced, never changed, when its flow is analysed again: the entries checked are those to skip.
    const checked = new WeakSet<IndexedFlow>();
    let checkedCount = 0;
    // One listing per namespace for the whole pass: merging a namespace's levels is not free, and 2,000 flows share 20.
    const listings = new Map<string, Promise<VisibleSecrets>>();
    const visible = (namespace: string): Promise<VisibleSecrets> => {
      const known = listings.get(namespace) ?? catalog.visible(namespace);
      listings.set(namespace, known);
      return known;
    };
    // Likewise the listing with the sub-keys flows read: most flows of a namespace ask for the same keys.
    const withSubkeys = new Map<string, Promise<VisibleSecrets>>();
    const listingWithSubkeys = (namespace: string, keys: Set<string> | undefined): Promise<VisibleSecrets> => {
      const id = JSON.stringify([namespace, ...[...(keys ?? [])].sort()]);
      const known = withSubkeys.get(id) ?? visible(namespace).then((listing) => catalog.withSubkeys(listing, keys ?? []));
      withSubkeys.set(id, known);
      return known;
    };
    const slice = new TimeSlice(SLICE_MS);
    for (;;) {
      const wasIndexed = indexed;
      const flows = this.services.flows.all().filter((flow) => !checked.has(flow));
      for (const flow of flows) {
        const problems = await this.checkAnalysis(flow.uri, flow.analysis, catalog, listingWithSubkeys);
        if (generation !== this.generation) return;
        this.show(flow.uri, problems);
        checked.add(flow);
        checkedCount++;
        await slice.yieldIfDue();
      }
      if (wasIndexed) break;
      if (flows.length === 0) await Promise.race([flowsReady, delay(INDEX_POLL_MS)]);
    }
    for (const key of [...this.problems.keys()]) {
      if (!this.services.flows.get(vscode.Uri.parse(key)) && !this.definitionUris.has(key)) this.forget(vscode.Uri.parse(key));
    }
    await this.showDefinitionProblems(catalog, generation);
    this.services.log.debug(`Checked ${checkedCount} flows in ${Math.round(performance.now() - started)} ms`);
  }

  private async checkFiles(uris: vscode.Uri[]): Promise<void> {
    try {
      await this.services.ready();
      const catalog = this.services.catalog;
      if (!this.enabled() || !catalog) return;
      for (const uri of uris) {
        const flow = this.services.flows.get(uri);
        if (!flow) {
          if (!this.definitionUris.has(uri.toString())) this.forget(uri);
          continue;
        }
        this.show(uri, await this.checkAnalysis(uri, flow.analysis, catalog));
      }
    } catch (error) {
      this.services.log.error(`Checking changed flows failed: ${describeError(error)}`);
    }
  }

  private async checkAnalysis(
    uri: vscode.Uri,
    analysis: FlowAnalysis,
    catalog: SecretCatalog,
    listingFor = async (namespace: string, keys: Set<string> | undefined) =>
      catalog.withSubkeys(await catalog.visible(namespace), keys ?? []),
  ): Promise<Problem[]> {
    const listings = new Map<string, VisibleSecrets>();
    const subkeyed = keysWithSubkeys([analysis]);
    await Promise.all(
      referencedNamespaces(analysis).map(async (namespace) => {
        listings.set(namespace, await listingFor(namespace, subkeyed.get(namespace)));
      }),
    );
    // A failed listing is incomplete, not empty: what it lacks is unverified (information), and its cause is told once.
    const lookup: VisibleLookup = (namespace) => {
      const visible = listings.get(namespace);
      if (visible?.error) this.logOnce(visible.error);
      if (visible?.incomplete) this.tellOnce(visible.incomplete);
      return visible;
    };
    const file = workspaceRelativePath(uri);
    const problems = await checkFlowInSlices(file, analysis, lookup, yieldToEventLoop);
    return problems.filter((problem) => problem.code !== 'yaml-error' || !yamlExtensionReports(uri));
  }

  /**
   * A cause with a line of its own (the Compose env_file entry) is a warning there, among the store's
   * definition problems; any other (a store that failed, no source at all) is told once, not per reference.
   */
  private tellOnce(causes: IncompleteCause[]): void {
    for (const cause of causes) {
      if (cause.reported || cause.location || this.toldCauses.has(cause.id)) continue;
      this.toldCauses.add(cause.id);
      const message = describeIncompleteCause(cause);
      this.services.log.warn(message);
      const showLog = vscode.l10n.t('Show Log');
      void vscode.window.showWarningMessage(vscode.l10n.t('Kestra Secrets: {0}', message), showLog).then(
        (answer) => {
          if (answer === showLog) this.services.log.show(true);
        },
        () => undefined,
      );
    }
  }

  private async showDefinitionProblems(catalog: SecretCatalog, generation: number): Promise<void> {
    const problems = await catalog.definitionProblems();
    if (generation !== this.generation) return;
    const byUri = new Map<string, { uri: vscode.Uri; problems: Problem[] }>();
    for (const problem of problems) {
      const uri = problemUri(problem.file);
      if (!uri) continue;
      const group = byUri.get(uri.toString()) ?? { uri, problems: [] };
      group.problems.push(problem);
      byUri.set(uri.toString(), group);
    }
    for (const key of this.definitionUris) {
      if (!byUri.has(key)) this.forget(vscode.Uri.parse(key));
    }
    this.definitionUris = new Set(byUri.keys());
    for (const group of byUri.values()) this.show(group.uri, group.problems);
  }

  private show(uri: vscode.Uri, problems: Problem[]): void {
    if (problems.length === 0) {
      this.forget(uri);
      return;
    }
    this.problems.set(uri.toString(), problems);
    this.collection.set(uri, problems.map(toDiagnostic));
  }

  private forget(uri: vscode.Uri): void {
    // Each delete is a message to the workbench: a file with nothing shown needs none (2,000 clean flows, 2,000 messages).
    if (!this.problems.delete(uri.toString()) && !this.collection.has(uri)) return;
    this.collection.delete(uri);
  }

  /** An invalid configuration file gets its error where it is, like any other problem. */
  private showConfigError(): void {
    const location = this.services.configErrorLocation;
    const message = this.services.configError;
    if (!location || !message) return;
    const uri = vscode.Uri.file(location.file);
    const line = Math.max(0, location.line - 1);
    const column = Math.max(0, location.column - 1);
    const diagnostic = new vscode.Diagnostic(
      new vscode.Range(line, column, line, Number.MAX_SAFE_INTEGER),
      message,
      vscode.DiagnosticSeverity.Error,
    );
    diagnostic.code = 'config-error';
    diagnostic.source = DIAGNOSTIC_SOURCE;
    this.collection.set(uri, [diagnostic]);
  }

  private clear(): void {
    this.problems.clear();
    this.definitionUris.clear();
    this.collection.clear();
  }

  private logOnce(message: string): void {
    if (this.loggedErrors.has(message)) return;
    this.loggedErrors.add(message);
    this.services.log.warn(`${message} (references to it are not checked)`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The YAML extension already reports syntax errors in open documents: don't say it twice. */
function yamlExtensionReports(uri: vscode.Uri): boolean {
  if (!vscode.extensions.getExtension(YAML_EXTENSION_ID)) return false;
  return vscode.workspace.textDocuments.some((document) => document.uri.toString() === uri.toString());
}
