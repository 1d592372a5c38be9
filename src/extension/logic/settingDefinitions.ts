/**
 * The extension's settings (package.json `contributes.configuration`), one entry each: its default,
 * how Workspace Trust limits it, and what a change to it asks for. test/unit/extension/logic/
 * settingDefinitions.test.ts checks this table against package.json.
 */
export const SECTION = 'kestraSecrets';

/**
 * What a changed setting asks for: `rebuild-store` re-reads the configuration and credentials and
 * rebuilds the secret stores (which then re-checks every flow); `recheck-flows` re-checks every flow.
 * No setting needs a window reload.
 */
export type SettingEffect = 'rebuild-store' | 'recheck-flows';

/**
 * In an untrusted workspace: `user-value` ignores the workspace's value (the setting can point the
 * extension at an endpoint or a file; package.json lists it in `restrictedConfigurations`),
 * `off` ignores every value, even the user's (a workspace must not turn on value reads), `any`
 * takes the setting as it is.
 */
export type UntrustedUse = 'user-value' | 'off' | 'any';

interface SettingDefinition {
  readonly default: unknown;
  readonly untrusted: UntrustedUse;
  readonly effect: SettingEffect;
}

export const SETTINGS = {
  configFile: { default: '', untrusted: 'user-value', effect: 'rebuild-store' },
  secret: { default: {}, untrusted: 'user-value', effect: 'rebuild-store' },
  namespaces: { default: {}, untrusted: 'user-value', effect: 'rebuild-store' },
  server: { default: null, untrusted: 'user-value', effect: 'rebuild-store' },
  envFiles: { default: [], untrusted: 'user-value', effect: 'rebuild-store' },
  'diagnostics.enabled': { default: true, untrusted: 'any', effect: 'recheck-flows' },
  readValuesForSubkeys: { default: false, untrusted: 'off', effect: 'rebuild-store' },
  'cache.ttlSeconds': { default: 60, untrusted: 'any', effect: 'rebuild-store' },
} as const satisfies Record<string, SettingDefinition>;

export type SettingName = keyof typeof SETTINGS;

/** Read when `kestraSecrets.envFiles` is empty and the workspace has no Compose file to say which files Kestra reads. */
export const FALLBACK_ENV_FILES = ['**/.env_encoded', '**/.env_encoded.{example,sample,template,dist}'];

/** The settings as the extension uses them: empty values are absent, the cache lifetime in milliseconds. */
export interface EditorSettings {
  configFile: string | undefined;
  secret: unknown;
  namespaces: unknown;
  server: unknown;
  envFiles: string[];
  diagnosticsEnabled: boolean;
  readValuesForSubkeys: boolean;
  cacheTtlMs: number;
}

/** The settings from their raw values (`value(name)` applies Workspace Trust and the defaults). */
export function editorSettings(value: (name: SettingName) => unknown): EditorSettings {
  const ttlSeconds = value('cache.ttlSeconds');
  const defaultTtl = SETTINGS['cache.ttlSeconds'].default;
  return {
    configFile: nonEmptyString(value('configFile')),
    secret: nonEmptyObject(value('secret')),
    namespaces: nonEmptyObject(value('namespaces')),
    server: nonEmptyObject(value('server')),
    envFiles: stringArray(value('envFiles')) ?? [],
    diagnosticsEnabled: Boolean(value('diagnostics.enabled')),
    readValuesForSubkeys: Boolean(value('readValuesForSubkeys')),
    cacheTtlMs: Math.max(0, typeof ttlSeconds === 'number' && Number.isFinite(ttlSeconds) ? ttlSeconds : defaultTtl) * 1000,
  };
}

/** What a configuration change asks for, from the event's `affectsConfiguration`. */
export function effectsOf(affects: (section: string) => boolean): Set<SettingEffect> {
  const effects = new Set<SettingEffect>();
  for (const [name, definition] of Object.entries(SETTINGS)) {
    if (affects(`${SECTION}.${name}`)) effects.add(definition.effect);
  }
  return effects;
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function nonEmptyObject(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.keys(value).length > 0 ? value : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((item): item is string => typeof item === 'string' && item.trim() !== '');
}
