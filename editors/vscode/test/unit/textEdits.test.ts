import * as assert from 'node:assert/strict';
import { applyTextEdits, lineStarts, offsetAt } from '../../src/textEdits';

const at = (line: number, character: number) => ({ line, character });

describe('textEdits', () => {
  it('finds line starts for \\n, \\r\\n and \\r', () => {
    assert.deepEqual(lineStarts('a\nb\r\nc\rd'), [0, 2, 5, 7]);
  });

  it('counts characters in UTF-16 code units, as LSP does by default', () => {
    const text = 'x = "😀é"\ny';
    assert.equal(offsetAt(text, at(0, 7)), 7);
    assert.equal(text.slice(offsetAt(text, at(0, 5)), offsetAt(text, at(0, 7))), '😀');
  });

  it('clamps positions past the end of a line or the document', () => {
    const text = 'ab\r\ncd';
    assert.equal(offsetAt(text, at(0, 99)), 2);
    assert.equal(offsetAt(text, at(7, 0)), text.length);
  });

  it('applies several edits against the original text, in any order', () => {
    const text = 'def f(a):\n    return a\n';
    const result = applyTextEdits(text, [
      { range: { start: at(1, 11), end: at(1, 12) }, newText: 'a + b' },
      { range: { start: at(0, 7), end: at(0, 7) }, newText: ', b' },
    ]);
    assert.equal(result, 'def f(a, b):\n    return a + b\n');
  });

  it('keeps insertions at the same point in the order given', () => {
    const result = applyTextEdits('ab', [
      { range: { start: at(0, 1), end: at(0, 1) }, newText: '1' },
      { range: { start: at(0, 1), end: at(0, 1) }, newText: '2' },
    ]);
    assert.equal(result, 'a12b');
  });

  it('refuses overlapping edits instead of guessing', () => {
    assert.throws(
      () =>
        applyTextEdits('abcdef', [
          { range: { start: at(0, 0), end: at(0, 3) }, newText: 'x' },
          { range: { start: at(0, 2), end: at(0, 4) }, newText: 'y' },
        ]),
      /overlapping edits/,
    );
  });
});
