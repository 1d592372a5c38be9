/** The problems shown in the editor, as the features that act on them (quick fixes, move to secret) ask for them. */
import type * as vscode from 'vscode';
import type { Problem } from '../../core/types';

export interface ProblemSource {
  /** The problems shown in a file that intersect a range. */
  problemsAt(uri: vscode.Uri, range: vscode.Range): Problem[];
}
