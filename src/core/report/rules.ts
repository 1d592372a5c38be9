/**
 * One rule per problem code, described once for every report format that lists rules (SARIF's
 * `tool.driver.rules`, GitHub's annotation titles, GitLab's check names). A new problem code must get an
 * entry here: the table is typed by `ProblemCode`, and test/unit/core/report/rules.test.ts scans `src/`
 * for codes produced anywhere.
 */
import type { ProblemCode, Severity } from '../types';

export interface Rule {
  /** A title: a few words, no final period. */
  shortDescription: string;
  /** What the rule finds and why it matters at run time, in whole sentences. */
  fullDescription: string;
  /** What to do about it, in whole sentences. */
  help: string;
  /** The severity the code is produced with; `backend-error` varies per problem, each result says its own. */
  defaultSeverity: Severity;
}

export const RULES: { readonly [code in ProblemCode]: Rule } = {
  'missing-secret': {
    shortDescription: 'Missing secret',
    fullDescription:
      "A secret('KEY') reference names a key that the flow's namespace cannot see in the configured secret store (its own secrets and its parent namespaces'). Kestra fails the task at run time with 'Cannot find secret for key'.",
    help: 'Correct the key (the message names the closest keys the namespace can see), or create the secret in the store the namespace reads from.',
    defaultSeverity: 'error',
  },
  'missing-subkey': {
    shortDescription: 'Missing secret sub-key',
    fullDescription:
      "A secret('KEY', subkey='FIELD') reference names a field that the JSON secret does not have. Kestra fails the task at run time.",
    help: 'Correct the sub-key (the message names the closest fields), or add the field to the JSON secret.',
    defaultSeverity: 'error',
  },
  'subkey-not-json': {
    shortDescription: 'Sub-key of a secret that is not a JSON object',
    fullDescription:
      "A secret('KEY', subkey='FIELD') reference reads a field of a secret whose value is not a JSON object. Kestra fails the task at run time.",
    help: 'Drop the subkey argument, or store the secret as a JSON object holding that field.',
    defaultSeverity: 'error',
  },
  'dynamic-key': {
    shortDescription: 'Secret key computed at run time',
    fullDescription:
      'The key of a secret() call is an expression, not a plain string, so whether the secret exists can only be known when the flow runs.',
    help: 'Nothing to fix: this is information. Use a plain string key where you can, so the reference is checked before run time.',
    defaultSeverity: 'info',
  },
  'dynamic-namespace': {
    shortDescription: 'Secret namespace computed at run time',
    fullDescription:
      'The namespace argument of a secret() call is an expression, so the namespace whose secrets it reads is only known when the flow runs.',
    help: 'Nothing to fix: this is information. Use a plain string namespace where you can, so the reference is checked before run time.',
    defaultSeverity: 'info',
  },
  'dynamic-subkey': {
    shortDescription: 'Secret sub-key computed at run time',
    fullDescription:
      'The subkey argument of a secret() call is an expression, so whether the JSON secret has that field is only known when the flow runs.',
    help: 'Nothing to fix: this is information. Use a plain string sub-key where you can, so the reference is checked before run time.',
    defaultSeverity: 'info',
  },
  'invalid-base64': {
    shortDescription: 'SECRET_ value that is not valid base64',
    fullDescription:
      'A SECRET_ environment variable (Compose file, env file or encoded env file) holds a value that is not valid base64. Kestra silently drops such a secret, so every flow using it fails at run time.',
    help: 'Encode the value with `kestra-secrets encode`, which writes the SECRET_<KEY>=<base64> form Kestra reads.',
    defaultSeverity: 'error',
  },
  'key-collision': {
    shortDescription: 'SECRET_ names that collide once upper-cased',
    fullDescription:
      'Two SECRET_ environment variables of one environment give the same secret key once upper-cased. Kestra fails to start with a duplicate key.',
    help: 'Keep only one spelling of the variable.',
    defaultSeverity: 'error',
  },
  'yaml-error': {
    shortDescription: 'Invalid YAML',
    fullDescription:
      'A file that looks like a Kestra flow does not parse as YAML, so its secret references could not be checked. Kestra rejects the flow.',
    help: 'Fix the YAML syntax at the reported position.',
    defaultSeverity: 'warning',
  },
  'unverified-secret': {
    shortDescription: 'Secret that could not be verified',
    fullDescription:
      "A secret('KEY') reference names a key that is not in what could be read, but a source that may define it could not be read here (an absent env file, a store that failed, no source at all). It is neither confirmed nor reported missing.",
    help: 'Make the source readable (see the unknown-source warning), or commit a names-only file such as .env_encoded.example; `check --strict` makes these references errors.',
    defaultSeverity: 'info',
  },
  'unknown-source': {
    shortDescription: 'Secret source that cannot be read here',
    fullDescription:
      'A source of secrets exists but cannot be read here (an env_file that is absent, a store that fails or refuses, or no source found at all), so references to secrets it may define cannot be verified.',
    help: 'Follow the fix the message names: check from the folder of the Compose file, name the encoded env file, set credentials, or commit a names-only stand-in.',
    defaultSeverity: 'warning',
  },
  'unquoted-template': {
    shortDescription: 'Unquoted template read as a YAML map',
    fullDescription: 'A value that starts with {{ is not quoted, so YAML reads it as a map instead of a string. Kestra rejects the flow.',
    help: 'Put the value in quotes: "{{ … }}".',
    defaultSeverity: 'warning',
  },
  'pebble-syntax': {
    shortDescription: "Template Pebble can't parse",
    fullDescription:
      'A template in a rendered property is not valid Pebble (as Kestra configures Pebble 4.1.2): an unclosed comment, tag, expression or string, an unexpected token. Kestra fails the task when it renders it.',
    help: "Fix the template at the reported position; text that only looks like a delimiter (bash's ${#arr[@]}) can be written inside a {% raw %} block.",
    defaultSeverity: 'error',
  },
  'hardcoded-secret': {
    shortDescription: 'Credential written in clear',
    fullDescription:
      'A credential (a property the plugin marks secret, a password inside a URL, a token of a known shape, an authorization header) is written as a literal in the flow, where everyone who can read the flow can read it.',
    help: "Move the value to a secret and read it with {{ secret('KEY') }} (the editor's quick fix Move to secret… does both).",
    defaultSeverity: 'warning',
  },
  'backend-error': {
    shortDescription: 'Secret source that cannot be read',
    fullDescription:
      'A source of secrets could not be read (an env file Docker Compose cannot parse or find, a store that cannot be listed), so the secrets it holds are unknown and references to them were not checked.',
    help: 'Fix or create the file named in the message, or the store configuration and credentials, then check again.',
    defaultSeverity: 'error',
  },
};

export function ruleFor(code: ProblemCode): Rule {
  return RULES[code];
}

/** Every rule id, in a stable order (the table's). */
export function ruleIds(): ProblemCode[] {
  return Object.keys(RULES) as ProblemCode[];
}
