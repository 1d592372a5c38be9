/**
 * The benchmark run inside the extension host (scripts/vscode/bench.mjs opens it as the extension tests path
 * on a generated workspace): activation time as the extension measured it, time until its first full pass,
 * and 200 completions inside `secret('` near the end of a 5,000-line flow. Writes JSON to
 * KESTRA_SECRETS_BENCH_OUT.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { EXTENSION_ID, type KestraSecretsApi } from './helpers';

const WARMUP = 10;
const SAMPLES = 200;
export const BIG_FLOW = 'flows/big/big.yml';
const COMPLETION_MARKER = "{{ secret('";

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Number(sorted[Math.max(0, index)].toFixed(3));
}

function stats(samples: number[]): { p50: number; p95: number; max: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: percentile(sorted, 100), samples: samples.length };
}

async function timeCompletions(uri: vscode.Uri, position: vscode.Position, trigger: string | undefined): Promise<{ times: number[]; items: number }> {
  const times: number[] = [];
  let items = 0;
  for (let round = 0; round < WARMUP + SAMPLES; round++) {
    const started = performance.now();
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position, trigger);
    const elapsed = performance.now() - started;
    if (round >= WARMUP) times.push(elapsed);
    items = list.items.length;
  }
  return { times, items };
}

export async function run(): Promise<void> {
  // `completion` is the editor command's round trip (exthost → workbench → exthost); scripts/vscode/bench.mjs adds
  // the provider's own time from the extension's trace log.
  const out = process.env.KESTRA_SECRETS_BENCH_OUT;
  if (!out) throw new Error('KESTRA_SECRETS_BENCH_OUT is not set');
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the benchmark needs its generated workspace open');

  const extension = vscode.extensions.getExtension<KestraSecretsApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed`);
  const activateStarted = performance.now();
  const api = await extension.activate();
  const activateCallMs = performance.now() - activateStarted;
  await api.catalogReady();
  const readyMs = performance.now() - activateStarted;

  const flowCount = (await vscode.workspace.findFiles('flows/**/*.yml')).length;
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, BIG_FLOW));
  await vscode.window.showTextDocument(document);
  const offset = document.getText().lastIndexOf(COMPLETION_MARKER) + COMPLETION_MARKER.length;
  const inside = document.positionAt(offset);
  const completion = await timeCompletions(document.uri, inside, "'");
  // The same command on the same line, outside the call, where our provider answers nothing: the cost of the
  // editor's round-trip and of the other providers, to subtract from the figure above.
  const baseline = await timeCompletions(document.uri, new vscode.Position(inside.line, 4), "'");

  const result = {
    activationMs: Number(api.activationMs.toFixed(3)),
    activateCallMs: Number(activateCallMs.toFixed(3)),
    catalogReadyMs: Number(readyMs.toFixed(1)),
    flows: flowCount,
    bigFlowLines: document.lineCount,
    completion: { ...stats(completion.times), warmup: WARMUP, items: completion.items, position: { line: inside.line, character: inside.character } },
    commandBaseline: stats(baseline.times),
    diagnostics: vscode.languages.getDiagnostics().reduce((count, [, diagnostics]) => count + diagnostics.length, 0),
  };
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
}
