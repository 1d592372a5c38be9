/**
 * The settings table against package.json's `contributes.configuration` (every key, its default, what
 * trust restricts) and what the extension makes of the values: empty means absent, a change asks for
 * a store rebuild or a re-check, and only the settings module reads the configuration.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorSettings, effectsOf, SECTION, SETTINGS, type SettingName } from '../../../../src/extension/logic/settingDefinitions';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface Manifest {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const defaults = (name: SettingName): unknown => SETTINGS[name].default;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

describe('settings: the table against package.json', () => {
  const declared = manifest.contributes.configuration.properties;

  it('has every setting package.json declares, with the same default, and no other', () => {
    const names = Object.keys(declared).map((key) => {
      assert.ok(key.startsWith(`${SECTION}.`), key);
      return key.slice(SECTION.length + 1);
    });
    assert.deepEqual(new Set(names), new Set(Object.keys(SETTINGS)));
    for (const name of names) {
      assert.ok('default' in declared[`${SECTION}.${name}`], `${name} has no default in package.json`);
      assert.deepEqual(SETTINGS[name as SettingName].default, declared[`${SECTION}.${name}`].default, name);
    }
  });

  it('restricts in untrusted workspaces exactly the settings package.json lists as restricted', () => {
    const restricted = Object.entries(SETTINGS)
      .filter(([, definition]) => definition.untrusted !== 'any')
      .map(([name]) => `${SECTION}.${name}`);
    assert.deepEqual(new Set(restricted), new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations));
  });

  it('is the only reader of the configuration in src/', () => {
    const readers = sourceFiles(path.join(ROOT, 'src'))
      .filter((file) => /getConfiguration\(SECTION\)(?!\s*\.update\()/.test(fs.readFileSync(file, 'utf8').replace(/\n\s*/g, '')))
      .map((file) => path.relative(ROOT, file));
    assert.deepEqual(readers, ['src/extension/settings.ts']);
  });
});

describe('settings: values and changes', () => {
  it('reads the defaults as no configuration file, no inline store, env files by discovery, checks on, a 60 s cache', () => {
    assert.deepEqual(editorSettings(defaults), {
      configFile: undefined,
      secret: undefined,
      namespaces: undefined,
      server: undefined,
      envFiles: [],
      diagnosticsEnabled: true,
      readValuesForSubkeys: false,
      cacheTtlMs: 60_000,
    });
  });

  it('takes blank values as absent and a cache lifetime that is not a number as the default', () => {
    const values: Partial<Record<SettingName, unknown>> = {
      configFile: '  ',
      server: { url: 'http://localhost:8080' },
      envFiles: ['a.env_encoded', ' ', 3],
      'cache.ttlSeconds': 'soon',
    };
    const settings = editorSettings((name) => (name in values ? values[name] : defaults(name)));
    assert.equal(settings.configFile, undefined);
    assert.deepEqual(settings.server, { url: 'http://localhost:8080' });
    assert.deepEqual(settings.envFiles, ['a.env_encoded']);
    assert.equal(settings.cacheTtlMs, 60_000);
    assert.equal(editorSettings((name) => (name === 'cache.ttlSeconds' ? -5 : defaults(name))).cacheTtlMs, 0);
  });

  it('asks for a store rebuild when a store setting changes and a re-check when diagnostics are switched', () => {
    const changing = (...sections: string[]) => effectsOf((section) => sections.includes(section));
    assert.deepEqual(changing('kestraSecrets.secret'), new Set(['rebuild-store']));
    assert.deepEqual(changing('kestraSecrets.cache.ttlSeconds', 'kestraSecrets.readValuesForSubkeys'), new Set(['rebuild-store']));
    assert.deepEqual(changing('kestraSecrets.diagnostics.enabled'), new Set(['recheck-flows']));
    assert.deepEqual(changing('editor.fontSize'), new Set());
  });
});
