/**
 * The seam between the editor's pure logic and VS Code: the logic under `logic/` translates its
 * messages through `l10n.t`, which the extension points at `vscode.l10n.t` on activation
 * (`useTranslator`). Until then, and in tests, messages are the English text with `{0}`, `{1}`…
 * replaced by the arguments, which is what `vscode.l10n.t` does when no translation applies.
 */
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

const untranslated: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (placeholder, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : placeholder));

let translate: Translate = untranslated;

export const l10n = {
  t: (message: string, ...args: Array<string | number | boolean>): string => translate(message, ...args),
};

/** Called once on activation with `vscode.l10n.t`. */
export function useTranslator(translator: Translate): void {
  translate = translator;
}
