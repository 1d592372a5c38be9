/**
 * Credentials written in clear in a flow: literal values of properties Kestra's plugins mark
 * `secret = true` (or whose name they mark elsewhere), passwords inside URLs and connection strings,
 * values shaped like well-known tokens, and authorization headers. Every finding carries the edit
 * that replaces the literal with `{{ secret('KEY') }}` keeping the YAML valid; its value is read
 * only on demand and is never part of a message. Pure and vscode-free; never throws.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Scalar, YAMLMap } from 'yaml';
import { MARKED_PROPERTIES_BY_TYPE, MARKED_PROPERTY_NAMES, TYPE_ALIASES } from './data/secretProperties';
import type { Problem, Range } from './types';
import { rememberSecretValue } from './redaction';
import { decodeScalar, type DecodedScalar } from './yamlScalar';

export type CredentialKind =
  | 'marked-property'
  | 'credential-name'
  | 'url-password'
  | 'query-password'
  | 'authorization-header'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'github-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'discord-webhook'
  | 'teams-webhook'
  | 'openai-key'
  | 'google-api-key'
  | 'stripe-key'
  | 'jwt'
  | 'private-key';

export interface HardcodedSecret {
  /** Where the credential is in the source (only the password of a URL, only the token of a header). */
  range: Range;
  /** The key holding the value, or the path under its plugin type (`connection.password`). */
  property: string;
  /** The plugin type whose property it is, when one encloses it. */
  pluginType?: string;
  kind: CredentialKind;
  /** Says what it looks like and where; never any part of the value. */
  message: string;
  /** A secret key for it, like `POSTGRES_PASSWORD`. */
  suggestedKey: string;
  /** The source span to replace and the text that refers to `key` instead (the YAML stays valid). */
  replacement(key: string): { range: Range; text: string };
  /** The credential, decoded (kept out of JSON and enumeration). */
  readonly value: () => string;
}

type RangeOf = (start: number, end: number) => Range;

interface Place {
  /** The key holding the value (the input's id for an input default). */
  key: string;
  /** Path under the enclosing plugin type (or from the document root without one). */
  path: string[];
  pluginType?: string;
  /** A sibling value is an AWS access key id: a 40-character secret beside it is its secret key. */
  besideAwsKeyId: boolean;
  /** The default of an input of type SECRET. */
  secretInput?: boolean;
}

interface Hit {
  kind: CredentialKind;
  /** Decoded offsets of the credential in the scalar's value. */
  start: number;
  end: number;
}

const USER_NAME = /(^|[^a-z])(user(name)?|login|account(name)?|email|principal|owner|client[-_]?id|app[-_]?id|tenant[-_]?id)$/i;
const IDENTIFIER_NAMES = new Set(
  [
    'username',
    'proxyUsername',
    'url',
    'uri',
    'connectionString',
    'domainName',
    'agentId',
    'clientId',
    'dataAccessRoleArn',
    'stsRoleArn',
    'stsRoleExternalId',
    'impersonatedServiceAccount',
    'serviceAccountEmail',
    'headers',
    'config',
    'credentials',
  ].map(normalise),
);
/** Marked names that hold credentials in any type (the table's names, less identifiers and too-general words). */
const CREDENTIAL_NAMES = new Set(
  MARKED_PROPERTY_NAMES.map(normalise).filter((name) => !IDENTIFIER_NAMES.has(name) && !USER_NAME.test(name)),
);
const CREDENTIAL_SUFFIX =
  /(password|passwd|pwd|passphrase|secret|secretkey|secretaccesskey|apikey|apisecret|apitoken|token|accesstoken|authtoken|privatekey|accesskey|clientsecret|sastoken|webhookurl)$/;
/** Counters and limits named after tokens (`maxTokens`, `tokenTtl`) hold no credential. */
const NOT_A_CREDENTIAL_NAME = /^(max|min|num|count|total|limit|expir|ttl|timeout|length|size)|^(use|enable|is|has)(?=[A-Z_-])/;
const HEADER_NAMES =
  /^(authorization|proxy-authorization|x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|x-token|x-api-token|x-apikey)$/i;
