"""Parsing files, and open documents whose syntax trees are updated by edits instead of re-parsed.

An open document keeps its tree; an edit is applied with `Tree.edit` and the new text parsed
with the old tree, so tree-sitter reuses every unchanged subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Point, Tree

from indexing.languages import parser
from indexing.symbols import FileSymbols
from indexing.tags import extract


def decode(data: bytes) -> tuple[str, bool]:
    """The text of a file, and whether it was valid UTF-8 (invalid bytes become U+FFFD)."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), False


def parse(language: str, data: bytes, old_tree: Tree | None = None) -> Tree:
    return parser(language).parse(data, old_tree) if old_tree is not None else parser(language).parse(data)


def analyse(language: str, data: bytes) -> FileSymbols:
    """Parse a file from scratch and extract its symbols."""
    return extract(language, data, parse(language, data))


@dataclass(frozen=True, slots=True)
class Edit:
    """One contiguous change, in UTF-8 bytes and (row, byte column) points, as tree-sitter wants it."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def point_at(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


def diff_edit(old: bytes, new: bytes) -> Edit:
    """The single edit that turns `old` into `new` (common prefix and suffix kept)."""
    limit = min(len(old), len(new))
    start = 0
    # Compare in blocks first: documents are long and edits small.
    block = 4096
    while start + block <= limit and old[start : start + block] == new[start : start + block]:
        start += block
    while start < limit and old[start] == new[start]:
        start += 1
    tail = 0
    while tail + block <= limit - start and (
        old[len(old) - tail - block : len(old) - tail] == new[len(new) - tail - block : len(new) - tail]
    ):
        tail += block
    while tail < limit - start and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    old_end, new_end = len(old) - tail, len(new) - tail
    return Edit(start, old_end, new_end, point_at(old, start), point_at(old, old_end), point_at(new, new_end))


class OpenDocument:
    """An editor buffer: its bytes, its syntax tree and the symbols extracted from it."""

    def __init__(self, language: str, data: bytes) -> None:
        self.language = language
        self.data = data
        self.tree = parse(language, data)
        self.symbols = extract(language, data, self.tree)

    def apply(self, edit: Edit, new_data: bytes) -> None:
        """Apply one edit whose result is `new_data`, re-parsing incrementally."""
        self.tree.edit(
            start_byte=edit.start_byte,
            old_end_byte=edit.old_end_byte,
            new_end_byte=edit.new_end_byte,
            start_point=Point(*edit.start_point),
            old_end_point=Point(*edit.old_end_point),
            new_end_point=Point(*edit.new_end_point),
        )
        self.tree = parse(self.language, new_data, self.tree)
        self.data = new_data
        self.symbols = extract(self.language, new_data, self.tree)

    def replace(self, new_data: bytes) -> None:
        """Bring the document to `new_data` through the one edit that separates them."""
        if new_data != self.data:
            self.apply(diff_edit(self.data, new_data), new_data)
