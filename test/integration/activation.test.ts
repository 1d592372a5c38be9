import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, activatedApi } from './helpers';

describe('activation', () => {
  it('activates in the test workspace and exposes its API', async () => {
    const api = await activatedApi();
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs >= 0 && api.activationMs < 5_000, `activationMs=${api.activationMs}`);
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
  });

  it('registers every command of the contract', async () => {
    await activatedApi();
    const commands = new Set(await vscode.commands.getCommands(true));
    const expected = [
      'encodeEnvFile',
      'decodeEnvFile',
      'refresh',
      'copyReference',
      'insertReference',
      'revealValue',
      'createSecret',
      'editSecret',
      'deleteSecret',
      'setCredentials',
      'showLog',
    ].map((name) => `kestraSecrets.${name}`);
    const missing = expected.filter((id) => !commands.has(id));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });
});
