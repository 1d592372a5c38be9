/** Translation between the core's 0-based ranges and problems and VS Code's types. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Position, Problem, Range, Severity } from '../../core/types';

export const DIAGNOSTIC_SOURCE = 'Kestra Secrets';

export function toVsPosition(position: Position): vscode.Position {
  return new vscode.Position(position.line, position.character);
}

export function toVsRange(range: Range): vscode.Range {
  return new vscode.Range(toVsPosition(range.start), toVsPosition(range.end));
}

export function toVsSeverity(severity: Severity): vscode.DiagnosticSeverity {
  switch (severity) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    default:
      return vscode.DiagnosticSeverity.Information;
  }
}

export function toDiagnostic(problem: Problem): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toVsRange(problem.range), problem.message, toVsSeverity(problem.severity));
  diagnostic.code = problem.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  return diagnostic;
}

/** The URI of a problem's file: absolute paths as they are, relative ones against the first workspace folder. */
export function problemUri(file: string): vscode.Uri | undefined {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(file)) return vscode.Uri.parse(file);
  if (path.isAbsolute(file)) return vscode.Uri.file(file);
  const root = vscode.workspace.workspaceFolders?.[0];
  return root ? vscode.Uri.joinPath(root.uri, file) : undefined;
}

export function rangeContains(range: Range | undefined, position: vscode.Position): boolean {
  return range !== undefined && toVsRange(range).contains(position);
}

/**
 * What `vscode.workspace.asRelativePath(uri)` gives for a local file (the innermost workspace folder's relative
 * path, prefixed with the folder's name in a multi-root workspace), computed here: VS Code's own costs tens of
 * microseconds a call, which a pass over thousands of flows pays on the editor's thread.
 */
export function workspaceRelativePath(uri: vscode.Uri): string {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (uri.scheme !== 'file') return vscode.workspace.asRelativePath(uri);
  const file = uri.fsPath;
  let best: { folder: vscode.WorkspaceFolder; relative: string } | undefined;
  for (const folder of folders) {
    if (folder.uri.scheme !== 'file') continue;
    const relative = relativeInside(folder.uri.fsPath, file);
    if (relative !== undefined && (!best || relative.length < best.relative.length)) best = { folder, relative };
  }
  if (!best) return vscode.workspace.asRelativePath(uri);
  const relative = path.sep === '/' ? best.relative : best.relative.split(path.sep).join('/');
  return folders.length > 1 ? `${best.folder.name}/${relative}` : relative;
}

/** `file` relative to `root` when it is inside it; a plain prefix when it is one (the usual case, and cheap). */
function relativeInside(root: string, file: string): string | undefined {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  if (file.startsWith(prefix)) return file.length > prefix.length ? file.slice(prefix.length) : undefined;
  const relative = path.relative(root, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative;
}
