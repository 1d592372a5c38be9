/** `.env` lines Docker Compose's rules read back exactly, the encoded twin's name, and what a re-encoding would drop. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseDotenv } from '../../../../src/core/dotenv';
import { encodeDotenv } from '../../../../src/core/secretEnv';
import { encodedFileFor } from '../../../../src/core/setup';
import {
  appendVariable,
  droppedKeys,
  isEncodedEnvFile,
  isPlainEnvFile,
  plainEnvFileFor,
  plainEnvFilesBeside,
} from '../../../../src/extension/logic/envFiles';

describe('.env files in the editor', () => {
  it('appends a variable that Compose reads back as exactly the value, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.constantFrom('', 'A=1', 'A=1\n', '# comment\nB="x y"\n'), (value, before) => {
        const text = appendVariable(before, 'NEW_KEY', value);
        const entries = parseDotenv(text).entries.filter((entry) => entry.key === 'NEW_KEY');
        assert.equal(entries.length, 1);
        assert.equal(entries[0].value, value);
        const encoded = encodeDotenv(text).text;
        assert.ok(encoded.includes(`SECRET_NEW_KEY=${Buffer.from(value, 'utf8').toString('base64')}\n`));
      }),
    );
  });

  it('keeps the lines before the new one', () => {
    assert.equal(appendVariable('A=1', 'B', 'a #b'), "A=1\nB='a #b'\n");
  });

  it('names the encoded twin and tells plain from encoded files', () => {
    assert.equal(encodedFileFor('/w/.env'), '/w/.env_encoded');
    assert.equal(encodedFileFor('/w/prod.env'), '/w/prod.env_encoded');
    for (const file of ['/w/.env', '/w/.env.local', '/w/prod.env']) assert.ok(isPlainEnvFile(file), file);
    for (const file of ['/w/.env_encoded', '/w/flow.yml', '/w/.envrc']) assert.ok(!isPlainEnvFile(file), file);
    assert.ok(isEncodedEnvFile('/w/.env_encoded'));
    assert.ok(!isEncodedEnvFile('/w/.env'));
  });

  it('finds the plain .env beside an encoded file only when it exists, each once', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-envfiles-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'A=1\n');
      const encoded = path.join(dir, '.env_encoded');
      assert.equal(plainEnvFileFor(encoded), path.join(dir, '.env'));
      assert.equal(plainEnvFileFor(path.join(dir, 'prod.env_encoded')), undefined);
      assert.equal(plainEnvFileFor(path.join(dir, 'flow.yml')), undefined);
      assert.deepEqual(plainEnvFilesBeside([encoded, encoded, path.join(dir, 'prod.env_encoded')]), [path.join(dir, '.env')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the variables a re-encoding would drop, by name only', () => {
    const current = 'SECRET_A=YQ==\nSECRET_BROKEN=!!\nSECRET_B=Yg==\n';
    const replacement = 'SECRET_A=YQ==\nSECRET_B=Yg==\nSECRET_C=Yw==\n';
    assert.deepEqual(droppedKeys(current, replacement), ['SECRET_BROKEN']);
    assert.deepEqual(droppedKeys('', replacement), []);
  });
});
