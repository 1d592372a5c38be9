/**
 * Types shared by the core, the backends, the CLI and the editor layer.
 * Positions are 0-based (line, UTF-16 character) like VS Code's; the CLI adds 1 when printing.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export type ProblemCode =
  | 'missing-secret'
  | 'unverified-secret'
  | 'unknown-source'
  | 'missing-subkey'
  | 'subkey-not-json'
  | 'dynamic-key'
  | 'dynamic-subkey'
  | 'dynamic-namespace'
  | 'invalid-base64'
  | 'key-collision'
  | 'yaml-error'
  | 'unquoted-template'
  | 'pebble-syntax'
  | 'backend-error'
  | 'hardcoded-secret';

export interface Problem {
  /** Absolute or workspace-relative path of the file the problem is in. */
  file: string;
  range: Range;
  severity: Severity;
  code: ProblemCode;
  /** Never contains a secret value. */
  message: string;
  /** Machine-readable details for quick fixes. */
  data?: {
    key?: string;
    subkey?: string;
    namespace?: string;
    suggestions?: string[];
    /** hardcoded-secret: the secret key proposed for the credential. */
    suggestedKey?: string;
  };
}

/** A `secret(...)` call found in a flow, with ranges in the flow file's source text. */
export interface SecretReference {
  /** Static key, or undefined when the key is not a plain string literal. */
  key?: string;
  /** Range of the key literal's content (inside the quotes) in the source. */
  keyRange?: Range;
  /** Why the key can't be checked, when it is dynamic (e.g. "the key is the expression inputs.key"). */
  dynamicKey?: string;
  /** Literal `namespace` argument, when given as a plain string. */
  namespace?: string;
  namespaceRange?: Range;
  dynamicNamespace?: string;
  subkey?: string;
  subkeyRange?: Range;
  dynamicSubkey?: string;
  full: boolean;
  /** Range of the whole `secret(...)` call in the source. */
  callRange: Range;
  /** Namespace of the flow document the call is in (a multi-document file holds several flows). */
  flowNamespace?: string;
  /** In a template Pebble can't parse: Kestra fails on the template before it looks the secret up. */
  inInvalidTemplate?: boolean;
}
