/**
 * What a feature reads from the document around the cursor: a bounded window of text (so a keystroke
 * costs the same in a 5,000-line flow) and the namespace a reference resolves in.
 */
import * as vscode from 'vscode';
import type { SecretCatalog } from '../../core/catalog';
import { LineIndex } from '../../core/lineIndex';
import { quickNamespace } from '../flowIndex';

/** How many lines before the cursor the Pebble scanner may see. */
const WINDOW_LINES = 50;
/** The namespace used for stores where namespaces do not matter (Kestra OSS env secrets). */
export const ANY_NAMESPACE = 'default';

export interface TextWindow {
  text: string;
  /** The cursor's offset in `text`. */
  offset: number;
  positionAt(offset: number): vscode.Position;
}

/** The text from a few lines before the position to the end of its line. */
export function textWindowAt(document: vscode.TextDocument, position: vscode.Position): TextWindow {
  const firstLine = Math.max(0, position.line - WINDOW_LINES);
  const start = new vscode.Position(firstLine, 0);
  const before = document.getText(new vscode.Range(start, position));
  const after = document.getText(new vscode.Range(position, document.lineAt(position.line).range.end));
  const text = before + after;
  let index: LineIndex | undefined;
  return {
    text,
    offset: before.length,
    positionAt(offset: number) {
      index ??= new LineIndex(text);
      const local = index.positionAt(offset);
      return new vscode.Position(firstLine + local.line, local.character);
    },
  };
}

/** The namespace a reference resolves in, or undefined when it can't be known. */
export function lookupNamespace(catalog: SecretCatalog, explicit: string | undefined, document: vscode.TextDocument): string | undefined {
  const namespace = explicit ?? quickNamespace(document);
  if (namespace !== undefined) return namespace;
  return catalog.backendFor(ANY_NAMESPACE).namespaced ? undefined : ANY_NAMESPACE;
}
