/** The workspace's Kestra flows, analysed once per file version. (Implementation in progress.) */
import type * as vscode from 'vscode';
import type { FlowAnalysis } from '../core/flow';

export interface IndexedFlow {
  readonly uri: vscode.Uri;
  /** Document version for open documents, a disk stamp (mtime) otherwise. */
  readonly version: number | string;
  readonly analysis: FlowAnalysis;
}

export interface FlowIndex {
  /** Namespaces of all flows in the workspace, sorted. */
  namespaces(): string[];
  flowsIn(namespace: string): IndexedFlow[];
  get(uri: vscode.Uri): IndexedFlow | undefined;
  all(): IndexedFlow[];
  readonly onDidChange: vscode.Event<void>;
  /** Resolves once the first workspace scan has finished. */
  ready(): Promise<void>;
}
