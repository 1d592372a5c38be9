/**
 * Docker Compose variable interpolation (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?message}`, `${VAR?message}`, `$$`), as compose-go's
 * `template` package applies it to unquoted and double-quoted values and to Compose files.
 * A `$` followed by anything else stays a literal `$`; a malformed `${…}` is an error.
 */
export class InterpolationError extends Error {
  constructor(
    message: string,
    /** `invalid`: malformed `${…}`; `required`: a `${NAME:?…}` whose variable is not set. */
    readonly kind: 'invalid' | 'required' = 'invalid',
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

export interface Interpolated {
  value: string;
  /** Variables that were referenced but not set (Compose substitutes an empty string and warns). */
  missing: string[];
}

export type VariableLookup = (name: string) => string | undefined;

const DOLLAR = 36;
const OPEN = 123;
const CLOSE = 125;

export function interpolate(template: string, lookup: VariableLookup): Interpolated {
  const missing: string[] = [];
  const value = substitute(template, lookup, missing);
  return { value, missing };
}

function isNameStart(code: number): boolean {
  return code === 95 || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

function nameEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  return end;
}

function substitute(text: string, lookup: VariableLookup, missing: string[]): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0) return out + text.slice(index);
    out += text.slice(index, dollar);
    const next = text.charCodeAt(dollar + 1);
    if (next === DOLLAR) {
      out += '$';
      index = dollar + 2;
    } else if (isNameStart(next)) {
      const end = nameEnd(text, dollar + 1);
      out += resolve(text.slice(dollar + 1, end), lookup, missing);
      index = end;
    } else if (next === OPEN) {
      const braced = substituteBraced(text, dollar, lookup, missing);
      out += braced.value;
      index = braced.end;
    } else {
      out += '$';
      index = dollar + 1;
    }
  }
  return out;
}

function resolve(name: string, lookup: VariableLookup, missing: string[]): string {
  const value = lookup(name);
  if (value === undefined) missing.push(name);
  return value ?? '';
}

/** The message never quotes the text: it may be a secret value. */
function invalid(): InterpolationError {
  return new InterpolationError(
    'invalid interpolation: "${" must be followed by NAME} or NAME:-default} (and so on); write $$ for a literal $',
  );
}

const OPERATORS = [':-', ':+', ':?', '-', '+', '?'];

/** `${…}` starting at `dollar`: the substituted value and the index just after the closing brace. */
function substituteBraced(text: string, dollar: number, lookup: VariableLookup, missing: string[]): { value: string; end: number } {
  const nameStart = dollar + 2;
  if (!isNameStart(text.charCodeAt(nameStart))) throw invalid();
  const end = nameEnd(text, nameStart);
  const name = text.slice(nameStart, end);
  if (text.charCodeAt(end) === CLOSE) return { value: resolve(name, lookup, missing), end: end + 1 };
  const operator = OPERATORS.find((candidate) => text.startsWith(candidate, end));
  if (!operator) throw invalid();
  // compose-go's pattern takes `.*` (one line) up to the last `}`, then cuts at the matching brace.
  const lineEnd = text.indexOf('\n', end);
  const lastClose = text.lastIndexOf('}', (lineEnd < 0 ? text.length : lineEnd) - 1);
  if (lastClose < end) throw invalid();
  const close = matchingBrace(text, dollar, lastClose);
  // Only the branch taken is interpolated (compose-go 2.10.1 and later): `${A:-${B:?err}}` with A set
  // neither fails on B nor reports it missing.
  const argument = () => substitute(text.slice(end + operator.length, close), lookup, missing);
  return { value: applyOperator(operator, name, argument, lookup(name)), end: close + 1 };
}

/** compose-go's getFirstBraceClosingIndex over text[from..to], falling back to `to`. */
function matchingBrace(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i <= to; i++) {
    const code = text.charCodeAt(i);
    if (code === CLOSE) {
      depth--;
      if (depth === 0) return i;
    }
    if (code === OPEN) {
      depth++;
      i++;
    }
  }
  return to;
}

function applyOperator(operator: string, name: string, argument: () => string, value: string | undefined): string {
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== '';
  switch (operator) {
    case ':-':
      return isNonEmpty ? value : argument();
    case '-':
      return isSet ? value : argument();
    case ':+':
      return isNonEmpty ? argument() : (value ?? '');
    case '+':
      return isSet ? argument() : '';
    default: {
      const satisfied = operator === ':?' ? isNonEmpty : isSet;
      if (!satisfied) {
        const message = argument();
        throw new InterpolationError(`required variable ${name} is missing a value${message ? `: ${message}` : ''}`, 'required');
      }
      return value ?? '';
    }
  }
}
