/**
 * Strict decoding of the files we read. Kestra decodes secret values and flow sources as UTF-8 (Java's
 * default charset on its image, JEP 400): a Latin-1 byte would reach Kestra as U+FFFD, so a file that is
 * not UTF-8 is an error with its position, never silently replaced. A UTF-16 file with a byte order mark
 * is decoded (its text is still worth checking) and reported, since Kestra would not read it as such.
 */

export class InvalidUtf8Error extends Error {
  constructor(
    readonly file: string,
    /** 1-based position of the first byte that is not UTF-8. */
    readonly line: number,
    readonly column: number,
  ) {
    super(
      `${file}:${line}:${column}: not valid UTF-8 text (Kestra reads it as UTF-8, so this byte would become U+FFFD); save the file as UTF-8`,
    );
    this.name = 'InvalidUtf8Error';
  }

  /** The message without the position prefix, for callers that print `FILE:LINE:COL: error: …` themselves. */
  get reason(): string {
    return 'not valid UTF-8 text (Kestra reads it as UTF-8, so this byte would become U+FFFD); save the file as UTF-8';
  }
}

export type DecodedText = { text: string; utf16?: 'utf-16le' | 'utf-16be' };

/** The text of UTF-8 bytes (a BOM kept, as Node's 'utf8' keeps it); throws InvalidUtf8Error on any invalid byte. */
export function decodeUtf8Strict(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const { line, column } = firstInvalidPosition(bytes);
    throw new InvalidUtf8Error(file, line, column);
  }
}

/**
 * UTF-8, or UTF-16 when the bytes start with its byte order mark (the BOM is dropped and `utf16` says
 * which); throws InvalidUtf8Error otherwise.
 */
export function decodeTextFile(bytes: Uint8Array, file: string): DecodedText {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) {
    try {
      return { text: new TextDecoder(utf16, { fatal: true }).decode(bytes), utf16 };
    } catch {
      throw new InvalidUtf8Error(file, 1, 1);
    }
  }
  return { text: decodeUtf8Strict(bytes, file) };
}

/**
 * Line and column (1-based, in characters) of the first invalid byte: everything before the first
 * replacement character that isn't a literal U+FFFD in the bytes decodes cleanly, so its UTF-8 length
 * is the byte offset.
 */
function firstInvalidPosition(bytes: Uint8Array): { line: number; column: number } {
  const lossy = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let index = lossy.indexOf('\uFFFD');
  while (index >= 0) {
    const offset = Buffer.byteLength(lossy.slice(0, index), 'utf8');
    const literal = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd;
    if (!literal) break;
    index = lossy.indexOf('\uFFFD', index + 1);
  }
  const prefix = lossy.slice(0, index < 0 ? lossy.length : index);
  const lineStart = prefix.lastIndexOf('\n') + 1;
  return { line: prefix.split('\n').length, column: [...prefix.slice(lineStart)].length + 1 };
}
