/**
 * Base64 exactly as Kestra's env secret backend reads it: Java's `Base64.getDecoder()` (the basic,
 * RFC 4648 decoder) after `replaceAll("\\R", "")`. Messages never contain the encoded text.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/** Java's `\R`: `\r\n` or any of `\n \v \f \r \u0085 \u2028 \u2029`. */
const JAVA_LINE_BREAKS = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/g;

/** What Kestra does to a `SECRET_` value before decoding it. */
export function removeJavaLineBreaks(value: string): string {
  return value.replace(JAVA_LINE_BREAKS, '');
}

/** Standard base64 (RFC 4648 alphabet, padded), never wrapped. Encodes the string as UTF-8. */
export function encodeBase64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

/** Java `Base64.getDecoder().decode(text)`: the bytes, or undefined where Java throws. */
export function strictBase64Decode(text: string): Buffer | undefined {
  return decode(text).bytes;
}

/**
 * Why Java's basic decoder rejects `text`, or undefined when it decodes. The reason names positions
 * and kinds of characters only, never the characters of the value.
 */
export function explainBase64Error(text: string): string | undefined {
  const { error, illegalAt } = decode(text);
  if (error === undefined) return undefined;
  if (illegalAt !== undefined && looksLikePlainText(text)) {
    const code = text.charCodeAt(illegalAt);
    const detail =
      code === 45 || code === 95 ? `character ${illegalAt + 1} is not in the base64 alphabet` : describeIllegal(code, illegalAt);
    return `it is plain text that was never base64-encoded (${detail})`;
  }
  return error;
}

/** Not base64 of any kind: not standard, not URL-safe, not base64 with stray blanks (a quoted value has its own reason). */
function looksLikePlainText(text: string): boolean {
  if (/^["']/.test(text)) return false;
  const urlSafe = text.replace(/[ \t]/g, '').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const padded = urlSafe + '='.repeat((4 - (urlSafe.length % 4)) % 4);
  return decode(padded).error !== undefined;
}

function describeIllegal(code: number, index: number): string {
  const where = `character ${index + 1}`;
  if (code === 45 || code === 95) {
    return `${where} is URL-safe base64 ('-' or '_'); Kestra needs the standard alphabet with '+' and '/'`;
  }
  if (code === 32 || code === 9) return `${where} is a space or tab; base64 must not contain blanks`;
  if (code === 34 || code === 39) return `${where} is a quote; the quotes became part of the value`;
  return `${where} is not in the base64 alphabet (A-Z, a-z, 0-9, '+', '/', '=')`;
}

function decode(text: string): { bytes?: Buffer; error?: string; illegalAt?: number } {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let bits = 0;
  let shift = 18;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index++);
    const sextet = code < 128 ? SEXTET[code] : -1;
    if (sextet < 0) {
      if (code !== PAD) return { error: describeIllegal(code, index - 1), illegalAt: index - 1 };
      // Java: '=' alone in a unit, or "xx=" not followed by a second '=', is a wrong ending unit.
      const secondPadMissing = shift === 6 && (index === text.length || text.charCodeAt(index++) !== PAD);
      if (shift === 18 || secondPadMissing) return { error: 'the padding (=) at the end is wrong' };
      break;
    }
    bits |= sextet << shift;
    shift -= 6;
    if (shift < 0) {
      out[length++] = (bits >> 16) & 0xff;
      out[length++] = (bits >> 8) & 0xff;
      out[length++] = bits & 0xff;
      shift = 18;
      bits = 0;
    }
  }
  if (shift === 6) {
    out[length++] = (bits >> 16) & 0xff;
  } else if (shift === 0) {
    out[length++] = (bits >> 16) & 0xff;
    out[length++] = (bits >> 8) & 0xff;
  } else if (shift === 12) {
    return { error: 'the last group has a single character, so the length is wrong (truncated?)' };
  }
  if (index < text.length) return { error: `character ${index + 1} comes after the final padding (=)` };
  return { bytes: out.subarray(0, length) };
}
