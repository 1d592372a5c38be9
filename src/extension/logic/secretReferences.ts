/** How a `{{ secret('KEY') }}` reference is written: the Pebble call, the expression and its string literals. */

/** A key and, optionally, a field of it. */
export interface ReferenceTarget {
  key: string;
  subkey?: string;
}

/** The Pebble call: `secret('KEY')` or `secret('KEY', subkey='FIELD')`. */
export function secretCall(key: string, subkey?: string): string {
  const field = subkey ? `, subkey=${pebbleString(subkey)}` : '';
  return `secret(${pebbleString(key)}${field})`;
}

/** The full expression: `{{ secret('KEY') }}`. */
export function secretReference(key: string, subkey?: string): string {
  return `{{ ${secretCall(key, subkey)} }}`;
}

/** A Pebble string literal: single quotes unless the text holds one and no double quote. */
export function pebbleString(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** True when the text before the cursor has an open `{{` (then only the call is inserted). */
export function insideExpression(lineBefore: string): boolean {
  return lineBefore.lastIndexOf('{{') > lineBefore.lastIndexOf('}}');
}
