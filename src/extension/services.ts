/**
 * What every editor feature shares: the log, the secret catalog built from the configuration,
 * the index of workspace flows, and one change event. Features (tree, completion, hover,
 * diagnostics, commands) receive `Services` and never build any of these themselves.
 *
 * Configuration resolution (first match wins): the `kestraSecrets.configFile` setting (relative to
 * the first workspace folder), the nearest `kestra-secrets.yml` from a workspace folder up to its
 * repository root (trusted workspaces only; core/setup.ts, as the CLI finds it), the inline settings
 * `kestraSecrets.secret`/`namespaces`/`server`, else Kestra's env secrets.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendContext } from '../core/store';
import { backendFactory, type EnvSources } from '../backends/index';
import { SecretCatalog } from '../core/catalog';
import { ConfigError, configFromSettings, defaultConfig, loadConfigFile } from '../core/config';
import type { KestraSecretsConfig } from '../core/configTypes';
import { CONFIG_FILE_NAME, findConfigFile, isInside, NAMES_ONLY_SUFFIXES, tenantFor } from '../core/setup';
import { analysisWorkerCount, FlowAnalyzer } from './flowAnalyzer';
import { ANALYSIS_WORKER_FILE, type EarlyWorker } from './earlyWorker';
import { WorkspaceFlowIndex, type FlowIndex } from './flowIndex';
import { coreLogger, describeError, runInBackground } from './log';
import { FALLBACK_ENV_FILES, SECTION, type EditorSettings } from './logic/settingDefinitions';
import { kestraExtensionServer, Settings, type SettingsChange } from './settings';
import { withWindowProgress } from './shared/progress';

export interface Services {
  readonly log: vscode.LogOutputChannel;
  /** Undefined while the configuration is invalid (then `configError` is set). */
  readonly catalog: SecretCatalog | undefined;
  readonly configError: string | undefined;
  /** Where the configuration error is, when it is in a file. */
  readonly configErrorLocation: ConfigErrorLocation | undefined;
  /** Where the configuration came from: 'kestra-secrets.yml', 'settings', 'default (env secrets)'. */
  readonly configSource: string;
  /** Workspace flows: namespaces(), flowsIn(ns), get(uri). */
  readonly flows: FlowIndex;
  /** Configuration reloaded, catalog refreshed or flows changed. */
  readonly onDidChange: vscode.Event<void>;
  readonly secretStorage: vscode.SecretStorage;
  /** Invalidate catalog caches, rescan, fire onDidChange. */
  refresh(): Promise<void>;
  /** Re-read configuration and credentials, rebuild the catalog, fire onDidChange. */
  reload(): Promise<void>;
  workspaceTrusted(): boolean;
  /** Resolves once the first configuration load has finished (successfully or not). */
  ready(): Promise<void>;
  /** Fired when the catalog was rebuilt or refreshed (not for flow edits). */
  readonly onDidChangeCatalog: vscode.Event<void>;
  /** The encoded env files the env backend reads (absolute paths); [] when no env backend is configured. */
  envSourceFiles(): string[];
  /** The current settings (trust-aware). */
  settings(): EditorSettings;
  /** Fired after the settings changed, with what the change asks for. */
  readonly onDidChangeSettings: vscode.Event<SettingsChange>;
}

/**
 * Command argument contracts between the editor features (quick fixes, hover links) and the
 * commands implemented in features/commands.ts and shared/envFileEdits.ts (ids in contributions.ts):
 *
 * - `kestraSecrets.createSecret` with `CreateSecretArgs` (or a tree item, or nothing: then it asks).
 * - `kestraSecrets.addToEnvFile` with `AddToEnvFileArgs`: append `KEY=` (value asked from the user)
 *   to the plain `.env` file and re-encode it into the `.env_encoded` beside it.
 *
 * Credentials: `kestraSecrets.setCredentials` stores JSON (a flat string record, e.g.
 * `{"token":"…"}` or `{"username":"…","password":"…"}`) in SecretStorage under
 * `credentialsStorageKey(backendType)`; services reads it into `BackendContext.credentials`.
 */
export interface CreateSecretArgs {
  namespace: string;
  key: string;
}

