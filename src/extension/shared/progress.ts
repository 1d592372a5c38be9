/** Background work in the status bar, shown only once it has lasted a moment. */
import * as vscode from 'vscode';

/**
 * Work done within this time never shows: a spinner that flashes for a few hundred milliseconds tells nothing, and
 * each frame of its animation is the workbench's work while ours runs.
 */
export const WINDOW_PROGRESS_DELAY_MS = 1000;

/** Runs `work` at once; the status bar shows `title` from WINDOW_PROGRESS_DELAY_MS on until the work ends. */
export function withWindowProgress<T>(title: string, work: () => Promise<T>, delayMs = WINDOW_PROGRESS_DELAY_MS): Promise<T> {
  const done = work();
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => done.catch(() => undefined));
  }, delayMs);
  return done.finally(() => clearTimeout(timer));
}
