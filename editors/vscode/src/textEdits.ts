/**
 * Applying LSP `TextEdit`s to a string, for previews (the next-edit diff) and tests.
 *
 * Positions are UTF-16 code units, which is what JavaScript strings index by and what the
 * extension negotiates with the server.
 */
import type { Position, TextEdit } from './protocol';

/** Offsets where each line starts; `\n`, `\r\n` and `\r` all end a line, as LSP says. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) {
        i++;
      }
      starts.push(i + 1);
    } else if (ch === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The offset of `position`, clamped to the document the way editors clamp out-of-range positions. */
export function offsetAt(text: string, position: Position, starts: number[] = lineStarts(text)): number {
  if (position.line >= starts.length) {
    return text.length;
  }
  const start = starts[Math.max(0, position.line)];
  let end = position.line + 1 < starts.length ? starts[position.line + 1] : text.length;
  while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) {
    end--;
  }
  return Math.min(start + Math.max(0, position.character), end);
}

/** `text` with all `edits` applied; edits refer to the original text and must not overlap. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const spans = edits
    .map((edit, order) => ({
      start: offsetAt(text, edit.range.start, starts),
      end: offsetAt(text, edit.range.end, starts),
      newText: edit.newText,
      order,
    }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.order - b.order);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].start < spans[i - 1].end) {
      throw new Error(`overlapping edits at offsets ${spans[i - 1].start}-${spans[i - 1].end} and ${spans[i].start}`);
    }
  }
  let result = '';
  let cursor = 0;
  for (const span of spans) {
    result += text.slice(cursor, span.start) + span.newText;
    cursor = span.end;
  }
  return result + text.slice(cursor);
}
