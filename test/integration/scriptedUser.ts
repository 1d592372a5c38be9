/**
 * A user at the keyboard, from a script: answers the extension's input boxes, picks and modal dialogs in
 * order, dismisses its notifications, and records every one it was shown.
 *
 * The suites run in the extension host beside the extension, but the host gives each extension its own
 * `vscode` object. The one replaced here is the extension's (required as from its own folder), so only the
 * extension's `window.show*` calls reach the script; VS Code's own dialogs are untouched.
 */
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './helpers';

export interface Prompt {
  kind: 'input' | 'pick' | 'warning' | 'information' | 'error';
  /** The message, or an input box's prompt (title when it has none). */
  message: string;
  /** A modal dialog, an input box or a pick: something the user must answer. */
  modal: boolean;
  detail?: string;
  /** An input box that hides what is typed. */
  password?: boolean;
  /** Buttons or pick items. */
  items: string[];
}

/** A button's title, the text typed, the item picked; undefined: Escape (cancel). */
export type Answer = string | undefined;

type Window = typeof vscode.window;
type Replaced = 'showInputBox' | 'showQuickPick' | 'showWarningMessage' | 'showInformationMessage' | 'showErrorMessage';

function extensionWindow(): Window {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  const extensionRequire = createRequire(path.join(extension.extensionPath, 'package.json'));
  return (extensionRequire('vscode') as typeof vscode).window;
}

function itemTitle(item: unknown): string {
  if (typeof item === 'string') return item;
  const { title, label } = item as { title?: string; label?: string };
  return title ?? label ?? '';
}

export class ScriptedUser {
  readonly prompts: Prompt[] = [];
  /** Prompts that needed an answer when the script had none left (each was cancelled). */
  readonly unexpected: Prompt[] = [];
  private readonly answers: Answer[] = [];
  private readonly originals = new Map<Replaced, unknown>();
  private window: Window | undefined;

  /** Replaces the extension's `window.show*` until `stop()`. */
  start(): void {
    const window = extensionWindow();
    this.window = window;
    const replace = (name: Replaced, stand: (...args: unknown[]) => Promise<unknown>) => {
      this.originals.set(name, window[name]);
      Object.assign(window, { [name]: stand });
    };
    replace('showInputBox', (options) => this.input(options as vscode.InputBoxOptions | undefined));
    replace('showQuickPick', (items, options) => this.pick(items, options as vscode.QuickPickOptions | undefined));
    for (const [name, kind] of [
      ['showWarningMessage', 'warning'],
      ['showInformationMessage', 'information'],
      ['showErrorMessage', 'error'],
    ] as const) {
      replace(name, (message, ...rest) => this.message(kind, String(message), rest));
    }
  }

  stop(): void {
    if (this.window) Object.assign(this.window, Object.fromEntries(this.originals));
    this.originals.clear();
    this.window = undefined;
  }

  /** Queues what the user will answer to the next input boxes, picks and modal dialogs, in order. */
  will(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  /** Forgets what was shown (not the queued answers). */
  clear(): void {
    this.prompts.length = 0;
    this.unexpected.length = 0;
  }

  /** Every queued answer was used, and nothing asked for one the script did not have. */
  assertScriptDone(): void {
    assert.deepEqual(
      this.unexpected.map((prompt) => `${prompt.kind}: ${prompt.message}`),
      [],
      'prompts the script did not expect',
    );
    assert.equal(this.answers.length, 0, 'answers left unused');
  }

  private next(prompt: Prompt): Answer {
    this.prompts.push(prompt);
    if (this.answers.length === 0) {
      this.unexpected.push(prompt);
      return undefined;
    }
    return this.answers.shift();
  }

  private async input(options: vscode.InputBoxOptions | undefined): Promise<string | undefined> {
    const typed = this.next({
      kind: 'input',
      message: options?.prompt ?? options?.title ?? '',
      modal: true,
      password: options?.password === true,
      items: [],
    });
    if (typed === undefined) return undefined;
    // The real box keeps refusing Enter while validation complains: a script typing refused text is wrong.
    const problem = await options?.validateInput?.(typed);
    assert.ok(
      !problem,
      `the input box "${options?.prompt ?? ''}" refuses the scripted text: ${typeof problem === 'string' ? problem : ''}`,
    );
    return typed;
  }

  private async pick(items: unknown, options: vscode.QuickPickOptions | undefined): Promise<unknown> {
    const choices = (await items) as unknown[];
    const prompt: Prompt = {
      kind: 'pick',
      message: options?.placeHolder ?? options?.title ?? '',
      modal: true,
      items: choices.map(itemTitle),
    };
    const picked = this.next(prompt);
    if (picked === undefined) return undefined;
    const choice = choices.find((item) => itemTitle(item) === picked);
    if (choice === undefined) this.unexpected.push({ ...prompt, message: `${prompt.message} (no item "${picked}")` });
    return choice;
  }

  private async message(kind: Prompt['kind'], message: string, rest: unknown[]): Promise<unknown> {
    // show*Message(message, options?, ...items): options is the one object without a title.
    const first = rest[0];
    const options = typeof first === 'object' && first !== null && !('title' in first) ? (rest.shift() as vscode.MessageOptions) : {};
    const prompt: Prompt = { kind, message, modal: options.modal === true, detail: options.detail, items: rest.map(itemTitle) };
    if (!prompt.modal) {
      // A notification: the user lets it go.
      this.prompts.push(prompt);
      return undefined;
    }
    const chosen = this.next(prompt);
    if (chosen === undefined) return undefined;
    const button = rest.find((item) => itemTitle(item) === chosen);
    if (button === undefined) this.unexpected.push({ ...prompt, message: `${prompt.message} (no button "${chosen}")` });
    return button;
  }
}
