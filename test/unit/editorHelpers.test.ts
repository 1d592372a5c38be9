/**
 * The pure parts of the editor commands and the Secrets view: references the core Pebble scanner
 * reads back, `.env` lines Docker Compose's rules read back, file naming, key validation, context values
 * and descriptions. These modules import 'vscode' for their commands; the functions tested here only
 * use `vscode.l10n.t`, so a stand-in for that one function is installed before loading them.
 */
import { strict as assert } from 'node:assert';
import Module from 'node:module';
import fc from 'fast-check';
import { encodeDotenv, parseDotenv } from '../../src/core/dotenv';
import { scanPebble } from '../../src/core/pebble';

type EnvCommands = typeof import('../../src/extension/features/envCommands');
type References = typeof import('../../src/extension/features/references');
type Commands = typeof import('../../src/extension/features/commands');
type SecretsTree = typeof import('../../src/extension/features/secretsTree');

const l10n = {
  t: (message: string, ...args: unknown[]) => message.replace(/\{(\d+)\}/g, (_, index: string) => String(args[Number(index)])),
};

let env: EnvCommands;
let references: References;
let commands: Commands;
let tree: SecretsTree;

describe('editor helpers (commands and Secrets view)', () => {
  const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = moduleInternals._load;

  before(() => {
    moduleInternals._load = function (this: unknown, request: string, ...rest: unknown[]) {
      return request === 'vscode' ? { l10n } : originalLoad.call(this, request, ...rest);
    };
    // require, not import(): the stand-in is installed in the CommonJS loader mocha runs under (tsx/cjs).
    env = require('../../src/extension/features/envCommands') as EnvCommands;
    references = require('../../src/extension/features/references') as References;
    commands = require('../../src/extension/features/commands') as Commands;
    tree = require('../../src/extension/features/secretsTree') as SecretsTree;
  });

  after(() => {
    moduleInternals._load = originalLoad;
  });

  describe('references', () => {
    it('writes references the Pebble scanner reads back, for any key and field', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 1, maxLength: 20 }),
          fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
          (key, subkey) => {
            fc.pre(!/[\\\n\r{}%#]/.test(key + (subkey ?? '')));
            const [call] = scanPebble(references.secretReference(key, subkey));
            assert.equal(call?.key?.value, key);
            assert.equal(call?.subkey?.value, subkey);
          },
        ),
      );
    });

    it('uses the plain single-quoted form when it can', () => {
      assert.equal(references.secretReference('DB_PASSWORD'), "{{ secret('DB_PASSWORD') }}");
      assert.equal(references.secretReference('DB', 'user'), "{{ secret('DB', subkey='user') }}");
      assert.equal(references.pebbleString("it's"), '"it\'s"');
    });

    it('inserts only the call inside an open {{', () => {
      assert.equal(references.insideExpression('message: "{{ '), true);
      assert.equal(references.insideExpression('message: "{{ a }} and '), false);
      assert.equal(references.insideExpression('message: '), false);
    });
  });

  describe('.env files', () => {
    it('appends a variable that Compose reads back as exactly the value, whatever it holds', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), fc.constantFrom('', 'A=1', 'A=1\n', '# comment\nB="x y"\n'), (value, before) => {
          const text = env.appendVariable(before, 'NEW_KEY', value);
          const entries = parseDotenv(text).entries.filter((entry) => entry.key === 'NEW_KEY');
          assert.equal(entries.length, 1);
          assert.equal(entries[0].value, value);
          const encoded = encodeDotenv(text).text;
          assert.ok(encoded.includes(`SECRET_NEW_KEY=${Buffer.from(value, 'utf8').toString('base64')}\n`));
        }),
      );
    });

    it('keeps the lines before the new one', () => {
      assert.equal(env.appendVariable('A=1', 'B', 'a #b'), "A=1\nB='a #b'\n");
    });

    it('names the encoded twin and tells plain from encoded files', () => {
      assert.equal(env.encodedFileFor('/w/.env'), '/w/.env_encoded');
      assert.equal(env.encodedFileFor('/w/prod.env'), '/w/prod.env_encoded');
      for (const file of ['/w/.env', '/w/.env.local', '/w/prod.env']) assert.ok(env.isPlainEnvFile(file), file);
      for (const file of ['/w/.env_encoded', '/w/flow.yml', '/w/.envrc']) assert.ok(!env.isPlainEnvFile(file), file);
      assert.ok(env.isEncodedEnvFile('/w/.env_encoded'));
      assert.ok(!env.isEncodedEnvFile('/w/.env'));
    });

    it('lists the variables a re-encoding would drop, by name only', () => {
      const current = 'SECRET_A=YQ==\nSECRET_BROKEN=!!\nSECRET_B=Yg==\n';
      const replacement = 'SECRET_A=YQ==\nSECRET_B=Yg==\nSECRET_C=Yw==\n';
      assert.deepEqual(env.droppedKeys(current, replacement), ['SECRET_BROKEN']);
      assert.deepEqual(env.droppedKeys('', replacement), []);
    });
  });

  describe('keys and tree items', () => {
    it('accepts keys a secret() literal can name and refuses others with a reason', () => {
      for (const key of ['DB_PASSWORD', 'db.password', 'app/api-key', '_x']) assert.equal(commands.keyProblem(key), undefined, key);
      for (const key of ['', 'two words', "it's", '-lead', 'x'.repeat(256)]) assert.ok(commands.keyProblem(key), key);
    });

    it('reads reference targets from tree nodes and plain arguments', () => {
      assert.deepEqual(commands.referenceTarget({ key: 'K' }, undefined), { key: 'K', subkey: undefined });
      assert.deepEqual(commands.referenceTarget({ key: 'K', subkey: 'f' }, undefined), { key: 'K', subkey: 'f' });
      assert.equal(commands.referenceTarget(undefined, undefined), undefined);
    });

    it('gives read-only secrets a context value no write menu matches', () => {
      const writeMenu = /^secret\b.*\bwritable\b/;
      assert.equal(tree.secretContextValue({ readOnly: true, canReveal: true }), 'secret.revealable');
      assert.equal(tree.secretContextValue({ readOnly: true, canReveal: false }), 'secret');
      assert.ok(!writeMenu.test(tree.secretContextValue({ readOnly: true, canReveal: true })));
      assert.ok(writeMenu.test(tree.secretContextValue({ readOnly: false, canReveal: false })));
    });

    it('describes a secret by origin, user tags or source, and marks stale listings', () => {
      const base = { key: 'K', inherited: false, shadows: [] };
      assert.equal(tree.secretDescription({ secret: { ...base, source: '.env_encoded:3' }, stale: false }), '.env_encoded:3');
      assert.equal(
        tree.secretDescription({
          secret: { ...base, inherited: true, fromNamespace: 'a', tags: { namespace: 'a', key: 'K', env: 'prod' } },
          stale: true,
        }),
        'inherited from a · env=prod · (stale)',
      );
      assert.deepEqual(tree.userTags({ namespace: 'a', key: 'K', prefix: 'kestra', tenant: 'main' }), undefined);
    });

    it('escapes Markdown in store-provided text', () => {
      assert.equal(tree.escapeMarkdown('*bold* [link](x)'), '\\*bold\\* \\[link\\]\\(x\\)');
    });
  });
});