const AUTH_SCHEME = /^(bearer|basic|token|bot|apikey|api-key|key|digest|sso-key)\s+/i;

const PLACEHOLDER = new RegExp(
  [
    '^<[^>]*>$',
    '^\\$\\{[^}]*\\}$',
    '^\\$[A-Za-z_][A-Za-z0-9_]*$',
    '^%[A-Za-z_][A-Za-z0-9_]*%$',
    '^\\[[^\\]]*\\]$',
    '^(.)\\1{2,}$',
    '^\\.\\.\\.$|^…$',
    '^(changeme|change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|redacted|masked|hidden|todo|tbd|fixme|none|null|nil|undefined|n/?a|secret|password|passwd|token|apikey|api[-_]key|example|sample|dummy|fake|foo|bar|foobar|test)$',
    '^(your|my|the|some|insert|enter|put|add|sample|example|dummy|fake|test)([-_ .][a-z0-9_ .-]*|[-_ .]?(password|passwd|pass|pw|secret|token|key|api[-_]?key|value|here))$',
    '^[a-z0-9_.-]*([-_.]here|example|placeholder|redacted|xxx+|\\*\\*\\*+)[a-z0-9_.-]*$',
  ].join('|'),
  'i',
);

/** `hardcoded-secret` warnings: what it looks like and where, never the value. */
export function hardcodedProblems(file: string, secrets: HardcodedSecret[]): Problem[] {
  return secrets.map((secret) => ({
    file,
    range: secret.range,
    severity: 'warning',
    code: 'hardcoded-secret',
    message: secret.message,
    data: { suggestedKey: secret.suggestedKey },
  }));
}

/** Finds the hardcoded credentials of one parsed flow document. */
export function findHardcodedSecrets(document: Document.Parsed, range: RangeOf): HardcodedSecret[] {
  const found: HardcodedSecret[] = [];
  try {
    walk(document.contents, { key: '', path: [], besideAwsKeyId: false }, (node, place) => {
      for (const secret of scalarFindings(node, place, range)) found.push(secret);
    });
  } catch {
    // A malformed tree: keep what was found so far.
  }
  return found;
}

function walk(node: unknown, place: Place, onScalar: (node: Scalar, place: Place) => void): void {
  if (isScalar(node)) {
    onScalar(node, place);
  } else if (isSeq(node)) {
    for (const item of node.items) walk(item, { ...place, path: [...place.path, '[]'] }, onScalar);
  } else if (isMap(node)) {
    walkMap(node, place, onScalar);
  }
}

function walkMap(map: YAMLMap, outer: Place, onScalar: (node: Scalar, place: Place) => void): void {
  const ownType = pluginTypeOf(map);
  const base: Place = ownType ? { key: outer.key, path: [], pluginType: ownType, besideAwsKeyId: false } : outer;
  const inputId = inputIdOf(map);
  const besideAwsKeyId = map.items.some(
    (pair) => isScalar(pair.value) && typeof pair.value.value === 'string' && AWS_KEY_ID_ANYWHERE.test(pair.value.value),
  );
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    if (key === 'description') continue;
    const isInputDefault = inputId !== undefined && (key === 'defaults' || key === 'default' || key === 'prefill');
    const valueKey = isInputDefault ? inputId : key;
    const isPluginDefaults = key === 'values' && ownType && map.has('values');
    const path = isPluginDefaults ? [] : [...base.path, key];
    const secretInput = isInputDefault && map.get('type') === 'SECRET';
    walk(pair.value, { key: valueKey, path, pluginType: base.pluginType, besideAwsKeyId, secretInput }, onScalar);
  }
}

/** `type: io.kestra.plugin.x.Y` (a dotted class name, not an input's `STRING`). */
function pluginTypeOf(map: YAMLMap): string | undefined {
  const type = map.get('type');
  if (typeof type !== 'string' || !/^[a-z][\w]*(\.[\w$]+)+$/.test(type)) return undefined;
  return TYPE_ALIASES[type] ?? type;
}

