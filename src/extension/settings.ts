/**
 * The extension's settings as one object: read once per change, with Workspace Trust in mind (see
 * `SETTINGS` in logic/settingDefinitions.ts for what trust limits), and a change event that says what
 * the change asks for (a store rebuild, a re-check of the flows). Features read `current`, never the
 * configuration itself, so every reader sees the same values.
 */
import * as vscode from 'vscode';
import {
  editorSettings,
  effectsOf,
  nonEmptyString,
  SECTION,
  SETTINGS,
  type EditorSettings,
  type SettingEffect,
  type SettingName,
} from './logic/settingDefinitions';

export interface SettingsChange {
  readonly effects: ReadonlySet<SettingEffect>;
}

export class Settings implements vscode.Disposable {
  private snapshot: EditorSettings;
  private readonly changeEmitter = new vscode.EventEmitter<SettingsChange>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  /** Fired after `current` took the new values, when a change asks for something. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly trusted: () => boolean) {
    this.snapshot = this.read();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => this.changed(event)),
      // Trust lifts the restrictions: the workspace's values apply from now on.
      vscode.workspace.onDidGrantWorkspaceTrust(() => (this.snapshot = this.read())),
    );
  }

  get current(): EditorSettings {
    return this.snapshot;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private changed(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) return;
    this.snapshot = this.read();
    const effects = effectsOf((section) => event.affectsConfiguration(section));
    if (effects.size > 0) this.changeEmitter.fire({ effects });
  }

  private read(): EditorSettings {
    const config = vscode.workspace.getConfiguration(SECTION);
    const trusted = this.trusted();
    return editorSettings((name: SettingName) => {
      const definition = SETTINGS[name];
      if (trusted || definition.untrusted === 'any') return config.get(name, definition.default);
      if (definition.untrusted === 'off') return definition.default;
      return userValue(config, name);
    });
  }
}

/** The official Kestra extension's server settings (`kestra.api.url`, `kestra.api.tenant`), if set. */
export function kestraExtensionServer(trusted: boolean): { url: string; tenant: string | undefined } | undefined {
  const config = vscode.workspace.getConfiguration('kestra.api');
  const url = nonEmptyString(trusted ? config.get<string>('url') : userValue<string>(config, 'url'));
  if (!url) return undefined;
  const tenant = nonEmptyString(trusted ? config.get<string>('tenant') : userValue<string>(config, 'tenant'));
  return { url, tenant };
}

function userValue<T>(config: vscode.WorkspaceConfiguration, name: string): T | undefined {
  const inspected = config.inspect<T>(name);
  return inspected?.globalValue ?? inspected?.defaultValue;
}
