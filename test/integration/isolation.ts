/**
 * Makes the suites independent of their order: after each top-level suite, the workspace copy holds exactly
 * the fixture's files and every open file's document is back to its file's text. A suite that leaves a
 * change fails in its own "after all" hook, naming what it left, and the change is undone so that the next
 * suite starts from the fixture whatever ran before it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Mocha from 'mocha';
import * as vscode from 'vscode';
import { activatedApi, restoreFromDisk, workspaceRoot } from './helpers';

type FileSnapshot = Map<string, Buffer>;

function snapshotFiles(root: string): FileSnapshot {
  const files: FileSnapshot = new Map();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  walk(root);
  return files;
}

/** Writes back changed and removed fixture files and removes added ones; returns what differed. */
function restoreFiles(root: string, fixture: FileSnapshot): string[] {
  const left: string[] = [];
  const now = snapshotFiles(root);
  for (const [relative, content] of fixture) {
    const current = now.get(relative);
    if (current?.equals(content)) continue;
    left.push(current === undefined ? `removed ${relative}` : `changed ${relative}`);
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), content);
  }
  for (const relative of now.keys()) {
    if (fixture.has(relative)) continue;
    left.push(`added ${relative}`);
    fs.rmSync(path.join(root, relative), { force: true });
  }
  return left;
}

async function restoreDocuments(root: string): Promise<string[]> {
  const left: string[] = [];
  for (const document of vscode.workspace.textDocuments) {
    if (document.uri.scheme !== 'file' || !document.uri.fsPath.startsWith(root + path.sep)) continue;
    if (await restoreFromDisk(document)) left.push(`unsaved changes in ${path.relative(root, document.uri.fsPath)}`);
  }
  return left;
}

/** Adds the check to every top-level suite of `root`, as each suite file is loaded. */
export function isolateTopLevelSuites(root: Mocha.Suite): void {
  const workspace = workspaceRoot();
  const fixture = snapshotFiles(workspace);
  const guarded = new Set<Mocha.Suite>();
  root.on('post-require', () => {
    for (const suite of root.suites) {
      if (guarded.has(suite)) continue;
      guarded.add(suite);
      suite.afterAll('leaves the workspace files and open documents as it found them', async function () {
        this.timeout(60_000);
        const left = restoreFiles(workspace, fixture);
        left.push(...(await restoreDocuments(workspace)));
        if (left.length === 0) return;
        await vscode.commands.executeCommand('kestraSecrets.refresh');
        await (await activatedApi()).catalogReady();
        throw new Error(`the suite "${suite.title}" left: ${left.join('; ')} (undone for the next suites)`);
      });
    }
  });
}
