/**
 * Converts between UTF-16 offsets and 0-based line/character positions.
 * Line breaks: `\n`, `\r\n` (one break) and a lone `\r`.
 */
import type { Position } from './types';

export class LineIndex {
  private readonly lineStarts: number[];
  private readonly length: number;

  constructor(private readonly text: string) {
    this.length = text.length;
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      } else if (code === 10 /* \n */) {
        this.lineStarts.push(i + 1);
      }
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(Math.floor(offset) || 0, this.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low] };
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.lineStarts.length) return this.length;
    const lineStart = this.lineStarts[pos.line];
    return Math.min(lineStart + Math.max(0, pos.character), this.lineContentEnd(pos.line));
  }

  /** Offset just before the line's break (or the end of the text on the last line). */
  private lineContentEnd(line: number): number {
    if (line + 1 >= this.lineStarts.length) return this.length;
    const nextLineStart = this.lineStarts[line + 1];
    const crlf = this.text.charCodeAt(nextLineStart - 1) === 10 && this.text.charCodeAt(nextLineStart - 2) === 13;
    return nextLineStart - (crlf ? 2 : 1);
  }
}
