/**
 * The ids package.json contributes and the code uses: commands, the view, the context keys the
 * `when` clauses read, and the context values of the view's items. Every feature takes its ids from
 * here; test/unit/extension/contributions.test.ts checks this table against package.json.
 */

/** Every command the extension contributes and registers. */
export const COMMANDS = {
  moveToSecret: 'kestraSecrets.moveToSecret',
  moveAllToSecrets: 'kestraSecrets.moveAllToSecrets',
  encodeEnvFile: 'kestraSecrets.encodeEnvFile',
  decodeEnvFile: 'kestraSecrets.decodeEnvFile',
  refresh: 'kestraSecrets.refresh',
  copyReference: 'kestraSecrets.copyReference',
  insertReference: 'kestraSecrets.insertReference',
  revealValue: 'kestraSecrets.revealValue',
  createSecret: 'kestraSecrets.createSecret',
  editSecret: 'kestraSecrets.editSecret',
  deleteSecret: 'kestraSecrets.deleteSecret',
  setCredentials: 'kestraSecrets.setCredentials',
  showLog: 'kestraSecrets.showLog',
  addToEnvFile: 'kestraSecrets.addToEnvFile',
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandName];

/** The Secrets view. */
export const VIEW_ID = 'kestraSecrets.secrets';

/** Context keys the code sets with `setContext` and the menus' `when` clauses read. */
export const CONTEXT_KEYS = {
  /** Some configured store accepts writes: "Create secret" is offered. */
  writable: 'kestraSecrets.writable',
} as const;

/** The `contextValue` of each kind of item in the Secrets view, which `viewItem` in `when` clauses matches. */
export const TREE_ITEM_CONTEXT = {
  backend: 'backend',
  writableBackend: 'backend.writable',
  namespace: 'namespace',
  writableNamespace: 'namespace.writable',
  /** A secret: `secret`, then `.writable` when the store takes writes and `.revealable` when it returns values. */
  secret: 'secret',
  subkey: 'subkey',
  /** A listing failure that the refresh command retries. */
  error: 'error',
  message: 'message',
} as const;

/** A secret item's context value: write menus match `writable`, the reveal menu `revealable`. */
export function secretContextValue(node: { readOnly: boolean; canReveal: boolean }): string {
  return `${TREE_ITEM_CONTEXT.secret}${node.readOnly ? '' : '.writable'}${node.canReveal ? '.revealable' : ''}`;
}
