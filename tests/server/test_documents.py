"""Document bookkeeping: changed regions, and positions in UTF-16 and UTF-8 around emoji and CJK text."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

from mellum_lsp.documents import (
    OpenDocuments,
    byte_offset,
    changed_region,
    client_position,
    point,
    replacement_edit,
)

TEXT = "s = '😀 漢字'\nx = 1"  # the emoji is 2 UTF-16 units and 4 UTF-8 bytes; each CJK character 1 and 3


def document(encoding: types.PositionEncodingKind) -> TextDocument:
    return TextDocument("file:///t.py", TEXT, position_codec=PositionCodec(encoding))


@pytest.mark.parametrize(
    ("encoding", "column_after_emoji", "column_after_cjk"),
    [(types.PositionEncodingKind.Utf16, 7, 10), (types.PositionEncodingKind.Utf8, 9, 16)],
)
def test_positions_count_the_negotiated_units(encoding, column_after_emoji, column_after_cjk):
    doc = document(encoding)
    after_emoji = TEXT.index("😀") + 1
    after_cjk = TEXT.index("字") + 1
    assert client_position(doc, after_emoji) == types.Position(line=0, character=column_after_emoji)
    assert client_position(doc, after_cjk) == types.Position(line=0, character=column_after_cjk)
    assert doc.offset_at_position(types.Position(line=0, character=column_after_cjk)) == after_cjk


def test_the_end_of_a_last_line_without_newline_is_on_that_line():
    doc = document(types.PositionEncodingKind.Utf16)
    assert client_position(doc, len(TEXT)) == types.Position(line=1, character=5)


def apply(text: str, doc: TextDocument, edit: types.TextEdit) -> str:
    start = doc.offset_at_position(edit.range.start)
    end = doc.offset_at_position(edit.range.end)
    return text[:start] + edit.new_text + text[end:]


@pytest.mark.parametrize("encoding", [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8])
def test_a_replacement_edit_is_minimal_and_applies_cleanly(encoding):
    doc = document(encoding)
    line_end = TEXT.index("\n")
    edit = replacement_edit(doc, 0, line_end, "s = '😀 漢字!'")
    assert edit is not None and edit.new_text == "!"
    assert apply(TEXT, doc, edit) == "s = '😀 漢字!'\nx = 1"
    assert replacement_edit(doc, 0, line_end, TEXT[:line_end]) is None


def test_changed_region_finds_the_one_differing_span():
    region = changed_region("abcdef", "abXYef")
    assert (region.start, region.old_end, region.new_end) == (2, 4, 4)
    region = changed_region("aaa", "aaaa")  # repeated characters: still one insertion
    assert region.old_end - region.start == 0 and region.new_end - region.start == 1


def test_bytes_and_points_for_tree_sitter():
    offset = TEXT.index("x")
    assert byte_offset(TEXT, offset) == len(TEXT[:offset].encode())
    assert point(TEXT, TEXT.index("漢") + 1) == (0, len("s = '😀 漢".encode()))
    assert point(TEXT, offset) == (1, 0)


def test_open_documents_turn_changes_into_old_and_new_text():
    docs = OpenDocuments()
    docs.opened("file:///a.py", "def f():\n    pass\n")
    change = docs.changed("file:///a.py", "def g():\n    pass\n")
    assert (change.removed, change.inserted) == ("f", "g")
    assert change.path.name == "a.py"
