import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

describe('smoke', () => {
  it('runs inside VS Code', () => {
    assert.match(vscode.version, /^1\./);
  });
});