export interface AddToEnvFileArgs {
  key: string;
  /** Absolute path of the plain `.env` file (the encoded file is written beside it). */
  envFile: string;
  /** Absolute path of the `.env_encoded` file to write, when known. */
  encodedFile?: string;
}

export function credentialsStorageKey(backendType: string): string {
  return `kestraSecrets.credentials.${backendType}`;
}

export { CONFIG_FILE_NAME };
const COMPOSE_GLOB = '**/{docker-compose,compose}*.{yml,yaml}';
const RELOAD_DEBOUNCE_MS = 250;
const SERVER_OFFER_STATE = 'kestraSecrets.kestraServerOffer';

const DEFAULT_SOURCE = 'default (env secrets)';

interface LocatedConfig {
  /** 'untrusted': a workspace configuration file that is ignored until the workspace is trusted. */
  kind: 'file' | 'settings' | 'default' | 'untrusted';
  /** For messages: the workspace-relative file, 'settings' or 'default (env secrets)'. */
  source: string;
  /** The configuration file (absolute), when there is one. */
  file?: string;
}

/** Where a configuration error is (1-based line/column), when it is in a file. */
export interface ConfigErrorLocation {
  file: string;
  line: number;
  column: number;
}

function errorLocation(error: unknown, file: string | undefined): ConfigErrorLocation | undefined {
  if (error instanceof ConfigError && error.location) return error.location;
  return file ? { file, line: 1, column: 1 } : undefined;
}