function inputIdOf(map: YAMLMap): string | undefined {
  const id = map.get('id');
  return typeof id === 'string' && (map.has('defaults') || map.has('default') || map.has('prefill')) && map.has('type') ? id : undefined;
}

// ---------------------------------------------------------------------------------------------------

function scalarFindings(node: Scalar, place: Place, range: RangeOf): HardcodedSecret[] {
  const raw = node.value;
  if (typeof raw !== 'string' && !(typeof raw === 'number' && place.key !== '')) return [];
  const value = String(raw);
  if (value.trim() === '') return [];
  const hits = hitsIn(value, place, typeof raw === 'string');
  if (hits.length === 0) return [];
  const decoded = typeof raw === 'string' ? decodeScalar(node) : undefined;
  const mapped = decoded && decoded.value === value ? decoded : undefined;
  return dropOverlaps(hits).map((hit) => toFinding(node, value, hit, place, mapped, range));
}

function hitsIn(value: string, place: Place, isString: boolean): Hit[] {
  const byName = nameHit(value, place, isString);
  if (byName) return [byName];
  if (!isString) return [];
  const masked = maskPebble(value);
  return [...headerHits(masked, place), ...urlHits(masked), ...queryHits(masked), ...shapeHits(masked, place)];
}

/** A literal in a property that holds a credential by its name or by its type's marks. */
function nameHit(value: string, place: Place, isString: boolean): Hit | undefined {
  const name = normalise(place.key);
  if (!/^[\w.$-]+$/.test(place.key) || USER_NAME.test(place.key) || HEADER_NAMES.test(place.key)) return undefined;
  const marked = isMarked(place) || place.secretInput === true;
  if (!marked && !CREDENTIAL_NAMES.has(name) && !CREDENTIAL_SUFFIX.test(name)) return undefined;
  if (IDENTIFIER_NAMES.has(name) || NOT_A_CREDENTIAL_NAME.test(place.key.charAt(0).toLowerCase() + place.key.slice(1))) return undefined;
  if (!isString && !/(password|passwd|pwd|pin|passphrase)$/.test(name)) return undefined;
  if (!isLiteralCredential(value) || namesItself(value, name)) return undefined;
  const [start, end] = trimmedSpan(value);
  return { kind: marked ? 'marked-property' : 'credential-name', start, end };
}

/** `oauthToken: zendesk_oauth_token`, `token: sampleAuthorizationToken`: a name standing for the value. */
function namesItself(value: string, name: string): boolean {
  if (!/^[A-Za-z_.-]+$/.test(value)) return false;
  const word = /(password|passwd|passphrase|secret|token|key|pwd)/.exec(name)?.[1];
  return /^[a-z]+([_.-][a-z]+)+$/.test(value) || (word !== undefined && normalise(value).includes(word));
}

function isMarked(place: Place): boolean {
  if (!place.pluginType) return false;
  const marked = MARKED_PROPERTIES_BY_TYPE[place.pluginType];
  if (!marked) return false;
  const path = place.path.filter((segment) => segment !== '[]').join('.');
  return marked.split(' ').includes(path);
}