export class ExtensionServices implements Services, vscode.Disposable {
  catalog: SecretCatalog | undefined;
  configError: string | undefined;
  configSource = DEFAULT_SOURCE;
  /** Where the configuration error is, when it is in a file (for a diagnostic there). */
  configErrorLocation: ConfigErrorLocation | undefined;
  private reportedConfigError: string | undefined;
  readonly flows: WorkspaceFlowIndex;
  /** The analysis workers: the flow index's parsing and the env store's Compose search. */
  private readonly analyzer: FlowAnalyzer;
  readonly secretStorage: vscode.SecretStorage;

  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly catalogEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.catalogEmitter];
  /** Watchers that depend on the current configuration, replaced on every reload. */
  private configWatchers: vscode.Disposable[] = [];
  private envSources: string[] = [];
  private readonly editorSettings: Settings;
  private reloadQueue: Promise<void> = Promise.resolve();
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly firstLoad: Promise<void>;
  private firstLoadDone: () => void = () => undefined;
  private offeredServer = false;
  private usesEnv = false;
  private disposed = false;

  readonly onDidChange = this.changeEmitter.event;
  /** Fired when the catalog was rebuilt or refreshed (not for flow edits). */
  readonly onDidChangeCatalog = this.catalogEmitter.event;

  /** `earlyWorker`: the first analysis worker, started before this code was loaded (bootstrap.ts). */
  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    earlyWorker?: EarlyWorker,
  ) {
    this.secretStorage = context.secrets;
    this.firstLoad = new Promise((resolve) => (this.firstLoadDone = resolve));
    this.editorSettings = new Settings(() => this.workspaceTrusted());
    const workerFile = path.join(__dirname, ANALYSIS_WORKER_FILE);
    this.analyzer = new FlowAnalyzer(workerFile, log, analysisWorkerCount(os.availableParallelism()), earlyWorker);
    this.flows = new WorkspaceFlowIndex(log, this.analyzer);
    this.disposables.push(
      this.editorSettings,
      this.flows,
      this.analyzer,
      this.flows.onDidChange(() => this.changeEmitter.fire()),
    );
  }

  /** Starts loading configuration and scanning flows in the background; returns at once. */
  start(): void {
    // The workers load their code while the configuration loads and the workspace is listed.
    this.analyzer.warmUp();
    this.disposables.push(
      this.editorSettings.onDidChange((change) => {
        // The effects only: a setting's value (a server URL, a path) stays out of the log.
        this.log.debug(`Settings changed: ${[...change.effects].join(', ')}`);
        if (change.effects.has('rebuild-store')) this.scheduleReload();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleReload()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.scheduleReload();
        runInBackground(this.log, 'Indexing the workspace flows', () => this.flows.rescan());
      }),
      this.secretStorage.onDidChange((event) => {
        if (event.key.startsWith(`${SECTION}.credentials.`)) this.scheduleReload();
      }),
    );
    void this.reload()
      .catch((error: unknown) => this.log.error(`Loading the configuration failed: ${describeError(error)}`))
      .finally(this.firstLoadDone);
    runInBackground(this.log, 'Indexing the workspace flows', async () => {
      await withWindowProgress(vscode.l10n.t('Kestra Secrets: indexing flows'), () => this.flows.start());
    });
  }

  /** Resolves once the first configuration load has finished (successfully or not). */
  ready(): Promise<void> {
    return this.firstLoad;
  }

  settings(): EditorSettings {
    return this.editorSettings.current;
  }

  get onDidChangeSettings(): vscode.Event<SettingsChange> {
    return this.editorSettings.onDidChange;
  }

  /** The encoded env files the env backend reads (absolute paths), for watchers and quick fixes. */
  envSourceFiles(): string[] {
    return this.envSources;
  }

  workspaceTrusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  async refresh(): Promise<void> {
    await this.reloadQueue;
    // The env backend keeps the files it parsed: re-reading them means rebuilding it.
    if (this.usesEnv || !this.catalog) {
      await this.reload();
    } else {
      this.catalog.refresh();
    }
    await this.flows.rescan();
  }

  reload(): Promise<void> {
    this.reloadQueue = this.reloadQueue
      .catch(() => undefined)
      .then(async () => {
        await withWindowProgress(vscode.l10n.t('Kestra Secrets: loading configuration'), () => this.rebuild());
      });
    return this.reloadQueue;
  }

  dispose(): void {
    this.disposed = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.disposeConfigWatchers();
    this.catalog?.dispose();
    this.catalog = undefined;
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** After a rebuild, a refresh or a write through the catalog. */
  private catalogChanged(): void {
    if (this.disposed) return;
    this.catalogEmitter.fire();
    this.changeEmitter.fire();
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      runInBackground(this.log, 'Reloading the configuration', () => this.reload());
    }, RELOAD_DEBOUNCE_MS);
  }

  private async rebuild(): Promise<void> {
    if (this.disposed) return;
    const trusted = this.workspaceTrusted();
    const previous = this.catalog;
    const located = this.locateConfiguration(this.settings(), trusted);
    try {
      const config = await this.loadConfiguration(located);
      const { context: backendContext, envSources } = await this.backendContext(config);
      const credentialsByType = await this.credentialsByType(config);
      const createBackend = backendFactory({ envSources });
      const catalog = new SecretCatalog(config, backendContext, {
        editorDefaultTtlMs: this.settings().cacheTtlMs,
        // Each store gets the credentials stored for its own type (dedicated namespaces may use another store).
        factory: (backendConfig, context) =>
          createBackend(backendConfig, { ...context, credentials: credentialsByType.get(backendConfig.type) }),
      });
      catalog.onDidChange(() => this.catalogChanged());
      this.catalog = catalog;
      this.configSource = located.source;
      this.configError = undefined;
      this.configErrorLocation = undefined;
      this.usesEnv = usesEnvBackend(config);
      this.watchConfiguration(config, located.file);
      this.log.info(`Configuration from ${located.source}: ${describeBackends(config)}`);
      if (!trusted) this.log.info('Workspace not trusted: workspace configuration files and settings are ignored.');
    } catch (error) {
      this.catalog = undefined;
      this.configSource = located.source;
      this.configError = describeError(error);
      this.configErrorLocation = located.kind === 'untrusted' ? undefined : errorLocation(error, located.file);
      this.log.error(`Configuration error (${located.source}): ${this.configError}`);
      this.watchConfiguration(defaultConfig(), located.file);
      if (located.kind !== 'untrusted') this.reportConfigError(located);
    } finally {
      previous?.dispose();
    }
    this.catalogChanged();
    if (!this.configError) this.offerKestraExtensionServer();
  }

  /** Which configuration applies, without reading it. */
  private locateConfiguration(settings: EditorSettings, trusted: boolean): LocatedConfig {
    const configured = this.configFilePath();
    const discovered = configured ? undefined : this.discoverConfigFile();
    if (discovered && !trusted) return { kind: 'untrusted', file: discovered, source: this.displayPath(discovered) };
    // A user-level configFile that lands inside an untrusted workspace (a relative path does) names a file the workspace wrote.
    if (configured && !trusted && this.insideWorkspace(configured))
      return { kind: 'untrusted', file: configured, source: this.displayPath(configured) };
    const file = configured ?? discovered;
    if (file) return { kind: 'file', file, source: this.displayPath(file) };
    if (settings.secret !== undefined || settings.namespaces !== undefined || settings.server !== undefined) {
      return { kind: 'settings', source: 'settings' };
    }
    return { kind: 'default', source: DEFAULT_SOURCE };
  }

  private async loadConfiguration(located: LocatedConfig): Promise<KestraSecretsConfig> {
    const env = process.env;
    switch (located.kind) {
      case 'file':
        return loadConfigFile(located.file as string, env);
      case 'settings': {
        const { secret, namespaces, server } = this.settings();
        return configFromSettings({ secret, namespaces, server }, { source: 'settings', env });
      }
      case 'untrusted':
        throw new Error(
          vscode.l10n.t(
            '{0} is not used until you trust this workspace (it could send your credentials to another server).',
            located.source,
          ),
        );
      default:
        return defaultConfig();
    }
  }

  /** One notification per distinct configuration error, with a way to the place to fix it. */
  private reportConfigError(located: LocatedConfig): void {
    const message = this.configError;
    if (!message || message === this.reportedConfigError) return;
    this.reportedConfigError = message;
    const open = located.kind === 'file' ? vscode.l10n.t('Open Configuration') : vscode.l10n.t('Open Settings');
    const showLog = vscode.l10n.t('Show Log');
    runInBackground(this.log, 'Reporting the configuration error', async () => {
      const answer = await vscode.window.showErrorMessage(
        vscode.l10n.t('Kestra Secrets: invalid configuration: {0}', message),
        open,
        showLog,
      );
      if (answer === showLog) this.log.show(true);
      if (answer !== open) return;
      if (located.file) {
        const line = Math.max(0, (this.configErrorLocation?.line ?? 1) - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(located.file), { selection: new vscode.Range(line, 0, line, 0) });
      } else {
        await vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
      }
    });
  }

  private configFilePath(): string | undefined {
    const configured = this.settings().configFile;
    if (!configured) return undefined;
    const expanded = configured.startsWith('~/') ? path.join(os.homedir(), configured.slice(2)) : configured;
    if (path.isAbsolute(expanded)) return expanded;
    const root = this.workspaceRoots()[0];
    return root ? path.join(root, expanded) : undefined;
  }

  private insideWorkspace(file: string): boolean {
    return this.workspaceRoots().some((root) => isInside(file, root));
  }

  private discoverConfigFile(): string | undefined {
    for (const root of this.workspaceRoots()) {
      const found = findConfigFile([root], root);
      if (found) return found;
    }
    return undefined;
  }

  private async backendContext(config: KestraSecretsConfig): Promise<{ context: BackendContext; envSources: EnvSources }> {
    const context: BackendContext = {
      log: coreLogger(this.log),
      tenant: tenantFor(config),
      credentials: await this.storedCredentials(config.secret.type),
      readValuesForSubkeys: this.settings().readValuesForSubkeys,
      env: process.env,
    };
    const base: EnvSources = { workspaceRoots: this.workspaceRoots(), envFiles: [], includeProcessEnv: false };
    if (!usesEnvBackend(config)) {
      this.envSources = [];
      return { context, envSources: base };
    }
    // Read and parsed by a worker: Compose files from each folder up to the repository root (logic/envSources.ts).
    const configured = await this.findEnvFiles(this.settings().envFiles);
    const { envSources, watched } = await this.analyzer.resolveEnvSources({
      roots: this.workspaceRoots(),
      configuredEnvFiles: configured,
      trusted: this.workspaceTrusted(),
    });
    this.envSources = watched;
    return { context, envSources };
  }

  private async credentialsByType(config: KestraSecretsConfig): Promise<Map<string, Record<string, string> | undefined>> {
    const types = new Set([config.secret.type, ...Object.values(config.namespaces).map((entry) => entry.type)]);
    const entries = await Promise.all([...types].map(async (type) => [type, await this.storedCredentials(type)] as const));
    return new Map(entries);
  }

  private async storedCredentials(backendType: string): Promise<Record<string, string> | undefined> {
    if (backendType === 'env') return undefined;
    const stored = await this.secretStorage.get(credentialsStorageKey(backendType));
    if (!stored) return undefined;
    try {
      const parsed: unknown = JSON.parse(stored);
      if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
      return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    } catch {
      this.log.warn(`Stored credentials for ${backendType} are unreadable; set them again with "Kestra Secrets: Set Credentials".`);
      return undefined;
    }
  }

  private async findEnvFiles(globs: string[]): Promise<string[]> {
    const found = await Promise.all(
      globs.map((glob) =>
        vscode.workspace.findFiles(glob, '**/{node_modules,.git}/**').then(
          (uris) => uris,
          () => [],
        ),
      ),
    );
    return [
      ...new Set(
        found
          .flat()
          .filter((uri) => uri.scheme === 'file')
          .map((uri) => uri.fsPath),
      ),
    ].sort();
  }

  private watchConfiguration(config: KestraSecretsConfig, file: string | undefined): void {
    this.disposeConfigWatchers();
    const reload = () => this.scheduleReload();
    const patterns: vscode.GlobPattern[] = [`**/${CONFIG_FILE_NAME}`];
    if (file) patterns.push(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    if (usesEnvBackend(config)) {
      patterns.push(COMPOSE_GLOB, ...(this.settings().envFiles.length > 0 ? this.settings().envFiles : FALLBACK_ENV_FILES));
      for (const source of this.envSources) {
        patterns.push(new vscode.RelativePattern(vscode.Uri.file(path.dirname(source)), path.basename(source)));
        // A names-only stand-in appearing or going away changes what is known.
        const suffixes = NAMES_ONLY_SUFFIXES.flatMap((suffix) => [suffix, `_${suffix.slice(1)}`]);
        patterns.push(new vscode.RelativePattern(vscode.Uri.file(path.dirname(source)), `${path.basename(source)}{${suffixes.join(',')}}`));
      }
    }
    for (const pattern of patterns) {
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      this.configWatchers.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload));
    }
  }

  private disposeConfigWatchers(): void {
    for (const disposable of this.configWatchers) disposable.dispose();
    this.configWatchers = [];
  }

  /** When only the official Kestra extension knows a server, offer once to list secrets from it. */
  private offerKestraExtensionServer(): void {
    if (this.offeredServer || this.configSource !== DEFAULT_SOURCE) return;
    const server = kestraExtensionServer(this.workspaceTrusted());
    if (!server || this.context.globalState.get(SERVER_OFFER_STATE) !== undefined) return;
    this.offeredServer = true;
    const use = vscode.l10n.t('Use This Server');
    const never = vscode.l10n.t("Don't Ask Again");
    const message = vscode.l10n.t(
      'The Kestra extension is set up for the server {0}. List the secrets your flows can use from it?',
      server.url,
    );
    runInBackground(this.log, 'Offering the Kestra server', async () => {
      const answer = await vscode.window.showInformationMessage(message, use, never);
      if (answer === use) {
        await vscode.workspace
          .getConfiguration(SECTION)
          .update('server', { url: server.url, tenant: server.tenant ?? 'main' }, vscode.ConfigurationTarget.Global);
      }
      if (answer) await this.context.globalState.update(SERVER_OFFER_STATE, answer === use ? 'accepted' : 'declined');
    });
  }

  private workspaceRoots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath);
  }

  private displayPath(file: string): string {
    return vscode.workspace.asRelativePath(file, false);
  }
}

function usesEnvBackend(config: KestraSecretsConfig): boolean {
  return config.secret.type === 'env' || Object.values(config.namespaces).some((entry) => entry.type === 'env');
}

function describeBackends(config: KestraSecretsConfig): string {
  const dedicated = Object.keys(config.namespaces);
  const suffix = dedicated.length > 0 ? ` (+ dedicated for ${dedicated.join(', ')})` : '';
  return `${config.secret.type}${config.secret.readOnly ? ', read-only' : ''}${suffix}`;
}