/** Not an expression, a placeholder, a path, an e-mail address, a variable name, a flag or prose. */
function isLiteralCredential(value: string): boolean {
  const text = value.trim();
  if (text.length < 3 || /\{\{|\{%/.test(text)) return false;
  if (PLACEHOLDER.test(text)) return false;
  if (/^(true|false|yes|no|on|off)$/i.test(text)) return false;
  if (/^(\.{0,2}\/|~\/|[A-Za-z]:\\)[^\s]*$/.test(text) && !/^[A-Za-z0-9+/=]{20,}$/.test(text)) return false;
  if (/^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/.test(text)) return false;
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(text)) return false;
  if (/^https?:\/\/[^\s@]+$/.test(text)) return false;
  if (/-----BEGIN [A-Z ]*(CERTIFICATE|PUBLIC KEY)-----/.test(text) && !/PRIVATE KEY-----/.test(text)) return false;
  return !isProse(text);
}

function isProse(text: string): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  return words.length >= 4 && words.filter((word) => /^[A-Za-z][a-z']*[,.:;!?]?$/.test(word)).length >= words.length - 1;
}

/** `Authorization: Bearer <token>`, `X-API-Key: <key>`: the token part, when it is a literal. */
function headerHits(value: string, place: Place): Hit[] {
  if (!HEADER_NAMES.test(place.key)) return inlineHeaderHits(value);
  const [start, end] = trimmedSpan(value);
  const scheme = AUTH_SCHEME.exec(value.slice(start));
  const tokenStart = start + (scheme ? scheme[0].length : 0);
  const token = value.slice(tokenStart, end);
  if (!isLiteralCredential(token) || /\s/.test(token)) return [];
  return [{ kind: 'authorization-header', start: tokenStart, end }];
}

/** A header written inside a command (`curl -H "Authorization: Bearer …"`). */
function inlineHeaderHits(value: string): Hit[] {
  const hits: Hit[] = [];
  if (!value.includes(':') || !/auth|api-key|token/i.test(value)) return hits;
  const pattern =
    /\b(?:authorization|x-api-key|api-key|x-auth-token|private-token)\s*:\s*(?:(?:bearer|basic|token|bot|apikey)\s+)?([A-Za-z0-9._~+/=-]{12,})/gi;
  for (const match of value.matchAll(pattern)) {
    const token = match[1];
    if (!isLiteralCredential(token) || !looksRandom(token)) continue;
    const start = (match.index ?? 0) + match[0].length - token.length;
    hits.push({ kind: 'authorization-header', start, end: start + token.length });
  }
  return hits;
}

/** `scheme://user:password@host`: the password. */
function urlHits(value: string): Hit[] {
  const hits: Hit[] = [];
  if (!value.includes('://') || !value.includes('@')) return hits;
  for (const match of value.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^\s:/?#@'"]*):([^\s/?#@'"]+)@[A-Za-z0-9[]/gi)) {
    const password = match[2];
    if (PLACEHOLDER.test(password) || hasTemplateCharacters(password)) continue;
    const end = (match.index ?? 0) + match[0].length - 2;
    hits.push({ kind: 'url-password', start: end - password.length, end });
  }
  return hits;
}

/** Masked Pebble, or another template language's `{x}`, `${X}`, `<x>`, `%(x)s`. */
function hasTemplateCharacters(text: string): boolean {
  return text.includes(MASK) || /[{}$<>]|%\(|%[sd]\b|%[A-Za-z_]+%/.test(text);
}

/** `?user=etl&password=…`, `;password=…;` in JDBC URLs and connection strings. */
function queryHits(value: string): Hit[] {
  if (!value.includes('=') || !/:\/\/|^jdbc:|;|\?/i.test(value)) return [];
  const hits: Hit[] = [];
  const pattern =
    /(?:^|[?&;])\s*(?:password|pwd|passwd|sslpassword|client_secret|access_token|token|sig|api_key|apikey|sharedaccesskey|accountkey)\s*=\s*([^&;#\s'"]+)/gi;
  for (const match of value.matchAll(pattern)) {
    const secret = match[1];
    if (PLACEHOLDER.test(secret) || hasTemplateCharacters(secret)) continue;
    const start = (match.index ?? 0) + match[0].length - secret.length;
    hits.push({ kind: 'query-password', start, end: start + secret.length });
  }
  return hits;
}

interface Shape {
  kind: CredentialKind;
  pattern: RegExp;
  /** The group holding the random part checked for variety (0: the whole match). */
  body?: number;
}

const AWS_KEY_ID_ANYWHERE = /\b(?:AKIA|ASIA)[A-Z2-7]{16}\b/;
const SHAPES: Shape[] = [
  { kind: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)([A-Z2-7]{16})\b/g, body: 1 },
  { kind: 'github-token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_([A-Za-z0-9]{36})\b/g, body: 1 },
  { kind: 'github-token', pattern: /\bgithub_pat_([A-Za-z0-9_]{50,})\b/g, body: 1 },
  { kind: 'slack-token', pattern: /\bxox[abposr]-([A-Za-z0-9-]{10,})\b/g, body: 1 },
  {
    kind: 'slack-webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(T[A-Z0-9]{6,}\/[A-Z0-9]{6,}\/[A-Za-z0-9]{16,})/g,
    body: 1,
  },
  {
    kind: 'discord-webhook',
    pattern: /https:\/\/(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks\/\d{6,}\/([A-Za-z0-9_-]{30,})/g,
    body: 1,
  },
  {
    kind: 'teams-webhook',
    pattern:
      /https:\/\/[A-Za-z0-9-]+\.webhook\.office\.com\/webhookb2\/[0-9a-f-]{36}@[0-9a-f-]{36}\/IncomingWebhook\/([0-9a-f]{32})\/[0-9a-f-]{36}(?:\/[A-Za-z0-9_-]+)?/g,
    body: 1,
  },
  { kind: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{32,})\b/g, body: 1 },
  { kind: 'google-api-key', pattern: /\bAIza([0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, body: 1 },
  { kind: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_([A-Za-z0-9]{20,})\b/g, body: 1 },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{16,}/g, body: 1 },
  {
    kind: 'private-key',
    pattern:
      /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----((?:\\[nr]|[\sA-Za-z0-9+/=:,-])+?)-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g,
    body: 1,
  },
];

/** Cheap first look: a string without any of these prefixes holds none of the shapes. */
const SHAPE_HINT =
  /AKIA|ASIA|gh[pousr]_|github_pat_|xox|hooks\.slack\.com|discord|webhook\.office\.com|sk-|AIza|_live_|_test_|eyJ|PRIVATE KEY/;

function shapeHits(value: string, place: Place): Hit[] {
  const hits: Hit[] = [];
  if (!SHAPE_HINT.test(value)) return place.besideAwsKeyId ? awsSecretKeyHits(value, place) : hits;
  for (const shape of SHAPES) {
    for (const match of value.matchAll(shape.pattern)) {
      const body = match[shape.body ?? 0] ?? match[0];
      if (shape.kind === 'private-key' ? body.replace(/\\[nr]|\s/g, '').length < 64 : !looksRandom(body) || !/[0-9]/.test(body)) continue;
      if (/EXAMPLE/.test(match[0])) continue;
      const start = match.index ?? 0;
      hits.push({ kind: shape.kind, start, end: start + match[0].length });
    }
  }
  hits.push(...awsSecretKeyHits(value, place));
  return hits;
}

/** A 40-character AWS secret access key: only beside an access key id, whose neighbour it is. */
function awsSecretKeyHits(value: string, place: Place): Hit[] {
  if (!place.besideAwsKeyId && !AWS_KEY_ID_ANYWHERE.test(value)) return [];
  const hits: Hit[] = [];
  for (const match of value.matchAll(/(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g)) {
    const candidate = match[1];
    if (
      !/[a-z]/.test(candidate) ||
      !/[A-Z]/.test(candidate) ||
      !/[0-9/+]/.test(candidate) ||
      !looksRandom(candidate) ||
      /EXAMPLE/.test(candidate)
    )
      continue;
    const start = match.index ?? 0;
    hits.push({ kind: 'aws-secret-access-key', start, end: start + 40 });
  }
  return hits;
}

/** Enough different characters and no long runs: not `xxxxxxxx…` nor `1234567890…`. */
function looksRandom(text: string): boolean {
  if (new Set(text).size < Math.min(10, Math.ceil(text.length / 3))) return false;
  if (/(.)\1{5,}/.test(text)) return false;
  if (/(0123456789|abcdefghij|ABCDEFGHIJ)/.test(text)) return false;
  return !/x{4,}|X{4,}|\*{3,}/.test(text);
}

const MASK = String.fromCharCode(0);

/** Pebble blocks replaced by NULs of the same length, so that offsets keep their meaning. */
function maskPebble(value: string): string {
  return value.replace(/\{\{[\s\S]*?(\}\}|$)|\{%[\s\S]*?(%\}|$)|\{#[\s\S]*?(#\}|$)/g, (block) => MASK.repeat(block.length));
}

function dropOverlaps(hits: Hit[]): Hit[] {
  const sorted = [...hits].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Hit[] = [];
  for (const hit of sorted) {
    const last = kept.at(-1);
    if (last && hit.start < last.end) continue;
    if (hit.end > hit.start) kept.push(hit);
  }
  return kept;
}

function trimmedSpan(value: string): [number, number] {
  const start = value.length - value.trimStart().length;
  return [start, value.trimEnd().length];
}

// ---------------------------------------------------------------------------------------------------

function toFinding(
  node: Scalar,
  value: string,
  hit: Hit,
  place: Place,
  decoded: DecodedScalar | undefined,
  range: RangeOf,
): HardcodedSecret {
  const [nodeStart, nodeEnd] = scalarSpan(node);
  const whole = hit.start === trimmedSpan(value)[0] && hit.end === trimmedSpan(value)[1];
  const sourceSpan: [number, number] =
    decoded && hit.end > hit.start ? [decoded.starts[hit.start], decoded.ends[hit.end - 1]] : [nodeStart, nodeEnd];
  const secretText = value.slice(hit.start, hit.end);
  rememberSecretValue(secretText);
  const property = propertyLabel(place);
  const finding: HardcodedSecret = {
    range: range(...sourceSpan),
    property,
    pluginType: place.pluginType,
    kind: hit.kind,
    message: messageFor(hit.kind, property, place.pluginType),
    suggestedKey: suggestKey(hit.kind, place),
    replacement: (key) => replacementFor(node, value, hit, whole, decoded, key, range),
    value: () => secretText,
  };
  Object.defineProperty(finding, 'value', { enumerable: false });
  return finding;
}

function propertyLabel(place: Place): string {
  if (!place.pluginType) return place.key || place.path.filter((segment) => segment !== '[]').join('.');
  const path = place.path.filter((segment) => segment !== '[]').join('.');
  return path || place.key;
}

const DESCRIPTIONS: Record<CredentialKind, string> = {
  'marked-property': 'a credential',
  'credential-name': 'a credential',
  'url-password': 'a password inside a URL',
  'query-password': 'a password in a connection string',
  'authorization-header': 'an authorization header',
  'aws-access-key-id': 'an AWS access key id',
  'aws-secret-access-key': 'an AWS secret access key',
  'github-token': 'a GitHub token',
  'slack-token': 'a Slack token',
  'slack-webhook': 'a Slack webhook URL',
  'discord-webhook': 'a Discord webhook URL',
  'teams-webhook': 'a Microsoft Teams webhook URL',
  'openai-key': 'an OpenAI API key',
  'google-api-key': 'a Google API key',
  'stripe-key': 'a Stripe secret key',
  jwt: 'a JSON Web Token',
  'private-key': 'a private key',
};

function messageFor(kind: CredentialKind, property: string, pluginType: string | undefined): string {
  const where = pluginType ? `the \`${property}\` of ${pluginType}` : `\`${property}\``;
  const what = DESCRIPTIONS[kind];
  const subject =
    kind === 'marked-property' || kind === 'credential-name'
      ? `${capitalise(where)} is a credential`
      : `${capitalise(where)} holds ${what}`;
  const why = kind === 'marked-property' ? ' (the plugin marks it secret)' : '';
  return `${subject} written in clear${why}: move it to a secret and use {{ secret('…') }}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const KIND_KEYS: Partial<Record<CredentialKind, string>> = {
  'aws-access-key-id': 'AWS_ACCESS_KEY_ID',
  'aws-secret-access-key': 'AWS_SECRET_ACCESS_KEY',
  'github-token': 'GITHUB_TOKEN',
  'slack-token': 'SLACK_TOKEN',
  'slack-webhook': 'SLACK_WEBHOOK_URL',
  'discord-webhook': 'DISCORD_WEBHOOK_URL',
  'teams-webhook': 'TEAMS_WEBHOOK_URL',
  'openai-key': 'OPENAI_API_KEY',
  'google-api-key': 'GOOGLE_API_KEY',
  'stripe-key': 'STRIPE_SECRET_KEY',
  'private-key': 'PRIVATE_KEY',
  jwt: 'JWT_TOKEN',
};
const PRODUCT_NAMES: Record<string, string> = { postgresql: 'POSTGRES', sqlserver: 'SQLSERVER', clickhouse: 'CLICKHOUSE' };

/** `POSTGRES_PASSWORD` from io.kestra.plugin.jdbc.postgresql.Query's `password`; `GITHUB_TOKEN` for a GitHub token. */
export function suggestKey(kind: CredentialKind, place: { key: string; path: string[]; pluginType?: string }): string {
  const known = KIND_KEYS[kind];
  if (known) return known;
  const property =
    kind === 'url-password' || kind === 'query-password'
      ? 'password'
      : kind === 'authorization-header'
        ? headerKeyName(place.key)
        : place.key || 'secret';
  const name = screamingSnake(property);
  const product = productOf(place.pluginType);
  const key = product && !name.startsWith(`${product}_`) ? `${product}_${name}` : name;
  return key.replace(/^[^A-Z_]+/, '') || 'SECRET';
}

function headerKeyName(header: string): string {
  return /key/i.test(header) ? 'API_KEY' : 'API_TOKEN';
}

function productOf(pluginType: string | undefined): string | undefined {
  if (!pluginType) return undefined;
  // A plugin-defaults type may be a package (`io.kestra.plugin.jdbc.postgresql`): give it a class to drop.
  const segments = [...pluginType.split('.')];
  if (/^[a-z]/.test(segments.at(-1) ?? '')) segments.push('*');
  const plugin = segments.indexOf('plugin');
  if (plugin < 0 || plugin + 1 >= segments.length - 1) return undefined;
  const family = segments[plugin + 1];
  const product = family === 'jdbc' && plugin + 2 < segments.length - 1 ? segments[plugin + 2] : family;
  if (product === 'core' || product === 'scripts') return undefined;
  return PRODUCT_NAMES[product] ?? screamingSnake(product);
}

function screamingSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_ ]/g, '');
}

// ---------------------------------------------------------------------------------------------------

/** Source offsets of the whole scalar: quotes included; a block scalar from its header to its last character. */
function scalarSpan(node: Scalar): [number, number] {
  const [start, valueEnd] = node.range ?? [0, 0];
  const token = node.srcToken;
  if (token && token.type === 'block-scalar') {
    const end = token.offset + token.source.trimEnd().length + blockHeaderLength(node);
    return [start, Math.max(start, end)];
  }
  if (token && 'source' in token && typeof token.source === 'string') return [token.offset, token.offset + token.source.length];
  return [start, valueEnd];
}

function blockHeaderLength(node: Scalar): number {
  const token = node.srcToken;
  if (!token || token.type !== 'block-scalar') return 0;
  return token.props.reduce((sum, prop) => sum + ('source' in prop && typeof prop.source === 'string' ? prop.source.length : 0), 0);
}

const reference = (key: string): string => `{{ secret('${key}') }}`;

/**
 * The whole value: a double-quoted reference. Part of it: in a block scalar, the part in place;
 * else the scalar rewritten double-quoted (a JSON string is valid YAML) with the part replaced.
 */
function replacementFor(
  node: Scalar,
  value: string,
  hit: Hit,
  whole: boolean,
  decoded: DecodedScalar | undefined,
  key: string,
  range: RangeOf,
): { range: Range; text: string } {
  const [start, end] = scalarSpan(node);
  if (whole) return { range: range(start, end), text: JSON.stringify(reference(key)) };
  if (node.srcToken?.type === 'block-scalar' && decoded) {
    return { range: range(decoded.starts[hit.start], decoded.ends[hit.end - 1]), text: reference(key) };
  }
  const replaced = `${value.slice(0, hit.start)}${reference(key)}${value.slice(hit.end)}`;
  return { range: range(start, end), text: JSON.stringify(replaced) };
}
